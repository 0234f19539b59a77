"""Which hyperparameters separate broken runs from healthy ones (`analysis.sweep`)."""

import math
import os

import numpy as np
import pytest

from tb_curvecheck.analysis import sweep


def _sweep(n=300, seed=0):
    rng = np.random.default_rng(seed)
    hp, kinds = {}, {}
    for i in range(n):
        lr = float(rng.choice([1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]))
        run = "run%03d" % i
        hp[run] = {
            "lr": lr,
            "batch_size": int(rng.choice([32, 64, 128])),
            "optimizer": str(rng.choice(["adam", "sgd"])),
        }
        kinds[run] = {"loss_divergence"} if lr >= 1e-2 and rng.random() < 0.5 else set()
    return hp, kinds


def test_the_rate_that_breaks_runs_is_named_with_counts():
    hp, kinds = _sweep()
    report = sweep.separate(hp, kinds)
    (sep,) = [s for s in report.separations if s.kind == "loss_divergence"]
    assert sep.hparam == "lr" and sep.rule == "lr >= 0.01"
    n_with = sum("loss_divergence" in k for k in kinds.values())
    assert (sep.with_matching, sep.with_total) == (n_with, n_with)
    assert sep.without_total == len(kinds) - n_with
    # Runs without it but at lr >= 0.01 are counted, not hidden.
    assert sep.without_matching == sum(1 for r, k in kinds.items() if not k and hp[r]["lr"] >= 1e-2)
    assert "%d of %d runs with loss_divergence have lr >= 0.01" % (n_with, n_with) in sep.sentence()
    # Batch size and optimizer were drawn independently of the failure.
    assert {s.hparam for s in report.separations} == {"lr"}


def test_no_claim_from_chance_or_from_too_few_runs():
    rng = np.random.default_rng(1)
    hp = {"r%d" % i: {"lr": float(rng.choice([0.1, 0.01])), "seed": i} for i in range(60)}
    # Broken runs drawn at random: no hyperparameter is behind them.
    kinds = {r: ({"no_progress"} if rng.random() < 0.2 else set()) for r in hp}
    kinds["r0"] |= {"oscillation"}
    kinds["r1"] |= {"oscillation"}
    report = sweep.separate(hp, kinds)
    assert report.separations == []
    assert any(n.startswith("oscillation: 2 of 60 runs; too few") for n in report.notes)
    assert any(n.startswith("no_progress:") and "beyond chance" in n for n in report.notes)


def test_fisher_exact_matches_the_hypergeometric_tail():
    # 3 of 3 broken runs in the 5 high-rate runs out of 20: C(5,3)/C(20,3).
    assert sweep.fisher_greater(3, 2, 0, 15) == pytest.approx(math.comb(5, 3) / math.comb(20, 3))
    assert sweep.fisher_greater(0, 5, 3, 12) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("lr=3e-4_bs64", {"lr": 3e-4, "bs": 64}),
        ("sweep/lr=0.1/seed=1", {"lr": 0.1, "seed": 1}),
        ("opt:adam,seed=2", {"opt": "adam", "seed": 2}),
        ("run-lr0.01-bs32", {"lr": 0.01, "bs": 32}),
        ("version_0", {}),
    ],
)
def test_hyperparameters_read_from_run_names(name, expected):
    got = sweep.hparams_from_name(name)
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == (pytest.approx(value) if isinstance(value, float) else value)


def test_logged_hyperparameters_win_and_the_name_fallback_can_be_off():
    got = sweep.sweep_hparams(["lr=0.1", "b"], {"b": {"lr": 0.5}})
    assert got == {"lr=0.1": {"lr": 0.1}, "b": {"lr": 0.5}}
    assert sweep.sweep_hparams(["lr=0.1"], {}, names_fallback=False) == {"lr=0.1": {}}


# --- on real event files: the CLI and the plugin ------------------------------

RATES = (1e-4, 1e-3, 3e-3, 1e-2, 1e-1)
SEEDS = 4


def _write_sweep(root):
    """Twenty runs written by tensorboardX: the four at lr=0.1 diverge. One
    per rate logs its hyperparameters with add_hparams (TensorBoard's HParams
    records), the others only name them (`lr=..._bs=...`)."""
    from tensorboardX import SummaryWriter

    steps = np.arange(60)
    for i, lr in enumerate(RATES):
        for seed in range(SEEDS):
            name = "lr=%g_bs=%d_seed%d" % (lr, 32 * (seed + 1), seed) if seed else "trial%d" % i
            w = SummaryWriter(os.path.join(root, name))
            rng = np.random.default_rng(seed + 10 * i)
            loss = 2.0 * np.exp(-steps / 15.0) + 0.05 + rng.normal(0, 0.005, steps.size)
            if lr == 1e-1:
                loss[25:] = loss[24] * np.exp((steps[25:] - 24) / 5.0)  # blows up for good
            for s, v in zip(steps, loss):
                w.add_scalar("loss", float(v), int(s))
            if not seed:
                w.add_hparams({"lr": lr, "optimizer": "sgd"}, {"hparam/final_loss": float(loss[-1])})
            w.close()


@pytest.fixture(scope="module")
def sweep_logdir(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("sweep"))
    _write_sweep(root)
    return root


def test_scan_sweep_names_the_rate_that_diverged(sweep_logdir):
    import io
    import json as _json

    from tb_curvecheck import cli

    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["scan", sweep_logdir, "--json", "--sweep", "--fail-on", "never"], out=out, err=err)
    assert code == 0, err.getvalue()
    doc = _json.loads(out.getvalue())
    diverged = {f["run"].split("/")[0] for f in doc["findings"] if f["kind"] == "loss_divergence"}
    assert len(diverged) == SEEDS
    # Logged (trial4) and named (lr=0.1_...) hyperparameters both count.
    assert doc["hparams"]["trial4"]["lr"] == pytest.approx(0.1)
    assert doc["hparams"]["lr=0.1_bs=64_seed1"]["lr"] == pytest.approx(0.1)
    (sep,) = [s for s in doc["sweep"]["separations"] if s["kind"] == "loss_divergence" and s["hparam"] == "lr"]
    assert sep["rule"] == "lr >= 0.1"
    assert (sep["with_matching"], sep["with_total"]) == (SEEDS, SEEDS)
    assert sep["without_total"] == len(RATES) * SEEDS - SEEDS  # record sub-runs are not trials
    assert sep["without_matching"] == 0

    # Without names, only the add_hparams trials have values: too few runs to claim anything.
    out = io.StringIO()
    cli.main(
        ["scan", sweep_logdir, "--json", "--sweep", "--no-hparams-from-names", "--fail-on", "never"],
        out=out,
        err=io.StringIO(),
    )
    doc = _json.loads(out.getvalue())
    assert {k for k in doc["hparams"] if "/" not in k} == {"trial%d" % i for i in range(len(RATES))}
    assert doc["sweep"]["separations"] == []
    assert any("loss_divergence" in n for n in doc["sweep"]["notes"])


def test_findings_route_carries_hyperparameters_and_the_sweep(sweep_logdir):
    from tests.test_plugin_routes import TB

    tb = TB(sweep_logdir)
    doc = tb.json("/data/plugin/curvecheck/findings")
    assert doc["hparams"]["trial0"] == {"lr": pytest.approx(1e-4), "optimizer": "sgd"}
    seps = [s for s in doc["sweep"]["separations"] if s["kind"] == "loss_divergence"]
    assert [s["rule"] for s in seps if s["hparam"] == "lr"] == ["lr >= 0.1"]
    assert all(r["last_step"] == 59 for r in doc["runs"] if "/" not in r["run"])
    # A request about some runs compares nothing.
    one = tb.json("/data/plugin/curvecheck/findings?run=trial0")
    assert one["sweep"] is None
