"""Comparisons of results that tests share."""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["assert_same_numbers"]


def assert_same_numbers(a: xr.Dataset, b: xr.Dataset) -> None:
    """Both Datasets hold the same variables, each equal bit for bit."""
    assert set(a.data_vars) == set(b.data_vars)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
