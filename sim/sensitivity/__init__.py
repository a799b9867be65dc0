"""Sensitivity analysis: which uncertain input drives the output of each model size.

``sim.sensitivity(...)`` (:func:`sim.sensitivity.api.sensitivity`) is the
front door. The package name is shadowed in ``sim``'s namespace by that
function, so reach the modules with ``from sim.sensitivity import rank``
(or ``sobol``, ``tornado``, ``tables``, ``charts``), not as attributes of
``sim.sensitivity``.
"""

from .api import SensitivityNote, sensitivity

__all__ = ["SensitivityNote", "sensitivity"]
