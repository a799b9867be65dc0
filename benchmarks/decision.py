"""What a decision run (specification section 12) costs against a plain run, and
that memory stays flat in n with strategies and the value of information on.

Measures, in one run on this machine, on the bundled ``strategies`` (five
strategies) and ``baseline`` (one) scenarios, best of a few repeats:

* the kernel alone (``sim.engine.reducer.reduce``): a plain run (path off, no
  VOI), the same with the EVPPI sums (``voi=True``, what ``sim decide``
  reduces), and a plain run with the valuation path on (``sim run``'s default);
* the whole of ``sim.decide`` against ``sim.run`` (datasets included);

as seconds per million scenarios and per million (scenario, strategy) pairs.
Then the peak resident memory of ``sim.decide("strategies", n)`` in a fresh
process at each n:

    python benchmarks/decision.py [--n 1e6] [--repeat 2] [--memory 1e6,1e7] [-o benchmarks/DECISION.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numba

import sim
from sim.bench.memory import _high_water_mib
from sim.bench.startup import child_env
from sim.analyses.decide import decide
from sim.engine.reducer import reduce
from sim.scenario.plan import build_plan


def best_of(repeat: int, fn, *args, **kwargs) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best


def cost_rows(name: str, n: int, repeat: int) -> list[str]:
    sc = sim.load_scenario(name)
    k = len(sc.strategy_names)
    off, on = build_plan(sc, path=False), build_plan(sc, path=True)
    reduce(off, 0, 20_000, voi=True)  # compile, or load from the cache
    reduce(on, 0, 20_000)
    decide(sc, 40_000)
    sim.run(sc, 20_000)
    times = {
        "kernel, plain (path off)": best_of(repeat, reduce, off, 0, n),
        "kernel, decision (path off, VOI sums)": best_of(repeat, reduce, off, 0, n, voi=True),
        "kernel, plain with path (sim run's default)": best_of(repeat, reduce, on, 0, n),
        "sim.run (path on)": best_of(repeat, sim.run, sc, n),
        "sim.decide (path off, VOI)": best_of(repeat, decide, sc, n),
    }
    plain = times["kernel, plain (path off)"]
    rows = []
    for what, t in times.items():
        per = t / n * 1e6
        rows.append(f"| {name} | {k} | {what} | {n / t / 1e6:.3f} | {per:.2f} | {per / k:.2f} | "
                    f"{t / plain:.2f} |")
    return rows


def memory_here(n: int) -> dict[str, float]:
    """In this (fresh) process: peak RSS after a warm-up and after decide(n)."""
    decide("strategies", 40_000)
    warm = _high_water_mib()
    start = time.perf_counter()
    decide("strategies", n)
    return {"n": float(n), "peak_mib": _high_water_mib(), "after_warmup_mib": warm,
            "run_s": time.perf_counter() - start}


def memory(n: int) -> dict[str, float]:
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory(prefix="sim-bench-") as cwd:
        done = subprocess.run([sys.executable, os.path.join(here, "decision.py"), "--child-memory", str(n)],
                              env=child_env(), cwd=cwd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="1e6")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--memory", default="1e6,1e7")
    parser.add_argument("--child-memory", help=argparse.SUPPRESS)
    parser.add_argument("-o", "--output")
    args = parser.parse_args()
    if args.child_memory:
        print(json.dumps(memory_here(int(float(args.child_memory)))))
        return
    n = int(float(args.n))
    load = os.getloadavg()
    lines = [f"# Cost of a decision run ({platform.processor() or platform.machine()}, "
             f"{numba.get_num_threads()} threads, {os.cpu_count()} CPUs; "
             f"load average at the start {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f})", "",
             f"n = {n:.0e} scenarios, best of {args.repeat}; ratio: time / the kernel's plain run "
             "of the same scenario.", "",
             "| scenario | strategies | run | M scenarios/s | s per 1e6 scenarios | "
             "s per 1e6 (scenario, strategy) | ratio |",
             "|---|---|---|---|---|---|---|"]
    for name in ("baseline", "strategies"):
        lines += cost_rows(name, n, args.repeat)
    lines += ["", "Peak memory of `sim.decide(\"strategies\", n)` (5 strategies, VOI on), fresh process:", "",
              "| n | peak MiB | after warm-up MiB | run s |", "|---|---|---|---|"]
    for text in args.memory.split(","):
        m = memory(int(float(text)))
        lines.append(f"| {m['n']:.0e} | {m['peak_mib']:.1f} | {m['after_warmup_mib']:.1f} | {m['run_s']:.1f} |")
    load = os.getloadavg()
    lines += ["", f"load average at the end {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}"]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.output:
        with open(args.output, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()
