"""The tags CurveCheck's Keras callback writes and the analysis reads: one place.

The callback (`keras.py`) builds tags with these functions; the analysis
(`analysis.roles`, `analysis.histogram_roles`, the histogram stories) recognises
them with the parsers here, so neither side spells a tag by hand.

All live under `PREFIX` in Keras' `train/` and `validation/` runs, at
step = epoch.  The prefix gives the scalars the role `other` (see
`analysis.roles.OTHER_PREFIXES`), so the scalar detectors leave them alone.

Imports nothing but the standard library (the callback imports TensorFlow,
the analysis must not; both import this).
"""

from __future__ import annotations

from typing import Optional

PREFIX = "curvecheck/"

# Histograms (validation run): the model's outputs on a fixed sample ...
OUTPUTS = PREFIX + "outputs"
# ... and the outputs of ReLU-like layers on that sample.
ACTIVATIONS = PREFIX + "activations"
# Scalars (train run): the norm of the loss gradient of each layer's weights.
GRADIENT_NORM = PREFIX + "gradient_norm"
# Scalars (validation run, and train with `train_labels=`): each class's share of the labels.
CLASS_SHARE = PREFIX + "class_share"
# Text (train run): new findings at each epoch end.
FINDINGS = PREFIX + "findings"


def outputs(index: Optional[int] = None) -> str:
    """`curvecheck/outputs`, or `curvecheck/outputs/<i>` for output i of a multi-output model."""
    return OUTPUTS if index is None else "%s/%d" % (OUTPUTS, index)


def output_class(base: str, unit: int) -> str:
    """One output unit's histogram under an outputs tag: `<base>/class_<i>`."""
    return "%s/class_%d" % (base, unit)


def activations(layer: str) -> str:
    return "%s/%s" % (ACTIVATIONS, layer)


def gradient_norm(layer: str) -> str:
    return "%s/%s" % (GRADIENT_NORM, layer)


def class_share(label: int) -> str:
    return "%s/%d" % (CLASS_SHARE, int(label))


def class_share_label(tag: str) -> Optional[str]:
    """The class a `curvecheck/class_share/<class>` tag is about, None for any other tag."""
    if not tag.startswith(CLASS_SHARE + "/"):
        return None
    label = tag[len(CLASS_SHARE) + 1 :]
    return label or None
