"""`vanishing_gradients` and `exploding_gradients`.

Gradient magnitudes come either from gradient histograms (the root mean
square of the logged values per step: `GradientHistograms`) or from per-layer
gradient-norm scalars (CurveCheck's Keras callback, `clip_grad_norm_` logs:
`GradientNorms`).  Both give one magnitude per step; the detectors compare it
with its own early value (`GradientMagnitude`) and, across the layers of one
run, with the largest layer's (`GradientDepth`).
Symptoms alone are `info`; `analysis.histogram_stories` raises them when the curves agree.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Dict, List, Tuple

import numpy as np

from ..model import EV_LAYER, EV_STATISTIC, EV_SYMPTOM, Experiment, Finding, LayerRole, SeriesRef
from .base import Detector, ExperimentTargets, HistogramTarget
from .histogram_stats import baseline, first_sustained
from .stats import zero_learning_rate
from .wording import capital

# Below this the gradient is zero in float32 terms for any weight of
# ordinary size (updates of lr * 1e-12 change nothing): vanished whatever
# the start was.
VANISH_ABSOLUTE = 1e-12
# Consecutive logged steps a symptom must hold: one batch can have a huge or
# tiny gradient by chance (an outlier example, a batch of easy ones).
MIN_STEPS = 2


@dataclasses.dataclass(frozen=True, eq=False)
class GradientEvent:
    kind: str  # vanishing_gradients or exploding_gradients
    run: str
    tag: str
    role: LayerRole
    statistic: str  # "rms" (histograms) or "value" (norm scalars)
    steps: np.ndarray
    first: int
    last: int
    baseline: float
    value: float  # at onset, NaN when non-finite
    threshold_factor: float
    non_finite_steps: int
    untrained: bool = False  # the whole model's norm is exactly zero at every step (with a learning rate)


def _symptom_title(kind: str, layer: str, value: float, base: float, step: int) -> str:
    if layer == LayerRole("gradient_norm").name:
        return _model_title(kind, value, base, step)
    if not np.isfinite(value):
        return "gradients of layer %s turned non-finite at step %d" % (layer, step)
    if kind == "vanishing_gradients":
        if value == 0.0:
            return "gradients of layer %s are exactly zero from step %d" % (layer, step)
        return "gradients of layer %s shrank to %.3g at step %d, %.0e of their early %.3g" % (
            layer,
            value,
            step,
            value / base if base > 0 else 0.0,
            base,
        )
    return "gradients of layer %s grew to %.3g at step %d, %.0f times their early %.3g" % (
        layer,
        value,
        step,
        value / base if base > 0 else float("inf"),
        base,
    )


def _model_title(kind: str, value: float, base: float, step: int) -> str:
    """The same symptoms told of the whole model's gradient norm (`train/grad_norm`)."""
    if not np.isfinite(value):
        return "the model's gradient norm turned non-finite at step %d" % step
    if kind == "vanishing_gradients":
        if value == 0.0:
            return "the model's gradient norm is exactly zero from step %d: no weight receives a gradient" % step
        return "the model's gradient norm shrank to %.3g at step %d, %.0e of its early %.3g" % (
            value,
            step,
            value / base if base > 0 else 0.0,
            base,
        )
    return "the model's gradient norm grew to %.3g at step %d, %.0f times its early %.3g" % (
        value,
        step,
        value / base if base > 0 else float("inf"),
        base,
    )


_WHY = {
    "vanishing_gradients": (
        "A layer whose gradient has vanished stops learning: its weights freeze where "
        "they are. In deep stacks of sigmoid/tanh layers the signal fades on the way "
        "down; after a collapse, dead ReLU units above the layer pass no gradient at "
        "all. Check: the activation histograms of the layers above it (a layer of "
        "exact zeros), ReLU/LeakyReLU instead of sigmoid in hidden layers, He/Glorot "
        "initialisation, BatchNorm or residual connections."
    ),
    "exploding_gradients": (
        "Gradients two orders larger than at the start drive equally large updates; "
        "the weights and then the loss follow. Likely causes: a learning rate too high, "
        "unnormalised inputs or targets, recurrent nets without clipping, a loss that "
        "divides by a small number. Check: clip gradients (clipnorm=1.0) and lower the "
        "learning rate; if the growth moves later, it was the step size."
    ),
}


@dataclasses.dataclass(frozen=True)
class GradientMagnitude(Detector[GradientEvent]):
    """Both gradient kinds for one magnitude series, against its own early value."""

    kinds = ("vanishing_gradients", "exploding_gradients")
    statistic: ClassVar[str]

    # Early gradients are noisy and largest in the first updates; the median of
    # the first few logged steps is the reference.
    baseline_steps: int = 3
    # Healthy training shrinks gradient norms by a factor of ten to a few
    # hundred as the loss flattens; a thousandfold fall (three orders) means the
    # signal no longer reaches the layer.
    vanish_factor: float = 1e-3
    vanish_absolute: float = VANISH_ABSOLUTE
    # Gradient norms that grow a hundredfold over their early value are feeding
    # updates two orders larger than the ones training started with.
    explode_factor: float = 100.0
    min_steps: int = MIN_STEPS

    def events(
        self, run: str, tag: str, role: LayerRole, steps: np.ndarray, magnitude: np.ndarray, non_finite: np.ndarray
    ) -> List[GradientEvent]:
        out: List[GradientEvent] = []
        n = steps.shape[0]
        # One logged value is no gradient that vanished or grew (a Trainer's single `grad_norm` of 0.0,
        # written by a session that stopped at its first logging step, read as "zero from step 10").
        if n < self.min_steps:
            return out
        mag = np.asarray(magnitude, dtype=np.float64)
        bad = np.asarray(non_finite, dtype=bool) | ~np.isfinite(mag)
        base = baseline(np.where(bad, np.nan, mag), n, self.baseline_steps)
        early = np.arange(n) < min(self.baseline_steps, n)
        for kind in ("vanishing_gradients", "exploding_gradients"):
            with np.errstate(invalid="ignore", divide="ignore"):
                if kind == "vanishing_gradients":
                    # Relative to the start only after the baseline steps; an
                    # absolute zero counts from the first step (a layer dead
                    # from initialisation never had a gradient to lose).
                    relative = (
                        (mag <= self.vanish_factor * base) & ~early
                        if (np.isfinite(base) and base > 0)
                        else np.zeros(n, bool)
                    )
                    mask = (relative | (mag <= self.vanish_absolute)) & ~bad
                else:
                    grown = (
                        (mag >= self.explode_factor * base) if (np.isfinite(base) and base > 0) else np.zeros(n, bool)
                    )
                    mask = (grown & ~early) | bad
            hit = first_sustained(mask, self.min_steps)
            if hit is None and kind == "exploding_gradients" and bad.any():
                idx = np.flatnonzero(bad)
                hit = (int(idx[0]), int(idx[-1]))
            if hit is None:
                continue
            i, j = hit
            out.append(
                GradientEvent(
                    kind=kind,
                    run=run,
                    tag=tag,
                    role=role,
                    statistic=self.statistic,
                    steps=steps,
                    first=i,
                    last=j,
                    baseline=base,
                    value=float(mag[i]) if not bad[i] else float("nan"),
                    threshold_factor=self.vanish_factor if kind == "vanishing_gradients" else self.explode_factor,
                    non_finite_steps=int(np.count_nonzero(bad)),
                )
            )
        return out

    def describe(self, e: GradientEvent) -> Finding:
        symptom = _symptom_title(e.kind, e.role.name, e.value, e.baseline, int(e.steps[e.first]))
        return Finding(
            run=e.run,
            tag=e.tag,
            kind=e.kind,
            severity="info",
            start_step=int(e.steps[e.first]),
            end_step=int(e.steps[e.last]),
            title=symptom,
            explanation="%s. %s" % (capital(symptom), _WHY[e.kind]),
            evidence={
                EV_STATISTIC: e.statistic,
                EV_SYMPTOM: symptom,
                EV_LAYER: e.role.layer,
                "baseline": e.baseline,
                "onset_value": e.value,
                "ratio": (e.value / e.baseline) if (np.isfinite(e.value) and e.baseline > 0) else float("nan"),
                "threshold_factor": e.threshold_factor,
                "non_finite_steps": e.non_finite_steps,
            },
        )


@dataclasses.dataclass(frozen=True)
class GradientHistograms(GradientMagnitude):
    """Gradient histograms, judged on their per-step root mean square."""

    name = "gradient_histograms"
    target = "histogram"
    layer_roles = ("gradients",)
    statistic = "rms"

    def measure(self, exp: Experiment, t: HistogramTarget) -> List[GradientEvent]:
        return self.events(
            t.ref.run, t.ref.tag, t.role, t.ref.series.steps, t.stats["rms"], t.stats["non_finite"] >= 1.0
        )


@dataclasses.dataclass(frozen=True)
class GradientNorms(GradientMagnitude):
    """Per-layer gradient-norm scalars (`curvecheck/gradient_norm/<layer>`, `clip_grad_norm_` logs)."""

    name = "gradient_norms"
    target = "layer_scalar"
    layer_roles = ("gradient_norm",)
    statistic = "value"

    # The whole model's gradient norm at exactly zero on this many logged steps, all of them, while
    # the learning rate is not zero: nothing is trained, which needs no other series to confirm.
    all_zero_min_steps: int = 3

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[GradientEvent]:
        if ref.info.split in ("validation", "test"):
            # An evaluation pass runs no backward pass: a `val/grad_norm` logged beside the training one
            # reads 0 at every evaluation by construction (SPRT-TANDEM's logger writes both splits).
            return []
        role = exp.layer_role(ref.run, ref.tag)
        events = self.events(
            ref.run, ref.tag, role, ref.series.steps, ref.series.values, ~np.isfinite(ref.series.values)
        )
        v = ref.series.values
        if (
            role.layer is None
            and v.shape[0] >= self.all_zero_min_steps
            and np.all(v == 0.0)
            and not zero_learning_rate(exp)
        ):
            events = [dataclasses.replace(e, untrained=True) for e in events]
        return events

    def describe(self, e: GradientEvent) -> Finding:
        f = super().describe(e)
        if not e.untrained:
            return f
        return dataclasses.replace(
            f,
            severity="warning",
            explanation=(
                "The model's gradient norm is exactly zero at every one of its %d logged steps while the "
                "learning rate is not: no weight is being updated, so this training changes nothing (its "
                "loss and evaluations hold where they started). Typical causes: every parameter frozen "
                "(requires_grad=False, a LoRA/PEFT setup whose adapters were never attached, a model "
                "loaded in inference mode), a loss detached from the graph (computed under no_grad, or on "
                "`.detach()`ed outputs), or every step skipped by a mixed-precision scaler. Count the "
                "trainable parameters and check that one optimizer step changes a weight." % (len(e.steps),)
            ),
        )


@dataclasses.dataclass(frozen=True, eq=False)
class DepthEvent:
    run: str
    tag: str
    role: LayerRole
    statistic: str
    steps: np.ndarray
    first: int
    last: int
    value: float  # this layer's magnitude at onset
    largest_layer: str
    largest_value: float
    ratio: float


@dataclasses.dataclass(frozen=True)
class GradientDepth(Detector[DepthEvent]):
    """`vanishing_gradients` across the layers of one run: a layer whose magnitude is at most
    `factor` times the largest layer's at the same step, for `min_steps` logged steps.

    Layers are compared only with layers measured the same way (all histogram RMS, or all
    logged norms).  A layer also found vanishing on its own history is told once, by the
    stories (`analysis.histogram_stories`)."""

    name = "gradient_depth"
    kinds = ("vanishing_gradients",)
    target = "experiment"

    # Across the layers of one network at one step: a layer whose gradient is
    # three orders of magnitude below the largest layer's learns a thousand times
    # slower.  Healthy nets keep layers within one to two orders (different
    # fan-ins, biases against kernels); a stack of sigmoids loses a factor of ~4
    # per layer and crosses this after five or six layers.
    factor: float = 1e-3
    # Comparing across depth needs a depth: with two layers a large ratio is as
    # likely a bias against a kernel as a fading signal.
    min_layers: int = 3
    # Exact zeros are the absolute criterion's story (a dead layer), not depth's.
    vanish_absolute: float = VANISH_ABSOLUTE
    min_steps: int = MIN_STEPS

    def measure(self, exp: Experiment, targets: ExperimentTargets) -> List[DepthEvent]:
        groups: Dict[Tuple[str, str], List[Tuple[str, LayerRole, np.ndarray, Any]]] = {}
        for t in targets.histograms:
            if t.role.role == "gradients":
                groups.setdefault((t.ref.run, "rms"), []).append(
                    (t.ref.tag, t.role, t.ref.series.steps, t.stats["rms"])
                )
        for ref, role in targets.layer_scalars:
            if role.role == "gradient_norm":
                groups.setdefault((ref.run, "value"), []).append((ref.tag, role, ref.series.steps, ref.series.values))
        out: List[DepthEvent] = []
        for (run, statistic), items in groups.items():
            out.extend(self._across(run, statistic, items))
        return out

    def _across(self, run: str, statistic: str, items) -> List[DepthEvent]:
        out: List[DepthEvent] = []
        if len(items) < self.min_layers:
            return out
        peak: dict = {}
        owner: dict = {}
        for _tag, role, steps, mag in items:
            for s, m in zip(steps.tolist(), np.asarray(mag, dtype=np.float64).tolist()):
                if np.isfinite(m) and m > peak.get(s, 0.0):
                    peak[s] = m
                    owner[s] = role.name
        for tag, role, steps, mag in items:
            mag = np.asarray(mag, dtype=np.float64)
            top = np.array([peak.get(s, np.nan) for s in steps.tolist()])
            with np.errstate(invalid="ignore", divide="ignore"):
                faded = np.isfinite(mag) & (mag > self.vanish_absolute) & (mag <= self.factor * top)
            hit = first_sustained(faded, self.min_steps)
            if hit is None:
                continue
            i, j = hit
            out.append(
                DepthEvent(
                    run,
                    tag,
                    role,
                    statistic,
                    steps,
                    i,
                    j,
                    float(mag[i]),
                    owner[int(steps[i])],
                    float(top[i]),
                    float(mag[i] / top[i]),
                )
            )
        return out

    def describe(self, e: DepthEvent) -> Finding:
        step = int(e.steps[e.first])
        symptom = (
            "gradients of layer %s are %.2g at step %d, 1/%.0f of layer %s's: the "
            "signal fades before it reaches this layer" % (e.role.name, e.value, step, 1.0 / e.ratio, e.largest_layer)
        )
        why = (
            "The loss gradient shrinks on its way down the network, so the lower layers barely "
            "learn while the upper ones do. Classic causes: a deep stack of sigmoid or tanh "
            "layers (each multiplies the gradient by at most 0.25 or 1), small initial weights, "
            "no normalisation or skip connections. Check: ReLU-family activations with He "
            "initialisation, BatchNorm between layers, or residual connections; then compare "
            "the layers' gradients again."
        )
        return Finding(
            run=e.run,
            tag=e.tag,
            kind="vanishing_gradients",
            severity="info",
            start_step=step,
            end_step=int(e.steps[e.last]),
            title=symptom,
            explanation="%s. %s" % (capital(symptom), why),
            evidence={
                EV_STATISTIC: e.statistic,
                EV_SYMPTOM: symptom,
                EV_LAYER: e.role.layer,
                "onset_value": e.value,
                "largest_layer": e.largest_layer,
                "largest_value": e.largest_value,
                "ratio": e.ratio,
                "threshold_factor": self.factor,
                "across_layers": True,
            },
        )
