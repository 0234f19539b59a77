"""`saturated_loss` told as a double softmax: a cross-entropy given probabilities where it expects logits.

`nn.CrossEntropyLoss` (or Keras' `from_logits=True`) applies a softmax itself.  Fed a model output that
already went through one, its "logits" lie in [0, 1], so even a perfectly confident prediction keeps
most of the mass spread over the other classes: a right answer costs ln(1 + (C-1)/e) (0.3133 for two
classes, 1.4611 for ten) and a wrong one ln(e + C - 1), exactly 1 more.  The loss then follows

    loss = ln(1 + (C-1)/e) + (1 - accuracy)

evaluation after evaluation, and never goes below the floor: a signature as exact as saturation's
(1 - accuracy) x 16.118, and it names the bug.
"""

from __future__ import annotations

import dataclasses
import math
from typing import List, Optional

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import stats as U
from .base import Detector
from .wording import capital, fmt, short


def floor_of(classes: int) -> float:
    """The cross-entropy of a confident right prediction made through two softmaxes."""
    return math.log(1.0 + (classes - 1) / math.e)


@dataclasses.dataclass(frozen=True, eq=False)
class SoftmaxEvent:
    ref: SeriesRef
    accuracy: SeriesRef
    steps: np.ndarray  # steps where both were logged and the accuracy was high enough to read
    loss: np.ndarray
    acc: np.ndarray
    classes: int
    fit: np.ndarray  # which of those points follow the signature
    lowest: float  # the loss's lowest value over the run (after its first points)


@dataclasses.dataclass(frozen=True)
class DoubleSoftmax(Detector[SoftmaxEvent]):
    name = "double_softmax"
    kinds = ("saturated_loss",)

    # Read where the model is right this often: its wrong answers are then confident ones, each
    # costing exactly 1 more than a right one.  Less accurate models hedge, and the cost of a wrong
    # answer depends on how much.
    min_accuracy: float = 0.8
    # At least this many such points, holding the relation ...
    min_points: int = 3
    # ... within this share of the predicted loss (four logged digits and the few hedged answers of
    # a model at 95 % move it by ~1 %) ...
    fit_rtol: float = 0.02
    # ... at this share of them.
    fit_share: float = 0.8
    # ... while the error moves by at least this much (0-1 scale) among the fitting points, so the
    # slope of 1 is seen, not only a level that might sit there by chance.
    min_error_swing: float = 0.02
    # Class counts tried: above ten, neighbouring floors lie closer than the tolerance.
    max_classes: int = 10
    # The first points are before any training: the floor is judged after them.
    warmup_share: float = 0.1

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[SoftmaxEvent]:
        if not U.judged(ref, ("loss",), allow_batch=True) or ref.info.purpose not in ("objective", None):
            return []
        acc = _accuracy_for(exp, ref)
        if acc is None:
            return []
        ls, lv = U.finite_points(ref)
        asteps, avals = U.finite_points(acc)
        if acc.info.percent:
            avals = avals / 100.0
        if not U.is_fraction(avals):
            return []
        steps, L, A = U.align(ls, lv, asteps, avals)
        high = A >= self.min_accuracy
        if int(np.sum(high)) < self.min_points:
            return []
        steps, L, A = steps[high], L[high], A[high]
        # The class count each point implies, from loss - error = ln(1 + (C-1)/e).
        with np.errstate(over="ignore", invalid="ignore"):
            implied = 1.0 + math.e * (np.exp(L - (1.0 - A)) - 1.0)
        middle = float(np.median(implied))
        # A loss far above any floor (an exploded run at 90 % accuracy) implies no class count at all.
        if not np.isfinite(middle) or not 1.5 <= middle <= self.max_classes + 0.5:
            return []
        c = int(round(middle))
        predicted = floor_of(c) + (1.0 - A)
        fit = np.abs(L - predicted) <= self.fit_rtol * predicted
        if float(np.mean(fit)) < self.fit_share or int(np.sum(fit)) < self.min_points:
            return []
        err = 1.0 - A[fit]
        if float(np.ptp(err)) < self.min_error_swing:
            return []
        # Through two softmaxes the loss cannot go below the floor; a cross-entropy on logits can.
        after = lv[int(self.warmup_share * lv.shape[0]) :]
        lowest = float(np.min(after)) if after.size else float(np.min(lv))
        if lowest < floor_of(c) * (1.0 - self.fit_rtol):
            return []
        return [SoftmaxEvent(ref, acc, steps, L, A, c, fit, lowest)]

    def describe(self, e: SoftmaxEvent) -> Finding:
        name, acc = short(e.ref), short(e.accuracy)
        floor = floor_of(e.classes)
        pts = np.flatnonzero(e.fit)
        x = int(pts[int(np.argmin(e.acc[pts]))])  # the fitting point with the most errors: the slope shows
        title = "%s ≈ %s + (1 - %s): cross-entropy computed on softmax outputs, its floor %s for %d classes" % (
            name,
            fmt(floor),
            acc,
            fmt(floor),
            e.classes,
        )
        expl = (
            "At step %d %s is %s with %s %s, and %s + (1 - %s) = %s; %d of %d evaluations where the accuracy "
            "is %s or more follow the same sum, and the loss never goes below %s (lowest %s). That is the "
            "loss of a cross-entropy that applies its own softmax to outputs that already went through "
            'one: the "logits" lie in [0, 1], so a confidently right prediction still costs '
            "ln(1 + (C-1)/e) = %s for C = %d classes and a wrong one exactly 1 more. The model may classify "
            "well, but its loss cannot reach zero, its gradients are squashed (training is slow and stalls "
            "early), and its outputs are not the probabilities they look like. Because every confident flip "
            "costs exactly one nat, the accuracy can swing by many points while the loss moves by the same "
            "number in nats: a large swing with a small loss change is this loss's arithmetic, not a sign of "
            "predictions near the threshold. Remove the softmax from the "
            "model's last layer and keep `nn.CrossEntropyLoss` (or Keras' `from_logits=True`), or keep the "
            "softmax and use a loss that takes probabilities (`nn.NLLLoss` on their log, Keras' "
            "`from_logits=False`)."
            % (
                int(e.steps[x]),
                name,
                fmt(e.loss[x]),
                acc,
                fmt(e.acc[x]),
                fmt(floor),
                fmt(e.acc[x]),
                fmt(floor + 1.0 - e.acc[x]),
                int(pts.size),
                int(e.fit.size),
                fmt(self.min_accuracy),
                fmt(floor),
                fmt(e.lowest),
                fmt(floor),
                e.classes,
            )
        )
        evidence = {
            "granularity": e.ref.info.granularity,
            "how": "double_softmax",
            "classes": e.classes,
            "floor": floor,
            "lowest_loss": e.lowest,
            "points": int(pts.size),
            "loss_values": e.loss[pts][:20],
            "accuracy_values": e.acc[pts][:20],
        }
        return Finding(
            run=e.ref.run,
            tag=e.ref.tag,
            kind="saturated_loss",
            severity="warning",
            start_step=int(e.steps[pts[0]]),
            end_step=int(e.steps[pts[-1]]),
            title=capital(title),
            explanation=expl,
            evidence=evidence,
            related=[e.accuracy.ref()],
        )


def _accuracy_for(exp: Experiment, ref: SeriesRef) -> Optional[SeriesRef]:
    """The accuracy of the loss's own split (and cadence, when logged at it)."""
    cands = [m for m in exp.metrics_for(ref) if m.info.quantity == "accuracy"]
    return cands[0] if cands else None
