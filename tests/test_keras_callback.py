"""CurveCheck's Keras callback in real `fit` runs beside Keras' TensorBoard callback:
what it writes, what it finds while training runs, and when it stops training."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from benchmarks import corpus_histogram as ch  # noqa: E402
from tb_curvecheck.model import at_or_above  # noqa: E402
from tb_curvecheck.reading import read_logdir  # noqa: E402


def _text_events(run_dir):
    """(step, text) of every `curvecheck/findings` text summary in a run directory."""
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.util import tensor_util

    acc = event_accumulator.EventAccumulator(run_dir, size_guidance={"tensors": 0})
    acc.Reload()
    if "curvecheck/findings" not in acc.Tags()["tensors"]:
        return []
    out = []
    for e in acc.Tensors("curvecheck/findings"):
        arr = tensor_util.make_ndarray(e.tensor_proto)
        out.append((e.step, arr.item().decode() if hasattr(arr.item(), "decode") else str(arr.item())))
    return out


@pytest.fixture(scope="module")
def collapse(tmp_path_factory):
    """A run that collapses at epoch 3 (one huge step), no stopping."""
    path = str(tmp_path_factory.mktemp("cb") / "collapse")
    printed = []
    hist, cc = ch.keras_run(path, 0, kick=(3, 50.0), epochs=6, callback_kwargs=dict(verbose=2, print_fn=printed.append))
    return path, hist, cc, printed


def test_logs_what_the_detectors_need_in_the_keras_runs(collapse):
    path, hist, cc, _ = collapse
    data = read_logdir(path, loader="python")
    assert set(data.histograms) >= {"train", "validation"}
    val_h = data.histograms["validation"]
    assert "curvecheck/outputs" in val_h
    assert {"curvecheck/activations/dense_0", "curvecheck/activations/dense_1"} <= set(val_h)
    # Same steps as Keras' epoch scalars: one histogram per epoch.
    assert list(val_h["curvecheck/outputs"].steps) == list(data.scalars["validation"]["epoch_loss"].steps)
    # Keras' own weight histograms sit in the same train run.
    assert any(t.endswith("/kernel/histogram") for t in data.histograms["train"])
    norms = {t for t in data.scalars["train"] if t.startswith("curvecheck/gradient_norm/")}
    assert norms == {"curvecheck/gradient_norm/%s" % n for n in ("dense_0", "dense_1", "out")}
    # Class shares equal the validation labels' shares (validation_split takes the last 25 %).
    _, y = ch.make_data(0)
    yv = y[int(len(y) * 0.75) :]
    share0 = data.scalars["validation"]["curvecheck/class_share/0"].values[-1]
    assert share0 == pytest.approx(float(np.mean(yv == 0)), abs=1e-6)
    # Exact zeros are measured, not estimated: CurveCheck writes a bucket holding only them.
    dead = val_h["curvecheck/activations/dense_1"].buckets[-1]
    assert dead[:, 2].sum() == dead[(dead[:, 0] <= 0) & (dead[:, 1] >= 0), 2].sum()


def test_finds_the_collapse_live_and_prints_each_finding_once(collapse):
    path, hist, cc, printed = collapse
    assert len(hist.history["loss"]) == 6  # nothing asked it to stop
    kinds = {f.kind for f in cc.findings}
    assert {"dead_units", "collapsed_outputs"} <= kinds
    dead = [f for f in cc.findings if f.kind == "dead_units"]
    assert dead[0].start_step == 3
    lines = [p for p in printed if p.startswith("CurveCheck [epoch")]
    assert lines
    keys = [line.split("] ", 1)[1].split(":", 1)[0] for line in lines]
    # A finding is printed again only when its severity rises.
    assert len(keys) == len(set(keys))
    texts = _text_events(os.path.join(path, "train"))
    assert texts and any("dead_units" in t for _, t in texts)
    assert min(s for s, t in texts if "dead_units" in t) == 3


def test_stop_on_a_histogram_kind_names_the_last_healthy_epoch(tmp_path):
    hist, cc = ch.keras_run(
        str(tmp_path / "stop"),
        0,
        kick=(3, 50.0),
        epochs=10,
        callback_kwargs=dict(stop_on=("dead_units",), verbose=1, print_fn=lambda s: None),
    )
    assert len(hist.history["loss"]) == 4  # epochs 0..3, stopped at the end of epoch 3
    assert cc.stopped_epoch == 3
    assert cc.last_healthy_epoch == 2
    assert cc.stop_finding.kind == "dead_units"
    assert "dead_units" in cc.stop_reason and "last healthy epoch was 2" in cc.stop_reason


def test_stop_on_non_finite_loss(tmp_path):
    hist, cc = ch.keras_run(
        str(tmp_path / "nan"),
        0,
        kick=(2, 1e38),
        epochs=8,
        callback_kwargs=dict(stop_on=("non_finite",), verbose=1, print_fn=lambda s: None),
    )
    assert cc.stop_finding is not None and cc.stop_finding.kind == "non_finite"
    assert cc.stopped_epoch == len(hist.history["loss"]) - 1 < 7
    assert not np.isfinite(hist.history["loss"][-1])
    assert cc.last_healthy_epoch == cc.stop_finding.start_step - 1
    # Keras' weight histograms of that epoch hold NaN/Inf: read back, they are exploding weights.
    from tb_curvecheck.analysis import pipeline

    found = pipeline.analyze(read_logdir(str(tmp_path / "nan"), loader="python")).findings
    blown = [f for f in found if f.kind == "exploding_weights"]
    assert blown and blown[0].start_step == cc.stop_finding.start_step
    assert blown[0].evidence["non_finite_steps"] >= 1
    assert blown[0].severity == "error"  # the loss turned NaN at the same step


def test_healthy_run_is_quiet_and_never_stops(tmp_path):
    printed = []
    hist, cc = ch.keras_run(
        str(tmp_path / "ok"),
        2,
        widths=(64, 32),
        lr=0.003,
        optimizer="adam",
        epochs=6,
        callback_kwargs=dict(
            stop_on=("dead_units", "collapsed_outputs", "non_finite", "loss_divergence", "exploding_weights"),
            verbose=1,
            print_fn=printed.append,
        ),
    )
    assert len(hist.history["loss"]) == 6
    assert cc.stop_reason is None
    assert not [f for f in cc.findings if at_or_above(f.severity, "warning")]
    assert not printed  # verbose=1 prints warnings and errors only


def test_explicit_validation_data_and_a_subclassed_model(tmp_path):
    """No symbolic graph to tap: outputs and gradient norms still logged, activations skipped with a note."""
    import keras

    from tb_curvecheck.keras import CurveCheck

    keras.utils.set_random_seed(0)
    x, y = ch.make_data(4, n=400)

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.h = keras.layers.Dense(8, activation="relu")
            self.o = keras.layers.Dense(3, activation="softmax")

        def call(self, inputs):
            return self.o(self.h(inputs))

    model = Net()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    notes = []
    cc = CurveCheck(str(tmp_path), validation_data=(x[:100], y[:100]), print_fn=notes.append)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[cc])
    data = read_logdir(str(tmp_path), loader="python")
    val_h = data.histograms["validation"]
    # Three softmax units: pooled plus one histogram per unit.
    assert {"curvecheck/outputs", "curvecheck/outputs/class_0", "curvecheck/outputs/class_2"} <= set(val_h)
    assert any(t.startswith("curvecheck/gradient_norm/") for t in data.scalars["train"])
    assert any("activations not logged" in n for n in notes)


def test_validation_every_other_epoch_starts_logging_at_the_first_validated_epoch(tmp_path):
    import keras

    from tb_curvecheck.keras import CurveCheck

    keras.utils.set_random_seed(0)
    x, y = ch.make_data(5, n=400)
    model = keras.Sequential(
        [keras.Input((7,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1, activation="sigmoid")]
    )
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    notes = []
    cc = CurveCheck(str(tmp_path), print_fn=notes.append)
    model.fit(x, y, validation_split=0.25, validation_freq=2, epochs=4, verbose=0, callbacks=[cc])
    data = read_logdir(str(tmp_path), loader="python")
    # Keras validates after epochs 1 and 3; from the first of them on, every epoch is logged.
    assert list(data.histograms["validation"]["curvecheck/outputs"].steps) == [1, 2, 3]
    assert len([n for n in notes if "no validation data" in n]) == 1


def test_softmax_collapse_is_seen_in_the_per_class_outputs(tmp_path):
    """Pooled softmax outputs of a collapsed model still spread (one value per
    class); the per-class histograms the callback writes show the collapse."""
    path = str(tmp_path / "softmax")
    ch.keras_run(path, 0, kick=(3, 50.0), epochs=5, classes=3)
    from tb_curvecheck.analysis import pipeline

    data = read_logdir(path, loader="rust")
    found = pipeline.analyze(data).findings
    flat = [f for f in found if f.kind == "collapsed_outputs"]
    assert len(flat) == 1 and flat[0].start_step == 3
    assert set(flat[0].evidence["tags"]) == {"curvecheck/outputs/class_%d" % k for k in range(3)}
    # Three class shares logged, summing to one.
    shares = [data.scalars["validation"]["curvecheck/class_share/%d" % k].values[-1] for k in range(3)]
    assert sum(shares) == pytest.approx(1.0)


# --- arguments are checked when the callback is built, before any training ------


def test_stop_on_a_single_string_is_one_kind_and_stops_training(tmp_path):
    """`stop_on="non_finite"` names one kind (not the characters n, o, n, ...)."""
    hist, cc = ch.keras_run(
        str(tmp_path / "nan"),
        0,
        kick=(2, 1e38),
        epochs=8,
        callback_kwargs=dict(stop_on="non_finite", verbose=1, print_fn=lambda s: None),
    )
    assert cc.stop_on == ("non_finite",)
    assert cc.stop_finding is not None and cc.stop_finding.kind == "non_finite"
    assert len(hist.history["loss"]) < 8


def _file_in(tmp_path):
    path = tmp_path / "a_file"
    path.write_text("not a directory")
    return path


@pytest.mark.parametrize(
    "kwargs, named",
    [
        (dict(stop_on=("nonfinite", "not_a_kind")), ["stop_on", "'nonfinite'", "'not_a_kind'"]),
        (dict(stop_on=("non_finite", 3)), ["stop_on", "3"]),
        (dict(stop_on=5), ["stop_on"]),
        (dict(sample_size=0), ["sample_size"]),
        (dict(sample_size=-3), ["sample_size"]),
        (dict(sample_size=2.5), ["sample_size"]),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_argument(tmp_path, kwargs, named):
    from tb_curvecheck.keras import CurveCheck

    with pytest.raises(ValueError) as err:
        CurveCheck(str(tmp_path / "logs"), **kwargs)
    for word in named:
        assert word in str(err.value)
    assert not os.path.exists(tmp_path / "logs")  # refused before anything was written


def test_log_dir_under_a_regular_file_is_refused_before_fit(tmp_path):
    import keras

    from tb_curvecheck.keras import CurveCheck

    bad = _file_in(tmp_path) / "logs"
    with pytest.raises(ValueError, match="log_dir"):
        CurveCheck(str(bad))
    # A path that can become a directory passes, and training logs there.
    keras.utils.set_random_seed(0)
    x, y = ch.make_data(0, n=64)
    model = keras.Sequential([keras.Input((x.shape[1],)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    good = CurveCheck(str(tmp_path / "ok"), sample_size=8, verbose=0)
    model.fit(x, y, validation_split=0.25, epochs=1, verbose=0, callbacks=[good])
    assert os.path.isdir(tmp_path / "ok" / "validation")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_log_dir_is_refused(tmp_path):
    from tb_curvecheck.keras import CurveCheck

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ValueError, match="log_dir"):
            CurveCheck(str(locked / "logs"))
    finally:
        locked.chmod(0o700)
