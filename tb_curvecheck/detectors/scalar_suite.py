"""Runs every scalar detector over one experiment."""
from __future__ import annotations

from typing import Callable, List

from ..model import Experiment, Finding, SeriesRef
from .non_finite import detect_non_finite
from .scalar_level import detect_divergence, detect_metric_drops
from .scalar_margin import detect_low_margin
from .scalar_oscillation import detect_oscillation
from .scalar_saturation import detect_saturated
from .scalar_stuck import detect_stuck
from .scalar_trend import detect_no_progress, detect_overfitting

# Each takes (experiment, series) and judges only the series whose role it understands;
# tags with role unknown/other/learning_rate reach none of them but non_finite.
PER_SERIES: List[Callable[[Experiment, SeriesRef], List[Finding]]] = [
    detect_divergence,
    detect_metric_drops,
    detect_stuck,
    detect_saturated,
    detect_oscillation,
    detect_overfitting,
    detect_no_progress,
    detect_low_margin,
]


def detect(experiment: Experiment) -> List[Finding]:
    findings: List[Finding] = []
    for ref in experiment.scalars:
        findings.extend(detect_non_finite(ref))
        for fn in PER_SERIES:
            findings.extend(fn(experiment, ref))
    findings.sort(key=Finding.sort_key)
    return findings
