"""A kernel lane's 32-byte bin (count, minimum and maximum as float64, the
counts at the extremes as int32) folds into merged bins exactly, its
counts hold up to the lane limit, and the kernels' loop over a sub-block
counts as one update per value does."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from sim.kernels.accumulators import (
    LANE_AT_MAX,
    LANE_AT_MIN,
    LANE_FIELDS,
    LANE_LIMIT,
    N_FIELDS,
    PREFETCH_AHEAD,
    histogram_add,
    histogram_add_all,
    merge_histograms,
)
from sim.vocab.layout import BLOCK


@numba.njit
def _add_repeatedly(lane, x, times):
    at = lane.view(np.int32)
    for _ in range(times):
        histogram_add(lane, at, 0, x)


def _empty(n_fields, *shape):
    bins = np.zeros(shape + (n_fields,))
    bins[..., 1], bins[..., 2] = np.inf, -np.inf
    return bins


def test_a_lane_bin_is_32_bytes_and_its_limit_fits_its_counts():
    assert LANE_FIELDS * 8 == 32 and LANE_FIELDS * 2 == LANE_AT_MAX + 1 == LANE_AT_MIN + 2
    assert LANE_LIMIT % BLOCK == 0 and LANE_LIMIT < 2 ** 31


def test_one_value_filling_a_lane_counts_exactly_and_two_lanes_merge_past_the_limit():
    """A single value LANE_LIMIT times (an atom filling a lane): count,
    at_min and at_max all LANE_LIMIT; two such lanes fold into merged bins,
    which have no limit, as twice that."""
    lane = _empty(LANE_FIELDS, 1)
    _add_repeatedly(lane, -1.0, LANE_LIMIT)
    at = lane.view(np.int32)
    assert lane[0, 0] == LANE_LIMIT and lane[0, 1] == lane[0, 2] == -1.0
    assert at[0, LANE_AT_MIN] == at[0, LANE_AT_MAX] == LANE_LIMIT
    total = _empty(N_FIELDS, 1, 1)
    merge_histograms(total, np.stack([lane, lane])[:, None])
    np.testing.assert_array_equal(total[0, 0], [2.0 * LANE_LIMIT, -1.0, -1.0, 2.0 * LANE_LIMIT,
                                                2.0 * LANE_LIMIT])


def test_lanes_and_merged_bins_fold_alike():
    """The same values counted into lanes, or into merged bins by the
    branching reference, fold into the same totals, whatever the lane."""
    rng = np.random.default_rng(5)
    n_lanes, n_bins, n = 3, 7, 2000
    lanes = _empty(LANE_FIELDS, n_lanes, 1, n_bins)
    plain = _empty(N_FIELDS, n_lanes, 1, n_bins)
    for _ in range(n):
        lane, b = rng.integers(n_lanes), rng.integers(n_bins)
        x = float(rng.integers(-2, 3)) if rng.random() < 0.7 else rng.normal()
        histogram_add(lanes[lane, 0], lanes[lane, 0].view(np.int32), b, x)
        p = plain[lane, 0, b]
        p[0] += 1.0
        if x < p[1]:
            p[1], p[3] = x, 1.0
        elif x == p[1]:
            p[3] += 1.0
        if x > p[2]:
            p[2], p[4] = x, 1.0
        elif x == p[2]:
            p[4] += 1.0
    from_lanes, from_plain = _empty(N_FIELDS, 1, n_bins), _empty(N_FIELDS, 1, n_bins)
    merge_histograms(from_lanes, lanes)
    merge_histograms(from_plain, plain)
    np.testing.assert_array_equal(from_lanes, from_plain)
    assert from_plain[0, :, 0].sum() == n and from_plain[0, :, 3:].sum() > 4 * n_bins  # ties seen


@numba.njit
def _add_one_by_one(lane, bins, x, m):
    at = lane.view(np.int32)
    for i in range(m):
        histogram_add(lane, at, bins[i], x[i])


@numba.njit
def _add_all(lane, bins, x, m):
    histogram_add_all(lane, lane.view(np.int32), bins, x, m)


@pytest.mark.parametrize("m", [0, 1, PREFETCH_AHEAD - 1, PREFETCH_AHEAD, PREFETCH_AHEAD + 1, 256])
def test_counting_a_sub_block_at_once_is_counting_it_value_by_value(m):
    """histogram_add_all (the kernels' loop, which asks for bins ahead) leaves
    every byte of the lane as one histogram_add per value does, repeated
    values, NaN and the last values (nothing left to ask for) included; and
    reads only the first m values."""
    rng = np.random.default_rng(m)
    x = np.round(rng.normal(size=300), 1)  # ties: extremes counted more than once
    x[::37] = np.nan
    bins = rng.integers(0, 9, size=300)
    one, many = _empty(LANE_FIELDS, 9), _empty(LANE_FIELDS, 9)
    _add_one_by_one(one, bins, x, m)
    _add_all(many, bins, x, m)
    assert one.tobytes() == many.tobytes()
    assert one[:, 0].sum() == m
