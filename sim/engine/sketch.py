"""The histogram sketch in Python: lanes, pilot ranges, quantiles and CVaR.

Kernels fill the bins with :func:`sim.kernels.accumulators.histogram_add`;
this module sizes the histograms from the pilot, merges the per-thread lanes
and reads quantiles and the mean of the worst tail off the merged bins.
Counts, minima and maxima are exact, so the result does not depend on which
thread saw which value.
"""

from __future__ import annotations

import math

import numpy as np

from sim.kernels.accumulators import (
    AT_MAX,
    AT_MIN,
    COUNT,
    LANE_FIELDS,
    MAX,
    MIN,
    N_BINS,
    N_FIELDS,
    SCALE,
    merge_histograms,
)

__all__ = ["Histograms", "coordinate_np", "histogram_cvar", "histogram_quantiles",
           "pseudo_log_np"]


def pseudo_log_np(x: np.ndarray) -> np.ndarray:
    """NumPy twin of :func:`sim.kernels.accumulators.pseudo_log` (the same operations, bit for bit)."""
    x = np.asarray(x, dtype=float)
    m, e = np.frexp(np.abs(x))
    y = e + 2.0 * m - 1.0
    return np.where(np.abs(x) <= 2.0, x, np.where(x < 0.0, -y, y))


def coordinate_np(x, offset=1.0, scale=SCALE):
    """NumPy twin of the kernels' histogram coordinate,
    ``pseudo_log((x + offset) * scale)`` (ROI by default)."""
    return pseudo_log_np((np.asarray(x, dtype=float) + offset) * scale)


class Histograms:
    """Per-lane histograms of ``n_hist`` variables, merged at the end.

    ``data[lane, h, bin]`` holds count, minimum, maximum, and how many values
    equal the minimum and the maximum (counts as exact float64 integers); all
    are exact whatever the order of updates.
    """

    #: Arrays with one entry per lane (thread) on their first axis: a saved
    #: state may have another number of lanes, since merging is lane-blind.
    PER_LANE = ("data",)

    def __init__(self, lo: np.ndarray, hi: np.ndarray, n_lanes: int, n_bins: int = N_BINS,
                 offset=1.0, scale=SCALE):
        self.lo = np.asarray(lo, dtype=float)
        self.hi = np.asarray(hi, dtype=float)
        self.offset = np.broadcast_to(np.asarray(offset, dtype=float), self.lo.shape).copy()
        self.scale = np.broadcast_to(np.asarray(scale, dtype=float), self.lo.shape).copy()
        self.n_bins = n_bins
        self.inv_width = n_bins / (self.hi - self.lo)
        self.data = self._empty(n_lanes, N_FIELDS)

    def _empty(self, n_lanes: int, n_fields: int) -> np.ndarray:
        """Empty bins (no counts, minima +inf, maxima -inf),
        ``(n_lanes, n_hist, n_bins + 2, n_fields)``, starting on a 64-byte
        boundary so that no 32-byte lane bin straddles two cache lines."""
        shape = (n_lanes, len(self.lo), self.n_bins + 2, n_fields)
        size = math.prod(shape)
        raw = np.zeros(size + 8)
        skip = (-raw.ctypes.data % 64) // 8
        data = raw[skip:skip + size].reshape(shape)
        data[..., MIN] = np.inf
        data[..., MAX] = -np.inf
        return data

    def empty_lanes(self, n_lanes: int) -> np.ndarray:
        """Fresh lanes for the kernels, one per thread:
        ``(n_lanes, n_hist, n_bins + 2, LANE_FIELDS)``
        (:func:`sim.kernels.accumulators.histogram_add`). A lane must be
        folded (:meth:`absorb`) before it has counted
        :data:`sim.kernels.accumulators.LANE_LIMIT` scenarios."""
        return self._empty(n_lanes, LANE_FIELDS)

    def with_lanes(self, n_lanes: int) -> Histograms:
        """The same ranges with ``n_lanes`` fresh lanes (0 lanes: the ranges
        alone, small enough to send to another process)."""
        return Histograms(self.lo, self.hi, n_lanes, self.n_bins, self.offset, self.scale)

    def absorb(self, lanes: np.ndarray) -> None:
        """Fold ``lanes`` (of the same ranges: the kernels' lanes, or merged
        histograms) into this histogram's single lane, exactly
        (:func:`sim.kernels.accumulators.merge_histograms`)."""
        if (self.data.shape[0] != 1 or lanes.shape[1:3] != self.data.shape[1:3]
                or lanes.shape[3] not in (LANE_FIELDS, N_FIELDS)):
            raise ValueError(f"internal: cannot fold lanes of shape {lanes.shape} into "
                             f"histograms of shape {self.data.shape}")
        merge_histograms(self.data[0], lanes)

    @classmethod
    def from_pilot(cls, values: np.ndarray, n_lanes: int, n_bins: int = N_BINS,
                   offset=1.0, scale=SCALE) -> Histograms:
        """Ranges in pseudo-log space from pilot values of shape (n, n_hist).

        Histogram ``h`` bins ``pseudo_log((x + offset[h]) * scale[h])``: the
        default resolves ROI as multiples of the investment.

        Where the pilot shows a value repeated in at least 0.1% of scenarios
        (an atom, such as ROI = -1 exactly for a size never served), a bin
        edge is put exactly there: the atom is then the minimum or maximum of
        its bin, whose exact counts keep its quantiles exact.
        """
        offset = np.broadcast_to(np.asarray(offset, dtype=float), values.shape[1:])
        scale = np.broadcast_to(np.asarray(scale, dtype=float), values.shape[1:])
        if np.all(scale > 0):
            # The coordinate is non-decreasing in x (each rounding step is),
            # so the extremes of the coordinates are the coordinates of the
            # extremes, bit for bit: two rows to transform, not the pilot.
            lo = coordinate_np(np.nanmin(values, axis=0), offset, scale)
            hi = coordinate_np(np.nanmax(values, axis=0), offset, scale)
        else:
            y = coordinate_np(values, offset, scale)
            lo = np.nanmin(y, axis=0)
            hi = np.nanmax(y, axis=0)
        pad = np.maximum(0.01 * (hi - lo), 1e-9 * np.maximum(1.0, np.abs(hi)))
        lo, hi = lo - pad, hi + pad
        for h in range(values.shape[1]):
            atom = _most_frequent(values[:, h], min_count=max(2, values.shape[0] // 1000))
            if atom is not None:
                width = (hi[h] - lo[h]) / n_bins
                y_atom = float(coordinate_np(atom, offset[h], scale[h]))
                lo[h] = y_atom - math.ceil((y_atom - lo[h]) / width) * width
                hi[h] = lo[h] + n_bins * width
        return cls(lo, hi, n_lanes, n_bins, offset, scale)

    def merged(self) -> tuple[np.ndarray, ...]:
        """Count, min, max, count at min and count at max merged over lanes,
        each of shape (n_hist, n_bins + 2)."""
        d = self.data
        vmin = d[..., MIN].min(axis=0)
        vmax = d[..., MAX].max(axis=0)
        at_min = np.where(d[..., MIN] == vmin[None], d[..., AT_MIN], 0).sum(axis=0)
        at_max = np.where(d[..., MAX] == vmax[None], d[..., AT_MAX], 0).sum(axis=0)
        as_int = lambda a: np.rint(a).astype(np.int64)
        return as_int(d[..., COUNT].sum(axis=0)), vmin, vmax, as_int(at_min), as_int(at_max)


def _most_frequent(x: np.ndarray, min_count: int) -> float | None:
    """The most repeated value of ``x`` if it occurs ``min_count`` times."""
    values, counts = np.unique(x[np.isfinite(x)], return_counts=True)
    if counts.size == 0 or counts.max() < min_count:
        return None
    return float(values[np.argmax(counts)])


def _within_bin(count, vmin, vmax, at_min, at_max, r):
    """The ``r``-th smallest value of a bin (``0 < r <= count``) and the sum of
    its ``r`` smallest values: ``at_min`` values sit at the minimum, ``at_max``
    at the maximum, the rest are taken as evenly spread in between.
    Works elementwise on arrays."""
    count, vmin, vmax, at_min, at_max, r = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (count, vmin, vmax, at_min, at_max, r)))
    point = vmin == vmax
    middle = np.where(point, 0.0, count - at_min - at_max)
    a = np.minimum(r, at_min)
    m = np.clip(r - at_min, 0.0, middle)
    b = np.maximum(r - at_min - middle, 0.0)
    width = np.where(point, 0.0, vmax - vmin)
    f = np.divide(m, middle, out=np.zeros_like(m), where=middle > 0)
    value = np.where(b > 0, vmax, vmin + f * width)
    total = a * vmin + m * (vmin + 0.5 * f * width) + b * vmax
    value = np.where(point, vmin, value)
    total = np.where(point, r * vmin, total)
    return value, total


def _bin_of_rank(count, cum, target):
    """Index of the first non-empty bin whose cumulative count reaches ``target``."""
    k = np.searchsorted(cum, target, side="left")
    nonempty = np.flatnonzero(count)
    return nonempty[np.clip(np.searchsorted(nonempty, k), 0, len(nonempty) - 1)]


def histogram_quantiles(count, vmin, vmax, at_min, at_max, q) -> np.ndarray:
    """Quantiles of one histogram: the value of rank ``q n``, located inside
    the bin where that rank falls (see :func:`_within_bin`)."""
    q = np.atleast_1d(np.asarray(q, dtype=float))
    n = count.sum()
    cum = np.cumsum(count)
    target = np.clip(q * n, 0.0, n)
    k = _bin_of_rank(count, cum, target)
    r = np.maximum(target - (cum[k] - count[k]), 1e-300)
    return _within_bin(count[k], vmin[k], vmax[k], at_min[k], at_max[k], r)[0]


def histogram_cvar(count, vmin, vmax, at_min, at_max, alpha: float) -> tuple[float, float]:
    """Mean of the worst ``alpha`` share and its standard error.

    The standard error uses the asymptotic variance of the estimator,
    Var((VaR - X)+) / (alpha^2 n), with bin means standing in for values.
    """
    n = count.sum()
    m = alpha * n
    cum = np.cumsum(count)
    k = int(_bin_of_rank(count, cum, np.array([m]))[0])
    seen = count > 0
    means = np.zeros(len(count))
    sums = _within_bin(count[seen], vmin[seen], vmax[seen], at_min[seen], at_max[seen], count[seen])[1]
    means[seen] = sums / count[seen]
    taken = m - (cum[k] - count[k])
    var_q, partial = (float(x) for x in _within_bin(count[k], vmin[k], vmax[k], at_min[k], at_max[k], taken))
    cvar = (float(np.sum(count[:k] * means[:k])) + partial) / m
    short = np.clip(var_q - means, 0.0, None)
    e1 = np.sum(count * short) / n
    e2 = np.sum(count * short**2) / n
    se = math.sqrt(max(e2 - e1 * e1, 0.0) / n) / alpha
    return float(cvar), float(se)
