"""The investment model of the specification, on a block of scenarios at once,
structure of arrays: the one implementation that runs, sweeps, decisions,
samples and sensitivity analyses evaluate.

:func:`evaluate_block` evaluates every strategy's world (specification section 12)
for scenarios ``i < m`` of a block: parameters ``TH[p, i]``, uniforms
``U[d, i]``, outputs ``OUT[row, column, i]``. A world is reality (with
incidents) or the investors' belief (:func:`apply_overlay_block`, the hype
on the pool, no deployment gap); for each, :func:`world_scenario` computes
what does not depend on the size (the rival's loss, the gap and price
factors, the yearly factors as running products), :func:`size_costs` one
size's training run, costs, loss and release delay, :func:`size_market` its
discounted cash flows and ROI, and :func:`_path` the investors'
mark-to-market path (specification section 9). A belief without an overlay
shares reality's size-free rows (but the gap's) and each size's costs.

Every loop runs over the scenarios innermost, with what is fixed for the
block (strategy, route, compute rule, size, year) outside it, and the
model's branches (the data wall, the release delay, the withdrawal rule,
incidents, the path's guards) are selects between values that are always
computed, so LLVM vectorizes the loops (packed FMAs: ``tests/kernels/test_simd.py``).
``exp`` and ``log`` are :mod:`sim.kernels.vmath`'s. The independent checks of
the numbers are the NumPy reference (:mod:`sim.testing.reference`) and the
hand computations of ``tests/kernels/test_model_v1.py``.
"""

from __future__ import annotations

import math

import numpy as np

from sim.kernels import vmath
from sim.kernels.jit import jit, jit_inline, jit_inline_ir
from sim.vocab.outputs import (
    BEST,
    COMPLIANCE_COST_NPV,
    COMPUTE_COST,
    COST_Y1,
    DATA_COST,
    DATA_LIMITED,
    FIXED_COST,
    INCIDENT_LOSS_NPV,
    INVESTMENT,
    LAB_LOSS,
    LICENSE_COST,
    LOSS,
    MARKET_SHARE,
    MARGIN_Y1,
    MAX_OBJECTIVE,
    N_PATH_FIELDS,
    N_STATS,
    NET_VALUE,
    PATH_BELOW,
    PATH_CASH_FLOW,
    PATH_CASH_FLOW_EXPECTED,
    PATH_COOLED,
    PATH_MTM,
    PATH_PAYBACK,
    PRICE_DECLINE_FIXED,
    PRICE_Y1,
    REGRET,
    RELEASE_DELAY,
    REVENUE_NPV,
    RISK_CONTROL_COST,
    ROBUSTNESS_COST,
    ROI,
    ROI_EXPECTED,
    ROI_GAP,
    SERVED_Y1,
    SERVING_COST_NPV,
    TRAINING_FLOPS,
    TRAINING_TOKENS,
    YEARS_SERVED,
)
from sim.kernels.sampling.block import inverse_cdf_block
from sim.kernels.model.params import (
    A_COEF,
    A_DATA,
    ALPHA,
    B_COEF,
    B_COMP,
    BETA,
    CLUSTER_GPUS,
    COMPLIANCE,
    COMPLIANCE_THRESHOLD,
    D_REF,
    DATA_STOCK,
    E_LOSS,
    F_EXP,
    F_PEAK,
    FT_BASE_TOKENS,
    FT_COMPUTE_SHARE,
    FT_DATA_PRICE,
    FT_FIXED,
    FT_GAIN,
    FT_LICENSE,
    FT_TOKENS,
    GAP,
    GROWTH,
    HYPE,
    INPUT_RATIO,
    K_REF,
    KAPPA,
    KAPPA_G,
    LAMBDA0,
    LEARNING_RATE,
    MOE_WEIGHT,
    OVERHEAD,
    P_DATA,
    P_HOUR,
    P_TOKEN,
    POOL,
    PREMIUM,
    PRETRAIN,
    PRICE_DECLINE,
    PRICE_SENSITIVITY,
    PROGRESS,
    R_DISC,
    R_REF,
    REPEAT_HORIZON,
    RHO,
    RHO_G,
    RIVAL_SIZE,
    RIVALS,
    RULE_POWER,
    SECONDS_PER_HOUR,
    SECONDS_PER_YEAR,
    SERVE_DECLINE,
    SERVING_FLOP_PER_PARAM,
    SEVERITY,
    SHARPNESS,
    THETA,
    U_PREFILL,
    U_SERVE,
    U_TRAIN,
)

__all__ = ["N_WORK", "N_WORLD", "N_YEAR_FIELDS", "apply_overlay_block", "copy_rows", "evaluate_block",
           "new_block_scratch"]

# Rows of a world's per-size results ``W[row, i]``.
W_COMPUTE, W_DATA, W_FIXED, W_LICENSE, W_RISK, W_ROBUST, W_INVEST = range(7)
W_REVENUE, W_SERVING, W_INCIDENT, W_COMPLIANCE, W_ROI = range(7, 12)
W_LAB, W_YEARS, W_SHARE, W_DELAY, W_FLOPS, W_TOKENS, W_LIMITED, W_NET = range(12, 20)
W_NPV, W_DUTY = range(20, 22)  # NPV; yearly compliance duty if subject to it, else 0
# Model v3: year-1 cost and price per output token, margin, served indicator.
W_COST_Y1, W_PRICE_Y1, W_MARGIN_Y1, W_SERVED_Y1 = range(22, 26)
N_WORLD = 26
# Rows of a world's yearly factors ``work[row, t, i]``: discounted pool
# growth, serving cost over the tier's price, the rivals' weight, incident
# (0/1), discount, and the quality factor of our price, (1 - phi)^(theta t).
N_WORK = 6
# Rows of a world's per-year terms ``Y[row, t, i]`` (per unit of the revenue
# pool, discounted, as the cash-flow loop accumulates them).
Y_REVENUE = 0  # our revenue share m/(1 + k w_t) times the discounted pool factor
Y_SERVING = 1  # serving cost, same units
Y_INCIDENT = 2  # revenue lost in an incident year (before severity)
Y_SERVED = 3  # discount factor (1+r)^-(t+d) if served that year, else 0
Y_DISC = 4  # discount factor (1+r)^-(t+d)
N_YEAR_FIELDS = 5

# Rows of a world's scenario-level array ``S[row, i]`` (what does not depend on the size).
S_USD_FLOP, S_LOG_RIVAL, S_GAP_FACTOR, S_PRICE_FACTOR, S_SERVE_PARAM = range(5)
S_LOG_DISC, S_LOG_POOL, S_LOG_COST, S_NEG_GAMMA, S_LOG_PROGRESS, S_INCIDENT_P = range(5, 11)
S_POOL_STEP, S_COST_STEP, S_WEIGHT_STEP, S_DISCOUNT, S_LOG_D_REF = range(11, 16)
# Model v3: log(1 - g_eff) in our price's quality ratio (0 when the rivals see
# the gap too), theta log(1 - phi), log(1 - delta_s), log(1 - delta), and the
# fixed-capability price decline 1 / ((1 - delta)(1 - phi)^theta).
S_LOG_KEPT, S_LOG_QSTEP, S_LOG_SDECL, S_LOG_PDECL, S_DECLINE = range(16, 21)
S_QSTEP = 21  # (1 - phi)^theta, exactly 1 when theta = 0
# Below this log of the tokens, the tokens are surely within the data stock: log(stock) less
# a margin (1e-9 relative) far wider than the error of vmath's exp and log (an ulp or so).
S_LOG_STOCK_SAFE = 22
N_SCENARIO_ROWS = 23
# Rows of the per-size temporaries ``T[row, i]``.
T_FINAL, T_WEIGHT, T_COST1, T_DPOOL, T_DCOST, T_DWEIGHT, T_DDISC, T_WEIGHT_LAB = range(8)
T_QUALITY = 8  # our price / (m * tier) in year 1: (l_c / l_real)^theta, with the delay's years
T_LOG_RATIO = 9  # log(l_lab / l_rival): our loss over the rival's
T_INDEX = 10  # scenarios whose tokens may exceed the data stock (their indices, as floats)
N_TEMP_ROWS = 11
N_PATH_ROWS = 12  # scratch rows of the valuation path
#: The fixed-capability price decline reported when the tier's price falls
#: to zero in a year (token_price_decline = 1): a billionfold, not infinity.
MAX_DECLINE = 1e9
#: The largest log of the price's quality factor (l_c / l_real)^theta: 1e100,
#: reached only with keys at their registry bounds (tests/analyses/test_finite.py),
#: where the factor would overflow the revenue.
MAX_LOG_QUALITY = 230.0


@jit
def new_block_scratch(n_parameters, n_sizes, horizon, width):
    """Work arrays of :func:`evaluate_block` for blocks of up to ``width``
    scenarios: both worlds' parameters, scenario-level rows, yearly factors,
    per-size results and per-year terms, and the per-size temporaries."""
    return (np.empty((n_parameters, width)), np.empty((n_parameters, width)),
            np.empty((N_SCENARIO_ROWS, width)), np.empty((N_SCENARIO_ROWS, width)),
            np.empty((N_WORK, horizon, width)), np.empty((N_WORK, horizon, width)),
            np.empty((N_WORLD, width)), np.empty((N_WORLD, width)),
            np.zeros((N_YEAR_FIELDS, horizon, width)), np.zeros((N_YEAR_FIELDS, horizon, width)),
            np.empty((N_TEMP_ROWS, width)), np.empty((N_PATH_ROWS, width)))


@jit
def apply_overlay_block(TH, overlay, first, last, U, table, m):
    """Overlay entries ``first .. last - 1`` on the parameters ``TH``: each
    sets its target row to a constant or to the inverse CDF of a uniform row
    of ``U`` (a strategy's reality, or a belief; common random numbers)."""
    target, dim, family, par, lo, span, offset, n_table, const = overlay[:9]
    for b in range(first, last):
        row = TH[target[b]]
        if dim[b] < 0:
            c = const[b]
            for i in range(m):
                row[i] = c
        else:
            inverse_cdf_block(family[b], par[b, 0], par[b, 1], par[b, 2], lo[b], span[b], table,
                              offset[b], n_table[b], U[dim[b]], row, m)


@jit
def copy_rows(src, dst, m):
    for p in range(src.shape[0]):
        a = src[p]
        b = dst[p]
        for i in range(m):
            b[i] = a[i]


@jit_inline
def _reducible(a_coef, alpha, b_coef, beta, log_n, log_tokens):
    """The reducible loss ``A / N^alpha + B / D^beta`` from ``log N`` and ``log D``."""
    return a_coef * vmath.exp(-alpha * log_n) + b_coef * vmath.exp(-beta * log_tokens)


@jit_inline
def _log_effective(log_tokens, stock, repeat):
    """``log`` of the effective tokens beyond the data stock (repeated data
    is worth less), both branches computed."""
    tokens = vmath.exp(log_tokens)
    eff = vmath.log(stock * (1.0 + repeat * (1.0 - vmath.exp(-(tokens / stock - 1.0) / repeat))))
    return log_tokens if tokens <= stock else eff


@jit_inline
def _gap_terms(gap, kappa_g, rho_g, gamma):
    """The deployment gap's factor on the rivals' weight and ``log`` of the
    quality kept, ``log(1 - g_eff)`` (specification section 14)."""
    g_eff = gap * vmath.exp(-kappa_g * rho_g)
    log_kept = vmath.log(1.0 - g_eff)
    return vmath.exp(-gamma * log_kept), log_kept


@jit_inline_ir
def world_scenario_gap(TH, m, gap_rivals, S_from, S):
    """``S`` of a world whose parameters differ from those behind ``S_from``
    only in the gap, the pool and the hype (a belief without an overlay):
    ``S_from``'s rows with the gap's two recomputed as :func:`world_scenario`
    computes them (the pool and the hype enter no row), so the same bits."""
    for r in range(N_SCENARIO_ROWS):
        a = S_from[r]
        b = S[r]
        for i in range(m):
            b[i] = a[i]
    gap, kappa_g, rho_g, gamma = TH[GAP], TH[KAPPA_G], TH[RHO_G], TH[SHARPNESS]
    for i in range(m):
        gap_factor, log_kept = _gap_terms(gap[i], kappa_g[i], rho_g[i], gamma[i])
        S[S_GAP_FACTOR, i] = 1.0 if gap_rivals else gap_factor
        S[S_LOG_KEPT, i] = 0.0 if gap_rivals else log_kept


@jit
def world_scenario(TH, m, horizon, incident_u, log_n_ref, gap_rivals, S, work):
    """The size-free part of a world: rows of ``S`` and the yearly factors
    ``work[row, t, i]`` (see :data:`N_WORK`). With ``gap_rivals`` the rivals'
    users see the deployment gap too, so it cancels from the quality ratio in
    the share and in the price (specification section 14)."""
    p_hour, f_peak, u_train, u_serve = TH[P_HOUR], TH[F_PEAK], TH[U_TRAIN], TH[U_SERVE]
    rival, d_ref, a_data = TH[RIVAL_SIZE], TH[D_REF], TH[A_DATA]
    a_coef, alpha, b_coef, beta = TH[A_COEF], TH[ALPHA], TH[B_COEF], TH[BETA]
    stock, repeat = TH[DATA_STOCK], TH[REPEAT_HORIZON]
    gamma, gap, kappa_g, rho_g = TH[SHARPNESS], TH[GAP], TH[KAPPA_G], TH[RHO_G]
    premium, eps = TH[PREMIUM], TH[PRICE_SENSITIVITY]
    r_in, u_prefill = TH[INPUT_RATIO], TH[U_PREFILL]
    for i in range(m):
        S[S_USD_FLOP, i] = p_hour[i] / (SECONDS_PER_HOUR * f_peak[i] * u_train[i])
        log_nc = vmath.log(rival[i])
        log_d_ref = vmath.log(d_ref[i])
        S[S_LOG_D_REF, i] = log_d_ref  # for every size (size_costs)
        log_stock = vmath.log(stock[i])
        # (An infinite stock, no data wall, stays infinite: every scenario within it.)
        S[S_LOG_STOCK_SAFE, i] = log_stock - 1e-9 * (1.0 + min(abs(log_stock), 1e300))
        log_dc = log_d_ref + a_data[i] * (log_nc - log_n_ref)
        rl = _reducible(a_coef[i], alpha[i], b_coef[i], beta[i], log_nc,
                        _log_effective(log_dc, stock[i], repeat[i]))
        S[S_LOG_RIVAL, i] = vmath.log(rl)
        gap_factor, log_kept = _gap_terms(gap[i], kappa_g[i], rho_g[i], gamma[i])
        S[S_GAP_FACTOR, i] = 1.0 if gap_rivals else gap_factor
        S[S_LOG_KEPT, i] = 0.0 if gap_rivals else log_kept
        S[S_PRICE_FACTOR, i] = vmath.exp(eps[i] * vmath.log(premium[i]))
        # Per output token; v2's expression when no input tokens (bit for bit).
        decode = (SERVING_FLOP_PER_PARAM * 1.0 * p_hour[i]
                  / (SECONDS_PER_HOUR * f_peak[i] * u_serve[i]))
        with_input = (SERVING_FLOP_PER_PARAM * p_hour[i] / (SECONDS_PER_HOUR * f_peak[i])
                      * (1.0 / u_serve[i] + r_in[i] / u_prefill[i]))
        S[S_SERVE_PARAM, i] = decode if r_in[i] == 0.0 else with_input
    r_disc, growth_r, s_decl, p_decl, progress = TH[R_DISC], TH[GROWTH], TH[SERVE_DECLINE], TH[PRICE_DECLINE], TH[PROGRESS]
    lambda0, kappa, rho, theta = TH[LAMBDA0], TH[KAPPA], TH[RHO], TH[THETA]
    for i in range(m):
        log_disc = -vmath.log(1.0 + r_disc[i])
        S[S_LOG_DISC, i] = log_disc
        S[S_LOG_POOL, i] = vmath.log(1.0 + growth_r[i]) + log_disc
        log_sdecl = vmath.log(1.0 - s_decl[i])
        log_pdecl = vmath.log(1.0 - p_decl[i])
        S[S_LOG_COST, i] = log_sdecl - log_pdecl
        S[S_NEG_GAMMA, i] = -gamma[i]
        log_progress = vmath.log(1.0 - progress[i])
        S[S_LOG_PROGRESS, i] = log_progress
        S[S_INCIDENT_P, i] = lambda0[i] * vmath.exp(-kappa[i] * rho[i])
        # Model v3: the tier's own fall and our price's quality factor per year.
        q_step = theta[i] * log_progress
        S[S_LOG_SDECL, i] = log_sdecl
        S[S_LOG_PDECL, i] = log_pdecl
        S[S_LOG_QSTEP, i] = q_step
        decline = vmath.exp(-(log_pdecl + q_step))
        S[S_DECLINE, i] = min(decline, MAX_DECLINE)  # infinite when delta = 1
        q = vmath.exp(q_step)
        S[S_QSTEP, i] = 1.0 if theta[i] == 0.0 else q
    # yearly factors as running products over t (t outside, scenarios inside)
    p_token = TH[P_TOKEN]
    w0, w1, w2, w3, w4, w5 = work[0], work[1], work[2], work[3], work[4], work[5]
    pool_step, cost_step, weight_step, discount_row = S[S_POOL_STEP], S[S_COST_STEP], S[S_WEIGHT_STEP], S[S_DISCOUNT]
    for i in range(m):
        growth = 1.0 + growth_r[i]
        discount = 1.0 / (1.0 + r_disc[i])
        pool_step[i] = growth * discount
        cost_step[i] = (1.0 - s_decl[i]) / (1.0 - p_decl[i])
        weight_step[i] = vmath.exp(-gamma[i] * S[S_LOG_PROGRESS, i])  # log(1 - progress), as computed above
        discount_row[i] = discount
        w0[0, i] = discount
        w1[0, i] = 1.0 / p_token[i]
        w2[0, i] = 1.0
        w4[0, i] = discount
        w5[0, i] = 1.0
    q_step = S[S_QSTEP]
    for t in range(1, horizon):
        for i in range(m):
            w5[t, i] = w5[t - 1, i] * q_step[i]
            w0[t, i] = w0[t - 1, i] * pool_step[i]
            w1[t, i] = w1[t - 1, i] * cost_step[i]
            w2[t, i] = w2[t - 1, i] * weight_step[i]
            w4[t, i] = w4[t - 1, i] * discount_row[i]
    for t in range(horizon):
        iu = incident_u[t]
        for i in range(m):
            w3[t, i] = 1.0 if iu[i] < S[S_INCIDENT_P, i] else 0.0


@jit_inline_ir
def world_size(TH, m, route, rule, log_n, log_x, active, within_pool, horizon, incidents, S, work, W, Y,
               T):
    """One size of a world on a block: ``W[W_*, i]`` (costs, cash flows,
    ROI, the year-1 unit economics) and the per-year terms ``Y[row, t, i]``:
    :func:`size_costs`, :func:`size_market`, then :func:`size_year_one`."""
    size_costs(TH, m, route, rule, log_n, log_x, active, S, W, T)
    size_market(TH, m, route, within_pool, horizon, incidents, S, work, W, Y, T)
    size_year_one(TH, m, route, S, work, W, T)


@jit
def size_costs(TH, m, route, rule, log_n, log_x, active, S, W, T):
    """One size of a world on a block, first part: what does not depend on
    the gap, the pool, the severity or the incidents (training, costs,
    investment, our loss, the release delay and its factors; rows of ``W``
    and ``T``). :func:`size_market` does the rest.

    ``active`` is the share of the ``exp(log_n)`` parameters active per token
    (specification section 13): training compute and serving cost follow the
    active parameters, quality the quality-equivalent size
    ``N_q = N_act^(1-omega) N^omega``, the data rule and the fixed cost the
    total. With ``active = 1`` every expression is v2's, bit for bit."""
    exp_n = vmath.exp(log_n)
    exp_act = exp_n * active
    six_n = 6.0 * exp_act
    log_active = vmath.log(active)
    log_x_act = log_x + log_active
    omega = TH[MOE_WEIGHT]
    d_ref, a_data, stock, p_data = TH[D_REF], TH[A_DATA], TH[DATA_STOCK], TH[P_DATA]
    a_coef, alpha, b_coef, beta, repeat = TH[A_COEF], TH[ALPHA], TH[B_COEF], TH[BETA], TH[REPEAT_HORIZON]
    f_exp = TH[F_EXP]
    tokens, data, fixed, licence, lab = W[W_TOKENS], W[W_DATA], W[W_FIXED], W[W_LICENSE], W[W_LAB]
    final = T[T_FINAL]
    if route == PRETRAIN:
        r_ref, b_comp, k_ref = TH[R_REF], TH[B_COMP], TH[K_REF]
        log_d_ref, log_stock_safe = S[S_LOG_D_REF], S[S_LOG_STOCK_SAFE]
        # Our loss with the tokens as they are, then again, with the repeated data's
        # discount, for the few scenarios that may be beyond the data stock: the
        # discount's three exp/log (_log_effective) were most of this loop, and
        # _log_effective returns log_tokens itself for every other scenario.
        n_unsure = 0
        for i in range(m):
            tok = d_ref[i] * vmath.exp(a_data[i] * log_x)
            tokens[i] = tok
            data[i] = min(tok, stock[i]) * p_data[i]
            fixed[i] = k_ref[i] * vmath.exp(f_exp[i] * log_x)
            licence[i] = 0.0
            log_tokens = log_d_ref[i] + a_data[i] * log_x
            log_nq = log_n + (1.0 - omega[i]) * log_active
            lab[i] = _reducible(a_coef[i], alpha[i], b_coef[i], beta[i], log_nq, log_tokens)
            n_unsure += 0 if log_tokens < log_stock_safe[i] else 1  # NaN too
        if n_unsure > 0:
            unsure = T[T_INDEX]
            n_unsure = 0
            for i in range(m):  # the indices, in order (a scalar loop: cheap)
                unsure[n_unsure] = i
                n_unsure += 0 if log_d_ref[i] + a_data[i] * log_x < log_stock_safe[i] else 1
            for c in range(n_unsure):
                i = int(unsure[c])
                log_tokens = log_d_ref[i] + a_data[i] * log_x
                log_nq = log_n + (1.0 - omega[i]) * log_active
                lab[i] = _reducible(a_coef[i], alpha[i], b_coef[i], beta[i], log_nq,
                                    _log_effective(log_tokens, stock[i], repeat[i]))
        # The compute rule is the same for the whole block: one loop each, so
        # the rule not in use costs no exp.
        if rule == RULE_POWER:
            for i in range(m):
                final[i] = r_ref[i] * vmath.exp(b_comp[i] * log_x_act)
        else:
            for i in range(m):
                final[i] = six_n * tokens[i]
    else:
        ft_tokens, ft_share, ft_price = TH[FT_TOKENS], TH[FT_COMPUTE_SHARE], TH[FT_DATA_PRICE]
        ft_fixed, ft_licence, ft_base, ft_gain = TH[FT_FIXED], TH[FT_LICENSE], TH[FT_BASE_TOKENS], TH[FT_GAIN]
        for i in range(m):
            tok = ft_tokens[i]
            tokens[i] = tok
            final[i] = six_n * tok * ft_share[i]
            data[i] = tok * ft_price[i]
            fixed[i] = ft_fixed[i] * vmath.exp(f_exp[i] * log_x)
            licence[i] = ft_licence[i]
            log_base = vmath.log(ft_base[i]) + log_n
            log_nq = log_n + (1.0 - omega[i]) * log_active
            lab[i] = _reducible(a_coef[i], alpha[i], b_coef[i], beta[i], log_nq, log_base) * (1.0 - ft_gain[i])
    overhead, rho, rho_g = TH[OVERHEAD], TH[RHO], TH[RHO_G]
    compute, risk, robust, invest, flops_row = W[W_COMPUTE], W[W_RISK], W[W_ROBUST], W[W_INVEST], W[W_FLOPS]
    usd_flop = S[S_USD_FLOP]
    for i in range(m):
        flops = final[i] * overhead[i]
        c = flops * usd_flop[i]
        base = c + data[i] + fixed[i] + licence[i]
        rc = base * rho[i]
        rb = base * rho_g[i]
        compute[i] = c
        risk[i] = rc
        robust[i] = rb
        invest[i] = base + rc + rb
        flops_row[i] = final[i]
    gpus, f_peak, u_train = TH[CLUSTER_GPUS], TH[F_PEAK], TH[U_TRAIN]
    log_rival, serve_param = S[S_LOG_RIVAL], S[S_SERVE_PARAM]
    log_disc, log_pool, log_cost = S[S_LOG_DISC], S[S_LOG_POOL], S[S_LOG_COST]
    neg_gamma, log_progress = S[S_NEG_GAMMA], S[S_LOG_PROGRESS]
    gamma = TH[SHARPNESS]
    delay_row = W[W_DELAY]
    weight_lab, cost1, log_ratio_row = T[T_WEIGHT_LAB], T[T_COST1], T[T_LOG_RATIO]
    dpool, dcost, dweight, ddisc = T[T_DPOOL], T[T_DCOST], T[T_DWEIGHT], T[T_DDISC]
    for i in range(m):
        log_ratio = vmath.log(lab[i]) - log_rival[i]
        log_ratio_row[i] = log_ratio
        wl = vmath.exp(gamma[i] * log_ratio)
        weight_lab[i] = wl
        cost1[i] = serve_param[i] * exp_act
        delay = final[i] / (gpus[i] * f_peak[i] * u_train[i] * SECONDS_PER_YEAR)
        delay_row[i] = delay
        late = delay > 0.0
        p = vmath.exp(delay * log_pool[i])
        c = vmath.exp(delay * log_cost[i])
        w = vmath.exp(neg_gamma[i] * delay * log_progress[i])
        d = vmath.exp(delay * log_disc[i])
        dpool[i] = p if late else 1.0
        dcost[i] = c if late else 1.0
        dweight[i] = w if late else 1.0
        ddisc[i] = d if late else 1.0


@jit
def size_market(TH, m, route, within_pool, horizon, incidents, S, work, W, Y, T):
    """One size of a world after :func:`size_costs`: the rivals' weight and
    our price's quality factor (the gap's part), the cash flows and the
    per-year terms ``Y[row, t, i]``, NPV and ROI (reality's share and year-1
    unit economics follow in :func:`size_year_one`). It reads the rows
    :func:`size_costs` wrote and writes others, so a world that shares those
    rows (a belief without an overlay) runs this alone on them.
    ``within_pool`` keeps our revenue within the pool under price by quality
    (``market.revenue_within_pool``, docs/model.md section 2e)."""
    gap_factor, price_factor = S[S_GAP_FACTOR], S[S_PRICE_FACTOR]
    theta = TH[THETA]
    log_kept, log_qstep = S[S_LOG_KEPT], S[S_LOG_QSTEP]
    delay_row = W[W_DELAY]
    weight_lab, weight, cost1, log_ratio_row = T[T_WEIGHT_LAB], T[T_WEIGHT], T[T_COST1], T[T_LOG_RATIO]
    dpool, dcost, dweight, ddisc = T[T_DPOOL], T[T_DCOST], T[T_DWEIGHT], T[T_DDISC]
    quality, final = T[T_QUALITY], T[T_FINAL]
    invest = W[W_INVEST]
    for i in range(m):
        weight[i] = weight_lab[i] * gap_factor[i] * price_factor[i]
        # Our price over m times the tier's in year 1: (l_c / l_real)^theta,
        # the rivals' loss after the delay's years of progress (section 14).
        log_q = theta[i] * (log_kept[i] - log_ratio_row[i]) + delay_row[i] * log_qstep[i]
        log_q = log_q if log_q < MAX_LOG_QUALITY else MAX_LOG_QUALITY  # (NaN too)
        q = vmath.exp(log_q)
        quality[i] = 1.0 if theta[i] == 0.0 else q
    # market_cash_flows: years outside, scenarios inside; withdrawal and incidents as selects
    rivals, premium = TH[RIVALS], TH[PREMIUM]
    rev, serve, incident, served_disc, served_years = (W[W_REVENUE], W[W_SERVING], W[W_INCIDENT],
                                                       W[W_COMPLIANCE], W[W_YEARS])
    for i in range(m):
        rev[i] = 0.0
        serve[i] = 0.0
        incident[i] = 0.0
        served_disc[i] = 0.0
        served_years[i] = 0.0
    for t in range(horizon):
        w0, w1, w2, w3, w4, w5 = work[0, t], work[1, t], work[2, t], work[3, t], work[4, t], work[5, t]
        y0, y1, y2, y3, y4 = Y[Y_REVENUE, t], Y[Y_SERVING, t], Y[Y_INCIDENT, t], Y[Y_SERVED, t], Y[Y_DISC, t]
        for i in range(m):
            cost_over_price = cost1[i] * w1[i] * dcost[i]
            disc = w4[i] * ddisc[i]
            y4[i] = disc
            price = premium[i] * quality[i] * w5[i]  # our price / the tier's (premium when theta = 0)
            served = cost_over_price < price
            pool = w0[i] * dpool[i]
            rivals_weight = rivals[i] * weight[i] * (w2[i] * dweight[i])  # k w_t: share = 1/(1 + k w_t)
            # The specification's Rev = M share m q: the pool times our share
            # pool / (1 + k w_t), times the price. Or price by quality within the
            # market's budget (docs/model.md 2e): the pool buys share s of the
            # tokens from us at `price` tiers and 1 - s at one tier, so our revenue
            # is pool s price / (s price + 1 - s) = pool price / (price + k w_t),
            # never above the pool. One division, of the denominator in use.
            v2 = theta[i] == 0.0 or not within_pool
            per_price = pool / ((1.0 + rivals_weight) if v2 else (price + rivals_weight))
            rm = per_price * price
            serving = per_price * cost_over_price
            lost = rm * w3[i] if incidents else 0.0
            rev[i] += rm if served else 0.0
            serve[i] += serving if served else 0.0
            incident[i] += lost if served else 0.0
            served_disc[i] += disc if served else 0.0
            served_years[i] += 1.0 if served else 0.0
            y0[i] = rm if served else 0.0
            y1[i] = serving if served else 0.0
            y2[i] = lost if served else 0.0
            y3[i] = disc if served else 0.0
    pool_r, severity, compliance_y, threshold = TH[POOL], TH[SEVERITY], TH[COMPLIANCE], TH[COMPLIANCE_THRESHOLD]
    roi, net, npv, duty_row = W[W_ROI], W[W_NET], W[W_NPV], W[W_DUTY]
    for i in range(m):
        pl = pool_r[i]
        rv = rev[i] * pl
        sv = serve[i] * pl
        ic = incident[i] * (pl * severity[i])
        duty = compliance_y[i] if final[i] >= threshold[i] else 0.0
        comp = duty * served_disc[i]
        inv = invest[i]
        roi[i] = (rv - sv - ic - comp - inv) / inv
        net[i] = rv - sv - ic - comp - inv
        npv[i] = rv - sv - ic - comp
        duty_row[i] = duty
        rev[i] = rv
        serve[i] = sv
        incident[i] = ic
        served_disc[i] = comp  # W_COMPLIANCE: the discounted duties


@jit_inline_ir
def size_year_one(TH, m, route, S, work, W, T):
    """Reality's share and year-1 unit economics of one size, after
    :func:`size_market` (a function of its own, not a flag of that one: a
    literal flag compiled ``size_market`` twice)."""
    gap_factor, price_factor = S[S_GAP_FACTOR], S[S_PRICE_FACTOR]
    delay_row, tokens, stock = W[W_DELAY], W[W_TOKENS], TH[DATA_STOCK]
    weight_lab, cost1 = T[T_WEIGHT_LAB], T[T_COST1]
    dcost, dweight, quality = T[T_DCOST], T[T_DWEIGHT], T[T_QUALITY]
    rivals, premium = TH[RIVALS], TH[PREMIUM]
    share, limited = W[W_SHARE], W[W_LIMITED]
    pretrain = route == PRETRAIN
    w1_0 = work[1, 0]
    p_token = TH[P_TOKEN]
    log_sdecl, log_pdecl = S[S_LOG_SDECL], S[S_LOG_PDECL]
    cost_y1, price_y1, margin_y1, served_y1 = W[W_COST_Y1], W[W_PRICE_Y1], W[W_MARGIN_Y1], W[W_SERVED_Y1]
    for i in range(m):
        ratio1 = cost1[i] * w1_0[i] * dcost[i]
        price1 = premium[i] * quality[i]
        served1 = ratio1 < price1
        s = 1.0 / (1.0 + rivals[i] * weight_lab[i] * gap_factor[i] * price_factor[i] * dweight[i])
        share[i] = s if served1 else 0.0
        delay = delay_row[i]
        late = delay > 0.0
        c_late = vmath.exp(delay * log_sdecl[i])
        p_late = vmath.exp(delay * log_pdecl[i])
        cost_y1[i] = cost1[i] * (c_late if late else 1.0)
        price_y1[i] = price1 * p_token[i] * (p_late if late else 1.0)
        margin = 1.0 - ratio1 / price1  # -inf or NaN when the price is 0: clipped to -1
        margin_y1[i] = margin if margin > -1.0 else -1.0
        served_y1[i] = 1.0 if served1 else 0.0
        limited[i] = 1.0 if pretrain and tokens[i] > stock[i] else 0.0


@jit
def _outputs(TH, m, S, W, WB, O):
    """evaluate_scenario's columns of one size (``O[column, i]``)."""
    e_loss = TH[E_LOSS]
    roi_e = WB[W_ROI]
    for i in range(m):
        roi = W[W_ROI, i]
        O[ROI, i] = roi
        O[ROI_EXPECTED, i] = roi_e[i]
        O[ROI_GAP, i] = roi_e[i] - roi
        O[LOSS, i] = 1.0 if roi < 0.0 else 0.0
        O[LAB_LOSS, i] = e_loss[i] + W[W_LAB, i]
    pairs = ((INVESTMENT, W_INVEST), (COMPUTE_COST, W_COMPUTE), (DATA_COST, W_DATA),
             (FIXED_COST, W_FIXED), (RISK_CONTROL_COST, W_RISK), (REVENUE_NPV, W_REVENUE),
             (SERVING_COST_NPV, W_SERVING), (INCIDENT_LOSS_NPV, W_INCIDENT), (YEARS_SERVED, W_YEARS),
             (MARKET_SHARE, W_SHARE), (NET_VALUE, W_NET), (ROBUSTNESS_COST, W_ROBUST),
             (LICENSE_COST, W_LICENSE), (COMPLIANCE_COST_NPV, W_COMPLIANCE), (RELEASE_DELAY, W_DELAY),
             (DATA_LIMITED, W_LIMITED), (TRAINING_FLOPS, W_FLOPS), (TRAINING_TOKENS, W_TOKENS),
             (COST_Y1, W_COST_Y1), (PRICE_Y1, W_PRICE_Y1), (MARGIN_Y1, W_MARGIN_Y1),
             (SERVED_Y1, W_SERVED_Y1))
    for col, w in pairs:
        src = W[w]
        dst = O[col]
        for i in range(m):
            dst[i] = src[i]
    decline, dst = S[S_DECLINE], O[PRICE_DECLINE_FIXED]
    for i in range(m):
        dst[i] = decline[i]


@jit
def _path(TH, THB, m, horizon, W, WB, Y, YB, O, R):
    """The investors' mark-to-market path (specification section 9) on a block.

    Investors value the project at the decision (year 0) by their belief,
    then learn from each year's realized revenue::

        ratio_t = Rev_t / Rev^e_t            (1 when Rev^e_t = 0: nothing to learn)
        b_0 = 1;  b_t = (1 - w) b_(t-1) + w ratio_t
        V_t = sum_(tau<=t) CF_tau/(1+r)^(tau+d) + b_t sum_(tau>t) CF^e_tau/(1+r)^(tau+d_e)
        MTM_0 = ROI_expected;  MTM_t = (V_t - I) / I  for t >= 1     (so MTM_T = ROI)

    ``R`` is scratch (``N_PATH_ROWS`` rows): the belief ``b``, the cooled
    flag and the running sums of both worlds' yearly terms, summed in the
    same order as the NPV of :func:`size_market`, so MTM_T equals ROI to the
    last bit (``tests/kernels/test_model_beliefs.py``)."""
    lr, pool, severity = TH[LEARNING_RATE], TH[POOL], TH[SEVERITY]
    pool_e, severity_e = THB[POOL], THB[SEVERITY]
    invest, duty, duty_e, npv_e, roi_e = W[W_INVEST], W[W_DUTY], WB[W_DUTY], WB[W_NPV], WB[W_ROI]
    b, cooled = R[0], R[1]
    rs, ss, isum, ds = R[2], R[3], R[4], R[5]  # realized sums so far
    rse, sse, ise, dse = R[6], R[7], R[8], R[9]  # believed sums so far
    base = N_STATS
    for i in range(m):
        re = roi_e[i]
        O[base + PATH_MTM, i] = re
        O[base + PATH_BELOW, i] = 1.0 if re < 0.0 else 0.0
        O[base + PATH_COOLED, i] = 0.0
        O[base + PATH_CASH_FLOW, i] = 0.0
        O[base + PATH_CASH_FLOW_EXPECTED, i] = 0.0
        O[base + PATH_PAYBACK, i] = 0.0
    for r in range(10):
        row = R[r]
        v = 1.0 if r == 0 else 0.0
        for i in range(m):
            row[i] = v
    realized_t, believed_t = R[10], R[11]
    for t in range(1, horizon + 1):
        k = t - 1
        y0, y1, y2, y3, y4 = Y[Y_REVENUE, k], Y[Y_SERVING, k], Y[Y_INCIDENT, k], Y[Y_SERVED, k], Y[Y_DISC, k]
        e0, e1, e2, e3, e4 = YB[Y_REVENUE, k], YB[Y_SERVING, k], YB[Y_INCIDENT, k], YB[Y_SERVED, k], YB[Y_DISC, k]
        col = base + t * N_PATH_FIELDS
        o_mtm, o_below, o_cooled = O[col + PATH_MTM], O[col + PATH_BELOW], O[col + PATH_COOLED]
        o_cf, o_cfe, o_pay = O[col + PATH_CASH_FLOW], O[col + PATH_CASH_FLOW_EXPECTED], O[col + PATH_PAYBACK]
        last = t == horizon
        # Three loops over the block rather than one: with every row of the
        # year in one loop, LLVM's cost model kept it scalar. Divisions are
        # computed always and selected after (a discarded quotient may be
        # inf or NaN), so no loop has a branch.
        for i in range(m):  # the belief and both worlds' running sums
            w = lr[i]
            pl, ple = pool[i], pool_e[i]
            disc = y4[i]
            disc_e = e4[i]
            q = y0[i] * pl / disc
            q_e = e0[i] * ple / disc_e
            rev = q if disc > 0.0 else 0.0
            rev_e = q_e if disc_e > 0.0 else 0.0
            q_ratio = rev / rev_e
            ratio = q_ratio if rev_e != 0.0 else 1.0
            b[i] = (1.0 - w) * b[i] + w * ratio
            rs[i] += y0[i]
            ss[i] += y1[i]
            isum[i] += y2[i]
            ds[i] += y3[i]
            realized_t[i] = rs[i] * pl - ss[i] * pl - isum[i] * (pl * severity[i]) - duty[i] * ds[i]
            rse[i] += e0[i]
            sse[i] += e1[i]
            ise[i] += e2[i]
            dse[i] += e3[i]
            believed_t[i] = rse[i] * ple - sse[i] * ple - ise[i] * (ple * severity_e[i]) - duty_e[i] * dse[i]
        for i in range(m):  # mark-to-market value and what follows from it
            realized = realized_t[i]
            value = realized if last else realized + b[i] * (npv_e[i] - believed_t[i])
            inv = invest[i]
            mtm = (value - inv) / inv
            o_mtm[i] = mtm
            o_below[i] = 1.0 if mtm < 0.0 else 0.0
            c = 1.0 if (roi_e[i] >= 0.0 and mtm < 0.0) else cooled[i]
            cooled[i] = c
            o_cooled[i] = c
            o_pay[i] = 1.0 if realized >= inv else 0.0
        for i in range(m):  # the year's cash flows, not discounted
            pl, sv, dt = pool[i], severity[i], duty[i]
            ple, sve, dte = pool_e[i], severity_e[i], duty_e[i]
            disc = y4[i]
            disc_e = e4[i]
            flow = y0[i] * pl - y1[i] * pl - y2[i] * (pl * sv) - dt * y3[i]
            q_flow = flow / disc
            o_cf[i] = q_flow if disc > 0.0 else 0.0
            flow_e = e0[i] * ple - e1[i] * ple - e2[i] * (ple * sve) - dte * e3[i]
            q_flow_e = flow_e / disc_e
            o_cfe[i] = q_flow_e if disc_e > 0.0 else 0.0


@jit_inline_ir
def evaluate_block(TH, U, m, flags, worlds, log_sizes, log_n_ref, horizon, n_sampled, table, OUT, scratch):
    """Every strategy's world on the same draws for scenarios ``i < m``, into
    ``OUT[s * n_sizes + j, column, i]``, then the decision columns over all
    those alternatives: best (ties split), regret and the highest objective.
    ``OUT`` must start at zeros (columns the model does not write stay 0).
    A row whose ``worlds[26]`` entry is 0 (a size its strategy does not
    declare) is evaluated but is no alternative: it never counts as best, the
    best and the regret are over the other rows, and its own regret is the
    best alternative's objective less its own.

    ``flags`` is (objective: 0 net value, 1 ROI; path on; uniforms per
    scenario); ``worlds`` the plan's (route, compute rule, belief expects
    incidents) per strategy, then its reality overlay's ten arrays and its
    belief overlay's ten, then (active share, rivals' gap, revenue within
    pool) and which rows are alternatives, in one flat tuple."""
    objective, path, n_dims = flags
    s_route, s_rule, s_incidents = worlds[0], worlds[1], worlds[2]
    overlay, belief = worlds[3:13], worlds[13:23]
    s_active, s_gap_rivals, s_within_pool = worlds[23], worlds[24], worlds[25]
    start, b_start = overlay[9], belief[9]
    THW, THB, S, SB, work, work_b, W, WB, Y, YB, T, R = scratch
    n_sizes = log_sizes.shape[0]
    incident_u = U[n_sampled:n_sampled + horizon]
    # Reality always has its incidents. A run-time bool rather than the constant True, so that both
    # worlds call one compiled size_market (the literal was a second specialization: 11 s of a cold start).
    reality_incidents = n_sizes >= 0
    for k in range(s_route.shape[0]):
        # Reality's parameters: the draws themselves when its overlay is empty (they are only read).
        if start[k] == start[k + 1]:
            THR = TH
        else:
            copy_rows(TH, THW, m)
            apply_overlay_block(THW, overlay, start[k], start[k + 1], U, table, m)
            THR = THW
        copy_rows(THR, THB, m)
        gap, pool, hype = THB[GAP], THB[POOL], THB[HYPE]
        for i in range(m):
            gap[i] = 0.0
        apply_overlay_block(THB, belief, b_start[k], b_start[k + 1], U, table, m)
        for i in range(m):
            pool[i] = pool[i] * hype[i]
        route, rule = s_route[k], s_rule[k]
        # A belief without an overlay differs from reality only in the gap (0), the pool (times
        # the hype) and the incidents: it shares reality's size-free rows but the gap's, its
        # yearly factors, and each size's costs (the same numbers, computed once).
        shared = b_start[k] == b_start[k + 1]
        gap_rivals = s_gap_rivals[k] != 0
        world_scenario(THR, m, horizon, incident_u, log_n_ref, gap_rivals, S, work)
        if shared:
            world_scenario_gap(THB, m, gap_rivals, S, SB)
            belief_work = work
        else:
            world_scenario(THB, m, horizon, incident_u, log_n_ref, gap_rivals, SB, work_b)
            belief_work = work_b
        for j in range(n_sizes):
            log_n = log_sizes[j]
            log_x = log_n - log_n_ref
            active, within = s_active[k, j], s_within_pool[k] != 0
            world_size(THR, m, route, rule, log_n, log_x, active, within, horizon, reality_incidents, S, work,
                       W, Y, T)
            if shared:
                copy_rows(W[W_INVEST:W_INVEST + 1], WB[W_INVEST:W_INVEST + 1], m)
                copy_rows(W[W_DELAY:W_DELAY + 1], WB[W_DELAY:W_DELAY + 1], m)
            else:
                size_costs(THB, m, route, rule, log_n, log_x, active, SB, WB, T)
            size_market(THB, m, route, within, horizon, s_incidents[k] != 0, SB, belief_work, WB, YB, T)
            O = OUT[k * n_sizes + j]
            _outputs(THR, m, S, W, WB, O)
            if path:
                _path(THR, THB, m, horizon, W, WB, Y, YB, O, R)
    column = NET_VALUE if objective == 0 else ROI
    n_rows = OUT.shape[0]
    s_alternative = worlds[26]
    best = R[0]
    ties = R[1]
    for i in range(m):
        best[i] = -math.inf
        ties[i] = 0.0
    for a in range(n_rows):
        if s_alternative[a] == 0:
            continue  # evaluated, but not among the choices (a strategy's own sizes)
        x = OUT[a, column]
        for i in range(m):
            best[i] = x[i] if x[i] > best[i] else best[i]
    for a in range(n_rows):
        if s_alternative[a] == 0:
            continue
        x = OUT[a, column]
        for i in range(m):
            ties[i] += 1.0 if x[i] == best[i] else 0.0
    for a in range(n_rows):
        o = OUT[a]
        x = o[column]
        ob, og, om = o[BEST], o[REGRET], o[MAX_OBJECTIVE]
        chosen = s_alternative[a] != 0
        for i in range(m):
            ob[i] = 1.0 / ties[i] if (chosen and x[i] == best[i]) else 0.0
            og[i] = best[i] - x[i]
            om[i] = best[i]
