"""Robust statistics shared by the scalar detectors: the one place they are measured.

Every detector judges a `View` of a series: finite points only, fractions on a
0-1 scale, long step series condensed into bin medians, and a noise unit
measured from the series itself (median absolute deviation of differences),
so one threshold holds across scales, lengths and noise levels.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..model import Experiment, SeriesRef

# Consistency constant that makes a MAD estimate a Gaussian standard deviation.
MAD_TO_SIGMA = 1.4826
# Standard error of a median of k Gaussian points, in sigma / sqrt(k).
MEDIAN_SE = 1.2533
# Longer series are condensed into this many bin medians: enough to place an
# onset within 0.1 % of the run, few enough that every detector stays linear and fast.
MAX_JUDGED_POINTS = 1000
# An onset on a condensed series is placed at the first logged point past the
# level midpoint whose next 5 points agree by their median: the same width as
# the step smoothing below, enough that a single noisy minibatch cannot.
ONSET_CONFIRM = 5
# Noisy per-step series are smoothed with a running median this wide before
# levels are compared, so one lucky minibatch is never a "level".
STEP_SMOOTHING = 5
# ... but only series this long: a short one is per-epoch values under a plain name, not minibatches.
SMOOTH_MIN_POINTS = 50
# Values within this relative distance count as the same logged value: float32
# keeps ~7 significant digits, so a metric that did not change reads equal to that.
SAME_VALUE_RTOL = 1e-6
# Absolute floor for "the same value" near zero (float32 resolution around 1e-7).
SAME_VALUE_ATOL = 1e-7
# Trends are not judged over the first tenth of a run: early curves are steep and
# erratic by nature.
WARMUP_FRACTION = 0.1
# ... and never over fewer than this many first evaluations.
WARMUP_MIN_POINTS = 1


@dataclasses.dataclass
class View:
    """A series as detectors judge it."""

    steps: np.ndarray  # int64 (first step of each bin when condensed)
    end_steps: np.ndarray  # int64 (last step of each bin)
    values: np.ndarray  # float64, finite, fractions when the tag is a percentage
    raw_scale: float  # multiply `values` by this to get the logged unit (100 for percent)
    condensed: bool
    raw: Optional[np.ndarray] = None  # `values` before smoothing: noise is measured on these
    # The logged points behind a condensed view (finite, in view units), so an
    # onset found on bin medians is reported at the step it happened.
    logged_steps: Optional[np.ndarray] = None
    logged_values: Optional[np.ndarray] = None

    def onset_step(self, i: int) -> int:
        """The logged step where the change into point `i` happened.

        On a plain view that is `steps[i]`.  On a condensed one the change
        lies somewhere in bins i-1..i: it is the first logged point past the
        midpoint between the two bins' medians (in the direction of the
        change) from which the next ONSET_CONFIRM points, by their median,
        stay past it, so one noisy minibatch never places it.
        """
        if not self.condensed or i <= 0 or self.logged_steps is None:
            return int(self.steps[i])
        old, new = float(self.values[i - 1]), float(self.values[i])
        if old == new:
            return int(self.steps[i])
        lo = int(np.searchsorted(self.logged_steps, self.steps[i - 1], side="left"))
        hi = int(np.searchsorted(self.logged_steps, self.end_steps[i], side="right"))
        window = self.logged_values[lo:hi]
        mid = 0.5 * (old + new)
        past = window > mid if new > old else window < mid
        for j in np.flatnonzero(past):
            ahead = window[j : j + ONSET_CONFIRM]
            if (np.median(ahead) > mid) if new > old else (np.median(ahead) < mid):
                return int(self.logged_steps[lo + j])
        return int(self.steps[i])

    def __len__(self) -> int:
        return int(self.values.shape[0])

    @property
    def unsmoothed(self) -> np.ndarray:
        return self.values if self.raw is None else self.raw

    def shown(self, v: float) -> str:
        """A value in the unit the user logged it in."""
        from .wording import fmt

        return fmt(v * self.raw_scale)


def finite_points(ref: SeriesRef):
    s = ref.series
    ok = np.isfinite(s.values)
    return s.steps[ok], s.values[ok].astype(np.float64)


def running_median(values: np.ndarray, width: int) -> np.ndarray:
    """Centered running median; the window shrinks at the ends."""
    n = values.shape[0]
    if width <= 1 or n < 3:
        return values.copy()
    half = width // 2
    padded = np.concatenate([np.full(half, np.nan), values.astype(np.float64), np.full(half, np.nan)])
    # Sorting each window puts its NaNs (the padding, and any in the data) last, so
    # its median is read at the middle of the leading non-NaN part: the same values
    # np.nanmedian gives, about five times faster (it was half of a scan's detector time).
    block = np.sort(np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1), axis=1)
    count = np.count_nonzero(~np.isnan(block), axis=1)
    rows = np.arange(n)
    lo = np.maximum(count - 1, 0) // 2
    median = 0.5 * (block[rows, lo] + block[rows, count // 2])
    median[count == 0] = np.nan
    return median


def condense(steps: np.ndarray, values: np.ndarray, max_points: int = MAX_JUDGED_POINTS):
    """Equal-count bins, each as its median value and first/last step."""
    n = values.shape[0]
    if n <= max_points:
        return steps, steps, values, False
    edges = np.linspace(0, n, max_points + 1).astype(np.int64)
    starts, ends = edges[:-1], edges[1:]
    return steps[starts], steps[ends - 1], _bin_medians(values, starts, ends), True


def _bin_medians(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Median of each values[start:end] in one array operation (bins are
    non-empty and differ in length by at most one; values are finite)."""
    lengths = ends - starts
    width = int(lengths.max())
    idx = starts[:, None] + np.arange(width)[None, :]
    inside = idx < ends[:, None]
    block = values[np.minimum(idx, values.shape[0] - 1)].astype(np.float64, copy=True)
    block[~inside] = np.inf  # sorts after every real value, never chosen below
    block.sort(axis=1)
    lo = ((lengths - 1) // 2)[:, None]
    hi = (lengths // 2)[:, None]
    return 0.5 * (np.take_along_axis(block, lo, axis=1)[:, 0] + np.take_along_axis(block, hi, axis=1)[:, 0])


def first_update(values: np.ndarray) -> int:
    """Index of the first value a training update produced: a loss that opens with exact zeros and
    then moves was written before any update (a DQN logs 0 until its replay buffer fills).  0 when
    the series does not open that way."""
    nonzero = np.flatnonzero(values != 0.0)
    # Two zeros at least: one exact zero can be a real value of a clipped or hinge loss.
    if nonzero.size == 0 or nonzero[0] < 2:
        return 0
    return int(nonzero[0])


# A logger's placeholder, written before there was anything to measure (CS285-style RL loggers open
# `Train_AverageReturn` at -10000 before the first episode ends): a first value that is exactly a power
# of ten from a thousand up, and this many times as far from zero as every later value.  A return that
# opens on a time-limit penalty (-1 per step for 1,000 steps) stays within a few times its later levels;
# a placeholder is picked to lie beyond anything the task pays.
PLACEHOLDER_FACTOR = 5.0


def placeholder_opening(values: np.ndarray) -> int:
    """1 when the series opens on a placeholder (see `PLACEHOLDER_FACTOR`) before at least three real
    values, else 0."""
    if values.shape[0] < 4:
        return 0
    first = abs(float(values[0]))
    # Compared with the power of ten itself, not through a logarithm's rounding.
    if first < 1e3 or first != 10.0 ** round(math.log10(first)):
        return 0
    return int(first >= PLACEHOLDER_FACTOR * float(np.max(np.abs(values[1:]))))


def view_of(ref: SeriesRef, smooth: bool = True, from_first_update: bool = False) -> View:
    steps, values = finite_points(ref)
    skip = placeholder_opening(values)
    steps, values = steps[skip:], values[skip:]
    if from_first_update:
        start = first_update(values)
        steps, values = steps[start:], values[start:]
    scale = 1.0
    if ref.info.percent:
        values = values / 100.0
        scale = 100.0
    logged = values
    first, last, values, condensed = condense(steps, values)
    # Per-step training values are minibatch samples; validation points are evaluations.
    minibatch = ref.info.granularity == "step" and ref.info.split not in ("validation", "test")
    raw = values
    if smooth and minibatch and not condensed and values.shape[0] >= SMOOTH_MIN_POINTS:
        values = running_median(values, STEP_SMOOTHING)
    return View(
        first.astype(np.int64),
        last.astype(np.int64),
        values,
        scale,
        condensed,
        raw,
        logged_steps=steps if condensed else None,
        logged_values=logged if condensed else None,
    )


def noise(values: np.ndarray, lag: int = 1) -> float:
    """Noise of one point, in the series' units: MAD of lag-`lag` differences.

    Differences remove a slowly moving trend; the median ignores the few
    large steps an event makes, so the event does not hide itself.
    Lag 2 cancels a period-2 alternation, leaving the noise around it.
    """
    v = values[np.isfinite(values)]
    if v.shape[0] <= lag + 1:
        return 0.0
    d = v[lag:] - v[:-lag]
    mad = float(np.median(np.abs(d - np.median(d))))
    return MAD_TO_SIGMA * mad / math.sqrt(2.0)


def warmup(n: int) -> int:
    """Index of the first point at which trends may be judged."""
    return max(WARMUP_MIN_POINTS, int(math.ceil(WARMUP_FRACTION * n)))


def same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b) <= np.maximum(SAME_VALUE_ATOL, SAME_VALUE_RTOL * np.maximum(np.abs(a), np.abs(b)))


def quantum(values: np.ndarray) -> float:
    """The smallest step between distinct values: for an accuracy measured on N
    samples this is 1/N (or a multiple), the finest change it can show."""
    v = np.unique(values[np.isfinite(values)])
    if v.shape[0] < QUANTUM_MIN_DISTINCT:
        return 0.0
    d = np.diff(v)
    d = d[d > max(SAME_VALUE_ATOL, SAME_VALUE_RTOL * float(np.max(np.abs(v))))]
    return float(d.min()) if d.size else 0.0


# Fewer distinct values than this say nothing about the finest step a metric can take.
QUANTUM_MIN_DISTINCT = 8


def accuracy_difference_se(values: np.ndarray, size: int) -> float:
    """Standard error of the difference of two 0-1 accuracies on `size` examples, at the values' typical
    level (their median, not one point: a local high is one by selection, and 1.0 on 25 examples has no
    sampling error while 0.9 around it has 0.06)."""
    p = min(max(float(np.median(values)), 0.0), 1.0)
    return float(np.sqrt(2.0 * p * (1.0 - p) / size))


def evaluation_size(values: np.ndarray, max_n: int = 1000, min_distinct: int = 5) -> Optional[int]:
    """The number of examples a 0-1 metric was measured on, when every value is a whole number of
    examples over it (an accuracy on 32 examples reads 9/32, 13/32, ...): the smallest such N up to
    `max_n`, or None.  With fewer than `min_distinct` distinct values a small N fits by chance (every
    value a quarter); on thousands of examples no small N fits and the answer is None."""
    v = np.unique(values[np.isfinite(values)])
    # k/N for one N takes at most N + 1 distinct values.
    if not min_distinct <= v.shape[0] <= max_n + 1 or not is_fraction(v):
        return None
    candidates = np.arange(2, max_n + 1)
    # A metric computed in half precision (a TF1 graph's float16 accuracy: 0.19995117 for 4/20) keeps
    # 11 significant bits, too few for the float32 tolerance below: then k/N must round to the value read.
    half = bool(np.all(v.astype(np.float16).astype(v.dtype) == v))
    if half:
        # Float16 steps are up to 1/2048 below 1; past N = 256 neighbouring k/N lie within a few steps of
        # each other and some N fits any handful of values.
        candidates = candidates[candidates <= 256]
    for x in v:  # each value keeps the N it is a whole number of examples over; most values keep none
        k = x * candidates
        if half:
            fits = (np.round(k) / candidates).astype(np.float16) == np.float16(x)
        else:
            # float32 keeps 7 digits: k/N read back from an event file is off by at most ~1e-7.
            fits = np.abs(k - np.round(k)) <= 1e-5 * candidates
        candidates = candidates[fits]
        if not candidates.size:
            return None
    return int(candidates[0])


def step_noise(values: np.ndarray) -> float:
    """Typical step-to-step change as a per-point sigma: median |difference|.

    Unbiased for white noise (median |d| = 0.6745 * sqrt(2) sigma); a trend or a
    zigzag counts as noise, so a fall measured against it is a fall against
    everything the curve usually does from one evaluation to the next.
    """
    v = values[np.isfinite(values)]
    if v.shape[0] < 3:
        return 0.0
    return float(np.median(np.abs(np.diff(v)))) / (0.6745 * math.sqrt(2.0))


# Noise around an event is measured over this many evaluations on each side (at least) ...
NOISE_WINDOW_MIN = 5
# ... or this share of the run, whichever is wider.
NOISE_WINDOW_SHARE = 0.1
# Fewer differences than this left around an event: fall back to the whole curve's noise.
NOISE_MIN_DIFFS = 4


def noise_around(values: np.ndarray, lo: int, hi: int) -> float:
    """Noise near points lo..hi, leaving out the differences that touch them.

    An event judged against noise that includes itself (or a steep start far
    away from it) hides itself; its neighbourhood is what it stands out from.
    """
    v = values
    n = v.shape[0]
    d = np.diff(v)
    w = max(NOISE_WINDOW_MIN, int(NOISE_WINDOW_SHARE * n))
    idx = np.arange(max(0, lo - w), min(d.shape[0], hi + w + 1))
    idx = idx[(idx < lo - 1) | (idx > hi)]
    d = d[idx]
    d = d[np.isfinite(d)]
    if d.shape[0] < NOISE_MIN_DIFFS:
        return min(step_noise(v), noise(v))
    centred = MAD_TO_SIGMA * float(np.median(np.abs(d - np.median(d)))) / math.sqrt(2.0)
    typical = float(np.median(np.abs(d))) / (0.6745 * math.sqrt(2.0))
    return min(centred, typical)


def is_fraction(values: np.ndarray) -> bool:
    """True when every value lies in [0, 1] (accuracy-like, after percent scaling)."""
    v = values[np.isfinite(values)]
    return bool(v.size) and float(v.min()) >= 0.0 and float(v.max()) <= 1.0


def opens_at_ceiling(values: np.ndarray) -> bool:
    """A 0-1 higher-is-better metric whose first evaluation is exactly 1: before any learning that is
    the trivial answer, not a level reached (the recall of a classifier that says "positive" to
    everything, the precision of one that says it to nothing under zero_division=1), so neither a fall
    from it nor a trend measured from it says what the model learned."""
    return values.shape[0] > 1 and is_fraction(values) and float(values[0]) >= 1.0 - SAME_VALUE_RTOL


def level(values: np.ndarray, lo: int, hi: int) -> float:
    """Median of values[lo:hi], NaN when empty."""
    seg = values[max(0, lo) : max(0, hi)]
    return float(np.median(seg)) if seg.size else float("nan")


def step_before(view: View, i: int) -> Optional[int]:
    """The last step before index i (the last healthy checkpoint), None at the start."""
    return int(view.end_steps[i - 1]) if i > 0 else None


# A series whose last step is this many times smaller than its partner's, and no larger than twice its
# point count, counts its steps in epochs while the partner counts optimizer steps.
EPOCH_AXIS_RATIO = 5


def on_axis_of(coarse: View, fine: View) -> np.ndarray:
    """The coarse view's end steps on the fine view's step axis.

    A validation loss logged per epoch (steps 1..E) beside a training loss logged per
    global step (0..S) is mapped by E -> S; two series on one step axis keep their steps.
    """
    c = coarse.end_steps.astype(np.float64)
    if not len(coarse) or not len(fine):
        return c
    c_last, f_last = float(c[-1]), float(fine.end_steps[-1])
    if len(coarse) >= 2 and 0 < c_last * EPOCH_AXIS_RATIO < f_last and c_last <= 2 * len(coarse):
        return c * (f_last / c_last)
    return c


def aggregate(fine: View, at: np.ndarray) -> np.ndarray:
    """The fine view's level over each interval (at[i-1], at[i]]: the median of its raw points
    there, or its last point at or before at[i] when the interval holds none (a finer grid
    on the other side).  Compares a per-batch training loss with a per-epoch validation loss."""
    steps, raw = fine.end_steps, fine.unsmoothed
    out = np.empty(at.shape[0], dtype=np.float64)
    lo = -np.inf
    for i, hi in enumerate(at):
        a = int(np.searchsorted(steps, lo, side="right"))
        b = int(np.searchsorted(steps, hi, side="right"))
        out[i] = float(np.median(raw[a:b])) if b > a else float(raw[max(b - 1, 0)])
        lo = hi
    return out


def align(a_steps: np.ndarray, a_vals: np.ndarray, b_steps: np.ndarray, b_vals: np.ndarray):
    """Points of two series logged at the same steps."""
    common, ia, ib = np.intersect1d(a_steps, b_steps, return_indices=True)
    return common, a_vals[ia], b_vals[ib]


# What COCO evaluation (pycocotools, torchmetrics' MeanAveragePrecision) writes for an AP or AR it could
# not compute: a size bucket or class with no ground truth in the evaluation set scores -1.
NOT_COMPUTED = -1.0


def judged(ref: SeriesRef, roles: Sequence[str], allow_batch: bool = False) -> bool:
    if ref.info.role not in roles:
        return False
    if ref.info.granularity == "batch" and not allow_batch:
        return False
    if ref.info.role in ("metric_up", "metric_down") and never_computed(ref.series.values):
        return False
    return True


def never_computed(values: np.ndarray) -> bool:
    """A metric at `NOT_COMPUTED` at every finite evaluation (and logged at least twice): the
    placeholder of a score that had nothing to score (`val_map_large` of a set with no large objects),
    held still by construction, not a model stuck there."""
    if values.shape[0] < 2:
        return False
    # Cheap first: judged() asks this of every metric for every detector, and almost none ends at -1.
    ends = values[[0, -1]]
    if not bool(np.all((ends == NOT_COMPUTED) | np.isnan(ends))):
        return False
    v = values[np.isfinite(values)]
    return v.shape[0] >= 2 and bool(np.all(v == NOT_COMPUTED))


def residual_noise(values: np.ndarray) -> float:
    """Noise of one point from its distance to the mean of its two neighbours.

    Blind to a linear trend; a one-point event moves three residuals, which
    the median ignores.  For Gaussian white noise the residual has standard
    deviation sqrt(1.5) sigma, undone here.  (A median-of-three residual is
    exactly zero in every monotone stretch, and said "no noise" on short curves.)
    """
    v = values[np.isfinite(values)]
    if v.shape[0] < 4:
        return 0.0
    r = v[1:-1] - 0.5 * (v[:-2] + v[2:])
    return MAD_TO_SIGMA * float(np.median(np.abs(r - np.median(r)))) / math.sqrt(1.5)


# A TF Estimator head logs `loss` (by default summed over the batch) beside `average_loss` (its mean): one
# quantity, scaled by the batch size while that holds.  The mean is the one to read: its trend where the two
# part (a first summary written with another batch size), its level wherever a level names something (the
# entropy of a class prior is a per-example cross-entropy, never a batch's sum of them).
ESTIMATOR_LOSS, ESTIMATOR_MEAN = "loss", "average_loss"


def estimator_mean(exp: Experiment, ref: SeriesRef) -> Optional[SeriesRef]:
    """The `average_loss` an Estimator head logs beside `ref` when `ref` is that head's summed `loss`."""
    head, _, leaf = ref.tag.rpartition("/")
    if leaf != ESTIMATOR_LOSS:
        return None
    mean_tag = (head + "/" if head else "") + ESTIMATOR_MEAN
    for s in exp.scalars:
        if s.run == ref.run and s.tag == mean_tag and len(s.series):
            return s
    return None


# A loss "settled": it came down within the first SETTLE_SHARE of its run and from then on held within
# SETTLE_REL of its closing level (running medians of 5).  A percent is the third digit of a loss's level,
# where one that learns anything does not stay for three quarters of a run.  One that held inside that band
# but crossed it in order, falling by SETTLE_FALL of its level or more with far more of its pairs falling
# than rising (Kendall's tau at or under -SETTLE_ORDER), is learning slowly (or is a running mean of one
# that does); one that stopped wanders inside the band (a football classifier's evaluation loss, tau -0.34
# and 0.1 % over its last 930 evaluations) or creeps in order by hundredths of a percent.
SETTLE_SHARE = 0.25
SETTLE_REL = 0.01
SETTLE_ORDER = 0.5
SETTLE_FALL = 0.005


def settled_from(values: np.ndarray) -> Optional[int]:
    """The index from which `values` held settled (see SETTLE_REL), when that is within SETTLE_SHARE of
    them; else None."""
    n = values.shape[0]
    level = running_median(values, 5)
    closing = float(np.median(level[int(math.ceil(SETTLE_SHARE * n)) :]))
    inside = np.abs(level - closing) <= SETTLE_REL * abs(closing)
    entered = np.flatnonzero(inside)
    if not entered.size or entered[0] > SETTLE_SHARE * n or not bool(np.all(inside[entered[0] :])):
        return None
    rest = values[entered[0] :]
    start, end, _, _ = edge_levels(rest)
    if kendall_tau(rest) <= -SETTLE_ORDER and start - end >= SETTLE_FALL * abs(closing):
        return None
    return int(entered[0])


def objective_losses(exp: Experiment) -> List[SeriesRef]:
    """The experiment's objective losses logged per evaluation or per step (not per batch) with two
    points or more: the losses whose levels say together whether the run moved."""
    return [
        s
        for s in exp.scalars
        if s.info.role == "loss"
        and s.info.purpose in ("objective", None)
        and s.info.granularity != "batch"
        and len(s.series) >= 2
    ]


# A validation or test series logged once per batch of a single evaluation pass (a hand-written loop that
# adds each test batch's loss at its own step once training ends) is no curve over training: within the
# pass its values follow the order of the batches (a test set sorted by class), not the model.  Read as one
# when it is as dense as a training series of the same role (its median step gap no wider) and spans under
# this share of that series' steps and of its wall-clock time, all written after that series' last point.
# An evaluation curve is sparser than the training it samples, or spans it; one on an epoch axis beside a
# per-batch training loss (steps 0-20 beside 0-20,000) is as dense and as short in steps, but was written
# over the whole run, or (a loop that logs its stored epoch losses at once) while training still ran.
ONE_PASS_SPAN = 0.1


def one_evaluation_pass(exp: Experiment, ref: SeriesRef) -> bool:
    """`ref`, a validation or test series, holds the batches of one evaluation pass (`ONE_PASS_SPAN`)."""
    if ref.info.split not in ("validation", "test"):
        return False
    ok = np.isfinite(ref.series.values)
    vs, vw = ref.series.steps[ok], ref.series.wall_times[ok]
    if vs.shape[0] < 3:
        return False
    gap, span = float(np.median(np.diff(vs))), float(vs[-1] - vs[0])
    for s in exp.scalars:
        if s.info.split != "train" or s.info.role != ref.info.role:
            continue
        ok = np.isfinite(s.series.values)
        ts = s.series.steps[ok]
        if ts.shape[0] < 3 or ts[-1] <= ts[0]:
            continue
        if gap > float(np.median(np.diff(ts))) or span >= ONE_PASS_SPAN * float(ts[-1] - ts[0]):
            continue  # sparser or longer than the training it sits beside: evaluations over training
        tw = s.series.wall_times[ok]
        if float(np.ptp(vw)) < ONE_PASS_SPAN * float(np.ptp(tw)) and float(np.min(vw)) >= float(np.max(tw)):
            return True
    return False


def losses_settled(exp: Experiment, min_points: int) -> Optional[int]:
    """The step from which every objective loss of the experiment (per evaluation or per step, not per
    batch) held settled (`settled_from`); None when one did not, or has fewer than `min_points` but more
    than one evaluation (too few to say)."""
    since = None
    for s in objective_losses(exp):
        view = view_of(s, smooth=False)
        n = len(view)
        if n < 2:
            continue
        if n < min_points:
            return None
        held = settled_from(view.values)
        if held is None:
            return None
        since = max(since or 0, int(view.steps[held]))
    return since


def zero_learning_rate(exp) -> bool:
    """The experiment logs a learning rate, and every logged one is exactly zero throughout."""
    lrs = exp.find(role="learning_rate")
    return bool(lrs) and all(len(s.series) and np.all(s.series.values == 0.0) for s in lrs)


def _mann_kendall(values: np.ndarray, max_points: int) -> Tuple[float, int]:
    """(S, n): rising pairs less falling pairs over all ordered pairs of the finite values, thinned
    evenly to `max_points`, and how many values that was."""
    v = values[np.isfinite(values)]
    if v.shape[0] > max_points:
        v = v[np.linspace(0, v.shape[0] - 1, max_points).astype(int)]
    n = v.shape[0]
    return float(np.sum(np.triu(np.sign(v[None, :] - v[:, None]), k=1))), n


def trend_z(values: np.ndarray, max_points: int = 400) -> float:
    """Mann-Kendall statistic of a series as a z-score: positive when later values tend to exceed
    earlier ones.  It counts ordered pairs, so one spike or a heavy-tailed point weighs like any
    other; series longer than `max_points` are thinned evenly (the sum is over all pairs)."""
    s, n = _mann_kendall(values, max_points)
    if n < 3:
        return 0.0
    var = n * (n - 1) * (2 * n + 5) / 18.0
    return s / math.sqrt(var)


def kendall_tau(values: np.ndarray, max_points: int = 400) -> float:
    """Kendall's tau of a series against its order, -1 to 1: the share of ordered pairs that rise less
    the share that fall, the effect size beside `trend_z`'s significance (a long series is significant
    on a drift of a thousandth; tau says whether it moves in order).  Thinned as `trend_z` is."""
    s, n = _mann_kendall(values, max_points)
    if n < 3:
        return 0.0
    return s / (n * (n - 1) / 2.0)


def sen_slope(values: np.ndarray, max_points: int = 400) -> float:
    """Theil-Sen slope per point: the median of the slopes of all pairs (robust to spikes)."""
    v = values[np.isfinite(values)]
    idx = np.arange(values.shape[0], dtype=np.float64)[np.isfinite(values)]
    if v.shape[0] > max_points:
        keep = np.linspace(0, v.shape[0] - 1, max_points).astype(int)
        v, idx = v[keep], idx[keep]
    if v.shape[0] < 2:
        return 0.0
    i, j = np.triu_indices(v.shape[0], k=1)
    return float(np.median((v[j] - v[i]) / (idx[j] - idx[i])))


# --- Tests more than one detector applies -------------------------------------
# Each is a frozen dataclass of its thresholds with a `__call__` that measures;
# a detector that needs one holds it as a parameter (e.g. `metric_drops.drops`,
# `no_progress.divergence`), so a benchmark can vary it like any other threshold.


@dataclasses.dataclass(frozen=True)
class DropTest:
    """Sharp falls of a higher-is-better curve (metric drops, low margin)."""

    # A fall spread over at most this many evaluations is still "sharp".
    lookback: int = 3
    # A fall must exceed this many noise units: ~1 in 700 points of Gaussian noise, and a recovered
    # one is only ever an info.  The noise is measured around the fall, leaving the fall out, as the
    # smaller of the centred MAD of differences (blind to a trend) and the median step (blind to a
    # zigzag), so neither a steep start nor a jittery plateau hides a fall.
    noise_k: float = 3.0
    # ... and this much for a 0-1 metric: ten points of accuracy is a drop anyone would call sharp.
    min_fraction: float = 0.10
    # ... or this share of its level for unbounded metrics (BLEU, PSNR, mAP x 100, ...).
    min_relative: float = 0.20
    # ... and at least this many quanta (1/N for an accuracy on N samples): a few samples flipping is not a fall.
    min_quanta: float = 3
    # A dip has recovered when the metric regains all but this share of the fall.
    recovered_share_left: float = 0.5

    def threshold(self, fraction: bool, pre: float, sigma: float, q: float) -> float:
        floor = self.min_fraction if fraction else self.min_relative * abs(pre)
        return max(floor, self.noise_k * sigma, self.min_quanta * q)

    def __call__(self, view: View) -> List[Dict[str, Any]]:
        """Sharp falls: dicts of pre (index before), first (first low), bottom, recovered
        (index or None), threshold and sigma (noise), in the view's units."""
        v = view.values
        n = len(view)
        if n < 2:
            return []
        q = quantum(v) if not view.condensed else 0.0
        fraction = is_fraction(v)
        # The best of the `lookback` points before each point, and where it is
        # (the first such point), for every point at once: the cheap part of
        # the test (a fall beyond the noise-free floor) screens all points in
        # one array operation, and only those that pass are examined below.
        L = self.lookback
        windows = np.lib.stride_tricks.sliding_window_view(np.concatenate([np.full(L, -np.inf), v]), L)[:n]
        best_at = np.arange(n) - L + np.argmax(windows, axis=1)
        best = windows.max(axis=1)
        floor = np.full(n, self.min_fraction) if fraction else self.min_relative * np.abs(best)
        with np.errstate(invalid="ignore"):
            screened = np.flatnonzero(best - v >= np.maximum(floor, self.min_quanta * q))
        events = []
        i = max(1, warmup(n))
        while i < n:
            k = int(np.searchsorted(screened, i))
            if k == screened.size:
                break
            i = int(screened[k])
            pre_i = int(best_at[i])
            pre = v[pre_i]
            sigma = noise_around(view.unsmoothed, pre_i + 1, i)
            thr = self.threshold(fraction, pre, sigma, q)
            if pre - v[i] < thr:
                i += 1
                continue
            first_low = pre_i + 1
            while v[first_low] > pre - thr / 2 and first_low < i:
                first_low += 1
            bottom = i
            while bottom + 1 < n and v[bottom + 1] < v[bottom] and bottom + 1 - i < self.lookback:
                bottom += 1
            depth = pre - v[bottom]
            target = pre - self.recovered_share_left * depth
            back = np.flatnonzero(v[bottom + 1 :] >= target)
            rec = bottom + 1 + int(back[0]) if back.size else None
            events.append(dict(pre=pre_i, first=first_low, bottom=bottom, recovered=rec, threshold=thr, sigma=sigma))
            if rec is None:
                break
            i = rec + 1
        return events


# A loss that climbed this many times above the highest value it had logged before the climb has
# blown up, whatever its purpose or split (an RL value loss 20 -> 1.2 -> 8e8, a validation loss
# 1e4 -> 1.4e14): a loss growing by design or by memorising climbs one or two orders of magnitude, not three.
BLOWUP_FACTOR = 1000.0


def blew_up(values: np.ndarray, onset: int) -> bool:
    """The finite values from `onset` on reach BLOWUP_FACTOR times the largest magnitude before it."""
    before, after = np.abs(values[:onset]), np.abs(values[onset:])
    before, after = before[np.isfinite(before)], after[np.isfinite(after)]
    if not (before.size and after.size):
        return False
    return float(after.max()) >= BLOWUP_FACTOR * max(float(before.max()), 1e-12)


@dataclasses.dataclass(frozen=True)
class DivergenceTest:
    """A loss that climbed far above its best and stayed (divergence; no_progress rules it out)."""

    # Fewer healthy points than this before the best give no noise estimate; the relative thresholds rule.
    noise_min_points: int = 6
    # A loss must climb this many noise units above its best to have diverged.
    noise_k: float = 6.0
    # ... and by this multiple of its best value (a loss that doubled) ...
    rel_best: float = 1.0
    # ... or give back this share of everything it had learned (first value minus best) ...
    rel_span: float = 0.5
    # ... and in any case at least this share of what it had learned, so a loss near zero
    # (or crossing zero by design) does not "diverge" by a rounding error.
    min_span_share: float = 0.1
    # A loss that crosses zero learned something to give back only when its first value stood this many
    # noise units above its best: a surrogate held near zero by construction (PPO's clipped objective,
    # -0.004 -> -0.006 -> +0.014 at noise 0.0012) wanders there, it never learned a level, and only a
    # blow-up (`BLOWUP_FACTOR`) is a divergence.
    crossing_learned_k: float = 3.0
    # The climb starts at the first point this many noise units above the best level (half the
    # threshold when the curve has no measurable noise).
    onset_noise_k: float = 3.0
    # A loss that learned less than this share of its level has no "what it learned" to give back:
    # then only a doubling counts (a flat loss wandering up a few percent has not diverged).
    learned_share: float = 0.1
    # "Does not come back": after the climb, no point falls back below best + this share of the climb threshold.
    stays_above: float = 0.5
    # A climb that follows an excursion which came back must hold this many evaluations to the end: the
    # last two batches of a heavy-tailed per-batch loss can both be spikes; three in a row above the climb
    # threshold, none back near the best, are not.
    min_stayed_points: int = 3
    # A positive loss that learned little has no "what it learned" to give back, and a doubling is a
    # blow-up; between the two, a climb that is certain from its order counts too: at least
    # `steady_min_points` evaluations from its lowest running median on, later ones above earlier ones
    # (Mann-Kendall z of `steady_z`, one-sided p ~ 3e-5) and its closing level a fifth above that
    # lowest level, where a plateau only wanders a few percent (a validation loss 0.78 -> 1.25 over 170
    # epochs after its third).
    steady_min_points: int = 10
    steady_z: float = 4.0
    steady_rel: float = 0.2
    # A blow-up judged from its opening (`_blown_from_opening`) compares an opening and a closing tenth of
    # at least three summaries each: from this many on they are apart, with the climb between them.
    opening_blowup_min_points: int = 10

    def __call__(self, view: View) -> Optional[Tuple[int, int, float, float]]:
        """(best index, onset index, threshold, noise) when the curve climbed far above its best and stayed."""
        if len(view) < 2:
            return None
        got = self._climbed(view)
        if got is None:
            got = self._steady(view)
        if got is None:
            got = self._blown_from_opening(view)
        return got

    def _blown_from_opening(self, view: View) -> Optional[Tuple[int, int, float, float]]:
        """A loss whose best came too early to measure its noise, and whose closing points all stand
        `BLOWUP_FACTOR` times above anything its opening logged: a climb through three orders of magnitude
        that stayed.  Measured against itself (`_climbed`), such a curve's noise is the blow-up's own (an
        SB3 DDPG critic loss 0.15 -> 5e-4 -> 1.7e8 swings by 1e7 late), and no threshold is ever crossed."""
        v = view.values
        n = len(view)
        best_i = int(np.argmin(v))
        if n < self.opening_blowup_min_points or best_i + 1 >= self.noise_min_points:
            return None
        k = max(3, n // 10)
        opening = float(np.max(np.abs(v[:k])))
        if not (float(v[best_i]) >= 0.0 and opening > 0.0):
            return None
        if float(np.min(v[-k:])) < BLOWUP_FACTOR * opening:
            return None
        # The climb starts where the curve last stood inside its opening range.
        inside = np.flatnonzero(v <= opening)
        onset = int(inside[-1]) + 1
        return best_i, onset, BLOWUP_FACTOR * opening, residual_noise(view.unsmoothed[:k])

    def _steady(self, view: View) -> Optional[Tuple[int, int, float, float]]:
        """A positive loss that learned little and then climbed in order by a fifth of its level."""
        v = view.values
        n = len(view)
        if n < self.steady_min_points + 2 or float(np.min(v)) <= 0.0:
            return None
        if max(float(v[0] - np.min(v)), 0.0) >= self.learned_share * float(np.min(v)):
            return None  # it learned: giving back what it learned is the measure (`_climbed`)
        level = running_median(v, 3)
        li = int(np.argmin(level))
        best = float(level[li])
        post = v[li:]
        if post.shape[0] < self.steady_min_points or trend_z(post) < self.steady_z:
            return None
        end = float(np.median(post[-max(3, post.shape[0] // 3) :]))
        thr = self.steady_rel * best
        if end - best < thr:
            return None
        # Where the level first stands halfway up, and stays above it.
        above = level[li:] > best + thr / 2
        stays = np.flatnonzero(~above)
        onset = li + (int(stays[-1]) + 1 if stays.size else 0)
        if onset >= n:
            return None
        return li, max(onset, li + 1), thr, residual_noise(view.unsmoothed[: li + 1])

    def _climbed(self, view: View) -> Optional[Tuple[int, int, float, float]]:
        v = view.values
        n = len(view)
        best_i = int(np.argmin(v))
        if best_i >= n - 1:
            return None
        best = v[best_i]
        span = max(float(v[0] - best), 0.0)
        # Noise of the healthy part, up to the best: a blow-up measured as its own noise hides itself.
        raw = view.unsmoothed
        healthy_noise = best_i + 1 >= self.noise_min_points
        # Without enough healthy points, the whole curve's noise: inflated by the climb, so cautious.
        sigma = residual_noise(raw[: best_i + 1] if healthy_noise else raw)
        learned = span >= self.learned_share * abs(best)
        if float(np.min(v)) < 0.0 < float(np.max(v)):
            # A loss that crosses zero (an energy, a log-likelihood offset) has no level to double:
            # only giving back what it learned counts, and one that learned nothing (within its noise)
            # has not diverged.
            if span <= 0:
                return None
            if span < self.crossing_learned_k * sigma and float(np.max(v[best_i:])) < BLOWUP_FACTOR * float(
                np.max(np.abs(v[: best_i + 1]))
            ):
                # Nothing learned to give back, and no blow-up far beyond anything it logged up to its best
                # (an A3C worker's loss -4.4 -> 1.3e5 is one).
                return None
            thr = max(self.noise_k * sigma, self.rel_span * span)
        else:
            thr = max(
                self.noise_k * sigma,
                self.min_span_share * span,
                min(self.rel_best * abs(best), self.rel_span * span) if learned else self.rel_best * abs(best),
            )
        if thr <= 0:
            return None
        after = v[best_i + 1 :]
        above = np.flatnonzero(after > best + thr)
        if not above.size:
            return None
        onset_full = best_i + 1 + int(above[0])
        back = np.flatnonzero(v[onset_full:] <= best + self.stays_above * thr)
        if back.size:
            # An excursion that came back does not hide a climb that stayed after it: the climb is judged
            # from the last point back near the best (a binned per-batch NLL at ~2.4 whose level rose above
            # its best and came back, then went 32 -> 218 -> 2.5e4 to the end).
            rest = onset_full + int(back[-1]) + 1
            later = np.flatnonzero(v[rest:] > best + thr)
            if not later.size or n - (rest + int(later[0])) < self.min_stayed_points:
                return None
            # Measured against where the loss ran before it (the median up to the last point back), not
            # against its luckiest batch: it must at least have doubled (`rel_best`).  A noisy per-batch
            # test loss drifting 0.6 -> 1.0 stays above a lucky 0.47 without blowing up.
            ran = float(np.median(v[:rest]))
            if not (ran > 0 and float(np.median(v[rest + int(later[0]) :])) >= (1.0 + self.rel_best) * ran):
                return None
            onset_full = rest + int(later[0])
        if onset_full == n - 1 and not (best > 0 and v[-1] >= (1.0 + self.rel_best) * best):
            # Only the last evaluation stands above: one point has nothing after it to come back on, and
            # a noisy loss's last epoch 1.5x its best (0.0084 -> 0.0127 on a curve wandering 0.0087-0.0103)
            # is as likely a spike as a climb.  A last point that at least doubled its best is a blow-up.
            return None
        # The climb starts where the curve last left its best level.
        onset = onset_full
        # ... measured from the level at the best (the minimum alone is a lucky low point; the points
        # after it may already be climbing).
        around = float(np.median(v[max(0, best_i - 2) : best_i + 1])) if healthy_noise else best
        left_best = around + (self.onset_noise_k * sigma if healthy_noise and sigma > 0 else self.stays_above * thr)
        while onset - 1 > best_i and v[onset - 1] > left_best:
            onset -= 1
        return best_i, onset, thr, sigma


def _longest_alternation(d: np.ndarray, big: np.ndarray) -> Optional[Tuple[int, int]]:
    """(first, last) index into the differences `d` of the longest run of `big` ones whose signs
    alternate, or None when none is big."""
    sign = np.sign(d)
    best = None
    i = 0
    while i < d.shape[0]:
        if not big[i] or sign[i] == 0:
            i += 1
            continue
        j = i
        while j + 1 < d.shape[0] and big[j + 1] and sign[j + 1] == -sign[j]:
            j += 1
        if best is None or j - i > best[1] - best[0]:
            best = (i, j)
        i = j + 1
    return best


@dataclasses.dataclass(frozen=True)
class AlternationTest:
    """A period-2 up-and-down stretch (oscillation; no_progress rules it out)."""

    # Consecutive differences that must alternate in sign: white noise alternates with probability
    # 2/3 per step (8 in a row: 6 %), and a one-off dip makes two; the swing size does the rest.
    min_swings: int = 8
    # ... plus one more per decade of points beyond this many: among n points a chance stretch
    # of k "big" alternations turns up about n * p**k times (p ~ 0.1 per step for white noise past
    # the swing floor), so keeping that count flat as n grows takes one more swing per tenfold n
    # (a 1,000-step curve needs 10; an epoch-level curve of up to 50 evaluations keeps 8).
    swings_per_decade_beyond: int = 50
    # The median swing must exceed this many noise units, the noise measured over the whole curve
    # from differences two evaluations apart, which a period-2 alternation cancels out
    # (a swing of white noise exceeds 3 sigma 3 % of the time: a stretch of them never happens).
    noise_k: float = 3.0
    # Every swing must exceed this on a 0-1 metric: a point of accuracy up and down is not worth a warning.
    min_swing_fraction: float = 0.02
    # ... or this share of the curve's robust range (5th-95th percentile) for other curves.
    min_swing_range_share: float = 0.05

    def __call__(self, values: np.ndarray) -> Optional[Tuple[int, int, float, float]]:
        """(first point, last point, median swing, noise) of the longest period-2 alternation."""
        v = values
        n = v.shape[0]
        if n < self.min_swings + 1:
            return None
        d = np.diff(v)
        if is_fraction(v):
            floor = self.min_swing_fraction
        else:
            lo, hi = np.percentile(v, [5, 95])
            floor = self.min_swing_range_share * float(hi - lo)
        best = _longest_alternation(d, np.abs(d) >= floor)
        if best is None or best[1] - best[0] + 1 < self._needed(self.min_swings, n):
            return None
        i, j = best
        # Noise from the whole curve and from the stretch's neighbourhood (as wide again on each
        # side), whichever is larger: a short stretch says too little about its own noise, and a
        # curve that is flat elsewhere (a collapsed run) says too little about the noisy part.
        length = j + 2 - i
        local = v[max(0, i - length) : min(n, j + 2 + length)]
        sigma = max(noise(v, lag=2), noise(local, lag=2))
        swing = float(np.median(np.abs(d[i : j + 1])))
        if swing < self.noise_k * sigma:
            return None
        return i, j + 1, swing, sigma

    def _needed(self, swings: int, n: int) -> int:
        """`swings` plus one per decade of points beyond `swings_per_decade_beyond`."""
        return swings + max(0, math.ceil(math.log10(n / self.swings_per_decade_beyond)))

    def on_log_if_loss(
        self, ref: SeriesRef, values: np.ndarray, magnitude: bool = True
    ) -> Optional[Tuple[int, int, float, float]]:
        """Loss noise is multiplicative (large while the loss is large): a positive loss is judged on
        a log scale, so an early steep stretch is not mistaken for a swing.  Near its floor a loss's
        noise is additive instead, and the log stretches its low tail into swings white noise never
        has: the stretch found on the log scale must alternate on the logged scale too."""
        if not (ref.info.role == "loss" and values.size and (values > 0).all()):
            return self(values)
        found = self(np.log(values))
        if found is not None and self._alternates(values, found[0], found[1]):
            return found
        return self.orders_of_magnitude(values) if magnitude else None

    # A loss that jumps by an order of magnitude or more and back, again and again, needs fewer swings:
    # this many in a row (plus one per decade of points, as above), each at least `magnitude_factor`
    # times up or down.  White noise past the ordinary swing floor alternates big at p ~ 0.1 a step;
    # a tenfold jump both ways is far rarer than that, so four stand for the ordinary eight.
    magnitude_swings: int = 4
    magnitude_factor: float = 10.0

    def orders_of_magnitude(self, values: np.ndarray) -> Optional[Tuple[int, int, float, float]]:
        """A positive loss alternating by `magnitude_factor` or more at each of `magnitude_swings` consecutive
        evaluations (a variational physics loss 277 -> 14830 -> 127 -> 29260 -> 245).  Noise does not jump
        tenfold and back four times; a loss idling near zero does (1e-6 <-> 1e-4 at its floor), which is
        why every swing must also clear the ordinary floor on the loss's own scale (a share of its range)."""
        n = values.shape[0]
        if n < self.magnitude_swings + 1:
            return None
        d = np.diff(np.log(values))
        best = _longest_alternation(d, np.abs(d) >= math.log(self.magnitude_factor))
        if best is None or best[1] - best[0] + 1 < self._needed(self.magnitude_swings, n):
            return None
        i, j = best
        seg = values[i : j + 2]
        lo, hi = np.percentile(values, [5, 95])
        if float(np.min(np.abs(np.diff(seg)))) < self.min_swing_range_share * float(hi - lo):
            return None
        swing = float(np.median(np.abs(np.diff(seg))))
        return i, j + 1, swing, noise(values, lag=2)

    def _alternates(self, values: np.ndarray, first: int, last: int) -> bool:
        """Whether values[first..last] alternate on their own scale, beyond the noise, as `__call__`
        judges a whole curve."""
        found = self(values)
        return found is not None and found[0] <= last and found[1] >= first


def edge_levels(values: np.ndarray) -> Tuple[float, float, int, int]:
    """(start, end, k_start, k_end): the median of the first three points (half of a short series)
    and of the last fifth (at least as many), with how many points each took."""
    n = values.shape[0]
    k_start = min(3, n // 2)
    k_end = max(k_start, n // 5)
    return float(np.median(values[:k_start])), float(np.median(values[-k_end:])), k_start, k_end


def end_medians(values: np.ndarray, k: int) -> Tuple[float, float]:
    """The medians of the first and of the last `k` values: a curve's opening and closing levels."""
    return float(np.median(values[:k])), float(np.median(values[-k:]))


def gained(ref, k: float = 3.0, share: float = 0.1) -> bool:
    """The series' last fifth (at least 3 points) ends `k` standard errors and `share` of its level
    above its first three (a return that edges off a failure cap in its last evaluation has not)."""
    v = view_of(ref, smooth=False).values
    n = v.shape[0]
    if n < 6:
        return False
    if ref.info.role == "metric_down":
        v = -v
    start, end, k_start, k_end = edge_levels(v)
    se = level_difference_se(residual_noise(v), k_start, k_end)
    return end - start > max(k * se, share * max(abs(start), abs(end)), 1e-12)


# A closing level this many single-point noise units above the first point: one point of a flat curve
# that far below its level is a 1-in-30,000 draw.
OPENING_CLIMB_Z = 4.0


def climbed_in_opening(values: np.ndarray, z: float = OPENING_CLIMB_Z, share: float = 0.1) -> bool:
    """A higher-is-better curve whose closing level (median of its last fifth, at least 3 points) stands
    `z` single-point noise units above its first point, the untrained policy's: a return that climbed
    inside its opening window (8.1 at the first summary, 20 from the second on) has an opening median
    that is already the trained level, and measured from that median shows no gain at all.  (From the
    first point, not the opening's lowest: a return that fell -6 -> -31 in its opening and came back
    only to -16 climbed from a low it made itself.)  As `gained` asks, the climb must also be `share` of
    the level: a running-mean return is smooth enough that 120.4 -> 122.7 stands many noise units tall."""
    n = values.shape[0]
    if n < 6:
        return False
    sigma = residual_noise(values)
    first, closing = float(values[0]), float(np.median(values[-max(3, n // 5) :]))
    return sigma > 0 and closing - first >= max(z * sigma, share * max(abs(first), abs(closing)))


def level_difference_se(sigma: float, k1: int, k2: int) -> float:
    """Standard error of the difference of two independent medians of k1 and k2 points."""
    return MEDIAN_SE * sigma * math.sqrt(1.0 / k1 + 1.0 / k2)


def motion(ref: SeriesRef, lo_step: int, hi_step: int, rel: float) -> Optional[Dict[str, Any]]:
    """How `ref` moved over steps lo..hi: first, last, spread, points, and `moves` when the spread
    exceeds `rel` of its median level; None with fewer than two finite points there."""
    s = ref.series
    seg = s.values[(s.steps >= lo_step) & (s.steps <= hi_step) & np.isfinite(s.values)]
    if seg.shape[0] < 2:
        return None
    spread = float(seg.max() - seg.min())
    moves = spread > rel * max(abs(float(np.median(seg))), 1e-12)
    return dict(first=float(seg[0]), last=float(seg[-1]), spread=spread, points=int(seg.shape[0]), moves=bool(moves))


# What only an agent logs: a policy-gradient or actor-critic agent's SB3 `train/approx_kl`,
# `train/clip_fraction`, `train/explained_variance`, `train/policy_gradient_loss`, and a value-based
# agent's ε-greedy schedule, SB3 DQN's `rollout/exploration_rate`.
_AGENT_DIAGNOSTIC = re.compile(
    r"(^|[/_.])(approx_?kl|clip_?fraction|explained_variance|policy_gradient_loss|exploration_rate)$", re.I
)


# Mean episode lengths, not their spread or extremes: `rollout/ep_len_mean`, `eval/mean_ep_length`,
# `Environment/Episode Length`, `Train_AverageEpLen`, `AvgEpLen`, `eval_ep_len`, CleanRL's
# `charts/episodic_length`, tianshou's `test/length` and `train/lens_stat/mean`, a bare `metric/length`
# in an RL run (not `eval/ep_len_std`, `test/length_std` or `lens_stat/max`).
EPISODE_LENGTH = re.compile(
    r"(^|[/_.\s])(ep_?len(_mean)?|mean_ep_length|episode[_ ]?length|episodic_length|(average|avg)_?ep_?len"
    r"|ep_length|mean_length|lens_stat/mean)$"
    r"|^(test|train|eval|metric)/length$",
    re.I,
)


def another_task_gained(exp: Experiment, ref) -> bool:
    """Another task series of `ref`'s experiment gained: `ref` is then a fixed statistic, not the agent's
    return (the return of the data collected before training, an offline dataset's return), or the
    agent learned something whatever `ref` shows."""
    return any(gained(o) for o in exp.scalars if o is not ref and o.info.purpose == "task")


def reinforcement_learning(exp: Experiment) -> bool:
    """An RL agent's run: it logs a return, or, without one (an SB3 agent with no Monitor wrapper writes
    no `rollout/ep_rew_mean`), an agent's own diagnostics.  Its losses are moving-target
    surrogates whose level says nothing about learning."""
    return any(s.info.purpose == "task" and s.info.role == "other" for s in exp.scalars) or any(
        _AGENT_DIAGNOSTIC.search(s.tag) for s in exp.scalars
    )


@dataclasses.dataclass(frozen=True)
class MetricFell:
    """Did a loss's climb cost the model what it had learned?  A 0-1 metric of the loss's split that
    fell by `fall` once the loss left its level, and closed below where it stood before by `gap` and by
    `noise_k` times its recent noise: the final model is worse than the one the climb replaced, whatever
    the metric gained over the whole run."""

    # A drop anyone would call sharp (`DropTest`'s ten points) ...
    fall: float = 0.10
    # ... and a close below the level before by at least two points (a converged classifier's accuracy
    # holds its level within one) and three times that level's residual noise, measured over its last
    # `noise_points` evaluations before the climb (enough for a robust estimate, recent enough to be
    # the level it held).
    gap: float = 0.02
    noise_k: float = 3.0
    noise_points: int = 20
    before_points: int = 5
    min_points: int = 10
    end_points: int = 3

    def closing(self, values: np.ndarray) -> float:
        """The closing level: the median of the last twentieth, at least `end_points`."""
        return float(np.median(values[-max(self.end_points, values.shape[0] // 20) :]))

    def __call__(self, exp: Experiment, ref: SeriesRef, held_until: int, left_at: int, evals: Optional[int] = None):
        """(metric, level before, lowest after, closing level) of the first 0-1 metric of `ref`'s split and
        cadence that held its level up to step `held_until` and fell after step `left_at`: within the
        evaluation at `left_at` and the `evals` after it when given, anywhere after it otherwise."""
        for m in exp.metrics_for(ref):
            steps, mv = finite_points(m)
            if mv.shape[0] < self.min_points or not is_fraction(mv):
                continue
            held = mv[steps <= held_until]
            pre = held[-self.before_points :]
            if pre.shape[0] < 2:
                continue
            after = np.flatnonzero(steps > left_at)
            if not after.size:
                continue
            a = int(after[0])
            window = mv[max(0, a - 1) : a + evals] if evals is not None else mv[a:]
            before = float(np.median(pre))
            low = float(np.min(window))
            end = self.closing(mv)
            gap = max(self.gap, self.noise_k * residual_noise(held[-self.noise_points :]))
            if before - low >= self.fall and before - end >= gap:
                return m, before, low, end
        return None


def words(text: str) -> List[str]:
    """The lower-case alphanumeric words of a tag or quantity (`Loss/D_real` -> loss, d, real)."""
    return [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]
