"""Floor (c): the model alone, on parameter vectors drawn beforehand.

A chunk of scenarios is drawn once by the engine (``sim.engine.sample_arrays``)
and kept; the timed kernel then runs :func:`sim.model.evaluate_scenario` on
``n`` scenarios taken cyclically from that chunk, summing ROI and losses per
size. It measures the model's arithmetic without the generator and without
the engine's full reduction (moments of every statistic and the quantile
histograms): engine time minus both floors is what the reduction costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from sim import engine
from sim.jit import jit_parallel, prange
from sim.model import LOSS, N_STATS, ROI, evaluate_scenario
from sim.rng import key_from_seed

CHUNK = 100_000


@dataclass
class Predrawn:
    """Full parameter vectors and incident uniforms of the first scenarios,
    and the engine's ROI for them."""

    theta: np.ndarray  # (m, n_parameters)
    incident_u: np.ndarray  # (m, horizon)
    roi: np.ndarray  # (m, n_sizes)


def predraw(plan, seed: int, m: int = CHUNK) -> Predrawn:
    draws, incident_u, stats = engine.sample_arrays(plan, key_from_seed(seed), 0, m)
    theta = np.tile(plan.theta, (m, 1))
    theta[:, plan.target] = draws
    return Predrawn(np.ascontiguousarray(theta), incident_u, stats[:, :, ROI].copy())


@jit_parallel
def model_sums(theta, incident_u, n, log_sizes, log_n_ref, horizon, roi_sum, losses):
    """Evaluate scenarios ``i % m`` for ``i < n``; per-lane sums of ROI and losses."""
    n_lanes = roi_sum.shape[0]
    m = theta.shape[0]
    n_sizes = log_sizes.shape[0]
    for lane in prange(n_lanes):
        out = np.empty((n_sizes, N_STATS))
        work = np.empty((4, horizon))
        acc = np.zeros(n_sizes)
        acc_loss = np.zeros(n_sizes)
        for i in range((lane * n) // n_lanes, ((lane + 1) * n) // n_lanes):
            k = i % m
            evaluate_scenario(theta[k], log_sizes, log_n_ref, horizon, incident_u[k], out, work)
            for j in range(n_sizes):
                acc[j] += out[j, ROI]
                acc_loss[j] += out[j, LOSS]
        roi_sum[lane] = acc
        losses[lane] = acc_loss


def run(plan, pre: Predrawn, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sums of ROI and of losses per size over ``n`` evaluations."""
    shape = (numba.get_num_threads(), plan.n_sizes)
    roi_sum, losses = np.zeros(shape), np.zeros(shape)
    model_sums(pre.theta, pre.incident_u, n, plan.log_sizes, plan.log_n_ref, plan.horizon,
               roi_sum, losses)
    return roi_sum.sum(axis=0), losses.sum(axis=0)


def check(plan, pre: Predrawn) -> str | None:
    """None if one pass over the chunk reproduces the engine's ROI sums."""
    got, losses = run(plan, pre, pre.theta.shape[0])
    want = pre.roi.sum(axis=0)
    scale = np.abs(pre.roi).sum(axis=0)
    if np.any(np.abs(got - want) > 1e-12 * scale):
        return f"ROI sums on pre-drawn inputs differ from the engine's: {got} vs {want}"
    if np.any(losses != (pre.roi < 0).sum(axis=0)):
        return "loss counts on pre-drawn inputs differ from the engine's"
    return None
