"""A block of scenarios' uniforms and parameters at once, structure of arrays.

``U[d, i]`` is uniform ``d`` of scenario ``first + i`` and ``TH[p, i]``
parameter ``p`` of it, for ``i < m``: every loop here runs over ``i``
innermost with the family, the design and the dimension fixed outside it, so
LLVM turns it into SIMD code (SplitMix64 in packed 64-bit integer
arithmetic, :mod:`sim.kernels.vmath`'s ``ndtri`` and ``exp``, selects for the
branches). The numbers are those of :func:`sim.kernels.sampling.draw.draw_design_scenario`
and :func:`sim.kernels.sampling.draw.fill_extra_uniforms` scenario by scenario, bit
for bit (``tests/kernels/test_simd.py``): the same generator counters, the same
arithmetic in the same order. Designs other than independent uniforms, the
copula and the discrete families run their scalar code per scenario.
"""

from __future__ import annotations

import math

import numpy as np

from sim.kernels import vmath
from sim.kernels.jit import jit, jit_inline_ir
from sim.kernels.sampling.design_kernels import RANDOM, fill_design_uniforms
from sim.kernels.sampling.draw import _EXTRA_SALT, apply_copula
from sim.kernels.sampling.inverse_cdf import (
    BERNOULLI,
    CHOICE,
    LOGNORMAL,
    NORMAL,
    POISSON,
    TABLE,
    TABLE_CELLS,
    TABLE_T_MAX,
    TRIANGULAR,
    UNIFORM,
    discrete_quantile,
)
from sim.kernels.sampling.rng import mix64, uniform

__all__ = ["draw_block", "extra_uniforms_block", "inverse_cdf_block", "transform_block", "uniforms_block"]


@jit
def uniforms_block(key, first, m, n_dims, block, design, U, tmp):
    """``U[d, i]`` for ``d < n_dims``: the design's uniforms of scenarios
    ``first .. first + m - 1``. ``tmp`` is scratch of length ``n_dims``."""
    code, n_reps, rep_size, keys, sobol_v, sobol_shift = design
    if code == RANDOM:
        nd = np.uint64(n_dims)
        for d in range(n_dims):
            row = U[d]
            base = np.uint64(first) * nd + np.uint64(d)
            for i in range(m):
                row[i] = uniform(key, base + np.uint64(i) * nd)
        return
    for i in range(m):
        fill_design_uniforms(code, n_reps, rep_size, keys, sobol_v, sobol_shift,
                             key, first + i, n_dims, block, tmp)
        for d in range(n_dims):
            U[d, i] = tmp[d]


@jit
def extra_uniforms_block(key, first, m, n_dims, n_uniforms, U):
    """``U[n_dims + e, i]``: the uniforms of their own
    (:func:`sim.kernels.sampling.draw.fill_extra_uniforms`)."""
    n_extra = n_uniforms - n_dims
    if n_extra <= 0:
        return
    extra_key = mix64(key ^ _EXTRA_SALT)
    ne = np.uint64(n_extra)
    for e in range(n_extra):
        row = U[n_dims + e]
        base = np.uint64(first) * ne + np.uint64(e)
        for i in range(m):
            row[i] = uniform(extra_key, base + np.uint64(i) * ne)


@jit
def inverse_cdf_block(family, p0, p1, p2, lo, span, table, offset, n_table, u, out, m):
    """``out[i] = inverse_cdf(family, ..., u[i])`` for ``i < m``, one loop per
    family (:func:`sim.kernels.sampling.inverse_cdf.inverse_cdf`, the same operations)."""
    if family == NORMAL:
        for i in range(m):
            out[i] = p0 + p1 * vmath.ndtri(lo + span * u[i])
    elif family == LOGNORMAL:
        for i in range(m):
            out[i] = vmath.exp(p0 + p1 * vmath.ndtri(lo + span * u[i]))
    elif family == UNIFORM:
        for i in range(m):
            out[i] = p0 + p1 * (lo + span * u[i])
    elif family == TRIANGULAR:
        for i in range(m):
            v = lo + span * u[i]
            left = p0 + p1 * math.sqrt(v * p2)
            right = p0 + p1 * (1.0 - math.sqrt((1.0 - v) * (1.0 - p2)))
            out[i] = left if v < p2 else right
    elif family == TABLE:
        h = 2.0 * TABLE_T_MAX / TABLE_CELLS
        first_y = table[offset]
        last_y = table[offset + 2 * TABLE_CELLS]
        for i in range(m):
            t = vmath.ndtri(lo + span * u[i])
            x = (t + TABLE_T_MAX) / h
            xc = min(max(x, 0.0), TABLE_CELLS - 1.0)
            k = int(xc)
            s = x - k
            j = offset + 2 * k
            y0 = table[j]
            d0 = table[j + 1] * h
            y1 = table[j + 2]
            d1 = table[j + 3] * h
            s2 = s * s
            s3 = s2 * s
            q = ((2.0 * s3 - 3.0 * s2 + 1.0) * y0 + (s3 - 2.0 * s2 + s) * d0
                 + (-2.0 * s3 + 3.0 * s2) * y1 + (s3 - s2) * d1)
            q = first_y if x <= 0.0 else q
            q = last_y if x >= TABLE_CELLS else q
            out[i] = p0 + p1 * q
    elif family == POISSON:
        for i in range(m):
            out[i] = p0 + discrete_quantile(lo + span * u[i], table, offset, n_table)
    elif family == BERNOULLI:
        for i in range(m):
            out[i] = 1.0 if lo + span * u[i] > 1.0 - p0 else 0.0
    elif family == CHOICE:
        for i in range(m):
            k = discrete_quantile(lo + span * u[i], table, offset, n_table)
            out[i] = table[offset + 2 * n_table + k]
    else:
        for i in range(m):
            out[i] = math.nan


@jit_inline_ir
def draw_block(key, first, m, n_dims, n_uniforms, block, dists, design, copula, U, TH, tmp, z):
    """Uniforms ``U`` and parameters ``TH`` of scenarios ``first .. first + m - 1``:
    the design's uniforms, the copula, the inverse CDFs, then the uniforms of
    their own (``tmp``: scratch of length ``n_uniforms``; ``z``: the copula's)."""
    uniforms_block(key, first, m, n_dims, block, design, U, tmp)
    corr_dims, corr_chol = copula
    if corr_dims.shape[0] > 0:
        for i in range(m):
            for d in range(n_dims):
                tmp[d] = U[d, i]
            apply_copula(corr_dims, corr_chol, tmp, z)
            for d in range(n_dims):
                U[d, i] = tmp[d]
    transform_block(dists, U, TH, m)
    extra_uniforms_block(key, first, m, n_dims, n_uniforms, U)


@jit
def transform_block(dists, U, TH, m):
    """``TH[:, i]``: the parameters of uniforms ``U[:, i]`` (the plan's
    constants, then the inverse CDFs of the sampled dimensions), as
    :func:`sim.kernels.sampling.draw.transform` for each ``i < m``."""
    theta0, target, family, par, lo, span, offset, n_table, table = dists
    for p in range(theta0.shape[0]):
        row = TH[p]
        c = theta0[p]
        for i in range(m):
            row[i] = c
    for d in range(target.shape[0]):
        inverse_cdf_block(family[d], par[d, 0], par[d, 1], par[d, 2], lo[d], span[d], table,
                          offset[d], n_table[d], U[d], TH[target[d]], m)
