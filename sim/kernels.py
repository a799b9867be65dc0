"""The scenario loop: draw, evaluate, reduce, in parallel Numba kernels.

``reduce_chunk`` evaluates a run of whole blocks and reduces as it goes, so
memory does not grow with the number of scenarios; ``sample_range`` keeps
every draw and result (for ``sim.sample`` and the histogram pilot). Both call
the same ``draw_scenario`` and :func:`sim.model.evaluate_scenario`, so
``sample`` returns exactly the draws that ``run`` reduces.
"""

from __future__ import annotations

import numpy as np

from .inverse_cdf import inverse_cdf
from .jit import jit, jit_parallel, prange
from .model import BEST, N_STATS, ROI, ROI_EXPECTED, evaluate_scenario
from .reductions import histogram_bin
from .rng import fill_uniforms


@jit
def draw_scenario(key, s, n_dims, theta0, target, family, par, lo, span,
                  offset, n_table, table, u, theta):
    """Uniforms of scenario ``s`` into ``u``; its parameter vector into ``theta``."""
    fill_uniforms(key, s, n_dims, u)
    theta[:] = theta0
    for d in range(target.shape[0]):
        theta[target[d]] = inverse_cdf(family[d], par[d], lo[d], span[d],
                                       table, offset[d], n_table[d], u[d])


@jit_parallel
def reduce_chunk(key, first_block, n_blocks, n_total, block_size,
                 theta0, target, family, par, lo, span, offset, n_table, table,
                 log_sizes, log_n_ref, horizon,
                 hist_lo, hist_inv_width, n_bins, h_count, h_min, h_max, h_at_min, h_at_max,
                 block_n, block_mean, block_m2):
    """Evaluate blocks ``first_block .. first_block + n_blocks - 1``.

    Lane ``l`` (one per thread) takes a contiguous run of blocks and owns
    ``h_*[l]`` (counts, minima, maxima and how many values equal each, so
    that point masses such as ROI = -1 stay exact); block ``b`` of the chunk writes its count, means and M2 to
    ``block_*[b]``. Within a block, sums are shifted by the block's first
    value for accuracy.
    """
    n_lanes = h_count.shape[0]
    n_dims = target.shape[0] + horizon
    n_sampled = target.shape[0]
    n_sizes = log_sizes.shape[0]
    for lane in prange(n_lanes):
        u = np.empty(n_dims)
        theta = np.empty(theta0.shape[0])
        out = np.empty((n_sizes, N_STATS))
        shift = np.empty((n_sizes, N_STATS))
        s1 = np.empty((n_sizes, N_STATS))
        s2 = np.empty((n_sizes, N_STATS))
        b_start = (lane * n_blocks) // n_lanes
        b_stop = ((lane + 1) * n_blocks) // n_lanes
        for b in range(b_start, b_stop):
            first = (first_block + b) * block_size
            last = min(first + block_size, n_total)
            s1[:] = 0.0
            s2[:] = 0.0
            for s in range(first, last):
                draw_scenario(key, s, n_dims, theta0, target, family, par, lo, span,
                              offset, n_table, table, u, theta)
                evaluate_scenario(theta, log_sizes, log_n_ref, horizon,
                                  u[n_sampled:], out)
                if s == first:
                    shift[:] = out
                for j in range(n_sizes):
                    for k in range(N_STATS):
                        dx = out[j, k] - shift[j, k]
                        s1[j, k] += dx
                        s2[j, k] += dx * dx
                    for h in range(2):
                        x = out[j, ROI] if h == 0 else out[j, ROI_EXPECTED]
                        hh = 2 * j + h
                        i = histogram_bin(x, hist_lo[hh], hist_inv_width[hh], n_bins)
                        h_count[lane, hh, i] += 1
                        if x < h_min[lane, hh, i]:
                            h_min[lane, hh, i] = x
                            h_at_min[lane, hh, i] = 1
                        elif x == h_min[lane, hh, i]:
                            h_at_min[lane, hh, i] += 1
                        if x > h_max[lane, hh, i]:
                            h_max[lane, hh, i] = x
                            h_at_max[lane, hh, i] = 1
                        elif x == h_max[lane, hh, i]:
                            h_at_max[lane, hh, i] += 1
            m = last - first
            block_n[b] = m
            for j in range(n_sizes):
                for k in range(N_STATS):
                    mean_dx = s1[j, k] / m
                    block_mean[b, j, k] = shift[j, k] + mean_dx
                    block_m2[b, j, k] = max(s2[j, k] - s1[j, k] * mean_dx, 0.0)


@jit_parallel
def sample_range(key, first, n, theta0, target, family, par, lo, span, offset,
                 n_table, table, log_sizes, log_n_ref, horizon,
                 draws, incident_u, stats):
    """Keep every draw: ``draws[i]`` (sampled parameters), ``incident_u[i]``
    and ``stats[i, size, STAT]`` for scenarios ``first .. first + n - 1``."""
    n_dims = target.shape[0] + horizon
    n_sampled = target.shape[0]
    for i in prange(n):
        u = np.empty(n_dims)
        theta = np.empty(theta0.shape[0])
        draw_scenario(key, first + i, n_dims, theta0, target, family, par, lo, span,
                      offset, n_table, table, u, theta)
        evaluate_scenario(theta, log_sizes, log_n_ref, horizon, u[n_sampled:], stats[i])
        for d in range(n_sampled):
            draws[i, d] = theta[target[d]]
        for t in range(horizon):
            incident_u[i, t] = u[n_sampled + t]


__all__ = ["draw_scenario", "reduce_chunk", "sample_range", "BEST"]
