"""The package stands on its own: a wheel, installed into a fresh virtual
environment, runs the bundled scenarios from outside the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _run(cmd, cwd, env=None, timeout=600):
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{cmd}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory):
    """A wheel of this checkout installed into a new virtual environment.

    The environment sees the system's site-packages for numpy, numba and the
    rest (so the test needs no downloads of them), but ``sim`` itself comes
    from the wheel: the test checks that it is imported from the venv.
    """
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
         cwd=tmp)
    wheels = list(dist.glob("sim-*.whl"))
    assert len(wheels) == 1, wheels
    from sim._version import __version__

    assert wheels[0].name.startswith(f"sim-{__version__}-"), "the build reads sim/_version.py"
    env_dir = tmp / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--no-deps", "--force-reinstall", "-q", str(wheels[0])],
         cwd=tmp)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["NUMBA_CACHE_DIR"] = str(tmp / "numba-cache")
    return python, env_dir, env, tmp, wheels[0]


#: Benchmark instruments, which live in benchmarks/ in the source tree only.
INSTRUMENTS = ("frozen_kernel", "naive_numba", "squiggle", "floors", "stages")


def test_wheel_has_no_benchmark_instrument(installed_wheel):
    """An installed ``sim bench`` needs the NumPy baseline, start-up and
    memory only: no developer instrument ships."""
    import zipfile

    wheel = installed_wheel[4]
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    modules = [n for n in names if n.endswith(".py")]
    assert "sim/bench/__init__.py" in modules and "sim/testing/numpy_model.py" in modules
    shipped = [n for n in modules if any(word in n.rsplit("/", 1)[-1] for word in INSTRUMENTS)]
    assert shipped == [], shipped
    assert not any(n.startswith("benchmarks/") for n in names), "benchmarks/ is not part of the package"


def test_wheel_ships_the_bundled_scenarios(installed_wheel):
    python, env_dir, env, tmp, _ = installed_wheel
    where = _run([str(python), "-c", "import sim, sim.scenario.load as s; print(sim.__file__); "
                  "print(s.SCENARIO_DIR); print(','.join(s.bundled_names())); "
                  "from sim.bench import workload; workload.scenario()"], cwd=tmp, env=env)
    module, scenario_dir, names = where.strip().splitlines()
    assert Path(module).is_relative_to(env_dir), f"sim imported from {module}, not the wheel"
    assert Path(scenario_dir).is_relative_to(env_dir)
    assert {"baseline", "bert_seed", "cooling"} <= set(names.split(","))


def test_installed_command_runs_outside_the_checkout(installed_wheel):
    python, env_dir, env, tmp, _ = installed_wheel
    sim_cmd = str(env_dir / "bin" / "sim")
    listing = _run([sim_cmd, "scenarios"], cwd=tmp, env=env)
    assert "baseline" in listing and str(ROOT) not in listing
    out = _run([sim_cmd, "run", "-n", "1e4", "-o", "r.nc"], cwd=tmp, env=env)
    assert "scenario 'baseline': 10,000 scenarios" in out
    assert (tmp / "r.nc").stat().st_size > 0
