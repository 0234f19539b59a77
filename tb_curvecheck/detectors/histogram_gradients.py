"""`vanishing_gradients` and `exploding_gradients`.

Gradient magnitudes come either from gradient histograms (the root mean
square of the logged values per step) or from per-layer gradient-norm
scalars (CurveCheck's Keras callback, `clip_grad_norm_` logs).  Both give one
magnitude per step; the detectors compare it with its own early value.
Symptoms alone are `info`; `histogram_suite` raises them when the curves agree.
"""
from __future__ import annotations


import numpy as np

from ..model import LayerRole, Finding
from .histogram_stats import baseline, first_sustained

HistogramRole = LayerRole  # what a tag is, decided in analysis.histogram_roles

# Early gradients are noisy and largest in the first updates; the median of
# the first few logged steps is the reference.
BASELINE_STEPS = 3

# Healthy training shrinks gradient norms by a factor of ten to a few
# hundred as the loss flattens; a thousandfold fall (three orders) means the
# signal no longer reaches the layer.
VANISH_FACTOR = 1e-3

# Below this the gradient is zero in float32 terms for any weight of
# ordinary size (updates of lr * 1e-12 change nothing): vanished whatever
# the start was.
VANISH_ABSOLUTE = 1e-12

# Gradient norms that grow a hundredfold over their early value are feeding
# updates two orders larger than the ones training started with.
EXPLODE_FACTOR = 100.0

# Consecutive logged steps a symptom must hold: one batch can have a huge or
# tiny gradient by chance (an outlier example, a batch of easy ones).
MIN_STEPS = 2


def _symptom_title(kind: str, layer: str, value: float, base: float, step: int) -> str:
    if not np.isfinite(value):
        return "gradients of layer %s turned non-finite at step %d" % (layer, step)
    if kind == "vanishing_gradients":
        if value == 0.0:
            return "gradients of layer %s are exactly zero from step %d" % (layer, step)
        return "gradients of layer %s shrank to %.3g at step %d, %.0e of their early %.3g" % (
            layer, value, step, value / base if base > 0 else 0.0, base)
    return "gradients of layer %s grew to %.3g at step %d, %.0f times their early %.3g" % (
        layer, value, step, value / base if base > 0 else float("inf"), base)


def detect_gradients(run: str, tag: str, role: "HistogramRole", steps: np.ndarray,
                     magnitude: np.ndarray, non_finite: np.ndarray, statistic: str):
    """Both gradient kinds for one magnitude series; returns a list of findings."""
    out = []
    n = steps.shape[0]
    if n == 0:
        return out
    mag = np.asarray(magnitude, dtype=np.float64)
    bad = np.asarray(non_finite, dtype=bool) | ~np.isfinite(mag)
    base = baseline(np.where(bad, np.nan, mag), n, BASELINE_STEPS)
    layer = role.name
    early = np.arange(n) < min(BASELINE_STEPS, n)
    for kind in ("vanishing_gradients", "exploding_gradients"):
        with np.errstate(invalid="ignore", divide="ignore"):
            if kind == "vanishing_gradients":
                # Relative to the start only after the baseline steps; an
                # absolute zero counts from the first step (a layer dead
                # from initialisation never had a gradient to lose).
                relative = (mag <= VANISH_FACTOR * base) & ~early if (np.isfinite(base) and base > 0) \
                    else np.zeros(n, bool)
                mask = (relative | (mag <= VANISH_ABSOLUTE)) & ~bad
            else:
                grown = (mag >= EXPLODE_FACTOR * base) if (np.isfinite(base) and base > 0) else np.zeros(n, bool)
                mask = (grown & ~early) | bad
        hit = first_sustained(mask, MIN_STEPS)
        if hit is None and kind == "exploding_gradients" and bad.any():
            idx = np.flatnonzero(bad)
            hit = (int(idx[0]), int(idx[-1]))
        if hit is None:
            continue
        i, j = hit
        value = float(mag[i]) if not bad[i] else float("nan")
        symptom = _symptom_title(kind, layer, value, base, int(steps[i]))
        if kind == "vanishing_gradients":
            why = (
                "A layer whose gradient has vanished stops learning: its weights freeze where "
                "they are. In deep stacks of sigmoid/tanh layers the signal fades on the way "
                "down; after a collapse, dead ReLU units above the layer pass no gradient at "
                "all. Check: the activation histograms of the layers above it (a layer of "
                "exact zeros), ReLU/LeakyReLU instead of sigmoid in hidden layers, He/Glorot "
                "initialisation, BatchNorm or residual connections.")
        else:
            why = (
                "Gradients two orders larger than at the start drive equally large updates; "
                "the weights and then the loss follow. Likely causes: a learning rate too high, "
                "unnormalised inputs or targets, recurrent nets without clipping, a loss that "
                "divides by a small number. Check: clip gradients (clipnorm=1.0) and lower the "
                "learning rate; if the growth moves later, it was the step size.")
        out.append(Finding(
            run=run, tag=tag, kind=kind, severity="info",
            start_step=int(steps[i]), end_step=int(steps[j]),
            title=symptom,
            explanation="%s. %s" % (symptom[0].upper() + symptom[1:], why),
            evidence={
                "statistic": statistic,
                "symptom": symptom,
                "layer": role.layer,
                "baseline": base,
                "onset_value": value,
                "ratio": (value / base) if (np.isfinite(value) and base > 0) else float("nan"),
                "threshold_factor": VANISH_FACTOR if kind == "vanishing_gradients" else EXPLODE_FACTOR,
                "non_finite_steps": int(np.count_nonzero(bad)),
            },
        ))
    return out



# Across the layers of one network at one step: a layer whose gradient is
# three orders of magnitude below the largest layer's learns a thousand times
# slower.  Healthy nets keep layers within one to two orders (different
# fan-ins, biases against kernels); a stack of sigmoids loses a factor of ~4
# per layer and crosses this after five or six layers.
DEPTH_FACTOR = 1e-3

# Comparing across depth needs a depth: with two layers a large ratio is as
# likely a bias against a kernel as a fading signal.
DEPTH_MIN_LAYERS = 3


def detect_depth(run: str, items, statistic: str):
    """`vanishing_gradients` across the layers of one run.

    `items`: (tag, role, steps, magnitude) for every gradient series of the
    run measured the same way (all histogram RMS, or all logged norms).
    A layer is flagged where its magnitude is at most DEPTH_FACTOR times the
    largest layer's at the same step, for MIN_STEPS logged steps.
    """
    out = []
    if len(items) < DEPTH_MIN_LAYERS:
        return out
    peak: dict = {}
    owner: dict = {}
    for tag, role, steps, mag in items:
        for s, m in zip(steps.tolist(), np.asarray(mag, dtype=np.float64).tolist()):
            if np.isfinite(m) and m > peak.get(s, 0.0):
                peak[s] = m
                owner[s] = role.name
    for tag, role, steps, mag in items:
        mag = np.asarray(mag, dtype=np.float64)
        top = np.array([peak.get(s, np.nan) for s in steps.tolist()])
        with np.errstate(invalid="ignore", divide="ignore"):
            # Exact zeros are the absolute criterion's story (a dead layer), not depth's.
            faded = np.isfinite(mag) & (mag > VANISH_ABSOLUTE) & (mag <= DEPTH_FACTOR * top)
        hit = first_sustained(faded, MIN_STEPS)
        if hit is None:
            continue
        i, j = hit
        ratio = float(mag[i] / top[i])
        symptom = ("gradients of layer %s are %.2g at step %d, 1/%.0f of layer %s's: the "
                   "signal fades before it reaches this layer" % (
                       role.name, mag[i], int(steps[i]), 1.0 / ratio, owner[int(steps[i])]))
        why = (
            "The loss gradient shrinks on its way down the network, so the lower layers barely "
            "learn while the upper ones do. Classic causes: a deep stack of sigmoid or tanh "
            "layers (each multiplies the gradient by at most 0.25 or 1), small initial weights, "
            "no normalisation or skip connections. Check: ReLU-family activations with He "
            "initialisation, BatchNorm between layers, or residual connections; then compare "
            "the layers' gradients again.")
        out.append(Finding(
            run=run, tag=tag, kind="vanishing_gradients", severity="info",
            start_step=int(steps[i]), end_step=int(steps[j]),
            title=symptom,
            explanation="%s. %s" % (symptom[0].upper() + symptom[1:], why),
            evidence={
                "statistic": statistic,
                "symptom": symptom,
                "layer": role.layer,
                "onset_value": float(mag[i]),
                "largest_layer": owner[int(steps[i])],
                "largest_value": float(top[i]),
                "ratio": ratio,
                "threshold_factor": DEPTH_FACTOR,
                "across_layers": True,
            },
        ))
    return out
