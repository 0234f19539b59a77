"""Post 000: accuracy climbs to ~0.9, then drops in one step to 0.5467 and stays there.

The model is the post's own Conv1D/BatchNorm stack, ending in a 4-unit ReLU
layer with nothing after it but the sigmoid. Training runs at the post's
Nadam(0.01) until a learning-rate schedule jumps a hundredfold for two epochs
(the "too-high learning rate"): the large steps push every unit of the 4-unit
layer below zero for every input. A dead ReLU passes no gradient, so it never
comes back even when the rate returns to normal; the output is then the
sigmoid of a bias alone, the same for every input, and the bias settles on the
majority class. Accuracy then equals the majority share: 1640 of 3000 = 0.5467.
"""

from __future__ import annotations

import numpy as np

from demo import common

SEED = 0

N_TRAIN, N_POSITIVE = 3000, 1640  # 1640 / 3000 prints as 0.5467, the post's number
N_VAL, N_VAL_POSITIVE = 750, 410  # the same share, so validation pins at it too
EPOCHS = 24
JUMP_EPOCHS = (10, 11)  # 0-based epochs trained at the too-high rate
BASE_LR, JUMP_LR = 0.01, 1.0


def make_data(rng: np.random.Generator, n: int, n_positive: int):
    """Seven readings per sample, labelled by a noisy local pattern; the
    `n_positive` highest scores are the positive class, which fixes the share."""
    x = rng.normal(size=(n, 7)).astype("float32")
    clean = x[:, 1] * x[:, 2] + x[:, 3] + 0.7 * x[:, 5] - 0.5 * x[:, 0]
    score = clean + rng.normal(scale=0.2, size=n)
    y = np.zeros(n, dtype="float32")
    y[np.argsort(-score)[:n_positive]] = 1.0
    return x[..., None], y


def build_model():
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(7, 1)),
            layers.Conv1D(16, 2, activation="relu"),
            layers.BatchNormalization(),
            layers.Conv1D(8, 2, activation="relu"),
            layers.BatchNormalization(),
            layers.Conv1D(4, 2, activation="relu"),
            layers.BatchNormalization(),
            layers.Conv1D(2, 1, activation="relu"),
            layers.BatchNormalization(),
            layers.Dropout(0.5),
            layers.Flatten(),
            layers.Dense(10, activation="relu"),
            layers.BatchNormalization(),
            layers.Dense(4, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ]
    )


def schedule(epoch: int, lr: float) -> float:
    return JUMP_LR if epoch in JUMP_EPOCHS else BASE_LR


def train(logdir: str, seed: int = SEED) -> None:
    import keras

    from tb_curvecheck.keras import CurveCheck

    common.seed_everything(seed)
    rng = np.random.default_rng(seed)
    x, y = make_data(rng, N_TRAIN, N_POSITIVE)
    xv, yv = make_data(rng, N_VAL, N_VAL_POSITIVE)
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.Nadam(BASE_LR),
        loss="binary_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,
    )
    model.fit(
        x,
        y,
        batch_size=32,
        epochs=EPOCHS,
        validation_data=(xv, yv),
        callbacks=[
            keras.callbacks.LearningRateScheduler(schedule),
            common.tensorboard_callback(logdir),
            # Outputs, activations and gradient norms: the histograms that explain the collapse.
            CurveCheck(logdir, verbose=0),
        ],
        verbose=0,
    )
