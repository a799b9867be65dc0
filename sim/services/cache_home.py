"""The folder of ``sim``'s caches (compiled kernels, remembered values).

``$NUMBA_CACHE_DIR`` if set (the name Numba users know, so one variable
moves every cache), else ``$XDG_CACHE_HOME/sim``, else ``~/.cache/sim``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_home"]


def cache_home() -> Path:
    """The folder of ``sim``'s caches, read from the environment at each call."""
    base = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "sim")
    return Path(base)
