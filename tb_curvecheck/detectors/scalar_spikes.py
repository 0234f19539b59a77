"""`oscillation` (how=spikes): an evaluated loss that jumps tenfold or more above its level and back,
again and again, each time to where the run began.

The period-2 test (`Oscillation`) needs eight swings in a row; a loss that spikes every few dozen
epochs (a forecaster's validation loss at 0.03 for most epochs, then 150, 26 and 1.8, each gone at
the next evaluation) never alternates that long, yet each spike undoes what the run had learned,
and a checkpoint saved there is broken."""

from __future__ import annotations

import dataclasses
import math
from typing import List, Tuple

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import stats as U
from .base import Detector
from .wording import capital, fmt, make_finding, short


@dataclasses.dataclass(frozen=True, eq=False)
class SpikesEvent:
    ref: SeriesRef
    view: U.View
    spikes: List[Tuple[int, int]]  # first and last view index of each spike
    opening: float  # the level the run began at (median of its opening tenth)
    level: float  # the curve's median level


@dataclasses.dataclass(frozen=True)
class LossSpikes(Detector[SpikesEvent]):
    name = "loss_spikes"
    kinds = ("oscillation",)

    # Enough evaluations for a level to spike from.
    min_points: int = 20
    # The level is a running median of this many evaluations (log scale): one spike does not move it.
    level_width: int = 9
    # A spike: this many times the level around it, and at least as high as the level the run began at
    # (the median of its opening tenth), so that it undid everything learned.  A loss idling near zero
    # jumps tenfold on rounding-level noise (1e-5 -> 1e-4 at its floor) but stays far under where it
    # started; no healthy run of the tuned corpus has an evaluated loss that spikes back there.
    factor: float = 10.0
    # Back: within this many evaluations, to under this many times the level (most of the way down on
    # a log scale: a climb that stays is a divergence's story, not a spike's).
    back_within: int = 3
    back_factor: float = 3.0
    # A pattern needs this many spikes after warm-up; one or two are an incident (transient).
    min_spikes: int = 3

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[SpikesEvent]:
        if not U.judged(ref, ("loss",)) or ref.info.purpose not in ("objective", None):
            return []
        # Evaluated losses only: a per-step training loss is a minibatch sample, and its spikes are
        # hard batches.
        if not (ref.info.split in ("validation", "test") or ref.info.granularity == "epoch"):
            return []
        if U.reinforcement_learning(exp):
            return []  # an agent's losses are fitted to targets that move with the policy
        view = U.view_of(ref, smooth=False)
        if view.condensed:
            return []
        v = view.values
        n = v.shape[0]
        if n < self.min_points or not bool(np.all(v > 0)):
            return []
        lv = np.log(v)
        level = U.running_median(lv, self.level_width)
        opening = float(np.median(lv[: max(3, n // 10)]))
        up = lv - level >= math.log(self.factor)
        spikes = []
        i = U.warmup(n)
        while i < n:
            if not up[i]:
                i += 1
                continue
            j = i
            while j + 1 < n and up[j + 1]:
                j += 1
            after = slice(j + 1, j + 1 + self.back_within)
            back = bool(np.any(lv[after] <= level[after] + math.log(self.back_factor)))
            if back and float(np.max(lv[i : j + 1])) >= opening:
                spikes.append((i, j))
            i = j + 1
        if len(spikes) < self.min_spikes:
            return []
        return [SpikesEvent(ref, view, spikes, float(math.exp(opening)), float(np.median(v)))]

    def describe(self, e: SpikesEvent) -> Finding:
        view, v = e.view, e.view.values
        name = short(e.ref)
        peaks = [i + int(np.argmax(v[i : j + 1])) for i, j in e.spikes]
        shown = ", ".join("%s at step %d" % (fmt(float(v[p])), int(view.steps[p])) for p in peaks[:5])
        more = " and %d more" % (len(peaks) - 5) if len(peaks) > 5 else ""
        first, last = e.spikes[0][0], e.spikes[-1][1]
        title = "%s spiked %d times to 10x its level or more (steps %d-%d), each time back to where the run began" % (
            name,
            len(e.spikes),
            int(view.steps[first]),
            int(view.end_steps[last]),
        )
        expl = (
            "%s sits around %s for most of the run, but jumps to %s%s: each time ten times its level or more, "
            "as high as where the run began (%s), and back within a few evaluations. Each spike undoes what "
            "the model had learned, and a checkpoint saved at one is broken. Spikes that recover mean single "
            "updates blow the weights far off and the next ones bring them back: a learning rate too high "
            "for the loss surface, gradients not clipped (one bad batch, an outlier or a near-zero "
            "denominator in the data, makes a huge step), or a loss that overflows in half precision. Clip "
            "the gradient norm, lower the learning rate, check the data of those steps for outliers, and "
            "keep the checkpoint of the best evaluation rather than the last."
            % (capital(name), fmt(e.level), shown, more, fmt(e.opening))
        )
        evidence = {
            "how": "spikes",
            "spikes": len(e.spikes),
            "spike_steps": [int(view.steps[p]) for p in peaks],
            "spike_values": [float(v[p]) * view.raw_scale for p in peaks],
            "level": e.level * view.raw_scale,
            "opening_level": e.opening * view.raw_scale,
            "factor": self.factor,
        }
        return make_finding(e.ref, "oscillation", "warning", view, first, last, title, expl, evidence)
