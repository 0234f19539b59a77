"""Labelled corpus for the histogram kinds: real training runs, real writers.

Every case is a logdir written by actually training a small network and
logging it the way users do:

- Keras `fit` with `TensorBoard(histogram_freq=1)` plus CurveCheck's own
  callback (`tb_curvecheck.keras.CurveCheck`): weight histograms from Keras,
  outputs/activations/gradient norms from CurveCheck;
- a custom TensorFlow loop with `tf.summary.histogram` (tags `fc1/kernel`,
  `activations/fc1`, `gradients/fc1/kernel`, `outputs`);
- the same loop logged PyTorch-style through tensorboardX `add_histogram`
  (tags `fc1.weight`, `fc1.weight.grad`, `relu1`, `probs`; TF1 `histo` events).

Faults are the real ones: a learning rate that spikes for one epoch (the
large step that kills ReLUs, or saturates a tanh net and pins its outputs at
0 and 1), unnormalised inputs that kill a ReLU layer from the first epoch
(post 001's stuck accuracy), a regression whose learning rate keeps
growing (exploding gradients), an optimizer that updates only the head (frozen weights), a
stack of eight sigmoid layers (gradients that fade with depth).  Healthy runs include sparse ReLU networks, a frozen base
by design, and converging runs with a learning-rate decay.

Logdirs are cached under CACHE_DIR/histogram/ (delete it to regenerate).
Run through `python benchmarks/detection.py --family histogram`.
"""

from __future__ import annotations

import os
import shutil
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from benchmarks.corpus import CACHE_DIR, Case, Expect, read_logdir

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HIST_CACHE = os.path.join(CACHE_DIR, "histogram")

# The share of the majority class in every data set here: post 000's 0.5467.
MAJORITY = 0.5467


def make_data(
    seed: int, n: int = 1200, features: int = 7, scale: float = 1.0, noise: float = 0.3, classes: int = 2
) -> Tuple[np.ndarray, np.ndarray]:
    """A linearly separable-ish problem whose class 0 is 54.67 % of the rows
    (the rest split evenly between the other classes)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    w = rng.normal(size=features)
    score = x @ w + noise * rng.normal(size=n)
    cuts = np.quantile(score, MAJORITY + (1.0 - MAJORITY) * np.arange(classes - 1) / (classes - 1))
    y = np.searchsorted(cuts, score).astype("float32")
    if scale != 1.0:
        # Unnormalised inputs: some features in the hundreds, as raw sensor data.
        x[:, : features // 2] *= scale
    return x, y


# --- Keras fit + TensorBoard + CurveCheck ------------------------------------


def keras_run(
    logdir: str,
    seed: int,
    widths: Sequence[int] = (16, 4),
    lr: float = 0.05,
    kick: Optional[Tuple[int, float]] = None,
    epochs: int = 10,
    optimizer: str = "sgd",
    frozen_first: bool = False,
    scale: float = 1.0,
    callback_kwargs: Optional[dict] = None,
    decay_at: Optional[int] = None,
    batchnorm: bool = False,
    classes: int = 2,
):
    """Trains a small ReLU MLP with `fit`; returns (history, CurveCheck callback).

    `kick=(epoch, lr)` sets the learning rate to `lr` for that one epoch: the
    single large step of post 000.  `frozen_first` freezes the first layer
    by design (transfer learning).  `decay_at` divides the rate by 10 there.
    `batchnorm` puts BatchNormalization and Dropout(0.2) after each hidden
    layer, as post 000's model does (moving statistics change by design).
    """
    import keras

    from tb_curvecheck.keras import CurveCheck

    keras.utils.set_random_seed(seed)
    x, y = make_data(seed, scale=scale, classes=classes)
    layers = [keras.Input((x.shape[1],))]
    for i, w in enumerate(widths):
        layers.append(
            keras.layers.Dense(w, activation="relu", name="dense_%d" % i, trainable=not (frozen_first and i == 0))
        )
        if batchnorm:
            layers.append(keras.layers.BatchNormalization())
            layers.append(keras.layers.Dropout(0.2))
    if classes > 2:
        layers.append(keras.layers.Dense(classes, activation="softmax", name="out"))
    else:
        layers.append(keras.layers.Dense(1, activation="sigmoid", name="out"))
    model = keras.Sequential(layers)
    opt = keras.optimizers.SGD(lr) if optimizer == "sgd" else keras.optimizers.Adam(lr)
    loss = "sparse_categorical_crossentropy" if classes > 2 else "binary_crossentropy"
    model.compile(opt, loss, metrics=["accuracy"])

    class Schedule(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            rate = lr
            if decay_at is not None and epoch >= decay_at:
                rate = lr / 10.0
            if kick is not None and epoch == kick[0]:
                rate = kick[1]
            self.model.optimizer.learning_rate.assign(rate)

    cc = CurveCheck(logdir, **dict(dict(verbose=0), **(callback_kwargs or {})))
    hist = model.fit(
        x,
        y,
        validation_split=0.25,
        epochs=epochs,
        batch_size=32,
        verbose=0,
        shuffle=True,
        callbacks=[Schedule(), keras.callbacks.TensorBoard(logdir, histogram_freq=1), cc],
    )
    return hist, cc


# --- custom loop, tf.summary or tensorboardX -----------------------------------


class _TF2Log:
    """`tf.summary` in a custom loop, Keras-like names."""

    def __init__(self, logdir: str):
        import tensorflow as tf

        self.tf = tf
        self.writer = tf.summary.create_file_writer(logdir)

    def scalar(self, tag, value, step):
        with self.writer.as_default():
            self.tf.summary.scalar(
                {"loss": "loss", "val_loss": "val_loss", "acc": "accuracy", "val_acc": "val_accuracy"}[tag],
                float(value),
                step=step,
            )

    def hist(self, kind, layer, values, step):
        name = {
            "weight": "%s/kernel",
            "bias": "%s/bias",
            "grad": "gradients/%s/kernel",
            "act": "activations/%s",
            "out": "outputs",
        }[kind]
        tag = name % layer if "%s" in name else name
        with self.writer.as_default():
            self.tf.summary.histogram(tag, values, step=step)

    def close(self):
        self.writer.flush()
        self.writer.close()


class _TBXLog:
    """tensorboardX, named the way PyTorch loops name things."""

    def __init__(self, logdir: str):
        from tensorboardX import SummaryWriter

        self.w = SummaryWriter(logdir)

    def scalar(self, tag, value, step):
        name = {"loss": "Loss/train", "val_loss": "Loss/val", "acc": "Accuracy/train", "val_acc": "Accuracy/val"}[tag]
        self.w.add_scalar(name, float(value), step)

    def hist(self, kind, layer, values, step):
        name = {"weight": "%s.weight", "bias": "%s.bias", "grad": "%s.weight.grad", "act": "relu%s", "out": "probs"}[
            kind
        ]
        if kind == "act":
            tag = name % layer.replace("fc", "")
        else:
            tag = name % layer if "%s" in name else name
        v = np.asarray(values, dtype=np.float32).reshape(-1)
        if not np.isfinite(v).any():
            # tensorboardX (like torch's SummaryWriter) refuses a histogram of
            # nothing but NaN/Inf and drops non-finite values otherwise: the
            # step simply goes missing, as it does in users' logs.
            return
        self.w.add_histogram(tag, v, step)

    def close(self):
        self.w.close()


def loop_run(
    logdir: str,
    writer: str,
    seed: int,
    widths: Sequence[int] = (16, 8),
    lr: Callable[[int], float] = lambda e: 0.05,
    epochs: int = 10,
    scale: float = 1.0,
    hidden: str = "relu",
    head_only_from: Optional[int] = None,
    kick: Optional[Tuple[int, float]] = None,
    task: str = "classify",
) -> Dict[str, List[float]]:
    """Trains with a GradientTape loop and logs weights, gradients, activations
    and outputs every epoch through `writer` ("tf2" or "tbx").

    `head_only_from=k`: from epoch k the optimizer is handed only the output
    layer's variables (the classic "optimizer over the wrong parameters" bug).
    `kick=(epoch, lr)`: the rate for that one epoch.
    `task="regress"`: a linear output fitted with MSE to a continuous target
    (no accuracy is logged), the setting where too large a step makes the
    iterates, and with them the gradients, grow geometrically.
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    x, y = make_data(seed, scale=scale)
    regress = task == "regress"
    if regress:
        y = (x @ np.linspace(-1.0, 1.0, x.shape[1])).astype("float32")
    n_val = len(x) // 4
    xv, yv, xt, yt = x[:n_val], y[:n_val], x[n_val:], y[n_val:]
    names = ["fc%d" % (i + 1) for i in range(len(widths))]
    model = keras.Sequential(
        [keras.Input((x.shape[1],))]
        + [keras.layers.Dense(w, activation=hidden, name=nm) for w, nm in zip(widths, names)]
        + [keras.layers.Dense(1, activation=None if regress else "sigmoid", name="head")]
    )
    probe = keras.Model(model.inputs[0], [model.get_layer(nm).output for nm in names])
    bce = keras.losses.MeanSquaredError() if regress else keras.losses.BinaryCrossentropy()
    opt = keras.optimizers.SGD(0.05)
    log = _TF2Log(logdir) if writer == "tf2" else _TBXLog(logdir)
    history: Dict[str, List[float]] = {"loss": [], "acc": [], "val_loss": [], "val_acc": []}
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        rate = lr(epoch) if kick is None or epoch != kick[0] else kick[1]
        opt.learning_rate.assign(rate)
        order = rng.permutation(len(xt))
        for start in range(0, len(xt), 32):
            idx = order[start : start + 32]
            with tf.GradientTape() as tape:
                p = model(xt[idx], training=True)
                loss = bce(yt[idx][:, None], p)
            variables = model.trainable_variables
            if head_only_from is not None and epoch >= head_only_from:
                variables = model.get_layer("head").trainable_variables
            grads = tape.gradient(loss, variables)
            opt.apply_gradients(zip(grads, variables))
        pt = model(xt, training=False).numpy()
        pv = model(xv, training=False).numpy()
        ev = {
            "loss": float(bce(yt[:, None], pt)),
            "acc": float(np.mean((pt[:, 0] > 0.5) == yt)),
            "val_loss": float(bce(yv[:, None], pv)),
            "val_acc": float(np.mean((pv[:, 0] > 0.5) == yv)),
        }
        for k, v in ev.items():
            if regress and k.endswith("acc"):
                continue
            history[k].append(v)
            log.scalar(k, v, epoch)
        sample = xv[:256]
        with tf.GradientTape() as tape:
            loss = bce(yv[:256][:, None], model(sample, training=False))
        layer_vars = [model.get_layer(nm).kernel for nm in names]
        grads = tape.gradient(loss, layer_vars)
        acts = probe(sample, training=False)
        acts = acts if isinstance(acts, (list, tuple)) else [acts]
        for nm in names + ["head"]:
            layer = model.get_layer(nm)
            log.hist("weight", nm, layer.kernel.numpy(), epoch)
            log.hist("bias", nm, layer.bias.numpy(), epoch)
        for nm, g, a in zip(names, grads, acts):
            log.hist("grad", nm, np.zeros(model.get_layer(nm).kernel.shape) if g is None else g.numpy(), epoch)
            log.hist("act", nm, a.numpy(), epoch)
        log.hist("out", "", pv[:256], epoch)
    log.close()
    return history


# --- the labelled cases -----------------------------------------------------


def _spec() -> List[dict]:
    """Every case: name, how to make it, what it must produce."""
    specs: List[dict] = []
    # Post 000: one large step kills the ReLU bottleneck; accuracy falls to the
    # majority share and stays.  Dead units, collapsed outputs, weights blown up.
    for seed in range(6):
        kick_epoch = 4 + seed % 3
        specs.append(
            dict(
                name="hist_keras_collapse_s%d" % seed,
                healthy=False,
                make=lambda d, s=seed, k=kick_epoch: keras_run(d, s, kick=(k, 50.0)),
                expect=[
                    Expect("dead_units", None, None, (kick_epoch, kick_epoch + 1)),
                    Expect("collapsed_outputs", "validation", "curvecheck/outputs", (kick_epoch, kick_epoch + 1)),
                    Expect("exploding_weights", "train", None, (kick_epoch, kick_epoch + 1)),
                    Expect("vanishing_gradients", "train", None, (kick_epoch, kick_epoch + 2)),
                ],
                also_ok=(
                    "frozen_weights",
                    "saturated_outputs",
                    "metric_collapse",
                    "stuck_metric",
                    "loss_divergence",
                    "saturated_loss",
                    "no_progress",
                    "non_finite",
                ),
            )
        )
    # The same with a 3-class softmax: the pooled outputs keep one spike per
    # class, the per-class histograms show every input gets the same answer.
    for seed in range(3):
        specs.append(
            dict(
                name="hist_keras_softmax_collapse_s%d" % seed,
                healthy=False,
                make=lambda d, s=seed: keras_run(d, s, kick=(3, 50.0), epochs=8, classes=3),
                expect=[
                    Expect("dead_units", None, None, (3, 4)),
                    Expect("collapsed_outputs", "validation", None, (3, 4)),
                ],
                also_ok=(
                    "frozen_weights",
                    "saturated_outputs",
                    "metric_collapse",
                    "stuck_metric",
                    "loss_divergence",
                    "saturated_loss",
                    "no_progress",
                    "non_finite",
                    "exploding_gradients",
                    "vanishing_gradients",
                    "exploding_weights",
                ),
            )
        )
    # The same failure in custom loops, through tf.summary and tensorboardX.
    for writer in ("tf2", "tbx"):
        for seed in range(4):
            kick_epoch = 3 + seed % 3
            specs.append(
                dict(
                    name="hist_%s_collapse_s%d" % (writer, seed),
                    healthy=False,
                    make=lambda d, w=writer, s=seed, k=kick_epoch: loop_run(d, w, s, kick=(k, 60.0)),
                    expect=[
                        Expect("dead_units", None, None, (kick_epoch, kick_epoch + 1)),
                        Expect("collapsed_outputs", None, None, (kick_epoch, kick_epoch + 1)),
                        Expect("exploding_weights", None, None, (kick_epoch, kick_epoch + 1)),
                    ],
                    also_ok=(
                        "frozen_weights",
                        "saturated_outputs",
                        "metric_collapse",
                        "stuck_metric",
                        "loss_divergence",
                        "saturated_loss",
                        "no_progress",
                        "non_finite",
                        "exploding_gradients",
                        "vanishing_gradients",
                    ),
                )
            )
    # Post 002's end state: a classifier whose learning rate triples every
    # epoch; the tanh layers saturate, the logits blow up and the outputs pin
    # at 0 and 1, every wrong one at the clipped loss.
    for writer in ("tf2", "tbx"):
        for seed in range(4):
            specs.append(
                dict(
                    name="hist_%s_saturated_s%d" % (writer, seed),
                    healthy=False,
                    make=lambda d, w=writer, s=seed: loop_run(
                        d, w, s, hidden="tanh", widths=(32, 16), epochs=12, lr=lambda e: 0.05 * (3.0**e)
                    ),
                    expect=[Expect("saturated_outputs", None, None, None)],
                    also_ok=(
                        "exploding_weights",
                        "exploding_gradients",
                        "vanishing_gradients",
                        "frozen_weights",
                        "dead_units",
                        "collapsed_outputs",
                        "saturated_loss",
                        "loss_divergence",
                        "metric_collapse",
                        "stuck_metric",
                        "no_progress",
                        "oscillation",
                        "non_finite",
                        "transient_dip",
                        "low_margin",
                    ),
                )
            )
    # Post 001: unnormalised inputs kill the ReLU layer from the first epoch;
    # accuracy is stuck at the majority share while the loss creeps.
    for writer in ("tf2", "tbx"):
        for seed in range(3):
            specs.append(
                dict(
                    name="hist_%s_dead_from_start_s%d" % (writer, seed),
                    healthy=False,
                    make=lambda d, w=writer, s=seed: loop_run(d, w, s, scale=1000.0, epochs=8),
                    expect=[
                        Expect("dead_units", None, None, (0, 1)),
                        Expect("collapsed_outputs", None, None, (0, 1)),
                        Expect("vanishing_gradients", None, None, (0, 1)),
                    ],
                    # Dead from the first step, the loss sits at ln 2: a run that never learned.
                    also_ok=(
                        "frozen_weights",
                        "vanishing_gradients",
                        "stuck_metric",
                        "no_progress",
                        "loss_divergence",
                        "metric_collapse",
                        "low_margin",
                        "transient_dip",
                        "oscillation",
                        "never_learned",
                    ),
                )
            )
    # A regression whose learning rate doubles every epoch: past the stability
    # bound the iterates, the gradients and the weights grow geometrically.
    for writer in ("tf2", "tbx"):
        for seed in range(4):
            specs.append(
                dict(
                    name="hist_%s_runaway_s%d" % (writer, seed),
                    healthy=False,
                    make=lambda d, w=writer, s=seed: loop_run(
                        d, w, s, task="regress", hidden="tanh", widths=(16, 8), epochs=10, lr=lambda e: 0.002 * 2.0**e
                    ),
                    expect=[
                        Expect("exploding_gradients", None, None, None),
                        Expect("exploding_weights", None, None, None),
                    ],
                    also_ok=(
                        "saturated_outputs",
                        "vanishing_gradients",
                        "frozen_weights",
                        "dead_units",
                        "collapsed_outputs",
                        "saturated_loss",
                        "loss_divergence",
                        "metric_collapse",
                        "stuck_metric",
                        "no_progress",
                        "oscillation",
                        "non_finite",
                        "transient_dip",
                        "low_margin",
                    ),
                )
            )
    # A learning rate of 0 (a schedule that multiplies by a zero, a typo):
    # nothing moves at all.
    for seed in range(2):
        specs.append(
            dict(
                name="hist_keras_lr_zero_s%d" % seed,
                healthy=False,
                make=lambda d, s=seed: keras_run(d, 30 + s, lr=0.0, epochs=6),
                # Loss and accuracy identical at every epoch: never_learned, an error (issue 12).
                expect=[
                    Expect("frozen_weights", "train", None, (0, 0)),
                    Expect("never_learned", "train", None, (0, 0)),
                ],
                also_ok=("no_progress", "stuck_metric", "collapsed_outputs", "dead_units", "vanishing_gradients"),
            )
        )
    # Eight sigmoid layers: the gradient fades by ~4x per layer on the way
    # down, and the first layers get a thousandth of the last one's.
    for writer in ("tf2", "tbx"):
        for seed in range(3):
            specs.append(
                dict(
                    name="hist_%s_deep_sigmoid_s%d" % (writer, seed),
                    healthy=False,
                    make=lambda d, w=writer, s=seed: loop_run(d, w, s, hidden="sigmoid", widths=(16,) * 8, epochs=6),
                    expect=[Expect("vanishing_gradients", None, None, (0, 1))],
                    # The gradient never reaches the first layers and the loss stays at ln 2.
                    also_ok=(
                        "collapsed_outputs",
                        "stuck_metric",
                        "no_progress",
                        "low_margin",
                        "transient_dip",
                        "oscillation",
                        "loss_divergence",
                        "metric_collapse",
                        "frozen_weights",
                        "never_learned",
                    ),
                )
            )
    # The optimizer handed only the head from epoch 3: the body freezes.
    for writer in ("tf2", "tbx"):
        for seed in range(3):
            specs.append(
                dict(
                    name="hist_%s_frozen_body_s%d" % (writer, seed),
                    healthy=False,
                    make=lambda d, w=writer, s=seed: loop_run(d, w, s, head_only_from=3),
                    expect=[Expect("frozen_weights", None, None, (2, 3))],
                    also_ok=(
                        "no_progress",
                        "stuck_metric",
                        "vanishing_gradients",
                        "oscillation",
                        "low_margin",
                        "transient_dip",
                        "overfitting",
                    ),
                )
            )
    # Healthy: sparse ReLU networks (Keras, Adam, wide layers), custom loops,
    # a rate decay, and a base frozen by design (info at most).
    for seed in range(4):
        specs.append(
            dict(
                name="hist_keras_healthy_sparse_s%d" % seed,
                healthy=True,
                make=lambda d, s=seed: keras_run(d, s, widths=(64, 32), lr=0.003, optimizer="adam", decay_at=6),
                expect=[],
            )
        )
    specs.append(
        dict(
            name="hist_keras_healthy_frozen_base",
            healthy=True,
            make=lambda d: keras_run(d, 7, widths=(32, 16), lr=0.003, optimizer="adam", frozen_first=True),
            expect=[],
        )
    )
    for seed in range(2):
        specs.append(
            dict(
                name="hist_keras_healthy_softmax_s%d" % seed,
                healthy=True,
                make=lambda d, s=seed: keras_run(d, 20 + s, widths=(32, 16), lr=0.003, optimizer="adam", classes=3),
                expect=[],
            )
        )
    for seed in range(2):
        specs.append(
            dict(
                name="hist_keras_healthy_batchnorm_s%d" % seed,
                healthy=True,
                make=lambda d, s=seed: keras_run(d, 10 + s, widths=(32, 16), lr=0.01, optimizer="adam", batchnorm=True),
                expect=[],
            )
        )
    for writer in ("tf2", "tbx"):
        # A rate decayed to 5e-7: the weights barely move, but they move, so no
        # frozen_weights.  The accuracy does stop moving (SPEC: "a decayed
        # learning rate" is a cause of stuck_metric), so the run is not healthy;
        # it stops at the majority share (0.85) with the loss at that prior's
        # entropy H(0.85), so never_learned is a right name for it too.
        specs.append(
            dict(
                name="hist_%s_tiny_lr_not_frozen" % writer,
                healthy=False,
                make=lambda d, w=writer: loop_run(d, w, 5, widths=(32, 16), lr=lambda e: 0.05 * 0.1 ** (e // 2)),
                expect=[],
                also_ok=("stuck_metric", "no_progress", "never_learned"),
            )
        )
        specs.append(
            dict(
                name="hist_%s_healthy_deep_tanh" % writer,
                healthy=True,
                make=lambda d, w=writer: loop_run(d, w, 0, widths=(16,) * 8, hidden="tanh", epochs=6),
                expect=[],
            )
        )
        specs.append(
            dict(
                name="hist_%s_healthy_tanh" % writer,
                healthy=True,
                make=lambda d, w=writer: loop_run(d, w, 6, widths=(32, 16), hidden="tanh"),
                expect=[],
            )
        )
    for writer in ("tf2", "tbx"):
        for seed in range(3):
            specs.append(
                dict(
                    name="hist_%s_healthy_s%d" % (writer, seed),
                    healthy=True,
                    make=lambda d, w=writer, s=seed: loop_run(
                        d, w, s, widths=(32, 16), lr=lambda e: 0.05 if e < 6 else 0.005
                    ),
                    expect=[],
                )
            )
    return specs


def _generate(spec: dict) -> str:
    path = os.path.join(HIST_CACHE, spec["name"])
    done = os.path.join(path, ".done")
    if not os.path.exists(done):
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        spec["make"](path)
        with open(done, "w") as f:
            f.write("ok\n")
    return path


def cases() -> Iterator[Case]:
    for spec in _spec():
        path = _generate(spec)
        scalars, histograms = read_logdir(path)
        yield Case(
            name=spec["name"],
            family="histogram",
            healthy=spec["healthy"],
            scalars=scalars,
            histograms=histograms,
            expect=list(spec["expect"]),
            also_ok=tuple(spec.get("also_ok", ())),
            source=path,
        )
