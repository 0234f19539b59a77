"""Trends over the run: `overfitting` (validation loss rises while training loss
keeps falling) and `no_progress` (the loss does not improve meaningfully)."""
from __future__ import annotations

from typing import List

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import _util as U
from .scalar_level import divergence
from .scalar_oscillation import alternating_stretch

# The rise must last at least this many evaluations after the best: one bad epoch is noise.
OVF_MIN_EVALS_AFTER = 3
# The rise must exceed this many noise units of the validation loss.
OVF_NOISE_K = 4.0
# ... and give back this share of what the validation loss had learned (first minus best);
# early stopping's "patience" wobble stays well under it.
OVF_MIN_SPAN_SHARE = 0.15
# ... and this share of its best level: a validation loss that creeps up 2 % after a run that
# learned almost everything in its first epoch is not worth a warning.
OVF_MIN_REL_LEVEL = 0.05
# When the validation loss never improved, the rise must reach this share of its best instead.
OVF_MIN_REL_BEST = 0.10
# The training loss must end within this share of its own improvement from its best: a run whose
# training loss jumped back up and holds there has broken, not overfitted.
TRAIN_NEAR_BEST = 0.25
# Level at the end of a curve: median of this many last evaluations, so one point does not decide.
END_POINTS = 3
# The training loss must not have risen by more than this share of its level (or two noise units)
# since the validation best: falling or holding while validation climbs is overfitting.
TRAIN_FALL_REL = 0.01

# "Over the run" needs a run: fewer evaluations say nothing about progress.
NP_MIN_POINTS = 8
# A loss that improved by less than this share of its first value has not learned ...
NP_MIN_REL = 0.05
# ... nor one whose improvement is within this many standard errors of the starting level
# (the median of NP_START_POINTS points): ~1 in 700 for a flat Gaussian curve.
NP_NOISE_K = 3.0
# Standard error of a median of k Gaussian points, in sigma / sqrt(k).
MEDIAN_SE = 1.2533
# A higher-is-better 0-1 metric of the same split that gained this much (end vs start) says the
# run learns, whatever the loss's offset or scale.
NP_METRIC_GAIN = 0.10
# An improvement this many noise units large is learning whatever its share of the level
# (a loss offset by a constant, like a log-likelihood, improves by a small share of a big number).
NP_CLEAR_K = 20.0
# The starting level is the median of this many first evaluations ...
NP_START_POINTS = 3
# ... and the best level the lowest running median over this share of the run (at least
# NP_MIN_WIDTH points), so the luckiest minibatch of a long flat run is not "progress".
NP_BEST_WIDTH_SHARE = 0.1
NP_MIN_WIDTH = 5

def _end_level(v: np.ndarray, after: int) -> float:
    k = max(1, min(END_POINTS, v.shape[0] - after))
    return float(np.median(v[-k:]))


def _value_at(view: U.View, step: int) -> float:
    i = int(np.searchsorted(view.steps, step, side="right")) - 1
    return float(view.values[max(i, 0)])


def detect_overfitting(exp: Experiment, ref: SeriesRef) -> List[Finding]:
    if not U.judged(ref, ("loss",)) or ref.info.split not in ("validation", "test"):
        return []
    train = exp.partner(ref)
    if train is None or stalled(exp, train) is not None:
        return []  # a training loss that never learned has nothing to overfit
    view = U.view_of(ref)
    tview = U.view_of(train)
    v = view.values
    n = len(view)
    if n < OVF_MIN_EVALS_AFTER + 2 or len(tview) < 2:
        return []
    best_i = int(np.argmin(v))
    if n - 1 - best_i < OVF_MIN_EVALS_AFTER:
        return []
    best = v[best_i]
    span = float(v[0] - best)
    sigma = U.residual_noise(view.unsmoothed)
    thr = max(OVF_NOISE_K * sigma, OVF_MIN_SPAN_SHARE * span if span > 0 else OVF_MIN_REL_BEST * abs(best),
              OVF_MIN_REL_LEVEL * abs(best))
    end = _end_level(v, best_i + 1)
    if end - best < thr or thr <= 0:
        return []
    post = v[best_i + 1:]
    if np.median(post[post.shape[0] // 2:]) < best + thr / 2:
        return []
    t_best = _value_at(tview, int(view.steps[best_i]))
    t_end = _end_level(tview.values, 0)
    t_sigma = U.residual_noise(tview.unsmoothed)
    if t_end - t_best > max(2 * t_sigma, TRAIN_FALL_REL * abs(t_best)):
        return []  # both rising: the run diverges, which loss_divergence tells
    t_first, t_min = float(tview.values[0]), float(np.min(tview.values))
    if t_end > t_min + TRAIN_NEAR_BEST * max(t_first - t_min, 0.0) + 2 * t_sigma:
        return []  # training itself broke (a collapse holds its loss high): not overfitting
    verb = "fell" if t_best - t_end > max(t_sigma, TRAIN_FALL_REL * abs(t_best)) else "held at"
    name = U.short(ref)
    best_step = int(view.end_steps[best_i])
    title = "%s rose %s → %s after step %d while %s %s %s → %s" % (
        name, U.fmt(best), U.fmt(end), best_step, U.short(train), verb, U.fmt(t_best), U.fmt(t_end))
    expl = (
        "%s was lowest (%s) at step %d and has risen since, to %s, while %s %s (%s → %s): the "
        "model is memorising the training data instead of learning what generalises. The best model of "
        "this run is the one from step %d: restore it, or stop there (EarlyStopping on the validation "
        "loss with restore_best_weights=True). To push the best point later: more data or augmentation, "
        "dropout or weight decay, a smaller model, or a lower learning rate late in training. If the "
        "validation accuracy is still flat or rising, the model is becoming over-confident on the "
        "examples it gets wrong rather than getting more of them wrong; this is still the point to stop."
        % (name[0].upper() + name[1:], U.fmt(best), best_step, U.fmt(end), U.short(train),
           "kept falling" if verb == "fell" else "held", U.fmt(t_best), U.fmt(t_end), best_step))
    evidence = {"best_step": best_step, "best_value": best, "end_value": end, "rise": end - best,
                "threshold": thr, "noise": sigma, "train_at_best": t_best, "train_end": t_end,
                "last_healthy_step": best_step}
    return [U.make_finding(ref, "overfitting", "warning", view, min(best_i + 1, n - 1), n - 1, title, expl,
                           evidence, related=[train])]


def stalled(exp: Experiment, ref: SeriesRef):
    """The numbers behind a no_progress verdict on a loss, or None when it learned (or cannot tell)."""
    if not U.judged(ref, ("loss",)):
        return None
    view = U.view_of(ref, smooth=False)
    n = len(view)
    if n < NP_MIN_POINTS:
        return None
    if divergence(view) is not None:
        return None
    v = view.values
    if alternating_stretch(v) is not None:
        # An alternating curve's level is not defined; the oscillation finding tells that story.
        return None
    first = float(np.median(v[:NP_START_POINTS]))
    width = max(NP_MIN_WIDTH, int(NP_BEST_WIDTH_SHARE * n)) | 1
    smooth = U.running_median(v, width)
    best_i = int(np.argmin(smooth))
    best = float(smooth[best_i])
    improvement = first - best
    sigma = U.residual_noise(v)
    rel = improvement / abs(first) if first != 0 else float("inf")
    # Standard error of (start median - lowest running median): a median of k points has
    # 1.25 sigma / sqrt(k), and the two levels are independent.
    se = MEDIAN_SE * sigma * np.sqrt(1.0 / min(NP_START_POINTS, n) + 1.0 / width)
    significant = improvement >= NP_NOISE_K * se
    # The noise where the curve has settled (its second half): a steep start is not noise.
    settled = U.residual_noise(v[n // 2:]) if n - n // 2 >= 4 else sigma
    if significant and (improvement >= NP_MIN_REL * abs(first) or improvement >= NP_CLEAR_K * settled):
        return None
    for m in exp.metrics_for(ref):
        mv = U.view_of(m, smooth=False).values
        if mv.shape[0] >= 2 * NP_START_POINTS and U.is_fraction(mv) and \
                np.median(mv[-NP_START_POINTS:]) - np.median(mv[:NP_START_POINTS]) >= NP_METRIC_GAIN:
            return None
    return dict(view=view, n=n, first=first, best=best, improvement=improvement, sigma=sigma, rel=rel)


def detect_no_progress(exp: Experiment, ref: SeriesRef) -> List[Finding]:
    got = stalled(exp, ref)
    if got is None:
        return []
    view, n, first, best = got["view"], got["n"], got["first"], got["best"]
    improvement, sigma, rel = got["improvement"], got["sigma"], got["rel"]
    name = U.short(ref)
    title = "%s did not improve: %s at the start, best %s (%+.1f %%) over %d evaluations" % (
        name, U.fmt(first), U.fmt(best), -100 * rel if np.isfinite(rel) else 0.0, n)
    expl = (
        "%s starts at %s and its best level over the whole run (steps %d-%d) is %s, an improvement of "
        "%.1f %% and %.1f noise units: nothing was learned. Check first that the model trains at all: "
        "overfit a single batch (the loss should reach near zero in a few hundred steps; if not, the "
        "model, loss or labels are wrong: labels misaligned with inputs, a loss that does not match "
        "the output activation, a frozen model). Then the learning rate: too low and the loss creeps, "
        "too high and it bounces around its start; try a range test over 1e-5..1. Also check for "
        "unnormalised inputs and for gradients that are zero (vanishing, dead ReLUs)."
        % (name[0].upper() + name[1:], U.fmt(first), int(view.steps[0]), int(view.end_steps[-1]), U.fmt(best),
           100 * rel if np.isfinite(rel) else 0.0, improvement / sigma if sigma > 0 else float("inf")))
    evidence = {"first_level": first, "best_level": best, "improvement": improvement,
                "relative_improvement": rel, "noise": sigma, "points": n,
                "min_relative_improvement": NP_MIN_REL}
    return [U.make_finding(ref, "no_progress", "warning", view, 0, n - 1, title, expl, evidence,
                           related=exp.metrics_for(ref)[:1])]
