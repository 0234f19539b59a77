"""Runs of one logdir judged against each other.

An RL return that hovers where it started could be a task already solved at its
first summary or an agent that never learned: the curve alone cannot say.  A
sibling run logging the same return, starting from the same level and climbing
far above it, can: the task is learnable, and this run did not learn it (a
learning rate ten times too small, a broken reward, a seed that never explored).

Pure, in two steps so a scan that releases each batch's series can still compare its runs:
`returns` keeps each return's levels, `never_learned` compares them with the findings in hand.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..detectors import stats as U
from ..detectors.wording import fmt
from ..model import EV_GRANULARITY, Experiment, Finding, SeriesRef, at_or_above

# A return's level needs a run of summaries: fewer cannot tell a flat curve from noise.
MIN_POINTS = 10
# Levels are medians over this share of the run (at least 3 summaries), as RewardCollapse reads them.
LEVEL_SHARE = 0.1
# The sibling must have gained beyond this many standard errors of its start and end levels ...
SIBLING_NOISE_K = 4.0
# ... this run must have gained less than this share of what the sibling gained ...
OWN_GAIN_SHARE = 0.1
# ... and end within this lowest share of the range the sibling climbed: still where runs start.
LOWER_SHARE = 0.25
# Both started within this share of the sibling's gain of each other: the same task at the same
# random-policy level (a car-racing SAC starting at -53 is not the variant starting at -1080 that gains
# 12,000, nor is a LunarLander return at -500 a HalfCheetah one at -190 that gains 4000).
START_SHARE = 0.05
# At least this many siblings must have out-learned the run: one may be another variant of the task
# logged under the same tag (a ray-cast observation, a longer episode, a reward scaled 40x); two that
# agree make the task's learnability a property of the task.
MIN_SIBLINGS = 2


@dataclasses.dataclass(frozen=True)
class ReturnCurve:
    """What the comparison keeps of one return once its series are released (a scan's batches
    compare their runs after each batch's series are gone): its levels and when it got halfway."""

    run: str
    tag: str
    granularity: str
    start: float
    end: float
    se: float
    first_step: int
    last_step: int
    half_step: Optional[int]  # the step its level first reached halfway from start to end (None: no gain)

    @property
    def gain(self) -> float:
        return self.end - self.start


def _curve(ref: SeriesRef) -> Optional[ReturnCurve]:
    view = U.view_of(ref, smooth=False)
    v = view.values
    n = v.shape[0]
    if n < MIN_POINTS:
        return None
    k = max(3, int(LEVEL_SHARE * n))
    level = U.running_median(v, k | 1)
    start, end = float(np.median(v[:k])), float(np.median(v[-k:]))
    se = U.level_difference_se(U.residual_noise(v), k, k)
    half = None
    if end > start:
        hit = np.flatnonzero(level >= start + (end - start) / 2)
        half = int(view.end_steps[hit[0]]) if hit.size else None
    return ReturnCurve(
        ref.run, ref.tag, ref.info.granularity, start, end, se, int(view.end_steps[0]), int(view.end_steps[-1]), half
    )


def returns(experiments: Sequence[Experiment]) -> List[ReturnCurve]:
    """Every RL return of the experiments (a task series whose role says neither loss nor bounded
    metric) long enough to have a level."""
    out = []
    for exp in experiments:
        for ref in exp.scalars:
            if ref.info.purpose == "task" and ref.info.role == "other":
                c = _curve(ref)
                if c is not None:
                    out.append(c)
    return out


def never_learned(curves: Sequence[ReturnCurve], findings: Sequence[Finding]) -> List[Finding]:
    """A `never_learned` warning for each return that stayed at its start while a sibling run with the
    same tag, from the same start, climbed far above it within this run's number of steps."""
    by_tag: Dict[str, List[ReturnCurve]] = defaultdict(list)
    for c in curves:
        by_tag[c.tag].append(c)
    told = {(f.run, f.tag) for f in findings if at_or_above(f.severity, "warning")}
    told_runs = {f.run for f in findings if f.kind == "never_learned"}
    out: List[Finding] = []
    for same in by_tag.values():
        # Only runs that clearly learned can out-learn another; compared as arrays, so a sweep of a
        # thousand runs costs milliseconds.
        learned = [s for s in same if s.gain > max(SIBLING_NOISE_K * s.se, 1e-12) and s.half_step is not None]
        if len(learned) < MIN_SIBLINGS:
            continue
        start = np.array([s.start for s in learned])
        gain = np.array([s.gain for s in learned])
        half = np.array([s.half_step for s in learned])
        runs = np.array([s.run for s in learned], dtype=object)
        for c in same:
            if (c.run, c.tag) in told or c.run in told_runs:
                continue
            ok = (
                (runs != c.run)
                # the sibling learned before this run stopped: evidence, not a later start
                & (half <= c.last_step)
                & (np.abs(c.start - start) <= START_SHARE * gain)
                & (c.gain < OWN_GAIN_SHARE * gain)
                & (c.end < start + LOWER_SHARE * gain)
            )
            if int(ok.sum()) >= MIN_SIBLINGS:
                better = [learned[i] for i in np.flatnonzero(ok)]
                better.sort(key=lambda s: -s.gain)
                out.append(_describe(c, better))
    return out


def _describe(c: ReturnCurve, better: Sequence[ReturnCurve]) -> Finding:
    s = better[0]
    title = (
        "%s stayed near where it started (%s → %s) while %d sibling runs from the same start learned (%s reached %s)"
        % (
            c.tag,
            fmt(c.start),
            fmt(c.end),
            len(better),
            s.run,
            fmt(s.end),
        )
    )
    expl = (
        "%s began at %s and ended at %s: it never left the level a policy starts from. %d other runs log the "
        "same return from the same level and climbed far above it (%s); run %s began at %s and reached %s "
        "by step %d. The task is learnable and this run did not learn it. Compare what differs: a learning rate too small to "
        "move the policy, an exploration setting (epsilon, entropy coefficient, action noise) that never "
        "explores, a reward or observation wired differently, or a seed that never found the reward; "
        "then rerun with the sibling's settings."
    ) % (
        c.tag,
        fmt(c.start),
        fmt(c.end),
        len(better),
        ", ".join(o.run for o in better[:5]) + (" ..." if len(better) > 5 else ""),
        s.run,
        fmt(s.start),
        fmt(s.end),
        s.half_step or 0,
    )
    evidence = {
        EV_GRANULARITY: c.granularity,
        "how": "siblings",
        "start_level": c.start,
        "final_level": c.end,
        "sibling_run": s.run,
        "sibling_start": s.start,
        "sibling_final": s.end,
        "siblings": [o.run for o in better],
    }
    return Finding(
        run=c.run,
        tag=c.tag,
        kind="never_learned",
        severity="warning",
        start_step=c.first_step,
        end_step=c.last_step,
        title=title,
        explanation=expl,
        evidence=evidence,
        related=[{"run": o.run, "tag": o.tag} for o in better[:5]],
    )
