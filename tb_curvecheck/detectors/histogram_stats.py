"""Per-step statistics of a histogram series: the one place they are derived.

Histograms reach us as buckets (left edge, right edge, count) whose number,
widths and precision depend on the writer: 30 equal buckets spanning
[min, max] from TF2 summaries (`tf.summary.histogram`, the Keras callback),
about 1500 exponentially spaced buckets around zero from TF1-style `histo`
summaries (PyTorch, tensorboardX), trimmed or not, float32 or float64, and
zero-width buckets when every value is the same.  No statistic here assumes
any of that: each is computed from edges and counts alone, and a quantity the
buckets cannot resolve exactly (the share of *exact* zeros when zero shares a
bucket with small positive values) is estimated conservatively and the
estimate is described where it is made.

Detectors and the frontend read the same numbers: `summarize(series)`
returns `{name: float64 array, one value per step}`; a histogram finding's
`evidence["statistic"]` names one of these keys.
"""

from __future__ import annotations

from typing import Dict

import numpy as np

from ..model import HistogramSeries

# Outputs closer than this to 0 or 1 count as pinned to the end: Keras clips
# probabilities at 1e-7 before the log, and a float32 sigmoid reaches
# 1 - 1e-6 only for logits beyond ~13.8, far past any calibrated prediction.
END_TOLERANCE = 1e-6

# Values may exceed [0, 1] by this much and still be probabilities: float32
# rounding of a softmax or sigmoid, plus float32 bucket edges in TF1 histograms.
UNIT_INTERVAL_SLACK = 1e-5

# A histogram that moved less than this share of its spread since the last step
# did not move (`change` below): one float32 ulp of a weight of magnitude ~1
# relative to a spread of ~0.05 is about 2e-6; a real update of even lr=1e-6
# moves min/max by more.  Frozen weights and the stories that ask whether the
# other weights of a run moved use the same figure.
FROZEN_CHANGE = 1e-7

STAT_NAMES = (
    "count",
    "non_finite",
    "min",
    "max",
    "abs_max",
    "mean",
    "std",
    "rms",
    "zero_fraction",
    "ends_fraction",
    "unit_interval",
    "change",
)


def _clean(buckets: np.ndarray):
    """Edges and counts of one step, plus whether anything was non-finite.

    Non-finite edges appear when the logged tensor held NaN or Inf: TF2 takes
    min and max of the data as the outer edges, so one NaN makes every edge
    NaN and every count 0, and one Inf makes the last edges Inf.  Such buckets
    are dropped from the moments and the step is flagged instead.
    """
    b = np.asarray(buckets, dtype=np.float64).reshape(-1, 3)
    left, right, counts = b[:, 0], b[:, 1], b[:, 2]
    finite = np.isfinite(left) & np.isfinite(right) & np.isfinite(counts)
    bad = bool((~finite).any())
    left, right, counts = left[finite], right[finite], counts[finite]
    counts = np.where(counts > 0, counts, 0.0)
    lo = np.minimum(left, right)
    hi = np.maximum(left, right)
    order = np.argsort(lo, kind="stable")
    return lo[order], hi[order], counts[order], bad


def point_mass(lo: np.ndarray, hi: np.ndarray, counts: np.ndarray, point: float, tolerance: float = 0.0) -> float:
    """Estimated count of values within `tolerance` of `point`.

    Buckets overlapping [point - tolerance, point + tolerance] hold the values
    there plus, when they are wider than the window, values nearby.  The
    nearby part is estimated from the density of the nearest buckets on either
    side (count / width) and subtracted: a spike at the point stands out from
    its neighbours; a smooth density through the point does not.  With narrow
    buckets (TF1 histograms, a zero-width bucket, CurveCheck's own exact-zero
    bucket) the estimate is exact; with 30 wide equal buckets it is the spike
    above the local density, never more than the buckets' own count.
    """
    if counts.size == 0:
        return 0.0
    a, b = point - tolerance, point + tolerance
    inside = (lo <= b) & (hi >= a)
    if not inside.any():
        return 0.0
    idx = np.flatnonzero(inside)
    mass = float(counts[idx].sum())
    width = float(np.sum(hi[idx] - lo[idx]))
    outside_width = max(0.0, width - 2.0 * tolerance)
    if outside_width <= 0.0 or mass <= 0.0:
        return mass
    densities = []
    for j in (idx[0] - 1, idx[-1] + 1):
        if 0 <= j < counts.size:
            w = hi[j] - lo[j]
            if w > 0:
                densities.append(counts[j] / w)
    density = float(np.mean(densities)) if densities else 0.0
    return float(min(mass, max(0.0, mass - density * outside_width)))


def step_stats(buckets: np.ndarray) -> Dict[str, float]:
    """The statistics of one histogram (one step); `change` is left to `summarize`."""
    lo, hi, counts, bad = _clean(buckets)
    total = float(counts.sum())
    nan = float("nan")
    out = {name: nan for name in STAT_NAMES}
    out["count"] = total
    out["non_finite"] = 1.0 if bad else 0.0
    if total <= 0:
        return out
    used = counts > 0
    vmin = float(lo[used].min())
    vmax = float(hi[used].max())
    mid = 0.5 * (lo + hi)
    mean = float(np.sum(mid * counts) / total)
    # Midpoints understate the spread inside wide buckets; a uniform spread
    # inside each bucket would add width^2 / 12, which overstates it for a
    # spike.  The midpoint variance is used so a collapsed layer reads as
    # collapsed; `min`/`max` carry the bucket widths for anyone who needs them.
    var = float(np.sum(counts * (mid - mean) ** 2) / total)
    std = float(np.sqrt(max(var, 0.0)))
    out.update(
        min=vmin,
        max=vmax,
        abs_max=max(abs(vmin), abs(vmax)),
        mean=mean,
        std=std,
        rms=float(np.sqrt(mean * mean + var)),
        zero_fraction=point_mass(lo, hi, counts, 0.0) / total,
    )
    unit = vmin >= -UNIT_INTERVAL_SLACK and vmax <= 1.0 + UNIT_INTERVAL_SLACK
    out["unit_interval"] = 1.0 if unit else 0.0
    if unit:
        ends = point_mass(lo, hi, counts, 0.0, END_TOLERANCE) + point_mass(lo, hi, counts, 1.0, END_TOLERANCE)
        out["ends_fraction"] = min(1.0, ends / total)
    return out


def _change(prev: Dict[str, float], cur: Dict[str, float]) -> float:
    """How far a distribution moved between two steps, in units of its spread.

    The largest move of min, max, mean and std, divided by the earlier spread
    (or magnitude when the spread is zero).  Exactly 0 when the buckets did
    not change at all, which is what a frozen layer logs.
    """
    keys = ("min", "max", "mean", "std")
    a = np.array([prev[k] for k in keys], dtype=np.float64)
    b = np.array([cur[k] for k in keys], dtype=np.float64)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float("nan")
    if prev["count"] != cur["count"]:
        # A different number of values is a different tensor, not a frozen one.
        return float("inf")
    delta = float(np.max(np.abs(b - a)))
    if delta == 0.0:
        return 0.0
    scale = prev["std"] if prev["std"] > 0 else prev["abs_max"]
    if not scale > 0:
        return float("inf")
    return delta / scale


def summarize(series: HistogramSeries) -> Dict[str, np.ndarray]:
    """`{stat_name: float64 array}` with one value per step of `series`.

    Names: count, non_finite (1 when the step's buckets held NaN/Inf), min,
    max, abs_max, mean, std, rms, zero_fraction (share of exact zeros,
    estimated as described in `point_mass`), ends_fraction (share within
    END_TOLERANCE of 0 or 1; NaN unless the values lie in [0, 1]),
    unit_interval (1 when every value lies in [0, 1]), change (movement since
    the previous step in units of its spread; NaN at the first step).
    """
    n = len(series)
    per_step = [step_stats(b) for b in series.buckets]
    out = {name: np.full(n, np.nan, dtype=np.float64) for name in STAT_NAMES}
    for i, st in enumerate(per_step):
        for name in STAT_NAMES:
            if name != "change":
                out[name][i] = st[name]
        if i > 0:
            out["change"][i] = _change(per_step[i - 1], st)
    return out


def first_sustained(mask: np.ndarray, min_steps: int, open_end: bool = True) -> "tuple[int, int] | None":
    """(first, last) index of the symptom: `first` opens the first run of at
    least `min_steps` consecutive True values (or, with `open_end`, a shorter
    run reaching the last step: during training it may still be growing);
    `last` is the last True index overall.
    None when no run qualifies.  NaN-derived False values break a run.
    """
    m = np.asarray(mask, dtype=bool)
    n = m.shape[0]
    i = 0
    while i < n:
        if not m[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and m[j + 1]:
            j += 1
        if j - i + 1 >= min_steps or (open_end and j == n - 1):
            return i, int(np.flatnonzero(m)[-1])
        i = j + 1
    return None


def baseline(values: np.ndarray, upto: int, steps: int) -> float:
    """Median of the first `steps` finite values before index `upto` (NaN if none)."""
    v = np.asarray(values[:upto], dtype=np.float64)
    v = v[np.isfinite(v)][:steps]
    return float(np.median(v)) if v.size else float("nan")
