"""A real `tensorboard` process, found the plugin through its entry point.

Needs the package installed (`pip install -e .`), as a user has it.  Runs
once per loader: the Rust data server (`--load_fast=true`) and the Python
loader (`--load_fast=false`).
"""

import json
import time
import urllib.error
import urllib.request
from importlib import metadata

import numpy as np
import pytest

from demo.tbprocess import tensorboard_process
from tests import logwriters

POINTS = 1500  # above TensorBoard's default retention of 1000 scalars
LOAD_TIMEOUT_S = 60


def _installed():
    return any(ep.name == "curvecheck" for ep in metadata.entry_points(group="tensorboard_plugins"))


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugin_server")
    loss = np.linspace(2.0, 0.4, 40)
    loss[25:] = np.nan  # diverged to NaN at step 25 and stayed there
    logwriters.tf_scalars(str(root / "diverged"), {"loss": loss})
    logwriters.tbx_scalars(str(root / "long"), {"loss": 1.0 / np.arange(1, POINTS + 1)})
    return str(root)


def _get(base, path):
    with urllib.request.urlopen(base + path, timeout=30) as r:
        return json.loads(r.read().decode("utf-8"))


@pytest.fixture(params=["true", "false"], ids=["rust", "python"])
def server(request, logdir, tmp_path):
    if not _installed():
        pytest.fail("tb-curvecheck is not installed: run `pip install -e . --no-deps`")
    log_path = tmp_path / "tensorboard.log"
    with tensorboard_process(
        logdir, log_path, "--reload_interval", "0", "--reload_task", "blocking", "--load_fast", request.param
    ) as (url, _):
        yield url, log_path


def test_real_tensorboard_serves_the_tab_and_the_findings(server):
    base, log_path = server
    listing = _get(base, "/data/plugins_listing")
    assert listing["curvecheck"]["enabled"] is True
    assert listing["curvecheck"]["tab_name"] == "CurveCheck"

    # The Rust data server answers before its first load ends: poll until
    # both runs are there in full.
    deadline = time.monotonic() + LOAD_TIMEOUT_S
    while True:
        body = _get(base, "/data/plugin/curvecheck/findings")
        runs = {r["run"]: r for r in body["runs"]}
        series = (
            _get(base, "/data/plugin/curvecheck/series?run=long&tag=loss&max_points=100000") if "long" in runs else None
        )
        if (
            runs.get("diverged", {}).get("status") == "analysed"
            and series is not None
            and series["series"][0]["total_points"] == POINTS
        ):
            break
        assert time.monotonic() < deadline, (body, log_path.read_text(errors="replace")[-3000:])
        time.sleep(0.5)

    nan = [f for f in body["findings"] if f["run"] == "diverged"]
    assert [(f["kind"], f["tag"], f["start_step"], f["severity"]) for f in nan] == [("non_finite", "loss", 25, "error")]
    assert runs["long"]["sampled"] is False
    assert series["series"][0]["steps"][-1] == POINTS - 1
    # The loader raised TensorBoard's own retention: its Scalars route serves
    # every point too.
    assert len(_get(base, "/data/plugin/scalars/scalars?run=long&tag=loss")) == POINTS
    # A bad parameter is a 400 with a message, even from the real server.
    with pytest.raises(urllib.error.HTTPError) as e:
        _get(base, "/data/plugin/curvecheck/series?run=long")
    assert e.value.code == 400
