"""The demo: one real run (post 002, the cheapest with the most exact numbers)
is trained into a temporary logdir and read back with TensorBoard's loader;
`scripts/demo --check` then serves it and finds the plugin enabled."""
import json
import os
import subprocess
import sys
import time

import pytest

from demo.describe import CLIPPED_COST, load_run
from demo.runs import NAMES
from tb_curvecheck.model import KINDS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = "post002_saturated"
# -log(1 - 1e-7) in float32: the loss of a batch whose every prediction is
# saturated and correct.
CONFIDENT_BATCH_LOSS = 1.1920929e-07


def _env(**extra):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def demo_logdir(tmp_path_factory):
    logdir = str(tmp_path_factory.mktemp("demo_logs"))
    subprocess.run(
        [sys.executable, "-m", "demo.generate", "--logdir", logdir, "--only", RUN],
        cwd=ROOT, env=_env(), check=True, timeout=300,
    )
    return logdir


@pytest.fixture(scope="module")
def labels():
    with open(os.path.join(ROOT, "demo", "labels.json"), encoding="utf-8") as f:
        return {case["run_prefix"]: case for case in json.load(f)}


def _series(data, sub, tag):
    steps, values = data[sub][tag]
    return dict(zip(steps, values))


def test_post002_logs_the_clipped_probability_signature(demo_logdir, labels):
    data = load_run(os.path.join(demo_logdir, RUN))
    assert set(data) == {"train", "validation"}

    batch_loss = _series(data, "train", "batch_loss")
    saturated = [s for s, v in sorted(batch_loss.items()) if v < 1e-6]
    assert saturated, "no batch reads the clipped minimum"
    first = saturated[0]
    assert batch_loss[first] == pytest.approx(CONFIDENT_BATCH_LOSS, rel=1e-4)
    assert min(v for s, v in batch_loss.items() if s < first) > 0.02

    for sub in ("train", "validation"):
        loss = _series(data, sub, "epoch_loss")
        acc = _series(data, sub, "epoch_accuracy")
        ratio = {s: loss[s] / ((1 - acc[s]) * CLIPPED_COST) for s in loss}
        # Healthy epochs cost far less than a saturated model would; the last
        # ones cost exactly the clipped maximum per wrong prediction.
        assert all(ratio[s] < 0.3 for s in range(0, 5)), ratio
        assert all(ratio[s] == pytest.approx(1.0, abs=0.01) for s in range(9, 12)), ratio
        assert max(acc[s] for s in range(6)) > 0.92
        assert max(acc[s] for s in range(9, 12)) < 0.6  # fell and stayed down

        onset = min(s for s in ratio if ratio[s] > 0.75)
        (label,) = [e for e in labels[RUN]["expect"] if e["run"] == RUN + "/" + sub and e["tag"] == "epoch_loss"]
        assert label["steps"][0] <= onset <= label["steps"][1]

    (batch_label,) = [e for e in labels[RUN]["expect"] if e["tag"] == "batch_loss"]
    assert batch_label["steps"][0] <= first <= batch_label["steps"][1]


def test_labels_name_every_run_with_known_kinds(labels):
    assert set(labels) == set(NAMES)
    for name, case in labels.items():
        assert case["healthy"] == name.startswith("healthy"), name
        assert bool(case["expect"]) != case["healthy"], name
        for e in case["expect"]:
            assert e["kind"] in KINDS
            assert e["run"].startswith(name + "/")
            lo, hi = e["steps"]
            assert 0 <= lo <= hi
        assert set(case.get("also_ok", ())) <= set(KINDS)


def test_generate_reuses_a_complete_run(demo_logdir):
    rundir = os.path.join(demo_logdir, RUN)
    before = {f: os.path.getmtime(os.path.join(r, f)) for r, _, fs in os.walk(rundir) for f in fs}
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-m", "demo.generate", "--logdir", demo_logdir, "--only", RUN],
        cwd=ROOT, env=_env(), check=True, timeout=120, capture_output=True, text=True,
    ).stdout
    assert "reused" in out
    assert time.time() - start < 30  # reusing must not train or even import TensorFlow's trainer
    after = {f: os.path.getmtime(os.path.join(r, f)) for r, _, fs in os.walk(rundir) for f in fs}
    assert after == before


def test_scripts_demo_check_finds_the_plugin_enabled(demo_logdir):
    proc = subprocess.run(
        [os.path.join(ROOT, "scripts", "demo"), "--check"],
        cwd=ROOT,
        env=_env(CURVECHECK_DEMO_LOGDIR=demo_logdir, CURVECHECK_DEMO_ONLY=RUN, PYTHON=sys.executable),
        timeout=300, capture_output=True, text=True,
    )
    out = proc.stdout + proc.stderr
    assert "reused" in out, out
    assert "curvecheck: listed, enabled=true" in out, out
    assert proc.returncode == 0, out
