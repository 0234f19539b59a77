"""Bad input inside a real TensorBoard: a truncated and a corrupt event file,
an empty file, a NaN run, a one-point run, a run whose steps go back after a
restart, and run/tag names with markup and non-ASCII.  Every answer is JSON,
the other runs keep their findings, and TensorBoard stays up."""

import time
import urllib.error
import urllib.parse

import numpy as np
import pytest

from tests import logwriters
from tests.test_plugin_server import _get, server  # noqa: F401 - the real-process fixture

ODD_RUN = "Lauf ü <img src=x onerror=alert(1)>/validation"


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad_input")
    loss = np.linspace(2.0, 0.5, 30)
    loss[20:] = np.nan
    logwriters.tf_scalars(str(root / "nan_run"), {"loss": loss})
    logwriters.tbx_scalars(str(root / "one_point"), {"loss": [0.7]})
    trunc = str(root / "truncated")
    logwriters.tbx_scalars(trunc, {"loss": list(np.linspace(2, 1, 50))})
    path = logwriters.event_files(trunc)[0]
    raw = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(raw[: len(raw) - 17])
    (root / "corrupt").mkdir()
    (root / "corrupt" / "events.out.tfevents.1.host").write_bytes(bytes(range(256)) * 3)
    (root / "empty").mkdir()
    (root / "empty" / "events.out.tfevents.2.host").write_bytes(b"")
    restarted = str(root / "restarted")
    logwriters.tbx_scalars(restarted, {"loss": [1.0 / (i + 1) for i in range(30)]})
    time.sleep(1.1)  # a second file, as a resumed job writes
    logwriters.tbx_scalars(restarted, {"loss": [0.05] * 15}, steps=range(20, 35))
    logwriters.tbx_scalars(str(root / ODD_RUN), {"val_loss <b>x</b>": [1.0, float("inf"), 0.5]})
    return str(root)


def test_bad_input_never_takes_tensorboard_down(server):  # noqa: F811
    url, log_path = server
    body = _get(url, "/data/plugin/curvecheck/findings")
    status = {r["run"]: r for r in body["runs"]}
    # The good runs and the odd ones are all analysed; nothing is lost.
    for run in ("nan_run", "one_point", "truncated", "restarted", ODD_RUN):
        assert status[run]["status"] == "analysed", status.get(run)
    kinds = {(f["run"], f["kind"]) for f in body["findings"]}
    assert ("nan_run", "non_finite") in kinds
    assert (ODD_RUN, "non_finite") in kinds
    odd = [f for f in body["findings"] if f["run"] == ODD_RUN][0]
    assert odd["tag"].startswith("val_loss") and odd["start_step"] == 1
    # A restarted run is judged on its newest values: no divergence from the rewrite.
    assert not [f for f in body["findings"] if f["run"] == "restarted" and f["severity"] != "info"]
    # The chart data of the odd run is served under its exact name.
    q = urllib.parse.urlencode([("run", ODD_RUN), ("tag", odd["tag"])])
    series = _get(url, "/data/plugin/curvecheck/series?" + q)["series"][0]
    assert series["run"] == ODD_RUN and series["values"][1] == "Infinity"
    # Asking for what is not there is a clear 4xx, not a traceback page.
    with pytest.raises(urllib.error.HTTPError) as e:
        _get(url, "/data/plugin/curvecheck/series?run=nope&tag=loss")
    assert e.value.code in (400, 404)
    text = e.value.read().decode("utf-8", "replace")
    assert "Traceback" not in text
    # TensorBoard itself still answers.
    assert "curvecheck" in _get(url, "/data/plugins_listing")
    assert "Traceback" not in log_path.read_text(errors="replace")
