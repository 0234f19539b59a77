"""Trend findings judged by what a series is for (`TagInfo.purpose`).

A component of the objective (weight decay, an RL value loss, a YOLO objectness
head, a domain-adversarial loss) or a side-task metric (a domain classifier's
accuracy, precision beside mAP) may rise, fall, hold or swing by design.  Its trend
and oscillation findings stand only when the objective or the task metric agrees; and a run
whose task metric clearly improved (reward rising, mAP rising) has learned, so
none of its losses "did not improve" or "diverged".
"""

from __future__ import annotations

import dataclasses
import functools
from typing import List, Optional

import numpy as np

from ..detectors import stats as U
from ..detectors.base import Detector
from ..detectors.wording import fmt
from ..model import EV_TASK_WORSE, Experiment, Finding, ScalarSeries, SeriesRef, at_or_above
from . import roles

# Kinds that judge a trend over the run.
TREND_KINDS = ("no_progress", "loss_divergence", "overfitting")
# Kinds that say a metric broke; on a side-task metric they need the task metric to agree.
METRIC_KINDS = ("metric_collapse", "stuck_metric", "low_margin", "oscillation")
# A 0-1 task metric that gained less than this (five points of accuracy) has not shown that the run
# learns, however steady the gain.
FRACTION_GAIN = 0.05
# A component that rose by at least this share of its objective's rise over the same steps, leaving
# the rest of the objective to rise by at most REST_RISE of it, is what made the objective rise.
EXPLAINED_SHARE = 0.8
REST_RISE = 0.2
# ... unless the component is the objective itself: within 1 % of its level at every common step it
# is not a term rising by design beside the others, it is the whole loss (Ludwig's combined loss of a
# single output feature).  A VAE whose KL dominates its total still leaves the reconstruction's
# percent or more.
WHOLE_RTOL = 0.01
# Levels at the ends of a finding's span: medians of this many points (fewer on a short span).
EDGE_POINTS = 3
# A task metric that ends 3 % below its best (1.5 points of a 0.5 mAP) has given back what an
# evaluation's noise at that level rarely takes away; a converged one ends within a percent.
GAVE_BACK_SHARE = 0.03


@dataclasses.dataclass(frozen=True)
class TaskTrend:
    """A task metric's start, best and end levels (higher is better)."""

    start: float
    best: float
    end: float
    sigma: float
    k_start: int
    k: int
    fraction: bool

    def _se(self) -> float:
        # Standard error of the difference of two medians (1.25 sigma / sqrt(k) each).
        return U.level_difference_se(self.sigma, self.k_start, self.k)

    def improved(self, noise_k: float = 3.0) -> bool:
        """Gained beyond its noise (and, for a 0-1 metric, by at least FRACTION_GAIN), and kept
        most of the gain to the end."""
        gain = self.end - self.start
        floor = FRACTION_GAIN if self.fraction else 0.0
        return gain > max(noise_k * self._se(), floor, 1e-12) and self.end >= self.best - 0.5 * (self.best - self.start)

    def gave_back(self, share: float = GAVE_BACK_SHARE) -> bool:
        """Ends below its best by `share` of the best and by more than one standard error: a smaller
        loss than `fell` asks, enough to say the run's results are no longer at their best."""
        drop = self.best - self.end
        return drop > max(share * abs(self.best), self._se(), 1e-12)

    def fell(self, noise_k: float = 3.0) -> bool:
        """Ends clearly below its best level."""
        drop = self.best - self.end
        return drop > max(noise_k * self._se(), 0.25 * max(self.best - self.start, 0.0), 1e-12)


def task_trend(ref: SeriesRef) -> Optional[TaskTrend]:
    """Levels of a task metric: the median of its first points, of its last fifth (at least 3
    points), and its best running median of that width."""
    v = U.view_of(ref, smooth=False).values
    if ref.info.role != "metric_down" and U.opens_at_ceiling(v):
        # An opening 1 is the untrained model's trivial answer: the trend starts after it.
        v = v[1:]
    n = v.shape[0]
    if n < 4:
        return None
    sign = -1.0 if ref.info.role == "metric_down" else 1.0
    v = sign * v
    start, end, k_start, k = U.edge_levels(v)
    # Only whole windows: at the ends the window shrinks to the last point or two, and a return
    # still rising at its last summary would read as a best it then "fell" from.
    w = k | 1
    level = U.running_median(v, w)
    whole = level[w // 2 : n - w // 2] if n > w else level
    best = float(np.max(whole))
    sigma = U.residual_noise(v)
    return TaskTrend(start, max(best, start, end), end, sigma, k_start, k, U.is_fraction(v))


def _tasks(exp: Experiment) -> List[SeriesRef]:
    """The experiment's task metrics, without any that holds one value throughout beside one that
    moves: a fixed statistic logged every iteration (CS285's `Initial_DataCollection_AverageReturn`,
    the return of the data gathered before training) says nothing about learning."""
    tasks = [s for s in exp.scalars if s.info.purpose == "task"]
    moving = [s for s in tasks if not _constant(s)]
    return moving if moving else tasks


def _constant(ref: SeriesRef) -> bool:
    v = ref.series.values[np.isfinite(ref.series.values)]
    return v.shape[0] > 1 and bool(np.all(v == v[0]))


def _mean_disagrees(exp: Experiment, f: Finding, loud: List[Finding]) -> bool:
    """A trend of an Estimator head's summed `loss` that its per-example mean (`stats.estimator_mean`)
    does not show: where the two part, the mean is the one to read."""
    ref = next((s for s in exp.scalars if s.run == f.run and s.tag == f.tag), None)
    mean = U.estimator_mean(exp, ref) if ref is not None else None
    if mean is None:
        return False
    return not any(g.run == f.run and g.tag == mean.tag and g.kind == f.kind for g in loud)


def _overlaps(a: Finding, b: Finding) -> bool:
    return a.start_step <= b.end_step and b.start_step <= a.end_step


def _news(exp: Experiment, f: Finding) -> bool:
    """A loss finding that stands whatever the task did over the run: the loss blew up, or its own
    detector saw the task metric knocked down with it and ending below where it stood before (a
    classifier whose loss blew up at epoch 1165 of 1500 climbed from 0.12 to 0.96 over the run, and
    still ends worse than the 1.0 it held before the blow-up)."""
    return _blew_up(exp, f) or EV_TASK_WORSE in f.evidence


# An RL loss beside a return has blown up only past this many times the returns' scale squared (`_blew_up`):
# a value fitted to discounted returns can sit a few times over R^2 (a DQN's Huber loss 3e-6 -> 0.17 as its
# per-step reward appears, 0 -> 0.28: its Q-values sum a stream of rewards), while a blow-up leaves that
# scale by orders of magnitude (a DDPG critic at 1.7e8 beside returns of 46, 8e4 times R^2).
RETURN_SCALE_MARGIN = 100.0


def _blew_up(exp: Experiment, f: Finding) -> bool:
    if f.kind != "loss_divergence":
        return False
    for s in exp.scalars:
        if (s.run, s.tag) == (f.run, f.tag):
            steps, v = U.finite_points(s)
            # Whatever its purpose, a loss that blew up (`U.blew_up`) is reported.
            onset = int(np.searchsorted(steps, f.start_step))
            scale = _return_scale(exp)
            if scale > 0 and onset < v.shape[0]:
                # Beside a return the scale of the returns is the yardstick (below), so the climb is
                # dated from the loss's lowest point before its peak: the finding's onset can sit late,
                # where a climb through eight orders of magnitude set its own threshold (a value loss
                # 0.05 -> 75 -> 1.3e7 -> 9.8e8 is dated from 1.3e7).
                peak_i = onset + int(np.argmax(np.abs(v[onset:])))
                onset = min(onset, int(np.argmin(v[: peak_i + 1])) + 1)
            if not U.blew_up(v, onset):
                return False
            peak = float(np.max(np.abs(v[onset:])))
            # An RL loss lives on the scale of the returns (a squared TD error on returns of size R is
            # of order R^2): one that starts near zero while the agent earns nothing climbs a thousandfold
            # once the returns appear (0.001 -> 403 as the return goes -0.4 -> 106) without blowing up.
            return peak > RETURN_SCALE_MARGIN * scale**2
    return False


def _return_scale(exp: Experiment) -> float:
    """The largest magnitude any RL return of the experiment reached (0 without one)."""
    scale = 0.0
    for s in exp.scalars:
        if s.info.purpose == "task" and s.info.role == "other":
            v = s.series.values[np.isfinite(s.series.values)]
            if v.size:
                scale = max(scale, float(np.max(np.abs(v))))
    return scale


def component_total(exp: Experiment, split: str, granularity: str) -> Optional[SeriesRef]:
    """The loss components of one split and cadence added up on their common steps, when that split
    logs no objective: YOLO writes its box, objectness and class losses but never their sum, which is
    what it minimises and what a reader adds up by eye."""
    losses = [s for s in exp.find(role="loss", split=split) if s.info.granularity == granularity]
    if any(s.info.purpose == "objective" for s in losses):
        return None
    parts = sorted((s for s in losses if s.info.purpose == "component"), key=lambda s: s.tag)
    if len(parts) < 2:
        return None
    steps = functools.reduce(np.intersect1d, [s.series.steps for s in parts])
    if steps.shape[0] < 2:
        return None
    at = [np.searchsorted(s.series.steps, steps) for s in parts]
    total = np.sum([s.series.values[i] for s, i in zip(parts, at)], axis=0)
    series = ScalarSeries(steps, total, parts[0].series.wall_times[at[0]])
    info = dataclasses.replace(parts[0].info, quantity="loss", purpose="objective")
    return SeriesRef(parts[0].run, " + ".join(s.tag for s in parts), info, series)


def _with_total(
    exp: Experiment, f: Finding, overfitting: Optional[Detector], trends: List[TaskTrend]
) -> Optional[Finding]:
    """`f` (overfitting on a component) told with its split's components added up (see
    `component_total`), when they overfit against the training components added up the same way."""
    if overfitting is None or f.kind != "overfitting":
        return None
    ref = next((s for s in exp.scalars if (s.run, s.tag) == (f.run, f.tag)), None)
    if ref is None or ref.info.split is None:
        return None
    val = component_total(exp, ref.info.split, ref.info.granularity)
    train = component_total(exp, "train", ref.info.granularity)
    if val is None or train is None:
        return None
    events = overfitting.measure(Experiment(exp.name, exp.runs, scalars=[val, train]), val)
    if not events:
        return None
    if trends and not any(t.gave_back() for t in trends) and not roles.locates(ref.tag):
        # The detections hold their best: a summed loss creeping up while mAP holds is the
        # objectness head's usual drift toward confident scores, which detection users accept.
        # The box term's own rise is not that drift (`roles.LOCALIZATION_WORDS`).
        return None
    e = events[0]
    best = float(e.view.values[e.best])
    note = (
        " No total loss is logged; its components added up (%s) rose too, %s → %s after step %d, "
        "while the training components added up fell: the objective itself overfits, not one head."
        % (val.tag, fmt(best), fmt(e.end_level), int(e.view.end_steps[e.best]))
    )
    evidence = dict(f.evidence, components_total={"tags": val.tag, "best": best, "end": e.end_level})
    return dataclasses.replace(f, explanation=f.explanation + note, evidence=evidence)


def _span_change(ref: SeriesRef, lo: int, hi: int, steps: Optional[np.ndarray] = None) -> Optional[float]:
    """Level at `hi` minus level at `lo` (medians of the few points at each end of the span)."""
    st, v = U.finite_points(ref)
    if steps is not None:
        keep = np.isin(st, steps)
        st, v = st[keep], v[keep]
    inside = (st >= lo) & (st <= hi)
    w = v[inside]
    if w.shape[0] < 2:
        return None
    k = max(1, min(EDGE_POINTS, w.shape[0] // 2))
    return float(np.median(w[-k:]) - np.median(w[:k]))


def _is_whole(total: SeriesRef, part: SeriesRef, steps: np.ndarray) -> bool:
    """The part is the whole total (Ludwig's `combined/epoch_loss` of a model with one output feature
    is that feature's loss): within `WHOLE_RTOL` of it at every common step."""
    t = total.series.values[np.isin(total.series.steps, steps)]
    c = part.series.values[np.isin(part.series.steps, steps)]
    if t.shape != c.shape:
        return False
    ok = np.isfinite(t) & np.isfinite(c) & (t != 0)
    return bool(ok.any() and np.all(np.abs(c[ok] / t[ok] - 1.0) <= WHOLE_RTOL))


def explained_by_component(exp: Experiment, f: Finding) -> Optional[SeriesRef]:
    """The component of `f`'s split whose rise accounts for the rise of `f`'s objective (a VAE's test
    total = reconstruction + KL climbing only because the KL term does, by design), or None."""
    ref = next((s for s in exp.scalars if (s.run, s.tag) == (f.run, f.tag)), None)
    if ref is None or ref.info.role != "loss" or f.kind not in ("loss_divergence", "overfitting"):
        return None
    rise = _span_change(ref, f.start_step, f.end_step)
    if rise is None or rise <= 0:
        return None
    for c in exp.find(role="loss", split=ref.info.split):
        if c.info.purpose != "component" or c is ref or not roles.rises_by_design(c.tag):
            continue
        common = np.intersect1d(ref.series.steps, c.series.steps)
        if common.shape[0] < 0.5 * ref.series.steps.shape[0]:
            continue
        if _is_whole(ref, c, common):
            continue
        c_rise = _span_change(c, f.start_step, f.end_step, common)
        t_rise = _span_change(ref, f.start_step, f.end_step, common)
        if c_rise is None or t_rise is None:
            continue
        if c_rise >= EXPLAINED_SHARE * t_rise and t_rise - c_rise <= REST_RISE * abs(t_rise):
            return c
    return None


def gate(exp: Experiment, findings: List[Finding], overfitting: Optional[Detector] = None) -> List[Finding]:
    """`findings` without the trend findings of series whose purpose says the trend is by design.
    With `overfitting` (the run's detector), a component's overfitting also stands when the split
    logs no objective and the components added up overfit."""
    info = {(s.run, s.tag): s.info for s in exp.scalars}
    trends = {(s.run, s.tag): task_trend(s) for s in _tasks(exp)}
    trends = {k: t for k, t in trends.items() if t is not None}
    loud = [f for f in findings if at_or_above(f.severity, "warning")]
    task_fell = any(t.fell() for t in trends.values())
    task_broke = any((f.run, f.tag) in trends and f.kind in METRIC_KINDS for f in loud)
    # A return that never rose beyond its noise may be a trained policy holding its level (a resumed run
    # logged from step 0): it does not make a surrogate's climb part of a failure.
    task_failed = any(
        (f.run, f.tag) in trends
        and f.kind in METRIC_KINDS + ("never_learned",)
        and (f.evidence or {}).get("how") != "flat"
        for f in loud
    )
    # Learned, and kept it: a metric that rose and then collapsed says the run broke.  A loss is
    # answered by the task metrics of its own split when that split logs any: a training accuracy
    # that climbs says nothing about a validation loss that never improved (memorised from the start).
    improved = {k: t.improved() for k, t in trends.items()}

    def task_improved(split: Optional[str]) -> bool:
        same = [ok for k, ok in improved.items() if info[k].split == split]
        if split == "train" or not same:
            # The other way round it does: a model whose held-out accuracy climbed has learned, whatever its
            # training loss's noise hides (a fine-tune's augmented batches, 0.45 -> 0.36 in steps of 0.05).
            same = list(improved.values())
        return any(same) and not task_fell and not task_broke

    def purpose(f: Finding) -> Optional[str]:
        i = info.get((f.run, f.tag))
        return i.purpose if i is not None else None

    # An objective's rise that one of its own components accounts for is that component's story (a
    # VAE's KL growing as the encoder uses its latent), not the objective's.
    explained = {id(g) for g in findings if purpose(g) == "objective" and explained_by_component(exp, g) is not None}

    def objective_agrees(f: Finding, kinds=TREND_KINDS) -> bool:
        # The objective of the component's own split, when it logs one: a test total rising says nothing
        # about a training KL term beside a training total that fell.
        split = info[(f.run, f.tag)].split if (f.run, f.tag) in info else None
        own = any(s.info.purpose == "objective" and s.info.split == split for s in exp.scalars if s.info.role == "loss")
        return any(
            purpose(g) == "objective"
            and g.kind in kinds
            and _overlaps(f, g)
            and id(g) not in explained
            and (not own or info[(g.run, g.tag)].split == split)
            for g in loud
        )

    def task_agrees(f: Finding) -> bool:
        return any(purpose(g) == "task" and g.kind in METRIC_KINDS + ("metric_collapse",) for g in loud)

    # An RL run's losses are moving-target surrogates (PPO's clipped objective sits near zero by
    # construction, a TD loss grows with the values): their level says nothing about learning, which
    # the return tells, so "did not improve" is not judged on them.
    rl = U.reinforcement_learning(exp)
    out = []
    for f in findings:
        p = purpose(f)
        if id(f) in explained and not _blew_up(exp, f):
            continue
        rl_loss = rl and info.get((f.run, f.tag)) is not None and info[(f.run, f.tag)].role == "loss"
        if rl_loss and f.kind == "no_progress":
            continue
        if f.kind in TREND_KINDS and _mean_disagrees(exp, f, loud):
            continue
        if rl_loss and f.kind == "loss_divergence" and not (task_failed or _news(exp, f)):
            # Nor is a climb on the scale of the returns, while the return itself is fine: PPO's
            # surrogate drifting from -0.17 to -0.08 near zero, a TD loss growing with the values.
            # A blow-up is news on its own; beside a return that collapsed or never rose, the climb is
            # part of its story (a critic overestimating).
            continue
        if rl_loss and f.kind == "oscillation" and not task_failed:
            # Nor is a surrogate alternating while the return is fine: PPO's clipped objective answers an
            # adaptive learning rate that steps up and down with the KL every update (rsl_rl's schedule).
            continue
        if (
            f.kind in ("no_progress", "loss_divergence")
            and info.get((f.run, f.tag)) is not None
            and info[(f.run, f.tag)].role == "loss"
            and task_improved(info[(f.run, f.tag)].split)
            and not _news(exp, f)
        ):
            continue
        # A discriminator that won is read from both players' losses: the opponent is the agreement a
        # component's trend otherwise needs from the objective.
        game = (f.evidence or {}).get("how") == "winning_discriminator"
        if p == "component" and f.kind in TREND_KINDS and not _blew_up(exp, f) and not game:
            if f.kind == "no_progress":
                # A component's level says nothing about learning (an RL policy loss hovers by
                # design): only the objective stalling too makes it part of the story.
                agrees = objective_agrees(f)
            else:
                # A rise or overfit stands with its objective, or with a task metric's fall that is a
                # finding itself: a return that gives back 40 % when a curriculum moves to harder tasks
                # is no collapse, and does not make an auxiliary term's rise a failure.
                agrees = objective_agrees(f) or task_agrees(f)
                if not agrees:
                    told = _with_total(exp, f, overfitting, list(trends.values()))
                    if told is not None:
                        f, agrees = told, True
            if not agrees:
                continue
        if p == "auxiliary" and f.kind in METRIC_KINDS and not task_agrees(f):
            continue
        if (
            p == "component"
            and f.kind == "oscillation"
            and not (objective_agrees(f, TREND_KINDS + ("oscillation",)) or task_agrees(f))
        ):
            # One term of the objective swinging while the objective and the task metric do not is that
            # head's noise (a YOLOv8 validation cls_loss alternating over its first ten epochs while mAP
            # climbs), as a component's trend is (above).
            continue
        out.append(f)
    # A loss told as overfitting is not also "did not improve": the overfitting finding says where it was
    # best and how far it rose since (an AllenNLP validation loss 0.5426 -> 0.5176 -> 0.6074 was both).
    # Nor "diverged": its rise came while the training side fell, so the optimisation did not break (a
    # physics-informed net's validation loss 0.92 -> 1.51 while its total loss fell 0.64 -> 0.33); a
    # validation loss that blew up by orders of magnitude is never told as overfitting in the first place.
    told = [f for f in out if f.kind == "overfitting" and at_or_above(f.severity, "warning")]
    overfit = {(f.run, f.tag) for f in told}
    paired = {(f.run, f.tag) for f in told if f.related}
    # Told with no training loss to hold it against (`Overfitting._unpaired`), a climb far enough to be a
    # divergence is told as that instead: the training side is what makes a climb memorising rather than
    # the run breaking (a validation loss that learned 2 % and climbed 60 % in order over 170 epochs).
    diverged = {(f.run, f.tag) for f in out if f.kind == "loss_divergence" and at_or_above(f.severity, "warning")}
    # Nor is a return told as collapsed also one that "never rose beyond its noise": the collapse says it
    # rose first, and a fall that long makes its levels wander as much as the rise (a DQN's -167 -> 33 ->
    # -1076 by windows), so the flat test's noise is the collapse's own.
    collapsed = {(f.run, f.tag) for f in out if f.kind == "metric_collapse" and at_or_above(f.severity, "warning")}
    # Nor is a loss told as never having learned also one that "stopped improving" early: the first says why.
    never = {(f.run, f.tag) for f in out if f.kind == "never_learned" and at_or_above(f.severity, "warning")}
    # Nor has an R² that never rose above the mean's score "collapsed" or "dipped" when it sinks further
    # below it (a validation R² of -0.002 falling to -0.85 while the training loss falls): nothing learned
    # was lost.
    unexplained = {
        (f.run, f.tag)
        for f in out
        if f.kind == "never_learned" and (f.evidence or {}).get("how") == "mean" and at_or_above(f.severity, "warning")
    }
    return [
        f
        for f in out
        if not (f.kind == "no_progress" and (f.run, f.tag) in overfit)
        and not (f.kind == "no_progress" and (f.evidence or {}).get("how") == "stopped" and (f.run, f.tag) in never)
        and not (f.kind == "loss_divergence" and (f.run, f.tag) in paired)
        and not (f.kind == "overfitting" and not f.related and (f.run, f.tag) in diverged)
        and not (f.kind == "never_learned" and (f.evidence or {}).get("how") == "flat" and (f.run, f.tag) in collapsed)
        and not (f.kind in ("metric_collapse", "transient_dip") and (f.run, f.tag) in unexplained)
    ]
