"""Performance: Chinchilla's reducible loss, ours and the rivals'."""

from __future__ import annotations

import math

from ..jit import jit
from .params import A_COEF, A_DATA, ALPHA, B_COEF, BETA, D_REF, RIVAL_SIZE

__all__ = ["reducible_loss", "rival_loss"]


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
