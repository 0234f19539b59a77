"""Post 001: train and validation accuracy constant while both losses keep moving.

Three classes, 74 % of them the first ("normal"), and readings that carry no
information about the class: the only thing a model can learn is the class
prior. The network is the post's shape (Conv1D/BatchNorm/ReLU blocks, heavy
dropout, Adam). Its softmax drifts towards the class shares, so both
cross-entropies keep moving epoch after epoch, but within the first epochs the
most likely class becomes the majority one for every input: accuracy is then
the majority share on each split (982/1322 = 0.7428 train, 421/567 = 0.7425 validation) and does
not move.
"""

from __future__ import annotations

import numpy as np

from demo import common

SEED = 0

TRAIN_COUNTS = (982, 99, 241)  # 982 / 1322 = 0.7428
VAL_COUNTS = (421, 45, 101)  # the post's validation support: 421 / 567 = 0.7425
LENGTH = 96
EPOCHS = 40


def make_data(rng: np.random.Generator, counts):
    """Raw, unnormalised readings (an offset of 500 and a spread of 40, like
    ADC counts) drawn the same way for every class, so they say nothing about it."""
    y = np.concatenate([np.full(c, k) for k, c in enumerate(counts)])
    rng.shuffle(y)
    x = (500.0 + 40.0 * rng.normal(size=(y.shape[0], LENGTH, 1))).astype("float32")
    onehot = np.eye(len(counts), dtype="float32")[y]
    return x, onehot


def build_model():
    import keras
    from keras import layers

    # Momentum 0.9 (PyTorch's default) lets the moving statistics catch up with
    # the raw readings within the first epoch; with Keras' 0.99 validation is
    # judged on stale statistics for a few epochs, a different story.
    return keras.Sequential(
        [
            keras.Input(shape=(LENGTH, 1)),
            layers.Conv1D(16, 5),
            layers.BatchNormalization(momentum=0.9),
            layers.Activation("relu"),
            layers.MaxPooling1D(2),
            layers.Dropout(0.6),
            layers.Conv1D(32, 5),
            layers.BatchNormalization(momentum=0.9),
            layers.Activation("relu"),
            layers.GlobalAveragePooling1D(),
            layers.Dense(32, activation="relu"),
            layers.Dropout(0.6),
            layers.Dense(3, activation="softmax"),
        ]
    )


def train(logdir: str, seed: int = SEED) -> None:
    common.seed_everything(seed)
    rng = np.random.default_rng(seed)
    x, y = make_data(rng, TRAIN_COUNTS)
    xv, yv = make_data(rng, VAL_COUNTS)
    common.fit_logged(
        build_model(), logdir, (x, y), (xv, yv), learning_rate=3e-3, loss="categorical_crossentropy", epochs=EPOCHS
    )
