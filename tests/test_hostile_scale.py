"""Many runs and many tags in a real `tensorboard` process, on both loaders.

300 runs x 7 tags (2,100 series), where the issue tried 2,000 runs and
10,000 tags: the same paths (one listing, one read, one analysis per
experiment), at a size that keeps this module to a few seconds of CPU.
Every run is listed and analysed, the planted NaN runs are found, and the
routes answer for any of them.
"""

import urllib.parse

import numpy as np
import pytest

from demo.tbprocess import tensorboard_process
from tests.test_hostile_corpus import P, get, wait_for_runs

RUNS = 300
TAGS = ["loss", "accuracy", "val_loss", "val_accuracy", "lr", "grad_norm", "throughput"]
POINTS = 8
NAN_EVERY = 50  # runs 0, 50, 100, ... log a NaN loss


def _run_name(i):
    return "sweep/lr_%03d" % i


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    from tensorboardX import SummaryWriter

    root = tmp_path_factory.mktemp("scale")
    t = np.arange(POINTS, dtype=np.float64)
    for i in range(RUNS):
        w = SummaryWriter(str(root / _run_name(i)), max_queue=1000, flush_secs=600)
        curves = {
            "loss": 2.0 * np.exp(-t / 4) + 0.1,
            "accuracy": 1 - 0.5 * np.exp(-t / 4),
            "val_loss": 2.1 * np.exp(-t / 4) + 0.15,
            "val_accuracy": 1 - 0.52 * np.exp(-t / 4),
            "lr": np.full(POINTS, 1e-3),
            "grad_norm": 1.0 + 0.1 * np.sin(t),
            "throughput": np.full(POINTS, 100.0 + i),
        }
        if i % NAN_EVERY == 0:
            curves["loss"][POINTS - 2] = np.nan
        for step in range(POINTS):
            for tag in TAGS:
                w.add_scalar(tag, float(curves[tag][step]), step)
        w.close()
    return str(root)


@pytest.mark.parametrize("load_fast", ["true", "false"], ids=["rust", "python"])
def test_many_runs_and_tags(logdir, tmp_path, load_fast):
    log_path = tmp_path / "tensorboard.log"
    expected = {_run_name(i) for i in range(RUNS)}
    with tensorboard_process(
        logdir, log_path, "--reload_interval", "0", "--reload_task", "blocking", "--load_fast", load_fast
    ) as (url, _):
        body = wait_for_runs(url, expected, log_path)
        runs = {r["run"]: r for r in body["runs"]}
        assert set(runs) == expected
        assert all(r["status"] == "analysed" and r["scalar_series"] == len(TAGS) for r in runs.values())
        assert body["summary"]["series"] == RUNS * len(TAGS)
        nan_runs = {f["run"] for f in body["findings"] if f["kind"] == "non_finite"}
        assert nan_runs == {_run_name(i) for i in range(0, RUNS, NAN_EVERY)}
        tags = get(url, P + "tags")
        assert sum(len(t) for t in tags["runs"].values()) == RUNS * len(TAGS)
        last = _run_name(RUNS - 1)
        q = urllib.parse.urlencode([kv for tag in TAGS for kv in (("run", last), ("tag", tag))])
        assert [len(s["steps"]) for s in get(url, P + "series?" + q)["series"]] == [POINTS] * len(TAGS)
    assert "Traceback" not in log_path.read_text(errors="replace")
