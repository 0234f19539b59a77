"""What every demo run shares: a reproducible TensorFlow, the Keras callback, the completion marker."""

from __future__ import annotations

import json
import os
import time

# Set before TensorFlow is imported anywhere: oneDNN reorders float operations
# depending on the CPU, which would make the "fixed seed" numbers differ
# between machines; the C++ INFO chatter drowns the progress lines. These only
# narrow the spread: another CPU's kernels still round differently, so every
# run is designed with margin and its test checks the mechanism, not one
# machine's digits (`demo/mechanisms.py`, `benchmarks/demo_numerics.py`).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

# Intra-op threads for training (default 1: no reduction-order noise);
# `benchmarks/demo_numerics.py` sets 2 to show the runs hold either way.
THREADS_ENV = "CURVECHECK_DEMO_THREADS"

MARKER = "DEMO_COMPLETE.json"

_threads_pinned = False


def seed_everything(seed: int) -> None:
    """Same seed, same logged numbers: one thread per op pool removes the
    reduction-order noise that multi-threaded kernels add, and op determinism
    makes TensorFlow refuse the few kernels that stay nondeterministic."""
    global _threads_pinned
    import keras
    import tensorflow as tf

    if not _threads_pinned:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(int(os.environ.get(THREADS_ENV, "1")))
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:
            # The runtime is already up (TensorFlow was used before the demo
            # was asked for); it then keeps its thread pools and determinism
            # rests on enable_op_determinism alone.
            pass
        _threads_pinned = True
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def tensorboard_callback(logdir: str, update_freq="epoch"):
    """The callback exactly as a user would add it: weight histograms every
    epoch, `train/` and `validation/` runs; the graph is left out because no
    detector reads it and it only slows the demo down."""
    import keras

    return keras.callbacks.TensorBoard(log_dir=logdir, histogram_freq=1, update_freq=update_freq, write_graph=False)


def fit_logged(
    model,
    logdir: str,
    train_data,
    validation_data,
    *,
    learning_rate: float,
    loss: str,
    epochs: int,
    batch_size: int = 64,
) -> None:
    """Adam, accuracy, and `fit` with the TensorBoard callback: how most of the
    demo runs train; the runs that need more (schedules, custom validation)
    spell their own `fit` out."""
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=loss,
        metrics=["accuracy"],
        jit_compile=False,
    )
    x, y = train_data
    model.fit(
        x,
        y,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=validation_data,
        callbacks=[tensorboard_callback(logdir)],
        verbose=0,
    )


def is_complete(rundir: str) -> bool:
    return os.path.isfile(os.path.join(rundir, MARKER))


def mark_complete(rundir: str, seed: int, seconds: float) -> None:
    """Written after the last event file is closed, so a run interrupted half
    way is regenerated instead of reused."""
    with open(os.path.join(rundir, MARKER), "w", encoding="utf-8") as f:
        json.dump({"seed": seed, "seconds": round(seconds, 1), "finished": time.time()}, f)
        f.write("\n")
