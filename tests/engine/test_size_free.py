"""Statistics that are the same in every size of a strategy are sketched on
its first size only (``sim.engine.reducer.sketched_slots``): the premise
holds bit for bit on every bundled project scenario, and a run that sketches
them in every row gives the same histograms where they are read."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.engine import reducer
from sim.engine.designs import build_design
from sim.kernels.sampling.rng import key_from_seed
from sim.scenario.plan import build_plan
from sim.vocab.layout import BLOCK, PILOT
from sim.vocab.outputs import PRICE_DECLINE_FIXED, SIZE_FREE_HISTOGRAMS

PROJECT = ["baseline", "strategies", "cooling", "frontier_moe", "price_war", "regulated"]


def _plan(name):
    return build_plan(sim.load_scenario(name))


@pytest.mark.parametrize("name", PROJECT)
def test_a_size_free_statistic_is_the_same_in_every_size_of_a_strategy(name):
    plan = _plan(name)
    key = key_from_seed(3)
    _, _, _, stats = reducer.sample_arrays(plan, key, 0, 2_000)
    first = np.arange(plan.n_rows) - np.arange(plan.n_rows) % plan.n_sizes
    for col in SIZE_FREE_HISTOGRAMS:
        np.testing.assert_array_equal(stats[:, :, col], stats[:, first, col])


def test_the_slots_sketch_a_size_free_column_on_the_first_size_of_each_strategy():
    plan = _plan("strategies")
    assert plan.n_strategies > 1
    cols = reducer.histogram_columns(plan)
    slots = reducer.sketched_slots(plan).reshape(plan.n_rows, len(cols))
    free = list(cols).index(PRICE_DECLINE_FIXED)
    for j in range(plan.n_rows):
        expected = cols.copy()
        if j % plan.n_sizes:
            expected[free] = -1
        np.testing.assert_array_equal(slots[j], expected)


@pytest.mark.parametrize("name", ["baseline", "strategies"])
def test_every_histogram_read_is_the_one_a_run_sketching_every_row_gives(name, monkeypatch):
    plan = _plan(name)
    n = PILOT + 5_000
    once = reducer.reduce(plan, 11, n)
    monkeypatch.setattr(reducer, "sketched_slots",
                        lambda p: np.tile(reducer.histogram_columns(p), p.n_rows))
    every = reducer.reduce(plan, 11, n)
    cols = list(once.hist_cols)
    for j in range(plan.n_rows):
        for col in cols:
            if col in SIZE_FREE_HISTOGRAMS and j % plan.n_sizes:
                # Not sketched in this row: empty, and read from the first size.
                assert once.histogram(len(cols) * j + cols.index(col))[0].sum() == 0
            for a, b in zip(once.histogram_of(j, col), every.histogram(len(cols) * j + cols.index(col))):
                np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(once.mean, every.mean)


def test_a_checkpoint_that_sketched_every_row_resumes_to_the_same_result(monkeypatch):
    """Checkpoints written before the size-free slots hold the price decline
    of every row; resumed, only the first size's is added to and read."""
    plan = _plan("strategies")
    n = 6 * BLOCK
    design = build_design("random", 4, n, plan.n_dims)
    straight = reducer.Reducer(plan, 4, design)
    straight.advance(n)
    with monkeypatch.context() as m:
        m.setattr(reducer, "sketched_slots", lambda p: np.tile(reducer.histogram_columns(p), p.n_rows))
        old = reducer.Reducer(plan, 4, design)
        old.advance(2 * BLOCK)
        state = old.state()
    resumed = reducer.Reducer(plan, 4, design)
    resumed.load_state(state, 2 * BLOCK)
    resumed.advance(n)
    a, b = straight.result(), resumed.result()
    np.testing.assert_array_equal(a.mean, b.mean)
    for j in range(plan.n_rows):
        for col in a.hist_cols:
            for x, y in zip(a.histogram_of(j, col), b.histogram_of(j, col)):
                np.testing.assert_array_equal(x, y)
