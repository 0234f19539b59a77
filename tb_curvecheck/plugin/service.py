"""The one analysis behind every route, cached until the data grows.

Every request starts from TensorBoard's cheapest listing of series (the last
point of each scalar series, `max_step`/`max_wall_time` of each histogram
series; no other points).  That listing is the cache key:

- a series is read again only when its listing entry changed;
- an experiment is analysed again only when one of its member series changed,
  so refreshing an unchanged logdir costs one listing, and a live run only
  re-analyses the experiment it belongs to.

Nothing here knows HTTP; the routes in `plugin.py` turn a `Snapshot` into JSON.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import logging
import threading
import time
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from tensorboard import errors

from tb_curvecheck import reading
from tb_curvecheck.analysis import grouping, pipeline
from tb_curvecheck.model import Experiment, Finding, HistogramSeries, ScalarSeries

logger = logging.getLogger(__name__)

# What TensorBoard keeps per series when neither the user nor our loader set
# `--samples_per_plugin` (a plugin embedded in another app, or tests): used
# only to tell whether a series was sampled.
_TB_DEFAULT_RETENTION = {"scalars": 1000, "histograms_python": 500, "histograms_rust": 100}

SeriesKey = Tuple[str, str, str]  # (run, tag, "scalar" | "histogram")
Fingerprint = Tuple[Optional[int], Optional[float]]


# A listing this recent is reused instead of asking TensorBoard again: one
# page load fires a burst (findings, tags, then every visible chart's series
# at once) that would otherwise list every series once per request, one after
# another under the experiment's lock.  TensorBoard reloads its logdir every
# 5 s by default, so a listing under a second old is as fresh as any.
LISTING_REUSE_S = 1.0

@dataclasses.dataclass(frozen=True)
class RunStatus:
    run: str
    status: str  # "analysed" | "empty" | "failed"
    reason: Optional[str]
    sampled: bool
    scalar_series: int
    histogram_series: int


@dataclasses.dataclass(frozen=True)
class Analysis:
    """One experiment as built from the cached series, valid for exactly
    `fingerprint`; `findings` is None until it has been analysed."""

    fingerprint: Tuple
    experiments: Tuple[Experiment, ...]
    findings: Optional[Tuple[Finding, ...]] = None
    error: Optional[str] = None


@dataclasses.dataclass
class Snapshot:
    """What one request sees: a consistent view of the runs it asked about."""

    runs: List[str]  # the runs asked about (every run when none were named)
    experiments: List[Experiment]  # the experiments those runs belong to
    statuses: Dict[str, RunStatus]  # filled only when analysed
    analysed: bool
    generation: str
    _findings: List[Finding] = dataclasses.field(default_factory=list)

    def findings(self, runs: Optional[Iterable[str]] = None) -> List[Finding]:
        """Findings on the given runs (default: the runs asked about)."""
        wanted = set(self.runs if runs is None else runs)
        return [f for f in self._findings if f.run in wanted]

    def experiment_of(self, run: str) -> Optional[Experiment]:
        for exp in self.experiments:
            if run in exp.runs:
                return exp
        return None

    def scalar(self, run: str, tag: str) -> Optional[ScalarSeries]:
        exp = self.experiment_of(run)
        for ref in exp.scalars if exp is not None else ():
            if ref.run == run and ref.tag == tag:
                return ref.series
        return None

    def histogram(self, run: str, tag: str) -> Optional[HistogramSeries]:
        exp = self.experiment_of(run)
        for ref in exp.histograms if exp is not None else ():
            if ref.run == run and ref.tag == tag:
                return ref.series
        return None


@dataclasses.dataclass
class _EidState:
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    series: Dict[SeriesKey, Tuple[Fingerprint, object]] = dataclasses.field(default_factory=dict)
    # A run that could not be read stays failed until its listing changes,
    # so a permanently broken run is not re-read on every poll.
    failures: Dict[str, Tuple[Tuple, str]] = dataclasses.field(default_factory=dict)
    analyses: Dict[str, Analysis] = dataclasses.field(default_factory=dict)
    # (when, runs, series index) of the last listing, see LISTING_REUSE_S.
    listed: Optional[Tuple[float, List[str], Dict]] = None


class AnalysisService:
    """Caches of series and analyses over one data provider, per experiment id.

    Safe under concurrent requests: each experiment id has a lock held while
    its caches are brought up to date, so two requests never read or analyse
    the same data twice (the second waits and then finds the work done).
    """

    def __init__(self, provider, sampling_hints: Optional[Mapping[str, int]] = None):
        self._provider = provider
        hints = dict(sampling_hints or {})
        rust = type(provider).__name__ == "GrpcDataProvider"
        self._limits = {
            "scalars": hints.get("scalars", _TB_DEFAULT_RETENTION["scalars"]),
            "histograms": hints.get(
                "histograms",
                _TB_DEFAULT_RETENTION["histograms_rust" if rust else "histograms_python"],
            ),
        }
        self._states: Dict[str, _EidState] = {}
        self._states_lock = threading.Lock()
        # The two listings are TensorBoard's work, not ours, and are most of
        # what a warm request costs (RustBoard scans its series for them):
        # asked side by side, a refresh waits for the slower one only.
        self._lister = concurrent.futures.ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="curvecheck-list"
        )

    def snapshot(
        self, ctx, eid: str, runs: Optional[Sequence[str]] = None, analyse: bool = True
    ) -> Snapshot:
        """Brings the caches up to date for `runs` (all when None) and
        returns a view of them.  Raises NotFoundError for a run that does
        not exist."""
        with self._states_lock:
            state = self._states.setdefault(eid, _EidState())
        with state.lock:
            return self._refresh(state, ctx, eid, runs, analyse)

    # -- internals --------------------------------------------------------

    def _refresh(self, state: _EidState, ctx, eid, runs, analyse) -> Snapshot:
        now = time.monotonic()
        if state.listed is not None and now - state.listed[0] < LISTING_REUSE_S:
            _, all_runs, index = state.listed
        else:
            runs_future = self._lister.submit(reading.list_runs, self._provider, ctx, eid)
            index = self._list_series(ctx, eid)
            all_runs = runs_future.result()
            state.listed = (time.monotonic(), all_runs, index)
        listing: Dict[str, Dict[SeriesKey, Fingerprint]] = {r: {} for r in all_runs}
        for (run, tag, kind), fp in index.items():
            listing.setdefault(run, {})[(run, tag, kind)] = fp

        if runs is None:
            wanted = sorted(listing)
        else:
            unknown = sorted(set(runs) - set(listing))
            if unknown:
                raise errors.NotFoundError(
                    "no run named %s" % ", ".join(repr(r) for r in unknown)
                )
            wanted = sorted(set(runs))

        groups = grouping.experiment_runs(
            {run: [k[1] for k in keys] for run, keys in listing.items() if keys}
        )
        wanted_set = set(wanted)
        needed = {n: m for n, m in groups.items() if wanted_set.intersection(m)}

        self._forget_vanished(state, listing, groups)
        self._read_stale(state, ctx, eid, {r: listing[r] for m in needed.values() for r in m})

        experiments: List[Experiment] = []
        findings: List[Finding] = []
        for name in sorted(needed):
            entry = self._analysis(state, name, needed[name], listing, analyse)
            experiments.extend(entry.experiments)
            if analyse:
                findings.extend(entry.findings or ())
        findings.sort(key=Finding.sort_key)

        statuses = self._statuses(state, wanted, listing, groups) if analyse else {}
        return Snapshot(
            runs=wanted,
            experiments=experiments,
            statuses=statuses,
            analysed=analyse,
            generation=self._generation(state, wanted, listing, needed),
            _findings=[f for f in findings if f.run in wanted_set],
        )

    def _list_series(self, ctx, eid) -> Dict[SeriesKey, Fingerprint]:
        """Every scalar and histogram series with a fingerprint that changes
        whenever the series grows, at the lowest price TensorBoard offers.

        `reading.list_series` takes scalars from `list_scalars`, whose
        `max_step` the Python loader computes by scanning every kept point
        (about 1 ms per 1000 points here: seconds per request on a large
        logdir).  The last datum of each series costs O(1) there and about
        the same as `list_scalars` in RustBoard, and it changes whenever a
        point is added (both loaders always keep the newest point).
        Histograms keep `list_tensors`: there is no cheaper call, and their
        series are short.
        """
        out: Dict[SeriesKey, Fingerprint] = {}
        last = self._provider.read_last_scalars(
            ctx, experiment_id=eid, plugin_name=reading.SCALARS_PLUGIN
        )
        for run, tags in last.items():
            for tag, datum in tags.items():
                out[(run, tag, "scalar")] = (int(datum.step), float(datum.wall_time))
        hists = self._provider.list_tensors(
            ctx, experiment_id=eid, plugin_name=reading.HISTOGRAMS_PLUGIN
        )
        for run, tags in hists.items():
            for tag, ts in tags.items():
                out[(run, tag, "histogram")] = (ts.max_step, ts.max_wall_time)
        return out

    @staticmethod
    def _forget_vanished(state: _EidState, listing, groups) -> None:
        current = {key: fp for keys in listing.values() for key, fp in keys.items()}
        for key in [k for k in state.series if k not in current]:
            del state.series[key]
        for run in [r for r in state.failures if r not in listing]:
            del state.failures[run]
        for name in [n for n in state.analyses if n not in groups]:
            del state.analyses[name]

    def _read_stale(self, state: _EidState, ctx, eid, listing: Mapping[str, Mapping]) -> None:
        """Reads every listed series whose cached copy is missing or older."""
        stale: Dict[str, Dict[str, List[str]]] = {"scalar": {}, "histogram": {}}
        for run, keys in listing.items():
            run_fp = tuple(sorted(keys.items()))
            failed = state.failures.get(run)
            if failed is not None:
                if failed[0] == run_fp:
                    continue
                del state.failures[run]
            for key, fp in keys.items():
                cached = state.series.get(key)
                if cached is None or cached[0] != fp:
                    stale[key[2]].setdefault(run, []).append(key[1])
        if not stale["scalar"] and not stale["histogram"]:
            return
        scalars, errs = reading.read_scalars(
            self._provider, ctx, eid, stale["scalar"], self._limits["scalars"]
        )
        hists, herrs = reading.read_histograms(
            self._provider, ctx, eid, stale["histogram"], self._limits["histograms"]
        )
        for kind, data in (("scalar", scalars), ("histogram", hists)):
            for run, tags in data.items():
                for tag, series in tags.items():
                    key = (run, tag, kind)
                    if key in listing.get(run, {}):
                        state.series[key] = (listing[run][key], series)
        for run, reason in list(herrs.items()) + list(errs.items()):
            state.failures[run] = (tuple(sorted(listing[run].items())), reason)
            logger.warning("CurveCheck could not read run %r: %s", run, reason)

    def _analysis(self, state, name, members, listing, analyse) -> Analysis:
        """The experiment `name`, rebuilt only when a member series changed,
        analysed (once) when asked to."""
        fp = tuple(
            (key, fp, state.series[key][0] if key in state.series else None)
            for run in members
            for key, fp in sorted(listing[run].items())
        ) + tuple((run, state.failures[run][1]) for run in members if run in state.failures)
        entry = state.analyses.get(name)
        if entry is None or entry.fingerprint != fp:
            scalars: Dict[str, Dict[str, ScalarSeries]] = {}
            hists: Dict[str, Dict[str, HistogramSeries]] = {}
            for run in members:
                for key in listing[run]:
                    cached = state.series.get(key)
                    if cached is None or not len(cached[1]):
                        continue
                    target = scalars if key[2] == "scalar" else hists
                    target.setdefault(run, {})[key[1]] = cached[1]
            entry = Analysis(fp, tuple(grouping.build_experiments(scalars, hists)))
        if analyse and entry.findings is None:
            try:
                found: List[Finding] = []
                for exp in entry.experiments:
                    found.extend(pipeline.analyze_experiment(exp))
                entry = dataclasses.replace(entry, findings=tuple(found))
            except Exception as e:  # noqa: BLE001 - one experiment must not hide the others
                logger.exception("CurveCheck analysis of experiment %r failed", name)
                entry = dataclasses.replace(
                    entry, findings=(), error="analysis failed: %s: %s" % (type(e).__name__, e)
                )
        state.analyses[name] = entry
        return entry

    @staticmethod
    def _statuses(state, wanted, listing, groups) -> Dict[str, RunStatus]:
        exp_of = {run: name for name, members in groups.items() for run in members}
        out = {}
        for run in wanted:
            keys = listing.get(run, {})
            series = [state.series[k][1] for k in keys if k in state.series]
            n_scalar = sum(1 for k in keys if k[2] == "scalar" and k in state.series)
            n_hist = sum(1 for k in keys if k[2] == "histogram" and k in state.series)
            sampled = any(getattr(s, "sampled", False) for s in series)
            entry = state.analyses.get(exp_of.get(run, ""))
            if run in state.failures:
                status, reason = "failed", state.failures[run][1]
            elif entry is not None and entry.error:
                status, reason = "failed", entry.error
            elif not any(len(s) for s in series):
                status, reason = "empty", None
            else:
                status, reason = "analysed", None
            out[run] = RunStatus(run, status, reason, sampled, n_scalar, n_hist)
        return out

    @staticmethod
    def _generation(state, wanted, listing, needed) -> str:
        """Changes whenever anything the answer rests on changed."""
        h = hashlib.sha1()
        for run in sorted(set(wanted) | {r for m in needed.values() for r in m}):
            h.update(repr((run, sorted(listing.get(run, {}).items()))).encode())
            if run in state.failures:
                h.update(repr(state.failures[run][1]).encode())
        for name in sorted(needed):
            entry = state.analyses.get(name)
            h.update(repr((name, entry.error if entry else None)).encode())
        return h.hexdigest()[:16]
