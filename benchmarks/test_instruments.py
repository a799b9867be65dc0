"""The developer's benchmark instruments compute the engine's numbers.

Correctness only, at small n (speed is the suite's, ``test_speed.py``): the
naive Numba transcription, the floors, the squigglepy port, the staged copy
of the engine's kernel and the frozen pre-SIMD kernel agree with the engine.
Run with ``python -m pytest benchmarks/test_instruments.py``.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest

from sim.bench import workload
from sim.engine import reducer
from sim.engine.designs import build_design
from sim.kernels import reduce as kernels
from sim.vocab.layout import BLOCK

from benchmarks import floors, frozen_kernel, naive_numba, squiggle_model, stages


def test_naive_numba_equals_engine(plan, threads):
    want = workload.engine_summary(plan, 3, 5000)
    got = naive_numba.run(plan, 3, 5000)
    assert workload.same_means(got, want, 1e-9) is None
    np.testing.assert_allclose(got.roi_mean, want.roi_mean, rtol=1e-9)


def test_frozen_kernel_agrees_with_the_engine(plan, threads):
    """The pre-SIMD kernel, passed to the reducer as ``kernel=``: libm's exp
    and log instead of vmath's, so equal to a few ulps, not bit for bit."""
    want = workload.engine_summary(plan, 3, 5000)
    got = workload.engine_summary(plan, 3, 5000, kernel=frozen_kernel.frozen_kernels())
    assert workload.same_means(got, want, 1e-9) is None


def test_random_number_floor_draws_what_an_independent_generator_draws(scenario, plan):
    # The oracle: SplitMix64 written in NumPy and SciPy-special quantiles.
    assert floors.draws_check(plan, scenario, seed=2, n=3000) is None


def test_numpy_uniforms_are_the_kernel_stream():
    """The floor's NumPy oracle reproduces the kernel generator bit for bit
    (and so the check above compares two implementations of one definition)."""
    from sim.kernels.sampling.rng import fill_uniforms, key_from_seed

    key = key_from_seed(11)
    want = np.empty((50, 7))
    for s in range(50):
        fill_uniforms(key, 100 + s, 7, want[s])
    np.testing.assert_array_equal(floors.uniforms_np(key, 100, 50, 7), want)


def test_draws_check_catches_wrong_draws(scenario, plan, monkeypatch):
    real = floors.draws_run
    monkeypatch.setattr(floors, "draws_run", lambda *a: real(*a) * (1 + 1e-6))
    assert "differ" in floors.draws_check(plan, scenario, seed=2, n=3000)


def test_arithmetic_floor_evaluates_the_engine_model(plan):
    pre = floors.predraw(plan, seed=4, m=2000)
    assert floors.model_check(plan, pre) is None
    # Cycling through the chunk twice doubles the sums.
    once, _ = floors.model_run(plan, pre, 2000)
    twice, _ = floors.model_run(plan, pre, 4000)
    np.testing.assert_allclose(twice, 2 * once, rtol=1e-12)


def test_squigglepy_model_matches_engine(scenario, plan):
    if not squiggle_model.available():
        pytest.skip("squigglepy not installed (optional)")
    got = squiggle_model.run(scenario, seed=1, n=20_000)
    assert workload.same_distribution(got, workload.engine_summary(plan, 1, 20_000)) is None


def test_staged_kernel_at_its_last_stage_is_the_engines_kernel(plan):
    """The breakdown's copy of reduce_chunk, passed to the reducer as
    ``kernel=``, with everything switched on computes what the engine's
    kernel computes; with only the draws on, it adds nothing to the histograms."""
    n = 4 * BLOCK
    design = build_design("random", 3, n, plan.n_dims)
    red = reducer.Reducer(plan, 3, design, chunk_size=n)
    before = numba.get_num_threads()
    numba.set_num_threads(1)  # one histogram lane, so that the lanes compare bin for bin
    try:
        _compare_stages(plan, red, design, n)
    finally:
        numba.set_num_threads(before)


def _compare_stages(plan, red, design, n):
    want = red.compute_chunk(0, 4, n)
    for stage in (4, 1):
        staged = reducer.Reducer(plan, 3, design, chunk_size=n, ranges=red.ranges,
                                 kernel=stages.stage_kernels(stage))
        got = staged.compute_chunk(0, 4, n)
        if stage == 4:
            for name in ("block_n", "block_mean", "block_m2", "hist"):
                np.testing.assert_array_equal(got[name], want[name], err_msg=name)
        else:
            np.testing.assert_array_equal(got["block_n"], want["block_n"])
            np.testing.assert_array_equal(got["hist"], red.ranges.with_lanes(1).data)
    assert kernels.reduce_chunk is reducer.kernels.reduce_chunk  # nothing was swapped
