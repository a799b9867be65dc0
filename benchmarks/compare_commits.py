"""The engine against an earlier version of itself, checked out (the asv way).

    python -m benchmarks.compare_commits REV [-n 1e6] [--threads 1] [--rounds 5] [--scenario baseline]
                                             [--path on|off]

``git worktree add`` checks revision ``REV`` out into a temporary folder; the
same workload (``sim.run`` of a bundled scenario, ``n`` scenarios, seed 0)
then runs in a fresh Python process per measurement, alternating between
that checkout and this one, ``rounds`` times each, with the same number of
Numba threads. Each process first runs a small warm-up (compiling its
kernels, or loading them from the cache) and reports only the timed run's
seconds, so compilation is excluded. The ratio printed is the best time of
``REV`` over the best time of this checkout (above 1: this checkout is
faster); alternating rounds let the machine's drift hit both alike. No copy
of an earlier kernel needs to be kept in the source tree. ``--path off``
runs both without the valuation path (``sim.run(..., path=False)``, every
other output as by default).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Runs in the checkout under test: warm up, then time one run (stdout: JSON).
WORKLOAD = """
import json, sys, time
import sim
name, n, path = sys.argv[1], int(float(sys.argv[2])), sys.argv[3] == "on"
sim.run(name, n_scenarios=20_000, seed=0, path=path)
start = time.perf_counter()
sim.run(name, n_scenarios=n, seed=0, path=path)
print(json.dumps({"seconds": time.perf_counter() - start, "file": sim.__file__}))
"""


def time_once(checkout: Path, scenario: str, n: int, threads: int, path: bool = True) -> float:
    """Seconds of one timed ``sim.run`` (with the valuation path if ``path``) in a fresh
    process importing ``sim`` from ``checkout``."""
    env = dict(os.environ, PYTHONPATH=str(checkout), NUMBA_NUM_THREADS=str(threads))
    done = subprocess.run([sys.executable, "-c", WORKLOAD, scenario, str(n), "on" if path else "off"], cwd=checkout, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the workload failed in {checkout}:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if not Path(result["file"]).resolve().is_relative_to(checkout.resolve()):
        raise SystemExit(f"sim was imported from {result['file']}, not from {checkout}")
    return result["seconds"]


def compare(rev: str, n: int, threads: int, rounds: int, scenario: str, path: bool = True) -> dict:
    """Best and median seconds of ``rev`` and of this checkout, alternating, and their ratio."""
    with tempfile.TemporaryDirectory(prefix="sim-compare-") as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(old), rev],
                       check=True)
        try:
            times: dict[str, list[float]] = {rev: [], "this checkout": []}
            for r in range(rounds):
                for label, checkout in ((rev, old), ("this checkout", ROOT)):
                    times[label].append(time_once(checkout, scenario, n, threads, path))
                    print(f"round {r + 1}/{rounds}: {label}: {times[label][-1]:.3f} s", flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
    summary = {label: {"best_s": min(t), "median_s": statistics.median(t)} for label, t in times.items()}
    ratio = summary[rev]["best_s"] / summary["this checkout"]["best_s"]
    return {"rev": rev, "scenario": scenario, "n": n, "threads": threads, "rounds": rounds, "path": path,
            "times": summary, "ratio": ratio}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", help="a git revision to compare with (a commit, tag or branch)")
    parser.add_argument("-n", default="1e6", help="scenarios per timed run (default 1e6)")
    parser.add_argument("--threads", type=int, default=1, help="Numba threads of both (default 1)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--scenario", default="baseline", help="a bundled scenario (default baseline)")
    parser.add_argument("--path", choices=("on", "off"), default="on",
                        help="the valuation path in both runs (default on, as sim.run has it)")
    args = parser.parse_args(argv)
    result = compare(args.rev, int(float(args.n)), args.threads, max(1, args.rounds), args.scenario,
                     args.path == "on")
    for label, t in result["times"].items():
        print(f"{label:>16}: best {t['best_s']:.3f} s, median {t['median_s']:.3f} s")
    print(f"{args.rev} / this checkout (best times, {args.threads} thread(s), n = {result['n']:.0e}): "
          f"path {args.path}: {result['ratio']:.2f}x")
    return result


if __name__ == "__main__":
    main()
