"""What every chart shares: the model-size and ROI axes, titles, and sizes
named on the command line. Charts of runs (:mod:`sim.present.charts`) and of
sensitivity analyses (:mod:`sim.present.sensitivity_charts`) both use it."""

from __future__ import annotations

import re

import numpy as np
import xarray as xr
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from sim.vocab.errors import SimError
from sim.vocab.units import size_label

__all__ = ["ROI_LABEL", "pad", "parse_size", "roi_scale", "select_sizes", "title"]

ROI_LABEL = "ROI = (NPV − I) / I  (ratio, −1 = all lost; asinh scale)"
#: Candidate ticks of the asinh ROI axis: linear near 0, 1-2-5 steps to
#: 1000, decades beyond (where "5000" and "10000" would run into each other).
_ROI_TICKS = (-100, -10, -5, -2, -1, -0.5, 0, 0.5, 1, 2, 5, 10, 20, 50, 100,
              200, 500, 1000, 1e4, 1e5, 1e6)


def parse_size(text: str | float) -> float:
    """``1e9``, ``1_000_000_000``, ``1B``, ``100M`` or ``1.5T`` as a number."""
    if isinstance(text, (int, float)):
        return float(text)
    m = re.fullmatch(r"\s*([0-9._]+(?:e[+-]?\d+)?)\s*([kKmMbBtT]?)\s*", str(text))
    if m:
        scale = {"": 1, "k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}[m.group(2).lower()]
        try:
            return float(m.group(1).replace("_", "")) * scale
        except ValueError:
            pass
    raise SimError(f"model size: expected a number such as 1e9 or 1B, got {text!r}")


def select_sizes(ds: xr.Dataset, sizes=None) -> np.ndarray:
    """The grid sizes named by ``sizes`` (all when None), matched within 0.1%."""
    grid = np.asarray(ds["model_size"].values, dtype=float)
    if sizes is None:
        return grid
    if isinstance(sizes, (str, int, float)):
        sizes = [sizes]
    chosen = []
    for s in sizes:
        n = parse_size(s)
        hit = np.flatnonzero(np.isclose(grid, n, rtol=1e-3, atol=0))
        if hit.size == 0:
            raise SimError(f"model size {s}: not in this result's grid "
                           f"({', '.join(size_label(g) for g in grid)})")
        chosen.append(grid[hit[0]])
    return np.asarray(chosen)


def title(ds: xr.Dataset, what: str) -> str:
    name = ds.attrs.get("scenario_name", "?")
    n = ds.attrs.get("n_scenarios")
    tail = f", {int(n):,} scenarios" if n is not None else ""
    left_out = ds.attrs.get("_not_drawn")
    note = f"\nnot drawn: {left_out} (no finite values)" if left_out else ""
    return f"{what}\nscenario '{name}'{tail}{note}"


def roi_scale(ax, axis: str, lo: float, hi: float) -> None:
    """An asinh ROI axis: linear within ±1, logarithmic beyond."""
    setter = ax.set_yscale if axis == "y" else ax.set_xscale
    setter("asinh", linear_width=1.0)
    ticks = [t for t in _ROI_TICKS if lo <= t <= hi]
    major = ax.yaxis if axis == "y" else ax.xaxis
    major.set_major_locator(FixedLocator(ticks))
    major.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    major.set_minor_locator(NullLocator())
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(ROI_LABEL)


def pad(lo: float, hi: float) -> tuple[float, float]:
    """Limits a little beyond [lo, hi] in asinh space."""
    a, b = np.arcsinh(lo), np.arcsinh(hi)
    d = 0.05 * (b - a if b > a else 1.0)
    return float(np.sinh(a - d)), float(np.sinh(b + d))
