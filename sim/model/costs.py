"""Costs: USD per training FLOP, the up-front investment, serving cost per token."""

from __future__ import annotations

import math

from ..jit import jit
from .params import F_EXP, F_PEAK, K_REF, P_DATA, P_HOUR, RHO, U_SERVE, U_TRAIN

__all__ = ["SECONDS_PER_HOUR", "SERVING_FLOP_PER_PARAM", "serving_cost_per_token", "upfront_costs",
           "usd_per_training_flop"]

SECONDS_PER_HOUR = 3600.0
SERVING_FLOP_PER_PARAM = 2.0  # inference ~ 2N FLOP per token (Kaplan et al.)


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
def serving_cost_per_token(theta, size):
    """Year-1 cost of serving one token: 2N FLOP at the serving utilization."""
    return (SERVING_FLOP_PER_PARAM * size * theta[P_HOUR]
            / (SECONDS_PER_HOUR * theta[F_PEAK] * theta[U_SERVE]))
