"""What investors believe: the world their expected ROI is computed in.

MODEL.md section 2: the expectation is reality with no deployment gap, the
revenue pool times the hype, and no incidents. ``belief_theta`` writes that
world's parameter vector; the expected ROI is the same equations evaluated
on it (:func:`sim.model.evaluate.evaluate_world`).
"""

from __future__ import annotations

from ..jit import jit
from .params import GAP, HYPE, POOL

__all__ = ["belief_theta"]


@jit
def belief_theta(theta, theta_belief):
    """Reality's parameters with ``g = 0`` and the pool times ``h``."""
    theta_belief[:] = theta
    theta_belief[GAP] = 0.0
    theta_belief[POOL] = theta[POOL] * theta[HYPE]
