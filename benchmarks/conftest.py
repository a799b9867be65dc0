"""Fixtures of the pytest-benchmark suite: the workload, drawn once.

``SIM_BENCH_N`` sets the scenarios per timed call (default 1e6) and
``SIM_BENCH_NUMPY_N`` those of the slower NumPy and squigglepy baselines
(default 2e5).
"""

from __future__ import annotations

import os

import numba
import pytest

from sim.bench import workload

from benchmarks import floors

N = int(float(os.environ.get("SIM_BENCH_N", "1e6")))
NUMPY_N = int(float(os.environ.get("SIM_BENCH_NUMPY_N", "2e5")))
THREADS = sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)})


@pytest.fixture(scope="session")
def scenario():
    return workload.scenario()


@pytest.fixture(scope="session")
def plan(scenario):
    return workload.plan(scenario)


@pytest.fixture(scope="session")
def engine(plan):
    """The engine's summary per n at one thread, computed once: the reference
    that runs at other thread counts must reproduce exactly."""
    cache = {}

    def at(n):
        if n not in cache:
            before = numba.get_num_threads()
            numba.set_num_threads(1)
            try:
                cache[n] = workload.engine_summary(plan, workload.SEED, n)
            finally:
                numba.set_num_threads(before)
        return cache[n]

    return at


@pytest.fixture(scope="session")
def predrawn(plan):
    return floors.predraw(plan, workload.SEED)


@pytest.fixture(params=THREADS, ids=lambda t: f"{t}thr")
def threads(request):
    """Run the test at this many Numba threads, restoring the count after."""
    before = numba.get_num_threads()
    numba.set_num_threads(request.param)
    yield request.param
    numba.set_num_threads(before)
