"""`oscillation`: a curve alternates up and down on consecutive evaluations
with an amplitude well above its noise."""

from __future__ import annotations

import dataclasses
from typing import List, Optional

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import stats as U
from .base import Detector
from .wording import capital, make_finding, short


@dataclasses.dataclass(frozen=True, eq=False)
class OscillationEvent:
    ref: SeriesRef
    view: U.View
    first: int  # first point of the alternating stretch
    last: int
    swing: float  # median swing on the logged scale (fractions for percent tags)
    sigma: float  # lag-2 noise of the whole curve
    companions: List[SeriesRef]  # loss/metric that swing with it
    partner: Optional[SeriesRef]  # the other split
    partner_calm: bool  # the other split does not swing


@dataclasses.dataclass(frozen=True)
class Oscillation(Detector[OscillationEvent]):
    name = "oscillation"
    kinds = ("oscillation",)

    alternation: U.AlternationTest = dataclasses.field(default_factory=U.AlternationTest)

    def _alternates(self, ref: SeriesRef) -> bool:
        view = U.view_of(ref, smooth=False)
        return not view.condensed and self.alternation.on_log_if_loss(ref, view.values) is not None

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[OscillationEvent]:
        if not U.judged(ref, ("loss", "metric_up", "metric_down")):
            return []
        # Per-step training values are minibatch samples; alternation there is noise, not evaluations.
        # So is a per-step series of no named split beside its own per-epoch aggregate (Lightning's
        # `data_loss_step` beside `data_loss_epoch`: two kinds of batch taking turns).
        if ref.info.granularity == "step" and ref.info.split == "train":
            return []
        if (
            ref.info.granularity == "step"
            and ref.info.split is None
            and any(s.info.split is None for s in exp.find(ref.info.quantity, granularity="epoch"))
        ):
            return []
        view = U.view_of(ref, smooth=False)
        if view.condensed:
            return []
        v = view.values
        got = self.alternation.on_log_if_loss(ref, v)
        if got is None:
            return []
        a, b, _, _ = got
        swing = float(np.median(np.abs(np.diff(v[a : b + 1]))))
        sigma = U.noise(v, lag=2)
        # Which companions swing with it (the loss of a swinging accuracy, the other split).
        companions = []
        for other in [exp.loss_for(ref)] + exp.metrics_for(ref)[:1] if ref.info.role == "loss" else [exp.loss_for(ref)]:
            if other is None or other is ref:
                continue
            if self._alternates(other):
                companions.append(other)
        partner = exp.partner(ref)
        partner_calm = (
            partner is not None and not U.view_of(partner, smooth=False).condensed and not self._alternates(partner)
        )
        return [OscillationEvent(ref, view, a, b, swing, sigma, companions, partner, partner_calm)]

    def describe(self, e: OscillationEvent) -> Finding:
        ref, view, v = e.ref, e.view, e.view.values
        a, b = e.first, e.last
        name = short(ref)
        seg = v[a : b + 1]
        highs, lows = seg[::2], seg[1::2]
        if highs.mean() < lows.mean():
            highs, lows = lows, highs
        evals = b - a + 1
        title = "%s alternates up and down every evaluation for %d evaluations (steps %d-%d), swing %s" % (
            name,
            evals,
            int(view.steps[a]),
            int(view.end_steps[b]),
            view.shown(e.swing),
        )
        parts = [
            "%s goes up and down on consecutive evaluations from step %d to step %d: highs around %s, "
            "lows around %s, a median swing of %s against a noise of %s. "
            % (
                capital(name),
                int(view.steps[a]),
                int(view.end_steps[b]),
                view.shown(float(np.median(highs))),
                view.shown(float(np.median(lows))),
                view.shown(e.swing),
                view.shown(e.sigma),
            )
        ]
        if e.companions:
            parts.append("%s swings in step with it. " % " and ".join(short(c) for c in e.companions).capitalize())
        if ref.info.split in ("validation", "test"):
            if e.partner_calm:
                parts.append(
                    "%s does not swing, so the model is fine and the evaluation is not. "
                    % short(e.partner).capitalize()
                )
            parts.append(
                "A period-2 pattern on the validation curves is the signature of evaluating a different part "
                "of the validation set each time: validation_steps that do not cover the whole set (each epoch "
                "continues where the last one stopped), a generator that is not reset, or a class-ordered set "
                "read with shuffle=False so that alternate epochs see mostly one class. Check that "
                "validation_steps × batch size equals the number of validation samples (use "
                "ceil(n / batch_size)), or pass the generator without validation_steps."
            )
        else:
            parts.append(
                "Alternation on the training curve means the updates overshoot back and forth: the learning "
                "rate is too high for the curvature (lower it, or add momentum damping), or the data order "
                "alternates between two kinds of batches every epoch."
            )
        evidence = {
            "evaluations": evals,
            "median_swing": e.swing * view.raw_scale,
            "noise": e.sigma * view.raw_scale,
            "high_median": float(np.median(highs)) * view.raw_scale,
            "low_median": float(np.median(lows)) * view.raw_scale,
            "values": seg[:40] * view.raw_scale,
            "partner_calm": e.partner_calm,
        }
        return make_finding(
            ref,
            "oscillation",
            "warning",
            view,
            a,
            b,
            title,
            "".join(parts),
            evidence,
            related=e.companions + ([e.partner] if e.partner is not None else []),
        )
