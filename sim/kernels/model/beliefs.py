"""What investors believe: the world their expected ROI is computed in
(MODEL.md sections 2 and 8).

The belief's parameters are reality's, then ``g = 0``, then the keys of the
scenario's ``[expectation]`` table. A believed distribution is drawn from the
same uniform as reality's draw of that key (the two are comonotone), or from
a uniform of its own if the key is constant in reality. The believed pool is
the belief's ``revenue_pool`` times its ``hype``. Without an
``[expectation]`` table this is v1's expectation: no gap, the pool times the
hype.
"""

from __future__ import annotations

from sim.kernels.jit import jit
from sim.kernels.sampling.inverse_cdf import inverse_cdf
from sim.kernels.model.params import GAP, HYPE, POOL

__all__ = ["apply_overlay", "belief_theta"]


@jit
def apply_overlay(theta, overlay, first, last, u, table):
    """Apply entries ``first .. last-1`` of an overlay (the plan's encoding:
    target, dim, family, par, lo, span, offset, n_table, const, start): set
    each target to its constant, or to the inverse CDF of its uniform."""
    target, dim, family, par, lo, span, offset, n_table, const = overlay[:9]
    for b in range(first, last):
        if dim[b] < 0:
            theta[target[b]] = const[b]
        else:
            theta[target[b]] = inverse_cdf(family[b], par[b, 0], par[b, 1], par[b, 2], lo[b],
                                           span[b], table, offset[b], n_table[b], u[dim[b]])


@jit
def belief_theta(theta, belief, first, last, u, table, theta_belief):
    """The belief's parameter vector from its world's ``theta`` and the
    scenario's uniforms ``u``: no gap, then entries ``first .. last-1`` of
    the plan's belief overlay, then the pool times the hype."""
    theta_belief[:] = theta
    theta_belief[GAP] = 0.0
    apply_overlay(theta_belief, belief, first, last, u, table)
    theta_belief[POOL] = theta_belief[POOL] * theta_belief[HYPE]
