"""The market: yearly factors and cash flows per unit of the revenue pool."""

from __future__ import annotations

import math

from ..jit import jit
from .params import GROWTH, P_TOKEN, PRICE_DECLINE, PROGRESS, R_DISC, SERVE_DECLINE, SHARPNESS

__all__ = ["market_cash_flows", "yearly_factors"]


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
