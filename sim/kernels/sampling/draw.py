"""One scenario's parameter vector from its uniforms: design, copula, inverse CDFs.

``draw_design_scenario`` is the only way a kernel turns a scenario index into
parameters, so ``sim.sample`` returns exactly the draws that ``sim.run``
reduces. Arguments travel as three tuples: ``dists`` (the plan's constants and
inverse-CDF tables), ``design`` (:class:`sim.engine.designs.Design`) and
``copula`` (the correlated dimensions and their Cholesky factor).
"""

from __future__ import annotations

import math

import numpy as np

from sim.kernels.jit import jit
from sim.kernels.sampling.design_kernels import fill_design_uniforms
from sim.kernels.sampling.inverse_cdf import inverse_cdf, ndtri
from sim.kernels.sampling.rng import U_MAX, U_MIN, mix64, uniform

__all__ = ["apply_copula", "draw_design_scenario", "fill_extra_uniforms", "transform"]

_EXTRA_SALT = np.uint64(0xB3E1_1EF5_0000_0001)  # keys the stream of the extra uniforms

_SQRT_HALF = 1.0 / math.sqrt(2.0)


@jit
def transform(theta0, target, family, par, lo, span, offset, n_table, table, u, theta):
    """Parameter vector of one scenario from its uniforms (inverse CDFs)."""
    theta[:] = theta0
    for d in range(target.shape[0]):
        theta[target[d]] = inverse_cdf(family[d], par[d, 0], par[d, 1], par[d, 2], lo[d],
                                       span[d], table, offset[d], n_table[d], u[d])


@jit
def apply_copula(corr_dims, corr_chol, u, z):
    """Gaussian copula: correlate the uniforms of ``corr_dims`` in place.

    ``z = L Phi^-1(u)`` keeps each margin standard normal, so ``Phi(z)`` is
    again uniform and every declared marginal is untouched.
    """
    m = corr_dims.shape[0]
    for a in range(m):
        z[a] = ndtri(u[corr_dims[a]])
    for a in range(m - 1, -1, -1):  # backwards: z[b < a] is still the input
        acc = 0.0
        for b in range(a + 1):
            acc += corr_chol[a, b] * z[b]
        z[a] = acc
    for a in range(m):
        v = 0.5 * math.erfc(-z[a] * _SQRT_HALF)
        u[corr_dims[a]] = min(max(v, U_MIN), U_MAX)


@jit
def draw_design_scenario(key, s, n_dims, block, dists, design, copula, u, z, theta):
    """Uniforms of scenario ``s`` under the design, correlated, transformed."""
    theta0, target, family, par, lo, span, offset, n_table, table = dists
    code, n_reps, rep_size, keys, sobol_v, sobol_shift = design
    fill_design_uniforms(code, n_reps, rep_size, keys, sobol_v, sobol_shift,
                         key, s, n_dims, block, u)
    corr_dims, corr_chol = copula
    if corr_dims.shape[0] > 0:
        apply_copula(corr_dims, corr_chol, u, z)
    transform(theta0, target, family, par, lo, span, offset, n_table, table, u, theta)


@jit
def fill_extra_uniforms(key, s, first, u):
    """``u[first:]``: the uniforms of keys that only a belief or a strategy
    makes uncertain, from a stream of their own (number ``s * m + e`` of the
    stream keyed by ``mix64(key ^ salt)``, m of them per scenario). They are
    independent draws whatever the design, and leave the design's stream, so
    reality's draws do not depend on them."""
    m = u.shape[0] - first
    if m <= 0:
        return
    extra_key = mix64(key ^ _EXTRA_SALT)
    base = np.uint64(s) * np.uint64(m)
    for e in range(m):
        u[first + e] = uniform(extra_key, base + np.uint64(e))
