"""What a second ``sim run`` of the same scenario does not repeat: the values
of ``scipy.special`` (sim.services.special) are saved by the command line,
which ends with ``os._exit``, and the next run does not import it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sim.kernels.cache import cache_root

ROOT = Path(__file__).resolve().parents[2]


def _imports(args: list[str], cwd: Path, env: dict) -> str:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "sim", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def test_the_second_run_imports_no_scipy_special(tmp_path):
    home = tmp_path / "cache"
    home.mkdir()
    cache_root().mkdir(parents=True, exist_ok=True)
    (home / "numba").symlink_to(cache_root())  # the session's compiled kernels; a new memo folder
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NUMBA_CACHE_DIR": str(home)}
    args = ["run", "baseline", "-n", "1e4", "--quiet", "-o", "run.nc", "--overwrite"]
    first = _imports(args, tmp_path, env)
    assert "scipy.special._ufuncs\n" in first  # (its own line comes last; os._exit may cut it)
    assert list((home / "special").glob("scipy-*.pickle")), "the command line saved no values"
    second = _imports(args, tmp_path, env)
    assert "scipy.special" not in second and " sim.scenario.families\n" in second
