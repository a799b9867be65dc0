"""Ethics and security risk: incidents under risk control, and the yearly
duties of systemic-risk models (MODEL.md sections 2 and 11)."""

from __future__ import annotations


from sim.kernels import vmath
from sim.kernels.jit import jit
from sim.kernels.model.params import COMPLIANCE, COMPLIANCE_THRESHOLD, KAPPA, LAMBDA0, RHO

__all__ = ["compliance_cost", "incident_probability"]


@jit
def incident_probability(theta):
    """lambda = lambda0 exp(-kappa rho): risk control lowers the incident rate."""
    return theta[LAMBDA0] * vmath.exp(-theta[KAPPA] * theta[RHO])


@jit
def compliance_cost(theta, final_flops):
    """Yearly duties Y of a model whose final run reaches the threshold
    (EU AI Act Art. 51: systemic risk presumed above 1e25 FLOP), else 0."""
    return theta[COMPLIANCE] if final_flops >= theta[COMPLIANCE_THRESHOLD] else 0.0
