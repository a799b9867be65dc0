"""Ethics and security risk: the incident probability under risk control."""

from __future__ import annotations

import math

from ..jit import jit
from .params import KAPPA, LAMBDA0, RHO

__all__ = ["incident_probability"]


@jit
def incident_probability(theta):
    """lambda = lambda0 exp(-kappa rho): risk control lowers the incident rate."""
    return theta[LAMBDA0] * math.exp(-theta[KAPPA] * theta[RHO])
