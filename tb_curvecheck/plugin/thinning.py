"""Thinning a scalar series for display without hiding what went wrong.

A chart a few hundred pixels wide cannot show 200k points, but plain
decimation (every n-th point) can skip the one NaN or the spike a finding is
about.  Min-max decimation keeps the lowest and highest finite value of each
bucket, so the drawn envelope is the true envelope; on top of that the points
a reader must see are always kept: the first and last, the edges of every
stretch of non-finite values (and their finite neighbours, so the line runs
up to the gap), and the steps where findings start and end.

Pure numpy; the plugin calls `thin_indices` and picks steps, values and wall
times with the indices it returns.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

# Below this, a bucket of min-max pairs can no longer describe the shape of a
# curve; callers asking for fewer points are asking for something else.
MIN_POINTS = 10


def _value_classes(values: np.ndarray) -> np.ndarray:
    """0 for finite, 1 NaN, 2 +Inf, 3 -Inf: a change of class is an edge."""
    cls = np.zeros(values.shape[0], dtype=np.int8)
    cls[np.isnan(values)] = 1
    cls[np.isposinf(values)] = 2
    cls[np.isneginf(values)] = 3
    return cls


def _non_finite_edges(values: np.ndarray) -> np.ndarray:
    """Indices bounding each stretch of equal non-finite values, with the
    finite points just outside it.

    A loss that is NaN for 10k steps is shown as where the NaNs begin and end,
    not as 10k points; a lone Inf between finite values keeps both neighbours.
    """
    n = values.shape[0]
    cls = _value_classes(values)
    bad = cls != 0
    if not bad.any():
        return np.zeros(0, dtype=np.int64)
    change = np.zeros(n, dtype=bool)
    change[1:] |= cls[1:] != cls[:-1]
    change[:-1] |= cls[:-1] != cls[1:]
    edges = np.flatnonzero(change & bad)
    # The finite neighbour of an edge is itself a changing point of class 0.
    neighbours = np.flatnonzero(change & ~bad)
    return np.union1d(edges, neighbours).astype(np.int64)


def _step_indices(steps: np.ndarray, wanted: Iterable[int]) -> np.ndarray:
    """Indices of the given steps; a step that is not logged keeps the
    points on either side of it, so the flagged place is still drawn."""
    w = np.asarray(sorted({int(s) for s in wanted}), dtype=np.int64)
    if w.size == 0 or steps.size == 0:
        return np.zeros(0, dtype=np.int64)
    pos = np.searchsorted(steps, w, side="left")
    exact = (pos < steps.size) & (steps[np.minimum(pos, steps.size - 1)] == w)
    out = [pos[exact]]
    missing = pos[~exact]
    out.append(missing[missing < steps.size])
    before = missing - 1
    out.append(before[before >= 0])
    return np.unique(np.concatenate(out)).astype(np.int64)


def thin_indices(
    steps: np.ndarray,
    values: np.ndarray,
    max_points: int,
    keep_steps: Iterable[int] = (),
) -> np.ndarray:
    """Sorted indices of the points to draw.

    At most `max_points` points, unless the points that must be kept (first,
    last, non-finite edges, `keep_steps`) are already more than that: those
    are never dropped, the bucket extremes are then left out.
    """
    steps = np.asarray(steps, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    n = int(values.shape[0])
    if steps.shape[0] != n:
        raise ValueError("steps and values differ in length")
    if max_points < MIN_POINTS:
        raise ValueError("max_points must be at least %d" % MIN_POINTS)
    if n <= max_points:
        return np.arange(n, dtype=np.int64)

    must = np.union1d(
        np.array([0, n - 1], dtype=np.int64),
        np.union1d(_non_finite_edges(values), _step_indices(steps, keep_steps)),
    )
    n_buckets = (max_points - must.size) // 2
    if n_buckets < 1:
        return must

    finite = np.isfinite(values)
    low = np.where(finite, values, np.inf)
    high = np.where(finite, values, -np.inf)
    bounds = np.linspace(0, n, n_buckets + 1).astype(np.int64)
    picks = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b <= a:
            continue
        i_min = a + int(np.argmin(low[a:b]))
        if not finite[i_min]:
            continue  # all non-finite: its edges are already in `must`
        picks.append(i_min)
        picks.append(a + int(np.argmax(high[a:b])))
    return np.union1d(must, np.asarray(picks, dtype=np.int64))
