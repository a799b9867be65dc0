"""Where the kernel's time goes, inside the kernel itself: ns per scenario
of the draws, the model, the moment sums and the histograms of
``sim.kernels.reduce.reduce_chunk`` (:mod:`benchmarks.stages`), at 1 thread,
on the v1 workload and the v2 baseline:

    python -m benchmarks.kernel_stages [n] [repeat]
"""

from __future__ import annotations

import sys

import numba

import sim
from benchmarks import stages
from sim.bench import workload
from sim.scenario.plan import build_plan

WORKLOADS = {"v1 workload": None, "v2 baseline": "baseline"}


def main(n: int = 1 << 20, repeat: int = 2) -> dict:
    numba.set_num_threads(1)
    rows = {}
    for label, name in WORKLOADS.items():
        sc = workload.scenario() if name is None else sim.load_scenario(name)
        rows[label] = stages.measure(build_plan(sc), n, repeat)
    print(f"ns per scenario inside reduce_chunk, 1 thread, n = {n:.2e}, best of {repeat}")
    names = [k for k in next(iter(rows.values())) if k != "n"]
    print(f"{'workload':<14}" + "".join(f"{k:>15}" for k in names))
    for label, row in rows.items():
        print(f"{label:<14}" + "".join(f"{row[k]:>15.0f}" for k in names))
    return rows


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 1 << 20,
         int(sys.argv[2]) if len(sys.argv) > 2 else 2)
