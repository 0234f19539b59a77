"""`oscillation`: a curve alternates up and down on consecutive evaluations
with an amplitude well above its noise."""
from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import _util as U

# Consecutive differences that must alternate in sign: white noise alternates with probability
# 2/3 per step (8 in a row: 6 %), and a one-off dip makes two; the swing size does the rest.
MIN_SWINGS = 8
# The median swing must exceed this many noise units, the noise measured over the whole curve
# from differences two evaluations apart, which a period-2 alternation cancels out
# (a swing of white noise exceeds 3 sigma 3 % of the time: a stretch of them never happens).
NOISE_K = 3.0
# Every swing must exceed this on a 0-1 metric: a point of accuracy up and down is not worth a warning.
MIN_SWING_FRACTION = 0.02
# ... or this share of the curve's robust range (5th-95th percentile) for other curves.
MIN_SWING_RANGE_SHARE = 0.05


def alternating_stretch(values: np.ndarray) -> Optional[Tuple[int, int, float, float]]:
    """(first point, last point, median swing, noise) of the longest period-2 alternation."""
    v = values
    n = v.shape[0]
    if n < MIN_SWINGS + 1:
        return None
    d = np.diff(v)
    if U.is_fraction(v):
        floor = MIN_SWING_FRACTION
    else:
        lo, hi = np.percentile(v, [5, 95])
        floor = MIN_SWING_RANGE_SHARE * float(hi - lo)
    big = np.abs(d) >= floor
    sign = np.sign(d)
    best = None
    i = 0
    while i < d.shape[0]:
        if not big[i] or sign[i] == 0:
            i += 1
            continue
        j = i
        while j + 1 < d.shape[0] and big[j + 1] and sign[j + 1] == -sign[j]:
            j += 1
        if best is None or j - i > best[1] - best[0]:
            best = (i, j)
        i = j + 1
    if best is None or best[1] - best[0] + 1 < MIN_SWINGS:
        return None
    i, j = best
    # Noise from the whole curve and from the stretch's neighbourhood (as wide again on each
    # side), whichever is larger: a short stretch says too little about its own noise, and a
    # curve that is flat elsewhere (a collapsed run) says too little about the noisy part.
    length = j + 2 - i
    local = v[max(0, i - length):min(n, j + 2 + length)]
    sigma = max(U.noise(v, lag=2), U.noise(local, lag=2))
    swing = float(np.median(np.abs(d[i:j + 1])))
    if swing < NOISE_K * sigma:
        return None
    return i, j + 1, swing, sigma


def _alternates(ref: SeriesRef, v: np.ndarray) -> bool:
    judged_values = np.log(v) if ref.info.role == "loss" and v.size and (v > 0).all() else v
    return alternating_stretch(judged_values) is not None


def detect_oscillation(exp: Experiment, ref: SeriesRef) -> List[Finding]:
    if not U.judged(ref, ("loss", "metric_up", "metric_down")):
        return []
    # Per-step training values are minibatch samples; alternation there is noise, not evaluations.
    if ref.info.granularity == "step" and ref.info.split == "train":
        return []
    view = U.view_of(ref, smooth=False)
    if view.condensed:
        return []
    v = view.values
    # Loss noise is multiplicative (large while the loss is large): judged on a log scale, an
    # early steep stretch is not mistaken for a swing.
    judged_values = np.log(v) if ref.info.role == "loss" and v.size and (v > 0).all() else v
    got = alternating_stretch(judged_values)
    if got is None:
        return []
    a, b, _, _ = got
    swing = float(np.median(np.abs(np.diff(v[a:b + 1]))))
    sigma = U.noise(v, lag=2)
    name = U.short(ref)
    seg = v[a:b + 1]
    highs, lows = seg[::2], seg[1::2]
    if highs.mean() < lows.mean():
        highs, lows = lows, highs
    evals = b - a + 1
    # Which companions swing with it (the loss of a swinging accuracy, the other split).
    companions = []
    for other in [exp.loss_for(ref)] + exp.metrics_for(ref)[:1] if ref.info.role == "loss" else \
            [exp.loss_for(ref)]:
        if other is None or other is ref:
            continue
        ov = U.view_of(other, smooth=False)
        if not ov.condensed and _alternates(other, ov.values):
            companions.append(other)
    partner = exp.partner(ref)
    partner_calm = partner is not None and not U.view_of(partner, smooth=False).condensed and \
        not _alternates(partner, U.view_of(partner, smooth=False).values)
    title = "%s alternates up and down every evaluation for %d evaluations (steps %d-%d), swing %s" % (
        name, evals, int(view.steps[a]), int(view.end_steps[b]), view.shown(swing))
    parts = ["%s goes up and down on consecutive evaluations from step %d to step %d: highs around %s, lows "
             "around %s, a median swing of %s against a noise of %s. " % (
                 name[0].upper() + name[1:], int(view.steps[a]), int(view.end_steps[b]),
                 view.shown(float(np.median(highs))), view.shown(float(np.median(lows))),
                 view.shown(swing), view.shown(sigma))]
    if companions:
        parts.append("%s swings in step with it. " % " and ".join(U.short(c) for c in companions).capitalize())
    if ref.info.split in ("validation", "test"):
        if partner_calm:
            parts.append("%s does not swing, so the model is fine and the evaluation is not. " %
                         U.short(partner).capitalize())
        parts.append(
            "A period-2 pattern on the validation curves is the signature of evaluating a different part "
            "of the validation set each time: validation_steps that do not cover the whole set (each epoch "
            "continues where the last one stopped), a generator that is not reset, or a class-ordered set "
            "read with shuffle=False so that alternate epochs see mostly one class. Check that "
            "validation_steps × batch size equals the number of validation samples (use "
            "ceil(n / batch_size)), or pass the generator without validation_steps.")
    else:
        parts.append(
            "Alternation on the training curve means the updates overshoot back and forth: the learning "
            "rate is too high for the curvature (lower it, or add momentum damping), or the data order "
            "alternates between two kinds of batches every epoch.")
    evidence = {"evaluations": evals, "median_swing": swing * view.raw_scale, "noise": sigma * view.raw_scale,
                "high_median": float(np.median(highs)) * view.raw_scale,
                "low_median": float(np.median(lows)) * view.raw_scale,
                "values": seg[:40] * view.raw_scale, "partner_calm": partner_calm}
    return [U.make_finding(ref, "oscillation", "warning", view, a, b, title, "".join(parts), evidence,
                           related=companions + ([partner] if partner is not None else []))]
