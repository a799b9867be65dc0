"""Jitted accumulators: moments per block and the histogram sketch's bins.

The Python half (turning merged bins into quantiles and CVaR) is
:mod:`sim.engine.sketch`.

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
  thousandth of it (near total loss) to thousands of times it. The numbers
  of a bin sit side by side in 32 bytes, so an update touches one cache line.
  Quantiles interpolate between the observed minimum and maximum of a bin, which makes a bin holding
  a single repeated value (ROI = -1 for a size withdrawn in every year) exact.
"""

from __future__ import annotations

__all__ = ["BLOCK", "LANE_AT_MAX", "LANE_AT_MIN", "LANE_FIELDS", "LANE_LIMIT", "N_BINS", "PILOT",
           "PREFETCH_AHEAD", "SCALE", "coordinate", "histogram_add", "histogram_add_all",
           "histogram_bin", "histogram_bins", "lane_sums", "merge_blocks",
           "merge_blocks_by_replicate", "merge_histograms", "merge_moments", "pseudo_log"]

import math

import numpy as np

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from sim.kernels.jit import jit, jit_inline
from sim.kernels.vmath import _as_float, _as_int
from sim.vocab.layout import BLOCK, LANES, PILOT

N_BINS = 4096  # histogram bins inside the pilot range (plus 2 overflow bins)


# Fields of one bin of the merged histograms (what sim.engine.sketch reads,
# checkpoints keep and chunks send): the count, the minimum and maximum, and
# how many values equal each.
COUNT, MIN, MAX, AT_MIN, AT_MAX = range(5)
N_FIELDS = 5

# A thread's lane, which the kernels update, keeps the same numbers in 32
# bytes: COUNT, MIN and MAX as float64, then the counts at the minimum and at
# the maximum as two int32 (numbers LANE_AT_MIN and LANE_AT_MAX of the bin
# seen as eight int32). Two bins then fill a cache line, where a 40-byte bin
# straddled two lines in 3 updates of 8 (the lanes are 64-byte aligned).
LANE_FIELDS = 4
LANE_AT_MIN, LANE_AT_MAX = 6, 7
#: Scenarios a lane may count before it must be folded into merged bins (a
#: multiple of BLOCK, below the int32 counts' 2**31).
LANE_LIMIT = 2 ** 30


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


#: Histogram coordinate: pseudo_log((1 + ROI) * SCALE). 1 + ROI = NPV / I, so
#: returns are resolved as multiples of the investment (relatively), down to
#: 1/SCALE of it, where the coordinate turns linear (through the atom at -1).
SCALE = 1000.0


@jit
def coordinate(x):
    return pseudo_log((1.0 + x) * SCALE)


@jit
def histogram_bin(x, lo, inv_width, offset, scale, n_bins):
    """Bin of ``x`` in coordinate ``pseudo_log((x + offset) * scale)``: 0 below
    the range, ``n_bins + 1`` above it."""
    y = (pseudo_log((x + offset) * scale) - lo) * inv_width
    if not y >= 0.0:  # also catches nan
        return 0
    if y >= n_bins:
        return n_bins + 1
    return int(y) + 1


_MANTISSA = 0x000FFFFFFFFFFFFF
_HALF_EXPONENT = 0x3FE0000000000000  # the bits of 0.5


@jit_inline
def _pseudo_log_select(x):
    """:func:`pseudo_log` without branches or calls, bit for bit: ``frexp``
    from the bits (``|x| > 2`` is normal or infinite), then selects."""
    ax = abs(x)
    bits = _as_int(ax)
    e = (bits >> 52) - 1022                  # frexp's exponent: ax = m 2**e, m in [0.5, 1)
    mant = _as_float((bits & _MANTISSA) | _HALF_EXPONENT)
    y = e + 2.0 * mant - 1.0
    y = math.inf if ax == math.inf else y
    y = -y if x < 0.0 else y
    y = x if ax <= 2.0 else y
    return y if x == x else x


@jit
def histogram_bins(x, m, lo, inv_width, offset, scale, n_bins, out):
    """``out[i] = histogram_bin(x[i], ...)`` for ``i < m``, in one SIMD loop."""
    top = float(n_bins)
    for i in range(m):
        y = (_pseudo_log_select((x[i] + offset) * scale) - lo) * inv_width
        yc = min(max(y, 0.0), top)
        k = int(yc) + 1
        k = n_bins + 1 if y >= top else k
        out[i] = k if y >= 0.0 else 0


@jit
def histogram_add(lane, at, k, x):
    """Count ``x`` into bin ``k`` of one histogram of a lane: ``lane[k]``
    holds count, min and max, and ``at = lane.view(np.int32)`` (made once per
    histogram: a view per update costs more than the update) the counts at
    the min and at the max, ``at[k, LANE_AT_MIN]`` and ``at[k, LANE_AT_MAX]``.

    Selects, not branches: whether ``x`` is a new minimum of its bin is a
    coin toss while the bin fills, and the mispredicted branches cost more
    than the whole update (450 against 150 ns per scenario for the 45
    histograms of the v1 workload). NaN changes nothing but the count."""
    mn = lane[k, MIN]
    mx = lane[k, MAX]
    at_min = at[k, LANE_AT_MIN]
    at_max = at[k, LANE_AT_MAX]
    lane[k, COUNT] += 1.0
    at[k, LANE_AT_MIN] = 1 if x < mn else (at_min + 1 if x == mn else at_min)
    lane[k, MIN] = x if x < mn else mn
    at[k, LANE_AT_MAX] = 1 if x > mx else (at_max + 1 if x == mx else at_max)
    lane[k, MAX] = x if x > mx else mx


#: How many values ahead :func:`histogram_add_all` asks for the bin it will
#: update: 16 and 32 ran the baseline 3-8% faster than none (best of 7-9
#: runs, one thread), 8 and fetching every bin of the sub-block first 2-4%.
PREFETCH_AHEAD = 16


@intrinsic
def _prefetch_bin(typingctx, lane, k):
    """Ask the CPU to bring bin ``k`` of ``lane`` (2-D, C order) into its
    cache for writing (LLVM's ``llvm.prefetch``): a hint, which changes no
    value and is dropped on a machine without such an instruction."""
    if not (isinstance(lane, types.Array) and lane.ndim == 2 and isinstance(k, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        lane_type = signature.args[0]
        array = context.make_array(lane_type)(context, builder, args[0])
        index = context.cast(builder, args[1], signature.args[1], types.intp)
        pointer = cgutils.get_item_pointer(context, builder, lane_type, array,
                                           [index, context.get_constant(types.intp, 0)])
        byte_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        prefetch = builder.module.declare_intrinsic(
            "llvm.prefetch", fnty=ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]))
        # write, high locality (keep it in every level of the cache), data
        builder.call(prefetch, [builder.bitcast(pointer, byte_pointer), i32(1), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(lane, k), codegen


@jit
def histogram_add_all(lane, at, bins, x, m):
    """Count ``x[i]`` into bin ``bins[i]`` of one histogram of a lane, for
    ``i < m`` (:func:`histogram_add`), asking for the bin
    :data:`PREFETCH_AHEAD` values ahead as it goes.

    A thread's lanes hold every histogram of the run (6.7 MB for the
    baseline's 51) against a core's 1-2 MB of L2 cache, so most updates wait
    for a bin from L3: with a quarter of the bins the histograms took half
    the time (``docs/performance.md``). Asking early lets a few such waits
    overlap. The updates, and so the counts and extremes, are the same."""
    last = m - 1
    for i in range(m):
        _prefetch_bin(lane, bins[min(i + PREFETCH_AHEAD, last)])
        histogram_add(lane, at, bins[i], x[i])


@jit
def lane_sums(x, m, c, a1, a2):
    """Add ``x[i] - c`` and its square to lane ``i % LANES`` of ``a1`` and
    ``a2``, for ``i < m``, in increasing ``i`` within each lane.

    The same additions in the same order as one pass over ``i``, so the same
    bits; but four values per lane at a time, so each lane's running sums
    stay in registers instead of being loaded and stored once per scenario
    (the loop over lanes is the SIMD one): 50 against 200 ns per scenario
    for the 310 moments of the v1 workload."""
    step = 4 * LANES
    full = m - m % step
    for c0 in range(0, full, step):
        for q in range(LANES):
            d0 = x[c0 + q] - c
            d1 = x[c0 + LANES + q] - c
            d2 = x[c0 + 2 * LANES + q] - c
            d3 = x[c0 + 3 * LANES + q] - c
            a1[q] = (((a1[q] + d0) + d1) + d2) + d3
            a2[q] = (((a2[q] + d0 * d0) + d1 * d1) + d2 * d2) + d3 * d3
    for c0 in range(full, m, LANES):
        count = min(LANES, m - c0)
        for q in range(count):
            d = x[c0 + q] - c
            a1[q] += d
            a2[q] += d * d


@jit
def merge_histograms(total, lanes):
    """Fold histogram lanes ``lanes[lane, h, bin]`` into ``total[h, bin]``.

    ``lanes`` are either the kernels' lanes (:data:`LANE_FIELDS` numbers a
    bin, the counts at the extremes as int32) or merged histograms
    (:data:`N_FIELDS`); ``total`` is merged. Counts add (exact integers in
    float64), minima and maxima are the smallest and largest seen, and the
    counts at them add where a lane's extreme equals the total's: every
    field is exact, so lanes and chunks may arrive in any order and the
    result is the same.

    Bins are indexed in place (``src[i, MIN]``), not taken as a view each
    (``lanes[lane, h, i]``): building two views per bin cost most of the
    time (baseline, 55 histograms of 4,098 bins: 5 against 0.8 ms per chunk).
    """
    packed = lanes.shape[3] == LANE_FIELDS
    for lane in range(lanes.shape[0]):
        for h in range(lanes.shape[1]):
            src = lanes[lane, h]
            at = src.view(np.int32)  # a lane's int32 counts (when packed)
            dst = total[h]
            for i in range(src.shape[0]):
                count = src[i, COUNT]
                if count == 0.0:
                    continue
                if packed:
                    s_at_min, s_at_max = float(at[i, LANE_AT_MIN]), float(at[i, LANE_AT_MAX])
                else:
                    s_at_min, s_at_max = src[i, AT_MIN], src[i, AT_MAX]
                dst[i, COUNT] += count
                s_min, d_min = src[i, MIN], dst[i, MIN]
                if s_min < d_min:
                    dst[i, MIN] = s_min
                    dst[i, AT_MIN] = s_at_min
                elif s_min == d_min:
                    dst[i, AT_MIN] += s_at_min
                s_max, d_max = src[i, MAX], dst[i, MAX]
                if s_max > d_max:
                    dst[i, MAX] = s_max
                    dst[i, AT_MAX] = s_at_max
                elif s_max == d_max:
                    dst[i, AT_MAX] += s_at_max


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
