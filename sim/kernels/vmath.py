"""Elementary functions that vectorize: exp, expm1, log, log1p and ndtri.

The kernels call ``math.exp`` and ``math.log``. On PyPI's llvmlite (no SVML)
those are calls into the C library, one element at a time, so a loop that
contains one never becomes SIMD code. The functions here are written in
plain jitted arithmetic with no branches and no calls (``a if c else b`` on
values that are always computed compiles to a select), so LLVM vectorizes a
loop ``for i in range(n): out[i] = vmath.exp(x[i])``.

Two small intrinsics make that possible: ``_as_int`` / ``_as_float``
reinterpret the 64 bits of a float64 as an int64 and back (an LLVM bitcast,
no instruction at all), which builds ``2**k`` and splits a float into
exponent and mantissa; ``_fma`` is LLVM's fused multiply-add, one vector
instruction on x86-64-v3 and arm64. A fused multiply-add is rounded once by
IEEE 754's definition, so results are the same on every machine, vectorized
or not. (Without FMA hardware LLVM calls the C library's ``fma``: the same
numbers, slowly and without SIMD.) Nothing uses fastmath, which would let
LLVM drop the NaN and infinity handling and reorder sums.

- ``exp``: ``x = k ln2 + r`` with ``|r| <= ln2 / 2`` (ln2 split in a high
  part with 32 significant bits and a low part, Cody and Waite, and the
  rounding error of ``r`` carried along), ``e**r - 1 - r`` by its Taylor
  series to degree 13 (truncation below 0.04 ulp), ``1 + r`` summed exactly,
  and ``2**k`` from the bits ``(k + 1023) << 52``. ``2**k`` is applied as
  two normal factors ``2**k1 * 2**k2``: k = 1024 (just below overflow) needs
  two, and a subnormal result (x below -708.4) comes from the last
  multiplication alone. Overflow (x > 709.78) gives inf, underflow
  (x < -745.13) 0, NaN stays NaN.
- ``expm1``: the same reduction; ``2**k (1 + r + c) - 1`` as the exact sum of
  ``2**k - 1`` and ``2**k r`` (Knuth's two-sum) plus the small ``2**k c``
  (for |k| > 53 the 1 moves to the small term), ``exp`` above 709, -1 below
  -40. Near 0 it is ``r + c`` with ``r = x``: small and subnormal x are exact.
- ``log``: ``x = 2**k (1 + f)`` with ``1 + f`` in [sqrt(1/2), sqrt(2)) read
  from the bits, then fdlibm's ``e_log.c``: ``s = f / (2 + f)`` and a
  minimax series in ``s**2``. Subnormal x are first scaled by 2**52. 0 gives
  -inf, negatives and NaN give NaN, inf gives inf.
- ``log1p``: fdlibm's ``s_log1p.c`` idea on the same code: ``u = 1 + x``;
  where ``u`` is in [sqrt(1/2), sqrt(2)), ``f`` is ``x`` itself (exact);
  elsewhere the rounding error of ``u``, ``(x - (u - 1)) / u``, is added
  among the small terms.
- ``ndtri``: the standard normal quantile with the AS241 (PPND16)
  coefficients of ``sim.kernels.sampling.inverse_cdf.ndtri``, but with the central
  and both tail rational functions always computed and one chosen (a single
  division), the polynomials by Horner's rule with fused multiply-adds, and
  ``log`` from here. p = 0 gives -inf, p = 1 inf, p outside [0, 1] or NaN
  gives NaN (the scalar function returns -inf below 0 and inf above 1).

Measured errors, in ulps (``|a - b| / spacing(|b|)``), on x86-64 (znver5):
against the exact values (mpmath), the maximum over about 850_000 random
and log-spaced points per function; against NumPy and SciPy, over the 1e6-odd
points of ``tests/kernels/test_vmath.py`` (random, log-spaced, every power of two,
the thresholds and their neighbours, the special values):

========  ==================================  ===============================
function  vs exact                            vs NumPy / SciPy
========  ==================================  ===============================
exp       0.77 (subnormal results; the two    1.0 (``np.exp``)
          roundings there)
expm1     0.82                                1.0 (``np.expm1``)
log       0.81                                1.0 (``np.log``)
log1p     0.80                                1.0 (``np.log1p``)
ndtri     5.3e-16 relative (3.6 ulp; the      1.04e-15 relative
          scalar AS241: 5.8e-16)              (``scipy.special.ndtri``)
========  ==================================  ===============================

NumPy's own exp and log are up to 1 ulp off the exact values here, hence its
column; so is scipy's ndtri (5.9e-16 relative). ``ndtri`` is within 1.03e-15
relative of the scalar AS241 (the two round differently; 62% of the points
agree bit for bit). Its exact errors are over 5000 points, p down to 1e-323.

See ``benchmarks/VMATH.md`` for the speed.
"""

from __future__ import annotations

import math

from numba import types
from numba.extending import intrinsic

from sim.kernels.jit import jit_inline

__all__ = ["exp", "expm1", "log", "log1p", "ndtri"]


# ------------------------------------------------------------------ intrinsics
@intrinsic
def _as_int(typingctx, x):
    """The bits of a float64 as an int64 (no instruction: an LLVM bitcast)."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))

    return types.int64(types.float64), codegen


@intrinsic
def _as_float(typingctx, i):
    """The float64 whose bits are the int64 ``i``."""
    if i != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return types.float64(types.int64), codegen


@intrinsic
def _fma(typingctx, a, b, c):
    """``a * b + c`` rounded once (LLVM's ``llvm.fma.f64``)."""
    if not (a == b == c == types.float64):
        return None

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return types.float64(types.float64, types.float64, types.float64), codegen


# ------------------------------------------------------------------ constants
#: 1.5 * 2**52: adding it rounds a float of magnitude below 2**51 to an
#: integer, which then sits in the low bits of the sum.
_SHIFT = 6755399441055744.0
_SHIFT_BITS = 0x4338000000000000
_INV_LN2 = 1.4426950408889634
#: ln2 = _LN2_HI + _LN2_LO; _LN2_HI has 32 significant bits, so k * _LN2_HI
#: is exact for |k| < 2**21 (fdlibm's split).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
#: Largest x with exp(x) finite is 709.782712893384; exp of anything at or
#: above 710 overflows and of anything at or below -746 underflows to 0, so
#: clamping there keeps k in [-1076, 1024] without changing a result.
_EXP_HI = 710.0
_EXP_LO = -746.0
#: Smallest normal float64 and 2**52 (subnormal inputs of log).
_TINY = 2.2250738585072014e-308
_TWO52 = 4503599627370496.0
#: Bits of sqrt(1/2): mantissas are taken in [sqrt(1/2), sqrt(2)).
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD
#: fdlibm e_log.c: log(1 + f) = 2 s + s R(s**2), s = f / (2 + f), |s| <= 0.1716.
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01


# ------------------------------------------------------------------ exp
@jit_inline
def _pow2(k):
    """2**k for an int64 k in [-1022, 1023] (garbage outside: select it away)."""
    return _as_float((k + 1023) << 52)


@jit_inline
def _exp_reduce(x):
    """``(k, k1, k2, r, c)`` with ``e**x = 2**k (1 + r + c)``: ``x = k ln2 + r
    + dr`` with ``|r| <= ln2 / 2`` and ``dr`` the rounding error of ``r``, and
    ``c = e**(r + dr) - 1 - r``, a small correction. ``k = k1 + k2`` is split
    so that ``2**k1`` and ``2**k2`` are both normal. ``x`` is first clamped to
    [-746, 710], which changes no result."""
    xc = x if x > _EXP_LO else _EXP_LO
    xc = xc if xc < _EXP_HI else _EXP_HI
    t = _fma(xc, _INV_LN2, _SHIFT)            # round(x / ln2) + 1.5 * 2**52
    kf = t - _SHIFT
    hi = _fma(-kf, _LN2_HI, xc)               # exact
    r = _fma(-kf, _LN2_LO, hi)
    dr = _fma(-kf, _LN2_LO, hi - r)           # the rounding error of r
    k = _as_int(t) - _SHIFT_BITS
    k1 = _as_int(_fma(kf, 0.5, _SHIFT)) - _SHIFT_BITS
    k2 = k - k1
    # e**r - 1 = r + r**2 (1/2! + r/3! + ... + r**11/13!); e**(r + dr) adds dr (1 + r)
    q = 1.6059043836821613e-10
    q = _fma(q, r, 2.08767569878681e-09)
    q = _fma(q, r, 2.505210838544172e-08)
    q = _fma(q, r, 2.755731922398589e-07)
    q = _fma(q, r, 2.7557319223985893e-06)
    q = _fma(q, r, 2.48015873015873e-05)
    q = _fma(q, r, 1.984126984126984e-04)
    q = _fma(q, r, 1.388888888888889e-03)
    q = _fma(q, r, 8.333333333333333e-03)
    q = _fma(q, r, 4.1666666666666664e-02)
    q = _fma(q, r, 1.6666666666666666e-01)
    q = _fma(q, r, 0.5)
    c = _fma(r * r, q, _fma(dr, r, dr))
    return k, k1, k2, r, c


@jit_inline
def _two_sum(a, b):
    """``(s, e)`` with ``s = fl(a + b)`` and ``s + e = a + b`` exactly (Knuth)."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


@jit_inline
def _exp_join(k1, k2, r, c):
    """``2**(k1 + k2) (1 + r + c)`` (``1 + r`` summed exactly)."""
    h = 1.0 + r
    lo = (1.0 - h) + r                         # exact: |r| < 1
    return (h + (lo + c)) * _pow2(k1) * _pow2(k2)


@jit_inline
def exp(x):
    """e**x, for every float64 x (within 0.77 ulp measured)."""
    k, k1, k2, r, c = _exp_reduce(x)
    y = _exp_join(k1, k2, r, c)
    return y if x == x else x


@jit_inline
def expm1(x):
    """e**x - 1, for every float64 x, accurate near 0 (within 0.82 ulp measured)."""
    k, k1, k2, r, c = _exp_reduce(x)
    s = _pow2(k)                               # valid for x in [-40, 709]
    # 2**k (1 + r + c) - 1 = (a + s r) + (s c + b): a + s r summed exactly
    a = s - 1.0                                # exact for |k| <= 53
    b = 0.0
    a = s if k > 53 else a
    b = -1.0 if k > 53 else b
    a = -1.0 if k < -53 else a
    b = s if k < -53 else b
    h, e = _two_sum(a, s * r)
    y = h + (e + _fma(s, c, b))
    big = _exp_join(k1, k2, r, c)
    y = big if x > 709.0 else y
    y = -1.0 if x < -40.0 else y
    y = x if x == 0.0 else y                   # -0 stays -0
    return y if x == x else x


# ------------------------------------------------------------------ log
@jit_inline
def _log_split(x):
    """``(k, f)`` with ``x = 2**k (1 + f)`` and ``1 + f`` in [sqrt(1/2), sqrt(2)),
    for finite ``x > 0`` (subnormals included); ``k`` is returned as a float."""
    sub = x < _TINY                            # subnormal (or 0, or negative)
    xs = x * _TWO52 if sub else x
    ix = _as_int(xs)
    k = (ix - _SQRT_HALF_BITS) >> 52
    f = _as_float(ix - (k << 52)) - 1.0        # exact
    k = k - 52 if sub else k
    return _as_float(k + _SHIFT_BITS) - _SHIFT, f    # float(k) without an int-to-float conversion


@jit_inline
def _log_join(dk, f, c):
    """``k ln2 + log(1 + f) + c`` for ``1 + f`` in [sqrt(1/2), sqrt(2)) and a
    small correction ``c`` (fdlibm's e_log.c and s_log1p.c)."""
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * _fma(w, _fma(w, _LG6, _LG4), _LG2)
    t2 = z * _fma(w, _fma(w, _fma(w, _LG7, _LG5), _LG3), _LG1)
    big = t2 + t1
    hfsq = 0.5 * f * f
    return dk * _LN2_HI - ((hfsq - (s * (hfsq + big) + (dk * _LN2_LO + c))) - f)


@jit_inline
def log(x):
    """Natural logarithm, for every float64 x (within 0.81 ulp measured)."""
    dk, f = _log_split(x)
    y = _log_join(dk, f, 0.0)
    y = math.inf if x == math.inf else y
    y = -math.inf if x == 0.0 else y
    y = math.nan if x < 0.0 else y
    return y if x == x else x


@jit_inline
def log1p(x):
    """log(1 + x), for every float64 x, accurate near 0 (within 0.80 ulp measured)."""
    u = 1.0 + x
    dk, f = _log_split(u)
    # u = 2**k (1 + f): for k = 0, f is x itself (exact); otherwise add the
    # rounding error of u, relative to u (first order; its square is < 2**-106)
    near = dk == 0.0
    c = (x - (u - 1.0)) / u
    f = x if near else f
    c = 0.0 if near else c
    y = _log_join(dk, f, c)
    y = x if x == math.inf else y
    y = -math.inf if u == 0.0 else y
    y = math.nan if u < 0.0 else y
    y = x if x == 0.0 else y                   # -0 stays -0
    return y if x == x else x


# ------------------------------------------------------------------ ndtri
@jit_inline
def _horner7(r, c7, c6, c5, c4, c3, c2, c1, c0):
    """``c7 r**7 + c6 r**6 + ... + c0`` by Horner's rule with fused multiply-adds."""
    y = _fma(c7, r, c6)
    y = _fma(y, r, c5)
    y = _fma(y, r, c4)
    y = _fma(y, r, c3)
    y = _fma(y, r, c2)
    y = _fma(y, r, c1)
    return _fma(y, r, c0)


@jit_inline
def ndtri(p):
    """Standard normal quantile (AS241), ~1e-16 relative, branch-free."""
    q = p - 0.5
    r = 0.180625 - q * q
    num_c = _horner7(r, 2509.0809287301226727, 33430.575583588128105,
                     67265.770927008700853, 45921.953931549871457,
                     13731.693765509461125, 1971.5909503065514427,
                     133.14166789178437745, 3.387132872796366608)
    den_c = _horner7(r, 5226.495278852545925, 28729.085735721942674,
                     39307.89580009271061, 21213.794301586595867,
                     5394.1960214247511077, 687.1870074920579083,
                     42.313330701600911252, 1.0)
    tail = p if q < 0.0 else 1.0 - p
    t = math.sqrt(-log(tail))
    r = t - 1.6
    num_1 = _horner7(r, 7.7454501427834140764e-4, 0.0227238449892691845833,
                     0.24178072517745061177, 1.27045825245236838258,
                     3.64784832476320460504, 5.7694972214606914055,
                     4.6303378461565452959, 1.42343711074968357734)
    den_1 = _horner7(r, 1.05075007164441684324e-9, 5.475938084995344946e-4,
                     0.0151986665636164571966, 0.14810397642748007459,
                     0.68976733498510000455, 1.6763848301838038494,
                     2.05319162663775882187, 1.0)
    r = t - 5.0
    num_2 = _horner7(r, 2.01033439929228813265e-7, 2.71155556874348757815e-5,
                     0.0012426609473880784386, 0.026532189526576123093,
                     0.29656057182850489123, 1.7848265399172913358,
                     5.4637849111641143699, 6.6579046435011037772)
    den_2 = _horner7(r, 2.04426310338993978564e-15, 1.4215117583164458887e-7,
                     1.8463183175100546818e-5, 7.868691311456132591e-4,
                     0.0148753612908506148525, 0.13692988092273580531,
                     0.59983220655588793769, 1.0)
    near = t <= 5.0
    num = num_1 if near else num_2
    den = den_1 if near else den_2
    num = -num if q < 0.0 else num             # -(n / d) == (-n) / d exactly
    central = abs(q) <= 0.425
    num = q * num_c if central else num
    den = den_c if central else den
    z = num / den
    z = (-math.inf if q < 0.0 else math.inf) if tail <= 0.0 else z
    z = math.nan if p < 0.0 else z
    z = math.nan if p > 1.0 else z
    return z if p == p else p
