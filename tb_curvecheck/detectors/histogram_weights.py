"""`exploding_weights` and `frozen_weights` from weight histograms.

Each detector returns the symptom alone, at severity `info`; whether the
curves agree (and the severity rises) is decided in `histogram_suite`.
"""
from __future__ import annotations

from typing import Dict, Optional

import numpy as np

from ..model import LayerRole, Finding, HistogramRef
from .histogram_stats import baseline, first_sustained

HistogramRole = LayerRole  # what a tag is, decided in analysis.histogram_roles

# The reference scale is the median of the first few logged steps: one step
# can be an outlier (Keras logs after the first epoch, when a large first
# update may already have moved the weights).
BASELINE_STEPS = 3

# "Orders of magnitude": two.  Healthy training moves weight magnitudes by a
# factor of a few to ten (a Glorot kernel of std 0.05 ending near 0.5); a
# hundredfold growth is not learning, it is a runaway.
EXPLODE_FACTOR = 100.0

# Biases and normalisation offsets start at exactly 0, so growth relative to
# their start is meaningless; magnitudes are measured against at least 1.0,
# the scale of a typical activation, so a bias must pass 100 to count.
EXPLODE_FLOOR = 1.0

# Two consecutive logged steps: one large value can be a single extreme
# weight that the next update pulls back; a runaway stays.
MIN_STEPS = 2

# Moves smaller than this share of the spread are float rounding, not an
# update: one float32 ulp of a weight of magnitude ~1 relative to a spread of
# ~0.05 is about 2e-6; a real update of even lr=1e-6 moves min/max by more.
FROZEN_CHANGE = 1e-7

# A layer that stays identical over this many consecutive logged steps is
# frozen; fewer could be an epoch where the layer's inputs were all masked.
FROZEN_STEPS = 3


def _layer_phrase(ref: HistogramRef, role: "HistogramRole") -> str:
    what = {"kernel": "weights", "bias": "biases"}.get(role.role, "values")
    if role.param:
        what = "%s (%s)" % (what, role.param)
    return "layer %s's %s" % (role.name, what)


def detect_exploding_weights(ref: HistogramRef, role: "HistogramRole",
                             stats: Dict[str, np.ndarray]) -> Optional[Finding]:
    steps = ref.series.steps
    n = steps.shape[0]
    if n == 0:
        return None
    abs_max = stats["abs_max"]
    non_finite = stats["non_finite"] >= 1.0
    base = baseline(abs_max, n, BASELINE_STEPS)
    ref_scale = max(base if np.isfinite(base) else 0.0, EXPLODE_FLOOR)
    with np.errstate(invalid="ignore"):
        grown = abs_max >= EXPLODE_FACTOR * ref_scale
    # Growth is judged after the baseline steps so the baseline is not compared to itself.
    grown[: min(BASELINE_STEPS, n)] = False
    mask = grown | non_finite
    hit = first_sustained(mask, MIN_STEPS)
    if hit is None:
        # A single non-finite step is enough: weights do not recover from NaN.
        bad = np.flatnonzero(non_finite)
        if not bad.size:
            return None
        hit = (int(bad[0]), int(bad[-1]))
    i, j = hit
    phrase = _layer_phrase(ref, role)
    onset_step = int(steps[i])
    if non_finite[i]:
        symptom = "%s turned non-finite (NaN/Inf) at step %d" % (phrase, onset_step)
        ratio = float("inf")
    else:
        ratio = float(abs_max[i] / ref_scale)
        symptom = "%s grew to |w| = %.3g at step %d, from %.3g early on" % (
            phrase, abs_max[i], onset_step, base)
    finite_max = abs_max[np.isfinite(abs_max)]
    peak = float(finite_max.max()) if finite_max.size else float("nan")
    explanation = (
        "%s. Weights that grow by orders of magnitude are not being learned but pushed by "
        "updates too large for the loss surface: a learning rate too high for the data's "
        "scale, unnormalised inputs, or gradients that explode (recurrent nets, no "
        "normalisation). Once weights are this large, activations saturate or overflow and "
        "the loss usually diverges or turns NaN. Check: lower the learning rate tenfold or "
        "clip gradients (clipnorm=1.0) and see whether the growth starts later or not at all, "
        "and check that the inputs are standardised." % (symptom[0].upper() + symptom[1:]))
    return Finding(
        run=ref.run, tag=ref.tag, kind="exploding_weights", severity="info",
        start_step=onset_step, end_step=int(steps[j]),
        title=symptom,
        explanation=explanation,
        evidence={
            "statistic": "abs_max",
            "symptom": symptom,
            "layer": role.layer,
            "role": role.role,
            "baseline_abs_max": base,
            "onset_abs_max": float(abs_max[i]),
            "peak_abs_max": float(peak),
            "growth": ratio,
            "threshold_factor": EXPLODE_FACTOR,
            "floor": EXPLODE_FLOOR,
            "non_finite_steps": int(np.count_nonzero(non_finite)),
        },
    )


def detect_frozen_weights(ref: HistogramRef, role: "HistogramRole",
                          stats: Dict[str, np.ndarray]) -> Optional[Finding]:
    steps = ref.series.steps
    n = steps.shape[0]
    if n < FROZEN_STEPS + 1:
        return None
    change = stats["change"]
    with np.errstate(invalid="ignore"):
        still = change <= FROZEN_CHANGE
    # `change[k]` compares step k with k-1: a run of FROZEN_STEPS unchanged
    # comparisons means FROZEN_STEPS + 1 identical histograms.
    hit = first_sustained(still, FROZEN_STEPS, open_end=False)
    if hit is None:
        return None
    i, j = hit
    since = i - 1
    frozen_from_start = since == 0
    phrase = _layer_phrase(ref, role)
    if frozen_from_start:
        symptom = "%s never changed over %d logged steps (%d to %d)" % (
            phrase, n, int(steps[0]), int(steps[-1]))
    else:
        symptom = "%s stopped changing at step %d and stayed identical to step %d" % (
            phrase, int(steps[since]), int(steps[j]))
    explanation = (
        "%s, while other histograms of the run kept being logged. A weight tensor that does "
        "not move receives no update: the layer is frozen on purpose (trainable=False, "
        "transfer learning; then this is expected), its gradient is exactly zero (a dead ReLU "
        "layer above it, a detached or unused branch, a mask that blocks it), or the "
        "optimizer does not see it (a variable created outside the model or missing from the "
        "parameter list). Check the layer's `trainable` flag and the gradient of its weights "
        "on one batch."
    ) % (symptom[0].upper() + symptom[1:])
    return Finding(
        run=ref.run, tag=ref.tag, kind="frozen_weights", severity="info",
        start_step=int(steps[since]), end_step=int(steps[j]),
        title=symptom,
        explanation=explanation,
        evidence={
            "statistic": "change",
            "symptom": symptom,
            "layer": role.layer,
            "role": role.role,
            "frozen_from_start": frozen_from_start,
            "unchanged_steps": int(np.count_nonzero(still[i:j + 1])),
            "threshold_change": FROZEN_CHANGE,
        },
    )
