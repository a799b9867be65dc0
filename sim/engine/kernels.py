"""The scenario loop: draw, evaluate, reduce, in parallel Numba kernels.

``reduce_chunk`` evaluates a run of whole blocks and reduces as it goes, so
memory does not grow with the number of scenarios; ``sample_range`` keeps
every draw and result (for ``sim.sample`` and the histogram pilot). Both draw
through ``draw_design_scenario`` and evaluate with
:func:`sim.model.evaluate_scenario`, so ``sample`` returns exactly the draws
that ``run`` reduces.

Arguments travel as three tuples: ``dists`` (the plan's constants and
inverse-CDF tables), ``design`` (:class:`sim.sampling.designs.Design`) and ``copula``
(the correlated dimensions and their Cholesky factor).
"""

from __future__ import annotations

import numba
import numpy as np

from ..jit import jit_parallel, prange
from ..model.evaluate import evaluate_scenario, new_scratch
from ..sampling.draw import draw_design_scenario
from .accumulators import histogram_add, histogram_bin

__all__ = ["reduce_chunk", "sample_range"]


@jit_parallel
def reduce_chunk(key, first_block, n_blocks, n_total, block_size, dists, design, copula, model,
                 log_sizes, log_n_ref, horizon,
                 hist_cols, hist_lo, hist_inv_width, hist_offset, hist_scale, n_bins, hist,
                 block_n, block_mean, block_m2):
    """Evaluate blocks ``first_block .. first_block + n_blocks - 1``.

    Blocks are handed out to threads one at a time (the caller sets
    ``numba.parallel_chunksize(1)``: scenarios differ in cost, and static
    halves left one thread idle). The thread that runs a block adds to its
    own histogram ``hist[thread]`` (per bin: count, minimum, maximum and how
    many values equal each, so that point masses such as ROI = -1 stay exact,
    and all of them independent of which thread saw which value); block ``b``
    of the chunk writes its count, means and M2 to ``block_*[b]``. Within a
    block, sums are shifted by the block's first value for accuracy.

    ``model`` is (structure, belief): see :func:`sim.model.evaluate_scenario`;
    the last entry of ``structure`` is the number of uniforms per scenario.
    Column ``hist_cols[h]`` of the output feeds histogram ``h`` of each size.
    """
    theta0 = dists[0]
    structure, belief = model
    n_dims = structure[4]
    n_sampled = dists[1].shape[0]
    n_sizes = log_sizes.shape[0]
    n_cols = block_mean.shape[2]
    n_hist = hist_cols.shape[0]
    table = dists[8]
    for b in prange(n_blocks):
        lane = numba.get_thread_id()
        u = np.empty(n_dims)
        z = np.empty(max(copula[0].shape[0], 1))
        theta = np.empty(theta0.shape[0])
        scratch = new_scratch(theta0.shape[0], n_sizes, horizon)
        out = np.zeros((n_sizes, n_cols))
        shift = np.empty((n_sizes, n_cols))
        s1 = np.empty((n_sizes, n_cols))
        s2 = np.empty((n_sizes, n_cols))
        # Flat views: one simple loop over every (size, statistic) vectorizes.
        out_flat = out.reshape(n_sizes * n_cols)
        shift_flat = shift.reshape(n_sizes * n_cols)
        s1_flat = s1.reshape(n_sizes * n_cols)
        s2_flat = s2.reshape(n_sizes * n_cols)
        first = (first_block + b) * block_size
        last = min(first + block_size, n_total)
        s1[:] = 0.0
        s2[:] = 0.0
        for s in range(first, last):
            draw_design_scenario(key, s, n_dims, block_size, dists, design, copula, u, z, theta)
            evaluate_scenario(theta, structure, log_sizes, log_n_ref, horizon, u, n_sampled, belief,
                              table, out, scratch)
            if s == first:
                shift[:] = out
            for k in range(n_sizes * n_cols):
                dx = out_flat[k] - shift_flat[k]
                s1_flat[k] += dx
                s2_flat[k] += dx * dx
            for j in range(n_sizes):
                for h in range(n_hist):
                    x = out[j, hist_cols[h]]
                    hh = n_hist * j + h
                    i = histogram_bin(x, hist_lo[hh], hist_inv_width[hh], hist_offset[hh],
                                      hist_scale[hh], n_bins)
                    histogram_add(hist[lane, hh, i], x)
        m = last - first
        block_n[b] = m
        for j in range(n_sizes):
            for k in range(n_cols):
                mean_dx = s1[j, k] / m
                block_mean[b, j, k] = shift[j, k] + mean_dx
                block_m2[b, j, k] = max(s2[j, k] - s1[j, k] * mean_dx, 0.0)


@jit_parallel
def sample_range(key, first, n, block_size, dists, design, copula, model,
                 log_sizes, log_n_ref, horizon, draws, incident_u, belief_draws, stats):
    """Keep every draw: ``draws[i]`` (sampled parameters), ``incident_u[i]``,
    ``belief_draws[i]`` (the believed value of each belief key) and
    ``stats[i, size, column]`` for scenarios ``first .. first + n - 1``."""
    theta0, target = dists[0], dists[1]
    structure, belief = model
    n_dims = structure[4]
    n_sampled = target.shape[0]
    n_sizes = log_sizes.shape[0]
    b_target = belief[0]
    table = dists[8]
    n_lanes = 64
    for lane in prange(n_lanes):
        u = np.empty(n_dims)
        z = np.empty(max(copula[0].shape[0], 1))
        theta = np.empty(theta0.shape[0])
        scratch = new_scratch(theta0.shape[0], n_sizes, horizon)
        for i in range((lane * n) // n_lanes, ((lane + 1) * n) // n_lanes):
            draw_design_scenario(key, first + i, n_dims, block_size, dists, design, copula,
                                 u, z, theta)
            evaluate_scenario(theta, structure, log_sizes, log_n_ref, horizon, u, n_sampled, belief,
                              table, stats[i], scratch)
            for d in range(n_sampled):
                draws[i, d] = theta[target[d]]
            for t in range(horizon):
                incident_u[i, t] = u[n_sampled + t]
            theta_belief = scratch[1]
            for b in range(b_target.shape[0]):
                belief_draws[i, b] = theta_belief[b_target[b]]
