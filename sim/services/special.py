"""``scipy.special``'s values, remembered between runs.

Importing ``scipy.special`` takes about 0.1 s (its array-API layer clones
NumPy's namespace, which imports ``numpy.f2py`` and ``numpy.testing``): a
tenth of a warm ``sim run -n 1e4``. The loader and the Dataset call a few of
its functions with the same arguments run after run (a scenario's
quantiles, its beta and Poisson tables, the intervals' critical values and
order-statistic ranks), so each value is kept in one file of the cache
folder (:func:`memo_path`), keyed by SciPy's version, the function and the
exact bytes of the arguments. A miss imports ``scipy.special`` and computes;
a hit returns SciPy's own value, bit for bit, without the import.

The file is read once per process, at the first call, and written (merged
with what other processes wrote, then renamed into place) by :func:`save`
when the process exits (the command line, which ends with ``os._exit``,
calls it itself). It keeps the newest values, at most :data:`CAPACITY`
of them and :data:`MAX_BYTES` in all (a scenario's take a hundred or two).
A missing, unreadable or foreign file is a miss, never an error.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import pickle
import tempfile
import threading
from pathlib import Path

import numpy as np

from sim.services.cache_home import cache_home

__all__ = ["CAPACITY", "FUNCTIONS", "MAX_BYTES", "bdtr", "bdtrik", "betainc", "betaincinv", "betaln", "memo_path",
           "ndtr", "ndtri", "pdtr", "pdtrc", "save", "stats", "stdtrit"]

#: The functions this module stands in for (each is a module attribute).
FUNCTIONS = ("bdtr", "bdtrik", "betainc", "betaincinv", "betaln", "ndtr", "ndtri", "pdtr", "pdtrc",
             "stdtrit")
#: Values kept in the file, and their bytes at most: the newest win (a
#: scenario's values take about 0.15 MB; the full file loads in 3 ms).
CAPACITY = 4096
MAX_BYTES = 2 * 2**20
_FORMAT = 1

_lock = threading.Lock()
_memo: dict | None = None
_new: dict = {}
_new_bytes = 0  # of the values in _new, as the file's limit counts them
_counts = {"hits": 0, "misses": 0}


def _scipy_version() -> str:
    import scipy  # the package alone: a few milliseconds

    return scipy.__version__


def memo_path() -> Path:
    """The file of remembered values for the installed SciPy."""
    return cache_home() / "special" / f"scipy-{_scipy_version()}.pickle"


def stats() -> dict:
    """Hits and misses in this process (for tests and benchmarks)."""
    return dict(_counts)


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            data = pickle.load(f)
        if isinstance(data, dict) and data.get("format") == _FORMAT and isinstance(data.get("values"), dict):
            return data["values"]
    except Exception:  # missing, partial, foreign: a miss
        pass
    return {}


def _loaded() -> dict:
    global _memo
    if _memo is None:
        _memo = _read(memo_path())
    return _memo


def _arg_key(a) -> tuple:
    if isinstance(a, np.ndarray) or isinstance(a, (list, tuple)):
        arr = np.ascontiguousarray(a)
        return ("a", arr.dtype.str, arr.shape, hashlib.sha1(arr.tobytes()).hexdigest())
    if isinstance(a, (bool, int, np.integer)):
        return ("i", type(a).__name__, int(a))
    return ("f", type(a).__name__, float(a).hex())


def _copy(value):
    return value.copy() if isinstance(value, np.ndarray) else value


def _size(value) -> int:
    """Bytes a value counts for in the file's limit (its array, and about
    200 bytes of key and pickle)."""
    return (value.nbytes if isinstance(value, np.ndarray) else 0) + 200


def _call(name: str, *args):
    global _new_bytes
    key = (name,) + tuple(_arg_key(a) for a in args)
    with _lock:
        memo = _loaded()
        if key in memo:
            _counts["hits"] += 1
            return _copy(memo[key])
    from scipy import special

    value = getattr(special, name)(*args)
    with _lock:
        _counts["misses"] += 1
        if key not in _new:
            _new[key] = _copy(value)
            _new_bytes += _size(value)
        memo[key] = _new[key]
        # A long session (a sweep of thousands of scenarios) keeps no more
        # new values than the file would: the oldest go first.
        while len(_new) > CAPACITY or _new_bytes > MAX_BYTES:
            oldest = next(iter(_new))
            _new_bytes -= _size(_new.pop(oldest))
            memo.pop(oldest, None)
    return value


def _newest(values: dict) -> dict:
    """The newest of ``values`` (insertion order) within the file's limits."""
    kept, size = [], 0
    for key, value in reversed(values.items()):
        size += _size(value)
        if len(kept) == CAPACITY or size > MAX_BYTES:
            break
        kept.append((key, value))
    return dict(reversed(kept))


def save() -> None:
    """Merge this process's new values into the file (at exit; a process
    that ends with ``os._exit`` calls it first)."""
    global _new_bytes
    if not _new:
        return
    try:
        path = memo_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        values = _read(path)
        for key in _new:  # newest last
            values.pop(key, None)
        values.update(_new)
        values = _newest(values)
        fd, tmp = tempfile.mkstemp(prefix=".special-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump({"format": _FORMAT, "values": values}, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        _new.clear()
        _new_bytes = 0
    except Exception:  # a read-only or full cache folder: values are recomputed next time
        pass


atexit.register(save)


def _function(name: str):
    def f(*args):
        return _call(name, *args)

    f.__name__ = name
    f.__doc__ = f"``scipy.special.{name}``, remembered between runs."
    return f


bdtr = _function("bdtr")
bdtrik = _function("bdtrik")
betainc = _function("betainc")
betaincinv = _function("betaincinv")
betaln = _function("betaln")
ndtr = _function("ndtr")
ndtri = _function("ndtri")
pdtr = _function("pdtr")
pdtrc = _function("pdtrc")
stdtrit = _function("stdtrit")
