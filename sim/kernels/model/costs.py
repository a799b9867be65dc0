"""Costs: USD per training FLOP, the up-front investment, serving cost per token
(MODEL.md sections 2, 6 and 11)."""

from __future__ import annotations


from sim.kernels import vmath
from sim.kernels.jit import jit
from sim.kernels.model.params import (
    DATA_STOCK,
    F_EXP,
    F_PEAK,
    FT_DATA_PRICE,
    FT_FIXED,
    FT_LICENSE,
    K_REF,
    P_DATA,
    P_HOUR,
    PRETRAIN,
    RHO,
    RHO_G,
    U_SERVE,
    U_TRAIN,
)

__all__ = ["SECONDS_PER_HOUR", "SERVING_FLOP_PER_PARAM", "serving_cost_per_token", "upfront_costs",
           "usd_per_training_flop"]

SECONDS_PER_HOUR = 3600.0
SERVING_FLOP_PER_PARAM = 2.0  # inference ~ 2N FLOP per token (Kaplan et al.)


@jit
def usd_per_training_flop(theta):
    return theta[P_HOUR] / (SECONDS_PER_HOUR * theta[F_PEAK] * theta[U_TRAIN])


@jit
def upfront_costs(theta, route, log_x, tokens, flops, usd_per_flop, out):
    """Compute, data, fixed, licence, risk-control and robustness costs and
    their total I, into ``out[0:7]``.

    Pretraining pays data for unique tokens only, ``min(D, S_D) p_d``;
    fine-tuning pays ``D_ft p_ft``, its own fixed cost and the base's licence.
    ``I = (C_comp + C_data + C_fix + C_lic) (1 + rho + rho_g)``, summed as
    base + base rho + base rho_g so that rho_g = 0 adds exactly nothing.
    """
    compute = flops * usd_per_flop
    if route == PRETRAIN:
        data = min(tokens, theta[DATA_STOCK]) * theta[P_DATA]
        fixed = theta[K_REF] * vmath.exp(theta[F_EXP] * log_x)
        licence = 0.0
    else:
        data = tokens * theta[FT_DATA_PRICE]
        fixed = theta[FT_FIXED] * vmath.exp(theta[F_EXP] * log_x)
        licence = theta[FT_LICENSE]
    base = compute + data + fixed + licence
    risk_control = base * theta[RHO]
    robustness = base * theta[RHO_G]
    out[0] = compute
    out[1] = data
    out[2] = fixed
    out[3] = licence
    out[4] = risk_control
    out[5] = robustness
    out[6] = base + risk_control + robustness


@jit
def serving_cost_per_token(theta, size):
    """Year-1 cost of serving one token: 2N FLOP at the serving utilization."""
    return (SERVING_FLOP_PER_PARAM * size * theta[P_HOUR]
            / (SECONDS_PER_HOUR * theta[F_PEAK] * theta[U_SERVE]))
