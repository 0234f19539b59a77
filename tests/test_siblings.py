"""Runs judged against their siblings: an RL return that stayed where it started while other runs of
the same logdir, logging the same return from the same level, learned (`analysis.siblings`)."""

import numpy as np
import pytest

from benchmarks import realworld as rw
from tb_curvecheck import scanning
from tb_curvecheck.analysis import pipeline
from tb_curvecheck.model import at_or_above
from tb_curvecheck.reading import read_logdir

from . import logwriters

EPISODES = 400
TAG = "episode/total_reward"


def _episode_rewards(rng, final: float, start: float = 20.0) -> np.ndarray:
    # CartPole-like episode returns: a noisy start near a random policy's ~20, then a climb to `final`
    # halfway by episode 200.
    e = np.arange(EPISODES)
    level = start + (final - start) / (1 + np.exp(-(e - 200) / 30.0))
    return np.clip(level + 0.25 * level * rng.standard_normal(EPISODES), 8, 500)


def _write(logdir, runs: dict) -> None:
    for name, values in runs.items():
        logwriters.tbx_scalars(str(logdir / name), {TAG: values})


def _flagged(findings) -> dict:
    return {
        f.run: f for f in findings if f.kind == "never_learned" and at_or_above(f.severity, "warning") and f.tag == TAG
    }


def test_a_return_that_stays_at_its_start_while_two_siblings_learn_never_learned(tmp_path):
    rng = np.random.default_rng(5)
    _write(
        tmp_path,
        {
            "reinforce_lr1e-3_seed0": _episode_rewards(rng, 190.0),
            "reinforce_lr1e-3_seed1": _episode_rewards(rng, 170.0),
            "reinforce_lr1e-5": _episode_rewards(rng, 22.0),
        },
    )
    flagged = _flagged(pipeline.analyze(read_logdir(str(tmp_path), loader="python")).findings)
    assert set(flagged) == {"reinforce_lr1e-5"}, sorted(flagged)
    f = flagged["reinforce_lr1e-5"]
    assert f.evidence["how"] == "siblings" and len(f.evidence["siblings"]) == 2
    assert abs(f.evidence["start_level"] - 20.0) < 5 and f.evidence["sibling_final"] > 120
    assert {r["run"] for r in f.related} == {"reinforce_lr1e-3_seed0", "reinforce_lr1e-3_seed1"}


def test_a_scan_compares_runs_read_in_different_batches(tmp_path):
    # `curvecheck scan` reads and releases the logdir batch by batch: with a batch per run, the
    # comparison still sees every run's return.
    rng = np.random.default_rng(6)
    _write(
        tmp_path,
        {"a": _episode_rewards(rng, 190.0), "b": _episode_rewards(rng, 170.0), "c": _episode_rewards(rng, 22.0)},
    )
    result = scanning.scan(str(tmp_path), loader="python", jobs=1, batch_bytes=1).result
    assert set(_flagged(result.findings)) == {"c"}


@pytest.mark.parametrize(
    "runs",
    [
        # one sibling alone may be another variant of the task under the same tag
        {"good": (190.0, 20.0), "flat": (22.0, 20.0)},
        # the siblings start elsewhere: another task whose return shares the name
        {"good0": (190.0, 120.0), "good1": (170.0, 120.0), "flat": (22.0, 20.0)},
        # the run learned, more slowly: a fifth of what its siblings gained
        {"good0": (190.0, 20.0), "good1": (170.0, 20.0), "slow": (55.0, 20.0)},
    ],
)
def test_runs_that_are_not_outlearned_by_two_siblings_from_their_start_are_not_flagged(tmp_path, runs):
    rng = np.random.default_rng(7)
    _write(tmp_path, {name: _episode_rewards(rng, final, start) for name, (final, start) in runs.items()})
    assert _flagged(pipeline.analyze(read_logdir(str(tmp_path), loader="python")).findings) == {}


@pytest.mark.parametrize("seed", [9, 10, 11])
def test_an_evaluation_return_near_its_start_beside_a_training_return_that_climbed_is_not_never_learned(tmp_path, seed):
    # A blind tuned SB3 PPO run beside SAC siblings (stop 56): its evaluation return stayed near its
    # start (-42 -> -25) where the siblings' reached 450, while its own rollout return climbed
    # -250 -> 66.  The agent learned, less well: its evaluation says so, not "never learned".
    rng = np.random.default_rng(seed)
    runs = {"sac_a": (190.0, 180.0), "sac_b": (170.0, 160.0), "ppo": (22.0, 120.0)}
    for name, (evaluated, trained) in runs.items():
        logwriters.tbx_scalars(
            str(tmp_path / name),
            {TAG: _episode_rewards(rng, evaluated), "rollout/ep_rew_mean": _episode_rewards(rng, trained)},
        )

    def never(findings) -> set:
        return {f.run for f in findings if f.kind == "never_learned" and at_or_above(f.severity, "warning")}

    assert never(pipeline.analyze(read_logdir(str(tmp_path), loader="python")).findings) == set()
    # Its training return flat too, the run never learned (told on either of its returns).
    logwriters.tbx_scalars(
        str(tmp_path / "flat"),
        {TAG: _episode_rewards(rng, 22.0), "rollout/ep_rew_mean": _episode_rewards(rng, 21.0)},
    )
    assert never(pipeline.analyze(read_logdir(str(tmp_path), loader="python")).findings) == {"flat"}


def test_a_run_stopped_before_its_siblings_learned_is_not_judged(tmp_path):
    rng = np.random.default_rng(8)
    _write(tmp_path, {"a": _episode_rewards(rng, 190.0), "b": _episode_rewards(rng, 170.0)})
    # 60 episodes: the siblings were still near their start then (halfway only by episode 200).
    logwriters.tbx_scalars(str(tmp_path / "short"), {TAG: _episode_rewards(rng, 22.0)[:60]})
    assert "short" not in _flagged(pipeline.analyze(read_logdir(str(tmp_path), loader="python")).findings)


def _repo(repo):
    return [r for r in rw.load_manifest()["runs"] if r["repo"] == repo]


def test_real_reinforce_at_a_learning_rate_too_small_is_found_beside_its_siblings():
    # Qehbr's CartPole homework: REINFORCE at lr 1e-4 stays at 15-25 for 1000 episodes while the
    # lr 1e-3 REINFORCE and the actor-critic runs of the same folder climb to 130-500.
    found, errors = rw.repo_findings(_repo("Qehbr/Deep-Reinforcement-Learning"))
    assert not errors
    run = next(k for k in found if k.endswith("reinforce_0.0001_0.95"))
    assert [f for f in found[run] if f.kind == "never_learned" and f.evidence.get("how") == "siblings"]
    learned = [k for k in found if k.endswith("reinforce_0.001_0.99")]
    assert learned and not [f for f in found[learned[0]] if f.kind == "never_learned"]


def test_real_sac_variant_with_another_reward_scale_is_not_compared_with_it():
    # PoohNB's self-driving SAC runs: SAC_13 climbs -53 -> 266 while SAC_39, another reward setup,
    # starts at -1080 and reaches 11,400: a different start is a different task, not a better run.
    found, errors = rw.repo_findings(_repo("PoohNB/self-driving-sb3"))
    assert not errors
    run = next(k for k in found if k.endswith("RL/SAC_13"))
    assert not [f for f in found[run] if f.kind == "never_learned"]


def test_the_tab_shows_the_comparison_over_the_whole_logdir(tmp_path):
    # A real TensorBoard app with the plugin: each experiment is analysed and cached on its own, and
    # the comparison runs over every experiment of the logdir on each request.
    from tests.test_plugin_routes import TB

    rng = np.random.default_rng(9)
    _write(
        tmp_path,
        {"a": _episode_rewards(rng, 190.0), "b": _episode_rewards(rng, 170.0), "c": _episode_rewards(rng, 22.0)},
    )
    tb = TB(str(tmp_path), "--samples_per_plugin=scalars=0")
    body = tb.json("/data/plugin/curvecheck/findings")
    flagged = [f for f in body["findings"] if f["kind"] == "never_learned"]
    assert [(f["run"], f["severity"], f["evidence"]["how"]) for f in flagged] == [("c", "warning", "siblings")]
    assert {r["run"]: r["findings"] for r in body["runs"]}["c"] == 1


def _val_loss(rng, final: float, epochs: int = 30) -> np.ndarray:
    # A validation MSE from 1.0 on standardised targets, falling towards `final` with 1 % noise.
    e = np.arange(epochs)
    level = final + (1.0 - final) * np.exp(-e / 4.0)
    return level * (1 + 0.01 * rng.standard_normal(epochs))


def test_a_sweep_run_whose_loss_stays_near_its_start_while_two_siblings_fall_made_no_progress(tmp_path):
    # A learning-rate sweep over a regressor, each run's validation loss logged per epoch.  The run at
    # the smallest rate gained 7 % (beyond `no_progress`'s 5 % and far beyond its 1 % noise, so that
    # detector stays quiet) while the others gained over 90 %: the line is a tenth of their gain.
    rng = np.random.default_rng(11)
    for name, final in {"lr1e-2": 0.05, "lr3e-3": 0.08, "lr1e-5": 0.93}.items():
        logwriters.tbx_scalars(str(tmp_path / name), {"loss/val": _val_loss(rng, final)})
    found = pipeline.analyze(read_logdir(str(tmp_path), loader="python")).findings
    flagged = {f.run: f for f in found if at_or_above(f.severity, "warning")}
    assert set(flagged) == {"lr1e-5"}, sorted(flagged)
    f = flagged["lr1e-5"]
    assert f.kind == "no_progress" and f.evidence["how"] == "siblings" and f.tag == "loss/val"
    # Levels are told in the loss's own terms, not the oriented ones the comparison uses.
    assert 0.9 < f.evidence["start_level"] < 1.1 and 0.85 < f.evidence["final_level"] < 1.0
    assert f.evidence["sibling_final"] < 0.15
    assert "did not improve" in f.title and "untrained model" in f.explanation


def test_train_and_validation_of_one_run_are_not_each_others_siblings(tmp_path):
    # Keras writes `run/train` and `run/validation` with the same tag: a validation loss that fell less
    # than the training loss is the usual gap, not a run that never learned.
    rng = np.random.default_rng(12)
    for name in ("a", "b", "c"):
        logwriters.tbx_scalars(str(tmp_path / name / "train"), {"epoch_loss": _val_loss(rng, 0.02)})
        logwriters.tbx_scalars(str(tmp_path / name / "validation"), {"epoch_loss": _val_loss(rng, 0.95)})
    found = pipeline.analyze(read_logdir(str(tmp_path), loader="python")).findings
    assert not [f for f in found if f.evidence.get("how") == "siblings"], [(f.run, f.title) for f in found]


def test_an_rl_runs_losses_are_not_compared_only_its_return(tmp_path):
    # An RL critic loss that stays where it started is no sign the agent did not learn: only returns
    # are compared in a run that logs one.
    rng = np.random.default_rng(13)
    for name, (final, loss_final) in {"a": (190.0, 0.05), "b": (170.0, 0.05), "c": (180.0, 0.95)}.items():
        logwriters.tbx_scalars(
            str(tmp_path / name),
            {TAG: _episode_rewards(rng, final), "train/loss": _val_loss(rng, loss_final, EPISODES)},
        )
    found = pipeline.analyze(read_logdir(str(tmp_path), loader="python")).findings
    assert not [f for f in found if f.evidence.get("how") == "siblings"], [(f.run, f.title) for f in found]


def test_real_autoencoder_repeats_stuck_at_a_worse_plateau_are_found_beside_their_siblings():
    # TimNiklasWitte's latent-space autoencoder, 25 repeats of one configuration: three stay at a test
    # loss of 0.2254 from their first epoch while the others fall to about 0.12.
    found, errors = rw.repo_findings(_repo("TimNiklasWitte/Latent-Space-Segmentation"))
    assert not errors
    stuck = {k for k in found if k.endswith(("20240201-165742", "20240201-171729", "20240201-173703"))}
    assert len(stuck) == 3
    flagged = {k for k, fs in found.items() for f in fs if f.evidence.get("how") == "siblings"}
    assert flagged == stuck, sorted(flagged ^ stuck)
    f = next(f for f in found[sorted(stuck)[0]] if f.evidence.get("how") == "siblings")
    assert f.kind == "no_progress" and f.severity == "warning"
    assert abs(f.evidence["final_level"] - 0.2254) < 0.005 and f.evidence["sibling_final"] < 0.15


def _map(rng, epochs: int, fast: bool) -> np.ndarray:
    # A detector's mAP@0.5:0.95 per epoch from an untrained 0.0003: a sweep run that climbs to about 0.9
    # within 10 epochs (0.02 at its first), or one doubling every five epochs (0.0003 -> ~0.04 by epoch 35,
    # a twentieth of the others' gain), 10 % noise.
    e = np.arange(epochs)
    level = 0.9 / (1 + np.exp(-(e - 6) / 1.5)) + 0.0003 if fast else 0.0003 * np.exp(e / 7.1)
    return level * (1 + 0.1 * rng.standard_normal(epochs))


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_a_run_still_climbing_in_order_is_slow_not_stuck_beside_siblings_that_learned_fast(tmp_path, seed):
    # Lewis-lv0's YOLOv5 sweep (blind batch ms): a 36-epoch run whose mAP rose 0.0002 -> 0.05, steadily,
    # beside 10- and 15-epoch runs that reached 0.66 and 0.85 was told "never learned".  Its gain is a
    # sixteenth of theirs, but its second half rises in order: it learns, more slowly.  A run that stays
    # at the untrained level beside the same siblings is still told.
    rng = np.random.default_rng(seed)
    tag = "metrics/mAP_0.5:0.95"
    runs = {"exp_a": _map(rng, 15, True), "exp_b": _map(rng, 10, True), "exp_slow": _map(rng, 36, False)}
    runs["exp_stuck"] = 0.0003 * (1 + 0.1 * rng.standard_normal(36))
    for name, values in runs.items():
        logwriters.tbx_scalars(str(tmp_path / name), {tag: values})
    found = pipeline.analyze(read_logdir(str(tmp_path), loader="python")).findings
    told = {f.run for f in found if f.kind == "never_learned" and at_or_above(f.severity, "warning")}
    assert told == {"exp_stuck"}, [(f.run, f.title) for f in found]


def _games(rng, means: np.ndarray, games: int) -> np.ndarray:
    # Tic-tac-toe outcomes (+1 win, 0 draw, -1 loss), averaged over `games` games per summary; a third
    # of the games are draws and the rest split to give `means`.
    draws = rng.random((means.shape[0], games)) < 1 / 3
    wins = rng.random((means.shape[0], games)) < np.clip((means[:, None] / (2 / 3) + 1) / 2, 0, 1)
    return np.where(draws, 0.0, np.where(wins, 1.0, -1.0)).mean(axis=1)


def _never_told_on_training_reward(tmp_path, seeds, test_gain: float) -> int:
    told = 0
    for seed in seeds:
        rng = np.random.default_rng(seed)
        n = 40
        where = tmp_path / ("s%d" % seed)
        logwriters.tbx_scalars(
            str(where),
            {
                # The exploring policy's training reward: epsilon-greedy games scoring what they scored.
                "train/reward": (np.arange(1, n + 1) * 1000, _games(rng, np.full(n, 0.2), 7)),
                "test/reward": (np.arange(n) * 1000, _games(rng, np.linspace(0.0, test_gain, n), 5)),
            },
        )
        findings = pipeline.analyze(read_logdir(str(where), loader="python")).findings
        told += any(
            f.kind == "never_learned" and f.tag == "train/reward" and at_or_above(f.severity, "warning")
            for f in rw.flatten(findings)
        )
    return told


def test_a_training_return_that_wandered_beside_a_test_return_that_rose_in_order_learned(tmp_path):
    # A tianshou DQN on tic-tac-toe logs the epsilon-greedy training reward (7 games per summary) and the
    # greedy test reward (5 games per test).  The test reward rising 0 -> 0.6 in order over 40 tests
    # says the policy learned, even where its five-game noise hides the gain from an edge-level test.
    assert _never_told_on_training_reward(tmp_path / "rose", range(20), 0.6) <= 3
    # Control: beside a test reward that stayed where it started, the wandering training reward is told.
    assert _never_told_on_training_reward(tmp_path / "still", range(20), 0.0) >= 8
