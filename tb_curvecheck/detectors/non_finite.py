"""`non_finite`: a scalar value is NaN or +-Inf."""

from __future__ import annotations

import dataclasses
import re
from typing import List, Optional

import numpy as np

from ..model import EV_LAST_HEALTHY_STEP, Experiment, Finding, SeriesRef
from .base import Detector


@dataclasses.dataclass(frozen=True)
class NonFiniteEvent:
    ref: SeriesRef
    first: int  # index of the first non-finite point
    last: int  # index of the last one
    bad_points: int
    nan_count: int
    pos_inf_count: int
    neg_inf_count: int
    word: str  # "NaN", "+Inf" or "-Inf": the first bad value
    last_healthy_step: Optional[int]
    recovered: bool  # finite values follow the last bad one
    undefined: bool  # a series other than a loss with no finite value while the losses have some
    not_yet: bool  # a series other than a loss undefined at its first points only, the losses finite meanwhile
    mostly_undefined: bool = False  # not_yet, but for most of the run: the predictions gave nothing to score
    before_update: bool = False  # a loss NaN at its opening only (`_opening_nan`): written before any update
    gradient_norm: bool = False  # the series is a gradient norm (the model's or a layer's)
    # A side metric (a class's own precision beside the average over classes) NaN, never Inf, at some
    # evaluations and finite after them, while every loss was finite: nothing to score at those evaluations.
    side_gaps: bool = False
    # An agent's explained variance, NaN (never Inf) while every loss was finite: its targets were constant,
    # at the start only or in a few rollouts (`FEW_CONSTANT_ROLLOUTS`).
    constant_targets: bool = False
    # Every loss logged was finite over the whole series (or NaN only before its first update).
    losses_clean: bool = False


# An actor-critic's explained variance of its value targets, 1 - Var(returns - values) / Var(returns):
# Stable-Baselines3 writes NaN when Var(returns) is 0, every return of the rollout the same (no reward
# seen yet in a sparse-reward task, every episode ending alike), which is the environment's doing.
EXPLAINED_VARIANCE = re.compile(r"(^|[/_.])explained_?variance$", re.I)
# Before the first reward, or in at most this share of the updates, constant returns are no finding: a
# rollout whose episodes all end alike turns up now and then in short-episode tasks (1-4 % of updates in
# healthy SB3 runs); recurring in a fifth of them or more after the returns had varied, the policy
# collapsed to one behaviour (a poker agent folding at once, its entropy near zero) or the reward went
# constant, and the error stands.
FEW_CONSTANT_ROLLOUTS = 0.05


# A task metric over one size of object (COCO's `APs`, `ap_small`) is a partial view of the task, NaN
# throughout when the evaluation data holds no object of that size: never defined, not never computed.
BY_SIZE = re.compile(r"(^|[^a-z])(aps|apm|apl|small|medium|large)($|[^a-z])", re.I)


# A loss logged as NaN before training computed one (a DQN writes the mean of no TD errors while its
# replay buffer fills; a running mean over no batches yet) opens with NaN and is finite at every point
# after.  Up to this share of its points that is the warm-up, not an overflow: NaN weights never come
# back to finite losses, and a loss scaler's skipped steps write Inf, not a NaN run at the start.
BEFORE_FIRST_UPDATE_SHARE = 0.1


def _opening_nan(values: np.ndarray) -> int:
    """The number of NaN points a series opens with, when those are its only non-finite values, at most
    `BEFORE_FIRST_UPDATE_SHARE` of its points, and finite points follow them; else 0."""
    bad = ~np.isfinite(values)
    if not bad[:1].any() or bad.all() or np.isinf(values).any():
        return 0
    k = int(np.argmin(bad))
    return 0 if bad[k:].any() or k > BEFORE_FIRST_UPDATE_SHARE * values.shape[0] else k


def _losses_finite_until(exp: Experiment, step: int) -> bool:
    """The experiment logs a loss with a value at or before `step`, and every loss logged by then is
    finite, or NaN only because no update had run yet (`_opening_nan`): nothing in training overflowed."""
    seen = False
    for s in exp.scalars:
        if s.info.role != "loss":
            continue
        inside = s.series.steps <= step
        early = s.series.values[inside][_opening_nan(s.series.values) :]
        if not np.isfinite(early).all():
            return False
        seen = seen or bool(inside.any())
    return seen


def _gradient_norm(exp: Experiment, ref: SeriesRef) -> bool:
    return exp.layer_role(ref.run, ref.tag).role == "gradient_norm"


def _losses_finite(exp: Experiment) -> bool:
    """The experiment logs a loss, and some loss has finite values: training computed something."""
    return any(s.info.role == "loss" and np.isfinite(s.series.values).any() for s in exp.scalars)


# A metric undefined at its first points is "not defined yet" while that stretch is at most this share
# of its points: detectron2's AP is NaN until the first detection (the first 9 of 200 evaluations in a
# healthy corpus run); undefined for most of a run, the predictions gave nothing to score (a Pearson
# correlation of constant predictions is NaN at 16 of 26 evaluations).
NOT_YET_MAX_SHARE = 0.5


# What leaves a metric nothing to score, told wherever a metric is undefined while the losses are finite.
NOTHING_TO_SCORE = (
    "A correlation is undefined when the predictions are all the same, a precision when nothing is predicted "
    "positive, an AP when nothing is detected above the score threshold."
)


# (severity, title, explanation) of a series non-finite over its opening only, by what that means.
OPENING_STORIES = {
    # A loss NaN at its first points only and finite at every one after (`_opening_nan`): written before
    # training computed a loss, so it is shown, not alarmed on.
    "before_update": (
        "info",
        "%(tag)s is NaN at its first %(bad)d of %(points)d points (to step %(last)d), then finite: written "
        "before the first update",
        "%(tag)s has no value until step %(last)d and a finite one at every point after. A loss averaged over "
        "nothing is NaN by arithmetic, not by overflow: a DQN logs the mean of no TD errors while its replay "
        "buffer fills, a running mean is NaN before its first batch. Weights that had turned NaN would never "
        "give a finite loss again, so nothing learned was poisoned. If updates did run before step %(last)d, "
        "check what the loss is averaged over.",
    ),
    # A metric with no value for most of the run, defined only at its end, while every loss was finite:
    # nothing overflowed, but for most of training the predictions gave the metric nothing to score.
    "mostly_undefined": (
        "warning",
        "%(tag)s has no value at its first %(bad)d of %(points)d points (to step %(last)d): undefined for most "
        "of the run",
        "%(tag)s is %(word)s from its first evaluation to step %(last)d and finite only after, while every loss "
        "was finite throughout, so nothing overflowed: the metric had nothing to score for most of training. "
        + NOTHING_TO_SCORE
        + " Check that the model's outputs "
        "vary with its input (a head that collapsed to one value, a learning rate too high or too low for it to "
        "start) and the score threshold.",
    ),
}


@dataclasses.dataclass(frozen=True)
class NonFinite(Detector[NonFiniteEvent]):
    """One event per series, from the first bad step to the last one; every role is judged
    (a NaN is wrong whatever the tag measures).  No thresholds: one bad value is one too many."""

    name = "non_finite"
    kinds = ("non_finite",)

    def measure(self, experiment: Experiment, ref: SeriesRef) -> List[NonFiniteEvent]:
        values = ref.series.values
        bad = ~np.isfinite(values)
        if not bad.any():
            return []
        steps = ref.series.steps
        idx = np.flatnonzero(bad)
        first, last = int(idx[0]), int(idx[-1])
        first_value = values[first]
        finite_before = np.flatnonzero(np.isfinite(values[:first]))
        not_yet = (
            first == 0
            and not bad[last + 1 :].any()
            and last + 1 < len(values)
            and ref.info.role not in ("loss", "unknown")
            and _losses_finite_until(experiment, int(steps[last]))
        )
        mostly = not_yet and idx.size > NOT_YET_MAX_SHARE * len(values)
        before_update = ref.info.role == "loss" and _opening_nan(values) > 0
        return [
            NonFiniteEvent(
                ref=ref,
                first=first,
                last=last,
                bad_points=int(idx.size),
                nan_count=int(np.count_nonzero(np.isnan(values))),
                pos_inf_count=int(np.count_nonzero(values == np.inf)),
                neg_inf_count=int(np.count_nonzero(values == -np.inf)),
                word="NaN" if np.isnan(first_value) else ("+Inf" if first_value > 0 else "-Inf"),
                last_healthy_step=int(steps[finite_before[-1]]) if finite_before.size else None,
                recovered=bool(np.isfinite(values[last + 1 :]).any()) if last + 1 < len(values) else False,
                # A gradient norm is never computed over an empty set: NaN at every step means every
                # step's gradients were, whatever the logged loss reads (Hugging Face's Trainer logging
                # loss 0 and grad_norm NaN from the first step).
                undefined=bool(bad.all())
                and ref.info.role != "loss"
                and not _gradient_norm(experiment, ref)
                and _losses_finite(experiment),
                losses_clean=_losses_finite_until(experiment, int(steps[-1])),
                not_yet=not_yet and not mostly,
                before_update=before_update,
                mostly_undefined=mostly,
                gradient_norm=_gradient_norm(experiment, ref),
                side_gaps=not not_yet
                and ref.info.purpose == "auxiliary"
                and ref.info.role in ("metric_up", "metric_down")
                and not np.isinf(values).any()
                and bool(np.isfinite(values[last + 1 :]).any())
                and _losses_finite_until(experiment, int(steps[last])),
                constant_targets=bool(EXPLAINED_VARIANCE.search(ref.tag))
                and int(np.count_nonzero(np.isnan(values))) == idx.size
                and _losses_finite_until(experiment, int(steps[last]))
                and (
                    # confined to an opening stretch (the agent before its rewards varied), defined after
                    (first == 0 and last + 1 < len(values)) or idx.size <= FEW_CONSTANT_ROLLOUTS * len(values)
                ),
            )
        ]

    def describe(self, e: NonFiniteEvent) -> Finding:
        ref = e.ref
        steps, values = ref.series.steps, ref.series.values
        first_step = int(steps[e.first])
        title = "%s became %s at step %d (%d of %d points non-finite)" % (
            ref.tag,
            e.word,
            first_step,
            e.bad_points,
            len(values),
        )
        parts = ["The value of %s is %s from step %d" % (ref.tag, e.word, first_step)]
        if e.last_healthy_step is not None:
            parts.append("; the last finite value was at step %d" % e.last_healthy_step)
        parts.append(". ")
        if ref.info.role == "loss" or ref.info.role == "unknown":
            parts.append(
                "A non-finite loss means the arithmetic overflowed: usually a learning rate too high "
                "for the data's scale, a log or division of zero (log(0) in a hand-written loss, "
                "a softmax fed to a loss that expects logits), or exploding gradients in a "
                "recurrent net. Check the inputs for NaN first (a NaN from the first step means "
                "bad data), then lower the learning rate or clip gradients and see whether the "
                "first bad step moves. "
            )
        elif e.gradient_norm:
            parts.append(
                "A non-finite gradient norm means the gradients themselves are: each such step either "
                "wrote NaN into the weights or was skipped by a mixed-precision loss scaler, so nothing "
                "was learned from it, whatever the logged loss reads. In fp16 the usual cause is an "
                "overflow (try bf16 or fp32); otherwise a 0/0 in the loss (a mean over zero unmasked "
                "tokens: every label -100), a log of zero, or NaN in the inputs. Compute the loss and its "
                "gradient for one batch by hand. "
            )
        else:
            parts.append(
                "A metric that turns non-finite usually follows a non-finite loss or weights; "
                "a metric that divides (precision, F1) can also be NaN when a class is never "
                "predicted. "
            )
        if e.recovered:
            parts.append(
                "Later values are finite again, so the logging or the metric, not the weights, may be at fault."
            )
        elif e.last_healthy_step is not None:
            parts.append("It never recovers: restore the checkpoint from step %d or earlier." % e.last_healthy_step)
        f = Finding(
            run=ref.run,
            tag=ref.tag,
            kind="non_finite",
            severity="error",
            start_step=first_step,
            end_step=int(steps[e.last]),
            title=title,
            explanation="".join(parts).strip(),
            evidence={
                "first_bad_step": first_step,
                "first_bad_value": e.word,
                "nan_count": e.nan_count,
                "pos_inf_count": e.pos_inf_count,
                "neg_inf_count": e.neg_inf_count,
                "points": len(values),
                EV_LAST_HEALTHY_STEP: e.last_healthy_step,
                "recovered": e.recovered,
            },
            related=[],
        )
        if e.constant_targets:
            return self._constant_targets(e, f)
        if e.undefined:
            return self._undefined(e, f)
        if e.mostly_undefined:
            return self._opening(e, f, "mostly_undefined")
        if e.side_gaps:
            return self._side_gaps(e, f)
        if e.before_update:
            return self._opening(e, f, "before_update")
        return self._not_yet(e, f) if e.not_yet else f

    def _opening(self, e: NonFiniteEvent, f: Finding, story: str) -> Finding:
        """A series non-finite over an opening stretch only, told as `OPENING_STORIES[story]` says."""
        severity, title, explanation = OPENING_STORIES[story]
        args = dict(
            tag=e.ref.tag,
            word=e.word,
            bad=e.bad_points,
            points=len(e.ref.series.steps),
            last=int(e.ref.series.steps[e.last]),
        )
        extra = {"undefined_points": e.bad_points} if story == "mostly_undefined" else {}
        return _retold(f, severity, title % args, explanation % args, **extra)

    def _constant_targets(self, e: NonFiniteEvent, f: Finding) -> Finding:
        """An explained variance with no value where its value targets had no variance: nothing
        overflowed, the rollouts returned the same at every step, so it is shown, not alarmed on."""
        ref = e.ref
        steps, values = ref.series.steps, ref.series.values
        return dataclasses.replace(
            f,
            severity="info",
            title="%s is undefined at %d of %d points (steps %d-%d): the returns it explains did not vary"
            % (ref.tag, e.bad_points, len(values), int(steps[e.first]), int(steps[e.last])),
            explanation=(
                "Explained variance compares the value function's errors with the variance of the returns it "
                "predicts, and is NaN when that variance is zero: every return collected in those rollouts "
                "was the same, while every loss stayed finite. In a sparse-reward task that is the agent "
                "before its first reward, or every episode ending alike; the value function has nothing to "
                "explain. Whether the agent learns is the return's story: if it never moves, look at the "
                "reward (is it ever non-zero?) and the exploration."
            ),
        )

    def _undefined(self, e: NonFiniteEvent, f: Finding) -> Finding:
        """A series other than a loss that had no value at any step, while the losses have values, was
        never defined for this data (COCO's small-object AP on a set without small objects, a precision
        with no positive predictions, an entropy of an action space the agent lacks); nothing turned
        non-finite, so it is shown, not alarmed on.  A loss with no finite value is still an error:
        nothing was learned.  The run's task measure (its return, the metric it is judged by) with no
        value anywhere while every loss stayed finite is a warning: a metric undefined for most of a run
        already is (`mostly_undefined`), and one undefined throughout leaves nothing to say whether
        training works.  (Beside a loss that went NaN, the loss's error tells it.)"""
        ref = e.ref
        if ref.info.purpose == "task" and e.losses_clean and not BY_SIZE.search(ref.tag):
            return self._task_undefined(e, f)
        steps, values = ref.series.steps, ref.series.values
        return dataclasses.replace(
            f,
            severity="info",
            title="%s is %s at every one of its %d points: never defined" % (ref.tag, e.word, len(values)),
            explanation=(
                "%s has no finite value from step %d to step %d. A metric that is never defined is usually "
                "computed over an empty set: no examples of a class or size in the evaluation data (COCO's "
                "AP for small objects with no small objects), no positive predictions for a precision, a "
                "statistic of something the model does not have. If it should have a value, check what it "
                "is averaged over." % (ref.tag, int(steps[0]), int(steps[-1]))
            ),
        )

    def _task_undefined(self, e: NonFiniteEvent, f: Finding) -> Finding:
        ref = e.ref
        steps, values = ref.series.steps, ref.series.values
        if ref.info.role == "other":
            # A return or success rate averaged over the episodes that ended since the last summary.
            why = (
                "A mean over episodes is NaN when no episode ended between two summaries: episodes that never "
                "terminate (no time limit, a goal the agent never reaches and no failure state) or a logger "
                "averaging an empty list. Check that the environment ends episodes (a time-limit wrapper) and "
                "that the return is taken over finished episodes only."
            )
        else:
            why = (
                NOTHING_TO_SCORE
                + " Check that the model's outputs vary with its input and what the metric is averaged over."
            )
        return _retold(
            f,
            "warning",
            "%s is %s at every one of its %d points: the run's task measure was never computed"
            % (ref.tag, e.word, len(values)),
            "%s has no finite value from step %d to step %d, while every loss stayed finite, so nothing "
            "overflowed: the measure that says whether training works was never defined. %s"
            % (ref.tag, int(steps[0]), int(steps[-1]), why),
            undefined_points=e.bad_points,
        )

    def _side_gaps(self, e: NonFiniteEvent, f: Finding) -> Finding:
        """A side metric (one class's precision or F1 beside the average the task is judged by) with no
        value at some evaluations and a value again after them, while every loss was finite: a ratio over
        an empty set (no prediction of that class at that evaluation) is NaN by arithmetic, and the model
        that gave it values again was never poisoned, so it is shown, not alarmed on."""
        ref = e.ref
        steps, values = ref.series.steps, ref.series.values
        return _retold(
            f,
            "info",
            "%s has no value at %d of %d evaluations (steps %d-%d): nothing to score there"
            % (ref.tag, e.bad_points, len(values), int(steps[e.first]), int(steps[e.last])),
            "%s is %s at %d evaluations between step %d and step %d and finite again after them, while every "
            "loss stayed finite: nothing overflowed. A precision or F1 of one class is 0/0 at an evaluation "
            "where the model predicts nothing of that class, which a rare class on a small evaluation set "
            "does now and then; the aggregate over classes is what the task is judged by. If the class "
            "matters, count its examples in the evaluation set and watch its recall."
            % (ref.tag, e.word, e.bad_points, int(steps[e.first]), int(steps[e.last])),
        )

    def _not_yet(self, e: NonFiniteEvent, f: Finding) -> Finding:
        """A metric with no value at its first evaluations, finite at every one after, while the losses
        were finite all along: it was not defined yet (detectron2 writes NaN AP until the model makes
        its first detection), not broken, so it is shown, not alarmed on."""
        ref = e.ref
        steps = ref.series.steps
        # Undefined at some of its opening evaluations, not all: said as a count of them.
        where = (
            "its first %d points" % e.bad_points
            if e.bad_points == e.last + 1
            else ("%d of its first %d points" % (e.bad_points, e.last + 1))
        )
        return dataclasses.replace(
            f,
            severity="info",
            title="%s is %s at %s (to step %d), then finite: not defined yet"
            % (ref.tag, e.word, where, int(steps[e.last])),
            explanation=(
                "%s has no finite value at some or all of its evaluations until step %d and a finite one at "
                "every point after, while every loss was finite throughout. A metric computed over the model's "
                "predictions is undefined before it predicts anything it can score (COCO's AP with no "
                "detections above the score threshold, a precision with no positive predictions), which early "
                "in training is expected. If it stays undefined for long, check the score threshold and the "
                "labels." % (ref.tag, int(steps[e.last]))
            ),
        )


def _retold(f: Finding, severity: str, title: str, explanation: str, **evidence) -> Finding:
    """`f` told again at `severity`, with `evidence` added to what it had."""
    return dataclasses.replace(
        f, severity=severity, title=title, explanation=explanation, evidence=dict(f.evidence, **evidence)
    )
