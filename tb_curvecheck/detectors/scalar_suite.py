"""Runs every scalar detector over one experiment."""
from __future__ import annotations

from typing import List

from ..model import Experiment, Finding
from .non_finite import detect_non_finite


def detect(experiment: Experiment) -> List[Finding]:
    findings: List[Finding] = []
    for ref in experiment.scalars:
        findings.extend(detect_non_finite(ref))
    return findings
