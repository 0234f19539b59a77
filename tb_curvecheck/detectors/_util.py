"""Robust statistics shared by the scalar detectors.

Every detector judges a `View` of a series: finite points only, fractions on a
0-1 scale, long step series condensed into bin medians, and a noise unit
measured from the series itself (median absolute deviation of differences),
so one threshold holds across scales, lengths and noise levels.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Optional, Sequence

import numpy as np

from ..model import SeriesRef

# Consistency constant that makes a MAD estimate a Gaussian standard deviation.
MAD_TO_SIGMA = 1.4826
# Longer series are condensed into this many bin medians: enough to place an
# onset within 0.1 % of the run, few enough that every detector stays linear and fast.
MAX_JUDGED_POINTS = 1000
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

    def __len__(self) -> int:
        return int(self.values.shape[0])

    @property
    def unsmoothed(self) -> np.ndarray:
        return self.values if self.raw is None else self.raw

    def shown(self, v: float) -> str:
        """A value in the unit the user logged it in."""
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
    padded = np.concatenate([np.full(half, np.nan), values, np.full(half, np.nan)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    return np.nanmedian(windows, axis=1)


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


def view_of(ref: SeriesRef, smooth: bool = True) -> View:
    steps, values = finite_points(ref)
    scale = 1.0
    if ref.info.percent:
        values = values / 100.0
        scale = 100.0
    first, last, values, condensed = condense(steps, values)
    # Per-step training values are minibatch samples; validation points are evaluations.
    minibatch = ref.info.granularity == "step" and ref.info.split not in ("validation", "test")
    raw = values
    if smooth and minibatch and not condensed and values.shape[0] >= SMOOTH_MIN_POINTS:
        values = running_median(values, STEP_SMOOTHING)
    return View(first.astype(np.int64), last.astype(np.int64), values, scale, condensed, raw)


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


def level(values: np.ndarray, lo: int, hi: int) -> float:
    """Median of values[lo:hi], NaN when empty."""
    seg = values[max(0, lo):max(0, hi)]
    return float(np.median(seg)) if seg.size else float("nan")


def fmt(v: Optional[float]) -> str:
    """A number short enough for a title, precise enough to recognise."""
    if v is None or not np.isfinite(v):
        return str(v)
    a = abs(v)
    if a != 0 and (a < 1e-3 or a >= 1e5):
        return "%.5g" % v
    if a >= 100:
        return "%.1f" % v
    return ("%.4f" % v).rstrip("0").rstrip(".") if a < 10 else "%.3f" % v


def label(ref: SeriesRef) -> str:
    """How a person names the series: 'validation accuracy (epoch_accuracy)'."""
    split = {"train": "training", "validation": "validation", "test": "test"}.get(ref.info.split or "", "")
    q = ref.info.quantity or ref.tag
    words = ("%s %s" % (split, q)).strip()
    return "%s (%s%s)" % (words, ref.run + ":" if ref.run not in (".", "") else "", ref.tag)


def short(ref: SeriesRef) -> str:
    split = {"train": "training", "validation": "validation", "test": "test"}.get(ref.info.split or "", "")
    return ("%s %s" % (split, ref.info.quantity or ref.tag)).strip()


def step_before(view: View, i: int) -> Optional[int]:
    """The last step before index i (the last healthy checkpoint), None at the start."""
    return int(view.end_steps[i - 1]) if i > 0 else None


def align(a_steps: np.ndarray, a_vals: np.ndarray, b_steps: np.ndarray, b_vals: np.ndarray):
    """Points of two series logged at the same steps."""
    common, ia, ib = np.intersect1d(a_steps, b_steps, return_indices=True)
    return common, a_vals[ia], b_vals[ib]


def judged(ref: SeriesRef, roles: Sequence[str], allow_batch: bool = False) -> bool:
    if ref.info.role not in roles:
        return False
    if ref.info.granularity == "batch" and not allow_batch:
        return False
    return True


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


def make_finding(ref: SeriesRef, kind: str, severity: str, view: View, i0: int, i1: int,
                 title: str, explanation: str, evidence: dict, related=()):
    from ..model import Finding

    ev = {"granularity": ref.info.granularity}
    ev.update(evidence)
    return Finding(
        run=ref.run, tag=ref.tag, kind=kind, severity=severity,
        start_step=int(view.steps[i0]), end_step=int(view.end_steps[max(i0, i1)]),
        title=title, explanation=explanation, evidence=ev,
        related=[r.ref() for r in related if r is not None and r is not ref])
