"""Round three of the speed work, every ratio from one run (the asv way).

    python -m benchmarks REV [-n 1e6] [--rounds 3] [--skip cold] [--skip rates] [--skip fixed]
                             [-o benchmarks/ROUND3.md]

``git worktree add`` checks revision ``REV`` out beside this checkout; both
then run the same measurements in fresh processes, in turn, so that the
machine's state hits both alike:

* **cold and warm start of each command** (``sim run``, ``sweep``, ``decide``,
  ``sensitivity`` and ``run`` of the industry frame): the command to its table
  with an empty kernel cache, then again with that cache warm;
* **throughput per thread**: ``sim.run`` of the bundled baseline with every
  default output, and with the valuation path off, at one Numba thread,
  timed after a warm-up in the same process (best of ``rounds``
  alternating processes);
* **fixed cost**: ``sim run -n 1e4`` (warm) against
  ``python -c "import numpy, xarray"`` and ``sim --help`` against
  ``python -c "import click"``, alternating, medians
  (:func:`sim.bench.startup.paired`).

It prints a table of every figure and ratio with the machine, the load
average before and after, and the commits, and writes it as Markdown (and
the raw times as JSON beside it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Each command to its table, small enough that compiling and starting dominate.
COMMANDS = {
    "run": ["run", "baseline", "-n", "1e4"],
    "sweep": ["sweep", "baseline", "--vary", "costs.gpu_hour_price=1.5,3", "-n", "1e4"],
    "decide": ["decide", "strategies", "-n", "1e4"],
    "sensitivity": ["sensitivity", "baseline", "-n", "1024"],
    "industry": ["run", "industry", "-n", "1e4"],
}

#: Timed in the checkout under test: warm up, then one timed ``sim.run`` (stdout: JSON).
WORKLOAD = """
import json, sys, time
import sim
name, n, path = sys.argv[1], int(float(sys.argv[2])), sys.argv[3] == "on"
sim.run(name, n_scenarios=20_000, seed=0, path=path)
start = time.perf_counter()
sim.run(name, n_scenarios=n, seed=0, path=path)
print(json.dumps({"seconds": time.perf_counter() - start, "file": sim.__file__}))
"""


def _env(checkout: Path, cache: str, threads: int | None = None) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(checkout), NUMBA_CACHE_DIR=cache, PYTHONDONTWRITEBYTECODE="")
    if threads is not None:
        env["NUMBA_NUM_THREADS"] = str(threads)
    return env


def _wall(args: list[str], checkout: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=checkout, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed in {checkout}:\n{done.stderr[-2000:]}")
    return seconds


def cold_and_warm(checkout: Path, name: str) -> dict[str, float]:
    """Seconds of ``sim COMMAND`` with an empty kernel cache, then warm."""
    with tempfile.TemporaryDirectory(prefix="sim-cold-") as cache:
        args = [sys.executable, "-m", "sim", *COMMANDS[name]]
        cold = _wall(args, checkout, _env(checkout, cache))
        warm = min(_wall(args, checkout, _env(checkout, cache)) for _ in range(2))
    return {"cold_s": cold, "warm_s": warm, "ratio": cold / warm}


def rate(checkout: Path, cache: str, n: int, path: bool) -> float:
    """Scenarios per second of one ``sim.run`` of the baseline at one thread."""
    env = _env(checkout, cache, threads=1)
    done = subprocess.run([sys.executable, "-c", WORKLOAD, "baseline", str(n), "on" if path else "off"],
                          cwd=checkout, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the workload failed in {checkout}:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if not Path(result["file"]).resolve().is_relative_to(checkout.resolve()):
        raise SystemExit(f"sim was imported from {result['file']}, not from {checkout}")
    return n / result["seconds"]


def fixed_cost(checkout: Path, cache: str, repeat: int) -> dict:
    """:func:`sim.bench.startup.paired` run by ``checkout``'s own code, in its warm cache."""
    code = ("import json, sys; from sim.bench.startup import paired; "
            f"print(json.dumps(paired({cache!r}, repeat={repeat})))")
    done = subprocess.run([sys.executable, "-c", code], cwd=checkout, env=_env(checkout, cache),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the start-up pairs failed in {checkout}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _commit(checkout: Path) -> str:
    head = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(checkout), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return head + (" (with uncommitted changes)" if dirty else "")


def measure(rev: str, n: int, rounds: int, skip: set[str]) -> dict:
    from sim.bench import machine_info

    result: dict = {"machine": machine_info(), "load_before": os.getloadavg(), "n": n, "rounds": rounds}
    with tempfile.TemporaryDirectory(prefix="sim-round3-") as tmp:
        old = Path(tmp) / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(old), rev],
                       check=True)
        checkouts = {"before": old, "after": ROOT}
        result["commits"] = {label: _commit(path) for label, path in checkouts.items()}
        try:
            if "cold" not in skip:
                result["start"] = {}
                for name in COMMANDS:
                    for label, path in checkouts.items():
                        got = cold_and_warm(path, name)
                        result["start"].setdefault(name, {})[label] = got
                        print(f"{name:>12} {label:>6}: cold {got['cold_s']:6.1f} s, warm {got['warm_s']:5.2f} s,"
                              f" cold / warm {got['ratio']:5.1f}x", flush=True)
            caches = {label: tempfile.mkdtemp(prefix=f"sim-warm-{label}-", dir=tmp) for label in checkouts}
            if "rates" not in skip:
                result["rates"] = {}
                for path_on in (True, False):
                    key = "path on" if path_on else "path off"
                    times: dict[str, list[float]] = {label: [] for label in checkouts}
                    for r in range(rounds):
                        for label, path in checkouts.items():
                            times[label].append(rate(path, caches[label], n, path_on))
                            print(f"rate, {key}, round {r + 1}: {label}: {times[label][-1]:,.0f} /s", flush=True)
                    result["rates"][key] = {label: max(t) for label, t in times.items()}
                    result["rates"][key]["all"] = times
            if "fixed" not in skip:
                result["fixed"] = {label: fixed_cost(path, caches[label], 5) for label, path in checkouts.items()}
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
    result["load_after"] = os.getloadavg()
    return result


def markdown(result: dict, command: str) -> str:
    m = result["machine"]
    lines = ["# Speed, round three: one run of every ratio", "",
             f"- Command: `{command}`",
             f"- Before: `{result['commits']['before']}`; after: `{result['commits']['after']}`"
             " (both checked out, measured in turn in fresh processes).",
             f"- Machine: {m.get('cpu_model', '?')}, {m.get('cores', '?')} cores, Python {m.get('python', '?')},"
             f" Numba {m.get('numba', '?')}; load average before "
             f"{', '.join(f'{x:.2f}' for x in result['load_before'])}, after "
             f"{', '.join(f'{x:.2f}' for x in result['load_after'])}.", ""]
    if "start" in result:
        lines += ["## Compile and start: each command to its table", "",
                  "| command | cold before (s) | cold after (s) | warm before (s) | warm after (s) "
                  "| cold / warm after (target < 10) |", "|---|---|---|---|---|---|"]
        for name, got in result["start"].items():
            b, a = got["before"], got["after"]
            lines.append(f"| `sim {' '.join(COMMANDS[name])}` | {b['cold_s']:.1f} | {a['cold_s']:.1f} | "
                         f"{b['warm_s']:.2f} | {a['warm_s']:.2f} | {a['ratio']:.1f}x |")
        lines.append("")
    if "rates" in result:
        lines += [f"## Throughput per thread (baseline, n = {result['n']:.0e}, best of {result['rounds']})", "",
                  "| outputs | before (scenarios/s) | after (scenarios/s) | after / before | target |",
                  "|---|---|---|---|---|"]
        for key, target in (("path on", "2.5x"), ("path off", "2x")):
            r = result["rates"][key]
            lines.append(f"| every default output ({key}) | {r['before']:,.0f} | {r['after']:,.0f} | "
                         f"{r['after'] / r['before']:.2f}x | {target} |")
        lines.append("")
    if "fixed" in result:
        lines += ["## Fixed cost (medians of 5 alternating runs)", "",
                  "| | before | after | target |", "|---|---|---|---|"]
        for key, label, target in (("run_1e4", "`sim run -n 1e4` (warm) / `import numpy, xarray`", "2x"),
                                   ("help", "`sim --help` / `import click`", "3x")):
            lines.append(f"| {label} | {result['fixed']['before'][key]['ratio']:.2f}x | "
                         f"{result['fixed']['after'][key]['ratio']:.2f}x | {target} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", help="the git revision to compare with (a commit, tag or branch)")
    parser.add_argument("-n", default="1e6", help="scenarios per timed run (default 1e6)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of the rates (default 3)")
    parser.add_argument("--skip", action="append", default=[], choices=["cold", "rates", "fixed"],
                        help="leave out a part (repeatable)")
    parser.add_argument("-o", "--output", default=str(ROOT / "benchmarks" / "ROUND3.md"),
                        help="the Markdown report (the JSON goes beside it)")
    args = parser.parse_args(argv)
    result = measure(args.rev, int(float(args.n)), max(1, args.rounds), set(args.skip))
    text = markdown(result, "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:]))
    print(text)
    out = Path(args.output)
    out.write_text(text + "\n")
    out.with_suffix(".json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    return result


if __name__ == "__main__":
    main()
