"""sim: Monte Carlo returns of training and deploying large AI models.

>>> import sim
>>> ds = sim.run("baseline", n_scenarios=100_000, seed=1)   # xarray.Dataset
>>> draws = sim.sample("baseline", n_scenarios=1000, seed=1)
>>> report = sim.calibrate("baseline")   # against observed models
>>> grid = sim.sweep("baseline", {"market.competitors.lam": [2, 8, 20]}, n_scenarios=10_000)
>>> drivers = sim.sensitivity("baseline", n_scenarios=32_768, method="both")
"""

from ._version import __version__
from .api import DEFAULT_QUANTILES, run, sample
from .calibration import calibrate
from .decision import decide
from .errors import ScenarioError, SimError
from .results import write_netcdf
from .scenario import Scenario, load_scenario

# After this import the name sim.sensitivity is the function; the subpackage
# stays importable as "from sim.sensitivity import rank".
from .sensitivity import sensitivity
from .sweep import sweep


def __getattr__(name: str):
    """``sim.plot`` and ``sim.report`` load matplotlib only when first used."""
    if name in ("plot", "report"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


__all__ = [
    "DEFAULT_QUANTILES",
    "Scenario",
    "ScenarioError",
    "SimError",
    "calibrate",
    "decide",
    "load_scenario",
    "run",
    "sample",
    "sensitivity",
    "sweep",
    "write_netcdf",
    "__version__",
]
