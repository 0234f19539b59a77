"""The one analysis every surface shares: series in, ranked findings out."""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Mapping, Optional, Sequence

from ..detectors.registry import DEFAULT, DetectorSet
from ..model import Experiment, Finding, HistogramSeries, ScalarSeries
from . import corroborate, histogram_stories, purpose
from .grouping import build_experiments


@dataclasses.dataclass
class AnalysisResult:
    findings: List[Finding]
    experiments: List[Experiment]
    notes: List[str]
    run_errors: Dict[str, str]

    def to_json(self) -> Dict[str, object]:
        return {"findings": [f.to_json() for f in self.findings]}


def analyze_experiment(experiment: Experiment, detectors: DetectorSet = DEFAULT) -> List[Finding]:
    """Findings of one experiment, merged into stories and ranked.

    Pure: the same series give the same findings, so callers may cache on the
    series' fingerprints.  `detectors` (the registry's, at default thresholds,
    unless given) measure; `purpose.gate` keeps the trends of components and side
    metrics only where the objective or task metric agrees; `histogram_stories`
    and `corroborate` tell the stories.
    """
    scalar_findings = purpose.gate(experiment, detectors.detect_scalars(experiment))
    symptoms = detectors.detect_histograms(experiment)
    hist_findings = histogram_stories.tell(experiment, symptoms, scalar_findings)
    merged = corroborate.merge(list(scalar_findings) + list(hist_findings))
    return sorted(merged, key=Finding.sort_key)


def analyze(data) -> AnalysisResult:
    """Analyses a `reading.LogdirData` (or anything with `scalars`,
    `histograms`, `notes` and `run_errors`).

    A detector that fails on one experiment costs only that experiment: its
    runs get an error and the others keep their findings.
    """
    scalars: Mapping[str, Mapping[str, ScalarSeries]] = getattr(data, "scalars", {}) or {}
    histograms: Mapping[str, Mapping[str, HistogramSeries]] = getattr(data, "histograms", {}) or {}
    notes = list(getattr(data, "notes", []) or [])
    run_errors = dict(getattr(data, "run_errors", {}) or {})
    experiments = build_experiments(scalars, histograms)
    findings: List[Finding] = []
    for exp in experiments:
        try:
            findings.extend(analyze_experiment(exp))
        except Exception as e:  # noqa: BLE001 - one bad experiment must not hide the rest
            for run in exp.runs:
                run_errors.setdefault(run, "analysis failed: %s: %s" % (type(e).__name__, e))
    findings.sort(key=Finding.sort_key)
    return AnalysisResult(findings=findings, experiments=experiments, notes=notes, run_errors=run_errors)


def analyze_series(
    scalars: Mapping[str, Mapping[str, ScalarSeries]],
    histograms: Optional[Mapping[str, Mapping[str, HistogramSeries]]] = None,
) -> List[Finding]:
    """Findings for in-memory series (the Keras callback, tests)."""
    return analyze(_Plain(scalars, histograms or {})).findings


@dataclasses.dataclass
class _Plain:
    scalars: Mapping[str, Mapping[str, ScalarSeries]]
    histograms: Mapping[str, Mapping[str, HistogramSeries]]
    notes: Sequence[str] = ()
    run_errors: Mapping[str, str] = dataclasses.field(default_factory=dict)
