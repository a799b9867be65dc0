"""Compile time, cached start-up and the command line's end-to-end time.

Each is measured in a fresh Python process, since that is what a user pays.
``NUMBA_CACHE_DIR`` points at a temporary folder: empty for the first-call
compile time, then warm for the cached start-up and for ``sim run``
(``sim bench --skip compile``: no compile time, and the environment's own
kernel cache).

:func:`paired` times a command against the bare imports it is compared with
(``sim run -n 1e4`` against ``python -c "import numpy, xarray"``, ``sim
--help`` against ``python -c "import click"``), alternating the two so that
other work on the machine hits both alike, and reports the ratio of medians.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["PAIRS", "child_env", "measure", "paired"]

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
    given. The child runs the same interpreter and finds this process's
    ``sim`` first on its path (whatever is installed), though it runs in a
    temporary folder, never the source tree; it may write bytecode."""
    env = dict(os.environ)
    # Bytecode as an installed package has it (pip compiles it on install):
    # without it every start compiles sim's ~60 modules again (0.1 s).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    here = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([here, *filter(None, [env.get("PYTHONPATH")])])
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(cache_dir)
    return env


def probe(cache_dir, cwd=None) -> dict[str, float]:
    """One child process: its wall time, import time and first-run time
    (``cache_dir`` None: the environment's kernel cache)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _PROBE], env=child_env(cache_dir),
                          cwd=cwd or cache_dir, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    return dict(json.loads(done.stdout.strip().splitlines()[-1]), process_s=wall)


def cli_run(cache_dir, n: str = "1e6", repeat: int = 2, cwd=None) -> float:
    """Best wall time of ``python -m sim run -n N --quiet`` (warm cache)."""
    best = float("inf")
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sim", "run", "-n", n, "--quiet"],
                       env=child_env(cache_dir), cwd=cwd or cache_dir, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        best = min(best, time.perf_counter() - start)
    return best


#: name: (command, baseline), each an argument list after ``python``.
PAIRS = {
    "run_1e4": (["-m", "sim", "run", "-n", "1e4", "--quiet", "-o", "run.nc", "--overwrite"],
                ["-c", "import numpy, xarray"]),
    "help": (["-m", "sim", "--help"], ["-c", "import click"]),
}


def _wall(args: list[str], cache_dir, cwd=None) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], env=child_env(cache_dir), cwd=cwd or cache_dir,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def paired(cache_dir, repeat: int = 5, cwd=None) -> dict[str, dict[str, float]]:
    """For each of :data:`PAIRS`: median wall times of the command and of its
    baseline over ``repeat`` alternating runs (after one untimed run of each,
    which warms the Numba cache and the file system), and their ratio. The
    commands run in ``cwd`` (default ``cache_dir``), with the kernel cache
    ``cache_dir`` (None: the environment's)."""
    out = {}
    where = {"cwd": cwd} if cwd is not None else {}
    for name, (command, baseline) in PAIRS.items():
        _wall(command, cache_dir, **where), _wall(baseline, cache_dir, **where)
        a, b = [], []
        for _ in range(max(1, repeat)):
            a.append(_wall(command, cache_dir, **where))
            b.append(_wall(baseline, cache_dir, **where))
        ma, mb = statistics.median(a), statistics.median(b)
        out[name] = {"command": " ".join(["python", *command]),
                     "baseline": " ".join(["python", *baseline]),
                     "command_s": ma, "baseline_s": mb, "ratio": ma / mb}
    return out


def measure(cli_n: str = "1e6", repeat: int = 2, pairs_repeat: int = 5, cold: bool = True) -> dict:
    """First-call compile, cached start-up, end-to-end ``sim run`` times and
    the :func:`paired` ratios. With ``cold``, in an empty kernel cache of
    their own, whose first call compiles (minutes); without, in the
    environment's kernel cache (compiled by the first untimed run if stale),
    and no compile time."""
    with tempfile.TemporaryDirectory(prefix="sim-bench-cache-") as folder:
        cache = folder if cold else None
        out: dict = {}
        if cold:
            first = probe(cache)
            out.update(compile_first_call_s=first["first_run_s"], compile_process_s=first["process_s"])
        else:
            probe(None, cwd=folder)  # fills a stale cache; not timed
        warm = min((probe(cache, cwd=folder) for _ in range(max(1, repeat))),
                   key=lambda r: r["process_s"])
        cli = cli_run(cache, cli_n, repeat, cwd=folder)
        pairs = paired(cache, pairs_repeat, cwd=folder)
    return {
        "pairs": pairs,
        **out,
        "cached_first_call_s": warm["first_run_s"],
        "cached_import_s": warm["import_s"],
        "cached_process_s": warm["process_s"],
        "cli_run_n": float(cli_n),
        "cli_run_s": cli,
    }
