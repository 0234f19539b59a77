"""`loss_divergence` the run came partly back from: a loss that had converged by orders of magnitude
blew up within a few evaluations, knocked the model's accuracy down with it, and ended the run far above
the level it had before.  On a linear scale such a loss "recovered" (0.11 at the end against a first
value of 2.3), and where `LossDivergence` does see a climb, the task metric's gain over the whole run
(0.12 -> 0.96) tells `purpose.gate` the run learned.  On the scale the loss fell over (1.5e-6 before the
jump) it gave back most of what it had learned, and the accuracy beside it, knocked from 1.0 to 0.09 and
ending at 0.96, says the final model is worse than the one the blow-up replaced: the finding carries
that witness (`EV_TASK_WORSE`), and the gate keeps it.  Long Keras runs that drive a cross-entropy
towards float32's floor show it."""

from __future__ import annotations

import dataclasses
from typing import List

import numpy as np

from ..model import EV_TASK_WORSE, Experiment, Finding, SeriesRef
from . import stats as U
from .base import Detector
from .wording import capital, fmt, make_finding, short


@dataclasses.dataclass(frozen=True, eq=False)
class BlowupEvent:
    ref: SeriesRef
    view: U.View
    before: int  # view index of the last point at the pre-jump level
    jump: int  # first view index far above it
    peak: int
    level: float  # the pre-jump level (linear)
    end: float  # the closing level (linear)
    metric: SeriesRef
    metric_before: float
    metric_low: float
    metric_end: float


@dataclasses.dataclass(frozen=True)
class UnrecoveredBlowup(Detector[BlowupEvent]):
    name = "unrecovered_blowup"
    kinds = ("loss_divergence",)

    # Enough evaluations for a level before the jump and one after it.
    min_points: int = 10
    # Levels are running medians of this many log-values: one lucky or unlucky batch is not a level.
    level_width: int = 5
    # Converged: its lowest level two orders of magnitude under where it started (a cross-entropy
    # 2.3 -> 0.02 or lower).  A loss that learned less has a linear scale to be judged on.
    converged_decades: float = 2.0
    # Blew up: some later evaluation 1.5 orders of magnitude (about 30x) above that lowest level ...
    blowup_decades: float = 1.5
    # ... reached from within `near_best_decades` of it in at most this many evaluations: sudden, one bad
    # update, not the slow drift of a loss whose floor wanders (float32 noise near 1e-7 stays in a decade).
    blowup_evals: int = 3
    near_best_decades: float = 1.0
    # Stayed: the closing level (`U.MetricFell.closing`, the median of the last twentieth) is still this
    # far above the pre-jump level.  A spike the run came back from (ending at its best) is only mild.
    stayed_decades: float = 1.5
    # The opening level is the median of this many first evaluations.
    opening_points: int = 3
    # The witness: a 0-1 metric of the same split fell sharply at the jump and ended below where it stood
    # (`U.MetricFell`): an RL or detection loss that climbs by design has no such accuracy beside it, and
    # a validation loss whose accuracy held is not this.
    witness: U.MetricFell = dataclasses.field(default_factory=U.MetricFell)

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[BlowupEvent]:
        if not U.judged(ref, ("loss",)) or ref.info.purpose not in ("objective", None):
            return []
        view = U.view_of(ref, smooth=False)
        v = view.values
        n = len(view)
        if n < self.min_points or float(np.min(v)) <= 0.0:
            return []
        lv = np.log10(v)
        level = U.running_median(lv, self.level_width)
        best_i = int(np.argmin(level))
        best = float(level[best_i])
        if float(np.median(lv[: self.opening_points])) - best < self.converged_decades:
            return []
        far = np.flatnonzero(lv[best_i:] >= best + self.blowup_decades)
        if not far.size:
            return []
        jump = best_i + int(far[0])
        near = np.flatnonzero(lv[max(0, jump - self.blowup_evals) : jump] <= best + self.near_best_decades)
        if not near.size:
            return []
        before = max(0, jump - self.blowup_evals) + int(near[-1])
        end = self.witness.closing(lv)
        if end - best < self.stayed_decades:
            return []
        # The fall is read at the jump's own evaluation and the `blowup_evals` after it.
        witness = self.witness(exp, ref, int(view.steps[before]), int(view.end_steps[jump]), self.blowup_evals)
        if witness is None:
            return []
        metric, m_before, m_low, m_end = witness
        peak = jump + int(np.argmax(v[jump:]))
        return [
            BlowupEvent(
                ref, view, before, jump, peak, float(10.0**best), float(10.0**end), metric, m_before, m_low, m_end
            )
        ]

    def describe(self, e: BlowupEvent) -> Finding:
        view, v = e.view, e.view.values
        name, metric = short(e.ref), short(e.metric)
        healthy = int(view.end_steps[e.before])
        onset = view.onset_step(e.jump)
        factor = e.end / e.level if e.level > 0 else float("inf")
        title = "%s blew up at step %d (%s → %s) and never came back to its level: %s at the end, %s× where it was" % (
            name,
            onset,
            fmt(e.level),
            fmt(v[e.peak]),
            fmt(e.end),
            fmt(factor),
        )
        expl = (
            "%s had converged to %s (from %s at the start) and jumped to %s within a few evaluations at step %d. "
            "It came down again, but only to %s at the end of the run, %s times its level before the jump. "
            "Over the same steps %s fell from %s to %s and ended at %s: the final weights are worse than those "
            "the blow-up replaced. One update of a model that had nearly stopped learning threw it far off: "
            "with Adam, a loss near zero leaves the second-moment estimates tiny, so one unusual batch "
            "produces a huge step (raise the optimiser's epsilon, e.g. 1e-7 -> 1e-4, or lower the learning "
            "rate once the loss is small); gradient clipping limits the step whatever its cause. Restore the "
            "checkpoint from step %d or earlier, and stop training (early stopping on the loss) once it has "
            "converged."
            % (
                capital(name),
                fmt(e.level),
                fmt(v[0]),
                fmt(v[e.peak]),
                onset,
                fmt(e.end),
                fmt(factor),
                metric,
                fmt(e.metric_before),
                fmt(e.metric_low),
                fmt(e.metric_end),
                healthy,
            )
        )
        evidence = {
            "before_level": e.level,
            "peak_value": float(v[e.peak]),
            "peak_step": int(view.steps[e.peak]),
            "final_level": e.end,
            "factor": factor,
            EV_TASK_WORSE: {
                "tag": e.metric.tag,
                "before": e.metric_before,
                "lowest": e.metric_low,
                "final": e.metric_end,
            },
            "last_healthy_step": healthy,
        }
        return make_finding(
            e.ref, "loss_divergence", "warning", view, e.jump, len(view) - 1, title, expl, evidence, related=[e.metric]
        )
