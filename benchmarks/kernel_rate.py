"""Scenarios per second of the kernel alone, at 1 and 2 threads.

A small script that runs on any commit of the project (it needs only
``sim.engine.reducer.reduce`` and ``sim.plan.build_plan``), used to measure what each
optimisation step bought (docs/performance.md):

    python benchmarks/kernel_rate.py [n]
"""

from __future__ import annotations

import sys
import time

import numba

import sim
from sim.engine.reducer import reduce
from sim.plan import build_plan


def main(n: int = 1_000_000, repeat: int = 3) -> None:
    plan = build_plan(sim.load_scenario("baseline"))
    reduce(plan, 0, 100_000)  # compile or load from the cache
    for threads in (1, 2):
        numba.set_num_threads(threads)
        best = min(_time(plan, n) for _ in range(repeat))
        print(f"threads={threads}: {n / best / 1e6:.2f} M scenarios/s "
              f"({best / n * 1e6:.3f} us per scenario)")


def _time(plan, n: int) -> float:
    start = time.perf_counter()
    reduce(plan, 0, n)
    return time.perf_counter() - start


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000)
