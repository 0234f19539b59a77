"""Healthy: heavy dropout, so validation accuracy sits *above* training accuracy.

Dropout is active only while training, so the training metrics are computed on
a thinned network and trail the validation ones for the whole run. That gap
is expected, not a finding.
"""

from __future__ import annotations

import numpy as np

from demo import common

SEED = 0
N_TRAIN, N_VAL, FEATURES = 2048, 512, 16
EPOCHS = 20


def make_data(rng: np.random.Generator, n: int, w: np.ndarray):
    x = rng.normal(size=(n, FEATURES)).astype("float32")
    score = x @ w + rng.normal(scale=0.3, size=n)
    return x, (score > 0).astype("float32")[:, None]


def build_model():
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(FEATURES,)),
            layers.Dropout(0.3),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(1, activation="sigmoid"),
        ]
    )


def train(logdir: str, seed: int = SEED) -> None:
    common.seed_everything(seed)
    rng = np.random.default_rng(seed)
    w = rng.normal(size=FEATURES) / np.sqrt(FEATURES)
    x, y = make_data(rng, N_TRAIN, w)
    xv, yv = make_data(rng, N_VAL, w)
    common.fit_logged(
        build_model(), logdir, (x, y), (xv, yv), learning_rate=1e-3, loss="binary_crossentropy", epochs=EPOCHS
    )
