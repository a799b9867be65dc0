"""Floor (b): the engine's draws alone, with no model evaluation.

Every scenario's uniforms and inverse CDFs go through
``sim.kernels.draw_design_scenario``, the engine's own draw (random design); each lane sums the draws so nothing is optimised
away. The engine cannot run faster than this at the same thread count.
"""

from __future__ import annotations

import numba
import numpy as np

from sim import engine
from sim.jit import jit_parallel, prange
from sim.designs import build_design
from sim.kernels import draw_design_scenario
from sim.reductions import BLOCK
from sim.rng import key_from_seed


@jit_parallel
def draw_sums(key, n, dists, design, copula, horizon, sums):
    """``sums[lane, d]``: sum of dimension ``d`` (sampled parameters, then
    yearly incident uniforms) over the lane's contiguous run of scenarios."""
    n_lanes = sums.shape[0]
    theta0, target = dists[0], dists[1]
    n_sampled = target.shape[0]
    n_dims = n_sampled + horizon
    for lane in prange(n_lanes):
        u = np.empty(n_dims)
        z = np.empty(max(copula[0].shape[0], 1))
        theta = np.empty(theta0.shape[0])
        acc = np.zeros(n_dims)
        for s in range((lane * n) // n_lanes, ((lane + 1) * n) // n_lanes):
            draw_design_scenario(key, s, n_dims, BLOCK, dists, design, copula, u, z, theta)
            for d in range(n_sampled):
                acc[d] += theta[target[d]]
            for t in range(horizon):
                acc[n_sampled + t] += u[n_sampled + t]
        sums[lane] = acc


def run(plan, seed: int, n: int) -> np.ndarray:
    """Sums of every drawn dimension over scenarios ``0 .. n-1``."""
    sums = np.zeros((numba.get_num_threads(), plan.n_dims))
    design = build_design("random", seed, n, plan.n_dims)
    draw_sums(key_from_seed(seed), n, *engine.kernel_args(plan, design), plan.horizon, sums)
    return sums.sum(axis=0)


def check(plan, seed: int = 0, n: int = 10_000) -> str | None:
    """None if the sums equal those of the engine's kept draws."""
    draws, incident_u, _ = engine.sample_arrays(plan, key_from_seed(seed), 0, n)
    want = np.concatenate([draws.sum(axis=0), incident_u.sum(axis=0)])
    got = run(plan, seed, n)
    if not np.allclose(got, want, rtol=1e-12, atol=0):
        return f"sums of draws differ from the engine's: {got} vs {want}"
    return None
