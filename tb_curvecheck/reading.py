"""From TensorBoard's data provider to model series.

This is the only module that knows TensorBoard's data API.  Inside TensorBoard
the plugin hands us TensorBoard's own provider; the CLI and the Python API
open one over a logdir themselves (`open_logdir`): the Rust data server when
its binary is installed, TensorBoard's Python loader otherwise, both keeping
every point.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import logging
import os
import shutil
import subprocess
import tempfile
import time
from typing import Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from .model import HistogramSeries, LogData, ScalarSeries

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


# The input of the analysis; reading fills it.
LogdirData = LogData

SeriesKey = Tuple[str, str]  # (tag, "scalar" | "histogram")
Fingerprint = Tuple[Optional[int], Optional[float]]


@dataclasses.dataclass
class SeriesIndex:
    """Every scalar and histogram series TensorBoard lists, without points.

    Each series has a fingerprint (a step and a wall time) that changes
    whenever the series grows: both loaders always keep a series' newest
    point, and wall times only move forward.  A run that could not be listed
    is in `failures` with the reason; the others are listed as usual.
    """

    runs: List[str]
    series: Dict[str, Dict[SeriesKey, Fingerprint]]
    failures: Dict[str, str] = dataclasses.field(default_factory=dict)

    def keys(self, run: str) -> Dict[SeriesKey, Fingerprint]:
        return self.series.get(run, {})

    def tags(self, run: str, kind: Optional[str] = None) -> List[str]:
        return sorted(t for t, k in self.keys(run) if kind is None or k == kind)

    def fingerprint(self, run: str) -> Tuple:
        """Changes whenever one of the run's series grows, appears or vanishes."""
        return tuple(sorted(self.keys(run).items())) + ((self.failures[run],) if run in self.failures else ())


def loader_kind(provider) -> str:
    """ "rust" for TensorBoard's data server (RustBoard), "python" otherwise."""
    from tensorboard.data import grpc_provider

    return "rust" if isinstance(provider, grpc_provider.GrpcDataProvider) else "python"


def serves_one_logdir(provider) -> bool:
    """True for TensorBoard's own providers over `--logdir` (the data server
    and the Python multiplexer): they answer every experiment id with the
    same data, so what is read for one id holds for all."""
    from tensorboard.backend.event_processing import data_provider as mux_provider
    from tensorboard.data import grpc_provider

    return isinstance(provider, (grpc_provider.GrpcDataProvider, mux_provider.MultiplexerDataProvider))


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


def _reason(e: BaseException) -> str:
    return str(e) or type(e).__name__


def _per_run(call: Callable, runs: Sequence[str]) -> Tuple[Dict, Dict[str, str]]:
    """`call(run_tag_filter)` for all `runs` at once; when that fails, run by
    run, so that one run TensorBoard cannot list costs only itself."""
    try:
        return call(_runs_filter(runs)), {}
    except Exception as e:  # noqa: BLE001 - isolated run by run below
        logger.info("listing all runs failed (%s); listing run by run", e)
    out: Dict = {}
    errors: Dict[str, str] = {}
    for run in runs:
        try:
            out.update(call(_runs_filter([run])))
        except Exception as e:  # noqa: BLE001 - reported as this run's failure
            errors[run] = "could not be listed: %s" % _reason(e)
    return out, errors


_lister: Optional[concurrent.futures.ThreadPoolExecutor] = None


def _forget_lister() -> None:
    # A forked child inherits the pool without its threads: it would wait forever.
    global _lister
    _lister = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_lister)


def _background(fn: Callable, *args, **kwargs) -> concurrent.futures.Future:
    global _lister
    if _lister is None:
        _lister = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="curvecheck-list")
    return _lister.submit(fn, *args, **kwargs)


def list_runs(provider, ctx, experiment_id: str) -> List[str]:
    return sorted(r.run_name for r in provider.list_runs(ctx, experiment_id=experiment_id))


def list_series(provider, ctx, experiment_id: str, runs: Optional[Iterable[str]] = None) -> SeriesIndex:
    """The index of every scalar and histogram series of `runs` (all when
    None), each with its fingerprint, at the lowest price TensorBoard offers.

    Scalars come from the last datum of each series: O(1) per series in the
    Python loader, where `list_scalars` scans every kept point (about 1 ms
    per 1000 points), and about the same as `list_scalars` in RustBoard.  The
    Python loader cannot give the last datum of a series that is not a
    scalar (a vector under the `scalars` plugin): then `list_scalars`, which
    reads no values, lists them all.  Histograms have no cheaper call than
    `list_tensors`.  The three calls go to TensorBoard side by side.

    Raises LogdirError when TensorBoard cannot list the runs at all.
    """
    eid = experiment_id
    runs_future = _background(list_runs, provider, ctx, eid)
    wanted = None if runs is None else sorted(set(runs))

    def histograms(rtf):
        return provider.list_tensors(ctx, experiment_id=eid, plugin_name=HISTOGRAMS_PLUGIN, run_tag_filter=rtf)

    def last_scalars(rtf):
        return provider.read_last_scalars(ctx, experiment_id=eid, plugin_name=SCALARS_PLUGIN, run_tag_filter=rtf)

    def scalar_listing(rtf):
        return provider.list_scalars(ctx, experiment_id=eid, plugin_name=SCALARS_PLUGIN, run_tag_filter=rtf)

    hist_future = _background(histograms, _runs_filter(wanted))
    series: Dict[str, Dict[SeriesKey, Fingerprint]] = {}
    try:
        last = last_scalars(_runs_filter(wanted))
        for run, tags in last.items():
            for tag, datum in tags.items():
                series.setdefault(run, {})[(tag, "scalar")] = (int(datum.step), float(datum.wall_time))
        last_failed = False
    except Exception as e:  # noqa: BLE001 - listed another way below
        logger.info("last scalars could not be read (%s); listing scalars instead", e)
        last_failed = True
    try:
        all_runs = runs_future.result()
    except Exception as e:  # noqa: BLE001
        hist_future.cancel()
        raise LogdirError("TensorBoard could not list the runs: %s" % _reason(e)) from e
    if wanted is not None:
        keep = set(wanted)
        all_runs = [r for r in all_runs if r in keep]
    failures: Dict[str, str] = {}
    if last_failed:
        listing, failures = _per_run(scalar_listing, all_runs)
        for run, tags in listing.items():
            for tag, ts in tags.items():
                series.setdefault(run, {})[(tag, "scalar")] = (ts.max_step, ts.max_wall_time)
    try:
        hists, hist_failures = hist_future.result(), {}
    except Exception as e:  # noqa: BLE001 - isolated run by run
        logger.info("histograms could not be listed (%s); listing run by run", e)
        hists, hist_failures = _per_run(histograms, all_runs)
    for run, reason in hist_failures.items():
        failures.setdefault(run, reason)
    for run, tags in hists.items():
        for tag, ts in tags.items():
            series.setdefault(run, {})[(tag, "histogram")] = (ts.max_step, ts.max_wall_time)
    listed = set(all_runs)
    series = {r: keys for r, keys in series.items() if r in listed}
    return SeriesIndex(runs=all_runs, series=series, failures=failures)


def _preempted(steps: np.ndarray) -> Tuple[np.ndarray, int]:
    """Indices of the points kept when a point whose step is not above the
    last kept one drops every kept point at or after its step, and how many
    times that happened.

    This is what RustBoard does while loading (and what the Python loader
    does for a restart it can see), so a series reads the same on both
    loaders however its steps went back: a resumed run, out-of-order writes,
    a step logged twice.  Only a step below the last kept one counts as going
    back: Lightning writes its `epoch` counter twice at each validation step
    (with the training and with the validation metrics), which is no restart.
    """
    n = steps.shape[0]
    if n < 2 or bool(np.all(steps[1:] > steps[:-1])):
        return np.arange(n), 0
    kept: List[int] = []
    backs = 0
    for i, step in enumerate(steps.tolist()):
        if kept and steps[kept[-1]] >= step:
            backs += int(steps[kept[-1]] > step)
            while kept and steps[kept[-1]] >= step:
                kept.pop()
        kept.append(i)
    return np.asarray(kept, dtype=np.int64), backs


# What a scalar point's value may be: the Python loader hands over whatever
# the tensor held (bytes for DT_STRING, bool for DT_BOOL); RustBoard drops
# those points itself.
_NUMBER_TYPES = (float, int)


def _kept_series(steps: np.ndarray, values: np.ndarray, walls: np.ndarray, limit: Optional[int]) -> ScalarSeries:
    """The points TensorBoard keeps of a scalar series (`_preempted`), with the values a restart
    overwrote kept beside them (`ScalarSeries.superseded`)."""
    n = steps.shape[0]
    idx, backs = _preempted(steps)
    if not backs:
        return ScalarSeries.from_points(steps, values, walls, sampled=_sampled(n, limit))
    series = ScalarSeries.from_points(steps[idx], values[idx], walls[idx], sampled=_sampled(n, limit))
    return dataclasses.replace(series, restarts=backs, superseded=np.delete(values, idx))


def _sampled(n: int, limit: Optional[int]) -> bool:
    return bool(limit is not None and limit > 0 and n >= limit)


def _scalar_series(data: Sequence, limit: Optional[int]) -> ScalarSeries:
    n = len(data)
    values_raw = [d.value for d in data]
    odd = {t for t in set(map(type, values_raw)) if not (t in _NUMBER_TYPES or issubclass(t, np.number))}
    if odd:
        raise ValueError("holds %s values, not numbers" % ", ".join(sorted(t.__name__ for t in odd)))
    steps = np.fromiter((d.step for d in data), dtype=np.int64, count=n)
    values = np.asarray(values_raw, dtype=np.float64).reshape(-1)
    walls = np.fromiter((d.wall_time for d in data), dtype=np.float64, count=n)
    return _kept_series(steps, values, walls, limit)


def _histogram_series(data: Sequence, limit: Optional[int]) -> HistogramSeries:
    n = len(data)
    steps = np.fromiter((d.step for d in data), dtype=np.int64, count=n)
    walls = np.fromiter((d.wall_time for d in data), dtype=np.float64, count=n)
    raw = [np.asarray(d.numpy) for d in data]
    for a in raw:
        if not (np.issubdtype(a.dtype, np.number) and not np.issubdtype(a.dtype, np.bool_)):
            raise ValueError("holds %s values, not numbers" % a.dtype)
    buckets = [a.astype(np.float64) for a in raw]
    idx, backs = _preempted(steps)
    if backs:
        steps, walls = steps[idx], walls[idx]
        buckets = [buckets[i] for i in idx.tolist()]
    series = HistogramSeries.from_points(steps, buckets, walls, sampled=_sampled(n, limit))
    return dataclasses.replace(series, restarts=backs) if backs else series


def _read_isolated(
    read: Callable,
    convert: Callable,
    ctx,
    experiment_id: str,
    plugin_name: str,
    runs_to_tags: Mapping[str, Iterable[str]],
    limit: Optional[int],
) -> Tuple[Dict[str, Dict[str, object]], Dict[str, List[str]]]:
    """Reads all runs in one request; when that fails, run by run, and a run
    that fails, tag by tag: one unreadable series costs only itself.

    Returns the series and, per run, why each series it lacks was skipped.
    """
    result: Dict[str, Dict[str, object]] = {}
    errors: Dict[str, List[str]] = {}
    if not runs_to_tags:
        return result, errors

    def read_some(wanted: Mapping[str, Iterable[str]]):
        return read(
            ctx, experiment_id=experiment_id, plugin_name=plugin_name, downsample=KEEP_ALL, run_tag_filter=_rtf(wanted)
        )

    def failed(run: str, what: str, e: BaseException) -> None:
        errors.setdefault(run, []).append("could not read %s %s: %s" % (plugin_name, what, _reason(e)))

    try:
        batches = [read_some(runs_to_tags)]
    except Exception as e:  # noqa: BLE001 - any loader failure is isolated below
        logger.info("batched read failed (%s); reading run by run", e)
        batches = []
        for run, tags in runs_to_tags.items():
            tags = list(tags)
            try:
                batches.append(read_some({run: tags}))
                continue
            except Exception as e2:  # noqa: BLE001
                if len(tags) == 1:
                    failed(run, repr(tags[0]), e2)
                    continue
            for tag in tags:
                try:
                    batches.append(read_some({run: [tag]}))
                except Exception as e3:  # noqa: BLE001
                    failed(run, repr(tag), e3)
    for raw in batches:
        for run, tags in raw.items():
            wanted = set(runs_to_tags.get(run, ()))
            for tag, data in tags.items():
                if tag not in wanted:
                    continue
                try:
                    result.setdefault(run, {})[tag] = convert(data, limit)
                except Exception as e:  # noqa: BLE001 - a malformed series must not sink the run
                    errors.setdefault(run, []).append("could not decode %r: %s" % (tag, _reason(e)))
    return result, errors


@dataclasses.dataclass
class _Columns:
    """A scalar series as the data server sends it: three columns."""

    steps: np.ndarray
    wall_times: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return int(self.steps.shape[0])


def _columns_reader(provider) -> Optional[Callable]:
    """For TensorBoard's data server, `read_scalars` that keeps the columns
    of its gRPC answer as numpy arrays rather than building a Python object
    per point (TensorBoard's GrpcDataProvider does; that cost ~3 us a point,
    most of a scan's reading time).  None for any other provider."""
    stub = getattr(provider, "_stub", None)
    if stub is None or loader_kind(provider) != "rust":
        return None
    from tensorboard.data.proto import data_provider_pb2

    def read(ctx, experiment_id, plugin_name, downsample, run_tag_filter):
        req = data_provider_pb2.ReadScalarsRequest()
        req.experiment_id = experiment_id
        req.plugin_filter.plugin_name = plugin_name
        if run_tag_filter is not None:
            if run_tag_filter.runs is not None:
                req.run_tag_filter.runs.names[:] = sorted(run_tag_filter.runs)
            if run_tag_filter.tags is not None:
                req.run_tag_filter.tags.names[:] = sorted(run_tag_filter.tags)
        req.downsample.num_points = downsample
        res = stub.ReadScalars(req)
        out: Dict[str, Dict[str, _Columns]] = {}
        for run_entry in res.runs:
            tags = out.setdefault(run_entry.run_name, {})
            for tag_entry in run_entry.tags:
                d = tag_entry.data
                tags[tag_entry.tag_name] = _Columns(
                    steps=np.asarray(d.step, dtype=np.int64),
                    wall_times=np.asarray(d.wall_time, dtype=np.float64),
                    values=np.asarray(d.value, dtype=np.float64),
                )
        return out

    return read


def _scalar_columns(data: _Columns, limit: Optional[int]) -> ScalarSeries:
    return _kept_series(data.steps, data.values, data.wall_times, limit)


def read_scalars(
    provider,
    ctx,
    experiment_id: str,
    runs_to_tags: Mapping[str, Iterable[str]],
    sample_limit: Optional[int] = None,
) -> Tuple[Dict[str, Dict[str, ScalarSeries]], Dict[str, List[str]]]:
    """Every kept point of the given scalar series, and per run the reasons
    of the series that could not be read.

    `sample_limit` is the loader's retention for scalars, when known: a series
    holding that many points is marked `sampled`.
    """
    columns = _columns_reader(provider)
    if columns is not None:
        return _read_isolated(columns, _scalar_columns, ctx, experiment_id, SCALARS_PLUGIN, runs_to_tags, sample_limit)
    return _read_isolated(
        provider.read_scalars,
        _scalar_series,
        ctx,
        experiment_id,
        SCALARS_PLUGIN,
        runs_to_tags,
        sample_limit,
    )


def read_histograms(
    provider,
    ctx,
    experiment_id: str,
    runs_to_tags: Mapping[str, Iterable[str]],
    sample_limit: Optional[int] = None,
) -> Tuple[Dict[str, Dict[str, HistogramSeries]], Dict[str, List[str]]]:
    return _read_isolated(
        provider.read_tensors,
        _histogram_series,
        ctx,
        experiment_id,
        HISTOGRAMS_PLUGIN,
        runs_to_tags,
        sample_limit,
    )


def read_series(
    provider,
    ctx,
    experiment_id: str,
    index: SeriesIndex,
    runs: Optional[Iterable[str]] = None,
    sample_limits: Optional[Mapping[str, int]] = None,
    only: Optional[Mapping[str, Iterable[SeriesKey]]] = None,
) -> LogData:
    """The points of the listed series of `runs` (all listed runs when None),
    as analysis input.  `only` narrows the read to some series per run (a
    cache reading what changed).

    A run or series that cannot be read is in `run_errors`, with every
    reason; every other series is read.  Empty series are left out.
    """
    limits = dict(sample_limits or {})
    chosen = list(index.runs) if runs is None else [r for r in index.runs if r in set(runs)]
    wanted: Dict[str, Dict[str, List[str]]] = {"scalar": {}, "histogram": {}}
    for run in chosen:
        keys = index.keys(run) if only is None else only.get(run, ())
        for tag, kind in keys:
            wanted[kind].setdefault(run, []).append(tag)
    scalars, errs1 = read_scalars(provider, ctx, experiment_id, wanted["scalar"], limits.get("scalars"))
    hists, errs2 = read_histograms(provider, ctx, experiment_id, wanted["histogram"], limits.get("histograms"))
    data = LogData(runs=chosen)
    for run in chosen:
        reasons = [index.failures[run]] if run in index.failures else []
        reasons += errs1.get(run, []) + errs2.get(run, [])
        if reasons:
            data.run_errors[run] = "; ".join(reasons)
    for run, tags in scalars.items():
        kept = {t: s for t, s in tags.items() if len(s)}
        if kept:
            data.scalars[run] = kept
    for run, tags in hists.items():
        kept = {t: s for t, s in tags.items() if len(s)}
        if kept:
            data.histograms[run] = kept
    return data


def series_notes(data: LogData) -> List[str]:
    """What a reader should know of `data` beyond its errors: runs without
    series, series whose steps went back."""
    notes = []
    for run in data.runs:
        if run not in data.scalars and run not in data.histograms and run not in data.run_errors:
            notes.append("run %r has no scalar or histogram data; skipped" % run)
    for run, tags in sorted(data.scalars.items()):
        restarted = sorted(t for t, s in tags.items() if s.restarts)
        if restarted:
            notes.append(
                "run %r was restarted (steps went back in %s): the newest value per step is used"
                % (run, ", ".join(restarted))
            )
    return notes


# TensorBoard's HParams plugin keeps each session's values in the metadata of
# this tag, in the run the session was written to.
_HPARAMS_PLUGIN = "hparams"
_SESSION_START_TAG = "_hparams_/session_start_info"

HParamValue = Union[float, str, bool]


def _hparam_value(value) -> Optional[HParamValue]:
    """A `google.protobuf.Value` as a plain Python value (None when empty)."""
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        return float(value.number_value)
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return bool(value.bool_value)
    return None


def read_hparams(
    provider, ctx, experiment_id: str, runs: Optional[Iterable[str]] = None
) -> Tuple[Dict[str, Dict[str, HParamValue]], Dict[str, str]]:
    """The hyperparameters TensorBoard's HParams plugin holds per run (the run
    a session's `hparams` summary was written to: Keras' `hp.KerasCallback`,
    `hp.hparams`, Lightning's and tensorboardX's `add_hparams`), read through
    the data provider, and the runs whose record could not be parsed."""
    from tensorboard.plugins.hparams import metadata as hp_metadata

    def listing_of(rtf):
        return provider.list_tensors(ctx, experiment_id=experiment_id, plugin_name=_HPARAMS_PLUGIN, run_tag_filter=rtf)

    try:
        wanted = sorted(runs) if runs is not None else list_runs(provider, ctx, experiment_id)
        listing, _unlisted = _per_run(listing_of, wanted)
    except Exception as e:  # noqa: BLE001 - hyperparameters are an extra, never a failure
        logger.info("hyperparameters could not be listed: %s", e)
        return {}, {}
    errors: Dict[str, str] = {}
    out: Dict[str, Dict[str, HParamValue]] = {}
    for run, tags in listing.items():
        meta = tags.get(_SESSION_START_TAG)
        if meta is None:
            continue
        try:
            info = hp_metadata.parse_session_start_info_plugin_data(meta.plugin_content)
        except Exception as e:  # noqa: BLE001 - a damaged record costs only its run's hyperparameters
            errors[run] = "hyperparameters unreadable: %s" % _reason(e)
            continue
        values = {name: _hparam_value(v) for name, v in info.hparams.items()}
        out[run] = {k: v for k, v in values.items() if v is not None}
    return out, errors


def read_provider(
    provider,
    ctx,
    experiment_id: str,
    runs: Optional[Iterable[str]] = None,
    sample_limits: Optional[Mapping[str, int]] = None,
) -> LogData:
    """Everything CurveCheck analyses of `runs` (all when None), from any
    TensorBoard data provider.  Reading a logdir in batches of runs is
    calling this once per batch."""
    index = list_series(provider, ctx, experiment_id, runs=runs)
    data = read_series(provider, ctx, experiment_id, index, sample_limits=sample_limits)
    data.hparams, hp_errors = read_hparams(provider, ctx, experiment_id, runs=runs)
    data.notes.extend(series_notes(data))
    data.notes.extend("run %r: %s" % (run, why) for run, why in sorted(hp_errors.items()))
    return data


# --- opening a logdir ourselves (CLI, Python API) --------------------------


def is_url(logdir: str) -> bool:
    """A logdir in object storage (`gs://bucket/x`, `s3://bucket/x`, ...):
    handed to TensorBoard's data server or file systems as it is."""
    scheme, sep, _rest = logdir.partition("://")
    return bool(sep) and scheme.isalnum()


def _check_logdir(logdir: str) -> str:
    if is_url(logdir):
        # Only TensorBoard's own file systems know whether it exists; they
        # say so when opened (see open_logdir).
        return logdir
    path = os.path.abspath(os.path.expanduser(logdir))
    if not os.path.exists(path):
        raise LogdirError("logdir %s does not exist" % logdir)
    if not os.path.isdir(path):
        raise LogdirError("logdir %s is not a directory" % logdir)
    if not os.access(path, os.R_OK | os.X_OK):
        raise LogdirError("logdir %s is not readable" % logdir)
    return path


def check_logdir(logdir: str) -> str:
    """The logdir as its loaders take it: an absolute path checked to be a
    readable directory, or an object-store URL as given.  Raises LogdirError."""
    return _check_logdir(logdir)


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
                progress(
                    "loading %d runs from %s with TensorBoard's Python loader..." % (len(multiplexer.Runs()), path)
                )
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
        rust_failure = None
        if loader == "rust" or (loader == "auto" and _rust_binary() is not None):
            try:
                provider = stack.enter_context(_rust_provider(path, progress))
            except Exception as e:  # noqa: BLE001
                if loader == "rust":
                    raise LogdirError("could not start TensorBoard's data server: %s" % e) from e
                rust_failure = _reason(e)
                logger.info("Rust data server unavailable (%s); using the Python loader", e)
        if provider is None:
            try:
                provider = stack.enter_context(_python_provider(path, progress))
            except Exception as e:  # noqa: BLE001 - an object-store URL TensorBoard cannot open
                if not is_url(path):
                    raise
                why = "TensorBoard's Python loader: %s" % _reason(e)
                if rust_failure:
                    why = "TensorBoard's data server: %s; %s" % (rust_failure, why)
                raise LogdirError(
                    "logdir %s could not be read (%s). TensorBoard reads gs:// with its data server; "
                    "s3:// needs its Python loader with boto3 installed (or TensorFlow with "
                    "tensorflow-io)" % (logdir, why)
                ) from e
        yield provider, ctx, ""


def source_of(logdir: str) -> str:
    """`LogData.source` for a logdir: a local path made absolute (so `.` keeps its name), a URL as is."""
    return logdir if "://" in logdir else os.path.abspath(logdir)


def read_logdir(logdir: str, loader: str = "auto", progress: Optional[ProgressFn] = None) -> LogdirData:
    """Every scalar and histogram series under `logdir`, at full resolution."""
    with open_logdir(logdir, loader=loader, progress=progress) as (provider, ctx, eid):
        data = read_provider(provider, ctx, eid)
    data.source = source_of(logdir)
    if not data.runs:
        data.notes.append("no TensorBoard event files found under %s" % logdir)
    return data
