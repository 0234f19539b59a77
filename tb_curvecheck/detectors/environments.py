"""Reference returns of well-known Gym/Gymnasium environments, found in a run's or tag's name.

An RL return has no scale of its own: -120 is a failure on LunarLander and a success on Acrobot.
For the classic-control and Box2D tasks whose registration defines a "solved" threshold, the return
of a policy that has not learned the task is just as well known, so a return that never left it can
be named exactly, as saturation names 16.118.

Only environments with a published solved threshold (Gym's `reward_threshold`, or for Pendulum the
level trained agents reach) and a stable reward are listed; Atari and MuJoCo scores depend on the
wrapper, the frame skip and the version, and are left out (InvertedPendulum, whose reward is one per
step in every version, is the exception).
"""

from __future__ import annotations

import dataclasses
import re
from typing import List, Optional, Sequence, Tuple


@dataclasses.dataclass(frozen=True)
class Environment:
    name: str
    # The episode return of a policy that has not learned the task ...
    floor: float
    # ... what that policy does, for the finding's wording ...
    floor_is: str
    # ... the return at which the task counts as solved ...
    solved: float
    # ... and every return an episode of the unmodified task can score: a series outside it is a
    # modified environment, a rescaled reward, or not an episode return at all.
    low: float
    high: float


# (name as written, versions it may carry (None: any), environment)
_TABLE = (
    # Random pushes drop the pole after ~22 steps (reward 1 per step); solved: 195 of 200 (v0), 475 of 500 (v1).
    (r"cart_?pole", r"v0|", Environment("CartPole-v0", 22.0, "random actions", 195.0, 0.0, 200.0)),
    (r"cart_?pole", r"v1|", Environment("CartPole-v1", 22.0, "random actions", 475.0, 0.0, 500.0)),
    # Without momentum the car never reaches the flag: -1 per step until the 200-step limit.
    (
        r"mountain_?car(?!_?continuous)",
        None,
        Environment("MountainCar-v0", -200.0, "never reaching the flag", -110.0, -200.0, 0.0),
    ),
    # Standing still scores 0 and costs nothing: the known trap, since random actions score ~-30 and
    # only reaching the flag pays (+100 minus the fuel spent); solved: 90.
    (
        r"mountain_?car_?continuous",
        None,
        Environment("MountainCarContinuous-v0", 0.0, "standing still", 90.0, -100.0, 100.0),
    ),
    # -1 per step until the 500-step limit, rarely shortened by random swings; solved: -100.
    (r"acrobot", None, Environment("Acrobot-v1", -500.0, "random actions", -100.0, -500.0, 0.0)),
    # Random firing crashes for about -200; landing between the flags and resting scores 200+.
    (
        r"lunar_?lander(?:_?continuous)?",
        None,
        Environment("LunarLander", -200.0, "random firing", 200.0, -1000.0, 350.0),
    ),
    # Random torques leave the pendulum swinging at about -1200 per 200 steps (the cost is at most 16.27
    # a step, so -3254 bounds the range); trained agents hold it up at about -150 (there is no official
    # threshold; at -200 it stays up from most starts).
    (
        r"(?<!inverted_)(?<!double_)pendulum",
        None,
        Environment("Pendulum", -1200.0, "random torques", -200.0, -3300.0, 0.0),
    ),
    # Falling costs -100; walking to the end scores 300 (solved).
    (
        r"bipedal_?walker(?!_?hardcore)",
        None,
        Environment("BipedalWalker", -100.0, "falling over", 300.0, -200.0, 350.0),
    ),
    # The same walker and rewards over stumps, pits and stairs; solved is 300 here too.
    (
        r"bipedal_?walker_?hardcore",
        None,
        Environment("BipedalWalkerHardcore", -100.0, "falling over", 300.0, -200.0, 350.0),
    ),
    # The one MuJoCo task listed: its reward is 1 per step the pole stays up, capped at 1000 steps, in
    # every version (v2-v5), so no wrapper or frame skip changes the scale.  Random pushes drop the pole
    # within about 6 steps (what CS285's random data collection scores); solved: 950.
    (
        r"inverted_?pendulum",
        None,
        Environment("InvertedPendulum", 6.0, "random actions", 950.0, 0.0, 1000.0),
    ),
    # -1 per step and -10 per illegal pick-up or drop-off until the 200-step limit: random moves score
    # about -770; a delivery pays +20, and Gym's solved threshold is 8.
    (r"taxi", None, Environment("Taxi", -770.0, "random moves", 8.0, -2000.0, 20.0)),
)
# A name ends where a letter or digit does not follow (`LunarLander-v2_s64`, `lunar_lander_tensorboard`).
_PATTERNS = [
    (
        re.compile(r"(?<![a-z0-9])(?:" + base + r")(?:[-_]?(?P<version>v\d+))?(?![a-z0-9])", re.IGNORECASE),
        versions,
        env,
    )
    for base, versions, env in _TABLE
]


# Words that mark a tag as an episode's return rather than one step's reward (a CartPole step pays 1,
# a step of MountainCarContinuous about 0: either would sit "below random play").
# Words that say a series is summed over episodes (`ep_rew_mean`, `Environment/Cumulative Reward`).
EPISODE_WORDS = {"ep", "episode", "episodes", "episodic", "return", "returns", "cumulative"}
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def is_episode_return(tag: str) -> bool:
    """`rollout/ep_rew_mean`, `charts/episodic_return`, `Train_AverageReturn`, `Environment/Cumulative
    Reward`, SB3's `eval/mean_reward` (a mean over evaluation episodes); not a bare `reward`."""
    words = {w.lower() for w in _WORD.findall(tag)}
    return bool(words & EPISODE_WORDS) or tag.lower().endswith("eval/mean_reward")


# Unlike a return, a success rate has a scale of its own: the share of episodes that reached the goal.
# One that never reached one episode in twenty at any stage of a run has not learned the task (a sparse
# goal the agent never finds); its climbs of 0.01 are single lucky episodes, nothing to collapse from.
SUCCESS_FLOOR = 0.05


def is_success_rate(tag: str, values: Sequence[float]) -> bool:
    """SB3's `rollout/success_rate` and `eval/success_rate`, a hand-written `success_rate`: a share of
    episodes in [0, 1] (a percentage or a count of successes is not read as one)."""
    words = {w.lower() for w in _WORD.findall(tag)}
    return "success" in words and all(0.0 <= float(x) <= 1.0 for x in values)


def is_exploration_rate(tag: str) -> bool:
    """SB3's `rollout/exploration_rate`, an `epsilon` or `eps_greedy` schedule: the share of random actions."""
    words = {w.lower() for w in _WORD.findall(tag)}
    return "exploration" in words and "rate" in words or bool(words & {"epsilon", "eps"})


def is_policy_entropy(tag: str) -> bool:
    """A policy's entropy as RL frameworks log it: ML-Agents' `Policy/Entropy`, SB3's `train/entropy_loss`
    (its negative), CleanRL's `losses/entropy`.  Not a cross-entropy, an entropy coefficient or its
    target (SAC's `ent_coef`, `target_entropy`)."""
    words = {w.lower() for w in _WORD.findall(tag)}
    return "entropy" in words and not words & {"cross", "coef", "coefficient", "target", "alpha", "temperature"}


# Tasks in which no goal ends an episode: it runs a fixed number of steps (HalfCheetah, Swimmer, Reacher and
# Pusher in MuJoCo; the classic Pendulum; the multi-agent particle tasks, `simple_spread` and kin, 25 steps
# a cycle) or ends only when the agent fails (the pole or the body falls: CartPole, InvertedPendulum,
# InvertedDoublePendulum, Hopper, Walker2d, Ant, Humanoid).  In them an episode that runs to the time limit
# is what a working agent does, not a goal it never reached.  A bare `ant` counts only as a word of its own,
# so AntMaze (a goal task) is not one.
_NO_GOAL = re.compile(
    r"(?<![a-z0-9])(?:half_?cheetah|swimmer|reacher|pusher|hopper|walker_?2d|ant|humanoid(?:_?standup)?"
    r"|cart_?pole|inverted_?(?:double_?)?pendulum|pendulum"
    r"|simple_(?:spread|tag|adversary|reference|speaker_listener|push|crypto|world_comm))"
    r"(?:[-_]?v\d+)?(?![a-z0-9])",
    re.IGNORECASE,
)


def no_goal_ends_episodes(name: str) -> Optional[str]:
    """The task named in `name` (a run path with its tags) whose episodes no goal ends, as written there
    (`Ant-v4`, `simple_spread_v2`); None when no such task is named."""
    m = _NO_GOAL.search(name)
    return m.group(0) if m else None


def candidates(name: str) -> List[Tuple[Environment, bool]]:
    """The environments a run path or tag names (`logs/LunarLander-v2/dqn`, `cartpole_ppo_1`), each
    with whether its version was named too (`CartPole-v0` is both a CartPole and its v0)."""
    out: List[Tuple[Environment, bool]] = []
    for pattern, versions, env in _PATTERNS:
        for m in pattern.finditer(name):
            version = (m.group("version") or "").lower()
            if versions is None or re.fullmatch(versions, version):
                out.append((env, bool(version)))
    return out


def find(name: str, values: Sequence[float]) -> Optional[Environment]:
    """The one environment `name` names whose range holds every value in `values`; a name read as a
    versioned id wins over a bare word (`cartPole-mountainCar_trial_1_MountainCarContinuous-v0`).
    None when there is none or the name stays ambiguous."""
    if not len(values):
        return None
    lo, hi = float(min(values)), float(max(values))
    fits = [(env, versioned) for env, versioned in candidates(name) if env.low <= lo and hi <= env.high]
    if any(v for _, v in fits):
        fits = [f for f in fits if f[1]]
    names = {env.name for env, _ in fits}
    return fits[0][0] if len(names) == 1 else None


def of_return(source: str, run: str, tag: str, values: Sequence[float]) -> Optional[Environment]:
    """The environment an episode return (`tag`, logged in `run` under a logdir whose last components
    are `source`) is on, when one listed here is named and fits its values; None for anything else."""
    if not is_episode_return(tag):
        return None
    return find("/".join((source, run, tag)), values)
