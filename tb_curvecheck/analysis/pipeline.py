"""The one analysis every surface shares: series in, ranked findings out.

`analyze(LogData) -> AnalysisResult` is the entry the CLI, the Python API,
the TensorBoard plugin and the Keras callback all call; each surface only
gets the data (reading, or the callback's own memory) and presents the result.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Mapping, Optional, Sequence, Set, Tuple

import numpy as np

from ..detectors.registry import DEFAULT, DetectorSet
from ..model import EV_CORROBORATING, Experiment, Finding, HistogramSeries, LogData, RunStatus, ScalarSeries
from . import causes, corroborate, histogram_stories, purpose, siblings
from . import sweep as sweep_stats
from .grouping import build_experiments

# The detectors take means, variances and least squares over raw values; a
# value whose square overflows float64 (sqrt(1.8e308) ~ 1.3e154) turns those
# into inf and the verdict into an artefact.  1e150 leaves room for sums of
# squares over 10^8 points.  No training curve lives out there: such values
# are reported as not judged rather than judged wrongly.
JUDGEABLE_LIMIT = 1e150


@dataclasses.dataclass
class AnalysisResult:
    findings: List[Finding]
    experiments: List[Experiment]
    notes: List[str]
    run_errors: Dict[str, str]
    # Every run of the input, with what could be done with it.
    statuses: Dict[str, RunStatus] = dataclasses.field(default_factory=dict)
    # Per experiment: its hyperparameters (logged, else read from its name)
    # and which of them separate the experiments with a kind of finding.
    hparams: Dict[str, Dict[str, object]] = dataclasses.field(default_factory=dict)
    sweep: Optional[sweep_stats.SweepReport] = None
    # Each compared series' levels (`siblings.LevelCurve`: returns, task metrics, objectives), kept so
    # callers that merge results (the plugin's cache, a scan's batches) compare runs across them
    # without measuring the series again.
    levels: List[siblings.LevelCurve] = dataclasses.field(default_factory=list)

    def to_json(self) -> Dict[str, object]:
        return {"findings": [f.to_json() for f in self.findings]}


def analyze_experiment(
    experiment: Experiment,
    detectors: DetectorSet = DEFAULT,
    hparams: Optional[Mapping[str, Mapping[str, object]]] = None,
) -> List[Finding]:
    """Findings of one experiment, merged into stories and ranked.

    Pure: the same series give the same findings, so callers may cache on the
    series' fingerprints.  `detectors` (the registry's, at default thresholds,
    unless given) measure; `purpose.gate` keeps the trends of components and side
    metrics only where the objective or task metric agrees; `histogram_stories`
    and `corroborate` tell the stories; `causes` states what the run's own
    context series (learning rate, gradient and weight norms, restarts) and
    hyperparameters (run -> {name: value}, when known) did at each onset.
    """
    scalar_findings = purpose.gate(experiment, detectors.detect_scalars(experiment), detectors["overfitting"])
    symptoms = detectors.detect_histograms(experiment)
    hist_findings = histogram_stories.tell(experiment, symptoms, scalar_findings)
    merged = corroborate.merge(list(scalar_findings) + list(hist_findings))
    merged = causes.annotate_findings(experiment, merged, hparams=hparams)
    return sorted(merged, key=Finding.sort_key)


def analyze(data: LogData, hparams_from_names: bool = True) -> AnalysisResult:
    """Findings, experiments, notes and a status per run for `data`.

    A detector that fails on one experiment costs only that experiment: its
    runs get an error and the others keep their findings.  Values beyond
    JUDGEABLE_LIMIT are left out of the judgement, with a note.  With
    `hparams_from_names`, an experiment without logged hyperparameters takes
    those its name spells out (`lr=3e-4_bs64`) for the sweep report.
    """
    if not isinstance(data, LogData):
        raise TypeError("analyze takes a model.LogData, not %s" % type(data).__name__)
    notes = list(data.notes)
    run_errors = dict(data.run_errors)
    scalars, histograms, skipped = _judgeable(data.scalars, data.histograms)
    notes.extend(skipped)
    experiments = build_experiments(scalars, histograms, source=data.source_names())
    notes.extend(_unjudged_notes(experiments))
    findings: List[Finding] = []
    logged = {exp.name: experiment_hparams(exp, data.hparams) for exp in experiments}
    for exp in experiments:
        try:
            findings.extend(
                analyze_experiment(
                    exp, hparams={run: logged[exp.name] for run in exp.runs} if logged[exp.name] else None
                )
            )
        except Exception as e:  # noqa: BLE001 - one bad experiment must not hide the rest
            for run in exp.runs:
                run_errors.setdefault(run, "analysis failed: %s: %s" % (type(e).__name__, e))
    curves = levels_of(experiments)
    withdrawn, added = across_runs(curves, findings)
    findings = [f for f in findings if id(f) not in withdrawn] + added
    findings.sort(key=Finding.sort_key)
    return AnalysisResult(
        findings=findings,
        experiments=experiments,
        notes=notes,
        run_errors=run_errors,
        statuses=_statuses(data, run_errors),
        levels=curves,
        **dict(zip(("hparams", "sweep"), sweep_report(experiments, findings, logged, hparams_from_names))),
    )


def levels_of(experiments: Sequence[Experiment]) -> List[siblings.LevelCurve]:
    """The experiments' compared levels, an experiment whose series cannot be measured leaving out only
    its own."""
    out: List[siblings.LevelCurve] = []
    for exp in experiments:
        try:
            out.extend(siblings.levels([exp]))
        except Exception:  # noqa: BLE001 - one bad series must not cost the other runs' comparison
            continue
    return out


def across_runs(curves: Sequence[siblings.LevelCurve], findings: Sequence[Finding]) -> Tuple[Set[int], List[Finding]]:
    """Runs judged against each other: the ids of the runs' own findings their siblings answer
    (`siblings.withdrawn`: a flat return on a run that opened where a sibling climbed to, or that stopped
    before its siblings learned), and the findings the comparison adds (`siblings.behind_siblings`: a
    return, task metric or objective that stayed at its start while siblings', from the same start,
    improved).  Either part is empty when it fails, so the runs' own findings always stand."""
    try:
        withdrawn = {id(f) for f in siblings.withdrawn(curves, findings)}
    except Exception:  # noqa: BLE001 - a comparison must never cost the runs' own findings
        withdrawn = set()
    try:
        added = siblings.behind_siblings(curves, [f for f in findings if id(f) not in withdrawn])
        withdrawn |= {id(f) for f in siblings.superseded(findings, added)}
    except Exception:  # noqa: BLE001
        added = []
    return withdrawn, added


def experiment_hparams(exp: Experiment, hparams: Mapping[str, Mapping[str, object]]) -> Dict[str, object]:
    """The hyperparameters logged for an experiment: those of its session run
    (the experiment's own name, or any run it holds, or a parent directory of
    one: Keras writes `exp/train` and `exp/validation`, the record sits in
    `exp`), else those of its one sub-run that holds a record."""
    out: Dict[str, object] = {}
    for run in (exp.name,) + tuple(exp.runs):
        parts = run.split("/")
        for i in range(1, len(parts) + 1):
            out.update(hparams.get("/".join(parts[:i]), {}))
    if not out:
        # tensorboardX's and PyTorch's `add_hparams` write the record into a
        # new sub-run of the run they were called on (`run/<timestamp>`).
        below = [v for run, v in hparams.items() if run.startswith(exp.name + "/")]
        if len(below) == 1:
            out.update(below[0])
    return out


# Flagged severities that make an experiment count as "having" a kind in the
# sweep report: infos are worth knowing, not what broke a run.
_SWEEP_SEVERITIES = ("error", "warning")


def sweep_report(
    experiments: Sequence[Experiment],
    findings: Sequence[Finding],
    logged: Mapping[str, Mapping[str, object]],
    names_fallback: bool = True,
) -> Tuple[Dict[str, Dict[str, object]], Optional[sweep_stats.SweepReport]]:
    """Each experiment's hyperparameters (logged, else from its name when
    allowed) and which of them separate the experiments that have a kind of
    warning or error from those that do not (None for a single experiment)."""
    # An `add_hparams` record's own sub-run (`run/<timestamp>`, holding only
    # the metrics passed with it) is part of its parent, not a trial of its own.
    names = {exp.name for exp in experiments}

    def below_another(name: str) -> bool:
        parts = name.split("/")
        return any("/".join(parts[:i]) in names for i in range(1, len(parts)))

    experiments = [e for e in experiments if not (logged.get(e.name) and below_another(e.name))]
    owner = {run: exp.name for exp in experiments for run in exp.runs}
    kinds: Dict[str, Set[str]] = {exp.name: set() for exp in experiments}
    for f in findings:
        if f.severity in _SWEEP_SEVERITIES and f.run in owner:
            kinds[owner[f.run]].add(f.kind)
            for other in f.evidence.get(EV_CORROBORATING) or []:
                if isinstance(other, dict) and other.get("severity") in _SWEEP_SEVERITIES:
                    kinds[owner[f.run]].add(other.get("kind"))
    hp = sweep_stats.sweep_hparams([e.name for e in experiments], logged, names_fallback=names_fallback)
    report = sweep_stats.separate(hp, kinds) if len(experiments) > 1 else None
    return {k: v for k, v in hp.items() if v}, report


def analyze_series(
    scalars: Mapping[str, Mapping[str, ScalarSeries]],
    histograms: Optional[Mapping[str, Mapping[str, HistogramSeries]]] = None,
) -> List[Finding]:
    """Findings for in-memory series (the Keras callback, tests)."""
    data = LogData(
        scalars={r: dict(t) for r, t in scalars.items()},
        histograms={r: dict(t) for r, t in (histograms or {}).items()},
    )
    return analyze(data).findings


def _statuses(data: LogData, run_errors: Mapping[str, str]) -> Dict[str, RunStatus]:
    out: Dict[str, RunStatus] = {}
    for run in data.all_runs():
        scalars = data.scalars.get(run, {})
        hists = data.histograms.get(run, {})
        series = list(scalars.values()) + list(hists.values())
        if run in run_errors:
            status, reason = "failed", run_errors[run]
        elif not any(len(s) for s in series):
            status, reason = "empty", None
        else:
            status, reason = "analysed", None
        out[run] = RunStatus(
            run=run,
            status=status,
            reason=reason,
            sampled=any(s.sampled for s in series),
            scalar_series=len(scalars),
            histogram_series=len(hists),
        )
    return out


def _first_beyond(values: np.ndarray) -> Optional[int]:
    """Index of the first finite value beyond JUDGEABLE_LIMIT, or None."""
    with np.errstate(invalid="ignore"):
        beyond = np.isfinite(values) & (np.abs(values) > JUDGEABLE_LIMIT)
    idx = np.flatnonzero(beyond)
    return int(idx[0]) if idx.size else None


# Roles whose curves the trend detectors judge; a return is judged by its purpose ("task").  A series of
# any other role (a learning rate, an episode length, a name that says nothing of what it measures) is
# checked for non-finite values only.
JUDGED_ROLES = ("loss", "metric_up", "metric_down")
# Tags quoted in a note about an experiment nothing of which is judged.
NOTE_TAGS = 3


def _unjudged_notes(experiments: Sequence[Experiment]) -> List[str]:
    """A note for each experiment with scalar series none of which names a loss, a metric or a return:
    "no problems found" would otherwise read as an all-clear for curves that were never judged (a loss
    logged under a hyperparameter string, or as `Training/Overall`)."""
    out = []
    for exp in experiments:
        if not exp.scalars or any(r.info.role in JUDGED_ROLES or r.info.purpose == "task" for r in exp.scalars):
            continue
        tags = sorted({r.tag for r in exp.scalars})
        shown = ", ".join(repr(t) for t in tags[:NOTE_TAGS]) + (", ..." if len(tags) > NOTE_TAGS else "")
        where = "the logdir root" if exp.name == "." else "experiment %r" % exp.name
        out.append(
            "%s: none of its %d scalar series (%s) is named as a loss, a metric or a return, so their curves "
            "were checked for non-finite values only; a name such as train/loss or val/accuracy has its curve judged"
            % (where, len(exp.scalars), shown)
        )
    return out


def _judgeable(scalars, histograms) -> Tuple[Dict, Dict, List[str]]:
    """The series cut before their first value the detectors cannot judge,
    and a note for each cut."""
    notes: List[str] = []
    out_s: Dict[str, Dict[str, ScalarSeries]] = {}
    for run, tags in scalars.items():
        kept: Dict[str, ScalarSeries] = {}
        for tag, s in tags.items():
            i = _first_beyond(s.values)
            if i is not None:
                notes.append(_cut_note(run, tag, s.steps, i))
                if i == 0:
                    continue
                s = dataclasses.replace(s, steps=s.steps[:i], values=s.values[:i], wall_times=s.wall_times[:i])
            kept[tag] = s
        if kept:
            out_s[run] = kept
    out_h: Dict[str, Dict[str, HistogramSeries]] = {}
    for run, tags in histograms.items():
        kept_h: Dict[str, HistogramSeries] = {}
        for tag, h in tags.items():
            i = next((k for k, b in enumerate(h.buckets) if _first_beyond(b.reshape(-1)) is not None), None)
            if i is not None:
                notes.append(_cut_note(run, tag, h.steps, i))
                if i == 0:
                    continue
                h = dataclasses.replace(h, steps=h.steps[:i], wall_times=h.wall_times[:i], buckets=h.buckets[:i])
            kept_h[tag] = h
        if kept_h:
            out_h[run] = kept_h
    return out_s, out_h, notes


def _cut_note(run: str, tag: str, steps: np.ndarray, i: int) -> str:
    where = "any step" if i == 0 else "step %d on" % int(steps[i])
    return "%r in run %r holds values beyond +-%g from %s: not judged there (the statistics would overflow)" % (
        tag,
        run,
        JUDGEABLE_LIMIT,
        where,
    )
