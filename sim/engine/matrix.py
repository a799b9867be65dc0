"""Scenarios from a given matrix of uniforms: the kernels of sensitivity analyses.

Row ``i`` of a uniform matrix ``U`` holds one scenario in the layout that
:func:`sim.kernels.sampling.draw.draw_design_scenario` produces after its copula:
columns ``0 .. n_sampled - 1`` are the plan's sampled dimensions (in
``plan.sampled_keys`` order), then ``horizon`` yearly incident uniforms.

* ``design_rows`` writes the rows the engine's own design gives scenarios
  ``first .. first + n - 1`` (so a matrix can start as the sample that
  ``sim.sample`` returns for the same seed).
* ``evaluate_rows`` applies the plan's inverse CDFs to each row, evaluates
  the model with the engine's block kernels (the ones runs, sweeps and
  decisions use: :func:`sim.kernels.model.block.evaluate_block`) and writes
  the chosen per-alternative statistics. A sensitivity analysis edits the
  matrix (a Saltelli design, a column held at a percentile) and evaluates it
  here, in parallel, never in a Python loop over scenarios.
"""

from __future__ import annotations

import numba
import numpy as np

from sim.kernels.jit import jit_parallel, prange
from sim.vocab.layout import BLOCK, SUB_BLOCK
from sim.kernels.model.block import evaluate_block, new_block_scratch
from sim.scenario.plan import Plan
from sim.engine.designs import Design
from sim.kernels.sampling.block import extra_uniforms_block, transform_block
from sim.kernels.sampling.draw import draw_design_scenario
from sim.kernels.sampling.rng import U_MAX, U_MIN, key_from_seed
from sim.engine.reducer import kernel_args, model_args, plan_args

__all__ = ["ROWS", "design_rows", "evaluate_rows", "evaluate_uniforms", "plan_uniforms"]

#: Rows per unit of parallel work: one block of the model kernels (scratch
#: space is allocated once per unit).
ROWS = SUB_BLOCK


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
    sampled parameters, if ``draws`` has rows (pass an empty array to skip).

    Rows go through the engine's block kernels :data:`ROWS` at a time
    (:func:`sim.kernels.sampling.block.transform_block`,
    :func:`sim.kernels.model.block.evaluate_block`), so a matrix row gives
    the numbers a run gives the same scenario."""
    theta0, target = dists[0], dists[1]
    table = dists[8]
    flags, worlds = model
    n_uniforms = flags[2]
    n_sampled = target.shape[0]
    n_dims = U.shape[1]
    n = U.shape[0]
    k = columns.shape[0]
    keep = draws.shape[0] > 0
    n_units = (n + ROWS - 1) // ROWS
    for b in prange(n_units):
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


def plan_uniforms(plan: Plan, design: Design, key, first: int, n: int) -> np.ndarray:
    """The ``(n, plan.n_dims)`` uniforms of scenarios ``first .. first + n - 1``
    under ``design``, after the copula (what ``sim.sample`` evaluates)."""
    U = np.empty((n, plan.n_dims))
    dists, design_args, copula = kernel_args(plan, design)
    with numba.parallel_chunksize(1):
        design_rows(key, first, n, BLOCK, dists, design_args, copula, plan.n_dims, U)
    return U


def evaluate_uniforms(plan: Plan, U: np.ndarray, columns, keep_draws: bool = False,
                      seed: int = 0, first: int = 0):
    """Evaluate every row of ``U`` (shape ``(n, plan.n_dims)``, values in
    (0, 1); clipped to the generator's open interval).

    Returns ``out`` of shape ``(n, n_rows, len(columns))`` (a row per
    (strategy, size) alternative; columns are indices of the model's output,
    :data:`sim.vocab.outputs.STATISTICS`) and, with ``keep_draws``, the
    ``(n, n_sampled)`` parameter values the rows stand for (else None). Row
    ``i`` stands for scenario ``first + i`` of ``seed`` where a key has a
    uniform of its own.
    """
    U = np.ascontiguousarray(U, dtype=float)
    if U.ndim != 2 or U.shape[1] != plan.n_dims:
        raise ValueError(f"uniform matrix: expected shape (n, {plan.n_dims}), got {U.shape}")
    if U.size and (U.min() < U_MIN or U.max() > U_MAX):
        U = np.clip(U, U_MIN, U_MAX)
    columns = np.asarray(columns, dtype=np.int64).reshape(-1)
    n = U.shape[0]
    out = np.empty((n, plan.n_rows, columns.size))
    draws = np.empty((n if keep_draws else 0, plan.n_sampled))
    with numba.parallel_chunksize(1):  # rows differ in cost: hand out units one at a time
        evaluate_rows(U, plan_args(plan), model_args(plan), plan.log_sizes, plan.log_n_ref,
                      plan.horizon, columns, key_from_seed(seed), first, plan.n_rows,
                      plan.n_columns, out, draws)
    return out, (draws if keep_draws else None)
