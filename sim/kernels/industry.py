"""The industry frame (specification section 15): the capital cycle, year by year.

:func:`industry_scenario` runs one scenario's yearly loop (frontier compute
and size, cost per FLOP, Bass demand with demand shocks and incidents, the
tier price falling with time and with entry, tokens and serving cost,
capex, the extrapolated growth and fading hype behind the valuation ratio Q,
and entry, exit and compute growth answering Q) and writes one row of
:mod:`sim.vocab.industry` columns. :func:`reduce_chunk` and
:func:`sample_range` have the signatures of :mod:`sim.kernels.reduce`'s, so
the reducer, checkpoints and the cluster run the frame unchanged.

The yearly uniforms of demand shocks and incidents come from two streams of
their own, keyed by the run's key and indexed by scenario and year
(:func:`year_uniform`): results depend only on scenario, seed and n, and a
sweep (even of the horizon) sees the same shocks (common random numbers).
The loop is sequential in the years and cheap; scenarios run in parallel by
block. The independent checks are :mod:`sim.testing.industry` (a NumPy
reference and a hand transcription of the loop).
"""

from __future__ import annotations

import math

import numpy as np

from sim.kernels.accumulators import histogram_add_all, histogram_bins, lane_sums
from sim.kernels.arguments import keep_range
from sim.kernels.jit import jit
from sim.kernels.model.params import SECONDS_PER_HOUR, SECONDS_PER_YEAR, SERVING_FLOP_PER_PARAM
from sim.kernels.sampling.block import draw_block, transform_block
from sim.kernels.sampling.inverse_cdf import ndtri
from sim.kernels.sampling.rng import mix64, uniform
from sim.vocab.industry import (
    BELOW_COST,
    CAPEX,
    CAPEX_FALL,
    CAPEX_PEAK,
    COOLED,
    EXPECTED_RETURN,
    FRONTIER_FLOPS,
    LAB_COMPUTE,
    LABS,
    MARGIN,
    N_FIELDS,
    N_SCALARS,
    PROFIT,
    Q,
    REVENUE,
    REVENUE_PER_GW,
    ROI_INDUSTRY,
    ROI_INDUSTRY_LOSS,
    SCARCITY,
    SERVING_COST,
)
from sim.vocab.layout import LANES, SUB_BLOCK
from sim.vocab.registry import index as _i

__all__ = ["SHOCK_SALT", "INCIDENT_SALT", "YEAR_STRIDE", "evaluate_industry_rows", "industry_scenario", "industry_scratch",
           "reduce_chunk", "sample_range", "year_uniform", "year_uniforms"]

# Positions in theta (sim.vocab.registry), folded in at compile time.
R_DISC = _i("finance.discount_rate")
OVERHEAD = _i("scaling.experiment_overhead")
P_HOUR = _i("costs.gpu_hour_price")
F_PEAK = _i("costs.gpu_peak_flops")
U_TRAIN = _i("costs.training_utilization")
U_SERVE = _i("costs.serving_utilization")
SERVE_DECLINE = _i("costs.serving_cost_decline")
INPUT_RATIO = _i("costs.input_ratio")
U_PREFILL = _i("costs.prefill_utilization")
P_DATA = _i("costs.data_price_per_token")
RHO = _i("risk.control_share")
RHO_G = _i("risk.robustness_share")
KAPPA_G = _i("risk.robustness_effectiveness")
LAMBDA0 = _i("risk.incident_rate")
KAPPA = _i("risk.control_effectiveness")
SEVERITY = _i("risk.incident_severity")
GAP = _i("performance.deployment_gap")
P_TOKEN = _i("market.token_price")
PRICE_DECLINE = _i("market.token_price_decline")
HYPE = _i("market.hype")
LEARNING_RATE = _i("expectation.learning_rate")
LABS_1 = _i("industry.labs_initial")
FLOPS_1 = _i("industry.frontier_flops")
COMPUTE_GROWTH = _i("industry.compute_growth")
TOKENS_PER_PARAM = _i("industry.tokens_per_param")
FLOP_COST_DECLINE = _i("industry.flop_cost_decline")
FIXED_1 = _i("industry.fixed_cost")
FIXED_GROWTH = _i("industry.fixed_cost_growth")
POOL = _i("industry.ultimate_pool")
BASS_P = _i("industry.bass_innovation")
BASS_Q = _i("industry.bass_imitation")
SIGMA_Z = _i("industry.demand_volatility")
FREE_SHARE = _i("industry.free_share")
ETA = _i("industry.price_entry_elasticity")
ENTRY = _i("industry.entry_speed")
EXIT = _i("industry.exit_speed")
GPUS_PER_GW = _i("industry.gpus_per_gw")
SERVING_PARAMS = _i("industry.serving_params")
SERVING_GROWTH = _i("industry.serving_params_growth")
SUPPLY = _i("industry.compute_supply")
SUPPLY_GROWTH = _i("industry.compute_supply_growth")
PSI = _i("industry.scarcity_exponent")
PASS_THROUGH = _i("industry.scarcity_pass_through")
PERSISTENCE = _i("industry.scaling_persistence")
GHAT_0 = _i("expectation.initial_growth")

#: Keys of the two yearly streams (XOR-ed into the run's key, then mixed).
SHOCK_SALT = np.uint64(0xDE3A_4D5E_0000_0001)
INCIDENT_SALT = np.uint64(0x1AC1_DE47_0000_0002)
#: Uniforms reserved per scenario in each stream: more than any horizon
#: (sim.scenario.load.MAX_HORIZON), so year y of scenario s is number
#: ``s * YEAR_STRIDE + y - 1`` whatever the horizon.
YEAR_STRIDE = 128

#: Rows of :func:`industry_scenario`'s scratch: the planned run ``t`` years
#: ahead as a multiple of today's, then ``(1 + r)^j``, ``(1 - d_c)^j`` and
#: ``(1 + g_K)^j`` for ``j = 0 .. horizon + valuation_horizon - 1``.
PLANNED, DISCOUNT, FLOP, FIXED = 0, 1, 2, 3
N_POWERS = 4

_F_PER_YEAR = SECONDS_PER_YEAR
_F_PER_HOUR = SECONDS_PER_HOUR


@jit
def year_uniform(key, salt, s, year):
    """Uniform of year ``year`` (1-based) of scenario ``s`` in the stream ``salt``."""
    return uniform(mix64(key ^ salt), np.uint64(s) * np.uint64(YEAR_STRIDE) + np.uint64(year - 1))


@jit
def year_uniforms(key, first, n, horizon, shock, incident):
    """``shock[i, y-1]`` and ``incident[i, y-1]`` of scenarios ``first .. first + n - 1``
    (for tests and samples)."""
    for i in range(n):
        for y in range(1, horizon + 1):
            shock[i, y - 1] = year_uniform(key, SHOCK_SALT, first + i, y)
            incident[i, y - 1] = year_uniform(key, INCIDENT_SALT, first + i, y)


@jit
def industry_scratch(horizon, valuation_horizon):
    """Scratch for :func:`industry_scenario`: rows of ``horizon +
    valuation_horizon`` numbers (the planned runs and the powers)."""
    return np.empty((N_POWERS, horizon + valuation_horizon))


@jit
def industry_scenario(th, horizon, valuation_horizon, s_a, key, s, row, powers):
    """One scenario's yearly loop (specification section 15); ``th`` its
    parameters, ``row`` its :mod:`sim.vocab.industry` columns; ``powers`` is
    scratch from :func:`industry_scratch`.

    The valuation's inner loop (years ``t`` ahead of year ``y``) reads the
    powers ``(1 + r)^t``, ``(1 - d_c)^(y+t-1)`` and ``(1 + g_K)^(y+t-1)``
    from tables made once per scenario by the same expressions, so each
    number is bit for bit the one the loop computed itself, with three
    calls of ``pow`` fewer per year and year ahead."""
    r = th[R_DISC]
    o = th[OVERHEAD]
    p_h = th[P_HOUR]
    f_pk = th[F_PEAK]
    u_tr = th[U_TRAIN]
    serve = 1.0 / th[U_SERVE] + th[INPUT_RATIO] / th[U_PREFILL]  # 1/u_sv + r_in/u_pf
    d_s = th[SERVE_DECLINE]
    p_d = th[P_DATA]
    risk = 1.0 + th[RHO] + th[RHO_G]
    g_eff = th[GAP] * math.exp(-th[KAPPA_G] * th[RHO_G])
    lam = th[LAMBDA0] * math.exp(-th[KAPPA] * th[RHO])
    v = th[SEVERITY]
    p_t = th[P_TOKEN]
    delta = th[PRICE_DECLINE]
    hype = th[HYPE]
    w = th[LEARNING_RATE]
    n1 = th[LABS_1]
    g_c = th[COMPUTE_GROWTH]
    tau = th[TOKENS_PER_PARAM]
    d_c = th[FLOP_COST_DECLINE]
    k_1 = th[FIXED_1]
    g_k = th[FIXED_GROWTH]
    pool = th[POOL]
    p_b = th[BASS_P]
    q_b = th[BASS_Q]
    sigma = th[SIGMA_Z]
    free = th[FREE_SHARE]
    inv_eta = 1.0 / th[ETA]  # 0 when eta = inf: entry does not move prices
    nu = th[ENTRY]
    chi = th[EXIT]
    g_w = th[GPUS_PER_GW]
    n_s = th[SERVING_PARAMS]
    g_s = th[SERVING_GROWTH]
    supply = th[SUPPLY]
    g_h = th[SUPPLY_GROWTH]
    psi = th[PSI]
    pi = th[PASS_THROUGH]
    persist = th[PERSISTENCE]
    ghat = th[GHAT_0]
    # The run investors plan tau years ahead, as a multiple of today's:
    # prod_{j=1..tau} (1 + (g_C - 1) d^(j-1)).
    planned, discount, flop_decline, fixed_growth = powers[PLANNED], powers[DISCOUNT], powers[FLOP], powers[FIXED]
    planned[0] = 1.0
    for t in range(1, valuation_horizon + 1):
        planned[t] = planned[t - 1] * (1.0 + (g_c - 1.0) * persist ** (t - 1))
    for j in range(horizon + valuation_horizon):  # exponents 0 .. y + t - 1 at most
        discount[j] = (1.0 + r) ** j
        flop_decline[j] = (1.0 - d_c) ** j
        fixed_growth[j] = (1.0 + g_k) ** j
    key_z = mix64(key ^ SHOCK_SALT)
    key_inc = mix64(key ^ INCIDENT_SALT)
    base = np.uint64(s) * np.uint64(YEAR_STRIDE)
    per_flop = 1.0 / (_F_PER_HOUR * f_pk * u_tr)  # USD per training FLOP per USD/GPU-hour
    per_gpu_year = 1.0 / (f_pk * _F_PER_YEAR)
    n = n1
    big_r = th[FLOPS_1]
    z = 1.0
    k_prev = 1.0
    a_prev = 0.0
    k_cap_prev = 0.0
    q_first = 0.0
    q_min = math.inf
    peak = -math.inf
    peak_year = 1
    num = 0.0
    den = 0.0
    for y in range(1, horizon + 1):
        # Quantities that do not depend on prices.
        params = math.sqrt(big_r / (6.0 * s_a * tau))  # N_y; D_y = tau N_y
        e = math.exp(-(p_b + q_b) * y)
        adopted = (1.0 - e) / (1.0 + (q_b / p_b) * e)
        u_z = uniform(key_z, base + np.uint64(y - 1))
        z = z * math.exp(sigma * ndtri(u_z) - sigma * sigma / 2.0)
        hit = 1.0 if uniform(key_inc, base + np.uint64(y - 1)) < lam else 0.0
        revenue = pool * adopted * z * (1.0 - g_eff) * (1.0 - v * hit)
        price = p_t * (1.0 - delta) ** (y - 1) * (n / n1) ** (-inv_eta) * k_prev ** pi
        tokens = revenue / (price * (1.0 - free))
        served = n_s * g_s ** (y - 1)
        gpus = (n * big_r * o / u_tr + tokens * SERVING_FLOP_PER_PARAM * served * serve) * per_gpu_year
        # Scarcity of compute, then costs.
        k = max(1.0, gpus / (supply * g_h ** (y - 1))) ** psi
        c_flop = k * p_h * flop_decline[y - 1] * per_flop
        fixed = k_1 * fixed_growth[y - 1]
        spend = (big_r * o * c_flop + tau * params * p_d + fixed) * risk  # I_y
        c_tok = SERVING_FLOP_PER_PARAM * served * k * p_h * (1.0 - d_s) ** (y - 1) / (_F_PER_HOUR * f_pk) * serve
        serving = tokens * c_tok
        capex = n * spend
        margin = 1.0 - c_tok / (price * (1.0 - free))  # 1 - S/A, finite when A = 0
        # Investors' valuation.
        if y > 1 and a_prev > 0.0:
            ghat = (1.0 - w) * ghat + w * (revenue / a_prev - 1.0)
        hype_y = 1.0 + (hype - 1.0) * (1.0 - w) ** (y - 1)
        believed = 0.0
        cost = 0.0
        for t in range(1, valuation_horizon + 1):
            disc = discount[t]
            believed += hype_y * revenue * (1.0 + ghat) ** t * margin / n / disc
            plan_r = big_r * planned[t]
            plan_params = math.sqrt(plan_r / (6.0 * s_a * tau))
            plan_flop = k * p_h * flop_decline[y + t - 1] * per_flop
            cost += ((plan_r * o * plan_flop + tau * plan_params * p_d
                      + k_1 * fixed_growth[y + t - 1]) * risk) / disc
        q = believed / cost
        # Outputs of year y.
        c0 = N_SCALARS + (y - 1) * N_FIELDS  # this year's columns
        if y == 1:
            q_first = q
        q_min = min(q_min, q)
        row[c0 + LABS] = n
        row[c0 + REVENUE] = revenue
        row[c0 + CAPEX] = capex
        row[c0 + SERVING_COST] = serving
        row[c0 + PROFIT] = revenue - serving - capex
        row[c0 + MARGIN] = margin
        row[c0 + Q] = q
        row[c0 + FRONTIER_FLOPS] = big_r
        row[c0 + REVENUE_PER_GW] = revenue * g_w / gpus
        row[c0 + LAB_COMPUTE] = gpus / n
        row[c0 + SCARCITY] = k
        row[c0 + BELOW_COST] = 1.0 if q < 1.0 else 0.0
        row[c0 + CAPEX_FALL] = 1.0 if (y > 1 and capex < k_cap_prev) else 0.0
        row[c0 + COOLED] = 1.0 if (q_first >= 1.0 and q_min < 1.0) else 0.0
        row[c0 + CAPEX_PEAK] = 0.0
        if capex > peak:
            peak = capex
            peak_year = y
        disc_y = discount[y]
        num += (revenue - serving) / disc_y
        den += capex / disc_y
        # Entry, exit and compute growth answer Q (time to build: next year).
        n = max(1.0, n * (1.0 + nu * max(0.0, q - 1.0) - chi * max(0.0, 1.0 - q)))
        big_r = big_r * (1.0 + (g_c - 1.0) * min(1.0, max(0.0, q)))
        k_prev = k
        a_prev = revenue
        k_cap_prev = capex
    row[N_SCALARS + (peak_year - 1) * N_FIELDS + CAPEX_PEAK] = 1.0
    roi = num / den - 1.0
    row[ROI_INDUSTRY] = roi
    row[EXPECTED_RETURN] = q_first - 1.0
    row[ROI_INDUSTRY_LOSS] = 1.0 if roi < 0.0 else 0.0


@jit
def _evaluate(key, f0, m, TH, th, OUT, horizon, valuation_horizon, s_a, row, powers):
    """Scenarios ``f0 .. f0 + m - 1`` of a sub-block into ``OUT[0, column, i]``."""
    n_cols = row.shape[0]
    for i in range(m):
        for p in range(th.shape[0]):
            th[p] = TH[p, i]
        industry_scenario(th, horizon, valuation_horizon, s_a, key, f0 + i, row, powers)
        for c in range(n_cols):
            OUT[0, c, i] = row[c]


@jit
def reduce_chunk(key, first_block, n_blocks, n_total, block_size, dists, design, copula, model,
                 log_sizes, log_n_ref, horizon,
                 hist_cols, hist_lo, hist_inv_width, hist_offset, hist_scale, n_bins, hist,
                 block_n, block_mean, block_m2, voi, keep_first, kept):
    """:func:`sim.kernels.reduce.reduce_chunk` for the industry frame: the
    same blocks, moments, lanes and histograms, one output row per scenario.
    ``model`` is ``(flags, industry)``: ``industry = (valuation horizon, s_a)``
    as a float array. ``voi`` is not used (decisions do not apply).
    ``kept`` is (draws, incident uniforms, -, -, stats), as
    :func:`sample_range` fills them: scenario ``keep_first + i`` is written
    to row ``i`` of each while ``i`` is below ``len(stats)`` (zero rows:
    nothing is kept). One kernel both keeps and reduces, so a run compiles
    the frame once for its pilot and its chunks."""
    theta0 = dists[0]
    flags, frame = model
    n_uniforms = flags[2]
    valuation_horizon = int(frame[0])
    s_a = frame[1]
    n_dims = dists[1].shape[0]
    n_cols = block_mean.shape[2]
    n_hist = hist_cols.shape[0]
    keep_draws, keep_incident, keep_stats = kept[0], kept[1], kept[4]
    n_keep = keep_stats.shape[0]
    width = SUB_BLOCK
    own = hist[0]  # this thread's histograms (see sim.kernels.reduce.reduce_chunk)
    own_at = own.view(np.int32)  # their counts at the extremes (sim.kernels.accumulators)
    for b in range(n_blocks):
        U = np.empty((max(n_uniforms, 1), width))
        TH = np.empty((theta0.shape[0], width))
        tmp = np.empty(max(n_uniforms, 1))
        z = np.empty(max(copula[0].shape[0], 1))
        th = np.empty(theta0.shape[0])
        row = np.zeros(n_cols)
        powers = industry_scratch(horizon, valuation_horizon)
        OUT = np.zeros((1, n_cols, width))
        flat = OUT[0]
        bins = np.empty(width, dtype=np.int64)
        shift = np.empty(n_cols)
        s1 = np.zeros((n_cols, LANES))
        s2 = np.zeros((n_cols, LANES))
        first = (first_block + b) * block_size
        last = min(first + block_size, n_total)
        for f0 in range(first, last, width):
            m = min(width, last - f0)
            draw_block(key, f0, m, n_dims, n_uniforms, block_size, dists, design, copula, U, TH, tmp, z)
            _evaluate(key, f0, m, TH, th, OUT, horizon, valuation_horizon, s_a, row, powers)
            if n_keep > 0:
                _keep(f0 - keep_first, m, key, f0, TH, dists[1], flat, horizon, keep_draws, keep_incident,
                      keep_stats)
            if f0 == first:
                for k in range(n_cols):
                    shift[k] = flat[k, 0]
            for k in range(n_cols):
                lane_sums(flat[k], m, shift[k], s1[k], s2[k])
            for h in range(n_hist):
                x = flat[hist_cols[h]]
                histogram_bins(x, m, hist_lo[h], hist_inv_width[h], hist_offset[h],
                               hist_scale[h], n_bins, bins)
                histogram_add_all(own[h], own_at[h], bins, x, m)
        m = last - first
        block_n[b] = m
        for k in range(n_cols):
            t1 = 0.0
            t2 = 0.0
            for q in range(LANES):
                t1 += s1[k, q]
                t2 += s2[k, q]
            mean_dx = t1 / m
            block_mean[b, 0, k] = shift[k] + mean_dx
            block_m2[b, 0, k] = max(t2 - t1 * mean_dx, 0.0)


@jit
def _keep(row0, m, key, f0, TH, target, flat, horizon, draws, incident_u, stats):
    """Copy scenarios ``i < m`` of a sub-block (scenario ``f0 + i``) to rows
    ``row0 + i`` of the kept arrays (those rows that exist): the outputs,
    the sampled draws and the incident uniforms of each year."""
    lo, hi = max(0, -row0), min(m, stats.shape[0] - row0)
    for i in range(lo, hi):
        r = row0 + i
        for k in range(stats.shape[2]):
            stats[r, 0, k] = flat[k, i]
        for d in range(target.shape[0]):
            draws[r, d] = TH[target[d], i]
        for y in range(1, horizon + 1):
            incident_u[r, y - 1] = year_uniform(key, INCIDENT_SALT, f0 + i, y)


def sample_range(key, first, n, block_size, dists, design, copula, model,
                 log_sizes, log_n_ref, horizon, draws, incident_u, extra_u, belief_draws, stats):
    """:func:`sim.kernels.reduce.sample_range` for the industry frame:
    ``draws[i]``, ``incident_u[i, y-1]`` (the incident uniforms) and
    ``stats[i, 0, column]`` for scenarios ``first .. first + n - 1``;
    ``extra_u``, ``belief_draws``, ``log_sizes`` and ``log_n_ref`` are not
    used. :func:`reduce_chunk` keeps them
    (:func:`sim.kernels.arguments.keep_range`): the frame is compiled once (a
    kernel of its own for this added a third to a cold start)."""
    keep_range(reduce_chunk, key, first, n, block_size, dists, design, copula, model,
               log_sizes, log_n_ref, horizon, (draws, incident_u, extra_u, belief_draws, stats))


@jit
def evaluate_industry_rows(U, dists, model, horizon, columns, key, first, n_cols, out, draws, unit_first,
                           unit_stop):
    """The industry frame's rows of uniforms (sensitivity analyses):
    ``out[i, 0, c]`` = column ``columns[c]`` of the scenario whose design
    uniforms are ``U[i]`` (shape ``(n, n_sampled)``, after the copula), its
    yearly demand-shock and incident uniforms those of scenario ``first + i``
    of ``key``; ``draws[i, d]`` its sampled parameters, if ``draws`` has rows.

    The parameters come from :func:`sim.kernels.sampling.block.transform_block`
    and the years from :func:`industry_scenario`, as in :func:`sample_range`,
    so a row of the engine's own design gives the numbers a run gives that
    scenario, bit for bit. Rows that share an index share the yearly noise
    (the matrices of a Saltelli design, the tornado's held columns)."""
    theta0, target = dists[0], dists[1]
    flags, frame = model
    n_uniforms = flags[2]
    valuation_horizon = int(frame[0])
    s_a = frame[1]
    n_sampled = target.shape[0]
    n_dims = U.shape[1]
    n = U.shape[0]
    k = columns.shape[0]
    keep = draws.shape[0] > 0
    width = SUB_BLOCK
    for b in range(unit_first, unit_stop):  # units of SUB_BLOCK rows (sim.kernels.rows.ROWS)
        UB = np.empty((max(n_uniforms, 1), width))
        TH = np.empty((theta0.shape[0], width))
        th = np.empty(theta0.shape[0])
        row = np.zeros(n_cols)
        powers = industry_scratch(horizon, valuation_horizon)
        i0 = b * width
        m = min(width, n - i0)
        for d in range(n_dims):
            urow = UB[d]
            for i in range(m):
                urow[i] = U[i0 + i, d]
        transform_block(dists, UB, TH, m)
        for i in range(m):
            for p in range(th.shape[0]):
                th[p] = TH[p, i]
            industry_scenario(th, horizon, valuation_horizon, s_a, key, first + i0 + i, row, powers)
            for c in range(k):
                out[i0 + i, 0, c] = row[columns[c]]
            if keep:
                for d in range(n_sampled):
                    draws[i0 + i, d] = TH[target[d], i]
