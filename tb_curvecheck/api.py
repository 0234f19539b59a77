"""The Python API: `tb_curvecheck.scan(logdir)`."""

from __future__ import annotations

from typing import Iterator, List, Optional

from .analysis.pipeline import AnalysisResult, analyze
from .model import Finding
from .reading import ProgressFn, read_logdir


def scan_result(logdir: str, loader: str = "auto", progress: Optional[ProgressFn] = None) -> AnalysisResult:
    """Reads every run under `logdir` at once and analyses it; notes and
    per-run errors come with the findings, and the experiments keep their
    series.  For a big logdir, `scan` or `scan_stream` keep memory bounded."""
    return analyze(read_logdir(logdir, loader=loader, progress=progress))


def scan(logdir: str, loader: str = "auto", jobs: int = 2) -> List[Finding]:
    """The findings for every run under `logdir`, most serious first.

    Runs are read and analysed in batches of whole experiments on `jobs`
    worker processes, each batch released before the next (see
    `tb_curvecheck.scanning` for the batch size, executors and the result
    with notes, statuses and the sweep report).

    Raises `tb_curvecheck.reading.LogdirError` when the logdir cannot be read.
    """
    from . import scanning

    return scanning.scan(logdir, loader=loader, jobs=jobs).result.findings


def scan_stream(logdir: str, loader: str = "auto", jobs: int = 2) -> Iterator[Finding]:
    """The findings as batches of runs finish (each batch's most serious first)."""
    from . import scanning

    for res in scanning.scan_batches(logdir, loader=loader, jobs=jobs):
        yield from res.findings
