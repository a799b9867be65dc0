"""Checks of the numbers a caller passes to a run: n, seed, quantile levels."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.vocab.errors import SimError
from sim.vocab.layout import MAX_SCENARIOS

__all__ = ["MAX_SCENARIOS", "check_n", "check_quantiles", "check_seed", "seed_attribute"]


def check_n(n_scenarios, what: str = "n_scenarios") -> int:
    """A whole number of scenarios from 1 to :data:`MAX_SCENARIOS`."""
    try:
        n = int(n_scenarios)
    except (TypeError, ValueError):
        raise SimError(f"{what}: expected a positive integer, got {n_scenarios!r}") from None
    if n != n_scenarios or not 1 <= n <= MAX_SCENARIOS:
        raise SimError(f"{what}: expected a positive integer up to {MAX_SCENARIOS:.0e}, "
                       f"got {n_scenarios!r}")
    return n


def check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SimError(f"seed: expected a non-negative integer, got {seed!r}")
    return int(seed)


def seed_attribute(seed: int) -> int | str:
    """The seed as a netCDF attribute: an integer where netCDF has one (up to
    2^63 - 1), else its decimal digits (any seed >= 0 is valid)."""
    seed = int(seed)
    return seed if seed < 2**63 else str(seed)


def check_quantiles(quantiles: Sequence[float]) -> np.ndarray:
    q = np.unique(np.asarray(list(quantiles), dtype=float))
    if q.size == 0 or not np.all((q > 0) & (q < 1)):
        raise SimError(f"quantiles: expected numbers strictly between 0 and 1, got {list(quantiles)}")
    return q
