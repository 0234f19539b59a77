"""The demo: one real run (post 002, the cheapest with the most exact numbers)
is trained into a temporary logdir and read back with TensorBoard's loader;
`scripts/demo --check` then serves it and finds the plugin enabled."""

import json
import os
import subprocess
import sys
import time

import pytest

from demo.describe import load_run
from demo.mechanisms import CHECKS
from demo.runs import NAMES
from tb_curvecheck.model import KINDS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = "post002_saturated"


def _env(**extra):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def demo_logdir(tmp_path_factory):
    logdir = str(tmp_path_factory.mktemp("demo_logs"))
    subprocess.run(
        [sys.executable, "-m", "demo.generate", "--logdir", logdir, "--only", RUN],
        cwd=ROOT,
        env=_env(),
        check=True,
        timeout=300,
    )
    return logdir


@pytest.fixture(scope="module")
def labels():
    with open(os.path.join(ROOT, "demo", "labels.json"), encoding="utf-8") as f:
        return {case["run_prefix"]: case for case in json.load(f)}


def test_post002_logs_the_clipped_probability_signature(demo_logdir, labels):
    """The mechanism, wherever it starts on this CPU: healthy epochs, then
    loss = (1 - acc) x 16.118 at every saturated epoch, accuracy down for
    good, and a first raw batch that reads exactly 1.1921e-07."""
    sig = CHECKS[RUN](load_run(os.path.join(demo_logdir, RUN)))
    assert sig.failures == [], sig.line()

    # The labels' windows hold what this machine produced.
    for e in labels[RUN]["expect"]:
        sub = e["run"].split("/", 1)[1]
        onset = (
            sig.numbers["batch_1.1921e-07_at"] if e["tag"] == "batch_loss" else sig.numbers["%s_saturated_from" % sub]
        )
        assert e["steps"][0] <= onset <= e["steps"][1], (e, sig.line())


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
        cwd=ROOT,
        env=_env(),
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
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
        timeout=300,
        capture_output=True,
        text=True,
    )
    out = proc.stdout + proc.stderr
    assert "reused" in out, out
    assert "curvecheck: listed, enabled=true" in out, out
    assert proc.returncode == 0, out
