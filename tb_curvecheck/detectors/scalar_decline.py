"""`metric_collapse` told as a decline: a task metric that got worse in order from its very first
evaluation, never having been better than where it started, or that climbed to a best and then slid
back in order, giving back most of what it gained.

`MetricDrops` finds sharp falls from a level the metric had reached; a metric whose best is its
first evaluation and which then slides, evaluation after evaluation, has no such level to fall from,
yet the run is making it worse all along (a summariser whose ROUGE falls 0.168 -> 0.135 over twenty
evaluations while its loss improves: the generation settings cut every summary short).  A metric
that climbed and then slid back a little each evaluation has no sharp fall either, and when no
training side of it is logged, overfitting cannot tell it (a YOLOv5 run's mAP 0.10 at epoch 41, then
lower nearly every epoch to 0.024 at epoch 99)."""

from __future__ import annotations

import dataclasses
from typing import List, Optional

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import stats as U
from .base import Detector
from .wording import capital, fmt, make_finding, short


@dataclasses.dataclass(frozen=True, eq=False)
class DeclineEvent:
    ref: SeriesRef
    view: U.View
    start: float  # median of the first `edge_points` evaluations
    end: float  # median of the last `edge_points`
    z: float  # Mann-Kendall z over the whole run
    loss: Optional[SeriesRef]
    loss_start: Optional[float]
    loss_end: Optional[float]
    best_i: Optional[int] = None  # slid: where the best level was (None: declined from the first)
    best: Optional[float] = None


@dataclasses.dataclass(frozen=True)
class MetricDecline(Detector[DeclineEvent]):
    name = "metric_decline"
    kinds = ("metric_collapse",)

    # A trend needs evaluations: fewer cannot tell a slide from a noisy plateau.
    min_points: int = 8
    # Values later in the run lower than earlier ones far beyond chance (Mann-Kendall z at most -3:
    # one-sided p ~ 1e-3 for independent evaluations; a converged metric wandering has z near 0).
    trend_z: float = 3.0
    # ... by at least this share of where it started: a metric that lost a tenth of its opening level
    # has lost something a reader sees, a 2 % sag is evaluation noise.
    min_rel_fall: float = 0.1
    # Levels at the two ends: medians of this many evaluations, so one point does not decide.
    edge_points: int = 3
    # It never rose: its best running median (this many evaluations wide) is no higher than this share
    # of the fall above its opening level.  A metric that climbed and then slid back is MetricDrops'
    # or overfitting's story.
    rose_share: float = 0.25
    # A sharp fall that did not come back is already a collapse, told with its step: the registry hands
    # in MetricDrops (detectors do not import one another) so the slide is not told twice.
    drops: Optional[Detector] = None
    # A slide after a climb is judged on at least this many evaluations from the best on (the same
    # trend_z: a metric wandering at its plateau has z near 0) ...
    slide_min_after: int = 8
    # ... gives back at least this share of what the metric had gained (start to best): a plateau a
    # little under its best has not slid ...
    slide_gave_back: float = 0.5
    # ... and this share of its best level: a fifth of the best gone is a result a reader sees lost.
    slide_rel_fall: float = 0.2
    # The climb to the best must stand this many standard errors of the two levels above the start (a
    # metric at chance wobbling 0.31 -> 0.41 -> 0.28 on twelve examples never climbed), and the slide
    # span at least this many quanta (1/N for an accuracy on N examples): a few examples flipping is
    # not a slide.
    slide_noise_k: float = 3.0
    slide_min_quanta: float = 3.0
    # The split's loss, when logged, must have reached this share below its opening level at its best.
    slide_loss_gain: float = 0.05

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[DeclineEvent]:
        if not U.judged(ref, ("metric_up",)) or ref.info.purpose != "task":
            return []
        # Per-step training values are minibatch samples (an accuracy of 0 or 1 per batch), not evaluations.
        if ref.info.granularity != "epoch" and ref.info.split == "train":
            return []
        view = U.view_of(ref, smooth=False)
        v = view.values
        n = v.shape[0]
        if n < self.min_points:
            return []
        k = self.edge_points
        start, end = U.end_medians(v, k)
        level = U.running_median(v, k)
        best = float(np.max(level[k // 2 : n - k // 2]))
        if start > 0 and start - end >= self.min_rel_fall * start and best - start <= self.rose_share * (start - end):
            best_i = None
            z = U.trend_z(v)
        else:
            slid = self._slid(exp, ref, v, level, start, end)
            if slid is None:
                return []
            best_i, best, z = slid
        if z > -self.trend_z:
            return []
        if self.drops is not None and any(d.recovered is None and not d.pending for d in self.drops.measure(exp, ref)):
            return []
        loss = exp.loss_for(ref)
        loss_start = loss_end = None
        if loss is not None:
            lv = U.view_of(loss, smooth=False).values
            if lv.shape[0] >= 2 * k:
                loss_start, loss_end = U.end_medians(lv, k)
        return [DeclineEvent(ref, view, start, end, z, loss, loss_start, loss_end, best_i, best)]

    def _slid(self, exp: Experiment, ref: SeriesRef, v: np.ndarray, level: np.ndarray, start: float, end: float):
        """(index of the best level, best level, trend z after it) of a metric that climbed to a best and
        slid back in order from there, or None.  Not in an RL run (its returns are RewardCollapse's), nor
        beside a training side of the same quantity: validation falling while training rises is overfitting."""
        if U.reinforcement_learning(exp) or exp.find(quantity=ref.info.quantity, split="train"):
            return None
        k = self.edge_points
        n = v.shape[0]
        inner = level[k // 2 : n - k // 2]
        best_i = k // 2 + int(np.argmax(inner))
        best = float(level[best_i])
        gain = best - start
        if n - best_i < self.slide_min_after or gain <= 0:
            return None
        if best - end < max(
            self.slide_gave_back * gain, self.slide_rel_fall * abs(best), self.slide_min_quanta * U.quantum(v)
        ):
            return None
        if gain <= self.slide_noise_k * U.level_difference_se(U.residual_noise(v), k, k):
            return None
        loss = exp.loss_for(ref)
        if loss is not None:
            lv = U.view_of(loss, smooth=False).values
            # A split whose loss never got below where it began (a three-class validation loss held at
            # ln 3) learned nothing for the metric's climb to mean: that run never learned.
            if lv.shape[0] >= k and float(np.min(U.running_median(lv, k))) > (1 - self.slide_loss_gain) * float(
                np.median(lv[:k])
            ):
                return None
        return best_i, best, U.trend_z(v[best_i:])

    def describe(self, e: DeclineEvent) -> Finding:
        if e.best_i is not None:
            return self._describe_slide(e)
        view, n = e.view, len(e.view)
        name = short(e.ref)
        loss_fell = e.loss_start is not None and e.loss_end < e.loss_start
        title = "%s declined %s → %s over %d evaluations, from the first one on%s" % (
            name,
            view.shown(e.start),
            view.shown(e.end),
            n,
            ", while %s fell %s → %s" % (short(e.loss), fmt(e.loss_start), fmt(e.loss_end)) if loss_fell else "",
        )
        parts = [
            "%s was at its best at the first evaluations (%s) and got worse in order from there, to %s at step "
            "%d (%.0f %% lower; Mann-Kendall z %.1f: later evaluations are lower than earlier ones far "
            "beyond chance). Training is making the result worse, not better. "
            % (
                capital(name),
                view.shown(e.start),
                view.shown(e.end),
                int(view.end_steps[-1]),
                100 * (e.start - e.end) / e.start,
                e.z,
            )
        ]
        if loss_fell:
            parts.append(
                "Meanwhile %s improved (%s → %s): the model optimises something this metric does not reward. "
                "For a generated output, check the generation settings the metric is computed with (a maximum "
                "length that cuts outputs short, the decoding strategy); otherwise check that the metric reads "
                "the predictions and labels the loss does. " % (short(e.loss), fmt(e.loss_start), fmt(e.loss_end))
            )
        parts.append(
            "A model that starts from pretrained weights and only loses ground is being pulled away from "
            "them: lower the learning rate, add a warm-up, or freeze more of it; and keep "
            "the checkpoint of the first evaluation, which is the best this run produced."
        )
        evidence = {
            "start_value": e.start * view.raw_scale,
            "end_value": e.end * view.raw_scale,
            "trend_z": e.z,
            "evaluations": n,
            "how": "declined",
        }
        if e.loss_start is not None:
            evidence.update(loss_start=e.loss_start, loss_end=e.loss_end)
        return make_finding(
            e.ref, "metric_collapse", "warning", view, 0, n - 1, title, "".join(parts), evidence, related=[e.loss]
        )

    def _describe_slide(self, e: DeclineEvent) -> Finding:
        view, n = e.view, len(e.view)
        name = short(e.ref)
        best_step = int(view.end_steps[e.best_i])
        after = n - e.best_i
        title = "%s slid %s → %s over %d evaluations after its best at step %d" % (
            name,
            view.shown(e.best),
            view.shown(e.end),
            after,
            best_step,
        )
        expl = (
            "%s climbed from %s to its best, %s at step %d, then got worse in order, to %s at step %d (%s"
            "%.0f %% of what it had gained; Mann-Kendall z %.1f over the %d evaluations since "
            "the best: later evaluations are lower far beyond chance). No single evaluation fell sharply, and no "
            "training side of %s is logged to set it against, yet the model at step %d is better than the "
            "final one. Usual causes: overfitting the logged losses do not show (a validation loss not logged, "
            "or summed from terms whose drift hides it), a learning rate too high for the late stage, or "
            "augmentation or data that changed during the run. Keep the checkpoint from step %d, and stop "
            "early on this metric."
        ) % (
            capital(name),
            view.shown(e.start),
            view.shown(e.best),
            best_step,
            view.shown(e.end),
            int(view.end_steps[-1]),
            # A best of exactly zero (an R² that climbed to 0.0) has no share to quote.
            "%.0f %% below its best, " % (100 * (e.best - e.end) / abs(e.best)) if e.best else "",
            100 * (e.best - e.end) / (e.best - e.start),
            e.z,
            after,
            name,
            best_step,
            best_step,
        )
        evidence = {
            "start_value": e.start * view.raw_scale,
            "best_value": e.best * view.raw_scale,
            "best_step": best_step,
            "end_value": e.end * view.raw_scale,
            "trend_z": e.z,
            "evaluations": after,
            "last_healthy_step": best_step,
            "how": "slid",
        }
        return make_finding(e.ref, "metric_collapse", "warning", view, e.best_i, n - 1, title, expl, evidence)
