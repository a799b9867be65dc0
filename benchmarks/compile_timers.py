"""Where a cold first ``reduce`` spends its compile time, kernel by kernel.

    NUMBA_CACHE_DIR=$(mktemp -d) python -m benchmarks.compile_timers [SCENARIO]

Run with an empty cache: the first ``sim.engine.reducer.reduce`` of the
bundled ``SCENARIO`` (default ``baseline``) on 1,000 scenarios compiles every
kernel it calls, and Numba records for each compiled function the seconds
spent in LLVM (``llvm_lock``) and in all (``compiler_lock``, which includes
the compilation of the functions it calls that were not compiled yet).
Numba optimizes a caller's module with its callees' code linked in, so a
large function called by two parallel kernels is optimized three times.
"""

from __future__ import annotations

import sys
import time


def main(name: str = "baseline") -> list[tuple[float, float, str]]:
    from numba.core.registry import CPUDispatcher

    import sim
    from sim.engine.reducer import reduce
    from sim.scenario.plan import build_plan

    plan = build_plan(sim.load_scenario(name))
    start = time.perf_counter()
    reduce(plan, 0, 1000)
    print(f"first reduce of {name}: {time.perf_counter() - start:.1f} s")
    rows = set()
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("sim.kernels"):
            continue
        for attr, obj in vars(module).items():
            if isinstance(obj, CPUDispatcher) and obj.__module__ == module_name:
                for cres in obj.overloads.values():
                    timers = (cres.metadata or {}).get("timers", {})
                    rows.add((timers.get("llvm_lock", 0.0), timers.get("compiler_lock", 0.0), f"{module_name}.{attr}"))
    ranked = sorted(rows, reverse=True)
    for llvm, total, label in ranked[:15]:
        print(f"LLVM {llvm:6.1f} s   in all {total:6.1f} s   {label}")
    return ranked


if __name__ == "__main__":
    main(*sys.argv[1:2])
