"""How `never_learned` tells what it found: the title, explanation and evidence of each signature.

The detector (`scalar_never`) decides whether and how a run never learned; this module only words
an event.  Each signature has one telling, picked by the event's `how`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable, Dict, Optional, Tuple

import numpy as np

from ..model import Finding
from . import environments
from . import stats as U
from .prior_entropy import binary_entropy, prior_entropy_band
from .wording import capital, fmt, make_finding, short

if TYPE_CHECKING:
    from .scalar_never import NeverEvent, NeverLearned

_Story = Callable[["NeverLearned", "NeverEvent", str, Optional[str], str], Tuple[str, str]]


def finding(det: NeverLearned, e: NeverEvent) -> Finding:
    """The finding of one `never_learned` event: its signature told in words, with its evidence."""
    view, n = e.view, len(e.view)
    # A return's tag reads better than its canonical quantity ("Environment/Cumulative Reward").
    name = e.ref.tag if e.how in ("reward", "unsolved", "flat", "no_success") else short(e.ref)
    m = short(e.metric) if e.metric is not None else None
    lr = " The logged learning rate is exactly 0 throughout: nothing can change." if e.zero_lr else ""
    title, expl = _story(e, m)(det, e, name, m, lr)
    if e.sampling is not None and e.metric is not None:
        expl += (
            " (%s is measured on %d examples: a model that learned nothing moves it by up to ±%s from one "
            "evaluation to the next, two standard errors, and it stayed within that.)"
            % (capital(short(e.metric)), e.sampling[0], fmt(e.sampling[1]))
        )
    evidence = {"how": e.how, "level": e.level, "points": n, "zero_learning_rate": e.zero_lr}
    if e.sampling is not None:
        evidence.update(evaluation_examples=e.sampling[0], sampling_band=e.sampling[1])
    if e.metric_level is not None:
        evidence["metric_level"] = e.metric_level
    if e.how == "prior" and e.classes is None:
        band = prior_entropy_band(e.metric_level or 0.5, det.bare_max_classes, two_classes=False)
        if band is not None:
            evidence.update(majority_share=e.metric_level, prior_entropy_range=list(band))
    elif e.how == "prior":
        evidence.update(classes=2, prior_entropy=binary_entropy(e.metric_level or 0.5))
    elif e.classes:
        evidence.update(classes=e.classes, ln_classes=math.log(e.classes))
    if e.how == "mean":
        evidence.update(best=e.best, r2_floor=det.r2_floor)
        if e.partner is not None:
            evidence["training_r2"] = {"run": e.partner.run, "tag": e.partner.tag}
    if e.how == "split_chance" and e.partner is not None:
        evidence["training_accuracy"] = {"run": e.partner.run, "tag": e.partner.tag, "closing": e.best}
    if e.how == "reward" and e.partner is not None:
        evidence["self_play_rating"] = {"run": e.partner.run, "tag": e.partner.tag}
    if e.how == "tiny_lr":
        evidence.update(learning_rate_max=e.lr, held_within=det.tiny_lr_held_rel)
    if e.how == "repeating":
        evidence.update(period=e.period, repeating_from_step=e.since_step, repeating_share=e.share)
    if e.how == "stalled":
        evidence["stalled_from_step"] = e.since_step
    if e.how == "prior" and e.metric_tol is not None and e.since_step is not None:
        evidence["losses_settled_from_step"] = e.since_step
    if e.how == "coin":
        evidence["opening"] = e.opening
    if e.how == "no_success":
        evidence.update(best=e.best, success_floor=environments.SUCCESS_FLOOR, share_above_zero=e.share)
    if e.how == "flat":
        evidence.update(opening=e.opening, best=e.best, gain_standard_error=e.noise, window_levels=e.windows)
        if e.entropy is not None:
            evidence["policy_entropy"] = e.entropy
    if e.how == "unsolved" and e.env is not None:
        evidence.update(
            environment=e.env.name,
            unlearned_score=e.env.floor,
            solved_score=e.env.solved,
            best=e.best,
            share=e.share,
        )
        if e.exploration:
            evidence["exploration"] = e.exploration
    # A stall at the prior's level is `no_progress` with its cause named: as serious, no more.
    # A loss that still creeps down while no output beats a coin may yet learn, slowly: a warning.
    severity = (
        "warning"
        if e.how in ("reward", "unsolved", "stalled", "flat", "zero", "no_success", "coin", "zero_part", "mean")
        else "error"
    )
    return make_finding(
        e.ref,
        "never_learned",
        severity,
        view,
        0,
        n - 1,
        title,
        expl,
        evidence,
        related=[r for r in (e.metric, e.partner) if r is not None],
    )


def _story(e: NeverEvent, m: Optional[str]) -> _Story:
    """The telling that fits the event: its signature, narrowed by what it found beside it."""
    if e.how == "chance" and m is None:
        return _chance_alone
    if e.how == "prior" and e.classes is None:
        return _prior_shares
    if e.how == "unsolved" and e.env is None:
        return _reward
    return _STORIES.get(e.how, _reward)


def _zero(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """A 0-1 score that never scored."""
    view, n = e.view, len(e.view)
    if e.level == 0.0:
        title = "%s was exactly 0 at every one of %d evaluations: not one prediction scored" % (name, n)
        reads = "reads 0"
    else:
        title = "%s never rose above %s in %d evaluations: next to nothing scored" % (name, fmt(e.level), n)
        reads = "stays at or below %s" % fmt(e.level)
    expl = (
        "%s %s from its first evaluation (step %d) to its last (step %d): the model never got a "
        "single example right by this measure. A model that learns anything scores above 0 somewhere, "
        "so look first at the evaluation itself: labels whose class ids or format do not match what "
        "the model predicts (a detector's label files with the wrong class index or box format, a "
        "dataset config that lists other class names), an evaluation set with no labels or no "
        "examples, or a confidence threshold above every score. If the evaluation checks out, the "
        "model did not learn: check that the training loss fell and that one training step changes "
        "the predictions.%s" % (capital(name), reads, int(view.steps[0]), int(view.steps[-1]), lr)
    )
    return title, expl


def _frozen(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """Loss and metrics that held one value: no weight updated."""
    n = len(e.view)
    title = "%s never moved: %s at every one of %d evaluations%s" % (name, fmt(e.level), n, _held(e, m, " and "))
    expl = (
        "%s holds %s at every evaluation%s: the weights are not being updated at all. "
        "Typical causes: every layer frozen (`trainable=False` on the whole model or a base model "
        "that holds all the weights), a learning rate of zero, an optimizer given no variables, or "
        "gradients that are zero everywhere (a stop-gradient, a detached output).%s Check the "
        "number of trainable parameters (model.summary()) and that one training step changes a "
        "weight." % (capital(name), fmt(e.level), _held(e, m, ", and ", "holds"), lr)
    )
    return title, expl


# A held accuracy below this share cannot sit beside a loss of exactly 0 (every prediction right): fewer
# than half right is no perfect fit on any data, so the zero is a loss that was never computed.
_ZERO_LOSS_CONTRADICTED = 0.5


def _uncomputed(e: NeverEvent) -> bool:
    """The held metric says the predictions are far from the perfect ones a loss of 0 would mean."""
    metric, level = e.metric, e.metric_level
    if metric is None or level is None or metric.info.role != "metric_up":
        return False
    return level / (100.0 if metric.info.percent else 1.0) < _ZERO_LOSS_CONTRADICTED


def _nothing(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """A loss at exactly 0 from the first evaluation: no error, so no gradient, ever."""
    n = len(e.view)
    if _uncomputed(e):
        title = "%s was exactly 0 at every one of %d evaluations while %s held %s: the loss is not computed" % (
            name,
            n,
            m,
            fmt(e.metric_level),
        )
        expl = (
            "%s reads 0 from its first evaluation (step %d) to its last (step %d), which would mean every "
            "prediction is right, yet %s held %s: the two cannot describe the same predictions. The loss is "
            "most likely never computed for these evaluations (a loop that logs its running total before "
            "adding to it, a loss summed over no elements because every position is masked or ignored, an "
            "empty loader), so it says nothing. Read the metric instead: held at one value, the model gives "
            "the same answer for every input.%s"
            % (capital(name), int(e.view.steps[0]), int(e.view.steps[-1]), m, fmt(e.metric_level), lr)
        )
        return title, expl
    title = "%s was exactly 0 at every one of %d evaluations%s: the model had nothing to learn" % (
        name,
        n,
        _held(e, m, " and "),
    )
    expl = (
        "%s reads 0 from its first evaluation (step %d) to its last (step %d)%s. No model starts out "
        "perfect, and a loss of 0 sends no gradient back, so nothing was trained: either the task it was "
        "given is trivial or the loss measures nothing. Look at the data before the model: a resampling, "
        "filtering or balancing step that left a single class (count the labels of one batch), a target "
        "that is also among the inputs, or a loss summed over no elements (every position masked or "
        "ignored, an empty batch).%s"
        % (
            capital(name),
            int(e.view.steps[0]),
            int(e.view.steps[-1]),
            _held(e, m, ", and ", "holds"),
            lr,
        )
    )
    return title, expl


def _held(e: NeverEvent, m: Optional[str], lead: str, verb: str = "held") -> str:
    """The clause naming the metric that held still beside the loss, or nothing when none was found."""
    return "%s%s %s %s" % (lead, m, verb, fmt(e.metric_level)) if m else ""


def _zero_part(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """One part of a score (a class, a level) never once right while another part scored."""
    view, n = e.view, len(e.view)
    title = "%s was exactly 0 at every one of %d evaluations while %s reached %s" % (
        e.ref.tag,
        n,
        e.metric.tag,
        fmt(e.metric_level),
    )
    expl = (
        "%s reads 0 from its first evaluation (step %d) to its last (step %d), while %s, another part "
        "of the same score, reached %s: the task is scorable, and this part of it (a class, a level, a "
        "stage of a curriculum) was never once right. The model learned the rest and not this. Usual "
        "causes: too few examples of it in the training data (or none: a class id that the labels "
        "never use), a curriculum that moved on before the previous stage was learned, or a part "
        "harder than the rest that needs more capacity or more steps. Check how many training "
        "examples it has and what the model predicts on them.%s"
        % (capital(e.ref.tag), int(view.steps[0]), int(view.steps[-1]), e.metric.tag, fmt(e.metric_level), lr)
    )
    return title, expl


def _still(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """An objective loss that never left half a percent of its level."""
    view, n = e.view, len(e.view)
    v = view.values
    band = float(np.ptp(v)) / abs(e.level) if e.level else 0.0
    title = "%s never moved: within %s %% of %s at all %d evaluations" % (
        name,
        fmt(100 * band),
        fmt(e.level),
        n,
    )
    expl = (
        "%s stays between %s and %s from its first evaluation (step %d) to its last (step %d). A model "
        "that learns moves its loss by far more than that between evaluations, even once it has "
        "converged; a loss this still from the start says the updates do not change what the model "
        "outputs. Usual causes: a learning rate far too small for the optimiser or a schedule that "
        "starts at zero, layers frozen or an optimizer given only some of the parameters, activations "
        "that died (every ReLU off, so only the output bias trains), or a loss computed from detached "
        "tensors.%s Check that a few steps on one batch bring the loss down.%s"
        % (
            capital(name),
            fmt(float(np.min(v))),
            fmt(float(np.max(v))),
            int(view.steps[0]),
            int(view.steps[-1]),
            lr,
            _resumed_note(view.steps),
        )
    )
    return title, expl


def _tiny_lr(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """A loss held still at a logged learning rate too small to move the weights."""
    n = len(e.view)
    title = "%s held %s (within %s %%) over %d evaluations at a learning rate of %s: the weights barely move" % (
        name,
        fmt(e.level),
        fmt(100 * det.tiny_lr_held_rel),
        n,
        fmt(e.lr),
    )
    expl = (
        "%s stays within %s %% of %s at every evaluation%s, and the largest learning rate the run "
        "logged is %s: an optimiser like Adam moves each weight by about the learning rate per step, "
        "so over this run no weight moved enough to change a prediction. The model never learned. "
        "The usual causes: a learning rate written in the wrong unit or exponent (1e-8 for 1e-3), a "
        "learning-rate finder's or warm-up's starting value kept, or a scheduler that decayed it "
        "before training began. Set a learning rate in the usual range for the optimiser (1e-4 to "
        "1e-3 for Adam) and check that one epoch moves the loss."
        % (
            capital(name),
            fmt(100 * det.tiny_lr_held_rel),
            fmt(e.level),
            ", and %s held %s" % (m, fmt(e.metric_level)) if m else "",
            fmt(e.lr),
        )
    )
    return title, expl


def _repeating(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """A per-step loss replaying one sequence of values: the same weights on the same batches."""
    title = "%s repeats the same %d values over and over from step %d: the weights are not changing" % (
        name,
        e.period or 0,
        e.since_step or 0,
    )
    expl = (
        "From step %d on, %s replays one sequence of %d values exactly, to float precision, period "
        "after period (%.0f %% of the run): the same weights meet the same batches in the same order "
        "every epoch, so nothing is being updated. Typical causes: a learning rate of zero (a "
        "schedule that decayed to 0, or an optimizer built before the model's parameters), every "
        "layer frozen or detached, gradients that are zero everywhere, or an `optimizer.step()` "
        "that is never called.%s Check that one training step changes a weight."
        % (e.since_step or 0, name, e.period or 0, 100 * e.share, lr)
    )
    return title, expl


def _stalled(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """A loss that did not improve and sits at the prior's entropy."""
    n = len(e.view)
    c = e.classes or 2
    below = e.level < math.log(c) * (1 - det.chance_below)
    at = (
        "%.1f %% under ln %d = %.4f" % (100 * (1 - e.level / math.log(c)), c, math.log(c))
        if below
        else ("ln %d = %.4f" % (c, math.log(c)))
    )
    title = "%s never improved and sits at %s (%s): the model predicts the class prior for every input" % (
        name,
        fmt(e.level),
        at,
    )
    expl = (
        "%s did not improve meaningfully over its %d evaluations and sits at %s, %s: where a "
        "cross-entropy sits when the model predicts %s for every input%s. The network has learned the prior and "
        "nothing about the input. (If this loss is not a %d-class cross-entropy, read this as a loss "
        "that never improved.) Common causes: a learning rate too large for fine-tuning (the loss "
        "jumps to the prior in the first steps and stays) or far too small, labels shuffled apart "
        "from their inputs, inputs that are constant after preprocessing, or a final activation that "
        "does not match the loss.%s Overfit one batch: if the loss cannot leave %s, the model or the "
        "data pipeline is broken."
        % (
            capital(name),
            n,
            fmt(e.level),
            at,
            "the class shares (the entropy of an uneven prior lies a little under ln %d)" % c
            if below
            else "1/%d for each of %d classes" % (c, c),
            ", and %s stayed at chance (%s)" % (m, fmt(e.metric_level)) if m else "",
            c,
            lr,
            fmt(e.level),
        )
    )
    return title, expl


def _split_chance(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """One split at chance while training accuracy learned."""
    n = len(e.view)
    c = e.classes or 2
    train = short(e.partner) if e.partner is not None else "the training accuracy"
    mv = U.view_of(e.metric, smooth=False).values if e.metric is not None else np.array([0.0])
    title = (
        "%s never went below ln %d and %s stayed at chance (at most %s; 1/%d = %s) while %s closed at "
        "%s: nothing the model learns carries over to this split"
        % (name, c, m, fmt(float(np.max(mv))), c, fmt(1.0 / c), train, fmt(e.best))
    )
    expl = (
        "On its training data the model learns (%s closed at %s), yet on this split it scores like a "
        "guess at every one of %d evaluations: %s opened at %s, the cross-entropy of predicting 1/%d for "
        "each of %d classes (ln %d = %.4f), and never went below it, and %s never got a tenth of the "
        "way from 1/%d to 1. Either this split is not what the model was trained on, or the model "
        "memorises its training set. Check first that the evaluation data goes through the same "
        "preprocessing as the training data (normalisation, resizing, channel order, tokenizer), that "
        "its labels use the same class indices (a class list sorted another way, labels read from "
        "another file), that each input is paired with its own label, and that the model is put in "
        "evaluation mode the same way every time (batch-norm statistics). If all of that holds, the "
        "training set is too small or leaks its labels through an input.%s"
        % (train, fmt(e.best), n, name, fmt(float(e.view.values[0])), c, c, c, math.log(c), m, c, lr)
    )
    return title, expl


def _chance_alone(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """A loss pinned at ln C with no accuracy logged."""
    n = len(e.view)
    c = e.classes or 2
    title = "%s pinned at %s %s ln %d from its first point to its last: the model outputs 1/%d for every class" % (
        name,
        fmt(e.level),
        _equals(e.level, c),
        c,
        c,
    )
    expl = (
        "%s sits at %s, the cross-entropy of predicting 1/%d for each of %d classes (ln %d = %.4f), and "
        "never left it over %d evaluations: the network ignores its input. (No accuracy is logged; "
        "if this loss is not a %d-class cross-entropy, read this as a loss that never moved.) Common "
        "causes: labels shuffled apart from their inputs, inputs that are constant after "
        "preprocessing, a learning rate far too small or too large, a frozen or detached model, or a "
        "final activation that does not match the loss.%s Overfit one batch: if the loss cannot go "
        "below ln %d, the model or the data pipeline is broken."
        % (capital(name), fmt(e.level), c, c, c, math.log(c), n, c, lr, c)
    )
    return title, expl


def _chance(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """A loss pinned at ln C with an accuracy at chance."""
    c = e.classes or 2
    # A component at chance is one head of the model (its total may still fall on the other heads).
    head = e.ref.info.purpose == "component"
    who = "this head" if head else "the model"
    title = "%s pinned at %s %s ln %d with %s at %s: %s outputs the prior for every input" % (
        name,
        fmt(e.level),
        _equals(e.level, c),
        c,
        m,
        fmt(e.metric_level),
        who,
    )
    expl = (
        "%s sits at %s, the cross-entropy of predicting 1/%d for each of %d classes (ln %d = %.4f), "
        "and %s never rose from %s, %s: %s ignores its input and outputs the class "
        "prior.%s Common causes: labels shuffled apart from their inputs, inputs that are constant "
        "or all zero after preprocessing, a learning rate so small (or so large) that the output "
        "layer only learns the bias, dead units before the output, or a final activation that does "
        "not match the loss (softmax twice, logits into a loss expecting probabilities).%s "
        "Overfit one batch: if the loss cannot go below ln %d, the model or the data pipeline is "
        "broken."
        % (
            capital(name),
            fmt(e.level),
            c,
            c,
            c,
            math.log(c),
            m,
            fmt(e.metric_level),
            "1/%d" % c if abs((e.metric_level or 0) - 1.0 / c) <= det.chance_metric_tol else "the share of one class",
            "this head" if head else "the network",
            " It is one term of the run's loss: the other heads may have learned, and the total can"
            " fall on them while this one never moves."
            if head
            else "",
            lr,
            c,
        )
    )
    return title, expl


def _coin(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """A binary loss never under ln 2 with binary accuracy at 0.5."""
    n = len(e.view)
    # Its short name drops "binary", the word that makes 0.5 a coin flip.
    m = m if m is None or "binary" in m else m.replace("accuracy", "binary accuracy")
    title = "%s never went below ln 2 = 0.6931 with %s at %s: no output did better than a coin flip" % (
        name,
        m,
        fmt(e.metric_level),
    )
    expl = (
        "%s went %s → %s over %d evaluations without going under ln 2 = 0.6931, the cross-entropy of "
        "answering 0.5 for every output, and %s never rose from 0.5: about as many outputs land on "
        "the wrong side of 0.5 as on the right one. A model that learned anything, even only how often "
        "each label is positive, gets under ln 2, and on uneven labels (multi-label targets are mostly "
        "0) its binary accuracy climbs far above 0.5 at once.%s Common causes: an optimiser step far "
        "too small to move the weights in this many updates (a tiny learning rate; Keras's Adadelta "
        "at its default of 0.001), labels that do not belong to their inputs, inputs that carry "
        "nothing after preprocessing, or a sigmoid output fed to a loss that expects logits. Overfit "
        "one batch: if the loss cannot go below ln 2, the model or the data pipeline is broken."
        % (capital(name), fmt(e.opening), fmt(float(e.view.values[-1])), n, m, lr)
    )
    return title, expl


def _prior_shares(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """A loss at the class shares' entropy with an accuracy at one class's share (class count unknown)."""
    p = e.metric_level or 0.5
    lo, hi = prior_entropy_band(p, det.bare_max_classes, two_classes=False) or (e.level, e.level)
    title = (
        "%s pinned at %s with %s held at %s, one class's share: the model outputs the class shares "
        "for every input" % (name, fmt(e.level), m, fmt(p))
    )
    expl = (
        "%s sits at %s, where predicting the class shares for every input puts the cross-entropy when "
        "the largest class holds %s of the examples (%.4f to %.4f for up to %d classes; below ln C, "
        "the loss of a uniform guess, as the shares are uneven), and %s holds that share, %s, %s: the "
        "network ignores its input and outputs the prior. Common causes: labels shuffled apart from "
        "their inputs, inputs that are constant after preprocessing, a learning rate so small (or so "
        "large) that only the output bias learns, or a final activation that does not match the "
        "loss.%s Overfit one batch: if the loss cannot go below %s, the model or the data pipeline "
        "is broken."
        % (
            capital(name),
            fmt(e.level),
            fmt(p),
            lo,
            hi,
            det.bare_max_classes,
            m,
            fmt(p),
            _every_evaluation(e)
            if e.metric_tol is None
            else _held_near(det, e, "to within %s %% over the run's second half" % fmt(100 * det.prior_share_rel)),
            lr,
            fmt(e.level),
        )
    )
    return title, expl


def _prior_two(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """A loss at a two-class prior's entropy H(p) with an accuracy at the majority share p."""
    p = e.metric_level or 0.5
    title = "%s pinned at %s = H(%s) with %s held at %s: the model outputs the class shares for every input" % (
        name,
        fmt(e.level),
        fmt(p),
        m,
        fmt(p),
    )
    expl = (
        "%s sits at %s, the cross-entropy of predicting the two classes' shares (%s and %s) for every "
        "input (H = %.4f), and %s holds the majority class's share, %s, %s: the "
        "network ignores its input and outputs the prior. Common causes: labels shuffled apart from "
        "their inputs, inputs that are constant after preprocessing, a learning rate so small (or so "
        "large) that only the output bias learns, or a final activation that does not match the "
        "loss.%s Overfit one batch: if the loss cannot go below %.4f, the model or the data pipeline "
        "is broken."
        % (
            capital(name),
            fmt(e.level),
            fmt(p),
            fmt(1 - p),
            binary_entropy(p),
            m,
            fmt(p),
            _every_evaluation(e) if e.metric_tol is None else _held_near(det, e),
            lr,
            binary_entropy(p),
        )
    )
    return title, expl


def _absurd(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """A loss of a million or more beside an accuracy that never rose."""
    title = "%s at %s (a million or more) with %s never above %s: the run is broken" % (
        name,
        fmt(e.level),
        m,
        fmt(e.metric_level),
    )
    expl = (
        "%s sits at %s over the last part of the run while %s never rose (%s): no working model "
        "has a loss of that scale, whatever its trend. Look for unnormalised targets or inputs "
        "(pixel values 0-255, raw prices), a loss summed instead of averaged over a huge batch, "
        "logits exploding from a learning rate far too high, or a loss given probabilities where it "
        "expects logits.%s" % (capital(name), fmt(e.level), m, fmt(e.metric_level), lr)
    )
    return title, expl


def _blew_up(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """A loss that reached an absurd scale while the accuracy stayed at chance."""
    view = e.view
    peak_i = int(np.nanargmax(view.values))
    title = "%s reached %s at step %d and %s never rose above chance (%s): the run is broken" % (
        name,
        fmt(e.level),
        int(view.steps[peak_i]),
        m,
        fmt(e.metric_level),
    )
    expl = (
        "%s reached %s at step %d, a scale no working model has, and %s stayed at chance (%s) for the "
        "whole run: whatever the loss did afterwards, the model never worked. The usual cause is a "
        "learning rate far too high for the optimizer (the first updates throw the weights to huge "
        "values, the outputs saturate, and the network predicts one class from then on); also "
        "unnormalised inputs or targets and a loss summed over a huge batch. Lower the learning rate "
        "by 10-100x and check that the loss after the first few steps is near ln C.%s"
        % (capital(name), fmt(e.level), int(view.steps[peak_i]), m, fmt(e.metric_level), lr)
    )
    return title, expl


def _auc(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """A ROC AUC that held at 0.5."""
    view, n = e.view, len(e.view)
    v = view.values
    title = "%s held at %s (between %s and %s) over all %d evaluations: the model ranks no better than chance" % (
        name,
        fmt(e.level),
        fmt(float(np.min(v))),
        fmt(float(np.max(v))),
        n,
    )
    expl = (
        "A ROC AUC of 0.5 is what a model scores when its outputs rank a positive example above a "
        "negative one only as often as a coin would, whatever the class shares. %s never left 0.5 by "
        "more than %s over its %d evaluations: the model has learned nothing that separates the "
        "classes. Look at the predictions themselves: outputs saturated at 0 or 1 (a learning rate "
        "too high, unscaled inputs), one score for every input (labels shuffled apart from their "
        "inputs, features that are constant after preprocessing), or a task whose features carry no "
        "signal about the label.%s" % (capital(name), fmt(det.auc_chance_band), n, lr)
    )
    return title, expl


def _mean(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """An R² that never rose above what predicting the targets' mean scores."""
    view, n = e.view, len(e.view)
    v = view.values
    title = "%s never rose above %s over all %d evaluations (best %s): the model predicts no better than the mean" % (
        name,
        fmt(det.r2_floor),
        n,
        fmt(float(e.best)),
    )
    twin = ""
    if e.partner is not None:
        _, tv = U.finite_points(e.partner)
        twin = (
            " Its training twin %s reached %s: the model fits the examples it trains on, and none of that "
            "carries over to these (memorising: too little data for the model; or held-out examples unlike "
            "the training ones: other subjects, later dates)." % (e.partner.tag, fmt(float(np.max(tv))))
        )
    expl = (
        "R² compares the model's squared error with that of predicting the targets' mean for every input: "
        "0 is that constant guess, below 0 is worse than it, 1 a perfect fit. %s stayed under %s at every "
        "one of its %d evaluations (last %s): the model has learned nothing about the target beyond its "
        "average.%s Check that the output layer can reach the targets' range (a ReLU or a sigmoid on "
        "standardised targets cuts them off; raw targets in the thousands against outputs near 0), that the "
        "inputs reach the model intact (constant after preprocessing, or shuffled apart from their targets), "
        "and the learning rate.%s" % (capital(name), fmt(det.r2_floor), n, fmt(float(v[-1])), twin, lr)
    )
    return title, expl


def _unsolved(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """A return on a known environment stuck in its trap."""
    env = e.env
    title = "%s on %s never got a quarter of the way from %s (%s) to solved (%s): best %s, last %s" % (
        name,
        env.name,
        env.floor_is,
        fmt(env.floor),
        fmt(env.solved),
        fmt(e.best),
        fmt(e.level),
    )
    expl = (
        "On %s a policy that has not learned the task scores about %s (%s) and the task counts as "
        "solved at %s. %s's best level over the run was %s, %.0f %% of the way, and over its last half "
        "it no longer climbs: the agent settled in the task's known trap instead of learning it. "
        "Typical causes: too little exploration (an epsilon that decays too fast, a too-small action "
        "noise or entropy bonus), a discount factor too low to see the delayed reward, a learning rate "
        "or network too small, or a budget of steps far below what the task needs. Compare with a "
        "tuned configuration for %s (e.g. the RL Baselines3 Zoo's), and check that the reward is the "
        "unmodified one.%s%s"
        % (
            env.name,
            fmt(env.floor),
            env.floor_is,
            fmt(env.solved),
            capital(name),
            fmt(e.best),
            100 * max(e.share, 0.0),
            env.name,
            _exploration_sentence(e.exploration),
            lr,
        )
    )
    return title, expl


def _flat(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """A return that never rose beyond its noise."""
    n = len(e.view)
    title = "%s never rose beyond its noise (±%s): %s at the start, best %s, %s at the end over %d summaries" % (
        name,
        fmt(e.noise),
        fmt(e.opening),
        fmt(e.best),
        fmt(e.level),
        n,
    )
    end_z, gain_z = det._flat_thresholds(e.entropy, e.windows)
    best_is = "the median of its best tenth of the run" if e.windows else "a running median over a tenth of the run"
    apart = (
        "less than %s (±%s) apart, with no ordered rise between them, and its best level (%s, %s) "
        "never stood %s above the opening."
        % (
            _standard_errors(end_z),
            fmt(e.noise),
            best_is,
            fmt(e.best),
            _standard_errors(gain_z),
        )
    )
    if e.windows:
        apart += (
            " Its tenths' levels wander far more than its point-to-point noise allows (a running average "
            "over the last episodes, or a policy drifting between updates), so that wander is the noise "
            "they are weighed against."
        )
    if e.entropy is not None:
        apart += (
            " The policy did not change either: %s went %s → %s, within %d %% of where it began, where "
            "a policy that learns grows surer of its actions."
            % (
                e.entropy["tag"],
                fmt(e.entropy["start"]),
                fmt(e.entropy["end"]),
                round(100 * det.flat_entropy_rel),
            )
        )
    expl = (
        "%s opened at %s (the median of its first tenth) and closed at %s (the median of its last "
        "fifth): %s When the episode length is logged, it did not change by half or double "
        "either: the trained policy scores what it scored before training. Typical causes: a reward "
        "too sparse to find by chance (shape it, start closer to the goal, add a curriculum), "
        "observations that do not carry what the task needs, actions that do not reach the "
        "environment, too little exploration, or a learning rate or budget far too small. Check that "
        "one update changes the policy and that a scripted policy can earn the reward. If this run "
        "continues a trained policy from a checkpoint with its step counter reset, a flat return is "
        "the policy holding its level: log the earlier run beside it and CurveCheck compares them.%s"
        % (capital(name), fmt(e.opening), fmt(e.level), apart, lr)
    )
    return title, expl


def _no_success(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """A success rate that never reached the floor."""
    n = len(e.view)
    title = "%s never reached %s: best level %s, %s at the end over %d summaries" % (
        name,
        fmt(environments.SUCCESS_FLOOR),
        fmt(e.best),
        fmt(e.level),
        n,
    )
    expl = (
        "%s, the share of episodes that reached the goal, stayed under one in twenty at every stage "
        "of the run (its best level, a running median over a tenth of the run, is %s; it is above 0 "
        "in %.0f %% of the summaries, single lucky episodes): the agent almost never reaches the "
        "goal, so it has almost nothing to learn from. Make the goal reachable first (a denser or "
        "shaped reward, goals sampled closer to the start, hindsight relabelling for a sparse goal "
        "task, more exploration), and check that success is detected at all: the threshold that "
        "counts an episode as a success, and the goal it compares against.%s"
        % (capital(name), fmt(e.best), 100 * e.share, lr)
    )
    return title, expl


def _reward(det: NeverLearned, e: NeverEvent, name: str, m: Optional[str], lr: str) -> Tuple[str, str]:
    """A return held at its lowest value: the agent never reached a reward."""
    view, n = e.view, len(e.view)
    title = "%s held at %s in %d of %d summaries, first and last: the agent never reached a reward" % (
        name,
        fmt(e.level),
        int(round(e.share * n)),
        n,
    )
    v = view.values
    # "Exactly" only when no point was held by the 0.01 % tolerance alone.
    loose = det._near(v, e.level) & ~U.same(v, np.full_like(v, e.level))
    how_held = "within 0.01 % of" if bool(np.any(loose)) else "exactly"
    expl = (
        "%s is %s %s, its lowest value, in %.0f %% of the summaries, including the first and the "
        "last: the agent almost never reaches the goal, so it has nothing to learn from. Make the "
        "task reachable first (shorter episodes, a denser or shaped reward, a curriculum, more "
        "exploration: entropy bonus, curiosity), and check that the reward is given at all.%s%s"
        % (capital(name), how_held, fmt(e.level), 100 * e.share, _rating_sentence(e), lr)
    )
    return title, expl


_STORIES: Dict[str, _Story] = {
    "zero": _zero,
    "frozen": _frozen,
    "nothing": _nothing,
    "zero_part": _zero_part,
    "still": _still,
    "tiny_lr": _tiny_lr,
    "repeating": _repeating,
    "stalled": _stalled,
    "split_chance": _split_chance,
    "chance": _chance,
    "coin": _coin,
    "prior": _prior_two,
    "absurd": _absurd,
    "blew_up": _blew_up,
    "auc": _auc,
    "mean": _mean,
    "unsolved": _unsolved,
    "flat": _flat,
    "no_success": _no_success,
    "reward": _reward,
}


def _rating_sentence(e: NeverEvent) -> str:
    """For a self-play return: its rating moved on games that paid nothing."""
    if e.partner is None:
        return ""
    _, v = U.finite_points(e.partner)
    if not v.shape[0]:
        return ""
    return (
        " This is self-play: %s went %s → %s, but a rating counts results against earlier copies of the "
        "agent, and with no reward paid in any episode those results say nothing about the task (every "
        "episode ending in a draw or a timeout). Watch a few episodes: an agent that never scores often "
        "never reaches what pays (the goal, the opponent) before the episode ends."
        % (e.partner.tag, fmt(float(v[0])), fmt(float(v[-1])))
    )


def _equals(level: float, c: int) -> str:
    """ "=" when a loss level reads as ln C to its shown digits (within 0.5 %), "≈" when it only lies in
    the band around it (2.2818 for ln 10 = 2.3026)."""
    return "=" if abs(level - math.log(c)) <= 0.005 * math.log(c) else "≈"


def _every_evaluation(e: NeverEvent) -> str:
    """Where a pinned accuracy held its share: throughout, or from the step it reached it."""
    if e.since_step is None:
        return "at every evaluation"
    return "at every evaluation from step %d on (it opened at %s)" % (e.since_step, fmt(e.opening))


def _held_near(det: NeverLearned, e: NeverEvent, tight: Optional[str] = None) -> str:
    """How an accuracy held near its share, and what the losses did meanwhile: none left its opening
    level, or each came down early and held still from `since_step` on."""
    if e.since_step is not None:
        return (
            "within %s at %d %% of the evaluations of the run's second half, while every loss held within "
            "%s %% of its level from step %d on"
            % (fmt(e.metric_tol), round(100 * e.share), fmt(100 * det.settle_rel), e.since_step)
        )
    held = tight or "within %s at %d %% of the evaluations of the run's second half" % (
        fmt(e.metric_tol),
        round(100 * e.share),
    )
    return held + ", while no loss moved more than a few percent from where it started"


def _standard_errors(z: float) -> str:
    """`z` standard errors in words, as the flat-return explanation says its thresholds."""
    words = {1.0: "one standard error", 2.0: "two standard errors", 3.0: "three standard errors"}
    return words.get(float(z), "%s standard errors" % fmt(z))


def _exploration_sentence(x: Optional[dict]) -> str:
    if not x:
        return ""
    return (
        " In this run %s fell from %s to %s by step %d, %.0f %% of the way through: after that the agent "
        "mostly repeats what it already does, so a trap found early is rarely left (decay it over more of "
        "the run, or keep a higher final value)."
        % (
            x["tag"],
            fmt(x["start"]),
            fmt(x["final"]),
            x["reached_at_step"],
            100.0 * x["reached_at_step"] / x["run_last_step"],
        )
    )


# A log whose first step lies this many of its own step intervals past 0 continues an earlier training.
RESUMED_INTERVALS = 10


def _resumed_note(steps: np.ndarray) -> str:
    """For a log that starts far past step 0: the earlier training it continues may have converged."""
    if steps.shape[0] < 2 or not steps[0] > RESUMED_INTERVALS * float(np.median(np.diff(steps))):
        return ""
    return (
        " This log starts at step %d, so it continues an earlier training: if that one had converged, the "
        "model has nothing left to learn at the learning rate it resumed with, and the run adds nothing."
        % int(steps[0])
    )
