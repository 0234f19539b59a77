"""`stuck_metric`: a metric holds exactly the same value over many evaluations, above all while its
loss still moves.

Higher-is-better metrics (accuracy, F1, mAP) and error metrics (RMSE, MAE, WER) are judged by the
same rules: an error metric is turned to face up (its negative, on a unit scale) before the constant
stretch is looked for, so "near its best" and "below the best it had reached" mean the same on both."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import stats as U
from .base import Detector
from .wording import capital, fmt, make_finding, short


@dataclasses.dataclass(frozen=True, eq=False)
class StuckEvent:
    ref: SeriesRef
    view: U.View  # as logged (an error metric is not turned here: the finding quotes its values)
    first: int  # the constant stretch, view indices
    last: int
    # "from_start" (never learned), "after_fall" (broke, never came back), "held" (climbed, then pinned),
    # "deaf" (within a hundredth of one level while its loss halved: the metric does not see the learning)
    how: str
    loss: Optional[SeriesRef]
    loss_motion: Optional[Dict[str, Any]]  # stats.motion: first, last, spread, points, moves over the stretch
    partner: Optional[SeriesRef]
    partner_stuck: bool
    error: bool = False  # an error metric (lower is better)


@dataclasses.dataclass(frozen=True)
class StuckMetric(Detector[StuckEvent]):
    name = "stuck_metric"
    kinds = ("stuck_metric",)

    # Six identical evaluations in a row: a metric on N >= 50 samples that still learns
    # almost never repeats its exact value that often by chance.
    min_evals: int = 6
    # Stuck without ever having learned: it must hold for this share of the run (or to its end);
    # a few flat epochs before learning starts are common and harmless.
    min_share: float = 0.25
    # "Never learned": the held value is within this much (0-1 metrics) of where the metric started
    # (the median of its first `start_points` evaluations) and near its best; a metric that climbed
    # further and then settled has converged.
    learned_fraction: float = 0.05
    learned_relative: float = 0.10
    start_points: int = 3
    # Stuck after having been better: the held value must lie this far (0-1 metrics)
    # below the best seen before, or it is simply a converged metric.
    below_best_fraction: float = 0.05
    # ... or this share of the best for unbounded metrics.
    below_best_relative: float = 0.10
    # A loss "still moves" when it spans more than this share of its level during the stuck stretch:
    # a loss learning the class prior moves by several percent, one that converged with its metric
    # (a learning rate decayed to nothing) by a fraction of a percent.
    loss_moves_rel: float = 0.01
    # A fraction-valued metric at its ceiling (1.0) holding still has converged, not stuck.
    ceiling_tol: float = 1e-6
    # A detection AP has a lower one: Ultralytics integrates a 101-point interpolated precision
    # envelope, and a perfect detector scores 0.995 there (a pose fine-tune on an easy set holds
    # mAP50 at 0.995 from its first epoch).  An AP has no class prior to be stuck at.
    ap_ceiling: float = 0.995
    # Stuck after a first climb: held for at least this many evaluations and this share of the run,
    # to the end, while the loss still moves (an accuracy at a class share for 141 epochs while the
    # validation loss falls); a converged metric wobbles by a sample now and then over that long ...
    held_min_evals: int = 20
    held_min_share: float = 0.5
    # ... and only below this level: a few-shot accuracy near its ceiling repeats by chance.  The same
    # level caps "never learned": a 0-1 metric above it that rose from its first evaluation has
    # converged (0.95 -> 0.984, then the same predictions on a small evaluation set); one held at its
    # very first value (a 95 % majority class's share) is still the prior.
    held_max_fraction: float = 0.9
    # A fall below the best must span this many quanta (1/N on N samples): on a coarse grid
    # (episodes of 20, steps of 0.05) one quantum below the best is a sample flipping.
    min_quanta: float = 3.0
    # A 0-1 metric that stays within `deaf_band` of one level over the last `deaf_share` of the run,
    # never `learned_fraction` above where it started, while its loss fell by `deaf_loss_fall` of its
    # opening level, is not measuring what the loss learned: a loss that halves moves the predictions,
    # and an accuracy on them moves by more than one sample in a hundred.  Judged on at least
    # `deaf_min_points` evaluations and below `held_max_fraction` (a converged metric near its
    # ceiling holds while the loss keeps sharpening confidence).
    deaf_band: float = 0.01
    deaf_share: float = 0.8
    deaf_loss_fall: float = 0.5
    deaf_min_points: int = 10

    def stretch(self, view: U.View) -> Optional[Tuple[int, int, str]]:
        v = view.values
        n = len(view)
        run = _longest_constant_run(v)
        if run is None:
            return None
        a, b = run
        length = b - a + 1
        if length < self.min_evals:
            return None
        value = v[a]
        fraction = U.is_fraction(v)
        if fraction and value >= 1.0 - self.ceiling_tol:
            return None
        start_level = float(np.median(v[: self.start_points]))
        learned = self.learned_fraction if fraction else self.learned_relative * abs(start_level)
        if (
            value - start_level < learned
            and value >= float(np.max(v)) - learned
            and (length >= self.min_share * n or b == n - 1)
            and not (fraction and value > self.held_max_fraction and value > float(v[0]))
        ):
            return a, b, "from_start"
        if a >= 2:
            # The level it fell from must have held for two evaluations at least: one lucky batch
            # (1 of 3 foreground boxes right, then 0 until the head learns) is not a level.
            best_before = float(np.sort(v[:a])[-2])
            gap = self.below_best_fraction if fraction else self.below_best_relative * abs(best_before)
            gap = max(gap, self.min_quanta * U.quantum(v))
            # ... and it never came back to that level: a metric that climbs past it after the flat
            # stretch was held for a while (a detection head before its first foreground box), not broken.
            came_back = b < n - 1 and float(np.max(v[b + 1 :])) >= best_before
            if best_before - value >= gap and not came_back:
                return a, b, "after_fall"
        if (
            b == n - 1
            and length >= max(self.held_min_evals, self.held_min_share * n)
            and (not fraction or value <= self.held_max_fraction)
        ):
            return a, b, "held"
        return None

    def _deaf(self, view: U.View, loss: Optional[SeriesRef]) -> Optional[Tuple[int, int, str]]:
        v = view.values
        n = v.shape[0]
        if loss is None or n < self.deaf_min_points or not U.is_fraction(v):
            return None
        a = n - int(round(self.deaf_share * n))
        held = v[a:]
        if float(np.ptp(held)) > self.deaf_band or float(np.max(held)) > self.held_max_fraction:
            return None
        if float(np.median(held)) - float(np.median(v[: self.start_points])) >= self.learned_fraction:
            return None
        ends = self._loss_ends(loss)
        if ends is None:
            return None
        opening, end = ends
        if not (opening > 0 and end >= 0 and opening - end >= self.deaf_loss_fall * opening):
            return None
        return a, n - 1, "deaf"

    def _loss_ends(self, loss: SeriesRef) -> Optional[Tuple[float, float]]:
        """The loss's opening and closing levels: medians of its first and last `start_points`."""
        lv = U.view_of(loss, smooth=False).values
        if lv.shape[0] < 2 * self.start_points:
            return None
        return U.end_medians(lv, self.start_points)

    def _loss_motion(self, loss: Optional[SeriesRef], lo_step: int, hi_step: int):
        if loss is None:
            return None
        return U.motion(loss, lo_step, hi_step, self.loss_moves_rel)

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[StuckEvent]:
        error = U.judged(ref, ("metric_down",))
        if not (error or U.judged(ref, ("metric_up",))):
            return []
        view = U.view_of(ref, smooth=False)
        loss = exp.loss_for(ref)
        if loss is not None and _never_computed(loss):
            # A loss exactly 0 at every evaluation measured nothing the metric could have settled with (a
            # loss never computed for that split, or summed over no elements): it cannot say the model
            # converged, which is what a loss holding still beside a held metric is read as below.
            loss = None
        if error:
            # The "deaf" test reads an accuracy against its class prior; an error metric has no such
            # reading, so it gets the constant-stretch rules only.
            got = self.stretch(_facing_up(view))
            # An error of exactly zero held still is a perfect fit (or a metric never fed), not a
            # stuck model.
            if got is not None and abs(float(view.values[got[0]])) <= U.SAME_VALUE_ATOL:
                got = None
        else:
            got = self.stretch(view) or self._deaf(view, loss)
        if got is None:
            return []
        a, b, how = got
        if ref.info.quantity == "map" and float(view.values[a]) >= self.ap_ceiling - self.ceiling_tol:
            return []
        motion = self._loss_motion(loss, int(view.steps[a]), int(view.end_steps[b]))
        if how == "held" and (motion is None or not motion["moves"]):
            # Held while nothing else moves either: converged (a decayed learning rate), not stuck.
            return []
        if how == "from_start" and motion is not None and not motion["moves"]:
            # Metric and loss both settled after early learning: converged, not stuck.  (A loss frozen
            # from the very start is no_progress's finding.)
            return []
        partner = exp.partner(ref)
        partner_stuck = False
        if partner is not None and U.judged(partner, ("metric_down",) if error else ("metric_up",)):
            pv = U.view_of(partner, smooth=False)
            partner_stuck = self.stretch(_facing_up(pv) if error else pv) is not None
        return [StuckEvent(ref, view, a, b, how, loss, motion, partner, partner_stuck, error)]

    def describe(self, e: StuckEvent) -> Finding:
        if e.how == "deaf":
            return self._describe_deaf(e)
        view, v = e.view, e.view.values
        a, b, motion = e.first, e.last, e.loss_motion
        value = v[a]
        name = short(e.ref)
        shown = view.shown(value)
        evals = b - a + 1
        title = "%s stuck at %s for %d evaluations (steps %d-%d)%s" % (
            name,
            shown,
            evals,
            int(view.steps[a]),
            int(view.end_steps[b]),
            " while %s still moves" % short(e.loss) if motion and motion["moves"] else "",
        )
        parts = [
            "%s holds exactly %s from step %d to step %d. "
            % (capital(name), shown, int(view.steps[a]), int(view.end_steps[b]))
        ]
        if e.how == "after_fall":
            best = float(np.min(v[:a])) if e.error else float(np.max(v[:a]))
            parts.append("It had reached %s before, so training broke and never came back. " % view.shown(best))
        parts.append("A metric that does not move at all means the model's predictions stopped changing. ")
        if motion and motion["moves"] and e.error:
            parts.append(
                "Yet %s still changes (%s → %s over the same steps): the updates do not reach what this "
                "metric is computed from. " % (short(e.loss), fmt(motion["first"]), fmt(motion["last"]))
            )
        elif motion and motion["moves"]:
            parts.append(
                "Yet %s still changes (%s → %s over the same steps): the model is adjusting its confidence, "
                "not its answers; typically it is learning the class prior. "
                % (short(e.loss), fmt(motion["first"]), fmt(motion["last"]))
            )
        elif motion:
            parts.append(
                "%s is frozen too: the weights are not being updated at all (a learning rate of "
                "zero, frozen layers, or gradients that no longer reach them). " % short(e.loss)
            )
        if U.is_fraction(v) and 0.0 < value < 1.0 and not e.error:
            parts.append(
                "%s is almost surely the share of the most frequent class in this data: the model predicts "
                "one class for every input. " % shown
            )
        if e.partner_stuck:
            parts.append("%s is stuck too. " % short(e.partner).capitalize())
        if e.error:
            parts.append(
                "An error that repeats to the last digit comes from the same predictions on the same data: "
                "most often one constant output for every input (the mean target, or an output layer whose "
                "activation is pinned, such as a ReLU or sigmoid on a regression output), or a metric computed "
                "on a cached tensor rather than this epoch's predictions. Print the predictions of one batch "
                "next to their targets: a single repeated value confirms it; then check the output "
                "activation, the target scaling and the learning rate."
            )
        else:
            parts.append(
                "Likely causes: class imbalance (compare %s with the class counts; weight the classes or "
                "resample), unnormalised inputs that saturate the first layer, too much dropout, dead ReLUs, or "
                "a learning rate too small or decayed to nothing. Check the confusion matrix of one batch: one "
                "column only confirms it." % shown
            )
        evidence = {
            "value": value * view.raw_scale,
            "first_step": int(view.steps[a]),
            "last_step": int(view.end_steps[b]),
            "evaluations": evals,
            "how": e.how,
            "loss_moves": bool(motion["moves"]) if motion else None,
            "loss_first": motion["first"] if motion else None,
            "loss_last": motion["last"] if motion else None,
            "partner_stuck": e.partner_stuck,
            "error_metric": e.error,
        }
        if e.how == "after_fall":
            evidence["last_healthy_step"] = int(view.end_steps[a - 1])
        return make_finding(
            e.ref, "stuck_metric", "warning", view, a, b, title, "".join(parts), evidence, related=[e.loss, e.partner]
        )

    def _describe_deaf(self, e: StuckEvent) -> Finding:
        view, v = e.view, e.view.values
        a, b = e.first, e.last
        name, loss = short(e.ref), short(e.loss)
        opening, end = self._loss_ends(e.loss)
        level = float(np.median(v[a : b + 1]))
        lo, hi = float(np.min(v[a : b + 1])), float(np.max(v[a : b + 1]))
        title = "%s stays near %s for %d evaluations while %s fell %s → %s" % (
            name,
            view.shown(level),
            b - a + 1,
            loss,
            fmt(opening),
            fmt(end),
        )
        expl = (
            "%s stays between %s and %s from step %d to step %d, never more than %s above where it started, "
            "while %s fell from %s to %s (%.0f %%). A loss that falls that far changes the model's predictions, "
            "and a metric computed on those predictions moves with them: this one does not see what the model "
            "learned, so the metric itself is most likely computed wrong. Check the labels' format against "
            "what the metric expects (integer labels with a categorical accuracy, one-hot labels with a sparse "
            "one), the axis the predictions are compared on (an argmax over the batch or time axis), and, in "
            "sequence models, whether padding or shifted targets are counted. Compute it by hand on one batch "
            "of predictions."
            % (
                capital(name),
                view.shown(lo),
                view.shown(hi),
                int(view.steps[a]),
                int(view.end_steps[b]),
                fmt(self.learned_fraction),
                loss,
                fmt(opening),
                fmt(end),
                100 * (opening - end) / opening,
            )
        )
        evidence = {
            "how": "deaf",
            "level": level * view.raw_scale,
            "low": lo * view.raw_scale,
            "high": hi * view.raw_scale,
            "first_step": int(view.steps[a]),
            "last_step": int(view.end_steps[b]),
            "evaluations": b - a + 1,
            "loss_opening": opening,
            "loss_end": end,
            "band": self.deaf_band,
        }
        return make_finding(e.ref, "stuck_metric", "warning", view, a, b, title, expl, evidence, related=[e.loss])


def _facing_up(view: U.View) -> U.View:
    """An error metric's view turned so that higher is better, on a unit scale: the negative over its
    largest magnitude.  The scale matters: "the same value" has an absolute floor (float32's 1e-7),
    under which a small MAE falling 2e-7 an epoch (2.5e-4 -> 5e-5 over 1000 epochs) reads as one value
    held throughout; on the unit scale only a repeat to the digit does.  The result is never a
    fraction, so the relative rules judge it whatever its range (a 0-1 MAE is not an accuracy)."""
    v = view.values
    scale = float(np.max(np.abs(v))) if v.size else 0.0
    return dataclasses.replace(view, values=-v / scale if scale > 0 else -v, raw=None)


def _never_computed(loss: SeriesRef) -> bool:
    _, v = U.finite_points(loss)
    return v.shape[0] >= 2 and bool(np.all(np.abs(v) <= U.SAME_VALUE_ATOL))


def _longest_constant_run(values: np.ndarray) -> Optional[Tuple[int, int]]:
    n = values.shape[0]
    if n < 2:
        return None
    eq = U.same(values[1:], values[:-1])
    best, start, cur = None, 0, 0
    for i, e in enumerate(eq):
        if e:
            cur += 1
            if best is None or cur > best[1] - best[0]:
                best = (start, i + 1)
        else:
            start, cur = i + 1, 0
    return best
