"""Peak resident memory of ``sim.run`` at a given number of scenarios.

Each size runs in a fresh process (``python -m sim.bench.memory N``), which
prints its peak resident set size (VmHWM) after the run, and after importing
and compiling with a tiny run first, so the growth with N is visible.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time

__all__ = ["measure"]


def _high_water_mib() -> float:
    """Peak resident set size of this process so far, in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    import resource  # not Linux: ru_maxrss (KiB on Linux, bytes on macOS)

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024.0**2 if sys.platform == "darwin" else 1024.0)


def measure_here(n: int) -> dict[str, float]:
    from sim.analyses.run import run

    run("baseline", n_scenarios=1000, seed=0)
    warm = _high_water_mib()
    start = time.perf_counter()
    run("baseline", n_scenarios=n, seed=0)
    return {"n": float(n), "peak_mib": _high_water_mib(), "after_warmup_mib": warm,
            "run_s": time.perf_counter() - start}


def measure(n: int, cache_dir=None) -> dict[str, float]:
    """Run ``sim.run(n)`` in a fresh process; its peak memory in MiB."""
    from sim.bench.startup import child_env

    with tempfile.TemporaryDirectory(prefix="sim-bench-") as cwd:
        done = subprocess.run([sys.executable, "-m", "sim.bench.memory", str(int(n))],
                              env=child_env(cache_dir),
                              cwd=cwd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(measure_here(int(float(sys.argv[1])))))
