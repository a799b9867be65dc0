"""Sensitivity analysis: which uncertain input drives the output of each model size.

``sim.sensitivity(...)`` is the front door (:func:`sim.sensitivity.api.sensitivity`):
this package is callable, so the same name reaches both the function and the
modules (``sim.sensitivity.rank``, ``sobol``, ``tornado``, ``tables``,
``charts``; ``from sim.sensitivity import rank`` works too).
"""

from .._callable import make_callable
from .api import SensitivityNote, sensitivity

__all__ = ["SensitivityNote", "sensitivity"]

make_callable(__name__, sensitivity)
