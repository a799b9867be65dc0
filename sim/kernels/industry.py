"""The industry frame (specification section 15): the capital cycle, year by year.

:func:`industry_block` runs the yearly loop of a sub-block's scenarios (frontier compute
and size, cost per FLOP, Bass demand with demand shocks and incidents, the
tier price falling with time and with entry, tokens and serving cost,
capex, the extrapolated growth and fading hype behind the valuation ratio Q,
and entry, exit and compute growth answering Q) and writes one row of
:mod:`sim.vocab.industry` columns per scenario. :func:`reduce_chunk` and
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
from sim.kernels import vmath
from sim.kernels.jit import jit, jit_inline_ir
from sim.kernels.model.params import SECONDS_PER_HOUR, SECONDS_PER_YEAR, SERVING_FLOP_PER_PARAM
from sim.kernels.sampling.block import draw_block, transform_block
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

__all__ = ["SHOCK_SALT", "INCIDENT_SALT", "YEAR_STRIDE", "evaluate_industry_rows", "industry_block", "industry_scratch",
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

#: Tables of :func:`industry_block`'s scratch: the planned run ``t`` years
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


#: Rows of :func:`industry_block`'s scratch of per-scenario numbers (one
#: column per scenario of a sub-block): constants of the scenario, the state
#: carried from year to year, and the year's intermediate quantities.
(_SERVE, _RISK, _G_EFF, _LAM, _INV_ETA, _PER_FLOP, _PER_GPU_YEAR,
 _N, _BIG_R, _Z, _LOG_K_PREV, _A_PREV, _K_CAP_PREV, _Q_FIRST, _Q_MIN, _PEAK, _PEAK_YEAR, _NUM, _DEN, _GHAT,
 _REVENUE, _K, _MARGIN, _HYPE_Y, _BELIEVED, _COST, _GPUS, _CAPEX, _SERVING,
 _PRICE_DECAY, _SERVED_GROWTH, _SUPPLY_GROWTH, _SERVE_DECAY, _HYPE_FADE, _GROWTH_AHEAD, _PERSIST_POW,
 _PARAMS, _PRICE, _TOKENS, _Q_Y, _BASS_STEP, _BASS_E, _LOG_K) = range(43)
N_STATE = 43


@jit
def industry_scratch(horizon, valuation_horizon, width):
    """Scratch for :func:`industry_block`: ``(state, powers)``, per-scenario
    numbers (:data:`N_STATE` rows) and the powers' tables
    (:data:`N_POWERS` tables of ``horizon + valuation_horizon`` rows), each
    ``width`` scenarios wide."""
    return (np.empty((N_STATE, width)),
            np.empty((N_POWERS, horizon + valuation_horizon, width)))


@jit_inline_ir
def industry_block(TH, m, horizon, valuation_horizon, s_a, key, f0, out, scratch):
    """The yearly loop (specification section 15) of scenarios ``f0 .. f0 +
    m - 1`` of a sub-block: ``TH[p, i]`` their parameters, ``out[c, i]``
    their :mod:`sim.vocab.industry` columns, ``scratch`` from
    :func:`industry_scratch`.

    The years run in turn and, within a year, each step runs over all the
    scenarios of the sub-block, the state of each in a column of scratch, so
    LLVM turns the steps into vector code: the exponentials, logarithms and
    the normal quantile are :mod:`sim.kernels.vmath`'s, the branches are
    selects, and a loop that would read and write more rows than LLVM checks
    for overlap (``sim.kernels.jit.MEMORY_CHECK_THRESHOLD``) is split in two,
    since it would stay scalar. Powers with a whole exponent are running
    products (the years' factors; ``(1 + r)^t``, ``(1 - d_c)^(y+t-1)`` and
    ``(1 + g_K)^(y+t-1)`` from tables made once per scenario), and
    ``(n / n_1)^(-1/eta) K_(y-1)^pi`` one exponential. A scenario's numbers
    do not depend on which scenarios share its sub-block."""
    S, P = scratch
    planned, discount, flop_decline, fixed_growth = P[PLANNED], P[DISCOUNT], P[FLOP], P[FIXED]
    r, o, p_h, f_pk, u_tr = TH[R_DISC], TH[OVERHEAD], TH[P_HOUR], TH[F_PEAK], TH[U_TRAIN]
    d_s, p_d, v, p_t, delta = TH[SERVE_DECLINE], TH[P_DATA], TH[SEVERITY], TH[P_TOKEN], TH[PRICE_DECLINE]
    hype, w, n1, g_c, tau = TH[HYPE], TH[LEARNING_RATE], TH[LABS_1], TH[COMPUTE_GROWTH], TH[TOKENS_PER_PARAM]
    d_c, k_1, g_k, pool = TH[FLOP_COST_DECLINE], TH[FIXED_1], TH[FIXED_GROWTH], TH[POOL]
    p_b, q_b, sigma, free = TH[BASS_P], TH[BASS_Q], TH[SIGMA_Z], TH[FREE_SHARE]
    nu, chi, g_w, n_s, g_s = TH[ENTRY], TH[EXIT], TH[GPUS_PER_GW], TH[SERVING_PARAMS], TH[SERVING_GROWTH]
    supply, g_h, psi, pi, persist = TH[SUPPLY], TH[SUPPLY_GROWTH], TH[PSI], TH[PASS_THROUGH], TH[PERSISTENCE]
    serve, risk, g_eff, lam, inv_eta = S[_SERVE], S[_RISK], S[_G_EFF], S[_LAM], S[_INV_ETA]
    per_flop, per_gpu_year = S[_PER_FLOP], S[_PER_GPU_YEAR]
    n, big_r, z, log_k_prev = S[_N], S[_BIG_R], S[_Z], S[_LOG_K_PREV]  # last year's scarcity as its log
    a_prev, k_cap_prev = S[_A_PREV], S[_K_CAP_PREV]
    q_first, q_min, peak, peak_year, num, den, ghat = (S[_Q_FIRST], S[_Q_MIN], S[_PEAK], S[_PEAK_YEAR],
                                                        S[_NUM], S[_DEN], S[_GHAT])
    revenue_y, k_y, margin_y, hype_y, believed, cost = (S[_REVENUE], S[_K], S[_MARGIN], S[_HYPE_Y],
                                                         S[_BELIEVED], S[_COST])
    gpus_y, capex_y, serving_y = S[_GPUS], S[_CAPEX], S[_SERVING]
    # (1 - delta)^(y-1), g_s^(y-1), g_h^(y-1), (1 - d_s)^(y-1), (1 - w)^(y-1): products over the years
    price_decay, served_growth, supply_growth = S[_PRICE_DECAY], S[_SERVED_GROWTH], S[_SUPPLY_GROWTH]
    serve_decay, hype_fade = S[_SERVE_DECAY], S[_HYPE_FADE]
    growth_ahead, persist_pow = S[_GROWTH_AHEAD], S[_PERSIST_POW]  # (1 + ghat)^t, persist^(t-1)
    params_y, price_y, tokens_y, q_y = S[_PARAMS], S[_PRICE], S[_TOKENS], S[_Q_Y]
    bass_step, bass_e, log_k_y = S[_BASS_STEP], S[_BASS_E], S[_LOG_K]  # e^-(p+q), and e^-(p+q)y by products
    key_z = mix64(key ^ SHOCK_SALT)
    key_inc = mix64(key ^ INCIDENT_SALT)
    for i in range(m):
        serve[i] = 1.0 / TH[U_SERVE, i] + TH[INPUT_RATIO, i] / TH[U_PREFILL, i]  # 1/u_sv + r_in/u_pf
        risk[i] = 1.0 + TH[RHO, i] + TH[RHO_G, i]
        g_eff[i] = TH[GAP, i] * math.exp(-TH[KAPPA_G, i] * TH[RHO_G, i])  # a scalar loop: libm's exp
        lam[i] = TH[LAMBDA0, i] * math.exp(-TH[KAPPA, i] * TH[RHO, i])
        inv_eta[i] = 1.0 / TH[ETA, i]  # 0 when eta = inf: entry does not move prices
        per_flop[i] = 1.0 / (_F_PER_HOUR * f_pk[i] * u_tr[i])  # USD per training FLOP per USD/GPU-hour
        per_gpu_year[i] = 1.0 / (f_pk[i] * _F_PER_YEAR)
        ghat[i] = TH[GHAT_0, i]
        n[i] = n1[i]
        big_r[i] = TH[FLOPS_1, i]
        z[i] = 1.0
        log_k_prev[i] = 0.0
        bass_step[i] = math.exp(-(p_b[i] + q_b[i]))
        bass_e[i] = 1.0
        a_prev[i] = 0.0
        k_cap_prev[i] = 0.0
        q_first[i] = 0.0
        q_min[i] = math.inf
        peak[i] = -math.inf
        peak_year[i] = 1.0
        price_decay[i] = 1.0
        served_growth[i] = 1.0
        supply_growth[i] = 1.0
        serve_decay[i] = 1.0
        hype_fade[i] = 1.0
        num[i] = 0.0
        den[i] = 0.0
        # The run investors plan tau years ahead, as a multiple of today's:
        # prod_{j=1..tau} (1 + (g_C - 1) d^(j-1)).
        planned[0, i] = 1.0
        persist_pow[i] = 1.0
        discount[0, i] = 1.0
        flop_decline[0, i] = 1.0
        fixed_growth[0, i] = 1.0
    for t in range(1, valuation_horizon + 1):
        for i in range(m):
            planned[t, i] = planned[t - 1, i] * (1.0 + (g_c[i] - 1.0) * persist_pow[i])
            persist_pow[i] *= persist[i]
    for j in range(1, horizon + valuation_horizon):  # exponents 0 .. y + t - 1 at most
        for i in range(m):
            discount[j, i] = discount[j - 1, i] * (1.0 + r[i])
            flop_decline[j, i] = flop_decline[j - 1, i] * (1.0 - d_c[i])
            fixed_growth[j, i] = fixed_growth[j - 1, i] * (1.0 + g_k[i])
    for y in range(1, horizon + 1):
        for i in range(m):
            base = np.uint64(f0 + i) * np.uint64(YEAR_STRIDE)
            # Quantities that do not depend on prices.
            params = math.sqrt(big_r[i] / (6.0 * s_a * tau[i]))  # N_y; D_y = tau N_y
            bass_e[i] *= bass_step[i]
            e = bass_e[i]
            adopted = (1.0 - e) / (1.0 + (q_b[i] / p_b[i]) * e)
            u_z = uniform(key_z, base + np.uint64(y - 1))
            z[i] = z[i] * vmath.exp(sigma[i] * vmath.ndtri(u_z) - sigma[i] * sigma[i] / 2.0)
            hit = 1.0 if uniform(key_inc, base + np.uint64(y - 1)) < lam[i] else 0.0
            revenue = pool[i] * adopted * z[i] * (1.0 - g_eff[i]) * (1.0 - v[i] * hit)
            # (n / n1)^(-1/eta) K_{y-1}^pi in one exponential
            entry_scarcity = vmath.exp(-inv_eta[i] * vmath.log(n[i] / n1[i]) + pi[i] * log_k_prev[i])
            price = p_t[i] * price_decay[i] * entry_scarcity
            tokens = revenue / (price * (1.0 - free[i]))
            served = n_s[i] * served_growth[i]
            gpus = (n[i] * big_r[i] * o[i] / u_tr[i]
                    + tokens * SERVING_FLOP_PER_PARAM * served * serve[i]) * per_gpu_year[i]
            params_y[i] = params
            revenue_y[i] = revenue
            price_y[i] = price
            tokens_y[i] = tokens
            gpus_y[i] = gpus
        # (two loops: one would read and write more rows than LLVM checks for overlap, and stay scalar)
        for i in range(m):
            params, revenue, price, tokens, gpus = params_y[i], revenue_y[i], price_y[i], tokens_y[i], gpus_y[i]
            served = n_s[i] * served_growth[i]
            # Scarcity of compute, then costs.
            log_k = psi[i] * vmath.log(max(1.0, gpus / (supply[i] * supply_growth[i])))
            log_k_y[i] = log_k
            k = vmath.exp(log_k)
            c_flop = k * p_h[i] * flop_decline[y - 1, i] * per_flop[i]
            fixed = k_1[i] * fixed_growth[y - 1, i]
            spend = (big_r[i] * o[i] * c_flop + tau[i] * params * p_d[i] + fixed) * risk[i]  # I_y
            c_tok = (SERVING_FLOP_PER_PARAM * served * k * p_h[i] * serve_decay[i]
                     / (_F_PER_HOUR * f_pk[i]) * serve[i])
            serving_y[i] = tokens * c_tok
            capex_y[i] = n[i] * spend
            margin_y[i] = 1.0 - c_tok / (price * (1.0 - free[i]))  # 1 - S/A, finite when A = 0
            # Investors' valuation.
            learned = (1.0 - w[i]) * ghat[i] + w[i] * (revenue / a_prev[i] - 1.0)
            ghat[i] = learned if (y > 1 and a_prev[i] > 0.0) else ghat[i]
            hype_y[i] = 1.0 + (hype[i] - 1.0) * hype_fade[i]
            k_y[i] = k
            believed[i] = 0.0
            cost[i] = 0.0
            growth_ahead[i] = 1.0
        for t in range(1, valuation_horizon + 1):
            for i in range(m):
                disc = discount[t, i]
                growth_ahead[i] *= 1.0 + ghat[i]
                believed[i] += hype_y[i] * revenue_y[i] * growth_ahead[i] * margin_y[i] / n[i] / disc
                plan_r = big_r[i] * planned[t, i]
                plan_params = math.sqrt(plan_r / (6.0 * s_a * tau[i]))
                plan_flop = k_y[i] * p_h[i] * flop_decline[y + t - 1, i] * per_flop[i]
                cost[i] += ((plan_r * o[i] * plan_flop + tau[i] * plan_params * p_d[i]
                             + k_1[i] * fixed_growth[y + t - 1, i]) * risk[i]) / disc
        c0 = N_SCALARS + (y - 1) * N_FIELDS  # this year's columns
        for i in range(m):
            q = believed[i] / cost[i]
            q_y[i] = q
            if y == 1:
                q_first[i] = q
            q_min[i] = min(q_min[i], q)
        # Outputs of year y (rows of their own: see above).
        for i in range(m):
            q, revenue, capex, serving, gpus = q_y[i], revenue_y[i], capex_y[i], serving_y[i], gpus_y[i]
            out[c0 + LABS, i] = n[i]
            out[c0 + REVENUE, i] = revenue
            out[c0 + CAPEX, i] = capex
            out[c0 + SERVING_COST, i] = serving
            out[c0 + PROFIT, i] = revenue - serving - capex
            out[c0 + MARGIN, i] = margin_y[i]
            out[c0 + Q, i] = q
            out[c0 + FRONTIER_FLOPS, i] = big_r[i]
            out[c0 + REVENUE_PER_GW, i] = revenue * g_w[i] / gpus
            out[c0 + LAB_COMPUTE, i] = gpus / n[i]
            out[c0 + SCARCITY, i] = k_y[i]
            out[c0 + BELOW_COST, i] = 1.0 if q < 1.0 else 0.0
            out[c0 + CAPEX_FALL, i] = 1.0 if (y > 1 and capex < k_cap_prev[i]) else 0.0
            out[c0 + COOLED, i] = 1.0 if (q_first[i] >= 1.0 and q_min[i] < 1.0) else 0.0
            out[c0 + CAPEX_PEAK, i] = 0.0
        for i in range(m):
            q, revenue, capex, serving = q_y[i], revenue_y[i], capex_y[i], serving_y[i]
            higher = capex > peak[i]
            peak_year[i] = y if higher else peak_year[i]
            peak[i] = capex if higher else peak[i]
            disc_y = discount[y, i]
            num[i] += (revenue - serving) / disc_y
            den[i] += capex / disc_y
            # Entry, exit and compute growth answer Q (time to build: next year).
            n[i] = max(1.0, n[i] * (1.0 + nu[i] * max(0.0, q - 1.0) - chi[i] * max(0.0, 1.0 - q)))
            big_r[i] = big_r[i] * (1.0 + (g_c[i] - 1.0) * min(1.0, max(0.0, q)))
            log_k_prev[i] = log_k_y[i]
            a_prev[i] = revenue
            k_cap_prev[i] = capex
        for i in range(m):
            price_decay[i] *= 1.0 - delta[i]
            served_growth[i] *= g_s[i]
            supply_growth[i] *= g_h[i]
            serve_decay[i] *= 1.0 - d_s[i]
            hype_fade[i] *= 1.0 - w[i]
    for i in range(m):
        out[N_SCALARS + (int(peak_year[i]) - 1) * N_FIELDS + CAPEX_PEAK, i] = 1.0
        roi = num[i] / den[i] - 1.0
        out[ROI_INDUSTRY, i] = roi
        out[EXPECTED_RETURN, i] = q_first[i] - 1.0
        out[ROI_INDUSTRY_LOSS, i] = 1.0 if roi < 0.0 else 0.0


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
        scratch = industry_scratch(horizon, valuation_horizon, width)
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
            industry_block(TH, m, horizon, valuation_horizon, s_a, key, f0, flat, scratch)
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
    and the years from :func:`industry_block`, as in :func:`sample_range`,
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
        rows = np.zeros((n_cols, width))
        scratch = industry_scratch(horizon, valuation_horizon, width)
        i0 = b * width
        m = min(width, n - i0)
        for d in range(n_dims):
            urow = UB[d]
            for i in range(m):
                urow[i] = U[i0 + i, d]
        transform_block(dists, UB, TH, m)
        industry_block(TH, m, horizon, valuation_horizon, s_a, key, first + i0, rows, scratch)
        for i in range(m):
            for c in range(k):
                out[i0 + i, 0, c] = rows[columns[c], i]
            if keep:
                for d in range(n_sampled):
                    draws[i0 + i, d] = TH[target[d], i]
