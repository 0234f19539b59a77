"""Level changes: `metric_collapse`, `transient_dip` (a higher-is-better metric
falls sharply, and stays down or recovers) and `loss_divergence` (a loss climbs
far above its best and does not come back)."""
from __future__ import annotations

from typing import List, Optional

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import _util as U

# A fall spread over at most this many evaluations is still "sharp".
DROP_LOOKBACK = 3
# A fall must exceed this many noise units: ~1 in 700 points of Gaussian noise, and a recovered
# one is only ever an info.  The noise is measured around the fall, leaving the fall out, as the
# smaller of the centred MAD of differences (blind to a trend) and the median step (blind to a
# zigzag), so neither a steep start nor a jittery plateau hides a fall.
DROP_NOISE_K = 3.0
# ... and this much for a 0-1 metric: ten points of accuracy is a drop anyone would call sharp.
DROP_MIN_FRACTION = 0.10
# ... or this share of its level for unbounded metrics (BLEU, PSNR, mAP x 100, ...).
DROP_MIN_RELATIVE = 0.20
# ... and at least this many quanta (1/N for an accuracy on N samples): a few samples flipping is not a fall.
DROP_MIN_QUANTA = 3
# A dip has recovered when the metric regains all but this share of the fall.
RECOVERED_SHARE_LEFT = 0.5
# "Recovers within a few evaluations": a slower recovery is still a dip (it recovered), but the
# explanation says a checkpoint would have saved the evaluations.
DIP_MAX_EVALS = 5
# A collapsed metric that ends on this many identical values has pinned (predictions frozen).
PINNED_MIN_EVALS = 3
# A fall seen only at the last evaluation is called a collapse only when it is this many times the
# threshold (post 002's 0.975 -> 0.598 is); a smaller one may be noise the next point undoes.
COLLAPSE_SINGLE_POINT_K = 2.0
# More dips than this in one curve is a pattern (oscillation or plain noise), not an event.
MAX_DIPS = 3

# Fewer healthy points than this before the best give no noise estimate; the relative thresholds rule.
DIV_NOISE_MIN_POINTS = 6
# A loss must climb this many noise units above its best to have diverged.
DIV_NOISE_K = 6.0
# ... and by this multiple of its best value (a loss that doubled) ...
DIV_REL_BEST = 1.0
# ... or give back this share of everything it had learned (first value minus best) ...
DIV_REL_SPAN = 0.5
# ... and in any case at least this share of what it had learned, so a loss near zero
# (or crossing zero by design) does not "diverge" by a rounding error.
DIV_MIN_SPAN_SHARE = 0.1
# The climb starts at the first point this many noise units above the best level (half the
# threshold when the curve has no measurable noise).
DIV_ONSET_NOISE_K = 3.0
# A loss that learned less than this share of its level has no "what it learned" to give back:
# then only a doubling counts (a flat loss wandering up a few percent has not diverged).
DIV_LEARNED_SHARE = 0.1
# "Does not come back": after the climb, no point falls back below best + this share of the climb threshold.
DIV_STAYS_ABOVE = 0.5


def _drop_threshold(view: U.View, fraction: bool, pre: float, sigma: float, q: float) -> float:
    floor = DROP_MIN_FRACTION if fraction else DROP_MIN_RELATIVE * abs(pre)
    return max(floor, DROP_NOISE_K * sigma, DROP_MIN_QUANTA * q)


def find_drops(view: U.View):
    """Sharp falls of a higher-is-better curve: (pre_index, first_low, bottom, recovered_at or None)."""
    v = view.values
    n = len(view)
    if n < 2:
        return []
    q = U.quantum(v) if not view.condensed else 0.0
    fraction = U.is_fraction(v)
    events = []
    i = max(1, U.warmup(n))
    while i < n:
        lo = max(0, i - DROP_LOOKBACK)
        pre_i = lo + int(np.argmax(v[lo:i]))
        pre = v[pre_i]
        if pre - v[i] < _drop_threshold(view, fraction, pre, 0.0, q):
            i += 1
            continue
        sigma = U.noise_around(view.unsmoothed, pre_i + 1, i)
        thr = _drop_threshold(view, fraction, pre, sigma, q)
        if pre - v[i] < thr:
            i += 1
            continue
        first_low = pre_i + 1
        while v[first_low] > pre - thr / 2 and first_low < i:
            first_low += 1
        bottom = i
        while bottom + 1 < n and v[bottom + 1] < v[bottom] and bottom + 1 - i < DROP_LOOKBACK:
            bottom += 1
        depth = pre - v[bottom]
        target = pre - RECOVERED_SHARE_LEFT * depth
        back = np.flatnonzero(v[bottom + 1:] >= target)
        rec = bottom + 1 + int(back[0]) if back.size else None
        events.append(dict(pre=pre_i, first=first_low, bottom=bottom, recovered=rec,
                           threshold=thr, sigma=sigma))
        if rec is None:
            break
        i = rec + 1
    return events


def detect_metric_drops(exp: Experiment, ref: SeriesRef) -> List[Finding]:
    if not U.judged(ref, ("metric_up",)):
        return []
    view = U.view_of(ref)
    events = find_drops(view)
    if not events or len(events) > MAX_DIPS:
        return []
    out = []
    v = view.values
    loss = exp.loss_for(ref)
    for e in events:
        pre_i, first, bottom, rec = e["pre"], e["first"], e["bottom"], e["recovered"]
        pre, low = v[pre_i], v[bottom]
        name = U.short(ref)
        healthy_step = int(view.end_steps[pre_i])
        evidence = {
            "before_value": pre * view.raw_scale, "before_step": healthy_step,
            "lowest_value": low * view.raw_scale, "lowest_step": int(view.steps[bottom]),
            "drop": (pre - low) * view.raw_scale, "threshold": e["threshold"] * view.raw_scale,
            "noise": e["sigma"] * view.raw_scale, "last_healthy_step": healthy_step,
        }
        loss_note = _loss_note(loss, view, pre_i, bottom)
        # A single low last point that fell less than twice the threshold may be noise: too early to
        # call it a collapse.
        pending = rec is None and first == len(view) - 1 and pre - low < COLLAPSE_SINGLE_POINT_K * e["threshold"]
        if rec is not None or pending:
            evals = (rec - first) if rec is not None else 1
            if rec is not None:
                evidence.update(recovered_step=int(view.steps[rec]), recovered_value=v[rec] * view.raw_scale,
                                evaluations_low=evals)
                back = "recovered to %s by step %d" % (view.shown(v[rec]), int(view.steps[rec]))
                came = ("came back within %d evaluation%s" % (evals, "" if evals == 1 else "s")
                        if evals <= DIP_MAX_EVALS else
                        "took %d evaluations to come back (restoring the checkpoint from step %d would have "
                        "saved them)" % (evals, healthy_step))
            else:
                evidence.update(pending=True)
                back = "(the last evaluation: watch the next one)"
                came = "has not come back yet, at the last evaluation logged"
            title = "%s fell %s → %s at step %d and %s" % (
                name, view.shown(pre), view.shown(low), int(view.steps[first]), back)
            expl = (
                "%s dropped sharply (by %s, %.1f times the curve's usual step-to-step noise) and %s. "
                "A one-off dip that recovers is usually harmless: an unlucky "
                "update, a batch of hard examples, or predictions sitting close to the decision "
                "threshold so that a small weight change flips many of them. %sIf it recurs, lower the "
                "learning rate; and select checkpoints on the loss rather than on this metric."
                % (name[0].upper() + name[1:], view.shown(pre - low),
                   (pre - low) / e["sigma"] if e["sigma"] > 0 else float("inf"), came, loss_note))
            out.append(U.make_finding(ref, "transient_dip", "info", view, first,
                                      rec - 1 if rec is not None else first, title, expl,
                                      evidence, related=[loss]))
            continue
        # Where the metric settled: the run of identical values it ends on, if any.
        tail = v[bottom:]
        k = tail.shape[0]
        while k > 1 and U.same(tail[k - 2:k - 1], tail[-1:])[0]:
            k -= 1
        held = tail.shape[0] - k + 1
        pinned = bool(held >= PINNED_MIN_EVALS or (held >= 2 and held == tail.shape[0]))
        pinned_value, pinned_from = tail[-1], int(view.steps[bottom + k - 1])
        evidence.update(recovered=rec is not None, pinned=pinned,
                        pinned_value=pinned_value * view.raw_scale if pinned else None,
                        final_value=v[-1] * view.raw_scale)
        severity = "error"
        when = "and has not recovered"
        title = "%s collapsed %s → %s at step %d %s" % (
            name, view.shown(pre), view.shown(low), int(view.steps[first]), when)
        if pinned and not U.same(np.asarray([low]), np.asarray([pinned_value]))[0]:
            # The number a user sees on every later step is the one to name.
            title += "; pinned at %s from step %d" % (view.shown(pinned_value), pinned_from)
        elif pinned:
            title += "; pinned there"
        parts = ["%s fell from %s to %s between step %d and step %d %s. " % (
            name[0].upper() + name[1:], view.shown(pre), view.shown(low), healthy_step,
            int(view.steps[first]), when)]
        if pinned and U.is_fraction(v) and ref.info.quantity in ("accuracy", "acc", "binary_accuracy",
                                                                  "categorical_accuracy"):
            parts.append(
                "From step %d on it holds exactly %s: a value that does not move means the predictions "
                "stopped changing, and %s is almost surely the share of the most frequent class in "
                "this data: the model now predicts one class for every input. "
                % (pinned_from, view.shown(pinned_value), view.shown(pinned_value)))
        parts.append(
            "A sudden, lasting fall means one large update broke the network: typically a learning "
            "rate too high (a spike in the gradient, Adam/Nadam with a large step), ReLU units that died "
            "after that step (a narrow ReLU layer of a few units is especially fragile), or outputs "
            "that saturated. %sCheck the loss at the same step (a jump says the weights blew up; "
            "compare the learning rate schedule), the weight and activation histograms for dead or "
            "exploding layers, and rerun with a 3-10x lower learning rate or gradient clipping. "
            % loss_note)
        parts.append("Restore the checkpoint from step %d or earlier." % healthy_step)
        out.append(U.make_finding(ref, "metric_collapse", severity, view, first, len(view) - 1,
                                  title, "".join(parts), evidence,
                                  related=[loss]))
    return out


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
    return "Over the same steps %s went %s → %s. " % (U.short(loss), U.fmt(la), U.fmt(lb))


def divergence(view: U.View):
    """(best index, onset index, threshold) when the curve climbed far above its best and stayed."""
    v = view.values
    n = len(view)
    if n < 2:
        return None
    best_i = int(np.argmin(v))
    if best_i >= n - 1:
        return None
    best = v[best_i]
    span = max(float(v[0] - best), 0.0)
    # Noise of the healthy part, up to the best: a blow-up measured as its own noise hides itself.
    raw = view.unsmoothed
    healthy_noise = best_i + 1 >= DIV_NOISE_MIN_POINTS
    # Without enough healthy points, the whole curve's noise: inflated by the climb, so cautious.
    sigma = U.residual_noise(raw[:best_i + 1] if healthy_noise else raw)
    learned = span >= DIV_LEARNED_SHARE * abs(best)
    thr = max(DIV_NOISE_K * sigma, DIV_MIN_SPAN_SHARE * span,
              min(DIV_REL_BEST * abs(best), DIV_REL_SPAN * span) if learned else DIV_REL_BEST * abs(best))
    if thr <= 0:
        return None
    after = v[best_i + 1:]
    above = np.flatnonzero(after > best + thr)
    if not above.size:
        return None
    onset_full = best_i + 1 + int(above[0])
    if (v[onset_full:] <= best + DIV_STAYS_ABOVE * thr).any():
        return None
    # The climb starts where the curve last left its best level.
    onset = onset_full
    # ... measured from the level at the best (the minimum alone is a lucky low point; the points
    # after it may already be climbing).
    around = float(np.median(v[max(0, best_i - 2):best_i + 1])) if healthy_noise else best
    left_best = around + (DIV_ONSET_NOISE_K * sigma if healthy_noise and sigma > 0 else DIV_STAYS_ABOVE * thr)
    while onset - 1 > best_i and v[onset - 1] > left_best:
        onset -= 1
    return best_i, onset, thr, sigma


def detect_divergence(exp: Experiment, ref: SeriesRef) -> List[Finding]:
    if not U.judged(ref, ("loss",)):
        return []
    view = U.view_of(ref)
    got = divergence(view)
    if got is None:
        return []
    partner = exp.partner(ref)
    if ref.info.split in ("validation", "test") and partner is not None:
        # A validation loss that climbs while training loss does not is overfitting's story.
        if divergence(U.view_of(partner)) is None:
            return []
    best_i, onset, thr, sigma = got
    v = view.values
    name = U.short(ref)
    healthy = int(view.end_steps[onset - 1])
    peak_i = onset + int(np.argmax(v[onset:]))
    title = "%s diverged: %s at step %d → %s at step %d, never back" % (
        name, U.fmt(v[best_i]), int(view.steps[best_i]), U.fmt(v[-1]), int(view.end_steps[-1]))
    expl = (
        "%s reached its best, %s, at step %d, then climbed to %s (peak %s) from step %d on and did not "
        "come back: the optimiser is no longer descending. The usual causes are a learning rate too "
        "high for this stage of training (check whether a warm-up ended or a schedule raised it at step "
        "%d), exploding gradients (look at the gradient or weight histograms; clipping the gradient norm "
        "fixes this one), or numerically saturated outputs (a loss near 16.1 x the error rate is the "
        "clipped-probability signature). Lower the learning rate and restore the checkpoint from step %d "
        "or earlier." % (name[0].upper() + name[1:], U.fmt(v[best_i]), int(view.steps[best_i]),
                         U.fmt(v[-1]), U.fmt(v[peak_i]), int(view.steps[onset]), int(view.steps[onset]),
                         healthy))
    evidence = {"best_value": v[best_i], "best_step": int(view.steps[best_i]), "final_value": v[-1],
                "peak_value": v[peak_i], "threshold": thr, "noise": sigma, "last_healthy_step": healthy}
    related = [partner] if partner is not None else []
    return [U.make_finding(ref, "loss_divergence", "error", view, onset, len(view) - 1, title, expl,
                           evidence, related=related + exp.metrics_for(ref)[:1])]
