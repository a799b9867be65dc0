"""SIGINT and SIGTERM stop ``sim`` within a second, in every phase, cleanly.

Each test starts the command line in a child process, waits until it has
reached a phase (compiling, sampling, writing), sends the signal, and checks
the exit code (130 for SIGINT, 143 for SIGTERM), the time to stop, the
message (how far the run got) and that the directory holds no partial or
temporary file. The child announces each phase on stderr ("PHASE <name>"),
through a wrapper around :func:`sim.services.signals.set_phase`, so that the signal
lands where the test means it to.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}

#: Runs ``sim.cli.main.main`` with the phases announced; argv[1] is a snippet of
#: extra set-up (e.g. a slow disk), the rest are the command's arguments.
CHILD = textwrap.dedent("""
    import sys
    from sim.services import signals
    _set_phase = signals.set_phase
    def set_phase(phase, total=None):
        _set_phase(phase, total)
        print(f"PHASE {phase}", file=sys.stderr, flush=True)
    signals.set_phase = set_phase
    exec(sys.argv[1])
    from sim.cli.main import main
    sys.argv = ["sim", *sys.argv[2:]]
    main()
""")

#: A disk that takes a second per write: the signal lands while the
#: temporary file is open and half written.
SLOW_DISK = textwrap.dedent("""
    import time, sim.services.atomic as atomic
    _open = open
    class Slow:
        def __init__(self, f): self.f = f
        def write(self, data):
            n = self.f.write(data[:1024])
            self.f.flush()
            time.sleep(1.0)
            return n + self.f.write(data[1024:])
        def __getattr__(self, name): return getattr(self.f, name)
        def __enter__(self): return self
        def __exit__(self, *exc): return self.f.__exit__(*exc)
    atomic.open = lambda *a, **k: Slow(_open(*a, **k))
""")

#: HDF5 as it was: a lock taken a second time, which never returns.
DEADLOCK = textwrap.dedent("""
    import threading, xarray as xr
    lock = threading.Lock()
    def to_netcdf(self, *args, **kwargs):
        lock.acquire()
        lock.acquire()
    xr.Dataset.to_netcdf = to_netcdf
""")


def _start(args, tmp_path: Path, setup: str = "", env: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.Popen([sys.executable, "-c", CHILD, setup, *args], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(proc: subprocess.Popen, phase: str, timeout: float = 120) -> list[str]:
    """Read the child's stderr until it announces ``phase``."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith(f"PHASE {phase}"):
            return seen
    proc.kill()
    _, rest = proc.communicate()
    raise AssertionError(f"the child never reached {phase!r}:\n{''.join(seen)}{rest}")


def _stop(proc: subprocess.Popen, signum: int) -> tuple[float, str]:
    began = time.monotonic()
    proc.send_signal(signum)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("the child did not stop within 30 s") from None
    return time.monotonic() - began, err


def _check(proc, signum, took: float, err: str, tmp_path: Path, phase: str) -> None:
    name = signal.Signals(signum).name
    assert proc.returncode == EXIT[signum], err
    assert took < 1.0, f"took {took:.2f} s to stop"
    assert f"interrupted ({name}) while {phase}" in err, err
    assert "Traceback" not in err and "Aborted" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == [], \
        list(tmp_path.iterdir())


@pytest.fixture(scope="module", autouse=True)
def warm_cache():
    """Compile once, so that the children start in about a second."""
    subprocess.run([sys.executable, "-m", "sim", "run", "-n", "1000", "--quiet"], check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_sampling_stops_within_a_second(tmp_path, signum):
    rng = random.Random(signum)
    for _ in range(3):
        proc = _start(["run", "-n", "1e9", "--quiet", "-o", "out.nc"], tmp_path)
        _wait_for(proc, "simulating")
        time.sleep(rng.uniform(0.0, 0.6))
        took, err = _stop(proc, signum)
        _check(proc, signum, took, err, tmp_path, "simulating")
        assert " of 1,000,000,000 scenarios" in err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_writing_leaves_no_file(tmp_path, signum):
    for command in (["run", "-n", "2000"], ["sweep", "baseline", "--vary", "market.hype=1,2",
                                            "-n", "2000"]):
        proc = _start([*command, "--quiet", "-o", "out.nc"], tmp_path, SLOW_DISK)
        _wait_for(proc, "writing out.nc")
        time.sleep(0.3)  # inside the slow write of the temporary file
        took, err = _stop(proc, signum)
        _check(proc, signum, took, err, tmp_path, "writing out.nc")


def test_a_writer_stuck_on_a_lock_is_ended_by_the_watchdog(tmp_path):
    """The HDF5 hang: the main thread never returns, the watchdog ends it."""
    proc = _start(["run", "-n", "2000", "--quiet", "-o", "out.nc"], tmp_path, DEADLOCK)
    _wait_for(proc, "writing out.nc")
    time.sleep(0.2)
    took, err = _stop(proc, signal.SIGINT)
    _check(proc, signal.SIGINT, took, err, tmp_path, "writing out.nc")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_compiling_stops_within_a_second(tmp_path, signum):
    """A cold cache: the first line says so, and a signal during the compile
    ends the process within a second (the compiler does not return to Python
    often enough, so this is the watchdog's case too)."""
    cache = tmp_path / "cache"
    proc = _start(["run", "-n", "1000", "-o", "out.nc"], tmp_path,
                  env={"NUMBA_CACHE_DIR": str(cache)})
    seen = _wait_for(proc, "compiling kernels")
    line = proc.stderr.readline()
    assert line.startswith("compiling kernels (about "), seen + [line]
    time.sleep(1.0)
    took, err = _stop(proc, signum)
    _check(proc, signum, took, err, tmp_path, "compiling kernels")
    shutil.rmtree(cache, ignore_errors=True)
