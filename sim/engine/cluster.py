"""Chunks computed on a Dask cluster, with the numbers of a run in one process.

:func:`sim.run`, :func:`sim.sweep` and :func:`sim.decide` take where to run
as arguments (:func:`where`): ``client=`` (a ``distributed.Client``),
``scheduler=`` (the address of a running scheduler) or ``workers=K`` (a
cluster of K local processes, on 127.0.0.1 only).

How a run is split (``docs/distributed.md``):

1. The version check: every worker reports :func:`fingerprint` (sim's
   version, a hash of its source, the Numba, llvmlite and NumPy versions and
   the compile options); a worker that differs from the client is refused,
   with both named. Every task checks it again, for workers that join later.
2. One pilot task per run (per grid point of a sweep) evaluates scenarios
   ``0 .. PILOT-1`` and returns the histogram ranges and whether the pilot's
   statistics were finite (so a run that overflows is refused as it is
   locally), with the plan and the design: the dependency of that run's
   chunk tasks, so each worker receives them once.
3. One task per chunk of the fixed block layout
   (:func:`sim.engine.reducer.chunk_layout`) runs
   :meth:`~sim.engine.reducer.Reducer.compute_chunk` on a reducer of the
   client's kind (with the value-of-information sums for a decision) and
   returns its :class:`~sim.engine.reducer.ChunkState`.
4. The client folds the histograms in as tasks complete (exact in any order)
   and the per-block arrays in block order (the VOI sums of block b into
   group b % G), so every floating-point sum is the one a local run makes:
   the Dataset is the same, bit for bit.

Tasks are pure functions of their arguments, so Dask may rerun them: a task
whose worker dies is rescheduled, and one that raises is retried
(:data:`RETRIES`). A run with a chunk that still fails raises
:class:`~sim.vocab.errors.SimError` naming the chunks, and returns nothing.

Dask is an optional dependency (``pip install 'sim[distributed]'``): this
module imports it only inside the functions that need it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from sim._version import __version__
from sim.engine.reducer import ChunkState, Reducer, blocks_per_chunk, chunk_layout, pilot
from sim.vocab.errors import SimError
from sim.kernels.cache import source_digest
from sim.kernels.jit import compile_options
from sim.vocab.layout import PILOT
from sim.kernels.sampling.rng import key_from_seed

__all__ = ["RETRIES", "ClusterExecutor", "Run", "check_versions", "connect", "fingerprint", "where"]

#: Times Dask retries a task that raised (a task whose worker died is
#: rescheduled by the scheduler, up to its ``allowed-failures``).
RETRIES = 2

_INSTALL = "sim needs Dask to run on a cluster: pip install 'sim[distributed]'"


# ------------------------------------------------------------------ versions
@functools.cache
def _fingerprint() -> tuple[tuple[str, str], ...]:
    import llvmlite

    options = ", ".join(f"{k}={v!r}" for k, v in sorted(compile_options().items()))
    return (("sim", __version__), ("source", source_digest()), ("numba", numba.__version__),
            ("llvmlite", llvmlite.__version__), ("numpy", np.__version__),
            ("compile options", options))


def fingerprint() -> dict[str, str]:
    """What must be the same on the client and every worker for identical
    numbers: sim's version and source hash, the compiler's versions and the
    kernels' compile options."""
    return dict(_fingerprint())


def describe(fp: Mapping[str, str]) -> str:
    """``sim 0.1.0 (source 59b9bebec25cce5d, numba 0.60.0, ...)``."""
    rest = ", ".join(f"{k} {v}" for k, v in fp.items() if k != "sim")
    return f"sim {fp.get('sim', '?')} ({rest})"


def _mismatch(where: str, theirs: Mapping[str, str], mine: Mapping[str, str]) -> str:
    differ = [k for k in sorted(set(theirs) | set(mine)) if theirs.get(k) != mine.get(k)]
    return (f"{where} runs {describe(theirs)}, but this client runs {describe(mine)} "
            f"(they differ in {', '.join(differ)}): install the same sim, with the same "
            "numba, llvmlite and numpy, on the client and every worker")


def _worker_fingerprint() -> dict[str, str]:
    """Run on a worker (pickled by reference, so the worker's own module
    answers, not the client's)."""
    return fingerprint()


def check_versions(client) -> None:
    """Refuse a cluster with a worker whose :func:`fingerprint` differs from
    this process's, naming both."""
    mine = fingerprint()
    try:
        theirs = client.run(_worker_fingerprint)
    except Exception as exc:  # e.g. a worker whose sim has no sim.engine.cluster
        raise SimError(f"the version check could not run on every worker "
                       f"({type(exc).__name__}: {exc}); this client runs {describe(mine)}") from None
    if not theirs:
        raise SimError("the cluster has no workers")
    for address, fp in sorted(theirs.items()):
        if fp != mine:
            raise SimError(_mismatch(f"worker {address}", fp, mine))


def _check_here(expected: Mapping[str, str]) -> None:
    mine = fingerprint()
    if mine != dict(expected):
        try:
            from distributed import get_worker

            where = f"worker {get_worker().address}"
        except (ImportError, ValueError):
            where = "a worker"
        # The task's message, seen from the client: the worker's side first.
        raise SimError(_mismatch(where, mine, expected))


# ------------------------------------------------------------------ tasks
@dataclass(frozen=True)
class _Point:
    """What a worker needs for the chunks of one run: plan, seed, design and
    the kind of reducer (``voi``: with the value-of-information sums)."""

    token: str
    plan: Any
    seed: int
    design: Any
    fingerprint: dict
    threads: int | None  # Numba threads per task (None: the worker's default)
    voi: bool = False


@dataclass(frozen=True)
class _Prepared:
    """A point and its pilot: histogram ranges and non-finite finding (or None)."""

    point: _Point
    ranges: Any
    finding: Any = None


def _set_threads(threads: int | None) -> None:
    """Numba threads for this task (per calling thread; results do not
    depend on it)."""
    if threads is not None:
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))


def _pilot_task(point: _Point) -> _Prepared:
    _check_here(point.fingerprint)
    _set_threads(point.threads)
    ranges, finding = pilot(point.plan, key_from_seed(point.seed), point.design)
    return _Prepared(point, ranges, finding)


#: Per worker process, by point token and kind: the client's kind of reducer.
_REDUCERS: OrderedDict[tuple[str, bool], Reducer] = OrderedDict()


def _reducer_for(prepared: _Prepared) -> Reducer:
    p = prepared.point
    key = (p.token, p.voi)
    reducer = _REDUCERS.pop(key, None)
    if reducer is None:
        reducer = Reducer(p.plan, p.seed, p.design, ranges=prepared.ranges, voi=p.voi,
                          pilot_finding=prepared.finding)
    _REDUCERS[key] = reducer
    while len(_REDUCERS) > 4:
        _REDUCERS.popitem(last=False)
    return reducer


def _chunk_task(prepared: _Prepared, first_block: int, n_blocks: int, n_to: int) -> ChunkState:
    _check_here(prepared.point.fingerprint)
    _set_threads(prepared.point.threads)
    return _reducer_for(prepared).compute_chunk(first_block, n_blocks, n_to).compact()


# ------------------------------------------------------------------ the executor
@dataclass
class Run:
    """One run on the cluster: its pilot, its chunk tasks and, on the
    client, the reducer that merges them."""

    label: str
    plan: Any
    seed: int
    design: Any
    chunk_size: int | None
    voi: bool = False  # the reducer's kind: with the value-of-information sums
    pilot: Any = None  # Future of a _Prepared
    reducer: Reducer | None = None


def _scenarios(first_block: int, n_blocks: int, n_to: int) -> tuple[int, int]:
    from sim.vocab.layout import BLOCK

    return first_block * BLOCK, min(n_to, (first_block + n_blocks) * BLOCK)


def _chunk_name(run: Run, first_block: int, n_blocks: int, n_to: int) -> str:
    a, b = _scenarios(first_block, n_blocks, n_to)
    blocks = f"block {first_block}" if n_blocks == 1 else f"blocks {first_block}-{first_block + n_blocks - 1}"
    return f"{run.label}{blocks} (scenarios {a:,}-{b - 1:,})"


def _error_text(future) -> str:
    try:
        exc = future.exception()
    except Exception as err:  # cancelled, or the scheduler lost it
        exc = err
    return f"{type(exc).__name__}: {exc}"


class ClusterExecutor:
    """Computes a reducer's chunks as Dask tasks (see :mod:`sim.engine.reducer`
    for the protocol), one run at a time or many at once (:meth:`reduce_many`)."""

    def __init__(self, client, retries: int = RETRIES, threads: int | None = None):
        self.client = client
        self.retries = retries
        self.threads = threads if threads is not None else getattr(client, "sim_threads", None)
        self.fingerprint = fingerprint()
        self._runs: dict[int, tuple[Any, Run]] = {}  # id(ranges) -> (ranges, run)

    # -- the executor protocol of Reducer, for sim.run and sim.decide
    def pilot(self, plan, seed: int, design, voi: bool = False):
        """The pilot's histogram ranges and non-finite finding, from a task;
        the chunks that follow are computed by reducers of the same ``voi``."""
        run = Run("", plan, seed, design, None, voi=bool(voi))
        self._submit_pilots([run])
        self._wait_pilots([run])
        prepared = run.pilot.result()
        self._runs[id(prepared.ranges)] = (prepared.ranges, run)
        return prepared.ranges, prepared.finding

    def states(self, reducer: Reducer, layout, n_to: int, progress=None) -> Iterator[ChunkState]:
        _, run = self._runs[id(reducer.ranges)]
        if (reducer.voi_dims is not None) != run.voi:
            raise SimError(f"internal: the chunks of a reducer with voi={not run.voi} were "
                           f"prepared for one with voi={run.voi}")
        run.reducer = reducer
        for _, state in self._in_block_order([(run, layout, n_to)], progress):
            yield state

    # -- many runs at once, for sweeps
    def reduce_many(self, runs: Sequence[Run], n_to: int, progress=None,
                    check: Any = None) -> list:
        """Every run's reduction of scenarios ``0 .. n_to - 1``: all pilots and
        chunks are submitted at once, so points overlap on the cluster.
        ``check(i, reducer)``, if given, sees each run's reducer once its
        pilot is back, before any chunk is merged (and may refuse it)."""
        self._submit_pilots(runs)
        jobs = [(run, chunk_layout(0, n_to, blocks_per_chunk(run.chunk_size)), n_to) for run in runs]

        def start() -> None:
            self._start(runs)
            for i, run in enumerate(runs):
                if check is not None:
                    check(i, run.reducer)

        merged = self._in_block_order(jobs, progress, before_merging=start)
        for run, state in merged:
            run.reducer.merge_chunk(state)
        return [run.reducer.result() for run in runs]

    def _start(self, runs: Sequence[Run]) -> None:
        self._wait_pilots(runs)
        for run in runs:
            prepared = run.pilot.result()
            run.reducer = Reducer(run.plan, run.seed, run.design, run.chunk_size,
                                  ranges=prepared.ranges, voi=run.voi,
                                  pilot_finding=prepared.finding)

    # -- submitting and collecting
    def _submit_pilots(self, runs: Sequence[Run]) -> None:
        for run in runs:
            point = _Point(uuid.uuid4().hex, run.plan, run.seed, run.design, self.fingerprint,
                           self.threads, run.voi)
            run.pilot = self.client.submit(_pilot_task, point, key=f"sim-pilot-{point.token}",
                                           retries=self.retries, pure=False, priority=1)

    def _wait_pilots(self, runs: Sequence[Run]) -> None:
        from distributed import wait

        wait([run.pilot for run in runs])
        failed = [run for run in runs if run.pilot.status != "finished"]
        if failed:
            a, b = 0, PILOT - 1
            raise SimError("the run cannot complete, so nothing is returned: the pilot "
                           f"(scenarios {a:,}-{b:,}, which set the histogram ranges) failed "
                           + "; ".join(f"for {run.label or 'the run'}: {_error_text(run.pilot)}"
                                       for run in failed))

    def _in_block_order(self, jobs, progress, before_merging=None) -> Iterator[tuple[Run, ChunkState]]:
        """Submit every chunk of ``jobs`` (``(run, layout, n_to)``), fold
        histograms in as tasks complete, and yield ``(run, state)`` in block
        order within each run."""
        from distributed import as_completed

        futures = {}
        for run, layout, n_to in jobs:
            for first_block, n_blocks in layout:
                key = f"sim-chunk-{run.pilot.key.removeprefix('sim-pilot-')}-{first_block}"
                future = self.client.submit(_chunk_task, run.pilot, first_block, n_blocks, n_to,
                                            key=key, retries=self.retries, pure=False,
                                            priority=-first_block)
                futures[future] = (run, first_block, n_blocks, n_to)
        try:
            if before_merging is not None:
                before_merging()
            waiting: dict[int, dict[int, ChunkState]] = {id(run): {} for run, _, _ in jobs}
            next_block = {id(run): layout[0][0] if layout else 0 for run, layout, _ in jobs}
            done = 0
            for future in as_completed(list(futures)):
                run, first_block, n_blocks, n_to = futures[future]
                if future.status != "finished":
                    self._fail(futures, future)
                state = run.reducer.absorb_histograms(future.result())
                future.release()
                done += 1
                if progress is not None:
                    a, b = _scenarios(first_block, n_blocks, n_to)
                    progress.update(b - a)
                    progress.set_postfix_str(f"{done}/{len(futures)} chunks")
                waiting[id(run)][first_block] = state
                queue = waiting[id(run)]
                while next_block[id(run)] in queue:
                    state = queue.pop(next_block[id(run)])
                    next_block[id(run)] += state.n_blocks
                    yield run, state
        finally:
            pending = [f for f in futures if f.status == "pending"]
            if pending:
                self.client.cancel(pending)

    def _fail(self, futures, current) -> None:
        """Raise, naming every chunk that has failed so far (``current`` first
        among them, whether it raised, was cancelled or was lost)."""
        failed = [(futures[f], f) for f in futures if f is current or f.status == "error"]
        lines = [f"{_chunk_name(run, fb, nb, n_to)}: {_error_text(f)}"
                 for (run, fb, nb, n_to), f in sorted(failed, key=lambda x: (x[0][0].label, x[0][1]))]
        raise SimError(f"the run cannot complete, so nothing is returned: {len(failed)} of "
                       f"{len(futures)} chunk tasks failed after {self.retries} retries: "
                       + "; ".join(lines))


# ------------------------------------------------------------------ connecting
@contextlib.contextmanager
def connect(client=None, scheduler: str | None = None, workers: int | None = None):
    """A ``distributed.Client``: the one given, one connected to ``scheduler``,
    or one on a new cluster of ``workers`` local processes (bound to
    127.0.0.1, no dashboard, one task per process and the cores shared
    among them); with none of these, the current default client. Clients
    and clusters started here are closed on exit."""
    given = [name for name, v in (("client", client), ("scheduler", scheduler), ("workers", workers))
             if v is not None]
    if len(given) > 1:
        raise SimError(f"give one of client, scheduler and workers, not {' and '.join(given)}")
    try:
        import distributed
    except ImportError:
        raise SimError(_INSTALL) from None
    if client is not None:
        yield client
        return
    if scheduler is not None:
        try:
            c = distributed.Client(scheduler, timeout="30s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise SimError(f"scheduler {scheduler}: cannot connect ({exc})") from None
        with c:
            yield c
        return
    if workers is not None:
        k = workers
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise SimError(f"workers: expected a positive integer, got {workers!r}")
        with distributed.LocalCluster(n_workers=int(k), threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                      silence_logs=logging.ERROR) as cluster, \
                distributed.Client(cluster) as c:
            # The cores are shared among the workers' Numba threads.
            c.sim_threads = max(1, (os.cpu_count() or 1) // int(k))
            yield c
        return
    try:
        yield distributed.default_client()
    except ValueError:
        raise SimError("no cluster: give client=, scheduler= or workers=") from None


# ------------------------------------------------------------------ where to run
@contextlib.contextmanager
def where(client=None, scheduler: str | None = None, workers: int | None = None):
    """The executor of a front door's ``client``/``scheduler``/``workers``
    arguments: None (this process) when all are None, else a
    :class:`ClusterExecutor` on a version-checked cluster (see :func:`connect`),
    closed on exit if started here."""
    if client is None and scheduler is None and workers is None:
        yield None
        return
    with connect(client, scheduler, workers) as c:
        check_versions(c)
        yield ClusterExecutor(c)
