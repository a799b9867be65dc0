"""The one place that decides how kernels are compiled.

Kernel bodies elsewhere are plain Python functions decorated with ``jit`` or
``jit_parallel``; this module chooses the Numba options. ``cache=True`` writes
compiled code next to the package (or to Numba's user cache dir when that is
read-only), so the command line starts fast on the second run.
``error_model="numpy"`` lets divisions follow IEEE rules (inf/nan) instead of
raising, which keeps the loops free of Python exception checks.
"""

from __future__ import annotations

import numba

_OPTIONS = dict(cache=True, nogil=True, error_model="numpy")


def jit(func):
    """Compile a serial kernel helper."""
    return numba.njit(**_OPTIONS)(func)


def jit_parallel(func):
    """Compile a kernel whose ``numba.prange`` loops run on all threads."""
    return numba.njit(parallel=True, **_OPTIONS)(func)


prange = numba.prange
