"""The labelled corpus format shared by every `benchmarks/corpus_*.py` module.

A corpus module exposes `cases() -> Iterable[Case]`.  A case is what one logdir
(or one hand-built set of series) holds, with the findings it must produce.

- `scalars` / `histograms`: `{run: {tag: series}}`, exactly what
  `tb_curvecheck.reading.read_logdir` returns, so the same analysis runs on
  synthetic series and on event files written by real training.
- `expect`: the kinds the case must produce.  `run`/`tag` None means "any";
  `start_window` (inclusive) bounds the finding's `start_step`.  A finding of
  any severity counts as a detection (a transient dip is only ever `info`).
- `healthy`: True when the case must produce no warning or error at all.
- `infos`: optional `{(run, tag): TagInfo}`, used only when the analysis
  package cannot yet classify tags itself (before `analysis/roles.py` exists).
- `also_ok`: kinds that are acceptable but not required on this case (a
  collapse that also pins the metric may or may not be reported as stuck);
  they never count as false alarms here.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Dict, List, Optional, Sequence, Tuple

from tb_curvecheck.model import HistogramSeries, ScalarSeries, TagInfo

Scalars = Dict[str, Dict[str, ScalarSeries]]
Histograms = Dict[str, Dict[str, HistogramSeries]]

HERE = os.path.dirname(os.path.abspath(__file__))
# Generated artefacts (demo logs, real-training traps) are cached here, gitignored.
CACHE_DIR = os.environ.get("CURVECHECK_BENCH_CACHE", os.path.join(HERE, "out"))


@dataclasses.dataclass(frozen=True)
class Expect:
    kind: str
    run: Optional[str] = None
    tag: Optional[str] = None
    start_window: Optional[Tuple[int, int]] = None

    def matches(self, finding) -> bool:
        if finding.kind != self.kind:
            return False
        if self.run is not None and finding.run != self.run:
            return False
        if self.tag is not None and finding.tag != self.tag:
            return False
        if self.start_window is not None:
            lo, hi = self.start_window
            if not (lo <= finding.start_step <= hi):
                return False
        return True


@dataclasses.dataclass
class Case:
    name: str
    family: str
    healthy: bool
    scalars: Scalars
    histograms: Histograms = dataclasses.field(default_factory=dict)
    expect: List[Expect] = dataclasses.field(default_factory=list)
    infos: Dict[Tuple[str, str], TagInfo] = dataclasses.field(default_factory=dict)
    also_ok: Sequence[str] = ()
    source: str = ""


def series(values, steps=None, wall_times=None) -> ScalarSeries:
    """A scalar series from plain numbers; steps default to 0, 1, 2, ..."""
    values = list(values)
    if steps is None:
        steps = range(len(values))
    return ScalarSeries.from_points(list(steps), values, wall_times)


def read_logdir(logdir: str) -> Tuple[Scalars, Histograms]:
    """Scalars and histograms of a logdir at full resolution.

    Uses CurveCheck's own reader when it exists (so the benchmark exercises
    it); TensorBoard's EventMultiplexer otherwise.
    """
    try:
        from tb_curvecheck.reading import read_logdir as _read
    except ImportError:
        _read = None
    if _read is not None:
        data = _read(logdir)
        return data.scalars, data.histograms
    return _read_with_multiplexer(logdir)


def _read_with_multiplexer(logdir: str) -> Tuple[Scalars, Histograms]:
    from tensorboard.backend.event_processing import event_multiplexer
    from tensorboard.util import tensor_util

    mux = event_multiplexer.EventMultiplexer(size_guidance={"scalars": 0, "tensors": 0, "histograms": 0})
    mux.AddRunsFromDirectory(logdir)
    mux.Reload()
    scalars: Scalars = {}
    histograms: Histograms = {}
    for run, tags in mux.Runs().items():
        name = run.replace(os.sep, "/")
        for tag in tags.get("tensors", []):
            events = mux.Tensors(run, tag)
            meta = mux.SummaryMetadata(run, tag)
            plugin = meta.plugin_data.plugin_name
            arrays = [tensor_util.make_ndarray(e.tensor_proto) for e in events]
            if plugin == "scalars":
                scalars.setdefault(name, {})[tag] = ScalarSeries.from_points(
                    [e.step for e in events], [float(a) for a in arrays], [e.wall_time for e in events]
                )
            elif plugin == "histograms":
                histograms.setdefault(name, {})[tag] = HistogramSeries.from_points(
                    [e.step for e in events], arrays, [e.wall_time for e in events]
                )
        for tag in tags.get("scalars", []):
            events = mux.Scalars(run, tag)
            scalars.setdefault(name, {})[tag] = ScalarSeries.from_points(
                [e.step for e in events], [e.value for e in events], [e.wall_time for e in events]
            )
    return scalars, histograms
