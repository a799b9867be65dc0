"""Scenarios per second in one process against a local Dask cluster, and
the overhead of a chunk task; and the same for a decision run.

    PYTHONPATH=. python benchmarks/distributed.py [-n 524288] [--workers 2] [--repeat 2]
                                                  [--decide-n 131072] [--decide-only]
    python -m benchmarks.distributed ...            (the same)

It times the engine (``sim.engine.reducer.reduce``: no Dataset) on the
baseline scenario:

* locally: one process, all cores as Numba threads, the default chunk;
* on a LocalCluster of ``--workers`` processes (one task and cores/workers
  Numba threads each), over chunk sizes from 1 to 64 blocks, best of
  ``--repeat``.

The wall time on the cluster is fitted as ``T = a + s * tasks``: ``s`` is the
overhead per chunk task (scheduling, the transfer of its ChunkState,
above all the histogram, and the client's merge, which is serial), ``n / a``
the cluster's rate without it. A chunk of ``c`` scenarios takes ``c / R`` of
wall time at rate ``R``, so the overhead is under 5% of it above
``c = 20 s R``. It also times the client's merge of one chunk by itself.

The decision row times the engine of ``sim decide`` (``reduce(..., voi=True)``:
every (strategy, size) alternative, with the value-of-information sums) on
the bundled ``strategies`` scenario, ``--decide-n`` scenarios, locally and
on the cluster in chunks of 8 blocks. ``--decide-only`` skips the chunk
sizes above. Every cluster reduction is checked equal to the local one.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

# Run as a script, this file's folder leads sys.path, and this file would
# shadow Dask's own `distributed` package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import numba  # noqa: E402
import numpy as np  # noqa: E402

import sim  # noqa: E402
from sim.engine.cluster import ClusterExecutor, connect  # noqa: E402
from sim.engine.reducer import Reducer, reduce  # noqa: E402
from sim.vocab.layout import BLOCK  # noqa: E402
from sim.scenario.plan import build_plan  # noqa: E402
from sim.engine.designs import build_design  # noqa: E402

FIELDS = ("mean", "m2", "hist_count", "hist_min", "hist_max", "hist_at_min", "hist_at_max",
          "voi_sum", "voi_count")
DECIDE_CHUNK = 8  # blocks per chunk task of the decision row


def same(a, b) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in FIELDS)


def best(repeat: int, func) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - t)
    return min(times), out


def merge_cost(plan, n_blocks: int) -> float:
    """Seconds the client spends folding one chunk in (histogram + moments)."""
    design = build_design("random", 0, n_blocks * BLOCK, plan.n_dims)
    reducer = Reducer(plan, 0, design)
    state = reducer.compute_chunk(0, n_blocks, n_blocks * BLOCK).compact()
    t = time.perf_counter()
    reducer.merge_chunk(state)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=1 << 19, help="scenarios per run")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--decide-n", type=int, default=1 << 17, help="scenarios of the decision row")
    ap.add_argument("--decide-only", action="store_true", help="only the decision row")
    args = ap.parse_args()
    n, W, nd = args.n, args.workers, args.decide_n
    plan = build_plan(sim.load_scenario("baseline"))
    dplan = build_plan(sim.load_scenario("strategies"))
    cores = os.cpu_count() or 1
    load0 = os.getloadavg()

    reduce(dplan, 0, 4 * BLOCK, voi=True)  # compile or load the kernels
    if not args.decide_only:
        t_local, local = best(args.repeat, lambda: reduce(plan, 0, n))
        r_local = n / t_local
        merge = merge_cost(plan, 64)
    td_local, dlocal = best(args.repeat, lambda: reduce(dplan, 0, nd, voi=True))

    rows = []
    with connect(workers=W) as client:
        executor = lambda: ClusterExecutor(client, threads=max(1, cores // W))
        reduce(dplan, 0, 4 * BLOCK, executor=executor(), voi=True)  # warm the workers
        for blocks in () if args.decide_only else (1, 2, 4, 8, 16, 32, 64):
            tasks = -(-n // (blocks * BLOCK))
            t, red = best(args.repeat, lambda b=blocks: reduce(plan, 0, n, b * BLOCK,
                                                               executor=executor()))
            assert same(red, local), f"chunk of {blocks} blocks: not the local result"
            rows.append((blocks, tasks, t))
        td, dred = best(args.repeat, lambda: reduce(dplan, 0, nd, DECIDE_CHUNK * BLOCK,
                                                    executor=executor(), voi=True))
        assert same(dred, dlocal), "decision row: not the local result"
    load1 = os.getloadavg()
    loads = (f"load average before/after: {', '.join(f'{x:.2f}' for x in load0)} / "
             f"{', '.join(f'{x:.2f}' for x in load1)}")
    if args.decide_only:
        print(f"benchmarks/distributed.py --decide-only: best of {args.repeat}")
        print(f"machine: {platform.machine()}, {cores} cores, numba {numba.__version__}, "
              f"python {platform.python_version()}; {loads}")
        decision_row(dplan, nd, td_local, td, W, cores)
        return

    tasks = np.array([r[1] for r in rows], dtype=float)
    wall = np.array([r[2] for r in rows])
    s, a = np.polyfit(tasks, wall, 1)
    r_cluster = n / a
    threshold = 20 * s * r_cluster

    print(f"benchmarks/distributed.py: baseline scenario, n = {n:,}, best of {args.repeat}")
    print(f"machine: {platform.machine()}, {cores} cores, numba {numba.__version__}, "
          f"python {platform.python_version()}; load average before/after: "
          f"{', '.join(f'{x:.2f}' for x in load0)} / {', '.join(f'{x:.2f}' for x in load1)}")
    print()
    print(f"local, 1 process x {numba.get_num_threads()} threads, chunk 64 blocks: "
          f"{t_local:7.2f} s  {r_local / 1e6:6.3f} M scenarios/s")
    print(f"cluster, {W} processes x {max(1, cores // W)} thread(s):")
    print("   chunk (blocks, scenarios)   tasks    wall s   M scenarios/s   vs local")
    for blocks, m, t in rows:
        print(f"   {blocks:6d} {blocks * BLOCK:12,d}       {m:6d}  {t:8.2f}   {n / t / 1e6:13.3f}"
              f"   {t_local / t:7.2f}x")
    print()
    print(f"fit T = a + s * tasks: a = {a:.2f} s (rate without task overhead "
          f"{r_cluster / 1e6:.3f} M/s), s = {1e3 * s:.1f} ms per chunk task")
    print(f"client's merge of one chunk (histogram fold + moments): {1e3 * merge:.1f} ms")
    print(f"overhead under 5% of a chunk's wall time above c = 20 s R = {threshold:,.0f} "
          f"scenarios ({threshold / BLOCK:.1f} blocks; the default chunk is 64 blocks = "
          f"{64 * BLOCK:,})")
    decision_row(dplan, nd, td_local, td, W, cores)


def decision_row(dplan, nd: int, t_local: float, t_cluster: float, W: int, cores: int) -> None:
    tasks = -(-nd // (DECIDE_CHUNK * BLOCK))
    print()
    print(f"decision run (reduce with voi=True): strategies scenario, {dplan.n_rows} alternatives, "
          f"n = {nd:,}")
    cells = [(f"local, 1 process x {numba.get_num_threads()} threads", "adaptive", "-", t_local),
             (f"cluster, {W} processes x {max(1, cores // W)} thread(s)", str(DECIDE_CHUNK),
              str(tasks), t_cluster)]
    print(f"   {'where':36s} {'chunk (blocks)':>14s} {'tasks':>7s} {'wall s':>9s} "
          f"{'k scenarios/s':>15s} {'vs local':>10s}")
    for where, chunk, m, t in cells:
        print(f"   {where:36s} {chunk:>14s} {m:>7s} {t:9.2f} {nd / t / 1e3:15.1f} "
              f"{t_local / t:9.2f}x")
    print("every cluster reduction equals the local one bit for bit (VOI sums included)")


if __name__ == "__main__":
    main()
