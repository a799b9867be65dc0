"""Baseline (b): a straightforward Numba transcription of specification section 2.

It draws each scenario exactly as the engine does (``sim.kernels.sampling.draw.draw_design_scenario``,
so its ROI equals the engine's scenario by scenario) and then evaluates the
equations as written: a ``**`` power call per term, every quantity recomputed
for each size, ``(1 - x)**(t-1)`` powers in the year loop, the realized and
the expected ROI each with its own cash-flow loop. It reduces only the mean
ROI and P(loss) per size, which is less work than the engine's reduction, so
the engine's speed-up over it is if anything understated. Compiled with the
engine's options (:mod:`sim.kernels.jit`), so only the arithmetic differs.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from sim.engine.reducer import kernel_args
from sim.kernels.jit import jit, jit_parallel, prange
from sim.vocab.layout import BLOCK
from sim.kernels.model import params as m
from sim.engine.designs import build_design
from sim.kernels.sampling.draw import draw_design_scenario
from sim.kernels.sampling.rng import key_from_seed
from sim.testing.numpy_model import Summary

__all__ = ["run"]


@jit
def cash_flow_npv(th, l_user, pool, c_tok1, l_c1, lam, horizon, u, incidents):
    """NPV of the yearly cash flows, one power per yearly factor."""
    npv = 0.0
    for t in range(1, horizon + 1):
        l_ct = l_c1 * (1.0 - th[m.PROGRESS]) ** (t - 1)
        share = 1.0 / (1.0 + th[m.RIVALS] * (l_user / l_ct) ** th[m.SHARPNESS])
        price = th[m.P_TOKEN] * (1.0 - th[m.PRICE_DECLINE]) ** (t - 1)
        c_tok = c_tok1 * (1.0 - th[m.SERVE_DECLINE]) ** (t - 1)
        cf = 0.0
        if c_tok < price:
            rev = pool * (1.0 + th[m.GROWTH]) ** (t - 1) * share
            serve = rev / price * c_tok
            loss = th[m.SEVERITY] * rev if incidents and u[t - 1] < lam else 0.0
            cf = rev - serve - loss
        npv += cf / (1.0 + th[m.R_DISC]) ** t
    return npv


@jit
def roi_of_size(th, N, n_ref, horizon, u):
    """Realized and expected ROI of one size, as the specification writes them."""
    x = N / n_ref
    D = th[m.D_REF] * x ** th[m.A_DATA]
    R = th[m.R_REF] * x ** th[m.B_COMP] * th[m.OVERHEAD]
    c_flop = th[m.P_HOUR] / (3600.0 * th[m.F_PEAK] * th[m.U_TRAIN])
    c_fix = th[m.K_REF] * x ** th[m.F_EXP]
    invest = (R * c_flop + D * th[m.P_DATA] + c_fix) * (1.0 + th[m.RHO])
    l = th[m.A_COEF] / N ** th[m.ALPHA] + th[m.B_COEF] / D ** th[m.BETA]
    l_real = l / (1.0 - th[m.GAP])
    N_c = th[m.RIVAL_SIZE]
    D_c = th[m.D_REF] * (N_c / n_ref) ** th[m.A_DATA]
    l_c1 = th[m.A_COEF] / N_c ** th[m.ALPHA] + th[m.B_COEF] / D_c ** th[m.BETA]
    c_tok1 = 2.0 * N * th[m.P_HOUR] / (3600.0 * th[m.F_PEAK] * th[m.U_SERVE])
    lam = th[m.LAMBDA0] * math.exp(-th[m.KAPPA] * th[m.RHO])
    npv = cash_flow_npv(th, l_real, th[m.POOL], c_tok1, l_c1, lam, horizon, u, True)
    npv_x = cash_flow_npv(th, l, th[m.POOL] * th[m.HYPE], c_tok1, l_c1, lam, horizon, u, False)
    return (npv - invest) / invest, (npv_x - invest) / invest


@jit_parallel
def naive_reduce(key, n, dists, design, copula, sizes, n_ref, horizon, roi_sum, roi_x_sum,
                 losses):
    """Scenarios ``0 .. n-1`` split into one contiguous run per lane
    (``roi_sum.shape[0]`` lanes); each lane sums into local accumulators."""
    n_lanes = roi_sum.shape[0]
    theta0, target = dists[0], dists[1]
    n_sampled = target.shape[0]
    n_dims = n_sampled + horizon
    n_sizes = sizes.shape[0]
    for lane in prange(n_lanes):
        u = np.empty(n_dims)
        z = np.empty(max(copula[0].shape[0], 1))
        theta = np.empty(theta0.shape[0])
        acc = np.zeros(n_sizes)
        acc_x = np.zeros(n_sizes)
        acc_loss = np.zeros(n_sizes)
        for s in range((lane * n) // n_lanes, ((lane + 1) * n) // n_lanes):
            draw_design_scenario(key, s, n_dims, BLOCK, dists, design, copula, u, z, theta)
            for j in range(n_sizes):
                roi, roi_x = roi_of_size(theta, sizes[j], n_ref, horizon, u[n_sampled:])
                acc[j] += roi
                acc_x[j] += roi_x
                if roi < 0.0:
                    acc_loss[j] += 1.0
        roi_sum[lane] = acc
        roi_x_sum[lane] = acc_x
        losses[lane] = acc_loss


def run(plan, seed: int, n: int) -> Summary:
    """Mean ROI and P(loss) per size of scenarios ``0 .. n-1``."""
    lanes = numba.get_num_threads()
    shape = (lanes, plan.n_sizes)
    roi_sum, roi_x_sum, losses = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    design = build_design("random", seed, n, plan.n_dims)
    naive_reduce(key_from_seed(seed), n, *kernel_args(plan, design), np.exp(plan.log_sizes),
                 math.exp(plan.log_n_ref), plan.horizon, roi_sum, roi_x_sum, losses)
    nan = np.full(plan.n_sizes, np.nan)
    return Summary(n, roi_sum.sum(axis=0) / n, nan, losses.sum(axis=0) / n)
