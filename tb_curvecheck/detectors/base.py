"""The one interface every detector has (in the spirit of `ruptures`).

A detector is a small frozen dataclass: its fields are its thresholds, as
keyword parameters whose defaults are the values CurveCheck ships with (each
with a line on why that number).  It does two separate things:

- `measure(experiment, target) -> [Event]`: numbers only.  An event is a
  dataclass holding what was measured (indices, levels, noise, ...) and the
  series it was measured on; no English.
- `describe(event) -> Finding`: the finding's title, explanation and
  evidence, written from the event, in one place per kind.

`detect(experiment, target)` is the two together.  What a detector reads is
its `target`:

- `"scalar"`: one `SeriesRef` of the experiment (`measure(exp, ref)`);
- `"histogram"`: one `HistogramTarget` (a histogram series whose layer role is
  in the detector's `layer_roles`, with its per-step statistics computed once);
- `"layer_scalar"`: one `SeriesRef` whose layer role (`experiment.layer_role`) is in
  `layer_roles` (per-layer gradient norms logged as scalars);
- `"experiment"`: `measure(exp, ExperimentTargets)`, for detectors that compare
  series with each other (gradients across layers).

`registry.py` lists the detectors in the order they run and builds them with
other parameters (`DetectorSet.with_params({"saturated_loss.min_error": 0.03})`).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Dict, Generic, List, Tuple, TypeVar

import numpy as np

from ..model import Experiment, Finding, HistogramRef, LayerRole, SeriesRef


@dataclasses.dataclass(frozen=True, eq=False)
class HistogramTarget:
    """A histogram series as histogram detectors read it."""

    ref: HistogramRef
    role: LayerRole
    stats: Dict[str, np.ndarray]  # histogram_stats.summarize(ref.series)


@dataclasses.dataclass(frozen=True, eq=False)
class ExperimentTargets:
    """What "experiment" detectors compare across series: the histogram targets and the
    per-layer scalars (with their layer roles) of one experiment, as the other detectors saw them."""

    histograms: List[HistogramTarget]
    layer_scalars: List[Tuple[SeriesRef, LayerRole]]


E = TypeVar("E")


class Detector(Generic[E]):
    """Base of every detector; subclasses are `@dataclasses.dataclass(frozen=True)`."""

    # Registry key and the prefix of its parameters (`<name>.<field>`).
    name: ClassVar[str]
    # The finding kinds `describe` can write.
    kinds: ClassVar[Tuple[str, ...]]
    # "scalar", "histogram", "layer_scalar" or "experiment" (see the module docstring).
    target: ClassVar[str] = "scalar"
    # For "histogram" and "layer_scalar" detectors: the `LayerRole.role`s they read.
    layer_roles: ClassVar[Tuple[str, ...]] = ()

    def measure(self, experiment: Experiment, target: Any) -> List[E]:
        raise NotImplementedError

    def describe(self, event: E) -> Finding:
        raise NotImplementedError

    def detect(self, experiment: Experiment, target: Any = None) -> List[Finding]:
        return [self.describe(e) for e in self.measure(experiment, target)]

    def params(self) -> Dict[str, Any]:
        """Every parameter with its value, nested ones (a shared test) as `outer.inner`."""
        return _flat(self)


def _flat(obj: Any) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if dataclasses.is_dataclass(v):
            out.update({"%s.%s" % (f.name, k): x for k, x in _flat(v).items()})
        else:
            out[f.name] = v
    return out


def with_param(obj: Any, path: str, value: Any) -> Any:
    """A copy of dataclass `obj` with the field at dotted `path` set to `value`.

    The value is converted to the type of the current one (so "3" from a
    command line sets an int field to 3); an unknown field raises ValueError.
    """
    head, _, rest = path.partition(".")
    names = {f.name for f in dataclasses.fields(obj)}
    if head not in names:
        raise ValueError("%s has no parameter %r (it has: %s)" % (type(obj).__name__, head, ", ".join(sorted(names))))
    current = getattr(obj, head)
    if rest:
        if not dataclasses.is_dataclass(current):
            raise ValueError("%s.%s has no parameters" % (type(obj).__name__, head))
        new = with_param(current, rest, value)
    else:
        new = _like(current, value)
    return dataclasses.replace(obj, **{head: new})


def _like(current: Any, value: Any) -> Any:
    if not isinstance(value, str) or isinstance(current, str):
        return value
    if isinstance(current, bool):
        if value.lower() in ("1", "true", "yes"):
            return True
        if value.lower() in ("0", "false", "no"):
            return False
        raise ValueError("not a boolean: %r" % value)
    if isinstance(current, int):
        return int(value)
    if isinstance(current, float):
        return float(value)
    return value
