"""Streaming reductions: moments per block and a fine histogram sketch.

Both are built so that the result depends only on the scenarios, not on how
they were split among chunks and threads:

* Moments are summed within fixed blocks of :data:`BLOCK` scenarios (block
  ``b`` always holds scenarios ``b*BLOCK ... (b+1)*BLOCK-1``) and the blocks
  are merged in block order with Chan et al.'s pairwise update.
* The histogram keeps integer counts and per-bin minima and maxima, which are
  exact whatever the order of updates. Bins are uniform in
  ``pseudo_log(1000 (1 + ROI))`` (``pseudo_log(z)`` is ``z`` for ``|z| <= 2``
  and a piecewise-linear ``log2`` beyond: no transcendental call) over the
  range seen in a pilot of the first scenarios. Since ``1 + ROI = NPV / I``,
  returns are resolved relatively as multiples of the investment, from a
  thousandth of it (near total loss) to thousands of times it. The five numbers of a bin sit side by side, so an update touches one
  cache line. Quantiles interpolate
  between the observed minimum and maximum of a bin, which makes a bin holding
  a single repeated value (ROI = -1 for a size withdrawn in every year) exact.
"""

from __future__ import annotations

import math

import numpy as np

from .jit import jit

BLOCK = 4096  # scenarios per moment block: fixed, part of the result's definition
N_BINS = 4096  # histogram bins inside the pilot range (plus 2 overflow bins)
PILOT = 16384  # scenarios that set the histogram ranges


# Fields of one histogram bin.
COUNT, MIN, MAX, AT_MIN, AT_MAX = range(5)
N_FIELDS = 5


@jit
def pseudo_log(x):
    """Monotone, continuous and cheap: ``x`` for ``|x| <= 2``, else
    ``sign(x) (e + 2 m - 1)`` for ``|x| = m 2**e``, ``m`` in [0.5, 1)."""
    ax = abs(x)
    if ax <= 2.0:
        return x
    m, e = math.frexp(ax)
    y = e + 2.0 * m - 1.0
    return -y if x < 0.0 else y


def pseudo_log_np(x: np.ndarray) -> np.ndarray:
    """NumPy twin of :func:`pseudo_log` (the same operations, bit for bit)."""
    x = np.asarray(x, dtype=float)
    m, e = np.frexp(np.abs(x))
    y = e + 2.0 * m - 1.0
    return np.where(np.abs(x) <= 2.0, x, np.where(x < 0.0, -y, y))


#: Histogram coordinate: pseudo_log((1 + ROI) * SCALE). 1 + ROI = NPV / I, so
#: returns are resolved as multiples of the investment (relatively), down to
#: 1/SCALE of it, where the coordinate turns linear (through the atom at -1).
SCALE = 1000.0


@jit
def coordinate(x):
    return pseudo_log((1.0 + x) * SCALE)


def coordinate_np(x):
    return pseudo_log_np((1.0 + np.asarray(x, dtype=float)) * SCALE)


@jit
def histogram_bin(x, lo, inv_width, n_bins):
    """Bin of ``x``: 0 below the range, ``n_bins + 1`` above it."""
    y = (coordinate(x) - lo) * inv_width
    if not y >= 0.0:  # also catches nan
        return 0
    if y >= n_bins:
        return n_bins + 1
    return int(y) + 1


@jit
def histogram_add(bins, x):
    """Count ``x`` into one bin ``bins[0:5]`` (count, min, max, at_min, at_max)."""
    bins[COUNT] += 1.0
    if x < bins[MIN]:
        bins[MIN] = x
        bins[AT_MIN] = 1.0
    elif x == bins[MIN]:
        bins[AT_MIN] += 1.0
    if x > bins[MAX]:
        bins[MAX] = x
        bins[AT_MAX] = 1.0
    elif x == bins[MAX]:
        bins[AT_MAX] += 1.0


@jit
def merge_moments(n_a, mean_a, m2_a, n_b, mean_b, m2_b):
    """Chan et al.'s update: combine (count, mean, M2) of two samples."""
    n = n_a + n_b
    if n_b == 0:
        return n, mean_a, m2_a
    if n_a == 0:
        return n, mean_b, m2_b
    delta = mean_b - mean_a
    mean = mean_a + delta * (n_b / n)
    m2 = m2_a + m2_b + delta * delta * (n_a * (n_b / n))
    return n, mean, m2


@jit
def merge_blocks(total_n, total_mean, total_m2, block_n, block_mean, block_m2, n_blocks):
    """Fold ``n_blocks`` block moments into the running totals, in block order."""
    n = total_n[0]
    for b in range(n_blocks):
        nb = block_n[b]
        for j in range(total_mean.shape[0]):
            for k in range(total_mean.shape[1]):
                _, mean, m2 = merge_moments(n, total_mean[j, k], total_m2[j, k],
                                            nb, block_mean[b, j, k], block_m2[b, j, k])
                total_mean[j, k] = mean
                total_m2[j, k] = m2
        n += nb
    total_n[0] = n


@jit
def merge_blocks_by_replicate(rep_n, rep_mean, rep_m2, block_n, block_mean, block_m2,
                              first_block, n_blocks):
    """Fold block moments into per-replicate totals (block ``b`` belongs to
    replicate ``b % R``), in block order."""
    R = rep_n.shape[0]
    for b in range(n_blocks):
        r = (first_block + b) % R
        nb = block_n[b]
        for j in range(rep_mean.shape[1]):
            for k in range(rep_mean.shape[2]):
                _, mean, m2 = merge_moments(rep_n[r], rep_mean[r, j, k], rep_m2[r, j, k],
                                            nb, block_mean[b, j, k], block_m2[b, j, k])
                rep_mean[r, j, k] = mean
                rep_m2[r, j, k] = m2
        rep_n[r] += nb


class Histograms:
    """Per-lane histograms of ``n_hist`` variables, merged at the end.

    ``data[lane, h, bin]`` holds count, minimum, maximum, and how many values
    equal the minimum and the maximum (counts as exact float64 integers); all
    are exact whatever the order of updates.
    """

    def __init__(self, lo: np.ndarray, hi: np.ndarray, n_lanes: int, n_bins: int = N_BINS):
        self.lo = np.asarray(lo, dtype=float)
        self.hi = np.asarray(hi, dtype=float)
        self.n_bins = n_bins
        self.inv_width = n_bins / (self.hi - self.lo)
        self.data = np.zeros((n_lanes, len(self.lo), n_bins + 2, N_FIELDS))
        self.data[..., MIN] = np.inf
        self.data[..., MAX] = -np.inf

    @classmethod
    def from_pilot(cls, values: np.ndarray, n_lanes: int, n_bins: int = N_BINS) -> "Histograms":
        """Ranges in pseudo-log space from pilot values of shape (n, n_hist).

        Where the pilot shows a value repeated in at least 0.1% of scenarios
        (an atom, such as ROI = -1 exactly for a size never served), a bin
        edge is put exactly there: the atom is then the minimum or maximum of
        its bin, whose exact counts keep its quantiles exact.
        """
        y = coordinate_np(values)
        lo = np.nanmin(y, axis=0)
        hi = np.nanmax(y, axis=0)
        pad = np.maximum(0.01 * (hi - lo), 1e-9 * np.maximum(1.0, np.abs(hi)))
        lo, hi = lo - pad, hi + pad
        for h in range(values.shape[1]):
            atom = _most_frequent(values[:, h], min_count=max(2, values.shape[0] // 1000))
            if atom is not None:
                width = (hi[h] - lo[h]) / n_bins
                y_atom = float(coordinate_np(atom))
                lo[h] = y_atom - math.ceil((y_atom - lo[h]) / width) * width
                hi[h] = lo[h] + n_bins * width
        return cls(lo, hi, n_lanes, n_bins)

    def ensure_lanes(self, n_lanes: int) -> None:
        """Grow to at least ``n_lanes`` lanes (a kernel indexes them by its
        thread id, which must never run past the array)."""
        missing = n_lanes - self.data.shape[0]
        if missing > 0:
            extra = np.zeros((missing,) + self.data.shape[1:])
            extra[..., MIN] = np.inf
            extra[..., MAX] = -np.inf
            self.data = np.concatenate([self.data, extra])

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
