"""How the ``reduce_chunk`` kernels (the project's and the industry
frame's) are called when they do less than a run: no value of
information, nothing kept, or a range of scenarios kept and nothing
sketched (:func:`keep_range`, each frame's ``sample_range``).

Arrays of the types a run passes, so that such a call uses the kernel
already compiled instead of compiling a second specialization. Plain
Python (no kernel here): a module both kernels import without making
either's compiled code depend on the other's.
"""

from __future__ import annotations

import numpy as np

from sim.kernels.accumulators import LANE_FIELDS
from sim.services.blocks import over_blocks, thread_count

__all__ = ["keep_range", "no_voi", "nothing_kept"]


def no_voi() -> tuple:
    """The ``voi`` argument when no value of information is computed
    (arrays of the right types, no parameter)."""
    return (np.zeros(0, dtype=np.int64), np.uint64(0), 1, np.zeros((1, 1, 1, 1)), np.zeros((1, 1, 1)))


def nothing_kept() -> tuple:
    """The ``kept`` argument that keeps nothing (arrays of the right types
    with no rows)."""
    return (np.empty((0, 0)), np.empty((0, 0)), np.empty((0, 0)), np.empty((0, 0)), np.empty((0, 0, 0)))


def keep_range(reduce_chunk, key, first, n, block_size, dists, design, copula, model,
               log_sizes, log_n_ref, horizon, kept) -> None:
    """Fill ``kept`` (draws, incident uniforms, extra uniforms, believed
    draws, stats) with scenarios ``first .. first + n - 1``: ``reduce_chunk``
    on the blocks that hold them, keeping them and sketching nothing, so the
    same numbers as a run from the kernel a run compiles. The scenarios of
    those blocks before ``first`` are evaluated and dropped. Numba's thread
    count of threads share the blocks (:func:`sim.services.blocks.over_blocks`)."""
    if n <= 0:
        return
    stats = kept[4]
    first_block = first // block_size
    n_blocks = (first + n + block_size - 1) // block_size - first_block
    n_rows, n_cols = stats.shape[1], stats.shape[2]
    no_hist = np.empty(0)
    hist = np.zeros((1, 0, 3, LANE_FIELDS))  # nothing sketched
    voi = no_voi()
    block_n = np.zeros(n_blocks, dtype=np.int64)
    block_mean = np.zeros((n_blocks, n_rows, n_cols))
    block_m2 = np.zeros((n_blocks, n_rows, n_cols))

    def block(lane: int, b: int) -> None:
        reduce_chunk(key, first_block + b, 1, first + n, block_size, dists, design, copula, model,
                     log_sizes, log_n_ref, horizon,
                     np.zeros(0, dtype=np.int64), no_hist, no_hist, no_hist, no_hist, 1, hist,
                     block_n[b:b + 1], block_mean[b:b + 1], block_m2[b:b + 1], voi, first, kept)

    over_blocks(n_blocks, thread_count(), block)
