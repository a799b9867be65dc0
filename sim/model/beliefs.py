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

from ..jit import jit
from ..sampling.inverse_cdf import inverse_cdf
from .params import GAP, HYPE, POOL

__all__ = ["belief_theta"]


@jit
def belief_theta(theta, belief, u, table, theta_belief):
    """The belief's parameter vector from reality's ``theta`` and the
    scenario's uniforms ``u``; ``belief`` is the plan's encoding
    (target, dim, family, par, lo, span, offset, n_table, const)."""
    target, dim, family, par, lo, span, offset, n_table, const = belief
    theta_belief[:] = theta
    theta_belief[GAP] = 0.0
    for b in range(target.shape[0]):
        if dim[b] < 0:
            theta_belief[target[b]] = const[b]
        else:
            theta_belief[target[b]] = inverse_cdf(family[b], par[b, 0], par[b, 1], par[b, 2],
                                                  lo[b], span[b], table, offset[b], n_table[b],
                                                  u[dim[b]])
    theta_belief[POOL] = theta_belief[POOL] * theta_belief[HYPE]
