"""`low_margin`: an accuracy swings far more than the change of its loss can explain."""

from __future__ import annotations

import dataclasses
import math
from typing import Dict, List, Optional

from ..model import Experiment, Finding, SeriesRef
from . import stats as U
from .base import Detector
from .wording import fmt, short


@dataclasses.dataclass(frozen=True, eq=False)
class MarginEvent:
    ref: SeriesRef
    view: U.View
    loss: SeriesRef
    loss_at: Dict[int, float]  # the loss's finite values by step
    pre: int  # index before the largest qualifying fall
    bottom: int
    first: int  # first low point
    fall: float  # accuracy lost, 0-1
    loss_change: float  # nats
    nats_per_flip: float
    events: int  # how many falls qualified


@dataclasses.dataclass(frozen=True)
class LowMargin(Detector[MarginEvent]):
    name = "low_margin"
    kinds = ("low_margin",)

    # The swings judged are the sharp falls the level detector finds (dips and collapses).
    drops: U.DropTest = dataclasses.field(default_factory=U.DropTest)
    # Only falls of at least this much accuracy (0-1) are judged (on top of the drop test's own
    # noise test): smaller ones are within the sampling noise of an ordinary validation set.
    min_fall: float = 0.10
    # Loss increase per newly wrong sample, in nats.  A sample that goes from 3:1 for to 3:1 against
    # the right class costs ln 9 - ln 3 ... = ln 3 = 1.0986 nats; less than that on average means the
    # samples that flipped sat within 3:1 odds of the decision threshold (and the other samples'
    # loss changes only add to the measured cost, so this errs towards silence).
    max_nats_per_flip: float = math.log(3.0)
    # A cross-entropy computed on softmax outputs charges a confident flip exactly one nat, so there a
    # cheap flip says nothing about margins: the registry hands in `double_softmax` to tell.
    softmax: Optional[Detector] = None

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[MarginEvent]:
        if not U.judged(ref, ("metric_up",)):
            return []
        if "acc" not in (ref.info.quantity or ref.tag).lower():
            return []
        loss = exp.loss_for(ref)
        if loss is None:
            return []
        if self.softmax is not None and self.softmax.measure(exp, loss):
            return []
        av = U.view_of(ref, smooth=False)
        if av.condensed or len(av) < 3 or not U.is_fraction(av.values):
            return []
        ls, lv = U.finite_points(loss)
        if ls.shape[0] < 2 or (lv <= 0).any():
            return []  # not a cross-entropy in nats: the per-sample cost means nothing
        A = av.values
        at = {int(s): float(x) for s, x in zip(ls, lv)}
        events = []
        for e in self.drops(av):
            p, b = e["pre"], e["bottom"]
            sp, sb = int(av.end_steps[p]), int(av.steps[b])
            fall = A[p] - A[b]
            if sp not in at or sb not in at or fall < self.min_fall:
                continue
            dl = at[sb] - at[sp]
            cost = dl / fall
            if cost <= self.max_nats_per_flip:
                events.append((p, b, fall, dl, cost, e["first"]))
        if not events:
            return []
        p, i, fall, dl, cost, first = max(events, key=lambda e: e[2])
        return [MarginEvent(ref, av, loss, at, p, i, first, fall, dl, cost, len(events))]

    def describe(self, e: MarginEvent) -> Finding:
        av, A = e.view, e.view.values
        p, i = e.pre, e.bottom
        name, lname = short(e.ref), short(e.loss)
        steps = av.steps
        title = "%s fell %s → %s at step %d while %s changed only %+.3g: predictions sit near the threshold" % (
            name,
            fmt(A[p] * av.raw_scale),
            fmt(A[i] * av.raw_scale),
            int(steps[e.first]),
            lname,
            e.loss_change,
        )
        expl = (
            "Between step %d and step %d %s fell by %s (%.0f %% of the samples changed from right to wrong) "
            "while %s rose only %s, about %.2f nats per sample that flipped. A confident prediction that "
            "turns wrong costs well over 1 nat; so little means the flipped samples were barely on the right "
            "side of the decision threshold (probabilities near 0.5 in a binary task) and a small weight "
            "change tipped them over. The model is less sure of itself than its accuracy suggests. This is "
            "usually harmless when it recovers; select checkpoints on the loss rather than the accuracy, and "
            "if the swings bother you, lower the learning rate or train longer so the margins grow (a loss "
            "that stays high while accuracy is high, or label smoothing, says the same)."
            % (
                int(av.end_steps[p]),
                int(steps[i]),
                name,
                fmt(e.fall * av.raw_scale),
                100 * e.fall,
                lname,
                fmt(e.loss_change),
                e.nats_per_flip,
            )
        )
        evidence = {
            "granularity": e.ref.info.granularity,
            "accuracy_before": A[p] * av.raw_scale,
            "accuracy_after": A[i] * av.raw_scale,
            "loss_before": e.loss_at[int(av.end_steps[p])],
            "loss_after": e.loss_at[int(steps[i])],
            "nats_per_flip": e.nats_per_flip,
            "max_nats_per_flip": self.max_nats_per_flip,
            "events": e.events,
        }
        return Finding(
            run=e.ref.run,
            tag=e.ref.tag,
            kind="low_margin",
            severity="info",
            start_step=int(steps[e.first]),
            end_step=int(steps[i]),
            title=title,
            explanation=expl,
            evidence=evidence,
            related=[e.loss.ref()],
        )
