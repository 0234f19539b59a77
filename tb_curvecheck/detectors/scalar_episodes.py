"""`never_learned` read from episode lengths: every episode ran to the time limit, and the return never rose.

RL frameworks log the mean episode length beside the return (SB3's `rollout/ep_len_mean`, ML-Agents'
`Environment/Episode Length`, CS285's `Train_AverageEpLen`).  When that length sits at one maximum
from the first summary to the last, every episode was cut by the time limit: in a task that ends
when the goal is reached, the agent never reached it.  In a task that names no goal that is no
evidence: where an episode ends only when the agent fails (Ant, Hopper, CartPole), lengths at the
limit from the first summary say the agent already survived every episode when logging began, and
where every episode runs a fixed number of steps (HalfCheetah's 1000) they say nothing.  Runs named
after such a task are left to the return's own tests (`never_learned`'s flat return, `no_progress`)."""

from __future__ import annotations

import dataclasses
from typing import List, Optional, Tuple

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import environments
from . import stats as U
from .base import Detector
from .wording import fmt, make_finding


@dataclasses.dataclass(frozen=True, eq=False)
class TimeLimitEvent:
    ref: SeriesRef  # the return
    view: U.View
    length: SeriesRef
    limit: float  # the length every episode ran to
    share: float  # share of the length's summaries at the limit
    rose: bool = False  # the return rose in order all the same (a shaped reward paid for progress) ...
    levels: Tuple[float, float] = (0.0, 0.0)  # ... from this opening level to this closing one


@dataclasses.dataclass(frozen=True)
class EpisodesAtLimit(Detector[TimeLimitEvent]):
    name = "episodes_at_limit"
    kinds = ("never_learned",)

    # Enough summaries of both that "from first to last" means something.
    min_points: int = 10
    # "At the limit": within this share of the longest length (a mean over episodes that all hit a
    # fixed limit is that limit to the digit; one episode that ended early in a hundred moves it 0.01 %
    # or more) ...
    limit_rtol: float = 1e-3
    # ... at this share of the summaries, the first and the last among them (an agent that starts
    # reaching the goal late shortens its last episodes: MountainCar's 200 -> 167 at the end).
    limit_share: float = 0.98
    # A return whose later summaries lie above its earlier ones (Mann-Kendall z at the one-sided 5 %
    # point) by `rise_share` of its level (what `gained` asks besides its three standard errors) rose,
    # though within its noise: a shaped reward paying for getting closer (a maze agent at -12.5 -> -22
    # -> -4 -> -5.8 over 20 summaries).  Every episode still ran out of time, so the goal was never
    # reached; the finding says the return rose instead of "never improved".
    rise_z: float = 1.64
    rise_share: float = 0.1

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[TimeLimitEvent]:
        if ref.info.purpose != "task" or ref.info.role != "other" or len(ref.series) < self.min_points:
            return []
        if U.finite_points(ref)[1].shape[0] < self.min_points:
            return []  # a return never (or seldom) computed: `non_finite`'s to tell, with nothing to read here
        length = self._length(exp, ref)
        if length is None:
            return []
        # A CS285 DAgger policy on Ant at its expert's 4,600 from the first evaluation, an MPE
        # `simple_spread` agent whose 75 steps are three fixed cycles: no goal ends their episodes.
        if environments.no_goal_ends_episodes("/".join((exp.source, ref.run, ref.tag, length.tag))):
            return []
        # Any return or task metric of the run that improved says the agent learned something, also when
        # it climbed inside its opening window.
        tasks = [s for s in exp.scalars if s.info.purpose == "task" and len(s.series) >= self.min_points]
        view = U.view_of(ref, smooth=False)
        if any(U.gained(s) or _climbed_in_opening(s) for s in tasks):
            return []
        _, v = U.finite_points(length)
        limit = float(np.max(v))
        at = np.abs(v - limit) <= self.limit_rtol * limit
        start, end, _, _ = U.edge_levels(view.values)
        rose = U.trend_z(view.values) >= self.rise_z and end - start >= self.rise_share * max(abs(start), abs(end))
        return [TimeLimitEvent(ref, view, length, limit, float(np.mean(at)), rose, (start, end))]

    def _length(self, exp: Experiment, ref: SeriesRef) -> Optional[SeriesRef]:
        for s in exp.scalars:
            if s.run != ref.run or not U.EPISODE_LENGTH.search(s.tag):
                continue
            _, v = U.finite_points(s)
            if v.shape[0] < self.min_points:
                continue
            limit = float(np.max(v))
            # A one-step task's episodes are all one step long: no limit to run into.
            if limit <= 1.0:
                continue
            at = np.abs(v - limit) <= self.limit_rtol * limit
            if at[0] and at[-1] and float(np.mean(at)) >= self.limit_share:
                return s
        return None

    def describe(self, e: TimeLimitEvent) -> Finding:
        view = e.view
        v = view.values
        n = len(view)
        limit = "(%s = %s at %d %% of summaries)" % (e.length.tag, fmt(e.limit), round(100 * e.share))
        causes = (
            " Typical causes: a goal too rare to find by chance (shape the reward, start closer to the goal, "
            "add a curriculum), too little exploration (entropy bonus, epsilon or action noise that decays too "
            "fast), a reward that never reaches the agent, or a budget far too small for the task."
        )
        if e.rose:
            start, end = e.levels
            title = "%s rose (%s → %s) but every episode still ran to the time limit %s: the goal was never reached" % (
                e.ref.tag,
                fmt(start),
                fmt(end),
                limit,
            )
            expl = (
                "%s rose in order over %d summaries (from about %s at the start to %s at the end), yet %s held at "
                "%s, its maximum, from the first summary to the last: every episode was cut by the time limit. A "
                "shaped reward pays for getting closer; in a task that ends when the goal is reached, the agent "
                "never reached it. (In a task of fixed length this says nothing: there the return's rise is the "
                "learning.)" % (e.ref.tag, n, fmt(start), fmt(end), e.length.tag, fmt(e.limit))
            ) + causes
        else:
            title = "%s never improved while every episode ran to the time limit %s" % (e.ref.tag, limit)
            expl = (
                "%s stayed where it started (%s at the first summary, %s at the last, over %d) while %s held at "
                "%s, its maximum, from the first summary to the last: every episode was cut by the time limit. "
                "In a task that ends when the goal is reached the agent never reached it, so it never saw the "
                "reward that would teach it; in a task of fixed length the return is the whole story, and it "
                "did not move." % (e.ref.tag, fmt(float(v[0])), fmt(float(v[-1])), n, e.length.tag, fmt(e.limit))
            ) + causes
        evidence = {
            "how": "time_limit",
            "episode_length_tag": e.length.tag,
            "time_limit": e.limit,
            "share_at_limit": e.share,
            "first_return": float(v[0]) * view.raw_scale,
            "last_return": float(v[-1]) * view.raw_scale,
            "return_rose": e.rose,
        }
        return make_finding(
            e.ref, "never_learned", "warning", view, 0, n - 1, title, expl, evidence, related=[e.length]
        )


def _climbed_in_opening(ref: SeriesRef) -> bool:
    """A return or task metric that climbed inside its opening window (`stats.climbed_in_opening`), turned
    over when lower is better: a DAgger agent's evaluation return 3191 -> 3863 -> ~4000 after its first
    iteration learned, though the training return beside it opens on the expert's 4206."""
    v = U.view_of(ref, smooth=False).values
    return U.climbed_in_opening(-v if ref.info.role == "metric_down" else v)
