"""Blocks of scenarios handed to threads one at a time.

The scenario kernels are serial Numba functions compiled with
``nogil=True``: each call evaluates one block and releases the GIL, so
Python threads run blocks side by side. A parallel Numba loop did the same
job, but its outlined loop body is compiled and optimized once more around
the whole model (12 s of a 39 s cold start on the reference machine) and
needs Numba's thread pool at start-up. Which thread runs which block does
not change a result: every block writes its own rows, and the histograms
each thread adds to merge exactly in any order.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

__all__ = ["over_blocks", "over_units", "thread_count"]

_pools: dict[int, ThreadPoolExecutor] = {}
_lock = threading.Lock()


def _pool(n_threads: int) -> ThreadPoolExecutor:
    with _lock:
        pool = _pools.get(n_threads)
        if pool is None:
            pool = _pools[n_threads] = ThreadPoolExecutor(n_threads, thread_name_prefix="sim-blocks")
        return pool


def over_blocks(n_blocks: int, n_threads: int, work: Callable[[int, int], None]) -> None:
    """Call ``work(lane, b)`` for every block ``b < n_blocks`` on up to
    ``n_threads`` threads, ``lane`` being the thread's number (0 ..
    ``n_threads - 1``). A thread takes the next block when it finishes one,
    so a slow block does not leave the other threads idle. The first
    exception raised by ``work`` is raised here, after every thread stopped."""
    n_threads = max(1, min(int(n_threads), n_blocks))
    if n_threads == 1:
        for b in range(n_blocks):
            work(0, b)
        return
    counter = itertools.count()  # next() is atomic under the GIL
    failed = threading.Event()

    def run(lane: int) -> None:
        while not failed.is_set():
            b = next(counter)
            if b >= n_blocks:
                return
            try:
                work(lane, b)
            except BaseException:
                failed.set()
                raise

    futures = [_pool(n_threads).submit(run, lane) for lane in range(n_threads)]
    errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error


def over_units(n_units: int, per_call: int, n_threads: int, work: Callable[[int, int], None]) -> None:
    """Call ``work(first, stop)`` for consecutive ranges of at most
    ``per_call`` of ``n_units`` units, on threads as :func:`over_blocks`
    hands out blocks (kernels that work over ranges of sub-blocks or rows)."""
    n_calls = (n_units + per_call - 1) // per_call

    def call(lane: int, g: int) -> None:
        work(g * per_call, min(n_units, (g + 1) * per_call))

    over_blocks(n_calls, n_threads, call)


def thread_count() -> int:
    """How many threads run blocks: Numba's count (``numba.set_num_threads``
    in this thread, else ``NUMBA_NUM_THREADS``), read without starting
    Numba's own thread pool when nothing has started it (the kernels do not
    need it: loading and starting it cost every command's start-up)."""
    import numba
    from numba.np.ufunc import parallel

    if not parallel._is_initialized:  # set_num_threads was never called: the default holds
        return int(numba.config.NUMBA_NUM_THREADS)
    return numba.get_num_threads()
