"""Post 004: validation accuracy alternates every epoch (high, low, high, low, ...).

The validation set is class-ordered (like `flow_from_directory(...,
shuffle=False)`, which lists one class folder after the other) and read by a
generator that is never reset. `validation_steps` is computed with the
training batch size (64) while validation batches hold 32, so each validation
pass covers only half of the set, and the next pass continues where the
previous one stopped: even epochs see class 0, odd epochs class 1. The model is
far better on class 0, whose samples are all typical, than on class 1, a third
of which look like class 0; validation accuracy and loss swing every epoch
while training accuracy rises smoothly.

Keras 3 cannot be made to do this reproducibly with a real Python generator:
it rebuilds the validation iterator every epoch, replays the two batches it
peeked at to learn the shapes, and throws away however many batches its
background prefetch had read, a number that depends on timing. So the
never-reset generator is a callback that keeps the cursor itself and runs
`model.evaluate` on the next window; it hands the results to Keras as
`val_loss`/`val_accuracy`, and Keras' own TensorBoard callback writes them to
the `validation` run as usual.
"""

from __future__ import annotations

import numpy as np

from demo import common

SEED = 0

N_TRAIN, N_VAL, FEATURES = 3072, 1024, 12
TRAIN_BATCH, VAL_BATCH = 64, 32
EPOCHS = 20
CLASS1_ATYPICAL = 0.3  # share of class 1 drawn close to class 0


def make_data(rng: np.random.Generator, n: int, center: np.ndarray):
    """Half class 0 around -center, half class 1 around +center, except an
    atypical third of class 1 that sits next to class 0."""
    half = n // 2
    y = np.concatenate([np.zeros(half), np.ones(n - half)]).astype("float32")
    x = rng.normal(size=(n, FEATURES))
    x[:half] -= center
    typical = rng.random(n - half) >= CLASS1_ATYPICAL
    x[half:] += np.where(typical[:, None], center, -0.6 * center)
    return x.astype("float32"), y[:, None]


def continuing_validation(x, y, batch: int, steps: int):
    import keras

    class ContinuingValidation(keras.callbacks.Callback):
        """Evaluates on the next `steps` batches of a cursor that wraps around
        the class-ordered set and is never reset between epochs."""

        def __init__(self):
            super().__init__()
            self.cursor = 0

        def on_epoch_end(self, epoch, logs=None):
            window = (self.cursor + np.arange(steps * batch)) % len(x)
            self.cursor = int((self.cursor + steps * batch) % len(x))
            result = self.model.evaluate(x[window], y[window], batch_size=batch, verbose=0, return_dict=True)
            if logs is not None:
                for name, value in result.items():
                    logs["val_" + name] = value

    return ContinuingValidation()


def build_model():
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(FEATURES,)),
            layers.Dense(32, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ]
    )


def train(logdir: str, seed: int = SEED) -> None:
    import keras

    common.seed_everything(seed)
    rng = np.random.default_rng(seed)
    center = np.full(FEATURES, 1.2 / np.sqrt(FEATURES) * 2.0)
    x, y = make_data(rng, N_TRAIN, center)
    xv, yv = make_data(rng, N_VAL, center)  # stays class-ordered on purpose
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="binary_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,
    )
    model.fit(
        x,
        y,
        batch_size=TRAIN_BATCH,
        shuffle=True,
        epochs=EPOCHS,
        callbacks=[
            # The post's slip: the validation count divided by the training batch size.
            continuing_validation(xv, yv, VAL_BATCH, steps=N_VAL // TRAIN_BATCH),
            # After the validation callback, so it finds val_* in the epoch's logs.
            common.tensorboard_callback(logdir),
        ],
        verbose=0,
    )
