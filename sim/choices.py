"""Names of the choices the library offers, in a module that imports nothing.

The command line shows these as its option choices without loading NumPy,
Numba or matplotlib, and the modules that implement them take their names
from here, so the two cannot drift apart.
"""

from __future__ import annotations

__all__ = ["BENCH_PARTS", "PLOT_KINDS", "SAMPLERS"]

#: Sampling designs (:mod:`sim.sampling.designs`).
SAMPLERS = ("random", "lhs", "sobol")
#: Chart kinds (:mod:`sim.plot`).
PLOT_KINDS = ("fan", "hist", "exceedance", "best", "costs", "sweep", "cooling", "cashflow", "decision", "voi")
#: Parts of ``sim bench`` that can be skipped (:mod:`sim.bench`).
BENCH_PARTS = ("naive", "floors", "numpy", "squigglepy", "startup", "memory")
