"""What a histogram (or per-layer gradient-norm scalar) tag shows, from its name.

Writers name histograms after the tensor they show:

- Keras `TensorBoard(histogram_freq=1)`: `<weight path>/histogram`, e.g.
  `sequential/dense_1/kernel/histogram`, `conv2d/bias/histogram`,
  `batch_normalization/moving_variance/histogram`; older tf.keras appended
  `_0` (`dense_1/kernel_0`).
- PyTorch / tensorboardX loops: `fc1.weight`, `layer1.0.bn1.running_var`,
  `fc1.weight.grad`, `grad/fc1.weight`, `gradients/fc1`, `activations/relu1`,
  `outputs`, `predictions`, `probs`, `logits`.
- CurveCheck's Keras callback (tags defined in `tb_curvecheck.tags`):
  `curvecheck/activations/<layer>`, `curvecheck/outputs`,
  `curvecheck/outputs/class_<i>` (histograms) and `curvecheck/gradient_norm/<layer>`
  (scalars); the generic rules below read them like any writer's.

A tag whose name tells nothing gets role "unknown", and detectors leave it alone.
"""

from __future__ import annotations

import re
from typing import Optional, Tuple

from ..model import LAYER_ROLES, LayerRole
from .roles import SPLIT_WORDS

# kernel: trainable weights that multiply (kernel, weight, embeddings, recurrent kernels);
# bias: trainable additive weights, including normalisation shifts/scales;
# norm_stat: running statistics of normalisation layers (not trained, change by design);
# activations: a layer's outputs on some inputs; outputs: the model's predictions
# (probabilities or logits); gradients: gradients of the loss with respect to weights or
# activations; gradient_norm: a per-layer gradient norm logged as a scalar.
HISTOGRAM_ROLES: Tuple[str, ...] = LAYER_ROLES

_SPLIT = re.compile(r"[/.:]+")

_GRAD = {
    "grad",
    "grads",
    "gradient",
    "gradients",
    "gradient_norm",
    "grad_norm",
    "gradnorm",
    "gradient_norms",
    "grad_norms",
}
_NORM_SCALAR = {"gradient_norm", "grad_norm", "gradnorm", "gradient_norms", "grad_norms", "norm"}
_KERNEL = {
    "kernel",
    "weight",
    "weights",
    "w",
    "recurrent_kernel",
    "depthwise_kernel",
    "pointwise_kernel",
    "embeddings",
    "embedding",
    "in_proj_weight",
    "filters",
}
_KERNEL_PREFIX = ("weight_ih", "weight_hh", "kernel_", "weight_")
_BIAS = {"bias", "biases", "b", "gamma", "beta", "scale", "offset", "in_proj_bias"}
_BIAS_PREFIX = ("bias_ih", "bias_hh", "bias_")
_NORM_STAT = {
    "moving_mean",
    "moving_variance",
    "running_mean",
    "running_var",
    "num_batches_tracked",
    "moving_var",
    "moving_std",
}
_ACT = {
    "activation",
    "activations",
    "act",
    "acts",
    "relu",
    "hidden",
    "features",
    "feature_maps",
    "layer_output",
    "layer_outputs",
    "intermediate",
}
_OUT = {
    "output",
    "outputs",
    "prediction",
    "predictions",
    "pred",
    "preds",
    "probs",
    "probabilities",
    "proba",
    "logits",
    "y_pred",
    "yhat",
    "y_hat",
    "scores",
    "softmax",
    "sigmoid",
}
# Writer-added suffixes and prefixes that say nothing about the tensor.
_NOISE = {
    "histogram",
    "histograms",
    "hist",
    "histo",
    "summary",
    "curvecheck",
    "values",
    "value",
    "param",
    "params",
    "parameters",
    "var",
    "variable",
    "variables",
}


# The dataclass lives in the model so that detectors can read it without
# importing the analysis.
HistogramRole = LayerRole


def _strip_suffix(token: str) -> str:
    # tf.keras 2 wrote `kernel_0`, `kernel:0` (`:` already split off): same tensor.
    return re.sub(r"_\d+$", "", token) if re.search(r"[a-z]_\d+$", token) else token


def _param_role(token: str) -> Optional[str]:
    t = _strip_suffix(token)
    if t in _NORM_STAT:
        return "norm_stat"
    if t in _KERNEL or token.startswith(_KERNEL_PREFIX) or t.endswith("_kernel"):
        return "kernel"
    if t in _BIAS or token.startswith(_BIAS_PREFIX):
        return "bias"
    return None


def classify(run: str, tag: str, scalar: bool = False) -> HistogramRole:
    """The role of one tag.  `scalar=True` for scalar tags: only per-layer
    gradient norms are recognised there; everything else is "unknown"."""
    raw = [t for t in _SPLIT.split(tag.strip().lower()) if t]
    tokens = [t for t in raw if t not in _NOISE]
    while tokens and tokens[-1].isdigit():
        # TF1 variable names end in `:0`; an index there names no tensor.
        tokens.pop()
    if not tokens:
        return HistogramRole("unknown")
    grad_at = [
        i
        for i, t in enumerate(tokens)
        if t in _GRAD or t.endswith("_grad") or t.endswith("_gradient") or t.startswith("grad_")
    ]
    if scalar:
        norm = any(t in _NORM_SCALAR for t in tokens) and bool(grad_at)
        if not norm:
            return HistogramRole("unknown")
        # `train/grad_norm` (Hugging Face, Lightning) is the whole model's norm: a split is no layer.
        rest = [t for i, t in enumerate(tokens) if i not in grad_at and t != "norm" and t not in SPLIT_WORDS]
        return HistogramRole("gradient_norm", "/".join(rest) or None)
    if grad_at:
        rest = [t for i, t in enumerate(tokens) if i not in grad_at]
        param = None
        if rest and _param_role(rest[-1]) is not None:
            # `fc1.weight.grad`, `gradients/dense/kernel`: the layer is what owns the weight.
            param = _strip_suffix(rest.pop())
        return HistogramRole("gradients", "/".join(rest) or None, param)
    # The parameter name is the last meaningful component in every convention.
    role = _param_role(tokens[-1])
    if role is not None:
        return HistogramRole(role, "/".join(tokens[:-1]) or None, _strip_suffix(tokens[-1]))
    for i, t in enumerate(tokens):
        if t in _ACT or t.startswith("activation"):
            rest = tokens[i + 1 :] or tokens[:i]
            return HistogramRole("activations", "/".join(rest) or None)
    suffixed = re.match(r"^(.+?)_activations?$", tokens[-1])
    if suffixed:
        # tf.contrib.learn's canned estimators: `dnn/hiddenlayer_0_activation` (the later ones write
        # `dnn/hiddenlayer_0/activation`).
        return HistogramRole("activations", "/".join(tokens[:-1] + [suffixed.group(1)]))
    for i, t in enumerate(tokens):
        if t in _OUT:
            rest = tokens[i + 1 :] or tokens[:i]
            return HistogramRole("outputs", "/".join(rest) or None)
    if re.match(r"^relu\d*$", tokens[-1]):
        # PyTorch modules named relu1, relu2, hooked for their outputs.
        return HistogramRole("activations", "/".join(tokens))
    return HistogramRole("unknown", "/".join(tokens))
