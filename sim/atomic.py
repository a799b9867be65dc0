"""Output files that appear whole or not at all."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import SimError

__all__ = ["atomic_output", "check_output"]


def check_output(path: str | os.PathLike) -> Path:
    """The output path, or a clear error if it cannot be written there."""
    path = Path(path)
    if not path.parent.exists():
        raise SimError(f"{path}: directory {path.parent} does not exist")
    if path.is_dir():
        raise SimError(f"{path}: is a directory")
    return path


@contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary name beside ``path``; rename it to ``path`` when the
    block succeeds, delete it when the block fails or is interrupted."""
    path = check_output(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
