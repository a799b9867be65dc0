"""Modules that are also the function they are named after.

``sim.sweep`` and ``sim.sensitivity`` name both a function (the front door)
and the module or package that holds it. ``import sim`` loads its names
lazily, and importing a submodule binds the submodule's name in its parent,
so whichever is imported first would win. Making the module callable ends
the race: ``sim.sweep(...)`` calls the function and ``sim.sweep.parse_vary``
is still the module's.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable

__all__ = ["make_callable"]


def make_callable(module_name: str, func: Callable) -> None:
    """Make the loaded module ``module_name`` callable as ``func``."""
    module = sys.modules[module_name]

    class CallableModule(types.ModuleType):
        __doc__ = module.__doc__

        def __call__(self, *args, **kwargs):
            return func(*args, **kwargs)

    module.__class__ = CallableModule
