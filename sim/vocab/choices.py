"""Names of the choices the library offers, in a module that imports no NumPy.

The command line shows these as its option choices without loading NumPy,
Numba or matplotlib, and the modules that implement them take their names
from here, so the two cannot drift apart.
"""

from __future__ import annotations

from sim.vocab.objectives import OBJECTIVES as _OBJECTIVES

__all__ = ["BENCH_PARTS", "OBJECTIVES", "SAMPLERS", "SENSITIVITY_METHODS", "SENSITIVITY_OUTPUTS",
           "SOBOL_ESTIMATORS"]

#: Decision objectives (:mod:`sim.vocab.objectives`).
OBJECTIVES = tuple(_OBJECTIVES)
#: Sampling designs (:mod:`sim.engine.designs`).
SAMPLERS = ("random", "lhs", "sobol")
#: Parts of ``sim bench`` that can be skipped (:mod:`sim.bench`): the rate
#: table, its NumPy baselines and v2 workload, the fresh-process start-up
#: probes, their empty-cache compile (minutes) alone, the peak memory.
BENCH_PARTS = ("rates", "numpy", "v2", "startup", "compile", "memory")
#: Methods, outputs and Sobol' estimators of ``sim sensitivity`` (:mod:`sim.sensitivity`).
SENSITIVITY_METHODS = ("rank", "sobol", "both")
SENSITIVITY_OUTPUTS = ("roi", "net_value", "roi_expected")
SOBOL_ESTIMATORS = ("saltelli-janon", "saltelli", "janon", "salib")
