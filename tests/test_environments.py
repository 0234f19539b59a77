"""Returns judged against the known scores of well-known environments (`never_learned`,
`how="unsolved"`): an agent stuck in a task's known trap (hovering on LunarLander, standing still on
MountainCarContinuous) is named, and nothing is said where the environment is not one we know for
sure (a custom env under a familiar name, a per-step reward, a fixed statistic)."""

import numpy as np
import pytest

from benchmarks import realworld as rw
from tb_curvecheck.detectors import environments
from tb_curvecheck.model import at_or_above

from . import logwriters
from .test_trust_classes import _run, _scan


def _unsolved(findings):
    return [
        f
        for f in rw.flatten(findings)
        if f.kind == "never_learned" and f.evidence.get("how") == "unsolved" and at_or_above(f.severity, "warning")
    ]


def _as_in_tensorboard(run):
    # Analysed as `tensorboard --logdir` at the repository's root names it: by its path there.
    return rw.repo_findings([run])[0][run["id"]]


@pytest.mark.parametrize(
    "name, values, expected",
    [
        ("logs/LunarLander-v2/dqn", [-300, 100], "LunarLander"),
        ("dqn_9_lunar_lander_tensorboard/DQN_1", [-300, -100], "LunarLander"),
        ("logs/CartPole-v0__dqn", [10, 200], "CartPole-v0"),
        ("x/CartPole-v1/ppo", [10, 450], "CartPole-v1"),
        # A bare CartPole scoring at most 200 could be either version: not judged.
        ("cartpole_ppo", [10, 190], None),
        ("cartpole_ppo", [10, 450], "CartPole-v1"),
        # A versioned id wins over the bare words beside it.
        ("cartPole-mountainCar_trial_1_MountainCarContinuous-v0", [-99.9, -81], "MountainCarContinuous-v0"),
        ("MountainCar-v0/dqn", [-200, -150], "MountainCar-v0"),
        ("Pendulum-v1/td3", [-1500, -150], "Pendulum"),
        # MuJoCo's InvertedPendulum is its own task, not Pendulum; its double is not listed at all.
        ("InvertedPendulum-v4/sac", [5, 1000], "InvertedPendulum"),
        ("inverted_pendulum_ppo", [5, 300], "InvertedPendulum"),
        ("InvertedDoublePendulum-v4/sac", [50, 9000], None),
        # A custom Acrobot scores outside Acrobot-v1's range.
        ("Acrobot_with_MuJoCo/ppo", [-8000, -4000], None),
        ("BipedalWalkerHardcore-v3", [-120, 10], "BipedalWalkerHardcore"),
        ("BipedalWalker-v3", [-120, 10], "BipedalWalker"),
        ("Taxi-v3/q_learning", [-800, 8], "Taxi"),
        # A taxi-demand forecast is no episode of Taxi: its values leave the task's range.
        ("nyc_taxi/lstm", [0.1, 50], None),
        ("mnist/version_0", [0.1, 0.9], None),
    ],
)
def test_environment_is_found_from_the_name_and_checked_against_its_range(name, values, expected):
    env = environments.find(name, values)
    assert (env.name if env else None) == expected


@pytest.mark.parametrize(
    "tag, episode",
    [
        ("rollout/ep_rew_mean", True),
        ("charts/episodic_return", True),
        ("Train_AverageReturn", True),
        ("Environment/Cumulative Reward", True),
        ("eval/mean_reward", True),
        ("Episode Reward", True),
        ("reward", False),
        ("train/reward", False),
    ],
)
def test_only_episode_returns_are_compared_with_episode_scores(tag, episode):
    assert environments.is_episode_return(tag) is episode


def _hover(n, rng, end):
    # SB3's ep_rew_mean: a 100-episode rolling mean, so smooth; climbs from random firing (~-190)
    # and levels off at `end` after a third of the run.
    t = np.arange(n)
    return -190.0 + (end + 190.0) * (1 - np.exp(-t / (n / 10.0))) + 3.0 * rng.standard_normal(n)


def test_a_lander_that_learned_to_hover_is_named_and_one_that_lands_is_not(tmp_path):
    rng = np.random.default_rng(3)
    n = 120
    steps = list(np.arange(1, n + 1) * 4096)
    loss = np.abs(1.0 + 0.2 * rng.standard_normal(n))
    logwriters.tbx_scalars(
        str(tmp_path / "LunarLander-v2" / "DQN_1"),
        {"rollout/ep_rew_mean": _hover(n, rng, -115.0), "train/loss": loss},
        steps,
    )
    logwriters.tbx_scalars(
        str(tmp_path / "LunarLander-v2" / "DQN_2"),
        {"rollout/ep_rew_mean": _hover(n, rng, 230.0), "train/loss": loss},
        steps,
    )
    # The same hovering curve on an environment we do not know says nothing about solving it.
    logwriters.tbx_scalars(
        str(tmp_path / "MyLander-v0" / "DQN_1"),
        {"rollout/ep_rew_mean": _hover(n, rng, -115.0), "train/loss": loss},
        steps,
    )
    found = _unsolved(_scan(str(tmp_path)))
    assert [f.run for f in found] == ["LunarLander-v2/DQN_1"], [(f.run, f.title) for f in found]
    ev = found[0].evidence
    assert ev["environment"] == "LunarLander" and ev["unlearned_score"] == -200 and ev["solved_score"] == 200
    # Best level: a running median near the hover level (noise 3, so within 10 of it) ...
    assert abs(ev["best"] + 115.0) < 10
    # ... about a fifth of the way from -200 to 200.
    assert 0.15 < ev["share"] < 0.25
    assert "LunarLander" in found[0].title and "solved" in found[0].title


def test_a_return_still_climbing_at_the_end_is_not_judged_yet(tmp_path):
    # A DQN leaving its warm-up: flat at random firing for 60 % of the run, then climbing steadily.
    rng = np.random.default_rng(4)
    n = 100
    t = np.arange(n)
    ret = -190.0 + np.where(t < 60, 0.0, 2.0 * (t - 60)) + 3.0 * rng.standard_normal(n)
    logwriters.tbx_scalars(
        str(tmp_path / "LunarLander-v2" / "DQN_1"), {"rollout/ep_rew_mean": ret}, list((t + 1) * 1000)
    )
    assert _unsolved(_scan(str(tmp_path))) == []


def test_a_per_step_reward_is_not_an_episode_return(tmp_path):
    # CartPole pays 1 per step: a per-step reward sits "below random play" by construction.
    n = 60
    logwriters.tbx_scalars(
        str(tmp_path / "CartPole-v1" / "ppo"),
        {"reward": np.ones(n), "charts/episodic_return": np.minimum(500.0, 20.0 + 10.0 * np.arange(n))},
        list(np.arange(n) * 500),
    )
    assert _unsolved(_scan(str(tmp_path))) == []


def test_real_agents_stuck_in_a_known_trap():
    # Standing still on MountainCarContinuous-v0 (Episode Reward -81 -> -99.9, never above 0) ...
    run = _run(
        "Qehbr__Deep-Reinforcement-Learning/assignment3/Section2/runs/cartPole-mountainCar_trial_1_MountainCarContinuous-v0"
    )
    found = _unsolved(_as_in_tensorboard(run))
    assert found and found[0].evidence["environment"] == "MountainCarContinuous-v0", [f.title for f in found]
    assert found[0].evidence["best"] <= 0.0
    # ... and a double-DQN LunarLander-v2 whose evaluation return never passed about -120.
    run = _run("hw3_dqn_dqn_LunarLander-v2_s64_l2_d0.99_doubleq_03-06-2024_15-57-38")
    found = _unsolved(_as_in_tensorboard(run))
    assert found and found[0].evidence["environment"] == "LunarLander", [f.title for f in found]
    assert found[0].evidence["share"] < 0.25
    # ... and a policy gradient on InvertedPendulum-v2 (batch 80, lr 0.06) whose evaluation return went
    # 10 -> about 45 -> 3 against the 950 that solves it: never a twentieth of the way.
    run = _run("pg_ip_b80_lr0.06_InvertedPendulum-v2_01-07-2020_00-33-01")
    found = _unsolved(_as_in_tensorboard(run))
    assert found and found[0].evidence["environment"] == "InvertedPendulum", [f.title for f in found]
    assert found[0].evidence["share"] < 0.1


def test_real_agents_that_solved_their_environment_are_quiet():
    for part in (
        "dantas-a__RL-PPO/logs/LUNAR_LANDER_PPO",
        "magicgh__CS5446-Project/log/Pendulum-v1/td3",
        "hw3_dqn_dqn_CartPole-v1_s64_l2_d0.99_03-06-2024_09-10-11",
        # SAC holding InvertedPendulum-v4's pole for all 1000 steps from 15k steps on.
        "q6a_sac_InvertedPendulum_InvertedPendulum-v4_21-10-2022_16-20-50",
    ):
        assert _unsolved(_as_in_tensorboard(_run(part))) == [], part


def _pendulum(n, rng, end):
    # SB3 DDPG on Pendulum: ep_rew_mean (a rolling mean) climbs from random torques to about -130
    # within the first 3 % of the run, then drifts to `end` over the last 40 %.
    t = np.arange(n, dtype=float)
    climb = -1200.0 + 1070.0 * np.minimum(t / (0.03 * n), 1.0)
    drift = (end + 130.0) * np.clip((t - 0.6 * n) / (0.4 * n), 0.0, 1.0)
    return climb + drift + 0.3 * rng.standard_normal(n)


def test_a_return_that_still_solves_its_environment_has_not_collapsed(tmp_path):
    rng = np.random.default_rng(6)
    n = 250
    steps = list((np.arange(n) + 1) * 4000)
    for name, end in (("Pendulum-v1/ddpg", -142.0), ("MyPendulumTask/ddpg", -142.0), ("Pendulum-v1/td3", -1100.0)):
        logwriters.tbx_scalars(str(tmp_path / name), {"rollout/ep_rew_mean": _pendulum(n, rng, end)}, steps)
    found = [
        f
        for f in rw.flatten(_scan(str(tmp_path)))
        if f.kind == "metric_collapse" and at_or_above(f.severity, "warning")
    ]
    # -130 -> -142 is still above -200, where Pendulum counts as solved: not a collapse.  On an
    # environment we do not know the same drift is weighed against what the return gained, counted from
    # its lowest opening summary since the climb fits inside the opening window: 12 of 1070 is no
    # collapse either (until stop 35 the gain was counted from the window's median, already the trained
    # level, and this drift was called one).  A fall back to -1100 (random torques) is one.
    assert sorted(f.run for f in found) == ["Pendulum-v1/td3"], [(f.run, f.title) for f in found]


def _hover_run(path, seed=7):
    rng = np.random.default_rng(seed)
    n = 120
    logwriters.tbx_scalars(
        path,
        {"rollout/ep_rew_mean": _hover(n, rng, -115.0), "train/loss": np.abs(1.0 + 0.2 * rng.standard_normal(n))},
        list(np.arange(1, n + 1) * 4096),
    )


def test_the_environment_can_be_named_by_the_logdir_itself(tmp_path):
    # SB3's usual layout: `tensorboard_log="./dqn_lunar_lander_tensorboard/"`, then
    # `tensorboard --logdir ./dqn_lunar_lander_tensorboard` shows a run `DQN_1` whose name says nothing.
    from tb_curvecheck import api

    root = tmp_path / "projects" / "dqn_lunar_lander_tensorboard"
    _hover_run(str(root / "DQN_1"))
    found = _unsolved(api.scan_result(str(root), loader="python").findings)
    assert [f.run for f in found] == ["DQN_1"] and found[0].evidence["environment"] == "LunarLander"
    # Only the logdir's last components count: a parent directory far up says nothing about the runs.
    deep = tmp_path / "lunar_lander_project" / "experiments" / "logs"
    _hover_run(str(deep / "DQN_1"))
    assert _unsolved(api.scan_result(str(deep), loader="python").findings) == []


def test_the_plugin_reads_the_environment_from_the_logdir_tensorboard_serves(tmp_path):
    from .test_plugin_routes import TB, P

    root = tmp_path / "dqn_lunar_lander_tensorboard"
    _hover_run(str(root / "DQN_1"))
    body = TB(str(root)).json(P + "findings")
    found = [f for f in body["findings"] if f["kind"] == "never_learned"]
    assert [f["run"] for f in found] == ["DQN_1"], [f["title"] for f in body["findings"]]
    assert found[0]["evidence"]["how"] == "unsolved" and found[0]["evidence"]["environment"] == "LunarLander"


def test_an_exploration_rate_that_ended_early_is_named_beside_a_stalled_return(tmp_path):
    # SB3 DQN: `rollout/exploration_rate` (epsilon) decays linearly from 1.0 to 0.05 over the first
    # 10 % of the run (its default exploration_fraction), then holds; the lander hovers from then on.
    rng = np.random.default_rng(8)
    n = 120
    steps = np.arange(1, n + 1) * 4096
    for name, fraction in (("early", 0.1), ("late", 0.8)):
        eps = np.maximum(0.05, 1.0 - 0.95 * steps / (fraction * steps[-1]))
        logwriters.tbx_scalars(
            str(tmp_path / "LunarLander-v2" / name),
            {"rollout/ep_rew_mean": _hover(n, rng, -115.0), "rollout/exploration_rate": eps},
            list(steps),
        )
    found = {f.run: f for f in _unsolved(_scan(str(tmp_path)))}
    assert set(found) == {"LunarLander-v2/early", "LunarLander-v2/late"}
    x = found["LunarLander-v2/early"].evidence["exploration"]
    assert x["tag"] == "rollout/exploration_rate" and x["final"] == pytest.approx(0.05)
    # Reached at the first summary at its floor: within one summary interval of 10 % of the run.
    assert abs(x["reached_at_step"] - 0.1 * steps[-1]) <= 4096
    text = found["LunarLander-v2/early"].explanation
    assert "rollout/exploration_rate fell from" in text and "to 0.05 by step %d" % x["reached_at_step"] in text
    assert "exploration" not in found["LunarLander-v2/late"].evidence


@pytest.mark.parametrize(
    "tag, entropy",
    [
        ("Policy/Entropy", True),  # ML-Agents
        ("train/entropy_loss", True),  # SB3: the entropy's negative
        ("losses/entropy", True),  # CleanRL
        ("train/ent_coef", False),  # SAC's temperature, not the policy's entropy
        ("train/ent_coef_loss", False),
        ("target_entropy", False),
        ("val/cross_entropy_loss", False),
    ],
)
def test_a_policy_entropy_is_told_from_an_entropy_coefficient_and_a_cross_entropy(tag, entropy):
    assert environments.is_policy_entropy(tag) is entropy
