"""Cached kernels load without Numba's registry refresh (sim.kernels.cache).

Each check runs in a fresh interpreter, the only place where "not yet
refreshed" can be seen; the kernels come from the environment's cache, which
the first check fills if it is stale.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Imported by Numba's refresh of the CPU target, by nothing else here.
REFRESH_MARKER = "numba.np.npyimpl"


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def test_a_warm_run_loads_its_kernels_without_the_refresh_and_gives_the_same_numbers():
    _run("import sim; sim.run('baseline', n_scenarios=1000, seed=3, progress=False)")  # warm
    out = _run(f"""
        import sys
        import sim
        from numba.core import event

        compiled = []
        class Recorder(event.Listener):
            def on_start(self, ev):
                compiled.append(ev.data["dispatcher"].py_func.__name__)
            def on_end(self, ev):
                pass
        event.register("numba:compile", Recorder())
        light = sim.run("baseline", n_scenarios=1000, seed=3, progress=False)
        refreshed_before = {REFRESH_MARKER!r} in sys.modules

        from numba.core.registry import cpu_target
        cpu_target.target_context.refresh()  # Numba's own path from here on
        from sim.kernels import reduce
        for dispatcher in (reduce.reduce_chunk,):  # sample_range runs reduce_chunk
            dispatcher.overloads.clear()
            dispatcher._cache_hits.clear()
        full = sim.run("baseline", n_scenarios=1000, seed=3, progress=False)
        same = all(light[v].equals(full[v]) for v in light.data_vars)
        print(refreshed_before, compiled, same, len(light.data_vars) > 10)
    """)
    assert out == "False [] True True"


def test_a_kernel_compiled_after_a_cached_load_still_compiles():
    # A function the cache does not hold, compiled in a process whose target
    # context was never refreshed: the compiler refreshes it itself.
    out = _run("""
        import numpy as np
        import numba
        import sim
        sim.run("baseline", n_scenarios=1000, seed=3, progress=False)

        @numba.njit
        def f(x):
            return np.sum(np.sqrt(x)), {1: x[0]}[1]
        print(f(np.array([4.0, 9.0])))
    """)
    assert out == "(5.0, 4.0)"
