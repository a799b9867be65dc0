"""Keep xarray from importing Dask in a process that has no Dask data.

With Dask installed, xarray imports ``dask`` and ``dask.array`` the first
time it builds a variable (to ask whether the data is a Dask array or
collection), and ``distributed`` when it writes a netCDF file (to find a Dask
client and choose a lock). On the reference machine that is about 0.5 s of a ``sim run -n 1e4`` that takes
1.8 s, for a result that is NumPy arrays throughout.

Neither question needs the import: no object can be a Dask array before
``dask.array`` is imported, and no client can exist before ``distributed``
is. :func:`install` makes xarray answer from what is already imported, and
ask as before once something else has imported them (the cluster, a user's
own code). It changes which modules load, never a value.
"""

from __future__ import annotations

import sys

__all__ = ["install"]


def _dask_array_type() -> tuple[type, ...]:
    array = getattr(sys.modules.get("dask.array"), "Array", None)
    return (array,) if isinstance(array, type) else ()


def install() -> bool:
    """Make xarray look for Dask only among the imported modules (once per
    process). Returns False, changing nothing, with an xarray whose
    internals differ from the ones this was written for (2024.x-2026.x)."""
    try:
        from xarray.backends import locks, writers
        from xarray.namedarray import pycompat, utils
    except ImportError:
        return False
    original = getattr(locks, "get_dask_scheduler", None)
    is_collection = getattr(utils, "is_dask_collection", None)
    cache = getattr(pycompat, "_cached_duck_array_modules", None)
    module_class = getattr(pycompat, "DuckArrayModule", None)
    if original is None or getattr(original, "_sim_on_demand", False):
        return original is not None
    if not isinstance(cache, dict) or module_class is None or is_collection is None \
            or getattr(writers, "get_dask_scheduler", None) is not original:
        return False

    class DaskOnDemand(module_class):
        """xarray's record of Dask: the array type only once ``dask.array``
        is imported; the module and version imported when asked for."""

        def __init__(self) -> None:  # noqa: D107 - nothing to import yet
            self._loaded = None

        def _real(self):
            if self._loaded is None:
                self._loaded = module_class("dask")
            return self._loaded

        type = property(lambda self: _dask_array_type())
        module = property(lambda self: self._real().module)
        version = property(lambda self: self._real().version)
        available = property(lambda self: self._real().available)

    def get_dask_scheduler(get=None, collection=None):
        dask = sys.modules.get("dask")
        if dask is None:
            return None  # xarray's answer without Dask
        config = getattr(dask, "config", None)
        if get is None and collection is None and "distributed" not in sys.modules \
                and config is not None and not config.get("scheduler", None) \
                and not config.get("get", None):
            return "threaded"  # xarray's answer when no scheduler is set and no client exists
        return original(get, collection)

    def is_dask_collection(x) -> bool:
        if "dask" not in sys.modules and (isinstance(x, type) or not hasattr(x, "__dask_graph__")):
            return False  # Dask's own first test, without importing Dask to make it
        return is_collection(x)

    get_dask_scheduler._sim_on_demand = True
    if "dask" not in cache:
        cache["dask"] = DaskOnDemand()
    locks.get_dask_scheduler = get_dask_scheduler
    writers.get_dask_scheduler = get_dask_scheduler
    utils.is_dask_collection = is_dask_collection
    return True
