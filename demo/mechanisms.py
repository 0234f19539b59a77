"""What each demo run must show, measured from its logs, on any CPU.

Each `check_<run>` reads a run's scalars (as `describe.load_run` returns
them), finds where the post's signature starts instead of assuming an epoch,
and returns a `Signature`: the onset, the key numbers, and the list of what
does not hold (empty when the run reproduces its post). The demo tests assert
that list is empty; `benchmarks/demo_numerics.py` prints the numbers under
several numeric set-ups. Tolerances say why they are that wide: float32
rounding is 1e-7 relative, so anything wider is a statement about training.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from demo.describe import CLIPPED_COST

# -log(1 - 1e-7) in float32: the loss of a batch whose every prediction is
# saturated and correct.
CONFIDENT_BATCH_LOSS = 1.1920929e-07


@dataclasses.dataclass
class Signature:
    run: str
    onset: Optional[int]  # epoch (or batch) where the signature starts
    numbers: Dict[str, object]
    failures: List[str]

    def line(self) -> str:
        nums = ", ".join("%s=%s" % (k, _fmt(v)) for k, v in self.numbers.items())
        state = "holds" if not self.failures else "FAILS: " + "; ".join(self.failures)
        return "%-20s onset %-5s %s  [%s]" % (self.run, self.onset, nums, state)


def _fmt(v) -> str:
    if isinstance(v, float):
        return "%.4g" % v if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e4) else "%.4f" % v
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(_fmt(x) for x in v) + "]"
    return str(v)


def _series(data, sub: str, tag: str) -> Tuple[List[int], List[float]]:
    steps, values = data[sub][tag]
    return list(steps), [float(v) for v in values]


def _pinned_from(values: Sequence[float], target: float, tol: float) -> Optional[int]:
    """First index from which every value equals `target` within `tol`."""
    start = None
    for i, v in enumerate(values):
        if abs(v - target) <= tol:
            start = i if start is None else start
        else:
            start = None
    return start


# ---------------------------------------------------------------- post 000
# The accuracy of a model that outputs one class for every input is exactly
# the class share, a ratio of integers computed in float32: 1e-5 covers the
# float32 rounding of count/total and nothing else.
SHARE_TOL = 1e-5
# "Climbed first": the model learned before the big steps; 0.75 is far above
# the majority share 0.5467 and below the ~0.85-0.9 every set-up reaches.
LEARNED_ACC = 0.75
# Pinned for good: at least this many final epochs (half the run after the jump).
MIN_PINNED_EPOCHS = 6


def check_post000(data) -> Signature:
    from demo.runs import post000_collapse as run

    failures: List[str] = []
    numbers: Dict[str, object] = {}
    onsets = []
    jump = run.JUMP_EPOCHS[0]
    for sub, share in (("train", run.N_POSITIVE / run.N_TRAIN), ("validation", run.N_VAL_POSITIVE / run.N_VAL)):
        steps, acc = _series(data, sub, "epoch_accuracy")
        pinned = _pinned_from(acc, share, SHARE_TOL)
        best_before = max(acc[:jump])
        numbers["%s_best_before" % sub] = best_before
        numbers["%s_pinned_at" % sub] = acc[-1]
        if best_before < LEARNED_ACC:
            failures.append("%s accuracy never learned before the jump (best %.4f)" % (sub, best_before))
        if pinned is None or len(acc) - pinned < MIN_PINNED_EPOCHS:
            failures.append(
                "%s accuracy is not pinned at the class share %.4f for the last %d epochs (last %s)"
                % (sub, share, MIN_PINNED_EPOCHS, _fmt(acc[-MIN_PINNED_EPOCHS:]))
            )
            continue
        onset = steps[pinned]
        numbers["%s_pinned_from" % sub] = onset
        onsets.append(onset)
        if onset < jump:
            failures.append("%s accuracy pinned at epoch %d, before the learning-rate jump at %d" % (sub, onset, jump))
    return Signature("post000_collapse", min(onsets) if onsets else None, numbers, failures)


# ---------------------------------------------------------------- post 001
# The loss keeps moving while accuracy is frozen: the spread of the loss over
# the frozen epochs must be far above float32 noise (1e-6) and visible on a
# chart; 0.01 is about the smallest change a person reads off the curve.
MIN_LOSS_SPREAD = 0.01
MIN_STUCK_EPOCHS = 20  # "constant for thousands of epochs": at least half the run here


def check_post001(data) -> Signature:
    from demo.runs import post001_stuck as run

    failures: List[str] = []
    numbers: Dict[str, object] = {}
    onsets = []
    for sub, counts in (("train", run.TRAIN_COUNTS), ("validation", run.VAL_COUNTS)):
        share = counts[0] / sum(counts)
        steps, acc = _series(data, sub, "epoch_accuracy")
        _, loss = _series(data, sub, "epoch_loss")
        pinned = _pinned_from(acc, share, SHARE_TOL)
        if pinned is None or len(acc) - pinned < MIN_STUCK_EPOCHS:
            failures.append(
                "%s accuracy is not stuck at the majority share %.4f for %d epochs (last %s)"
                % (sub, share, MIN_STUCK_EPOCHS, _fmt(acc[-5:]))
            )
            continue
        frozen_loss = loss[pinned:]
        spread = max(frozen_loss) - min(frozen_loss)
        onset = steps[pinned]
        onsets.append(onset)
        numbers["%s_stuck_from" % sub] = onset
        numbers["%s_stuck_at" % sub] = acc[-1]
        numbers["%s_loss_spread" % sub] = spread
        if spread < MIN_LOSS_SPREAD:
            failures.append("%s loss does not move while accuracy is stuck (spread %.4g)" % (sub, spread))
    return Signature("post001_stuck", min(onsets) if onsets else None, numbers, failures)


# ---------------------------------------------------------------- post 002
# A saturated epoch: at least 75 % of its loss is the clipped maximum paid by
# its wrong predictions; healthy epochs cost well under a third of it.
SATURATED_RATIO = 0.75
HEALTHY_RATIO = 0.3
# Once saturated, every wrong prediction costs 16.118 and every right one
# 1.2e-7, so loss / ((1 - acc) x 16.118) sits just under 1; the few samples
# still unsaturated pull it down a little. 0.9 leaves them 10 %, and the
# upper bound only allows float32 accumulation error.
SATURATED_BAND = (0.9, 1.001)
# The raw shard must end a model that was good: best healthy accuracy (the
# data allows ~0.97; every seed tried reaches 0.918 or more on validation).
HEALTHY_ACC = 0.9
# No batch before the raw shard reads anywhere near the clipped minimum: a
# healthy running mean stays above 1e-3, four orders above 1.1921e-07.
HEALTHY_BATCH_FLOOR = 1e-3
# After saturating, accuracy stays at least this far below its healthy best:
# ten points is over three times the epoch-to-epoch noise of the healthy
# epochs (about 0.03), and where it settles depends on the split the frozen
# weights happen to draw (0.50-0.75 across seeds).
FALLEN_BY = 0.1


def check_post002(data) -> Signature:
    from demo.runs import post002_saturated as run

    failures: List[str] = []
    numbers: Dict[str, object] = {}
    onsets = []
    for sub in ("train", "validation"):
        steps, loss = _series(data, sub, "epoch_loss")
        _, acc = _series(data, sub, "epoch_accuracy")
        ratio = [x / max((1 - a) * CLIPPED_COST, 1e-12) for x, a in zip(loss, acc)]
        sat = [i for i, r in enumerate(ratio) if r > SATURATED_RATIO]
        if not sat:
            failures.append("%s epoch loss never shows the clipped signature (ratios %s)" % (sub, _fmt(ratio)))
            continue
        onset = sat[0]
        onsets.append(steps[onset])
        numbers["%s_saturated_from" % sub] = steps[onset]
        numbers["%s_last_loss" % sub] = loss[-1]
        numbers["%s_last_acc" % sub] = acc[-1]
        numbers["%s_ratio_after" % sub] = [round(r, 3) for r in ratio[onset:]]
        if steps[onset] < run.RAW_FROM_EPOCH:
            failures.append(
                "%s saturated at epoch %d, before the raw shard (%d)" % (sub, steps[onset], run.RAW_FROM_EPOCH)
            )
        if any(r >= HEALTHY_RATIO for r in ratio[: run.RAW_FROM_EPOCH - 1]):
            failures.append("%s healthy epochs already cost like saturated ones (%s)" % (sub, _fmt(ratio)))
        lo, hi = SATURATED_BAND
        bad = [steps[i] for i in range(onset + 1, len(ratio)) if not lo <= ratio[i] <= hi]
        if bad:
            failures.append(
                "%s epochs %s after the onset leave the (1-acc) x 16.118 band %s" % (sub, bad, SATURATED_BAND)
            )
        if max(acc[: run.RAW_FROM_EPOCH]) < HEALTHY_ACC:
            failures.append("%s never reached %.2f accuracy before the raw shard" % (sub, HEALTHY_ACC))
        if max(acc[onset + 1 :] or [0.0]) > max(acc[: run.RAW_FROM_EPOCH]) - FALLEN_BY:
            failures.append("%s accuracy recovered after saturating (%s)" % (sub, _fmt(acc[onset:])))

    steps, bl = _series(data, "train", "batch_loss")
    first_raw = run.RAW_FROM_EPOCH * (run.N_TRAIN // run.BATCH) + 1  # batch steps count from 1
    before = [v for s, v in zip(steps, bl) if s < first_raw]
    numbers["batch_loss_min_before_raw"] = min(before)
    confident = [s for s, v in zip(steps, bl) if v == CONFIDENT_BATCH_LOSS or abs(v / CONFIDENT_BATCH_LOSS - 1) < 1e-4]
    if min(before) < HEALTHY_BATCH_FLOOR:
        failures.append("a batch before the raw shard already reads %.4g" % min(before))
    if not confident:
        failures.append("no batch reads 1.1921e-07 (every prediction saturated and right)")
    else:
        numbers["batch_1.1921e-07_at"] = confident[0]
        if confident[0] < first_raw:
            failures.append("1.1921e-07 at batch %d, before the raw shard (%d)" % (confident[0], first_raw))
    return Signature("post002_saturated", min(onsets) if onsets else None, numbers, failures)


# ---------------------------------------------------------------- post 003
# The dip: validation accuracy falls by at least 0.2 in the disturbed epoch
# (the post's 0.87 -> 0.61 is 0.27) and is back within 0.05 of where it was
# within two epochs, while the loss rises by far less than the accuracy falls.
DIP_MIN_FALL = 0.2
RECOVERED_WITHIN = 0.05
RECOVERY_EPOCHS = 2


def check_post003(data) -> Signature:
    from demo.runs import post003_dip as run

    failures: List[str] = []
    steps, acc = _series(data, "validation", "epoch_accuracy")
    _, loss = _series(data, "validation", "epoch_loss")
    e = run.DISTURBED_EPOCH
    fall = acc[e - 1] - acc[e]
    rise = loss[e] - loss[e - 1]
    after = acc[e + 1 : e + 1 + RECOVERY_EPOCHS]
    numbers = {"acc_before": acc[e - 1], "acc_dip": acc[e], "acc_after": after, "loss_rise": rise}
    if fall < DIP_MIN_FALL:
        failures.append("validation accuracy fell only %.4f at epoch %d" % (fall, e))
    if not after or max(after) < acc[e - 1] - RECOVERED_WITHIN:
        failures.append("validation accuracy did not recover within %d epochs (%s)" % (RECOVERY_EPOCHS, _fmt(after)))
    if rise >= fall:
        failures.append("the loss rose %.4f, as much as accuracy fell (%.4f): not low-margin" % (rise, fall))
    # Nowhere else does accuracy fall that far: the dip is the disturbed epoch's.
    others = [steps[i] for i in range(1, len(acc)) if i != e and acc[i - 1] - acc[i] >= DIP_MIN_FALL]
    if others:
        failures.append("other epochs dip as far: %s" % others)
    return Signature("post003_dip", e if fall >= DIP_MIN_FALL else None, numbers, failures)


# ---------------------------------------------------------------- post 004
# Alternation: consecutive validation accuracies go up, down, up, ... with a
# swing of at least 0.1 (the post's smallest is ~0.13), on at least 90 % of
# the steps (a model improving fast may break the pattern once early on).
MIN_SWING = 0.1
MIN_ALTERNATING_SHARE = 0.9


def check_post004(data) -> Signature:
    failures: List[str] = []
    steps, acc = _series(data, "validation", "epoch_accuracy")
    _, tacc = _series(data, "train", "epoch_accuracy")
    diffs = [b - a for a, b in zip(acc, acc[1:])]
    good = [
        i
        for i in range(1, len(diffs))
        if diffs[i] * diffs[i - 1] < 0 and min(abs(diffs[i]), abs(diffs[i - 1])) >= MIN_SWING
    ]
    share = len(good) / max(len(diffs) - 1, 1)
    first = min(good) - 1 if good else None
    swings = [abs(d) for d in diffs]
    numbers = {
        "alternating_share": round(share, 3),
        "min_swing": min(swings),
        "max_swing": max(swings),
        "train_acc_last": tacc[-1],
    }
    if share < MIN_ALTERNATING_SHARE:
        failures.append("validation accuracy alternates on only %.0f %% of epochs (%s)" % (100 * share, _fmt(acc)))
    # Training is smooth: its own epoch-to-epoch changes never alternate like that.
    tdiffs = [b - a for a, b in zip(tacc, tacc[1:])]
    if any(abs(d) >= MIN_SWING for d in tdiffs[2:]):
        failures.append("training accuracy swings too (%s)" % _fmt(tacc))
    return Signature("post004_alternating", steps[first] if first is not None else None, numbers, failures)


CHECKS: Dict[str, Callable[[dict], Signature]] = {
    "post000_collapse": check_post000,
    "post001_stuck": check_post001,
    "post002_saturated": check_post002,
    "post003_dip": check_post003,
    "post004_alternating": check_post004,
}
