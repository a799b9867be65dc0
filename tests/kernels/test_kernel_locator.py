"""Numba's warning about a kernel it cannot cache works with the project's
cache locator (it read an attribute the locator lacked and raised instead)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from numba.core.errors import NumbaWarning

from sim.kernels.cache import KernelLocator
from sim.kernels.reduce import reduce_chunk


def test_an_uncachable_kernel_is_a_warning_naming_its_file():
    impl = reduce_chunk._cache._impl
    assert isinstance(impl.locator, KernelLocator)
    compiled = SimpleNamespace(lifted=(), library=SimpleNamespace(has_dynamic_globals=True),
                               fndesc=SimpleNamespace(qualname="reduce_chunk"))
    with pytest.warns(NumbaWarning, match="Cannot cache compiled function") as seen:
        assert impl.check_cachable(compiled) is False
    assert seen[0].filename.endswith("reduce.py")
