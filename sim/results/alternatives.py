"""Which (strategy, size) pairs of a result are alternatives.

A strategy may declare its own ``grid.model_sizes`` (docs/model.md section
2d): every pair is still evaluated, but only the declared ones are choices.
The coordinate ``alternative`` marks them; it exists only when some pair is
not one, so every other result is as it was. Light (NumPy and xarray only),
so that tables and charts can read it without loading the engine.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["ALTERNATIVE", "add_alternatives", "alternative_mask", "alternatives_only", "is_alternative",
           "select_strategy"]

#: The coordinate that marks a result's alternatives, present only when a
#: strategy declares its own ``grid.model_sizes`` (docs/model.md section 2d).
ALTERNATIVE = "alternative"


def add_alternatives(ds: xr.Dataset, plan, n_strategies: int, n_sizes: int) -> None:
    """The coordinate ``alternative`` (strategy, model_size): whether the pair
    is one of the choices. Added only when some pair is not (a strategy with
    its own sizes), so results of every other scenario stay as they were.
    Every pair is evaluated and its statistics are finite; a pair that is no
    alternative has P(best) 0 and takes no part in the choice, EVPI or EVPPI."""
    mask = np.asarray(plan.alternatives, dtype=bool)
    if mask.all() or not n_strategies:
        return
    ds.coords[ALTERNATIVE] = (("strategy", "model_size"), mask.reshape(n_strategies, n_sizes), {
        "long_name": "whether this (strategy, size) pair is an alternative: a size the strategy "
                     "declares in its grid.model_sizes (the others are evaluated, never chosen)"})


def alternative_mask(ds: xr.Dataset) -> xr.DataArray | None:
    """The result's ``alternative`` coordinate, or None when every (strategy,
    size) pair is an alternative."""
    return ds.coords[ALTERNATIVE] if ALTERNATIVE in ds.coords else None


def is_alternative(ds: xr.Dataset, strategy: int, size: int) -> bool:
    """Whether the pair (strategy index, size index) is an alternative."""
    mask = alternative_mask(ds)
    return True if mask is None else bool(mask.values[strategy, size])


def select_strategy(ds: xr.Dataset, name: str, drop: bool = False) -> xr.Dataset:
    """One strategy of ``ds``, at the sizes where it is an alternative."""
    mask = alternative_mask(ds)
    one = ds.sel(strategy=name, drop=drop)
    if mask is None:
        return one
    keep = np.flatnonzero(mask.sel(strategy=name).values)
    return one.isel(model_size=keep).drop_vars(ALTERNATIVE)


def alternatives_only(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` for display: every variable over (strategy, model_size) is NaN
    at the pairs that are no alternative (tables print "-" there, charts
    leave them blank). The stored result keeps their finite values."""
    mask = alternative_mask(ds)
    if mask is None:
        return ds
    out = ds.copy()
    for name, var in ds.data_vars.items():
        if "strategy" in var.dims and "model_size" in var.dims and var.dtype.kind == "f":
            out[name] = var.where(mask)
    return out
