"""Level changes: `metric_collapse`, `transient_dip` (a higher-is-better metric
falls sharply, and stays down or recovers) and `loss_divergence` (a loss climbs
far above its best and does not come back)."""

from __future__ import annotations

import dataclasses
import re
from typing import List, Optional

import numpy as np

from ..model import EV_TASK_WORSE, Experiment, Finding, SeriesRef
from . import environments
from . import stats as U
from .base import Detector
from .wording import capital, fmt, make_finding, short


@dataclasses.dataclass(frozen=True, eq=False)
class DropEvent:
    """One sharp fall: a dip that came back (or may yet), or a collapse."""

    ref: SeriesRef
    view: U.View
    loss: Optional[SeriesRef]  # the loss of the same split, for the story
    pre: int  # index of the last healthy point
    first: int  # first low point
    bottom: int
    recovered: Optional[int]  # index where it came back, None when it did not
    threshold: float
    sigma: float
    pending: bool  # a single low last point: too early to call it a collapse
    # For collapses: where the metric settled.
    pinned: bool = False
    pinned_from: int = 0  # index of the first pinned point


@dataclasses.dataclass(frozen=True)
class MetricDrops(Detector[DropEvent]):
    """A higher-is-better metric falls sharply: `transient_dip` when it comes back, `metric_collapse`
    when it does not."""

    name = "metric_drops"
    kinds = ("metric_collapse", "transient_dip")

    drops: U.DropTest = dataclasses.field(default_factory=U.DropTest)
    # "Recovers within a few evaluations": a slower recovery is still a dip (it recovered), but the
    # explanation says a checkpoint would have saved the evaluations.
    dip_max_evals: int = 5
    # A collapsed metric that ends on this many identical values has pinned (predictions frozen).
    pinned_min_evals: int = 3
    # A fall seen only at the last evaluation is called a collapse only when it is this many times the
    # threshold (post 002's 0.975 -> 0.598 is); a smaller one may be noise the next point undoes.
    collapse_single_point_k: float = 2.0
    # More dips than this in one curve is a pattern (oscillation or plain noise), not an event ...
    max_dips: int = 3
    # ... except a last fall deeper than all of them that never came back, and stayed down for this
    # share of the run (a tenth: long enough that "it may yet recover" no longer holds) ...
    collapse_min_share: float = 0.1
    # ... or that the run ended in, having given back at least this share of everything between the
    # metric's worst and best values (a gesture classifier's 0.91 -> 0.41 in its last two epochs): the
    # final model is the one the user keeps.  The noisy healthy curves of the tuned corpus and blind
    # batches that end in a dip give back at most a third.
    ended_fall_share: float = 0.5
    # A collapse's level after the fall is the median of this many points from the first low one (fewer
    # at the end of the run): enough to outvote one noisy point, few enough to stay inside a short run.
    level_points: int = 3

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[DropEvent]:
        if not U.judged(ref, ("metric_up",)):
            return []
        view = U.view_of(ref)
        v = view.values
        # A fall from an opening 1 is the model starting to discriminate, not breaking (a binary
        # classifier's recall 1 -> 0.81 at its second evaluation while its validation loss falls at
        # every one).
        trivial = U.opens_at_ceiling(v)
        events = [e for e in self.drops(view) if not (trivial and e["pre"] == 0)]
        if len(events) > self.max_dips:
            events = self._final_collapse(v, events)
        if not events:
            return []
        out = []
        loss = exp.loss_for(ref)
        for e in events:
            pre_i, first, bottom, rec = e["pre"], e["first"], e["bottom"], e["recovered"]
            pre, low = v[pre_i], v[bottom]
            pending = (
                rec is None and first == len(view) - 1 and pre - low < self.collapse_single_point_k * e["threshold"]
            )
            if rec is None and not self._level_fell(v, pre_i, first, e["threshold"]):
                continue
            ev = DropEvent(ref, view, loss, pre_i, first, bottom, rec, e["threshold"], e["sigma"], pending)
            if rec is None and not pending:
                # Where the metric settled: the run of identical values it ends on, if any.
                tail = v[bottom:]
                k = tail.shape[0]
                while k > 1 and U.same(tail[k - 2 : k - 1], tail[-1:])[0]:
                    k -= 1
                held = tail.shape[0] - k + 1
                pinned = bool(held >= self.pinned_min_evals or (held >= 2 and held == tail.shape[0]))
                ev = dataclasses.replace(ev, pinned=pinned, pinned_from=bottom + k - 1)
            out.append(ev)
        return out

    def _level_fell(self, v: np.ndarray, pre_i: int, first: int, threshold: float) -> bool:
        """A collapse is a fall of the metric's level, not of one high point: the mean of the last healthy
        point and the one before it lies the threshold above the median of the (up to) `level_points`
        points from the first low one.  A per-batch accuracy wandering 0.59-0.69 with one 0.74 falls
        from that 0.74 by three of its noise units, and stays where it was before it."""
        if pre_i < 1:
            return True
        before = 0.5 * float(v[pre_i - 1] + v[pre_i])
        after = float(np.median(v[first : first + self.level_points]))
        return before - after >= threshold

    def _final_collapse(self, v: np.ndarray, events: List[dict]) -> List[dict]:
        """Of a curve with many drops, the last one when it is a collapse that stands apart from the rest:
        it never came back, it fell deeper than any dip before it, and the metric stayed down for at least
        `collapse_min_share` of the run.  A noisy climb dips and recovers many times; a model that breaks
        after it (a training accuracy 0.97 -> 0.19 for the last 600 of 1500 epochs) is not noise."""
        last = events[-1]
        if last["recovered"] is not None or last["first"] == len(v) - 1:
            return []
        fall = v[last["pre"]] - v[last["bottom"]]
        if any(v[e["pre"]] - v[e["bottom"]] >= fall for e in events[:-1]):
            return []
        if len(v) - last["first"] < self.collapse_min_share * len(v):
            top, low = float(np.max(v)), float(np.min(v))
            end = float(np.median(v[last["first"] :]))
            if not (top > low and top - end >= self.ended_fall_share * (top - low)):
                return []
        return [last]

    def describe(self, e: DropEvent) -> Finding:
        ref, view, v = e.ref, e.view, e.view.values
        pre, low = v[e.pre], v[e.bottom]
        name = short(ref)
        healthy_step = int(view.end_steps[e.pre])
        evidence = {
            "before_value": pre * view.raw_scale,
            "before_step": healthy_step,
            "lowest_value": low * view.raw_scale,
            "lowest_step": int(view.steps[e.bottom]),
            "drop": (pre - low) * view.raw_scale,
            "threshold": e.threshold * view.raw_scale,
            "noise": e.sigma * view.raw_scale,
            "last_healthy_step": healthy_step,
        }
        loss_note = _loss_note(e.loss, view, e.pre, e.bottom)
        rec = e.recovered
        if rec is not None or e.pending:
            evals = (rec - e.first) if rec is not None else 1
            if rec is not None:
                evidence.update(
                    recovered_step=int(view.steps[rec]), recovered_value=v[rec] * view.raw_scale, evaluations_low=evals
                )
                back = "recovered to %s by step %d" % (view.shown(v[rec]), int(view.steps[rec]))
                came = (
                    "came back within %d evaluation%s" % (evals, "" if evals == 1 else "s")
                    if evals <= self.dip_max_evals
                    else "took %d evaluations to come back (restoring the checkpoint from step %d would have "
                    "saved them)" % (evals, healthy_step)
                )
            else:
                evidence.update(pending=True)
                back = "(the last evaluation: watch the next one)"
                came = "has not come back yet, at the last evaluation logged"
            title = "%s fell %s → %s at step %d and %s" % (
                name,
                view.shown(pre),
                view.shown(low),
                view.onset_step(e.first),
                back,
            )
            expl = (
                "%s dropped sharply (by %s, %.1f times the curve's usual step-to-step noise) and %s. "
                "A one-off dip that recovers is usually harmless: an unlucky "
                "update, a batch of hard examples, or predictions sitting close to the decision "
                "threshold so that a small weight change flips many of them. %sIf it recurs, lower the "
                "learning rate; and select checkpoints on the loss rather than on this metric."
                % (
                    capital(name),
                    view.shown(pre - low),
                    (pre - low) / e.sigma if e.sigma > 0 else float("inf"),
                    came,
                    loss_note,
                )
            )
            return make_finding(
                ref,
                "transient_dip",
                "info",
                view,
                e.first,
                rec - 1 if rec is not None else e.first,
                title,
                expl,
                evidence,
                related=[e.loss],
            )
        pinned_value, pinned_from = v[-1], int(view.steps[e.pinned_from])
        evidence.update(
            recovered=rec is not None,
            pinned=e.pinned,
            pinned_value=pinned_value * view.raw_scale if e.pinned else None,
            final_value=v[-1] * view.raw_scale,
        )
        when = "and has not recovered"
        title = "%s collapsed %s → %s at step %d %s" % (
            name,
            view.shown(pre),
            view.shown(low),
            view.onset_step(e.first),
            when,
        )
        if e.pinned and not U.same(np.asarray([low]), np.asarray([pinned_value]))[0]:
            # The number a user sees on every later step is the one to name.
            title += "; pinned at %s from step %d" % (view.shown(pinned_value), pinned_from)
        elif e.pinned:
            title += "; pinned there"
        parts = [
            "%s fell from %s to %s between step %d and step %d %s. "
            % (capital(name), view.shown(pre), view.shown(low), healthy_step, view.onset_step(e.first), when)
        ]
        if (
            e.pinned
            and U.is_fraction(v)
            and ref.info.quantity in ("accuracy", "acc", "binary_accuracy", "categorical_accuracy")
        ):
            parts.append(
                "From step %d on it holds exactly %s: a value that does not move means the predictions "
                "stopped changing, and %s is almost surely the share of the most frequent class in "
                "this data: the model now predicts one class for every input. "
                % (pinned_from, view.shown(pinned_value), view.shown(pinned_value))
            )
        parts.append(
            "A sudden, lasting fall means one large update broke the network: typically a learning "
            "rate too high (a spike in the gradient, Adam/Nadam with a large step), ReLU units that died "
            "after that step (a narrow ReLU layer of a few units is especially fragile), or outputs "
            "that saturated. %sCheck the loss at the same step (a jump says the weights blew up; "
            "compare the learning rate schedule), the weight and activation histograms for dead or "
            "exploding layers, and rerun with a 3-10x lower learning rate or gradient clipping. " % loss_note
        )
        parts.append("Restore the checkpoint from step %d or earlier." % healthy_step)
        return make_finding(
            ref,
            "metric_collapse",
            "error",
            view,
            e.first,
            len(view) - 1,
            title,
            "".join(parts),
            evidence,
            related=[e.loss],
        )


def _loss_note(loss: Optional[SeriesRef], view: U.View, pre_i: int, bottom: int) -> str:
    if loss is None:
        return ""
    s = loss.series
    ok = np.isfinite(s.values)
    steps, vals = s.steps[ok], s.values[ok]
    a = np.flatnonzero(steps == view.end_steps[pre_i])
    b = np.flatnonzero(steps == view.steps[bottom])
    if not a.size or not b.size:
        return ""
    la, lb = float(vals[a[0]]), float(vals[b[0]])
    return "Over the same steps %s went %s → %s. " % (short(loss), fmt(la), fmt(lb))


@dataclasses.dataclass(frozen=True, eq=False)
class DivergenceEvent:
    ref: SeriesRef
    view: U.View
    best: int  # index of the best (lowest) point
    onset: int  # index where the climb starts
    threshold: float
    sigma: float
    related: List[SeriesRef]  # the other split's loss, the first metric
    # (metric, level before, lowest, closing level): a 0-1 metric of the split the climb cost (`U.MetricFell`).
    task_worse: Optional[tuple] = None


@dataclasses.dataclass(frozen=True)
class LossDivergence(Detector[DivergenceEvent]):
    """A loss climbs far above its best and does not come back."""

    name = "loss_divergence"
    kinds = ("loss_divergence",)

    divergence: U.DivergenceTest = dataclasses.field(default_factory=U.DivergenceTest)
    # Fewer evaluations give no noise estimate worth a threshold, as `NoProgress` judges no trend on
    # fewer: there only a loss that at least doubled its best counts (post 002's 0.139 -> 6.47 over two
    # epochs).  On five to seven white-noise points the residual noise reads under a third of the true
    # noise in 13-31 % of curves, and five minibatch losses 0.096, 0.109, 0.080, 0.111, 0.094 (a fragment
    # a restart left) read 0.004 and their last two points as a climb of six noise units.
    min_points: int = 8
    # Overfitting (which judges the training side as no_progress does) claims a validation climb only
    # when training learned; a climb beside a training loss that never did is nobody else's story.
    # The registry hands in the no_progress detector (detectors do not import one another); without
    # it every such climb is left to overfitting.
    stall: Optional[Detector] = None
    # A climb that knocked a 0-1 metric of its split down for good is news whatever that metric gained
    # over the whole run (`purpose.gate` keeps such a finding): a classifier at 0.94 whose loss climbs
    # over its last ten epochs while its accuracy falls to 0.46 ends worse than it was, though 0.46 is
    # above its first epoch's 0.31.
    witness: U.MetricFell = dataclasses.field(default_factory=U.MetricFell)

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[DivergenceEvent]:
        if not U.judged(ref, ("loss",)):
            return []
        # Zeros written before the first update are no best to climb from.
        view = U.view_of(ref, from_first_update=True)
        got = self.divergence(view)
        if got is None:
            return []
        if len(view) < self.min_points:
            best = float(view.values[got[0]])
            if not (best > 0 and float(view.values[-1]) >= (1.0 + self.divergence.rel_best) * best):
                return []
        partner = exp.partner(ref)
        best_i, onset, thr, sigma = got
        if ref.info.split in ("validation", "test") and partner is not None:
            # A validation loss that climbs while training loss does not is overfitting's story, unless
            # it blew up (1e4 -> 1.4e14 on unseen graphs): numbers, not memorising.
            if (
                self.divergence(U.view_of(partner)) is None
                and not U.blew_up(view.unsmoothed, onset)
                and not (self.stall is not None and self.stall.stalled(exp, partner))
            ):
                return []
        related = [partner] if partner is not None else []
        healthy = int(view.end_steps[max(onset - 1, 0)])
        worse = self.witness(exp, ref, healthy, healthy)
        metrics = [worse[0]] if worse is not None else exp.metrics_for(ref)[:1]
        return [DivergenceEvent(ref, view, best_i, onset, thr, sigma, related + metrics, worse)]

    def describe(self, e: DivergenceEvent) -> Finding:
        view, v = e.view, e.view.values
        best_i, onset = e.best, e.onset
        name = short(e.ref)
        healthy = int(view.end_steps[onset - 1])
        peak_i = onset + int(np.argmax(v[onset:]))
        title = "%s diverged: %s at step %d → %s at step %d, never back" % (
            name,
            fmt(v[best_i]),
            int(view.steps[best_i]),
            fmt(v[-1]),
            int(view.end_steps[-1]),
        )
        expl = (
            "%s reached its best, %s, at step %d, then climbed to %s (peak %s) from step %d on and did not "
            "come back: the optimiser is no longer descending. The usual causes are a learning rate too "
            "high for this stage of training (check whether a warm-up ended or a schedule raised it at step "
            "%d), exploding gradients (look at the gradient or weight histograms; clipping the gradient norm "
            "fixes this one), or numerically saturated outputs (a loss near 16.1 x the error rate is the "
            "clipped-probability signature). Lower the learning rate and restore the checkpoint from step %d "
            "or earlier."
            % (
                capital(name),
                fmt(v[best_i]),
                int(view.steps[best_i]),
                fmt(v[-1]),
                fmt(v[peak_i]),
                view.onset_step(onset),
                view.onset_step(onset),
                healthy,
            )
        )
        evidence = {
            "best_value": v[best_i],
            "best_step": int(view.steps[best_i]),
            "final_value": v[-1],
            "peak_value": v[peak_i],
            "threshold": e.threshold,
            "noise": e.sigma,
            "last_healthy_step": healthy,
        }
        if e.task_worse is not None:
            metric, before, low, end = e.task_worse
            expl += (
                " It cost the model what it had learned: %s fell from %s to %s after step %d and ends at %s, "
                "below where it stood before the climb." % (short(metric), fmt(before), fmt(low), healthy, fmt(end))
            )
            evidence[EV_TASK_WORSE] = {"tag": metric.tag, "before": before, "lowest": low, "final": end}
        return make_finding(
            e.ref, "loss_divergence", "error", view, onset, len(view) - 1, title, expl, evidence, related=e.related
        )


@dataclasses.dataclass(frozen=True, eq=False)
class RewardCollapseEvent:
    ref: SeriesRef
    view: U.View
    start: float  # level over the first points
    peak_i: int  # index of the best level
    peak: float
    onset: int  # first point of the fall
    end: float  # level over the last points
    threshold: float
    sigma: float
    learned: bool  # the climb to the peak was beyond noise
    never: bool  # no climb beyond the opening, and it ends below each of its first summaries
    # An evaluation return that never rose and fell while this training return of the run climbed:
    # the policy got better on the episodes it trains on and worse on those it is evaluated on.
    trained: Optional[SeriesRef] = None
    # A collapse in the closing summaries only, too few for a level window: how many of them.
    closing: int = 0
    # Never rose, and fell by more than its opening level's own magnitude: a collapse, not a standstill.
    far: bool = False


@dataclasses.dataclass(frozen=True)
class RewardCollapse(Detector[RewardCollapseEvent]):
    """An RL return that climbed and then fell back, and stays down (`metric_collapse`); one that
    never climbed and ends far below where it started never learned (`never_learned`): its
    agent does worse than the near-random policy it began with.

    Returns are noisy and unbounded, so levels are running medians and the fall is weighed
    against both the noise and what the agent had learned."""

    name = "reward_collapse"
    kinds = ("metric_collapse", "never_learned", "overfitting")

    # A return's level needs a run of summaries: fewer cannot tell a collapse from noise.
    min_points: int = 10
    # Levels are medians over this share of the run (at least 3 summaries).
    level_share: float = 0.1
    # The fall must exceed this many standard errors of the two levels' difference ...
    noise_k: float = 4.0
    # ... and give back this share of what the agent had gained (peak level minus start level):
    # a noisy plateau a little below its best has not collapsed.
    gave_back: float = 0.75
    # ... or this smaller share when the climb to the peak was clean: no drop on the way up deeper
    # than `clean_climb` of the fall.  A return that swung down and back while climbing can swing
    # again at the end (adversarial self-play, a noisy evaluation); one that never did and now gives
    # back 40 % or more of all it learned has met something new.
    partial_gave_back: float = 0.4
    clean_climb: float = 0.25
    # A return that never rose and fell by more than this share of its opening level's magnitude (-164 ->
    # -4,523, -2,153 -> -8,848, -2.5 -> -8.0) moved far, by SPEC's measure a collapse of what the agent does,
    # not a metric that never moved; within it (-94 -> -98, 0.64 -> 0.20, -1,122 -> -1,579) the agent
    # learned nothing and drifted below its first scores, which `never_learned` tells.  One opening
    # magnitude is above every drift labelled never_learned (the largest 69 %), and every fall beyond it
    # was labelled a collapse or no progress.
    never_fall_share: float = 1.0
    # The share of its level an opening climb must gain to count as held (`gained`'s tenth): the first
    # summaries of a running-mean return average a handful of episodes, and wobble many noise units of
    # its smooth later curve (an SB3 drone return -96.1 -> -91.7 -> -97.6 never learned).
    held_share: float = 0.1
    # A collapse confined to the closing summaries (an SB3 PPO return 55 -> 1173, then 402, 205, 218, 87,
    # 82 in the last five of 123) is too short for a level window of a tenth of the run.  It counts when
    # every one of at least `crash_min` closing summaries, and `crash_share` of the run, lies below the
    # opening plus (1 - `gave_back`) of what the agent gained: a running-mean return averages many
    # episodes per summary, so several in a row that far down are a policy that broke, and on a per-episode
    # return the share keeps a few unlucky closing episodes of a long run from reading as one.
    crash_min: int = 3
    crash_share: float = 0.02
    # Only a policy that clearly learned can be seen to break in a few summaries: its best level must
    # stand this share of its magnitude above the opening median (55 -> 1173 did; a sparse return whose
    # running median wandered 0.17 -> 0.23 had gained nothing a fall could be measured against).
    crash_gain_share: float = 0.5
    # The mirror image: a collapse whose last `crash_min` or more summaries all stand back in the top
    # quarter of the gain (above the opening plus `gave_back` of it) and `noise_k` single-summary noise
    # above the collapsed level has recovered by the end of what is logged, however few they are against
    # the level window (a policy-gradient LunarLander return at 150-260, then -100..-3 for sixty
    # iterations, then 221, 260, 244, 198 in its last four of 300): "has not recovered" would be false.
    # The noise margin is what keeps a few lucky episodes of a noisy per-episode return from reading
    # as one.

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[RewardCollapseEvent]:
        if ref.info.purpose != "task" or ref.info.role != "other":
            return []
        view = U.view_of(ref, smooth=False)
        v = view.values
        n = len(view)
        if n < self.min_points:
            return []
        k = max(3, int(self.level_share * n))
        level = U.running_median(v, k | 1)
        start = float(np.median(v[:k]))
        end = float(np.median(v[-k:]))
        peak_i = int(np.argmax(level[: n - k]))
        peak = float(level[peak_i])
        if peak < environments.SUCCESS_FLOOR and environments.is_success_rate(ref.tag, v):
            # A success rate that never reached one episode in twenty has nothing to give back: its
            # 0.01 -> 0 is one lucky episode gone (`never_learned` tells it).
            return []
        sigma = U.residual_noise(v)
        se = 1.2533 * sigma * np.sqrt(2.0 / k)
        # When most of the climb was made inside the opening window (3.8 -> 40.8 -> 45.8: start
        # median 40.8), what it learned counts from the lowest opening summary; from the median it
        # reads as a gain of 4, and a plateau drifting 44.7 -> 42.6 as giving half of it back (a TD3
        # return 36.7 -> 99.6 in its first 2 % whose running mean then wanders 99.2-99.7 read as
        # giving back 0.06 of a "gain" of 0.08).  Whether it learned at all is read from there too: an
        # ML-Agents return 50 -> 132 -> 171 in its first three summaries that held 170-199 for sixteen
        # more gained only 62 over its opening median, under four standard errors of noise 25, and its fall
        # to -35 at the end read as a policy that "never rose above where it started".
        low = float(np.min(v[:k]))
        opening = low if start - low > peak - start else start
        thr = max(self.noise_k * se, self.gave_back * (peak - opening))
        # An agent that never clearly gained but ends far below where it began has got worse than
        # the policy it began with: a collapse when a fast climb fits inside the opening window
        # (Pendulum -1200 -> -130 in 3 % of the run, then back), `never_learned` when it does not.
        regressed = start - end > self.noise_k * se
        learned = peak - opening > self.noise_k * se
        if not learned and not regressed:
            return []
        closing = 0
        if peak - end < thr:
            climb = level[: peak_i + 1]
            dip = float(np.max(np.maximum.accumulate(climb) - climb))
            partial = max(self.noise_k * se, self.partial_gave_back * (peak - opening))
            if learned and peak - end >= partial and dip <= self.clean_climb * (peak - end):
                thr = partial
            else:
                clear = peak - start >= self.crash_gain_share * max(abs(peak), abs(start))
                closing = self._closing_crash(v, opening, peak, sigma) if learned and clear else 0
                if not closing:
                    return []
                end = float(np.median(v[-closing:]))
        if _still_solved(exp, ref, v, end):
            return []
        if learned and not closing and self._recovered_at_end(v, opening, peak, end, sigma):
            return []
        # Where the level first drops half the threshold below the peak.  Without a climb the "peak"
        # is a noisy start: the fall is dated at its halfway level instead.
        cut = thr / 2 if learned else (peak - end) / 2
        below = np.flatnonzero(level[peak_i:] < peak - cut)
        onset = peak_i + int(below[0]) if below.size else n - k
        if closing:
            onset = n - closing
        # The fall began as the curriculum moved to a harder lesson: returns of different tasks.
        fell_by = float(view.end_steps[min(n - 1, max(peak_i, onset) + 1)])
        if any(float(view.end_steps[peak_i]) <= s <= fell_by for s in _curriculum_advances(exp, ref.run)):
            return []
        # Never learned: the return slid from its opening level to far below it (`regressed`), with
        # no climb beyond the opening window (a best level inside it is the first policies' luck),
        # and ends below each of its first three summaries: a fast learner whose climb fits inside
        # the window started below where it ends.
        # A climb inside the window that held is no luck, though: a peak level (a median of at least half a
        # window of summaries) `noise_k` standard errors and `held_share` of its level above the first
        # summary, the untrained policy's, was learned (an ML-Agents return 55 -> 129 in its first three
        # of 100 summaries that held ~100 for eight more, then sank to 30-47, unlearned it).
        rise = peak - float(v[0])
        held = learned and rise > max(self.noise_k * se, self.held_share * max(abs(peak), abs(float(v[0]))))
        never = not closing and regressed and not (learned and (peak_i >= k or held)) and end < float(np.min(v[:3]))
        trained = self._trained_return(exp, ref) if never else None
        # (An opening within its own noise of zero, 3 +- 4, is no magnitude to measure a fall in.)
        far = never and abs(start) > self.noise_k * se and start - end > self.never_fall_share * abs(start)
        return [
            RewardCollapseEvent(
                ref, view, start, peak_i, peak, onset, end, thr, sigma, learned, never, trained, closing, far
            )
        ]

    def _closing_crash(self, v: np.ndarray, opening: float, peak: float, sigma: float) -> int:
        """How many closing summaries lie below the opening plus (1 - `gave_back`) of the gain, each
        `noise_k` single-summary noise under the peak level; 0 when too few for a collapse."""
        n = v.shape[0]
        cut = min(opening + (1.0 - self.gave_back) * (peak - opening), peak - self.noise_k * sigma)
        above = np.flatnonzero(v >= cut)
        closing = n - 1 - int(above[-1]) if above.size else n
        return closing if closing >= max(self.crash_min, int(np.ceil(self.crash_share * n))) else 0

    def _recovered_at_end(self, v: np.ndarray, opening: float, peak: float, end: float, sigma: float) -> bool:
        """At least `crash_min` closing summaries, every one back in the top quarter of the gain and
        `noise_k` single-summary noise above the collapsed level `end`."""
        cut = max(opening + self.gave_back * (peak - opening), end + self.noise_k * sigma)
        tail = v[-self.crash_min :]
        return v.shape[0] > self.crash_min and bool(np.all(tail >= cut))

    @staticmethod
    def _trained_return(exp: Experiment, ref: SeriesRef) -> Optional[SeriesRef]:
        """For an evaluation return, a return of the same run outside evaluation (the rollouts') that
        clearly gained: the agent learned, so the evaluation's fall is no policy that never learned."""
        if ref.info.split not in ("validation", "test"):
            return None
        for o in exp.scalars:
            if (
                o is not ref
                and o.run == ref.run
                and o.info.purpose == "task"
                and o.info.role == "other"
                and o.info.split not in ("validation", "test")
                and U.gained(o)
            ):
                return o
        return None

    def describe(self, e: RewardCollapseEvent) -> Finding:
        if e.trained is not None:
            return self._describe_diverged(e)
        view = e.view
        name = e.ref.tag
        best_step = int(view.end_steps[e.peak_i])
        never = e.never and not e.far
        if not never:
            title = "%s collapsed %s → %s from step %d and has not recovered" % (
                name,
                fmt(e.peak),
                fmt(e.end),
                view.onset_step(e.onset),
            )
            if e.closing:
                story = (
                    "climbed from %s to %s (its best level, step %d), then fell to %s from step %d on, in its last "
                    + (
                        "%d summaries: the policy broke at the end of what is logged. A fall this late may still be a dip "
                        "training had not yet recovered from, so compare the checkpoint saved there with the best one."
                        % e.closing
                    )
                )
            elif e.learned:
                story = "climbed from %s to %s (its best level, step %d), then fell to %s from step %d on and stays there: the policy unlearned what it had learned."
            else:
                story = "started at %s (best level %s, step %d) and fell to %s from step %d on, far below where it started: the policy ended worse than the one it began with."
            expl = (
                "%s " + story + " In off-policy methods (SAC, TD3, DQN) "
                "the usual causes are a critic that overestimates and then diverges (check the Q-value and "
                "critic loss at the same steps), an entropy temperature that collapsed or exploded, or a replay "
                "buffer overwritten by data from the degraded policy; in on-policy methods a learning rate or "
                "clip range too large for the late stage. Restore the checkpoint from step %d, lower the "
                "learning rate, clip gradients, and compare the value estimates with the returns."
            ) % (capital(name), fmt(e.start), fmt(e.peak), best_step, fmt(e.end), view.onset_step(e.onset), best_step)
        else:
            title = "%s never rose above where it started and fell %s → %s from step %d" % (
                name,
                fmt(e.start),
                fmt(e.end),
                view.onset_step(e.onset),
            )
            expl = (
                "%s started at %s (it never rose beyond its first scores: best level %s at step %d) "
                "and fell to %s from step %d on, far below where it started: the agent never "
                "learned, and its policy now does worse than the near-random one it began with. Usual "
                "causes: the policy's entropy collapsed early onto a poor action (check the entropy or "
                "action-std curve: falling to a near-deterministic policy within the first updates), a "
                "reward whose terms teach the wrong thing (penalties the agent can earn faster than the "
                "goal, a sign flipped), a learning rate too large from the start, or unnormalised "
                "observations or rewards. Evaluate the initial policy and a random one on the same "
                "episodes, then check the reward terms one by one."
            ) % (capital(name), fmt(e.start), fmt(e.peak), best_step, fmt(e.end), view.onset_step(e.onset))
        evidence = {
            "start_level": e.start,
            "best_level": e.peak,
            "best_step": best_step,
            "final_level": e.end,
            "threshold": e.threshold,
            "noise": e.sigma,
            "last_healthy_step": best_step,
        }
        if e.closing:
            evidence["how"] = "closing"
            evidence["closing_summaries"] = e.closing
        if e.never:
            # Nothing was healthy to go back to.
            del evidence["last_healthy_step"]
        if never:
            # "how" names the never_learned signature.
            evidence["how"] = "regressed"
        kind = "never_learned" if never else "metric_collapse"
        return make_finding(e.ref, kind, "error", view, e.onset, len(view) - 1, title, expl, evidence)

    def _describe_diverged(self, e: RewardCollapseEvent) -> Finding:
        """The evaluation return fell from where it started while the training return climbed."""
        view, name, train = e.view, e.ref.tag, e.trained
        tv = U.view_of(train, smooth=False).values
        t_start, t_end, _, _ = U.edge_levels(tv)
        onset = view.onset_step(e.onset)
        told = (fmt(e.start), fmt(e.end), onset, train.tag, fmt(t_start), fmt(t_end))
        title = "%s fell %s → %s from step %d while %s rose %s → %s" % ((name,) + told)
        expl = (
            "%s started at %s and fell to %s from step %d on, far below where it started, while %s, the "
            "return of the episodes the agent trains on, rose from %s to %s: the policy got better at its "
            "training episodes and worse at the ones it is evaluated on. The agent learned, but what it "
            "learned does not carry over. Usual causes: the evaluation environment differs from the "
            "training one (another period of a time series, other levels, seeds or opponents) and the policy "
            "fits the training episodes only; the evaluation acts deterministically (SAC, PPO and TD3 "
            "evaluate their mean action) where training acts with noise the policy came to rely on; or "
            "observation and reward normalisation statistics are not shared with the evaluation "
            "environment. Compare the two environments' settings, evaluate the policy on training "
            "episodes as well, and keep the checkpoint with the best evaluation return (step %d)."
        ) % ((capital(name),) + told + (int(view.end_steps[e.peak_i]),))
        evidence = {
            "start_level": e.start,
            "best_level": e.peak,
            "best_step": int(view.end_steps[e.peak_i]),
            "final_level": e.end,
            "threshold": e.threshold,
            "noise": e.sigma,
            "how": "evaluation_fell",
            "training_return": {"tag": train.tag, "start": t_start, "end": t_end},
        }
        return make_finding(
            e.ref, "overfitting", "warning", view, e.onset, len(view) - 1, title, expl, evidence, related=[train]
        )


# A series that counts a curriculum's lessons: ML-Agents' `Environment/Lesson`, a hand-written
# `curriculum/stage` or `curriculum/level`.
_CURRICULUM = re.compile(r"(^|[^a-z])(lesson|curriculum[^a-z]*(stage|level|lesson|phase))([^a-z]|$)")


def _curriculum_advances(exp: Experiment, run: str) -> List[float]:
    """Steps at which a curriculum series of `run` moved up a lesson."""
    out: List[float] = []
    for s in exp.scalars:
        if s.run != run or not _CURRICULUM.search(s.tag.lower()):
            continue
        steps, v = U.finite_points(s)
        up = np.flatnonzero(np.diff(v) > 0) + 1
        out.extend(float(steps[i]) for i in up)
    return out


def _still_solved(exp: Experiment, ref: SeriesRef, values, end: float) -> bool:
    """The return is an episode return on a well-known environment and ends at or above the score
    that counts as solving it: whatever it gave back, the agent still does the task."""
    env = environments.of_return(exp.source, ref.run, ref.tag, values)
    return env is not None and end >= env.solved
