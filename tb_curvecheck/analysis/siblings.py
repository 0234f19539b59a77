"""Runs of one logdir judged against each other.

An RL return that hovers where it started could be a task already solved at its
first summary or an agent that never learned: the curve alone cannot say.  A
sibling run logging the same return, starting from the same level and climbing
far above it, can: the task is learnable, and this run did not learn it (a
learning rate ten times too small, a broken reward, a seed that never explored).
The same holds for a classifier's accuracy or a regressor's loss in a sweep: a
configuration whose validation loss stays where every run starts while its
siblings' fall has not learned.

Pure, in two steps so a scan that releases each batch's series can still compare its runs:
`levels` keeps each judged series' levels, `behind_siblings` compares them with the findings in hand.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..detectors import stats as U
from ..detectors.scalar_trend import TRADE_OFF
from ..detectors.wording import fmt
from ..model import EV_CORROBORATING, EV_GRANULARITY, Experiment, Finding, SeriesRef, at_or_above
from .grouping import parent_of

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
# A loss's or metric's start is the median of its first this many evaluations.
START_POINTS = 3
# Both started within this share of the sibling's gain of each other: the same task at the same
# random-policy level (a car-racing SAC starting at -53 is not the variant starting at -1080 that gains
# 12,000, nor is a LunarLander return at -500 a HalfCheetah one at -190 that gains 4000).
START_SHARE = 0.05
# A run whose level still climbs in order through its second half is learning more slowly than its
# siblings, not stuck where runs start: a detector's mAP 0.0002 -> 0.05 over 36 epochs (second half: z 5.0,
# Kendall tau 0.87) beside sweep runs that reach 0.85 has a longer road ahead, and its own curve says it is
# on it.  Certain (Mann-Kendall z at least this, one-sided p ~ 0.02, the bar `NeverLearned` sets for an
# unsolved return) ...
CLIMB_Z = 2.0
# ... and steady: Kendall's tau at least this (three pairs in four in rising order).  Over a thousand noisy
# episodes a drift far inside the noise is certain too (a REINFORCE return at random-policy level, 17.5 ->
# 24.8 beside siblings reaching 190: z 2.2, tau 0.07), and that run did not learn the task.
CLIMB_TAU = 0.5
# At least this many siblings must have out-learned the run: one may be another variant of the task
# logged under the same tag (a ray-cast observation, a longer episode, a reward scaled 40x); two that
# agree make the task's learnability a property of the task.
MIN_SIBLINGS = 2
# A run continues a sibling's training only on the same task at the same reward scale: their levels'
# standard errors within this factor (one task's evaluation noise varies a few-fold between seeds and
# policies; another task or a rescaled reward logged under the same tag differs by orders of magnitude).
CONTINUED_NOISE_RATIO = 4.0
# Two returns are the two sides of a zero-sum game when, at the summaries they share, their sum holds one
# value: its median absolute deviation is at most this share of either return's own spread.  Summaries of
# the same episodes mirror exactly; a summary window that closes on different episodes (a draw, a
# demonstration episode) breaks the match at that point only, which the median ignores.  One side's fall
# is then the other's win (ML-Agents knights fighting each other), not a policy unlearning ...
MIRROR_SPREAD = 0.1
# ... and the two move against each other from one summary to the next (the correlation of their changes
# at most this): two separate trainings, one collapsing while the other climbs at the same time, also
# have a steady sum, but their summary-to-summary noise is their own.
MIRROR_R = -0.8
# A game that is not zero-sum (hide and seek: the seeker gains 22 where the hider loses 17) has no steady
# sum; its sides' levels still move against each other over the whole run, their correlation at most
# MIRROR_R, and with their changes as tightly opposed they are the two sides of one game all the same.
# A return keeps at most this many of its summaries for that comparison (evenly thinned).
TRACE_POINTS = 200
# The sides of one game are the runs of one folder that log the same return at the same summaries (one
# session writes every behaviour at the same steps).  A game has a few sides; more runs than this in one
# folder on one grid are a sweep, whose pairs are not compared (a thousand runs would be half a million pairs).
MAX_GAME_SIDES = 8


@dataclasses.dataclass(frozen=True)
class LevelCurve:
    """What the comparison keeps of one judged series once its values are released (a scan's batches
    compare their runs after each batch's series are gone): its levels and when it got halfway.

    Levels are oriented so that higher is better (a loss's and an error's are negated): one rule then
    compares returns, accuracies and losses."""

    run: str
    experiment: str
    tag: str
    split: Optional[str]
    granularity: str
    what: str  # "return", "metric" or "loss"
    sign: float  # +1, or -1 for a series whose lower values are better
    logged: bool  # levels are -ln(value): a positive loss improves by factors, not by amounts
    start: float
    end: float
    se: float
    first: float  # the first value, oriented
    first_step: int
    last_step: int
    half_step: Optional[int]  # the step its level first reached halfway from start to end (None: no gain)
    climbing: bool  # its second half still rises in order (`CLIMB_Z`, `CLIMB_TAU`)
    # A return's summaries (steps, oriented values), thinned to `TRACE_POINTS`: what `_mirrored` compares.
    trace: Optional[Tuple[np.ndarray, np.ndarray]] = dataclasses.field(default=None, compare=False)

    @property
    def gain(self) -> float:
        return self.end - self.start

    @property
    def clearly_gained(self) -> bool:
        """Gained beyond `SIBLING_NOISE_K` standard errors of its start and end levels."""
        return self.gain > max(SIBLING_NOISE_K * self.se, 1e-12)

    def raw(self, level: float) -> float:
        """An oriented level in the series' own units."""
        return float(np.exp(-level)) if self.logged else self.sign * level

    def shown(self, level: float) -> str:
        return fmt(self.raw(level))


# Compared kinds of series, in the order a run's one finding names them: the return or task metric says
# whether training worked; the objective says it when no task metric does.
WHAT_ORDER = ("return", "metric", "loss")


def _what(ref: SeriesRef, rl: bool) -> Optional[str]:
    info = ref.info
    if info.purpose == "task" and info.role == "other":
        return "return"
    if rl:
        # An RL run's losses and auxiliary metrics are moving-target surrogates: only its return
        # says whether it learned.
        return None
    if info.granularity == "batch":
        # Single batches are noise around the epoch level the same run also logs.
        return None
    if info.purpose == "task" and info.role in ("metric_up", "metric_down") and info.quantity not in TRADE_OFF:
        return "metric"
    if info.purpose == "objective" and info.role == "loss":
        return "loss"
    return None


def _curve(ref: SeriesRef, what: str, experiment: str) -> Optional[LevelCurve]:
    view = U.view_of(ref, smooth=False)
    sign = -1.0 if ref.info.role in ("loss", "metric_down") else 1.0
    n = view.values.shape[0]
    if n < MIN_POINTS:
        return None
    # A loss that falls 0.01 -> 0.004 learned as much as one that falls 1 -> 0.4; on the raw scale the
    # second would out-learn the first a hundredfold (an autoencoder sweep of two architectures).
    logged = what == "loss" and bool(np.all(view.values > 0))
    v = -np.log(view.values) if logged else sign * view.values
    k = max(3, int(LEVEL_SHARE * n))
    level = U.running_median(v, k | 1)
    # A return starts noisy and slow: its start is the level of its first tenth.  A loss or metric
    # evaluated per epoch has often fallen most of the way within that tenth (a fast learner's), so
    # its start is its first evaluations, where every run of a sweep begins alike.
    k0 = k if what == "return" else START_POINTS
    start, end = float(np.median(v[:k0])), float(np.median(v[-k:]))
    se = U.level_difference_se(U.residual_noise(v), k0, k)
    half = None
    if end > start:
        hit = np.flatnonzero(level >= start + (end - start) / 2)
        half = int(view.end_steps[hit[0]]) if hit.size else None
    climbing = U.trend_z(v[n // 2 :]) >= CLIMB_Z and U.kendall_tau(v[n // 2 :]) >= CLIMB_TAU
    trace = None
    if what == "return":
        keep = np.unique(np.linspace(0, n - 1, min(n, TRACE_POINTS)).astype(int))
        trace = (view.end_steps[keep].copy(), v[keep].astype(np.float64))
    return LevelCurve(
        ref.run,
        experiment,
        ref.tag,
        ref.info.split,
        ref.info.granularity,
        what,
        sign,
        logged,
        start,
        end,
        se,
        float(v[0]),
        int(view.end_steps[0]),
        int(view.end_steps[-1]),
        half,
        climbing,
        trace,
    )


def levels(experiments: Sequence[Experiment]) -> List[LevelCurve]:
    """The levels of every series the comparison judges, long enough to have a level: RL returns, and
    outside RL the task metrics and the objective losses."""
    out = []
    for exp in experiments:
        rl = U.reinforcement_learning(exp)
        for ref in exp.scalars:
            what = _what(ref, rl)
            if what is not None:
                c = _curve(ref, what, exp.name)
                if c is not None:
                    out.append(c)
    return out


def _stopped(f: Finding) -> bool:
    """A `no_progress` told as a loss that stopped improving early (`NoProgress._stopped`): the run's own
    reading, which siblings that went on learning from the same start tell better (`superseded`)."""
    return f.kind == "no_progress" and (f.evidence or {}).get("how") == "stopped"


def superseded(findings: Sequence[Finding], added: Sequence[Finding]) -> List[Finding]:
    """The runs' own "stopped improving" findings on a series the sibling comparison now tells."""
    compared = {(f.run, f.tag) for f in added}
    return [f for f in findings if _stopped(f) and (f.run, f.tag) in compared]


def behind_siblings(curves: Sequence[LevelCurve], findings: Sequence[Finding]) -> List[Finding]:
    """A warning for each run whose return or task metric (`never_learned`), or objective loss
    (`no_progress`), stayed at its start while sibling runs logging the same series, from the same
    start, improved far beyond it within this run's number of steps; at most one per run."""
    by_key: Dict[Tuple[str, str, Optional[str], bool], List[LevelCurve]] = defaultdict(list)
    for c in curves:
        by_key[(c.what, c.tag, c.split, c.logged)].append(c)
    told = {(f.run, f.tag) for f in findings if at_or_above(f.severity, "warning") and not _stopped(f)}
    # A loss is judged only where no task metric of its experiment says the model learned (a train
    # loss held up by noisy labels beside a validation accuracy that climbs is by design).
    learning = {c.experiment for c in curves if c.what != "loss" and c.clearly_gained}
    # Nor is a return where another return of the same run learned: an evaluation return that stays near
    # its start while the training return climbs (PPO's eval -42 -> -25 beside its rollouts' -250 -> 66,
    # next to SAC siblings at 450) is a weaker agent evaluated noisily, not one that never learned.
    learned_runs = {c.run for c in curves if c.what == "return" and c.clearly_gained}
    told_runs = {f.run for f in findings if f.kind == "never_learned"}
    found: Dict[str, Tuple[Tuple[int, str], Finding]] = {}
    for (what, tag, _, _), same in by_key.items():
        # Only runs that clearly learned can out-learn another; compared as arrays, so a sweep of a
        # thousand runs costs milliseconds.
        learned = [s for s in same if s.clearly_gained and s.half_step is not None]
        if len(learned) < MIN_SIBLINGS:
            continue
        start = np.array([s.start for s in learned])
        gain = np.array([s.gain for s in learned])
        # Where a sibling started: a return's first tenth; a loss's or metric's first evaluation, or
        # anything from there to its first few (evaluated after an epoch of training, a fast learner
        # is already on the way down when a slow one is still where both began).
        early = start if what == "return" else np.array([s.first for s in learned])
        low, high = np.minimum(start, early), np.maximum(start, early)
        half = np.array([s.half_step for s in learned])
        runs = np.array([s.run for s in learned], dtype=object)
        rank = (WHAT_ORDER.index(what), tag)
        for c in same:
            if (c.run, c.tag) in told or c.run in told_runs or (what == "loss" and c.experiment in learning):
                continue
            if what == "return" and c.run in learned_runs:
                continue
            if c.climbing:
                continue
            if c.run in found and found[c.run][0] <= rank:
                continue
            ok = (
                (runs != c.run)
                # the sibling learned before this run stopped: evidence, not a later start
                & (half <= c.last_step)
                & (c.start >= low - START_SHARE * gain)
                & (c.start <= high + START_SHARE * gain)
                & (c.gain < OWN_GAIN_SHARE * gain)
                & (c.end < start + LOWER_SHARE * gain)
            )
            if int(ok.sum()) >= MIN_SIBLINGS:
                better = [learned[i] for i in np.flatnonzero(ok)]
                better.sort(key=lambda s: -s.gain)
                found[c.run] = (rank, _describe(c, better))
    return [f for _, f in found.values()]


def withdrawn(curves: Sequence[LevelCurve], findings: Sequence[Finding]) -> List[Finding]:
    """The findings on returns that sibling runs logging the same return answer:

    - any `metric_collapse` or `never_learned` of a return that a sibling run beside it (same parent
      directory) mirrors, summary for summary: the two are the sides of a zero-sum game, and one
      side's fall is the other's win;
    - a `never_learned` of a return that never rose (how=flat), when the run opened where a sibling
      climbed to, from far below: it continues the sibling's trained policy (a checkpoint resumed with
      its step counter reset), holding its level;
    - the same, when the run stopped before any sibling from the same start had got halfway up its
      climb: the task takes longer than this run ran, so its flat curve says nothing yet."""
    returns = [c for c in curves if c.what == "return"]
    by_return = {(c.run, c.tag): c for c in returns}
    # The sides of one game: runs of one folder logging the same return on the same summary grid.
    sides: Dict[Tuple[str, str, int, int], List[LevelCurve]] = defaultdict(list)
    for c in returns:
        sides[(c.tag, parent_of(c.run), c.first_step, c.last_step)].append(c)
    out = []
    for f in findings:
        c = by_return.get((f.run, f.tag))
        if c is None or f.kind not in ("metric_collapse", "never_learned"):
            continue
        game = sides[(c.tag, parent_of(c.run), c.first_step, c.last_step)]
        if len(game) <= MAX_GAME_SIDES and any(_mirrored(c, s) for s in game if s.run != c.run):
            out.append(f)
    gone = {id(f) for f in out}
    # Only a flat return standing alone: folded with other evidence (every episode at the time limit),
    # the story is no longer the flat curve's alone.
    flat = [
        f
        for f in findings
        if f.kind == "never_learned"
        and (f.evidence or {}).get("how") == "flat"
        and not (f.evidence or {}).get(EV_CORROBORATING)
        and id(f) not in gone
    ]
    for f in flat:
        c = by_return.get((f.run, f.tag))
        if c is None:
            continue
        others = [s for s in returns if s.tag == c.tag and s.run != c.run and s.clearly_gained]
        if any(_continues(c, s) for s in others):
            out.append(f)
            continue
        same_start = [s for s in others if abs(c.start - s.start) <= START_SHARE * s.gain and s.half_step is not None]
        if same_start and all(s.half_step > c.last_step for s in same_start):
            out.append(f)
    return out


def _mirrored(c: LevelCurve, s: LevelCurve) -> bool:
    """`c` and `s` move against each other at the summaries they share, and their sum holds or their
    levels are as opposed as their changes: the two sides of one game."""
    if c.trace is None or s.trace is None:
        return False
    _, ia, ib = np.intersect1d(c.trace[0], s.trace[0], return_indices=True)
    if ia.shape[0] < MIN_POINTS:
        return False
    a, b = c.trace[1][ia], s.trace[1][ib]
    spread = min(float(np.std(a)), float(np.std(b)))
    if spread <= 0.0:
        return False
    total = a + b
    held = float(np.median(np.abs(total - np.median(total))))
    da, db = np.diff(a), np.diff(b)
    if float(np.std(da)) <= 0.0 or float(np.std(db)) <= 0.0:
        return False
    if held > MIRROR_SPREAD * spread and float(np.corrcoef(a, b)[0, 1]) > MIRROR_R:
        return False
    return float(np.corrcoef(da, db)[0, 1]) <= MIRROR_R


def _continues(c: LevelCurve, s: LevelCurve) -> bool:
    """`c`, a run that could be `s`'s agent (`_same_agent`), opened in the top part of `s`'s climb, far
    above where that climb began (beyond both curves' noise), on the same task at the same reward scale:
    no further above where `s` ended than that top part is deep (a resumed checkpoint opens where its run
    stopped; a run opening at 15 beside a sibling that climbed -0.9 -> 2.9 is another variant of the task,
    not its continuation)."""
    noise = SIBLING_NOISE_K * max(c.se, s.se)
    return (
        _same_agent(c.run, s.run)
        and s.end - LOWER_SHARE * s.gain <= c.start <= s.end + LOWER_SHARE * s.gain + noise
        and c.start - s.start > noise
        and max(c.se, s.se) <= CONTINUED_NOISE_RATIO * min(c.se, s.se)
    )


def _same_agent(a: str, b: str) -> bool:
    """Runs `a` and `b` could be one agent's training: side by side in one folder (their own names are
    whatever the writer numbered or the user typed: SB3's `PPO_1`, `PPO_2`), or under different folders
    with leaves that agree but for their digits.  ML-Agents writes `results/<run-id>/<Behavior>`: a
    `BodyRotation` run cannot resume a `HeadMotion` policy, whatever level either opened at."""
    if parent_of(a) == parent_of(b):
        return True
    return _undigited(a.rsplit("/", 1)[-1]) == _undigited(b.rsplit("/", 1)[-1])


def _undigited(name: str) -> str:
    return "".join(ch for ch in name.lower() if not ch.isdigit())


_CAUSES = {
    "return": "a learning rate too small to move the policy, an exploration setting (epsilon, entropy "
    "coefficient, action noise) that never explores, a reward or observation wired differently, or a seed "
    "that never found the reward",
    "metric": "a learning rate too small (or so large that the first steps broke the weights), layers left "
    "frozen, labels or inputs wired differently (a shuffled label column, a missing normalisation), or an "
    "initialisation the optimiser never left",
    "loss": "a learning rate too small (or so large that the first steps broke the weights), layers left "
    "frozen, targets or inputs wired differently (unscaled targets, a missing normalisation), or an "
    "initialisation the optimiser never left",
}
_WHERE = {
    "return": "the level a policy starts from",
    "metric": "the level an untrained model scores",
    "loss": "the level an untrained model starts from",
}


def _describe(c: LevelCurve, better: Sequence[LevelCurve]) -> Finding:
    s = better[0]
    moved = "learned" if c.what == "return" else "improved"
    # A loss that stays where it started is the SPEC's `no_progress`, here measured against siblings
    # rather than against its own noise; a return or task metric that does is `never_learned`.
    kind = "no_progress" if c.what == "loss" else "never_learned"
    title = "%s %s (%s → %s) while %d sibling runs from the same start %s (%s reached %s)" % (
        c.tag,
        "did not improve" if kind == "no_progress" else "stayed near where it started",
        c.shown(c.start),
        c.shown(c.end),
        len(better),
        moved,
        s.run,
        s.shown(s.end),
    )
    expl = (
        "%s began at %s and ended at %s: it never left %s. %d other runs log the same series from the same "
        "level and %s far beyond it (%s); run %s began at %s and reached %s by step %d. The task is "
        "learnable and this run did not learn it. Compare what differs: %s; then rerun with the "
        "sibling's settings."
    ) % (
        c.tag,
        c.shown(c.start),
        c.shown(c.end),
        _WHERE[c.what],
        len(better),
        moved,
        ", ".join(o.run for o in better[:5]) + (" ..." if len(better) > 5 else ""),
        s.run,
        s.shown(s.start),
        s.shown(s.end),
        s.half_step or 0,
        _CAUSES[c.what],
    )
    evidence = {
        EV_GRANULARITY: c.granularity,
        "how": "siblings",
        "start_level": c.raw(c.start),
        "final_level": c.raw(c.end),
        "sibling_run": s.run,
        "sibling_start": s.raw(s.start),
        "sibling_final": s.raw(s.end),
        "siblings": [o.run for o in better],
    }
    return Finding(
        run=c.run,
        tag=c.tag,
        kind=kind,
        severity="warning",
        start_step=c.first_step,
        end_step=c.last_step,
        title=title,
        explanation=expl,
        evidence=evidence,
        related=[{"run": o.run, "tag": o.tag} for o in better[:5]],
    )
