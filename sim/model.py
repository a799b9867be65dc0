"""The investment model of MODEL.md section 2, one small function per block.

All functions are Numba kernels working on one scenario: ``theta`` is the
scenario's parameter vector (layout: :data:`sim.registry.PARAMETERS`), and
the per-size results go into ``out[size, STAT]``. Everything that depends only
on the scenario is computed once, before the loop over sizes, and yearly
powers such as ``(1 - delta)**(t-1)`` are running products.
"""

from __future__ import annotations

import math

from .jit import jit
from .registry import index as _i

# Parameter vector positions (constants are folded in at compile time).
R_DISC = _i("finance.discount_rate")
A_DATA = _i("scaling.data_exponent")
D_REF = _i("scaling.tokens_at_reference")
B_COMP = _i("scaling.compute_exponent")
R_REF = _i("scaling.flops_at_reference")
OVERHEAD = _i("scaling.experiment_overhead")
E_LOSS = _i("performance.irreducible_loss")
A_COEF = _i("performance.param_coefficient")
B_COEF = _i("performance.data_coefficient")
ALPHA = _i("performance.param_exponent")
BETA = _i("performance.data_exponent")
GAP = _i("performance.deployment_gap")
P_HOUR = _i("costs.gpu_hour_price")
F_PEAK = _i("costs.gpu_peak_flops")
U_TRAIN = _i("costs.training_utilization")
U_SERVE = _i("costs.serving_utilization")
SERVE_DECLINE = _i("costs.serving_cost_decline")
P_DATA = _i("costs.data_price_per_token")
K_REF = _i("costs.fixed_cost_at_reference")
F_EXP = _i("costs.fixed_cost_exponent")
RHO = _i("risk.control_share")
LAMBDA0 = _i("risk.incident_rate")
KAPPA = _i("risk.control_effectiveness")
SEVERITY = _i("risk.incident_severity")
POOL = _i("market.revenue_pool")
GROWTH = _i("market.growth")
RIVALS = _i("market.competitors")
RIVAL_SIZE = _i("market.competitor_size")
PROGRESS = _i("market.frontier_progress")
SHARPNESS = _i("market.share_sharpness")
P_TOKEN = _i("market.token_price")
PRICE_DECLINE = _i("market.token_price_decline")
HYPE = _i("market.hype")

# Per-size statistics written by ``evaluate_scenario`` (see sim.results).
ROI = 0
ROI_EXPECTED = 1
ROI_GAP = 2
INVESTMENT = 3
COMPUTE_COST = 4
DATA_COST = 5
FIXED_COST = 6
RISK_CONTROL_COST = 7
REVENUE_NPV = 8
SERVING_COST_NPV = 9
INCIDENT_LOSS_NPV = 10
LAB_LOSS = 11
YEARS_SERVED = 12
MARKET_SHARE = 13
LOSS = 14  # 1 if ROI < 0
BEST = 15  # share of "best size of the grid" credit (ties split evenly)
N_STATS = 16

SECONDS_PER_HOUR = 3600.0
SERVING_FLOP_PER_PARAM = 2.0  # inference ~ 2N FLOP per token (Kaplan et al.)


@jit
def scaling(theta, log_x):
    """Training tokens D and total training compute R at size ``x = N/N_ref``."""
    tokens = theta[D_REF] * math.exp(theta[A_DATA] * log_x)
    flops = theta[R_REF] * math.exp(theta[B_COMP] * log_x) * theta[OVERHEAD]
    return tokens, flops


@jit
def usd_per_training_flop(theta):
    return theta[P_HOUR] / (SECONDS_PER_HOUR * theta[F_PEAK] * theta[U_TRAIN])


@jit
def upfront_costs(theta, log_x, tokens, flops, usd_per_flop):
    """Compute, data, fixed and risk-control costs, and their total I."""
    compute = flops * usd_per_flop
    data = tokens * theta[P_DATA]
    fixed = theta[K_REF] * math.exp(theta[F_EXP] * log_x)
    risk_control = (compute + data + fixed) * theta[RHO]
    return compute, data, fixed, risk_control, compute + data + fixed + risk_control


@jit
def reducible_loss(theta, log_n, log_tokens):
    """Chinchilla's reducible loss A/N^alpha + B/D^beta."""
    return (theta[A_COEF] * math.exp(-theta[ALPHA] * log_n)
            + theta[B_COEF] * math.exp(-theta[BETA] * log_tokens))


@jit
def rival_loss(theta, log_n_ref):
    """Reducible loss of a rival model at release (year 1)."""
    log_nc = math.log(theta[RIVAL_SIZE])
    log_dc = math.log(theta[D_REF]) + theta[A_DATA] * (log_nc - log_n_ref)
    return reducible_loss(theta, log_nc, log_dc)


@jit
def serving_cost_per_token(theta, size):
    """Year-1 cost of serving one token: 2N FLOP at the serving utilization."""
    return (SERVING_FLOP_PER_PARAM * size * theta[P_HOUR]
            / (SECONDS_PER_HOUR * theta[F_PEAK] * theta[U_SERVE]))


@jit
def incident_probability(theta):
    """lambda = lambda0 exp(-kappa rho): risk control lowers the incident rate."""
    return theta[LAMBDA0] * math.exp(-theta[KAPPA] * theta[RHO])


@jit
def yearly_factors(theta, horizon, incident_u, incident_p, work):
    """Everything about year ``t`` that does not depend on the model size.

    ``work[0, t]``: discounted pool factor ``(1 + g_M)**(t-1) / (1 + r)**t``;
    ``work[1, t]``: serving cost per token over price, per unit of year-1
    serving cost, ``(1 - delta_s)**(t-1) / (p_t (1 - delta)**(t-1))``;
    ``work[2, t]``: rivals' weight growth ``((1 - phi)**-gamma)**(t-1)``;
    ``work[3, t]``: 1 if an incident happens in year t, else 0. All are
    running products, so no power is taken inside the loops.
    """
    growth = 1.0 + theta[GROWTH]
    discount = 1.0 / (1.0 + theta[R_DISC])
    cost_over_price = (1.0 - theta[SERVE_DECLINE]) / (1.0 - theta[PRICE_DECLINE])
    weight_growth = math.exp(-theta[SHARPNESS] * math.log(1.0 - theta[PROGRESS]))
    pool_disc = discount
    ratio = 1.0 / theta[P_TOKEN]
    weight = 1.0
    for t in range(horizon):
        work[0, t] = pool_disc
        work[1, t] = ratio
        work[2, t] = weight
        work[3, t] = 1.0 if incident_u[t] < incident_p else 0.0
        pool_disc *= growth * discount
        ratio *= cost_over_price
        weight *= weight_growth


@jit
def market_cash_flows(weight_real, weight_expected, rivals, cost_token1, horizon, work):
    """Discounted revenue, serving cost and incident revenue share over the
    horizon, realized and expected, per unit of the revenue pool.

    ``share = 1 / (1 + k w_t)`` with ``w_t = w_1 * growth**(t-1)``. A year in
    which serving costs at least the market price earns nothing and costs
    nothing: the model is withdrawn (MODEL.md section 2).
    """
    rev = 0.0
    serve = 0.0
    incident = 0.0
    rev_x = 0.0
    serve_x = 0.0
    years = 0.0
    for t in range(horizon):
        cost_over_price = cost_token1 * work[1, t]
        if cost_over_price < 1.0:
            pool = work[0, t]
            r = pool / (1.0 + rivals * weight_real * work[2, t])
            rx = pool / (1.0 + rivals * weight_expected * work[2, t])
            rev += r
            serve += r * cost_over_price
            incident += r * work[3, t]
            rev_x += rx
            serve_x += rx * cost_over_price
            years += 1.0
    return rev, serve, incident, rev_x, serve_x, years


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
