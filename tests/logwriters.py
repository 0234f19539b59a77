"""Writes real event files with the real writers, for tests.

TensorFlow is imported inside each function so that modules which only
need tensorboardX do not pay for it.
"""

from __future__ import annotations

import os
from typing import Iterable, Sequence

import numpy as np


def _fit_logged(model, x, y, logdir: str, epochs: int, batch_size: int, histogram_freq: int = 0) -> None:
    """`fit` on a quarter held out for validation, logged by Keras' own TensorBoard callback."""
    import keras

    model.fit(
        x,
        y,
        validation_split=0.25,
        epochs=epochs,
        batch_size=batch_size,
        verbose=0,
        callbacks=[keras.callbacks.TensorBoard(logdir, histogram_freq=histogram_freq)],
    )


def keras_fit(logdir: str, epochs: int = 4, seed: int = 0, histogram_freq: int = 1) -> None:
    """A tiny binary classifier trained with `fit` and Keras' TensorBoard callback."""
    import keras

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("float32")
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    _fit_logged(model, x, y, logdir, epochs, batch_size=32, histogram_freq=histogram_freq)


def tf_scalars(logdir: str, tag_values: dict, steps: Sequence[int] = None) -> None:
    """`tf.summary.scalar` in a custom loop: {tag: values} at the given steps."""
    import tensorflow as tf

    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default():
        for tag, values in tag_values.items():
            st = steps if steps is not None else range(len(values))
            for step, value in zip(st, values):
                tf.summary.scalar(tag, float(value), step=int(step))
    writer.close()


def tf_histograms(logdir: str, tag: str, samples: Iterable[np.ndarray]) -> None:
    import tensorflow as tf

    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default():
        for step, sample in enumerate(samples):
            tf.summary.histogram(tag, sample, step=step)
    writer.close()


def tf1_scalars(logdir: str, tag: str, values: Sequence[float]) -> None:
    """TF1-style summaries: a graph-mode `tf.compat.v1.summary.scalar` op run
    in a session and written by `tf.compat.v1.summary.FileWriter`."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        ph = tf.compat.v1.placeholder(tf.float32, shape=())
        op = tf.compat.v1.summary.scalar(tag, ph)
        writer = tf.compat.v1.summary.FileWriter(logdir, graph=None)
        with tf.compat.v1.Session(graph=graph) as sess:
            for step, v in enumerate(values):
                writer.add_summary(sess.run(op, {ph: v}), step)
        writer.close()


def tbx_scalars(logdir: str, tag_values: dict, steps: Sequence[int] = None) -> None:
    """PyTorch-style `simple_value` events, written by tensorboardX.  A value given as a
    `(steps, values)` pair is logged on its own steps (a validation every 100 epochs beside a
    per-epoch training loss, in one writer as Lightning does); a `(steps, values, wall_times)`
    triple also on its own wall-clock times, in seconds since the epoch."""
    from tensorboardX import SummaryWriter

    w = SummaryWriter(logdir)
    for tag, values in tag_values.items():
        st = steps if steps is not None else range(len(values))
        walls = None
        if isinstance(values, tuple):
            st, values, walls = values if len(values) == 3 else (*values, None)
        for i, (step, value) in enumerate(zip(st, values)):
            w.add_scalar(tag, float(value), int(step), walltime=None if walls is None else float(walls[i]))
    w.close()


def tbx_histograms(logdir: str, tag: str, samples: Iterable[np.ndarray]) -> None:
    """PyTorch-style TF1 `histo` events, written by tensorboardX."""
    from tensorboardX import SummaryWriter

    w = SummaryWriter(logdir)
    for step, sample in enumerate(samples):
        w.add_histogram(tag, np.asarray(sample), step)
    w.close()


def event_files(directory: str) -> list:
    return sorted(os.path.join(directory, f) for f in os.listdir(directory) if "tfevents" in f)


def tf_softmax_classifier(logdir: str, classes: int, double_softmax: bool, seed: int = 0, epochs: int = 12) -> None:
    """A small classifier trained in a custom TF loop, logging each batch's loss and accuracy with
    `tf.summary`; with `double_softmax` the model's softmax output is handed to
    `tf.nn.sparse_softmax_cross_entropy_with_logits`, which applies a second one (the bug of feeding
    probabilities to a loss that expects logits).  8 % of the labels are flipped so that every batch
    has a different share of (confident) mistakes."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    n = 800
    centers = rng.normal(scale=2.0, size=(classes, 8))
    y = rng.integers(0, classes, size=n)
    x = (centers[y] + rng.normal(size=(n, 8))).astype("float32")
    y = np.where(rng.random(n) < 0.08, (y + 1) % classes, y)
    model = tf.keras.Sequential(
        [tf.keras.Input((8,)), tf.keras.layers.Dense(16, activation="relu"), tf.keras.layers.Dense(classes)]
    )
    opt = tf.keras.optimizers.Adam(0.01)
    writer = tf.summary.create_file_writer(logdir)
    step = 0
    with writer.as_default():
        for _ in range(epochs):
            order = rng.permutation(n)
            for i in range(0, n, 32):
                idx = order[i : i + 32]
                with tf.GradientTape() as tape:
                    logits = model(x[idx])
                    out = tf.nn.softmax(logits) if double_softmax else logits
                    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y[idx], out))
                grads = tape.gradient(loss, model.trainable_variables)
                opt.apply_gradients(zip(grads, model.trainable_variables))
                tf.summary.scalar("train_loss", float(loss), step=step)
                tf.summary.scalar("train_acc", float(np.mean(np.argmax(logits, 1) == y[idx])), step=step)
                step += 1
    writer.flush()


def keras_regressor(logdir: str, dead_output: bool, epochs: int = 20, seed: int = 0) -> None:
    """A small Keras regressor with an L2 penalty and a ReLU output, trained with `fit` and Keras'
    TensorBoard callback.  With `dead_output` the output unit's bias starts at -10, so its ReLU is
    closed for every input: it predicts 0 everywhere and no gradient reaches the data term, while the
    penalty still shrinks the weights (the logged loss falls, the RMSE repeats to the digit)."""
    import keras

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(512, 6)).astype("float32")
    y = (2.0 + x[:, 0] - 0.5 * x[:, 1] + 0.1 * rng.normal(size=512)).astype("float32")
    l2 = keras.regularizers.L2(0.05)
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(16, activation="relu", kernel_regularizer=l2),
            keras.layers.Dense(
                1,
                activation="relu",
                kernel_regularizer=l2,
                bias_initializer=keras.initializers.Constant(-10.0 if dead_output else 0.5),
            ),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=[keras.metrics.RootMeanSquaredError()])
    _fit_logged(model, x, y, logdir, epochs, batch_size=32)


def keras_r2_regressor(logdir: str, shuffled: bool, epochs: int = 12, seed: int = 0) -> None:
    """A Keras regressor scored with `R2Score`, trained with `fit` and Keras' TensorBoard callback.  With
    `shuffled` the targets are permuted apart from their inputs: nothing about them can be learned, so
    the best the model can do on held-out examples is their mean (R² 0).  2048 examples, so the 512
    held out put a model with no signal under R² 0.05 at every epoch (its sampling spread there is ~0.01)."""
    import keras

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2048, 6)).astype("float32")
    y = (3.0 + x[:, 0] - 0.5 * x[:, 1] + 0.2 * rng.normal(size=2048)).astype("float32")
    if shuffled:
        y = rng.permutation(y)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=[keras.metrics.R2Score()])
    _fit_logged(model, x, y.reshape(-1, 1), logdir, epochs, batch_size=64)


def keras_class_prior(
    logdir: str,
    constant_inputs: bool,
    epochs: int = 12,
    seed: int = 0,
    counts: Sequence[int] = (19, 15, 12, 10, 10, 9, 8, 7, 5, 5),
) -> None:
    """A Keras classifier on an uneven set (by default ten classes, the largest holding 19 % of the examples
    in both the training and the validation part; `counts` gives each class's examples per block),
    trained with `fit` and Keras' TensorBoard callback.  With `constant_inputs` every input is the same
    vector (features lost in preprocessing), so the model can learn only the class shares; otherwise
    each input carries its label in one feature."""
    import keras

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    classes = len(counts)
    pattern = np.repeat(np.arange(classes), counts)

    def part(blocks: int):
        y = np.tile(pattern, blocks)
        x = rng.normal(size=(y.shape[0], 20)).astype("float32")
        if constant_inputs:
            x[:] = 0.5
        else:
            x[np.arange(y.shape[0]), y] += 2.0
        return x, y

    x_train, y_train = part(24)
    x_val, y_val = part(6)
    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(classes, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=epochs,
        batch_size=64,
        verbose=0,
        callbacks=[keras.callbacks.TensorBoard(logdir, histogram_freq=0)],
    )


def keras_multilabel(logdir: str, optimizer: str, epochs: int = 12, seed: int = 0) -> None:
    """A 40-output multi-label Keras model (sigmoid outputs, binary cross-entropy, `binary_accuracy`),
    trained with `fit` and Keras' TensorBoard callback.  Each label is positive for about 5 % of the
    examples and is read off the inputs, so a model that learns gets its binary accuracy near 0.97 within
    a few epochs.  `optimizer` is passed to `compile` as is ("adam", or "adadelta" at Keras's default
    step of 0.001, which hardly moves the weights in this many updates)."""
    import keras

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1200, 32)).astype("float32")
    w = rng.normal(size=(32, 40)).astype("float32")
    y = (x @ w > 1.65 * np.sqrt(32)).astype("float32")
    model = keras.Sequential(
        [
            keras.Input((32,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(40, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["binary_accuracy"])
    _fit_logged(model, x, y, logdir, epochs, batch_size=64)
