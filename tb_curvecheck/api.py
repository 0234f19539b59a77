"""The Python API: `tb_curvecheck.scan(logdir)`."""
from __future__ import annotations

from typing import List, Optional

from .analysis.pipeline import AnalysisResult, analyze
from .model import Finding
from .reading import ProgressFn, read_logdir


def scan_result(logdir: str, loader: str = "auto", progress: Optional[ProgressFn] = None) -> AnalysisResult:
    """Reads every run under `logdir` and analyses it; notes and per-run
    errors come with the findings."""
    return analyze(read_logdir(logdir, loader=loader, progress=progress))


def scan(logdir: str, loader: str = "auto") -> List[Finding]:
    """The findings for every run under `logdir`, most serious first.

    Raises `tb_curvecheck.reading.LogdirError` when the logdir cannot be read.
    """
    return scan_result(logdir, loader=loader).findings
