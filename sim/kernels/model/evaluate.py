"""One scenario, every model size: the blocks of the model put together.

``evaluate_world`` computes, for one parameter vector (reality's, or the
investors' belief), every size's investment, cash flows and ROI into
``world[size, W_*]``; ``evaluate_scenario`` evaluates reality (with
incidents) and the belief (without), and writes ``out[size, STAT]``
(columns: :mod:`sim.vocab.outputs`). Everything that depends only on the scenario
is computed once, before the loop over sizes, and yearly powers are running
products.
"""

from __future__ import annotations

import math

import numpy as np

from sim.kernels import vmath
from sim.kernels.jit import jit
from sim.vocab.outputs import (
    BEST,
    COMPLIANCE_COST_NPV,
    COMPUTE_COST,
    DATA_COST,
    DATA_LIMITED,
    FIXED_COST,
    INCIDENT_LOSS_NPV,
    INVESTMENT,
    LAB_LOSS,
    LICENSE_COST,
    LOSS,
    MARKET_SHARE,
    MAX_OBJECTIVE,
    NET_VALUE,
    REGRET,
    RELEASE_DELAY,
    REVENUE_NPV,
    RISK_CONTROL_COST,
    ROBUSTNESS_COST,
    ROI,
    ROI_EXPECTED,
    ROI_GAP,
    SERVING_COST_NPV,
    TRAINING_FLOPS,
    TRAINING_TOKENS,
    YEARS_SERVED,
)
from sim.kernels.model.beliefs import apply_overlay, belief_theta
from sim.kernels.model.costs import serving_cost_per_token, upfront_costs, usd_per_training_flop
from sim.kernels.model.market import N_WORK, delay_factors, market_cash_flows, yearly_factors
from sim.kernels.model.params import (
    DATA_STOCK,
    E_LOSS,
    LEARNING_RATE,
    POOL,
    PREMIUM,
    PRETRAIN,
    PRICE_SENSITIVITY,
    RIVALS,
    SEVERITY,
    SHARPNESS,
)
from sim.kernels.model.performance import effective_gap, own_loss, rival_loss
from sim.kernels.model.risk import compliance_cost, incident_probability
from sim.kernels.model.timeline import N_YEAR_FIELDS, valuation_path
from sim.kernels.model.scaling import release_delay, training_run

__all__ = ["N_WORLD", "evaluate_alternatives", "evaluate_scenario", "evaluate_world", "new_scratch"]

# Columns of ``world[size, :]``.
W_COMPUTE, W_DATA, W_FIXED, W_LICENSE, W_RISK, W_ROBUST, W_INVEST = range(7)
W_REVENUE, W_SERVING, W_INCIDENT, W_COMPLIANCE, W_ROI = range(7, 12)
W_LAB, W_YEARS, W_SHARE, W_DELAY, W_FLOPS, W_TOKENS, W_LIMITED, W_NET = range(12, 20)
W_NPV, W_DUTY = range(20, 22)  # NPV; yearly compliance duty if subject to it, else 0
N_WORLD = 22


@jit
def evaluate_world(theta, route, rule, log_sizes, log_n_ref, horizon, incident_u, incidents,
                   world, work, years):
    """Every size's costs, discounted cash flows and ROI in the world ``theta``.

    ``incidents`` says whether incidents happen in this world (reality: yes;
    the belief: only if ``expectation.incidents``). ``work`` is scratch space
    of shape (N_WORK, horizon); ``years[size]`` receives each year's cash-flow
    terms (:mod:`sim.kernels.model.timeline`).
    """
    pretrain = route == PRETRAIN
    usd_per_flop = usd_per_training_flop(theta)
    log_rival = vmath.log(rival_loss(theta, log_n_ref))
    gamma = theta[SHARPNESS]
    gap_factor = vmath.exp(-gamma * vmath.log(1.0 - effective_gap(theta)))  # (1-g_eff)^-gamma
    premium = theta[PREMIUM]
    price_factor = vmath.exp(theta[PRICE_SENSITIVITY] * vmath.log(premium))  # m^eps
    yearly_factors(theta, horizon, incident_u, incident_probability(theta), work)
    pool = theta[POOL]
    severity = theta[SEVERITY]
    rivals = theta[RIVALS]
    serve_per_param = serving_cost_per_token(theta, 1.0)

    for j in range(log_sizes.shape[0]):
        w = world[j]
        log_n = log_sizes[j]
        log_x = log_n - log_n_ref
        tokens, final_flops, flops = training_run(theta, route, rule, log_n, log_x)
        upfront_costs(theta, route, log_x, tokens, flops, usd_per_flop, w)
        investment = w[W_INVEST]
        lab = own_loss(theta, pretrain, log_n, log_x)
        weight_lab = vmath.exp(gamma * (vmath.log(lab) - log_rival))
        cost_token1 = serve_per_param * vmath.exp(log_n)
        delay = release_delay(theta, final_flops)
        delays = delay_factors(theta, delay)

        rev, serve, incident, served_disc, served_years = market_cash_flows(
            weight_lab * gap_factor * price_factor, rivals, cost_token1, premium, delays,
            horizon, incidents, work, years[j])
        rev *= pool
        serve *= pool
        incident *= pool * severity
        duty = compliance_cost(theta, final_flops)
        compliance = duty * served_disc
        # Divide (not multiply by 1/I): a model never served must give -1 exactly.
        w[W_ROI] = (rev - serve - incident - compliance - investment) / investment
        w[W_NET] = rev - serve - incident - compliance - investment
        w[W_NPV] = rev - serve - incident - compliance
        w[W_DUTY] = duty
        w[W_REVENUE] = rev
        w[W_SERVING] = serve
        w[W_INCIDENT] = incident
        w[W_COMPLIANCE] = compliance
        w[W_LAB] = lab
        w[W_YEARS] = served_years
        served1 = cost_token1 * work[1, 0] * delays[1] < premium
        w[W_SHARE] = (1.0 / (1.0 + rivals * weight_lab * gap_factor * price_factor * delays[2])
                      if served1 else 0.0)
        w[W_DELAY] = delay
        w[W_FLOPS] = final_flops
        w[W_TOKENS] = tokens
        w[W_LIMITED] = 1.0 if pretrain and tokens > theta[DATA_STOCK] else 0.0


@jit
def evaluate_scenario(theta, structure, log_sizes, log_n_ref, horizon, u, n_sampled, belief,
                      belief_first, belief_last, table, out, scratch):
    """Fill ``out[j, STAT]`` for every size ``j`` of one sampled scenario, and
    the valuation path columns when ``structure`` asks for them.

    ``structure`` is (route, compute rule, belief expects incidents, path on,
    uniforms per scenario);
    ``u`` the scenario's uniforms (``n_sampled`` sampled dimensions, then the
    yearly incident uniforms, then those of their own); entries ``belief_first
    .. belief_last - 1`` of the plan's belief overlay ``belief`` (with
    ``table``) make the belief (:func:`sim.kernels.model.beliefs.belief_theta`).
    "Best" is not set here: it compares every alternative
    (:func:`evaluate_alternatives`).
    ``scratch`` is :func:`new_scratch`'s tuple, reused between calls.
    """
    route, rule, belief_incidents, path, _ = structure
    work, theta_belief, world, world_belief, years, years_belief = scratch
    incident_u = u[n_sampled:n_sampled + horizon]
    evaluate_world(theta, route, rule, log_sizes, log_n_ref, horizon, incident_u, True,
                   world, work, years)
    belief_theta(theta, belief, belief_first, belief_last, u, table, theta_belief)
    evaluate_world(theta_belief, route, rule, log_sizes, log_n_ref, horizon, incident_u,
                   belief_incidents != 0, world_belief, work, years_belief)
    n_sizes = log_sizes.shape[0]
    for j in range(n_sizes):
        w = world[j]
        o = out[j]
        roi = w[W_ROI]
        roi_expected = world_belief[j, W_ROI]
        o[ROI] = roi
        o[ROI_EXPECTED] = roi_expected
        o[ROI_GAP] = roi_expected - roi
        o[INVESTMENT] = w[W_INVEST]
        o[COMPUTE_COST] = w[W_COMPUTE]
        o[DATA_COST] = w[W_DATA]
        o[FIXED_COST] = w[W_FIXED]
        o[RISK_CONTROL_COST] = w[W_RISK]
        o[REVENUE_NPV] = w[W_REVENUE]
        o[SERVING_COST_NPV] = w[W_SERVING]
        o[INCIDENT_LOSS_NPV] = w[W_INCIDENT]
        o[LAB_LOSS] = theta[E_LOSS] + w[W_LAB]
        o[YEARS_SERVED] = w[W_YEARS]
        o[MARKET_SHARE] = w[W_SHARE]
        o[LOSS] = 1.0 if roi < 0.0 else 0.0
        o[NET_VALUE] = w[W_NET]
        o[ROBUSTNESS_COST] = w[W_ROBUST]
        o[LICENSE_COST] = w[W_LICENSE]
        o[COMPLIANCE_COST_NPV] = w[W_COMPLIANCE]
        o[RELEASE_DELAY] = w[W_DELAY]
        o[DATA_LIMITED] = w[W_LIMITED]
        o[TRAINING_FLOPS] = w[W_FLOPS]
        o[TRAINING_TOKENS] = w[W_TOKENS]

        if path:
            wb = world_belief[j]
            valuation_path(years[j], years_belief[j], horizon, theta[LEARNING_RATE],
                           w[W_INVEST], roi_expected, theta[POOL], theta[SEVERITY], w[W_DUTY],
                           theta_belief[POOL], theta_belief[SEVERITY], wb[W_DUTY], wb[W_NPV], o)


@jit
def evaluate_alternatives(theta, flags, worlds, log_sizes, log_n_ref, horizon, u, n_sampled,
                          table, out, scratch, theta_world):
    """Every strategy's world on the same draws (MODEL.md section 12), into
    ``out[s * n_sizes + j]``, then the decision columns over all those
    alternatives: best (ties split), regret and the highest objective.

    ``flags`` is (objective: 0 net value, 1 ROI; path on; uniforms per
    scenario); ``worlds`` the plan's (route, compute rule, belief expects
    incidents) per strategy, then its reality overlay's ten arrays and its
    belief overlay's ten, in one flat tuple.
    """
    objective, path, n_dims = flags
    s_route, s_rule, s_incidents = worlds[0], worlds[1], worlds[2]
    overlay, belief = worlds[3:13], worlds[13:23]
    start, b_start = overlay[9], belief[9]
    n_sizes = log_sizes.shape[0]
    for k in range(s_route.shape[0]):
        theta_world[:] = theta
        apply_overlay(theta_world, overlay, start[k], start[k + 1], u, table)
        structure = (s_route[k], s_rule[k], s_incidents[k], path, n_dims)
        evaluate_scenario(theta_world, structure, log_sizes, log_n_ref, horizon, u, n_sampled,
                          belief, b_start[k], b_start[k + 1], table,
                          out[k * n_sizes:(k + 1) * n_sizes], scratch)
    column = NET_VALUE if objective == 0 else ROI
    n_rows = out.shape[0]
    best = -math.inf
    for a in range(n_rows):
        if out[a, column] > best:
            best = out[a, column]
    # Ties (e.g. every alternative withdrawn) share the credit.
    ties = 0
    for a in range(n_rows):
        if out[a, column] == best:
            ties += 1
    for a in range(n_rows):
        o = out[a]
        o[BEST] = 1.0 / ties if o[column] == best else 0.0
        o[REGRET] = best - o[column]
        o[MAX_OBJECTIVE] = best


@jit
def new_scratch(n_parameters, n_sizes, horizon):
    """The scratch arrays :func:`evaluate_scenario` reuses: yearly factors,
    the belief's parameters, both worlds' per-size and per-year results."""
    return (np.empty((N_WORK, horizon)), np.empty(n_parameters),
            np.empty((n_sizes, N_WORLD)), np.empty((n_sizes, N_WORLD)),
            np.zeros((n_sizes, N_YEAR_FIELDS, horizon)), np.zeros((n_sizes, N_YEAR_FIELDS, horizon)))
