"""Post 003: validation accuracy dips for one epoch and recovers, validation loss barely moves.

A binary classifier trained with heavy weight decay keeps its logits small:
most validation samples sit on the right side of 0.5 but close to it (low
margin), so accuracy is high while the cross-entropy stays near log 2. In
epoch 7 (0-based) one disturbance hits: that epoch's batches are read from the
class-sorted copy of the training file without shuffling, and its steps cover
only the first part of it, almost all class 0. The unregularised output bias
slides towards class 0 for that one epoch; a small shift of the logits moves
many near-threshold validation samples across 0.5, so accuracy falls by tens
of points while the loss, which only sees probabilities move from ~0.55 to
~0.45, rises a few hundredths. Balanced epochs pull the bias back and
accuracy recovers the next epoch.
"""

from __future__ import annotations

import numpy as np

from demo import common

SEED = 0

N_TRAIN, N_VAL, FEATURES = 2048, 512, 16
BATCH = 32
EPOCHS = 12
DISTURBED_EPOCH = 7
WEIGHT_DECAY = 0.1


def make_data(rng: np.random.Generator, n: int, w: np.ndarray):
    x = rng.normal(size=(n, FEATURES)).astype("float32")
    score = x @ w / np.sqrt(FEATURES) + rng.normal(scale=0.25, size=n)
    y = (score > 0).astype("float32")[:, None]
    return x, y


def epoch_order(rng: np.random.Generator, y: np.ndarray, steps: int):
    """Sample indices for every epoch in the order training reads them."""
    n = steps * BATCH
    class_sorted = np.argsort(y[:, 0], kind="stable")
    order = []
    for epoch in range(EPOCHS):
        if epoch == DISTURBED_EPOCH:
            order.append(class_sorted[:n])
        else:
            order.append(rng.permutation(len(y))[:n])
    return np.concatenate(order)


def build_model():
    import keras
    from keras import layers, regularizers

    decay = regularizers.L2(WEIGHT_DECAY)
    return keras.Sequential(
        [
            keras.Input(shape=(FEATURES,)),
            layers.Dense(16, activation="relu", kernel_regularizer=decay),
            layers.Dense(1, activation="sigmoid", kernel_regularizer=decay),
        ]
    )


def train(logdir: str, seed: int = SEED) -> None:
    import keras
    import tensorflow as tf

    common.seed_everything(seed)
    rng = np.random.default_rng(seed)
    w = rng.normal(size=FEATURES)  # the rule both splits share
    x, y = make_data(rng, N_TRAIN, w)
    xv, yv = make_data(rng, N_VAL, w)
    steps = N_TRAIN // 2 // BATCH  # an epoch covers half of the file
    order = epoch_order(rng, y, steps)
    stream = tf.data.Dataset.from_tensor_slices((x[order], y[order])).batch(BATCH)
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss="binary_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,
    )
    model.fit(
        stream,
        steps_per_epoch=steps,
        shuffle=False,  # the dataset orders its own batches; Keras would ignore True and warn
        epochs=EPOCHS,
        validation_data=(xv, yv),
        callbacks=[common.tensorboard_callback(logdir)],
        verbose=0,
    )
