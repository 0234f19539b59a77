"""Behaviour of each scalar detector on curves built from numbers: the pathology
is found at its step, and the healthy look-alikes of point 5 stay quiet."""

import math
import time
import warnings

import numpy as np
import pytest

from tb_curvecheck.detectors import stats
from tb_curvecheck.detectors.registry import detect_scalars
from tb_curvecheck.model import Experiment, ScalarSeries, SeriesRef, TagInfo

LT = TagInfo("loss", "loss", "train", "epoch")
LV = TagInfo("loss", "loss", "validation", "epoch")
AT = TagInfo("metric_up", "accuracy", "train", "epoch")
AV = TagInfo("metric_up", "accuracy", "validation", "epoch")


def ref(run, tag, info, values, steps=None):
    values = list(values)
    steps = list(range(len(values))) if steps is None else list(steps)
    return SeriesRef(run, tag, info, ScalarSeries.from_points(steps, values))


def keras(train_loss=None, train_acc=None, val_loss=None, val_acc=None, extra=()):
    refs = []
    for run, tag, info, v in (
        ("train", "epoch_loss", LT, train_loss),
        ("train", "epoch_accuracy", AT, train_acc),
        ("validation", "epoch_loss", LV, val_loss),
        ("validation", "epoch_accuracy", AV, val_acc),
    ):
        if v is not None:
            refs.append(ref(run, tag, info, v))
    refs.extend(extra)
    return Experiment("e", ("train", "validation"), refs)


def loud(found):
    return [f for f in found if f.severity in ("error", "warning")]


def kinds(found):
    return sorted({f.kind for f in found})


def healthy_curves(n, seed=0, noise=0.01, n_val=2000):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    shape = np.exp(-t / (0.2 * n))
    tl = (0.15 + 1.0 * shape) * np.exp(rng.normal(0, noise, n))
    vl = (0.2 + 1.0 * shape) * np.exp(rng.normal(0, 2 * noise, n))
    ta = rng.binomial(20000, 0.92 - 0.5 * shape) / 20000
    va = rng.binomial(n_val, 0.9 - 0.5 * shape) / n_val
    return tl, ta, vl, va


# --- healthy training stays quiet -------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("n", [5, 30, 200])
def test_converging_runs_with_minibatch_noise_are_quiet(seed, n):
    found = detect_scalars(keras(*healthy_curves(n, seed, noise=0.03, n_val=500)))
    assert loud(found) == []


def test_a_sharp_improvement_after_a_learning_rate_decay_is_not_a_finding():
    tl, ta, vl, va = healthy_curves(40, 1)
    tl[20:] *= 0.4
    vl[20:] *= 0.5
    ta[20:] = np.minimum(ta[20:] + 0.06, 1)
    va[20:] = np.minimum(va[20:] + 0.05, 1)
    lr = ref(
        "train",
        "epoch_learning_rate",
        TagInfo("learning_rate", "learning_rate", "train", "epoch"),
        [1e-2] * 20 + [1e-3] * 20,
    )
    assert loud(detect_scalars(keras(tl, ta, vl, va, extra=[lr]))) == []


def test_validation_accuracy_above_training_accuracy_and_negative_losses_are_fine():
    tl, ta, vl, va = healthy_curves(30, 2)
    # Dropout: validation better than training; a log-likelihood loss: negative by design.
    found = detect_scalars(keras(tl - 3.0, ta - 0.08, vl - 3.1, va))
    assert loud(found) == []


def test_accuracy_on_a_0_100_scale_is_judged_as_a_fraction():
    tl, ta, vl, va = healthy_curves(30, 3)
    pct = TagInfo("metric_up", "accuracy", "validation", "epoch", percent=True)
    exp = Experiment(
        "e",
        ("train", "validation"),
        [
            ref("train", "epoch_loss", LT, tl),
            ref("validation", "epoch_loss", LV, vl),
            ref("validation", "epoch_accuracy", pct, va * 100),
        ],
    )
    assert loud(detect_scalars(exp)) == []
    # ... and a real collapse on that scale is still found, in the user's unit.
    va2 = va.copy() * 100
    va2[20:] = 54.67
    exp.scalars[2] = ref("validation", "epoch_accuracy", pct, va2)
    collapse = [f for f in detect_scalars(exp) if f.kind == "metric_collapse"]
    assert len(collapse) == 1 and collapse[0].start_step == 20 and "54.67" in collapse[0].title


def test_keras_batch_running_means_that_reset_each_epoch_are_not_findings():
    rng = np.random.default_rng(4)
    steps, bl, ba = [], [], []
    for e in range(8):
        raw = (0.2 + np.exp(-(e + np.arange(100) / 100) / 2)) * np.exp(rng.normal(0, 0.3, 100))
        acc = np.clip(0.9 - 0.4 * np.exp(-e / 2) + rng.normal(0, 0.05, 100), 0, 1)
        bl += list(np.cumsum(raw) / np.arange(1, 101))
        ba += list(np.cumsum(acc) / np.arange(1, 101))
        steps += list(e * 100 + np.arange(1, 101))
    exp = Experiment(
        "e",
        ("train",),
        [
            ref("train", "batch_loss", TagInfo("loss", "loss", "train", "batch"), bl, steps),
            ref("train", "batch_accuracy", TagInfo("metric_up", "accuracy", "train", "batch"), ba, steps),
        ],
    )
    assert detect_scalars(exp) == []


def test_learning_rate_epoch_counter_throughput_and_reward_tags_are_left_alone():
    rng = np.random.default_rng(5)
    n = 500
    reward = 100 * (1 - np.exp(-np.arange(n) / 100)) + rng.normal(0, 20, n)
    reward[300:320] = -50  # an RL policy collapse that recovers: not a training-curve verdict
    other = [
        ref(".", "episode_reward", TagInfo("other", "episode_reward"), reward),
        ref(".", "learning_rate", TagInfo("learning_rate", "learning_rate"), [0.1] * 250 + [1e-4] * 250),
        ref(".", "epoch", TagInfo("other", "epoch"), np.arange(n) // 50),
        ref(".", "examples_per_sec", TagInfo("other", "examples_per_sec"), 1000 + rng.normal(0, 300, n)),
    ]
    assert detect_scalars(Experiment("e", (".",), other)) == []


@pytest.mark.parametrize("n", [1, 2, 3])
def test_very_short_runs_say_nothing_loud(n):
    tl, ta, vl, va = healthy_curves(n, 6)
    assert loud(detect_scalars(keras(tl, ta, vl, va))) == []


def test_a_very_long_noisy_run_is_quiet_and_fast_enough_to_report():
    rng = np.random.default_rng(7)
    n = 300_000
    t = np.arange(n)
    loss = (0.1 + 2 * np.exp(-t / 30000)) * np.exp(rng.normal(0, 0.25, n))
    exp = Experiment("e", (".",), [ref(".", "train/loss", TagInfo("loss", "loss", "train", "step"), loss)])
    t0 = time.time()
    found = detect_scalars(exp)
    print("300k-step loss analysed in %.2f s" % (time.time() - t0))  # reported, not asserted
    assert loud(found) == []


# --- each pathology, at its step ----------------------------------------------------------


def test_non_finite_names_the_first_bad_step_and_the_last_healthy_one():
    tl, ta, vl, va = healthy_curves(20, 8)
    tl[12:] = np.nan
    found = [f for f in detect_scalars(keras(tl, ta, vl, va)) if f.kind == "non_finite"]
    assert len(found) == 1
    assert found[0].start_step == 12 and found[0].evidence["last_healthy_step"] == 11
    assert "restore the checkpoint from step 11" in found[0].explanation


def test_a_fall_that_recovers_is_a_dip_and_one_that_stays_is_a_collapse():
    tl, ta, vl, va = healthy_curves(30, 9)
    dip, vdip = va.copy(), vl.copy()
    dip[15:17] -= 0.3
    vdip[15:17] += 0.3 * 2.5  # confident mistakes: the loss follows the accuracy
    found = detect_scalars(keras(tl, ta, vdip, dip))
    assert [(f.kind, f.severity, f.start_step) for f in found] == [("transient_dip", "info", 15)]
    flat = va.copy()
    flat[15:] = 0.5467
    found = [f for f in detect_scalars(keras(tl, ta, vl, flat)) if f.tag == "epoch_accuracy"]
    collapse = [f for f in found if f.kind == "metric_collapse"]
    assert len(collapse) == 1 and collapse[0].severity == "error" and collapse[0].start_step == 15
    assert collapse[0].evidence["last_healthy_step"] == 14
    assert "majority" in collapse[0].explanation or "most frequent class" in collapse[0].explanation
    assert "0.5467" in collapse[0].explanation
    # Pinned after the fall: also stuck, below its best.
    assert [f.start_step for f in found if f.kind == "stuck_metric"] == [15]


def test_stuck_at_the_class_share_while_the_loss_moves():
    n = 60
    loss = 0.9 + 0.3 * np.exp(-np.arange(n) / 10)
    found = detect_scalars(keras(loss, [0.7428] * n, loss + 0.02, [0.7425] * n))
    stuck = [f for f in found if f.kind == "stuck_metric"]
    assert {(f.run, f.start_step) for f in stuck} == {("train", 0), ("validation", 0)}
    f = [f for f in stuck if f.run == "train"][0]
    assert f.severity == "warning" and "still moves" in f.title and "0.7428" in f.title
    assert f.evidence["loss_moves"] is True and f.evidence["partner_stuck"] is True
    assert {"run": "train", "tag": "epoch_loss"} in f.related


def test_a_metric_converged_at_its_best_or_at_one_is_not_stuck():
    n = 40
    acc = np.concatenate([np.linspace(0.5, 0.95, 10), [0.95] * 30])
    assert [f for f in detect_scalars(keras(None, acc)) if f.kind == "stuck_metric"] == []
    acc1 = np.concatenate([np.linspace(0.5, 1.0, 10), [1.0] * 30])
    assert [f for f in detect_scalars(keras(None, acc1)) if f.kind == "stuck_metric"] == []
    assert n == len(acc1)


@pytest.mark.parametrize("cost", [-math.log(1e-7), 100.0])
def test_saturated_loss_follows_one_minus_accuracy_times_the_clip_cost(cost):
    rng = np.random.default_rng(10)
    tl, ta, _, _ = healthy_curves(20, 10)
    ta[10:] = np.round(0.6 + rng.normal(0, 0.04, 10), 4)
    tl[10:] = (1 - ta[10:]) * cost
    sat = [f for f in detect_scalars(keras(tl, ta)) if f.kind == "saturated_loss"]
    assert len(sat) == 1 and sat[0].start_step == 10 and sat[0].severity == "error"
    assert sat[0].evidence["clip_cost"] == pytest.approx(cost)


def test_loss_pinned_at_float32_epsilon_is_saturation():
    tl = [0.5, 0.3, 0.2, 1.1920929e-07, 1.1920929e-07, 1.1920929e-07]
    sat = [f for f in detect_scalars(keras(tl, [0.8, 0.9, 0.95, 1.0, 1.0, 1.0])) if f.kind == "saturated_loss"]
    assert len(sat) == 1 and sat[0].start_step == 3


def test_divergence_names_the_best_step_and_skips_a_validation_loss_that_is_overfitting():
    tl, ta, vl, va = healthy_curves(40, 11)
    bad = tl.copy()
    bad[25:] = tl[24] * np.minimum(1.8 ** np.arange(1, 16), 40)
    div = [f for f in detect_scalars(keras(bad, ta, vl, va)) if f.kind == "loss_divergence"]
    assert len(div) == 1 and div[0].tag == "epoch_loss" and div[0].run == "train"
    assert div[0].start_step == 25 and div[0].evidence["last_healthy_step"] == 24


def test_overfitting_needs_validation_up_and_training_down():
    tl, ta, vl, va = healthy_curves(50, 12)
    vo = vl.copy()
    vo[20:] = vl[20] + np.linspace(0, 0.6, 30)
    found = detect_scalars(keras(tl, ta, vo, va))
    ovf = [f for f in found if f.kind == "overfitting"]
    assert len(ovf) == 1 and ovf[0].run == "validation" and ovf[0].severity == "warning"
    assert 18 <= ovf[0].evidence["best_step"] <= 22
    assert {"run": "train", "tag": "epoch_loss"} in ovf[0].related
    assert "restore" in ovf[0].explanation
    # Both rising is not overfitting.
    tup = tl.copy()
    tup[20:] = tl[20] + np.linspace(0, 3, 30)
    assert [f for f in detect_scalars(keras(tup, ta, vo, va)) if f.kind == "overfitting"] == []


def test_no_progress_on_a_flat_loss_but_not_on_a_learning_one():
    rng = np.random.default_rng(13)
    flat = 0.693 * np.exp(rng.normal(0, 0.02, 50))
    found = [f for f in detect_scalars(keras(flat)) if f.kind == "no_progress"]
    assert len(found) == 1 and found[0].severity == "warning"
    tl, _, _, _ = healthy_curves(50, 13)
    assert [f for f in detect_scalars(keras(tl)) if f.kind == "no_progress"] == []


def test_oscillation_needs_a_sustained_alternation_well_above_noise():
    tl, ta, vl, va = healthy_curves(40, 14)
    osc = va.copy()
    osc[4:] -= 0.15 * (np.arange(36) % 2)
    found = [f for f in detect_scalars(keras(tl, ta, vl, osc)) if f.kind == "oscillation"]
    assert len(found) == 1 and found[0].start_step <= 5
    # White noise alternates two times in three; it is never an oscillation here.
    rng = np.random.default_rng(15)
    for _ in range(20):
        noisy = 0.8 + rng.normal(0, 0.03, 100)
        assert [f for f in detect_scalars(keras(None, None, None, noisy)) if f.kind == "oscillation"] == []


def test_low_margin_only_when_the_loss_barely_follows_the_accuracy():
    tl, ta, vl, va = healthy_curves(30, 16)
    va2, vl_small, vl_big = va.copy(), vl.copy(), vl.copy()
    va2[20] -= 0.25
    vl_small[20] += 0.25 * 0.4
    vl_big[20] += 0.25 * 3.0
    small = [f for f in detect_scalars(keras(tl, ta, vl_small, va2)) if f.kind == "low_margin"]
    assert len(small) == 1 and small[0].start_step == 20 and small[0].severity == "info"
    assert [f for f in detect_scalars(keras(tl, ta, vl_big, va2)) if f.kind == "low_margin"] == []


def test_non_finite_values_inside_a_curve_do_not_break_the_other_detectors():
    tl, ta, vl, va = healthy_curves(30, 17)
    tl[[5, 9]] = [np.nan, np.inf]
    va[7] = np.nan
    found = detect_scalars(keras(tl, ta, vl, va))
    assert {f.kind for f in found} == {"non_finite"}
    assert {f.tag for f in found if f.kind == "non_finite"} == {"epoch_loss", "epoch_accuracy"}
    empty = Experiment("e", (".",), [ref(".", "loss", LT, [np.nan] * 5), ref(".", "acc", AT, [])])
    assert kinds(detect_scalars(empty)) == ["non_finite"]


def test_a_collapse_that_settles_on_a_pinned_value_names_that_value():
    # Post 000's shape: ~0.9, one bad step to 0.5277, then exactly 0.5467 for good.
    acc = list(np.linspace(0.6, 0.9, 10)) + [0.5277, 0.5401] + [0.5467] * 12
    collapse = [f for f in detect_scalars(keras(None, acc)) if f.kind == "metric_collapse"]
    assert len(collapse) == 1 and collapse[0].start_step == 10
    assert collapse[0].evidence["pinned_value"] == pytest.approx(0.5467)
    assert "From step 12 on it holds exactly 0.5467" in collapse[0].explanation


def test_a_metric_that_settles_with_its_loss_after_a_learning_rate_decays_to_nothing_is_not_stuck():
    acc = [0.77, 0.8333, 0.8433] + [0.85] * 7
    loss = [0.5669, 0.4515, 0.4407, 0.4298, 0.4287, 0.4277, 0.4276, 0.4275, 0.4275, 0.4275]
    assert [f for f in detect_scalars(keras(None, None, loss, acc)) if f.kind == "stuck_metric"] == []
    # The same accuracy while the loss keeps moving by percents: the model learns the prior.
    moving = list(np.linspace(0.57, 0.45, 10))
    stuck = [f for f in detect_scalars(keras(None, None, moving, acc)) if f.kind == "stuck_metric"]
    assert len(stuck) == 1 and stuck[0].start_step == 3


# --- the detector interface: parameters, events, strict JSON ------------------------------


def _stuck_for(evals, n=30):
    """An accuracy held at the class share for `evals` evaluations, after having been better."""
    acc = list(np.linspace(0.60, 0.90, n - evals)) + [0.5467] * evals
    loss = list(np.linspace(1.0, 0.4, n - evals)) + list(np.linspace(0.9, 1.1, evals))
    return keras(None, None, loss, acc)


def test_thresholds_are_parameters_the_registry_can_change():
    from tb_curvecheck.detectors.registry import DEFAULT

    exp = _stuck_for(6)
    assert DEFAULT["stuck_metric"].min_evals == 6
    assert [f.kind for f in DEFAULT.detect_scalars(exp) if f.kind == "stuck_metric"] == ["stuck_metric"]
    stricter = DEFAULT.with_params({"stuck_metric.min_evals": "7"})  # as a command line gives it
    assert stricter["stuck_metric"].min_evals == 7 and DEFAULT["stuck_metric"].min_evals == 6
    assert [f for f in stricter.detect_scalars(exp) if f.kind == "stuck_metric"] == []
    # Nested tests are parameters too, and unknown names are refused.
    assert DEFAULT.with_params({"metric_drops.drops.noise_k": 4.5})["metric_drops"].drops.noise_k == 4.5
    for bad in ("stuck_metric.no_such_field", "no_such_detector.x", "stuck_metric"):
        with pytest.raises(ValueError):
            DEFAULT.with_params({bad: 1})
    assert "saturated_loss.min_error" in DEFAULT.params()


def test_measure_returns_events_and_describe_writes_the_finding():
    from tb_curvecheck.detectors.scalar_stuck import StuckEvent, StuckMetric

    exp = _stuck_for(8)
    val_acc = [r for r in exp.scalars if r.run == "validation" and r.tag == "epoch_accuracy"][0]
    events = StuckMetric().measure(exp, val_acc)
    assert len(events) == 1 and isinstance(events[0], StuckEvent)
    assert events[0].how == "after_fall" and events[0].last - events[0].first + 1 == 8
    f = StuckMetric().describe(events[0])
    assert f.kind == "stuck_metric" and f.start_step == 22 and "0.5467" in f.title
    assert StuckMetric().detect(exp, val_acc)[0].to_json() == f.to_json()


def test_non_finite_evidence_is_strict_json_with_javascript_names():
    import json

    from tb_curvecheck.model import Finding

    f = Finding(
        "r",
        "loss",
        "no_progress",
        "warning",
        0,
        3,
        "t",
        "e",
        evidence={"a": float("nan"), "b": [np.inf, -np.inf], "c": np.float32(1.5), "d": "nan"},
    )
    ev = f.to_json()["evidence"]
    assert ev == {"a": "NaN", "b": ["Infinity", "-Infinity"], "c": 1.5, "d": "nan"}
    json.dumps(f.to_json(), allow_nan=False)


@pytest.mark.parametrize("width", [1, 2, 3, 8, 9, 31])
def test_running_median_is_the_nan_median_of_each_shrinking_window(width):
    # The sorted-window median must give np.nanmedian's values exactly: at the ends (where the
    # window shrinks), with NaNs inside the data, with ties, and on float32 input.
    rng = np.random.default_rng(width)
    for n in (1, 2, 3, 5, 40, 257):
        for kind in ("plain", "nan", "ties", "float32"):
            v = rng.normal(size=n)
            if kind == "nan":
                v[rng.random(n) < 0.3] = np.nan
            elif kind == "ties":
                v = np.round(v, 1)
            elif kind == "float32":
                v = v.astype(np.float32)
            got = stats.running_median(v, width)
            if width <= 1 or n < 3:
                expected = v
            else:
                half = width // 2
                padded = np.concatenate([np.full(half, np.nan), v, np.full(half, np.nan)])
                windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN window
                    expected = np.nanmedian(windows, axis=1)
            np.testing.assert_array_equal(got, expected)
