"""CurveCheck's routes inside a real TensorBoard WSGI app.

The app is built the way `tensorboard` builds it: TensorBoard parses the
flags (so our loader's `fix_flags` runs), its Python ingester loads a logdir
of event files written here by `tf.summary` and tensorboardX, and
`TensorBoardWSGIApp` wraps the plugins in TensorBoard's own middleware
(errors, `--path_prefix`, `/experiment/<id>/`).  werkzeug's test client
drives it.
"""

import json
import os
import threading
import time

import numpy as np
import pytest
from tensorboard import program
from tensorboard.backend import application
from tensorboard.backend.event_processing import data_ingester
from tensorboard.plugins.core import core_plugin
from tensorboard.plugins.scalar import scalars_plugin
from werkzeug.test import Client

from tb_curvecheck.analysis import pipeline
from tb_curvecheck.plugin import loader as cc_loader
from tb_curvecheck.plugin import service as cc_service
from tests import logwriters

P = "/data/plugin/curvecheck/"
TBX_POINTS = 3000  # more than TensorBoard's default retention of 1000 scalars


def write_logdir(root):
    import tensorflow as tf
    from tensorboard.compat.proto import summary_pb2

    loss = np.linspace(2.0, 0.5, 60)
    loss[30] = np.nan
    logwriters.tf_scalars(os.path.join(root, "nan_run"), {"loss": loss, "accuracy": np.linspace(0.5, 0.9, 60)})

    hist_dir = os.path.join(root, "hist_run")
    rng = np.random.default_rng(0)
    logwriters.tf_histograms(hist_dir, "dense/kernel/histogram", [rng.normal(size=500) * (1 + i) for i in range(6)])
    logwriters.tf_scalars(hist_dir, {"loss": np.linspace(1.0, 0.2, 6)})

    # A histogram series whose tensor is not a [k, 3] bucket array: the data
    # cannot be turned into a histogram, so the run must be reported failed.
    broken = tf.summary.create_file_writer(os.path.join(root, "broken_run"))
    meta = summary_pb2.SummaryMetadata()
    meta.plugin_data.plugin_name = "histograms"
    meta.data_class = summary_pb2.DATA_CLASS_TENSOR
    with broken.as_default():
        for step in range(3):
            tf.summary.write("weights", tf.constant([1.0, 2.0, 3.0, 4.0]), step=step, metadata=meta)
            tf.summary.scalar("loss", 1.0 / (step + 1), step=step)
    broken.close()

    text = tf.summary.create_file_writer(os.path.join(root, "text_run"))
    with text.as_default():
        tf.summary.text("notes", "no curves here", step=0)
    text.close()

    train = 1.0 / np.arange(1, TBX_POINTS + 1)
    val = 1.2 / np.arange(1, TBX_POINTS + 1)
    val[2222] = np.inf
    logwriters.tbx_scalars(os.path.join(root, "tbx"), {"train/loss": train, "val/loss": val})


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("plugin_routes"))
    write_logdir(root)
    return root


class TB:
    """A TensorBoard WSGI app over `logdir` built from command-line flags."""

    def __init__(self, logdir, *flags):
        tb = program.TensorBoard(
            plugins=[
                core_plugin.CorePluginLoader(),
                scalars_plugin.ScalarsPlugin,
                cc_loader.CurveCheckLoader,
            ]
        )
        tb.configure(
            argv=[
                "tensorboard",
                "--logdir=%s" % logdir,
                "--reload_interval=0",
                "--reload_task=blocking",
                "--load_fast=false",
                *flags,
            ]
        )
        self.flags = tb.flags
        self.ingester = data_ingester.LocalDataIngester(tb.flags)
        self.ingester.start()
        self.provider = self.ingester.data_provider
        self.app = application.TensorBoardWSGIApp(
            tb.flags,
            tb.plugin_loaders,
            self.provider,
            tb.assets_zip_provider,
            self.ingester.deprecated_multiplexer,
        )
        self.client = Client(self.app)
        self.plugin = next(p for p in self.app._plugins if p.plugin_name == "curvecheck")

    def get(self, url, code=200):
        r = self.client.get(url)
        assert r.status_code == code, (url, r.status_code, r.get_data(as_text=True))
        return r

    def json(self, url, code=200):
        return json.loads(self.get(url, code).get_data(as_text=True))

    def reload(self):
        self.ingester.deprecated_multiplexer.Reload()

    def count_reads(self):
        """Counts the scalar series TensorBoard is asked to read, per call."""
        calls = []
        real = self.provider.read_scalars

        def spy(ctx=None, **kw):
            rtf = kw.get("run_tag_filter")
            calls.append(sorted(rtf.runs) if rtf is not None and rtf.runs is not None else None)
            return real(ctx, **kw)

        self.provider.read_scalars = spy
        return calls


@pytest.fixture(scope="module")
def tb(logdir):
    return TB(logdir)


def by_run(body):
    return {r["run"]: r for r in body["runs"]}


# -- loader and listing ---------------------------------------------------------


def test_listing_enables_the_tab_as_an_es_module(tb):
    listing = tb.json("/data/plugins_listing")["curvecheck"]
    assert listing["enabled"] is True
    assert listing["tab_name"] == "CurveCheck"
    assert listing["loading_mechanism"] == {
        "type": "IFRAME",
        "module_path": "/data/plugin/curvecheck/static/index.js",
    }


def test_listing_disables_the_tab_without_scalars_or_histograms(tmp_path):
    import tensorflow as tf

    w = tf.summary.create_file_writer(str(tmp_path / "only_text"))
    with w.as_default():
        tf.summary.text("notes", "hello", step=0)
    w.close()
    assert TB(str(tmp_path)).json("/data/plugins_listing")["curvecheck"]["enabled"] is False


def test_loader_raises_retention_but_the_users_flag_wins(logdir):
    assert TB(logdir).flags.samples_per_plugin == cc_loader.DEFAULT_RETENTION
    user = TB(logdir, "--samples_per_plugin=scalars=77")
    assert user.flags.samples_per_plugin == {
        "scalars": 77,
        "histograms": cc_loader.DEFAULT_RETENTION["histograms"],
    }


# -- findings ----------------------------------------------------------------------


def test_findings_for_all_runs_with_per_run_status(tb):
    body = tb.json(P + "findings")
    runs = by_run(body)
    assert set(runs) == {"nan_run", "hist_run", "broken_run", "text_run", "tbx"}

    nan = [f for f in body["findings"] if f["run"] == "nan_run"]
    assert [(f["kind"], f["tag"], f["start_step"]) for f in nan] == [("non_finite", "loss", 30)]
    tbx = [f for f in body["findings"] if f["run"] == "tbx" and f["kind"] == "non_finite"]
    assert [(f["tag"], f["start_step"]) for f in tbx] == [("val/loss", 2222)]

    assert runs["nan_run"]["status"] == "analysed" and runs["nan_run"]["findings"] == 1
    assert runs["hist_run"]["status"] == "analysed"
    assert (runs["hist_run"]["scalar_series"], runs["hist_run"]["histogram_series"]) == (1, 1)
    assert runs["text_run"]["status"] == "empty" and runs["text_run"]["reason"] is None
    # The unreadable histogram fails its run, with the reason, and nothing else.
    assert runs["broken_run"]["status"] == "failed"
    assert "weights" in runs["broken_run"]["reason"]
    # Every point was kept: TensorBoard's default of 1000 would have sampled.
    assert runs["tbx"]["sampled"] is False

    assert body["summary"]["runs"] == 5
    assert body["summary"]["error"] == sum(f["severity"] == "error" for f in body["findings"])
    assert {"name": "tbx", "runs": ["tbx"]} in body["experiments"]
    assert isinstance(body["generation"], str) and body["generation"]


def test_findings_for_chosen_runs(tb):
    body = tb.json(P + "findings?run=nan_run&run=text_run")
    assert [r["run"] for r in body["runs"]] == ["nan_run", "text_run"]
    assert {f["run"] for f in body["findings"]} == {"nan_run"}
    assert body["summary"]["runs"] == 2


def test_unknown_run_is_404_with_a_message(tb):
    r = tb.get(P + "findings?run=nan_run&run=no_such_run", code=404)
    assert "no_such_run" in r.get_data(as_text=True)


def test_an_unchanged_logdir_is_not_read_again(logdir):
    app = TB(logdir)
    reads = app.count_reads()
    first = app.json(P + "findings")
    assert reads, "the first request reads the series"
    n = len(reads)
    second = app.json(P + "findings")
    tags = app.json(P + "tags")
    assert len(reads) == n
    assert second == first
    assert set(tags["runs"]) == set(by_run(first))


def test_a_growing_run_is_the_only_one_read_and_analysed_again(tmp_path):
    from tensorboardX import SummaryWriter

    steady = SummaryWriter(str(tmp_path / "steady"))
    live = SummaryWriter(str(tmp_path / "live"))
    for step in range(20):
        steady.add_scalar("loss", 1.0 / (step + 1), step)
        live.add_scalar("loss", 2.0 / (step + 1), step)
    steady.close()
    live.flush()
    app = TB(str(tmp_path))
    reads = app.count_reads()
    analysed = []
    real = pipeline.analyze_experiment

    def spy(exp, **kwargs):
        analysed.append(exp.name)
        return real(exp, **kwargs)

    pipeline.analyze_experiment = spy
    try:
        before = app.json(P + "findings")
        assert before["findings"] == [] and sorted(analysed) == ["live", "steady"]
        del reads[:], analysed[:]

        live.add_scalar("loss", float("inf"), 20)
        live.close()
        app.reload()
        # The tab polls every few seconds; a listing younger than this is reused.
        time.sleep(cc_service.LISTING_REUSE_S + 0.1)
        after = app.json(P + "findings")
    finally:
        pipeline.analyze_experiment = real
    assert reads == [["live"]]
    assert analysed == ["live"]
    assert after["generation"] != before["generation"]
    assert [(f["run"], f["kind"], f["start_step"]) for f in after["findings"]] == [("live", "non_finite", 20)]


def test_a_page_load_burst_lists_the_series_once(logdir):
    """findings, tags and every chart's series asked at once share one listing."""
    app = TB(logdir)
    app.json(P + "findings")
    time.sleep(cc_service.LISTING_REUSE_S + 0.1)
    listings = []
    real = app.provider.read_last_scalars

    def spy(ctx=None, **kw):
        listings.append(1)
        return real(ctx, **kw)

    app.provider.read_last_scalars = spy
    app.json(P + "findings")
    app.json(P + "tags")
    for _ in range(6):
        app.json(P + "series?run=nan_run&tag=loss")
    assert len(listings) == 1
    time.sleep(cc_service.LISTING_REUSE_S + 0.1)
    app.json(P + "findings")
    assert len(listings) == 2, "an older listing is asked for again"


def test_concurrent_cold_requests_read_once_and_agree(logdir):
    app = TB(logdir)
    reads = app.count_reads()
    bodies, failures = [], []

    def ask():
        try:
            bodies.append(app.json(P + "findings"))
        except Exception as e:  # noqa: BLE001 - reported below
            failures.append(e)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert len(bodies) == 6 and all(b == bodies[0] for b in bodies)
    single = TB(logdir)
    single_reads = single.count_reads()
    single.json(P + "findings")
    assert len(reads) == len(single_reads)


def test_a_failing_analysis_costs_only_its_experiment(logdir):
    app = TB(logdir)
    real = pipeline.analyze_experiment

    def failing(exp, **kwargs):
        if exp.name == "hist_run":
            raise RuntimeError("detector bug")
        return real(exp, **kwargs)

    pipeline.analyze_experiment = failing
    try:
        body = app.json(P + "findings")
    finally:
        pipeline.analyze_experiment = real
    runs = by_run(body)
    assert runs["hist_run"]["status"] == "failed"
    assert "detector bug" in runs["hist_run"]["reason"]
    assert runs["nan_run"]["status"] == "analysed"
    assert any(f["run"] == "nan_run" for f in body["findings"])


def test_an_unexpected_error_is_a_500_with_a_message_not_a_crash(logdir):
    app = TB(logdir)

    def broken(*a, **kw):
        raise OSError("disk vanished")

    app.provider.list_runs = broken
    r = app.get(P + "findings", code=500)
    assert "disk vanished" in json.loads(r.get_data(as_text=True))["error"]
    assert app.json("/data/plugins_listing")["curvecheck"]["enabled"] is True


def test_a_sampled_run_is_analysed_and_says_so(logdir):
    app = TB(logdir, "--samples_per_plugin=scalars=100")
    runs = by_run(app.json(P + "findings"))
    assert runs["tbx"]["status"] == "analysed"
    assert runs["tbx"]["sampled"] is True
    assert runs["nan_run"]["sampled"] is False  # 60 points, all kept
    s = app.json(P + "series?run=tbx&tag=train/loss")["series"][0]
    assert s["sampled"] is True and s["total_points"] == 100


# -- series and tags ------------------------------------------------------------


def test_series_are_complete_and_thinned_around_what_matters(tb):
    full = tb.json(P + "series?run=tbx&tag=val/loss&max_points=100000")["series"][0]
    assert full["total_points"] == TBX_POINTS and full["thinned"] is False
    assert full["steps"] == list(range(TBX_POINTS))
    assert full["values"][2222] == "Infinity"
    # TensorBoard's own scalars route serves as many points: the raised
    # retention is TensorBoard's, not a private copy.
    assert len(tb.json("/data/plugin/scalars/scalars?run=tbx&tag=val/loss")) == TBX_POINTS

    body = tb.json(P + "series?run=tbx&tag=val/loss&run=nan_run&tag=loss&max_points=60")
    thin, nan = body["series"]
    assert thin["thinned"] is True and len(thin["steps"]) <= 60
    assert {0, 2221, 2222, 2223, TBX_POINTS - 1} <= set(thin["steps"])
    assert thin["values"][thin["steps"].index(2222)] == "Infinity"
    assert thin["values"][0] == pytest.approx(1.2)  # the maximum
    assert nan["thinned"] is False and nan["values"][30] == "NaN"
    assert len(nan["wall_times"]) == len(nan["steps"]) == 60


@pytest.mark.parametrize(
    "query, code",
    [
        ("series?run=tbx", 400),
        ("series?run=tbx&tag=val/loss&run=nan_run", 400),
        ("series?run=tbx&tag=val/loss&max_points=lots", 400),
        ("series?run=tbx&tag=val/loss&max_points=3", 400),
        ("series?run=tbx&tag=nope", 404),
        ("series?run=nope&tag=loss", 404),
        ("series?run=hist_run&tag=dense/kernel/histogram", 400),
        ("histogram_stats?run=hist_run", 400),
        ("histogram_stats?run=hist_run&tag=loss", 404),
        ("tags?run=nope", 404),
    ],
)
def test_bad_parameters(tb, query, code):
    r = tb.get(P + query, code=code)
    assert r.get_data(as_text=True).strip()


def test_tags_give_roles_pairing_and_charts(tb):
    body = tb.json(P + "tags?run=tbx&run=hist_run")
    assert set(body["runs"]) == {"tbx", "hist_run"}
    train = body["runs"]["tbx"]["train/loss"]
    assert (train["type"], train["role"], train["split"], train["points"]) == (
        "scalar",
        "loss",
        "train",
        TBX_POINTS,
    )
    assert train["partner"] == {"run": "tbx", "tag": "val/loss"}
    assert body["runs"]["hist_run"]["dense/kernel/histogram"]["type"] == "histogram"
    chart = next(c for c in body["charts"] if c["experiment"] == "tbx")
    assert {(s["tag"], s["split"]) for s in chart["series"]} == {
        ("train/loss", "train"),
        ("val/loss", "validation"),
    }


def test_histogram_stats(tb):
    body = tb.json(P + "histogram_stats?run=hist_run&tag=dense/kernel/histogram")
    assert body["steps"] == list(range(6))
    assert body["stats"] and all(len(v) == 6 for v in body["stats"].values())
    std = body["stats"].get("std")
    assert std is not None and std[-1] > 3 * std[0]  # the samples were scaled 1x .. 6x


# -- where TensorBoard serves it ---------------------------------------------------


def test_path_prefix_and_experiment_urls(logdir):
    app = TB(logdir, "--path_prefix=/tb")
    body = app.json("/tb" + P + "findings?run=nan_run")
    assert body["findings"][0]["kind"] == "non_finite"
    body = app.json("/tb/experiment/some-id" + P + "findings?run=nan_run")
    assert body["findings"][0]["kind"] == "non_finite"


def test_static_files_are_typed_and_confined(tb, tmp_path):
    (tmp_path / "index.js").write_text("export function render() {}\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "style.css").write_text("body {}\n")
    (tmp_path / "notes.exe").write_text("x")
    outside = tmp_path.parent / (tmp_path.name + "_outside.js")
    outside.write_text("secret")
    (tmp_path / "link.js").symlink_to(outside)
    old = tb.plugin._static_root
    tb.plugin._static_root = str(tmp_path)
    try:
        r = tb.get(P + "static/index.js")
        assert r.headers["Content-Type"].startswith("text/javascript")
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert b"render" in r.get_data()
        assert tb.get(P + "static/sub/style.css").headers["Content-Type"].startswith("text/css")
        for bad in (
            "static/../plugin.py",
            "static/%2e%2e/plugin.py",
            "static/sub/../../plugin.py",
            "static/..%2fplugin.py",
            "static//etc/passwd",
            "static/notes.exe",
            "static/link.js",
            "static/missing.js",
            "static/",
        ):
            tb.get(P + bad, code=404)
    finally:
        tb.plugin._static_root = old


def test_a_flat_return_its_sibling_answers_is_withdrawn_in_the_tab(tmp_path):
    # Two CarRacing runs of the real-world corpus written back as tensorboardX logs: `early` climbs
    # -30 -> 764, `later` holds ~780 from its first episode (the trained policy continued).  Over the
    # whole logdir the tab withdraws `later`'s flat-return warning, cold and from the cache alike; with
    # `later` alone in the logdir it stands.  Of their eleven tags the return, the loss and the
    # exploration rate are written (the eight timing and memory tags only tripled the test's time).
    import shutil

    from benchmarks import realworld as rw

    runs = [r for r in rw.load_manifest()["runs"] if r["id"].startswith("danielnbarbosa__rl3/car-racing/")]
    assert len(runs) == 2
    for r in runs:
        sc, _, _ = rw.read_run(r)
        name = "early" if "08-31" in r["id"] else "later"
        for tags in sc.values():
            kept = {t: (s.steps, s.values) for t, s in tags.items() if t in ("Reward", "Loss", "Epsilon")}
            assert len(kept) == 3
            logwriters.tbx_scalars(str(tmp_path / "both" / name), kept)
    shutil.copytree(tmp_path / "both" / "later", tmp_path / "alone" / "later")

    def flat(body):
        return [f for f in body["findings"] if f["run"] == "later" and f["evidence"].get("how") == "flat"]

    both = TB(str(tmp_path / "both"))
    assert flat(both.json(P + "findings")) == []
    assert flat(both.json(P + "findings")) == []
    alone = TB(str(tmp_path / "alone"))
    assert [f["tag"] for f in flat(alone.json(P + "findings"))] == ["Reward"]
