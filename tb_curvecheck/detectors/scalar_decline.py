"""`metric_collapse` told as a decline: a task metric that got worse in order from its very first
evaluation, never having been better than where it started.

`MetricDrops` finds sharp falls from a level the metric had reached; a metric whose best is its
first evaluation and which then slides, evaluation after evaluation, has no such level to fall from,
yet the run is making it worse all along (a summariser whose ROUGE falls 0.168 -> 0.135 over twenty
evaluations while its loss improves: the generation settings cut every summary short)."""

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
        if not (start > 0 and start - end >= self.min_rel_fall * start):
            return []
        best = float(np.max(U.running_median(v, k)[k // 2 : n - k // 2]))
        if best - start > self.rose_share * (start - end):
            return []
        z = U.trend_z(v)
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
        return [DeclineEvent(ref, view, start, end, z, loss, loss_start, loss_end)]

    def describe(self, e: DeclineEvent) -> Finding:
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
