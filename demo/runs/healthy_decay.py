"""Healthy: noisy minibatch training with a learning-rate step decay.

Small batches, momentum SGD and 10 % label noise make the batch-level curves
jumpy; at epoch 10 (0-based) the rate drops tenfold and the loss takes a sharp
step *down*. Batch scalars every 5 batches show Keras' running-mean saw-tooth.
A sharp improvement, minibatch noise and the saw-tooth are not findings.
"""

from __future__ import annotations

import numpy as np

from demo import common

SEED = 0
N_TRAIN, N_VAL, FEATURES = 2400, 600, 8
BATCH = 16
EPOCHS = 16
DECAY_EPOCH = 10
LABEL_NOISE = 0.1


def make_data(rng: np.random.Generator, n: int, w: np.ndarray):
    x = rng.normal(size=(n, FEATURES)).astype("float32")
    y = (np.sin(2.0 * (x @ w)) + 0.5 * x[:, 2] * x[:, 3] > 0).astype("float32")
    flip = rng.random(n) < LABEL_NOISE
    y[flip] = 1.0 - y[flip]
    return x, y[:, None]


def build_model():
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(FEATURES,)),
            layers.Dense(64, activation="relu"),
            layers.Dense(32, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ]
    )


def schedule(epoch: int, lr: float) -> float:
    return 0.02 if epoch < DECAY_EPOCH else 0.002


def train(logdir: str, seed: int = SEED) -> None:
    import keras

    common.seed_everything(seed)
    rng = np.random.default_rng(seed)
    w = rng.normal(size=FEATURES) * 1.5 / np.sqrt(FEATURES)
    x, y = make_data(rng, N_TRAIN, w)
    xv, yv = make_data(rng, N_VAL, w)
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.SGD(0.02, momentum=0.9),
        loss="binary_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,
    )
    model.fit(
        x,
        y,
        batch_size=BATCH,
        epochs=EPOCHS,
        validation_data=(xv, yv),
        callbacks=[
            keras.callbacks.LearningRateScheduler(schedule),
            common.tensorboard_callback(logdir, update_freq=5),
        ],
        verbose=0,
    )
