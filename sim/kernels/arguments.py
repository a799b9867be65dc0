"""Empty arguments of the ``reduce_chunk`` kernels (the project's and the
industry frame's): no value of information, nothing kept.

Arrays of the types a run passes, so that a call with nothing to do uses
the kernel already compiled instead of compiling a second specialization.
Plain Python (no kernel here): a module both kernels import without
making either's compiled code depend on the other's.
"""

from __future__ import annotations

import numpy as np

__all__ = ["no_voi", "nothing_kept"]


def no_voi() -> tuple:
    """The ``voi`` argument when no value of information is computed
    (arrays of the right types, no parameter)."""
    return (np.zeros(0, dtype=np.int64), np.uint64(0), 1, np.zeros((1, 1, 1, 1)), np.zeros((1, 1, 1)))


def nothing_kept() -> tuple:
    """The ``kept`` argument that keeps nothing (arrays of the right types
    with no rows)."""
    return (np.empty((0, 0)), np.empty((0, 0)), np.empty((0, 0)), np.empty((0, 0)), np.empty((0, 0, 0)))
