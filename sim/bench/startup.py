"""Compile time, cached start-up and the command line's end-to-end time.

Each is measured in a fresh Python process, since that is what a user pays.
``NUMBA_CACHE_DIR`` points at a temporary folder: empty for the first-call
compile time, then warm for the cached start-up and for ``sim run``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

__all__ = ["child_env", "measure"]

# Run in the child: time ``import sim`` and a first small run.
_PROBE = """
import json, time
t0 = time.perf_counter()
import sim
t1 = time.perf_counter()
sim.run("baseline", n_scenarios=1000, seed=0)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_run_s": t2 - t1}))
"""


def child_env(cache_dir: str | os.PathLike | None = None) -> dict[str, str]:
    """This process's environment, with Numba's cache in ``cache_dir`` if
    given. The child runs the same interpreter, so it imports the same
    installed ``sim``; it runs in a temporary folder, never the source tree."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(cache_dir)
    return env


def probe(cache_dir) -> dict[str, float]:
    """One child process: its wall time, import time and first-run time."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _PROBE], env=child_env(cache_dir),
                          cwd=cache_dir, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    return dict(json.loads(done.stdout.strip().splitlines()[-1]), process_s=wall)


def cli_run(cache_dir, n: str = "1e6", repeat: int = 2) -> float:
    """Best wall time of ``python -m sim run -n N --quiet`` (warm cache)."""
    best = float("inf")
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sim", "run", "-n", n, "--quiet"],
                       env=child_env(cache_dir), cwd=cache_dir, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        best = min(best, time.perf_counter() - start)
    return best


def measure(cli_n: str = "1e6", repeat: int = 2) -> dict[str, float]:
    """First-call compile, cached start-up and end-to-end ``sim run`` times."""
    with tempfile.TemporaryDirectory(prefix="sim-bench-cache-") as cache:
        cold = probe(cache)
        warm = min((probe(cache) for _ in range(max(1, repeat))), key=lambda r: r["process_s"])
        cli = cli_run(cache, cli_n, repeat)
    return {
        "compile_first_call_s": cold["first_run_s"],
        "compile_process_s": cold["process_s"],
        "cached_first_call_s": warm["first_run_s"],
        "cached_import_s": warm["import_s"],
        "cached_process_s": warm["process_s"],
        "cli_run_n": float(cli_n),
        "cli_run_s": cli,
    }
