"""From TensorBoard's data provider to model series.

This is the only module that knows TensorBoard's data API.  Inside TensorBoard
the plugin hands us TensorBoard's own provider; the CLI and the Python API
open one over a logdir themselves (`open_logdir`): the Rust data server when
its binary is installed, TensorBoard's Python loader otherwise, both keeping
every point.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import subprocess
import tempfile
import time
from typing import Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .model import HistogramSeries, ScalarSeries

logger = logging.getLogger(__name__)

SCALARS_PLUGIN = "scalars"
HISTOGRAMS_PLUGIN = "histograms"

# `downsample` only thins what the loader kept; a huge number returns all of it
# (0 would return nothing).
KEEP_ALL = 2**62

# How long the CLI waits for the Rust data server to finish its first load
# before giving up on it and falling back to the Python loader.  2 M points
# load in a few seconds; an hour covers logdirs far beyond what fits in memory.
RUST_LOAD_TIMEOUT_S = 3600.0
# How long the Rust server may take to open its port: it binds before loading.
RUST_START_TIMEOUT_S = 30.0

ProgressFn = Callable[[str], None]


class LogdirError(Exception):
    """The logdir cannot be read at all (missing, not a directory, unreadable)."""


@dataclasses.dataclass(frozen=True)
class SeriesMeta:
    """What TensorBoard knows of a series without reading its points."""

    kind: str  # "scalar" or "histogram"
    max_step: Optional[int]
    max_wall_time: Optional[float]
    plugin_name: str


@dataclasses.dataclass
class LogdirData:
    """Every scalar and histogram series of a logdir, as model series."""

    scalars: Dict[str, Dict[str, ScalarSeries]] = dataclasses.field(default_factory=dict)
    histograms: Dict[str, Dict[str, HistogramSeries]] = dataclasses.field(default_factory=dict)
    notes: List[str] = dataclasses.field(default_factory=list)
    run_errors: Dict[str, str] = dataclasses.field(default_factory=dict)
    # Runs TensorBoard lists (including those with no scalar or histogram data).
    runs: List[str] = dataclasses.field(default_factory=list)

    def series_count(self) -> int:
        return sum(len(t) for t in self.scalars.values()) + sum(
            len(t) for t in self.histograms.values()
        )


# --- reading a provider ----------------------------------------------------


def _rtf(runs_to_tags: Optional[Mapping[str, Iterable[str]]]):
    if runs_to_tags is None:
        return None
    from tensorboard.data import provider as tb_provider

    runs = sorted(runs_to_tags)
    tags = sorted({t for ts in runs_to_tags.values() for t in ts})
    return tb_provider.RunTagFilter(runs=runs, tags=tags)


def _runs_filter(runs: Optional[Iterable[str]]):
    if runs is None:
        return None
    from tensorboard.data import provider as tb_provider

    return tb_provider.RunTagFilter(runs=sorted(runs))


def list_series(
    provider, ctx, experiment_id: str, runs: Optional[Iterable[str]] = None
) -> Dict[Tuple[str, str], SeriesMeta]:
    """Cheap index of every scalar and histogram series: no points are read."""
    out: Dict[Tuple[str, str], SeriesMeta] = {}
    listing = provider.list_scalars(
        ctx, experiment_id=experiment_id, plugin_name=SCALARS_PLUGIN, run_tag_filter=_runs_filter(runs)
    )
    for run, tags in listing.items():
        for tag, ts in tags.items():
            out[(run, tag)] = SeriesMeta("scalar", ts.max_step, ts.max_wall_time, SCALARS_PLUGIN)
    listing = provider.list_tensors(
        ctx, experiment_id=experiment_id, plugin_name=HISTOGRAMS_PLUGIN, run_tag_filter=_runs_filter(runs)
    )
    for run, tags in listing.items():
        for tag, ts in tags.items():
            out[(run, tag)] = SeriesMeta("histogram", ts.max_step, ts.max_wall_time, HISTOGRAMS_PLUGIN)
    return out


def list_runs(provider, ctx, experiment_id: str) -> List[str]:
    return sorted(r.run_name for r in provider.list_runs(ctx, experiment_id=experiment_id))


def _scalar_series(data: Sequence, limit: Optional[int]) -> ScalarSeries:
    n = len(data)
    steps = np.fromiter((d.step for d in data), dtype=np.int64, count=n)
    values = np.fromiter((d.value for d in data), dtype=np.float64, count=n)
    walls = np.fromiter((d.wall_time for d in data), dtype=np.float64, count=n)
    sampled = bool(limit is not None and limit > 0 and n >= limit)
    return ScalarSeries.from_points(steps, values, walls, sampled=sampled)


def _histogram_series(data: Sequence, limit: Optional[int]) -> HistogramSeries:
    n = len(data)
    steps = np.fromiter((d.step for d in data), dtype=np.int64, count=n)
    walls = np.fromiter((d.wall_time for d in data), dtype=np.float64, count=n)
    buckets = [np.asarray(d.numpy, dtype=np.float64) for d in data]
    sampled = bool(limit is not None and limit > 0 and n >= limit)
    return HistogramSeries.from_points(steps, buckets, walls, sampled=sampled)


def _read_per_run(
    read: Callable,
    convert: Callable,
    ctx,
    experiment_id: str,
    plugin_name: str,
    runs_to_tags: Mapping[str, Iterable[str]],
    limit: Optional[int],
):
    """Reads all runs in one request; on failure, run by run, so that one
    unreadable run costs only its own series."""
    result: Dict[str, Dict[str, object]] = {}
    errors: Dict[str, str] = {}
    if not runs_to_tags:
        return result, errors

    def read_some(wanted: Mapping[str, Iterable[str]]):
        return read(ctx, experiment_id=experiment_id, plugin_name=plugin_name,
                    downsample=KEEP_ALL, run_tag_filter=_rtf(wanted))

    try:
        batches = [read_some(runs_to_tags)]
    except Exception as e:  # noqa: BLE001 - any loader failure is reported per run below
        logger.info("batched read failed (%s); reading run by run", e)
        batches = []
        for run, tags in runs_to_tags.items():
            try:
                batches.append(read_some({run: tags}))
            except Exception as e2:  # noqa: BLE001
                errors[run] = "could not read %s data: %s" % (plugin_name, e2)
    for raw in batches:
        for run, tags in raw.items():
            wanted = set(runs_to_tags.get(run, ()))
            for tag, data in tags.items():
                if tag not in wanted:
                    continue
                try:
                    result.setdefault(run, {})[tag] = convert(data, limit)
                except Exception as e:  # noqa: BLE001 - a malformed series must not sink the run
                    errors.setdefault(run, "could not decode %r: %s" % (tag, e))
    return result, errors


def read_scalars(
    provider,
    ctx,
    experiment_id: str,
    runs_to_tags: Mapping[str, Iterable[str]],
    sample_limit: Optional[int] = None,
) -> Tuple[Dict[str, Dict[str, ScalarSeries]], Dict[str, str]]:
    """Every kept point of the given scalar series.

    `sample_limit` is the loader's retention for scalars, when known: a series
    holding that many points is marked `sampled`.
    """
    return _read_per_run(
        provider.read_scalars, _scalar_series, ctx, experiment_id,
        SCALARS_PLUGIN, runs_to_tags, sample_limit,
    )


def read_histograms(
    provider,
    ctx,
    experiment_id: str,
    runs_to_tags: Mapping[str, Iterable[str]],
    sample_limit: Optional[int] = None,
) -> Tuple[Dict[str, Dict[str, HistogramSeries]], Dict[str, str]]:
    return _read_per_run(
        provider.read_tensors, _histogram_series, ctx, experiment_id,
        HISTOGRAMS_PLUGIN, runs_to_tags, sample_limit,
    )


def read_provider(
    provider,
    ctx,
    experiment_id: str,
    runs: Optional[Iterable[str]] = None,
    sample_limits: Optional[Mapping[str, int]] = None,
) -> LogdirData:
    """Everything CurveCheck analyses, from any TensorBoard data provider."""
    limits = dict(sample_limits or {})
    data = LogdirData()
    try:
        all_runs = list_runs(provider, ctx, experiment_id)
    except Exception as e:  # noqa: BLE001
        raise LogdirError("TensorBoard could not list the runs: %s" % e) from e
    if runs is not None:
        wanted = set(runs)
        all_runs = [r for r in all_runs if r in wanted]
    data.runs = all_runs
    index = list_series(provider, ctx, experiment_id, runs=runs)
    scalar_tags: Dict[str, List[str]] = {}
    hist_tags: Dict[str, List[str]] = {}
    for (run, tag), meta in index.items():
        (scalar_tags if meta.kind == "scalar" else hist_tags).setdefault(run, []).append(tag)
    scalars, errs1 = read_scalars(provider, ctx, experiment_id, scalar_tags, limits.get("scalars"))
    hists, errs2 = read_histograms(provider, ctx, experiment_id, hist_tags, limits.get("histograms"))
    data.run_errors.update(errs2)
    data.run_errors.update(errs1)
    for run, tags in scalars.items():
        kept = {t: s for t, s in tags.items() if len(s)}
        if kept:
            data.scalars[run] = kept
    for run, tags in hists.items():
        kept = {t: s for t, s in tags.items() if len(s)}
        if kept:
            data.histograms[run] = kept
    for run in all_runs:
        if run not in data.scalars and run not in data.histograms and run not in data.run_errors:
            data.notes.append("run %r has no scalar or histogram data; skipped" % run)
    for run, tags in sorted(data.scalars.items()):
        restarted = sorted(t for t, s in tags.items() if s.restarts)
        if restarted:
            data.notes.append(
                "run %r was restarted (steps went back in %s): the newest value per step is used"
                % (run, ", ".join(restarted))
            )
    return data


# --- opening a logdir ourselves (CLI, Python API) --------------------------


def _check_logdir(logdir: str) -> str:
    path = os.path.abspath(os.path.expanduser(logdir))
    if not os.path.exists(path):
        raise LogdirError("logdir %s does not exist" % logdir)
    if not os.path.isdir(path):
        raise LogdirError("logdir %s is not a directory" % logdir)
    if not os.access(path, os.R_OK | os.X_OK):
        raise LogdirError("logdir %s is not readable" % logdir)
    return path


def _rust_binary() -> Optional[str]:
    try:
        from tensorboard.data import server_ingester
    except Exception:  # noqa: BLE001
        return None
    try:
        binary = server_ingester.get_server_binary()
    except Exception:  # noqa: BLE001 - no data server installed
        return None
    return binary.path if binary is not None else None


@contextlib.contextmanager
def _rust_provider(path: str, progress: Optional[ProgressFn]) -> Iterator[object]:
    import grpc
    from tensorboard.data import grpc_provider

    binary = _rust_binary()
    if binary is None:
        raise RuntimeError("the Rust data server is not installed")
    tmp = tempfile.mkdtemp(prefix="curvecheck-rustboard-")
    port_file = os.path.join(tmp, "port")
    error_file = os.path.join(tmp, "error")
    log_path = os.path.join(tmp, "server.log")
    log_file = open(log_path, "wb")  # a pipe nobody drains would block the server
    args = [
        binary,
        "--logdir=%s" % path,
        "--reload=once",
        "--samples-per-plugin=%s=all,%s=all" % (SCALARS_PLUGIN, HISTOGRAMS_PLUGIN),
        "--port=0",
        "--port-file=%s" % port_file,
        "--error-file=%s" % error_file,
        "--die-after-stdin",
        "--verbose",
    ]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=log_file, stderr=log_file)
    channel = None
    try:
        port = None
        deadline = time.monotonic() + RUST_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                msg = _read_text(error_file) or "exited with status %d" % proc.returncode
                raise RuntimeError("data server failed: %s" % msg.strip())
            text = _read_text(port_file)
            if text and text.endswith("\n"):
                port = int(text)
                break
            time.sleep(0.02)
        if port is None:
            raise RuntimeError("data server did not open its port")
        # It serves before its first load completes; wait for the log line
        # that marks the end of the first (and only) load cycle.
        deadline = time.monotonic() + RUST_LOAD_TIMEOUT_S
        shown = time.monotonic() + 1.0
        while True:
            if b"Finished load cycle" in (_read_bytes(log_path) or b""):
                break
            if proc.poll() is not None:
                raise RuntimeError("data server exited while loading (status %d)" % proc.returncode)
            if time.monotonic() > deadline:
                raise RuntimeError("data server did not finish loading in time")
            if progress is not None and time.monotonic() > shown:
                progress("loading %s with TensorBoard's data server..." % path)
                shown = time.monotonic() + 5.0
            time.sleep(0.02)
        channel = grpc.insecure_channel(
            "localhost:%d" % port,
            options=[("grpc.max_receive_message_length", 1 << 30)],
        )
        stub = grpc_provider.make_stub(channel)
        yield grpc_provider.GrpcDataProvider("localhost:%d" % port, stub)
    finally:
        if channel is not None:
            channel.close()
        try:
            proc.stdin.close()
        except Exception:  # noqa: BLE001
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log_file.close()
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def _python_provider(path: str, progress: Optional[ProgressFn]) -> Iterator[object]:
    from tensorboard.backend.event_processing import data_provider as tb_data_provider
    from tensorboard.backend.event_processing import event_accumulator as ea
    from tensorboard.backend.event_processing import plugin_event_multiplexer as pem

    keep_all = {
        ea.COMPRESSED_HISTOGRAMS: 1,
        ea.IMAGES: 1,
        ea.AUDIO: 1,
        ea.SCALARS: 0,
        ea.HISTOGRAMS: 0,
        ea.TENSORS: 0,
    }
    multiplexer = pem.EventMultiplexer(
        size_guidance=keep_all,
        tensor_size_guidance={SCALARS_PLUGIN: 0, HISTOGRAMS_PLUGIN: 0},
    )
    multiplexer.AddRunsFromDirectory(path)
    if progress is None:
        multiplexer.Reload()
    else:
        # Reload gives no progress of its own: report from beside it.
        import threading

        failure: List[BaseException] = []

        def reload() -> None:
            try:
                multiplexer.Reload()
            except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
                failure.append(e)

        worker = threading.Thread(target=reload, name="curvecheck-reload", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(timeout=2.0)
            if worker.is_alive():
                progress("loading %d runs from %s with TensorBoard's Python loader..."
                         % (len(multiplexer.Runs()), path))
        if failure:
            raise failure[0]
    yield tb_data_provider.MultiplexerDataProvider(multiplexer, path)


def _read_text(path: str) -> Optional[str]:
    b = _read_bytes(path)
    return b.decode("utf-8", "replace") if b is not None else None


def _read_bytes(path: str) -> Optional[bytes]:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


@contextlib.contextmanager
def open_logdir(
    logdir: str, loader: str = "auto", progress: Optional[ProgressFn] = None
) -> Iterator[Tuple[object, object, str]]:
    """Yields `(provider, ctx, experiment_id)` over a logdir, every point kept.

    loader: "rust" (TensorBoard's data server), "python" (TensorBoard's
    EventMultiplexer) or "auto" (Rust when installed and working).
    """
    from tensorboard import context as tb_context

    if loader not in ("auto", "rust", "python"):
        raise ValueError("loader must be auto, rust or python")
    path = _check_logdir(logdir)
    ctx = tb_context.RequestContext()
    with contextlib.ExitStack() as stack:
        provider = None
        if loader == "rust" or (loader == "auto" and _rust_binary() is not None):
            try:
                provider = stack.enter_context(_rust_provider(path, progress))
            except Exception as e:  # noqa: BLE001
                if loader == "rust":
                    raise LogdirError("could not start TensorBoard's data server: %s" % e) from e
                logger.info("Rust data server unavailable (%s); using the Python loader", e)
        if provider is None:
            provider = stack.enter_context(_python_provider(path, progress))
        yield provider, ctx, ""


def read_logdir(
    logdir: str, loader: str = "auto", progress: Optional[ProgressFn] = None
) -> LogdirData:
    """Every scalar and histogram series under `logdir`, at full resolution."""
    with open_logdir(logdir, loader=loader, progress=progress) as (provider, ctx, eid):
        data = read_provider(provider, ctx, eid)
    if not data.runs:
        data.notes.append("no TensorBoard event files found under %s" % logdir)
    return data
