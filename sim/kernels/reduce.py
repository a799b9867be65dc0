"""The scenario loop: draw, evaluate, reduce, in one Numba kernel.

``reduce_chunk`` evaluates a run of whole blocks and reduces as it goes, so
memory does not grow with the number of scenarios; it can also keep every
draw and result of a range of scenarios, which is what ``sample_range``
(for ``sim.sample`` and the histogram pilot) asks of it. Draws come from
:func:`sim.kernels.sampling.block.draw_block` and the model from
:func:`sim.kernels.model.block.evaluate_block` (as the sensitivity matrices
of :mod:`sim.engine.matrix` do), so ``sample`` returns exactly the draws that
``run`` reduces, and a run compiles the model once.

Arguments travel as three tuples: ``dists`` (the plan's constants and
inverse-CDF tables), ``design`` (:class:`sim.engine.designs.Design`) and ``copula``
(the correlated dimensions and their Cholesky factor).
"""

from __future__ import annotations

import numpy as np

from sim.kernels.jit import jit, jit_inline_ir
from sim.vocab.layout import LANES, SUB_BLOCK
from sim.kernels.model.block import copy_rows, apply_overlay_block, evaluate_block, new_block_scratch
from sim.vocab.outputs import NET_VALUE, ROI
from sim.kernels.sampling.rng import uniform
from sim.kernels.sampling.block import draw_block
from sim.kernels.accumulators import histogram_add_all, histogram_bins, lane_sums
from sim.kernels.arguments import keep_range

__all__ = ["keep_block", "reduce_chunk", "sample_range"]


@jit
def reduce_chunk(key, first_block, n_blocks, n_total, block_size, dists, design, copula, model,
                 log_sizes, log_n_ref, horizon,
                 hist_cols, hist_lo, hist_inv_width, hist_offset, hist_scale, n_bins, hist,
                 block_n, block_mean, block_m2, voi, keep_first, kept):
    """Evaluate blocks ``first_block .. first_block + n_blocks - 1``.

    A serial kernel that releases the GIL: the caller hands blocks to
    threads one at a time (:func:`sim.services.blocks.over_blocks`), a call
    per block, each thread with its own histograms ``hist[0]`` (per bin:
    count, minimum, maximum and how many values equal each, so that point
    masses such as ROI = -1 stay exact, and all of them independent of which
    thread saw which value); block ``b`` of the call writes its count, means
    and M2 to ``block_*[b]``.

    A block is evaluated :data:`SUB_BLOCK` scenarios at a time, structure of
    arrays (:func:`sim.kernels.sampling.block.draw_block`,
    :func:`sim.kernels.model.block.evaluate_block`, SIMD loops). Within a block, sums are shifted by
    the block's first value for accuracy and kept in :data:`LANES` partial
    sums (scenario ``q`` of the block adds to lane ``q % LANES``), added up
    in lane order at the end of the block: a fixed order, so the result still
    depends only on the scenarios.

    ``model`` is (flags, worlds): see
    :func:`sim.kernels.model.block.evaluate_block`; the output has a row per
    alternative (strategy-major); ``hist_cols`` has ``n_hist`` slots per row
    and row ``j``'s column ``hist_cols[n_hist j + h]`` feeds its histogram
    ``h``, none where it is -1 (a statistic that is the same in every size,
    sketched once per strategy: :func:`sim.engine.reducer.sketched_slots`).
    ``voi`` is (dims, dummy key, bins, sums, counts): when ``dims`` is not
    empty, block ``b`` adds every alternative's objective to
    ``sums[b, i, bin]`` where ``bin`` is the bin of the uniform behind
    parameter ``i`` (the last ``i`` is a dummy uniform that enters no model:
    the noise floor), and counts the scenarios in ``counts[b, i, bin]``.

    ``kept`` is (draws, incident uniforms, extra uniforms, believed draws,
    stats), as :func:`sample_range` fills them: scenario ``keep_first + i``
    is written to row ``i`` of each while ``i`` is below ``len(stats)`` (zero
    rows: nothing is kept). One kernel both keeps and reduces, so a run
    compiles the model once for its pilot and its chunks.
    """
    theta0 = dists[0]
    flags, worlds = model
    objective, n_uniforms = flags[0], flags[2]
    column = NET_VALUE if objective == 0 else ROI
    voi_dims, dummy_key, voi_bins, voi_sum, voi_count = voi
    n_voi = voi_dims.shape[0]
    n_sampled = dists[1].shape[0]
    n_dims = n_sampled + horizon  # the design's uniforms; the rest have a stream of their own
    n_sizes = block_mean.shape[1]  # rows: alternatives
    n_cols = block_mean.shape[2]
    n_hist = hist_cols.shape[0] // max(n_sizes, 1)  # slots per row
    n_flat = n_sizes * n_cols
    table = dists[8]
    n_keep = kept[4].shape[0]
    width = SUB_BLOCK
    own = hist[0]  # this thread's histograms
    own_at = own.view(np.int32)  # their counts at the extremes (sim.kernels.accumulators)
    for b in range(n_blocks):
        U = np.empty((n_uniforms, width))
        TH = np.empty((theta0.shape[0], width))
        tmp = np.empty(n_uniforms)
        z = np.empty(max(copula[0].shape[0], 1))
        scratch = new_block_scratch(theta0.shape[0], log_sizes.shape[0], horizon, width)
        OUT = np.zeros((n_sizes, n_cols, width))
        flat = OUT.reshape(n_flat, width)
        bins = np.empty(width, dtype=np.int64)
        shift = np.empty(n_flat)
        s1 = np.zeros((n_flat, LANES))
        s2 = np.zeros((n_flat, LANES))
        first = (first_block + b) * block_size
        last = min(first + block_size, n_total)
        for f0 in range(first, last, width):
            m = min(width, last - f0)
            draw_block(key, f0, m, n_dims, n_uniforms, block_size, dists, design, copula, U, TH, tmp, z)
            evaluate_block(TH, U, m, flags, worlds, log_sizes, log_n_ref, horizon, n_sampled, table,
                           OUT, scratch)
            if n_keep > 0:
                keep_block(f0 - keep_first, m, TH, U, OUT, scratch, dists, worlds, n_dims, horizon, table, kept)
            if n_voi > 0:
                for i in range(m):
                    for v in range(n_voi + 1):
                        ui = U[voi_dims[v], i] if v < n_voi else uniform(dummy_key, np.uint64(f0 + i))
                        k = min(int(ui * voi_bins), voi_bins - 1)
                        voi_count[b, v, k] += 1.0
                        for a in range(n_sizes):
                            voi_sum[b, v, k, a] += OUT[a, column, i]
            if f0 == first:
                for k in range(n_flat):
                    shift[k] = flat[k, 0]
            for k in range(n_flat):
                lane_sums(flat[k], m, shift[k], s1[k], s2[k])
            for j in range(n_sizes):
                for h in range(n_hist):
                    hh = n_hist * j + h
                    c = hist_cols[hh]
                    if c < 0:
                        continue
                    x = OUT[j, c]
                    histogram_bins(x, m, hist_lo[hh], hist_inv_width[hh], hist_offset[hh],
                                   hist_scale[hh], n_bins, bins)
                    histogram_add_all(own[hh], own_at[hh], bins, x, m)
        m = last - first
        block_n[b] = m
        for k in range(n_flat):
            t1 = 0.0
            t2 = 0.0
            for q in range(LANES):
                t1 += s1[k, q]
                t2 += s2[k, q]
            mean_dx = t1 / m
            block_mean[b, k // n_cols, k % n_cols] = shift[k] + mean_dx
            block_m2[b, k // n_cols, k % n_cols] = max(t2 - t1 * mean_dx, 0.0)


@jit_inline_ir
def keep_block(row0, m, TH, U, OUT, scratch, dists, worlds, n_dims, horizon, table, kept):
    """Copy scenarios ``i < m`` of a sub-block to rows ``row0 + i`` of the
    ``kept`` arrays (those rows that exist): the outputs, the sampled draws,
    the incident and extra uniforms, and the first strategy's believed draws
    (``scratch[0]`` is free again once the sub-block is evaluated)."""
    draws, incident_u, extra_u, belief_draws, stats = kept
    target = dists[1]
    n_sampled = target.shape[0]
    n_rows, n_cols = stats.shape[1], stats.shape[2]
    n_extra = extra_u.shape[1]
    n_belief = belief_draws.shape[1]
    lo, hi = max(0, -row0), min(m, stats.shape[0] - row0)
    for i in range(lo, hi):
        r0 = row0 + i
        for r in range(n_rows):
            for k in range(n_cols):
                stats[r0, r, k] = OUT[r, k, i]
        for d in range(n_sampled):
            draws[r0, d] = TH[target[d], i]
        for t in range(horizon):
            incident_u[r0, t] = U[n_sampled + t, i]
        for e in range(n_extra):
            extra_u[r0, e] = U[n_dims + e, i]
    if n_belief > 0 and hi > lo:  # the first world's belief, as the kernel drew it
        # The believed draws themselves (before the pool is multiplied by the hype).
        overlay, belief = worlds[3:13], worlds[13:23]
        THW = scratch[0]
        copy_rows(TH, THW, m)
        apply_overlay_block(THW, overlay, overlay[9][0], overlay[9][1], U, table, m)
        apply_overlay_block(THW, belief, belief[9][0], belief[9][1], U, table, m)
        for b in range(n_belief):
            row = THW[belief[0][belief[9][0] + b]]
            for i in range(lo, hi):
                belief_draws[row0 + i, b] = row[i]


def sample_range(key, first, n, block_size, dists, design, copula, model,
                 log_sizes, log_n_ref, horizon, draws, incident_u, extra_u, belief_draws, stats):
    """Keep every draw: ``draws[i]`` (sampled parameters), ``incident_u[i]``,
    ``extra_u[i]`` (the uniforms of their own, after the incident ones: keys
    that only a belief or a strategy makes uncertain), ``belief_draws[i]``
    (the first strategy's believed value of each of its belief keys) and
    ``stats[i, row, column]`` (a row per alternative) for scenarios
    ``first .. first + n - 1``.

    :func:`reduce_chunk` keeps them (:func:`sim.kernels.arguments.keep_range`):
    the same numbers as a run, and the model compiled once (a second kernel
    holding it doubled a cold start's compile)."""
    keep_range(reduce_chunk, key, first, n, block_size, dists, design, copula, model,
               log_sizes, log_n_ref, horizon, (draws, incident_u, extra_u, belief_draws, stats))
