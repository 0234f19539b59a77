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
the post's progress bar. The new shard opens with a few batches of clear-cut
samples (far from the class boundary, as a shard sorted by how sure its
labels are would): every one saturates on the right side, so its first
batches read exactly 1.1921e-07 on any CPU, where a random first batch would
show it only when rounding happened to leave none of its 32 samples wrong.
The new dataset replaced the validation files too: from the same epoch on,
validation reads unscaled readings, so its loss shows the signature through
the inputs themselves and not only through weights that happened to grow
far enough to saturate scaled ones (which depends on the CPU's rounding).
"""

from __future__ import annotations

import numpy as np

from demo import common

SEED = 9

N_TRAIN, N_VAL, FEATURES = 1856, 464, 20
BATCH = 32
EPOCHS = 12
LR = 0.05
RAW_FROM_EPOCH, RAW_SCALE = 6, 255.0
# The raw shard's first batches hold samples whose score is this far from the
# boundary: about half the data, all classified right by epoch 6 with logits
# large enough that x255 puts them beyond the 1e-7 clip (|logit| > 16.1).
CLEAR_CUT_BATCHES, CLEAR_CUT_MARGIN = 3, 2.0


def make_data(rng: np.random.Generator, n: int):
    """Two classes separated by a smooth, mostly linear boundary: easy, ~0.97.
    Also returns each sample's distance from the boundary (its score)."""
    x = rng.normal(size=(n, FEATURES)).astype("float32")
    w = np.linspace(1.0, -1.0, FEATURES)
    score = x @ w + 0.5 * np.sin(2.0 * x[:, 0]) + rng.normal(scale=0.3, size=n)
    y = (score > 0).astype("float32")[:, None]
    return x, y, np.abs(score)


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


def batch_order(rng: np.random.Generator, margin: np.ndarray, steps: int) -> np.ndarray:
    """Sample indices of every batch of training, [EPOCHS * steps, BATCH]: a
    fresh shuffle each epoch; the raw shard opens with clear-cut samples."""
    order = np.concatenate([rng.permutation(len(margin))[: steps * BATCH] for _ in range(EPOCHS)])
    order = order.reshape(EPOCHS * steps, BATCH)
    clear = np.flatnonzero(margin > CLEAR_CUT_MARGIN)
    first_raw = RAW_FROM_EPOCH * steps
    pick = rng.choice(clear, size=CLEAR_CUT_BATCHES * BATCH, replace=False)
    order[first_raw : first_raw + CLEAR_CUT_BATCHES] = pick.reshape(CLEAR_CUT_BATCHES, BATCH)
    return order


def training_batches(x, y, order: np.ndarray, steps: int):
    """The whole stream, batch by batch; the batch index tells which shard a
    batch comes from (from epoch RAW_FROM_EPOCH on, unscaled)."""
    import tensorflow as tf

    scale = np.where(np.arange(len(order)) >= RAW_FROM_EPOCH * steps, RAW_SCALE, 1.0).astype("float32")
    xb = x[order] * scale[:, None, None]
    return tf.data.Dataset.from_tensor_slices((xb, y[order]))


def shard_validation(xv, yv):
    """Validation on the current shard: scaled before RAW_FROM_EPOCH, raw from
    then on. Results go into the epoch's logs as `val_*`, where Keras' own
    TensorBoard callback (after this one) writes them to `validation/`."""
    import keras

    class ShardValidation(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            scale = RAW_SCALE if epoch >= RAW_FROM_EPOCH else 1.0
            result = self.model.evaluate(xv * scale, yv, batch_size=BATCH, verbose=0, return_dict=True)
            if logs is not None:
                for name, value in result.items():
                    logs["val_" + name] = value

    return ShardValidation()


def train(logdir: str, seed: int = SEED) -> None:
    import keras

    common.seed_everything(seed)
    rng = np.random.default_rng(seed)
    x, y, margin = make_data(rng, N_TRAIN)
    xv, yv, _ = make_data(rng, N_VAL)
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.Adam(LR),
        loss=keras.losses.BinaryCrossentropy(from_logits=False),
        metrics=["accuracy"],
        jit_compile=False,
    )
    steps = N_TRAIN // BATCH
    model.fit(
        training_batches(x, y, batch_order(rng, margin, steps), steps),
        steps_per_epoch=steps,
        shuffle=False,  # the dataset orders its own batches; Keras would ignore True and warn
        epochs=EPOCHS,
        callbacks=[shard_validation(xv, yv), common.tensorboard_callback(logdir, update_freq=1)],
        verbose=0,
    )
