"""Scenarios per second of the kernel alone: the engine, the frozen
pre-SIMD kernel (:mod:`benchmarks.frozen_kernel`, given to the reducer as
``kernel=``) and the NumPy implementation (:mod:`sim.testing.numpy_model`),
in the same run, at 1 and 2
threads, on the v1 workload (``sim/bench/workload_v1.toml``) and the v2
baseline scenario:

    python -m benchmarks.kernel_rate [n] [repeat]

(``benchmarks/compare_commits.py`` compares the engine with any earlier
commit of itself instead.)

The engine and the frozen kernel are timed alternately (best of ``repeat``
each), so that other work on a shared machine hits both alike. NumPy runs
on one core whatever the thread count; it is timed on ``min(n, 1e6)``
scenarios.
"""

from __future__ import annotations

import sys
import time

import numba

import sim
from sim.bench import workload
from sim.engine.reducer import reduce
from sim.scenario.plan import build_plan
from sim.testing import numpy_model

from benchmarks.frozen_kernel import frozen_kernels

WORKLOADS = {"v1 workload": None, "v2 baseline": "baseline"}


def main(n: int = 1_000_000, repeat: int = 3) -> dict:
    rows = {}
    for label, name in WORKLOADS.items():
        sc = workload.scenario() if name is None else sim.load_scenario(name)
        plan = build_plan(sc)
        reduce(plan, 0, 50_000)  # compile or load from the cache
        reduce(plan, 0, 50_000, kernel=frozen_kernels())
        n_np = min(n, 1_000_000)
        run_np = getattr(numpy_model, "run_v2", None) if name else numpy_model.run
        if run_np is None:
            t_np = float("nan")
        else:
            run_np(sc, 0, 20_000)
            t_np = min(_time(run_np, sc, 0, n_np) for _ in range(max(1, repeat - 1)))
        for threads in (1, 2):
            numba.set_num_threads(threads)
            engine, frozen = [], []
            for _ in range(repeat):
                engine.append(_time(reduce, plan, 0, n))
                frozen.append(_time(reduce, plan, 0, n, kernel=frozen_kernels()))
            rows[label, threads] = (n / min(engine), n / min(frozen), n_np / t_np)
    print(f"scenarios per second, n = {n:.0e} (NumPy: {min(n, 1_000_000):.0e}, 1 thread), best of {repeat}")
    print(f"{'workload':<14}{'threads':>8}{'engine':>12}{'frozen':>12}{'NumPy':>12}"
          f"{'eng/frozen':>12}{'eng/NumPy':>11}")
    for (label, threads), (e, f, p) in rows.items():
        print(f"{label:<14}{threads:>8}{e / 1e6:>10.3f} M{f / 1e6:>10.3f} M{p / 1e6:>10.3f} M"
              f"{e / f:>11.2f}x{e / p:>10.2f}x")
    return rows


def _time(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000,
         int(sys.argv[2]) if len(sys.argv) > 2 else 3)
