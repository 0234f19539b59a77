"""`saturated_loss`: cross-entropy shows the clipped-probability signature."""

from __future__ import annotations

import dataclasses
import math
from typing import List, Optional

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import stats as U
from .base import Detector
from .wording import capital, fmt, short

# Keras clips probabilities to [1e-7, 1 - 1e-7]: a confidently wrong prediction costs -log(1e-7).
KERAS_WRONG_COST = -math.log(1e-7)  # 16.118
# PyTorch's BCELoss clamps the log at -100: a confidently wrong prediction costs 100.
TORCH_WRONG_COST = 100.0
# A confidently right prediction under Keras' clip costs -log(1 - 1e-7), which float32 rounds
# to its machine epsilon 2**-23 = 1.1921e-07.
KERAS_RIGHT_COST = float(np.float32(2.0**-23))


@dataclasses.dataclass(frozen=True, eq=False)
class SaturationEvent:
    ref: SeriesRef
    accuracy: Optional[SeriesRef]
    steps: np.ndarray  # steps where loss (and accuracy) were logged
    loss: np.ndarray
    acc: np.ndarray  # 0-1, NaN without an accuracy
    ratio: np.ndarray  # loss / (1 - accuracy) where the error is large enough
    first: int  # the episode, indices into `steps`
    last: int
    accuracy_fell: bool
    keras_points: np.ndarray  # indices within the episode matching each signature
    torch_points: np.ndarray
    pinned_points: np.ndarray
    clip_cost: float  # the wrong-prediction cost the loss follows


@dataclasses.dataclass(frozen=True)
class SaturatedLoss(Detector[SaturationEvent]):
    name = "saturated_loss"
    kinds = ("saturated_loss",)

    # Loss / error within 1.5 % of a clip cost: right predictions cost 1.2e-7 each, so a saturated
    # model reproduces the ratio to the logged precision (~0.3 % at 4 digits).
    ratio_rtol: float = 0.015
    # The loss sits at the pinned value within this share.
    pinned_rtol: float = 0.05
    # Below this error share the ratio is dominated by the last logged digit.
    min_error: float = 0.02
    # Pinned at 1.1921e-07 this many evaluations running: a healthy loss never reads float32 epsilon.
    min_pinned: int = 2
    # A healthy ratio drifting through the band can sit in it for many evaluations; the signature
    # must hold this long while the error itself moves by min_error_swing (relative), which a
    # coincidence cannot follow (or as the accuracy falls; a single point only when the run ends
    # there, as post 002's epoch 7 does; or pin the loss at 1.1921e-07).
    min_points_moving: int = 3
    min_error_swing: float = 0.10
    # The episode extends to the last saturated point while at least this share of its points is.
    episode_min_share: float = 0.5
    # A ratio that only passes through the band is no signature: the band must hold at least
    # `min_contrast` times as many points per width as its neighbourhood out to `ring_k` band-widths
    # each side.  A healthy per-batch loss over its accuracy scatters 10-19 on a long run and crosses
    # 16.1 often enough to make three points in a row by chance (31 in the band beside 153 in the
    # neighbourhood: 1.8 times its density); a clipped model's ratio piles up on the clip cost.
    ring_k: float = 10.0
    min_contrast: float = 3.0
    # An episode starts where the signature holds: at least `episode_min_share` of the `onset_window`
    # points from its first one keep it (fewer at the end of a run), not at a chance stretch before it
    # (five batches in a row in the band among scattered ones fill a quarter of twenty).
    onset_window: int = 20
    # The accuracy fell by this much (0-1 scale) when the signature appeared: then it is an error.
    accuracy_fall: float = 0.10

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[SaturationEvent]:
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
            ratio = np.where(err >= self.min_error, L / err, np.nan)
        keras = np.abs(ratio / KERAS_WRONG_COST - 1.0) <= self.ratio_rtol
        torch = np.abs(ratio / TORCH_WRONG_COST - 1.0) <= self.ratio_rtol
        pinned = (np.abs(L / KERAS_RIGHT_COST - 1.0) <= self.pinned_rtol) & ~(err >= self.min_error)
        at = np.flatnonzero(pinned)
        if at.size and np.any(L[at[0] :] < KERAS_RIGHT_COST * (1.0 - self.pinned_rtol)):
            # A loss that reads below -log(1 - 1e-7) after reaching it has no Keras clip under it (logits,
            # another loss): a curve converging through 1.2e-7 on its way to 2e-8 only passed the value.
            pinned[:] = False
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
            fell = self._fell(A, a, b)
            length = b - a + 1
            e = err[a : b + 1][np.isfinite(err[a : b + 1])]
            moving = bool(e.size and e.max() > 0 and (e.max() - e.min()) / e.max() >= self.min_error_swing)
            held = float(np.mean(sat[a : a + self.onset_window])) >= self.episode_min_share
            if pinned[a : b + 1].sum() >= self.min_pinned or (
                held and (length >= self.min_points_moving and (moving or fell) or (fell and b == n - 1))
            ):
                chosen = (a, b)
                break
        if chosen is None:
            return []
        a, b = chosen
        if not pinned[a : b + 1].any() and not self._piled_up(ratio, keras[a : b + 1].sum() >= torch[a : b + 1].sum()):
            return []
        # The episode runs on while most points keep the signature (a running mean that mixes in a few
        # unsaturated batches drifts out of the band and back).
        share = np.cumsum(sat[a:]) / np.arange(1, n - a + 1)
        ok = np.flatnonzero(sat[a:] & (share >= self.episode_min_share))
        b = max(b, a + int(ok[-1]))
        k_pts = np.flatnonzero(keras[a : b + 1]) + a
        t_pts = np.flatnonzero(torch[a : b + 1]) + a
        p_pts = np.flatnonzero(pinned[a : b + 1]) + a
        cost = TORCH_WRONG_COST if t_pts.size > k_pts.size else KERAS_WRONG_COST
        return [SaturationEvent(ref, acc, steps, L, A, ratio, a, b, self._fell(A, a, b), k_pts, t_pts, p_pts, cost)]

    def _piled_up(self, ratio: np.ndarray, keras: bool) -> bool:
        """The whole run's loss/error ratios crowd onto the clip cost (`min_contrast`, `ring_k`)."""
        off = np.abs(ratio / (KERAS_WRONG_COST if keras else TORCH_WRONG_COST) - 1.0)
        off = off[np.isfinite(off)]
        band = int(np.count_nonzero(off <= self.ratio_rtol))
        ring = int(np.count_nonzero((off > self.ratio_rtol) & (off <= self.ring_k * self.ratio_rtol)))
        return band >= self.min_contrast * ring / (self.ring_k - 1.0)

    def _fell(self, A: np.ndarray, a: int, b: int) -> bool:
        before = A[:a][np.isfinite(A[:a])]
        during = A[a : b + 1][np.isfinite(A[a : b + 1])]
        return bool(before.size and during.size and before.max() - during.min() >= self.accuracy_fall)

    def describe(self, e: SaturationEvent) -> Finding:
        ref, steps, L, A = e.ref, e.steps, e.loss, e.acc
        a, b, cost = e.first, e.last, e.clip_cost
        name = short(ref)
        p_pts = e.pinned_points
        parts = []
        if p_pts.size:
            parts.append(
                "%s reads %s at step %d: that is -log(1 - 1e-7) in float32, the smallest loss Keras "
                "can report, reached only when every prediction is pinned at exactly 0 or 1. "
                % (capital(name), fmt(L[p_pts[0]]), int(steps[p_pts[0]]))
            )
        ex_pts = e.torch_points if cost == TORCH_WRONG_COST else e.keras_points
        if ex_pts.size:
            x = ex_pts[-1]
            parts.append(
                "From step %d %s follows (1 - accuracy) × %s: at step %d it is %s with accuracy %s, and "
                "%s ≈ (1 - %s) × %s = %s. Every wrong prediction costs the clipped maximum %s, %s. "
                % (
                    int(steps[a]),
                    name,
                    fmt(cost),
                    int(steps[x]),
                    fmt(L[x]),
                    fmt(A[x]),
                    fmt(L[x]),
                    fmt(A[x]),
                    fmt(cost),
                    fmt((1 - A[x]) * cost),
                    fmt(cost),
                    "-log(1e-7) under Keras' probability clipping"
                    if cost == KERAS_WRONG_COST
                    else "PyTorch BCELoss's clamp of the log at -100",
                )
            )
        parts.append(
            "So the loss only counts mistakes; the outputs are saturated at 0 or 1, their gradient is zero, "
            "and the network cannot learn its way back. The outputs exploded: usually a learning rate too "
            "high, unnormalised inputs (pixels in 0-255), or a sigmoid/softmax output fed to a loss that "
            "expects logits (or the reverse). Check the output histogram (all mass at 0 and 1), the input "
            "range, and the last layer's activation against the loss's from_logits setting. "
        )
        healthy = int(steps[a - 1]) if a > 0 else None
        if healthy is not None:
            parts.append(
                "The last unsaturated evaluation was at step %d: restore that checkpoint or earlier." % healthy
            )
        last = ex_pts[-1] if ex_pts.size else b
        title = (
            "%s saturated from step %d: %s ≈ (1 - accuracy %s) × %s, every wrong prediction at the clip"
            % (name, int(steps[a]), fmt(L[last]), fmt(A[last]), fmt(cost))
            if ex_pts.size
            else "%s pinned at %s (-log(1 - 1e-7)) from step %d: outputs saturated at 0/1"
            % (name, fmt(L[p_pts[0]]), int(steps[a]))
        )
        evidence = {
            "granularity": ref.info.granularity,
            "first_step": int(steps[a]),
            "last_step": int(steps[b]),
            "points": int(b - a + 1),
            "clip_cost": cost,
            "loss_values": L[a : b + 1][:20],
            "accuracy_values": A[a : b + 1][:20],
            "ratios": e.ratio[a : b + 1][:20],
            "pinned_points": int(p_pts.size),
            "accuracy_fell": e.accuracy_fell,
            "last_healthy_step": healthy,
        }
        return Finding(
            run=ref.run,
            tag=ref.tag,
            kind="saturated_loss",
            severity="error" if e.accuracy_fell else "warning",
            start_step=int(steps[a]),
            end_step=int(steps[b]),
            title=title,
            explanation="".join(parts).strip(),
            evidence=evidence,
            related=[e.accuracy.ref()] if e.accuracy is not None else [],
        )


def _accuracy_for(exp: Experiment, ref: SeriesRef) -> Optional[SeriesRef]:
    cands = [m for m in exp.metrics_for(ref) if "acc" in (m.info.quantity or m.tag).lower()]
    return cands[0] if cands else None
