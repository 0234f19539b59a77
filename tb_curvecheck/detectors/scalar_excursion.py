"""`loss_divergence` that lasted: a loss that climbed ten times or more above the level it had reached,
stayed up there for a long stretch of the run, and only then came back.  `LossDivergence` and
`UnrecoveredBlowup` look for a climb the run ends in; a run that spends half its epochs at 2000 after
reaching 0.07 and recovers as a one-cycle schedule anneals its learning rate ends fine, and every one of
those epochs was wasted (and any checkpoint saved there is broken).  A spike of a few evaluations is not
this: the levels are running medians, and the stretch must be a real share of the run."""

from __future__ import annotations

import dataclasses
from typing import List

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import stats as U
from .base import Detector
from .wording import capital, fmt, make_finding, short


@dataclasses.dataclass(frozen=True, eq=False)
class ExcursionEvent:
    ref: SeriesRef
    view: U.View
    base: int  # view index of the lowest level before the excursion
    level: float  # that level (running median)
    first: int  # the excursion: first and last view index of a level `factor` x above the base
    last: int
    peak: int
    share: float  # share of the run's evaluations spent up there
    end: float  # the closing level


@dataclasses.dataclass(frozen=True)
class LongBlowup(Detector[ExcursionEvent]):
    name = "long_blowup"
    kinds = ("loss_divergence",)

    # Enough evaluations for a level, an excursion and a way back.
    min_points: int = 20
    # Levels are running medians of this many evaluations: one bad batch is not a level.
    level_width: int = 5
    # Up: a level this many times the lowest level reached before it.  A healthy loss's noise, a
    # warm-up's bump or a validation loss creeping up as it overfits stay well under a factor of ten.
    factor: float = 10.0
    # ... for at least this share of the run's evaluations.  Among the tuned corpus's and blind batches'
    # healthy runs that are not RL, no objective loss spends even 3 % of its run 4x above an earlier level;
    # ambiguous (mild) runs reach 46 % and the blow-ups labelled pathologies 10-80 % (an EEG autoencoder
    # 10.6x up for 14 % of its evaluations), each in one stretch (`_stretch`).
    min_share: float = 0.10
    # Came back: the closing level (median of the last tenth) is under `factor` times the base and the
    # last `level_width` levels are too.  One that did not is `LossDivergence`'s or `UnrecoveredBlowup`'s.

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[ExcursionEvent]:
        if not U.judged(ref, ("loss",)) or ref.info.purpose not in ("objective", None):
            return []
        if U.reinforcement_learning(exp):
            # An RL loss lives on the scale of the returns and grows with them by design.
            return []
        view = U.view_of(ref, smooth=False)
        v = view.values
        n = len(view)
        if n < self.min_points or float(np.min(v)) <= 0.0:
            return []
        level = U.running_median(v, self.level_width)
        peak = int(np.argmax(level))
        if peak < 1:
            return []
        base = int(np.argmin(level[:peak]))
        up = self._stretch(np.flatnonzero(level[base:] >= self.factor * level[base]) + base)
        if not up.size or up.shape[0] < self.min_share * n:
            return []
        end = float(np.median(v[-max(3, n // 10) :]))
        if end >= self.factor * level[base]:
            return []
        first, last = int(up[0]), int(up[-1])
        if last >= n - self.level_width:
            # Still up over the last evaluations: the run ended in the blow-up, which is the divergence
            # rules' finding ("never came back"), not this one.
            return []
        peak_i = first + int(np.argmax(v[first : last + 1]))
        return [ExcursionEvent(ref, view, base, float(level[base]), first, last, peak_i, up.shape[0] / n, end)]

    def _stretch(self, up: np.ndarray) -> np.ndarray:
        """The longest stretch of `up` whose members lie within `level_width` evaluations of each other.
        Levels up now and then all through a run, between lows as deep as the base, are a loss whose
        level swings on its own (a per-step loss whose rare hard batches recur: 0.002 for thousands of
        steps, then a cluster of 5-8, cycling with the data order), not one excursion it came back from."""
        if up.size == 0:
            return up
        breaks = np.flatnonzero(np.diff(up) > self.level_width) + 1
        parts = np.split(up, breaks)
        return max(parts, key=len)

    def describe(self, e: ExcursionEvent) -> Finding:
        view, v, level = e.view, e.view.values, e.level
        name = short(e.ref)
        onset, back = view.onset_step(e.first), int(view.end_steps[e.last])
        title = "%s blew up from %s to %s at step %d and stayed up for %.0f %% of the run before coming back" % (
            name,
            fmt(level),
            fmt(float(v[e.peak])),
            onset,
            100 * e.share,
        )
        expl = (
            "%s had come down to %s by step %d, then climbed to %s or more (ten times that level) from step %d "
            "and stayed there, with a peak of %s at step %d, until step %d: %.0f %% of the run's evaluations. "
            "It came back afterwards (%s at the end), so the final model may be fine, but the training spent "
            "that stretch undoing and redoing its work, and a checkpoint saved in it is broken. The usual "
            "cause is a learning rate too high for this model at that point of its schedule: a one-cycle or "
            "warm-up schedule whose peak is too high blows the loss up as the rate climbs and lets it recover "
            "as the rate anneals. Lower the peak learning rate (a range test finds where the loss starts to "
            "climb), clip gradients, and check the inputs of that stretch for outliers."
            % (
                capital(name),
                fmt(level),
                int(view.end_steps[e.base]),
                fmt(self.factor * level),
                onset,
                fmt(float(v[e.peak])),
                int(view.steps[e.peak]),
                back,
                100 * e.share,
                fmt(e.end),
            )
        )
        evidence = {
            "how": "long_blowup",
            "before_level": level,
            "before_step": int(view.end_steps[e.base]),
            "peak_value": float(v[e.peak]),
            "peak_step": int(view.steps[e.peak]),
            "up_from_step": onset,
            "up_to_step": back,
            "share_up": e.share,
            "final_level": e.end,
            "last_healthy_step": int(view.end_steps[e.base]),
        }
        return make_finding(e.ref, "loss_divergence", "warning", view, e.first, e.last, title, expl, evidence)
