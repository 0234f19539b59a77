"""`saturated_loss`: cross-entropy shows the clipped-probability signature."""
from __future__ import annotations

import math
from typing import List, Optional

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import _util as U

# Keras clips probabilities to [1e-7, 1 - 1e-7]: a confidently wrong prediction costs -log(1e-7).
KERAS_WRONG_COST = -math.log(1e-7)  # 16.118
# PyTorch's BCELoss clamps the log at -100: a confidently wrong prediction costs 100.
TORCH_WRONG_COST = 100.0
# A confidently right prediction under Keras' clip costs -log(1 - 1e-7), which float32 rounds
# to its machine epsilon 2**-23 = 1.1921e-07.
KERAS_RIGHT_COST = float(np.float32(2.0 ** -23))
# Loss / error within 1.5 % of a clip cost: right predictions cost 1.2e-7 each, so a saturated
# model reproduces the ratio to the logged precision (~0.3 % at 4 digits).
RATIO_RTOL = 0.015
# The loss sits at the pinned value within this share.
PINNED_RTOL = 0.05
# Below this error share the ratio is dominated by the last logged digit.
MIN_ERROR = 0.02
# Pinned at 1.1921e-07 this many evaluations running: a healthy loss never reads float32 epsilon.
MIN_PINNED = 2
# A healthy ratio drifting through the band can sit in it for many evaluations; the signature
# must hold this long while the error itself moves by MIN_ERROR_SWING (relative), which a
# coincidence cannot follow (or as the accuracy falls; a single point only when the run ends there,
# as post 002's epoch 7 does; or pin the loss at 1.1921e-07).
MIN_POINTS_MOVING = 3
MIN_ERROR_SWING = 0.10
# The episode extends to the last saturated point while at least this share of its points is.
EPISODE_MIN_SHARE = 0.5
# The accuracy fell by this much (0-1 scale) when the signature appeared: then it is an error.
ACCURACY_FELL = 0.10


def _accuracy_for(exp: Experiment, ref: SeriesRef) -> Optional[SeriesRef]:
    cands = [m for m in exp.metrics_for(ref) if "acc" in (m.info.quantity or m.tag).lower()]
    return cands[0] if cands else None


def detect_saturated(exp: Experiment, ref: SeriesRef) -> List[Finding]:
    if not U.judged(ref, ("loss",), allow_batch=True):
        return []
    acc = _accuracy_for(exp, ref)
    ls, lv = U.finite_points(ref)
    if ls.shape[0] == 0:
        return []
    if acc is not None:
        asteps, avals = U.finite_points(acc)
        if acc.info.percent:
            avals = avals / 100.0
        steps, L, A = U.align(ls, lv, asteps, avals)
    else:
        steps, L, A = ls, lv, np.full(ls.shape, np.nan)
    if steps.shape[0] == 0:
        return []
    err = 1.0 - A
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(err >= MIN_ERROR, L / err, np.nan)
    keras = np.abs(ratio / KERAS_WRONG_COST - 1.0) <= RATIO_RTOL
    torch = np.abs(ratio / TORCH_WRONG_COST - 1.0) <= RATIO_RTOL
    pinned = (np.abs(L / KERAS_RIGHT_COST - 1.0) <= PINNED_RTOL) & ~(err >= MIN_ERROR)
    sat = keras | torch | pinned
    n = steps.shape[0]
    # Stretches of consecutive saturated points.
    runs = []
    i = 0
    while i < n:
        if not sat[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and sat[j + 1]:
            j += 1
        runs.append((i, j))
        i = j + 1
    chosen = None
    for a, b in runs:
        before = A[:a][np.isfinite(A[:a])]
        during = A[a:b + 1][np.isfinite(A[a:b + 1])]
        fell = bool(before.size and during.size and before.max() - during.min() >= ACCURACY_FELL)
        length = b - a + 1
        e = err[a:b + 1][np.isfinite(err[a:b + 1])]
        moving = bool(e.size and e.max() > 0 and (e.max() - e.min()) / e.max() >= MIN_ERROR_SWING)
        if pinned[a:b + 1].sum() >= MIN_PINNED or (length >= MIN_POINTS_MOVING and (moving or fell)) \
                or (fell and b == n - 1):
            chosen = (a, b, fell)
            break
    if chosen is None:
        return []
    a, b, fell = chosen
    # The episode runs on while most points keep the signature (a running mean that mixes in a few
    # unsaturated batches drifts out of the band and back).
    share = np.cumsum(sat[a:]) / np.arange(1, n - a + 1)
    ok = np.flatnonzero(sat[a:] & (share >= EPISODE_MIN_SHARE))
    b = max(b, a + int(ok[-1]))
    before = A[:a][np.isfinite(A[:a])]
    during = A[a:b + 1][np.isfinite(A[a:b + 1])]
    fell = bool(before.size and during.size and before.max() - during.min() >= ACCURACY_FELL)
    name = U.short(ref)
    k_pts = np.flatnonzero(keras[a:b + 1]) + a
    t_pts = np.flatnonzero(torch[a:b + 1]) + a
    p_pts = np.flatnonzero(pinned[a:b + 1]) + a
    cost = TORCH_WRONG_COST if t_pts.size > k_pts.size else KERAS_WRONG_COST
    parts = []
    if p_pts.size:
        parts.append("%s reads %s at step %d: that is -log(1 - 1e-7) in float32, the smallest loss Keras "
                     "can report, reached only when every prediction is pinned at exactly 0 or 1. " % (
                         name[0].upper() + name[1:], U.fmt(L[p_pts[0]]), int(steps[p_pts[0]])))
    ex_pts = t_pts if cost == TORCH_WRONG_COST else k_pts
    if ex_pts.size:
        e = ex_pts[-1]
        parts.append(
            "From step %d %s follows (1 - accuracy) × %s: at step %d it is %s with accuracy %s, and "
            "%s ≈ (1 - %s) × %s = %s. Every wrong prediction costs the clipped maximum %s, %s. " % (
                int(steps[a]), name, U.fmt(cost), int(steps[e]), U.fmt(L[e]), U.fmt(A[e]), U.fmt(L[e]),
                U.fmt(A[e]), U.fmt(cost),
                U.fmt((1 - A[e]) * cost), U.fmt(cost),
                "-log(1e-7) under Keras' probability clipping" if cost == KERAS_WRONG_COST
                else "PyTorch BCELoss's clamp of the log at -100"))
    parts.append(
        "So the loss only counts mistakes; the outputs are saturated at 0 or 1, their gradient is zero, "
        "and the network cannot learn its way back. The outputs exploded: usually a learning rate too "
        "high, unnormalised inputs (pixels in 0-255), or a sigmoid/softmax output fed to a loss that "
        "expects logits (or the reverse). Check the output histogram (all mass at 0 and 1), the input "
        "range, and the last layer's activation against the loss's from_logits setting. ")
    healthy = int(steps[a - 1]) if a > 0 else None
    if healthy is not None:
        parts.append("The last unsaturated evaluation was at step %d: restore that checkpoint or earlier." % healthy)
    last = ex_pts[-1] if ex_pts.size else b
    title = "%s saturated from step %d: %s ≈ (1 - accuracy %s) × %s, every wrong prediction at the clip" % (
        name, int(steps[a]), U.fmt(L[last]), U.fmt(A[last]), U.fmt(cost)) if ex_pts.size else \
        "%s pinned at %s (-log(1 - 1e-7)) from step %d: outputs saturated at 0/1" % (
            name, U.fmt(L[p_pts[0]]), int(steps[a]))
    evidence = {"granularity": ref.info.granularity, "first_step": int(steps[a]), "last_step": int(steps[b]),
                "points": int(b - a + 1), "clip_cost": cost,
                "loss_values": L[a:b + 1][:20], "accuracy_values": A[a:b + 1][:20],
                "ratios": ratio[a:b + 1][:20], "pinned_points": int(p_pts.size),
                "accuracy_fell": fell, "last_healthy_step": healthy}
    return [Finding(run=ref.run, tag=ref.tag, kind="saturated_loss",
                    severity="error" if fell else "warning",
                    start_step=int(steps[a]), end_step=int(steps[b]), title=title,
                    explanation="".join(parts).strip(), evidence=evidence,
                    related=[acc.ref()] if acc is not None else [])]
