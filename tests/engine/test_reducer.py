"""Reductions, reproducibility and the run/sample contract."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import sim
from sim.testing.compare import assert_same_numbers
from sim.engine import sketch
from sim.vocab.layout import BLOCK, PILOT
from sim.vocab.outputs import ROI

RESULT_VARS = ["roi_mean", "roi_std", "roi_quantile", "roi_expected_quantile", "prob_loss",
               "prob_best", "cvar_05", "investment_mean", "revenue_npv_mean"]


def test_same_results_for_1_and_2_threads(baseline, threads):
    n = 3 * BLOCK + 123  # a partial last block too
    threads(1)
    one = sim.run(baseline, n_scenarios=n, seed=7, chunk_size=BLOCK)
    threads(2)
    two = sim.run(baseline, n_scenarios=n, seed=7, chunk_size=BLOCK)
    assert_same_numbers(one, two)


def test_same_results_for_two_chunk_sizes(baseline, threads):
    threads(2)
    n = 40_000
    small = sim.run(baseline, n_scenarios=n, seed=7, chunk_size=BLOCK)
    large = sim.run(baseline, n_scenarios=n, seed=7, chunk_size=8 * BLOCK)
    assert_same_numbers(small, large)


def test_seed_changes_results(baseline):
    a = sim.run(baseline, n_scenarios=10_000, seed=1)
    b = sim.run(baseline, n_scenarios=10_000, seed=2)
    assert not np.array_equal(a.roi_mean.values, b.roi_mean.values)


def test_run_reduces_exactly_the_sampled_draws(baseline):
    n = 30_000
    ds = sim.run(baseline, n_scenarios=n, seed=4)
    raw = sim.sample(baseline, n_scenarios=n, seed=4)
    roi = raw.roi.values
    np.testing.assert_allclose(ds.roi_mean, roi.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(ds.roi_std, roi.std(axis=0, ddof=1), rtol=1e-10)
    np.testing.assert_allclose(ds.roi_mean_se, roi.std(axis=0, ddof=1) / np.sqrt(n), rtol=1e-10)
    np.testing.assert_allclose(ds.roi_expected_mean, raw.roi_expected.values.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(ds.prob_loss, (roi < 0).mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(ds.investment_mean, raw.investment.values.mean(axis=0), rtol=1e-13)
    value = raw.net_value.values  # "best" follows decision.objective, net value by default
    best = value == value.max(axis=1, keepdims=True)
    credit = best / best.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(ds.prob_best, credit.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(ds.regret_mean, (value.max(axis=1, keepdims=True) - value).mean(axis=0),
                               rtol=1e-9)
    # CVaR 5%: mean of the worst 5% (the sketch interpolates inside one bin).
    k = int(0.05 * n)
    worst = np.sort(roi, axis=0)[:k].mean(axis=0)
    np.testing.assert_allclose(ds.cvar_05, worst, rtol=1e-3, atol=1e-4)
    # Sampled parameters carry their names and units.
    assert raw["costs.gpu_hour_price"].attrs["units"] == "USD/GPU-hour"
    assert raw.incident_uniform.dims == ("scenario", "revenue_year")


def empirical_rank_ok(samples: np.ndarray, value: float, q: float, tol: float) -> bool:
    """The reported q-quantile ranks within ``tol`` of q (ties count both ways)."""
    below = np.mean(samples < value)
    at_or_below = np.mean(samples <= value)
    return below - tol <= q <= at_or_below + tol


def test_sketch_rank_accuracy(baseline):
    """Every reported quantile has an empirical rank within 5e-4 of q."""
    n = 200_000
    qs = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999]
    ds = sim.run(baseline, n_scenarios=n, seed=12, quantiles=qs)
    raw = sim.sample(baseline, n_scenarios=n, seed=12)
    for name in ("roi", "roi_expected"):
        for j in range(ds.sizes["model_size"]):
            x = raw[name].values[:, j]
            for i, q in enumerate(qs):
                v = ds[f"{name}_quantile"].values[j, i]
                assert empirical_rank_ok(x, v, q, 5e-4), (name, j, q, v)


def test_sketch_rank_accuracy_fails_for_a_coarse_histogram():
    """Negative control: with 64 bins, the same check does fail."""
    rng = np.random.default_rng(0)
    x = rng.lognormal(0, 2, size=100_000) - 1
    hist = sketch.Histograms.from_pilot(x[:16384, None], n_lanes=1, n_bins=64)
    q = sketch.histogram_quantiles(*_fill(hist, x), [0.3])
    assert not empirical_rank_ok(x, q[0], 0.3, 5e-4)
    hist = sketch.Histograms.from_pilot(x[:16384, None], n_lanes=1)
    q = sketch.histogram_quantiles(*_fill(hist, x), [0.3])
    assert empirical_rank_ok(x, q[0], 0.3, 5e-4)


def _fill(hist, x):
    y = sketch.coordinate_np(x)
    idx = np.floor((y - hist.lo[0]) * hist.inv_width[0]).astype(int) + 1
    idx = np.clip(idx, 0, hist.n_bins + 1)
    idx[y < hist.lo[0]] = 0
    count = np.bincount(idx, minlength=hist.n_bins + 2)
    vmin = np.full(hist.n_bins + 2, np.inf)
    vmax = np.full(hist.n_bins + 2, -np.inf)
    np.minimum.at(vmin, idx, x)
    np.maximum.at(vmax, idx, x)
    at_min = np.bincount(idx[x == vmin[idx]], minlength=hist.n_bins + 2)
    at_max = np.bincount(idx[x == vmax[idx]], minlength=hist.n_bins + 2)
    return count, vmin, vmax, at_min, at_max


def test_kernel_histogram_matches_numpy_fill(baseline):
    """The kernel's histogram equals a NumPy fill of the sampled ROI."""
    from sim.engine.reducer import reduce
    from sim.scenario.plan import build_plan

    n = 20_000
    red = reduce(build_plan(baseline), seed=3, n=n)
    raw = sim.sample(baseline, n_scenarios=n, seed=3).roi.values
    for j in range(raw.shape[1]):
        h = sketch.Histograms.from_pilot(raw[: PILOT, j:j + 1], 1)
        count, vmin, vmax, at_min, at_max = _fill(h, raw[:, j])
        k_count, k_min, k_max, k_at_min, k_at_max = red.histogram_of(j, ROI)
        np.testing.assert_array_equal(k_count, count)
        seen = count > 0
        np.testing.assert_array_equal(k_min[seen], vmin[seen])
        np.testing.assert_array_equal(k_max[seen], vmax[seen])
        np.testing.assert_array_equal(k_at_min, at_min)
        np.testing.assert_array_equal(k_at_max, at_max)


def test_netcdf_round_trip(baseline, tmp_path):
    ds = sim.run(baseline, n_scenarios=20_000, seed=1)
    path = sim.write_netcdf(ds, tmp_path / "run.nc")
    with xr.open_dataset(path) as back:
        xr.testing.assert_identical(ds, back.load())


def test_metadata_describes_the_run(baseline):
    ds = sim.run(baseline, n_scenarios=5000, seed=6)
    for name, var in ds.variables.items():
        assert "units" in var.attrs and "long_name" in var.attrs, name
    assert ds.model_size.attrs["units"] == "parameters"
    for key in ("n_scenarios", "seed", "scenario_name", "scenario", "sim_version", "created"):
        assert key in ds.attrs
    assert ds.attrs["n_scenarios"] == 5000 and ds.attrs["seed"] == 6
    # The stored scenario is enough to rerun it.
    from sim.scenario.load import scenario_from_toml_text
    again = sim.run(scenario_from_toml_text(ds.attrs["scenario"]), n_scenarios=5000, seed=6)
    for name in RESULT_VARS:
        np.testing.assert_array_equal(ds[name].values, again[name].values)


def test_atomic_write_leaves_nothing_on_failure(baseline, tmp_path, monkeypatch):
    """A full disk half way through the file: one SimError, and no file at all."""
    import errno
    import os

    ds = sim.run(baseline, n_scenarios=1000, seed=1)
    target = tmp_path / "out.nc"

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(sim.SimError, match="out.nc: could not write the file "
                                           r"\(No space left on device\); nothing was written"):
        sim.write_netcdf(ds, target)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"n_scenarios": 0}, "n_scenarios"),
    ({"n_scenarios": 2.5}, "n_scenarios"),
    ({"seed": -1}, "seed"),
    ({"quantiles": [0.5, 1.0]}, "quantiles"),
])
def test_bad_run_arguments(baseline, kwargs, message):
    with pytest.raises(sim.SimError, match=message):
        sim.run(baseline, **{"n_scenarios": 100, **kwargs})


def test_thread_count_may_change_during_a_run(baseline, threads):
    """Histograms are indexed by thread id: a run that gains threads half way
    grows them, and its numbers equal those of a run at a fixed count."""
    from sim.engine.reducer import Reducer, reduce
    from sim.scenario.plan import build_plan
    from sim.engine.designs import build_design

    plan = build_plan(baseline)
    n = 6 * BLOCK
    design = build_design("random", 4, n, plan.n_dims)
    threads(1)
    reducer = Reducer(plan, 4, design, chunk_size=BLOCK)
    reducer.advance(2 * BLOCK)
    threads(2)
    reducer.advance(n)
    grown = reducer.result()
    fixed = reduce(plan, 4, n, design=design)
    np.testing.assert_array_equal(grown.mean, fixed.mean)
    np.testing.assert_array_equal(grown.hist_count, fixed.hist_count)
    np.testing.assert_array_equal(grown.hist_min, fixed.hist_min)


def test_progress_counts_every_scenario_and_waits_before_showing(baseline):
    """The bar appears only after 1.5 s and ends at n, whatever the chunking."""
    from sim.engine.reducer import reduce
    from sim.scenario.plan import build_plan
    from sim.services.progress import progress_bar

    n = 5 * BLOCK + 7
    bar = progress_bar(n, True)
    try:
        assert bar.delay == 1.5 and bar.total == n
        reduce(build_plan(baseline), 0, n, chunk_size=2 * BLOCK, progress=bar)
        assert bar.n == n
    finally:
        bar.close()
    assert progress_bar(n, False) is None


def test_chunks_computed_in_any_order_merge_to_the_same_reduction(baseline):
    """compute_chunk touches no state: chunks computed backwards (as a
    cluster might finish them) and merged in block order give reduce's
    numbers exactly."""
    from sim.engine.reducer import Reducer, reduce
    from sim.scenario.plan import build_plan
    from sim.engine.designs import build_design

    plan = build_plan(baseline)
    n = 5 * BLOCK + 11
    design = build_design("lhs", 3, n, plan.n_dims)
    reducer = Reducer(plan, 3, design, chunk_size=2 * BLOCK)
    layout = reducer.layout(n)
    assert layout == [(0, 2), (2, 2), (4, 2)]
    states = {fb: reducer.compute_chunk(fb, nb, n) for fb, nb in reversed(layout)}
    assert reducer.n == 0
    assert set(states[0]) == {"block_n", "block_mean", "block_m2", "hist"}
    assert states[0].rules["hist"] == "histogram" and states[0].rules["block_m2"] == "blocks in order"
    with pytest.raises(sim.SimError, match="block order"):
        reducer.merge_chunk(states[2])
    for fb, _ in layout:
        reducer.merge_chunk(states[fb] if fb else states[fb].compact())
    assert reducer.n == n
    got, want = reducer.result(), reduce(plan, 3, n, design=design)
    for name in ("mean", "m2", "rep_n", "rep_mean", "rep_m2", "hist_count", "hist_min", "hist_max",
                 "hist_at_min", "hist_at_max"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)


def test_a_new_per_block_array_is_summed_in_block_order(baseline, monkeypatch):
    """State added later needs only its entry: a BLOCKS array that is not a
    moment is totalled block by block into Reducer.sums."""
    from sim.engine import reducer as engine
    from sim.scenario.plan import build_plan
    from sim.engine.designs import build_design

    monkeypatch.setitem(engine.STATE_RULES, "block_extra", engine.BLOCKS)
    plan = build_plan(baseline)
    n = 4 * BLOCK
    red = engine.Reducer(plan, 1, build_design("random", 1, n, plan.n_dims), chunk_size=2 * BLOCK)
    values = np.arange(4 * 3, dtype=float).reshape(4, 3) * 0.1
    for fb, nb in red.layout(n):
        state = red.compute_chunk(fb, nb, n)
        arrays = {**state.arrays, "block_extra": values[fb:fb + nb]}
        red.merge_chunk(engine.ChunkState(fb, nb, n, arrays, {**state.rules, "block_extra": engine.BLOCKS}))
    total = np.zeros(3)
    for b in range(4):
        total += values[b]
    np.testing.assert_array_equal(red.result().sums["block_extra"], total)


def _ranges_from_every_coordinate(values, offset, scale, n_bins):
    """from_pilot's ranges computed as it did before it transformed only the
    extremes: every pilot value's coordinate, then their extremes."""
    import math

    y = sketch.coordinate_np(values, offset, scale)
    lo, hi = np.nanmin(y, axis=0), np.nanmax(y, axis=0)
    pad = np.maximum(0.01 * (hi - lo), 1e-9 * np.maximum(1.0, np.abs(hi)))
    lo, hi = lo - pad, hi + pad
    for h in range(values.shape[1]):
        atom = sketch._most_frequent(values[:, h], min_count=max(2, values.shape[0] // 1000))
        if atom is not None:
            width = (hi[h] - lo[h]) / n_bins
            y_atom = float(sketch.coordinate_np(atom, offset, scale))
            lo[h] = y_atom - math.ceil((y_atom - lo[h]) / width) * width
            hi[h] = lo[h] + n_bins * width
    return lo, hi


@given(values=hnp.arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 4)),
                         elements=st.floats(-1e300, 1e300) | st.sampled_from([np.nan, -1.0, 0.0, 3.0])),
       offset=st.floats(-5, 5), scale=st.floats(1e-6, 1e6))
@settings(max_examples=300, deadline=None)
def test_pilot_ranges_from_the_extremes_equal_those_of_every_coordinate(values, offset, scale):
    """from_pilot transforms each column's extremes only (the coordinate is
    non-decreasing in the value): the same bits as every coordinate's extremes."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = _ranges_from_every_coordinate(values, offset, scale, 64)
        got = sketch.Histograms.from_pilot(values, 0, n_bins=64, offset=offset, scale=scale)
    assert np.array_equal(got.lo, expected[0], equal_nan=True)
    assert np.array_equal(got.hi, expected[1], equal_nan=True)


def test_lanes_folded_before_their_limit_give_the_same_reduction(baseline, monkeypatch):
    """A kernel lane packs its counts at the extremes and must be folded
    before it has counted LANE_LIMIT scenarios. With the limit at two
    blocks, a local run folds its lanes every two blocks and a computed
    chunk of five blocks folds between groups: every number is the same as
    with the real limit."""
    import sim.engine.reducer as reducer
    from sim.engine.designs import build_design
    from sim.scenario.plan import build_plan

    plan = build_plan(baseline)
    n = 5 * BLOCK + 11
    design = build_design("random", 3, n, plan.n_dims)
    want = reducer.reduce(plan, 3, n, design=design)
    monkeypatch.setattr(reducer, "LANE_BLOCKS", 2)
    local = reducer.Reducer(plan, 3, design, chunk_size=3 * BLOCK)
    local.advance(n)
    assert local.n == n
    chunked = reducer.Reducer(plan, 3, design, chunk_size=BLOCK)
    chunked.merge_chunk(chunked.compute_chunk(0, 6, n))
    for got in (local.result(), chunked.result()):
        for name in ("mean", "m2", "hist_count", "hist_min", "hist_max", "hist_at_min", "hist_at_max"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    with pytest.raises(sim.SimError, match="lanes that hold 2"):
        local.compute_chunk(0, 3, n, local.ranges.empty_lanes(8))
