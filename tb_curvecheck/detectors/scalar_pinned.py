"""`saturated_loss` without a known clip: a loss that holds one value to float32 precision for a
long stretch while the run's other losses move.  No gradient reaches it there: a discriminator
that wins outright behind a clipped log (a GAN's loss at ln 1e-6 = -13.8155), a sigmoid pinned at
0 or 1 behind a custom epsilon.  `SaturatedLoss` names the Keras and PyTorch clips; this one needs
no level, only the stillness."""

from __future__ import annotations

import dataclasses
import math
from typing import List, Optional, Tuple

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import environments
from . import stats as U
from .base import Detector
from .wording import capital, fmt, make_finding, short


@dataclasses.dataclass(frozen=True, eq=False)
class PinnedEvent:
    ref: SeriesRef
    view: U.View
    first: int  # the still stretch, view indices
    last: int
    value: float
    mover: Optional[SeriesRef]  # a loss of the run that moved over the stretch
    mover_from: float
    mover_to: float
    clip: Optional[float]  # the epsilon whose log the value is (ln 1e-10 = -23.0259), when it is one


@dataclasses.dataclass(frozen=True)
class PinnedLoss(Detector[PinnedEvent]):
    name = "pinned_loss"
    kinds = ("saturated_loss",)

    # Held within this share of its level: float32 keeps about seven digits, and a loss computed on
    # changing batches or weights moves by far more than 1e-5 of itself.
    pinned_rel: float = 1e-5
    # For at least this many evaluations running and this share of the run: a few equal readings
    # are a checkpoint re-logged or a paused job.
    min_evals: int = 10
    min_share: float = 0.25
    # Another loss of the run moves over the stretch by more than this share of its level: training
    # goes on around the still one (when everything holds, `never_learned` and `frozen_weights`
    # tell that story).
    moving_rel: float = 0.01
    # A loss logged at least `finer_share` times as often as the still one over its stretch samples batches
    # between its evaluations: its level must also move by `mover_k` standard errors of the two thirds'
    # medians, since a per-batch level wanders by more than a percent between thirds by sampling alone
    # (noise 0.03 on 0.167 over 600 batches: 0.004).  A loss logged as often is an evaluation like it.
    finer_share: float = 2.0
    mover_k: float = 4.0
    # The series is logged finely enough to show a move: its smallest step between distinct values
    # is under this share of its level, and the held value is not a number of this many significant
    # digits (a loss rounded to two decimals repeats by rounding; a clipped one reads 7.6666, -13.828).
    max_quantum_rel: float = 1e-3
    round_digits: int = 3
    # Outside the stretch the series changes at most evaluations: one that repeats everywhere is
    # written more often than it is computed (an epoch's loss re-logged at every step).
    min_moving_share: float = 0.5
    # A held value within this share of -ln(1e-k) for a whole k (the epsilons losses clamp a
    # probability or a variance at: 1e-6 -> 13.8155, 1e-10 -> 23.0259) names the clip by itself; float32
    # keeps the constant to 1e-7, and a loss that sits there by chance would also have to hold still.
    clip_rtol: float = 2e-4
    clip_exponents: Tuple[int, ...] = tuple(range(3, 21))
    # A term held at one value over its whole run and under this share of its run's objective (the
    # median of the loss it is a term of) adds a constant the optimiser never sees: the near-zero twin of
    # a term switched off (a few-shot detector's frozen domain-prompter loss at 0.00054 beside a total
    # of 4.6-7.1).  A clip or a term of the objective's own size is a story; a hundredth of it is not.
    negligible_share: float = 0.01

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[PinnedEvent]:
        if not U.judged(ref, ("loss",), allow_batch=True):
            return []
        if environments.is_policy_entropy(ref.tag) and U.reinforcement_learning(exp):
            # A policy whose action noise is a fixed parameter (AMP's fixed log-std, rl_games' `losses/entropy`
            # at -41.47 every update) has a constant entropy by construction, not an output held at a clip.
            return []
        view = U.view_of(ref, smooth=False)
        v = view.values
        n = v.shape[0]
        if n < self.min_evals:
            return []
        still = _still_stretch(v, self.pinned_rel)
        if still is None:
            return []
        a, b = still
        value = float(np.median(v[a : b + 1]))
        if b - a + 1 < max(self.min_evals, self.min_share * n) or value == 0.0:
            # Exactly zero is a term switched off or a perfect fit, not a clipped output.
            return []
        clip = self._clip(value)
        # A coarse series repeats by rounding; one that holds a clip constant to 2e-4 does not (a loss
        # rounded to a few digits reads 13.82, not ln 1e6 = 13.8155).
        if clip is None and U.quantum(v) > self.max_quantum_rel * abs(value):
            return []
        if abs(value - float("%.*g" % (self.round_digits, value))) <= 1e-6 * abs(value):
            return []
        outside = np.concatenate([v[: a + 1], v[b:]])
        if outside.shape[0] >= 3:
            changes = np.abs(np.diff(outside)) > self.pinned_rel * np.maximum(np.abs(outside[1:]), 1e-12)
            # The two joins to the stretch are counted once each; the rest must mostly move.
            if changes.mean() < self.min_moving_share:
                return []
        if clip is None and a == 0 and b == n - 1 and self._negligible(exp, ref, value):
            return []
        lo, hi = int(view.end_steps[a]), int(view.end_steps[b])
        mover = self._mover(exp, ref, lo, hi, b - a + 1)
        if mover is None and clip is None:
            return []
        m, m_from, m_to = mover if mover is not None else (None, float("nan"), float("nan"))
        return [PinnedEvent(ref, view, a, b, value, m, m_from, m_to, clip)]

    def _negligible(self, exp: Experiment, ref: SeriesRef, value: float) -> bool:
        """`value` is under `negligible_share` of the level of an objective logged beside it."""
        for s in exp.scalars:
            if s is ref or s.run != ref.run or s.info.role != "loss" or s.info.purpose != "objective":
                continue
            level = s.series.values[np.isfinite(s.series.values)]
            if level.size and abs(value) < self.negligible_share * abs(float(np.median(level))):
                return True
        return False

    def _clip(self, value: float) -> Optional[float]:
        for k in self.clip_exponents:
            if abs(abs(value) - k * math.log(10.0)) <= self.clip_rtol * abs(value):
                return 10.0**-k
        return None

    def _mover(self, exp: Experiment, ref: SeriesRef, lo: int, hi: int, points: int):
        """A loss of the run whose level (the median of its first and of its last third over lo..hi) moved
        by `moving_rel`, and by `mover_k` standard errors when logged finer than the still one.  Its range
        alone moves for a per-batch loss of a model that is not learning at all, one batch scoring worse
        than the next (a frozen network's epoch loss held at 0.1659 while its per-step loss wandered
        0.11-0.32 around 0.167 from first third to last)."""
        for s in exp.scalars:
            if s is ref or s.info.role != "loss":
                continue
            seg = s.series.values[(s.series.steps >= lo) & (s.series.steps <= hi) & np.isfinite(s.series.values)]
            if seg.shape[0] < 3 or self._mostly_still(seg):
                continue
            k = max(1, seg.shape[0] // 3)
            first, last = U.end_medians(seg, k)
            need = self.moving_rel * max(abs(float(np.median(seg))), 1e-12)
            if seg.shape[0] >= self.finer_share * points:
                need = max(need, self.mover_k * U.MEDIAN_SE * U.residual_noise(seg) * np.sqrt(2.0 / k))
            if abs(last - first) > need:
                return s, first, last
        return None

    def _mostly_still(self, seg: np.ndarray) -> bool:
        """A loss's values over the still stretch (at least 3, finite) repeat their previous value at most
        evaluations: a loss held too, whose rare blips made its spread (a GAN whose two players both froze:
        D at 0.6265 with three excursions, G at 1.3133).  Then nothing moves around the still loss, and
        this is no saturation."""
        same = np.abs(np.diff(seg)) <= self.pinned_rel * np.maximum(np.abs(seg[1:]), 1e-12)
        return float(np.mean(same)) >= self.min_moving_share

    def describe(self, e: PinnedEvent) -> Finding:
        view, a, b = e.view, e.first, e.last
        name = short(e.ref)
        first_step, last_step = int(view.end_steps[a]), int(view.end_steps[b])
        points = b - a + 1
        title = "%s pinned at %s for %d evaluations (steps %d-%d)" % (name, fmt(e.value), points, first_step, last_step)
        if e.clip is not None:
            title += ", %s ln(%g): a clipped log" % ("=" if e.value < 0 else "= -", e.clip)
        if e.mover is not None:
            title += " while %s moved %s → %s" % (short(e.mover), fmt(e.mover_from), fmt(e.mover_to))
        parts = [
            "%s read %s at every evaluation from step %d to step %d, to float32 precision"
            % (capital(name), fmt(e.value), first_step, last_step)
        ]
        if e.mover is not None:
            parts.append(
                ", while %s kept moving (%s → %s): training went on around it, but nothing it computes "
                "changed" % (short(e.mover), fmt(e.mover_from), fmt(e.mover_to))
            )
        parts.append(". ")
        if e.clip is not None:
            parts.append(
                "%s is %sln(%g) to the last digit logged: the loss is the log of a probability (or a "
                "variance, a density) clamped at %g, so every input sits at the clamp and no gradient "
                "flows through it. " % (fmt(e.value), "" if e.value < 0 else "-", e.clip, e.clip)
            )
        parts.append(
            "A loss on changing batches and weights never repeats to seven digits unless its outputs sit "
            "at a clip, so its gradient is zero. In a GAN this is a discriminator that wins outright (or "
            "loses outright) behind a clipped log or an epsilon: the generator gets no signal from it. "
            "Elsewhere it is a sigmoid or softmax saturated at 0 or 1, a predicted variance or likelihood "
            "at its floor, or a term whose inputs stopped depending on the weights (a detached tensor, a "
            "dead branch). Check the output histogram of the network computing it, its learning rate "
            "(against the other player's, in a GAN), and the clipping constant in the loss (%s is the "
            "loss at that clip)." % fmt(e.value)
        )
        healthy: Optional[int] = int(view.end_steps[a - 1]) if a > 0 else None
        evidence = {
            "value": e.value,
            "first_step": first_step,
            "last_step": last_step,
            "points": points,
            "pinned_relative_spread": self.pinned_rel,
            "clip": e.clip,
            "moving_tag": e.mover.tag if e.mover is not None else None,
            "moving_from": e.mover_from if e.mover is not None else None,
            "moving_to": e.mover_to if e.mover is not None else None,
            "last_healthy_step": healthy,
        }
        return make_finding(
            e.ref,
            "saturated_loss",
            "warning",
            view,
            a,
            b,
            title,
            "".join(parts),
            evidence,
            related=[e.mover] if e.mover is not None else [],
        )


def _still_stretch(v: np.ndarray, rel: float, share: float = 0.5):
    """The stretch held by the series' most repeated value: from its first to its last reading of
    that value, extended while at least `share` of the points read it (a saturated discriminator
    re-reads its clipped value between blips), as (first, last); None when no value repeats."""
    order = np.sort(v)
    tol = rel * np.maximum(np.abs(order[:-1]), 1e-12)
    # Group sorted values that lie within tolerance of their neighbour, and take the largest group.
    breaks = np.flatnonzero(np.diff(order) > tol) + 1
    groups = np.split(order, breaks)
    top = max(groups, key=len)
    if top.shape[0] < 2:
        return None
    hit = np.abs(v - float(np.median(top))) <= rel * max(abs(float(np.median(top))), 1e-12)
    idx = np.flatnonzero(hit)
    # For each first reading i, the last reading j with (j - i + 1) readings >= share of the points
    # idx[i]..idx[j]: g[j] >= h[i] below, found by binary search on g's suffix maximum.
    k = np.arange(idx.shape[0])
    g = (k + 1) - share * (idx + 1)
    h = k - share * idx
    suffix_max = np.maximum.accumulate(g[::-1])[::-1]  # non-increasing
    last = np.searchsorted(-suffix_max, -h, side="right") - 1
    spans = idx[last] - idx
    i = int(np.argmax(spans))
    return int(idx[i]), int(idx[last[i]])
