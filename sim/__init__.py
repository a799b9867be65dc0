"""sim: Monte Carlo returns of training and deploying large AI models.

>>> import sim
>>> ds = sim.run("baseline", n_scenarios=100_000, seed=1)   # xarray.Dataset
>>> draws = sim.sample("baseline", n_scenarios=1000, seed=1)
>>> report = sim.calibrate("baseline")   # against observed models
>>> grid = sim.sweep("baseline", {"market.competitors.lam": [2, 8, 20]}, n_scenarios=10_000)
>>> drivers = sim.sensitivity("baseline", n_scenarios=32_768, method="both")
>>> sim.summary(ds)   # a pandas DataFrame: a row per size, statistics with their se
>>> sim.compare("a.nc", "b.nc")   # b - a per size and statistic, with se and z

The names below load their modules on first use (PEP 562), so that
``import sim`` and the command line's ``sim --help`` do not import Numba,
SciPy or xarray; ``sim.plot`` and ``sim.report`` load matplotlib only then.
"""

from __future__ import annotations

import importlib

from sim._version import __version__
from sim.vocab.errors import ScenarioError, SimError

#: Public name -> (module, attribute); attribute None: the module itself.
_LAZY = {
    "DEFAULT_QUANTILES": ("sim.analyses.run", "DEFAULT_QUANTILES"),
    "run": ("sim.analyses.run", "run"),
    "sample": ("sim.analyses.run", "sample"),
    "calibrate": ("sim.analyses.calibrate", "calibrate"),
    "decide": ("sim.analyses.decide", "decide"),
    "write_netcdf": ("sim.results.dataset", "write_netcdf"),
    "summary": ("sim.results.summary", "summary"),
    "compare": ("sim.results.summary", "compare"),
    "Scenario": ("sim.scenario.load", "Scenario"),
    "load_scenario": ("sim.scenario.load", "load_scenario"),
    # Modules that are callable as their front door (sim._callable), so that
    # sim.sweep(...) and sim.sensitivity(...) work whichever is loaded first.
    "sweep": ("sim.analyses.sweep", None),
    "sensitivity": ("sim.analyses.sensitivity", None),
    "plot": ("sim.present.charts", None),
    "report": ("sim.present.report", None),
}


def __getattr__(name: str):
    """Load a public name's module on first use, and keep the name."""
    if name not in _LAZY:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "DEFAULT_QUANTILES",
    "Scenario",
    "ScenarioError",
    "SimError",
    "calibrate",
    "compare",
    "decide",
    "load_scenario",
    "run",
    "sample",
    "sensitivity",
    "summary",
    "sweep",
    "write_netcdf",
    "__version__",
]
