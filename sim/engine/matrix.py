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
* Under the industry frame (``plan.industry``) a row holds the sampled
  dimensions only, and ``evaluate_industry_rows`` runs the yearly loop
  (:func:`sim.kernels.industry.industry_block`) on it, with the yearly
  demand-shock and incident uniforms of scenario ``first + i`` of the seed:
  they come from streams of their own, not from the row.

The kernels themselves are in :mod:`sim.kernels.rows` (every compiled
function lives under ``sim/kernels``).
"""

from __future__ import annotations

import numpy as np

from sim.vocab.layout import BLOCK
from sim.scenario.plan import Plan
from sim.engine.designs import Design
from sim.kernels.industry import evaluate_industry_rows
from sim.kernels.rows import ROWS, design_rows, evaluate_rows
from sim.kernels.sampling.rng import U_MAX, U_MIN, key_from_seed
from sim.engine.reducer import kernel_args, model_args, plan_args
from sim.services.blocks import over_units, thread_count

__all__ = ["ROWS", "design_rows", "evaluate_industry_rows", "evaluate_rows", "evaluate_uniforms",
           "plan_uniforms"]


def plan_uniforms(plan: Plan, design: Design, key, first: int, n: int) -> np.ndarray:
    """The ``(n, plan.n_dims)`` uniforms of scenarios ``first .. first + n - 1``
    under ``design``, after the copula (what ``sim.sample`` evaluates)."""
    U = np.empty((n, plan.n_dims))
    dists, design_args, copula = kernel_args(plan, design)

    def call(u0: int, u1: int) -> None:
        design_rows(key, first, n, BLOCK, dists, design_args, copula, plan.n_dims, U, u0, u1)

    over_units(_units(n), UNITS_PER_CALL, thread_count(), call)
    return U


#: Units of :data:`ROWS` rows per kernel call (a block's worth: the call's
#: own cost is then negligible).
UNITS_PER_CALL = 16


def _units(n: int) -> int:
    return (n + ROWS - 1) // ROWS


def evaluate_uniforms(plan: Plan, U: np.ndarray, columns, keep_draws: bool = False,
                      seed: int = 0, first: int = 0):
    """Evaluate every row of ``U`` (shape ``(n, plan.n_dims)``, values in
    (0, 1); clipped to the generator's open interval).

    Returns ``out`` of shape ``(n, n_rows, len(columns))`` (a row per
    (strategy, size) alternative; columns are indices of the model's output,
    :data:`sim.vocab.outputs.STATISTICS`, or under the industry frame of its
    one row, :func:`sim.vocab.industry.column`) and, with ``keep_draws``, the
    ``(n, n_sampled)`` parameter values the rows stand for (else None). Row
    ``i`` stands for scenario ``first + i`` of ``seed`` where a key has a
    uniform of its own, and under the industry frame for its yearly demand
    shocks and incidents.
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
    dists, model, key = plan_args(plan), model_args(plan), key_from_seed(seed)

    def call(u0: int, u1: int) -> None:  # rows differ in cost: calls go to threads one at a time
        if plan.industry:
            evaluate_industry_rows(U, dists, model, plan.horizon, columns, key, first, plan.n_columns, out,
                                   draws, u0, u1)
        else:
            evaluate_rows(U, dists, model, plan.log_sizes, plan.log_n_ref, plan.horizon, columns, key,
                          first, plan.n_rows, plan.n_columns, out, draws, u0, u1)

    over_units(_units(n), UNITS_PER_CALL, thread_count(), call)
    return out, (draws if keep_draws else None)
