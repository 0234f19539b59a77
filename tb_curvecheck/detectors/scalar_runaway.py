"""`loss_divergence` told as a runaway below zero: an objective that fell through zero and kept falling
by orders of magnitude.

Every loss a model is meant to minimise has a floor: a cross-entropy or a squared error at zero, a
negative log-likelihood near the data's entropy.  One that opens near zero and ends a hundred times
further below it has found a term with no floor and is driving it down: a VAE whose posterior term
grows twentyfold per epoch (total loss -9.0e5 -> -2.3e8 while the reconstruction term barely moves),
an autoencoder objective 0.26 -> -90.  On a linear scale `LossDivergence` sees a loss "improving"; the
model is exploiting the objective, not learning the task.

RL surrogates (an actor's -Q grows with the value estimates) and adversarial players are not
objectives (`purpose`), so they never reach this test."""

from __future__ import annotations

import dataclasses
from typing import List

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import stats as U
from .base import Detector
from .wording import capital, fmt, make_finding, short


@dataclasses.dataclass(frozen=True, eq=False)
class RunawayEvent:
    ref: SeriesRef
    view: U.View
    start: float  # median of the first points
    end: float  # median of the last points
    crossed: int  # view index from which the loss stays below zero
    z: float  # Mann-Kendall z of the whole series


@dataclasses.dataclass(frozen=True)
class RunawayLoss(Detector[RunawayEvent]):
    """An objective that ends far below zero, a hundred times further than where it opened."""

    name = "runaway_loss"
    kinds = ("loss_divergence",)

    # Levels are medians of this many points at each end, so one odd evaluation sets neither.
    edge_points: int = 3
    # Seven points in strict order reach z 3 (Mann-Kendall); fewer cannot show a fall in order.
    min_points: int = 7
    # The closing level must lie this many times further below zero than the opening level lies from it:
    # one and a half decades, far beyond any objective whose floor sits near zero (a flow's NLL moving
    # 2.8 -> -3.2 changes sign but not scale) ...
    min_ratio: float = 30.0
    # ... and this many noise levels below zero: an energy-based model's contrastive loss wandering
    # around zero (0.001 -> -0.05) crosses it by noise, not by a runaway.
    min_noise_k: float = 10.0
    # The fall is in order: later values lie below earlier ones far beyond chance.
    trend_z: float = 3.0

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[RunawayEvent]:
        if not U.judged(ref, ("loss",)) or ref.info.purpose != "objective":
            return []
        if U.reinforcement_learning(exp):
            return []
        # Zeros written before the first update are no opening level to measure the fall from.
        view = U.view_of(ref, smooth=False, from_first_update=True)
        v = view.values
        n = v.shape[0]
        if n < self.min_points:
            return []
        start, end = U.end_medians(v, self.edge_points)
        # An opening at exactly zero (a loss whose median first points are 0.0) has no scale to compare:
        # the noise test below is then the whole judgement.
        if end >= 0 or -end < self.min_ratio * abs(start):
            return []
        if -end < self.min_noise_k * U.residual_noise(v):
            return []
        z = U.trend_z(v)
        if z > -self.trend_z:
            return []
        above = np.nonzero(v >= 0)[0]
        crossed = int(above[-1]) + 1 if above.size else 0
        if crossed >= n:
            return []
        return [RunawayEvent(ref, view, start, end, crossed, z)]

    def describe(self, e: RunawayEvent) -> Finding:
        view, n = e.view, len(e.view)
        name = short(e.ref)
        last = int(view.end_steps[-1])
        title = "%s ran away below zero: %s at step %d → %s at step %d" % (
            name,
            view.shown(float(view.values[0])),
            int(view.steps[0]),
            view.shown(float(view.values[-1])),
            last,
        )
        crossing = (
            "It was below zero from the first evaluation"
            if e.crossed == 0
            else "It crossed zero at step %d" % int(view.steps[e.crossed])
        )
        expl = (
            "%s opened at %s and closed at %s (medians of its first and last evaluations), %s, falling in order "
            "(Mann-Kendall z %.1f). %s and kept falling. A loss a model is meant to minimise has a floor near "
            "zero; one that falls by orders of magnitude below it has a term with no floor that the optimiser "
            "is exploiting, and the fall says nothing about the task. The usual causes are a term with the "
            "wrong sign, a log-likelihood whose variance or scale is learned without a bound (it collapses to "
            "zero and the likelihood grows without limit), a KL or energy term added where it should be "
            "subtracted, or a critic left unconstrained. Log the terms of the loss separately to see which one "
            "runs away, and check its sign and its bounds."
        ) % (
            capital(name),
            fmt(e.start),
            fmt(e.end),
            (
                "%.0f times further below zero than it began" % abs(e.end / e.start)
                if e.start
                else "from an opening at zero"
            ),
            e.z,
            crossing,
        )
        evidence = {
            "start_value": e.start * view.raw_scale,
            "final_value": e.end * view.raw_scale,
            "trend_z": e.z,
            "how": "runaway",
        }
        if e.crossed > 0:
            evidence["last_healthy_step"] = int(view.end_steps[e.crossed - 1])
        return make_finding(e.ref, "loss_divergence", "error", view, e.crossed, n - 1, title, expl, evidence)
