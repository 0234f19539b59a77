"""Healthy real-training runs for the traps a curve checker falls into.

Each is a small Keras/TensorFlow training written the way users log: the Keras
TensorBoard callback or `tf.summary` in a loop.  All must stay quiet (no warning
or error):

- trap_dropout: heavy dropout, so validation accuracy sits above training accuracy;
- trap_percent: accuracy logged on a 0-100 scale with tf.summary;
- trap_negative_loss: a Gaussian negative log-likelihood with learned variance, negative by design;
- trap_lr_decay: a step decay of the learning rate and the sharp improvement it brings;
- trap_batch_means: Keras `batch_*` running means that reset at every epoch (update_freq=5);
- trap_long_steps: a custom loop logging the minibatch loss at every one of 20 000 steps.

Generated on first use into `benchmarks/out/keras_traps/` in a subprocess (TensorFlow
is imported there only), about a minute on 2 CPU cores; read back from the event files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import List

from benchmarks.corpus import CACHE_DIR, Case, read_logdir

LOGDIR = os.path.join(CACHE_DIR, "keras_traps")
RUNS = ("trap_dropout", "trap_percent", "trap_negative_loss", "trap_lr_decay", "trap_batch_means", "trap_long_steps")
VERSION = "2"


def _data(np, seed, n=20000, d=20, classes=3, label_noise=0.05):
    rng = np.random.default_rng(seed)
    centers = np.random.default_rng(0).normal(0, 0.5, (classes, d))  # shared by train and validation
    y = rng.integers(0, classes, n)
    x = centers[y] + rng.normal(0, 1.0, (n, d))
    flip = rng.random(n) < label_noise
    y = np.where(flip, rng.integers(0, classes, n), y)
    return x.astype("float32"), y.astype("int32")


def generate(logdir: str) -> None:  # runs in a subprocess: imports TensorFlow
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf

    keras.utils.set_random_seed(7)
    x, y = _data(np, 1)
    xv, yv = _data(np, 2, n=2000)

    def mlp(dropout=0.0, out=3, act="softmax"):
        layers = [keras.Input((x.shape[1],)), keras.layers.Dense(32, activation="relu")]
        if dropout:
            layers.append(keras.layers.Dropout(dropout))
        layers += [keras.layers.Dense(32, activation="relu")]
        if dropout:
            layers.append(keras.layers.Dropout(dropout))
        layers.append(keras.layers.Dense(out, activation=act))
        return keras.Sequential(layers)

    def fit(name, model, epochs, callbacks=(), update_freq="epoch", lr=1e-4, **kw):
        model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        tb = keras.callbacks.TensorBoard(os.path.join(logdir, name), update_freq=update_freq)
        model.fit(
            x, y, validation_data=(xv, yv), epochs=epochs, batch_size=128, verbose=0, callbacks=[tb, *callbacks], **kw
        )

    fit("trap_dropout", mlp(dropout=0.5), 15, lr=3e-4)
    sched = keras.callbacks.LearningRateScheduler(lambda e, lr: 1e-2 if e < 10 else 3e-4)
    fit("trap_lr_decay", mlp(), 20, callbacks=[sched], lr=1e-2)
    fit("trap_batch_means", mlp(), 6, update_freq=5)

    # Accuracy x 100 and plain tags, written with tf.summary from a custom loop.
    model = mlp()
    opt = keras.optimizers.Adam(1e-4)
    lossf = keras.losses.SparseCategoricalCrossentropy()
    w = tf.summary.create_file_writer(os.path.join(logdir, "trap_percent"))
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(20000, seed=1).batch(128)

    def make_step(model, opt):
        @tf.function
        def step(xb, yb):
            with tf.GradientTape() as tape:
                p = model(xb, training=True)
                loss = lossf(yb, p)
            opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
            return loss, p

        return step

    step = make_step(model, opt)

    def acc(p, t):
        return float(np.mean(np.argmax(p, -1) == t))

    with w.as_default():
        for epoch in range(15):
            for xb, yb in ds:
                step(xb, yb)
            pt, pv = model(x).numpy(), model(xv).numpy()
            tf.summary.scalar("train/loss", float(lossf(y, pt)), step=epoch)
            tf.summary.scalar("val/loss", float(lossf(yv, pv)), step=epoch)
            tf.summary.scalar("train/accuracy", 100.0 * acc(pt, y), step=epoch)
            tf.summary.scalar("val/accuracy", 100.0 * acc(pv, yv), step=epoch)
            tf.summary.scalar("epoch", epoch, step=epoch)
    w.flush()

    # A Gaussian negative log-likelihood with a learned variance: negative once the fit is good.
    rng = np.random.default_rng(3)
    xr = rng.normal(0, 1, (3000, 8)).astype("float32")
    yr = (xr @ rng.normal(0, 1, (8, 1)) + 0.05 * rng.normal(0, 1, (3000, 1))).astype("float32")
    xrv = rng.normal(0, 1, (800, 8)).astype("float32")
    yrv = (xrv @ np.linalg.lstsq(xr, yr, rcond=None)[0] + 0.05 * rng.normal(0, 1, (800, 1))).astype("float32")

    def gaussian_nll(t, out):
        mu, log_var = out[:, :1], out[:, 1:]
        return tf.reduce_mean(0.5 * (log_var + tf.square(t - mu) / tf.exp(log_var)))

    reg = keras.Sequential([keras.Input((8,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(2)])
    reg.compile(optimizer=keras.optimizers.Adam(3e-3), loss=gaussian_nll)
    reg.fit(
        xr,
        yr,
        validation_data=(xrv, yrv),
        epochs=25,
        batch_size=64,
        verbose=0,
        callbacks=[keras.callbacks.TensorBoard(os.path.join(logdir, "trap_negative_loss"))],
    )

    # 20 000 minibatch losses from a custom loop (a long, noisy, healthy curve).
    model = mlp()
    opt = keras.optimizers.SGD(0.005)
    step = make_step(model, opt)
    w = tf.summary.create_file_writer(os.path.join(logdir, "trap_long_steps"))
    ds = tf.data.Dataset.from_tensor_slices((x, y)).repeat().shuffle(20000, seed=2).batch(16).take(20000)
    with w.as_default():
        for i, (xb, yb) in enumerate(ds):
            loss, _ = step(xb, yb)
            tf.summary.scalar("train/loss", loss, step=i)
            if i % 1000 == 999:
                pv = model(xv).numpy()
                tf.summary.scalar("val/loss", float(lossf(yv, pv)), step=i)
                tf.summary.scalar("val/accuracy", acc(pv, yv), step=i)
    w.flush()
    with open(os.path.join(logdir, ".done"), "w") as f:
        f.write(VERSION)


def ensure_logs(logdir: str = LOGDIR) -> str:
    marker = os.path.join(logdir, ".done")
    if os.path.exists(marker) and open(marker).read().strip() == VERSION:
        return logdir
    os.makedirs(logdir, exist_ok=True)
    print("  training the real-training trap runs into %s (about a minute) ..." % logdir, file=sys.stderr)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run([sys.executable, "-m", "benchmarks.corpus_scalar_keras", "--generate", logdir], cwd=root, check=True)
    return logdir


def cases() -> List[Case]:
    scalars, histograms = read_logdir(ensure_logs())
    out = []
    for name in RUNS:
        sc = {r: t for r, t in scalars.items() if r == name or r.startswith(name + "/")}
        hi = {r: t for r, t in histograms.items() if r == name or r.startswith(name + "/")}
        out.append(
            Case("keras_" + name, "real_training_trap", True, sc, hi, source="benchmarks/corpus_scalar_keras.py")
        )
    return out


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--generate":
        generate(sys.argv[2])
    else:
        print("usage: corpus_scalar_keras.py --generate LOGDIR", file=sys.stderr)
        sys.exit(2)
