"""`curvecheck scan` as a user runs it: the installed console script, in a subprocess."""

import json
import os
import shutil
import subprocess
import sys

import pytest

import tb_curvecheck
from tb_curvecheck.model import KINDS, SEVERITIES
from tests import logwriters

FINDING_FIELDS = {
    "run": str,
    "tag": str,
    "kind": str,
    "severity": str,
    "start_step": int,
    "end_step": int,
    "title": str,
    "explanation": str,
    "evidence": dict,
    "related": list,
}


def _curvecheck(*args, env=None):
    exe = shutil.which("curvecheck")
    cmd = [exe] if exe else [sys.executable, "-m", "tb_curvecheck"]
    e = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **(env or {}))
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=300, env=e)


@pytest.fixture(scope="module")
def nan_logdir(tmp_path_factory, keras_logdir):
    """The Keras logdir plus a custom-loop run whose loss turns NaN at step 12."""
    root = tmp_path_factory.mktemp("cli")
    shutil.copytree(keras_logdir, root, dirs_exist_ok=True)
    vals = [1.0 / (i + 1) for i in range(12)] + [float("nan")] * 8
    logwriters.tf_scalars(str(root / "custom run ü"), {"train/loss": vals})
    return str(root)


def test_report_on_keras_logdir(keras_logdir):
    r = _curvecheck("scan", keras_logdir, "--fail-on", "never")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    # The healthy Keras run: a summary line that says what was checked.
    assert "2 runs" in out and "series" in out
    assert "Traceback" not in r.stderr


def test_json_is_the_spec_object_and_nothing_else(nan_logdir):
    r = _curvecheck("scan", nan_logdir, "--json")
    obj = json.loads(r.stdout)  # stdout holds the JSON object only
    assert set(obj) == {"findings"}
    assert obj["findings"], "the NaN run must be reported"
    for f in obj["findings"]:
        assert set(f) == set(FINDING_FIELDS)
        for field, typ in FINDING_FIELDS.items():
            assert isinstance(f[field], typ), field
        assert f["kind"] in KINDS and f["severity"] in SEVERITIES
        assert f["start_step"] <= f["end_step"]
        for rel in f["related"]:
            assert set(rel) == {"run", "tag"}
    nf = [f for f in obj["findings"] if f["kind"] == "non_finite"]
    assert nf[0]["run"] == "custom run ü" and nf[0]["tag"] == "train/loss"
    assert nf[0]["start_step"] == 12 and nf[0]["severity"] == "error"
    assert nf[0]["evidence"]["last_healthy_step"] == 11


def test_exit_codes(nan_logdir, keras_logdir, tmp_path):
    assert _curvecheck("scan", nan_logdir).returncode == 1  # default: fail on error
    assert _curvecheck("scan", nan_logdir, "--fail-on", "never").returncode == 0
    assert _curvecheck("scan", keras_logdir, "--fail-on", "error").returncode == 0
    missing = _curvecheck("scan", str(tmp_path / "no such dir"))
    assert missing.returncode == 2
    lines = [line for line in missing.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "does not exist" in lines[0] and "Traceback" not in missing.stderr


def test_human_report_groups_by_run(nan_logdir):
    r = _curvecheck("scan", nan_logdir, "--explain", "--color", "never")
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    i = lines.index("custom run ü")
    assert "ERROR" in lines[i + 1] and "non_finite" in lines[i + 1] and "step" in lines[i + 1]
    assert "restore the checkpoint from step 11" in r.stdout.replace("\n        ", " ")


def test_python_loader_gives_the_same_findings(nan_logdir):
    a = json.loads(_curvecheck("scan", nan_logdir, "--json", "--loader", "rust").stdout)
    b = json.loads(_curvecheck("scan", nan_logdir, "--json", "--loader", "python").stdout)
    assert a == b


def test_python_api_matches_cli(nan_logdir):
    api = [f.to_json() for f in tb_curvecheck.scan(nan_logdir)]
    cli = json.loads(_curvecheck("scan", nan_logdir, "--json").stdout)["findings"]
    assert api == cli


def test_empty_logdir_is_not_an_error(tmp_path):
    r = _curvecheck("scan", str(tmp_path))
    assert r.returncode == 0
    assert "No problems found in 0 runs" in r.stdout
    assert "no TensorBoard event files" in r.stdout


def test_an_experiment_with_nothing_judged_is_not_reported_as_all_clear(tmp_path):
    # A loss logged as `Training/Overall` and a chart named by its hyperparameters: no series says loss,
    # metric or return, so "no problems found" alone would read as an all-clear for curves never judged.
    flat = [36.2, 36.5, 36.4, 36.6, 36.4, 37.0, 36.7, 36.5, 36.7, 36.5]
    logwriters.tbx_scalars(str(tmp_path / "unnamed"), {"Training/Overall": flat, "lr=100&momentum=0.9": flat})
    logwriters.tbx_scalars(str(tmp_path / "named"), {"train/loss": [2.0, 1.5, 1.2, 1.0, 0.9, 0.85, 0.8, 0.78]})
    res = _curvecheck("scan", str(tmp_path))
    assert res.returncode == 0, res.stderr
    notes = [line for line in res.stdout.splitlines() if line.startswith("note:")]
    assert len(notes) == 1, res.stdout
    assert "experiment 'unnamed': none of its 2 scalar series" in notes[0]
    assert "'Training/Overall'" in notes[0] and "checked for non-finite values only" in notes[0]
    # The JSON report stays the spec's object and nothing else.
    assert set(json.loads(_curvecheck("scan", "--json", str(tmp_path)).stdout)) == {"findings"}
