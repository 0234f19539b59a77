"""Histogram statistics and detectors on histograms written by real writers
(tf.summary.histogram, tensorboardX add_histogram, Keras' TensorBoard
callback, CurveCheck's callback) during real training, read back through
TensorBoard's own loaders."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from benchmarks import corpus_histogram as ch  # noqa: E402
from tb_curvecheck.analysis import (  # noqa: E402
    grouping,
    histogram_stories,  # noqa: E402
    pipeline,
)
from tb_curvecheck.analysis.histogram_roles import classify  # noqa: E402
from tb_curvecheck.detectors import histogram_stats  # noqa: E402
from tb_curvecheck.detectors.registry import detect_histograms  # noqa: E402
from tb_curvecheck.model import Finding, at_or_above  # noqa: E402
from tb_curvecheck.reading import read_logdir  # noqa: E402

LOADERS = ("python", "rust")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One real training run per failure, plus a healthy sparse ReLU net."""
    root = tmp_path_factory.mktemp("hist_runs")
    made = {}

    def make(name, fn):
        path = str(root / name)
        os.makedirs(path)
        fn(path)
        made[name] = path

    make("keras_collapse", lambda d: ch.keras_run(d, 0, kick=(3, 50.0), epochs=7))
    make("tbx_collapse", lambda d: ch.loop_run(d, "tbx", 1, kick=(3, 60.0), epochs=6))
    make("tf2_saturated", lambda d: ch.loop_run(d, "tf2", 2, hidden="tanh", kick=(3, 50.0), epochs=6))
    make(
        "tbx_runaway",
        lambda d: ch.loop_run(
            d, "tbx", 0, task="regress", hidden="tanh", widths=(16, 8), epochs=10, lr=lambda e: 0.002 * 2.0**e
        ),
    )
    make("tf2_frozen_body", lambda d: ch.loop_run(d, "tf2", 0, head_only_from=3, epochs=7))
    make("tbx_deep_sigmoid", lambda d: ch.loop_run(d, "tbx", 0, hidden="sigmoid", widths=(16,) * 8, epochs=4))
    make("tf2_deep_tanh", lambda d: ch.loop_run(d, "tf2", 0, hidden="tanh", widths=(16,) * 8, epochs=4))
    make("keras_healthy_sparse", lambda d: ch.keras_run(d, 1, widths=(64, 32), lr=0.003, optimizer="adam", epochs=7))
    return made


def _analyse(path, loader):
    data = read_logdir(path, loader=loader)
    return data, pipeline.analyze(data).findings


def _tags(f):
    """Every tag a finding stands for (several layers struck at once are one finding)."""
    return list(f.evidence.get("tags") or [f.tag])


def _of(findings, kind, run=None, tag=None):
    return [
        f for f in findings if f.kind == kind and (run is None or f.run == run) and (tag is None or tag in _tags(f))
    ]


# --- statistics across writers and loaders ----------------------------------


@pytest.fixture(scope="module")
def known_histograms(tmp_path_factory):
    """Values with known shares, logged by tf.summary and by tensorboardX."""
    import tensorflow as tf
    from tensorboardX import SummaryWriter

    rng = np.random.default_rng(3)
    n = 4000
    values = {
        "sparse": np.maximum(rng.normal(size=n) - 0.25, 0.0),  # ~60 % zeros
        "dead": np.where(rng.random(n) < 0.985, 0.0, rng.random(n) * 3),
        "pinned": np.where(rng.random(n) < 0.4, 0.0, 1.0),
        "confident": 1 / (1 + np.exp(-4 * rng.normal(size=n))),
        "constant": np.full(n, 0.5467),
        "gauss": rng.normal(size=n) * 0.05,
    }
    root = tmp_path_factory.mktemp("known")
    w = tf.summary.create_file_writer(str(root / "tf2"))
    with w.as_default():
        for tag, v in values.items():
            for step in range(2):
                tf.summary.histogram(tag, v.astype(np.float32), step=step)
        tf.summary.histogram("with_nan", np.array([1.0, np.nan, 2.0], np.float32), step=0)
    w.close()
    x = SummaryWriter(str(root / "tbx"))
    for tag, v in values.items():
        for step in range(2):
            x.add_histogram(tag, v.astype(np.float32), step)
    x.close()
    truth = {
        "sparse": float(np.mean(values["sparse"] == 0)),
        "dead": float(np.mean(values["dead"] == 0)),
    }
    return str(root), truth


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("run", ("tf2", "tbx"))
def test_statistics_from_every_writer(known_histograms, loader, run):
    root, truth = known_histograms
    data = read_logdir(root, loader=loader)
    hists = data.histograms[run]
    st = {tag: histogram_stats.summarize(h) for tag, h in hists.items()}
    # Exact zeros: within 3 points of the truth, so 60 % and 98.5 % stay apart.
    assert abs(st["sparse"]["zero_fraction"][0] - truth["sparse"]) < 0.03
    assert abs(st["dead"]["zero_fraction"][0] - truth["dead"]) < 0.03
    assert st["pinned"]["ends_fraction"][0] > 0.99
    assert st["confident"]["ends_fraction"][0] < 0.5
    assert st["constant"]["std"][0] < 1e-3
    assert st["gauss"]["std"][0] == pytest.approx(0.05, rel=0.1)
    # Identical tensors at two steps read as no change at all.
    assert st["gauss"]["change"][1] == 0.0
    assert np.isnan(st["gauss"]["change"][0])
    assert not np.isfinite(st["sparse"]["ends_fraction"][0])  # not probabilities
    if run == "tf2":
        assert st["with_nan"]["non_finite"][0] == 1.0
        assert st["gauss"]["non_finite"][0] == 0.0


def test_roles_from_tags_of_every_convention():
    table = {
        "sequential/dense_1/kernel/histogram": ("kernel", "dense_1"),
        "dense_1/kernel_0": ("kernel", "dense_1"),
        "conv2d/bias/histogram": ("bias", "conv2d"),
        "batch_normalization/moving_variance/histogram": ("norm_stat", "batch_normalization"),
        "layer1.0.bn1.running_var": ("norm_stat", "bn1"),
        "fc1.weight": ("kernel", "fc1"),
        "rnn.weight_hh_l0": ("kernel", "rnn"),
        "fc1.weight.grad": ("gradients", "fc1"),
        "grad/fc1.weight": ("gradients", None),
        "gradients/dense/kernel": ("gradients", "dense"),
        "activations/relu1": ("activations", "relu1"),
        "relu2": ("activations", "relu2"),
        "curvecheck/activations/dense_1": ("activations", "dense_1"),
        "dnn/hiddenlayer_0/activation": ("activations", "hiddenlayer_0"),  # TF1 canned estimators
        "dnn/dnn/hiddenlayer_1_activation": ("activations", "hiddenlayer_1"),  # tf.contrib.learn's
        "probs": ("outputs", None),
        "curvecheck/outputs/class_2": ("outputs", "class_2"),
        "output_layer/kernel/histogram": ("kernel", "output_layer"),
        "some/tensor": ("unknown", None),
    }
    for tag, (role, name) in table.items():
        got = classify("run", tag)
        assert got.role == role, tag
        if name is not None:
            assert got.name == name, tag
    assert classify("train", "curvecheck/gradient_norm/dense", scalar=True).role == "gradient_norm"
    assert classify("train", "epoch_loss", scalar=True).role == "unknown"


# --- detectors on real runs -------------------------------------------------


@pytest.mark.parametrize("loader", LOADERS)
def test_keras_collapse_is_explained_by_dead_layer_and_flat_outputs(runs, loader):
    data, found = _analyse(runs["keras_collapse"], loader)
    dead = _of(found, "dead_units", "validation")
    assert dead, [f.title for f in found]
    assert {f.start_step for f in dead} == {3}
    assert all(f.evidence["zero_fraction"] >= 0.97 for f in dead)
    assert any(f.evidence["died_during_training"] for f in dead)
    flat = _of(found, "collapsed_outputs", "validation", "curvecheck/outputs")
    assert flat and flat[0].start_step == 3
    assert _of(found, "exploding_weights", "train")
    downstream = _of(found, "vanishing_gradients", "train") + _of(found, "frozen_weights", "train")
    assert _of(found, "vanishing_gradients", "train")
    # Layers below a dead one lose their gradient because of it: told as its consequence.
    for f in downstream:
        assert f.evidence["caused_by"]["kind"] == "dead_units"
        assert f.severity != "error"
    # Before the kick the ReLU layers were sparse but alive.
    acts = {
        t: histogram_stats.summarize(h)
        for t, h in data.histograms["validation"].items()
        if t.startswith("curvecheck/activations/")
    }
    assert acts
    for st in acts.values():
        assert st["zero_fraction"][0] < 0.9


@pytest.mark.parametrize("loader", LOADERS)
def test_tensorboardx_collapse(runs, loader):
    _, found = _analyse(runs["tbx_collapse"], loader)
    dead = _of(found, "dead_units")
    assert dead and min(f.start_step for f in dead) == 3
    assert _of(found, "collapsed_outputs", tag="probs")
    grads = _of(found, "vanishing_gradients")
    assert grads and all(t.endswith(".grad") for f in grads for t in _tags(f))


@pytest.mark.parametrize("loader", LOADERS)
def test_saturated_outputs(runs, loader):
    _, found = _analyse(runs["tf2_saturated"], loader)
    sat = _of(found, "saturated_outputs", tag="outputs")
    assert sat, [f.title for f in found]
    assert sat[0].start_step == 3
    assert sat[0].evidence["ends_fraction"] >= 0.5


@pytest.mark.parametrize("loader", LOADERS)
def test_runaway_learning_rate_explodes_gradients_and_weights(runs, loader):
    _, found = _analyse(runs["tbx_runaway"], loader)
    grads = _of(found, "exploding_gradients")
    assert grads, [f.title for f in found]
    assert all(t.endswith(".weight.grad") for f in grads for t in _tags(f))
    weights = _of(found, "exploding_weights")
    assert weights
    # The curves diverge with them, so both are raised above info.
    assert all(f.severity != "info" for f in grads + weights)


def test_optimizer_over_the_head_only_freezes_the_body(runs):
    _, found = _analyse(runs["tf2_frozen_body"], "python")
    frozen = _of(found, "frozen_weights")
    tags = {t for f in frozen for t in _tags(f)}
    assert {"fc1/kernel", "fc2/kernel", "fc1/bias", "fc2/bias"} <= tags
    # One story for the body, not one finding per tensor.
    assert len(frozen) == 1 and frozen[0].evidence["layers"] == ["fc1", "fc2"]
    assert not any(t.startswith("head") for t in tags)
    assert all(f.start_step in (2, 3) for f in frozen)
    # The head kept learning, so the story is a layer problem, not a dead optimizer.
    assert all(f.evidence["other_weights_moving"] for f in frozen)


@pytest.mark.parametrize("loader", LOADERS)
def test_gradients_fading_with_depth(runs, loader):
    _, found = _analyse(runs["tbx_deep_sigmoid"], loader)
    fading = _of(found, "vanishing_gradients")
    assert fading, [f.title for f in found]
    tags = {t for f in fading for t in _tags(f)}
    # The lowest layers fade, the top ones carry the gradient.
    assert "fc1.weight.grad" in tags and "fc8.weight.grad" not in tags
    assert fading[0].evidence["across_layers"] and fading[0].evidence["ratio"] <= 1e-3
    # Eight tanh layers keep their gradients within range of each other.
    _, quiet = _analyse(runs["tf2_deep_tanh"], loader)
    assert not _of(quiet, "vanishing_gradients"), [f.title for f in quiet]


@pytest.mark.parametrize("loader", LOADERS)
def test_healthy_sparse_relu_net_stays_quiet(runs, loader):
    data, found = _analyse(runs["keras_healthy_sparse"], loader)
    loud = [f for f in found if at_or_above(f.severity, "warning")]
    assert not loud, [f.title for f in loud]
    for kind in ("dead_units", "collapsed_outputs", "exploding_weights", "exploding_gradients", "frozen_weights"):
        assert not _of(found, kind), kind
    # It is sparse: the quiet is not for lack of zeros.
    zf = [
        histogram_stats.summarize(h)["zero_fraction"]
        for t, h in data.histograms["validation"].items()
        if "activations" in t
    ]
    assert zf and max(float(np.nanmax(z)) for z in zf) >= 0.4


# --- curves and histograms together -----------------------------------------


def _scalar(kind, run, tag, start, end, severity, **evidence):
    return Finding(
        run=run,
        tag=tag,
        kind=kind,
        severity=severity,
        start_step=start,
        end_step=end,
        title="%s collapsed to 0.5467 at step %d" % (tag, start),
        explanation="",
        evidence=evidence,
    )


def test_symptom_is_info_alone_and_raised_when_curves_agree(runs):
    data = read_logdir(runs["keras_collapse"], loader="python")
    exp = grouping.build_experiments(data.scalars, data.histograms)[0]
    alone = histogram_stories.tell(exp, detect_histograms(exp), [])
    assert alone and all(f.severity == "info" for f in alone)

    share = float(data.scalars["validation"]["curvecheck/class_share/0"].values[-1])
    agree = _scalar("metric_collapse", "train", "epoch_accuracy", 3, 6, "error", value=share)
    joined = histogram_stories.tell(exp, detect_histograms(exp), [agree])
    dead = [f for f in joined if f.kind == "dead_units"]
    assert dead and all(f.severity == "error" for f in dead)
    assert "when epoch_accuracy collapsed to 0.5467 at step 3" in dead[0].title
    assert {"run": "train", "tag": "epoch_accuracy"} in dead[0].related
    assert "share of class 0" in dead[0].explanation

    # A curve finding long before the symptom tells another story.
    early = _scalar("metric_collapse", "train", "epoch_accuracy", 0, 0, "error")
    apart = histogram_stories.tell(exp, detect_histograms(exp), [early])
    assert all(f.severity == "info" for f in apart if f.kind == "dead_units")
    # A warning on the curves gives a warning, not an error.
    warn = _scalar("stuck_metric", "train", "epoch_accuracy", 3, 6, "warning")
    assert {
        f.severity for f in histogram_stories.tell(exp, detect_histograms(exp), [warn]) if f.kind == "collapsed_outputs"
    } == {"warning"}


def test_learning_rate_zero_freezes_everything_and_says_why(tmp_path):
    path = str(tmp_path / "lr0")
    ch.keras_run(path, 3, lr=0.0, epochs=5)
    _, found = _analyse(path, "python")
    frozen = _of(found, "frozen_weights", "train")
    assert len(frozen) == 1, [f.title for f in frozen]
    assert frozen[0].evidence["other_weights_moving"] is False
    assert frozen[0].evidence["learning_rate"]["tag"] == "epoch_learning_rate"
    # Issue 12: loss and accuracy that never move are an error (never_learned), and the identical
    # weights, told with it, are raised to the same severity (this was a warning before).
    assert frozen[0].severity == "error"
    never = [f for f in found if f.kind == "never_learned"]
    assert never and never[0].evidence["how"] == "frozen" and never[0].evidence["zero_learning_rate"] is True
    # Moving normalisation statistics are not weights: none here, so every layer is named.
    assert set(frozen[0].evidence["layers"]) == {"dense_0", "dense_1", "out"}
