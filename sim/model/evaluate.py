"""One scenario, every model size: the blocks of the model put together.

``evaluate_scenario`` fills ``out[size, STAT]`` (columns: :mod:`sim.outputs`).
Everything that depends only on the scenario is computed once, before the
loop over sizes, and yearly powers are running products.
"""

from __future__ import annotations

import math

from ..jit import jit
from ..outputs import (
    BEST,
    COMPUTE_COST,
    DATA_COST,
    FIXED_COST,
    INCIDENT_LOSS_NPV,
    INVESTMENT,
    LAB_LOSS,
    LOSS,
    MARKET_SHARE,
    REVENUE_NPV,
    RISK_CONTROL_COST,
    ROI,
    ROI_EXPECTED,
    ROI_GAP,
    SERVING_COST_NPV,
    YEARS_SERVED,
)
from .costs import serving_cost_per_token, upfront_costs, usd_per_training_flop
from .market import market_cash_flows, yearly_factors
from .params import A_DATA, D_REF, E_LOSS, GAP, HYPE, POOL, RIVALS, SEVERITY, SHARPNESS
from .performance import reducible_loss, rival_loss
from .risk import incident_probability
from .scaling import scaling

__all__ = ["evaluate_scenario"]


@jit
def evaluate_scenario(theta, log_sizes, log_n_ref, horizon, incident_u, out, work):
    """Fill ``out[j, STAT]`` for every size ``j`` of one sampled scenario.

    ``work`` is scratch space of shape (4, horizon), reused between calls.
    """
    # Scenario-level quantities, shared by every size.
    usd_per_flop = usd_per_training_flop(theta)
    log_rival = math.log(rival_loss(theta, log_n_ref))
    gamma = theta[SHARPNESS]
    gap_factor = math.exp(-gamma * math.log(1.0 - theta[GAP]))  # (1-g)^-gamma
    yearly_factors(theta, horizon, incident_u, incident_probability(theta), work)
    pool = theta[POOL]
    pool_expected = pool * theta[HYPE]
    severity = theta[SEVERITY]
    rivals = theta[RIVALS]
    log_d_ref = math.log(theta[D_REF])
    serve_per_param = serving_cost_per_token(theta, 1.0)

    n_sizes = log_sizes.shape[0]
    best = -math.inf
    for j in range(n_sizes):
        log_n = log_sizes[j]
        log_x = log_n - log_n_ref
        tokens, flops = scaling(theta, log_x)
        compute, data, fixed, risk_control, investment = upfront_costs(
            theta, log_x, tokens, flops, usd_per_flop)
        log_tokens = log_d_ref + theta[A_DATA] * log_x
        lab = reducible_loss(theta, log_n, log_tokens)
        weight_lab = math.exp(gamma * (math.log(lab) - log_rival))
        cost_token1 = serve_per_param * math.exp(log_n)

        rev, serve, incident, rev_x, serve_x, years = market_cash_flows(
            weight_lab * gap_factor, weight_lab, rivals, cost_token1, horizon, work)
        rev *= pool
        serve *= pool
        incident *= pool * severity
        rev_x *= pool_expected
        serve_x *= pool_expected

        # Divide (not multiply by 1/I): a model never served must give -1 exactly.
        roi = (rev - serve - incident - investment) / investment
        roi_expected = (rev_x - serve_x - investment) / investment
        o = out[j]
        o[ROI] = roi
        o[ROI_EXPECTED] = roi_expected
        o[ROI_GAP] = roi_expected - roi
        o[INVESTMENT] = investment
        o[COMPUTE_COST] = compute
        o[DATA_COST] = data
        o[FIXED_COST] = fixed
        o[RISK_CONTROL_COST] = risk_control
        o[REVENUE_NPV] = rev
        o[SERVING_COST_NPV] = serve
        o[INCIDENT_LOSS_NPV] = incident
        o[LAB_LOSS] = theta[E_LOSS] + lab
        o[YEARS_SERVED] = years
        # Year-1 market share, 0 if not served in year 1.
        o[MARKET_SHARE] = (1.0 / (1.0 + rivals * weight_lab * gap_factor)
                           if cost_token1 * work[1, 0] < 1.0 else 0.0)
        o[LOSS] = 1.0 if roi < 0.0 else 0.0
        if roi > best:
            best = roi

    # "Best size of the grid": ties (e.g. every size withdrawn) share the credit.
    ties = 0
    for j in range(n_sizes):
        if out[j, ROI] == best:
            ties += 1
    for j in range(n_sizes):
        out[j, BEST] = 1.0 / ties if out[j, ROI] == best else 0.0
