"""Scanning a logdir of any size: batches of experiments, on every core.

A batch is a few whole experiments (train and validation of one run never
split), bounded by the bytes of their event files.  Each batch is read by
its own TensorBoard data server started on a directory of links to the
batch's event files, analysed, and released before the next one, so the
peak memory of a scan (the data server included: it keeps every point it
loaded) follows the largest batch, not the logdir.  Batches run in worker
processes (`jobs`, 2 by default) or on any `concurrent.futures` executor,
such as a Dask cluster's (`distributed.py`); their findings come out as
each batch finishes.

A logdir in object storage (`gs://`, `s3://`) cannot be linked: one data
server (or TensorBoard's Python loader) reads it for the whole scan, batch
by batch, and the workers analyse.

The merged result equals one `analysis.pipeline.analyze` over the whole
logdir: findings per experiment do not depend on other experiments, and the
sweep report is computed at the end from each experiment's small summary
(name, runs, logged hyperparameters) and the findings.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import logging
import multiprocessing
import os
import shutil
import sys
import tempfile
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

from . import reading
from .analysis import pipeline, siblings
from .analysis.grouping import experiment_name, experiment_runs
from .analysis.roles import SPLIT_WORDS, _tokens
from .model import Experiment, Finding, LogData, RunStatus

logger = logging.getLogger(__name__)

DEFAULT_JOBS = 2
# Event-file bytes per batch.  A scalar point costs ~20 B on disk, ~100 B in
# the data server and ~200 B while the client converts it, so 16 MB of
# events (~0.8 M points) peak near 250 MB per worker: two workers stay well
# under 1 GB whatever the logdir's size, and a batch still amortises its
# data server's start (~30 ms) over ~0.8 M points.
DEFAULT_BATCH_BYTES = 16 << 20

# "per-batch": a data server per batch on links to its event files (bounded
# memory); "shared": one for the whole scan (object storage, or on request).
DATA_SERVER_MODES = ("per-batch", "shared")


# --- planning ----------------------------------------------------------------


def _is_event_file(name: str) -> bool:
    # The glob TensorBoard's loaders use (`*tfevents*`).
    return "tfevents" in name


def list_event_runs(logdir: str) -> Dict[str, int]:
    """run name -> bytes of its event files: every directory under `logdir`
    holding an event file is a run, named by its path (the root is "."), as
    TensorBoard names them.  Lists names and sizes; reads no event."""
    root = os.path.abspath(os.path.expanduser(logdir))
    runs: Dict[str, int] = {}
    for here, dirs, files in os.walk(root, followlinks=True):
        dirs.sort()
        events = [f for f in files if _is_event_file(f)]
        if not events:
            continue
        size = 0
        for f in events:
            try:
                size += os.path.getsize(os.path.join(here, f))
            except OSError:
                pass  # vanished or unreadable: the data server reports it
        rel = os.path.relpath(here, root)
        runs["." if rel == os.curdir else rel.replace(os.sep, "/")] = size
    return runs


def _parent(run: str) -> str:
    return run.rsplit("/", 1)[0] if "/" in run else "."


class _Union:
    def __init__(self) -> None:
        self.up: Dict[str, str] = {}

    def find(self, x: str) -> str:
        self.up.setdefault(x, x)
        while self.up[x] != x:
            self.up[x] = self.up[self.up[x]]
            x = self.up[x]
        return x

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.up[max(ra, rb)] = min(ra, rb)


@dataclasses.dataclass(frozen=True)
class Batch:
    """Whole experiments to read and analyse together."""

    logdir: str
    runs: Tuple[str, ...]
    # Every experiment name the runs may take once their tags are known: a
    # run whose exact experiment is not among them may have partners in
    # another batch and is analysed at the end instead (`deferred`).
    names: frozenset = frozenset()
    final: bool = False


def plan_units(runs: Iterable[str]) -> List[Tuple[Tuple[str, ...], frozenset]]:
    """The runs in groups that no experiment crosses, from names only.

    `grouping.experiment_name` needs a run's tags in two cases (PyTorch's
    and tensorboardX's `add_scalars` runs); both are covered by joining a
    run with every name it may take.  A run is also joined with the nearest
    run above it (not the logdir's root): hyperparameters are looked up in
    parent runs and in `add_hparams`' sub-runs.
    """
    runs = sorted(set(runs))
    present = set(runs)
    u = _Union()
    for run in runs:
        u.find(run)
        last = run.split("/")[-1]
        toks = _tokens(last)
        if last.lower() in SPLIT_WORDS:
            u.join(run, _parent(run))
            grand = _parent(_parent(run)) if _parent(run) != "." else None
            if grand is not None and grand in present:
                u.join(run, grand)
        elif len(toks) > 1 and toks[-1] in SPLIT_WORDS:
            u.join(run, _parent(run))
        up = _parent(run)
        while up != ".":
            if up in present:
                u.join(run, up)
                break
            up = _parent(up)
        u.join(run, experiment_name(run))
    groups: Dict[str, Set[str]] = {}
    for node in list(u.up):
        groups.setdefault(u.find(node), set()).add(node)
    out = []
    for nodes in groups.values():
        members = tuple(sorted(n for n in nodes if n in present))
        if members:
            out.append((members, frozenset(nodes)))
    return sorted(out)


def plan_batches(logdir: str, sizes: Mapping[str, int], batch_bytes: int = DEFAULT_BATCH_BYTES) -> List[Batch]:
    """Units packed in name order into batches of about `batch_bytes` (a
    unit larger than that is a batch of its own)."""
    batches: List[Batch] = []
    runs: List[str] = []
    names: Set[str] = set()
    size = 0
    for members, nodes in plan_units(sizes):
        unit = sum(sizes[r] for r in members)
        if runs and size + unit > batch_bytes:
            batches.append(Batch(logdir, tuple(runs), frozenset(names)))
            runs, names, size = [], set(), 0
        runs.extend(members)
        names |= nodes
        size += unit
    if runs:
        batches.append(Batch(logdir, tuple(runs), frozenset(names)))
    return batches


# --- one batch -----------------------------------------------------------------


@dataclasses.dataclass
class BatchResult:
    """What a batch leaves once its series are released: findings, notes,
    run statuses and each experiment's small summary for the sweep report."""

    runs: List[str]
    findings: List[Finding]
    notes: List[str]
    run_errors: Dict[str, str]
    statuses: Dict[str, RunStatus]
    series_count: int
    # experiment name -> (its runs, its logged hyperparameters)
    experiments: Dict[str, Tuple[Tuple[str, ...], Dict[str, object]]]
    deferred: Tuple[str, ...] = ()
    # Each compared series' levels, so runs of different batches are still compared (`siblings`).
    levels: List[siblings.LevelCurve] = dataclasses.field(default_factory=list)


@contextlib.contextmanager
def _linked(logdir: str, runs: Sequence[str]) -> Iterator[str]:
    """A temporary logdir holding links to `runs`' event files (only theirs,
    not those of runs below them), under the same run names."""
    root = os.path.abspath(os.path.expanduser(logdir))
    tmp = tempfile.mkdtemp(prefix="curvecheck-batch-")
    try:
        for run in runs:
            src = root if run == "." else os.path.join(root, *run.split("/"))
            dst = tmp if run == "." else os.path.join(tmp, *run.split("/"))
            os.makedirs(dst, exist_ok=True)
            try:
                names = sorted(os.listdir(src))
            except OSError:
                continue  # gone since the listing: the run reads as empty
            for name in names:
                if _is_event_file(name) and os.path.isfile(os.path.join(src, name)):
                    os.symlink(os.path.join(src, name), os.path.join(dst, name))
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _subset(data: LogData, runs: Set[str]) -> LogData:
    return dataclasses.replace(
        data,
        runs=[r for r in data.runs if r in runs],
        scalars={r: t for r, t in data.scalars.items() if r in runs},
        histograms={r: t for r, t in data.histograms.items() if r in runs},
        run_errors={r: e for r, e in data.run_errors.items() if r in runs},
        notes=[n for n in data.notes if not any(repr(r) in n for r in set(data.runs) - runs)],
    )


def analyse_data(data: LogData, hparams_from_names: bool = True, names: Optional[frozenset] = None) -> BatchResult:
    """The analysis of one batch's data, reduced to what outlives it.

    With `names`, the runs of an experiment whose name is not among them
    are not analysed here but returned as `deferred`.
    """
    deferred: Tuple[str, ...] = ()
    if names is not None:
        tags = {r: list(data.scalars.get(r, {})) + list(data.histograms.get(r, {})) for r in data.all_runs()}
        stray = sorted(r for exp, members in experiment_runs(tags).items() if exp not in names for r in members)
        if stray:
            deferred = tuple(stray)
            data = _subset(data, set(data.all_runs()) - set(stray))
    result = pipeline.analyze(data, hparams_from_names=hparams_from_names)
    experiments = {
        exp.name: (tuple(exp.runs), pipeline.experiment_hparams(exp, data.hparams)) for exp in result.experiments
    }
    return BatchResult(
        runs=list(data.all_runs()),
        findings=result.findings,
        notes=result.notes,
        run_errors=result.run_errors,
        statuses=result.statuses,
        series_count=data.series_count(),
        experiments=experiments,
        deferred=deferred,
        levels=result.levels,
    )


def scan_batch(batch: Batch, loader: str = "auto", hparams_from_names: bool = True) -> BatchResult:
    """Reads one batch with a data server of its own and analyses it.

    Runs in a worker process (or a Dask worker): imports stay inside.
    """
    with _linked(batch.logdir, batch.runs) as path:
        with reading.open_logdir(path, loader=loader) as (provider, ctx, eid):
            data = reading.read_provider(provider, ctx, eid)
    data.source = reading.source_of(batch.logdir)
    return analyse_data(data, hparams_from_names, None if batch.final else batch.names)


def _raise(e: BaseException):
    raise e


def _failed_batch(runs: Sequence[str], e: BaseException) -> BatchResult:
    why = "its batch could not be scanned: %s" % (str(e) or type(e).__name__)
    return BatchResult(
        runs=list(runs),
        findings=[],
        notes=[],
        run_errors={r: why for r in runs},
        statuses={
            r: RunStatus(run=r, status="failed", reason=why, sampled=False, scalar_series=0, histogram_series=0)
            for r in runs
        },
        series_count=0,
        experiments={},
    )


# --- the scan ----------------------------------------------------------------


@dataclasses.dataclass
class ScanResult:
    """The merged scan: an AnalysisResult whose experiments carry their runs
    but no series (those were released batch by batch)."""

    result: pipeline.AnalysisResult
    runs: List[str]
    series_count: int


def _pool(jobs: int, shared: bool) -> concurrent.futures.Executor:
    # A gRPC channel (the shared data server's) does not survive a fork:
    # then the workers are spawned.  Otherwise this process has only listed
    # files, and forking spares each worker its imports and a script
    # without a `__main__` guard its re-execution.
    # gRPC imported means possibly used (by a caller too): spawn then.
    forkable = "fork" in multiprocessing.get_all_start_methods() and "grpc" not in sys.modules
    method = "fork" if forkable and not shared else "spawn"
    return concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method))


def scan_batches(
    logdir: str,
    loader: str = "auto",
    jobs: int = DEFAULT_JOBS,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    hparams_from_names: bool = True,
    executor: Optional[concurrent.futures.Executor] = None,
    data_server: str = "per-batch",
    progress: Optional[reading.ProgressFn] = None,
) -> Iterator[BatchResult]:
    """Each batch's result as it finishes (in no fixed order).

    `executor` (any `concurrent.futures.Executor`, e.g. a Dask client's)
    runs the batches; without one, `jobs` worker processes do (1: this
    process).  Raises reading.LogdirError when the logdir cannot be read.
    """
    if data_server not in DATA_SERVER_MODES:
        raise ValueError("data_server must be one of %s" % ", ".join(DATA_SERVER_MODES))
    path = reading.check_logdir(logdir)
    shared = reading.is_url(path) or data_server == "shared"
    own = None
    if executor is None and jobs > 1:
        executor = own = _pool(jobs, shared)
    try:
        if shared:
            yield from _shared(path, loader, jobs, batch_bytes, hparams_from_names, executor, progress)
        else:
            yield from _per_batch(path, loader, jobs, batch_bytes, hparams_from_names, executor, progress)
    finally:
        if own is not None:
            own.shutdown(wait=True, cancel_futures=True)


# A small logdir still makes this many batches per worker, so that no
# worker idles while another finishes a big last batch.
BATCHES_PER_WORKER = 4


def _per_batch(path, loader, jobs, batch_bytes, hparams_from_names, executor, progress) -> Iterator[BatchResult]:
    sizes = list_event_runs(path)
    spread = sum(sizes.values()) // (BATCHES_PER_WORKER * max(1, jobs)) if executor is not None else batch_bytes
    batches = plan_batches(path, sizes, max(1, min(batch_bytes, spread)))
    deferred: List[str] = []
    done = 0

    def finished(batch: Batch, outcome: Callable[[], BatchResult]) -> BatchResult:
        nonlocal done
        try:
            try:
                res = outcome()
            except BrokenProcessPool as e:
                # Workers that could not start (a spawned worker re-imports
                # a `__main__` it cannot find) or died: this process does it.
                logger.warning("worker processes failed (%s); scanning the batch here", e)
                res = scan_batch(batch, loader, hparams_from_names)
        except Exception as e:  # noqa: BLE001 - one batch must not sink the others
            logger.warning("batch of %d runs failed: %s", len(batch.runs), e)
            res = _failed_batch(batch.runs, e)
        deferred.extend(res.deferred)
        done += 1
        if progress is not None:
            progress("%d of %d batches scanned" % (done, len(batches)))
        return res

    if executor is None:
        for b in batches:
            yield finished(b, lambda b=b: scan_batch(b, loader, hparams_from_names))
    else:
        futures = {}
        for b in batches:
            try:
                futures[executor.submit(scan_batch, b, loader, hparams_from_names)] = b
            except Exception as e:  # noqa: BLE001 - a broken pool costs its batches, not the scan
                yield finished(b, lambda e=e: _raise(e))
        for fut in concurrent.futures.as_completed(futures):
            yield finished(futures.pop(fut), fut.result)
    if deferred:
        # Runs whose experiment only their tags revealed, and which may span
        # batches: analysed together, once.
        last = Batch(path, tuple(sorted(set(deferred))), final=True)
        batches.append(last)
        yield finished(last, lambda: scan_batch(last, loader, hparams_from_names))


def _shared(path, loader, jobs, batch_bytes, hparams_from_names, executor, progress) -> Iterator[BatchResult]:
    """One data server (or Python loader) for the whole logdir; batches read
    here, one after the other, while the workers analyse the previous ones."""
    with reading.open_logdir(path, loader=loader, progress=progress) as (provider, ctx, eid):
        index = reading.list_series(provider, ctx, eid)
        groups = experiment_runs({r: [t for t, _k in index.keys(r)] for r in index.runs})
        # Hyperparameters are few and looked up across runs (parent runs,
        # `add_hparams` sub-runs): read once, handed to every batch.
        hparams, hp_errors = reading.read_hparams(provider, ctx, eid, runs=index.runs)
        global_notes = ["run %r: %s" % (run, why) for run, why in sorted(hp_errors.items())]
        # The last step stands for a series' length: the listing has no count.
        weight = {r: sum(max(0, fp[0] or 0) + 1 for fp in index.keys(r).values()) * 20 for r in index.runs}
        plan: List[List[str]] = [[]]
        size = 0
        for name in sorted(groups):
            members = list(groups[name])
            w = sum(weight.get(r, 0) for r in members)
            if plan[-1] and size + w > batch_bytes:
                plan.append([])
                size = 0
            plan[-1].extend(members)
            size += w
        pending: Dict[concurrent.futures.Future, Tuple[List[str], LogData]] = {}
        first = True
        for runs in plan:
            if not runs:
                continue
            data = reading.read_series(provider, ctx, eid, index, runs=runs)
            data.hparams = hparams
            data.notes.extend(reading.series_notes(data))
            if first:
                data.notes.extend(global_notes)
                first = False
            if executor is None:
                yield analyse_data(data, hparams_from_names)
                continue
            try:
                # The data stays referenced until its analysis is back: a
                # broken pool's batch is analysed here instead.
                pending[executor.submit(analyse_data, data, hparams_from_names)] = (runs, data)
            except Exception as e:  # noqa: BLE001 - a broken pool costs its batches, not the scan
                yield _analysed_here(runs, data, hparams_from_names, e)
            del data
            # Bounded: at most one batch per worker waiting beside the one read.
            while len(pending) > max(1, jobs):
                yield from _collect(pending, hparams_from_names)
        while pending:
            yield from _collect(pending, hparams_from_names)


def _analysed_here(runs: List[str], data: LogData, hparams_from_names: bool, e: BaseException) -> BatchResult:
    if not isinstance(e, BrokenProcessPool):
        return _failed_batch(runs, e)
    logger.warning("worker processes failed (%s); analysing the batch here", e)
    try:
        return analyse_data(data, hparams_from_names)
    except Exception as e2:  # noqa: BLE001 - one batch must not sink the others
        return _failed_batch(runs, e2)


def _collect(
    pending: Dict[concurrent.futures.Future, Tuple[List[str], LogData]], hparams_from_names: bool
) -> Iterator[BatchResult]:
    done, _ = concurrent.futures.wait(list(pending), return_when=concurrent.futures.FIRST_COMPLETED)
    for fut in done:
        runs, data = pending.pop(fut)
        try:
            yield fut.result()
        except Exception as e:  # noqa: BLE001 - one batch must not sink the others
            yield _analysed_here(runs, data, hparams_from_names, e)


def merge(results: Iterable[BatchResult], logdir: str, hparams_from_names: bool = True) -> ScanResult:
    """The batches' results as one: what `analyze` over the whole logdir
    gives, experiments without their series.  Notes are sorted (the order
    batches finish in is not the logdir's)."""
    findings: List[Finding] = []
    notes: List[str] = []
    run_errors: Dict[str, str] = {}
    statuses: Dict[str, RunStatus] = {}
    runs: Set[str] = set()
    series = 0
    experiments: Dict[str, Tuple[Tuple[str, ...], Dict[str, object]]] = {}
    curves: List[siblings.LevelCurve] = []
    for res in results:
        findings.extend(res.findings)
        curves.extend(res.levels)
        notes.extend(res.notes)
        run_errors.update(res.run_errors)
        statuses.update(res.statuses)
        runs.update(res.runs)
        series += res.series_count
        experiments.update(res.experiments)
    withdrawn, added = pipeline.across_runs(curves, findings)
    findings = [f for f in findings if id(f) not in withdrawn] + added
    findings.sort(key=Finding.sort_key)
    if not runs:
        notes.append("no TensorBoard event files found under %s" % logdir)
    exps = [Experiment(name=n, runs=experiments[n][0]) for n in sorted(experiments)]
    logged = {n: experiments[n][1] for n in experiments}
    hparams, sweep = pipeline.sweep_report(exps, findings, logged, hparams_from_names)
    result = pipeline.AnalysisResult(
        findings=findings,
        experiments=exps,
        notes=sorted(notes),
        run_errors=run_errors,
        statuses={r: statuses[r] for r in sorted(statuses)},
        hparams=hparams,
        sweep=sweep,
    )
    return ScanResult(result=result, runs=sorted(runs), series_count=series)


def scan(logdir: str, **kwargs) -> ScanResult:
    """`scan_batches` merged: the whole logdir's result, bounded memory."""
    hp = kwargs.get("hparams_from_names", True)
    return merge(scan_batches(logdir, **kwargs), logdir, hp)
