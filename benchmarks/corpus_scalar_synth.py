"""Seeded synthetic curves in families: healthy shapes with varied noise, length,
scale and schedule, and each scalar pathology at varied magnitudes and onsets.

Deterministic (fixed seeds), so a figure in the report means the same cases.
Curves are built the way training produces them: losses decay towards a floor
with multiplicative noise, accuracies are binomial counts over N samples
(so they move in steps of 1/N), a collapsed or stuck model predicts one class
and logs exactly that class's share.
"""

from __future__ import annotations

import math
import os
from typing import Dict, List, Tuple

import numpy as np

from benchmarks.corpus import Case, Expect, series

# The thresholds were calibrated on this seed; CURVECHECK_SYNTH_SEED draws a fresh, held-out corpus.
SEED = int(os.environ.get("CURVECHECK_SYNTH_SEED", "20240605"))
KERAS_WRONG_COST = -math.log(1e-7)

# Naming styles: (run, tag) for (split, quantity).
STYLES = {
    "keras": {
        ("train", "loss"): ("train", "epoch_loss"),
        ("val", "loss"): ("validation", "epoch_loss"),
        ("train", "acc"): ("train", "epoch_accuracy"),
        ("val", "acc"): ("validation", "epoch_accuracy"),
    },
    "plain": {
        ("train", "loss"): (".", "train/loss"),
        ("val", "loss"): (".", "val/loss"),
        ("train", "acc"): (".", "train/acc"),
        ("val", "acc"): (".", "val/acc"),
    },
    "torch": {
        ("train", "loss"): ("run1", "Loss/train"),
        ("val", "loss"): ("run1", "Loss/val"),
        ("train", "acc"): ("run1", "Accuracy/train"),
        ("val", "acc"): ("run1", "Accuracy/val"),
    },
}


class Curves:
    """Clean curves of one run, per split, before logging."""

    def __init__(
        self,
        rng: np.random.Generator,
        n: int,
        *,
        scale: float = 1.0,
        offset: float = 0.0,
        lr_decay: bool = False,
        val_above_train: bool = False,
        noise: float = 0.02,
        n_val: int = 2000,
        n_train: int = 20000,
    ):
        self.rng, self.n = rng, n
        t = np.arange(n, dtype=float)
        tau = max(1.0, rng.uniform(0.08, 0.3) * n)
        l0 = rng.uniform(0.7, 2.5)
        floor = l0 * rng.uniform(0.03, 0.3)
        shape = np.exp(-t / tau)
        if lr_decay and n >= 6:
            td = int(rng.uniform(0.4, 0.7) * n)
            drop = rng.uniform(0.3, 0.6)
            shape = shape + np.where(t >= td, 0.0, 0.0)
            floor_t = np.where(t >= td, floor * (1 - drop), floor)
        else:
            floor_t = np.full(n, floor)
        self.train_loss = floor_t + (l0 - floor) * shape
        gap = rng.uniform(0.0, 0.3) * floor
        self.val_loss = self.train_loss + (-gap if val_above_train else gap)
        a0, amax = rng.uniform(0.1, 0.5), rng.uniform(0.75, 0.99)
        self.train_acc = amax - (amax - a0) * shape
        if lr_decay and n >= 6:
            self.train_acc = np.minimum(0.999, self.train_acc + np.where(t >= td, rng.uniform(0.02, 0.06), 0))
        vgap = rng.uniform(0.0, 0.06)
        self.val_acc = np.clip(self.train_acc + (vgap if val_above_train else -vgap), 0, 1)
        self.scale, self.offset, self.noise = scale, offset, noise
        self.n_val, self.n_train = n_val, n_train

    def logged(self) -> Dict[Tuple[str, str], np.ndarray]:
        r = self.rng
        out = {}
        for split, loss, acc, count, k in (
            ("train", self.train_loss, self.train_acc, self.n_train, 1.0),
            ("val", self.val_loss, self.val_acc, self.n_val, 2.0),
        ):
            noisy = loss * np.exp(r.normal(0, self.noise * k, loss.shape))
            out[(split, "loss")] = noisy * self.scale - self.offset
            p = np.clip(acc, 0, 1)
            out[(split, "acc")] = np.where(np.isfinite(p), r.binomial(count, np.nan_to_num(p)) / count, np.nan)
        return out


def to_case(name, family, healthy, logged, style, *, expect=(), also_ok=(), percent=False, steps=None):
    names = STYLES[style]
    scalars: Dict[str, Dict] = {}
    for key, values in logged.items():
        run, tag = names[key]
        v = np.asarray(values, dtype=float)
        if percent and key[1] == "acc":
            v = v * 100.0
        scalars.setdefault(run, {})[tag] = series(v, steps)
    ex = []
    for kind, key, window in expect:
        run, tag = names[key]
        ex.append(Expect(kind, run, tag, window))
    return Case(name, family, healthy, scalars, expect=ex, also_ok=tuple(also_ok))


def _style(rng):
    return ["keras", "plain", "torch"][int(rng.integers(3))]


def healthy_cases(rng) -> List[Case]:
    out = []
    for i in range(90):
        n = int(rng.choice([4, 6, 10, 20, 40, 80, 150, 400]))
        kw = dict(
            scale=float(rng.choice([0.01, 1.0, 1.0, 30.0])),
            lr_decay=bool(rng.random() < 0.35),
            val_above_train=bool(rng.random() < 0.25),
            noise=float(rng.choice([0.003, 0.02, 0.05])),
            n_val=int(rng.choice([300, 1000, 5000, 20000])),
        )
        if rng.random() < 0.15:
            kw["offset"] = float(rng.uniform(1.5, 4.0))  # a loss negative by design (log-likelihood)
        c = Curves(rng, n, **kw)
        tags = []
        if kw["lr_decay"]:
            tags.append("lrdecay")
        if kw.get("offset"):
            tags.append("negative")
        if kw["val_above_train"]:
            tags.append("valabove")
        percent = bool(rng.random() < 0.15)
        if percent:
            tags.append("percent")
        out.append(
            to_case(
                "synth_healthy_%02d_n%d_%s" % (i, n, "_".join(tags) or "plain"),
                "synth_healthy",
                True,
                c.logged(),
                _style(rng),
                percent=percent,
            )
        )
    for n in (2, 3, 2, 3):
        c = Curves(rng, n)
        out.append(
            to_case("synth_healthy_short_n%d_%d" % (n, len(out)), "synth_healthy", True, c.logged(), _style(rng))
        )
    return out


def _onset(rng, n, lo=0.3, hi=0.7):
    return int(rng.uniform(lo, hi) * n)


def pathology_cases(rng) -> List[Case]:
    out: List[Case] = []

    for i in range(25):  # metric_collapse: predictions pin to one class at t0
        n = int(rng.choice([10, 20, 40, 100, 300]))
        c = Curves(rng, n, noise=float(rng.choice([0.005, 0.02, 0.05])))
        t0 = _onset(rng, n)
        # A collapse needs a height to fall from: start it once training accuracy passed 0.6.
        t0 = min(n - 3, max(t0, int(np.argmax(c.train_acc >= 0.6)) + 1)) if (c.train_acc >= 0.6).any() else t0
        log = c.logged()
        share = float(rng.uniform(0.3, min(0.85, float(np.min(c.train_acc[max(0, t0 - 2) : t0 + 1])) - 0.12)))
        share = round(share * c.n_train) / c.n_train
        vshare = round(share * c.n_val) / c.n_val
        prior_loss = -(share * math.log(share) + (1 - share) * math.log(1 - share))
        drift = 1 + 1e-3 * np.exp(-np.arange(n - t0) / 5.0)
        log[("train", "acc")][t0:] = share
        log[("val", "acc")][t0:] = vshare
        log[("train", "loss")][t0:] = prior_loss * drift * c.scale
        log[("val", "loss")][t0:] = prior_loss * drift * 1.01 * c.scale
        out.append(
            to_case(
                "synth_collapse_%02d_n%d_t%d" % (i, n, t0),
                "synth_collapse",
                False,
                log,
                _style(rng),
                expect=[("metric_collapse", ("train", "acc"), (t0, t0))],
                also_ok=("stuck_metric", "loss_divergence", "no_progress", "saturated_loss"),
            )
        )

    for i in range(25):  # loss_divergence: the loss blows up at t0 and stays up
        n = int(rng.choice([10, 20, 40, 100, 300]))
        c = Curves(rng, n, noise=float(rng.choice([0.005, 0.02, 0.05])))
        t0 = _onset(rng, n)
        log = c.logged()
        k = np.arange(n - t0)
        if rng.random() < 0.5:
            factor = float(rng.uniform(3, 30)) * np.ones(n - t0)  # a jump
        else:
            factor = np.minimum((1 + float(rng.uniform(0.5, 1.5))) ** (k + 1), 50.0)  # a runaway
        for split in ("train", "val"):
            log[(split, "loss")][t0:] = log[(split, "loss")][t0 - 1] * factor * np.exp(rng.normal(0, 0.02, n - t0))
            log[(split, "acc")][t0:] = np.clip(log[(split, "acc")][t0 - 1] - rng.uniform(0.1, 0.4), 0.05, 1)
        out.append(
            to_case(
                "synth_divergence_%02d_n%d_t%d" % (i, n, t0),
                "synth_divergence",
                False,
                log,
                _style(rng),
                expect=[("loss_divergence", ("train", "loss"), (t0 - 1, t0 + 1))],
                also_ok=("metric_collapse", "saturated_loss", "stuck_metric", "no_progress", "transient_dip"),
            )
        )

    for i in range(15):  # non_finite: NaN/Inf from t0
        n = int(rng.choice([5, 20, 100, 1000]))
        c = Curves(rng, n)
        t0 = _onset(rng, n, 0.1, 0.9)
        log = c.logged()
        bad = float(rng.choice([np.nan, np.inf]))
        log[("train", "loss")][t0:] = bad
        if rng.random() < 0.5:
            log[("val", "loss")][t0:] = np.nan
        out.append(
            to_case(
                "synth_nonfinite_%02d_n%d_t%d" % (i, n, t0),
                "synth_nonfinite",
                False,
                log,
                _style(rng),
                expect=[("non_finite", ("train", "loss"), (t0, t0))],
                also_ok=("metric_collapse", "stuck_metric", "loss_divergence", "no_progress"),
            )
        )

    for i in range(40):  # transient_dip (and low_margin when the loss barely follows)
        n = int(rng.choice([10, 20, 40, 100]))
        margin = i % 2 == 1
        c = Curves(rng, n, noise=0.01, n_val=int(rng.choice([2000, 10000])))
        length = int(rng.integers(1, 3))
        t0 = min(_onset(rng, n, 0.35, 0.85), n - 2 - length)
        log = c.logged()
        depth = float(rng.uniform(0.15, 0.4))
        depth = min(depth, float(log[("val", "acc")][t0 - 1]) - 0.05)
        cost = float(rng.uniform(0.2, 0.8)) if margin else float(rng.uniform(1.6, 4.0))
        sl = slice(t0, min(n, t0 + length))
        # A dip is a fall from where the curve just was, whatever its trend.
        log[("val", "acc")][sl] = np.minimum(log[("val", "acc")][sl], log[("val", "acc")][t0 - 1] - depth)
        log[("val", "loss")][sl] += depth * cost * c.scale
        expect = [("transient_dip", ("val", "acc"), (t0, t0))]
        if margin:
            expect.append(("low_margin", ("val", "acc"), (t0, t0)))
        out.append(
            to_case(
                "synth_%s_%02d_n%d_t%d" % ("lowmargin" if margin else "dip", i, n, t0),
                "synth_dip",
                False,
                log,
                _style(rng),
                expect=expect,
                also_ok=("low_margin",),
            )
        )

    for i in range(20):  # stuck_metric: predicts the majority class from the start, the loss learns the prior
        n = int(rng.choice([20, 50, 200, 1000]))
        c = Curves(rng, n)
        log = c.logged()
        for split, count in (("train", c.n_train), ("val", c.n_val)):
            p = round(float(rng.uniform(0.55, 0.92)) * count) / count
            log[(split, "acc")][:] = p
            prior = -(p * math.log(p) + (1 - p) * math.log(1 - p))
            start = float(rng.uniform(prior * 1.05, prior * 1.6))
            t = np.arange(n)
            log[(split, "loss")][:] = (prior + (start - prior) * np.exp(-t / (0.2 * n))) * c.scale
        out.append(
            to_case(
                "synth_stuck_%02d_n%d" % (i, n),
                "synth_stuck",
                False,
                log,
                _style(rng),
                expect=[("stuck_metric", ("train", "acc"), (0, max(1, int(0.1 * n))))],
                # A model that outputs the class prior from the start never learned.
                also_ok=("no_progress", "never_learned"),
            )
        )

    for i in range(20):  # saturated_loss: outputs pinned at 0/1 from t0, loss = (1 - acc) x clip cost
        n = int(rng.choice([10, 20, 60]))
        c = Curves(rng, n)
        t0 = _onset(rng, n)
        log = c.logged()
        cost = KERAS_WRONG_COST if i % 3 else 100.0
        acc = np.clip(float(rng.uniform(0.45, 0.8)) + rng.normal(0, 0.03, n - t0), 0, 1)
        acc = np.round(acc * c.n_train) / c.n_train
        log[("train", "acc")][t0:] = acc
        log[("train", "loss")][t0:] = (1 - acc) * cost * (1 + rng.normal(0, 0.002, n - t0))
        out.append(
            to_case(
                "synth_saturated_%02d_n%d_t%d_c%d" % (i, n, t0, cost),
                "synth_saturated",
                False,
                log,
                _style(rng),
                expect=[("saturated_loss", ("train", "loss"), (t0, t0))],
                also_ok=("metric_collapse", "loss_divergence", "stuck_metric", "no_progress"),
            )
        )

    for i in range(25):  # oscillation: validation alternates every evaluation from t0 on
        n = int(rng.choice([20, 30, 40, 60, 100]))
        c = Curves(rng, n, noise=0.01, n_val=5000)
        t0 = _onset(rng, n, 0.0, 0.4)
        log = c.logged()
        amp = float(rng.uniform(0.05, 0.2))
        sign = np.where(np.arange(n - t0) % 2 == 0, 1.0, -1.0)
        log[("val", "acc")][t0:] = np.clip(log[("val", "acc")][t0:] - amp * (1 + sign), 0, 1)
        log[("val", "loss")][t0:] += amp * (1 + sign) * float(rng.uniform(1.5, 4)) * c.scale
        out.append(
            to_case(
                "synth_oscillation_%02d_n%d_t%d" % (i, n, t0),
                "synth_oscillation",
                False,
                log,
                _style(rng),
                expect=[("oscillation", ("val", "acc"), (t0 - 2, t0 + 2))],
                also_ok=("low_margin", "transient_dip"),
            )
        )

    for i in range(25):  # overfitting: validation loss turns up at tb while training loss keeps falling
        n = int(rng.choice([15, 30, 60, 150]))
        c = Curves(rng, n, noise=float(rng.choice([0.005, 0.02])))
        tb = _onset(rng, n, 0.3, 0.6)
        log = c.logged()
        span = float(c.val_loss[0] - c.val_loss[tb])
        rise = float(rng.uniform(0.3, 1.2)) * span * c.scale
        k = np.arange(n - tb) / max(1, n - 1 - tb)
        base = log[("val", "loss")][tb]
        log[("val", "loss")][tb:] = base + rise * k ** float(rng.uniform(0.7, 1.5)) * np.exp(
            rng.normal(0, 0.01, n - tb)
        )
        pad = int(0.15 * n) + 2
        out.append(
            to_case(
                "synth_overfit_%02d_n%d_t%d" % (i, n, tb),
                "synth_overfit",
                False,
                log,
                _style(rng),
                expect=[("overfitting", ("val", "loss"), (tb - pad, tb + pad))],
            )
        )

    for i in range(20):  # no_progress: the loss hovers around its start for the whole run
        n = int(rng.choice([10, 30, 100, 500]))
        c = Curves(rng, n)
        log = c.logged()
        for split in ("train", "val"):
            l0 = float(rng.uniform(0.6, 2.5)) * c.scale
            log[(split, "loss")][:] = (
                l0
                * (1 - float(rng.uniform(0, 0.02)) * np.arange(n) / n)
                * np.exp(rng.normal(0, float(rng.choice([0.005, 0.02, 0.05])), n))
            )
            log[(split, "acc")][:] = rng.binomial(c.n_val, float(rng.uniform(0.2, 0.5)), n) / c.n_val
        out.append(
            to_case(
                "synth_noprogress_%02d_n%d" % (i, n),
                "synth_noprogress",
                False,
                log,
                _style(rng),
                expect=[("no_progress", ("train", "loss"), (0, 0))],
            )
        )
    return out


def step_cases(rng) -> List[Case]:
    """Custom-loop logging: a training loss every step (minibatch noise), evaluations every k steps."""
    out = []
    for i in range(16):
        n_steps = int(rng.choice([2000, 20000, 200000]))
        every = n_steps // int(rng.choice([20, 50]))
        t = np.arange(n_steps, dtype=float)
        tau = rng.uniform(0.05, 0.2) * n_steps
        l0, floor = rng.uniform(1, 3), rng.uniform(0.05, 0.4)
        train = (floor + (l0 - floor) * np.exp(-t / tau)) * np.exp(rng.normal(0, rng.uniform(0.1, 0.3), n_steps))
        ev = np.arange(0, n_steps, every)
        val = (floor * 1.1 + (l0 - floor) * np.exp(-ev / tau)) * np.exp(rng.normal(0, 0.01, ev.shape))
        vacc = np.clip(0.95 - 0.6 * np.exp(-ev / tau) + rng.normal(0, 0.005, ev.shape), 0, 1)
        kind = ["healthy", "healthy", "divergence", "nonfinite"][i % 4]
        expect = []
        if kind == "divergence":
            t0 = int(rng.uniform(0.4, 0.7) * n_steps)
            train[t0:] *= rng.uniform(5, 20)
            val[ev >= t0] *= 10
            vacc[ev >= t0] = 0.5
            expect = [Expect("loss_divergence", ".", "train/loss", (t0 - n_steps // 500 - 5, t0 + n_steps // 200 + 5))]
        elif kind == "nonfinite":
            t0 = int(rng.uniform(0.4, 0.7) * n_steps)
            train[t0:] = np.nan
            expect = [Expect("non_finite", ".", "train/loss", (t0, t0))]
        scalars = {
            ".": {
                "train/loss": series(train),
                "val/loss": series(val, ev),
                "val/acc": series(vacc, ev),
                "learning_rate": series(1e-3 * 0.1 ** (t // (n_steps // 3))),
            }
        }
        out.append(
            Case(
                "synth_steps_%s_%02d_n%d" % (kind, i, n_steps),
                "synth_steps",
                kind == "healthy",
                scalars,
                expect=expect,
                also_ok=("metric_collapse", "stuck_metric", "no_progress", "overfitting") if kind != "healthy" else (),
            )
        )
    return out


def other_tag_cases(rng) -> List[Case]:
    """Tags that are not judged beyond non_finite: rewards, learning rates, counters, throughput,
    and Keras' batch_* running means that reset at every epoch."""
    out = []
    for i in range(8):
        n = int(rng.choice([200, 2000, 50000]))
        t = np.arange(n, dtype=float)
        reward = 200 * (1 - np.exp(-t / (0.3 * n))) + rng.normal(0, 30, n)
        reward[int(0.6 * n) : int(0.62 * n)] -= 150  # RL policies collapse and recover: not our call
        lr = 0.1 * np.where(t < n // 2, 1.0, 0.01)
        scalars = {
            ".": {
                "episode_reward": series(reward),
                "learning_rate": series(lr),
                "epoch": series(t // max(1, n // 10)),
                "examples_per_sec": series(1000 + rng.normal(0, 200, n)),
            }
        }
        out.append(Case("synth_other_tags_%02d_n%d" % (i, n), "synth_healthy", True, scalars))
    for i in range(10):
        epochs, per = int(rng.choice([3, 10, 30])), int(rng.choice([20, 100, 300]))
        l0, floor = rng.uniform(0.7, 2.3), rng.uniform(0.05, 0.3)
        steps, bl, ba, el, ea = [], [], [], [], []
        for e in range(epochs):
            level = floor + (l0 - floor) * np.exp(-(e + np.arange(per) / per) / (0.3 * epochs))
            raw = level * np.exp(rng.normal(0, 0.3, per))
            acc_raw = np.clip(1 - level / l0 * 0.7 + rng.normal(0, 0.05, per), 0, 1)
            run_mean = np.cumsum(raw) / np.arange(1, per + 1)
            run_acc = np.cumsum(acc_raw) / np.arange(1, per + 1)
            steps += list(e * per + np.arange(1, per + 1))
            bl += list(run_mean)
            ba += list(run_acc)
            el.append(run_mean[-1])
            ea.append(run_acc[-1])
        scalars = {
            "train": {
                "batch_loss": series(bl, steps),
                "batch_accuracy": series(ba, steps),
                "epoch_loss": series(el),
                "epoch_accuracy": series(ea),
            }
        }
        out.append(Case("synth_keras_batch_sawtooth_%02d_e%d" % (i, epochs), "synth_healthy", True, scalars))
    return out


def _sgd_step_losses(rng, batches: int, epochs: int, lr_until: int) -> np.ndarray:
    """Per-step MSE of minibatch SGD on a linear regressor, batches in a fixed order; the weights are
    updated only before epoch `lr_until` (0: never, an optimizer step that is never taken), so from
    there the same weights meet the same batches every epoch."""
    dim, size = int(rng.integers(3, 12)), int(rng.choice([8, 16, 32]))
    x = rng.normal(size=(batches * size, dim))
    y = x @ rng.normal(size=dim) + float(rng.uniform(0.1, 0.5)) * rng.normal(size=batches * size)
    lr = float(rng.uniform(0.005, 0.03))
    w = np.zeros(dim)
    out = []
    for epoch in range(epochs):
        for b in range(batches):
            xb, yb = x[b * size : (b + 1) * size], y[b * size : (b + 1) * size]
            err = xb @ w - yb
            out.append(float(np.mean(err**2)))
            if epoch < lr_until:
                w = w - lr * 2 * xb.T @ err / size
    return np.asarray(out, dtype=np.float32).astype(float)


def replay_and_clip_cases(rng) -> List[Case]:
    """Stop 20's signatures of a model that is not updated, with their healthy look-alikes: a
    per-step loss that replays one epoch's values from the start (`never_learned`), the same loop
    learning throughout (healthy: with its batches in a fixed order it converges to a cycle that
    also replays, at its floor), and a loss held at the log of a clamped probability, ±k·ln 10
    (`saturated_loss`)."""
    out = []
    # (family, healthy, the epoch updates stop at, given the run's epochs)
    for family, healthy, until in (
        ("synth_replay", False, lambda epochs: 0),
        ("synth_fixed_order_healthy", True, lambda epochs: epochs),
    ):
        for i in range(10):
            batches, epochs = int(rng.integers(8, 40)), int(rng.integers(15, 40))
            run, tag = STYLES[["plain", "torch"][i % 2]][("train", "loss")]
            out.append(
                Case(
                    "%s_%02d_p%d" % (family, i, batches),
                    family,
                    healthy,
                    {run: {tag: series(_sgd_step_losses(rng, batches, epochs, until(epochs)))}},
                    expect=[] if healthy else [Expect("never_learned", run, tag, (0, 0))],
                    also_ok=() if healthy else ("no_progress",),
                )
            )
    for i in range(10):
        n = int(rng.choice([20, 40, 80]))
        k = int(rng.choice([6, 7, 8, 10, 12]))
        clip = float(np.float32(k * math.log(10.0))) * (1.0 if i % 2 else -1.0)
        onset = int(rng.integers(2, max(3, n // 4)))
        moving = np.linspace(float(rng.uniform(0.5, 3.0)) * np.sign(clip), clip, onset + 1)[:-1]
        values = np.concatenate([moving, np.full(n - onset, clip)])
        style = ["plain", "torch"][i % 2]
        run, tag = STYLES[style][("train", "loss")]
        out.append(
            Case(
                "synth_clipped_log_%02d_k%d" % (i, k),
                "synth_clipped_log",
                False,
                {run: {tag: series(values)}},
                expect=[Expect("saturated_loss", run, tag, (onset - 1, onset + 1))],
                # Nothing moves once pinned: a model that stopped updating.
                also_ok=("never_learned", "no_progress", "loss_divergence"),
            )
        )
    return out


def erratic_validation_cases(rng) -> List[Case]:
    """Stop 27: validation accuracy that falls and comes back again and again while training accuracy
    climbs smoothly (weights far apart at each evaluation: `oscillation`, how=erratic), and its healthy
    look-alike, a validation set of a few dozen examples whose every evaluation is a noisy sample."""
    out = []
    for i in range(20):
        healthy = i % 2 == 1
        n = int(rng.choice([20, 30, 50]))
        c = Curves(rng, n, noise=0.01, n_val=25 if healthy else 2000)
        log = c.logged()
        if not healthy:
            a = int(math.ceil(0.2 * n)) + 1
            falls = np.sort(rng.choice(np.arange(a, n - 1), size=int(rng.integers(3, 6)), replace=False))
            val = log[("val", "acc")] + rng.normal(0, 0.04, n) * (np.arange(n) >= a)
            val[falls] -= rng.uniform(0.18, 0.3, falls.shape[0])
            log[("val", "acc")] = np.round(np.clip(val, 0, 1) * c.n_val) / c.n_val
        # The finding starts before the first fall deep enough to count (the jitter can make an early
        # one shallower): anywhere from before the first inserted fall to the last.
        first, last = (int(falls[0]) - 1, int(falls[-1])) if not healthy else (0, 0)
        out.append(
            to_case(
                "synth_erratic_val_%02d_n%d%s" % (i, n, "_small_set" if healthy else ""),
                "synth_erratic_val",
                healthy,
                log,
                _style(rng),
                expect=[] if healthy else [("oscillation", ("val", "acc"), (first - 2, last))],
                also_ok=() if healthy else ("transient_dip", "low_margin", "metric_collapse"),
            )
        )
    return out


def stop28_cases(rng) -> List[Case]:
    """Stop 28: a ROC AUC held at 0.5 (`never_learned`, how=auc) beside one that learns slowly; a
    validation loss that climbs in order over a 9-12 epoch run (`overfitting`) beside one that wanders
    at its best; an RL critic loss that climbs eight orders of magnitude beside returns of a few units
    (`loss_divergence`) beside one that grows with returns that grow."""
    out = []
    for i in range(12):
        healthy = i % 2 == 1
        n = int(rng.choice([10, 20, 40]))
        t = np.arange(n, dtype=float)
        if healthy:
            # A slow but real learner, measured on a few hundred examples (AUC standard error ~0.02).
            target = float(rng.uniform(0.62, 0.9))
            auc = 0.5 + (target - 0.5) * (1 - np.exp(-t / max(1.0, rng.uniform(0.1, 0.4) * n)))
            auc = auc + rng.normal(0, 0.02, n)
            acc = 0.5 + 0.6 * (auc - 0.5) + rng.normal(0, 0.01, n)
            loss = 0.69 - 0.8 * (auc - 0.5) + rng.normal(0, 0.01, n)
        else:
            auc = 0.5 + np.clip(rng.normal(0, 0.008, n), -0.03, 0.03)
            share = float(rng.uniform(0.5, 0.6))
            acc = rng.binomial(500, share, n) / 500.0
            loss = float(rng.uniform(0.5, 5.0)) * np.exp(rng.normal(0, 0.6, n))
        out.append(
            Case(
                "synth_auc_chance_%02d_n%d%s" % (i, n, "_learns" if healthy else ""),
                "synth_auc_chance",
                healthy,
                {"eval": {"auc": series(np.clip(auc, 0, 1)), "accuracy": series(acc), "loss": series(loss)}},
                expect=[] if healthy else [Expect("never_learned", "eval", "auc", (0, 0))],
                also_ok=() if healthy else ("no_progress", "oscillation", "stuck_metric"),
            )
        )
    for i in range(12):
        healthy = i % 2 == 1
        n = int(rng.choice([9, 10, 11, 12]))
        best = int(rng.integers(3, n - 5))
        t = np.arange(n, dtype=float)
        train = float(rng.uniform(0.5, 2.0)) * np.exp(-t / rng.uniform(2.0, 5.0)) * np.exp(rng.normal(0, 0.01, n))
        low = float(rng.uniform(0.05, 0.8))
        head = low * np.linspace(float(rng.uniform(1.3, 1.8)), 1.0, best + 1)
        after = n - best - 1
        if healthy:
            # Wandering within a few percent of its best.
            tail = low * (1 + np.abs(rng.normal(0, 0.02, after)) + 0.01)
        else:
            # Climbing in order, with one step back of a third of a step somewhere along the way.
            steps_up = rng.uniform(0.06, 0.15, after)
            back = int(rng.integers(1, after))
            steps_up[back] = -steps_up[back - 1] / 3.0
            tail = low * (1 + np.cumsum(steps_up))
        val = np.concatenate([head, tail]) * np.exp(rng.normal(0, 0.002, n))
        out.append(
            to_case(
                "synth_short_overfit_%02d_n%d%s" % (i, n, "_wanders" if healthy else ""),
                "synth_short_overfit",
                healthy,
                {("train", "loss"): train, ("val", "loss"): val},
                _style(rng),
                expect=[] if healthy else [("overfitting", ("val", "loss"), (best - 1, n - 1))],
                also_ok=() if healthy else ("loss_divergence",),
            )
        )
    for i in range(8):
        healthy = i % 2 == 1
        n = int(rng.choice([10, 15, 25]))
        t = np.arange(n, dtype=float)
        if healthy:
            ret = float(rng.uniform(50, 200)) * (1 - np.exp(-t / (0.3 * n))) + rng.normal(0, 2.0, n)
            value = 0.02 * (1 + np.abs(ret)) ** 2 * np.exp(rng.normal(0, 0.1, n))
        else:
            ret = float(rng.uniform(0.5, 3.0)) + rng.normal(0, 0.3, n)
            onset = int(rng.integers(1, n // 3 + 1))
            decades = float(rng.uniform(6, 9))
            rise = np.clip((t - onset + 1) / max(1.0, 0.4 * n), 0, 1) * decades
            value = float(rng.uniform(0.02, 0.6)) * 10**rise * np.exp(rng.normal(0, 0.2, n))
        policy = 0.02 + rng.normal(0, 0.002, n)
        run = "Agent"
        out.append(
            Case(
                "synth_rl_value_blowup_%02d_n%d%s" % (i, n, "_fits_returns" if healthy else ""),
                "synth_rl_value_blowup",
                healthy,
                {
                    run: {
                        "Environment/Cumulative Reward": series(ret, (t + 1) * 10000),
                        "Losses/Value Loss": series(value, (t + 1) * 10000),
                        "Losses/Policy Loss": series(policy, (t + 1) * 10000),
                    }
                },
                expect=[] if healthy else [Expect("loss_divergence", run, "Losses/Value Loss")],
                also_ok=() if healthy else ("metric_collapse", "never_learned", "no_progress"),
            )
        )
    # ML-Agents' group reward, exactly 0 for agents trained without a group, beside the agent's own
    # return: healthy when that return moves and learns, a pathology when it is 0 too (the agent never
    # reached a reward).  (Until stop 29 the healthy return was noise with no trend; an agent whose
    # return never rises beyond its noise is itself `never_learned` since then, so it now climbs.)
    for i in range(8):
        healthy = i % 4 != 3
        n = int(rng.choice([12, 20, 40]))
        t = (np.arange(n) + 1) * 30000
        noise = float(rng.uniform(10, 40))
        own = float(rng.uniform(-200, 50)) + noise * rng.standard_normal(n)
        own = own + 4 * noise * (1 - np.exp(-np.arange(n) / (0.3 * n)))
        out.append(
            Case(
                "synth_group_reward_%02d_n%d%s" % (i, n, "_unused" if healthy else "_never"),
                "synth_group_reward",
                healthy,
                {
                    "Ghost": {
                        "Environment/Cumulative Reward": series(own if healthy else np.zeros(n), t),
                        "Environment/Group Cumulative Reward": series(np.zeros(n), t),
                    }
                },
                expect=[] if healthy else [Expect("never_learned", "Ghost")],
                also_ok=() if healthy else ("stuck_metric",),
            )
        )
    # A return that climbs inside its first two or three summaries and then drifts a few percent on its
    # plateau (healthy), or falls back by half of everything it learned and stays (a collapse).
    for i in range(8):
        healthy = i % 4 != 3
        n = int(rng.choice([11, 15, 25]))
        t = (np.arange(n) + 1) * 50000
        low, top = float(rng.uniform(-5, 5)), float(rng.uniform(30, 120))
        ret = np.empty(n)
        ret[0], ret[1] = low, low + 0.9 * (top - low)
        late = top * (1 - float(rng.uniform(0.02, 0.06))) if healthy else low + 0.45 * (top - low)
        ret[2:] = np.linspace(top, late, n - 2) if healthy else np.concatenate([[top] * 3, [late] * (n - 5)])
        ret = ret + 0.005 * (top - low) * rng.standard_normal(n)
        out.append(
            Case(
                "synth_fast_climb_%02d_n%d%s" % (i, n, "_drifts" if healthy else "_falls_back"),
                "synth_fast_climb",
                healthy,
                {"Prey": {"Environment/Cumulative Reward": series(ret, t)}},
                expect=[] if healthy else [Expect("metric_collapse", "Prey", "Environment/Cumulative Reward")],
                also_ok=() if healthy else ("transient_dip",),
            )
        )
    return out


def stop29_cases(rng) -> List[Case]:
    """Stop 29: an RL return that never rises beyond its own noise (holding or sagging a little) while its
    episodes stay as long as they were (`never_learned`, how=flat), beside four look-alikes that learned: a slow but real climb, a climb
    made in the first summaries, a zero-sum game whose return sits at 0 while its rallies grow, and a log
    that continues a trained run from a checkpoint (its first step far past zero)."""
    out = []
    looks = ["slow", "early", "zero_sum", "resumed"]
    for i in range(16):
        healthy = i % 2 == 1
        look = looks[(i // 2) % 4]
        n = int(rng.choice([16, 25, 40, 80]))
        k = np.arange(n, dtype=float)
        base = float(rng.uniform(-300, 50))
        noise = float(rng.uniform(0.5, 30))
        # The never-learned returns of the tuned and blind runs hold their level or sag a little (Mann-Kendall
        # z from -5 to 0: a policy that drifts as its entropy falls), never climbing.
        ret = base + noise * rng.standard_normal(n) - float(rng.uniform(0.0, 1.5)) * noise * k / n
        length = float(rng.uniform(80, 1500)) * np.exp(rng.normal(0, 0.05, n))
        first = 50000
        if healthy and look == "slow":
            ret = ret + float(rng.uniform(3, 6)) * noise * k / n
        elif healthy and look == "early":
            ret = ret + float(rng.uniform(3, 6)) * noise * (k >= 2)
        elif healthy and look == "zero_sum":
            ret = np.clip(rng.normal(0, 0.3, n), -1, 1)
            length = length * np.exp(np.linspace(0, float(rng.uniform(1.5, 4.0)), n))
        elif healthy and look == "resumed":
            first = int(rng.integers(400, 600)) * 50000
        t = first + np.arange(n) * 50000
        out.append(
            Case(
                "synth_flat_return_%02d_n%d_%s" % (i, n, look if healthy else "never"),
                "synth_flat_return",
                healthy,
                {
                    "Agent": {
                        "Environment/Cumulative Reward": series(ret, t),
                        "Environment/Episode Length": series(length, t),
                    }
                },
                expect=[] if healthy else [Expect("never_learned", "Agent", "Environment/Cumulative Reward")],
                also_ok=() if healthy else ("no_progress", "stuck_metric"),
            )
        )
    return out


def stop30_cases(rng) -> List[Case]:
    """Stop 30: two RL families where the return that says whether the agent learns is not the series that
    moves the wrong way.

    - The two sides of a zero-sum game, one run per behaviour: the losing side's return falls exactly as
      the winner's rises (healthy by design), against two separate trainings in one folder where one
      climbs while the other collapses, each with its own noise (a collapse).
    - Reward terms and per-step rewards logged beside the episode return (RLlib's
      `custom_metrics/reward_<term>_mean`, an environment's `env/reward_total_mean` beside SB3's
      `rollout/ep_rew_mean`): a term that gives back what it gained while the return climbs is a trade-off
      (healthy), the return itself climbing and falling back is a collapse."""
    out = []
    tag = "Environment/Cumulative Reward"
    for i in range(8):
        healthy = i % 2 == 0
        n = int(rng.choice([20, 40, 80]))
        k = np.arange(n, dtype=float)
        t = (np.arange(n) + 1) * 50000
        scale, noise = float(rng.uniform(5, 40)), float(rng.uniform(0.03, 0.1))
        mid, width = float(rng.uniform(0.3, 0.6)) * n, float(rng.uniform(0.03, 0.1)) * n
        win = scale * (-0.5 + 1.0 / (1 + np.exp(-(k - mid) / width))) + noise * scale * rng.standard_normal(n)
        if healthy:
            lose = -win
            # Some summaries close on different episodes for the two sides (a draw): there they do not mirror.
            odd = rng.random(n) < 0.2
            lose[odd] += noise * scale * rng.standard_normal(int(odd.sum()))
        else:
            peak = int(rng.integers(n // 4, n // 2))
            rise = np.minimum(k / peak, 1.0)
            fall = np.clip((k - peak - 2) / max(2.0, 0.1 * n), 0.0, 1.0)
            lose = scale * (-0.5 + rise - 0.9 * fall) + noise * scale * rng.standard_normal(n)
        runs = {"Winner": {tag: series(win, t)}, "Loser": {tag: series(lose, t)}}
        out.append(
            Case(
                "synth_zero_sum_%02d_n%d_%s" % (i, n, "mirrored" if healthy else "separate_collapse"),
                "synth_zero_sum",
                healthy,
                runs,
                expect=[] if healthy else [Expect("metric_collapse", "Loser", tag)],
                also_ok=() if healthy else ("never_learned", "transient_dip"),
            )
        )
    layouts = {
        "rllib": (
            "ray/tune/env_runners/episode_reward_mean",
            "ray/tune/env_runners/custom_metrics/reward_sla_mean_mean",
        ),
        "sb3": ("rollout/ep_rew_mean", "env/reward_total_mean"),
    }
    for i in range(8):
        healthy = i % 2 == 0
        ret_tag, term_tag = layouts["rllib" if i % 4 < 2 else "sb3"]
        n = int(rng.choice([30, 60, 120]))
        k = np.arange(n, dtype=float)
        t = (np.arange(n) + 1) * 10000
        start, gain = float(rng.uniform(-300, 100)), float(rng.uniform(200, 2000))
        noise = float(rng.uniform(0.01, 0.05)) * gain
        climb = 1 - np.exp(-k / (0.2 * n))
        ret = start + gain * climb + noise * rng.standard_normal(n)
        cut = int(rng.integers(n // 3, n // 2))
        if not healthy:
            ret = start + gain * np.where(k < cut, climb, climb[cut] * 0.15) + noise * rng.standard_normal(n)
        # The term gains for a while, then gives back more than it gained and stays there.
        term_scale = float(rng.uniform(0.3, 30))
        term = term_scale * (np.where(k < cut, 0.3 * k / cut, -0.5)) + 0.02 * term_scale * rng.standard_normal(n)
        out.append(
            Case(
                "synth_reward_terms_%02d_n%d_%s" % (i, n, "trade_off" if healthy else "return_collapse"),
                "synth_reward_terms",
                healthy,
                {"PPO_1": {ret_tag: series(ret, t), term_tag: series(term, t)}},
                expect=[] if healthy else [Expect("metric_collapse", "PPO_1", ret_tag)],
                also_ok=() if healthy else ("never_learned",),
            )
        )
    return out


def stop31_cases(rng) -> List[Case]:
    """Stop 31: a converged classifier whose loss blows up and comes only partly back.

    - Pathology: a cross-entropy driven orders of magnitude down (to 1e-5..1e-7) jumps by four to seven
      orders within one evaluation, the accuracy falling to chance with it, and the run ends with the loss
      a hundredfold or more above where it was and the accuracy below the 1.0 it held (`loss_divergence`).
    - Healthy: the same converged loss wandering a decade at float32's floor while the accuracy holds
      1.0, and a DQN's TD loss that climbs from its converged level by design as the values grow, beside
      a return that climbs (no accuracy: an RL run is judged by its return)."""
    out = []
    for i in range(8):
        healthy = i % 2 == 1
        n = int(rng.choice([300, 800, 1500]))
        e = np.arange(n, dtype=float)
        steps = np.arange(n)
        floor = -float(rng.uniform(5.0, 7.0))
        settle = float(rng.uniform(0.3, 0.5)) * n
        start = float(np.log10(rng.uniform(0.7, 2.5)))
        log_loss = start + (floor - start) * np.minimum(e / settle, 1.0)
        acc = np.minimum(1.0, float(rng.uniform(0.1, 0.4)) + e / (0.6 * settle))
        jump = int(rng.uniform(0.6, 0.85) * n)
        if not healthy:
            peak = float(rng.uniform(0.5, 1.5))
            back = float(rng.uniform(-2.0, -0.7))
            after = e[jump:] - jump
            log_loss[jump:] = peak + (back - peak) * np.minimum(after / (0.1 * n), 1.0)
            acc[jump : jump + 2] = float(rng.uniform(0.05, 0.3))
            final = float(rng.uniform(0.8, 0.96))
            acc[jump + 2 :] = np.minimum(final, acc[jump] + (e[jump + 2 :] - jump) / (0.1 * n))
        loss = 10.0 ** (log_loss + float(rng.uniform(0.02, 0.1)) * rng.standard_normal(n))
        runs = {"train": {"epoch_loss": series(loss, steps)}}
        if healthy and i % 4 == 3:
            # An SB3 DQN: its TD loss climbs from its converged level as the values grow, while the return
            # climbs (the real healthy runs of this shape log no accuracy).
            td = np.where(e < jump, loss, 10.0 ** (float(rng.uniform(-1.5, -0.5)) + 0.1 * rng.standard_normal(n)))
            ret = float(rng.uniform(20, 200)) * (1 - np.exp(-e / (0.3 * n))) + rng.standard_normal(n)
            runs = {"DQN_1": {"train/loss": series(td, steps), "rollout/ep_rew_mean": series(ret, steps)}}
        else:
            runs["train"]["epoch_categorical_accuracy"] = series(
                np.clip(acc + 0.003 * rng.standard_normal(n), 0, 1), steps
            )
        out.append(
            Case(
                "synth_blowup_%02d_n%d_%s"
                % (i, n, ("floor_wander" if i % 4 == 1 else "no_metric") if healthy else "partly_back"),
                "synth_blowup",
                healthy,
                runs,
                expect=[] if healthy else [Expect("loss_divergence", "train", "epoch_loss")],
                also_ok=() if healthy else ("metric_collapse", "transient_dip"),
            )
        )
    return out


def yolov8_head_swing(
    rng, n: int, swing: float, m_end: float, map_swing: float, until: int = 11
) -> Dict[str, np.ndarray]:
    """YOLOv8's per-epoch results as its SummaryWriter logs them, resumed from trained weights: the
    validation class loss swings by `swing` up and down from epoch 1 to `until` (the ten epochs of warm-up
    by default) while it falls, box and DFL losses hold, and mAP50-95 climbs to `m_end`, swinging by
    `map_swing` with the class loss.  Each value carries 0.5 % noise."""
    e = np.arange(n, dtype=float)
    zig = np.where(np.arange(n) % 2 == 1, 1.0, -1.0) * (e >= 1) * (e <= until)
    tags = {
        "train/box_loss": 1.2 - 0.3 * (1 - np.exp(-e / 50.0)),
        "train/cls_loss": 0.3 + 2.0 * np.exp(-e / 4.0) + 0.5 * (1 - e / n),
        "train/dfl_loss": 1.24 - 0.37 * (e / n),
        "val/box_loss": 1.25 - 0.05 * (1 - np.exp(-e / 20.0)),
        "val/cls_loss": 0.45 + 0.6 * np.exp(-e / 15.0) + swing * zig,
        "val/dfl_loss": 1.12 + 0.04 * (e / n),
        "metrics/mAP50-95(B)": m_end - 0.2 * np.exp(-e / 15.0) - map_swing * zig,
    }
    return {k: v * (1 + 0.005 * rng.standard_normal(n)) for k, v in tags.items()}


def stop32_cases(rng) -> List[Case]:
    """Stop 32: a loss climb that cost the accuracy the run had, a loss head swinging beside a climbing
    task metric, and a fine-tune's noisy training loss beside a climbing test accuracy.

    - Pathology: a classifier at its plateau (0.85-0.97) whose loss climbs five- to thirtyfold over the
      last few evaluations while its accuracy gives back 0.15-0.3 of it, far above where the run began
      (`loss_divergence`).  Healthy: the same spike that comes back to its level, accuracy and all.
    - Healthy: YOLOv8's validation class loss alternating over the first ten epochs of warm-up while box
      and DFL losses hold and mAP50-95 climbs.  Pathology: mAP swinging with it to the end of the run
      (`oscillation`).  Until stop 41 the pathology's swing also stopped after warm-up; four real runs of
      that shape, an mAP alternating for a stretch and then climbing smoothly beyond it, were labelled
      healthy by people reading them, and the oscillation detector now agrees with them.
    - Healthy: a fine-tune's training loss wandering down within its noise while test accuracy climbs and
      test loss falls.  Pathology: the test side flat too (`no_progress`)."""
    out = []
    for i in range(6):
        healthy = i >= 4
        n = int(rng.choice([100, 200, 400]))
        e = np.arange(n, dtype=float)
        steps = np.arange(n)
        plateau = float(rng.uniform(0.85, 0.97))
        first = float(rng.uniform(0.2, 0.35))
        tau = float(rng.uniform(0.1, 0.2)) * n
        acc = first + (plateau - first) * (1 - np.exp(-e / tau))
        floor = float(rng.uniform(0.1, 0.2))
        loss = floor + float(rng.uniform(1.5, 2.2)) * np.exp(-e / tau)
        k = max(6, int(rng.uniform(0.05, 0.08) * n))
        onset = n - k
        climb = floor * float(rng.uniform(5, 30))
        shape = np.sin(np.linspace(0.15, np.pi * 0.85, k))
        if healthy:
            # The spike passes and the run ends at its level.
            shape = np.concatenate([np.sin(np.linspace(0.3, np.pi, k - 3)), np.zeros(3)])
            loss[onset:] = floor + climb * shape
            acc[onset:] = plateau - (plateau - 0.5) * shape
        else:
            loss[onset:] = floor + climb * np.maximum(shape, np.linspace(0.2, 0.6, k))
            acc[onset:] = plateau - float(rng.uniform(0.15, 0.3)) * np.linspace(0.3, 1.0, k)
        runs = {
            "train": {
                "epoch_loss": series(loss * (1 + 0.02 * rng.standard_normal(n)), steps),
                "epoch_categorical_accuracy": series(np.clip(acc + 0.006 * rng.standard_normal(n), 0, 1), steps),
            }
        }
        out.append(
            Case(
                "synth_climb_cost_%02d_n%d_%s" % (i, n, "spike_back" if healthy else "accuracy_lost"),
                "synth_climb_cost",
                healthy,
                runs,
                expect=[] if healthy else [Expect("loss_divergence", "train", "epoch_loss")],
                also_ok=("transient_dip", "low_margin") if healthy else ("metric_collapse", "transient_dip"),
            )
        )
    for i in range(4):
        healthy = i % 2 == 0
        n = int(rng.choice([60, 100, 150]))
        steps = np.arange(1, n + 1)
        swing, m_end = float(rng.uniform(0.05, 0.09)), float(rng.uniform(0.6, 0.8))
        map_swing = 0.0 if healthy else float(rng.uniform(0.06, 0.1))
        tags = yolov8_head_swing(rng, n, swing, m_end, map_swing, 11 if healthy else n)
        runs = {"yolov8s": {t: series(v, steps) for t, v in tags.items()}}
        out.append(
            Case(
                "synth_head_swing_%02d_n%d_%s" % (i, n, "task_climbs" if healthy else "task_swings"),
                "synth_head_swing",
                healthy,
                runs,
                expect=[] if healthy else [Expect("oscillation", "yolov8s", "metrics/mAP50-95(B)")],
                also_ok=() if healthy else ("transient_dip", "low_margin"),
            )
        )
    for i in range(4):
        healthy = i % 2 == 0
        n = int(rng.choice([25, 30, 40]))
        e = np.arange(n, dtype=float)
        steps = np.arange(n)
        gain = float(rng.uniform(0.05, 0.08)) if healthy else 0.0
        tags = {
            "loss/train": 0.44 - float(rng.uniform(0.04, 0.07)) * e / n + 0.03 * rng.standard_normal(n),
            "accuracy/train": 0.855 + 0.02 * e / n + 0.008 * rng.standard_normal(n),
            "loss/test": 0.93 - (0.24 if healthy else 0.0) * e / n + 0.03 * rng.standard_normal(n),
            "accuracy/test": 0.72 + gain * e / n + 0.008 * rng.standard_normal(n),
        }
        out.append(
            Case(
                "synth_finetune_noise_%02d_n%d_%s" % (i, n, "test_climbs" if healthy else "test_flat"),
                "synth_finetune_noise",
                healthy,
                {"testrun": {t: series(v, steps) for t, v in tags.items()}},
                expect=[] if healthy else [Expect("no_progress", "testrun", "loss/test")],
                also_ok=() if healthy else ("never_learned",),
            )
        )
    return out


def creep_after_decades(rng, n: int, first: float, best: float, rise: float, ordered: bool) -> Dict[str, np.ndarray]:
    """A regression's per-epoch losses as Lightning logs them: the validation loss falls from its untrained
    `first` to `best` over decades by 45 % of the run, then creeps up by `rise` of its level by the end, in
    order when `ordered` (else it wanders within that band with no trend), while the training loss keeps
    falling below it.  Each value carries 0.3 % noise."""
    e = np.arange(n, dtype=float)
    turn = int(0.45 * n)
    tau = turn / 6.0
    fall = np.exp(np.log(best) + np.log(first / best) * np.exp(-e / tau))
    after = np.clip(e - turn, 0, None) / max(1, n - 1 - turn)
    wander = after if ordered else rng.permutation(after) * (e > turn)
    val = fall * (1 + rise * wander)
    train_best = best / 4.0
    train = np.exp(np.log(train_best) + np.log(first / train_best) * np.exp(-e / tau)) * (1 - 0.1 * e / n)
    return {
        "train_loss_epoch": train * (1 + 0.003 * rng.standard_normal(n)),
        "val_loss_epoch": val * (1 + 0.003 * rng.standard_normal(n)),
    }


def perfect_fit_jump(rng, n: int) -> Dict[str, np.ndarray]:
    """A small binary classifier that fits its validation set: validation loss 0.68 -> 2e-5 over decades with
    a few noisy jumps to 1e-4 in its last evaluations, training loss down to 2e-6, validation accuracy 1.0."""
    e = np.arange(n, dtype=float)
    tau = n / 12.0
    val = np.exp(np.log(2e-5) + np.log(0.68 / 2e-5) * np.exp(-e / tau))
    val[-4:] = [4e-5, 4.8e-4, 1.5e-4, 1.2e-4]
    train = np.exp(np.log(2e-6) + np.log(0.69 / 2e-6) * np.exp(-e / tau))
    acc = np.clip(0.5 + 0.5 * (1 - np.exp(-e / tau)) * 1.05, 0, 1)
    return {
        "train_loss": train * (1 + 0.05 * rng.standard_normal(n)),
        "val_loss": val * (1 + 0.05 * rng.standard_normal(n)),
        "val_acc": acc,
    }


def opening_blowup(rng, n: int, first: float, peak: float, end_share: float) -> np.ndarray:
    """A per-epoch training loss that blows up from `first` to `peak` at its second evaluation, falls back
    within a tenth of the run and then settles at `end_share` of its first value (1.0: back where it began),
    with 1.5 % noise."""
    e = np.arange(n, dtype=float)
    back = max(2.0, 0.02 * n)
    settle = first * (end_share + (1.0 - end_share) * np.exp(-e / (0.2 * n)))
    v = settle + (peak - first) * np.exp(-(e - 1) / back) * (e >= 1)
    v[0] = first
    return v * (1 + 0.015 * rng.standard_normal(n))


def stop33_cases(rng) -> List[Case]:
    """Stop 33: a validation loss that creeps up in order after falling over decades, and a training loss
    that blows up at its start and comes back only to its first value.

    - Pathology: after a fall of 2-3 decades, the validation loss rises by 22-35 % of its level in order
      over the second half of the run while the training loss keeps falling (`overfitting`).
    - Healthy: the same creep by 6-9 % of its level (under the 15 % a rise certain from its order needs);
      the same band without order; a classifier whose validation loss at its floor (2e-5) jumps to 1e-4
      over its last four evaluations.
    - Pathology: a training loss that blows up 50-10000x at its second evaluation and comes back only to
      its first value (`no_progress`).  Healthy: the same blow-up, then a fall to 30-60 % of its first."""
    out = []
    for i in range(8):
        kind = ["creeps", "creeps", "creeps", "creeps", "small", "small", "wanders", "wanders"][i]
        n = int(rng.choice([60, 120, 250, 500]))
        first = float(10 ** rng.uniform(0, 1.5))
        best = first * float(10 ** -rng.uniform(2.0, 3.0))
        rise = float(rng.uniform(0.22, 0.35)) if kind != "small" else float(rng.uniform(0.06, 0.09))
        tags = creep_after_decades(rng, n, first, best, rise, ordered=kind != "wanders")
        steps = np.arange(n)
        healthy = kind != "creeps"
        out.append(
            Case(
                "synth_decade_creep_%02d_n%d_%s" % (i, n, kind),
                "synth_decade_creep",
                healthy,
                {"version_0": {t: series(v, steps) for t, v in tags.items()}},
                expect=[] if healthy else [Expect("overfitting", "version_0", "val_loss_epoch")],
            )
        )
    for i in range(2):
        n = int(rng.choice([120, 270]))
        tags = perfect_fit_jump(rng, n)
        out.append(
            Case(
                "synth_decade_creep_%02d_n%d_perfect_fit_jump" % (8 + i, n),
                "synth_decade_creep",
                True,
                {"version_0": {t: series(v, np.arange(n)) for t, v in tags.items()}},
                expect=[],
            )
        )
    for i in range(6):
        healthy = i >= 3
        n = int(rng.choice([30, 60, 100]))
        first = float(10 ** rng.uniform(-1, 3))
        peak = first * float(10 ** rng.uniform(1.7, 4))
        end_share = float(rng.uniform(0.3, 0.6)) if healthy else float(rng.uniform(0.98, 1.05))
        loss = opening_blowup(rng, n, first, peak, end_share)
        out.append(
            Case(
                "synth_opening_blowup_%02d_n%d_%s" % (i, n, "learned" if healthy else "back_at_start"),
                "synth_opening_blowup",
                healthy,
                {"version_0": {"train_loss_epoch": series(loss, np.arange(n))}},
                expect=[] if healthy else [Expect("no_progress", "version_0", "train_loss_epoch")],
                also_ok=() if healthy else ("never_learned", "loss_divergence", "oscillation"),
            )
        )
    return out


def gan_players(rng, n: int, how: str) -> dict:
    """A GAN's per-step losses `lossD` (real and fake BCE halves added), `lossG` (non-saturating) and a
    validation error the generator is also trained on.  `how`:

    - "idle": the discriminator answers 0.5 for every input: lossD sits at ln 4 and lossG at ln 2 to the
      fourth digit after a small opening offset, while the supervised error still falls;
    - "learning": the discriminator learns at once (lossD 1.386 -> 0.6-1.1, lossG -> 1.5-3) and both
      wander as the players trade blows;
    - "equilibrium": it learns, then drifts back towards ln 4 over the second half, wandering about it
      by 4 % (a game near its balance point, never still)."""
    e = np.arange(n, dtype=float)
    ln2, ln4 = math.log(2.0), math.log(4.0)
    err = 40.0 * np.exp(-e / (0.15 * n)) + 7.0 + 0.5 * rng.standard_normal(n)
    if how == "idle":
        d = ln4 + 0.001 * np.exp(-e / (0.03 * n)) + 2e-4 * rng.standard_normal(n)
        g = ln2 - 0.022 * np.exp(-e / (0.05 * n)) + 2e-4 * rng.standard_normal(n)
        return {"lossD": d, "lossG": g, "val_RMSE": err}
    d_low, g_high = float(rng.uniform(0.6, 1.1)), float(rng.uniform(1.5, 3.0))
    fall = np.exp(-e / (0.05 * n))
    d = d_low + (ln4 - d_low) * fall
    g = g_high + (ln2 - g_high) * fall
    if how == "equilibrium":
        back = np.clip((e - 0.5 * n) / (0.2 * n), 0.0, 1.0)
        d = d + (ln4 - d) * back
        g = g + (ln2 - g) * back
        return {
            "lossD": d * (1 + 0.04 * rng.standard_normal(n)),
            "lossG": g * (1 + 0.04 * rng.standard_normal(n)),
            "val_RMSE": err,
        }
    return {
        "lossD": d * (1 + 0.12 * rng.standard_normal(n)),
        "lossG": g * (1 + 0.12 * rng.standard_normal(n)),
        "val_RMSE": err,
    }


def multitask_heads(rng, n: int, head_learns: bool) -> dict:
    """A Lightning multi-task model's per-epoch series: a binary classification head and a regression head
    summed into `train_loss` / `val_loss`.  The regression head learns (its loss falls 20-fold); the
    classification head either learns (loss 0.69 -> 0.15, accuracy 0.5 -> 0.95) or sits at ln 2 with its
    accuracy at 0.5 to within a few examples (`head_learns` False), so the totals still fall."""
    e = np.arange(n, dtype=float)
    fall = np.exp(-e / (0.2 * n))
    out = {}
    for split, noise in (("train", 0.01), ("val", 0.02)):
        reg = (0.05 + 1.0 * fall) * (1 + noise * rng.standard_normal(n))
        if head_learns:
            cls = (0.15 + (math.log(2.0) - 0.15) * fall) * (1 + noise * rng.standard_normal(n))
            acc = np.clip(0.95 - 0.45 * fall + noise * rng.standard_normal(n), 0.0, 1.0)
        else:
            cls = math.log(2.0) * (1 + 0.003 * np.abs(rng.standard_normal(n)))
            acc = 0.5 + 0.012 * rng.standard_normal(n)
        out["%s_classification_loss" % split] = cls
        out["%s_classification_acc" % split] = acc
        out["%s_regression_loss" % split] = reg
        out["%s_loss" % split] = cls + reg
    return out


def long_blowup(rng, n: int, first: float, base: float, factor: float, share: float) -> np.ndarray:
    """A per-epoch loss that falls from `first` to `base` over its first 15 %, jumps to about `factor` x base
    and wanders there (log-normal, a third of a decade) for `share` of the run, then comes back down to
    `base` and a little under it as a one-cycle learning rate anneals.  `share` 0 gives a spike of two
    evaluations instead of a stretch."""
    e = np.arange(n, dtype=float)
    v = base + (first - base) * np.exp(-e / (0.05 * n))
    start = int(0.15 * n)
    length = max(2, int(share * n))
    up = np.arange(start, min(n - 5, start + length))
    v[up] = base * factor * 10 ** (0.33 * rng.standard_normal(up.shape[0]))
    after = np.arange(up[-1] + 1, n)
    v[after] = base * (0.7 + 0.3 * np.exp(-(after - after[0]) / (0.1 * n)))
    return v * (1 + 0.03 * rng.standard_normal(n))


def stop34_cases(rng) -> List[Case]:
    """Stop 34: a GAN whose discriminator never learned, and one head of a multi-task model at chance.

    - Pathology: lossD held at ln 4 and lossG at ln 2 to the fourth digit for the whole run, while the
      generator's supervised error falls (`never_learned` on lossD).
    - Healthy: a discriminator that learns at once and trades blows with the generator; one that learns and
      then drifts back to wander about ln 4 by 4 % over the second half.
    - Pathology: the classification head of a two-head model at ln 2 with its accuracy at 0.5 while the
      regression head (and so the summed loss) learns (`never_learned` on the head's validation loss).
      Healthy: the same model whose classification head learns.
    - Pathology: a loss that blows up 30-3000x above the level it reached and stays up for 25-60 % of the run
      before coming back (`loss_divergence`).  Healthy: the same loss with a spike of two evaluations."""
    out = []
    for i in range(7):
        how = ["idle", "idle", "idle", "learning", "learning", "equilibrium", "equilibrium"][i]
        n = int(rng.choice([60, 300, 1000]))
        tags = gan_players(rng, n, how)
        healthy = how != "idle"
        out.append(
            Case(
                "synth_idle_discriminator_%02d_n%d_%s" % (i, n, how),
                "synth_idle_discriminator",
                healthy,
                {"version_0": {t: series(v, np.arange(n)) for t, v in tags.items()}},
                expect=[] if healthy else [Expect("never_learned", "version_0", "lossD")],
                also_ok=() if healthy else ("no_progress",),
            )
        )
    for i in range(4):
        learns = i >= 2
        n = int(rng.choice([20, 50, 100]))
        tags = multitask_heads(rng, n, learns)
        out.append(
            Case(
                "synth_head_at_chance_%02d_n%d_%s" % (i, n, "learns" if learns else "at_chance"),
                "synth_head_at_chance",
                learns,
                {"version_0": {t: series(v, np.arange(n)) for t, v in tags.items()}},
                expect=[] if learns else [Expect("never_learned", "version_0", "val_classification_loss")],
                also_ok=() if learns else ("no_progress", "stuck_metric"),
            )
        )
    for i in range(6):
        spike = i >= 4
        n = int(rng.choice([60, 180, 500]))
        base = float(10 ** rng.uniform(-3, 0))
        loss = long_blowup(
            rng, n, base * 10, base, float(10 ** rng.uniform(1.5, 3.5)), 0.0 if spike else float(rng.uniform(0.25, 0.6))
        )
        out.append(
            Case(
                "synth_long_blowup_%02d_n%d_%s" % (i, n, "spike" if spike else "stayed_up"),
                "synth_long_blowup",
                spike,
                {"version_0": {"train_loss_epoch": series(loss, np.arange(n))}},
                expect=[] if spike else [Expect("loss_divergence", "version_0", "train_loss_epoch")],
                also_ok=() if spike else ("oscillation",),
            )
        )
    return out


def error_metric_run(rng, n: int, how: str) -> dict:
    """A regressor's per-epoch training loss and validation error metrics (`val_loss`, `val_rmse`, `val_mae`).

    - "held": the model outputs one constant for every input (a closed ReLU output); its RMSE and MAE repeat to
      the digit from the first epoch to the last while the loss falls 5-20 % (a weight penalty shrinking
      the weights: the data term never moves).
    - "tiny": a healthy fit whose MAE halves over the run by less than 1e-7 an epoch (float32's floor for
      "the same value") while its loss still falls.
    - "perfect": a healthy fit of a noiseless target whose errors reach exactly 0 and stay there.
    - "coarse": a healthy word error rate on a small evaluation set (values on a grid of 1/40): falls, then
      repeats its value for 2-4 epochs at a time near its floor."""
    e = np.arange(n, dtype=float)
    if how == "held":
        loss = (
            4.0
            * (1 - float(rng.uniform(0.05, 0.2)) * (1 - np.exp(-e / (0.3 * n))))
            * (1 + 0.002 * rng.standard_normal(n))
        )
        rmse = np.full(n, float(rng.uniform(0.5, 3.0)))
        return {"train_loss": loss, "val_loss": loss * 1.03, "val_rmse": rmse, "val_mae": rmse * 0.8}
    loss = 0.1 + 2.0 * np.exp(-e / (0.2 * n)) * (1 + 0.02 * rng.standard_normal(n))
    if how == "tiny":
        # Halves over the run by 0.3-0.9e-7 an epoch, while the loss is still falling.
        mae = 1e-7 * n * float(rng.uniform(0.6, 1.8)) * (1 - 0.5 * e / n)
        loss = 0.1 + 2.0 * np.exp(-e / (0.6 * n))
        return {"train_loss": loss, "val_loss": loss * 1.1, "val_mae": mae, "val_rmse": mae * 1.3}
    if how == "perfect":
        err = np.maximum(0.0, 1.5 * (1 - e / (0.4 * n)))
        return {"train_loss": loss, "val_loss": loss * 1.1, "val_rmse": err, "val_mae": err * 0.8}
    wer = 0.2 + 0.8 * np.exp(-e / (0.2 * n)) + 0.02 * rng.standard_normal(n)
    wer = np.round(wer * 40) / 40
    for i in range(n // 2, n, 4):
        wer[i : i + int(rng.integers(2, 5))] = wer[i]
    return {"train_loss": loss, "val_loss": loss * 1.1, "val_wer": wer}


def opening_runs(rng, n: int, how: str) -> dict:
    """Runs whose first evaluation or whose ceiling is not what it seems (stop 35's blind false alarms).

    - "recall_opens_at_one": a binary classifier's recall is exactly 1 at its first evaluation (the
      untrained model calls everything positive), then 0.8-0.9 while the validation loss falls;
      "recall_breaks": the same, and from two thirds of the run on the recall sits at 0.25.
    - "ap_ceiling": a detector's mAP50 held at 0.995 (Ultralytics' interpolated ceiling) from the first
      epoch while its box loss falls; "ap_held": the same AP held at 0.55-0.7.
    - "opening_climb": a return 5-10 noise units below its plateau at the first summary, on its plateau from
      the second on, with one-step episodes (length 2 throughout); "opening_flat": on its plateau from
      the first summary.
    - "grad_nan": a Hugging Face fine-tune logging loss 0 and grad_norm NaN at every step."""
    e = np.arange(n, dtype=float)
    if how.startswith("recall"):
        recall = np.clip(0.85 + 0.015 * rng.standard_normal(n), 0.0, 0.99)
        recall[0] = 1.0
        if how == "recall_breaks":
            recall[2 * n // 3 :] = 0.25 + 0.015 * rng.standard_normal(n - 2 * n // 3)
        return {"recall": recall, "val_loss": 0.62 - 0.06 * e / n}
    if how.startswith("ap"):
        box = 0.11 * (0.6 + 0.4 * np.exp(-e / (0.3 * n))) * (1 + 0.03 * rng.standard_normal(n))
        level = 0.995 if how == "ap_ceiling" else float(rng.uniform(0.55, 0.7))
        return {"train/box_loss": box, "val/box_loss": 1.1 * box, "metrics/mAP50(B)": np.full(n, level)}
    if how.startswith("opening"):
        sigma = float(rng.uniform(1.0, 3.0))
        reward = 20.0 + sigma * rng.standard_normal(n)
        if how == "opening_climb":
            reward[0] = 20.0 - float(rng.uniform(5.0, 10.0)) * sigma
        return {"Environment/Cumulative Reward": reward, "Environment/Episode Length": np.full(n, 2.0)}
    return {"train/loss": np.zeros(n), "train/grad_norm": np.full(n, np.nan), "train/learning_rate": 2e-4 * (1 - e / n)}


def gan_errors(rng, n: int, won: bool) -> dict:
    """A vanilla GAN's per-batch `D_error` and `G_error` (the PyTorch tutorials' names).  In the game the
    discriminator's loss wanders around 0.5-1.4 and the generator's around 0.7-3.5, in mirrored swings,
    each dipping or spiking at single batches; with `won` the discriminator pulls ahead from a third of
    the run on: its loss falls to 1e-3-1e-4 and the generator's climbs to 8-15 and stays there."""
    e = np.arange(n, dtype=float)
    swing = np.sin(e / max(3.0, 0.04 * n)) * 0.3 + 0.15 * rng.standard_normal(n)
    d = np.clip(0.9 + swing, 0.05, None)
    g = np.clip(1.6 - 1.5 * swing, 0.2, None)
    spikes = rng.choice(n, size=max(1, n // 50), replace=False)
    d[spikes], g[spikes] = 0.03, 6.0
    if won:
        start = n // 3
        t = (e[start:] - start) / (n - start)
        d[start:] = 10 ** (-1.0 - 3.0 * np.minimum(1.0, 3 * t)) * (1 + 0.3 * rng.random(n - start))
        g[start:] = (2.0 + 10.0 * np.minimum(1.0, 2 * t)) * (1 + 0.1 * rng.standard_normal(n - start))
    return {"VGAN_MNIST/D_error": d, "VGAN_MNIST/G_error": g}


def stop35_cases(rng) -> List[Case]:
    """Stop 35: an error metric (RMSE, MAE) repeated to the digit at every evaluation while the loss moves,
    and runs whose first evaluation or ceiling is not what it seems (`opening_runs`), and a GAN whose
    discriminator has won (`gan_errors`: D_error near zero and G_error climbing to 8-15 from a third of the
    run on, `loss_divergence`; the same game with its usual swings and single-batch spikes, healthy).

    - Pathology: a regressor's validation RMSE and MAE held at one value from the first epoch to the last
      while its loss falls 5-20 % (`stuck_metric` on val_rmse).
    - Healthy: an MAE falling smoothly by less than 1e-7 an epoch; errors that reach exactly 0 and stay; a word
      error rate on a 1/40 grid that repeats for a few epochs near its floor."""
    out = []
    for i in range(7):
        how = ["held", "held", "held", "tiny", "tiny", "perfect", "coarse"][i]
        n = int(rng.choice([12, 40, 150, 1000])) if how != "coarse" else 60
        tags = error_metric_run(rng, n, how)
        healthy = how != "held"
        out.append(
            Case(
                "synth_error_held_%02d_n%d_%s" % (i, n, how),
                "synth_error_held",
                healthy,
                {"version_0": {t: series(v, np.arange(n)) for t, v in tags.items()}},
                expect=[] if healthy else [Expect("stuck_metric", "version_0", "val_rmse")],
                also_ok=() if healthy else ("no_progress", "never_learned"),
            )
        )
    expects = {
        "recall_breaks": Expect("metric_collapse", "version_0", "recall"),
        "ap_held": Expect("stuck_metric", "version_0", "metrics/mAP50(B)"),
        "opening_flat": Expect("never_learned", "version_0", "Environment/Cumulative Reward"),
        "grad_nan": Expect("non_finite", "version_0", "train/grad_norm"),
    }
    hows = ["recall_opens_at_one", "recall_breaks", "ap_ceiling", "ap_held", "opening_climb", "opening_flat"]
    for i, how in enumerate(hows + ["opening_climb", "grad_nan"]):
        n = int(rng.choice([30, 50, 120]))
        tags = opening_runs(rng, n, how)
        healthy = how not in expects
        out.append(
            Case(
                "synth_trivial_opening_%02d_n%d_%s" % (i, n, how),
                "synth_trivial_opening",
                healthy,
                {"version_0": {t: series(v, np.arange(n)) for t, v in tags.items()}},
                expect=[] if healthy else [expects[how]],
                also_ok=() if healthy else ("no_progress", "never_learned", "exploding_gradients"),
            )
        )
    for i in range(6):
        won = i < 3
        n = int(rng.choice([100, 400, 1500]))
        tags = gan_errors(rng, n, won)
        out.append(
            Case(
                "synth_winning_discriminator_%02d_n%d_%s" % (i, n, "won" if won else "in_game"),
                "synth_winning_discriminator",
                not won,
                {"version_0": {t: series(v, np.arange(n)) for t, v in tags.items()}},
                expect=[Expect("loss_divergence", "version_0", "VGAN_MNIST/G_error")] if won else [],
                also_ok=("no_progress", "metric_collapse", "never_learned") if won else (),
            )
        )
    return out


def noisy_prior_run(rng, n: int, c: int, learns: bool, keras: bool) -> Dict[str, np.ndarray]:
    """A C-class classifier whose cross-entropy drops from its initial value within two epochs and then
    wanders a few percent under ln C, too noisy for the 1 % band, with its accuracies at 1/C (a 10-class
    CIFAR run at lr 0.05: 2.24-2.29 for 77 epochs, accuracies 0.12-0.14); or, `learns`, one that keeps
    learning slowly from there (loss 12-20 % under ln C by the end, accuracies 0.1-0.2 above chance)."""
    lnc = math.log(c)
    rel = rng.uniform(0.004, 0.01)
    t = np.linspace(0.0, 1.0, n - 2)
    level = rng.uniform(0.975, 0.995) - (rng.uniform(0.12, 0.2) * t if learns else 0.0)
    loss = np.concatenate(
        [[lnc * rng.uniform(1.1, 1.2), lnc * rng.uniform(1.02, 1.06)], lnc * (level + rel * rng.standard_normal(n - 2))]
    )
    gain = rng.uniform(0.1, 0.2) * np.linspace(0.0, 1.0, n) if learns else 0.0
    train_acc = 1.0 / c + gain + 0.06 / c * rng.standard_normal(n)
    val_acc = 1.0 / c + gain + 0.2 / c * rng.standard_normal(n)
    names = ("loss", "accuracy", "val_accuracy") if keras else ("Train/Loss", "Train/Accuracy", "Val/Accuracy")
    return dict(zip(names, (loss, np.clip(train_acc, 0.0, 1.0), np.clip(val_acc, 0.0, 1.0))))


def half_precision_tower_run(rng, n: int, c: int, examples: int, learns: bool) -> Dict[str, np.ndarray]:
    """A TF1 graph with a second, validation tower (`loss_1`, `accuracy_1`), its accuracy computed in float16
    on small batches (7/20 logs as 0.35009766).  The tower's loss holds at ln C (its own weights never
    trained) while the training tower learns; or, `learns`, the tower learns with it."""
    lnc = math.log(c)
    t = np.linspace(0.0, 1.0, n)
    train_loss = lnc * np.exp(-t * rng.uniform(4.0, 7.0)) * (1 + 0.02 * rng.standard_normal(n))
    train_acc = np.minimum(1.0, 1.0 / c + (1 - 1.0 / c) * (1 - np.exp(-6 * t)))
    if learns:
        tower_loss = lnc * np.exp(-t * rng.uniform(2.0, 3.0)) * (1 + 0.03 * rng.standard_normal(n))
        p = 1.0 / c + (0.9 - 1.0 / c) * (1 - np.exp(-5 * t))
    else:
        tower_loss = lnc + 0.001 * rng.standard_normal(n)
        p = np.full(n, 1.0 / c)
    tower_acc = rng.binomial(examples, p) / examples
    return {
        "loss/loss/loss": train_loss,
        "accuracy/accuracy/accuracy": train_acc.astype(np.float16).astype(np.float64),
        "loss_1/loss/loss": tower_loss,
        "accuracy_1/accuracy/accuracy": tower_acc.astype(np.float16).astype(np.float64),
    }


def stop37_cases(rng) -> List[Case]:
    """Stop 37: a cross-entropy that wanders a few percent under ln C beside accuracies at 1/C
    (`never_learned`, the ln C band of stop 36) against one that keeps learning slowly (healthy); a
    validation tower held at ln C whose float16 accuracy wanders around 1/C on 20-32 examples
    (`never_learned` on `loss_1/loss/loss`) against a tower that learns (healthy)."""
    out = []
    for i in range(8):
        learns = i % 2 == 1
        c = int(rng.choice([3, 5, 10, 20]))
        n = int(rng.choice([40, 77, 150]))
        tags = noisy_prior_run(rng, n, c, learns, keras=i % 4 < 2)
        loss_tag = "loss" if i % 4 < 2 else "Train/Loss"
        out.append(
            Case(
                "synth_noisy_prior_%02d_c%d_n%d_%s" % (i, c, n, "learns" if learns else "prior"),
                "synth_noisy_prior",
                learns,
                {"version_0": {t: series(v, np.arange(n)) for t, v in tags.items()}},
                expect=[] if learns else [Expect("never_learned", "version_0", loss_tag)],
                also_ok=() if learns else ("no_progress",),
            )
        )
    for i in range(8):
        learns = i % 2 == 1
        c = int(rng.choice([2, 4]))
        n = int(rng.choice([15, 30, 60]))
        examples = int(rng.choice([20, 32]))
        tags = half_precision_tower_run(rng, n, c, examples, learns)
        out.append(
            Case(
                "synth_half_precision_tower_%02d_c%d_n%d_of%d_%s" % (i, c, n, examples, "learns" if learns else "held"),
                "synth_half_precision_tower",
                learns,
                {"version_0": {t: series(v, np.arange(0, 100 * n, 100)) for t, v in tags.items()}},
                expect=[] if learns else [Expect("never_learned", "version_0", "loss_1/loss/loss")],
            )
        )
    return out


def multiclass_prior_run(rng, n: int, c: int, examples: int, kind: str) -> Dict[str, np.ndarray]:
    """A C-class classifier on an uneven set (largest class 0.15-0.45 of the examples) logged per epoch.
    `prior`: the model outputs the class shares for every input (features lost in preprocessing): its
    validation accuracy holds the largest class's share, give or take an example, after a first
    evaluation on another class, and its losses sit at the shares' cross-entropy.  `learns`: the same
    start, then accuracy and loss improve.  `late`: held at the prior for the first third of the run,
    then learns (a slow start that escaped)."""
    while True:
        shares = np.sort(rng.dirichlet(np.full(c, rng.uniform(1.5, 4.0))))[::-1]
        if shares[0] - 1.0 / c >= 0.05 and shares[0] <= 0.45 and shares[-1] > 0.005:
            break
    entropy = float(-(shares * np.log(shares)).sum())
    t = np.linspace(0.0, 1.0, n)
    majority = round(shares[0] * examples) / examples
    val_acc = np.full(n, majority)
    val_acc[0] = round(shares[int(rng.integers(1, c))] * examples) / examples
    # Inputs that still move the output a little flip a fixed share of the examples' predictions.
    flips = rng.random(n) < min(0.5, examples / 20000.0)
    val_acc[1:] += np.where(flips[1:], rng.choice([-1.0, 1.0], size=n - 1) / examples, 0.0)
    val_loss = entropy * (1 + 0.002 * rng.standard_normal(n))
    val_loss[0] = entropy * rng.uniform(1.05, 1.3)
    train_loss = entropy * (1 + 0.01 * rng.standard_normal(n))
    train_loss[0] = entropy * rng.uniform(1.03, 1.1)
    train_acc = shares[0] + 0.01 * rng.standard_normal(n)
    if kind != "prior":
        start = 0.0 if kind == "learns" else rng.uniform(0.3, 0.4)
        ramp = np.clip((t - start) / (1 - start), 0.0, 1.0)
        gain = rng.uniform(0.15, 0.3) * (1 - np.exp(-4 * ramp))
        val_acc = val_acc + gain + 0.004 * rng.standard_normal(n)
        train_acc = train_acc + gain * 1.1
        val_loss = val_loss * (1 - 0.8 * gain)
        train_loss = train_loss * (1 - 0.9 * gain)
    return {
        "train/epoch_loss": train_loss,
        "train/epoch_accuracy": np.clip(train_acc, 0.0, 1.0),
        "validation/epoch_loss": val_loss,
        "validation/epoch_accuracy": np.clip(val_acc, 0.0, 1.0),
    }


def gan_halves(rng, n: int, state: str) -> dict:
    """A GAN that logs its discriminator's loss only as its real and fake halves beside the generator's
    loss (`Discriminator_loss_real`, `Discriminator_loss_fake`, `Generator_loss`, a TF1 tutorial's
    names).  `game`: the halves wander around 0.3-0.7 and the generator around 0.7-3; `won`: the
    discriminator pulls ahead from a fifth to a third of the run on, both halves falling to 1e-3-1e-5 while
    the generator's loss climbs to 8-12; `idle`: the fake half and the generator held at ln 2 to the
    third digit (D(G(z)) = 0.5) while the real half drifts a little around it."""
    e = np.arange(n, dtype=float)
    if state == "idle":
        ln2 = math.log(2.0)
        real = ln2 + np.linspace(0.0, rng.uniform(-0.05, 0.07), n) + 0.01 * rng.standard_normal(n)
        fake = ln2 + 0.0003 * rng.standard_normal(n)
        g = ln2 + 0.0003 * rng.standard_normal(n)
    else:
        tags = gan_errors(rng, n, False)
        d, g = tags["VGAN_MNIST/D_error"], tags["VGAN_MNIST/G_error"]
        share = rng.uniform(0.4, 0.6, n)
        real, fake = d * share, d * (1 - share)
        if state == "won":
            start = int(n * rng.uniform(0.2, 0.33))
            t = (e[start:] - start) / (n - start)
            real[start:] = 10 ** (-1.5 - 3.0 * np.minimum(1.0, 3 * t)) * (1 + 0.3 * rng.random(n - start))
            fake[start:] = 10 ** (-1.5 - 3.5 * np.minimum(1.0, 3 * t)) * (1 + 0.3 * rng.random(n - start))
            g[start:] = (2.0 + rng.uniform(6.0, 10.0) * np.minimum(1.0, 2 * t)) * (
                1 + 0.05 * rng.standard_normal(n - start)
            )
    return {"Discriminator_loss_real": real, "Discriminator_loss_fake": fake, "Generator_loss": g}


def stop38_cases(rng) -> List[Case]:
    """Stop 38: a classifier of three to ten uneven classes that outputs the class shares for every input,
    its accuracy at the largest class's share and its loss at the shares' entropy, under ln C
    (`never_learned`), against the same start that then learns at once or after a third of the run
    (both healthy); a GAN that logs its discriminator's loss only as its real and fake halves
    (`gan_halves`): a discriminator that won (`loss_divergence` on the generator), one that never learned
    (`never_learned` on the fake half), and the game as it should go (healthy)."""
    out = []
    for i in range(12):
        kind = ("prior", "learns", "late")[i % 3]
        c = int(rng.choice([3, 4, 6, 8, 10]))
        n = int(rng.choice([8, 15, 30]))
        examples = int(rng.choice([600, 2000, 10000]))
        tags = multiclass_prior_run(rng, n, c, examples, kind)
        runs: Dict[str, Dict[str, object]] = {"train": {}, "validation": {}}
        for tag, v in tags.items():
            run, name = tag.split("/")
            runs[run][name] = series(v, np.arange(n))
        out.append(
            Case(
                "synth_multiclass_prior_%02d_c%d_n%d_of%d_%s" % (i, c, n, examples, kind),
                "synth_multiclass_prior",
                kind != "prior",
                runs,
                expect=[] if kind != "prior" else [Expect("never_learned", "validation", "epoch_loss")],
                also_ok=() if kind != "prior" else ("no_progress",),
            )
        )
    for i in range(12):
        state = ("game", "won", "idle")[i % 3]
        n = int(rng.choice([60, 150, 400]))
        tags = gan_halves(rng, n, state)
        expect = {
            "game": [],
            "won": [Expect("loss_divergence", "gan", "Generator_loss")],
            "idle": [Expect("never_learned", "gan", "Discriminator_loss_fake")],
        }[state]
        out.append(
            Case(
                "synth_gan_halves_%02d_n%d_%s" % (i, n, state),
                "synth_gan_halves",
                state == "game",
                {"gan": {t: series(v, np.arange(0, 10 * n, 10)) for t, v in tags.items()}},
                expect=expect,
            )
        )
    return out


def cases() -> List[Case]:
    rng = np.random.default_rng(SEED)
    # The stop-20 and stop-27 to stop-38 families draw from their own generators, so the earlier families keep
    # their cases.
    extra = replay_and_clip_cases(np.random.default_rng(SEED + 20))
    extra += erratic_validation_cases(np.random.default_rng(SEED + 27))
    extra += stop28_cases(np.random.default_rng(SEED + 28))
    extra += stop29_cases(np.random.default_rng(SEED + 29))
    extra += stop30_cases(np.random.default_rng(SEED + 30))
    extra += stop31_cases(np.random.default_rng(SEED + 31))
    extra += stop32_cases(np.random.default_rng(SEED + 32))
    extra += stop33_cases(np.random.default_rng(SEED + 33))
    extra += stop34_cases(np.random.default_rng(SEED + 34))
    extra += stop35_cases(np.random.default_rng(SEED + 35))
    extra += stop37_cases(np.random.default_rng(SEED + 37))
    extra += stop38_cases(np.random.default_rng(SEED + 38))
    return healthy_cases(rng) + pathology_cases(rng) + step_cases(rng) + other_tag_cases(rng) + extra
