"""The installed version of sim, at the bottom of the layers (no imports of sim)."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

__all__ = ["__version__"]

try:
    __version__ = _version("sim")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.1.0+unknown"
