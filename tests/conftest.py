"""Shared fixtures: real event files written by real writers, once per session."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

from tests import logwriters  # noqa: E402


@pytest.fixture(scope="session")
def keras_logdir(tmp_path_factory):
    """A Keras `fit` with the TensorBoard callback (histogram_freq=1): runs
    `keras_run/train` and `keras_run/validation`."""
    root = tmp_path_factory.mktemp("keras")
    logwriters.keras_fit(str(root / "keras_run"), epochs=4)
    return str(root)
