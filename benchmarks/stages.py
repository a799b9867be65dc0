"""Where the engine's time goes, measured inside its own kernel.

A copy of :func:`sim.kernels.reduce.reduce_chunk` is made from its source
with one more argument, ``stage``, that switches the later parts off:
1 the draws only, 2 with the model, 3 with the moment sums, 4 everything
(the histograms too). Each part's cost is the difference between two stages,
with the caches and memory traffic of the whole loop, which a kernel of its
own (:mod:`benchmarks.floors`) does not have. The copy is compiled without a
cache (about a minute); the cached kernel is timed the same way, as a check
that the copy runs like the original. ``Reducer.compute_chunk`` runs every
stage on the same blocks (the reducer is given the staged kernel with its
``kernel=`` argument), so the pilot and the merge are left out.

The three floors the issue of speed names are ``draws``, ``model`` and
``reduction`` (moment sums plus histograms), in ns per scenario.
"""

from __future__ import annotations

import inspect
import time
from types import SimpleNamespace

import numba

from sim.kernels import reduce as kernels
from sim.engine import reducer
from sim.vocab.layout import BLOCK
from sim.engine.designs import build_design

__all__ = ["STAGES", "measure", "stage_kernels", "staged_kernel"]

#: Parts of the kernel, in the order the stages switch them on.
STAGES = ("draws", "model", "moments", "histograms")

#: (text of reduce_chunk, what it becomes in the staged copy)
_EDITS = [
    ("@jit\n", ""),
    ("block_n, block_mean, block_m2, voi, keep_first, kept):",
     "block_n, block_mean, block_m2, voi, keep_first, kept, stage):"),
    ("            evaluate_block(TH", "            if stage >= 2: evaluate_block(TH"),
    ("            for k in range(n_flat):\n                lane_sums",
     "            for k in range(n_flat if stage >= 3 else 0):\n                lane_sums"),
    ("                for h in range(n_hist):\n                    hh = ",
     "                for h in range(n_hist if stage >= 4 else 0):\n                    hh = "),
]

_STAGED = None


def staged_kernel():
    """``reduce_chunk`` with a last argument ``stage`` (compiled once per process)."""
    global _STAGED
    if _STAGED is None:
        src = inspect.getsource(kernels.reduce_chunk.py_func)
        for old, new in _EDITS:
            if old not in src:
                raise RuntimeError("sim.kernels.reduce.reduce_chunk changed: cannot find "
                                   f"{old.strip()[:60]!r}; update benchmarks.stages._EDITS")
            src = src.replace(old, new)
        namespace = dict(vars(kernels))
        exec(compile(src, kernels.__file__, "exec"), namespace)
        _STAGED = numba.njit(nogil=True, error_model="numpy")(namespace["reduce_chunk"])
    return _STAGED


def stage_kernels(stage: int) -> SimpleNamespace:
    """The engine's kernels with ``reduce_chunk`` stopped after ``stage``
    (for the ``kernel=`` argument of :class:`sim.engine.reducer.Reducer`)."""
    staged = staged_kernel()
    return SimpleNamespace(reduce_chunk=lambda *args: staged(*args, stage),
                           sample_range=kernels.sample_range)


def measure(plan, n: int, repeat: int = 2, seed: int = 0) -> dict[str, float]:
    """ns per scenario of each part at the current thread count, on the first
    ``n`` scenarios (rounded down to whole blocks): ``draws``,
    ``model``, ``moments``, ``histograms``, their sum ``total``, the floor
    ``reduction`` (moments + histograms) and ``cached_kernel`` (the engine's
    own kernel on the same blocks)."""
    n = max(BLOCK, n - n % BLOCK)
    ns = {}
    for stage in (1, 2, 3, 4, 5):  # 5: the cached kernel itself
        red = reducer.Reducer(plan, seed, build_design("random", seed, n, plan.n_dims), chunk_size=n,
                              kernel=kernels if stage == 5 else stage_kernels(stage))
        red.compute_chunk(0, 2, 2 * BLOCK)  # compile or warm up
        best = float("inf")
        for _ in range(max(1, repeat)):
            start = time.perf_counter()
            red.compute_chunk(0, n // BLOCK, n)
            best = min(best, time.perf_counter() - start)
        ns[stage] = best / n * 1e9
    row = {"n": n, "draws": ns[1], "model": ns[2] - ns[1], "moments": ns[3] - ns[2],
           "histograms": ns[4] - ns[3], "total": ns[4], "cached_kernel": ns[5]}
    row["reduction"] = row["moments"] + row["histograms"]
    return row
