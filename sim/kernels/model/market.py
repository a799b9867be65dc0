"""The market: yearly factors and cash flows per unit of the revenue pool
(MODEL.md sections 2, 7 and 10).

Share is a logit in quality and price, ``1 / (1 + k (l_real/l_ct)**gamma
m**eps)``; we charge ``m`` times the market price, so revenue is ``M_t share
m`` and we serve ``M_t share / p_t`` tokens. A slow final run releases ``d``
years late: every yearly factor of year ``t`` takes the exponent ``t-1+d``
and discounting ``t+d``, which is one per-size multiplier on the size-free
yearly factors.
"""

from __future__ import annotations


from sim.kernels import vmath
from sim.kernels.jit import jit
from sim.kernels.model.params import (
    GROWTH,
    P_TOKEN,
    PRICE_DECLINE,
    PROGRESS,
    R_DISC,
    SERVE_DECLINE,
    SHARPNESS,
)

__all__ = ["N_WORK", "delay_factors", "market_cash_flows", "yearly_factors"]

N_WORK = 5  # rows of the yearly work array


@jit
def yearly_factors(theta, horizon, incident_u, incident_p, work):
    """Everything about year ``t`` that does not depend on the model size.

    ``work[0, t]``: discounted pool factor ``(1 + g_M)**(t-1) / (1 + r)**t``;
    ``work[1, t]``: serving cost per token over the market price, per unit of
    year-1 serving cost, ``(1 - delta_s)**(t-1) / (p_t (1 - delta)**(t-1))``;
    ``work[2, t]``: rivals' weight growth ``((1 - phi)**-gamma)**(t-1)``;
    ``work[3, t]``: 1 if an incident happens in year t, else 0;
    ``work[4, t]``: the discount factor ``(1 + r)**-t`` alone (yearly duties).
    All are running products, so no power is taken inside the loops.
    """
    growth = 1.0 + theta[GROWTH]
    discount = 1.0 / (1.0 + theta[R_DISC])
    cost_over_price = (1.0 - theta[SERVE_DECLINE]) / (1.0 - theta[PRICE_DECLINE])
    weight_growth = vmath.exp(-theta[SHARPNESS] * vmath.log(1.0 - theta[PROGRESS]))
    pool_disc = discount
    disc = discount
    ratio = 1.0 / theta[P_TOKEN]
    weight = 1.0
    for t in range(horizon):
        work[0, t] = pool_disc
        work[1, t] = ratio
        work[2, t] = weight
        work[3, t] = 1.0 if incident_u[t] < incident_p else 0.0
        work[4, t] = disc
        pool_disc *= growth * discount
        disc *= discount
        ratio *= cost_over_price
        weight *= weight_growth


@jit
def delay_factors(theta, delay):
    """Multipliers of the yearly factors for a release ``delay`` years late:
    pool ``((1+g_M)/(1+r))**d``, cost over price ``((1-delta_s)/(1-delta))**d``,
    rivals' weight ``(1-phi)**(-gamma d)`` and discount ``(1+r)**-d``; all
    exactly 1 when the release is not delayed."""
    if not delay > 0.0:
        return 1.0, 1.0, 1.0, 1.0
    log_disc = -vmath.log(1.0 + theta[R_DISC])
    pool = vmath.exp(delay * (vmath.log(1.0 + theta[GROWTH]) + log_disc))
    cost = vmath.exp(delay * (vmath.log(1.0 - theta[SERVE_DECLINE])
                             - vmath.log(1.0 - theta[PRICE_DECLINE])))
    weight = vmath.exp(-theta[SHARPNESS] * delay * vmath.log(1.0 - theta[PROGRESS]))
    return pool, cost, weight, vmath.exp(delay * log_disc)


@jit
def market_cash_flows(weight, rivals, cost_token1, premium, delays, horizon, incidents, work, years):
    """Discounted revenue, serving cost, incident revenue and served-year
    discount over the horizon, per unit of the revenue pool, and the years
    served. ``years[row, t]`` receives each year's terms
    (:mod:`sim.kernels.model.timeline`: revenue, serving, incident revenue, served
    discount, discount), which the valuation path sums again in this order.

    ``weight`` is ``(l_real / l_c1)**gamma m**eps``. A year in which serving
    costs at least our price earns nothing and costs nothing: the model is
    withdrawn that year (MODEL.md section 2, against our price: section 7).
    """
    d_pool, d_cost, d_weight, d_disc = delays
    rev = 0.0
    serve = 0.0
    incident = 0.0
    served_disc = 0.0
    served_years = 0.0
    for t in range(horizon):
        cost_over_price = cost_token1 * work[1, t] * d_cost
        disc = work[4, t] * d_disc
        years[4, t] = disc
        if cost_over_price < premium:
            pool = work[0, t] * d_pool
            r = pool / (1.0 + rivals * weight * (work[2, t] * d_weight))
            rm = r * premium
            rev += rm
            serving = r * cost_over_price
            serve += serving
            lost = rm * work[3, t] if incidents else 0.0
            if incidents:
                incident += lost
            served_disc += disc
            served_years += 1.0
            years[0, t] = rm
            years[1, t] = serving
            years[2, t] = lost
            years[3, t] = disc
        else:
            years[0, t] = 0.0
            years[1, t] = 0.0
            years[2, t] = 0.0
            years[3, t] = 0.0
    return rev, serve, incident, served_disc, served_years
