"""Interrupts that stop a command quickly and cleanly (SIGINT and SIGTERM).

The command line calls :func:`install`. From then on:

* SIGINT (Ctrl-C) and SIGTERM raise :class:`Interrupted` in the main thread,
  except inside a :func:`deferred` block (one chunk of scenarios being merged,
  a netCDF file being serialized), where the signal is held and raised when
  the block ends. So the reducer's state is never half updated, and the HDF5
  library is never left holding its lock (which made an interrupted write
  hang in ``close()``).
* Python runs signal handlers only between bytecodes. A compiled kernel, the
  compiler or a C library can keep the main thread away from them; a
  watchdog thread, woken by the signal itself (``signal.set_wakeup_fd``),
  then ends the process after :data:`GRACE` seconds: it deletes every
  registered temporary file and says how far the run got. Either way the
  process stops within a second.

:data:`status` records what the command is doing (``phase``) and how far it
got (``done`` of ``total``), for the message. The exit code is 128 plus the
signal number: 130 for SIGINT, 143 for SIGTERM. Library users who never call
:func:`install` keep Python's own behaviour (KeyboardInterrupt).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.vocab.units import percent

__all__ = ["GRACE", "Interrupted", "check", "deferred", "describe", "exiting", "force_exit",
           "install", "message", "outcome", "register_temporary", "set_phase", "set_progress",
           "status", "unregister_temporary"]

#: Seconds the main thread has to stop on its own before the watchdog ends the
#: process. A chunk of scenarios is sized to take a fraction of this.
GRACE = 0.7

HANDLED = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived. A BaseException, like KeyboardInterrupt, so
    that ``except Exception`` does not swallow it; not a KeyboardInterrupt,
    so that click does not turn it into "Aborted!" and exit code 1."""

    def __init__(self, signum: int):
        self.signum = int(signum)
        super().__init__(signal.Signals(self.signum).name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


#: What the command is doing, for the message on an interrupt; ``kept`` says
#: what survives an interrupt (a checkpoint), if anything.
status: dict = {"phase": None, "done": 0, "total": None, "kept": None, "resume": None}

_temporaries: set[Path] = set()
_pending: int | None = None
_depth = 0
_exiting = threading.Event()
_installed = False


def set_phase(phase: str | None, total: int | None = None) -> None:
    """Start a phase ("compiling kernels", "simulating", "writing out.nc")."""
    status.update(phase=phase, total=total, done=0)


def set_progress(done: int) -> None:
    status["done"] = int(done)


def describe() -> str:
    """How far the command got, e.g. "while simulating (393,216 of 1,000,000
    scenarios, 39%)"."""
    phase, done, total = status["phase"], status["done"], status["total"]
    if phase is None:
        return "before any work"
    if total:
        return f"while {phase} ({done:,} of {total:,} scenarios, {percent(done / total, 0)})"
    if done:
        return f"while {phase} ({done:,} scenarios done)"
    return f"while {phase}"


def outcome(resume_hint=None) -> str:
    """What an interrupted command leaves behind; with a checkpoint kept,
    how to continue (``resume_hint(path)`` says it in the caller's words)."""
    kept = status["kept"] or "nothing was written"
    if status["resume"] is not None:
        how = resume_hint(status["resume"]) if resume_hint else f"resume={str(status['resume'])!r}"
        kept += f"; continue with {how}"
    return kept


def message(signum: int, resume_hint=None) -> str:
    """The line printed when a signal stops the command."""
    return f"interrupted ({signal.Signals(signum).name}) {describe()}; {outcome(resume_hint)}"


def register_temporary(path: str | os.PathLike) -> None:
    """A file to delete if the process is ended by the watchdog."""
    _temporaries.add(Path(path))


def unregister_temporary(path: str | os.PathLike) -> None:
    _temporaries.discard(Path(path))


def check() -> None:
    """Raise :class:`Interrupted` if a signal is waiting (outside deferred blocks)."""
    if _pending is not None and _depth == 0:
        raise Interrupted(_pending)


@contextmanager
def deferred() -> Iterator[None]:
    """A block that a signal must not cut in half: the signal is raised when
    the block ends (and the watchdog still stops the process if the block
    takes longer than :data:`GRACE`)."""
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
    check()


def _handler(signum, frame) -> None:
    global _pending
    _pending = signum
    if _depth == 0:
        raise Interrupted(signum)


def install() -> None:
    """Handle SIGINT and SIGTERM as described above (main thread only)."""
    global _installed
    if _installed:
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    for signum in HANDLED:
        signal.signal(signum, _handler)
    sys.unraisablehook = _quiet_unraisable(sys.unraisablehook)
    threading.Thread(target=_watchdog, args=(read_fd,), name="sim-signal-watchdog",
                     daemon=True).start()
    _installed = True


def _quiet_unraisable(previous):
    """The handler can fire inside a finalizer (a ``__del__`` run by the
    garbage collector), where Python prints the exception and drops it. The
    signal is still pending, and the watchdog acts on it; print nothing."""
    def hook(unraisable) -> None:
        if isinstance(unraisable.exc_value, Interrupted):
            return
        previous(unraisable)
    return hook


def exiting() -> None:
    """The main thread is ending the process itself: the watchdog waits."""
    _exiting.set()


def _watchdog(read_fd: int) -> None:
    while True:
        try:
            data = os.read(read_fd, 64)
        except OSError:
            return
        received = [b for b in data if b in HANDLED]
        if not received:
            continue
        time.sleep(GRACE)
        if _exiting.is_set():  # the main thread is printing and exiting: give it a moment
            time.sleep(GRACE)
        force_exit(received[-1])


def force_exit(signum: int) -> None:
    """Delete the temporary files, say how far the run got, and end the process
    now (no locks taken: the main thread may hold any of them)."""
    for path in list(_temporaries):
        try:
            os.unlink(path)
        except OSError:
            pass
    try:
        os.write(sys.stderr.fileno(), f"\n{message(signum)}\n".encode())
    except (OSError, ValueError):
        pass
    os._exit(128 + signum)
