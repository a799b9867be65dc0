"""Inverse CDFs evaluated inside the kernels: uniforms in, parameter draws out.

Every sampled parameter is drawn by inversion, ``x = F^-1(u)``, so that one
uniform per dimension fully determines a draw. That is what lets common random
numbers, truncation (``u -> F(min) + u (F(max) - F(min))``) and, later,
stratified or quasi-random designs and copulas work for every family alike.

Families without a closed-form quantile (beta, PERT) use a table built with
SciPy: the quantile as a function of ``t = Phi^-1(u)`` on a uniform grid, with
cubic Hermite interpolation. In ``t`` the quantile is smooth even where it is
singular in ``u`` (near 0 and 1), so the error stays near 1e-10 everywhere
(``tests/scenario/test_distributions.py`` checks it against ``scipy.stats``).
"""

from __future__ import annotations

import math

from sim.kernels import vmath
from sim.kernels.jit import jit

__all__ = ["inverse_cdf", "ndtri"]

# Family codes stored in the kernel's per-dimension plan.
NORMAL = 0
LOGNORMAL = 1
UNIFORM = 2
TRIANGULAR = 3
TABLE = 4  # tabulated quantile in t = ndtri(u) space (beta, PERT)
POISSON = 5
BERNOULLI = 6
CHOICE = 7

#: Half-width of the t grid of tabulated quantiles (covers u down to 2**-60).
TABLE_T_MAX = 8.5
#: Cells of the t grid.
TABLE_CELLS = 2048


@jit
def ndtri(p):
    """Standard normal quantile, Wichura's AS241 (PPND16), ~1e-16 relative."""
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        num = (((((((2509.0809287301226727 * r + 33430.575583588128105) * r
                    + 67265.770927008700853) * r + 45921.953931549871457) * r
                  + 13731.693765509461125) * r + 1971.5909503065514427) * r
                + 133.14166789178437745) * r + 3.387132872796366608)
        den = (((((((5226.495278852545925 * r + 28729.085735721942674) * r
                    + 39307.89580009271061) * r + 21213.794301586595867) * r
                  + 5394.1960214247511077) * r + 687.1870074920579083) * r
                + 42.313330701600911252) * r + 1.0)
        return q * num / den
    if q < 0.0:
        r = p
    else:
        r = 1.0 - p
    if r <= 0.0:
        return -math.inf if q < 0.0 else math.inf
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r = r - 1.6
        num = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r
                    + 0.24178072517745061177) * r + 1.27045825245236838258) * r
                  + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734)
        den = (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r
                    + 0.0151986665636164571966) * r + 0.14810397642748007459) * r
                  + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                + 2.05319162663775882187) * r + 1.0)
    else:
        r = r - 5.0
        num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                    + 0.0012426609473880784386) * r + 0.026532189526576123093) * r
                  + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772)
        den = (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r
                    + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r
                  + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                + 0.59983220655588793769) * r + 1.0)
    z = num / den
    return -z if q < 0.0 else z


@jit
def table_quantile(t, table, offset):
    """Cubic Hermite interpolation of a tabulated quantile at ``t``.

    ``table[offset + 2 i]`` holds the quantile at node ``i`` and
    ``table[offset + 2 i + 1]`` its derivative with respect to ``t``.
    """
    h = 2.0 * TABLE_T_MAX / TABLE_CELLS
    x = (t + TABLE_T_MAX) / h
    if x <= 0.0:
        return table[offset]
    if x >= TABLE_CELLS:
        return table[offset + 2 * TABLE_CELLS]
    i = int(x)
    s = x - i
    j = offset + 2 * i
    y0 = table[j]
    d0 = table[j + 1] * h
    y1 = table[j + 2]
    d1 = table[j + 3] * h
    s2 = s * s
    s3 = s2 * s
    return ((2.0 * s3 - 3.0 * s2 + 1.0) * y0 + (s3 - 2.0 * s2 + s) * d0
            + (-2.0 * s3 + 3.0 * s2) * y1 + (s3 - s2) * d1)


@jit
def discrete_quantile(u, table, offset, n):
    """Smallest ``k`` with ``CDF[k] >= u``; ``table[offset:offset+n]`` is the
    CDF and ``table[offset+n:offset+2n]`` a guide table of start indices."""
    g = int(u * n)
    if g >= n:
        g = n - 1
    k = int(table[offset + n + g])
    while k < n - 1 and table[offset + k] < u:
        k += 1
    return k


@jit
def inverse_cdf(family, p0, p1, p2, lo, span, table, offset, n_table, u):
    """Draw of one parameter from its uniform ``u``.

    ``p0, p1, p2`` are the family's numbers (see ``Distribution.encode``);
    ``lo`` and ``span`` map ``u`` into the truncated part of the CDF,
    ``[F(min), F(max)]``. Scalars only, so the call inlines cheaply.
    """
    v = lo + span * u
    if family == NORMAL:
        return p0 + p1 * vmath.ndtri(v)
    if family == LOGNORMAL:
        return vmath.exp(p0 + p1 * vmath.ndtri(v))
    if family == UNIFORM:
        return p0 + p1 * v
    if family == TRIANGULAR:
        # p0, p1, p2: low, high - low, (mode - low) / (high - low)
        if v < p2:
            return p0 + p1 * math.sqrt(v * p2)
        return p0 + p1 * (1.0 - math.sqrt((1.0 - v) * (1.0 - p2)))
    if family == TABLE:
        return p0 + p1 * table_quantile(vmath.ndtri(v), table, offset)
    if family == POISSON:
        return p0 + discrete_quantile(v, table, offset, n_table)
    if family == BERNOULLI:
        return 1.0 if v > 1.0 - p0 else 0.0
    if family == CHOICE:
        k = discrete_quantile(v, table, offset, n_table)
        return table[offset + 2 * n_table + k]
    return math.nan


@jit
def inverse_cdf_many(family, par, lo, span, table, offset, n_table, u, out):
    """Vectorised ``inverse_cdf`` for tests and validation."""
    for i in range(u.shape[0]):
        out[i] = inverse_cdf(family, par[0], par[1], par[2], lo, span, table, offset,
                             n_table, u[i])
