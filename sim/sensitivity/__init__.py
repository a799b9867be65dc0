"""Sensitivity analysis: which uncertain input drives the output of each model size.

``sim.sensitivity(...)`` is the front door (:func:`sim.sensitivity.api.sensitivity`):
this package is callable, so the same name reaches both the function and the
modules (``sim.sensitivity.rank``, ``sobol``, ``tornado``, ``tables``,
``charts``; ``from sim.sensitivity import rank`` works too).
"""

import sys
import types

from .api import SensitivityNote, sensitivity

__all__ = ["SensitivityNote", "sensitivity"]


class _CallablePackage(types.ModuleType):
    """The package, callable as :func:`sim.sensitivity.api.sensitivity`."""

    def __call__(self, *args, **kwargs):
        return sensitivity(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
