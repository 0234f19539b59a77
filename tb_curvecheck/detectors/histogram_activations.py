"""`dead_units`, `saturated_outputs` and `collapsed_outputs` from activation and
output histograms.  Each returns the symptom alone at severity `info`;
`analysis.histogram_stories` raises it when the curves agree.
"""

from __future__ import annotations

import dataclasses
from typing import List

import numpy as np

from ..model import Experiment, Finding, HistogramRef, LayerRole
from .base import Detector, HistogramTarget
from .histogram_stats import END_TOLERANCE, baseline, first_sustained
from .wording import capital, symptom_finding

# Two consecutive logged steps: dead ReLUs almost never come back, while one
# unlucky sample batch can be mostly zeros once (and outputs likewise).
MIN_STEPS = 2
# Where a statistic is compared with its own past, the past must show it
# (one step is not a history).
BASELINE_STEPS = 3


def _pct(x: float) -> str:
    return "%.0f %%" % (100.0 * x) if x < 0.995 else "%.1f %%" % (100.0 * x)


@dataclasses.dataclass(frozen=True, eq=False)
class DeadUnitsEvent:
    ref: HistogramRef
    role: LayerRole
    first: int
    last: int
    zero_fraction: float  # at onset
    zero_fraction_last: float
    zero_fraction_before: float  # early share of zeros, NaN when there is no history
    died: bool  # alive before, dead now


@dataclasses.dataclass(frozen=True)
class DeadUnits(Detector[DeadUnitsEvent]):
    name = "dead_units"
    kinds = ("dead_units",)
    target = "histogram"
    layer_roles = ("activations",)

    # A ReLU layer is normally sparse: half its outputs are zero after
    # BatchNorm, up to ~80-90 % in wide layers.  At 97 % zeros nearly every unit
    # is dead on nearly every input: the layer passes almost nothing on.
    zero_fraction: float = 0.97
    min_steps: int = MIN_STEPS
    # The layer's own earlier share of zeros, for the "died during training"
    # story: a fall of the live share by this factor or more (e.g. 40 % live ->
    # 2 % live) means the layer died, not that it was born this sparse.
    died_factor: float = 5.0
    baseline_steps: int = BASELINE_STEPS

    def measure(self, exp: Experiment, t: HistogramTarget) -> List[DeadUnitsEvent]:
        zf = t.stats["zero_fraction"]
        with np.errstate(invalid="ignore"):
            dead = zf >= self.zero_fraction
        hit = first_sustained(dead, self.min_steps)
        if hit is None:
            return []
        i, j = hit
        earlier = baseline(zf, i, self.baseline_steps)
        died = bool(np.isfinite(earlier) and (1.0 - earlier) >= self.died_factor * (1.0 - zf[i]))
        return [DeadUnitsEvent(t.ref, t.role, i, j, float(zf[i]), float(zf[j]), earlier, died)]

    def describe(self, e: DeadUnitsEvent) -> Finding:
        steps = e.ref.series.steps
        onset = int(steps[e.first])
        symptom = "layer %s's outputs are %s exact zeros from step %d" % (e.role.name, _pct(e.zero_fraction), onset)
        if e.died:
            history = (
                "Before that only %s were zero, so the layer was alive and died during "
                "training: a large update pushed its pre-activations below zero for every "
                "input, where ReLU passes no gradient and they cannot come back. " % _pct(e.zero_fraction_before)
            )
        elif np.isfinite(e.zero_fraction_before):
            history = "It was already %s zeros before, so it has been (nearly) dead all along. " % _pct(
                e.zero_fraction_before
            )
        else:
            history = "It is dead from the first logged step. "
        explanation = (
            "%s (a sparse ReLU layer normally has 50-80 %% zeros; at %s nearly every unit outputs "
            "zero for nearly every input). %sLayers above it see a constant, so the model's "
            "predictions stop depending on the input and accuracy falls to the share of the "
            "majority class. Likely causes: a learning rate too high (one large step kills the "
            "units), a very narrow ReLU layer (a 4-unit bottleneck dies easily), a strongly "
            "negative bias, or BatchNorm/Dropout right before a narrow ReLU. Check: lower the "
            "learning rate, use LeakyReLU/ELU or He initialisation, widen the layer, and "
            "watch this layer's share of zeros in the first epochs."
        ) % (capital(symptom), _pct(e.zero_fraction), history)
        return symptom_finding(
            e.ref.run,
            e.ref.tag,
            kind="dead_units",
            statistic="zero_fraction",
            layer=e.role.layer,
            symptom=symptom,
            start_step=onset,
            end_step=int(steps[e.last]),
            explanation=explanation,
            evidence={
                "zero_fraction": e.zero_fraction,
                "zero_fraction_last": e.zero_fraction_last,
                "zero_fraction_before": e.zero_fraction_before,
                "died_during_training": e.died,
                "threshold": self.zero_fraction,
            },
        )


@dataclasses.dataclass(frozen=True, eq=False)
class SaturatedOutputsEvent:
    ref: HistogramRef
    role: LayerRole
    first: int
    last: int
    ends_fraction: float  # share pinned at 0 or 1 at onset


@dataclasses.dataclass(frozen=True)
class SaturatedOutputs(Detector[SaturatedOutputsEvent]):
    name = "saturated_outputs"
    kinds = ("saturated_outputs",)
    target = "histogram"
    layer_roles = ("outputs",)

    # Share of outputs pinned within END_TOLERANCE of 0 or 1 (logits beyond
    # +-13.8).  A calibrated classifier, even a confident one, leaves most outputs
    # short of that; when half of them sit at the float limits the logits have
    # blown up (the healthy runs of the corpus have none pinned at all).
    fraction: float = 0.5
    min_steps: int = MIN_STEPS

    def measure(self, exp: Experiment, t: HistogramTarget) -> List[SaturatedOutputsEvent]:
        ends = t.stats["ends_fraction"]
        with np.errstate(invalid="ignore"):
            pinned = (t.stats["unit_interval"] >= 1.0) & (ends >= self.fraction)
        hit = first_sustained(pinned, self.min_steps)
        if hit is None:
            return []
        i, j = hit
        return [SaturatedOutputsEvent(t.ref, t.role, i, j, float(ends[i]))]

    def describe(self, e: SaturatedOutputsEvent) -> Finding:
        steps = e.ref.series.steps
        onset = int(steps[e.first])
        symptom = "%s of the %s sit at exactly 0 or 1 (within %g) from step %d" % (
            _pct(e.ends_fraction),
            "outputs" if e.role.layer is None else "outputs of %s" % e.role.name,
            END_TOLERANCE,
            onset,
        )
        explanation = (
            "%s. Probabilities pinned at the float limits mean the logits have grown huge: every "
            "prediction is certain, and every wrong one costs the clipped maximum of the "
            "cross-entropy (16.12 in Keras, 100 in PyTorch's BCELoss), which is why such a loss "
            "reads as (1 - accuracy) x that maximum. Likely causes: a learning rate too high, "
            "unnormalised inputs, or a softmax/sigmoid output fed to a loss that expects logits "
            "(from_logits). Check the logits' magnitude on one batch and lower the learning rate."
        ) % capital(symptom)
        return symptom_finding(
            e.ref.run,
            e.ref.tag,
            kind="saturated_outputs",
            statistic="ends_fraction",
            layer=e.role.layer,
            symptom=symptom,
            start_step=onset,
            end_step=int(steps[e.last]),
            explanation=explanation,
            evidence={
                "ends_fraction": e.ends_fraction,
                "threshold": self.fraction,
                "tolerance": END_TOLERANCE,
            },
        )


@dataclasses.dataclass(frozen=True, eq=False)
class CollapsedOutputsEvent:
    ref: HistogramRef
    role: LayerRole
    first: int
    last: int
    std: float  # spread at onset
    mean: float
    std_peak_before: float  # largest spread before the onset, NaN when none


@dataclasses.dataclass(frozen=True)
class CollapsedOutputs(Detector[CollapsedOutputsEvent]):
    name = "collapsed_outputs"
    kinds = ("collapsed_outputs",)
    target = "histogram"
    layer_roles = ("outputs",)

    # Probabilities that differ by less than this across inputs are "the same
    # prediction for every input": 0.5 % cannot move any input across a
    # decision threshold the others do not cross with it.
    std: float = 0.005
    # For outputs not in [0, 1] (logits, regression), no absolute scale exists:
    # a spread that fell to 1 % of the largest spread seen before is a collapse.
    relative: float = 0.01
    min_steps: int = MIN_STEPS
    baseline_steps: int = BASELINE_STEPS

    def measure(self, exp: Experiment, t: HistogramTarget) -> List[CollapsedOutputsEvent]:
        stats = t.stats
        n = t.ref.series.steps.shape[0]
        std = stats["std"]
        unit = stats["unit_interval"] >= 1.0
        spread = stats["max"] - stats["min"]
        peak_before = np.full(n, np.nan)
        running = np.nan
        for k in range(n):
            peak_before[k] = running
            if np.isfinite(std[k]):
                running = std[k] if not np.isfinite(running) else max(running, std[k])
        with np.errstate(invalid="ignore"):
            absolute = unit & (std <= self.std)
            relative = (np.arange(n) >= self.baseline_steps) & (std <= self.relative * peak_before)
            single = spread == 0
            collapsed = (absolute | relative | single) & (stats["count"] > 1)
        hit = first_sustained(collapsed, self.min_steps)
        if hit is None:
            return []
        i, j = hit
        return [
            CollapsedOutputsEvent(t.ref, t.role, i, j, float(std[i]), float(stats["mean"][i]), float(peak_before[i]))
        ]

    def describe(self, e: CollapsedOutputsEvent) -> Finding:
        steps = e.ref.series.steps
        onset = int(steps[e.first])
        what = "outputs" if e.role.layer is None else "outputs (%s)" % e.role.name
        symptom = "the %s are the same for every input from step %d (spread %.2g around %.4g)" % (
            what,
            onset,
            e.std,
            e.mean,
        )
        before = e.std_peak_before
        history = (
            ("Earlier the spread was up to %.3g, so the model did tell inputs apart and stopped. " % before)
            if np.isfinite(before) and before > e.std
            else ""
        )
        explanation = (
            "%s. %sA model whose output does not depend on its input predicts one class for "
            "everything: its accuracy equals the share of that class, and stays pinned there "
            "while the loss can still creep (it learns the class prior). Likely causes: dead "
            "ReLU layers below the output (check the activation histograms for a layer of exact "
            "zeros), a learning rate too high that pushed the network into that state, heavy "
            "class imbalance with unnormalised inputs, or an input pipeline that feeds the same "
            "example. Check the predictions of a few different inputs and the per-layer "
            "activations."
        ) % (capital(symptom), history)
        return symptom_finding(
            e.ref.run,
            e.ref.tag,
            kind="collapsed_outputs",
            statistic="std",
            layer=e.role.layer,
            symptom=symptom,
            start_step=onset,
            end_step=int(steps[e.last]),
            explanation=explanation,
            evidence={
                "std": e.std,
                "mean": e.mean,
                "std_peak_before": e.std_peak_before,
                "threshold_std": self.std,
                "threshold_relative": self.relative,
            },
        )
