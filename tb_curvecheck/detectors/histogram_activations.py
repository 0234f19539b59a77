"""`dead_units`, `saturated_outputs` and `collapsed_outputs` from activation and
output histograms.  Each returns the symptom alone at severity `info`;
`histogram_suite` raises it when the curves agree.
"""
from __future__ import annotations

from typing import Dict, Optional

import numpy as np

from ..model import LayerRole, Finding, HistogramRef
from .histogram_stats import END_TOLERANCE, baseline, first_sustained

HistogramRole = LayerRole  # what a tag is, decided in analysis.histogram_roles

# A ReLU layer is normally sparse: half its outputs are zero after
# BatchNorm, up to ~80-90 % in wide layers.  At 97 % zeros nearly every unit
# is dead on nearly every input: the layer passes almost nothing on.
DEAD_ZERO_FRACTION = 0.97

# Two consecutive logged steps: dead ReLUs almost never come back, while one
# unlucky sample batch can be mostly zeros once.
MIN_STEPS = 2

# The layer's own earlier share of zeros, for the "died during training"
# story: a fall of the live share by this factor or more (e.g. 40 % live ->
# 2 % live) means the layer died, not that it was born this sparse.
DIED_FACTOR = 5.0

# Share of outputs pinned within END_TOLERANCE of 0 or 1 (logits beyond
# +-13.8).  A calibrated classifier, even a confident one, leaves most outputs
# short of that; when half of them sit at the float limits the logits have
# blown up (the healthy runs of the corpus have none pinned at all).
SATURATED_FRACTION = 0.5

# Probabilities that differ by less than this across inputs are "the same
# prediction for every input": 0.5 % cannot move any input across a
# decision threshold the others do not cross with it.
COLLAPSED_STD = 0.005

# For outputs not in [0, 1] (logits, regression), no absolute scale exists:
# a spread that fell to 1 % of the largest spread seen before is a collapse.
COLLAPSED_RELATIVE = 0.01

# Where the output spread is compared with its own past, the past must show
# it (one step is not a history).
BASELINE_STEPS = 3


def _pct(x: float) -> str:
    return "%.0f %%" % (100.0 * x) if x < 0.995 else "%.1f %%" % (100.0 * x)


def detect_dead_units(ref: HistogramRef, role: "HistogramRole",
                      stats: Dict[str, np.ndarray]) -> Optional[Finding]:
    steps = ref.series.steps
    zf = stats["zero_fraction"]
    with np.errstate(invalid="ignore"):
        dead = zf >= DEAD_ZERO_FRACTION
    hit = first_sustained(dead, MIN_STEPS)
    if hit is None:
        return None
    i, j = hit
    earlier = baseline(zf, i, BASELINE_STEPS)
    died = bool(np.isfinite(earlier) and (1.0 - earlier) >= DIED_FACTOR * (1.0 - zf[i]))
    onset = int(steps[i])
    symptom = "layer %s's outputs are %s exact zeros from step %d" % (role.name, _pct(zf[i]), onset)
    if died:
        history = ("Before that only %s were zero, so the layer was alive and died during "
                   "training: a large update pushed its pre-activations below zero for every "
                   "input, where ReLU passes no gradient and they cannot come back. "
                   % _pct(earlier))
    elif np.isfinite(earlier):
        history = "It was already %s zeros before, so it has been (nearly) dead all along. " % _pct(earlier)
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
    ) % (symptom[0].upper() + symptom[1:], _pct(zf[i]), history)
    return Finding(
        run=ref.run, tag=ref.tag, kind="dead_units", severity="info",
        start_step=onset, end_step=int(steps[j]),
        title=symptom, explanation=explanation,
        evidence={
            "statistic": "zero_fraction",
            "symptom": symptom,
            "layer": role.layer,
            "zero_fraction": float(zf[i]),
            "zero_fraction_last": float(zf[j]),
            "zero_fraction_before": earlier,
            "died_during_training": died,
            "threshold": DEAD_ZERO_FRACTION,
        },
    )


def detect_saturated_outputs(ref: HistogramRef, role: "HistogramRole",
                             stats: Dict[str, np.ndarray]) -> Optional[Finding]:
    steps = ref.series.steps
    ends = stats["ends_fraction"]
    with np.errstate(invalid="ignore"):
        pinned = (stats["unit_interval"] >= 1.0) & (ends >= SATURATED_FRACTION)
    hit = first_sustained(pinned, MIN_STEPS)
    if hit is None:
        return None
    i, j = hit
    onset = int(steps[i])
    symptom = "%s of the %s sit at exactly 0 or 1 (within %g) from step %d" % (
        _pct(ends[i]), "outputs" if role.layer is None else "outputs of %s" % role.name,
        END_TOLERANCE, onset)
    explanation = (
        "%s. Probabilities pinned at the float limits mean the logits have grown huge: every "
        "prediction is certain, and every wrong one costs the clipped maximum of the "
        "cross-entropy (16.12 in Keras, 100 in PyTorch's BCELoss), which is why such a loss "
        "reads as (1 - accuracy) x that maximum. Likely causes: a learning rate too high, "
        "unnormalised inputs, or a softmax/sigmoid output fed to a loss that expects logits "
        "(from_logits). Check the logits' magnitude on one batch and lower the learning rate."
    ) % (symptom[0].upper() + symptom[1:])
    return Finding(
        run=ref.run, tag=ref.tag, kind="saturated_outputs", severity="info",
        start_step=onset, end_step=int(steps[j]),
        title=symptom, explanation=explanation,
        evidence={
            "statistic": "ends_fraction",
            "symptom": symptom,
            "layer": role.layer,
            "ends_fraction": float(ends[i]),
            "threshold": SATURATED_FRACTION,
            "tolerance": END_TOLERANCE,
        },
    )


def detect_collapsed_outputs(ref: HistogramRef, role: "HistogramRole",
                             stats: Dict[str, np.ndarray]) -> Optional[Finding]:
    steps = ref.series.steps
    n = steps.shape[0]
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
        absolute = unit & (std <= COLLAPSED_STD)
        relative = (np.arange(n) >= BASELINE_STEPS) & (std <= COLLAPSED_RELATIVE * peak_before)
        single = spread == 0
        collapsed = (absolute | relative | single) & (stats["count"] > 1)
    hit = first_sustained(collapsed, MIN_STEPS)
    if hit is None:
        return None
    i, j = hit
    onset = int(steps[i])
    what = "outputs" if role.layer is None else "outputs (%s)" % role.name
    symptom = "the %s are the same for every input from step %d (spread %.2g around %.4g)" % (
        what, onset, std[i], stats["mean"][i])
    before = peak_before[i]
    history = ("Earlier the spread was up to %.3g, so the model did tell inputs apart and "
               "stopped. " % before) if np.isfinite(before) and before > std[i] else ""
    explanation = (
        "%s. %sA model whose output does not depend on its input predicts one class for "
        "everything: its accuracy equals the share of that class, and stays pinned there "
        "while the loss can still creep (it learns the class prior). Likely causes: dead "
        "ReLU layers below the output (check the activation histograms for a layer of exact "
        "zeros), a learning rate too high that pushed the network into that state, heavy "
        "class imbalance with unnormalised inputs, or an input pipeline that feeds the same "
        "example. Check the predictions of a few different inputs and the per-layer "
        "activations."
    ) % (symptom[0].upper() + symptom[1:], history)
    return Finding(
        run=ref.run, tag=ref.tag, kind="collapsed_outputs", severity="info",
        start_step=onset, end_step=int(steps[j]),
        title=symptom, explanation=explanation,
        evidence={
            "statistic": "std",
            "symptom": symptom,
            "layer": role.layer,
            "std": float(std[i]),
            "mean": float(stats["mean"][i]),
            "std_peak_before": float(before),
            "threshold_std": COLLAPSED_STD,
            "threshold_relative": COLLAPSED_RELATIVE,
        },
    )
