"""Post 002: six good epochs, then the loss reads 1.1921e-07, climbs towards
(1 - acc) x 16.1 and accuracy falls for good.

The sigmoid's probabilities reach the binary cross-entropy through one more
layer (a Flatten to the label's shape), so Keras 3 cannot take the logits
behind the sigmoid and computes the loss from probabilities clipped to
[1e-7, 1 - 1e-7], as Keras 2 always did. From epoch 6 (0-based) on, the
training batches come from a second shard whose preprocessing forgot to
rescale the readings (255 times larger, the post's "new but similar dataset").
The logits explode with the inputs, every output saturates at 0 or 1: a correct
saturated prediction costs -log(1 - 1e-7) = 1.1921e-07, a wrong one
-log(1e-7) = 16.118, so a batch of 32 with one mistake reads 0.5037, the post's
number. The few unsaturated samples now send gradients 255 times too large
through a fairly high Adam rate; the weights are thrown about, accuracy falls
and the clip, flat outside its range, gives the network almost no signal to
find its way back.

Batch-level scalars (`update_freq=1`) show the signature inside the epoch;
Keras' `batch_*` values are running means since the start of the epoch, like
the post's progress bar.
"""
from __future__ import annotations

import numpy as np

from demo import common

# Chosen among seeds 1-13 because its first saturated batch is all correct,
# so the 1.1921e-07 of the post shows; every seed shows the rest.
SEED = 9

N_TRAIN, N_VAL, FEATURES = 1856, 464, 20
BATCH = 32
EPOCHS = 12
LR = 0.05
RAW_FROM_EPOCH, RAW_SCALE = 6, 255.0


def make_data(rng: np.random.Generator, n: int):
    """Two classes separated by a smooth, mostly linear boundary: easy, ~0.97."""
    x = rng.normal(size=(n, FEATURES)).astype("float32")
    w = np.linspace(1.0, -1.0, FEATURES)
    score = x @ w + 0.5 * np.sin(2.0 * x[:, 0]) + rng.normal(scale=0.3, size=n)
    y = (score > 0).astype("float32")[:, None]
    return x, y


def build_model():
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(FEATURES,)),
            layers.Dense(32, activation="relu"),
            layers.Dense(16, activation="relu"),
            layers.Dense(1),
            layers.Activation("sigmoid"),
            # Anything after the sigmoid hides its logits from the loss.
            layers.Flatten(),
        ]
    )


def training_batches(x, y, seed: int, steps: int):
    """One endless shuffled stream; Keras keeps its iterator across epochs
    when `steps_per_epoch` is given, so the batch index counts from the start
    of training and tells which shard a batch comes from."""
    import tensorflow as tf

    first_raw = RAW_FROM_EPOCH * steps
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(BATCH, drop_remainder=True).repeat().enumerate()

    def shard(i, batch):
        scale = tf.where(i >= first_raw, RAW_SCALE, 1.0)
        return scale * batch[0], batch[1]

    return ds.map(shard)


def train(logdir: str, seed: int = SEED) -> None:
    import keras

    common.seed_everything(seed)
    rng = np.random.default_rng(seed)
    x, y = make_data(rng, N_TRAIN)
    xv, yv = make_data(rng, N_VAL)
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.Adam(LR),
        loss=keras.losses.BinaryCrossentropy(from_logits=False),
        metrics=["accuracy"],
        jit_compile=False,
    )
    steps = N_TRAIN // BATCH
    model.fit(
        training_batches(x, y, seed, steps),
        steps_per_epoch=steps,
        shuffle=False,  # the dataset orders its own batches; Keras would ignore True and warn
        epochs=EPOCHS,
        validation_data=(xv, yv),
        callbacks=[common.tensorboard_callback(logdir, update_freq=1)],
        verbose=0,
    )
