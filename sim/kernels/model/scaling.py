"""Scaling and route: training tokens, final-run compute, the data wall and
the release delay (MODEL.md sections 2, 6 and 10).

Pretraining draws its tokens from ``D = D_ref x**a`` and its final-run
compute from the compute rule (``power``: ``R_ref x**b``; ``6ND``: 6 N D);
fine-tuning uses ``D_ft`` tokens at ``6 N D_ft c_ft`` FLOP. Repeated data is
worth less than fresh data (Muennighoff et al. 2023), so beyond the stock
``S_D`` the loss sees ``D_eff`` tokens while compute still pays for ``D``.
"""

from __future__ import annotations


from sim.kernels import vmath
from sim.kernels.jit import jit
from sim.kernels.model.params import (
    A_DATA,
    B_COMP,
    CLUSTER_GPUS,
    D_REF,
    F_PEAK,
    FT_COMPUTE_SHARE,
    FT_TOKENS,
    OVERHEAD,
    PRETRAIN,
    R_REF,
    RULE_POWER,
    U_TRAIN,
)

__all__ = ["SECONDS_PER_YEAR", "effective_tokens", "release_delay", "training_run"]

SECONDS_PER_YEAR = 31_557_600.0  # Julian year, MODEL.md section 10


@jit
def effective_tokens(tokens, stock, repeat_horizon):
    """``D_eff``: ``D`` up to the stock, then ``S_D (1 + R* (1 - exp(-(D/S_D - 1)/R*)))``."""
    if tokens <= stock:
        return tokens
    return stock * (1.0 + repeat_horizon * (1.0 - vmath.exp(-(tokens / stock - 1.0) / repeat_horizon)))


@jit
def training_run(theta, route, rule, log_n, log_x):
    """Tokens, final-run FLOP, total FLOP (with experiments) of our model.

    Returns ``(tokens, final_flops, total_flops)``.
    """
    if route == PRETRAIN:
        tokens = theta[D_REF] * vmath.exp(theta[A_DATA] * log_x)
        if rule == RULE_POWER:
            final = theta[R_REF] * vmath.exp(theta[B_COMP] * log_x)
        else:
            final = 6.0 * vmath.exp(log_n) * tokens
    else:
        tokens = theta[FT_TOKENS]
        final = 6.0 * vmath.exp(log_n) * tokens * theta[FT_COMPUTE_SHARE]
    return tokens, final, final * theta[OVERHEAD]


@jit
def release_delay(theta, final_flops):
    """Years the final run takes on the cluster: ``R_final / (G F_pk u_tr year)``."""
    return final_flops / (theta[CLUSTER_GPUS] * theta[F_PEAK] * theta[U_TRAIN] * SECONDS_PER_YEAR)

