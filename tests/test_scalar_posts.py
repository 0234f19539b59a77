"""The numbers printed in posts 002, 003 and 004, replayed as series: each yields
its kinds at the right steps, with the post's story in the words."""

import math

import pytest

from benchmarks.corpus_scalar_posts import (
    ACC_T,
    ACC_V,
    BACC,
    BLOSS,
    LOSS_T,
    LOSS_V,
    POST_002,
    POST_003,
    POST_004,
    post002_batch_steps,
)
from tb_curvecheck.analysis import corroborate  # noqa: E402
from tb_curvecheck.detectors.registry import detect_scalars  # noqa: E402
from tb_curvecheck.model import Experiment, ScalarSeries, SeriesRef  # noqa: E402


def ref(run, tag, info, values, steps=None):
    steps = list(range(len(values))) if steps is None else steps
    return SeriesRef(run, tag, info, ScalarSeries.from_points(steps, values))


def epoch_experiment(data):
    return Experiment(
        "post",
        ("train", "validation"),
        [
            ref("train", "epoch_loss", LOSS_T, data["loss"]),
            ref("train", "epoch_accuracy", ACC_T, data["acc"]),
            ref("validation", "epoch_loss", LOSS_V, data["val_loss"]),
            ref("validation", "epoch_accuracy", ACC_V, data["val_acc"]),
        ],
    )


def only(findings, kind, run=None, tag=None):
    return [f for f in findings if f.kind == kind and (run is None or f.run == run) and (tag is None or f.tag == tag)]


def test_post002_batch_running_means_show_the_clipped_probability_signature():
    tail, e7 = post002_batch_steps()
    exp = Experiment(
        "p2",
        ("train",),
        [
            ref("train", "batch_loss", BLOSS, POST_002["epoch6_tail_loss"] + POST_002["epoch7_loss"], tail + e7),
            ref("train", "batch_accuracy", BACC, POST_002["epoch6_tail_acc"] + POST_002["epoch7_acc"], tail + e7),
        ],
    )
    found = detect_scalars(exp)
    sat = only(found, "saturated_loss", tag="batch_loss")
    assert len(sat) == 1
    f = sat[0]
    # The first update of epoch 7 already reads 1.1921e-07; the last of epoch 6 is healthy.
    assert f.start_step == e7[0]
    assert f.evidence["last_healthy_step"] == tail[-1]
    assert f.severity == "error"  # accuracy fell 0.975 -> 0.598 under it
    assert "16.118" in f.title and "0.598" in f.title
    assert "1.1921e-07" in f.explanation and "-log(1 - 1e-7)" in f.explanation
    # Batch running means get no level judgements: the climb within the epoch is not a finding.
    assert not [g for g in found if g.kind in ("loss_divergence", "metric_collapse", "no_progress")]


def test_post002_epoch_values_collapse_diverge_and_saturate_at_epoch_7():
    exp = Experiment(
        "p2",
        ("train",),
        [
            ref("train", "epoch_loss", LOSS_T, [POST_002["epoch6_tail_loss"][-1], POST_002["epoch7_loss"][-1]], [5, 6]),
            ref(
                "train", "epoch_accuracy", ACC_T, [POST_002["epoch6_tail_acc"][-1], POST_002["epoch7_acc"][-1]], [5, 6]
            ),
        ],
    )
    found = detect_scalars(exp)
    for kind, tag in (
        ("saturated_loss", "epoch_loss"),
        ("loss_divergence", "epoch_loss"),
        ("metric_collapse", "epoch_accuracy"),
    ):
        hits = only(found, kind, tag=tag)
        assert len(hits) == 1, kind
        assert hits[0].start_step == 6 and hits[0].severity == "error"
    collapse = only(found, "metric_collapse")[0]
    assert "0.9752 → 0.598" in collapse.title
    assert "step 5" in collapse.explanation  # the checkpoint to restore
    # One story, not three rows: the saturation explains the fall and the climb.
    merged = corroborate.merge(found)
    assert len(merged) == 1
    story = merged[0]
    assert story.kind == "saturated_loss"
    assert {c["kind"] for c in story.evidence["corroborating"]} == {"loss_divergence", "metric_collapse"}
    assert {"run": "train", "tag": "epoch_accuracy"} in story.related


def test_post003_dip_at_epoch_8_recovers_and_both_losses_are_a_cross_entropy_on_softmax_outputs():
    found = detect_scalars(epoch_experiment(POST_003))
    dip = only(found, "transient_dip", "validation", "epoch_accuracy")
    assert len(dip) == 1 and dip[0].start_step == 7 and dip[0].severity == "info"
    assert "0.8737 → 0.6055" in dip[0].title and "0.9023" in dip[0].title
    # Every printed loss is ln(1 + 8/e) = 1.3720 plus the error share, within 1 % on the training side
    # (10 epochs, accuracy 0.81 -> 0.97) and on the validation side: a 9-class cross-entropy applied
    # to softmax outputs, where each confident flip costs exactly one nat.  The epoch-8 dip's 0.263
    # nats for 0.268 of the samples flipping is that arithmetic, not predictions near the threshold,
    # so low_margin stays silent.
    for run in ("train", "validation"):
        sat = only(found, "saturated_loss", run, "epoch_loss")
        assert len(sat) == 1 and sat[0].severity == "warning", run
        assert sat[0].evidence["how"] == "double_softmax" and sat[0].evidence["classes"] == 9
        assert sat[0].evidence["floor"] == pytest.approx(math.log(1 + 8 / math.e))
        assert "one nat" in sat[0].explanation
    assert not only(found, "low_margin")
    assert {f.kind for f in found if f.severity in ("error", "warning")} == {"saturated_loss"}
    merged = corroborate.merge(found)
    assert sorted(f.kind for f in merged) == ["saturated_loss", "transient_dip"]


def test_post004_alternation_of_both_validation_curves_from_the_first_epochs():
    found = detect_scalars(epoch_experiment(POST_004))
    acc = only(found, "oscillation", "validation", "epoch_accuracy")
    loss = only(found, "oscillation", "validation", "epoch_loss")
    assert len(acc) == 1 and len(loss) == 1
    assert acc[0].start_step <= 2 and acc[0].end_step >= 36
    assert acc[0].severity == "warning"
    assert "validation_steps" in acc[0].explanation and "shuffle=False" in acc[0].explanation
    # The training curves are smooth: the evaluation, not the model, swings.
    assert acc[0].evidence["partner_calm"] is True
    assert not only(found, "oscillation", "train")
    assert not [f for f in found if f.kind in ("metric_collapse", "overfitting", "no_progress", "loss_divergence")]
    merged = corroborate.merge(found)
    assert len([f for f in merged if f.severity == "warning"]) == 1
