"""sim: Monte Carlo returns of training and deploying large AI models.

>>> import sim
>>> ds = sim.run("baseline", n_scenarios=100_000, seed=1)   # xarray.Dataset
>>> draws = sim.sample("baseline", n_scenarios=1000, seed=1)
>>> report = sim.calibrate("baseline")   # against observed models
>>> grid = sim.sweep("baseline", {"market.competitors.lam": [2, 8, 20]}, n_scenarios=10_000)
"""

from ._version import __version__
from .api import DEFAULT_QUANTILES, run, sample
from .calibration import calibrate
from .errors import ScenarioError, SimError
from .results import write_netcdf
from .scenario import Scenario, load_scenario
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
    "load_scenario",
    "run",
    "sample",
    "sweep",
    "write_netcdf",
    "__version__",
]
