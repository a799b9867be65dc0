"""Today's kernel, frozen: the scalar, one-scenario-at-a-time path that the
block (SIMD) kernels of :mod:`sim.kernels.reduce` replaced.

A verbatim copy (generated, then left alone) of everything
``reduce_chunk`` and ``sample_range`` called at commit 610b73d that the SIMD
work changed: the inverse CDFs and draws, the histogram bins, every block of
the model and the two kernels, with libm ``math.exp``/``math.log`` and the
branching AS241 ``ndtri``. The generator, the designs, the parameter
positions and the output columns are unchanged and imported.

``benchmarks/kernel_rate.py`` and the suite time it beside the engine
(:func:`frozen_kernels`, this module as the reducer's ``kernel=``), and
``benchmarks/test_speed.py`` checks that it still agrees with the engine.
To compare with any earlier version of the engine, not only this one,
``benchmarks/compare_commits.py`` checks that version out.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from sim.kernels.jit import jit, jit_parallel, prange
from sim.kernels.model.params import (
    ALPHA,
    A_COEF,
    A_DATA,
    BETA,
    B_COEF,
    B_COMP,
    CLUSTER_GPUS,
    COMPLIANCE,
    COMPLIANCE_THRESHOLD,
    DATA_STOCK,
    D_REF,
    E_LOSS,
    FT_BASE_TOKENS,
    FT_COMPUTE_SHARE,
    FT_DATA_PRICE,
    FT_FIXED,
    FT_GAIN,
    FT_LICENSE,
    FT_TOKENS,
    F_EXP,
    F_PEAK,
    GAP,
    GROWTH,
    HYPE,
    KAPPA,
    KAPPA_G,
    K_REF,
    LAMBDA0,
    LEARNING_RATE,
    OVERHEAD,
    POOL,
    PREMIUM,
    PRETRAIN,
    PRICE_DECLINE,
    PRICE_SENSITIVITY,
    PROGRESS,
    P_DATA,
    P_HOUR,
    P_TOKEN,
    REPEAT_HORIZON,
    RHO,
    RHO_G,
    RIVALS,
    RIVAL_SIZE,
    RULE_POWER,
    R_DISC,
    R_REF,
    SERVE_DECLINE,
    SEVERITY,
    SHARPNESS,
    U_SERVE,
    U_TRAIN,
)
from sim.vocab.outputs import (
    BEST,
    COMPLIANCE_COST_NPV,
    COMPUTE_COST,
    DATA_COST,
    DATA_LIMITED,
    FIXED_COST,
    INCIDENT_LOSS_NPV,
    INVESTMENT,
    LAB_LOSS,
    LICENSE_COST,
    LOSS,
    MARKET_SHARE,
    MAX_OBJECTIVE,
    NET_VALUE,
    N_PATH_FIELDS,
    N_STATS,
    PATH_BELOW,
    PATH_CASH_FLOW,
    PATH_CASH_FLOW_EXPECTED,
    PATH_COOLED,
    PATH_MTM,
    PATH_PAYBACK,
    REGRET,
    RELEASE_DELAY,
    REVENUE_NPV,
    RISK_CONTROL_COST,
    ROBUSTNESS_COST,
    ROI,
    ROI_EXPECTED,
    ROI_GAP,
    SERVING_COST_NPV,
    TRAINING_FLOPS,
    TRAINING_TOKENS,
    YEARS_SERVED,
)
from sim.kernels.sampling.design_kernels import fill_design_uniforms
from sim.kernels.sampling.rng import U_MAX, U_MIN, mix64, uniform

__all__ = ["frozen_kernels", "reduce_chunk", "sample_range"]


# ---------------------------------------------------------------- from sim/kernels/sampling/inverse_cdf.py
# Family codes stored in the kernel's per-dimension plan.
NORMAL = 0


LOGNORMAL = 1


UNIFORM = 2


TRIANGULAR = 3


TABLE = 4  # tabulated quantile in t = ndtri(u) space (beta, PERT)


POISSON = 5


BERNOULLI = 6


CHOICE = 7


#: Half-width of the t grid of tabulated quantiles (covers u down to 2**-60).
TABLE_T_MAX = 8.5


#: Cells of the t grid.
TABLE_CELLS = 2048


@jit
def ndtri(p):
    """Standard normal quantile, Wichura's AS241 (PPND16), ~1e-16 relative."""
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        num = (((((((2509.0809287301226727 * r + 33430.575583588128105) * r
                    + 67265.770927008700853) * r + 45921.953931549871457) * r
                  + 13731.693765509461125) * r + 1971.5909503065514427) * r
                + 133.14166789178437745) * r + 3.387132872796366608)
        den = (((((((5226.495278852545925 * r + 28729.085735721942674) * r
                    + 39307.89580009271061) * r + 21213.794301586595867) * r
                  + 5394.1960214247511077) * r + 687.1870074920579083) * r
                + 42.313330701600911252) * r + 1.0)
        return q * num / den
    if q < 0.0:
        r = p
    else:
        r = 1.0 - p
    if r <= 0.0:
        return -math.inf if q < 0.0 else math.inf
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r = r - 1.6
        num = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r
                    + 0.24178072517745061177) * r + 1.27045825245236838258) * r
                  + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734)
        den = (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r
                    + 0.0151986665636164571966) * r + 0.14810397642748007459) * r
                  + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                + 2.05319162663775882187) * r + 1.0)
    else:
        r = r - 5.0
        num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                    + 0.0012426609473880784386) * r + 0.026532189526576123093) * r
                  + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772)
        den = (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r
                    + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r
                  + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                + 0.59983220655588793769) * r + 1.0)
    z = num / den
    return -z if q < 0.0 else z


@jit
def table_quantile(t, table, offset):
    """Cubic Hermite interpolation of a tabulated quantile at ``t``.

    ``table[offset + 2 i]`` holds the quantile at node ``i`` and
    ``table[offset + 2 i + 1]`` its derivative with respect to ``t``.
    """
    h = 2.0 * TABLE_T_MAX / TABLE_CELLS
    x = (t + TABLE_T_MAX) / h
    if x <= 0.0:
        return table[offset]
    if x >= TABLE_CELLS:
        return table[offset + 2 * TABLE_CELLS]
    i = int(x)
    s = x - i
    j = offset + 2 * i
    y0 = table[j]
    d0 = table[j + 1] * h
    y1 = table[j + 2]
    d1 = table[j + 3] * h
    s2 = s * s
    s3 = s2 * s
    return ((2.0 * s3 - 3.0 * s2 + 1.0) * y0 + (s3 - 2.0 * s2 + s) * d0
            + (-2.0 * s3 + 3.0 * s2) * y1 + (s3 - s2) * d1)


@jit
def discrete_quantile(u, table, offset, n):
    """Smallest ``k`` with ``CDF[k] >= u``; ``table[offset:offset+n]`` is the
    CDF and ``table[offset+n:offset+2n]`` a guide table of start indices."""
    g = int(u * n)
    if g >= n:
        g = n - 1
    k = int(table[offset + n + g])
    while k < n - 1 and table[offset + k] < u:
        k += 1
    return k


@jit
def inverse_cdf(family, p0, p1, p2, lo, span, table, offset, n_table, u):
    """Draw of one parameter from its uniform ``u``.

    ``p0, p1, p2`` are the family's numbers (see ``Distribution.encode``);
    ``lo`` and ``span`` map ``u`` into the truncated part of the CDF,
    ``[F(min), F(max)]``. Scalars only, so the call inlines cheaply.
    """
    v = lo + span * u
    if family == NORMAL:
        return p0 + p1 * ndtri(v)
    if family == LOGNORMAL:
        return math.exp(p0 + p1 * ndtri(v))
    if family == UNIFORM:
        return p0 + p1 * v
    if family == TRIANGULAR:
        # p0, p1, p2: low, high - low, (mode - low) / (high - low)
        if v < p2:
            return p0 + p1 * math.sqrt(v * p2)
        return p0 + p1 * (1.0 - math.sqrt((1.0 - v) * (1.0 - p2)))
    if family == TABLE:
        return p0 + p1 * table_quantile(ndtri(v), table, offset)
    if family == POISSON:
        return p0 + discrete_quantile(v, table, offset, n_table)
    if family == BERNOULLI:
        return 1.0 if v > 1.0 - p0 else 0.0
    if family == CHOICE:
        k = discrete_quantile(v, table, offset, n_table)
        return table[offset + 2 * n_table + k]
    return math.nan


@jit
def inverse_cdf_many(family, par, lo, span, table, offset, n_table, u, out):
    """Vectorised ``inverse_cdf`` for tests and validation."""
    for i in range(u.shape[0]):
        out[i] = inverse_cdf(family, par[0], par[1], par[2], lo, span, table, offset,
                             n_table, u[i])


# ---------------------------------------------------------------- from sim/kernels/sampling/draw.py
_EXTRA_SALT = np.uint64(0xB3E1_1EF5_0000_0001)  # keys the stream of the extra uniforms


_SQRT_HALF = 1.0 / math.sqrt(2.0)


@jit
def transform(theta0, target, family, par, lo, span, offset, n_table, table, u, theta):
    """Parameter vector of one scenario from its uniforms (inverse CDFs)."""
    theta[:] = theta0
    for d in range(target.shape[0]):
        theta[target[d]] = inverse_cdf(family[d], par[d, 0], par[d, 1], par[d, 2], lo[d],
                                       span[d], table, offset[d], n_table[d], u[d])


@jit
def apply_copula(corr_dims, corr_chol, u, z):
    """Gaussian copula: correlate the uniforms of ``corr_dims`` in place.

    ``z = L Phi^-1(u)`` keeps each margin standard normal, so ``Phi(z)`` is
    again uniform and every declared marginal is untouched.
    """
    m = corr_dims.shape[0]
    for a in range(m):
        z[a] = ndtri(u[corr_dims[a]])
    for a in range(m - 1, -1, -1):  # backwards: z[b < a] is still the input
        acc = 0.0
        for b in range(a + 1):
            acc += corr_chol[a, b] * z[b]
        z[a] = acc
    for a in range(m):
        v = 0.5 * math.erfc(-z[a] * _SQRT_HALF)
        u[corr_dims[a]] = min(max(v, U_MIN), U_MAX)


@jit
def draw_design_scenario(key, s, n_dims, block, dists, design, copula, u, z, theta):
    """Uniforms of scenario ``s`` under the design, correlated, transformed."""
    theta0, target, family, par, lo, span, offset, n_table, table = dists
    code, n_reps, rep_size, keys, sobol_v, sobol_shift = design
    fill_design_uniforms(code, n_reps, rep_size, keys, sobol_v, sobol_shift,
                         key, s, n_dims, block, u)
    corr_dims, corr_chol = copula
    if corr_dims.shape[0] > 0:
        apply_copula(corr_dims, corr_chol, u, z)
    transform(theta0, target, family, par, lo, span, offset, n_table, table, u, theta)


@jit
def fill_extra_uniforms(key, s, first, u):
    """``u[first:]``: the uniforms of keys that only a belief or a strategy
    makes uncertain, from a stream of their own (number ``s * m + e`` of the
    stream keyed by ``mix64(key ^ salt)``, m of them per scenario). They are
    independent draws whatever the design, and leave the design's stream, so
    reality's draws do not depend on them."""
    m = u.shape[0] - first
    if m <= 0:
        return
    extra_key = mix64(key ^ _EXTRA_SALT)
    base = np.uint64(s) * np.uint64(m)
    for e in range(m):
        u[first + e] = uniform(extra_key, base + np.uint64(e))


# ---------------------------------------------------------------- from sim/kernels/accumulators.py
# Fields of one histogram bin.
COUNT, MIN, MAX, AT_MIN, AT_MAX = range(5)


N_FIELDS = 5


@jit
def pseudo_log(x):
    """Monotone, continuous and cheap: ``x`` for ``|x| <= 2``, else
    ``sign(x) (e + 2 m - 1)`` for ``|x| = m 2**e``, ``m`` in [0.5, 1)."""
    ax = abs(x)
    if ax <= 2.0:
        return x
    m, e = math.frexp(ax)
    y = e + 2.0 * m - 1.0
    return -y if x < 0.0 else y


#: Histogram coordinate: pseudo_log((1 + ROI) * SCALE). 1 + ROI = NPV / I, so
#: returns are resolved as multiples of the investment (relatively), down to
#: 1/SCALE of it, where the coordinate turns linear (through the atom at -1).
SCALE = 1000.0


@jit
def histogram_bin(x, lo, inv_width, offset, scale, n_bins):
    """Bin of ``x`` in coordinate ``pseudo_log((x + offset) * scale)``: 0 below
    the range, ``n_bins + 1`` above it."""
    y = (pseudo_log((x + offset) * scale) - lo) * inv_width
    if not y >= 0.0:  # also catches nan
        return 0
    if y >= n_bins:
        return n_bins + 1
    return int(y) + 1


@jit
def histogram_add(bins, x):
    """Count ``x`` into one bin ``bins[0:5]`` (count, min, max, at_min, at_max)."""
    bins[COUNT] += 1.0
    if x < bins[MIN]:
        bins[MIN] = x
        bins[AT_MIN] = 1.0
    elif x == bins[MIN]:
        bins[AT_MIN] += 1.0
    if x > bins[MAX]:
        bins[MAX] = x
        bins[AT_MAX] = 1.0
    elif x == bins[MAX]:
        bins[AT_MAX] += 1.0


# ---------------------------------------------------------------- from sim/kernels/model/scaling.py
SECONDS_PER_YEAR = 31_557_600.0  # Julian year, specification section 10


@jit
def effective_tokens(tokens, stock, repeat_horizon):
    """``D_eff``: ``D`` up to the stock, then ``S_D (1 + R* (1 - exp(-(D/S_D - 1)/R*)))``."""
    if tokens <= stock:
        return tokens
    return stock * (1.0 + repeat_horizon * (1.0 - math.exp(-(tokens / stock - 1.0) / repeat_horizon)))


@jit
def training_run(theta, route, rule, log_n, log_x):
    """Tokens, final-run FLOP, total FLOP (with experiments) of our model.

    Returns ``(tokens, final_flops, total_flops)``.
    """
    if route == PRETRAIN:
        tokens = theta[D_REF] * math.exp(theta[A_DATA] * log_x)
        if rule == RULE_POWER:
            final = theta[R_REF] * math.exp(theta[B_COMP] * log_x)
        else:
            final = 6.0 * math.exp(log_n) * tokens
    else:
        tokens = theta[FT_TOKENS]
        final = 6.0 * math.exp(log_n) * tokens * theta[FT_COMPUTE_SHARE]
    return tokens, final, final * theta[OVERHEAD]


@jit
def release_delay(theta, final_flops):
    """Years the final run takes on the cluster: ``R_final / (G F_pk u_tr year)``."""
    return final_flops / (theta[CLUSTER_GPUS] * theta[F_PEAK] * theta[U_TRAIN] * SECONDS_PER_YEAR)


# ---------------------------------------------------------------- from sim/kernels/model/performance.py
@jit
def reducible_loss(theta, log_n, log_tokens):
    """Chinchilla's reducible loss A/N^alpha + B/D^beta."""
    return (theta[A_COEF] * math.exp(-theta[ALPHA] * log_n)
            + theta[B_COEF] * math.exp(-theta[BETA] * log_tokens))


@jit
def _log_effective(theta, log_tokens):
    """log D_eff of a pretrained model with ``log D`` tokens (data stock)."""
    tokens = math.exp(log_tokens)
    if tokens <= theta[DATA_STOCK]:
        return log_tokens
    return math.log(effective_tokens(tokens, theta[DATA_STOCK], theta[REPEAT_HORIZON]))


@jit
def own_loss(theta, pretrain, log_n, log_x):
    """Our reducible loss in the lab. Pretraining: on ``D_eff`` tokens.
    Fine-tuning: the open base's loss (``tau_b N`` tokens) less the domain
    gain, ``(A/N^alpha + B/(tau_b N)^beta) (1 - eta)``, not data-limited."""
    if pretrain:
        log_tokens = math.log(theta[D_REF]) + theta[A_DATA] * log_x
        return reducible_loss(theta, log_n, _log_effective(theta, log_tokens))
    log_base = math.log(theta[FT_BASE_TOKENS]) + log_n
    return reducible_loss(theta, log_n, log_base) * (1.0 - theta[FT_GAIN])


@jit
def rival_loss(theta, log_n_ref):
    """Reducible loss of a (pretrained) rival model at release (year 1)."""
    log_nc = math.log(theta[RIVAL_SIZE])
    log_dc = math.log(theta[D_REF]) + theta[A_DATA] * (log_nc - log_n_ref)
    return reducible_loss(theta, log_nc, _log_effective(theta, log_dc))


@jit
def effective_gap(theta):
    """g_eff = g exp(-kappa_g rho_g): robustness spend narrows the gap."""
    return theta[GAP] * math.exp(-theta[KAPPA_G] * theta[RHO_G])


# ---------------------------------------------------------------- from sim/kernels/model/costs.py
SECONDS_PER_HOUR = 3600.0


SERVING_FLOP_PER_PARAM = 2.0  # inference ~ 2N FLOP per token (Kaplan et al.)


@jit
def usd_per_training_flop(theta):
    return theta[P_HOUR] / (SECONDS_PER_HOUR * theta[F_PEAK] * theta[U_TRAIN])


@jit
def upfront_costs(theta, route, log_x, tokens, flops, usd_per_flop, out):
    """Compute, data, fixed, licence, risk-control and robustness costs and
    their total I, into ``out[0:7]``.

    Pretraining pays data for unique tokens only, ``min(D, S_D) p_d``;
    fine-tuning pays ``D_ft p_ft``, its own fixed cost and the base's licence.
    ``I = (C_comp + C_data + C_fix + C_lic) (1 + rho + rho_g)``, summed as
    base + base rho + base rho_g so that rho_g = 0 adds exactly nothing.
    """
    compute = flops * usd_per_flop
    if route == PRETRAIN:
        data = min(tokens, theta[DATA_STOCK]) * theta[P_DATA]
        fixed = theta[K_REF] * math.exp(theta[F_EXP] * log_x)
        licence = 0.0
    else:
        data = tokens * theta[FT_DATA_PRICE]
        fixed = theta[FT_FIXED] * math.exp(theta[F_EXP] * log_x)
        licence = theta[FT_LICENSE]
    base = compute + data + fixed + licence
    risk_control = base * theta[RHO]
    robustness = base * theta[RHO_G]
    out[0] = compute
    out[1] = data
    out[2] = fixed
    out[3] = licence
    out[4] = risk_control
    out[5] = robustness
    out[6] = base + risk_control + robustness


@jit
def serving_cost_per_token(theta, size):
    """Year-1 cost of serving one token: 2N FLOP at the serving utilization."""
    return (SERVING_FLOP_PER_PARAM * size * theta[P_HOUR]
            / (SECONDS_PER_HOUR * theta[F_PEAK] * theta[U_SERVE]))


# ---------------------------------------------------------------- from sim/kernels/model/risk.py
@jit
def incident_probability(theta):
    """lambda = lambda0 exp(-kappa rho): risk control lowers the incident rate."""
    return theta[LAMBDA0] * math.exp(-theta[KAPPA] * theta[RHO])


@jit
def compliance_cost(theta, final_flops):
    """Yearly duties Y of a model whose final run reaches the threshold
    (EU AI Act Art. 51: systemic risk presumed above 1e25 FLOP), else 0."""
    return theta[COMPLIANCE] if final_flops >= theta[COMPLIANCE_THRESHOLD] else 0.0


# ---------------------------------------------------------------- from sim/kernels/model/market.py
N_WORK = 5  # rows of the yearly work array


@jit
def yearly_factors(theta, horizon, incident_u, incident_p, work):
    """Everything about year ``t`` that does not depend on the model size.

    ``work[0, t]``: discounted pool factor ``(1 + g_M)**(t-1) / (1 + r)**t``;
    ``work[1, t]``: serving cost per token over the market price, per unit of
    year-1 serving cost, ``(1 - delta_s)**(t-1) / (p_t (1 - delta)**(t-1))``;
    ``work[2, t]``: rivals' weight growth ``((1 - phi)**-gamma)**(t-1)``;
    ``work[3, t]``: 1 if an incident happens in year t, else 0;
    ``work[4, t]``: the discount factor ``(1 + r)**-t`` alone (yearly duties).
    All are running products, so no power is taken inside the loops.
    """
    growth = 1.0 + theta[GROWTH]
    discount = 1.0 / (1.0 + theta[R_DISC])
    cost_over_price = (1.0 - theta[SERVE_DECLINE]) / (1.0 - theta[PRICE_DECLINE])
    weight_growth = math.exp(-theta[SHARPNESS] * math.log(1.0 - theta[PROGRESS]))
    pool_disc = discount
    disc = discount
    ratio = 1.0 / theta[P_TOKEN]
    weight = 1.0
    for t in range(horizon):
        work[0, t] = pool_disc
        work[1, t] = ratio
        work[2, t] = weight
        work[3, t] = 1.0 if incident_u[t] < incident_p else 0.0
        work[4, t] = disc
        pool_disc *= growth * discount
        disc *= discount
        ratio *= cost_over_price
        weight *= weight_growth


@jit
def delay_factors(theta, delay):
    """Multipliers of the yearly factors for a release ``delay`` years late:
    pool ``((1+g_M)/(1+r))**d``, cost over price ``((1-delta_s)/(1-delta))**d``,
    rivals' weight ``(1-phi)**(-gamma d)`` and discount ``(1+r)**-d``; all
    exactly 1 when the release is not delayed."""
    if not delay > 0.0:
        return 1.0, 1.0, 1.0, 1.0
    log_disc = -math.log(1.0 + theta[R_DISC])
    pool = math.exp(delay * (math.log(1.0 + theta[GROWTH]) + log_disc))
    cost = math.exp(delay * (math.log(1.0 - theta[SERVE_DECLINE])
                             - math.log(1.0 - theta[PRICE_DECLINE])))
    weight = math.exp(-theta[SHARPNESS] * delay * math.log(1.0 - theta[PROGRESS]))
    return pool, cost, weight, math.exp(delay * log_disc)


@jit
def market_cash_flows(weight, rivals, cost_token1, premium, delays, horizon, incidents, work, years):
    """Discounted revenue, serving cost, incident revenue and served-year
    discount over the horizon, per unit of the revenue pool, and the years
    served. ``years[row, t]`` receives each year's terms
    (:mod:`sim.kernels.model.timeline`: revenue, serving, incident revenue, served
    discount, discount), which the valuation path sums again in this order.

    ``weight`` is ``(l_real / l_c1)**gamma m**eps``. A year in which serving
    costs at least our price earns nothing and costs nothing: the model is
    withdrawn that year (specification section 2, against our price: section 7).
    """
    d_pool, d_cost, d_weight, d_disc = delays
    rev = 0.0
    serve = 0.0
    incident = 0.0
    served_disc = 0.0
    served_years = 0.0
    for t in range(horizon):
        cost_over_price = cost_token1 * work[1, t] * d_cost
        disc = work[4, t] * d_disc
        years[4, t] = disc
        if cost_over_price < premium:
            pool = work[0, t] * d_pool
            r = pool / (1.0 + rivals * weight * (work[2, t] * d_weight))
            rm = r * premium
            rev += rm
            serving = r * cost_over_price
            serve += serving
            lost = rm * work[3, t] if incidents else 0.0
            if incidents:
                incident += lost
            served_disc += disc
            served_years += 1.0
            years[0, t] = rm
            years[1, t] = serving
            years[2, t] = lost
            years[3, t] = disc
        else:
            years[0, t] = 0.0
            years[1, t] = 0.0
            years[2, t] = 0.0
            years[3, t] = 0.0
    return rev, serve, incident, served_disc, served_years


# ---------------------------------------------------------------- from sim/kernels/model/beliefs.py
@jit
def apply_overlay(theta, overlay, first, last, u, table):
    """Apply entries ``first .. last-1`` of an overlay (the plan's encoding:
    target, dim, family, par, lo, span, offset, n_table, const, start): set
    each target to its constant, or to the inverse CDF of its uniform."""
    target, dim, family, par, lo, span, offset, n_table, const = overlay[:9]
    for b in range(first, last):
        if dim[b] < 0:
            theta[target[b]] = const[b]
        else:
            theta[target[b]] = inverse_cdf(family[b], par[b, 0], par[b, 1], par[b, 2], lo[b],
                                           span[b], table, offset[b], n_table[b], u[dim[b]])


@jit
def belief_theta(theta, belief, first, last, u, table, theta_belief):
    """The belief's parameter vector from its world's ``theta`` and the
    scenario's uniforms ``u``: no gap, then entries ``first .. last-1`` of
    the plan's belief overlay, then the pool times the hype."""
    theta_belief[:] = theta
    theta_belief[GAP] = 0.0
    apply_overlay(theta_belief, belief, first, last, u, table)
    theta_belief[POOL] = theta_belief[POOL] * theta_belief[HYPE]


# ---------------------------------------------------------------- from sim/kernels/model/timeline.py
# Rows of a world's per-year array ``years[size, row, t]`` (per unit of the
# revenue pool, discounted, as the cash-flow loop accumulates them).
Y_REVENUE = 0  # our revenue share m/(1 + k w_t) times the discounted pool factor


Y_SERVING = 1  # serving cost, same units


Y_INCIDENT = 2  # revenue lost in an incident year (before severity)


Y_SERVED = 3  # discount factor (1+r)^-(t+d) if served that year, else 0


Y_DISC = 4  # discount factor (1+r)^-(t+d)


N_YEAR_FIELDS = 5


@jit
def _cumulative(years, t_end, pool, severity, duty):
    """Discounted cash flow of years 1..t_end, summed as the NPV is."""
    rev = 0.0
    serve = 0.0
    incident = 0.0
    served = 0.0
    for t in range(t_end):
        rev += years[Y_REVENUE, t]
        serve += years[Y_SERVING, t]
        incident += years[Y_INCIDENT, t]
        served += years[Y_SERVED, t]
    return rev * pool - serve * pool - incident * (pool * severity) - duty * served


@jit
def _cash_flow(years, t, pool, severity, duty):
    """Cash flow of year t+1 in USD, not discounted (0 where the discount
    factor underflows to 0: a release delayed by centuries, or a discount
    rate beyond 1e300, whose discounted terms are then 0 too)."""
    disc = years[Y_DISC, t]
    flow = (years[Y_REVENUE, t] * pool - years[Y_SERVING, t] * pool
            - years[Y_INCIDENT, t] * (pool * severity) - duty * years[Y_SERVED, t])
    return flow / disc if disc > 0.0 else 0.0


@jit
def valuation_path(real, belief, horizon, learning_rate, investment, roi_expected,
                   pool, severity, duty, pool_e, severity_e, duty_e, npv_e, out):
    """Write the path columns of one size into ``out`` (its output row).

    ``real`` and ``belief`` are the worlds' per-year arrays (N_YEAR_FIELDS,
    horizon); ``pool``, ``severity``, ``duty`` (yearly compliance cost if the
    size is subject to it) scale them to USD; ``npv_e`` is the believed NPV.
    """
    w = learning_rate
    b = 1.0
    base = N_STATS
    out[base + PATH_MTM] = roi_expected
    out[base + PATH_BELOW] = 1.0 if roi_expected < 0.0 else 0.0
    out[base + PATH_COOLED] = 0.0
    out[base + PATH_CASH_FLOW] = 0.0
    out[base + PATH_CASH_FLOW_EXPECTED] = 0.0
    out[base + PATH_PAYBACK] = 0.0
    expected_to_pay = roi_expected >= 0.0
    cooled = False
    for t in range(1, horizon + 1):
        k = t - 1
        rev = years_revenue(real, k, pool)
        rev_e = years_revenue(belief, k, pool_e)
        ratio = rev / rev_e if rev_e != 0.0 else 1.0
        b = (1.0 - w) * b + w * ratio
        realized = _cumulative(real, t, pool, severity, duty)
        if t < horizon:
            believed_so_far = _cumulative(belief, t, pool_e, severity_e, duty_e)
            value = realized + b * (npv_e - believed_so_far)
        else:
            value = realized  # nothing left to believe: MTM_T = ROI
        mtm = (value - investment) / investment  # at t = T: the NPV's own sum, so ROI
        col = base + t * N_PATH_FIELDS
        out[col + PATH_MTM] = mtm
        out[col + PATH_BELOW] = 1.0 if mtm < 0.0 else 0.0
        if expected_to_pay and mtm < 0.0:
            cooled = True
        out[col + PATH_COOLED] = 1.0 if cooled else 0.0
        out[col + PATH_CASH_FLOW] = _cash_flow(real, k, pool, severity, duty)
        out[col + PATH_CASH_FLOW_EXPECTED] = _cash_flow(belief, k, pool_e, severity_e, duty_e)
        out[col + PATH_PAYBACK] = 1.0 if realized >= investment else 0.0


@jit
def years_revenue(years, t, pool):
    """Revenue of year t+1 in USD, not discounted (0 if withdrawn, or where
    the discount factor underflows to 0, as in :func:`_cash_flow`)."""
    disc = years[Y_DISC, t]
    return years[Y_REVENUE, t] * pool / disc if disc > 0.0 else 0.0


# ---------------------------------------------------------------- from sim/kernels/model/evaluate.py
# Columns of ``world[size, :]``.
W_COMPUTE, W_DATA, W_FIXED, W_LICENSE, W_RISK, W_ROBUST, W_INVEST = range(7)


W_REVENUE, W_SERVING, W_INCIDENT, W_COMPLIANCE, W_ROI = range(7, 12)


W_LAB, W_YEARS, W_SHARE, W_DELAY, W_FLOPS, W_TOKENS, W_LIMITED, W_NET = range(12, 20)


W_NPV, W_DUTY = range(20, 22)  # NPV; yearly compliance duty if subject to it, else 0


N_WORLD = 22


@jit
def evaluate_world(theta, route, rule, log_sizes, log_n_ref, horizon, incident_u, incidents,
                   world, work, years):
    """Every size's costs, discounted cash flows and ROI in the world ``theta``.

    ``incidents`` says whether incidents happen in this world (reality: yes;
    the belief: only if ``expectation.incidents``). ``work`` is scratch space
    of shape (N_WORK, horizon); ``years[size]`` receives each year's cash-flow
    terms (:mod:`sim.kernels.model.timeline`).
    """
    pretrain = route == PRETRAIN
    usd_per_flop = usd_per_training_flop(theta)
    log_rival = math.log(rival_loss(theta, log_n_ref))
    gamma = theta[SHARPNESS]
    gap_factor = math.exp(-gamma * math.log(1.0 - effective_gap(theta)))  # (1-g_eff)^-gamma
    premium = theta[PREMIUM]
    price_factor = math.exp(theta[PRICE_SENSITIVITY] * math.log(premium))  # m^eps
    yearly_factors(theta, horizon, incident_u, incident_probability(theta), work)
    pool = theta[POOL]
    severity = theta[SEVERITY]
    rivals = theta[RIVALS]
    serve_per_param = serving_cost_per_token(theta, 1.0)

    for j in range(log_sizes.shape[0]):
        w = world[j]
        log_n = log_sizes[j]
        log_x = log_n - log_n_ref
        tokens, final_flops, flops = training_run(theta, route, rule, log_n, log_x)
        upfront_costs(theta, route, log_x, tokens, flops, usd_per_flop, w)
        investment = w[W_INVEST]
        lab = own_loss(theta, pretrain, log_n, log_x)
        weight_lab = math.exp(gamma * (math.log(lab) - log_rival))
        cost_token1 = serve_per_param * math.exp(log_n)
        delay = release_delay(theta, final_flops)
        delays = delay_factors(theta, delay)

        rev, serve, incident, served_disc, served_years = market_cash_flows(
            weight_lab * gap_factor * price_factor, rivals, cost_token1, premium, delays,
            horizon, incidents, work, years[j])
        rev *= pool
        serve *= pool
        incident *= pool * severity
        duty = compliance_cost(theta, final_flops)
        compliance = duty * served_disc
        # Divide (not multiply by 1/I): a model never served must give -1 exactly.
        w[W_ROI] = (rev - serve - incident - compliance - investment) / investment
        w[W_NET] = rev - serve - incident - compliance - investment
        w[W_NPV] = rev - serve - incident - compliance
        w[W_DUTY] = duty
        w[W_REVENUE] = rev
        w[W_SERVING] = serve
        w[W_INCIDENT] = incident
        w[W_COMPLIANCE] = compliance
        w[W_LAB] = lab
        w[W_YEARS] = served_years
        served1 = cost_token1 * work[1, 0] * delays[1] < premium
        w[W_SHARE] = (1.0 / (1.0 + rivals * weight_lab * gap_factor * price_factor * delays[2])
                      if served1 else 0.0)
        w[W_DELAY] = delay
        w[W_FLOPS] = final_flops
        w[W_TOKENS] = tokens
        w[W_LIMITED] = 1.0 if pretrain and tokens > theta[DATA_STOCK] else 0.0


@jit
def evaluate_scenario(theta, structure, log_sizes, log_n_ref, horizon, u, n_sampled, belief,
                      belief_first, belief_last, table, out, scratch):
    """Fill ``out[j, STAT]`` for every size ``j`` of one sampled scenario, and
    the valuation path columns when ``structure`` asks for them.

    ``structure`` is (route, compute rule, belief expects incidents, path on,
    uniforms per scenario);
    ``u`` the scenario's uniforms (``n_sampled`` sampled dimensions, then the
    yearly incident uniforms, then those of their own); entries ``belief_first
    .. belief_last - 1`` of the plan's belief overlay ``belief`` (with
    ``table``) make the belief (:func:`sim.kernels.model.beliefs.belief_theta`).
    "Best" is not set here: it compares every alternative
    (:func:`evaluate_alternatives`).
    ``scratch`` is :func:`new_scratch`'s tuple, reused between calls.
    """
    route, rule, belief_incidents, path, _ = structure
    work, theta_belief, world, world_belief, years, years_belief = scratch
    incident_u = u[n_sampled:n_sampled + horizon]
    evaluate_world(theta, route, rule, log_sizes, log_n_ref, horizon, incident_u, True,
                   world, work, years)
    belief_theta(theta, belief, belief_first, belief_last, u, table, theta_belief)
    evaluate_world(theta_belief, route, rule, log_sizes, log_n_ref, horizon, incident_u,
                   belief_incidents != 0, world_belief, work, years_belief)
    n_sizes = log_sizes.shape[0]
    for j in range(n_sizes):
        w = world[j]
        o = out[j]
        roi = w[W_ROI]
        roi_expected = world_belief[j, W_ROI]
        o[ROI] = roi
        o[ROI_EXPECTED] = roi_expected
        o[ROI_GAP] = roi_expected - roi
        o[INVESTMENT] = w[W_INVEST]
        o[COMPUTE_COST] = w[W_COMPUTE]
        o[DATA_COST] = w[W_DATA]
        o[FIXED_COST] = w[W_FIXED]
        o[RISK_CONTROL_COST] = w[W_RISK]
        o[REVENUE_NPV] = w[W_REVENUE]
        o[SERVING_COST_NPV] = w[W_SERVING]
        o[INCIDENT_LOSS_NPV] = w[W_INCIDENT]
        o[LAB_LOSS] = theta[E_LOSS] + w[W_LAB]
        o[YEARS_SERVED] = w[W_YEARS]
        o[MARKET_SHARE] = w[W_SHARE]
        o[LOSS] = 1.0 if roi < 0.0 else 0.0
        o[NET_VALUE] = w[W_NET]
        o[ROBUSTNESS_COST] = w[W_ROBUST]
        o[LICENSE_COST] = w[W_LICENSE]
        o[COMPLIANCE_COST_NPV] = w[W_COMPLIANCE]
        o[RELEASE_DELAY] = w[W_DELAY]
        o[DATA_LIMITED] = w[W_LIMITED]
        o[TRAINING_FLOPS] = w[W_FLOPS]
        o[TRAINING_TOKENS] = w[W_TOKENS]

        if path:
            wb = world_belief[j]
            valuation_path(years[j], years_belief[j], horizon, theta[LEARNING_RATE],
                           w[W_INVEST], roi_expected, theta[POOL], theta[SEVERITY], w[W_DUTY],
                           theta_belief[POOL], theta_belief[SEVERITY], wb[W_DUTY], wb[W_NPV], o)


@jit
def evaluate_alternatives(theta, flags, worlds, log_sizes, log_n_ref, horizon, u, n_sampled,
                          table, out, scratch, theta_world):
    """Every strategy's world on the same draws (specification section 12), into
    ``out[s * n_sizes + j]``, then the decision columns over all those
    alternatives: best (ties split), regret and the highest objective.

    ``flags`` is (objective: 0 net value, 1 ROI; path on; uniforms per
    scenario); ``worlds`` the plan's (route, compute rule, belief expects
    incidents) per strategy, then its reality overlay's ten arrays and its
    belief overlay's ten, in one flat tuple.
    """
    objective, path, n_dims = flags
    s_route, s_rule, s_incidents = worlds[0], worlds[1], worlds[2]
    overlay, belief = worlds[3:13], worlds[13:23]
    start, b_start = overlay[9], belief[9]
    n_sizes = log_sizes.shape[0]
    for k in range(s_route.shape[0]):
        theta_world[:] = theta
        apply_overlay(theta_world, overlay, start[k], start[k + 1], u, table)
        structure = (s_route[k], s_rule[k], s_incidents[k], path, n_dims)
        evaluate_scenario(theta_world, structure, log_sizes, log_n_ref, horizon, u, n_sampled,
                          belief, b_start[k], b_start[k + 1], table,
                          out[k * n_sizes:(k + 1) * n_sizes], scratch)
    column = NET_VALUE if objective == 0 else ROI
    n_rows = out.shape[0]
    best = -math.inf
    for a in range(n_rows):
        if out[a, column] > best:
            best = out[a, column]
    # Ties (e.g. every alternative withdrawn) share the credit.
    ties = 0
    for a in range(n_rows):
        if out[a, column] == best:
            ties += 1
    for a in range(n_rows):
        o = out[a]
        o[BEST] = 1.0 / ties if o[column] == best else 0.0
        o[REGRET] = best - o[column]
        o[MAX_OBJECTIVE] = best


@jit
def new_scratch(n_parameters, n_sizes, horizon):
    """The scratch arrays :func:`evaluate_scenario` reuses: yearly factors,
    the belief's parameters, both worlds' per-size and per-year results."""
    return (np.empty((N_WORK, horizon)), np.empty(n_parameters),
            np.empty((n_sizes, N_WORLD)), np.empty((n_sizes, N_WORLD)),
            np.zeros((n_sizes, N_YEAR_FIELDS, horizon)), np.zeros((n_sizes, N_YEAR_FIELDS, horizon)))


# ---------------------------------------------------------------- from sim/kernels/reduce.py
@jit_parallel
def reduce_chunk(key, first_block, n_blocks, n_total, block_size, dists, design, copula, model,
                 log_sizes, log_n_ref, horizon,
                 hist_cols, hist_lo, hist_inv_width, hist_offset, hist_scale, n_bins, hist,
                 block_n, block_mean, block_m2, voi, keep_first=0, kept=None):
    """Evaluate blocks ``first_block .. first_block + n_blocks - 1``.

    Blocks are handed out to threads one at a time (the caller sets
    ``numba.parallel_chunksize(1)``: scenarios differ in cost, and static
    halves left one thread idle). The thread that runs a block adds to its
    own histogram ``hist[thread]`` (per bin: count, minimum, maximum and how
    many values equal each, so that point masses such as ROI = -1 stay exact,
    and all of them independent of which thread saw which value); block ``b``
    of the chunk writes its count, means and M2 to ``block_*[b]``. Within a
    block, sums are shifted by the block's first value for accuracy.

    ``model`` is (flags, worlds): see
    :func:`sim.kernels.model.evaluate.evaluate_alternatives`; the output has a row per
    alternative (strategy-major) and column ``hist_cols[h]`` of each row feeds
    histogram ``h`` of that row. ``voi`` is (dims, dummy key, bins, sums,
    counts): when ``dims`` is not empty, block ``b`` adds every alternative's
    objective to ``sums[b, i, bin]`` where ``bin`` is the bin of the uniform
    behind parameter ``i`` (the last ``i`` is a dummy uniform that enters no
    model: the noise floor), and counts the scenarios in ``counts[b, i, bin]``.
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
    n_hist = hist_cols.shape[0]
    table = dists[8]
    for b in prange(n_blocks):
        # The only edits since the copy: the reducer now calls with a block at
        # a time and this call's own histograms (hist[0]), and passes the
        # keep arguments of today's kernel, unused here.
        lane = numba.get_thread_id() if hist.shape[0] > 1 else 0
        u = np.empty(n_uniforms)
        z = np.empty(max(copula[0].shape[0], 1))
        theta = np.empty(theta0.shape[0])
        theta_world = np.empty(theta0.shape[0])
        scratch = new_scratch(theta0.shape[0], log_sizes.shape[0], horizon)
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
            fill_extra_uniforms(key, s, n_dims, u)
            evaluate_alternatives(theta, flags, worlds, log_sizes, log_n_ref, horizon, u, n_sampled,
                                  table, out, scratch, theta_world)
            if n_voi > 0:
                for i in range(n_voi + 1):
                    ui = u[voi_dims[i]] if i < n_voi else uniform(dummy_key, np.uint64(s))
                    k = min(int(ui * voi_bins), voi_bins - 1)
                    voi_count[b, i, k] += 1.0
                    for a in range(n_sizes):
                        voi_sum[b, i, k, a] += out[a, column]
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
                 log_sizes, log_n_ref, horizon, draws, incident_u, extra_u, belief_draws, stats):
    """Keep every draw: ``draws[i]`` (sampled parameters), ``incident_u[i]``,
    ``extra_u[i]`` (the uniforms of their own, after the incident ones: keys
    that only a belief or a strategy makes uncertain), ``belief_draws[i]``
    (the first strategy's believed value of each of its belief keys) and
    ``stats[i, row, column]`` (a row per alternative) for scenarios
    ``first .. first + n - 1``."""
    theta0, target = dists[0], dists[1]
    flags, worlds = model
    n_uniforms = flags[2]
    n_sampled = target.shape[0]
    n_dims = n_sampled + horizon
    n_extra = extra_u.shape[1]
    table = dists[8]
    n_lanes = 64
    for lane in prange(n_lanes):
        u = np.empty(n_uniforms)
        z = np.empty(max(copula[0].shape[0], 1))
        theta = np.empty(theta0.shape[0])
        theta_world = np.empty(theta0.shape[0])
        theta_belief = np.empty(theta0.shape[0])
        scratch = new_scratch(theta0.shape[0], log_sizes.shape[0], horizon)
        for i in range((lane * n) // n_lanes, ((lane + 1) * n) // n_lanes):
            draw_design_scenario(key, first + i, n_dims, block_size, dists, design, copula,
                                 u, z, theta)
            fill_extra_uniforms(key, first + i, n_dims, u)
            evaluate_alternatives(theta, flags, worlds, log_sizes, log_n_ref, horizon, u, n_sampled,
                                  table, stats[i], scratch, theta_world)
            for d in range(n_sampled):
                draws[i, d] = theta[target[d]]
            for t in range(horizon):
                incident_u[i, t] = u[n_sampled + t]
            for e in range(n_extra):
                extra_u[i, e] = u[n_sampled + horizon + e]
            if belief_draws.shape[1] > 0:  # the first world's belief, as the kernel drew it
                overlay, belief = worlds[3:13], worlds[13:23]
                theta_world[:] = theta
                apply_overlay(theta_world, overlay, overlay[9][0], overlay[9][1], u, table)
                # The believed draws themselves (before the pool is multiplied by the hype).
                theta_belief[:] = theta_world
                apply_overlay(theta_belief, belief, belief[9][0], belief[9][1], u, table)
                for b in range(belief_draws.shape[1]):
                    belief_draws[i, b] = theta_belief[belief[0][belief[9][0] + b]]


def frozen_kernels():
    """This module's kernels for the reducer's ``kernel=`` argument
    (``sim.engine.reducer.reduce(..., kernel=frozen_kernels())``).

    The reducer now passes ``hist_cols`` with a slot per row, -1 where a row
    sketches nothing (:func:`sim.engine.reducer.sketched_slots`); this
    kernel takes one row's columns and sketches them in every row, so it is
    given the first row's, which has every slot: the histograms a result
    reads are the same, and the rest are sketched as they were."""
    import types

    return types.SimpleNamespace(reduce_chunk=_reduce_chunk_every_row, sample_range=sample_range)


def _reduce_chunk_every_row(key, first_block, n_blocks, n_total, block_size, dists, design, copula, model,
                            log_sizes, log_n_ref, horizon, hist_cols, hist_lo, hist_inv_width, hist_offset,
                            hist_scale, n_bins, hist, block_n, block_mean, block_m2, voi, keep_first, kept):
    """:func:`reduce_chunk` on the first row's slots of ``hist_cols``."""
    first_row = hist_cols[:hist_cols.shape[0] // max(block_mean.shape[1], 1)]
    reduce_chunk(key, first_block, n_blocks, n_total, block_size, dists, design, copula, model,
                 log_sizes, log_n_ref, horizon, first_row, hist_lo, hist_inv_width, hist_offset,
                 hist_scale, n_bins, hist, block_n, block_mean, block_m2, voi, keep_first, kept)
