"""The context stage on real logs: what the learning rate, the gradient norm
and restarts did at a finding's onset, read back through the real reading
path and the real pipeline, then annotated.

Writers: Keras `fit` with a `LearningRateScheduler` (Keras logs
`epoch_learning_rate`), `tf.summary` in a custom loop, and tensorboardX's
`SummaryWriter` (the same event format as PyTorch's `torch.utils.tensorboard`,
which is not installed here).  The training loops are real gradient descent
on a least-squares problem in float32: a rate that grows past the stability
limit, or a fixed rate just past it, overflows for real, and a batch with a
NaN reading poisons the weights for real.
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tb_curvecheck.analysis.causes import annotate_findings  # noqa: E402
from tb_curvecheck.analysis.context import context_kind, find_context  # noqa: E402
from tb_curvecheck.api import scan_result  # noqa: E402
from tests import logwriters  # noqa: E402


def _annotated(logdir, loader="auto", hparams=None):
    """Every finding of the logdir, after the pipeline and then the context stage."""
    result = scan_result(logdir, loader=loader)
    out = []
    for exp in result.experiments:
        mine = [f for f in result.findings if f.run in exp.runs]
        out.extend(annotate_findings(exp, mine, hparams))
    return out, result


def _least_squares(seed=0, n=256, d=4):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x @ rng.normal(size=d).astype(np.float32) + 0.1 * rng.normal(size=n)).astype(np.float32)
    return x, y


def _sgd(x, y, rate, steps, batch=32, poison_step=None):
    """Minibatch gradient descent on mean squared error, float32 throughout.

    `rate(t)` is the learning rate at step t; at `poison_step` the batch
    carries one NaN reading (a corrupt record).  Returns per-step loss,
    learning rate and gradient norm, as a loop would log them.
    """
    w = np.zeros(x.shape[1], dtype=np.float32)
    losses, rates, norms = [], [], []
    n = x.shape[0]
    with np.errstate(all="ignore"):
        for t in range(steps):
            idx = np.arange(t * batch, (t + 1) * batch) % n
            xb, yb = x[idx].copy(), y[idx]
            if t == poison_step:
                xb[3, 1] = np.nan
            r = xb @ w - yb
            loss = np.float32(np.mean(r * r))
            grad = (np.float32(2.0 / batch) * (xb.T @ r)).astype(np.float32)
            lr = np.float32(rate(t))
            losses.append(float(loss))
            rates.append(float(lr))
            norms.append(float(np.sqrt(np.sum(grad * grad))))
            w = (w - lr * grad).astype(np.float32)
    return np.array(losses), np.array(rates), np.array(norms)


def _explanation_order(text, first, then):
    assert first in text and then in text, text
    assert text.index(first) < text.index(then), text


# --- Naming ------------------------------------------------------------------


@pytest.mark.parametrize(
    "run,tag,kind",
    [
        ("exp/train", "epoch_learning_rate", "learning_rate"),
        ("exp", "learning_rate", "learning_rate"),
        ("exp", "lr-Adam", "learning_rate"),  # Lightning LearningRateMonitor
        ("exp", "lr-SGD-0", "learning_rate"),
        ("exp", "lr-Adam/pg1", "learning_rate"),
        ("exp", "train/learning_rate", "learning_rate"),  # Hugging Face, SB3
        ("exp", "LR", "learning_rate"),
        ("exp", "optimizer/lr", "learning_rate"),
        ("exp", "grad_norm", "gradient_norm"),
        ("exp", "train/grad_norm", "gradient_norm"),  # Hugging Face
        ("exp/train", "curvecheck/gradient_norm/dense_1", "gradient_norm"),  # the CurveCheck callback
        ("exp", "gradient_norm", "gradient_norm"),
        ("exp", "weight_norm", "weight_norm"),
        ("exp", "param_norm", "weight_norm"),
        ("exp", "amp/scale", "loss_scale"),
        ("exp", "loss_scale", "loss_scale"),
        ("exp", "batch_size", "batch_size"),
        ("exp", "train/epoch", "epoch"),
        ("exp", "epoch", "epoch"),
        ("exp", "loss", None),
        ("exp/train", "epoch_loss", None),
        ("exp/validation", "epoch_accuracy", None),
        ("exp", "rollout/ep_rew_mean", None),
        ("exp", "my_custom_thing", None),
        ("exp", "train/std", "action_std"),  # Stable-Baselines3's Gaussian policies
        ("exp", "policy/std", "action_std"),
        ("exp", "action_std", "action_std"),
        ("exp", "test/returns_stat/std", None),  # a spread of returns, not the policy's
        ("exp", "loss_std", None),
    ],
)
def test_context_kind_by_naming_convention(run, tag, kind):
    assert context_kind(run, tag) == kind


# --- Learning rate grows until the loss overflows (tf.summary) ------------------


def test_tf_summary_rate_growth_is_named_at_the_nan(tmp_path):
    x, y = _least_squares()
    growth = 1.01  # the rate multiplies by this every step, from 1e-3
    loss, lr, norm = _sgd(x, y, lambda t: 1e-3 * growth**t, 1400)
    first_bad = int(np.flatnonzero(~np.isfinite(loss))[0])
    assert 300 < first_bad < 1300  # the mechanism happened: the rate outgrew the problem
    logwriters.tf_scalars(str(tmp_path / "grow"), {"loss": loss, "learning_rate": lr})

    findings, _ = _annotated(str(tmp_path))
    nan = [f for f in findings if f.kind == "non_finite" and f.tag == "loss"]
    assert len(nan) == 1 and nan[0].start_step == first_bad
    top = nan[0].evidence["likely_causes"][0]
    assert top["cause"] == "learning_rate_growth" and top["confidence"] == "likely"
    # The measured rise: from the first logged rate to the one at the onset (float32 logged).
    expected = lr[first_bad] / lr[0]
    assert top["numbers"]["ratio"] == pytest.approx(expected, rel=1e-4)
    assert top["numbers"]["from_step"] == 0
    ctx = nan[0].evidence["context"]["learning_rate"]
    assert ctx["value"] == pytest.approx(lr[first_bad], rel=1e-6)
    # Said first, before the detector's generic causes.
    _explanation_order(nan[0].explanation, "In this run, the learning rate rose", "usually")
    assert "over the {:,} steps before the onset".format(first_bad) in nan[0].explanation


# --- A NaN at a flat, small rate (tensorboardX, PyTorch's format) --------------


def test_nan_at_flat_small_rate_points_at_the_data_not_the_rate(tmp_path):
    x, y = _least_squares(seed=1)
    poison = 240
    loss, lr, _ = _sgd(x, y, lambda t: 1e-3, 400, poison_step=poison)
    # The NaN reading poisons the weights: every later loss is NaN too.
    assert np.all(np.isfinite(loss[:poison])) and np.all(np.isnan(loss[poison + 1 :]))
    logwriters.tbx_scalars(str(tmp_path / "flat"), {"loss": loss, "lr": lr})

    findings, _ = _annotated(str(tmp_path))
    nan = [f for f in findings if f.kind == "non_finite" and f.tag == "loss"]
    assert len(nan) == 1 and nan[0].start_step == poison
    causes = nan[0].evidence["likely_causes"]
    assert causes[0]["cause"] == "data_or_loss" and causes[0]["confidence"] == "likely"
    rate_causes = [c for c in causes if c["cause"].startswith("learning_rate")]
    assert rate_causes and all(c["confidence"] == "unlikely given the logs" for c in rate_causes)
    assert rate_causes[0]["numbers"]["learning_rate"] == pytest.approx(1e-3, rel=1e-6)
    text = nan[0].explanation
    # The measured sentence comes before the generic "usually a learning rate too high".
    _explanation_order(text, "the learning rate was flat at 0.001 throughout", "usually a learning rate too high")
    _explanation_order(text, "look at the data", "usually a learning rate too high")
    assert "Unlikely given the logs: learning rate too high" in text


# --- The gradient norm grows first, at a fixed rate past the stability limit --


def test_gradient_norm_growth_before_the_overflow(tmp_path):
    x, y = _least_squares(seed=2)
    # Full-batch curvature of the mean squared error: 2/n * X^T X; past 2/lambda_max
    # the top direction grows by |1 - lr*lambda_max| every step.
    lam = float(np.linalg.eigvalsh(2.0 / x.shape[0] * (x.T @ x).astype(np.float64)).max())
    rate = 2.3 / lam
    loss, lr, norm = _sgd(x, y, lambda t: rate, 900, batch=x.shape[0])
    first_bad = int(np.flatnonzero(~np.isfinite(loss))[0])
    logwriters.tf_scalars(str(tmp_path / "clipless"), {"loss": loss, "grad_norm": norm, "lr": lr})

    findings, _ = _annotated(str(tmp_path))
    nan = [f for f in findings if f.kind == "non_finite" and f.tag == "loss"]
    assert len(nan) == 1 and nan[0].start_step == first_bad
    causes = {c["cause"]: c for c in nan[0].evidence["likely_causes"]}
    g = causes["gradient_explosion"]
    assert g["confidence"] == "likely"
    gctx = nan[0].evidence["context"]["gradient_norm"]
    # The norm passed 10x its baseline well before the loss overflowed.
    assert gctx["change"]["from_step"] < first_bad - 10
    assert g["numbers"]["ratio"] >= 1e3
    assert "the gradient norm grew" in nan[0].explanation and "first" in nan[0].explanation
    # A flat rate of this size is not ruled out, only not named first.
    assert causes["learning_rate_too_high"]["confidence"] == "possible"
    assert not any(c["confidence"] == "unlikely given the logs" for c in causes.values())


# --- Restart from a checkpoint (tensorboardX, read with TensorBoard's Python loader)


def test_restart_is_named_right_after_it(tmp_path):
    import time

    run = str(tmp_path / "resumed")
    steps = np.arange(300)
    logwriters.tbx_scalars(run, {"loss": 2.0 * np.exp(-steps / 80.0) + 0.05, "lr": np.full(300, 3e-4)})
    time.sleep(1.1)  # the resumed process writes a new file, later
    # Resumed from the checkpoint at step 250 without the optimiser state: the loss blows up.
    again = np.arange(250, 420)
    logwriters.tbx_scalars(
        run, {"loss": np.full(again.shape, 2.5) + 0.01 * (again - 250), "lr": np.full(again.shape, 3e-4)}, steps=again
    )

    findings, result = _annotated(str(tmp_path), loader="python")
    assert result.experiments[0].scalars[0].series.restarts >= 1
    on_loss = [f for f in findings if f.tag == "loss" and f.severity != "info"]
    assert on_loss, [(f.kind, f.start_step) for f in findings]
    f = on_loss[0]
    assert f.evidence["context"]["restart_step"] == 250
    assert 250 <= f.start_step <= 255
    assert f.evidence["likely_causes"][0]["cause"] == "restart"
    assert "restart from a checkpoint at step 250" in f.explanation


# --- Keras: a LearningRateScheduler that jumps 100x --------------------------------


def _keras_jump(logdir, jump_epoch=5, epochs=9):
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 8)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] - x[:, 2] > 0).astype("float32")
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(4, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(
        x,
        y,
        validation_split=0.25,
        epochs=epochs,
        batch_size=32,
        verbose=0,
        callbacks=[
            keras.callbacks.LearningRateScheduler(lambda e, lr: 5.0 if e >= jump_epoch else 0.05),
            keras.callbacks.TensorBoard(logdir, histogram_freq=1, write_graph=False),
        ],
    )


def test_keras_scheduler_jump_is_named_at_the_onset(tmp_path):
    jump = 5
    _keras_jump(str(tmp_path / "jump"), jump_epoch=jump)
    findings, result = _annotated(str(tmp_path))
    kinds = {c.kind for exp in result.experiments for c in find_context(exp)}
    assert "learning_rate" in kinds
    at_jump = [
        f
        for f in findings
        if f.severity != "info" and jump <= f.start_step <= jump + 1 and f.evidence.get("granularity") == "epoch"
    ]
    assert at_jump, [(f.kind, f.tag, f.start_step) for f in findings]
    for f in at_jump:
        top = f.evidence["likely_causes"][0]
        assert top["cause"] == "learning_rate_jump" and top["confidence"] == "likely", f.explanation
        assert top["numbers"]["step"] == jump
        assert top["numbers"]["ratio"] == pytest.approx(100.0, rel=1e-5)
        assert "jumped 100× (0.05 → 5)" in f.explanation
    # No weight-norm scalar was logged: it is read from the kernel histograms, and the
    # epoch trained at the 100x rate moved it more than any epoch before.
    wn = at_jump[0].evidence["context"]["weight_norm"]
    assert wn["parts"] == 3 and wn["jump"]["step"] == jump and wn["jump"]["ratio"] > 1.25
    # Before the jump nothing blames a rate that had not moved.
    for f in findings:
        if f.start_step < jump:
            assert not any(c["cause"] == "learning_rate_jump" for c in f.evidence.get("likely_causes", []))


# --- Hyperparameters, when given ---------------------------------------------------


def test_hparams_are_named_in_the_cause(tmp_path):
    x, y = _least_squares(seed=1)
    loss, lr, _ = _sgd(x, y, lambda t: 1e-3, 300, poison_step=200)
    logwriters.tbx_scalars(str(tmp_path / "hp"), {"loss": loss})  # no rate logged
    findings, _ = _annotated(str(tmp_path), hparams={"hp": {"lr": 0.1, "optimizer": "sgd", "clipnorm": 1.0}})
    nan = [f for f in findings if f.kind == "non_finite"][0]
    texts = [c["text"] for c in nan.evidence["likely_causes"]]
    assert any("the run's hparams say lr=0.1, optimizer=sgd" in t for t in texts), texts
    assert nan.evidence["context"]["hparams"]["clip"] == 1.0


# --- A warm-up long before the onset is stated, not blamed --------------------------


def test_warmup_long_before_is_not_the_likely_cause(tmp_path):
    x, y = _least_squares(seed=1)
    # Linear warm-up to 1e-3 over 100 steps, then flat; a NaN reading at step 500.
    loss, lr, _ = _sgd(x, y, lambda t: 1e-3 * min(1.0, (t + 1) / 100.0), 700, poison_step=500)
    logwriters.tbx_scalars(str(tmp_path / "warm"), {"loss": loss, "train/learning_rate": lr})
    findings, _ = _annotated(str(tmp_path))
    nan = [f for f in findings if f.kind == "non_finite"][0]
    causes = nan.evidence["likely_causes"]
    growth = [c for c in causes if c["cause"] == "learning_rate_growth"]
    assert growth and growth[0]["confidence"] == "possible"
    assert causes[0]["confidence"] != "likely" or causes[0]["cause"] != "learning_rate_growth"
    assert "had been 0.001 since step 99" in nan.explanation


# --- Odd context values never cost a finding -------------------------------------------


def test_odd_context_series_leave_findings_standing(tmp_path):
    loss = [1.0, 0.9, 0.8, float("nan"), float("nan")]
    odd = {
        "loss": loss,
        "lr": [0.0, -1.0, float("inf"), float("nan"), 0.0],
        "grad_norm": [float("nan")] * 5,
        "batch_size": [32.0],
    }
    logwriters.tbx_scalars(str(tmp_path / "odd"), odd)
    result = scan_result(str(tmp_path))
    before = [f.to_json() for f in result.findings]
    assert before, "the NaN loss is a finding"
    after = []
    for exp in result.experiments:
        after.extend(annotate_findings(exp, [f for f in result.findings if f.run in exp.runs]))
    assert [(f.kind, f.tag, f.start_step) for f in after] == [(b["kind"], b["tag"], b["start_step"]) for b in before]
    for f, b in zip(after, before):
        # Whatever was added, the detector's own text is all still there, in order.
        first = b["explanation"].split(". ")[0]
        assert first in f.explanation and len(f.explanation) >= len(b["explanation"])
        json.dumps(f.to_json(), allow_nan=False)  # still strict JSON (inf/nan as strings)


# --- A Gaussian policy that grew more random (an RL return that never rose) -----------------


def _entropy_bonus_run(ent_coef, steps=150, rate=0.0005):
    """Exact policy-gradient ascent for a 1-D Gaussian policy N(mu, std) on reward -(a - 3)^2 with an
    entropy bonus: E[reward] = -(mu - 3)^2 - std^2, and the bonus adds ent_coef to the log-std's
    gradient, so the std settles where 2 std^2 = ent_coef.  Returns the expected return and the std
    per update, with a fixed +-2 % wobble for episode noise."""
    mu, log_std = 3.0, 0.0
    returns, stds = [], []
    for t in range(steps):
        std = np.exp(log_std)
        returns.append((-((mu - 3.0) ** 2) - std**2 - 0.5) * (1.0 + 0.02 * ((-1) ** t)))
        stds.append(std)
        log_std += rate * (ent_coef - 2.0 * std**2)
        mu += rate * (-2.0 * (mu - 3.0))
    return np.array(returns), np.array(stds)


def test_policy_std_growth_is_named_for_a_return_that_fell(tmp_path):
    returns, stds = _entropy_bonus_run(ent_coef=200.0)
    assert stds[-1] / stds[0] > 5.0 and returns[-1] < 10 * returns[0]  # the mechanism, before the claim
    steps = [2048 * (i + 1) for i in range(len(returns))]
    logwriters.tbx_scalars(
        str(tmp_path / "wide" / "PPO_1"), {"rollout/ep_rew_mean": returns, "train/std": stds}, steps=steps
    )
    # The same returns beside a policy that narrowed as policies do: no exploration story to tell.
    logwriters.tbx_scalars(
        str(tmp_path / "narrow" / "PPO_1"),
        {"rollout/ep_rew_mean": returns, "train/std": np.linspace(1.0, 0.3, len(returns))},
        steps=steps,
    )
    findings, _ = _annotated(str(tmp_path))
    on_return = {f.run.split("/")[0]: f for f in findings if f.tag == "rollout/ep_rew_mean" and f.severity != "info"}
    assert set(on_return) == {"wide", "narrow"}, [(f.run, f.kind, f.tag) for f in findings]
    wide = on_return["wide"].evidence["likely_causes"]
    assert wide[0]["cause"] == "exploration_growth" and wide[0]["confidence"] == "likely"
    # Levels are medians of the first and last three updates.
    assert wide[0]["numbers"]["ratio"] == pytest.approx(np.median(stds[-3:]) / np.median(stds[:3]), rel=0.01)
    assert "action std grew" in on_return["wide"].explanation
    narrow = on_return["narrow"].evidence.get("likely_causes", [])
    assert "exploration_growth" not in [c["cause"] for c in narrow]
    assert "action std grew" not in on_return["narrow"].explanation
