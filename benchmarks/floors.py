"""Floors of the scalar (one scenario at a time) path, and checks of it.

The engine runs the block kernels; where their time goes is measured inside
the engine's kernel by :mod:`benchmarks.stages`. The scalar path (one
scenario at a time, the engine's draws and the pre-SIMD model of
:mod:`benchmarks.frozen_kernel`) has two floors, with checks:

* **Draws** (``draws_run``): every scenario's uniforms and inverse CDFs through
  :func:`sim.kernels.sampling.draw.draw_design_scenario` (random design); each lane
  sums the draws so nothing is optimised away. ``draws_check`` compares the
  sums with an independent NumPy generator and SciPy quantiles.
* **Model** (``model_run``): a chunk of scenarios is drawn once by the engine
  (:func:`sim.engine.reducer.sample_arrays`) and kept; the timed kernel then
  runs the frozen kernel's ``evaluate_alternatives`` on ``n`` scenarios taken
  cyclically from that chunk, summing ROI and losses per size.
  ``model_check`` compares that scalar model with the engine's (block) results
  for the same draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from sim.engine.reducer import kernel_args, model_args, sample_arrays
from sim.kernels.jit import jit_parallel, prange
from sim.vocab.layout import BLOCK
from sim.vocab.outputs import LOSS, ROI
from sim.engine.designs import build_design
from sim.kernels.sampling.draw import draw_design_scenario
from sim.kernels.sampling.rng import key_from_seed

from benchmarks.frozen_kernel import evaluate_alternatives, new_scratch

__all__ = ["Predrawn", "draws_check", "draws_run", "model_check", "model_run", "predraw",
           "uniforms_np"]


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


def draws_run(plan, seed: int, n: int) -> np.ndarray:
    """Sums of every drawn dimension over scenarios ``0 .. n-1``."""
    sums = np.zeros((numba.get_num_threads(), plan.n_dims))
    design = build_design("random", seed, n, plan.n_dims)
    draw_sums(key_from_seed(seed), n, *kernel_args(plan, design), plan.horizon, sums)
    return sums.sum(axis=0)


def uniforms_np(key, first: int, n: int, n_dims: int) -> np.ndarray:
    """NumPy twin of :func:`sim.kernels.sampling.rng.uniform`, written from its
    definition (SplitMix64: a Weyl counter through Stafford's mixer 13), for
    scenarios ``first .. first + n - 1``: an oracle independent of the kernels."""
    counter = (np.uint64(first) * np.uint64(n_dims)
               + np.arange(n * n_dims, dtype=np.uint64)).reshape(n, n_dims)
    with np.errstate(over="ignore"):
        z = np.uint64(key) + (counter + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(12)).astype(np.float64) + 0.5) * 2.0**-52


def draws_check(plan, scenario, seed: int = 0, n: int = 10_000) -> str | None:
    """None if the floor's sums equal those of independently computed draws:
    :func:`uniforms_np` through each distribution's SciPy-special quantile
    (``Distribution.ppf``), not through any kernel. Scenarios with
    correlations are not supported by this oracle."""
    if plan.corr_dims.size:
        return "draws_check: the oracle does not apply copulas"
    u = uniforms_np(key_from_seed(seed), 0, n, plan.n_dims)
    cols = [scenario.values[key].ppf(u[:, d]) for d, key in enumerate(plan.sampled_keys)]
    want = np.concatenate([np.sum(cols, axis=1), u[:, plan.n_sampled:].sum(axis=0)])
    got = draws_run(plan, seed, n)
    if not np.allclose(got, want, rtol=1e-9, atol=0):
        return f"sums of draws differ from the independent draws: {got} vs {want}"
    return None


CHUNK = 100_000


@dataclass
class Predrawn:
    """Full parameter vectors and uniforms of the first scenarios, and the
    engine's ROI for them."""

    theta: np.ndarray  # (m, n_parameters)
    u: np.ndarray  # (m, n_dims): sampled dimensions (not read), then the incident uniforms
    roi: np.ndarray  # (m, n_sizes)


def predraw(plan, seed: int, m: int = CHUNK) -> Predrawn:
    draws, incident_u, _, stats = sample_arrays(plan, key_from_seed(seed), 0, m)
    theta = np.tile(plan.theta, (m, 1))
    theta[:, plan.target] = draws
    u = np.full((m, plan.n_dims), np.nan)
    u[:, plan.n_sampled:plan.n_sampled + plan.horizon] = incident_u
    if plan.n_belief_dims:
        raise ValueError("the model floor does not support belief-only dimensions")
    return Predrawn(np.ascontiguousarray(theta), u, stats[:, :, ROI].copy())


@jit_parallel
def model_sums(theta, u, n, model, n_sampled, table, log_sizes, log_n_ref, horizon, n_cols,
               roi_sum, losses):
    """Evaluate scenarios ``i % m`` for ``i < n``; per-lane sums of ROI and losses."""
    n_lanes = roi_sum.shape[0]
    m = theta.shape[0]
    n_sizes = log_sizes.shape[0]
    flags, worlds = model
    for lane in prange(n_lanes):
        out = np.zeros((n_sizes, n_cols))
        theta_world = np.empty(theta.shape[1])
        scratch = new_scratch(theta.shape[1], n_sizes, horizon)
        acc = np.zeros(n_sizes)
        acc_loss = np.zeros(n_sizes)
        for i in range((lane * n) // n_lanes, ((lane + 1) * n) // n_lanes):
            k = i % m
            evaluate_alternatives(theta[k], flags, worlds, log_sizes, log_n_ref, horizon, u[k],
                                  n_sampled, table, out, scratch, theta_world)
            for j in range(n_sizes):
                acc[j] += out[j, ROI]
                acc_loss[j] += out[j, LOSS]
        roi_sum[lane] = acc
        losses[lane] = acc_loss


def model_run(plan, pre: Predrawn, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sums of ROI and of losses per size over ``n`` evaluations."""
    shape = (numba.get_num_threads(), plan.n_sizes)
    roi_sum, losses = np.zeros(shape), np.zeros(shape)
    model_sums(pre.theta, pre.u, n, model_args(plan), plan.n_sampled, plan.table, plan.log_sizes,
               plan.log_n_ref, plan.horizon, plan.n_columns, roi_sum, losses)
    return roi_sum.sum(axis=0), losses.sum(axis=0)


def model_check(plan, pre: Predrawn) -> str | None:
    """None if one pass over the chunk reproduces the engine's ROI sums."""
    got, losses = model_run(plan, pre, pre.theta.shape[0])
    want = pre.roi.sum(axis=0)
    scale = np.abs(pre.roi).sum(axis=0)
    if np.any(np.abs(got - want) > 1e-12 * scale):
        return f"ROI sums on pre-drawn inputs differ from the engine's: {got} vs {want}"
    if np.any(losses != (pre.roi < 0).sum(axis=0)):
        return "loss counts on pre-drawn inputs differ from the engine's"
    return None
