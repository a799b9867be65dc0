"""The pytest-benchmark suite: each benchmark times one call and then checks
that its result matches the engine's.

Run with ``python -m pytest benchmarks/ --benchmark-only``; save a run with
``--benchmark-autosave`` and compare later ones with ``--benchmark-compare``.
Rates are in ``extra_info`` (scenarios per second of the fastest round).
"""

from __future__ import annotations

import pytest

from sim.bench import workload
from sim.testing import numpy_model

from benchmarks import floors, naive_numba, squiggle_model

from .conftest import NUMPY_N, N

ROUNDS = 3


def timed(benchmark, fn, n, group):
    """Time ``fn`` (one warm-up call excluded) and record its rate."""
    benchmark.group = group
    result = benchmark.pedantic(fn, rounds=ROUNDS, warmup_rounds=1, iterations=1)
    benchmark.extra_info["n"] = n
    benchmark.extra_info["scenarios_per_second"] = n / benchmark.stats.stats.min
    return result


def test_engine_reduce(benchmark, plan, engine, threads):
    got = timed(benchmark, lambda: workload.engine_summary(plan, workload.SEED, N), N,
                f"numba {threads} thr")
    # Exactly the one-thread result, and the independent transcription's to 1e-9.
    assert workload.same_means(got, engine(N), 0.0) is None
    assert workload.same_means(got, naive_numba.run(plan, workload.SEED, N), 1e-9) is None


def test_engine_run(benchmark, scenario, engine, threads):
    from sim import run

    ds = timed(benchmark, lambda: run(scenario, n_scenarios=N, seed=workload.SEED), N,
               f"numba {threads} thr")
    assert (ds.roi_mean.values == engine(N).roi_mean).all()


def test_naive_numba(benchmark, plan, engine, threads):
    got = timed(benchmark, lambda: naive_numba.run(plan, workload.SEED, N), N,
                f"numba {threads} thr")
    assert workload.same_means(got, engine(N), 1e-9) is None


def test_rng_floor(benchmark, scenario, plan, threads):
    assert floors.draws_check(plan, scenario, workload.SEED) is None
    timed(benchmark, lambda: floors.draws_run(plan, workload.SEED, N), N, f"numba {threads} thr")


def test_arithmetic_floor(benchmark, plan, predrawn, threads):
    assert floors.model_check(plan, predrawn) is None
    timed(benchmark, lambda: floors.model_run(plan, predrawn, N), N, f"numba {threads} thr")


def test_numpy(benchmark, scenario, engine):
    assert numpy_model.check_on_engine_draws(scenario) is None
    got = timed(benchmark, lambda: numpy_model.run(scenario, workload.SEED, NUMPY_N), NUMPY_N,
                "vectorized 1 thr")
    assert workload.same_distribution(got, engine(NUMPY_N)) is None


def test_squigglepy(benchmark, scenario, engine):
    if not squiggle_model.available():
        pytest.skip("squigglepy not installed (optional: pip install squigglepy)")
    got = timed(benchmark, lambda: squiggle_model.run(scenario, workload.SEED, NUMPY_N), NUMPY_N,
                "vectorized 1 thr")
    assert workload.same_distribution(got, engine(NUMPY_N)) is None
