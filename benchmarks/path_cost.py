"""What the valuation path (specification section 9) costs, and that memory stays
flat with it on.

Measures, in one run on this machine, the engine's rate on the bundled
baseline with the path on and off (kernel only, ``sim.engine.reducer.reduce``,
best of a few repeats, at 1 and 2 threads), and the peak memory of
``sim.run("baseline")`` (path on, the default) in fresh processes at each n:

    python benchmarks/path_cost.py [--n 1e6] [--memory 1e6,1e8] [-o benchmarks/PATH.md]
"""

from __future__ import annotations

import argparse
import platform
import time

import numba

import sim
from sim.bench import memory
from sim.engine.reducer import reduce
from sim.scenario.plan import build_plan


def rate(plan, n: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        reduce(plan, 0, n)
        best = min(best, time.perf_counter() - start)
    return n / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="1e6")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory", default="1e6,1e8")
    parser.add_argument("-o", "--output")
    args = parser.parse_args()
    n = int(float(args.n))
    sc = sim.load_scenario("baseline")
    plans = {"path on": build_plan(sc, path=True), "path off": build_plan(sc, path=False)}
    for plan in plans.values():
        reduce(plan, 0, 20_000)  # compile, or load from the cache
    lines = [f"# Cost of the valuation path ({platform.processor() or platform.machine()}, "
             f"{numba.config.NUMBA_NUM_THREADS} threads available)", "",
             f"Kernel rate on the bundled baseline, n = {n:.0e}, best of {args.repeat}:", "",
             "| threads | path off (M/s) | path on (M/s) | time ratio on/off |", "|---|---|---|---|"]
    before = numba.get_num_threads()
    for threads in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
        numba.set_num_threads(threads)
        off = rate(plans["path off"], n, args.repeat)
        on = rate(plans["path on"], n, args.repeat)
        lines.append(f"| {threads} | {off / 1e6:.3f} | {on / 1e6:.3f} | {off / on:.2f} |")
    numba.set_num_threads(before)
    lines += ["", "Peak memory of `sim.run(\"baseline\")` with the path on, fresh process:", "",
              "| n | peak MiB | after warm-up MiB | run s |", "|---|---|---|---|"]
    for text in args.memory.split(","):
        m = memory.measure(int(float(text)))
        lines.append(f"| {m['n']:.0e} | {m['peak_mib']:.1f} | {m['after_warmup_mib']:.1f} | "
                     f"{m['run_s']:.1f} |")
    report = "\n".join(lines) + "\n"
    print(report)
    if args.output:
        with open(args.output, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()
