"""Display thinning keeps what a reader must see and stays within budget."""

import numpy as np
import pytest

from tb_curvecheck.plugin.thinning import thin_indices


def _series(n, seed=0):
    rng = np.random.default_rng(seed)
    steps = np.arange(n, dtype=np.int64) * 10
    values = np.cumsum(rng.normal(size=n))
    return steps, values


def test_short_series_is_untouched():
    steps, values = _series(50)
    assert thin_indices(steps, values, 100).tolist() == list(range(50))


def test_budget_first_last_and_extremes_are_kept():
    steps, values = _series(100_000)
    idx = thin_indices(steps, values, 1000)
    assert 900 <= idx.size <= 1000
    assert idx[0] == 0 and idx[-1] == values.size - 1
    assert np.all(np.diff(idx) > 0)
    assert int(np.argmax(values)) in idx
    assert int(np.argmin(values)) in idx
    # Min-max per bucket: the thinned envelope equals the real one.
    assert values[idx].max() == values.max() and values[idx].min() == values.min()


def test_a_single_spike_survives_where_plain_decimation_drops_it():
    steps, values = _series(50_000, seed=1)
    values = np.zeros_like(values)
    values[12_345] = 7.0
    assert 12_345 % 25 != 0  # every-25th decimation would lose it
    idx = thin_indices(steps, values, 2000)
    assert 12_345 in idx


def test_non_finite_stretches_keep_their_edges_and_neighbours():
    steps, values = _series(20_000, seed=2)
    values[5_000] = np.inf
    values[9_000:15_000] = np.nan
    values[17_000] = -np.inf
    idx = set(thin_indices(steps, values, 200).tolist())
    for i in (4_999, 5_000, 5_001, 8_999, 9_000, 14_999, 15_000, 16_999, 17_000, 17_001):
        assert i in idx, i
    # A long NaN stretch is drawn by its edges, not point by point.
    assert len([i for i in idx if 9_000 < i < 14_999]) == 0
    assert len(idx) <= 200


def test_flagged_steps_are_kept_even_when_not_logged_exactly():
    steps, values = _series(30_000, seed=3)
    # step 77_770 is logged (index 7777); 123_455 is not (steps are multiples of 10)
    idx = set(thin_indices(steps, values, 300, keep_steps=[77_770, 123_455]).tolist())
    assert 7_777 in idx
    assert 12_345 in idx and 12_346 in idx


def test_points_that_must_stay_win_over_the_budget():
    steps = np.arange(1_000, dtype=np.int64)
    values = np.where(np.arange(1_000) % 2 == 0, np.nan, 1.0)
    idx = thin_indices(steps, values, 100)
    # Every value alternates between NaN and finite: every point is an edge.
    assert idx.size == 1_000


def test_all_non_finite_series_is_its_edges():
    steps = np.arange(10_000, dtype=np.int64)
    values = np.full(10_000, np.nan)
    assert thin_indices(steps, values, 100).tolist() == [0, 9_999]


def test_bad_arguments():
    steps, values = _series(100)
    with pytest.raises(ValueError):
        thin_indices(steps, values, 3)
    with pytest.raises(ValueError):
        thin_indices(steps[:5], values, 100)
