"""The version of sim, at the bottom of the layers (no imports of sim).

Written here and read by the build (``pyproject.toml``'s dynamic version),
so that ``import sim`` does not search the installed distributions for it
(``importlib.metadata`` took 13 ms of a 0.9 s warm ``sim run``).
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
