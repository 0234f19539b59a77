"""Hostile input inside a real `tensorboard` process, on both loaders.

The corpus is written here by real writers (tf.summary, tensorboardX), then
damaged the way crashes and disks damage files: truncated mid-record, a
flipped byte (bad CRC), zero length, random bytes.  Beside them: NaN and
+-Inf, finite values near the float64 limit, negative, duplicated and
out-of-order steps, a vector and a string tensor under the `scalars` plugin,
a 30-level nested run, unicode, right-to-left and markup names.

Every route answers JSON for every run, never a 500 because of data, the
healthy runs keep their findings, both loaders read the odd series alike
where TensorBoard lets them, and the log holds no traceback and no numpy
RuntimeWarning.
"""

import http.client
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

import numpy as np
import pytest

from demo.tbprocess import tensorboard_process
from tests import logwriters

P = "/data/plugin/curvecheck/"
LOAD_TIMEOUT_S = 60
NESTED = "/".join("level%02d" % i for i in range(30))
ODD_NAMES = [
    "Lauf ü <img src=x onerror=alert(1)>",
    "\u0645\u0631\u062d\u0628\u0627 \u202eexe.txt",  # Arabic, then a right-to-left override
    'quote"amp&lt;/script>',
]
# steps as a writer that went back without restarting logs them: 10 and 11
# swapped, then 5..7 again, then on from 21.  RustBoard keeps, for a step
# that is not above the last one, only what came after it: so must we.
OUT_OF_ORDER_STEPS = list(range(10)) + [11, 10] + list(range(12, 20)) + [5, 6, 7] + list(range(21, 40))
OUT_OF_ORDER_KEPT = list(range(8)) + list(range(21, 40))
DOUBLE_LIMIT = 1.797e308


def _tf_odd_tensors(root):
    """Tensors a user can put under the `scalars` plugin with tf.summary.write."""
    import tensorflow as tf
    from tensorboard.plugins.scalar import metadata as scalar_metadata

    meta = scalar_metadata.create_summary_metadata(display_name="", description="")

    def write(run, body):
        w = tf.summary.create_file_writer(os.path.join(root, run))
        with w.as_default():
            body(tf, meta)
        w.close()

    def vector(tf, meta):
        for s in range(12):
            tf.summary.scalar("loss", 1.0 / (s + 1), step=s)
            tf.summary.write("weights_norms", tf.constant([1.0, 2.0, 3.0]), step=s, metadata=meta)

    def string(tf, meta):
        for s in range(12):
            tf.summary.scalar("loss", 1.0 / (s + 1), step=s)
            tf.summary.write("accuracy", tf.constant("1.5"), step=s, metadata=meta)

    def double(tf, meta):
        for s in range(20):
            tf.summary.scalar("loss", 1.0 / (s + 1), step=s)
            tf.summary.write("accuracy", tf.constant(DOUBLE_LIMIT, tf.float64), step=s, metadata=meta)

    def histograms(tf, meta):
        rng = np.random.default_rng(3)
        for s in range(6):
            tf.summary.scalar("loss", 1.0 / (s + 1), step=s)
            sample = rng.normal(size=200)
            if s >= 3:
                sample[:5] = np.nan
            tf.summary.histogram("dense/kernel/histogram", sample, step=s)
            tf.summary.histogram("huge/kernel/histogram", sample.astype(np.float64) * 1e307, step=s)

    def out_of_order(tf, meta):
        for i, s in enumerate(OUT_OF_ORDER_STEPS):
            tf.summary.scalar("loss", 2.0 - 0.03 * i, step=s)

    write("vector_run", vector)
    write("string_run", string)
    write("double_run", double)
    write("odd_histograms", histograms)
    write("out_of_order", out_of_order)


def _damage(path, how):
    raw = open(path, "rb").read()
    if how == "truncated":
        raw = raw[: len(raw) - 17]  # cut mid-record, as a crash would
    elif how == "bad_crc":
        b = bytearray(raw)
        middle = len(b) // 2
        b[middle] ^= 0xFF  # one flipped byte: a record whose CRC no longer matches
        raw = bytes(b)
    with open(path, "wb") as f:
        f.write(raw)


def write_corpus(root):
    rng = np.random.default_rng(0)
    t = np.arange(60)
    healthy = 2.0 * np.exp(-t / 15) + 0.1
    logwriters.tbx_scalars(os.path.join(root, "healthy/train"), {"epoch_loss": healthy})
    logwriters.tbx_scalars(os.path.join(root, "healthy/validation"), {"epoch_loss": healthy + 0.05})
    nan = healthy.copy()
    nan[40:] = np.nan
    logwriters.tbx_scalars(os.path.join(root, "nan_run"), {"loss": nan})
    infs = healthy.copy()
    infs[30], infs[31] = np.inf, -np.inf
    logwriters.tbx_scalars(os.path.join(root, "inf_run"), {"loss": infs})
    logwriters.tbx_scalars(os.path.join(root, "negative_steps"), {"loss": healthy[:20]}, steps=range(-10, 10))
    dup_dir = os.path.join(root, "duplicate_steps")
    from tensorboardX import SummaryWriter

    w = SummaryWriter(dup_dir)
    for step in range(20):
        w.add_scalar("loss", float(healthy[step]), step)
        w.add_scalar("loss", float(healthy[step]) / 2, step)  # the newer write of the step
    w.close()
    for how in ("truncated", "bad_crc"):
        d = os.path.join(root, how)
        logwriters.tbx_scalars(d, {"loss": healthy})
        _damage(logwriters.event_files(d)[0], how)
    for name, content in (("zero_length", b""), ("random_bytes", rng.bytes(4096))):
        os.makedirs(os.path.join(root, name))
        with open(os.path.join(root, name, "events.out.tfevents.1.host"), "wb") as f:
            f.write(content)
    logwriters.tbx_scalars(os.path.join(root, NESTED), {"loss": healthy[:10]})
    for name in ODD_NAMES:
        logwriters.tbx_scalars(os.path.join(root, name), {"val_loss <b>x</b>": [1.0, float("inf"), 0.5]})
    _tf_odd_tensors(root)


# Runs every loader lists once loaded (the damaged files' runs may or may not
# be listed: TensorBoard decides, and either is fine).
EXPECTED_RUNS = {
    "healthy/train",
    "healthy/validation",
    "nan_run",
    "inf_run",
    "negative_steps",
    "duplicate_steps",
    NESTED,
    "vector_run",
    "string_run",
    "double_run",
    "odd_histograms",
    "out_of_order",
    *ODD_NAMES,
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    write_corpus(str(root))
    return str(root)


def get(base, path, code=200):
    try:
        with urllib.request.urlopen(base + path, timeout=60) as r:
            assert r.status == code, (path, r.status)
            return json.loads(r.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        body = e.read().decode("utf-8", "replace")
        assert e.code == code, (path, e.code, body)
        assert "Traceback" not in body
        return body


def wait_for_runs(base, expected, log_path):
    """The Rust data server answers before its first load ends: poll."""
    deadline = time.monotonic() + LOAD_TIMEOUT_S
    while True:
        body = get(base, P + "findings")
        listed = {r["run"] for r in body["runs"]}
        if expected <= listed and all(r["status"] != "empty" for r in body["runs"] if r["run"] in expected):
            return body
        assert time.monotonic() < deadline, (sorted(expected - listed), log_path.read_text()[-3000:])
        time.sleep(0.5)


@pytest.fixture(scope="module", params=["true", "false"], ids=["rust", "python"])
def server(request, corpus, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("tblog") / "tensorboard.log"
    with tensorboard_process(
        corpus, log_path, "--reload_interval", "0", "--reload_task", "blocking", "--load_fast", request.param
    ) as (url, _):
        body = wait_for_runs(url, EXPECTED_RUNS, log_path)
        yield url, log_path, request.param == "true", body


def _by_run(body):
    return {r["run"]: r for r in body["runs"]}


def _series(base, run, tag):
    q = urllib.parse.urlencode([("run", run), ("tag", tag), ("max_points", 100000)])
    return get(base, P + "series?" + q)["series"][0]


def test_one_bad_run_costs_only_itself(server):
    """Issue 13.1: a vector tensor under `scalars` made every route answer 500
    with the Python loader."""
    base, log_path, rust, body = server
    runs = _by_run(body)
    for run in (
        "healthy/train",
        "healthy/validation",
        "nan_run",
        "inf_run",
        "double_run",
        "odd_histograms",
        "out_of_order",
        "negative_steps",
        "duplicate_steps",
        NESTED,
        *ODD_NAMES,
    ):
        assert runs[run]["status"] == "analysed", runs[run]
    kinds = {(f["run"], f["kind"]) for f in body["findings"]}
    assert ("nan_run", "non_finite") in kinds and ("inf_run", "non_finite") in kinds
    for name in ODD_NAMES:
        assert (name, "non_finite") in kinds
    for run, tag in (("vector_run", "weights_norms"), ("string_run", "accuracy")):
        if rust:
            # RustBoard drops what is not a float scalar itself.
            assert runs[run]["status"] == "analysed"
        else:
            assert runs[run]["status"] == "failed" and tag in runs[run]["reason"], runs[run]
        # The rest of the run is read and served.
        assert runs[run]["scalar_series"] == 1
        assert _series(base, run, "loss")["total_points"] == 12
    assert "Traceback" not in log_path.read_text(errors="replace")


def test_every_route_answers_for_every_series(server):
    base, log_path, rust, body = server
    tags = get(base, P + "tags")
    assert set(tags["runs"]) == {r["run"] for r in body["runs"]}
    pairs = [(run, tag) for run, ts in tags["runs"].items() for tag, t in ts.items() if t["type"] == "scalar"]
    hists = [(run, tag) for run, ts in tags["runs"].items() for tag, t in ts.items() if t["type"] == "histogram"]
    assert len(pairs) >= len(EXPECTED_RUNS) and hists
    for i in range(0, len(pairs), 16):
        chunk = pairs[i : i + 16]
        q = urllib.parse.urlencode([kv for run, tag in chunk for kv in (("run", run), ("tag", tag))])
        got = get(base, P + "series?" + q)["series"]
        assert [(s["run"], s["tag"]) for s in got] == chunk
    for run, tag in hists:
        stats = get(base, P + "histogram_stats?" + urllib.parse.urlencode([("run", run), ("tag", tag)]))
        assert stats["steps"]
    for run in (NESTED, *ODD_NAMES):
        q = urllib.parse.urlencode([("run", run)])
        assert [r["run"] for r in get(base, P + "findings?" + q)["runs"]] == [run]
    log = log_path.read_text(errors="replace")
    assert "Traceback" not in log and "RuntimeWarning" not in log


def test_values_the_detectors_cannot_judge(server):
    """Issue 13.5: a constant 1.797e308 accuracy was judged `metric_collapse
    inf -> inf` with numpy RuntimeWarnings; a string "1.5" was read as 1.5."""
    base, log_path, rust, body = server
    tags = get(base, P + "tags")["runs"]
    assert "accuracy" not in tags["string_run"]  # on both loaders: not a number
    double = [f for f in body["findings"] if f["run"] == "double_run"]
    assert double == [], double
    if not rust:
        # The Python loader keeps DT_DOUBLE: shown, but not judged, and said so.
        assert _series(base, "double_run", "accuracy")["values"][0] == pytest.approx(DOUBLE_LIMIT)
        assert any("accuracy" in n and "double_run" in n for n in body["notes"]), body["notes"]
    huge = [f for f in body["findings"] if f["run"] == "odd_histograms" and "huge" in f["tag"]]
    assert huge == [], huge
    q = urllib.parse.urlencode([("run", "odd_histograms"), ("tag", "huge/kernel/histogram")])
    assert len(get(base, P + "histogram_stats?" + q)["steps"]) == 6  # still drawn
    assert "RuntimeWarning" not in log_path.read_text(errors="replace")


def test_steps_that_go_back_read_alike_on_both_loaders(server):
    """Issue 13.5: out-of-order steps read differently on the two loaders."""
    base, log_path, rust, body = server
    assert _series(base, "out_of_order", "loss")["steps"] == OUT_OF_ORDER_KEPT
    dup = _series(base, "duplicate_steps", "loss")
    assert dup["steps"] == list(range(20))
    healthy = 2.0 * np.exp(-np.arange(20) / 15) + 0.1
    np.testing.assert_allclose(dup["values"], healthy / 2, rtol=1e-6)  # the newer write
    assert _series(base, "negative_steps", "loss")["steps"] == list(range(-10, 10))


TRAVERSALS = [
    "static/../plugin.py",
    "static/..%2fplugin.py",
    "static/%2e%2e/plugin.py",
    "static/%2e%2e%2fplugin.py",
    "static/..%5cplugin.py",
    "static/....//plugin.py",
    "static/./../plugin.py",
    "static//etc/passwd",
    "static/%2fetc%2fpasswd",
    "static/..%00.js",
    "static/%c0%ae%c0%ae/plugin.py",
    "static/../../../../../../etc/passwd",
    "static/..;/plugin.py",
    "static/%252e%252e/plugin.py",
]


def test_traversal_requests_on_the_static_route(server):
    base, log_path, rust, body = server
    host, port = base.split("//")[1].split(":")
    secret = open(
        os.path.join(
            os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tb_curvecheck", "plugin", "plugin.py"
        ),
        "rb",
    ).read()[:200]
    for path in TRAVERSALS:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request("GET", P + path)  # sent as written: no client-side normalisation
        r = conn.getresponse()
        content = r.read()
        conn.close()
        assert r.status in (400, 404), (path, r.status)
        assert secret not in content and b"root:" not in content and b"Traceback" not in content
    assert "Traceback" not in log_path.read_text(errors="replace")


@pytest.mark.parametrize("load_fast", ["true", "false"], ids=["rust", "python"])
def test_a_deleted_logdir_is_survived(tmp_path, load_fast):
    root = tmp_path / "logs"
    logwriters.tbx_scalars(str(root / "run"), {"loss": [1.0, float("nan"), 0.5]})
    log_path = tmp_path / "tensorboard.log"
    with tensorboard_process(str(root), log_path, "--reload_interval", "1", "--load_fast", load_fast) as (url, proc):
        wait_for_runs(url, {"run"}, log_path)
        import shutil

        shutil.rmtree(root)
        time.sleep(3)  # a few reload cycles over the missing directory
        body = get(url, P + "findings")
        assert set(body) >= {"findings", "runs", "summary"}
        get(url, P + "tags")
        assert proc.poll() is None
    assert "Traceback" not in log_path.read_text(errors="replace")
