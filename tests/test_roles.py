"""Tag roles and train/validation pairing across the naming conventions."""

import numpy as np
import pytest

from tb_curvecheck import reading
from tb_curvecheck.analysis.grouping import build_experiments, experiment_name
from tb_curvecheck.analysis.roles import add_scalars_key, classify, run_split
from tb_curvecheck.model import ScalarSeries
from tests import logwriters


@pytest.mark.parametrize(
    "run, tag, role, quantity, split, granularity",
    [
        # Keras
        ("exp/train", "epoch_loss", "loss", "loss", "train", "epoch"),
        ("exp/validation", "epoch_accuracy", "metric_up", "accuracy", "validation", "epoch"),
        ("exp/train", "batch_loss", "loss", "loss", "train", "batch"),
        ("exp/validation", "evaluation_accuracy_vs_iterations", "metric_up", "accuracy", "validation", "step"),
        ("exp/train", "epoch_learning_rate", "learning_rate", "learning_rate", "train", "epoch"),
        ("exp/train", "epoch_sparse_categorical_accuracy", "metric_up", "accuracy", "train", "epoch"),
        ("exp/train", "epoch_auc", "metric_up", "auc", "train", "epoch"),
        ("exp/train", "epoch_mae", "metric_down", "mae", "train", "epoch"),
        # plain tf.summary / PyTorch tags in one run
        ("run1", "loss", "loss", "loss", None, "step"),
        ("run1", "val_loss", "loss", "loss", "validation", "step"),
        ("run1", "train/loss", "loss", "loss", "train", "step"),
        ("run1", "val/acc", "metric_up", "accuracy", "validation", "step"),
        ("run1", "eval/accuracy", "metric_up", "accuracy", "validation", "step"),
        ("run1", "Loss/train", "loss", "loss", "train", "step"),
        ("run1", "Accuracy/val", "metric_up", "accuracy", "validation", "step"),
        ("run1", "Accuracy/test", "metric_up", "accuracy", "test", "step"),
        # CatBoost's own event files: its log-loss as one word, in runs named learn and test
        ("catboost_info/learn", "Logloss", "loss", "logloss", "train", "step"),
        ("catboost_info/test", "Logloss", "loss", "logloss", "test", "step"),
        ("catboost_info/test", "RMSE", "metric_down", "rmse", "test", "step"),
        # ... and its multi-class log-loss by the loss function's name
        ("catboost_info/test", "MultiClass", "loss", "multi_class", "test", "step"),
        # Lightning
        ("lightning_logs/version_0", "train_loss_epoch", "loss", "loss", "train", "epoch"),
        ("lightning_logs/version_0", "train_loss_step", "loss", "loss", "train", "step"),
        ("lightning_logs/version_0", "val_acc", "metric_up", "accuracy", "validation", "step"),
        # ... whose evaluation-loop `_step` series count evaluation batches, not training steps
        ("lightning_logs/version_0", "val_acc_step", "metric_up", "accuracy", "validation", "batch"),
        ("lightning_logs/version_0", "test_loss_step", "loss", "loss", "test", "batch"),
        ("lightning_logs/version_0", "val_loss_epoch", "loss", "loss", "validation", "epoch"),
        # Hugging Face
        ("runs/x", "eval_loss", "loss", "loss", "validation", "step"),
        ("runs/x", "eval/loss", "loss", "loss", "validation", "step"),
        ("runs/x", "train/learning_rate", "learning_rate", "learning_rate", "train", "step"),
        ("runs/x", "eval/rouge1", "metric_up", "rouge", "validation", "step"),
        ("runs/x", "eval/rougeLsum", "metric_up", "rouge", "validation", "step"),
        # Lightning's LearningRateMonitor (the optimiser's momentum is not a learning rate)
        ("lightning_logs/version_0", "lr-Adam", "learning_rate", "learning_rate", None, "step"),
        ("lightning_logs/version_0", "lr-AdamW/pg1", "learning_rate", "learning_rate", None, "step"),
        ("lightning_logs/version_0", "lr-SGD-momentum", "other", "lr_sgd_momentum", None, "step"),
        # ... but a sweep's name glued in front of a metric does not make it one
        ("train", "LR-high, opt_SGD, arch_low/train_accuracy", "metric_up", "accuracy", "train", "step"),
        # segmentation and likelihood models
        ("run1", "train/mIoU", "metric_up", "iou", "train", "step"),
        ("run1", "val/IoU", "metric_up", "iou", "validation", "step"),
        ("run1", "test/bpd", "metric_down", "bits_per_dim", "test", "step"),
        # an error named for what it measures (HiFi-GAN's mel-spectrogram error)
        ("logs", "validation/mel_spec_error", "metric_down", "mel_spec_error", "validation", "step"),
        ("logs", "train/position_rmse", "metric_down", "position_rmse", "train", "step"),
        # validation abbreviated to its letter, as a prefix (`v_loss` in a `test` run)
        ("test", "v_loss", "loss", "loss", "validation", "step"),
        ("test", "v_accuracy", "metric_up", "accuracy", "validation", "step"),
        # add_scalars extra runs (torch: `<main>_<key>`, tensorboardX: `<main>/<key>`)
        ("runs/exp/Loss_train", "Loss", "loss", "loss", "train", "step"),
        ("runs/exp/Loss/val", "Loss", "loss", "loss", "validation", "step"),
        # ... whose key names its split among other words (`add_scalars("Loss", {"test_loss": ...})`)
        ("runs/exp/Loss_test_loss", "Loss", "loss", "loss", "test", "step"),
        ("runs/exp/Accuracy_train_acc", "Accuracy", "metric_up", "accuracy", "train", "step"),
        # ... or, when the main tag names the model, its quantity too (FLTrack's
        # `add_scalars("Baseline Model", {"Training Loss": ..., "Validation Loss": ...})`)
        ("runs/x/Baseline Model_Validation Loss", "Baseline Model", "loss", "loss", "validation", "step"),
        ("runs/x/Global Model - FL_Training Loss", "Global Model - FL", "loss", "loss", "train", "step"),
        ("runs/x/Model_val_acc", "Model", "metric_up", "accuracy", "validation", "step"),
        ("runs/x/Model_train", "Model", "unknown", "model", "train", "step"),
        # ... but a run named like that holding another tag says nothing of splits
        ("runs/exp/Loss_test_loss", "Reward", "other", "reward", None, "step"),
        # correlation with the targets (STS-B, quality estimation), higher is better ...
        ("runs/x", "eval/pearson", "metric_up", "correlation", "validation", "step"),
        ("runs/x", "eval/spearmanr", "metric_up", "correlation", "validation", "step"),
        ("run1", "val_pearson_corr", "metric_up", "correlation", "validation", "step"),
        # ... but a beta-TC-VAE's total correlation is a term of its loss, not a score
        ("run1", "total_correlation", "unknown", "total_correlation", None, "step"),
        # the TF Object Detection API files its mAP under a precision heading: the mAP is the metric
        ("eval", "DetectionBoxes_Precision/mAP", "metric_up", "map", "validation", "step"),
        ("eval", "DetectionBoxes_Precision/mAP@.50IOU", "metric_up", "map", "validation", "step"),
        ("eval", "DetectionBoxes_Precision/mAP (large)", "metric_up", "map", "validation", "step"),
        ("eval", "DetectionBoxes_Recall/AR@100", "metric_up", "recall", "validation", "step"),
        # the weight-decay term and a scale-invariant loss are losses, not a loss's coefficients
        ("run1", "loss/weight_decay", "loss", "loss_weight_decay", None, "step"),
        ("run1", "train/loss/scale_invariant", "loss", "loss_scale_invariant", "train", "step"),
    ],
)
def test_naming_conventions(run, tag, role, quantity, split, granularity):
    info = classify(run, tag)
    assert (info.role, info.quantity, info.split, info.granularity) == (role, quantity, split, granularity)


@pytest.mark.parametrize(
    "tag",
    [
        "epoch",
        "global_step",
        "train/epoch",
        "eval/runtime",
        "eval/samples_per_second",
        "train/total_flos",
        "reward",
        "episode_reward",
        "rollout/ep_rew_mean",
        # a reward term named for the joint acceleration it penalises (legged_gym), not an accuracy
        "Episode/rew_dof_acc",
        "throughput",
        # running bests only climb: summaries, not measurements
        "info/best_reward",
        "Train_BestReturn",
        "best_val_acc",
        "curvecheck/class_share/0",
        # a loss's coefficient is set by the training code, not learned: a re-weighted objective's
        # term weights, mixed precision's loss scale
        "train/loss_weights/weight_1",
        "train/loss_weights/mean",
        "loss_scale",
        "optimizer/loss_scale",
        "loss_coef",
    ],
)
def test_counters_clocks_rewards_are_not_judged(tag):
    assert classify("run", tag).role == "other"


@pytest.mark.parametrize("tag", ["foo", "my_custom_thing", "z"])
def test_unknown_says_unknown(tag):
    assert classify("run", tag).role == "unknown"


def test_experiment_names():
    assert experiment_name("exp/train", ["epoch_loss"]) == "exp"
    assert experiment_name("validation", ["epoch_loss"]) == "."
    assert experiment_name("runs/exp/Loss_train", ["Loss"]) == "runs/exp"
    assert experiment_name("runs/exp/Loss/val", ["Loss"]) == "runs/exp"
    assert experiment_name("runs/exp", ["x"]) == "runs/exp"
    # A run that merely ends in a split-like word but holds other tags stays itself.
    assert experiment_name("a/loss_val", ["accuracy"]) == "a/loss_val"


def test_keras_runs_pair(keras_logdir):
    data = reading.read_logdir(keras_logdir)
    (exp,) = build_experiments(data.scalars, data.histograms)
    assert exp.name == "keras_run"
    assert set(exp.runs) == {"keras_run/train", "keras_run/validation"}
    train_acc = exp.find("accuracy", "train", granularity="epoch")[0]
    partner = exp.partner(train_acc)
    assert partner is not None and partner.run == "keras_run/validation"
    assert exp.loss_for(partner).tag == "epoch_loss" and exp.loss_for(partner).run == "keras_run/validation"
    assert exp.histograms, "histograms belong to the experiment of their run"


def test_tensorboardx_add_scalars_runs_pair(tmp_path):
    from tensorboardX import SummaryWriter

    w = SummaryWriter(str(tmp_path / "exp"))
    for i in range(5):
        w.add_scalars("Loss", {"train": 1.0 / (i + 1), "val": 1.5 / (i + 1)}, i)
        w.add_scalar("Accuracy/val", 0.5 + i / 20, i)
    w.close()
    data = reading.read_logdir(str(tmp_path))
    assert set(data.scalars) == {"exp", "exp/Loss/train", "exp/Loss/val"}
    (exp,) = build_experiments(data.scalars)
    assert exp.name == "exp"
    train_loss = exp.find("loss", "train")[0]
    assert exp.partner(train_loss).run == "exp/Loss/val"
    val_acc = exp.find("accuracy", "validation")[0]
    assert exp.loss_for(val_acc).run == "exp/Loss/val"


def test_torch_add_scalars_keys_that_name_split_and_quantity_pair(tmp_path):
    # PyTorch's `add_scalars(main, {key: ...})` writes each key to the run `<exp>/<main>_<key>`, holding
    # the tag `<main>`.  FLTrack's main tag names the model and its keys the split and the quantity.
    for key, values in (("Training Loss", [0.9, 0.5, 0.3, 0.2]), ("Validation Loss", [1.0, 0.7, 0.6, 0.65])):
        logwriters.tbx_scalars(str(tmp_path / "exp" / ("Client_1_Model_" + key)), {"Client_1_Model": values})
    (exp,) = build_experiments(reading.read_logdir(str(tmp_path)).scalars)
    assert exp.name == "exp"
    val = exp.find("loss", "validation")[0]
    assert val.run == "exp/Client_1_Model_Validation Loss"
    assert exp.partner(val).run == "exp/Client_1_Model_Training Loss"


def test_plain_tags_in_one_run_pair(tmp_path):
    logwriters.tbx_scalars(
        str(tmp_path / "r"),
        {"loss": [2, 1, 0.5], "val_loss": [2, 1.2, 0.8], "acc": [0.5, 0.7, 0.8], "val_acc": [0.5, 0.6, 0.7]},
    )
    (exp,) = build_experiments(reading.read_logdir(str(tmp_path)).scalars)
    val_acc = exp.find("accuracy", "validation")[0]
    assert val_acc.tag == "val_acc"
    # `loss` and `acc` name no split; the validation ones do.  Beside a validation series in one run,
    # the unsplit one of the same quantity is the training one in every convention read here
    # (Keras history names, NeuralProphet's `Loss`/`Loss_val`, plain PyTorch loops) ...
    assert exp.partner(val_acc).tag == "acc"
    assert exp.loss_for(val_acc).tag == "val_loss"
    # ... but the unsplit series itself is not given a validation partner by guesswork.
    assert (
        exp.partner(exp.find("accuracy")[0] if exp.find("accuracy")[0].tag == "acc" else exp.find("accuracy")[1])
        is None
    )


def test_lightning_epoch_and_step_pair():
    s = ScalarSeries.from_points([0, 1, 2], [1.0, 0.8, 0.6])
    (exp,) = build_experiments(
        {"lightning_logs/version_0": {"train_loss_epoch": s, "train_loss_step": s, "val_loss": s}}
    )
    tr = [r for r in exp.scalars if r.tag == "train_loss_epoch"][0]
    assert exp.partner(tr).tag == "val_loss"


def test_percent_accuracy_is_recognised():
    pct = ScalarSeries.from_points(range(5), [40.0, 55.0, 70.0, 80.0, 85.0])
    frac = ScalarSeries.from_points(range(5), [0.4, 0.55, 0.7, 0.8, 0.85])
    (exp,) = build_experiments({"r": {"val/acc": pct, "train/acc": frac}})
    by_tag = {r.tag: r.info for r in exp.scalars}
    assert by_tag["val/acc"].percent and not by_tag["train/acc"].percent


def test_nan_only_metric_does_not_break_grouping():
    s = ScalarSeries.from_points([0, 1], [np.nan, np.nan])
    (exp,) = build_experiments({"r": {"acc": s}})
    assert not exp.scalars[0].info.percent


def test_keras_evaluation_twin_is_judged_once(keras_logdir):
    """Keras logs validation values at epochs and again at iterations; the
    analysis judges the epoch series only, so an event is reported once."""
    data = reading.read_logdir(keras_logdir)
    val = data.scalars["keras_run/validation"]
    assert "evaluation_loss_vs_iterations" in val and "epoch_loss" in val
    (exp,) = build_experiments(data.scalars, data.histograms)
    tags = {(r.run, r.tag) for r in exp.scalars}
    assert ("keras_run/validation", "epoch_loss") in tags
    assert ("keras_run/validation", "evaluation_loss_vs_iterations") not in tags
    # A lone evaluation series (no epoch twin) is kept.
    (exp2,) = build_experiments({"v": {"evaluation_loss_vs_iterations": val["evaluation_loss_vs_iterations"]}})
    assert [r.tag for r in exp2.scalars] == ["evaluation_loss_vs_iterations"]


@pytest.mark.parametrize(
    "tag, purpose",
    [
        # Twin critics of SAC/TD3 and PPO's short names are parts of the agent's loss ...
        ("Losses/Q1 Loss", "component"),
        ("Losses/Q2 Loss", "component"),
        ("train/vf_loss", "component"),
        ("train/pg_loss", "component"),
        ("losses/qf1_loss", "component"),
        ("train/ent_coef_loss", "component"),
        # ... numbered as tianshou's TD3 numbers its critics
        ("update/loss/critic1", "component"),
        ("update/loss/critic2", "component"),
        ("loss/disc2", "component"),
        # ... a plain or a total loss is the objective.
        ("train/loss", "objective"),
        ("Loss/total_loss", "objective"),
        ("v_loss", "objective"),
        # a loss named by its function is the objective, and pairs with the plain loss
        ("val_mse_loss", "objective"),
        ("train/bce_loss", "objective"),
        # a GAN player's total is still one player's loss
        ("training/gen_loss_total", "component"),
        ("Loss/disc_total", "component"),
        # `dis` abbreviates the discriminator as `disc` does (a TF1 DCGAN's `dis_loss_fake`)
        ("dis_loss_fake", "component"),
        ("dis_loss", "component"),
    ],
)
def test_loss_purpose_from_the_tag_name(tag, purpose):
    from tb_curvecheck.analysis.roles import loss_purpose

    assert loss_purpose(tag) == purpose


def test_namespace_prefixes_do_not_make_a_loss_a_component():
    # Lightning's `hp/` metrics and Ray Tune's `ptl/` only file the tag under a heading.
    from tb_curvecheck.analysis import roles

    for tag, split in (("hp/valid_loss", "validation"), ("ptl/val_loss", "validation"), ("hp/test_loss", "test")):
        info = roles.classify(".", tag)
        assert (info.role, info.quantity, info.split) == ("loss", "loss", split)
        assert roles.loss_purpose(tag) == "objective"
    assert roles.classify(".", "ptl/val_accuracy").quantity == "accuracy"


@pytest.mark.parametrize(
    "run, tags, key",
    [
        ("runs/x/loss_KLD", ["loss"], "KLD"),  # PyTorch: `<exp>/<main>_<key>`
        ("runs/x/loss/KLD", ["loss"], "KLD"),  # tensorboardX: `<exp>/<main>/<key>`
        ("runs/x/train_performance_loss", ["train_performance"], "loss"),
        ("runs/x/Loss_train", ["Loss"], None),  # a key naming a split is add_scalars_split's
        ("runs/x/Loss/val", ["Loss"], None),
        ("runs/x/Loss_D", ["Loss", "accuracy"], None),  # a run holding more than the one tag
        ("runs/x/loss", ["loss"], None),  # a run named like its only tag has no key
        ("runs/lr_0.1", ["loss"], None),
    ],
)
def test_add_scalars_keys_that_name_no_split(run, tags, key):
    assert add_scalars_key(run, tags) == key


@pytest.mark.parametrize(
    "run, split",
    [
        ("catboost_info/learn", "train"),  # CatBoost's training metrics
        ("catboost_info/test", "test"),
        ("exp/learning_curves", None),  # a word that only starts with "learn" names no split
    ],
)
def test_a_run_named_learn_is_the_training_split(run, split):
    assert run_split(run) == split


def test_a_chart_comparing_two_splits_takes_each_keys_split():
    tag = "Training vs. Validation Loss"
    for run, split in (
        ("runs/exp/Training vs. Validation Loss_Validation", "validation"),  # PyTorch's add_scalars
        ("runs/exp/Training vs. Validation Loss_Training", "train"),
        ("runs/exp/Training vs. Validation Loss/Validation", "validation"),  # tensorboardX's
    ):
        info = classify(run, tag)
        assert (info.role, info.quantity, info.split) == ("loss", "loss", split), (run, info)
    # Two split words without a comparison between them keep the first as the split (a validation loop's
    # per-batch loss on its test dataloader).
    info = classify("lightning_logs/version_0", "val_loss_test_step")
    assert (info.split, info.granularity) == ("validation", "batch")


def test_smape_is_an_error_metric():
    # pytorch-forecasting's Temporal Fusion Transformer logs `val_SMAPE` beside MAE, RMSE and MAPE.
    info = classify("lightning_logs/version_0", "val_SMAPE")
    assert (info.role, info.quantity, info.split) == ("metric_down", "smape", "validation")


def test_yolox_coco_ap_and_a_spelled_out_nll_are_read():
    for tag, role, quantity in (
        ("val/COCOAP50", "metric_up", "map"),
        ("val/COCOAP50_95", "metric_up", "map"),
        ("Negative log likelihood", "loss", "negative_log_likelihood"),
    ):
        info = classify(".", tag)
        assert (info.role, info.quantity) == (role, quantity), (tag, info)


def test_learning_rates_per_parameter_group_are_learning_rates():
    # YOLOv5 files one learning rate per parameter group under `x` (`x/lr0`, `x/lr1`, `x/lr2`); some loops
    # log `learning_rate/group0`.  They are the context a finding's onset is read against.
    for tag in ("x/lr0", "x/lr2", "train/lr1", "learning_rate/group0", "lr/pg0"):
        assert classify(".", tag).role == "learning_rate", tag
    assert classify(".", "x/loss").role == "loss"
    assert classify(".", "lr_momentum").role == "other"
