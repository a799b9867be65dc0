"""Sensitivity analysis: which uncertain input drives the output of each model size.

``sim.sensitivity(...)`` is the front door (:func:`sim.analyses.sensitivity.api.sensitivity`):
this package is callable, so the same name reaches both the function and the
modules (``sim.analyses.sensitivity.rank``, ``sobol``, ``tornado``, ``tables``,
``charts``; ``from sim.sensitivity import rank`` works too).
"""

from sim._callable import make_callable
from sim.analyses.sensitivity.api import SensitivityNote, sensitivity

__all__ = ["SensitivityNote", "sensitivity"]

make_callable(__name__, sensitivity)
