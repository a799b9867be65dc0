"""Where the kernel's time goes, inside the kernel itself: ns per scenario
of the draws, the model, the moment sums and the histograms of
``sim.engine.kernels.reduce_chunk``, at 1 thread, on the v1 workload and
the v2 baseline:

    python benchmarks/kernel_stages.py [n] [repeat]

The floors of ``sim.bench.floors`` time each part in a kernel of its own;
this times them where they run, with the caches and memory traffic of the
whole loop. It compiles (uncached, about a minute) a copy of
``reduce_chunk`` whose source has a ``stage`` argument that switches the
later parts off: 1 draws only, 2 with the model, 3 with the moment sums,
4 everything (the histograms). Each part's cost is the difference between
two stages. ``Reducer.compute_chunk`` runs every stage on the same blocks,
so the pilot and the merge are left out; the cached kernel is timed the
same way, as a check that the copy runs like the original.
"""

from __future__ import annotations

import inspect
import sys
import time

import numba

import sim
from sim.bench import workload
from sim.engine import kernels, reducer
from sim.layout import BLOCK
from sim.plan import build_plan
from sim.sampling.designs import build_design

WORKLOADS = {"v1 workload": None, "v2 baseline": "baseline"}

#: (text of reduce_chunk, what it becomes in the staged copy)
_EDITS = [
    ("@jit_parallel\n", ""),
    ("n_bins, hist,\n                 block_n, block_mean, block_m2, voi):",
     "n_bins, hist,\n                 block_n, block_mean, block_m2, voi, stage):"),
    ("            evaluate_block(TH", "            if stage >= 2: evaluate_block(TH"),
    ("            for k in range(n_flat):\n                lane_sums",
     "            for k in range(n_flat if stage >= 3 else 0):\n                lane_sums"),
    ("                for h in range(n_hist):\n                    x = OUT",
     "                for h in range(n_hist if stage >= 4 else 0):\n                    x = OUT"),
]


def staged_kernel():
    """``reduce_chunk`` with a last argument ``stage`` (see the module)."""
    src = inspect.getsource(kernels.reduce_chunk.py_func)
    for old, new in _EDITS:
        if old not in src:
            raise SystemExit(f"reduce_chunk changed: cannot find {old.strip()[:60]!r}; update _EDITS")
        src = src.replace(old, new)
    namespace = dict(vars(kernels))
    exec(compile(src, kernels.__file__, "exec"), namespace)
    return numba.njit(parallel=True, error_model="numpy")(namespace["reduce_chunk"])


def main(n: int = 1 << 20, repeat: int = 2) -> dict:
    staged = staged_kernel()
    numba.set_num_threads(1)
    original = kernels.reduce_chunk
    rows = {}
    try:
        for label, name in WORKLOADS.items():
            sc = workload.scenario() if name is None else sim.load_scenario(name)
            plan = build_plan(sc)
            red = reducer.Reducer(plan, 0, build_design("random", 0, n, plan.n_dims), chunk_size=n)
            ns = {}
            for stage in (1, 2, 3, 4, 5):  # 5: the cached kernel itself
                kernels.reduce_chunk = original if stage == 5 else (
                    lambda *args, s=stage: staged(*args, s))
                red.compute_chunk(0, 2, n)  # compile or warm up
                best = float("inf")
                for _ in range(repeat):
                    start = time.perf_counter()
                    red.compute_chunk(0, -(-n // BLOCK), n)
                    best = min(best, time.perf_counter() - start)
                ns[stage] = best / n * 1e9
            kernels.reduce_chunk = original
            rows[label] = {"draws": ns[1], "model": ns[2] - ns[1], "moments": ns[3] - ns[2],
                           "histograms": ns[4] - ns[3], "total": ns[4], "cached kernel": ns[5]}
    finally:
        kernels.reduce_chunk = original
    print(f"ns per scenario inside reduce_chunk, 1 thread, n = {n:.2e}, best of {repeat}")
    names = list(next(iter(rows.values())))
    print(f"{'workload':<14}" + "".join(f"{k:>15}" for k in names))
    for label, row in rows.items():
        print(f"{label:<14}" + "".join(f"{row[k]:>15.0f}" for k in names))
    return rows


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 1 << 20,
         int(sys.argv[2]) if len(sys.argv) > 2 else 2)
