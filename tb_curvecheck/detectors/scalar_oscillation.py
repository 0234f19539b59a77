"""`oscillation`: a curve alternates up and down on consecutive evaluations
with an amplitude well above its noise, or (how=erratic) a validation metric
jumps down and back again and again while its training curve moves smoothly."""

from __future__ import annotations

import dataclasses
from typing import List, Optional, Tuple

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import stats as U
from .base import Detector
from .wording import capital, make_finding, short


@dataclasses.dataclass(frozen=True, eq=False)
class OscillationEvent:
    ref: SeriesRef
    view: U.View
    first: int  # first point of the alternating stretch
    last: int
    swing: float  # median swing on the logged scale (fractions for percent tags)
    sigma: float  # lag-2 noise of the whole curve (alternating only)
    companions: List[SeriesRef]  # loss/metric that swing with it
    partner: Optional[SeriesRef]  # the other split
    partner_calm: bool  # the other split does not swing
    how: str = "alternating"  # or "erratic": repeated falls that come back, not a period-2 pattern
    drops: int = 0  # erratic: falls that came back
    partner_swing: float = 0.0  # erratic: the training curve's median step-to-step change
    fall: float = 0.0  # erratic: the least fall counted (the fixed floor, or the sampling floor above it)


@dataclasses.dataclass(frozen=True)
class ErraticTest:
    """Validation that falls and comes back again and again while training moves smoothly.

    Training accuracy is averaged over an epoch while the weights move; validation accuracy is one
    snapshot of the weights.  Snapshots far apart from epoch to epoch mean the weights jump too far
    between evaluations (a learning rate too high for this stage, BatchNorm statistics lagging the
    weights) or a validation set too small to measure anything."""

    # At least this many evaluations: fewer give no pattern to speak of.
    min_points: int = 10
    # Evaluations before this share of the run are left out: the first epochs move fast for good reasons.
    warmup_share: float = 0.2
    # A fall counts from this much on a 0-1 metric: a point or two of accuracy is every small
    # validation set's wobble, and the healthy runs' own one-off dips sit at 0.10-0.13.
    drop: float = 0.15
    # ... and only when the curve regains all but this share of the fall within `back_within`
    # evaluations, as a transient dip does (a fall that stays is metric_collapse's).
    recovered_share_left: float = 0.5
    back_within: int = 3
    # One fall and return is transient_dip's (info); a pattern needs it twice.
    min_drops: int = 2
    # The validation curve's median step-to-step change must be this many times the training curve's
    # (the healthy runs of small validation sets in the corpus, 83 examples an evaluation, swing at
    # most 3.4 times their training curve; erratic ones 5-11 times) ...
    swing_ratio: float = 5.0
    # ... and at least this on a 0-1 metric, so that a nearly still curve is never "erratic" ...
    min_swing: float = 0.03
    # ... unless every fall counted is this many times its median step: a calm curve that collapses
    # by a quarter and comes back, again and again (an OCT classifier's validation accuracy ~0.97 with
    # steps of 0.02, down to its majority share 0.72 for two epochs at a time, three times), is the
    # weights or the outputs jumping, however still it is in between.
    still_fall_ratio: float = 10.0
    # On a validation set whose size the values give away (k/N), a fall must also exceed this many
    # standard errors of the difference of two accuracies on N examples: on 83 examples at 0.6 that
    # is 0.23, and the falls of a healthy run there are sampling, not weights.
    sampling_k: float = 3.0
    # Without a training curve to compare with, only falls of half the metric's scale or more count, and
    # this many of them: an evaluation that goes from right to wrong on half its examples and back, again
    # and again, is the weights (or the outputs) flipping, whatever the training side does.
    alone_drop: float = 0.5
    alone_min_drops: int = 3

    def __call__(
        self, values: np.ndarray, train: Optional[np.ndarray]
    ) -> Optional[Tuple[int, int, int, float, float, float]]:
        """(first, last, recovered falls, median swing, training median swing, least fall counted) or None.
        `train` None: no training curve to compare with (`alone_drop`, `alone_min_drops`)."""
        v = values
        n = v.shape[0]
        alone = train is None
        if n < self.min_points or not U.is_fraction(v):
            return None
        if not alone and train.shape[0] < self.min_points // 2:
            return None
        a = int(np.ceil(n * self.warmup_share))
        seg = v[a:]
        swing = float(np.median(np.abs(np.diff(seg))))
        train_swing = 0.0
        if not alone:
            t = train[int(np.ceil(train.shape[0] * self.warmup_share)) :]
            train_swing = float(np.median(np.abs(np.diff(t)))) if t.shape[0] >= 3 else float("inf")
        if swing < self.swing_ratio * train_swing:
            return None
        size = U.evaluation_size(v)
        drop = self.alone_drop if alone else self.drop
        if size is not None:
            drop = max(drop, self.sampling_k * U.accuracy_difference_se(seg, size))
        falls = []
        for i in range(a + 1, n):
            before = v[i - 1]
            if v[i] <= before - drop:
                after = v[i + 1 : i + 1 + self.back_within]
                if after.size and float(after.max()) >= before - self.recovered_share_left * (before - v[i]):
                    falls.append(i)
        if len(falls) < (self.alone_min_drops if alone else self.min_drops):
            return None
        if swing < self.min_swing and not all(v[i - 1] - v[i] >= self.still_fall_ratio * swing for i in falls):
            return None
        return falls[0] - 1, min(n - 1, falls[-1] + 1), len(falls), swing, train_swing, drop


@dataclasses.dataclass(frozen=True)
class Oscillation(Detector[OscillationEvent]):
    name = "oscillation"
    kinds = ("oscillation",)

    alternation: U.AlternationTest = dataclasses.field(default_factory=U.AlternationTest)
    erratic: ErraticTest = dataclasses.field(default_factory=ErraticTest)
    # An alternating stretch the run outgrew is no finding: at least this many evaluations after it
    # (and no fewer than the stretch had), whose median step is under `settled_share` of the stretch's
    # swing, with the curve ending beyond the stretch's highs (or lows).  That is one unstable stage of
    # training (a detector's mAP swinging 0.74-0.97 mid-climb, then 0.96-0.99 for 270 epochs), while an
    # evaluation that alternates does so to the end.
    settled_min_after: int = 10
    settled_share: float = 1.0 / 3.0

    def _alternates(self, ref: SeriesRef, magnitude: bool = True) -> bool:
        view = U.view_of(ref, smooth=False)
        return not view.condensed and self.alternation.on_log_if_loss(ref, view.values, magnitude) is not None

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[OscillationEvent]:
        if not U.judged(ref, ("loss", "metric_up", "metric_down")):
            return []
        # Per-step training values are minibatch samples; alternation there is noise, not evaluations.
        # So is a per-step series of no named split beside its own per-epoch aggregate (Lightning's
        # `data_loss_step` beside `data_loss_epoch`: two kinds of batch taking turns).
        if ref.info.granularity == "step" and ref.info.split == "train":
            return []
        if (
            ref.info.granularity == "step"
            and ref.info.split is None
            and any(s.info.split is None for s in exp.find(ref.info.quantity, granularity="epoch"))
        ):
            return []
        view = U.view_of(ref, smooth=False)
        if view.condensed:
            return []
        v = view.values
        # An RL loss is fitted to targets that move with the policy: a value loss jumping tenfold from
        # one update to the next is how it tracks the returns, not an unstable run.
        magnitude = not U.reinforcement_learning(exp)
        got = self.alternation.on_log_if_loss(ref, v, magnitude)
        if got is None:
            return self._erratic(exp, ref, view)
        a, b, _, _ = got
        swing = float(np.median(np.abs(np.diff(v[a : b + 1]))))
        if self._outgrown(ref, v, a, b, swing):
            return []
        if self._within_sampling(v, a, b, swing):
            return []
        sigma = U.noise(v, lag=2)
        # Which companions swing with it (the loss of a swinging accuracy, the other split).
        companions = []
        for other in [exp.loss_for(ref)] + exp.metrics_for(ref)[:1] if ref.info.role == "loss" else [exp.loss_for(ref)]:
            if other is None or other is ref:
                continue
            if self._alternates(other, magnitude):
                companions.append(other)
        partner = exp.partner(ref)
        partner_calm = (
            partner is not None
            and not U.view_of(partner, smooth=False).condensed
            and not self._alternates(partner, magnitude)
        )
        return [OscillationEvent(ref, view, a, b, swing, sigma, companions, partner, partner_calm)]

    def _within_sampling(self, v: np.ndarray, a: int, b: int, swing: float) -> bool:
        """A 0-1 metric on a validation set whose size the values give away (k/N), swinging by less than
        `noise_k` standard errors of the difference of two accuracies on N examples (the bar `ErraticTest`
        sets its falls): models a few updates apart get a few different examples right, and on 40 images
        at 0.85 that moves the accuracy 0.07 either way, alternating as often as not."""
        if not U.is_fraction(v):
            return False
        size = U.evaluation_size(v)
        if size is None:
            return False
        return swing < self.alternation.noise_k * U.accuracy_difference_se(v[a : b + 1], size)

    def _outgrown(self, ref: SeriesRef, v: np.ndarray, a: int, b: int, swing: float) -> bool:
        post = v[b + 1 :]
        if post.shape[0] < max(self.settled_min_after, b - a + 1):
            return False
        if float(np.median(np.abs(np.diff(post)))) > self.settled_share * swing:
            return False
        end = float(np.median(v[-3:]))
        seg = np.sort(v[a : b + 1])
        half = seg.shape[0] // 2
        # Beyond the stretch's extremes in the direction of learning: above the median of a metric's highs,
        # under that of a loss's lows (the stretch's last point may already be the first settled one).  A
        # curve that settled inside its old band may still be the same evaluation, only calmer.
        if ref.info.role == "metric_up":
            return end >= float(np.median(seg[half:]))
        return end <= float(np.median(seg[: seg.shape[0] - half]))

    def _erratic(self, exp: Experiment, ref: SeriesRef, view: U.View) -> List[OscillationEvent]:
        if ref.info.role != "metric_up" or ref.info.split not in ("validation", "test"):
            return []
        partner = exp.partner(ref)
        if partner is not None and U.view_of(partner, smooth=False).condensed:
            return []
        train = U.view_of(partner, smooth=False).values if partner is not None else None
        got = self.erratic(view.values, train)
        if got is None:
            return []
        a, b, drops, swing, train_swing, fall = got
        # The training curve's swing is the yardstick here, not the curve's own lag-2 noise (unused).
        return [
            OscillationEvent(
                ref, view, a, b, swing, 0.0, [], partner, partner is not None, "erratic", drops, train_swing, fall
            )
        ]

    def _describe_erratic(self, e: OscillationEvent) -> Finding:
        if e.partner is None:
            return self._describe_flipping(e)
        ref, view = e.ref, e.view
        a, b = e.first, e.last
        name, train = short(ref), short(e.partner)
        title = "%s falls and comes back %d times (steps %d-%d) while %s moves smoothly" % (
            name,
            e.drops,
            int(view.steps[a]),
            int(view.end_steps[b]),
            train,
        )
        text = (
            "From step %d to step %d %s fell by %s or more and came back %d times; from one evaluation to "
            "the next it moves by %s (median), %s by %s: %.0f times as much. "
            "%s is averaged over each epoch while the weights move, so it stays smooth; %s is a snapshot "
            "of the weights at one moment. Snapshots this far apart mean the weights jump too far between "
            "evaluations: the learning rate is too high for this stage of training (a lower rate or a "
            "decay schedule usually settles it), or BatchNorm's running statistics lag the weights (small "
            "batches, high momentum). A validation set of a few dozen examples makes every snapshot noisy "
            "as well: check how many examples each evaluation uses, and judge the model by a smoothed "
            "curve or a larger set."
            % (
                int(view.steps[a]),
                int(view.end_steps[b]),
                name,
                view.shown(e.fall),
                e.drops,
                view.shown(e.swing),
                train,
                view.shown(e.partner_swing),
                e.swing / max(e.partner_swing, 1e-12),
                capital(train),
                name,
            )
        )
        return make_finding(
            ref, "oscillation", "warning", view, a, b, title, text, _erratic_evidence(e), related=[e.partner]
        )

    def _describe_flipping(self, e: OscillationEvent) -> Finding:
        """An erratic evaluation with no training curve logged beside it: told from its own falls."""
        ref, view = e.ref, e.view
        a, b = e.first, e.last
        name = short(ref)
        title = "%s falls by %s or more and comes back %d times (steps %d-%d)" % (
            name,
            view.shown(e.fall),
            e.drops,
            int(view.steps[a]),
            int(view.end_steps[b]),
        )
        text = (
            "From step %d to step %d %s fell by %s or more (half its scale) and came back within a few "
            "evaluations %d times: the model's predictions flip on most of the evaluation set from one "
            "evaluation to the next. A model that learns does not forget and relearn that much between "
            "evaluations; outputs that swing between two extremes (every input to one class, then to the "
            "other) are the usual cause: a learning rate far too high, unscaled inputs that saturate the "
            "output layer, or a loss on a huge scale. Check the loss at those steps and the inputs' scale, "
            "and lower the learning rate. (No training curve of this metric is logged to compare with.)"
            % (int(view.steps[a]), int(view.end_steps[b]), name, view.shown(e.fall), e.drops)
        )
        return make_finding(ref, "oscillation", "warning", view, a, b, title, text, _erratic_evidence(e))

    def describe(self, e: OscillationEvent) -> Finding:
        if e.how == "erratic":
            return self._describe_erratic(e)
        ref, view, v = e.ref, e.view, e.view.values
        a, b = e.first, e.last
        name = short(ref)
        seg = v[a : b + 1]
        highs, lows = seg[::2], seg[1::2]
        if highs.mean() < lows.mean():
            highs, lows = lows, highs
        evals = b - a + 1
        title = "%s alternates up and down every evaluation for %d evaluations (steps %d-%d), swing %s" % (
            name,
            evals,
            int(view.steps[a]),
            int(view.end_steps[b]),
            view.shown(e.swing),
        )
        parts = [
            "%s goes up and down on consecutive evaluations from step %d to step %d: highs around %s, "
            "lows around %s, a median swing of %s against a noise of %s. "
            % (
                capital(name),
                int(view.steps[a]),
                int(view.end_steps[b]),
                view.shown(float(np.median(highs))),
                view.shown(float(np.median(lows))),
                view.shown(e.swing),
                view.shown(e.sigma),
            )
        ]
        if e.companions:
            parts.append("%s swings in step with it. " % " and ".join(short(c) for c in e.companions).capitalize())
        low_mid = float(np.median(lows))
        ratio = float(np.median(highs)) / low_mid if low_mid > 0 else 0.0
        if ratio >= self.alternation.magnitude_factor:
            parts.append(
                "Highs %.0f times the lows are more than evaluating a different slice of the data usually "
                "explains: the weights themselves jump between evaluations, a learning rate too high for this "
                "stage or an unstable objective (lower the rate, clip gradients, and watch whether the swing "
                "dies down as it does). " % ratio
            )
        if ref.info.split in ("validation", "test"):
            if e.partner_calm:
                parts.append(
                    "%s does not swing, so the model is fine and the evaluation is not. "
                    % short(e.partner).capitalize()
                )
            parts.append(
                "A period-2 pattern on the validation curves is the signature of evaluating a different part "
                "of the validation set each time: validation_steps that do not cover the whole set (each epoch "
                "continues where the last one stopped), a generator that is not reset, or a class-ordered set "
                "read with shuffle=False so that alternate epochs see mostly one class. Check that "
                "validation_steps × batch size equals the number of validation samples (use "
                "ceil(n / batch_size)), or pass the generator without validation_steps."
            )
        else:
            parts.append(
                "Alternation on the training curve means the updates overshoot back and forth: the learning "
                "rate is too high for the curvature (lower it, or add momentum damping), or the data order "
                "alternates between two kinds of batches every epoch."
            )
        evidence = {
            "evaluations": evals,
            "median_swing": e.swing * view.raw_scale,
            "noise": e.sigma * view.raw_scale,
            "high_median": float(np.median(highs)) * view.raw_scale,
            "low_median": float(np.median(lows)) * view.raw_scale,
            "values": seg[:40] * view.raw_scale,
            "partner_calm": e.partner_calm,
        }
        return make_finding(
            ref,
            "oscillation",
            "warning",
            view,
            a,
            b,
            title,
            "".join(parts),
            evidence,
            related=e.companions + ([e.partner] if e.partner is not None else []),
        )


def _erratic_evidence(e: OscillationEvent) -> dict:
    """The numbers an erratic finding rests on; the training curve's swing when one was compared."""
    view, v, a, b = e.view, e.view.values, e.first, e.last
    evidence = {
        "how": "erratic",
        "evaluations": b - a + 1,
        "falls": e.drops,
        "least_fall": e.fall * view.raw_scale,
        "median_swing": e.swing * view.raw_scale,
    }
    if e.partner is not None:
        evidence["train_median_swing"] = e.partner_swing * view.raw_scale
    evidence["values"] = v[a : b + 1][:40] * view.raw_scale
    evidence["partner_calm"] = e.partner is not None
    return evidence
