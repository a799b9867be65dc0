"""The kernels of scenarios given as rows of uniforms (sensitivity analyses).

Row ``i`` of a uniform matrix ``U`` holds one scenario in the layout that
:func:`sim.kernels.sampling.draw.draw_design_scenario` produces after its copula:
columns ``0 .. n_sampled - 1`` are the plan's sampled dimensions, then
``horizon`` yearly incident uniforms. :mod:`sim.engine.matrix` prepares the
arguments from a plan.

``evaluate_alternatives`` is called in exactly one place below, so a change of
its signature is a one-line change here.
"""

from __future__ import annotations

import numpy as np

from sim.kernels.jit import jit_parallel, prange
from sim.kernels.model.evaluate import evaluate_alternatives, new_scratch
from sim.kernels.sampling.draw import draw_design_scenario, fill_extra_uniforms, transform

__all__ = ["ROWS", "design_rows", "evaluate_rows"]

#: Rows per unit of parallel work (scratch space is allocated once per unit).
ROWS = 256


@jit_parallel
def design_rows(key, first, n, block_size, dists, design, copula, n_dims, U):
    """``U[i]`` = the uniforms of scenario ``first + i`` after the copula,
    exactly as :func:`draw_design_scenario` makes them."""
    theta0 = dists[0]
    n_units = (n + ROWS - 1) // ROWS
    for b in prange(n_units):
        u = np.empty(n_dims)
        z = np.empty(max(copula[0].shape[0], 1))
        theta = np.empty(theta0.shape[0])
        for i in range(b * ROWS, min(n, (b + 1) * ROWS)):
            draw_design_scenario(key, first + i, n_dims, block_size, dists, design, copula,
                                 u, z, theta)
            for d in range(n_dims):
                U[i, d] = u[d]


@jit_parallel
def evaluate_rows(U, dists, model, log_sizes, log_n_ref, horizon, columns, key, first, n_rows,
                  n_cols, out, draws):
    """``out[i, j, c]`` = column ``columns[c]`` of alternative ``j`` (a row per
    (strategy, size)) of the scenario whose design uniforms are ``U[i]``
    (the uniforms of keys only a belief or a strategy makes uncertain come
    from their own stream, as scenario ``first + i``); ``draws[i, d]`` its
    sampled parameters, if ``draws`` has rows (pass an empty array to skip)."""
    theta0, target, family, par, lo, span, offset, n_table, table = dists
    flags, worlds = model
    n_uniforms = flags[2]
    n_sampled = target.shape[0]
    n_dims = U.shape[1]
    n = U.shape[0]
    k = columns.shape[0]
    keep = draws.shape[0] > 0
    n_units = (n + ROWS - 1) // ROWS
    for b in prange(n_units):
        theta = np.empty(theta0.shape[0])
        theta_world = np.empty(theta0.shape[0])
        scratch = new_scratch(theta0.shape[0], log_sizes.shape[0], horizon)
        res = np.zeros((n_rows, n_cols))
        u = np.empty(n_uniforms)
        for i in range(b * ROWS, min(n, (b + 1) * ROWS)):
            for d in range(n_dims):
                u[d] = U[i, d]
            fill_extra_uniforms(key, first + i, n_dims, u)
            transform(theta0, target, family, par, lo, span, offset, n_table, table, u, theta)
            evaluate_alternatives(theta, flags, worlds, log_sizes, log_n_ref, horizon, u, n_sampled,
                                  table, res, scratch, theta_world)
            for j in range(n_rows):
                for c in range(k):
                    out[i, j, c] = res[j, columns[c]]
            if keep:
                for d in range(n_sampled):
                    draws[i, d] = theta[target[d]]
