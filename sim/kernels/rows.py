"""The kernels of scenarios given as rows of uniforms (sensitivity analyses).

Row ``i`` of a uniform matrix ``U`` holds one scenario in the layout that
:func:`sim.kernels.sampling.draw.draw_design_scenario` produces after its copula:
columns ``0 .. n_sampled - 1`` are the plan's sampled dimensions, then
``horizon`` yearly incident uniforms. :mod:`sim.engine.matrix` prepares the
arguments from a plan. Rows are evaluated with the engine's block kernels, so
a matrix row gives the numbers a run gives the same scenario.
"""

from __future__ import annotations

import numpy as np

from sim.kernels.jit import jit
from sim.kernels.model.block import evaluate_block, new_block_scratch
from sim.kernels.sampling.block import extra_uniforms_block, transform_block
from sim.kernels.sampling.draw import draw_design_scenario
from sim.vocab.layout import SUB_BLOCK

__all__ = ["ROWS", "design_rows", "evaluate_rows"]

#: Rows per unit of work: one block of the model kernels (scratch space is
#: allocated once per unit). A call evaluates units ``unit_first ..
#: unit_stop - 1``; the caller hands groups of units to threads
#: (:func:`sim.services.blocks.over_blocks`), as the engine hands out blocks.
ROWS = SUB_BLOCK


@jit
def design_rows(key, first, n, block_size, dists, design, copula, n_dims, U, unit_first, unit_stop):
    """``U[i]`` = the uniforms of scenario ``first + i`` after the copula,
    exactly as :func:`draw_design_scenario` makes them, for the rows of
    units ``unit_first .. unit_stop - 1``."""
    theta0 = dists[0]
    for b in range(unit_first, unit_stop):
        u = np.empty(n_dims)
        z = np.empty(max(copula[0].shape[0], 1))
        theta = np.empty(theta0.shape[0])
        for i in range(b * ROWS, min(n, (b + 1) * ROWS)):
            draw_design_scenario(key, first + i, n_dims, block_size, dists, design, copula,
                                 u, z, theta)
            for d in range(n_dims):
                U[i, d] = u[d]


@jit
def evaluate_rows(U, dists, model, log_sizes, log_n_ref, horizon, columns, key, first, n_rows,
                  n_cols, out, draws, unit_first, unit_stop):
    """``out[i, j, c]`` = column ``columns[c]`` of alternative ``j`` (a row per
    (strategy, size)) of the scenario whose design uniforms are ``U[i]``
    (the uniforms of keys only a belief or a strategy makes uncertain come
    from their own stream, as scenario ``first + i``); ``draws[i, d]`` its
    sampled parameters, if ``draws`` has rows (pass an empty array to skip).

    Rows go through the engine's block kernels :data:`ROWS` at a time
    (:func:`sim.kernels.sampling.block.transform_block`,
    :func:`sim.kernels.model.block.evaluate_block`), so a matrix row gives
    the numbers a run gives the same scenario. Only the rows of units
    ``unit_first .. unit_stop - 1`` are evaluated."""
    theta0, target = dists[0], dists[1]
    table = dists[8]
    flags, worlds = model
    n_uniforms = flags[2]
    n_sampled = target.shape[0]
    n_dims = U.shape[1]
    n = U.shape[0]
    k = columns.shape[0]
    keep = draws.shape[0] > 0
    for b in range(unit_first, unit_stop):
        UB = np.empty((n_uniforms, ROWS))
        TH = np.empty((theta0.shape[0], ROWS))
        scratch = new_block_scratch(theta0.shape[0], log_sizes.shape[0], horizon, ROWS)
        OUT = np.zeros((n_rows, n_cols, ROWS))
        i0 = b * ROWS
        m = min(ROWS, n - i0)
        for d in range(n_dims):
            row = UB[d]
            for i in range(m):
                row[i] = U[i0 + i, d]
        extra_uniforms_block(key, first + i0, m, n_dims, n_uniforms, UB)
        transform_block(dists, UB, TH, m)
        evaluate_block(TH, UB, m, flags, worlds, log_sizes, log_n_ref, horizon, n_sampled, table,
                       OUT, scratch)
        for i in range(m):
            for j in range(n_rows):
                for c in range(k):
                    out[i0 + i, j, c] = OUT[j, columns[c], i]
            if keep:
                for d in range(n_sampled):
                    draws[i0 + i, d] = TH[target[d], i]
