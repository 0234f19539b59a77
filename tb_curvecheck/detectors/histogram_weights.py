"""`exploding_weights` and `frozen_weights` from weight histograms.

Each detector returns the symptom alone, at severity `info`; whether the
curves agree (and the severity rises) is decided in `analysis.histogram_stories`.
"""

from __future__ import annotations

import dataclasses
from typing import List

import numpy as np

from ..model import Experiment, Finding, HistogramRef, LayerRole
from .base import Detector, HistogramTarget
from .histogram_stats import FROZEN_CHANGE, baseline, first_sustained
from .wording import capital, symptom_finding

WEIGHT_ROLES = ("kernel", "bias")


def _layer_phrase(role: LayerRole) -> str:
    what = {"kernel": "weights", "bias": "biases"}.get(role.role, "values")
    if role.param:
        what = "%s (%s)" % (what, role.param)
    return "layer %s's %s" % (role.name, what)


@dataclasses.dataclass(frozen=True, eq=False)
class ExplodingWeightsEvent:
    ref: HistogramRef
    role: LayerRole
    first: int  # onset index
    last: int
    baseline: float  # early |w| max
    onset_abs_max: float
    peak_abs_max: float
    growth: float  # onset / reference scale; inf when non-finite
    non_finite_at_onset: bool
    non_finite_steps: int


@dataclasses.dataclass(frozen=True)
class ExplodingWeights(Detector[ExplodingWeightsEvent]):
    name = "exploding_weights"
    kinds = ("exploding_weights",)
    target = "histogram"
    layer_roles = WEIGHT_ROLES

    # The reference scale is the median of the first few logged steps: one step
    # can be an outlier (Keras logs after the first epoch, when a large first
    # update may already have moved the weights).
    baseline_steps: int = 3
    # "Orders of magnitude": two.  Healthy training moves weight magnitudes by a
    # factor of a few to ten (a Glorot kernel of std 0.05 ending near 0.5); a
    # hundredfold growth is not learning, it is a runaway.
    factor: float = 100.0
    # Biases and normalisation offsets start at exactly 0, so growth relative to
    # their start is meaningless; magnitudes are measured against at least 1.0,
    # the scale of a typical activation, so a bias must pass 100 to count.
    floor: float = 1.0
    # Two consecutive logged steps: one large value can be a single extreme
    # weight that the next update pulls back; a runaway stays.
    min_steps: int = 2

    def measure(self, exp: Experiment, t: HistogramTarget) -> List[ExplodingWeightsEvent]:
        steps = t.ref.series.steps
        n = steps.shape[0]
        if n == 0:
            return []
        abs_max = t.stats["abs_max"]
        non_finite = t.stats["non_finite"] >= 1.0
        base = baseline(abs_max, n, self.baseline_steps)
        ref_scale = max(base if np.isfinite(base) else 0.0, self.floor)
        with np.errstate(invalid="ignore"):
            grown = abs_max >= self.factor * ref_scale
        # Growth is judged after the baseline steps so the baseline is not compared to itself.
        grown[: min(self.baseline_steps, n)] = False
        mask = grown | non_finite
        hit = first_sustained(mask, self.min_steps)
        if hit is None:
            # A single non-finite step is enough: weights do not recover from NaN.
            bad = np.flatnonzero(non_finite)
            if not bad.size:
                return []
            hit = (int(bad[0]), int(bad[-1]))
        i, j = hit
        finite_max = abs_max[np.isfinite(abs_max)]
        return [
            ExplodingWeightsEvent(
                ref=t.ref,
                role=t.role,
                first=i,
                last=j,
                baseline=base,
                onset_abs_max=float(abs_max[i]),
                peak_abs_max=float(finite_max.max()) if finite_max.size else float("nan"),
                growth=float("inf") if non_finite[i] else float(abs_max[i] / ref_scale),
                non_finite_at_onset=bool(non_finite[i]),
                non_finite_steps=int(np.count_nonzero(non_finite)),
            )
        ]

    def describe(self, e: ExplodingWeightsEvent) -> Finding:
        steps = e.ref.series.steps
        phrase = _layer_phrase(e.role)
        onset_step = int(steps[e.first])
        if e.non_finite_at_onset:
            symptom = "%s turned non-finite (NaN/Inf) at step %d" % (phrase, onset_step)
        else:
            symptom = "%s grew to |w| = %.3g at step %d, from %.3g early on" % (
                phrase,
                e.onset_abs_max,
                onset_step,
                e.baseline,
            )
        explanation = (
            "%s. Weights that grow by orders of magnitude are not being learned but pushed by "
            "updates too large for the loss surface: a learning rate too high for the data's "
            "scale, unnormalised inputs, or gradients that explode (recurrent nets, no "
            "normalisation). Once weights are this large, activations saturate or overflow and "
            "the loss usually diverges or turns NaN. Check: lower the learning rate tenfold or "
            "clip gradients (clipnorm=1.0) and see whether the growth starts later or not at all, "
            "and check that the inputs are standardised." % capital(symptom)
        )
        return symptom_finding(
            e.ref.run,
            e.ref.tag,
            kind="exploding_weights",
            statistic="abs_max",
            layer=e.role.layer,
            symptom=symptom,
            start_step=onset_step,
            end_step=int(steps[e.last]),
            explanation=explanation,
            evidence={
                "role": e.role.role,
                "baseline_abs_max": e.baseline,
                "onset_abs_max": e.onset_abs_max,
                "peak_abs_max": e.peak_abs_max,
                "growth": e.growth,
                "threshold_factor": self.factor,
                "floor": self.floor,
                "non_finite_steps": e.non_finite_steps,
            },
        )


@dataclasses.dataclass(frozen=True, eq=False)
class FrozenWeightsEvent:
    ref: HistogramRef
    role: LayerRole
    since: int  # index of the last step before the histogram stopped changing
    last: int
    unchanged_steps: int

    @property
    def from_start(self) -> bool:
        return self.since == 0


@dataclasses.dataclass(frozen=True)
class FrozenWeights(Detector[FrozenWeightsEvent]):
    name = "frozen_weights"
    kinds = ("frozen_weights",)
    target = "histogram"
    layer_roles = WEIGHT_ROLES

    # Moves smaller than this share of the spread are float rounding (see histogram_stats).
    change: float = FROZEN_CHANGE
    # A layer that stays identical over this many consecutive logged steps is
    # frozen; fewer could be an epoch where the layer's inputs were all masked.
    steps: int = 3

    def measure(self, exp: Experiment, t: HistogramTarget) -> List[FrozenWeightsEvent]:
        n = t.ref.series.steps.shape[0]
        if n < self.steps + 1:
            return []
        with np.errstate(invalid="ignore"):
            still = t.stats["change"] <= self.change
        # `change[k]` compares step k with k-1: a run of `steps` unchanged
        # comparisons means `steps` + 1 identical histograms.
        hit = first_sustained(still, self.steps, open_end=False)
        if hit is None:
            return []
        i, j = hit
        return [FrozenWeightsEvent(t.ref, t.role, i - 1, j, int(np.count_nonzero(still[i : j + 1])))]

    def describe(self, e: FrozenWeightsEvent) -> Finding:
        steps = e.ref.series.steps
        n = steps.shape[0]
        phrase = _layer_phrase(e.role)
        if e.from_start:
            symptom = "%s never changed over %d logged steps (%d to %d)" % (phrase, n, int(steps[0]), int(steps[-1]))
        else:
            symptom = "%s stopped changing at step %d and stayed identical to step %d" % (
                phrase,
                int(steps[e.since]),
                int(steps[e.last]),
            )
        explanation = (
            "%s, while other histograms of the run kept being logged. A weight tensor that does "
            "not move receives no update: the layer is frozen on purpose (trainable=False, "
            "transfer learning; then this is expected), its gradient is exactly zero (a dead ReLU "
            "layer above it, a detached or unused branch, a mask that blocks it), or the "
            "optimizer does not see it (a variable created outside the model or missing from the "
            "parameter list). Check the layer's `trainable` flag and the gradient of its weights "
            "on one batch."
        ) % capital(symptom)
        return symptom_finding(
            e.ref.run,
            e.ref.tag,
            kind="frozen_weights",
            statistic="change",
            layer=e.role.layer,
            symptom=symptom,
            start_step=int(steps[e.since]),
            end_step=int(steps[e.last]),
            explanation=explanation,
            evidence={
                "role": e.role.role,
                "frozen_from_start": e.from_start,
                "unchanged_steps": e.unchanged_steps,
                "threshold_change": self.change,
            },
        )
