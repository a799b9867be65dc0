"""What sketching the size-free statistics once per strategy saves: the same
process and the same compiled kernel, run with the slots the engine uses
(:func:`sim.engine.reducer.sketched_slots`) and with every statistic
sketched in every row, alternating, at one thread:

    python -m benchmarks.size_free [on|off] [rounds]

(``off``: the valuation path off). Prints ns per scenario of
:func:`sim.engine.reducer.reduce` for each, best and median.
"""

from __future__ import annotations

import statistics
import sys
import time

import numba
import numpy as np

import sim
from sim.engine import reducer
from sim.scenario.plan import build_plan


def every_row(plan) -> np.ndarray:
    """Every histogram column sketched in every row (as before)."""
    return np.tile(reducer.histogram_columns(plan), plan.n_rows)


def main(path: bool = True, rounds: int = 9, n: int = 1 << 20) -> dict:
    numba.set_num_threads(1)
    plan = build_plan(sim.load_scenario("baseline"), path=path)
    variants = {"once per strategy": reducer.sketched_slots, "every row": every_row}
    times = {k: [] for k in variants}
    engine_slots = reducer.sketched_slots
    try:
        reducer.reduce(plan, 0, 50_000)  # compile or load
        for r in range(rounds):
            order = list(variants) if r % 2 == 0 else list(variants)[::-1]
            for name in order:
                reducer.sketched_slots = variants[name]
                start = time.perf_counter()
                reducer.reduce(plan, 0, n)
                times[name].append((time.perf_counter() - start) * 1e9 / n)
    finally:
        reducer.sketched_slots = engine_slots
    print(f"baseline, path {'on' if path else 'off'}, n = {n:.2e}, 1 thread, {rounds} alternating rounds; "
          f"histogram updates per scenario: {int((engine_slots(plan) >= 0).sum())} against "
          f"{int((every_row(plan) >= 0).sum())}")
    for name, t in times.items():
        print(f"  {name:>18}: best {min(t):.0f} ns/scenario, median {statistics.median(t):.0f}")
    a, b = times["every row"], times["once per strategy"]
    print(f"  every row / once per strategy: best {min(a) / min(b):.3f}x, "
          f"median {statistics.median(a) / statistics.median(b):.3f}x")
    return times


if __name__ == "__main__":
    main(path=(sys.argv[1] if len(sys.argv) > 1 else "on") != "off",
         rounds=int(sys.argv[2]) if len(sys.argv) > 2 else 9)
