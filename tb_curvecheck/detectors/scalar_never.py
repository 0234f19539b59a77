"""`never_learned`: a run whose loss and metrics never moved, or that sits at chance.

Signatures, each exact enough to name what the model does:

- frozen: the loss and the metrics of its split hold the same value at every
  evaluation (every layer frozen, a learning rate of zero, no trainable weights),
  or, in a run that logs no loss, its task metric does;
- repeating: a per-step loss replays one sequence of values exactly, epoch after
  epoch (the same weights meeting the same batches in the same order);
- chance level: a cross-entropy pinned at ln C (0.6931 for two classes, 1.0986
  for three, 2.3026 for ten) with an accuracy that never rose above where it
  started, at 1/C or at one class's share: the model outputs the prior for every input;
  in a run with no accuracy curve, a loss at ln C whose one final evaluation scored 1/C, or
  (for up to ten classes, nothing else logged) a loss that never left ln C at all; the same for
  one head of a multi-task model, a component loss at ln C beside the accuracy named for that head;
- stalled at the prior: a loss that did not improve over the run (the `no_progress`
  test) and sits at ln C, or a little under it where an uneven prior's entropy lies,
  or that came down to ln C early and held it to 1 %, with any accuracy at 1/C;
- absurd scale: a loss of a million or more with an accuracy that never rose:
  broken whatever its trend;
- a reinforcement-learning return held at its lowest value for most of the run
  and at the end: the agent never reached a reward;
- a return on a well-known environment (LunarLander-v2, MountainCarContinuous-v0, ...)
  that never got a quarter of the way from what a policy that has not learned
  scores (random firing, standing still) to the task's solved threshold, and is
  no longer climbing: the agent is stuck in the task's known trap;
- a return that ends within its own noise of where it started, never rose in order
  and never stood clearly above its opening, while its episodes kept their length:
  the policy scores what it scored before training;
- a regressor's R² that never rose above 0.05: the model predicts no better than
  the targets' mean, which scores 0 whatever the targets' scale.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Iterator, List, Optional, Tuple

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import environments, never_stories
from . import stats as U
from .base import Detector
from .prior_entropy import prior_entropy_band


@dataclasses.dataclass(frozen=True, eq=False)
class NeverEvent:
    ref: SeriesRef
    view: U.View
    how: str  # "frozen", "repeating", "chance", "stalled", "prior", "absurd", "blew_up", "reward", "unsolved", "auc",
    # "flat", "tiny_lr", "zero", "split_chance", "no_success", "coin", "still", "zero_part", "nothing", "mean"
    level: float  # the loss's (or reward's) level over the judged stretch
    metric: Optional[SeriesRef]
    metric_level: Optional[float]
    classes: Optional[int]  # C of the ln C matched
    share: float  # share of evaluations judged (reward: share at its lowest value)
    zero_lr: bool  # a logged learning rate that is exactly zero throughout
    period: Optional[int] = None  # repeating: the number of points after which the values repeat
    since_step: Optional[int] = None  # repeating, stalled, prior: the first step of the stretch judged
    env: Optional[environments.Environment] = None  # unsolved: the environment its name gives
    best: Optional[float] = None  # unsolved: the best level the return reached; mean: the best R²
    exploration: Optional[dict] = None  # unsolved: an exploration rate that reached its floor early
    metric_tol: Optional[float] = None  # prior: the accuracy held within this of its level, not pinned
    # flat: the return's opening level (median of its first tenth); prior: the accuracy's first value
    opening: Optional[float] = None
    noise: Optional[float] = None  # flat: the standard error its best was judged against
    # (examples in the accuracy's evaluation set, the +- band its sampling error allowed), when it decided
    sampling: Optional[Tuple[int, float]] = None
    lr: Optional[float] = None  # tiny_lr: the largest learning rate logged
    entropy: Optional[dict] = None  # flat: a policy entropy that held (tag, start, end), when it decided
    windows: bool = False  # flat: judged on its window levels (they wander more than its points)
    # split_chance: the training accuracy that learned (`best`: its closing level); reward: a self-play rating;
    # mean: the training R² that rose
    partner: Optional[SeriesRef] = None


@dataclasses.dataclass(frozen=True)
class NeverLearned(Detector[NeverEvent]):
    name = "never_learned"
    kinds = ("never_learned",)

    # Fewer evaluations cannot tell "did not move" from "had no time to": Iris's 7 epochs can.
    min_points: int = 5
    # A 0-1 score never above this scored nothing: one right answer in a thousand.  A detector's mAP
    # integrates the precision of every low-confidence box, and reads 1e-6-1e-5 for a model whose
    # precision and recall at its threshold are exactly 0 at every epoch.
    zero_score: float = 1e-3
    # "Did not move": every value within this share of the level (float32 keeps ~7 digits, and
    # a model that trains moves its loss by far more than 0.01 % between evaluations).
    frozen_rel: float = 1e-4
    # ln C matched within this share above it: a softmax a little off uniform sits just above ln C
    # (Iris's 1.13 against ln 3 = 1.0986) ...
    chance_tol: float = 0.05
    # ... and this share below it: a model that learned anything, or learned an uneven class prior
    # (entropy below ln C), sits lower; the prior of a near-balanced set is within it.
    chance_below: float = 0.02
    # Class counts tried for ln C.
    max_classes: int = 1000
    # A run that logs no accuracy curve is judged by its loss alone only for class counts up to this:
    # ln C of two to ten classes lie 5-40 % apart, so the tolerance band names one C; above ten
    # neighbouring ln C are closer than the band and a loss level names none.
    bare_max_classes: int = 10
    # A loss that did not improve over the run (the injected `no_progress` test, `stall`) and sits
    # where predicting the class prior puts it: at ln C, or up to this share below it, the entropy of
    # a prior a little uneven (60/40 for two classes is H = 0.673, 2.9 % under ln 2; a 4-class set
    # with one class at 40 % is ~4 % under ln 4).  The stall is the evidence the level lacks ...
    prior_below: float = 0.05
    # ... for up to this many classes.  Without an accuracy to name C, the level must say it: the bands
    # of two to four classes (0.66-0.73, 1.04-1.15, 1.32-1.46) leave most loss levels outside them,
    # while from five classes on neighbouring bands touch and any level of 1.6-2.4 is "at some ln C".
    prior_max_classes: int = 4
    # The `no_progress` test, handed in by the registry (detectors do not import one another).
    stall: Optional[Detector] = None
    # A loss that came down to ln C within this share of the run and from then on held within
    # `settle_rel` of ln C itself (running medians of 5) never learned past the prior: 1 % is the
    # third digit of ln C, where a loss that learns anything does not stay, while a regression loss
    # that happens to wander near 0.69 moves by several percent.
    settle_share: float = 0.25
    settle_rel: float = 0.01
    # A learning rate at or under this throughout (every logged one) barely moves a weight: Adam steps
    # each weight by about the learning rate, so 1e-7 over ten thousand steps moves it by 1e-3, a
    # rounding of weights of order 0.01-1 ...
    tiny_lr: float = 1e-7
    # ... and a loss that held within this share of its level at such a rate never learned (a model that
    # learns moves its loss by more than a percent over a run; at lr 1e-8 a forecaster's validation loss
    # read 4.2610 -> 4.2604 over five epochs).
    tiny_lr_held_rel: float = 0.01
    # An objective loss whose every evaluation, at least `still_min_points` of them, lies within this share
    # of its level never moved, whatever the learning rate: a model that learns moves its loss by far more
    # between evaluations, and over a run that starts where it ends even a converged one does.  Across the
    # corpus and every blind batch (about 5,000 runs) the objective losses that held within half a percent
    # from first to last evaluation were all in runs labelled a pathology or mild, none in a healthy one.
    still_rel: float = 0.005
    still_min_points: int = 10
    # A part of a broken-down score exactly 0 at this many evaluations or more never scored: a class or
    # level that is merely hard scores now and then over ten evaluations.
    zero_part_min_points: int = 10
    # A noisier loss may instead hold inside ln C's whole band (running medians of 5) over at least
    # this many points, enough for a trend test to see slow learning ...
    noisy_prior_min_points: int = 30
    # ... with no fall both more ordered than this Mann-Kendall z (the one-sided 5 % point) and this
    # share of ln C deep (Theil-Sen): a binary loss drifting 0.70 -> 0.688 over 2,800 batches is ordered
    # but learned nothing, while a model learning inside the band crosses several percent of it.
    noisy_prior_trend_z: float = 1.64
    noisy_prior_fall: float = 0.03
    # An accuracy "never rose": its best running median is within this of where it started.
    metric_learned: float = 0.05
    # ... and it sits within this of 1/C (or holds one value: the majority class's share).
    chance_metric_tol: float = 0.03
    # On an evaluation set small enough to read from the values (32 examples: every accuracy k/32),
    # both allowances widen to this many standard errors of an accuracy at chance, sqrt(p(1-p)/N):
    # a model at chance on 32 three-class examples scores anywhere from 0.2 to 0.45, and drifts as far.
    sampling_k: float = 2.0
    # A loss this large is no loss of a working model (log-losses are O(1)-O(10), MSE on
    # standardised targets O(1)); with an accuracy that never rose, the run is broken.
    absurd_level: float = 1e6
    # An accuracy "at chance" without a loss at ln C to name C: within this share of 1/C for some C
    # (0.085-0.115 for ten classes, 0.425-0.575 for two); a model that learned anything leaves it.
    chance_share_rel: float = 0.15
    # A held-out split that never left chance while its training split learned: a validation (or test)
    # loss that opened at ln C and never went below it, with the split's accuracy never a tenth of the
    # way from 1/C to 1 at any evaluation (0.19 for ten classes: sampling noise on a few hundred
    # examples stays well inside it, any generalisation leaves it) ...
    split_chance_reach: float = 0.1
    # ... while the training accuracy closed at least halfway from 1/C to 1 (0.55 for ten classes): the
    # network fits its training data and nothing of it carries over.  Judged from this many evaluations,
    # fewer than `min_points`: the contrast with the training split, not the length, is the evidence,
    # and a healthy run's validation accuracy leaves chance as soon as its training accuracy does.
    split_chance_train_reach: float = 0.5
    split_chance_min_points: int = 3
    # A binary accuracy (outputs on the right side of 0.5, Keras's `binary_accuracy`) that never rose and
    # closed at most `chance_metric_tol` above 0.5, beside a loss whose running median never went this share
    # under ln 2: the cross-entropy of answering 0.5 everywhere, which a model that learned even the share
    # of positives of each output beats (multi-label targets, mostly 0, take it to a few hundredths).
    coin_below: float = 0.02
    # An accuracy "held" at the majority share: this share of its last half within
    # `chance_metric_tol` of its median (one stray evaluation in ten allowed).
    prior_held_share: float = 0.9
    # ... and past two classes, where a loss level fits a wide band of priors, every one of those within
    # this share of its level: a model whose output hardly depends on its input flips a few examples
    # of a thousand between evaluations (1 of 10,000 on a ten-class text set), while one that learns
    # moves its accuracy by more.
    prior_share_rel: float = 0.01
    # The chance and absurd levels are judged over the last share of the run (after warm-up).
    tail_share: float = 0.5
    # A return held at its lowest value for this share of the summaries, and at the end.
    reward_share: float = 2.0 / 3.0
    reward_min_points: int = 8
    # A per-step loss that replays one sequence of values to float precision, period after period,
    # is the same weights meeting the same batches in the same order: nothing is updated. Judged over
    # at least this many points, the last third of which must repeat (a working loss never does) ...
    repeat_min_points: int = 30
    # ... in at least this share of its points (a rare re-read batch aside) ...
    repeat_share: float = 0.98
    # ... for at least this many periods; and consecutive values must mostly differ (an epoch's mean
    # re-logged at every step repeats by being written more often than it is computed).
    repeat_min_periods: int = 3
    repeat_max_points: int = 5000
    # ... and the replayed level must be within this share of the first period's: below it the model
    # learned first and then settled into the cycle (converged), not a model that was never updated.
    repeat_learned_rel: float = 0.1
    # On a well-known environment, a return whose best level (running median over a tenth of the run)
    # stayed below this share of the way from the unlearned policy's score to the solved threshold.
    # Healthy runs in the tuned corpus that learned at all reach three quarters of it or more.
    unsolved_share: float = 0.25
    # Judged on at least this many summaries (enough to tell a plateau from a warm-up) ...
    unsolved_min_points: int = 20
    # ... and not while the last half still climbs (Mann-Kendall z of 2: a rise more ordered than
    # noise; a DQN still leaving its warm-up is on its way).
    unsolved_climb_z: float = 2.0
    # A ROC AUC is 0.5 for a model that ranks positives above negatives no better than a coin, whatever
    # the class shares (an accuracy's chance level needs them).  Every evaluation within this of 0.5 ...
    auc_chance_band: float = 0.04
    # ... over at least this many (the healthy runs of the tuned corpus that log a ROC AUC end at 0.72
    # or above; a model with a real AUC of 0.6 measured on 100 + 100 examples, standard error 0.04,
    # leaves the band within a few evaluations).
    auc_min_points: int = 8
    # R² is 0 for a model that predicts the targets' mean for every input, and below 0 for one that does
    # worse, whatever the targets' scale (a loss's level needs it).  Never above this at any evaluation ...
    r2_floor: float = 0.05
    # ... over at least this many: the least of the tuned corpus's healthy regressors that log R² reaches
    # 0.26 at its best; a real R² of 0.1 measured on a few hundred examples dips under 0.05 at some
    # evaluations, not at eight in a row.
    r2_min_points: int = 8
    # A return with no gain beyond its own noise.  Its closing level (median of the last fifth) is within
    # this many standard errors of its opening level (median of the first tenth): for a return that never
    # moved the difference is one standard normal draw, and 1.5 standard errors leave 93 % of them (one
    # left 84 %, and missed an SB3 PPO whose return went 0.69 -> 0.95 against noise of 0.20 while its
    # entropy barely moved); a return that learned still fails the best-level and trend tests below ...
    flat_end_z: float = 1.5
    # ... it shows no ordered rise (Mann-Kendall z under the one-sided 5 % point) ...
    flat_trend_z: float = 1.64
    # ... and its best level (running median over a tenth of the run) never stood this many standard
    # errors above the opening, from the first tenth or the first three summaries: a climb that fell back
    # is a collapse, not a return that never rose (the first such pathology among the tuned runs sits at
    # 2.0; the best of a trendless return is a maximum of about ten window levels, 1.5 on average) ...
    flat_gain_z: float = 2.0
    # ... over at least this many summaries (fewer say little about a policy's trend) ...
    flat_min_points: int = 15
    # ... or at least `flat_entropy_min_points` when the run logs a policy entropy beside the return that
    # did not fall by `flat_short_entropy_fall` or more: the agent learns from its own episodes (a
    # policy-gradient or ML-Agents learner), so its first summary is an early policy's score, and its
    # action distribution did not grow much surer.  Ten summaries are ML-Agents' defaults (one per 50k
    # steps of 500k), its commonest run; the stalled ones of the blind ledgers kept their entropy within
    # 16 % or raised it.  An imitation learner logs no entropy, and its first summary already follows a
    # whole epoch of fitting the demonstrations (CS285's behaviour cloning at the expert's return from
    # iteration 0); a policy whose entropy fell by a third grew surer of something: with so few summaries
    # both are judged only by the tests above.
    flat_short_entropy_fall: float = 0.25
    # A return whose first summary comes this share of the way to its last or later opened far into
    # training (SB3 resumed with its step counter kept: 1.0M -> 3.0M): a run logged from its start at
    # the `flat_min_points` summaries asked has its first within a fifteenth of the way.
    flat_resumed_share: float = 0.25
    # ... while the mean episode length, when logged, ends within this factor of where it started: a
    # zero-sum game's return sits at 0 by construction while its rallies grow fifty-fold (learning
    # shows in the length), and a survival task's agent that learned lives longer.
    flat_length_factor: float = 2.0
    # A policy whose entropy, logged beside the return, ends within this share of where it began
    # never changed its action distribution: an agent that learns grows surer of its actions (the
    # healthy PPO runs of the tuned corpus lose 7 % of their entropy or more; the stalled ML-Agents
    # ones 2-3 %).  That is evidence the return's own noise lacks, so the flat test then asks less:
    flat_entropy_rel: float = 0.05
    # a closing level within this many standard errors of the opening, a best never this many above
    # it (a trendless return's best window sits about 1.5 over its opening, rarely 3) ...
    flat_entropy_end_z: float = 2.0
    flat_entropy_gain_z: float = 3.0
    # ... over at least this many summaries (ML-Agents' default summary interval gives ten over 500k steps).
    flat_entropy_min_points: int = 10
    # A return whose window levels (medians of consecutive windows of a tenth of the run, at least
    # `flat_wander_blocks` of them) wander this many times more than its point-to-point noise allows is
    # autocorrelated: a running average over the last episodes (`AvgReward`, SB3's `ep_rew_mean`) or a
    # policy drifting between updates.  Its point noise then says nothing about its levels (a running
    # average 4.8 -> 5.2 at point noise 0.04 reads as 42 standard errors): the flat test measures the
    # opening, closing and best levels, and the trend, on those window levels instead.  A running mean of
    # W episodes, one new per point, wanders about sqrt(W k) / 1.25 times what its point noise predicts
    # for windows of k (30 and more for W = k = 50); independent noise around a real excursion (an
    # exploration dip of a third of the run) reaches 1.5-3.  Eight keeps the two apart.
    flat_wander_factor: float = 8.0
    flat_wander_blocks: int = 6
    # Judged on its window levels, a return's best is the best window median, and each of the nine after
    # the opening differs from it by one draw of the levels' wander: the largest of nine such draws passes
    # 2.0 standard errors one time in five for a return that never moved, 2.5 one time in twenty.  (A
    # running median over points draws its best from ten times more overlapping windows than that wander
    # measures, so the window medians are compared, not it.)
    flat_wander_gain_z: float = 2.5
    # An exploration rate (DQN's epsilon) that reached its final value within this share of the run
    # left the rest of it to exploiting what the agent knew by then: worth naming beside a stalled return.
    early_exploration_share: float = 0.25

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[NeverEvent]:
        if ref.info.role == "loss" and ref.info.purpose == "component" and ref.info.granularity != "batch":
            # One head of a multi-task model (`val_classification_loss` beside a regression head, summed
            # into `val_loss`) at ln C with its own accuracy at chance: that head never learned, whatever
            # the total did.  Only the chance signature, and only with the head's accuracy named alike.
            head = self._head_accuracy(exp, ref)
            if head is None:
                return []
            return [e for e in self._loss(exp, ref, head) if e.how == "chance"]
        if ref.info.role == "loss" and ref.info.purpose in ("objective", None):
            if ref.info.granularity != "batch":
                # An Estimator head's summed loss is read on its per-example mean: a prior's entropy is a level.
                mean = U.estimator_mean(exp, ref)
                found = self._loss(exp, mean or ref) or self._split_at_chance(exp, ref) or self._coin(exp, ref)
                if found:
                    return found
            return self._stalled(exp, ref) or self._still(exp, ref)
        if ref.info.purpose == "task" and ref.info.role == "other":
            return (
                self._reward(exp, ref) or self._no_success(exp, ref) or self._unsolved(exp, ref) or self._flat(exp, ref)
            )
        if ref.info.purpose == "task" and ref.info.quantity == "auc" and ref.info.role == "metric_up":
            found = self._auc_at_chance(exp, ref)
            if found:
                return found
        if ref.info.purpose == "task" and ref.info.quantity == "r2" and ref.info.role == "metric_up":
            found = self._unexplained(exp, ref)
            if found:
                return found
        if ref.info.purpose == "task" and ref.info.role == "metric_up":
            found = self._zero_metric(exp, ref)
            if found:
                return found
        if ref.info.purpose == "task" and ref.info.role in ("metric_up", "metric_down") and not exp.find(role="loss"):
            return self._frozen_metric(exp, ref)
        if ref.info.purpose == "auxiliary" and ref.info.role in ("metric_up", "other"):
            return self._zero_part(exp, ref) or self._unpaid_self_play(exp, ref)
        return []

    def _zero_part(self, exp: Experiment, ref: SeriesRef) -> List[NeverEvent]:
        """One part of a score broken down by class or level (`curriculum/success_rate_L2` beside
        `curriculum/success_rate_L1`, `bbox/AP-scratch` beside `bbox/AP`) exactly 0 at every one of at
        least `zero_part_min_points` evaluations while a part beside it scored: the task is scorable, and
        this part of it was never once right (a sudoku curriculum whose level-2 success is 0 at all 75
        summaries after the agent solved level 1)."""
        success = "success" in ref.tag.lower()
        if ref.info.role == "other" and not success:
            return []  # of the unjudged series, only a success rate is a score
        view = U.view_of(ref, smooth=False)
        v = view.values
        if len(view) < self.zero_part_min_points or np.any(v != 0.0):
            return []
        peaks = [
            (_peak(s), s)
            for s in _parts_beside(exp, ref)
            if s.info.role == ref.info.role
            and (success == ("success" in s.tag.lower()))
            and (ref.info.role == "other" or s.info.quantity == ref.info.quantity)
        ]
        level, best = max(peaks, key=lambda p: p[0], default=(0.0, None))
        if best is None or level <= 0.0:
            return []
        return [NeverEvent(ref, view, "zero_part", 0.0, best, level, None, 1.0, U.zero_learning_rate(exp))]

    def _split_at_chance(self, exp: Experiment, ref: SeriesRef) -> List[NeverEvent]:
        """A validation or test loss that opened at ln C and never went below it, with that split's
        accuracy near 1/C at every evaluation (`split_chance_reach`), while the run's training accuracy
        closed far above chance (`split_chance_train_reach`): the model learns its training set and
        scores like a coin on held-out data (a MobileNetV3 at 0.12 validation accuracy on ten classes,
        validation loss 2.298 -> 2.58, while its training accuracy reached 0.7)."""
        if ref.info.split in (None, "train"):
            return []
        view = U.view_of(ref, smooth=False)
        v = view.values
        if len(view) < self.split_chance_min_points:
            return []
        c = self._classes(float(v[0]))
        if c is None or float(np.min(v)) < math.log(c) * (1 - self.chance_below):
            return []
        metric = self._metric(exp, ref)
        if metric is None or metric.info.split != ref.info.split:
            return []
        mv = U.view_of(metric, smooth=False).values
        chance = 1.0 / c
        if mv.shape[0] < self.split_chance_min_points or not U.is_fraction(mv):
            return []
        if float(np.max(mv)) > chance + self.split_chance_reach * (1 - chance):
            return []
        train = self._learned_train_accuracy(exp, chance)
        if train is None:
            return []
        acc, closing = train
        return [
            NeverEvent(
                ref,
                view,
                "split_chance",
                float(np.median(v)),
                metric,
                float(np.median(mv)),
                c,
                1.0,
                U.zero_learning_rate(exp),
                best=closing,
                partner=acc,
            )
        ]

    def _coin(self, exp: Experiment, ref: SeriesRef) -> List[NeverEvent]:
        """A binary accuracy at 0.5 that never rose, beside a loss that never went under ln 2: no output
        did better than a coin flip (a 206-output multi-label MLP under Keras's Adadelta at its default
        step, binary accuracy 0.500 -> 0.513 and loss 0.781 -> 0.761 over 15 epochs, where predicting
        the label shares would score 0.997).  Only a binary accuracy names the coin: a plain accuracy at 0.5
        may be a three-class model that learned its majority class's share, whose loss (that prior's
        entropy, near 1.0) stays above ln 2 as well."""
        view = U.view_of(ref, smooth=False)
        v = view.values
        if len(view) < self.min_points:
            return []
        binary = [m for m in exp.metrics_for(ref) if _binary(m) and len(m.series) >= self.min_points]
        if not binary:
            return []
        metric = binary[0]
        mv = U.view_of(metric, smooth=False).values
        if not U.is_fraction(mv):
            return []
        n_eval = U.evaluation_size(mv)
        rise, opening = self._metric_rise(mv)
        m_level = self._closing_level(mv)
        if rise >= self._tol(n_eval, opening, self.metric_learned):
            return []
        # At a coin or under it: a freshly initialised sigmoid layer puts 45-50 % of its outputs on the
        # right side, as the seed falls, and a model that learned nothing stays there.
        if m_level - 0.5 > self._tol(n_eval, 0.5, self.chance_metric_tol):
            return []
        lowest = _lowest_level(v)
        tail_level = self._tail_level(v)
        if lowest < math.log(2) * (1 - self.coin_below) or tail_level >= self.absurd_level:
            return []
        return [
            NeverEvent(
                ref, view, "coin", tail_level, metric, m_level, 2, 1.0, U.zero_learning_rate(exp), opening=float(v[0])
            )
        ]

    def _learned_train_accuracy(self, exp: Experiment, chance: float) -> Optional[Tuple[SeriesRef, float]]:
        """A training accuracy of the experiment (its closing level, the median of its last third) that
        closed `split_chance_train_reach` of the way from `chance` to 1, with that level."""
        for s in exp.find(quantity="accuracy", split="train"):
            _, w = U.finite_points(s)
            if w.shape[0] < self.split_chance_min_points or not U.is_fraction(w):
                continue
            closing = float(np.median(w[-max(1, w.shape[0] // 3) :]))
            if closing >= chance + self.split_chance_train_reach * (1 - chance):
                return s, closing
        return None

    def _switched_off(self, exp: Experiment, ref: SeriesRef, v: np.ndarray) -> bool:
        """A loss exactly 0 at every evaluation beside another loss of its run that moved: a term that is
        not computed (`loss_expert_stop` of a molecule generator whose other losses train), not a model
        that never learned.  Alone, a loss of 0 throughout is still told: nothing was learned from it."""
        if np.any(v):
            return False
        for s in exp.find(role="loss"):
            if s.run == ref.run and s.tag != ref.tag:
                _, w = U.finite_points(s)
                if w.shape[0] >= 2 and not _held_still(w, self.frozen_rel):
                    return True
        return False

    def _auc_at_chance(self, exp: Experiment, ref: SeriesRef) -> List[NeverEvent]:
        """A ROC AUC within `auc_chance_band` of 0.5 at every evaluation: the model's scores rank a positive
        above a negative as often as a coin would, for the whole run.  A precision-recall AUC has no such
        fixed chance level (it is the positives' share) and is not judged here."""
        if ref.info.granularity == "batch" or set(U.words(ref.tag)) & _PR_WORDS:
            return []
        view = U.view_of(ref, smooth=False)
        v = view.values
        if len(view) < self.auc_min_points or not U.is_fraction(v):
            return []
        if float(np.max(np.abs(v - 0.5))) > self.auc_chance_band:
            return []
        # Another task metric of the split that clearly improved says the AUC is mis-computed, not the model.
        if _split_metric_gained(exp, ref):
            return []
        return [NeverEvent(ref, view, "auc", float(np.median(v)), None, None, None, 1.0, U.zero_learning_rate(exp))]

    def _unexplained(self, exp: Experiment, ref: SeriesRef) -> List[NeverEvent]:
        """A coefficient of determination (R²) under `r2_floor` at every one of at least `r2_min_points`
        evaluations: at its best the model explained almost none of the targets' variance, which predicting
        their mean for every input already does (a CNN regressor whose validation R² sits at -3e-5 for 50
        epochs).  Not for an agent's run, whose explained variance is its critic's (`scalar_critic`)."""
        if ref.info.granularity == "batch" or U.reinforcement_learning(exp):
            return []
        view = U.view_of(ref, smooth=False)
        v = view.values
        if len(view) < self.r2_min_points or float(np.max(v)) >= self.r2_floor:
            return []
        # Another task metric of the split that clearly improved says the R² is mis-computed, not the model.
        if _split_metric_gained(exp, ref):
            return []
        best = float(np.max(v))
        # A training R² that rose beside it says the model fits what it trains on and none of it carries over.
        twin = exp.partner(ref) if ref.info.split in ("validation", "test") else None
        if twin is not None and not (len(twin.series) >= 2 and float(np.nanmax(twin.series.values)) >= self.r2_floor):
            twin = None
        return [
            NeverEvent(
                ref, view, "mean", best, None, None, None, 1.0, U.zero_learning_rate(exp), best=best, partner=twin
            )
        ]

    def _frozen_metric(self, exp: Experiment, ref: SeriesRef) -> List[NeverEvent]:
        """A run that logs no loss, only a task metric, and that metric holds one value from its first
        evaluation to its last (an MSE of 0.0186133 to seven digits, written 25 times): the model
        never changed.  A metric at its perfect value (accuracy 1, error 0) holding still is not judged."""
        view = U.view_of(ref, smooth=False)
        v = view.values
        n = len(view)
        if n < self.min_points:
            return []
        if not _held_still(v, self.frozen_rel):
            return []
        level = float(np.median(v))
        perfect = (
            1.0
            if ref.info.role == "metric_up" and U.is_fraction(v)
            else 0.0
            if ref.info.role == "metric_down"
            else None
        )
        if perfect is not None and abs(level - perfect) <= U.SAME_VALUE_ATOL:
            return []
        return [NeverEvent(ref, view, "frozen", level, None, None, None, 1.0, U.zero_learning_rate(exp))]

    def _zero_metric(self, exp: Experiment, ref: SeriesRef) -> List[NeverEvent]:
        """A higher-is-better task metric (mAP, accuracy, F1, BLEU) exactly 0 at every one of at least
        `min_points` evaluations: not one output was right, from the first evaluation to the last.  A
        model that learns anything scores above 0 at some evaluation; a score that never leaves 0
        points at the evaluation itself (labels that do not match the predictions' classes or format,
        an evaluation set without labels) as much as at the model."""
        view = U.view_of(ref, smooth=False)
        v = view.values
        if len(view) < self.min_points or (np.any(v != 0.0) and not self._scored_nothing(ref)):
            return []
        for s in exp.find(role="metric_up", split=ref.info.split):
            # Another score of the same evaluation above nothing (an accuracy climbing beside an F1 pinned
            # at 0): the model predicts something right, and the 0 is that metric's own doing, which
            # `stuck_metric` tells.
            if s is not ref and not self._scored_nothing(s):
                return []
        level = float(np.max(v))
        return [NeverEvent(ref, view, "zero", level, None, None, None, 1.0, U.zero_learning_rate(exp))]

    def _scored_nothing(self, ref: SeriesRef) -> bool:
        """Every finite value of a 0-1 score is at most `zero_score`."""
        v = ref.series.values[np.isfinite(ref.series.values)]
        if v.shape[0] == 0 or not U.is_fraction(v) or ref.info.percent:
            return bool(np.all(v == 0.0))
        return bool(np.all(v <= self.zero_score))

    def _metric(self, exp: Experiment, ref: SeriesRef) -> Optional[SeriesRef]:
        hits = [m for m in exp.metrics_for(ref) if m.info.quantity == "accuracy"]
        if not hits:
            hits = [m for m in exp.find(quantity="accuracy", split=ref.info.split) if m.info.granularity != "batch"]
        return hits[0] if hits else None

    def _metric_rise(self, mv: np.ndarray) -> Tuple[float, float]:
        """(best running median minus the opening level, the opening level) of an accuracy.  Both levels
        are medians over a tenth of the evaluations (at least 3): the best of sixty running medians of
        three is an extreme draw, and an accuracy at chance on 32 examples reaches 0.44 from 0.25 by
        sampling alone."""
        w = max(3, mv.shape[0] // 10) | 1
        k = max(1, min(w, mv.shape[0] // 2))
        start = float(np.median(mv[:k]))
        best = float(np.max(U.running_median(mv, w))) if mv.shape[0] >= 3 else float(np.max(mv))
        return best - start, start

    def _tol(self, n: Optional[int], p: float, base: float) -> float:
        """`base`, or the sampling error of an accuracy p measured on n examples, whichever is wider."""
        if n is None or not 0.0 < p < 1.0:
            return base
        return max(base, self.sampling_k * math.sqrt(p * (1.0 - p) / n))

    def _head_accuracy(self, exp: Experiment, ref: SeriesRef) -> Optional[SeriesRef]:
        """The accuracy of the same split and granularity whose name is the component loss's with the
        loss word swapped for an accuracy word (`val_classification_loss` -> `val_classification_acc`)."""
        own = _head_words(ref.tag, _LOSS_NAME_WORDS)
        if not own:
            return None
        for m in exp.find(quantity="accuracy", split=ref.info.split, granularity=ref.info.granularity):
            if m.run == ref.run and _head_words(m.tag, _ACCURACY_NAME_WORDS) == own:
                return m
        return None

    def _loss(self, exp: Experiment, ref: SeriesRef, metric: Optional[SeriesRef] = None) -> List[NeverEvent]:
        view = U.view_of(ref, smooth=False)
        v = view.values
        n = len(view)
        if n < self.min_points:
            return []
        metric = metric or self._metric(exp, ref)
        mv = U.view_of(metric, smooth=False).values if metric is not None else None
        if mv is not None and mv.shape[0] < 2:
            metric, mv = None, None
        level = float(np.median(v))
        zero_lr = U.zero_learning_rate(exp)
        if _held_still(v, self.frozen_rel) and not self._switched_off(exp, ref, v):
            if mv is None or float(np.ptp(mv)) <= max(U.SAME_VALUE_ATOL, self.frozen_rel * abs(float(mv[0]))):
                # A loss at exactly 0 throughout had no error to learn from: frozen weights would hold it
                # at an untrained model's level, never at the perfect one.
                perfect = bool(np.all(np.abs(v) <= U.SAME_VALUE_ATOL))
                return [
                    NeverEvent(
                        ref,
                        view,
                        "nothing" if perfect else "frozen",
                        level,
                        metric,
                        float(mv[-1]) if mv is not None else None,
                        None,
                        1.0,
                        zero_lr,
                    )
                ]
        lr_max = _tiny_learning_rate(exp, self.tiny_lr)
        if lr_max is not None and _held_still(v, self.tiny_lr_held_rel):
            if mv is None or _held_still(mv, self.tiny_lr_held_rel):
                m_level = float(mv[-1]) if mv is not None else None
                return [NeverEvent(ref, view, "tiny_lr", level, metric, m_level, None, 1.0, zero_lr, lr=lr_max)]
        rep = self._repeating(ref)
        if rep is not None:
            period, first, share = rep
            return [
                NeverEvent(
                    ref,
                    view,
                    "repeating",
                    level,
                    metric,
                    float(mv[-1]) if mv is not None else None,
                    None,
                    share,
                    zero_lr,
                    period,
                    first,
                )
            ]
        if mv is None:
            return self._bare_chance(exp, ref, view, zero_lr)
        if not U.is_fraction(mv):
            return []
        n_eval = U.evaluation_size(mv)
        rise, opening = self._metric_rise(mv)
        rise_tol = self._tol(n_eval, opening, self.metric_learned)
        if rise >= rise_tol:
            if not self._rose_to_prior(v, mv):
                return []
            sampling = None
        else:
            # Named in the finding when only the evaluation set's sampling error kept the accuracy "at chance".
            sampling = (n_eval, rise_tol) if n_eval is not None and rise >= self.metric_learned else None
        mtail = mv[-max(2, int(self.tail_share * mv.shape[0])) :]
        tail_level, m_level = self._tail_level(v), float(np.median(mtail))
        if tail_level >= self.absurd_level and float(np.min(v)) >= self.absurd_level:
            return [NeverEvent(ref, view, "absurd", tail_level, metric, m_level, None, 1.0, zero_lr, sampling=sampling)]
        spread = float(np.ptp(mtail))
        pinned = spread <= max(U.SAME_VALUE_ATOL, U.SAME_VALUE_RTOL * abs(m_level))
        if float(np.nanmax(v)) >= self.absurd_level and (pinned or self._near_chance(m_level)):
            # The arithmetic blew up at some point (2e16 at the first epoch) and the accuracy never left
            # chance: whatever the loss did after, the model never worked.
            return [
                NeverEvent(
                    ref, view, "blew_up", float(np.nanmax(v)), metric, m_level, None, 1.0, zero_lr, sampling=sampling
                )
            ]
        lowest = _lowest_level(v)
        # The majority class's share (the accuracy held at one value) and a loss at its prior's entropy:
        # the model outputs the class shares for every input.
        # The accuracy need only hold near that share (give or take an example, a stray evaluation)
        # when no loss of the run left its opening level either: a ten-class model at 0.86 validation
        # accuracy whose validation loss holds at 0.42 (H(0.86) = 0.40) while its training loss falls
        # 0.36 -> 0.32 is a converged fine-tune, not a prior.
        near = float(np.mean(np.abs(mtail - m_level) <= self.chance_metric_tol))
        c = self._classes(tail_level)
        at_one_over_c = c is not None and abs(m_level - 1.0 / c) <= self._tol(n_eval, 1.0 / c, self.chance_metric_tol)
        # ... or when every loss came down early and then held still (`stats.losses_settled`): the drop from
        # the initial logits to the class shares, and nothing after it.  An accuracy at 1/C beside a loss
        # near ln C is chance's story, which names C (below, or `_stalled`), not an uneven prior's.
        settled = (
            U.losses_settled(exp, 2 * self.min_points) if near >= self.prior_held_share and not at_one_over_c else None
        )
        held = near >= self.prior_held_share and (settled is not None or _losses_held(exp, self.chance_tol))
        # Past two classes the band of entropies is wide, so the accuracy must hold the share itself:
        # a model that outputs one class for every input scores that class's share at every evaluation.
        # Losses that held within a percent for three quarters of the run stand in for that: whatever the
        # level, the model stopped changing its outputs, and the level says to what.
        tight = spread <= self.prior_share_rel * m_level
        band = (
            prior_entropy_band(m_level, self.bare_max_classes, two_classes=settled is None)
            if pinned or (held and (m_level > 0.5 or tight or settled is not None))
            else None
        )
        at_prior = (
            band is not None
            and band[0] * (1 - self.chance_below) <= tail_level <= band[1] * (1 + self.chance_tol)
            and lowest >= band[0] * (1 - self.chance_below)
        )
        if (
            c is not None
            and lowest >= math.log(c) * (1 - self.chance_below)
            # A pinned accuracy far from 1/C at a loss near ln C is told as the prior it is when its
            # entropy fits (a ten-class set whose largest class is 19 % sits at 2.22, near ln 9).
            and (at_one_over_c or (pinned and not at_prior))
        ):
            if n_eval is not None and not pinned and abs(m_level - 1.0 / c) > self.chance_metric_tol:
                sampling = (n_eval, self._tol(n_eval, 1.0 / c, self.chance_metric_tol))
            return [NeverEvent(ref, view, "chance", tail_level, metric, m_level, c, 1.0, zero_lr, sampling=sampling)]
        # A binary accuracy scores each output against 0.5: under 0.5 it is no one class's share, and the
        # prior of a multi-class set is the wrong story (`_coin` tells it).
        if at_prior and m_level <= 0.5 and _binary(metric):
            return []
        if at_prior:
            if pinned:
                # Held from its first evaluation, or only from where it reached the share (then named).
                start = _held_from(mv)
                held = dict(
                    since_step=int(U.view_of(metric, smooth=False).steps[start]) if start else None,
                    opening=float(mv[0]) if start else None,
                )
            else:
                held = dict(metric_tol=self.chance_metric_tol, since_step=settled)
            two = prior_entropy_band(m_level, self.bare_max_classes)
            # Two classes only where the loss sits at the two-class prior's entropy itself.
            classes = (
                2
                if m_level > 0.5
                and two is not None
                and two[0] * (1 - self.chance_below) <= tail_level <= two[1] * (1 + self.chance_tol)
                else None
            )
            share = 1.0 if pinned else near
            return [
                NeverEvent(
                    ref, view, "prior", tail_level, metric, m_level, classes, share, zero_lr, sampling=sampling, **held
                )
            ]
        return []

    def _rose_to_prior(self, v: np.ndarray, mv: np.ndarray) -> bool:
        """An accuracy whose only rise was onto one value it then held exactly, for at least half of the
        evaluations and `min_points` - 2 of them, beside a loss at the entropy of a prior with that
        majority share: the model learned the class shares and nothing more (a 7-class emotion CNN at
        0.116, then 0.2449 at four evaluations in a row, its loss 1.95 -> 1.87).  A model that learns past
        the prior moves its accuracy by at least an example between evaluations."""
        n = mv.shape[0]
        start = _held_from(mv)
        if n - start < max(self.min_points - 2, math.ceil(n / 2)):
            return False
        # One step up from where it opened: a model that climbs through levels on its way (0.5, 0.7, 0.85,
        # then 0.95 held on a small validation set, where 19 of 20 can hold for epochs) learned.
        if float(np.ptp(mv[:start])) > self.metric_learned:
            return False
        band = prior_entropy_band(float(mv[-1]), self.bare_max_classes)
        tail = self._tail_level(v)
        return band is not None and band[0] * (1 - self.chance_below) <= tail <= band[1] * (1 + self.chance_tol)

    def _tail_level(self, v: np.ndarray) -> float:
        """The loss's level over the last `tail_share` of the run, after warm-up."""
        n = v.shape[0]
        return float(np.median(v[U.warmup(n) :][-max(2, int(self.tail_share * n)) :]))

    def _bare_chance(self, exp: Experiment, ref: SeriesRef, view: U.View, zero_lr: bool) -> List[NeverEvent]:
        """A loss at ln C for a run without an accuracy curve: pinned there from its first points to
        its last (every level within the chance band: it never left the uniform prediction), or pinned
        over its second half with the one accuracy logged, at the end, at 1/C.

        Without the accuracy the level is the only evidence of a cross-entropy, so the run must log
        nothing that says otherwise: no metric at all (an accuracy whose name did not pair, at 0.5
        beside a loss at 1.39, says two classes, not ln 4), and no loss components beside it (a
        detector's total of box, class and regularisation terms can sit near any ln C)."""
        # A single evaluation (a Trainer that evaluates once, after training, on this split or another)
        # has no curve to have risen on, but says where the accuracy ended.
        single = [m for m in exp.find(quantity="accuracy") if m.info.granularity != "batch" and len(m.series) == 1]
        single.sort(key=lambda m: m.info.split != ref.info.split)
        final = (single[0], float(single[0].series.values[-1])) if single else None
        if final is None and (exp.find(role="metric_up") or exp.find(role="metric_down")):
            return []
        if any(s.info.purpose == "component" for s in exp.find(role="loss", split=ref.info.split)):
            return []
        v = view.values
        tail_level = self._tail_level(v)
        c = self._classes(tail_level)
        if c is None or c > self.bare_max_classes:
            return []
        ln_c = math.log(c)
        level = U.running_median(v, 5) if v.shape[0] >= 5 else v
        if float(np.min(level)) < ln_c * (1 - self.chance_below):
            return []
        if self._partner_fits(exp, ref, ln_c):
            return []
        if final is not None:
            metric, acc = final
            if U.is_fraction(np.asarray([acc])) and abs(acc - 1.0 / c) <= self.chance_metric_tol:
                return [NeverEvent(ref, view, "chance", tail_level, metric, acc, c, 1.0, zero_lr)]
            return []
        if float(np.max(level)) > ln_c * (1 + self.chance_tol):
            return []
        return [NeverEvent(ref, view, "chance", tail_level, None, None, c, 1.0, zero_lr)]

    def _stalled(self, exp: Experiment, ref: SeriesRef) -> List[NeverEvent]:
        """A loss that never improved over the run and sits at the class prior's cross-entropy, with every
        accuracy logged at chance and no task metric that gained: `no_progress` with its level named.

        The level alone names no C closely enough (a healthy fine-tune can settle 5 % under ln 3), and a
        stall alone says nothing of why; together they say the model predicts the prior for every input
        (a text classifier at lr 4e-4 whose loss rises from 1.09 to ln 4 and stays)."""
        if self.stall is None or not _level_speaks(exp, ref):
            return []
        # A total of box, class and regularisation terms can sit near any ln C.
        if any(s.info.purpose == "component" for s in exp.find(role="loss", split=ref.info.split)):
            return []
        view = U.view_of(ref, smooth=False)
        v = view.values
        if len(view) < self.min_points:
            return []
        level = self._tail_level(v)
        accuracies = [m for m in exp.find(quantity="accuracy") if m.info.granularity != "batch" and len(m.series) >= 2]
        c = self._prior_classes(level) or self._named_by_accuracies(level, accuracies)
        if c is None:
            return []
        if not accuracies and c > self.prior_max_classes:
            return []
        metrics = [m for m in exp.scalars if m.info.role in ("metric_up", "metric_down")]
        # A metric other than an accuracy (an MAE, a BLEU) says nothing of classes: the level is then
        # no cross-entropy's that we know of.
        if metrics and not accuracies:
            return []
        if any(U.gained(m) for m in metrics):
            return []
        metric, m_level = None, None
        for m in accuracies:
            mv = U.view_of(m, smooth=False).values
            if not U.is_fraction(mv):
                return []
            at = self._closing_level(mv)
            band = self._tol(U.evaluation_size(mv), 1.0 / c, self.chance_metric_tol)
            # At 1/C of the C the loss names: an accuracy at some other chance says the level is a coincidence.
            if abs(at - 1.0 / c) > band:
                return []
            if metric is None or m.info.split == ref.info.split:
                metric, m_level = m, at
        since = self._stalled_since(exp, ref, view, c, corroborated=metric is not None)
        if since is None:
            return []
        return [
            NeverEvent(
                ref, view, "stalled", level, metric, m_level, c, 1.0, U.zero_learning_rate(exp), since_step=since
            )
        ]

    def _still(self, exp: Experiment, ref: SeriesRef) -> List[NeverEvent]:
        """An objective loss held within `still_rel` of its level from its first evaluation to its last, with
        no task metric of the run that gained: the updates never changed what the model outputs (a
        Lightning MNIST model's training loss 0.4926-0.4930 over 22 logs and three epochs).  Exactly the
        same value throughout is `frozen`'s story (told by `_loss` for a loss logged per epoch or step)."""
        if not _level_speaks(exp, ref):
            return []
        view = U.view_of(ref, smooth=False)
        v = view.values
        if len(view) < self.still_min_points or not _held_still(v, self.still_rel):
            return []
        if _held_still(v, self.frozen_rel) or self._switched_off(exp, ref, v):
            return []
        if any(U.gained(m) for m in exp.scalars if m.info.purpose == "task" and m.info.role != "loss"):
            return []
        level = float(np.median(v))
        return [NeverEvent(ref, view, "still", level, None, None, None, 1.0, U.zero_learning_rate(exp))]

    def _stalled_since(
        self, exp: Experiment, ref: SeriesRef, view: U.View, c: int, corroborated: bool = False
    ) -> Optional[int]:
        """The step from which the loss did not improve: its first (the `no_progress` test), or the
        step where it came down to ln C early in the run and then held there within `settle_rel`.
        A freshly initialised network's logits are far from uniform, so its loss can start well above
        ln C (106.9 for a 4-class head) and drop to the prior within the first updates (the output bias
        learns the class shares); what says it never learned is that it then sits at ln C itself."""
        if self.stall.stalled(exp, ref):
            return int(ref.series.steps[0])
        v = view.values
        n = v.shape[0]
        if n < 2 * self.min_points:
            return None
        ln_c = math.log(c)
        level = U.running_median(v, 5)
        held = self._held_from_early(np.abs(level - ln_c) <= self.settle_rel * ln_c)
        if held is not None:
            # Held within 1 % of ln C from there on: no improvement worth the name.
            return int(view.steps[held])
        # The wider band with an accuracy at 1/C beside it.  Alone, a loss that came down into the band
        # and wanders a few percent around ln C (a regression loss that settled there) says nothing of
        # classes; one that was already there at its first points and never fell in order did not move
        # from where an untrained classifier starts (a binary text classifier at 0.697 -> 0.689 over
        # 2,800 batches).
        held = self._held_in_band(view, level, ln_c)
        if held is None or corroborated:
            return held
        opening = float(np.median(v[: max(3, n // 10)]))
        lo, hi = self._prior_band(ln_c)
        if not lo <= opening <= hi or held > int(view.steps[min(n - 1, U.warmup(n))]):
            return None
        return None if self._partner_fits(exp, ref, ln_c) else held

    def _prior_band(self, ln_c: float) -> Tuple[float, float]:
        """Where a loss at the prior of C classes lies: from the entropy of a slightly uneven prior just
        under ln C to a softmax a little off uniform just above it."""
        return ln_c * (1 - self.prior_below), ln_c * (1 + self.chance_tol)

    def _partner_fits(self, exp: Experiment, ref: SeriesRef, ln_c: float) -> bool:
        """The same loss on the other split well under ln C: the model fits those inputs, so it does not
        output the prior (a regression's RMSLE near 1.09 on validation beside 0.16 in training)."""
        other = exp.partner(ref)
        if other is None or len(other.series) < 2:
            return False
        return self._tail_level(U.view_of(other, smooth=False).values) < ln_c * (1 - self.prior_below)

    def _held_in_band(self, view: U.View, level: np.ndarray, ln_c: float) -> Optional[int]:
        """A loss too noisy for the 1 % band (a 10-class CIFAR run at lr 0.05: 2.24-2.29 for 77 epochs,
        its accuracies at 0.12-0.14): from early on its level never leaves the band that names ln C, and
        what follows shows no ordered fall (a model learning slowly inside the band leaves it, or falls
        in order)."""
        v = view.values
        n = v.shape[0]
        if n < self.noisy_prior_min_points:
            return None
        lo, hi = self._prior_band(ln_c)
        held = self._held_from_early((level >= lo) & (level <= hi))
        if held is None:
            return None
        rest = v[held:]
        if U.trend_z(rest) > -self.noisy_prior_trend_z:
            return int(view.steps[held])
        fall = -U.sen_slope(rest) * (rest.shape[0] - 1)
        late = rest[rest.shape[0] // 2 :]
        if U.trend_z(late) <= -self.noisy_prior_trend_z:
            # Still falling in order over its last half: a decelerating fall (fast, then slow) is as deep
            # as its levels say, while its Theil-Sen line, the median slope, reads the slow half (a
            # point-cloud classifier's loss 1.145 -> 1.073 over 240 epochs, z -21: Theil-Sen 0.028).  A
            # loss settling onto the prior is done falling by then.
            start, end = U.end_medians(rest, max(3, rest.shape[0] // 10))
            fall = max(fall, start - end)
        if fall >= self.noisy_prior_fall * ln_c:
            return None
        return int(view.steps[held])

    def _held_from_early(self, inside: np.ndarray) -> Optional[int]:
        """Where `inside` first holds, when that is within `settle_share` of the run and it holds from
        there to the end; else None."""
        entered = np.flatnonzero(inside)
        if (
            not entered.size
            or entered[0] > self.settle_share * inside.shape[0]
            or not bool(np.all(inside[entered[0] :]))
        ):
            return None
        return int(entered[0])

    def _closing_level(self, mv: np.ndarray) -> float:
        """An accuracy's level over its last `tail_share` of evaluations (at least two)."""
        return float(np.median(mv[-max(2, int(self.tail_share * mv.shape[0])) :]))

    def _named_by_accuracies(self, level: float, accuracies: List[SeriesRef]) -> Optional[int]:
        """C above `bare_max_classes` whose ln C band holds `level`, when every accuracy closed within
        `chance_share_rel` of 1/C: the level alone fits a dozen neighbouring C (ln 90 to ln 110 lie 4 %
        apart), the accuracy names which (0.0085-0.0115 for a hundred classes)."""
        c = self._classes(level)
        if c is None or c <= self.bare_max_classes or not accuracies:
            return None
        for m in accuracies:
            mv = U.view_of(m, smooth=False).values
            at = self._closing_level(mv)
            if abs(at - 1.0 / c) > self.chance_share_rel / c:
                return None
        return c

    def _prior_classes(self, level: float) -> Optional[int]:
        """C whose ln C band holds `level`: the usual band for up to `bare_max_classes`, widened below
        by `prior_below` for up to `prior_max_classes` (an accuracy at 1/C is needed to name a larger C)."""
        c = self._classes(level)
        if c is not None:
            return c if c <= self.bare_max_classes else None
        for cand in range(2, self.prior_max_classes + 1):
            if math.log(cand) * (1 - self.prior_below) <= level < math.log(cand) * (1 - self.chance_below):
                return cand
        return None

    def _repeating(self, ref: SeriesRef):
        """(period, first step, share of the run) when the loss's last third onwards replays one
        sequence of values exactly, else None."""
        steps, v = U.finite_points(ref)
        steps, v = steps[-self.repeat_max_points :], v[-self.repeat_max_points :]
        n = v.shape[0]
        if n < self.repeat_min_points:
            return None
        tail = v[-(n // 3) :]
        if np.unique(tail).shape[0] > tail.shape[0] // 2:
            return None  # values that repeat at all are the rare case: most losses stop here
        moving = ~U.same(tail[1:], tail[:-1])
        if float(np.mean(moving)) < 0.5:
            return None
        for p in range(2, tail.shape[0] // self.repeat_min_periods + 1):
            if float(np.mean(U.same(tail[p:], tail[:-p]))) < self.repeat_share:
                continue
            # Extend back from the last third while every value repeats one period later.
            eq = U.same(v[p:], v[:-p])
            start = max(0, n - tail.shape[0] - p)
            misses = np.flatnonzero(~eq[:start])
            first = int(misses[-1]) + 1 if misses.size else 0
            if (n - first) < self.repeat_min_periods * p:
                continue
            # A loss that fell before it began replaying learned, then settled: minibatch SGD with a
            # fixed batch order converges to a cycle that repeats each epoch to float precision.
            opening, replayed = float(np.median(v[:p])), float(np.median(v[first:]))
            if opening - replayed > self.repeat_learned_rel * abs(opening):
                return None
            return p, int(steps[first]), (n - first) / n
        return None

    def _near_chance(self, m_level: float) -> bool:
        """An accuracy within `chance_share_rel` of 1/C for some class count C."""
        if not 1.0 / self.max_classes <= m_level <= 0.5 * (1 + self.chance_share_rel):
            return False
        c = max(2, int(round(1.0 / m_level)))
        return abs(m_level - 1.0 / c) <= self.chance_share_rel / c

    def _classes(self, level: float) -> Optional[int]:
        if not 0 < level <= math.log(self.max_classes) * (1 + self.chance_tol):
            return None
        c = int(round(math.exp(level)))
        best = None
        for cand in (c - 1, c, c + 1):
            if not 2 <= cand <= self.max_classes:
                continue
            lo, hi = math.log(cand) * (1 - self.chance_below), math.log(cand) * (1 + self.chance_tol)
            if 2 <= cand <= self.max_classes and lo <= level <= hi:
                if best is None or abs(level - math.log(cand)) < abs(level - math.log(best)):
                    best = cand
        return best

    def _reward(self, exp: Experiment, ref: SeriesRef) -> List[NeverEvent]:
        view = U.view_of(ref, smooth=False)
        v = view.values
        n = len(view)
        if n < self.reward_min_points:
            return []
        low = float(np.min(v))
        if low >= environments.SUCCESS_FLOOR and environments.is_success_rate(ref.tag, v):
            # A success rate held at a share of episodes that reached the goal (1 at every summary) is no
            # reward the agent never reached; one held near 0 is, and `_no_success` tells it so too.
            return []
        # Held "at" its lowest to `frozen_rel` of it: a return summed over a long episode (8760 hourly
        # costs of -3.2e8) that varies in its seventh digit between evaluations is one policy's score
        # plus rounding; a policy that changes moves its return by far more than 0.01 %.
        at_low = U.same(v, np.full_like(v, low)) | self._near(v, low)
        share = float(np.mean(at_low))
        if share < self.reward_share or not at_low[-1] or not at_low[0]:
            return []
        if U.another_task_gained(exp, ref):
            return []
        if not np.any(v) and _another_return_moves(exp, ref):
            # Exactly 0 at every summary beside a return of the same run that moves: a reward channel
            # nothing pays into (ML-Agents' group reward of agents trained without a group), not an
            # agent that never reached a reward.
            return []
        return [NeverEvent(ref, view, "reward", low, None, None, None, share, U.zero_learning_rate(exp))]

    def _unpaid_self_play(self, exp: Experiment, ref: SeriesRef) -> List[NeverEvent]:
        """A self-play return exactly 0 at every summary while no reward of its run ever moved: no episode
        paid the agent anything, whatever its rating did.  Self-play files its returns as auxiliary (they
        drift by design against a moving copy of the agent), so `_reward` never sees this one; but a
        zero-sum game that pays something moves its return away from exactly 0 in some summary."""
        if ref.info.role != "other" or not environments.is_episode_return(ref.tag):
            return []
        rating = _self_play_rating(exp, ref)
        if rating is None:
            return []
        view = U.view_of(ref, smooth=False)
        v = view.values
        if len(view) < self.reward_min_points or np.any(v != 0.0) or _a_reward_moves(exp, ref):
            return []
        return [NeverEvent(ref, view, "reward", 0.0, None, None, None, 1.0, U.zero_learning_rate(exp), partner=rating)]

    def _no_success(self, exp: Experiment, ref: SeriesRef) -> List[NeverEvent]:
        """A success rate whose best level (running median over a tenth of the run) never reached
        `environments.SUCCESS_FLOOR`, over at least `unsolved_min_points` summaries: the agent almost
        never reached the goal at any stage (a reach task at 0-0.04 over 2,700 summaries).  A success rate
        has the scale a return lacks, so no opening level or noise is needed to say so."""
        view = U.view_of(ref, smooth=False)
        v = view.values
        n = len(view)
        if n < self.unsolved_min_points or not environments.is_success_rate(ref.tag, v):
            return []
        best = _best_level(v)
        if best >= environments.SUCCESS_FLOOR or U.another_task_gained(exp, ref):
            return []
        return [
            NeverEvent(
                ref,
                view,
                "no_success",
                U.edge_levels(v)[1],
                None,
                None,
                None,
                float(np.mean(v > 0.0)),
                U.zero_learning_rate(exp),
                best=best,
            )
        ]

    def _unsolved(self, exp: Experiment, ref: SeriesRef) -> List[NeverEvent]:
        view = U.view_of(ref, smooth=False)
        v = view.values
        n = len(view)
        if n < self.unsolved_min_points:
            return []
        env = environments.of_return(exp.source, ref.run, ref.tag, v)
        if env is None:
            return []
        best = _best_level(v)
        if best >= env.floor + self.unsolved_share * (env.solved - env.floor):
            return []
        if U.trend_z(v[n // 2 :]) >= self.unsolved_climb_z:
            return []
        if U.another_task_gained(exp, ref):
            return []
        end = U.edge_levels(v)[1]
        share = (best - env.floor) / (env.solved - env.floor)
        return [
            NeverEvent(
                ref,
                view,
                "unsolved",
                end,
                None,
                None,
                None,
                share,
                U.zero_learning_rate(exp),
                env=env,
                best=best,
                exploration=self._early_exploration(exp, ref),
            )
        ]

    def _flat(self, exp: Experiment, ref: SeriesRef) -> List[NeverEvent]:
        """A return that ends within its own noise of where it started, never rose in order and never
        stood clearly above its opening, with the episodes no longer or shorter than at the start: the
        policy scores what it scored before it was trained."""
        view = U.view_of(ref, smooth=False)
        v = view.values
        n = len(view)
        if n < self.flat_entropy_min_points:
            return []
        entropy = self._entropy_held(exp, ref)
        if n < self.flat_min_points and entropy is None and not self._entropy_kept(exp, ref):
            return []
        steps = view.steps
        # A log that opens far into training continues a run from a checkpoint: its opening level is
        # already a trained policy's.
        if steps[0] >= self.flat_resumed_share * steps[-1]:
            return []
        sigma = U.residual_noise(v)
        if sigma <= 0.0:
            return []
        k, k_end = max(3, n // 10), max(3, n // 5)
        opening, closing = float(np.median(v[:k])), float(np.median(v[-k_end:]))
        noise = U.level_difference_se(sigma, k, k_end)
        levels = self._wandering_levels(v, k, sigma)
        # Two window levels differ by their wander times sqrt(2) when they wander more than the points do.
        level_noise = U.residual_noise(levels) * math.sqrt(2.0) if levels is not None else 0.0
        noise = max(noise, level_noise)
        end_z, gain_z = self._flat_thresholds(entropy, levels is not None)
        if closing - opening >= end_z * noise:
            return []
        if U.climbed_in_opening(v):
            return []
        best = float(np.max(U.running_median(v, k | 1) if levels is None else levels))
        for k_start in (k, 3):
            start = float(np.median(v[:k_start]))
            if best - start >= gain_z * max(U.level_difference_se(sigma, k_start, k), level_noise):
                return []
        if U.trend_z(v if levels is None else levels) >= self.flat_trend_z:
            return []
        if U.another_task_gained(exp, ref) or self._length_changed(exp, ref):
            return []
        if self._another_return_rose(exp, ref):
            return []
        return [
            NeverEvent(
                ref,
                view,
                "flat",
                closing,
                None,
                None,
                None,
                1.0,
                U.zero_learning_rate(exp),
                best=best,
                opening=opening,
                noise=noise,
                entropy=entropy,
                windows=levels is not None,
            )
        ]

    def _another_return_rose(self, exp: Experiment, ref: SeriesRef) -> bool:
        """Another return of `ref`'s run rose in order by the trend test `ref` itself failed: the greedy
        test return beside an exploring training one (a tic-tac-toe DQN's test reward -0.2 -> 0.8 over 40
        tests of five games, z 2.4, while its epsilon-greedy training reward wandered) says the policy
        learned, though its noise hides the gain from the edge-level test of `another_task_gained`."""
        for s in _other_returns(exp, ref):
            v = U.view_of(s, smooth=False).values
            if v.shape[0] >= self.flat_entropy_min_points and U.trend_z(v) >= self.flat_trend_z:
                return True
        return False

    def _wandering_levels(self, v: np.ndarray, k: int, sigma: float) -> Optional[np.ndarray]:
        """The medians of consecutive `k`-point windows of `v`, when they wander `flat_wander_factor` times
        more than independent points with noise `sigma` would let them (see `flat_wander_factor`)."""
        blocks = v.shape[0] // k
        if blocks < self.flat_wander_blocks:
            return None
        levels = np.median(v[: blocks * k].reshape(blocks, k), axis=1)
        white = U.MEDIAN_SE * sigma / math.sqrt(k)
        return levels if U.residual_noise(levels) > self.flat_wander_factor * white else None

    def _flat_thresholds(self, entropy: Optional[dict], windows: bool) -> Tuple[float, float]:
        """The flat test's (closing, best) allowances in standard errors: looser beside a held entropy,
        and for the best of the window levels when those are what is judged."""
        if entropy is None:
            end_z, gain_z = self.flat_end_z, self.flat_gain_z
        else:
            end_z, gain_z = self.flat_entropy_end_z, self.flat_entropy_gain_z
        return end_z, (max(gain_z, self.flat_wander_gain_z) if windows else gain_z)

    def _entropy_held(self, exp: Experiment, ref: SeriesRef) -> Optional[dict]:
        """The policy entropy of `ref`'s run (ML-Agents' `Policy/Entropy`, SB3's `train/entropy_loss`,
        which is its negative, CleanRL's `losses/entropy`) when it ended within `flat_entropy_rel` of
        where it began and every level between stayed within twice that."""
        for s, v, a, b in self._policy_entropies(exp, ref):
            n = v.shape[0]
            scale = max(abs(a), abs(b))
            if scale <= 0.0 or abs(b - a) > self.flat_entropy_rel * scale:
                continue
            levels = U.running_median(v, max(3, (n // 10) | 1))
            if float(np.max(np.abs(levels - a))) > 2 * self.flat_entropy_rel * scale:
                continue
            return {"tag": s.tag, "start": a, "end": b}
        return None

    def _policy_entropies(
        self, exp: Experiment, ref: SeriesRef
    ) -> Iterator[Tuple[SeriesRef, np.ndarray, float, float]]:
        """Each policy entropy of `ref`'s run with enough points to read, with its finite values and its
        opening (median of the first tenth) and closing (median of the last fifth) levels."""
        for s in exp.scalars:
            if s.run != ref.run or not environments.is_policy_entropy(s.tag):
                continue
            _, v = U.finite_points(s)
            n = v.shape[0]
            if n < self.flat_entropy_min_points // 2:
                continue
            yield s, v, float(np.median(v[: max(2, n // 10)])), float(np.median(v[-max(2, n // 5) :]))

    def _entropy_kept(self, exp: Experiment, ref: SeriesRef) -> bool:
        """A policy entropy of `ref`'s run (SB3's `entropy_loss` is its negative) that closed less than
        `flat_short_entropy_fall` below where it opened."""
        return any(
            a * b > 0.0 and abs(b) > (1.0 - self.flat_short_entropy_fall) * abs(a)
            for _, _, a, b in self._policy_entropies(exp, ref)
        )

    def _length_changed(self, exp: Experiment, ref: SeriesRef) -> bool:
        for s in exp.scalars:
            if s.run != ref.run or not U.EPISODE_LENGTH.search(s.tag):
                continue
            _, v = U.finite_points(s)
            if v.shape[0] < 6:
                continue
            a, b, _, _ = U.edge_levels(v)
            if a <= 0 or b <= 0 or max(a, b) > self.flat_length_factor * min(a, b):
                return True
        return False

    def _near(self, v: np.ndarray, level: float) -> np.ndarray:
        return np.abs(v - level) <= self.frozen_rel * abs(level)

    def _early_exploration(self, exp: Experiment, ref: SeriesRef) -> Optional[dict]:
        """An exploration rate logged beside the return (SB3's `rollout/exploration_rate`, an
        `epsilon`) that decayed to its final value within `early_exploration_share` of the run."""
        last = int(ref.series.steps[-1]) if len(ref.series) else 0
        for s in exp.scalars:
            if s.run != ref.run or not environments.is_exploration_rate(s.tag) or len(s.series) < 3:
                continue
            steps, vals = U.finite_points(s)
            if vals.size < 3 or not vals[0] > vals[-1] or last <= 0:
                continue
            floor = float(vals[-1])
            at = int(steps[int(np.flatnonzero(~U.same(vals, np.full_like(vals, floor)))[-1]) + 1])
            if at <= self.early_exploration_share * last:
                return {
                    "tag": s.tag,
                    "start": float(vals[0]),
                    "final": floor,
                    "reached_at_step": at,
                    "run_last_step": last,
                }
        return None

    def describe(self, e: NeverEvent) -> Finding:
        return never_stories.finding(self, e)


def _binary(metric: SeriesRef) -> bool:
    """An accuracy of outputs thresholded at 0.5 one by one (Keras's `binary_accuracy`)."""
    return metric.info.quantity == "accuracy" and "binary" in metric.tag.lower()


def _best_level(v: np.ndarray) -> float:
    """A return's best level: its highest running median over a tenth of the run (at least 3 summaries)."""
    return float(np.max(U.running_median(v, max(3, (v.shape[0] // 10) | 1))))


# Words of a precision-recall AUC (`auc_precision_recall`, `pr_auc`, `average_precision`): its chance
# level is the positives' share, not 0.5.
_PR_WORDS = {"pr", "precision", "recall", "ap", "prauc", "auprc"}


# A tag's words that only say "loss" or "accuracy", or name the split or the granularity: what is left
# names the head (`classification` in `val_classification_loss_epoch` and `val_classification_acc_epoch`).
_FRAME_WORDS = {"train", "training", "val", "valid", "validation", "test", "eval", "epoch", "step", "batch"}
_LOSS_NAME_WORDS = {"loss", "losses", "nll", "xent", "ce", "bce"}
_ACCURACY_NAME_WORDS = {"acc", "accuracy", "categorical", "binary", "sparse"}


def _head_words(tag: str, kind_words: set) -> frozenset:
    words = U.words(tag)
    if not set(words) & kind_words:
        return frozenset()
    return frozenset(w for w in words if w not in kind_words and w not in _FRAME_WORDS)


def _other_returns(exp: Experiment, ref: SeriesRef):
    """The returns (task series of role `other`) of `ref`'s run besides `ref`."""
    return (
        s
        for s in exp.scalars
        if s is not ref and s.run == ref.run and s.info.purpose == "task" and s.info.role == "other"
    )


def _another_return_moves(exp: Experiment, ref: SeriesRef) -> bool:
    """Another return of `ref`'s run takes more than one value."""
    for s in _other_returns(exp, ref):
        _, v = U.finite_points(s)
        if v.shape[0] >= 2 and float(np.ptp(v)) > 0.0:
            return True
    return False


def _self_play_rating(exp: Experiment, ref: SeriesRef) -> Optional[SeriesRef]:
    """The self-play rating (ML-Agents' `Self-play/ELO`) logged in `ref`'s run, when there is one."""
    for s in exp.scalars:
        if s.run == ref.run and s.info.purpose == "task" and "elo" in U.words(s.tag):
            return s
    return None


# Windows of three a curve needs before its least window median is discounted for chance (`_lowest_level`):
# from ten, the median residual that measures the noise is no longer one event's.
LOWEST_MIN_WINDOWS = 10


def _lowest_level(v: np.ndarray) -> float:
    """The lowest level a loss sat at (the least running median of three), raised by what the least of
    its n/3 window medians falls under their common level by chance alone: the universal bound
    sqrt(2 ln m) standard errors for the least of m Gaussian draws.  A loss held at ln 3 for 200 epochs
    with 4 % noise per epoch has a least window median 7 % under ln 3 without ever having learned; a dip
    that says the model learned something and lost it again must reach below that.  Only from
    `LOWEST_MIN_WINDOWS` windows: on a shorter curve the residual noise is read from a handful of points,
    among them the dip itself (a model that learned for three epochs of eight and then collapsed)."""
    least = float(np.min(U.running_median(v, 3)))
    m = v.shape[0] // 3
    if m < LOWEST_MIN_WINDOWS:
        return least
    se = U.MEDIAN_SE * U.residual_noise(v) / math.sqrt(3.0)
    return least + se * math.sqrt(2.0 * math.log(m))


def _a_reward_moves(exp: Experiment, ref: SeriesRef) -> bool:
    """Another reward or return of `ref`'s run, whatever its purpose, takes more than one value
    (ML-Agents' group reward of a team that scores, an extrinsic reward beside a curiosity one)."""
    for s in exp.scalars:
        if s is ref or s.run != ref.run or s.info.role != "other":
            continue
        if not (environments.is_episode_return(s.tag) or "reward" in U.words(s.tag)):
            continue
        _, v = U.finite_points(s)
        if v.shape[0] >= 2 and float(np.ptp(v)) > 0.0:
            return True
    return False


def _tiny_learning_rate(exp: Experiment, limit: float) -> Optional[float]:
    """The largest learning rate logged, when the run logs one and every value of every one is above
    zero and at most `limit` (exactly zero is `zero_learning_rate`'s story), else None."""
    lrs = [s.series.values for s in exp.find(role="learning_rate") if len(s.series)]
    if not lrs:
        return None
    allv = np.concatenate(lrs)
    if not np.all(np.isfinite(allv)) or float(np.min(allv)) <= 0.0 or float(np.max(allv)) > limit:
        return None
    return float(np.max(allv))


def _level_speaks(exp: Experiment, ref: SeriesRef) -> bool:
    """A loss whose own level tells whether the model learned: not an RL run's surrogate (its return tells
    that), and not a per-batch loss of a split that also logs its per-epoch objective (which speaks for it)."""
    if U.reinforcement_learning(exp):
        return False
    return not (
        ref.info.granularity == "batch"
        and any(
            s.info.granularity != "batch" and s.info.purpose in ("objective", None)
            for s in exp.find(role="loss", split=ref.info.split)
        )
    )


def _peak(ref: SeriesRef) -> float:
    """The highest finite value of a series, or 0 when it has none."""
    _, v = U.finite_points(ref)
    return float(np.max(v)) if v.shape[0] else 0.0


# Separators of a tag's words: a part's name follows the stem of the score it breaks down.
_PART_SEPARATORS = "/_-: "
# The stem is shortened by at most this many words to find the other parts (a class name may hold one).
_PART_MAX_WORDS = 2


def _parts_beside(exp: Experiment, ref: SeriesRef) -> List[SeriesRef]:
    """Series of `ref`'s run whose tags share its stem: the tag up to one of its last separators, kept
    inside the same top-level folder (`curriculum/success_rate` for `curriculum/success_rate_L2`)."""
    tag = ref.tag
    cuts = [i for i, ch in enumerate(tag) if ch in _PART_SEPARATORS]
    top = tag.find("/")
    for i in reversed(cuts[-_PART_MAX_WORDS:]):
        if top >= 0 and i <= top:
            break
        stem = tag[: i + 1]
        parts = [s for s in exp.scalars if s.run == ref.run and s.tag != ref.tag and s.tag.startswith(stem)]
        if parts:
            return parts
    return []


def _held_still(v: np.ndarray, rel: float) -> bool:
    """Every value within `rel` of the level (or the absolute float tolerance): nothing moved."""
    return float(np.ptp(v)) <= max(U.SAME_VALUE_ATOL, rel * abs(float(np.median(v))))


def _losses_held(exp: Experiment, rel: float) -> bool:
    """Every per-epoch objective loss of the experiment ends within `rel` of its opening level
    (medians of up to three points at each end)."""
    for s in U.objective_losses(exp):
        v = U.view_of(s, smooth=False).values
        if v.shape[0] < 2:
            continue
        k = max(1, min(3, v.shape[0] // 2))
        opening, end = float(np.median(v[:k])), float(np.median(v[-k:]))
        if abs(opening - end) > rel * abs(opening):
            return False
    return True


def _held_from(v: np.ndarray) -> int:
    """Index of the first value of the stretch at the end of `v` that holds its last value exactly."""
    off = np.flatnonzero(~U.same(v, np.full(v.shape[0], float(v[-1]))))
    return int(off[-1]) + 1 if off.size else 0


def _split_metric_gained(exp: Experiment, ref: SeriesRef) -> bool:
    """Another per-evaluation task metric of `ref`'s split clearly improved."""
    return any(
        U.gained(m)
        for m in exp.find(split=ref.info.split)
        if m is not ref and m.info.purpose == "task" and m.info.granularity != "batch"
    )
