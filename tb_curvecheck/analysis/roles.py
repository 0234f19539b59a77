"""What a scalar tag measures, told from its run and tag names alone.

The names come from the conventions people already use (SPEC.md, "Naming
conventions"): Keras (`train`/`validation` runs, `epoch_*`, `batch_*`,
`evaluation_*_vs_iterations`), plain `tf.summary` tags (`val_loss`,
`train/loss`, `Loss/train`), Lightning (`train_loss_epoch`), Hugging Face
(`eval/loss`, `train/learning_rate`), PyTorch `add_scalars` extra runs.
When a tag cannot be told, its role is "unknown": a wrong guess would make a
detector judge, say, a reward curve as if it were an accuracy.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Dict, List, Optional, Sequence, Tuple

from .. import tags
from ..detectors.environments import EPISODE_WORDS, is_episode_return
from ..model import TagInfo

SPLIT_WORDS = {
    "train": "train",
    "training": "train",
    "trn": "train",
    "val": "validation",
    "valid": "validation",
    "validation": "validation",
    "eval": "validation",
    "evaluation": "validation",
    "dev": "validation",
    "test": "test",
    "testing": "test",
}

# A run's own name may also say its split in words no tag uses for one: CatBoost writes its training
# metrics to `catboost_info/learn` beside `catboost_info/test` (its eval set), and Catalyst writes one run
# per loader, `train_log` beside `valid_log` (its `_base_log`, learning rate and timers, names no split).
RUN_SPLIT_WORDS = {**SPLIT_WORDS, "learn": "train", **{w + "_log": s for w, s in SPLIT_WORDS.items()}}

# Words that say how often a value is logged, not what it measures.
GRANULARITY_WORDS = {
    "epoch": "epoch",
    "epochs": "epoch",
    "batch": "batch",
    "step": "step",
    "steps": "step",
    "iter": "step",
    "iters": "step",
    "iteration": "step",
    "iterations": "step",
}

# Higher is better.  Values are canonical quantity names, so that `acc`,
# `accuracy` and `categorical_accuracy` of the two splits pair up.
METRIC_UP = {
    "acc": "accuracy",
    "accuracy": "accuracy",
    "binary_accuracy": "accuracy",
    "categorical_accuracy": "accuracy",
    "sparse_categorical_accuracy": "accuracy",
    "top1": "accuracy",
    "top_1": "accuracy",
    "top1_accuracy": "accuracy",
    "top5": "top5_accuracy",
    "top_5": "top5_accuracy",
    "top5_accuracy": "top5_accuracy",
    "sparse_top_k_categorical_accuracy": "top_k_accuracy",
    "top_k_categorical_accuracy": "top_k_accuracy",
    "auc": "auc",
    "roc_auc": "auc",
    "auroc": "auc",
    "pr_auc": "pr_auc",
    "auprc": "pr_auc",
    "f1": "f1",
    "f1_score": "f1",
    "fbeta": "f1",
    "fbeta_score": "f1",
    "precision": "precision",
    "recall": "recall",
    "iou": "iou",
    "miou": "iou",
    "mean_iou": "iou",
    "dice": "dice",
    "map": "map",
    "mean_average_precision": "map",
    # COCO evaluation as detectron2 and pycocotools name it (`bbox/AP`, `segm/AP50`); by object size
    # (`APs`, `APm`, `APl`) it is a partial view of AP, undefined when a size is absent.
    "ap": "map",
    "ap50": "map",
    "ap75": "map",
    "aps": "ap_by_size",
    "apm": "ap_by_size",
    "apl": "ap_by_size",
    "bleu": "bleu",
    "rouge": "rouge",
    # Hugging Face `evaluate` names (`eval/rouge1`, `eval/rougeLsum`).
    "rouge1": "rouge",
    "rouge2": "rouge",
    "rouge_l": "rouge",
    "rouge_lsum": "rouge",
    "meteor": "meteor",
    "sacrebleu": "bleu",
    "chrf": "chrf",
    "r2": "r2",
    "r2_score": "r2",
    "matthews_correlation": "mcc",
    "mcc": "mcc",
    "kappa": "kappa",
    "cohen_kappa": "kappa",
    # Correlation with the targets (GLUE's STS-B, quality estimation, regression heads), named alone:
    # in a compound `correlation` may be a loss term (a beta-TC-VAE's `total_correlation`).
    "pearson": "correlation",
    "pearsonr": "correlation",
    "pearson_r": "correlation",
    "spearman": "correlation",
    "spearmanr": "correlation",
    "spearman_r": "correlation",
    "corr": "correlation",
    "correlation": "correlation",
    "exact_match": "exact_match",
    "em": "exact_match",
    # A restored or generated image's peak signal-to-noise ratio in dB (super-resolution, denoising).
    "psnr": "psnr",
}
# Metrics whose natural range is [0, 1], so a 0-100 log is a percentage.
FRACTION_METRICS = {
    "accuracy",
    "top5_accuracy",
    "top_k_accuracy",
    "auc",
    "pr_auc",
    "f1",
    "precision",
    "recall",
    "iou",
    "dice",
    "map",
    "exact_match",
}

# Lower is better, but not the training objective.
METRIC_DOWN = {
    "mae": "mae",
    "mean_absolute_error": "mae",
    "mse": "mse",
    "mean_squared_error": "mse",
    "rmse": "rmse",
    "root_mean_squared_error": "rmse",
    "mape": "mape",
    "mean_absolute_percentage_error": "mape",
    "smape": "smape",
    "symmetric_mean_absolute_percentage_error": "smape",
    "msle": "msle",
    "mean_squared_logarithmic_error": "msle",
    "error": "error",
    "err": "error",
    "error_rate": "error",
    "top1_error": "error",
    "perplexity": "perplexity",
    "ppl": "perplexity",
    "wer": "wer",
    "cer": "cer",
    # Normalising flows and likelihood models report their negative log-likelihood in bits per dimension.
    "bpd": "bits_per_dim",
    "bits_per_dim": "bits_per_dim",
}

# Last words that make a compound name an error measure (`mel_spec_error`, `position_rmse`).
ERROR_WORDS = ("error", "err", "mae", "mse", "rmse")

# Logged beside training but not judged: counters, clocks, throughput,
# optimiser state, reinforcement-learning returns (they may fall by design),
# CurveCheck's own diagnostics.
OTHER_WORDS = {
    "epoch",
    "epochs",
    "global_step",
    "step",
    "steps",
    "runtime",
    "time",
    "duration",
    "samples_per_second",
    "steps_per_second",
    "examples_per_second",
    "examples_per_sec",
    "throughput",
    "total_flos",
    "flos",
    "memory",
    "mem",
    "gpu_memory",
    "momentum",
    "weight_decay",
    "grad_norm",
    "gradient_norm",
    "norm",
    "reward",
    "rewards",
    "return",
    "returns",
    "episode_reward",
    "episode_return",
    "episode_length",
    "ep_len",
    "ep_rew",
    "ep_rew_mean",
    "ep_len_mean",
    "fps",
    "entropy",
    "kl",
    "approx_kl",
    "clip_fraction",
    "explained_variance",
    "value_loss_coef",
    "temperature",
    "beta",
    "batch_size",
    "num_tokens",
    "tokens",
    "sec",
    "secs",
    "seconds",
    "class_share",
    "epoch_time",
}
OTHER_PREFIXES = (tags.PREFIX, "sys/", "system/", "perf/", "timing/", "time/", "rollout/")

LEARNING_RATE_WORDS = {"lr", "learning_rate", "learningrate", "learning-rate"}

_TOKEN_SPLIT = re.compile(r"[/_\-\.\s:()]+")
# `mAP50`, `AP75`: the IoU threshold glued to the metric's name is a word of its own, as is the benchmark's
# name glued in front (YOLOX logs `val/COCOAP50` and `val/COCOAP50_95`).
_AP_THRESHOLD = re.compile(r"^(coco)?(m?ap)(\d+)$")
# What an Ultralytics metric is measured on: `(B)` boxes, `(M)` masks.
TARGET_WORDS = {"b", "m", "box", "mask", "bbox", "segm"}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Acronyms whose capitals are not word starts: `mIoU` and `IoU` are one word each.
_ACRONYMS = re.compile(r"m?IoU")
# A split glued to a loss or accuracy in one lower-case word, as hand-written loops name them (`testloss`,
# `trainloss`, `valacc`): two words, so the loss is a loss of that split.
_GLUED_SPLIT = re.compile(r"^(train|training|val|valid|validation|eval|test)(loss|losses|acc|accuracy)$")
# A parameter group's index glued to the learning rate (YOLOv5's `x/lr0`): a word of its own.
_LR_GROUP = re.compile(r"^(lr)(\d+)$")
# Words glued into one token that `_tokens` splits back into theirs (an empty group adds no word).
_GLUED_WORDS = (_AP_THRESHOLD, _GLUED_SPLIT, _LR_GROUP)
# What an optimiser's state holds besides its learning rate (Lightning's `lr-Adam-momentum`).
OPTIMISER_STATE_WORDS = {"momentum", "beta", "beta1", "beta2", "betas", "weight_decay", "decay", "eps"}


def _tokens(text: str) -> List[str]:
    text = _ACRONYMS.sub(lambda m: m.group(0).lower(), text)
    text = _CAMEL.sub("_", text)
    toks = [t for t in _TOKEN_SPLIT.split(text.lower()) if t]
    # `mAP` splits as `m`, `ap` at its capital: it is one word.
    for i in range(len(toks) - 1):
        if toks[i] == "m" and toks[i + 1].startswith("ap"):
            toks[i : i + 2] = ["m" + toks[i + 1]]
            break
    out: List[str] = []
    for t in toks:
        m = next((m for m in (p.match(t) for p in _GLUED_WORDS) if m), None)
        out.extend((g for g in m.groups() if g) if m else (t,))
    return out


# Words that set two things side by side in a chart's name (`Training vs. Validation Loss`).
COMPARISON_WORDS = {"vs", "versus"}

# A first word that only files the tag under a heading: Lightning's `hp/` metrics (shown in the
# HPARAMS tab), Ray Tune's Lightning examples' `ptl/`.  `hp/valid_loss` is the validation loss.
NAMESPACE_WORDS = {"hp", "ptl"}


def _content_tokens(tag: str) -> List[str]:
    toks = _tokens(tag)
    return toks[1:] if len(toks) > 1 and toks[0] in NAMESPACE_WORDS else toks


def run_split(run: str) -> Optional[str]:
    """The split a run's own name says, from its last path component
    (`exp/validation`) or its `_<split>` suffix (PyTorch `add_scalars` runs)."""
    if run in ("", "."):
        return None
    last = run.rstrip("/").split("/")[-1]
    toks = _tokens(last)
    if not toks:
        return None
    # `validation` itself, or `Loss_train` / `acc_val`: an add_scalars extra run.
    return RUN_SPLIT_WORDS.get(last.lower()) or SPLIT_WORDS.get(toks[-1])


# Words that, right after "loss", name a number the loss is multiplied by: a term's weight in a
# re-weighted objective (`train/loss_weights/weight_1`), mixed precision's `loss_scale`.  Set or adapted
# by the training code, they move by design and say nothing about whether the model learns.
LOSS_COEFFICIENT_WORDS = {
    "weight",
    "weights",
    "scale",
    "scaler",
    "scaling",
    "coef",
    "coeff",
    "coefficient",
    "coefficients",
    "multiplier",
    "factor",
    "lambda",
}


def _loss_coefficient(tokens: List[str]) -> bool:
    """`loss_weight`, `loss_scale`, `loss_weights/mean`: a coefficient of a loss, not a loss.  (`loss/weight_decay`
    is the weight-decay term itself, `loss/scale_invariant` a scale-invariant loss.)"""
    for i, tok in enumerate(tokens[:-1]):
        if tok in ("loss", "losses") and tokens[i + 1] in LOSS_COEFFICIENT_WORDS:
            return not (i + 2 < len(tokens) and tokens[i + 2] in ("decay", "invariant"))
    return False


# What may follow `mAP` in a detector's metric name: its IoU threshold and object-size bucket.
MAP_QUALIFIER_WORDS = {"iou", "small", "medium", "large"}


def _quantity(tokens: List[str]) -> Tuple[str, str]:
    """(role, canonical quantity) from tag tokens with split/granularity removed."""
    joined = "_".join(tokens)
    if not tokens:
        return "unknown", ""
    if joined in LEARNING_RATE_WORDS or tokens[-1] in LEARNING_RATE_WORDS or joined.endswith("learning_rate"):
        return "learning_rate", "learning_rate"
    # Lightning's LearningRateMonitor: `lr-Adam`, `lr-AdamW/pg1` (the optimiser and its parameter group);
    # YOLOv5's `x/lr0`, `x/lr1` (one per parameter group, filed under `x`); `learning_rate/group0`.
    # A run name glued in front (`LR-high, opt_SGD/train_accuracy`) leaves a metric's last word.
    lead = tokens[1:] if tokens[0] == "x" and len(tokens) > 1 else tokens
    if (
        (lead[0] in LEARNING_RATE_WORDS or lead[:2] == ["learning", "rate"])
        and not set(tokens) & OPTIMISER_STATE_WORDS
        and "loss" not in tokens
        and tokens[-1] not in METRIC_UP
        and tokens[-1] not in METRIC_DOWN
    ):
        return "learning_rate", "learning_rate"
    if "best" in tokens:
        # A running best (`info/best_reward`, `Train_BestReturn`, `best_val_acc`) can only climb: it
        # summarises the run, it does not measure it at that step.
        return "other", joined
    if joined in METRIC_UP:
        return "metric_up", METRIC_UP[joined]
    if joined in METRIC_DOWN:
        return "metric_down", METRIC_DOWN[joined]
    if _loss_coefficient(tokens):
        return "other", joined
    # `Train/Losses`, `train_losses`: the plural names the same loss (a running list's mean, written once per log).
    if (
        "loss" in tokens
        or "losses" in tokens
        or joined in ("nll", "xent", "cross_entropy", "crossentropy", "objective", "cost", "negative_log_likelihood")
        # Gradient-boosting libraries name the log-loss as one word: CatBoost's `Logloss` and `MultiClass`
        # (its multi-class log-loss), XGBoost's `logloss` and `mlogloss` (multi-class).
        or joined in ("logloss", "mlogloss", "multi_class", "multiclass")
    ):
        if joined in ("loss", "losses") or all(t in ("loss", "losses") or t in LOSS_FUNCTION_WORDS for t in tokens):
            return "loss", "loss"
        # "value_loss", "kl_loss": an auxiliary loss keeps its own name.
        return "loss", joined
    if joined in OTHER_WORDS:
        return "other", joined
    # Keras names a metric `<name>_<index>` when two share a name (`accuracy_1`).
    if len(tokens) > 1 and tokens[-1].isdigit():
        role, q = _quantity(tokens[:-1])
        if role != "unknown":
            return role, q
    # Beside a reward word, `acc` is the acceleration a reward term penalises (legged_gym's
    # `Episode/rew_dof_acc`, Isaac Lab's `Episode_Reward/dof_acc_l2`), not an accuracy.
    rewarded = any(t.lstrip("0123456789") in REWARD_WORDS - {"elo", "success"} for t in tokens)
    scores = [t for t in tokens[:-1] if t in METRIC_UP and not (t == "acc" and rewarded)]
    # `test_acc_L1`, `accuracy_mse`: a score reported as a distance (an MNIST digit regressor's "accuracy"
    # as the L1 between predicted and true digit, 1.35 -> 0.68) is that distance, lower is better.
    if len(tokens) > 1 and tokens[-1] in ERROR_WORDS + ("l1", "l2") and scores:
        return "metric_down", joined
    # mAP followed only by its IoU thresholds and size bucket (`metrics/mAP_0.5:0.95`, `mAP50(B)`) is the
    # metric, whatever comes before it: the TF Object Detection API files it under a precision heading
    # (`DetectionBoxes_Precision/mAP@.50IOU`, `.../mAP (large)`).
    for i, tok in enumerate(tokens):
        if tok.rstrip("@") in ("map", "ap") and all(
            t.isdigit() or t in TARGET_WORDS or t in MAP_QUALIFIER_WORDS for t in tokens[i + 1 :]
        ):
            return "metric_up", "map"
    # `val_acc_top1` style compounds: judge by the strongest known word.
    for tok in tokens:
        if tok == "acc" and rewarded:
            continue
        if tok in METRIC_UP and tok not in ("em", "map", "corr", "correlation"):
            return "metric_up", METRIC_UP[tok]
    # `mel_spec_error`, `reconstruction_mse`: an error named for what it measures, lower is better.
    if len(tokens) > 1 and tokens[-1] in ERROR_WORDS:
        return "metric_down", joined
    for tok in tokens:
        if tok in OTHER_WORDS and tok not in ("step", "steps", "norm"):
            return "other", joined
    # A return abbreviated or with its episode window glued on (`rew`, `100rew`) is a return as much
    # as `reward` is: the same role, so the return's detectors judge it.  (A self-play rating is no
    # return: it drifts by design and keeps its own role.)
    if any(t.lstrip("0123456789") in REWARD_WORDS - {"elo"} for t in tokens):
        return "other", joined
    return "unknown", joined


@functools.lru_cache(maxsize=65536)
def classify(run: str, tag: str) -> TagInfo:
    """What `tag` of `run` measures: role, canonical quantity, split, granularity."""
    lowered = tag.lower()
    if lowered.startswith(OTHER_PREFIXES):
        return TagInfo(role="other", quantity=lowered, split=run_split(run), granularity="step")
    toks = _content_tokens(tag)
    if "_".join(toks) in OTHER_WORDS:
        return TagInfo(role="other", quantity="_".join(toks), split=run_split(run), granularity="step")
    granularity = "step"
    split: Optional[str] = None
    rest: List[str] = []
    keras_eval = len(toks) >= 4 and toks[0] == "evaluation" and toks[-2:] == ["vs", "iterations"]
    if keras_eval:
        # Keras writes `evaluation_<metric>_vs_iterations` into the validation run.
        toks = toks[1:-2]
        split = "validation"
    keyed = _compared_splits(run, tag, toks)
    if keyed is not None:
        # A chart comparing two splits (PyTorch's tutorial logs `add_scalars("Training vs. Validation
        # Loss", {"Training": ..., "Validation": ...})`): each series' split is its run's key, not the
        # tag's first split word, and what is compared is what is left.
        toks = [t for t in toks if t not in SPLIT_WORDS and t not in COMPARISON_WORDS]
        split = keyed
    for i, tok in enumerate(toks):
        if tok in SPLIT_WORDS and split is None and len(toks) > 1:
            split = SPLIT_WORDS[tok]
            continue
        if i == 0 and split is None and _validation_prefix(toks):
            split = "validation"
            continue
        if tok in GRANULARITY_WORDS and len(toks) > 1 and (i == 0 or i == len(toks) - 1):
            granularity = GRANULARITY_WORDS[tok]
            continue
        rest.append(tok)
    # Only Keras writes `batch_<metric>`: running means that reset every epoch.
    if granularity == "batch" and not (toks and toks[0] == "batch"):
        granularity = "step"
    # Lightning's `val_acc_step` / `test_loss_step` are single evaluation batches on the evaluation
    # loop's own counter (0, 1, 2 ... across its batches), not on the training steps: one batch of
    # one model per point, with no trend over training to judge.
    if granularity == "step" and split in ("validation", "test") and len(toks) > 1 and toks[-1] == "step":
        granularity = "batch"
    if not rest and toks:
        # The tag was only a counter word such as `epoch` or `step`.
        return TagInfo(role="other", quantity="_".join(toks), split=split or run_split(run), granularity="step")
    role, quantity = _quantity(rest)
    if role == "unknown" and add_scalars_split(run, tag) is not None:
        # `add_scalars("Baseline Model", {"Training Loss": ..., "Validation Loss": ...})`: the main tag
        # names the model, and each key names its split and what is measured.
        keyed = _quantity([t for t in _tokens(_add_scalars_key_text(run, tag) or "") if t not in SPLIT_WORDS])
        if keyed[0] != "unknown":
            role, quantity = keyed
    if split is None:
        split = run_split(run) or add_scalars_split(run, tag)
    return TagInfo(role=role, quantity=quantity, split=split, granularity=granularity)


def _add_scalars_key_text(run: str, tag: str) -> Optional[str]:
    """The key of a PyTorch `add_scalars` run `<main tag>_<key>` holding the tag `<main tag>`, or None
    for a run not named so."""
    last = run.rstrip("/").split("/")[-1]
    prefix = tag.replace("/", "_") + "_"
    if run in ("", ".") or not last.lower().startswith(prefix.lower()):
        return None
    return last[len(prefix) :]


def _compared_splits(run: str, tag: str, toks: List[str]) -> Optional[str]:
    """The split of `run` when `tag` names two splits set against each other (`Training vs. Validation
    Loss`) and the run, one key of that chart, names its own; None otherwise."""
    if not (set(toks) & COMPARISON_WORDS) or len({SPLIT_WORDS[t] for t in toks if t in SPLIT_WORDS}) < 2:
        return None
    return run_split(run) or add_scalars_split(run, tag)


def add_scalars_split(run: str, tag: str) -> Optional[str]:
    """The split PyTorch's `add_scalars("Loss", {"train_loss": ..., "test_loss": ...})` names in the run it
    writes each key to: `<main tag>_<key>` holding the tag `<main tag>`, the split a word of the key
    (`Loss_test_loss` -> test); None for any other run."""
    key = _add_scalars_key_text(run, tag)
    if key is None:
        return None
    splits = {SPLIT_WORDS[t] for t in _tokens(key) if t in SPLIT_WORDS}
    return splits.pop() if len(splits) == 1 else None


def add_scalars_key(run: str, tags: Sequence[str]) -> Optional[str]:
    """The key of a run `add_scalars` wrote for a key that names no split, or None.

    `add_scalars("loss", {"loss": total, "BCE": bce, "KLD": kld})` writes each key to a run of its own,
    holding the one tag `loss`: `<exp>/loss_BCE` (PyTorch) or `<exp>/loss/BCE` (tensorboardX).  Those
    runs are parts of `<exp>`, and what each holds is named by its key, not by the shared tag: a KL term
    is not the objective because it was logged under `loss`.  A run holding anything else, or whose key
    names a split (`add_scalars_split`'s case), is no such run."""
    if run in ("", ".") or len(tags) != 1:
        return None
    tag = tags[0]
    main = tag.replace("/", "_")
    last = run.rstrip("/").split("/")[-1]
    if tensorboardx_keyed(run, tag) is not None and last.lower() not in SPLIT_WORDS:
        key = last  # tensorboardX: `<exp>/<main>/<key>`
    elif last.lower().startswith(main.lower() + "_") and len(last) > len(main) + 1:
        key = last[len(main) + 1 :]  # PyTorch: `<exp>/<main>_<key>`
    else:
        return None
    if add_scalars_split(run, tag) is not None or any(t in SPLIT_WORDS for t in _tokens(key)):
        return None
    return key


def tensorboardx_keyed(run: str, tag: str) -> Optional[str]:
    """The experiment of `run` when tensorboardX's `add_scalars` wrote it for one key of the main tag
    `tag`, or None: `<exp>/<main>/<key>`, the main tag's slashes made underscores (`data_loss/train`) or,
    by tensorboardX releases before that, kept as folders (`data/loss/train` for the tag `data/loss`)."""
    parts = run.rstrip("/").split("/")
    for main in ([tag.replace("/", "_")], tag.split("/")):
        depth = len(main)
        if len(parts) > depth and [p.lower() for p in parts[-1 - depth : -1]] == [m.lower() for m in main]:
            return "/".join(parts[: -1 - depth]) or "."
    return None


def add_scalars_name(tag: str, key: str) -> str:
    """The name a keyed run's series is read by: `<main tag>/<key>`."""
    return "%s/%s" % (tag, key)


def is_total_key(name: str) -> bool:
    """Whether a keyed run's name (`loss/loss`, `Loss/total`) holds the call's total: its key says only
    "loss" or "total"."""
    main, _, key = name.rpartition("/")
    words = set(_tokens(key))
    return bool(words) and words <= LOSS_WORDS | OBJECTIVE_WORDS | set(_tokens(main))


def classify_keyed(run: str, tag: str, key: str) -> TagInfo:
    """`classify` for a series of a keyed `add_scalars` run, read by `<tag>/<key>`.  Its quantity keeps
    the key, so that the keys of one call never share a quantity (`loss/BCE` is no second `loss`)."""
    info = classify(run, add_scalars_name(tag, key))
    key_words = [t for t in _tokens(key) if t not in _tokens(tag)]
    # A key that names the quantity by itself (`avg_acc` under `data/test_metrics`) is that quantity:
    # the call grouped series of their own, not the parts of one total.
    if classify(run, key).quantity == info.quantity:
        return info
    if key_words and not set(key_words) & set(info.quantity.split("_")):
        info = dataclasses.replace(info, quantity="%s_%s" % (info.quantity, "_".join(key_words)))
    return info


# --- What a series is for among its experiment's series ------------------------

# Words that make a loss a term that may rise by design, so that its rise explains its objective's:
# regularisers and penalties, KL and entropy terms, RL surrogates, adversarial players, energies and
# vector-quantiser terms.  A part of the task's own loss (a detector head, a model's main or auxiliary
# output, a perceptual or distillation term) has no such design: its rise is the objective's rise.
BY_DESIGN_WORDS = {
    "reg",
    "regularization",
    "regularisation",
    "regularizer",
    "l1",
    "l2",
    "wd",
    "decay",
    "kl",
    "kld",
    "divergence",
    "entropy",
    "policy",
    "value",
    "baseline",
    "critic",
    "actor",
    "q",
    "qf",
    "qf1",
    "qf2",
    "q1",
    # Twin critics (SAC, TD3) and the short names of PPO's parts (`vf_loss`, `pg_loss`).
    "q2",
    "vf",
    "pg",
    # SAC's entropy-temperature loss (Stable-Baselines3 `train/ent_coef_loss`).
    "ent",
    "coef",
    "temperature",
    "alpha",
    "curiosity",
    "inverse",
    "forward",
    "disc",
    "dis",
    "discriminator",
    "d",
    "gen",
    "generator",
    "g",
    "adv",
    "adversarial",
    "domain",
    "energy",
    "cd",
    "commitment",
    "codebook",
    "vq",
    "gp",
    "penalty",
}
# Words that make a loss a term of the objective, or a loss beside it: those that may rise by design,
# and the parts of the task's own loss (detector heads: YOLO box/obj/cls/dfl, TF OD localization and
# RPN; a model's auxiliary output; perceptual, distillation and consistency terms).
COMPONENT_WORDS = BY_DESIGN_WORDS | {
    "box",
    "obj",
    "objectness",
    "cls",
    "class",
    "classification",
    "localization",
    "localisation",
    "loc",
    "bbox",
    "rpn",
    "mask",
    "aux",
    "auxiliary",
    "perceptual",
    "distill",
    "distillation",
    "teacher",
    "consistency",
    "dfl",
}


# The detector heads that place boxes. Their validation loss rising means the boxes drawn on unseen
# images got worse, unlike objectness and class terms, which drift up as scores grow confident while
# the detections hold (a YOLOv7 run's val obj_loss 0.05 -> 0.12 as mAP climbs to its best).
LOCALIZATION_WORDS = {"box", "bbox", "loc", "localization", "localisation", "giou", "ciou", "diou", "dfl"}


def locates(tag: str) -> bool:
    """A loss term named as the detector's box regression (`val/box_loss`, `loss_bbox`, `dfl_loss`)."""
    return bool(_qualifier_words(tag) & LOCALIZATION_WORDS)


def _qualifier_words(tag: str) -> set:
    """A loss tag's qualifiers, each also without a trailing number: twin critics and numbered players
    keep their part's name (`critic1`, `critic2`, `disc2`)."""
    q = _qualifiers(tag)
    return set(q) | {t.rstrip("0123456789") for t in q}


def rises_by_design(tag: str) -> bool:
    """A loss whose own name makes it a term that may rise by design (`kl_loss`, `Loss/regularization_loss`)."""
    return bool(_qualifier_words(tag) & BY_DESIGN_WORDS)


# The players of an adversarial game: their losses trade off by design, whatever else the name says.
GAN_PLAYER_WORDS = {"gen", "generator", "disc", "dis", "discriminator"}
# A loss whose name says it is the sum being minimised.
OBJECTIVE_WORDS = {"total", "overall", "full", "sum", "objective", "combined"}
# Words that only say "loss": what is left after them qualifies it.
LOSS_WORDS = {"loss", "losses", "nll", "xent", "cross", "crossentropy", "cross_entropy", "cost", "logloss", "mlogloss"}
# The loss function's own name says what is minimised, not a part of it (`val_mse_loss`, `bce_loss`).
LOSS_FUNCTION_WORDS = {"mse", "mae", "bce", "ce", "huber", "rmse"}
# A metric of a side task: a domain classifier's or a discriminator's accuracy falls by design.
AUX_METRIC_WORDS = {
    "domain",
    "disc",
    "dis",
    "discriminator",
    "adv",
    "adversarial",
    "gen",
    "generator",
    "d",
    "g",
    "teacher",
    "aux",
    "auxiliary",
}
# Metrics that trade off against each other; the composite (mAP, F1, AUC) is the task metric when logged.
PARTIAL_METRICS = {"precision", "recall", "ap_by_size"}
COMPOSITE_METRICS = {"map", "f1", "auc", "pr_auc", "iou", "dice"}
# Reinforcement-learning returns, ratings and success rates: the task metric of an RL run (higher is
# better).  `rew` as SB3's `ep_rew_mean` and hand-written loops (`rew`, `100rew`: a 100-episode mean)
# abbreviate it; a goal-reaching task (SB3's HER, robot reaching) logs `rollout/success_rate`.
REWARD_WORDS = {"reward", "rewards", "rew", "return", "returns", "ep_rew_mean", "elo", "success"}
ATTACK_WORDS = {"attack", "adv", "adversarial", "jailbreak"}
INTRINSIC_WORDS = {
    "curiosity",
    "intrinsic",
    "gail",
    # An adversarial imitation discriminator's reward (AMP's `info/disc_reward_mean`, as GAIL's): it falls as
    # the discriminator learns to tell the policy from the demonstrations, by design.
    "disc",
    "discriminator",
    "rnd",
    "estimate",
    "value",
    "baseline",
    "std",
    "min",
    "max",
    "lesson",
}


def _validation_prefix(toks: List[str]) -> bool:
    """`v_loss`, `v_accuracy`: validation abbreviated to its letter, as a prefix only."""
    return len(toks) > 1 and toks[0] == "v"


def _qualifiers(tag: str) -> List[str]:
    toks = _content_tokens(tag)
    if _validation_prefix(toks):
        toks = toks[1:]
    # `cross_entropy` and `CrossEntropyLoss` name the loss function in two words: its "entropy" is no
    # entropy term (an RL entropy bonus that may rise by design).
    toks = [t for i, t in enumerate(toks) if not (t == "entropy" and i > 0 and toks[i - 1] == "cross")]
    return [
        t
        for t in toks
        if t not in LOSS_WORDS and t not in SPLIT_WORDS and t not in GRANULARITY_WORDS and t not in LOSS_FUNCTION_WORDS
    ]


def is_reward(tag: str) -> bool:
    """True for an RL return, rating or success rate (`Environment/Cumulative Reward`,
    `rollout/ep_rew_mean`, `Self-play/ELO`, `rollout/success_rate`), not for an intrinsic reward or a
    value estimate."""
    # A count glued in front is a window, not another word (`100rew`: the mean over 100 episodes).
    toks = {t.lstrip("0123456789") for t in _tokens(tag)}
    joined = "_".join(_tokens(tag))
    if toks & INTRINSIC_WORDS or "best" in toks:
        return False  # `info/best_reward`: a running best, not the return at that step
    if toks & REWARD_WORDS == {"success"} and toks & ATTACK_WORDS:
        return False  # an adversarial attack's success rate falls as a defence works
    return bool(toks & REWARD_WORDS) or "ep_rew_mean" in joined


def loss_purpose(tag: str) -> str:
    """ "objective" or "component" from a loss tag's own name."""
    q = _qualifiers(tag)
    words = _qualifier_words(tag)
    if words & GAN_PLAYER_WORDS:
        # A GAN player's total (`gen_loss_total`) is still one side of a two-player game: it may hold
        # or climb while the generator improves.
        return "component"
    if not q or words & OBJECTIVE_WORDS:
        return "objective"
    if words & COMPONENT_WORDS or len(q) > 1 and q[-1] in ("d", "g"):
        return "component"
    return "objective"


# Words that name an aggregate over classes.
AGGREGATE_WORDS = {"macro", "micro", "weighted", "mean", "avg", "average", "overall", "all"}
# Words that name another view of the same metric, not a class it is broken down by.
VIEW_WORDS = (
    AGGREGATE_WORDS
    | {
        "top",
        "ema",
        "smoothed",
        "smooth",
        "running",
        "moving",
        "iou",
        "coco",
        "voc",
        "s",
        "m",
        "l",
        "small",
        "medium",
        "large",
    }
    | TARGET_WORDS
)
# `class3`, `cls_7`: a class named by its index.
_CLASS_INDEX = re.compile(r"(class|cls|c)\d+$")


def _words(tag: str) -> set:
    """A tag's words that can name a class: alphabetic ones, and class indices."""
    return {t for t in _content_tokens(tag) if t.isalpha() or _CLASS_INDEX.match(t)} - set(SPLIT_WORDS)


def _per_class(items, out: dict) -> List[Tuple[str, str]]:
    """Task metrics that break an aggregate logged beside them down by class (`bbox/AP-person` beside
    `bbox/AP`, `metrics/Rook_mAP` beside `metrics/mAP_0.5`): a class with a handful of evaluation
    examples swings and stalls on a coarse grid while the aggregate, which is what the task is
    judged by, moves smoothly.  Only metrics of one run, quantity, split and cadence are compared."""
    groups: dict = {}
    for r, t, i in items:
        if out.get((r, t)) == "task" and i.role in ("metric_up", "metric_down"):
            groups.setdefault((r, i.quantity, i.split, i.granularity), []).append((t, _words(t)))
    found = []
    for (r, *_), members in groups.items():
        for t, mine in members:
            # The aggregate may name itself (`Detection/Average: f1` beside `Detection/street sign: f1`):
            # its word for the aggregate is no class the others lack.
            if any((theirs - AGGREGATE_WORDS) < mine and (mine - theirs) - VIEW_WORDS for _, theirs in members):
                found.append((r, t))
        found += [(r, t) for t in _indexed_classes([t for t, _ in members])]
    return found


# A tag that ends in a number after a non-digit: `PR/mAP_13`, `AUC_2`, `reward_env0`.
_TRAILING_INDEX = re.compile(r"^(.*\D)(\d+)$")
# Classes numbered by index: at least this many tags (two could be a train/test pair or two heads).
MIN_INDEXED_CLASSES = 3


def _indexed_classes(tags_: List[str]) -> List[str]:
    """Tags of one quantity that differ only in a class index, 0 or 1 up without a gap (`PR/mAP_0` ...
    `PR/mAP_15` written by a custom writer beside YOLOv5's `Metrics/mAP_0.5`), when the group holds a tag
    outside the family too: the aggregate the task is judged by.  Indices with gaps are cut-offs of one
    metric (`AR@1`, `AR@10`, `AR@100`; `Recall_1`, `Recall_5`, `Recall_10`), not classes."""
    families: dict = {}
    for t in tags_:
        m = _TRAILING_INDEX.match(t)
        if m:
            families.setdefault(m.group(1), []).append((int(m.group(2)), t))
    out = []
    for members in families.values():
        idx = sorted(i for i, _ in members)
        if (
            len(members) >= MIN_INDEXED_CLASSES
            and len(tags_) > len(members)
            and idx[0] in (0, 1)
            and idx == list(range(idx[0], idx[0] + len(idx)))
        ):
            out += [t for _, t in members]
    return out


def _reward_terms(rewards: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """The reward terms logged beside their total under one heading (`Reward/Total` beside
    `Reward/Latency` and `Reward/BalancePenalty`; `0/Reward total` beside `0/Reward coordination`):
    a term trades off against the others by design, as a loss component does.  Another view of the
    total (`custom/total_reward` beside `custom/mean_reward`) is no term."""
    out = []
    for run, tag in rewards:
        toks = _tokens(tag)
        k = next((i for i, t in enumerate(toks) if t in OBJECTIVE_WORDS), None)
        if k is None:
            continue
        head = toks[:k]
        for other in rewards:
            if other == (run, tag) or other[0] != run or other in out:
                continue
            o = _tokens(other[1])
            rest = o[len(head) :]
            if o[: len(head)] == head and rest and rest[0] not in VIEW_WORDS and not set(rest) & OBJECTIVE_WORDS:
                out.append(other)
    return out


# Qualifiers that name who earns a reward, not a part of it: ML-Agents' `Environment/Group Cumulative
# Reward` beside `Environment/Cumulative Reward` is the group's own return, judged as one.
RECIPIENT_WORDS = {"group", "team", "agent", "agents", "player", "opponent"}


def _return_words(tag: str) -> frozenset:
    """A reward leaf name's words that say which reward it is: the reward word itself as one, without
    views (`mean`), splits, granularity and the episode (`EpRewMean` and `ep_return_mean` both -> {reward})."""
    words = set()
    for t in _tokens(tag.rsplit("/", 1)[-1]):
        t = t.lstrip("0123456789")
        if t in REWARD_WORDS:
            words.add("reward")
        elif (
            t and t not in VIEW_WORDS and t not in SPLIT_WORDS and t not in GRANULARITY_WORDS and t not in EPISODE_WORDS
        ):
            words.add(t)
    return frozenset(words)


def _qualified_returns(rewards: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """Rewards named as another reward of the same run and heading plus a qualifier: OpenAI baselines'
    `EpRewMean` beside a molecule generator's `EpRewEnvMean` and `EpRewDStepMean` (the environment's and
    the discriminator's parts of it).  The qualified ones are terms of the plain one, traded off by design
    (the discriminator's reward falls as the adversarial phase starts); the plain return says whether the
    agent learns."""
    # Each reward with its run, its heading (the tag up to its last "/") and its leaf name's words.
    named = {(run, tag): (run, tag.rpartition("/")[0], _return_words(tag)) for run, tag in rewards}
    return [
        key
        for key, (run, head, words) in named.items()
        if any((r, h) == (run, head) and w < words and not (words - w) & RECIPIENT_WORDS for r, h, w in named.values())
    ]


def _plain_returns(rewards: List[Tuple[str, str]]) -> set:
    """(run, heading) of each reward named as nothing but the return (`Train/mean_reward`,
    `rollout/ep_rew_mean`): what a run's reward terms, logged elsewhere, add up to."""
    return {(run, tag.rpartition("/")[0]) for run, tag in rewards if _return_words(tag) == {"reward"}}


# A family of rewards under one heading needs this many members to be read as terms: one qualified
# reward beside the plain return is another view of it (`eval/reward_greedy`), several named apart are
# the parts it adds up (legged_gym logs a dozen).
MIN_TERM_FAMILY = 3


def _term_family(rewards: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """Rewards filed together under one heading, each the reward word with a name of its own
    (legged_gym / rsl_rl's `Episode/rew_torques`, `Episode/rew_tracking_lin_vel`, `Episode/rew_collision`:
    each term's sum over an episode), in a run that logs its plain return elsewhere (`Train/mean_reward`):
    the parts that return adds up.  A penalty grows as episodes lengthen or a curriculum raises its
    weight, by design; the plain return says whether the agent learns."""
    plain = {run for run, _ in _plain_returns(rewards)}
    family: Dict[Tuple[str, str], List[str]] = {}
    for run, tag in rewards:
        if run not in plain or "/" not in tag:
            continue
        words = _return_words(tag)
        if "reward" in words and len(words) >= 2 and not words & RECIPIENT_WORDS:
            family.setdefault((run, tag.rsplit("/", 1)[0]), []).append(tag)
    return [(run, t) for (run, _), tags in family.items() if len(tags) >= MIN_TERM_FAMILY for t in tags]


def _headed_terms(rewards: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """Rewards filed under a reward heading whose own name is no reward (Isaac Lab's `Episode_Reward/
    dof_torques_l2`, `Episode_Reward/track_lin_vel_xy_exp`), in a run that also logs a total reward
    (skrl's `Reward / Total reward (mean)`) or a plain return elsewhere (rsl_rl's `Train/mean_reward`):
    each is one term of that total, a penalty that grows as episodes get longer or a bonus traded against
    it, as a loss component is."""
    totals = {run for run, tag in rewards if set(_tokens(tag)) & OBJECTIVE_WORDS}
    plain = _plain_returns(rewards)
    heads: Dict[Tuple[str, str], List[str]] = {}
    for run, tag in rewards:
        if "/" not in tag or set(_tokens(tag)) & OBJECTIVE_WORDS:
            continue  # (`Total_Reward/Episode` is the total itself, per episode)
        head, leaf = tag.rsplit("/", 1)
        if not set(_tokens(head)) & REWARD_WORDS or set(_tokens(leaf)) & REWARD_WORDS:
            continue
        if run in totals:
            heads.setdefault((run, head), []).append(tag)
        elif any(r == run and h != head for r, h in plain) and _return_words(leaf):
            # Beside a plain return the leaf must name a part of its own: `Reward/mean` or `rewards/iter`
            # is the return again, in another view or on another axis.
            heads.setdefault((run, head), []).append(tag)
    # A heading holds terms when it holds several: one series under it is the reward itself, renamed.  Beside
    # a plain return rather than a total, as many as a term family needs (`MIN_TERM_FAMILY`).
    return [
        (run, tag)
        for (run, _), tags in heads.items()
        if len(tags) >= (2 if run in totals else MIN_TERM_FAMILY)
        for tag in tags
    ]


def _beside_episode_return(rewards: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """Reward series a run logs beside its episode return that name something more than a view of it:
    RLlib's `custom_metrics/reward_sla_mean` beside `episode_reward_mean`, an environment's per-step
    `env/reward_total_mean` beside SB3's `rollout/ep_rew_mean`.  They are the terms the return sums or
    the reward of one step, traded off against each other by design; the return says whether the agent
    learns.  A mean over evaluation episodes (`eval/mean_reward`) is another view of the return, kept."""
    runs = {run for run, tag in rewards if is_episode_return(tag)}
    out = []
    for run, tag in rewards:
        if run not in runs or is_episode_return(tag) or "elo" in _tokens(tag):
            continue  # a self-play rating is judged below, as what says the agent learns
        rest = set(_tokens(tag)) - REWARD_WORDS - VIEW_WORDS - set(SPLIT_WORDS) - set(GRANULARITY_WORDS)
        if rest:
            out.append((run, tag))
    return out


def _episode_statistics(items, rewards: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """Metrics a run logs under the heading of its episode return (RLlib's
    `env_runners/custom_metrics/mean_accuracy_mean` beside `env_runners/episode_return_mean`): statistics
    of the same episodes, which settle or trade off as the policy converges (a deterministic policy's
    episodes score one value forever); the return is what says whether the agent learns."""
    heads = {(run, tag.rsplit("/", 1)[0] + "/") for run, tag in rewards if "/" in tag and is_episode_return(tag)}
    return [
        (r, t)
        for r, t, i in items
        if i.role in ("metric_up", "metric_down") and any(r == run and t.startswith(h) for run, h in heads)
    ]


def _sole_loss_is_objective(items) -> bool:
    """One loss quantity (on any splits), named for a part of the task's own loss (`cls`, `box`), with
    no return beside it: not a term that rises by design, an adversarial player, or an agent's surrogate."""
    losses = [(t, i) for _, t, i in items if i.role == "loss"]
    if len({i.quantity for _, i in losses}) != 1:
        return False
    if any(is_reward(t) for _, t, i in items if i.role in ("other", "unknown")):
        return False
    words = set().union(*(_qualifier_words(t) for t, _ in losses))
    return not words & (BY_DESIGN_WORDS | GAN_PLAYER_WORDS)


# Fidelity to a reference image, which a GAN trades for realism.
DISTORTION_METRICS = {"psnr"}
# A GAN's players as loss tags name them, abbreviations too (`l_d_fake`, `loss_G`, `disc_loss`).
DISCRIMINATOR_WORDS = {"d", "dis", "disc", "discriminator"}
GENERATOR_WORDS = {"g", "gen", "generator"}


def _two_players(tags) -> bool:
    """Among the loss `tags`, one named for a discriminator and one named for a generator."""
    words = [_qualifier_words(t) for t in tags]
    return any(w & DISCRIMINATOR_WORDS for w in words) and any(w & GENERATOR_WORDS for w in words)


def purposes(items) -> dict:
    """(run, tag) -> purpose for an experiment's scalars, given as (run, tag, TagInfo).

    A loss is the objective when its name says so (`loss`, `total_loss`); when the experiment has
    one, every other loss is a component of it or beside it.  Without one, losses named for a part
    (policy, value, box, KL, domain...) are components and the rest objectives, unless the losses name
    both players of a GAN: then every one is a component.  Metrics are the
    task's unless they measure a side task (a domain classifier) or are a partial one (precision,
    recall) beside a composite (mAP, F1), or break an aggregate logged beside them down by class
    (named, or numbered 0..k).
    RL returns and ratings are task metrics.
    """
    items = list(items)
    out = {}
    losses = [(r, t) for r, t, i in items if i.role == "loss"]
    named = {(r, t): loss_purpose(t) for r, t in losses}
    plain = {
        (r, t)
        for (r, t), p in named.items()
        if p == "objective" and not _qualifiers(t) or p == "objective" and set(_qualifiers(t)) & OBJECTIVE_WORDS
    }
    # Without a total, losses that name both players of a GAN are the terms of two objectives that trade
    # off, neither of them logged: every one is a component, the custom ones too (BasicSR's `l_g_pix`,
    # `l_g_gan`, `l_d_real` beside an `l_anchor_max` of the generator's own making).
    players = _two_players([t for _, t in losses])
    for key, p in named.items():
        out[key] = "component" if plain and key not in plain or players and not plain else p
    if named and "objective" not in out.values() and _sole_loss_is_objective(items):
        # A loss named for a part (`train_loss_cls`) that is the only loss logged is what is minimised:
        # there is nothing else for it to be a part of.
        for key in named:
            out[key] = "objective"
    composite = any(i.role == "metric_up" and i.quantity in COMPOSITE_METRICS for _, _, i in items)
    # Precision and recall trade off at one decision threshold (one falls as the other rises); an accuracy
    # logged beside them scores the same predictions whole, as a composite does, and answers for them.
    accuracy = any(i.role == "metric_up" and i.quantity == "accuracy" for _, _, i in items)
    answered = composite or accuracy
    for r, t, i in items:
        if i.role in ("metric_up", "metric_down"):
            toks = set(_tokens(t))
            if toks & AUX_METRIC_WORDS:
                out[(r, t)] = "auxiliary"
            elif players and i.quantity in DISTORTION_METRICS:
                # A GAN gives up fidelity for realism by design (the perception-distortion trade-off): an
                # ESRGAN's validation PSNR falls below the PSNR-trained model it starts from.
                out[(r, t)] = "auxiliary"
            elif answered and i.quantity in PARTIAL_METRICS:
                out[(r, t)] = "auxiliary"
            else:
                out[(r, t)] = "task"
        elif i.role in ("other", "unknown") and is_reward(t):
            out[(r, t)] = "task"
    for key in _per_class(items, out):
        out[key] = "auxiliary"
    rewards = [k for k, p in out.items() if p == "task" and is_reward(k[1])]
    # Terms filed under a reward heading go first: named "episode reward", they would otherwise stand for
    # the episode return that the total logged beside them is.
    headed = _headed_terms(rewards)
    rewards = [k for k in rewards if k not in headed]
    terms = (
        _reward_terms(rewards)
        + _beside_episode_return(rewards)
        + _qualified_returns(rewards)
        + headed
        + _term_family(rewards)
    )
    for key in terms + _episode_statistics(items, rewards):
        out[key] = "auxiliary"
    # Self-play: rewards are earned against a moving copy of the agent (zero-sum, they drift by
    # design); the rating is what says whether it learns.
    ratings = [k for k in out if out[k] == "task" and "elo" in _tokens(k[1])]
    if ratings:
        for k in out:
            if out[k] == "task" and k not in ratings and is_reward(k[1]):
                out[k] = "auxiliary"
    return out
