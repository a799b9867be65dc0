"""Output files that appear whole or not at all, checked before any work.

:func:`check_output` is called before a command starts its run, so that a
bad ``-o`` costs a second, not the run: the directory must exist and take a
new file, the path must not be a directory or a special file (a device, a
pipe, a socket), and an existing file is replaced only with ``overwrite``.
A symbolic link is written through: its target gets the new content and the
link stays a link.

:func:`atomic_output` writes to a temporary name beside the target and
renames it into place when the block succeeds; on any failure or interrupt
the temporary file is deleted. While it exists, its name is registered with
:mod:`sim.services.signals`, so that even a forced stop removes it. A write error
(full disk, quota, a file-size limit) becomes one :class:`SimError` that
says nothing was written.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.services import signals
from sim.vocab.errors import SimError

__all__ = ["atomic_output", "check_output", "write_bytes"]

_KINDS = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"))


def resolve_target(path: str | os.PathLike) -> Path:
    """The file that writing to ``path`` changes: ``path`` itself, or the file
    a symbolic link (or a chain of them) points to."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def check_output(path: str | os.PathLike, *, overwrite: bool = True,
                 need_bytes: int = 0) -> Path:
    """Check that ``path`` can be written, before any work; return the file
    that will be written (the target of a symbolic link).

    Raises a :class:`SimError` naming the problem: a missing or unwritable
    directory, a directory or special file at ``path``, an existing file
    without ``overwrite``, or less free space than ``need_bytes``.
    """
    shown = Path(path)
    target = resolve_target(shown)
    via = f" (the target of the link {shown})" if target != shown else ""
    parent = target.parent
    if not parent.exists():
        raise SimError(f"{shown}: directory {parent} does not exist")
    if not parent.is_dir():
        raise SimError(f"{shown}: {parent} is not a directory")
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise SimError(f"{target}{via}: cannot be checked ({exc.strerror})") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise SimError(f"{target}{via}: is a directory; give a file name")
        for test, kind in _KINDS:
            if test(st.st_mode):
                raise SimError(f"{target}{via}: is {kind}, not a regular file; "
                               "sim writes only regular files")
        if not overwrite:
            raise SimError(f"{target}{via}: already exists; pass overwrite=True to replace it, "
                           "or choose another name")
    try:  # the only check that holds for every filesystem, mount and user
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".probe", dir=parent)
    except OSError as exc:
        raise SimError(f"{shown}: cannot create files in {parent} ({exc.strerror})") from None
    os.close(fd)
    os.unlink(probe)
    if need_bytes:
        free = _free_bytes(parent)
        if free is not None and free < need_bytes:
            raise SimError(f"{shown}: only {free:,} bytes free in {parent}, and the output "
                           f"needs about {need_bytes:,}")
    return target


def _free_bytes(directory: Path) -> int | None:
    try:
        st = os.statvfs(directory)
    except (OSError, AttributeError):
        return None
    return st.f_bavail * st.f_frsize


@contextmanager
def atomic_output(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary name beside the file ``path`` stands for; rename it
    into place when the block succeeds, delete it when the block fails or is
    interrupted. A write error becomes one :class:`SimError`."""
    target = check_output(path, overwrite=overwrite)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    signals.register_temporary(tmp)
    try:
        try:
            yield tmp
            os.replace(tmp, target)
        except OSError as exc:
            raise SimError(_write_error(path, exc)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        signals.unregister_temporary(tmp)


def _write_error(path, exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return f"{path}: could not write the file ({reason}); nothing was written"


def write_bytes(path: str | os.PathLike, data, *, overwrite: bool = True) -> Path:
    """Write ``data`` (bytes or a memoryview) to ``path`` atomically, flushed
    to disk before it is renamed into place, in pieces, so that an interrupt
    is handled between them."""
    view = memoryview(data).cast("B")
    with atomic_output(path, overwrite=overwrite) as tmp:
        with open(tmp, "wb") as f:
            for start in range(0, len(view), 1 << 22):
                f.write(view[start:start + (1 << 22)])
            f.flush()
            os.fsync(f.fileno())
    return Path(path)
