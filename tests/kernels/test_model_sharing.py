"""What the model kernel computes once instead of twice gives the same bits.

* A belief without an overlay shares reality's size-free rows (but the
  gap's), its yearly factors and each size's costs
  (:func:`sim.kernels.model.block.evaluate_block`). The same scenarios with a
  belief overlay that changes nothing (the gap, which every belief sets to 0
  already, set to 0) take the unshared path: every output, bit for bit.
* Our loss skips the repeated data's discount for the scenarios surely within
  the data stock and computes it for the others
  (:func:`sim.kernels.model.block.size_costs`): against the expression it
  replaced, ``_reducible(..., _log_effective(...))`` scenario by scenario,
  with stocks at, one ulp either side of and far from the tokens, and zero,
  infinite and NaN stocks.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import sim
from sim.engine.reducer import sample_arrays
from sim.kernels import vmath
from sim.kernels.model import block as model_block
from sim.kernels.model.params import A_COEF, A_DATA, ALPHA, B_COEF, BETA, DATA_STOCK, GAP, MOE_WEIGHT, REPEAT_HORIZON
from sim.kernels.sampling.rng import key_from_seed
from sim.scenario.plan import build_plan
from sim.vocab.layout import SUB_BLOCK


def _no_op_belief(n_strategies: int) -> tuple:
    """A belief overlay of one entry per strategy that sets the gap to 0 (as
    the belief already has it): the same numbers, through the unshared path."""
    n = n_strategies
    return (np.full(n, GAP, dtype=np.int64), np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.int64),
            np.zeros((n, 4)), np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.int64),
            np.zeros(n, dtype=np.int64), np.zeros(n), np.arange(n + 1, dtype=np.int64))


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.int64)


@pytest.mark.parametrize("name", ["baseline", "data_wall", "finetune", "strategies", "hype"])
def test_a_belief_without_overlay_shares_reality_bit_for_bit(name):
    plan = build_plan(sim.load_scenario(name))
    belief_start = plan.belief[9]
    assert np.all(belief_start == 0), "the scenario has a belief overlay: nothing is shared"
    unshared = dataclasses.replace(plan, belief=_no_op_belief(len(belief_start) - 1))
    n = 3 * SUB_BLOCK + 17  # whole sub-blocks and a partial one
    key = key_from_seed(3)
    shared_stats = sample_arrays(plan, key, 0, n)[3]
    unshared_stats = sample_arrays(unshared, key, 0, n)[3]
    assert np.isfinite(shared_stats).all()
    assert np.array_equal(_bits(shared_stats), _bits(unshared_stats))


def test_loss_near_the_data_stock_is_the_expression_it_replaced():
    plan = build_plan(sim.load_scenario("data_wall"))
    m = SUB_BLOCK
    draws, incident_u, _, _ = sample_arrays(plan, key_from_seed(5), 0, m)
    TH = np.tile(plan.theta[:, None], (1, m))
    TH[plan.target] = draws.T
    horizon, log_n_ref = plan.horizon, plan.log_n_ref
    S = np.zeros((model_block.N_SCENARIO_ROWS, m))
    work = np.zeros((model_block.N_WORK, horizon, m))
    U = np.ascontiguousarray(incident_u.T)
    model_block.world_scenario(TH, m, horizon, U, log_n_ref, False, S, work)
    log_n = float(plan.log_sizes[2])
    log_x = log_n - log_n_ref
    log_tokens = S[model_block.S_LOG_D_REF] + TH[A_DATA] * log_x
    tokens = np.array([vmath.exp(v) for v in log_tokens])
    stock = TH[DATA_STOCK]
    stock[0::8] = tokens[0::8]  # exactly the tokens: within, by the select
    stock[1::8] = np.nextafter(tokens[1::8], math.inf)
    stock[2::8] = np.nextafter(tokens[2::8], -math.inf)  # one ulp beyond
    stock[3::8] = tokens[3::8] * 0.5  # far beyond
    stock[4::8] = tokens[4::8] * 2.0  # far within
    stock[5] = 0.0
    stock[13] = math.inf
    stock[21] = math.nan
    model_block.world_scenario(TH, m, horizon, U, log_n_ref, False, S, work)  # S for the new stocks
    # No data wall (an infinite stock, as the v1 workload has): surely within, no second pass.
    assert S[model_block.S_LOG_STOCK_SAFE, 13] == math.inf
    W = np.zeros((model_block.N_WORLD, m))
    T = np.zeros((model_block.N_TEMP_ROWS, m))
    active = 1.0
    model_block.size_costs(TH, m, plan.route_code, plan.rule_code, log_n, log_x, active, S, W, T)
    log_active = vmath.log(active)
    expected = np.array([
        model_block._reducible(TH[A_COEF, i], TH[ALPHA, i], TH[B_COEF, i], TH[BETA, i],
                               log_n + (1.0 - TH[MOE_WEIGHT, i]) * log_active,
                               model_block._log_effective(log_tokens[i], stock[i], TH[REPEAT_HORIZON, i]))
        for i in range(m)])
    lab = W[model_block.W_LAB]
    assert np.array_equal(_bits(lab), _bits(expected))
    # The discount applies where it should (so both paths of the kernel ran).
    beyond = ~(tokens <= stock)
    assert beyond.sum() >= m // 8 and (~beyond).sum() >= m // 4
