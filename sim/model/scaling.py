"""Scaling laws: training tokens and compute at a model size (MODEL.md 2)."""

from __future__ import annotations

import math

from ..jit import jit
from .params import A_DATA, B_COMP, D_REF, OVERHEAD, R_REF

__all__ = ["scaling"]


@jit
def scaling(theta, log_x):
    """Training tokens D and total training compute R at size ``x = N/N_ref``."""
    tokens = theta[D_REF] * math.exp(theta[A_DATA] * log_x)
    flops = theta[R_REF] * math.exp(theta[B_COMP] * log_x) * theta[OVERHEAD]
    return tokens, flops
