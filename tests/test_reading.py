"""Reading real event files through TensorBoard's own loaders."""

import math
import os

import numpy as np
import pytest

from tb_curvecheck import reading
from tests import logwriters

LOADERS = ["rust", "python"]


@pytest.mark.parametrize("loader", LOADERS)
def test_keras_fit_layout(keras_logdir, loader):
    data = reading.read_logdir(keras_logdir, loader=loader)
    assert "keras_run/train" in data.scalars and "keras_run/validation" in data.scalars
    train = data.scalars["keras_run/train"]
    assert list(train["epoch_loss"].steps) == [0, 1, 2, 3]
    assert np.all(np.isfinite(train["epoch_loss"].values))
    assert "epoch_accuracy" in data.scalars["keras_run/validation"]
    # histogram_freq=1: one histogram per weight per epoch, with real buckets.
    hists = data.histograms["keras_run/train"]
    kernels = [t for t in hists if t.endswith("kernel/histogram")]
    assert len(kernels) == 2, sorted(hists)
    h = hists[kernels[0]]
    assert list(h.steps) == [0, 1, 2, 3]
    for b in h.buckets:
        assert b.shape[1] == 3 and b.shape[0] > 0
        assert np.all(b[:, 0] <= b[:, 1])
        assert np.all(np.diff(b[:, 0]) >= 0)
        assert round(float(b[:, 2].sum())) in (8 * 8, 8 * 1)  # the two kernels: 8x8 and 8x1


def test_both_loaders_agree(keras_logdir):
    a = reading.read_logdir(keras_logdir, loader="rust")
    b = reading.read_logdir(keras_logdir, loader="python")
    assert sorted(a.scalars) == sorted(b.scalars)
    for run in a.scalars:
        assert sorted(a.scalars[run]) == sorted(b.scalars[run])
        for tag, s in a.scalars[run].items():
            t = b.scalars[run][tag]
            np.testing.assert_array_equal(s.steps, t.steps)
            np.testing.assert_allclose(s.values, t.values, rtol=1e-6)


@pytest.mark.parametrize("loader", LOADERS)
def test_full_resolution_beyond_default_retention(tmp_path, loader):
    # 3000 batch-level points: TensorBoard keeps 1000 by default.
    steps = np.arange(1, 3001)
    values = 1.0 / np.sqrt(steps)
    logwriters.tf_scalars(str(tmp_path / "custom"), {"train/loss": values}, steps)
    data = reading.read_logdir(str(tmp_path), loader=loader)
    s = data.scalars["custom"]["train/loss"]
    assert len(s) == 3000
    np.testing.assert_array_equal(s.steps, steps)
    np.testing.assert_allclose(s.values, values, rtol=1e-6)
    assert not s.sampled


@pytest.mark.parametrize("loader", LOADERS)
def test_nan_and_inf_kept(tmp_path, loader):
    vals = [1.0, 0.5, float("nan"), float("inf"), float("-inf"), 0.2]
    logwriters.tf_scalars(str(tmp_path / "r"), {"loss": vals})
    s = reading.read_logdir(str(tmp_path), loader=loader).scalars["r"]["loss"]
    assert math.isnan(s.values[2]) and s.values[3] == np.inf and s.values[4] == -np.inf
    assert s.values[5] == pytest.approx(0.2)


@pytest.mark.parametrize("loader", LOADERS)
def test_tf1_style_summaries(tmp_path, loader):
    logwriters.tf1_scalars(str(tmp_path / "tf1"), "xent", [2.0, 1.5, 1.0])
    s = reading.read_logdir(str(tmp_path), loader=loader).scalars["tf1"]["xent"]
    np.testing.assert_allclose(s.values, [2.0, 1.5, 1.0])


@pytest.mark.parametrize("loader", LOADERS)
def test_pytorch_style_simple_value_and_histo(tmp_path, loader):
    rng = np.random.default_rng(1)
    from tensorboardX import SummaryWriter

    w = SummaryWriter(str(tmp_path / "torch"))
    for step, v in enumerate([3.0, 2.0, 1.0]):
        w.add_scalar("Loss/train", v, step)
        w.add_histogram("fc1.weight", rng.normal(size=500) * (step + 1), step)
    w.close()
    data = reading.read_logdir(str(tmp_path), loader=loader)
    np.testing.assert_allclose(data.scalars["torch"]["Loss/train"].values, [3.0, 2.0, 1.0])
    h = data.histograms["torch"]["fc1.weight"]
    assert len(h) == 3
    for b in h.buckets:
        # Whatever the loader (RustBoard keeps a backwards first bucket), the
        # buckets come out ordered, with edges the right way round.
        assert np.all(b[:, 0] <= b[:, 1])
        assert b[:, 2].sum() == pytest.approx(500)
    # The spread grows with the scale the samples were drawn at.
    widths = [b[b[:, 2] > 0, 1].max() - b[b[:, 2] > 0, 0].min() for b in h.buckets]
    assert widths[0] < widths[2]


@pytest.mark.parametrize("loader", LOADERS)
def test_restarted_run_keeps_newest_values(tmp_path, loader):
    run = str(tmp_path / "resumed")
    logwriters.tbx_scalars(run, {"loss": [1.0 / (i + 1) for i in range(30)]})
    # Resumed from a checkpoint at step 20: steps 20.. are written again.
    import time

    time.sleep(1.1)  # a new file name (writers name files by the second)
    logwriters.tbx_scalars(run, {"loss": [5.0] * 15}, steps=range(20, 35))
    assert len(logwriters.event_files(run)) == 2
    data = reading.read_logdir(str(tmp_path), loader=loader)
    s = data.scalars["resumed"]["loss"]
    assert list(s.steps) == list(range(35))
    assert s.values[19] == pytest.approx(1 / 20)
    assert np.all(s.values[20:] == 5.0)
    if loader == "python":
        # TensorBoard's Python loader hands both writes over; we keep the
        # newest and remember the restart.  (RustBoard drops the old ones itself.)
        assert s.restarts >= 1
        assert any("restarted" in n for n in data.notes)


def test_a_step_logged_twice_is_no_restart(tmp_path):
    # Lightning writes its `epoch` counter with the training metrics and again with the validation
    # metrics at the same step, every epoch: one value per step is kept, and nothing "went back".
    from tensorboardX import SummaryWriter

    w = SummaryWriter(str(tmp_path / "version_0"))
    for epoch in range(5):
        for step in range(epoch * 10, epoch * 10 + 10):
            w.add_scalar("train_loss", 1.0 / (step + 1), step)
            w.add_scalar("epoch", epoch, step)
        w.add_scalar("val_loss", 1.0 / (epoch + 2), epoch * 10 + 9)
        w.add_scalar("epoch", epoch, epoch * 10 + 9)
    w.close()
    data = reading.read_logdir(str(tmp_path), loader="python")
    s = data.scalars["version_0"]["epoch"]
    assert list(s.steps) == list(range(50))
    assert s.restarts == 0
    assert not any("restarted" in n for n in data.notes), data.notes


@pytest.mark.parametrize("loader", LOADERS)
def test_empty_truncated_and_corrupt_files(tmp_path, loader):
    logwriters.tbx_scalars(str(tmp_path / "good"), {"loss": [3.0, 2.0, 1.0]})
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "events.out.tfevents.1.host").write_bytes(b"")
    trunc = str(tmp_path / "truncated")
    logwriters.tbx_scalars(trunc, {"loss": list(np.linspace(2, 1, 50))})
    path = logwriters.event_files(trunc)[0]
    raw = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(raw[: len(raw) - 17])  # cut mid-record, as a crash would
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "events.out.tfevents.2.host").write_bytes(os.urandom(300))
    data = reading.read_logdir(str(tmp_path), loader=loader)
    np.testing.assert_allclose(data.scalars["good"]["loss"].values, [3.0, 2.0, 1.0])
    t = data.scalars["truncated"]["loss"]
    assert 40 <= len(t) < 50
    assert "empty" not in data.scalars and "corrupt" not in data.scalars


@pytest.mark.parametrize("loader", LOADERS)
def test_odd_run_and_tag_names(tmp_path, loader):
    run = "Lauf ü 1 <script>alert(1)</script>/validation"
    logwriters.tbx_scalars(str(tmp_path / run), {"Genauigkeit ü/val acc": [0.5, 0.6]})
    data = reading.read_logdir(str(tmp_path), loader=loader)
    assert run in data.scalars
    # tensorboardX itself turns spaces in tags into underscores; the rest
    # (non-ASCII, slashes) must arrive untouched.
    assert list(data.scalars[run]) == ["Genauigkeit_ü/val_acc"]


def test_one_point_run(tmp_path):
    logwriters.tbx_scalars(str(tmp_path / "one"), {"loss": [0.7]})
    s = reading.read_logdir(str(tmp_path)).scalars["one"]["loss"]
    assert len(s) == 1 and s.values[0] == pytest.approx(0.7)


def test_missing_and_non_directory_logdir(tmp_path):
    with pytest.raises(reading.LogdirError, match="does not exist"):
        reading.read_logdir(str(tmp_path / "nope"))
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(reading.LogdirError, match="not a directory"):
        reading.read_logdir(str(f))


def test_logdir_without_events(tmp_path):
    data = reading.read_logdir(str(tmp_path))
    assert data.scalars == {} and any("no TensorBoard event files" in n for n in data.notes)


def test_provider_given_by_tensorboard(keras_logdir):
    """Inside TensorBoard the plugin hands over TensorBoard's provider; the
    same reading applies, and the retention limit marks sampled series."""
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider
    from tensorboard.backend.event_processing import plugin_event_multiplexer as pem

    mux = pem.EventMultiplexer(tensor_size_guidance={"scalars": 2, "histograms": 500})
    mux.AddRunsFromDirectory(keras_logdir)
    mux.Reload()
    provider = data_provider.MultiplexerDataProvider(mux, keras_logdir)
    data = reading.read_provider(
        provider, context.RequestContext(), "", sample_limits={"scalars": 2, "histograms": 500}
    )
    s = data.scalars["keras_run/train"]["epoch_loss"]
    assert len(s) == 2 and s.sampled
    assert not any(h.sampled for h in data.histograms["keras_run/train"].values())


@pytest.mark.parametrize("loader", LOADERS)
def test_listing_fingerprints_every_series_and_survives_odd_tensors(tmp_path, loader):
    """A vector under `scalars` has no last scalar datum (the Python loader
    raises for it): the listing still names every run and series, each with
    the step and wall time of its newest point."""
    from tests.test_hostile_corpus import _tf_odd_tensors

    _tf_odd_tensors(str(tmp_path))
    with reading.open_logdir(str(tmp_path), loader=loader) as (provider, ctx, eid):
        index = reading.list_series(provider, ctx, eid)
        data = reading.read_provider(provider, ctx, eid, runs=["vector_run", "out_of_order"])
    assert index.runs == sorted(["vector_run", "string_run", "double_run", "odd_histograms", "out_of_order"])
    assert index.failures == {}
    step, wall = index.keys("vector_run")[("loss", "scalar")]
    assert step == 11 and wall == pytest.approx(data.scalars["vector_run"]["loss"].wall_times[-1])
    assert ("dense/kernel/histogram", "histogram") in index.keys("odd_histograms")
    # TensorBoard's Python loader lists the vector (RustBoard drops it): the
    # read skips it, for its run only.
    assert (("weights_norms", "scalar") in index.keys("vector_run")) == (loader == "python")
    assert sorted(data.scalars) == ["out_of_order", "vector_run"]
    assert ("vector_run" in data.run_errors) == (loader == "python")
