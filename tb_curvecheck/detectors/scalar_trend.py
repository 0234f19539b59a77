"""Trends over the run: `overfitting` (validation loss rises while training loss
keeps falling) and `no_progress` (the loss does not improve meaningfully)."""

from __future__ import annotations

import dataclasses
import functools
from typing import List, Optional, Tuple

import numpy as np

from ..model import Experiment, Finding, ScalarSeries, SeriesRef
from . import stats as U
from .base import Detector
from .wording import capital, fmt, make_finding, short

MEDIAN_SE = U.MEDIAN_SE
# Metrics that are a loss under another name: perplexity is exp(cross-entropy per token), so a
# dev perplexity climbing while the training one falls is the same overfitting (tensorflow/nmt
# logs `train_ppl` and `dev_ppl` beside a training loss only).
LOSS_LIKE = ("perplexity",)
# A positive validation loss whose first value is this many times its best learned over orders of
# magnitude (0.0053 from 1.09): it is judged on the log scale, where giving back a third of what it
# learned (0.0053 -> 0.06) is not dwarfed by the untrained first epoch.
DECADE_SPAN = 10.0
# ... and its rise must still reach this share of that first level (0.0053 -> 0.06 against 1.09 does;
# 2e-5 -> 1e-4 against 0.68 does not), unless the rise is certain from its order.
LOG_FLOOR_SHARE = 0.01
# One side of a threshold's trade-off: validation precision falls by design while recall climbs as a
# classifier learns the rare class, so neither alone says the model memorises.
TRADE_OFF = ("precision", "recall")


@dataclasses.dataclass(frozen=True, eq=False)
class StallEvent:
    """A loss that did not improve meaningfully over the run."""

    ref: SeriesRef
    view: U.View
    first: float  # starting level (median of the first points)
    best: float  # lowest running median
    improvement: float
    sigma: float
    rel: float  # improvement / |first|
    metric: Optional[SeriesRef]  # a metric of the same split, for the reader
    # A validation or test loss's training loss when that one learned, with its first and last levels:
    # then the model learns and what it learns does not carry over, which calls for other checks.
    learning_train: Optional[SeriesRef] = None
    train_levels: Tuple[float, float] = (0.0, 0.0)
    # (step, value) of a blow-up within the opening evaluations: the start is then the first value alone.
    opening_peak: Optional[Tuple[int, float]] = None
    # The level a validation loss that never improved rose to while its training loss learned (the
    # median of its last third), when it rose clearly: then it is overfitting from the first evaluation.
    rose_to: Optional[float] = None
    # A loss that came down early and then held (`NoProgress._stopped`): the step it settled at, and how
    # many other objective losses of the run held as still.
    stopped_at: Optional[int] = None
    stopped_beside: int = 0


@dataclasses.dataclass(frozen=True)
class NoProgress(Detector[StallEvent]):
    name = "no_progress"
    kinds = ("no_progress",)

    # "Over the run" needs a run: fewer evaluations say nothing about progress.
    min_points: int = 8
    # "Stopped early" (`_stopped`) needs enough evaluations that its last three quarters are a stretch.
    stopped_min_points: int = 10
    # A loss that improved by less than this share of its first value has not learned ...
    min_rel: float = 0.05
    # ... nor one whose improvement is within this many standard errors of the starting level
    # (the median of `start_points` points): ~1 in 700 for a flat Gaussian curve.
    noise_k: float = 3.0
    # A higher-is-better 0-1 metric of the same split that gained this much (end vs start) says the
    # run learns, whatever the loss's offset or scale.
    metric_gain: float = 0.10
    # An improvement this many noise units large is learning whatever its share of the level
    # (a loss offset by a constant, like a log-likelihood, improves by a small share of a big number).
    clear_k: float = 20.0
    # ... but not one that moved less than this share of its level: a learning rate too small (1e-6
    # with Adam) creeps a loss down smoothly, far beyond its near-zero noise, yet by a few thousandths
    # over the whole run; an offset log-likelihood that learns still moves by a percent or more.
    clear_min_rel: float = 0.005
    # A loss whose best level is this share below its start has learned, however noisy: a flat
    # curve's lowest running median reaches it only when a point's noise is a fifth of its level,
    # and then the noise says nothing either way (a short, noisy regression loss 0.19 -> 0.095).
    progress_rel: float = 0.2
    # ... provided, on a long curve (this many evaluations or more), its values also trend down in
    # order (Mann-Kendall z at most -`progress_trend_z`): the lowest of a hundred running medians of a
    # heavy-tailed flat curve (a per-step MSE of 1e6-5e8 around its target variance) lies a fifth
    # under its level by selection alone, while a loss that learns orders its values.
    progress_trend_points: int = 30
    progress_trend_z: float = 3.0
    # A second half whose values all lie within this share of their level is pinned (float32 keeps
    # about seven digits; minibatch or weight changes move a loss by far more than 1e-5 of itself).
    pinned_rel: float = 1e-5
    # The first evaluation alone counts as the start when it stands this many standard errors above
    # the best level: one point is tested on top of the median (two chances), and a flat curve's
    # first point lies 5 sigma high about once in 3.5 million.
    first_point_k: float = 5.0
    # ... and, on a long curve, stands above this quantile of the later values.
    first_point_quantile: float = 0.99
    # The starting level is the median of this many first evaluations ...
    start_points: int = 3
    # A validation loss "fell in order" at this Mann-Kendall z (one-sided p ~ 0.001 for independent
    # evaluations: six evaluations in falling order score -2.8, seven -3.2).
    partner_fell_z: float = 3.0
    # A validation accuracy that rose in that order says the same when its error fell by this share:
    # near the ceiling an accuracy gains little (0.91 -> 0.94 is a third of the errors gone), and a
    # model whose held-out errors fall by a third in order learns whatever its training loss shows.
    held_out_error_share: float = 1.0 / 3.0
    # ... and the best level the lowest running median over this share of the run (at least
    # `min_width` points), so the luckiest minibatch of a long flat run is not "progress".
    best_width_share: float = 0.1
    min_width: int = 5
    # A loss that climbed to this many times its first value within the first tenth of the run (at least
    # `start_points` evaluations) blew up before it learned: its opening median is the blow-up's level,
    # and the fall back from it is no learning.  It is judged from its first value alone, and has learned
    # only if its best level got `min_rel` below that (an N-BEATS loss 6.84 -> 6.6e4 -> 6.7-7.1, a
    # regressor's 127 -> 6523 -> 122-148: back where they began).  A loss climbs a few times over in
    # warm-up, not tenfold.
    opening_blowup: float = 10.0
    # ... and to this many times the largest value of the rest of the run: the largest of a per-batch
    # loss's first tenth tops twice the largest of its other nine tenths in under 1 % of runs even for a
    # log-normal tail of sigma 1 (4,000 draws of 1,000 batches), while a blow-up is orders above.
    blowup_above_rest: float = 2.0
    # A long curve (this many evaluations or more) that fell less than `progress_rel` in all, every bit of
    # it within its first tenth, and then held (its remaining nine tenths fall in no order, at
    # `progress_trend_z`: an offset loss that learns creeps down in order) learned only what a model learns in its
    # first updates, the output bias (a QA model's per-batch loss 8.16 -> ~7.5 within 280 of 2,818
    # batches, then 7.51 -> 7.50 while its sibling runs reach under 1).  A loss that learns keeps
    # falling after its opening, however slowly.
    opening_only_points: int = 100
    # A loss that diverged or alternates has no level to judge: those findings tell its story.
    divergence: U.DivergenceTest = dataclasses.field(default_factory=U.DivergenceTest)
    alternation: U.AlternationTest = dataclasses.field(default_factory=U.AlternationTest)
    # A validation loss that never improved while its training loss learned, and whose last third sits
    # this share above its opening level (the rise `Overfitting` asks of a loss that never improved) ...
    rose_rel: float = 0.10
    # ... with its values in rising order at this Mann-Kendall z (as sure as four rising evaluations in a
    # row, the order `Overfitting` asks of a short rise), did not stall: it got worse from the first
    # evaluation while the model fit its training data better, which `Overfitting` tells.
    rose_z: float = 2.0
    # ... or, by any share from `rose_min_rel` up, with its values in near-perfect rising order (a
    # validation loss that creeps 6859 -> 7228 at nearly every one of 50 evaluations while its training
    # loss runs away scores z ~ 9): a rise that ordered is the model getting worse, not noise (z = 4 is
    # one-sided p ~ 3e-5), and it is that story whatever its size (for the objective only).
    rose_ordered_z: float = 4.0
    rose_min_rel: float = 0.02

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[StallEvent]:
        return self.stalled(exp, ref) or self._stopped(exp, ref)

    def stalled(self, exp: Experiment, ref: SeriesRef) -> List[StallEvent]:
        """The loss did not improve over the run (the test other detectors ask "did it learn?" with: a loss
        that learned early and then stopped, `_stopped`, did learn)."""
        return [e for e in self._stall(exp, ref, twins=True) if e.rose_to is None]

    def _stopped(self, exp: Experiment, ref: SeriesRef) -> List[StallEvent]:
        """A loss that came down early and then held within a percent for the rest of the run, as every
        objective loss of the run did (`stats.losses_settled`): the updates after the first quarter changed
        nothing the losses show (a task metric that improved meanwhile drops the finding in `purpose.gate`).
        Measured before it was written: of the corpus's and 13 blind batches' runs (no agents) whose every
        objective loss settled so, 30 are pathologies and none of some 1,090 healthy runs."""
        if not self._objective(exp, ref) or ref.info.granularity == "batch" or U.reinforcement_learning(exp):
            return []
        if U.estimator_mean(exp, ref) is not None:
            return []  # an Estimator head's summed loss: its mean tells the same
        view = U.view_of(ref, smooth=False)
        n = len(view)
        if n < self.stopped_min_points:
            return []
        held = U.settled_from(view.values)
        if not held or U.losses_settled(exp, self.stopped_min_points) is None:
            return []
        v = view.values
        # From its first value: the drop from an untrained model's outputs may take only the first update.
        first = float(v[0])
        level = float(np.median(v[held:]))
        # It came down first (else `_stall` tells a loss that never improved), from a level with a floor
        # (below zero, an energy or a log-likelihood, a relative band says nothing), and it moves at all
        # (held to float precision is a clipped or frozen output, `saturated_loss`'s and `never_learned`'s).
        if not (level > 0 and first - level >= self.min_rel * first):
            return []
        if float(np.ptp(v[held:])) <= self.pinned_rel * level:
            return []
        metrics = exp.metrics_for(ref)[:1]
        return [
            StallEvent(
                ref,
                view,
                first,
                level,
                first - level,
                U.residual_noise(v),
                (first - level) / abs(first) if first else float("inf"),
                metrics[0] if metrics else None,
                stopped_at=int(view.steps[held]),
                stopped_beside=sum(1 for o in U.objective_losses(exp) if o is not ref),
            )
        ]

    def _learned_before_restart(self, ref: SeriesRef, first: float, v: np.ndarray) -> bool:
        """The session TensorBoard shows resumed a model that had learned in one it overwrote: the earlier
        session opened clearly above where this one opens (by `min_rel` of its level and `noise_k` standard
        errors of the two opening medians).  A notebook that trains a regression 0.352 -> 0.0075, then calls
        its training loop again on the same model into the same folder, shows only the second call, flat at
        0.0075; the run as a whole learned.  A restart from scratch opens where the first session did, and a
        session that never improved is judged as before."""
        earlier = ref.series.superseded
        if earlier is None:
            return False
        earlier = earlier[np.isfinite(earlier)]
        if earlier.shape[0] < self.start_points or not np.isfinite(first):
            return False
        opened = float(np.median(earlier[: self.start_points]))
        se = MEDIAN_SE * U.residual_noise(v) * np.sqrt(2.0 / self.start_points)
        return opened - first >= max(self.min_rel * abs(opened), self.noise_k * se)

    def rose_from_start(self, exp: Experiment, ref: SeriesRef) -> Optional[StallEvent]:
        """The stall of a validation loss that never improved and rose clearly while its training loss
        learned (`rose_rel`, `rose_z`), or None: overfitting from the first evaluation."""
        return next((e for e in self._stall(exp, ref, twins=True) if e.rose_to is not None), None)

    def _stall(self, exp: Experiment, ref: SeriesRef, twins: bool) -> List[StallEvent]:
        if not self._objective(exp, ref) or U.one_evaluation_pass(exp, ref):
            return []
        view = U.view_of(ref, smooth=False)
        n = len(view)
        if n < self.min_points:
            return []
        if self.divergence(view) is not None:
            return []
        v = view.values
        if self.alternation(v) is not None:
            # An alternating curve's level is not defined; the oscillation finding tells that story.
            return []
        if not np.any(v):
            # Exactly zero at every point: a term that is switched off (no regulariser configured, a
            # loss weight of 0), not a loss that failed to improve.
            return []
        first = float(np.median(v[: self.start_points]))
        if self._learned_before_restart(ref, first, v):
            return []
        width = max(self.min_width, int(self.best_width_share * n)) | 1
        smooth = U.running_median(v, width)
        if float(np.min(smooth)) < 0.0:
            # A loss below zero has no floor there (an energy, a contrastive-divergence or Wasserstein
            # critic loss, a continuous log-likelihood): its level and its relative change say nothing
            # about learning, which its other series show.
            return []
        best_i = int(np.argmin(smooth))
        best = float(smooth[best_i])
        opening = v[: max(self.start_points, n // 10)]
        peak_i = int(np.argmax(opening))
        # (From a first value at the curve's own level: one logged near zero, 4e-8 before a loss of ~1.9,
        # is no level to have blown up from.)
        opened = v[0] * self.opening_blowup >= float(np.median(v)) > 0 and opening[peak_i] >= self.opening_blowup * v[0]
        # A blow-up stands far above the whole rest of the run; a peak the later values come near again is
        # the tail of a heavy-tailed per-batch loss (a forecaster's per-step loss: 0.49 at its first batch,
        # 4.9 in its opening tenth, 4.5 later), and its first value a lucky batch, not a level.
        opened = opened and (
            n <= opening.shape[0] or opening[peak_i] >= self.blowup_above_rest * float(np.max(v[opening.shape[0] :]))
        )
        if opened:
            # Its level after the peak against its first value: what came before the blow-up is not
            # what the run ended with.
            best_i = peak_i + int(np.argmin(smooth[peak_i:]))
            best = float(smooth[best_i])
            if v[0] - best >= self.min_rel * v[0]:
                return []  # below its first value, past the blow-up: it learned
            first = float(v[0])
        improvement = first - best
        sigma = U.residual_noise(v)
        rel = improvement / abs(first) if first != 0 else float("inf")
        # Standard error of (start median - lowest running median): a median of k points has
        # 1.25 sigma / sqrt(k), and the two levels are independent.
        se = MEDIAN_SE * sigma * np.sqrt(1.0 / min(self.start_points, n) + 1.0 / width)
        significant = improvement >= self.noise_k * se
        # The noise where the curve has settled (its second half): a steep start is not noise.
        settled = U.residual_noise(v[n // 2 :]) if n - n // 2 >= 4 else sigma
        tail = v[n // 2 :]
        if float(np.ptp(tail)) <= self.pinned_rel * abs(float(np.median(tail))):
            # Pinned: a loss on changing batches and weights never holds its value to six digits, so the
            # model sits at a fixed point (a VAE decoding the mean image) and its "noise" is rounding:
            # only a real share of the level counts as learning, not noise units.
            settled = float("inf")
        significant = improvement > 0 and significant

        def learned(gain: float, level: float) -> bool:
            # A share of the level, or far beyond the settled noise while still a share worth telling.
            return gain >= self.min_rel * abs(level) or (
                gain >= self.clear_k * settled and gain >= self.clear_min_rel * abs(level)
            )

        opening_only = not opened and self._opening_only(v, first)
        # After an opening blow-up, what follows reads the fall from the peak: it was judged above.
        if not opened and significant and learned(improvement, first) and not opening_only:
            return []
        if (
            not opened
            and improvement >= self.progress_rel * abs(first)
            and improvement > 0
            and (n < self.progress_trend_points or U.trend_z(v) <= -self.progress_trend_z)
        ):
            return []
        if (
            not opened
            and not opening_only
            and n >= self.progress_trend_points
            and -U.sen_slope(v) * (n - 1) >= self.min_rel * abs(first)
            and U.trend_z(v) <= -self.progress_trend_z
        ):
            # A long curve too noisy point to point for its levels to differ clearly, whose values still
            # fall in order (a LoRA fine-tune's per-step loss 2.24 -> ~1.9 over 60 batches, z = -3.2) by a
            # robust (Theil-Sen) fall of min_rel or more: learning, slowly.
            return []
        # The first evaluation on its own: with sparse logging most of the learning happens before the
        # second one (a fine-tuning loss 2.69 -> 1.07 -> 1.05 ...), and the median of the first few
        # would start the count after it.  A single point's standard error is sigma itself.
        first0 = float(v[0])
        improvement0 = first0 - best
        se0 = sigma * np.sqrt(1.0 + MEDIAN_SE**2 / width)
        if (
            not opening_only
            and improvement0 >= self.first_point_k * se0
            and learned(improvement0, first0)
            # On a long curve the untrained first value also tops every later one: a heavy-tailed flat
            # loss's first batch can sit many (median-based) noise units high by its tail alone.
            and (n < self.progress_trend_points or first0 > float(np.quantile(v[1:], self.first_point_quantile)))
        ):
            return []
        if twins and self._twin_learned(exp, ref):
            return []
        partner = exp.partner(ref)
        # A validation loss's training loss, when it learned (judged once, by this same test).
        learning_partner = (
            partner
            if ref.info.split in ("validation", "test")
            and partner is not None
            and self._objective(exp, partner)
            and not self.stalled(exp, partner)
            else None
        )
        if learning_partner is not None and (
            (improvement >= self.min_rel * abs(first) and improvement > 0)
            or (
                not opened
                and improvement0 >= self.min_rel * abs(first0)
                and first0 > float(np.max(v[1:]))
                and float(np.median(v[-max(self.start_points, n // 3) :])) <= first
            )
        ):
            # A validation loss on few samples is noisy: one that improved by min_rel while its training
            # loss clearly learns has progressed (a fine-tuning run that starts near its best).  So has one
            # whose first evaluation, its highest, lies min_rel above its best: the model learned before
            # the second evaluation and then held, its last third no higher than its next evaluations (a
            # Keras classifier's validation loss 0.311 -> 0.278, 0.271, ... 0.270 over ten epochs); one
            # that rose again is `Overfitting`'s to tell.
            return []
        if learning_partner is not None and not opened and self._learned_before_first(view, v, learning_partner, first):
            return []
        if (
            improvement > 0
            and ref.info.split == "train"
            and (self._fell_in_order(partner) or self._held_out_accuracy_rose(exp))
        ):
            # The other way round: a training loss sampled from a few noisy batches (0.71, 0.44, 0.56 ...)
            # whose validation loss fell in order by min_rel (0.620 -> 0.563 at every one of 7
            # evaluations), or whose validation accuracy rose in order (`_held_out_accuracy_rose`),
            # belongs to a model that learns; its batches (or mixup's blended targets) hid the fall.
            return []
        for m in exp.metrics_for(ref):
            mv = U.view_of(m, smooth=False).values
            k = self.start_points
            if (
                mv.shape[0] >= 2 * k
                and U.is_fraction(mv)
                and np.median(mv[-k:]) - np.median(mv[:k]) >= self.metric_gain
            ):
                return []
        metrics = exp.metrics_for(ref)[:1]
        learning, levels = None, (0.0, 0.0)
        tview = U.view_of(learning_partner) if learning_partner is not None else None
        tv = tview.values if tview is not None else np.empty(0)
        if tv.shape[0] >= self.min_points:
            k = self.start_points
            t_first, t_last = float(np.median(tv[:k])), float(np.median(tv[-k:]))
            if t_last < t_first:
                learning, levels = learning_partner, (t_first, t_last)
        rose_to = None
        if learning is not None and not opened:
            end = float(np.median(v[-max(self.start_points, n // 3) :]))
            # The training loss must have fallen since the validation's lowest evaluation too (levels on
            # the validation's axis, as `Overfitting` compares them): both rising is a run that diverges.
            t_at = U.aggregate(tview, U.on_axis_of(view, tview))
            t_fell = float(np.median(t_at[-self.start_points :])) < float(t_at[int(np.argmin(v))])
            rise, z = end - first, U.trend_z(v)
            clear = rise >= self.rose_rel * abs(first) and z >= self.rose_z
            # (The objective's: a term creeping up a few percent while its total falls is the terms trading off.)
            ordered = (
                rise >= self.rose_min_rel * abs(first)
                and z >= self.rose_ordered_z
                and ref.info.purpose in ("objective", None)
            )
            # ... or, when its first evaluation is its best and never matched again, by `rose_min_rel` of it
            # and `noise_k` single-point standard errors, while the training loss fell by `min_rel` or more:
            # on a sparse curve the median of the first evaluations, which the tests above start from, takes
            # in the jump at the second (a forecaster evaluated every 100 epochs: 0.721 -> 0.785, 0.794, then
            # 0.776-0.787 to the end as its training loss fell 0.58 -> 0.009).
            first0, k_end = float(v[0]), max(self.start_points, n // 3)
            worse_than_first = (
                bool(np.all(v[1:] > first0))
                and end - first0 >= self.rose_min_rel * abs(first0)
                and end - first0 >= self.noise_k * sigma * np.sqrt(1.0 + MEDIAN_SE**2 / k_end)
                and levels[0] - levels[1] >= self.min_rel * abs(levels[0])
            )
            if (clear or ordered or worse_than_first) and t_fell:
                rose_to = end
        peak = (int(view.steps[peak_i]), float(v[peak_i])) if opened else None
        return [
            StallEvent(
                ref,
                view,
                first,
                best,
                improvement,
                sigma,
                rel,
                metrics[0] if metrics else None,
                learning,
                levels,
                opening_peak=peak,
                rose_to=rose_to,
            )
        ]

    def _opening_only(self, v: np.ndarray, first: float) -> bool:
        """All of a long curve's fall, less than `progress_rel` of its first level, came in its first
        tenth, and the rest held: no ordered fall."""
        n = v.shape[0]
        if n < self.opening_only_points or first <= 0.0:
            return False
        k = n // 10
        rest = v[k:]
        start, end = U.end_medians(rest, k)
        if first - min(start, end) >= self.progress_rel * first:
            return False
        return U.trend_z(rest) > -self.progress_trend_z

    @staticmethod
    def _objective(exp: Experiment, ref: SeriesRef) -> bool:
        """A loss; or, in a run that logs no loss at all, the one lower-is-better task metric of its split:
        then it is the objective (CatBoost logs only its metrics, `learn/RMSE` and `test/RMSE` for a
        regressor fit on RMSE).  With several (MAE, MSE and RMSE of one forecaster) none is singled out:
        they would tell one story several times, and which one is minimised is not logged."""
        if U.judged(ref, ("loss",)):
            return True
        if not (U.judged(ref, ("metric_down",)) and ref.info.purpose == "task") or exp.find(role="loss"):
            return False
        return len([s for s in exp.find(split=ref.info.split, role="metric_down") if s.run == ref.run]) == 1

    def _learned_before_first(self, view: U.View, v: np.ndarray, train: SeriesRef, first: float) -> bool:
        """A validation loss whose first evaluation already lies `min_rel` under its training loss's first
        value (the untrained model's loss, or the mean over the first epoch, which starts from it), logged
        no later, beside a training loss that ended under the validation's level: the model learned before
        the first evaluation.  If the validation loss then held, its last third within `min_rel` of its
        start (a rise that small is under what `Overfitting` reports), it plateaued early; it did not stall.
        A Keras churn classifier: training 0.391 over epoch 0, validation 0.351 after it, 0.340-0.360 for
        13 epochs, training 0.319 at the end.  A training loss that stays above its validation loss
        throughout (dropout, an added penalty) gives its gap at the start no such meaning."""
        ts, tv = U.finite_points(train)
        if tv.shape[0] < self.start_points or ts[0] > view.steps[0] or not v[0] > 0:
            return False
        end = float(np.median(v[-max(self.start_points, v.shape[0] // 3) :]))
        t_end = float(np.median(tv[-self.start_points :]))
        # Held from its first evaluation too: the median of the first few takes in a jump at the second (a
        # test loss 1.21 at its first evaluation, 1.59-1.78 at every later one while training reached 0.002),
        # and a loss that rose that way did not plateau, it got worse from its first evaluation.
        start = min(first, float(v[0]))
        return (
            float(tv[0]) * (1.0 - self.min_rel) >= float(v[0]) and end <= (1.0 + self.min_rel) * start and t_end < end
        )

    def _fell_in_order(self, ref: Optional[SeriesRef]) -> bool:
        """A validation loss whose later evaluations lie below its earlier ones (Mann-Kendall z at or under
        -`partner_fell_z`) and whose last is `min_rel` under its first."""
        if ref is None or ref.info.split not in ("validation", "test") or not U.judged(ref, ("loss",)):
            return False
        v = U.view_of(ref, smooth=False).values
        if v.shape[0] < self.start_points * 2 or not v[0] > 0:
            return False
        return U.trend_z(v) <= -self.partner_fell_z and float(v[-1]) <= (1.0 - self.min_rel) * float(v[0])

    def _held_out_accuracy_rose(self, exp: Experiment) -> bool:
        """A validation or test accuracy of the run whose later evaluations lie above its earlier ones
        (Mann-Kendall z at least `partner_fell_z`) and whose error, from its first to its last
        `start_points` evaluations, fell by `held_out_error_share`."""
        k = self.start_points
        for m in exp.find(quantity="accuracy"):
            if m.info.split not in ("validation", "test") or not U.judged(m, ("metric_up",)):
                continue
            mv = U.view_of(m, smooth=False).values
            if mv.shape[0] < 2 * k or not U.is_fraction(mv):
                continue
            start, end = float(np.median(mv[:k])), float(np.median(mv[-k:]))
            if U.trend_z(mv) >= self.partner_fell_z and end - start >= self.held_out_error_share * (1.0 - start):
                return True
        return False

    def _twin_learned(self, exp: Experiment, ref: SeriesRef) -> bool:
        """The same loss logged at another cadence learned (Lightning's `train_loss_step` beside
        `train_loss_epoch`): a few sampled batches of it are noisier evidence than every epoch's mean.
        The twin may sit in another run of the job (an `add_scalars("loss", {"train": ...})` run beside
        the per-step loss), its tag naming no cadence: it counts when it holds `EPOCH_AXIS_RATIO` times
        fewer points, and is read on the per-step axis when it counts its steps in epochs."""
        steps = ref.series.steps
        ref_view: Optional[U.View] = None  # read once, only when a coarser twin needs the per-step axis
        for s in exp.scalars:
            coarser = (
                s.run != ref.run
                and len(s.series) >= self.min_points
                and U.EPOCH_AXIS_RATIO * len(s.series) <= len(ref.series)
            )
            if (
                s is ref
                or (s.run != ref.run and not coarser)
                or s.info.role != "loss"
                or s.info.quantity != ref.info.quantity
                or s.info.split != ref.info.split
                or (s.info.granularity in (ref.info.granularity, "batch") and not coarser)
                or not U.judged(s, ("loss",))
            ):
                continue
            at = s.series.steps
            if coarser:
                if ref_view is None:
                    ref_view = U.view_of(ref, smooth=False)
                at = U.on_axis_of(U.view_of(s, smooth=False), ref_view)
                if at.shape[0] != len(s.series):
                    continue  # non-finite points were dropped: the mapped steps no longer line up
            # Over the steps `ref` covers only: a twin that learned in an epoch `ref` never sampled says
            # nothing about the stretch `ref` shows flat.
            keep = (at >= steps[0]) & (at <= steps[-1])
            if int(np.sum(keep)) < self.min_points:
                continue
            if ref.info.granularity == "epoch" and s.info.granularity == "step" and int(np.sum(keep)) < len(ref.series):
                # Fewer single batches than the epochs whose means `ref` holds (Lightning's
                # `train_loss_step` every 50 steps of a one-batch-per-epoch run: 10 batches beside 500
                # epoch means) are the weaker evidence, and do not overrule them.
                continue
            series = ScalarSeries(s.series.steps[keep], s.series.values[keep], s.series.wall_times[keep])
            # Judged on its own: the twins must not answer for each other.
            if not self._stall(exp, dataclasses.replace(s, series=series), twins=False):
                return True
        return False

    def describe(self, e: StallEvent) -> Finding:
        if e.learning_train is not None:
            return self._describe_not_carried(e)
        if e.stopped_at is not None:
            return self._describe_stopped(e)
        n, rel, sigma = len(e.view), e.rel, e.sigma
        name = short(e.ref)
        # A best level a real share under the start that is still within the curve's noise (a per-batch
        # detection loss wandering 0.12-0.42) is said to be so: "did not improve" beside "-50.9 %" reads
        # as a contradiction.
        noisy = bool(np.isfinite(rel) and rel >= self.min_rel)
        if e.best < e.first:
            title = "%s did not improve%s: %s at the start, best %s (%+.1f %%) over %d evaluations" % (
                name,
                " beyond its noise" if noisy else "",
                fmt(e.first),
                fmt(e.best),
                -100 * rel if np.isfinite(rel) else 0.0,
                n,
            )
        else:
            # Its lowest later level is above where it started: no "best" to quote, it only rose or held.
            title = "%s did not improve: %s at the start and never lower over %d evaluations" % (name, fmt(e.first), n)
        title += self._ended_above(e)
        verdict = (
            "the curve wanders too much for that to be learning rather than its lowest stretch of noise"
            if noisy
            else "nothing was learned"
        )
        blowup = (
            " It blew up to %s by step %d, within its first evaluations, and came back only to where it began: "
            "the fall from that peak is not learning." % (fmt(e.opening_peak[1]), e.opening_peak[0])
            if e.opening_peak is not None
            else ""
        )
        # After an opening blow-up the best is taken after the peak (the way back down is not learning), so
        # "over the whole run" would be untrue of a run that sat lower before the blow-up.
        expl = (
            self._opening(
                e, "best level after the blow-up" if e.opening_peak is not None else "best level over the whole run"
            )
            + ", an improvement of %.1f %% and %.1f noise units: %s.%s "
            % (
                100 * rel if np.isfinite(rel) else 0.0,
                e.improvement / sigma if sigma > 0 else float("inf"),
                verdict,
                blowup,
            )
            + (self.NET_CHECKS if U.judged(e.ref, ("loss",)) else self._metric_only_checks(e.ref))
        )
        return self._finding(e, 0, title, expl, self._evidence(e))

    @staticmethod
    def _finding(e: StallEvent, first: int, title: str, expl: str, evidence: dict) -> Finding:
        """The warning over the event's view from index `first` to its end, the metric beside it related."""
        related = [e.metric] if e.metric is not None else []
        return make_finding(
            e.ref, "no_progress", "warning", e.view, first, len(e.view) - 1, title, expl, evidence, related=related
        )

    def _describe_stopped(self, e: StallEvent) -> Finding:
        view, n = e.view, len(e.view)
        name = short(e.ref)
        i = int(np.searchsorted(view.steps, e.stopped_at))
        share = 100.0 * (n - i) / n
        title = "%s stopped improving at step %d: within %s %% of %s over its last %d of %d evaluations" % (
            name,
            e.stopped_at,
            fmt(100 * U.SETTLE_REL),
            fmt(e.best),
            n - i,
            n,
        )
        expl = (
            "%s came down from %s to %s by step %d, then held within %s %% of that level for the remaining %d %% "
            "of the run%s: the updates after step %d changed nothing the losses can see. A model that still learns moves its loss by more than a percent over "
            "that long. Typical causes: a learning rate decayed to nothing or far too small after warm-up (or so "
            "large that the loss bounces on a plateau), a model too small for the task (the training loss "
            "plateaus high), outputs that saturated, or a data pipeline that serves the same few batches. "
            "Compare the plateau with what a trivial predictor scores; if the plateau is near it, the model "
            "learned only the easy part (the mean, the class shares)."
            % (
                capital(name),
                fmt(e.first),
                fmt(e.best),
                e.stopped_at,
                fmt(100 * U.SETTLE_REL),
                round(share),
                (
                    ", and the run's other loss held as still"
                    if e.stopped_beside == 1
                    else ", and the run's %d other losses held as still" % e.stopped_beside
                    if e.stopped_beside
                    else ""
                ),
                e.stopped_at,
            )
        )
        evidence = dict(self._evidence(e), how="stopped", stopped_at_step=e.stopped_at, held_within=U.SETTLE_REL)
        return self._finding(e, i, title, expl, evidence)

    NET_CHECKS = (
        "Check first that the model trains at all: overfit a single batch (the loss should reach near zero in "
        "a few hundred steps; if not, the model, loss or labels are wrong: labels misaligned with inputs, a "
        "loss that does not match the output activation, a frozen model). Then the learning rate: too low and "
        "the loss creeps, too high and it bounces around its start; try a range test over 1e-5..1. Also check "
        "for unnormalised inputs and for gradients that are zero (vanishing, dead ReLUs)."
    )

    @staticmethod
    def _metric_only_checks(ref: SeriesRef) -> str:
        """What to check when the run logs no loss and its one error metric stood in for it: the way
        gradient-boosting libraries log (CatBoost's `catboost_info/learn` and `test`), where "overfit a
        single batch" and dead ReLUs would send the reader the wrong way."""
        catboost = "catboost_info" in ref.run.replace("\\", "/").split("/")
        knobs = (
            "lower learning_rate or depth, raise l2_leaf_reg, and keep the best iteration (use_best_model "
            "with an eval_set)"
            if catboost
            else "lower the learning rate or the tree depth, regularise more, and stop at the best iteration"
        )
        meaning = (
            "the first trees already took what the features say about the target, or each tree overfits from "
            "the start (the training metric falls while this one does not)"
            if ref.info.split in ("validation", "test")
            else "the trees fit nothing: features without signal for the target, or a learning rate near zero"
        )
        return (
            "This run logs no loss, only its metrics, as %s does, so this metric is read as what the fit "
            "minimises. For boosted trees, a metric that never gets below its first iterations means %s. Check "
            "that the features carry signal (their importances, and the metric of predicting the training "
            "mean), that the evaluation set comes from the training data's distribution with its target "
            "aligned to its rows, then %s. (For a neural network that logs only its metrics, overfit a single "
            "batch first.)" % ("CatBoost" if catboost else "a gradient-boosting library", meaning, knobs)
        )

    def _opening(self, e: StallEvent, level: str, how: str = "") -> str:
        """'<Loss> starts at <first> (...) and its <level> (<how>steps a-b) is <best>': both explanations
        open so.  The start is a median of the first points, said so: the chart's first point can differ."""
        k = 1 if e.opening_peak is not None else min(self.start_points, len(e.view))
        return "%s starts at %s%s and its %s (%ssteps %d-%d) is %s" % (
            capital(short(e.ref)),
            fmt(e.first),
            " (the median of its first %d evaluations)" % k if k > 1 else "",
            level,
            how,
            int(e.view.steps[0]),
            int(e.view.end_steps[-1]),
            fmt(e.best),
        )

    def _closing(self, e: StallEvent) -> float:
        """The closing level: the median of the last third (at least `start_points` evaluations)."""
        v = e.view.values
        return float(np.median(v[-max(self.start_points, v.shape[0] // 3) :]))

    def _ended_above(self, e: StallEvent, brief: bool = False) -> str:
        """', ended at <closing> (+x %)' when the curve closed `min_rel` or more above its start: "did not
        improve, best 1.0561" alone hides that an evaluation loss then climbed 11 % (a LoRA fine-tune whose
        training curve the writer's restart purged)."""
        end = self._closing(e)
        if not (e.first != 0 and end - e.first >= self.min_rel * abs(e.first)):
            return ""
        rise = 100 * (end - e.first) / abs(e.first)
        return ("; ended at %s" if brief else ", and ended at %s (%+.1f %%)") % (
            (fmt(end),) if brief else (fmt(end), rise)
        )

    def _evidence(self, e: StallEvent) -> dict:
        return {
            "first_level": e.first,
            "best_level": e.best,
            "closing_level": self._closing(e),
            "improvement": e.improvement,
            "relative_improvement": e.rel,
            "noise": e.sigma,
            "points": len(e.view),
            "min_relative_improvement": self.min_rel,
            **({"opening_blowup": {"step": e.opening_peak[0], "value": e.opening_peak[1]}} if e.opening_peak else {}),
        }

    def _describe_not_carried(self, e: StallEvent) -> Finding:
        """A validation loss that did not improve while its training loss learned: the model trains, and
        "check that it trains at all" would send the reader the wrong way."""
        view, n = e.view, len(e.view)
        name, train = short(e.ref), short(e.learning_train)
        t_first, t_last = e.train_levels
        level = "best %s" % fmt(e.best) if e.best < e.first else "never lower"
        title = "%s did not improve (%s at the start, %s%s) while %s fell %s → %s" % (
            name,
            fmt(e.first),
            level,
            self._ended_above(e, brief=True),
            train,
            fmt(t_first),
            fmt(t_last),
        )
        expl = self._opening(e, "lowest level over the run", "a running median, ") + (
            ", while %s fell from %s to %s over the same run: the model learns the training data, and what "
            "it learns does not "
            "carry over to this split. Either it memorises from the first epochs (a model large for its "
            "data: add augmentation or regularisation, or keep the first epoch's weights), or the splits "
            "differ: other preprocessing or normalisation at evaluation, a shift between the two sets, "
            "evaluation labels shuffled apart from their inputs, or evaluation run in training mode (dropout "
            "on, BatchNorm on batch statistics). Compare a few evaluation inputs and labels with training "
            "ones side by side."
            % (
                train,
                fmt(t_first),
                fmt(t_last),
            )
        )
        evidence = dict(self._evidence(e), train_first_level=t_first, train_last_level=t_last)
        related = [e.learning_train] + ([e.metric] if e.metric is not None else [])
        return make_finding(e.ref, "no_progress", "warning", view, 0, n - 1, title, expl, evidence, related=related)


def _mapped(view: U.View, fn) -> U.View:
    """`view` with `fn` applied to every array of values it holds."""
    raw = None if view.raw is None else fn(view.raw)
    logged = None if view.logged_values is None else fn(view.logged_values)
    return dataclasses.replace(view, values=fn(view.values), raw=raw, logged_values=logged)


def _signed(view: U.View, sign: float) -> U.View:
    return view if sign > 0 else _mapped(view, np.negative)


def _logged(view: U.View, ref: SeriesRef, decades: bool = True):
    """(view, True) with the log of its values when all are positive and the series is a perplexity or a
    loss that learned over a decade (`DECADE_SPAN`), else (view, False)."""
    parts = [a for a in (view.values, view.raw, view.logged_values) if a is not None]
    if not all(np.all(a > 0) for a in parts):
        return view, False
    v = view.values
    decades = decades and ref.info.role == "loss" and v.shape[0] > 1 and v[0] >= DECADE_SPAN * float(np.min(v))
    if ref.info.quantity not in LOSS_LIKE and not decades:
        return view, False
    return _mapped(view, np.log), True


def _shown(v: float, log_scale: bool) -> float:
    return float(np.exp(v)) if log_scale else v


@dataclasses.dataclass(frozen=True, eq=False)
class OverfitEvent:
    ref: SeriesRef  # the validation (or test) loss
    view: U.View
    train: Optional[SeriesRef]  # None: the run logs no training loss (`Overfitting._unpaired`)
    best: int  # index of the validation best
    end_level: float
    threshold: float
    sigma: float
    train_at_best: float
    train_end: float
    train_fell: bool  # the training loss fell (rather than held) since the validation best
    sign: float = 1.0  # -1 when `ref` is a higher-is-better metric judged turned over
    train_sign: float = 1.0
    log_scale: bool = False  # `view` holds the log of a perplexity
    train_log_scale: bool = False
    # `best` is the middle of a running-median window (the rise was measured from that level), not
    # necessarily its lowest point: the point there can be a spike above the level.
    best_windowed: bool = False
    # Told from a short curve's last evaluations giving back most of its fall (`_gave_back`): the
    # weakest of the rise tests, which does not keep a task metric of its split from telling it too.
    gave_back: bool = False


@dataclasses.dataclass(frozen=True)
class Overfitting(Detector[OverfitEvent]):
    name = "overfitting"
    kinds = ("overfitting",)

    # The rise must last at least this many evaluations after the best: one bad epoch is noise.
    min_evals_after: int = 3
    # The rise must exceed this many noise units of the validation loss ...
    noise_k: float = 4.0
    # ... or this many standard errors of the end level's median against the best's (a long noisy
    # rise, 1.056 -> ~1.75 with points 0.15 apart, is certain from its level, not from one point);
    # the best level is then also taken as the lowest running median of `end_points`.
    level_k: float = 4.0
    # On a curve of at least this many `end_points` blocks, that standard error is also read from the
    # blocks' medians (`_block_se`) and the larger figure kept.  From 20 blocks a few level steps (epoch
    # boundaries, the rise itself) cannot move the median residual; on a dozen evaluations they are most
    # of it and read as noise (a 12-epoch validation loss rising 27 -> 36 in order would go untold).
    block_noise_min: int = 20
    # ... and give back this share of what the validation loss had learned (first minus best), or
    # `steady_rel` of its best level when that is less (see there); early stopping's "patience" wobble
    # stays well under it.
    min_span_share: float = 0.15
    # ... and this share of its best level: a validation loss that creeps up 2 % after a run that
    # learned almost everything in its first epoch is not worth a warning.
    min_rel_level: float = 0.05
    # When the validation loss never improved, the rise must reach this share of its best instead.
    min_rel_best: float = 0.10
    # A steady rise is judged on at least this many evaluations from the best on ...
    trend_min_points: int = 10
    # ... whose Mann-Kendall z must reach this (one-sided p ~ 3e-5 for independent points; a
    # validation loss that wanders after converging has z near 0, and the size thresholds above
    # still apply to the Theil-Sen rise).
    trend_z: float = 4.0
    # The training loss must end within this share of its own improvement from its best: a run whose
    # training loss jumped back up and holds there has broken, not overfitted.
    train_near_best: float = 0.25
    # Level at the end of a curve: median of this many last evaluations, so one point does not decide.
    end_points: int = 3
    # The training loss must not have risen by more than this share of its level (or two noise units)
    # since the validation best: falling or holding while validation climbs is overfitting.
    train_fall_rel: float = 0.01
    # Runs of at most this many evaluations (and at least `short_min_points`) are also judged by their
    # order: a rise at every one of at least `short_min_after` evaluations since the best, by `short_rel`
    # of the best level.  Two rises in a row by 10 % each way is what a fine-tune that memorises shows in
    # its last epochs; noise that size on a validation loss alternates instead.  12 is every run too
    # short for the steady test (`trend_min_points` + `end_points` = 13), so no length falls between the
    # two: at 8, a 10-epoch run that rose 0.57 -> 0.82 in order was judged by its level alone, against
    # a noise figure its own rise inflated.
    short_min_points: int = 4
    short_max_points: int = 12
    short_min_after: int = 2
    short_rel: float = 0.10
    # A rise with one step back still counts when its order is as sure as four rising evaluations in a
    # row (Mann-Kendall z 2.04): at least `short_order_points` evaluations from the best with z at least
    # this (a validation loss 12.9 -> 20.9 -> 36.5 -> 30.0 -> 40.3 -> 44.0 scores 2.44).
    short_order_points: int = 4
    short_trend_z: float = 2.0
    # A loss curve of at most `stayed_max_points` evaluations whose every evaluation after its best, at
    # least `stayed_min_after` of them, stayed `stayed_rel` (a third) or more above that best: noise large
    # enough to hide a rise in the order tests above (a Ludwig validation loss 0.064 -> 0.095, 0.094,
    # 0.128, 0.164, 0.125; an EEG classifier's 0.667 -> 1.07, 1.65, 1.13 ... 1.10) would bring some later
    # evaluation back near the best.  Healthy runs of the corpus and blind batches whose validation loss
    # never returned to its best stay within a quarter of it (1.10x-1.24x).
    stayed_max_points: int = 40
    stayed_min_after: int = 4
    stayed_rel: float = 1.0 / 3.0
    # ... while the training loss fell by at least this share of its level since the validation best (the
    # runs this test is for fell by half or more; a training loss that holds has nothing it memorised).
    stayed_train_fall: float = 0.3
    # ... and the evaluations after the best stay within this factor of each other (those runs: 1.7x-2.5x).
    stayed_max_spread: float = 4.0
    # A rise certain from its order (`_steady_rise`) or from its level against its noise (`_rise`,
    # `_short_rise`) must give back `min_span_share` of what the loss learned, or this share of its best
    # level if that is less: the span share of a curve that merely halved is 15 % of its level, while after
    # a fall of 2.5 decades (judged on the log scale) it asks for a factor of 2.4, and after a fivefold fall
    # for 60 %.  Once the rise is certain, a loss 15 % worse than its best is worth telling however far it
    # fell first: an untrained opening (20 for a best of 1.0) says nothing of what the held-out error is
    # worth (a regression's validation MSE 0.076 -> 0.088 over 230 epochs in order, Mann-Kendall z = 20,
    # beside a training loss still falling; a validation loss 21 -> 1.0 -> 1.4 over 40 epochs).
    steady_rel: float = 0.15
    # A training loss that never learned has nothing to overfit: judged as no_progress judges it.
    # A short curve (up to `stayed_max_points`) whose last evaluations gave back half or more of a clear
    # fall (three noise units or more) rose back most of the way to where it began: a validation loss
    # 0.91 -> 0.79 -> 0.85 at the end while its training loss kept falling has lost what it learned.
    giveback_share: float = 0.5
    giveback_span_k: float = 3.0
    # A held-out task metric that slid from its best is no memorising while its split's own loss, a score
    # of every prediction rather than of which side of a cut-off it fell, kept falling after that best: by
    # at least this share of its level there (held-out loss noise between evaluations is a few percent) ...
    metric_loss_fell_rel: float = 0.05
    # ... and in order (Mann-Kendall z at or under minus this: one-sided p ~ 1e-3; a plateau wanders at
    # z near 0).  A test top-5 accuracy at 97.3 in its second epoch and ~88 at the end, while top-1 rose
    # 51 -> 74 and the test loss fell 1.38 -> 1.24 in order, learned; the top-5 peak was a lucky epoch.
    metric_loss_fell_z: float = 3.0
    stall: NoProgress = dataclasses.field(default_factory=NoProgress)

    def _end_level(self, v: np.ndarray, after: int) -> float:
        k = max(1, min(self.end_points, v.shape[0] - after))
        return float(np.median(v[-k:]))

    def _block_se(self, v: np.ndarray, k_end: int) -> float:
        """The standard error of the best-against-end level difference read from the spread of medians of
        consecutive `end_points` blocks: what one level window really varies by, where neighbouring points
        share their noise (one validation batch per step: a lag-one correlation of 0.33 halves the
        point-to-point figure `residual_noise` reads)."""
        m = v.shape[0] // self.end_points * self.end_points
        blocks = np.median(v[:m].reshape(-1, self.end_points), axis=1)
        return U.residual_noise(blocks) * float(np.sqrt(1.0 + self.end_points / k_end))

    @staticmethod
    def _share(rel: float, best: float, log_scale: bool) -> float:
        """`rel` of the best level: on a log scale, the log-ratio that is."""
        return float(np.log1p(rel)) if log_scale else rel * abs(best)

    def _given(self, span: float, best: float, log_scale: bool) -> float:
        """What a rise certain from its noise or its order must give back of a fall of `span` to a best
        level of `best`: `min_span_share` of it, or `steady_rel` of the best level when that is less."""
        return min(self.min_span_share * span, self._share(self.steady_rel, best, log_scale))

    def _rise(self, v: np.ndarray, best_i: int, best: float, sigma: float, single: bool, log_scale: bool = False):
        """(best index, best level, threshold, end level) when the curve rose clearly after best_i."""
        n = v.shape[0]
        if n - 1 - best_i < self.min_evals_after:
            return None
        span = float(v[0] - best)
        # The end level is the median of the last third of what follows the best (at least
        # `end_points`): a long noisy rise is measured on its level, with that median's standard error.
        k_end = max(self.end_points, (n - 1 - best_i) // 3)
        se = MEDIAN_SE * sigma * np.sqrt(1.0 / self.end_points + 1.0 / k_end)
        if not single and v.shape[0] >= self.block_noise_min * self.end_points:
            se = max(se, self._block_se(v, k_end))
        noise_thr = min(self.noise_k * sigma, self.level_k * se) if single else self.level_k * se
        thr = max(
            noise_thr,
            self._given(span, best, log_scale) if span > 0 else self._share(self.min_rel_best, best, log_scale),
            self._share(self.min_rel_level, best, log_scale),
        )
        end = float(np.median(v[-k_end:]))
        if end - best < thr or thr <= 0:
            return None
        return best_i, best, thr, end

    def _short_rise(self, v: np.ndarray, log_scale: bool = False):
        """A short run (a fine-tune of a few epochs) has no noise to measure; what it has is order and
        size: from its best the loss rose at every evaluation, at least twice, and by a clear share of
        its level (1.20 -> 0.99 -> 1.18 -> 1.49 over five epochs)."""
        best_i = int(np.argmin(v))
        tail = v[best_i:]
        if tail.shape[0] - 1 < self.short_min_after:
            return None
        if not np.all(np.diff(tail) > 0) and (
            tail.shape[0] < self.short_order_points or U.trend_z(tail) < self.short_trend_z
        ):
            return None
        best, end = float(v[best_i]), float(v[-1])
        span = float(v[0] - best)
        thr = max(self._share(self.short_rel, best, log_scale), self._given(span, best, log_scale) if span > 0 else 0.0)
        if end - best < thr or thr <= 0:
            return None
        return best_i, best, thr, end

    def _stayed_above(self, v: np.ndarray, log_scale: bool = False):
        """A loss that never came back near its best: every evaluation after the lowest one, at least
        `stayed_min_after` of them, stands `stayed_rel` of the best above it."""
        best_i = int(np.argmin(v))
        best = float(v[best_i])
        post = v[best_i + 1 :]
        if post.shape[0] < self.stayed_min_after or (best <= 0.0 and not log_scale):
            return None
        thr = self._share(self.stayed_rel, best, log_scale)
        if float(np.min(post)) - best < thr:
            return None
        spread = float(np.max(post) - np.min(post)) if log_scale else float(np.max(post)) / float(np.min(post))
        if spread > (np.log(self.stayed_max_spread) if log_scale else self.stayed_max_spread):
            # Evaluations swinging tenfold after the best have no level to have risen to: the best is one
            # low swing of an unstable curve (oscillation's story), not a point training left behind.
            return None
        return best_i, best, thr, self._end_level(v, best_i)

    def _closed_above(self, v: np.ndarray, log_scale: bool = False):
        """Where `_stayed_above` cannot judge, with fewer than `stayed_min_after` evaluations after the
        best but more than `short_min_after`: the last `short_min_after` both stand `stayed_rel` of the best
        above it, the first after the best still near it (a RoBERTa fine-tune's eval loss 0.302, 0.306,
        then 0.588 and 0.555 while its training loss fell 0.73 -> 0.1).  With more evaluations after the
        best, one that came back near it says plateau noise, and `_stayed_above` asks all of them.  Like
        `_stayed_above`, it holds only beside a training loss that kept learning (`stayed_train_fall`)."""
        best_i = int(np.argmin(v))
        best = float(v[best_i])
        closing = v[-self.short_min_after :]
        after = v.shape[0] - 1 - best_i
        if not self.short_min_after < after < self.stayed_min_after or (best <= 0.0 and not log_scale):
            return None
        thr = self._share(self.stayed_rel, best, log_scale)
        if float(np.min(closing)) - best < thr:
            return None
        return best_i, best, thr, self._end_level(v, best_i)

    def _above_first(self, v: np.ndarray, log_scale: bool = False):
        """A curve too short for `NoProgress.rose_from_start` (fewer than its `min_points`) whose first
        evaluation is its best and every later one stands `rose_rel` of it above, the share that rule asks
        of a loss that never improved: worse from the first epoch, with no evaluation back near its best
        (a Keras text classifier's validation loss 1.117, 1.369, 1.333, 1.445, 1.459 over five epochs while
        its training loss fell 0.092 -> 0.037).  Like `_stayed_above`, it holds only beside a training loss
        that kept learning (`stayed_train_fall`)."""
        n = v.shape[0]
        if not self.short_min_points <= n < self.stall.min_points or (v[0] <= 0.0 and not log_scale):
            return None
        best = float(v[0])
        thr = self._share(self.stall.rose_rel, best, log_scale)
        if float(np.min(v[1:])) - best < thr:
            return None
        return 0, best, thr, self._end_level(v, 0)

    def _gave_back(self, v: np.ndarray, sigma: float):
        """A short curve that learned clearly (its fall from the first evaluation to its lowest is
        `giveback_span_k` noise units or more) and whose last evaluations gave back `giveback_share` of
        that fall or more: back most of the way to where it began."""
        n = v.shape[0]
        best_i = int(np.argmin(v))
        best = float(v[best_i])
        if n - 1 - best_i < self.stayed_min_after or best_i < 2 or sigma <= 0.0:
            return None
        span = float(v[0]) - best
        if span < self.giveback_span_k * sigma:
            return None
        end = float(np.median(v[-self.end_points :]))
        # Also a share of the level worth telling: a smooth curve's noise is tiny, and half of a tiny fall
        # (0.6121 -> 0.619) is no rise a person would act on.
        thr = max(self.giveback_share * span, self.min_rel_level * abs(best))
        if end - best < thr:
            return None
        return best_i, best, thr, end

    def _steady_rise(self, v: np.ndarray, log_scale: bool = False):
        """A long, noisy rise certain from its consistency: after the lowest running median, later
        values exceed earlier ones far beyond chance (Mann-Kendall), and the robust (Theil-Sen) rise
        over that stretch clears the same size thresholds as a level rise.  (1.056 -> ~1.75 over 45
        evaluations with points 0.2 apart and a spike to 4.5: each level is uncertain, the order is not.)"""
        n = v.shape[0]
        if n < self.trend_min_points + self.end_points:
            return None
        level = U.running_median(v, self.end_points)
        li = int(np.argmin(level))
        post = v[li:]
        if post.shape[0] < self.trend_min_points or U.trend_z(post) < self.trend_z:
            return None
        best = float(level[li])
        rise = U.sen_slope(post) * (post.shape[0] - 1)
        span = float(v[0] - best)
        thr = max(
            self._given(span, best, log_scale) if span > 0 else self._share(self.min_rel_best, best, log_scale),
            self._share(self.min_rel_level, best, log_scale),
        )
        end = float(np.median(v[-max(self.end_points, post.shape[0] // 3) :]))
        if rise < thr or end - best < thr:
            return None
        return li, best, thr, end

    def _rose(self, view: U.View, sigma: float, log_scale: bool, stands, short: bool = True):
        """(got, level_best, steady): the first of the rise tests that holds for `view` (a loss, or a
        metric turned over), whatever the training side did.  Without `short`, only the tests that make
        the rise certain from the curve's own level and noise, or its order over many evaluations.  A
        level rise that does not stand (`stands`: `_rise_stands` for the curve) gives way to the order
        test, which can: a creep at a loss's floor, small against its untrained opening, in order.  (The
        caller still judges whatever this returns with `stands`, as it does the rise tests after it.)"""
        v, n = view.values, len(view)
        got = None
        level_best = False  # `got`'s best is the middle of a running-median window
        if short and self.min_evals_after + 2 <= n < 2 * self.end_points + self.min_evals_after:
            # The single lowest point as the best only where the lowest running median below cannot be
            # taken: on a longer noisy curve one low point is the extreme of many (on the log scale a
            # 0.012 among values near 0.1 sits two noise units under them) and fakes a rise.
            got = self._rise(v, int(np.argmin(v)), float(np.min(v)), sigma, single=True, log_scale=log_scale)
        if got is None and short and n <= self.short_max_points:
            got = self._short_rise(v, log_scale)
        if got is None and n >= 2 * self.end_points + self.min_evals_after:
            # The lowest running median is the best level too: the single lowest point of a noisy
            # curve is biased low, and a rise measured from it needs the spread of one point.
            level = U.running_median(v, self.end_points)
            li = int(np.argmin(level))
            got = self._rise(v, li, float(level[li]), sigma, single=False, log_scale=log_scale)
            level_best = got is not None
        if got is not None and not stands(got, steady=False):
            got, level_best = None, False
        steady = False
        if got is None:
            got = self._steady_rise(view.unsmoothed, log_scale)
            steady = got is not None
            level_best = steady
        return got, level_best, steady

    def _rise_stands(self, ref: SeriesRef, view: U.View, got, steady: bool, sign: float, log_scale: bool) -> bool:
        """What every rise must also be, judged on the held-out curve alone."""
        best_i, best, thr, end = got
        v = view.values
        linear = np.exp(view.unsmoothed) if log_scale else view.unsmoothed
        if sign > 0 and U.blew_up(linear, best_i + 1):
            return False  # a validation loss that blew up a thousandfold is loss_divergence's story
        if log_scale and ref.info.quantity not in LOSS_LIKE and not steady:
            first = float(np.exp(v[0]))
            if float(np.exp(end)) - float(np.exp(best)) < LOG_FLOOR_SHARE * first:
                # Five times a loss of 2e-5 is still a perfect fit: on the log scale a rise must also
                # be worth something against the level the loss learned from.  (A rise certain from its
                # order is exempt: a fit that worsens at every evaluation for ten or more is no jump of
                # a loss at its floor, 2e-5 -> 4.8e-4 -> 1.2e-4, and the untrained first level, 27 for a
                # regression on raw targets, says nothing of what its held-out error is worth.)
                return False
        post = v[best_i + 1 :]
        return not np.median(post[post.shape[0] // 2 :]) < best + thr / 2

    def _unpaired(self, exp: Experiment, ref: SeriesRef) -> List[OverfitEvent]:
        """A validation objective in a run that logs no training loss at all (an `eval/loss` beside
        nothing but its learning rate, a Keras validation folder copied without its training one): a rise
        from its best clear by the same tests is the sign early stopping acts on, told as overfitting, its
        usual cause, with the training side named as what is missing to confirm it.  A climb far enough
        to be a divergence (`LossDivergence` reads the same curve) is told as that (`purpose.gate`)."""
        if ref.info.role != "loss" or ref.info.purpose != "objective" or self._training_losses(exp):
            return []  # a training loss the pairing could not place: no claim without it
        if U.reinforcement_learning(exp):
            return []  # an agent's loss fits a moving target: no held-out data for it to overfit
        view, log_scale = _logged(U.view_of(ref), ref)
        if len(view) < self.short_min_points:
            return []
        sigma = U.residual_noise(view.unsmoothed)
        # A short curve's few evaluations rising in order (`_short_rise`, the lowest single point) are
        # overfitting when a training loss falls beside them; alone they are as likely a noisy evaluation
        # set (an Estimator's eval loss 0.031, 0.28, 0.027, 0.12, 0.16): only the level and order tests.
        stands = functools.partial(self._rise_stands, ref, view, sign=1.0, log_scale=log_scale)
        got, level_best, steady = self._rose(view, sigma, log_scale, stands, short=False)
        if got is None or not stands(got, steady=steady):
            return []
        best_i, _, thr, end = got
        nan = float("nan")
        return [
            OverfitEvent(
                ref, view, None, best_i, end, thr, sigma, nan, nan, False, log_scale=log_scale, best_windowed=level_best
            )
        ]

    def _training_side(self, exp: Experiment, ref: SeriesRef) -> Optional[SeriesRef]:
        """The training series `ref` is held against: its partner on the training split (for a test curve in
        a run that logs no validation split, too: `Experiment.partner`)."""
        train = exp.partner(ref)
        if train is None and ref.info.role != "loss":
            # A validation ROUGE or F1 with no training twin is held against the training objective.
            losses = [s for s in exp.find(role="loss", split="train") if s.info.granularity != "batch"]
            losses.sort(key=lambda s: (s.info.purpose != "objective", s.info.quantity != "loss", s.tag))
            train = losses[0] if losses else None
        if train is None and ref.info.role == "loss" and ref.info.purpose == "objective":
            # A validation objective named for its split beside a training objective named for what it
            # adds up (`loss/validation` beside `loss/total` of a physics-informed net): the run's one
            # training objective is its training side.  Only when there is exactly one such curve.
            own = [
                s
                for s in exp.scalars
                if s.info.role == "loss"
                and s.info.purpose == "objective"
                and s.info.split in ("train", None)
                and s.info.granularity != "batch"
                and len(s.series) >= 2
            ]
            train = own[0] if len(own) == 1 else None
        return train

    @staticmethod
    def _training_losses(exp: Experiment) -> List[SeriesRef]:
        """Every loss of a training side (named for it or for no split) with a curve to read."""
        return [
            s
            for s in exp.scalars
            if s.info.role == "loss" and s.info.split not in ("validation", "test") and len(s.series) >= 2
        ]

    def _judged(self, exp: Experiment, ref: SeriesRef) -> bool:
        if ref.info.split not in ("validation", "test"):
            return False
        if U.judged(ref, ("loss",)) or (U.judged(ref, ("metric_down",)) and ref.info.quantity in LOSS_LIKE):
            return True
        # A task metric (accuracy, F1, ROUGE) that gives back its best while training keeps improving
        # is the same memorising, seen where the user looks (`measure` keeps it only when the split's
        # loss does not already overfit).
        if not (U.judged(ref, ("metric_up", "metric_down")) and ref.info.purpose == "task"):
            return False
        if ref.info.quantity in TRADE_OFF:
            return False
        if ref.info.role == "metric_down" and self._split_losses(exp, ref):
            # An error measure (MAE, RMSE, MAPE) measures what the split's loss measures in another unit:
            # beside a loss that holds, its rise is its own scale's noise (a MAPE of 4e7 % on zero targets).
            return False
        return True

    @staticmethod
    def _split_losses(exp: Experiment, ref: SeriesRef) -> List[SeriesRef]:
        return [s for s in exp.find(role="loss", split=ref.info.split) if s.info.granularity == ref.info.granularity]

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[OverfitEvent]:
        if not self._judged(exp, ref):
            return []
        events = self._measure(exp, ref)
        if events and ref.info.role != "loss" and ref.info.quantity not in LOSS_LIKE:
            # A task metric is told only when its split's own loss does not already tell it (a loss
            # that overfits says it first, with more points of evidence); measured only then.
            losses = self._split_losses(exp, ref)
            if any(not e.gave_back for s in losses for e in self._measure(exp, s)):
                return []
            events = [e for e in events if not any(self._fell_after(s, int(e.view.steps[e.best])) for s in losses)]
        return events

    def _fell_after(self, loss: SeriesRef, step: int) -> bool:
        """`loss` fell in order after `step`, to `metric_loss_fell_rel` under its level there."""
        view = U.view_of(loss, smooth=False)
        i = int(np.searchsorted(view.steps, step))
        v = view.values[max(0, i - 1) :]
        if v.shape[0] < self.trend_min_points:
            return False
        at, end = float(np.median(v[:3])), self._end_level(v, 0)
        return at > 0 and at - end >= self.metric_loss_fell_rel * at and U.trend_z(v) <= -self.metric_loss_fell_z

    def _measure(self, exp: Experiment, ref: SeriesRef) -> List[OverfitEvent]:
        if U.one_evaluation_pass(exp, ref):
            return []
        train = self._training_side(exp, ref)
        if train is None or len(train.series) < 2:
            return self._unpaired(exp, ref)
        t_sign = -1.0 if train.info.role == "metric_up" else 1.0
        if t_sign > 0 and self.stall.stalled(exp, train):
            return []
        # Judged as a loss: a higher-is-better metric is turned over, so its best is its lowest point.
        sign = -1.0 if ref.info.role == "metric_up" else 1.0
        view = _signed(U.view_of(ref), sign)
        tview = _signed(U.view_of(train), t_sign)
        # A perplexity is judged as the cross-entropy it exponentiates: an untrained model's 1961 would
        # otherwise dwarf a rise from 45 to 160 that gives back a third of what the loss had learned.
        # (The training side keeps its units: only its direction since the validation best is read.)
        logs = (_logged(view, ref), _logged(tview, train, decades=False))
        view, tview = logs[0][0], logs[1][0]
        log_scale = logs[0][1]
        v = view.values
        n = len(view)
        if n < self.short_min_points or len(tview) < 2:
            return []
        sigma = U.residual_noise(view.unsmoothed)
        stands = functools.partial(self._rise_stands, ref, view, sign=sign, log_scale=log_scale)
        got, level_best, steady = self._rose(view, sigma, log_scale, stands)
        stayed = False
        if got is None and sign > 0 and n <= self.stayed_max_points:
            got = self._stayed_above(v, log_scale)
            stayed = got is not None
        if got is None and sign > 0:
            got = self._closed_above(v, log_scale)
            stayed = got is not None
        if got is None and sign > 0:
            got = self._above_first(v, log_scale)
            stayed = got is not None
        gave_back = False
        if got is None and sign > 0 and n <= self.stayed_max_points:
            got = self._gave_back(v, sigma)
            gave_back = got is not None
        if got is None and sign > 0:
            return self._from_start(exp, ref, view, sigma, log_scale)
        if got is None:
            return []
        best_i, best, thr, end = got
        if sign < 0 and best >= v[0]:
            return []  # a metric best at its first evaluation (precision 1.0 on a few positives) learned nothing to give back
        if not stands(got, steady=steady):
            return []
        # The training loss on the validation's axis: its level over each validation interval (a
        # per-batch loss every 50 steps against a validation every 1000, or per epoch), so the two
        # are compared where they were measured.
        t_agg = U.aggregate(tview, U.on_axis_of(view, tview))
        t_best = float(t_agg[best_i])
        t_end = self._end_level(t_agg, 0)
        t_sigma = U.residual_noise(t_agg)
        if t_end - t_best > max(2 * t_sigma, self.train_fall_rel * abs(t_best)):
            return []  # both rising: the run diverges, which loss_divergence tells
        t_first, t_min = float(t_agg[0]), float(np.min(t_agg))
        still_learning = int(np.argmin(t_agg)) == t_agg.shape[0] - 1
        if not still_learning and t_end > t_min + self.train_near_best * max(t_first - t_min, 0.0) + 2 * t_sigma:
            # Training itself broke (a collapse holds its loss high): not overfitting.  A training side
            # at its lowest at the last evaluation has not broken, however far its end level (a median
            # over the last evaluations) lags a steep fall.
            return []
        if t_sign < 0 and t_first - t_min <= 2 * t_sigma:
            return []  # a training metric that never improved has nothing to overfit
        fell = t_best - t_end > max(t_sigma, self.train_fall_rel * abs(t_best))
        if stayed and not t_best - t_end >= self.stayed_train_fall * abs(t_best):
            # Held above its best proves the validation side got worse, not that training memorised: only a
            # training loss that kept learning makes it overfitting (a broken run's training loss at 530
            # "holds" while its validation loss wanders 332 -> 640).
            return []
        if ref.info.role == "loss" and train.info.quantity != ref.info.quantity and not fell:
            # Held against the run's one training objective under another name (`_training_side`): a
            # pairing the names do not vouch for needs the training side to have learned over the rise.
            return []
        if sign < 0 and not fell:
            # A metric is not a loss that may creep up while the training loss holds (confidence
            # growing on the errors): a held-out metric that slips while training stands still is
            # drift or noise, and memorising needs training to keep getting better.
            return []
        return [
            OverfitEvent(
                ref,
                view,
                train,
                best_i,
                end,
                thr,
                sigma,
                t_best,
                t_end,
                fell,
                sign,
                t_sign,
                logs[0][1],
                logs[1][1],
                best_windowed=level_best,
                gave_back=gave_back,
            )
        ]

    def _from_start(
        self, exp: Experiment, ref: SeriesRef, view: U.View, sigma: float, log_scale: bool
    ) -> List[OverfitEvent]:
        """A validation loss that never improved on its opening and rose clearly while its training loss
        learned (`NoProgress.rose_from_start`): worse from the first evaluation, a noisy rise the level
        tests above miss (an ASL classifier's 3.25 = ln 26 held four epochs, then 4.6-6.8 while its
        training loss fell 2.98 -> 0.34).  Its best is the first evaluation."""
        e = self.stall.rose_from_start(exp, ref)
        if e is None:
            return []
        v = view.values
        if U.blew_up(np.exp(view.unsmoothed) if log_scale else view.unsmoothed, 1):
            return []
        end = float(np.median(v[-max(self.end_points, v.shape[0] // 3) :]))
        t_first, t_last = e.train_levels
        thr = self._share(self.stall.rose_rel, float(v[0]), log_scale)
        return [
            OverfitEvent(ref, view, e.learning_train, 0, end, thr, sigma, t_first, t_last, True, log_scale=log_scale)
        ]

    def describe(self, e: OverfitEvent) -> Finding:
        if e.train is None:
            return self._describe_unpaired(e)
        view, n = e.view, len(e.view)
        b = self._best_shown(e)
        best, end = _shown(e.sign * float(view.values[b]), e.log_scale), _shown(e.sign * e.end_level, e.log_scale)
        t_best = _shown(e.train_sign * e.train_at_best, e.train_log_scale)
        t_end = _shown(e.train_sign * e.train_end, e.train_log_scale)
        name, train = short(e.ref), short(e.train)
        best_step = int(view.end_steps[b])
        metric = e.sign < 0 or e.ref.info.role == "metric_down" and e.ref.info.quantity not in LOSS_LIKE
        t_moved = ("rose" if e.train_sign < 0 else "fell") if e.train_fell else "held at"
        title = "%s %s %s → %s after step %d while %s %s %s → %s" % (
            name,
            "fell" if e.sign < 0 else "rose",
            view.shown(best) if metric else fmt(best),
            view.shown(end) if metric else fmt(end),
            best_step,
            train,
            t_moved,
            fmt(t_best),
            fmt(t_end),
        )
        kept = ("kept rising" if e.train_sign < 0 else "kept falling") if e.train_fell else "held"
        if metric:
            expl = (
                "%s was best (%s) at step %d and has given part of it back since, to %s, while %s %s "
                "(%s → %s): the model keeps fitting the training data better and the held-out data worse, "
                "which is memorising. The best model of this run is the one from step %d: restore it, or stop "
                "there (early stopping on this metric, keeping the best checkpoint). To push the best point "
                "later: more data or augmentation, dropout or weight decay, a smaller model, fewer epochs or "
                "a lower learning rate late in training."
                % (
                    capital(name),
                    view.shown(best),
                    best_step,
                    view.shown(end),
                    train,
                    kept,
                    fmt(t_best),
                    fmt(t_end),
                    best_step,
                )
            )
        else:
            expl = (
                "%s was lowest (%s) at step %d and has risen since, to %s, while %s %s (%s → %s): the "
                "model is memorising the training data instead of learning what generalises. The best model "
                "of this run is the one from step %d: restore it, or stop there (EarlyStopping on the "
                "validation loss with restore_best_weights=True). To push the best point later: more data or "
                "augmentation, dropout or weight decay, a smaller model, or a lower learning rate late in "
                "training. If the validation accuracy is still flat or rising, the model is becoming "
                "over-confident on the examples it gets wrong rather than getting more of them wrong; this "
                "is still the point to stop."
                % (capital(name), fmt(best), best_step, fmt(end), train, kept, fmt(t_best), fmt(t_end), best_step)
            )
        evidence = dict(self._rise_evidence(e, best_step, best, end), train_at_best=t_best, train_end=t_end)
        return make_finding(
            e.ref,
            "overfitting",
            "warning",
            view,
            min(b + 1, n - 1),
            n - 1,
            title,
            expl,
            evidence,
            related=[e.train],
        )

    def _best_shown(self, e: OverfitEvent) -> int:
        b = e.best
        if e.best_windowed:
            # Told from the lowest point of the window whose level the rise was measured from: a point the
            # chart shows, at or under that level (the middle one can be a spike, 0.345 in a level of 0.28).
            n = len(e.view)
            lo, hi = max(0, b - self.end_points // 2), min(n, b + self.end_points // 2 + 1)
            b = lo + int(np.argmin(e.view.values[lo:hi]))
        return b

    def _describe_unpaired(self, e: OverfitEvent) -> Finding:
        view, n = e.view, len(e.view)
        b = self._best_shown(e)
        best, end = _shown(float(view.values[b]), e.log_scale), _shown(e.end_level, e.log_scale)
        name = short(e.ref)
        best_step = int(view.end_steps[b])
        title = "%s rose %s → %s after step %d (no training loss logged to compare)" % (
            name,
            fmt(best),
            fmt(end),
            best_step,
        )
        expl = (
            "%s was lowest (%s) at step %d and has risen since, to %s. A held-out loss that turns upward "
            "while training goes on is what early stopping watches for; its usual cause is the model "
            "memorising the training data. This run logs no training loss, so the other reading cannot be "
            "ruled out here: if the training loss rose too, training itself is going wrong (a learning rate "
            "too high late in the run), not overfitting. Either way the best model of this run is the one "
            "from step %d: restore it, or stop there (EarlyStopping on the validation loss with "
            "restore_best_weights=True). Log the training loss beside it to tell the two apart."
            % (capital(name), fmt(best), best_step, fmt(end), best_step)
        )
        evidence = self._rise_evidence(e, best_step, best, end)
        return make_finding(e.ref, "overfitting", "warning", view, min(b + 1, n - 1), n - 1, title, expl, evidence)

    @staticmethod
    def _rise_evidence(e: OverfitEvent, best_step: int, best: float, end: float) -> dict:
        return {
            "best_step": best_step,
            "best_value": best,
            "end_value": end,
            "rise": end - best,
            "threshold": e.threshold,
            "noise": e.sigma,
            "last_healthy_step": best_step,
        }
