"""The routes' cache of the one analysis, kept until the data grows.

Every request starts from TensorBoard's cheapest listing of series
(`reading.list_series`: a fingerprint per series, no points).  The runs are
grouped into experiments (`exp/train` + `exp/validation` ...), and each
experiment is analysed by the shared entry, `pipeline.analyze`, on exactly
its runs' series.  The cache holds what that returns, keyed by the
experiment's listing (its runs and their series' fingerprints):

- an experiment is read and analysed again only when one of its series
  changed, and then only the changed series are read again;
- the key is the data, not the URL: TensorBoard answers the same local data
  under any `/experiment/<id>/` prefix, and every such id shares one entry;
- the cache is bounded (least recently used entries go first) in the bytes
  of points it holds, and its size is logged at debug level.

Nothing here knows HTTP or TensorBoard's data API; `plugin.py` turns a
`Snapshot` into JSON and `reading` is the only caller of the provider.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import logging
import threading
import time
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from tensorboard import errors

from tb_curvecheck import reading
from tb_curvecheck.analysis import grouping, pipeline, siblings
from tb_curvecheck.analysis import sweep as sweep_stats
from tb_curvecheck.model import Experiment, Finding, HistogramSeries, LogData, RunStatus, ScalarSeries
from tb_curvecheck.plugin.loader import RETENTION

logger = logging.getLogger(__name__)

# A listing this recent is reused instead of asking TensorBoard again: one
# page load fires a burst (findings, tags, then every visible chart's series
# at once) that would otherwise list every series once per request, one after
# another under the service's lock.  TensorBoard reloads its logdir every
# 5 s by default, so a listing under a second old is as fresh as any.
LISTING_REUSE_S = 1.0
# A listing slower than this (a logdir of many runs: ~110 ms for 10,000
# series on the data server) is refreshed in the background once it is past
# LISTING_REUSE_S, and requests answer from the one held meanwhile, as long as
# it is younger than LISTING_STALE_S: TensorBoard itself reloads a logdir only
# every 5 s, so a poll answered from a listing that old shows nothing staler
# than TensorBoard's own Scalars tab.  Cheaper listings stay synchronous.
LISTING_BACKGROUND_AFTER_S = 0.05
LISTING_STALE_S = 5.0
# Listings kept for reuse, one per experiment id recently asked about: a
# listing is small (one tuple per series), and ids beyond the last few are
# listed afresh.
LISTINGS_KEPT = 8
# Bytes of points the cache may hold (steps, values and wall times are 24
# bytes a scalar point): 40 M points, well above what TensorBoard's own
# retention lets a server hold comfortably on a laptop.  Beyond it the least
# recently used experiments are read again when next asked for.
CACHE_BYTES = 1 << 30


@dataclasses.dataclass
class Snapshot:
    """What one request sees: a consistent view of the runs it asked about."""

    runs: List[str]  # the runs asked about (every run when none were named)
    experiments: List[Experiment]  # the experiments those runs belong to
    statuses: Dict[str, RunStatus]
    generation: str
    notes: List[str] = dataclasses.field(default_factory=list)
    # Per experiment, its hyperparameters; across the logdir (every run asked
    # about), which of them go with which kind of finding.
    hparams: Dict[str, Dict[str, object]] = dataclasses.field(default_factory=dict)
    sweep: Optional[sweep_stats.SweepReport] = None
    _findings: List[Finding] = dataclasses.field(default_factory=list)
    # The series as read, including those the analysis left out (see notes).
    _data: List[LogData] = dataclasses.field(default_factory=list)
    _last_steps: Optional[Dict[str, int]] = dataclasses.field(default=None, repr=False)

    def findings(self, runs: Optional[Iterable[str]] = None) -> List[Finding]:
        """Findings on the given runs (default: the runs asked about)."""
        wanted = set(self.runs if runs is None else runs)
        return [f for f in self._findings if f.run in wanted]

    def last_step(self, run: str) -> Optional[int]:
        # Built once per snapshot: asked for every run, a scan of every
        # experiment's data per run costs O(runs^2) (0.7 s at 1,000 runs).
        if self._last_steps is None:
            self._last_steps = {}
            for data in self._data:
                for r, tags in data.scalars.items():
                    for series in tags.values():
                        if len(series):
                            step = int(series.steps[-1])
                            if step > self._last_steps.get(r, step - 1):
                                self._last_steps[r] = step
        return self._last_steps.get(run)

    def experiment_of(self, run: str) -> Optional[Experiment]:
        for exp in self.experiments:
            if run in exp.runs:
                return exp
        return None

    def scalar(self, run: str, tag: str) -> Optional[ScalarSeries]:
        for data in self._data:
            if tag in data.scalars.get(run, {}):
                return data.scalars[run][tag]
        return None

    def histogram(self, run: str, tag: str) -> Optional[HistogramSeries]:
        for data in self._data:
            if tag in data.histograms.get(run, {}):
                return data.histograms[run][tag]
        return None


@dataclasses.dataclass(frozen=True)
class _Entry:
    """One experiment's series as read, and the analysis of exactly them."""

    key: Tuple
    data: LogData
    result: pipeline.AnalysisResult
    # (run, tag, kind) -> the fingerprint each series was read at.
    read_at: Dict[Tuple[str, str, str], reading.Fingerprint]
    nbytes: int


class _Cache:
    """Entries by key, least recently used first, bounded in bytes.

    One entry per experiment name: a newer version of an experiment replaces
    the older, which no listing will ask for again.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: "collections.OrderedDict[Tuple, _Entry]" = collections.OrderedDict()
        self._by_name: Dict[str, Tuple] = {}
        self.nbytes = 0

    def get(self, key: Tuple) -> Optional[_Entry]:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def latest(self, name: str) -> Optional[_Entry]:
        key = self._by_name.get(name)
        return self._entries.get(key) if key is not None else None

    def put(self, name: str, entry: _Entry) -> None:
        old = self._by_name.get(name)
        if old is not None and old != entry.key:
            self._drop(old)
        self._by_name[name] = entry.key
        self._drop(entry.key)
        self._entries[entry.key] = entry
        self.nbytes += entry.nbytes
        while self.nbytes > self.max_bytes and len(self._entries) > 1:
            self._drop(next(iter(self._entries)))
        logger.debug("CurveCheck cache: %d experiments, %.1f MB of points", len(self._entries), self.nbytes / 1e6)

    def _drop(self, key: Tuple) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self.nbytes -= entry.nbytes
        name = key[0]
        if self._by_name.get(name) == key:
            del self._by_name[name]

    def __len__(self) -> int:
        return len(self._entries)


class AnalysisService:
    """The analysis of one data provider's runs, cached by their data.

    Safe under concurrent requests: the cache is brought up to date under one
    lock, so two requests never read or analyse the same data twice (the
    second waits and then finds the work done).
    """

    def __init__(self, provider, sampling_hints=None, cache_bytes: int = CACHE_BYTES, source: str = ""):
        self._provider = provider
        hints = dict(sampling_hints or {})
        loader = reading.loader_kind(provider)
        self._one_logdir = reading.serves_one_logdir(provider)
        # The logdir TensorBoard was started on (its name can say what the runs train on), only when
        # it serves that one logdir.
        self._source = source if self._one_logdir else ""
        self._limits = {plugin: hints.get(plugin, r[loader]) for plugin, r in RETENTION.items()}
        self._lock = threading.Lock()
        self._cache = _Cache(cache_bytes)
        # experiment id -> (when, listing, seconds it took), see LISTING_REUSE_S.
        self._listings: "collections.OrderedDict[str, Tuple[float, reading.SeriesIndex, float]]" = (
            collections.OrderedDict()
        )
        self._listings_lock = threading.Lock()
        self._relisting: Dict[str, object] = {}  # key -> the background listing under way
        # (route, runs asked about) -> (the listing it was built from, its JSON):
        # a poll that finds the same listing gets the same answer without a
        # rebuild.  Only the JSON is kept: a snapshot holds series, which the
        # cache alone may keep, within its bound.
        self._answers: Dict[Tuple[str, Optional[Tuple[str, ...]]], Tuple[reading.SeriesIndex, object]] = {}
        # experiment id -> (the listing it was read with, run -> hyperparameters).
        self._hparams_by_listing: Dict[str, Tuple[reading.SeriesIndex, Dict[str, Dict[str, object]]]] = {}
        # experiment id -> (generation, its sweep report).
        self._sweeps: Dict[str, Tuple[str, Optional[sweep_stats.SweepReport]]] = {}
        # experiment id -> (generation, the findings that compare its runs with each other).
        self._compared: Dict[str, Tuple[str, List[Finding]]] = {}

    def snapshot(self, ctx, eid: str, runs: Optional[Sequence[str]] = None) -> Snapshot:
        """Brings the cache up to date for `runs` (all when None) and returns
        a view of it.  Raises NotFoundError for a run that does not exist."""
        with self._lock:
            return self._refresh(ctx, eid, runs, self._listing(ctx, eid))

    def answer(self, ctx, eid: str, runs: Optional[Sequence[str]], route: str, build: Callable[[Snapshot], object]):
        """`build(snapshot)` for `route`, or the answer built last time when
        the listing it came from is still the one held (nothing changed)."""
        asked = None if runs is None else tuple(sorted(set(runs)))
        with self._lock:
            index = self._listing(ctx, eid)
            held = self._answers.get((route, asked))
            # The same listing, or one listing the very same series at the
            # same fingerprints (a background relisting of an unchanged logdir).
            if held is not None and (held[0] is index or _same_listing(held[0], index)):
                self._answers[(route, asked)] = (index, held[1])
                return held[1]
            built = build(self._refresh(ctx, eid, runs, index))
            if len(self._answers) >= LISTINGS_KEPT:
                self._answers.clear()
            self._answers[(route, asked)] = (index, built)
            return built

    @property
    def cache_entries(self) -> int:
        return len(self._cache)

    @property
    def cache_bytes(self) -> int:
        return self._cache.nbytes

    # -- internals --------------------------------------------------------

    def _listing(self, ctx, eid: str) -> reading.SeriesIndex:
        now = time.monotonic()
        # TensorBoard's own loaders serve one logdir whatever the URL's
        # experiment id: one listing serves every id, so a stream of fresh
        # ids costs no more than one client polling.
        key = "" if self._one_logdir else eid
        with self._listings_lock:
            held = self._listings.get(key)
        if held is not None:
            age = now - held[0]
            if age < LISTING_REUSE_S:
                return held[1]
            if held[2] > LISTING_BACKGROUND_AFTER_S and age < LISTING_STALE_S:
                self._relist_in_background(ctx, eid, key)
                return held[1]
        return self._list(ctx, eid, key)

    def _list(self, ctx, eid: str, key: str) -> reading.SeriesIndex:
        started = time.monotonic()
        index = reading.list_series(self._provider, ctx, eid)
        done = time.monotonic()
        with self._listings_lock:
            self._listings[key] = (done, index, done - started)
            self._listings.move_to_end(key)
            while len(self._listings) > LISTINGS_KEPT:
                self._listings.popitem(last=False)
        return index

    def _relist_in_background(self, ctx, eid: str, key: str) -> None:
        with self._listings_lock:
            if key in self._relisting:
                return
            worker = threading.Thread(target=self._relist, args=(ctx, eid, key), daemon=True, name="curvecheck-listing")
            self._relisting[key] = worker
        worker.start()

    def _relist(self, ctx, eid: str, key: str) -> None:
        try:
            self._list(ctx, eid, key)
        except Exception as e:  # noqa: BLE001 - the next request lists in the foreground and reports it
            logger.info("CurveCheck: background listing failed: %s", e)
        finally:
            with self._listings_lock:
                self._relisting.pop(key, None)

    def _refresh(self, ctx, eid, runs, index: reading.SeriesIndex) -> Snapshot:
        if runs is None:
            wanted = list(index.runs)
        else:
            unknown = sorted(set(runs) - set(index.runs))
            if unknown:
                raise errors.NotFoundError("no run named %s" % ", ".join(repr(r) for r in unknown))
            wanted = sorted(set(runs))
        groups = grouping.experiment_runs({run: index.tags(run) for run in index.runs})
        wanted_set = set(wanted)
        needed = {n: m for n, m in groups.items() if wanted_set.intersection(m)}

        experiments: List[Experiment] = []
        findings: List[Finding] = []
        statuses: Dict[str, RunStatus] = {}
        notes: List[str] = []
        read: List[LogData] = []
        curves: List[siblings.LevelCurve] = []  # each entry's, measured once per version (`result.levels`)
        hparams: Dict[str, Dict[str, object]] = {}
        all_findings: List[Finding] = []
        logged = self._hparams(ctx, eid, index)
        generation = hashlib.sha1()
        for name in sorted(needed):
            entry = self._entry(ctx, eid, name, needed[name], index, logged)
            result = entry.result
            experiments.extend(result.experiments)
            findings.extend(f for f in result.findings if f.run in wanted_set)
            all_findings.extend(result.findings)
            hparams.update(result.hparams)
            statuses.update({r: s for r, s in result.statuses.items() if r in wanted_set})
            notes.extend(result.notes)
            read.append(entry.data)
            curves.extend(result.levels)
            generation.update(repr((entry.key, sorted(result.run_errors.items()))).encode())
        gen = generation.hexdigest()[:16]
        # Runs judged against each other, among the experiments this request read (every one when no
        # runs were named).  Like the sweep it depends only on the entries the generation names, so a
        # warm request over the whole logdir reuses it (75 ms at 1,000 returns, each cold request).
        held_compared = self._compared.get(eid) if runs is None else None
        if held_compared is not None and held_compared[0] == gen:
            compared, withdrawn = held_compared[1]
        else:
            ids, compared = pipeline.across_runs(curves, all_findings)
            # Kept by what the finding is, not by object: the entries' results outlive this request.
            withdrawn = {_finding_key(f) for f in all_findings if id(f) in ids}
            if runs is None:
                self._compared[eid] = (gen, (compared, withdrawn))
                while len(self._compared) > LISTINGS_KEPT:
                    self._compared.pop(next(iter(self._compared)))
        if withdrawn:
            findings = [f for f in findings if _finding_key(f) not in withdrawn]
            all_findings = [f for f in all_findings if _finding_key(f) not in withdrawn]
        findings.extend(f for f in compared if f.run in wanted_set)
        all_findings.extend(compared)
        findings.sort(key=Finding.sort_key)
        # The sweep compares experiments with each other: only over the
        # whole logdir, never over the few runs one request named.  It
        # depends on nothing but the entries, which the generation names:
        # kept while they stand (2.5 s at 1,000 runs, every warm request).
        sweep = None
        if runs is None:
            held = self._sweeps.get(eid)
            if held is not None and held[0] == gen:
                sweep = held[1]
            else:
                _hp, sweep = pipeline.sweep_report(experiments, all_findings, hparams, names_fallback=False)
                self._sweeps[eid] = (gen, sweep)
                while len(self._sweeps) > LISTINGS_KEPT:
                    self._sweeps.pop(next(iter(self._sweeps)))
        return Snapshot(
            runs=wanted,
            experiments=experiments,
            statuses=statuses,
            generation=gen,
            notes=notes,
            hparams=hparams,
            sweep=sweep,
            _findings=findings,
            _data=read,
        )

    def _hparams(self, ctx, eid: str, index: reading.SeriesIndex) -> Dict[str, Dict[str, object]]:
        """The HParams plugin's records, read once per listing (metadata
        only, no points)."""
        key = "" if self._one_logdir else eid
        held = self._hparams_by_listing.get(key)
        if held is not None and held[0] is index:
            return held[1]
        logged, failures = reading.read_hparams(self._provider, ctx, eid)
        for run, why in failures.items():
            logger.warning("CurveCheck: run %r: %s", run, why)
        self._hparams_by_listing[key] = (index, logged)
        while len(self._hparams_by_listing) > LISTINGS_KEPT:
            self._hparams_by_listing.pop(next(iter(self._hparams_by_listing)))
        return logged

    def _entry(
        self,
        ctx,
        eid,
        name: str,
        members: Sequence[str],
        index,
        logged: Optional[Mapping[str, Dict[str, object]]] = None,
    ) -> _Entry:
        """The experiment `name` as of `index`: from the cache, or read (only
        the series that changed since the last version) and analysed."""
        key = (name,) + tuple((run, index.fingerprint(run)) for run in members)
        entry = self._cache.get(key)
        if entry is not None:
            return entry
        previous = self._cache.latest(name)
        reuse: Dict[Tuple[str, str, str], object] = {}
        if previous is not None:
            for run in members:
                for (tag, kind), series in _series_of(previous.data, run):
                    if previous.read_at.get((run, tag, kind)) == index.keys(run).get((tag, kind)):
                        reuse[(run, tag, kind)] = series
        stale = {run: [k for k in index.keys(run) if (run,) + k not in reuse] for run in members}
        data = reading.read_series(
            self._provider, ctx, eid, index, runs=members, sample_limits=self._limits, only=stale
        )
        for (run, tag, kind), series in reuse.items():
            target = data.scalars if kind == "scalar" else data.histograms
            target.setdefault(run, {})[tag] = series
        data.hparams = dict(logged or {})
        data.source = self._source
        data.notes.extend(reading.series_notes(data))
        for run, reason in data.run_errors.items():
            logger.warning("CurveCheck could not read all of run %r: %s", run, reason)
        result = pipeline.analyze(data)
        read_at = {(run,) + k: fp for run in members for k, fp in index.keys(run).items()}
        entry = _Entry(key, data, result, read_at, data.nbytes())
        self._cache.put(name, entry)
        return entry


def _series_of(data: LogData, run: str):
    for tag, s in data.scalars.get(run, {}).items():
        yield (tag, "scalar"), s
    for tag, h in data.histograms.get(run, {}).items():
        yield (tag, "histogram"), h


def _same_listing(a: reading.SeriesIndex, b: reading.SeriesIndex) -> bool:
    return a.runs == b.runs and a.series == b.series and a.failures == b.failures


def _finding_key(f: Finding) -> Tuple[str, str, str, int, int, str]:
    return (f.run, f.tag, f.kind, int(f.start_step), int(f.end_step), str((f.evidence or {}).get("how")))
