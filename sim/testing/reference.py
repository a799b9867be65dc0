"""A plain NumPy transcription of the specification, kept deliberately naive.

It evaluates many scenarios at once with array operations and ``**`` powers,
exactly as the specification writes them: :func:`evaluate` is model v1
(section 2), :func:`evaluate_v2` models v2 and v3 (sections 2 and 6 to 11,
and 13 and 14 with ``active_share`` and ``gap_applies_to_rivals``; one
strategy). It is the independent second implementation the kernels are
tested against (``tests/kernels/test_model_v1.py``, ``tests/bench/test_bench.py``) and the
vectorized baseline the benchmarks compare with.
"""

from __future__ import annotations

import numpy as np

from sim.vocab.registry import PARAMETERS, V3_KEYS

__all__ = ["V2_DEFAULTS", "evaluate", "evaluate_v2"]


def evaluate(params: dict[str, np.ndarray], incident_u: np.ndarray,
             sizes: np.ndarray, reference_size: float, horizon: int) -> dict[str, np.ndarray]:
    """ROI and its components for arrays of scenarios.

    ``params`` maps every key of :data:`sim.vocab.registry.PARAMETERS` to an array
    of shape ``(n,)`` (or a scalar); ``incident_u`` has shape ``(n, horizon)``.
    Returns arrays of shape ``(n, n_sizes)``.
    """
    def P(key):
        return np.asarray(params[key], dtype=float)[..., None]

    N = np.asarray(sizes, dtype=float)[None, :]
    x = N / reference_size
    a, b = P("scaling.data_exponent"), P("scaling.compute_exponent")
    A, B = P("performance.param_coefficient"), P("performance.data_coefficient")
    alpha, beta = P("performance.param_exponent"), P("performance.data_exponent")
    p_h, F_pk = P("costs.gpu_hour_price"), P("costs.gpu_peak_flops")

    D = P("scaling.tokens_at_reference") * x ** a
    R = P("scaling.flops_at_reference") * x ** b * P("scaling.experiment_overhead")
    c_flop = p_h / (3600 * F_pk * P("costs.training_utilization"))
    C_comp = R * c_flop
    C_data = D * P("costs.data_price_per_token")
    C_fix = P("costs.fixed_cost_at_reference") * x ** P("costs.fixed_cost_exponent")
    I = (C_comp + C_data + C_fix) * (1 + P("risk.control_share"))

    l = A / N ** alpha + B / D ** beta
    L = P("performance.irreducible_loss") + l
    l_real = l / (1 - P("performance.deployment_gap"))
    N_c = P("market.competitor_size")
    D_c = P("scaling.tokens_at_reference") * (N_c / reference_size) ** a
    l_c1 = A / N_c ** alpha + B / D_c ** beta

    c_tok1 = 2 * N * p_h / (3600 * F_pk * P("costs.serving_utilization"))
    lam = P("risk.incident_rate") * np.exp(-P("risk.control_effectiveness") * P("risk.control_share"))
    u = np.asarray(incident_u, dtype=float)

    def cash_flows(l_user, pool, incidents):
        rev_npv = np.zeros(np.broadcast_shapes(l_user.shape, N.shape, pool.shape))
        serve_npv = np.zeros_like(rev_npv)
        inc_npv = np.zeros_like(rev_npv)
        years = np.zeros_like(rev_npv)
        for t in range(1, horizon + 1):
            l_ct = l_c1 * (1 - P("market.frontier_progress")) ** (t - 1)
            share = 1 / (1 + P("market.competitors") * (l_user / l_ct) ** P("market.share_sharpness"))
            price = P("market.token_price") * (1 - P("market.token_price_decline")) ** (t - 1)
            c_tok = c_tok1 * (1 - P("costs.serving_cost_decline")) ** (t - 1)
            served = c_tok < price
            rev = np.where(served, pool * (1 + P("market.growth")) ** (t - 1) * share, 0.0)
            tokens = np.where(served, rev / np.where(served, price, 1.0), 0.0)
            serve = tokens * c_tok
            if incidents:
                hit = u[:, t - 1:t] < lam
                inc = np.where(served & hit, P("risk.incident_severity") * rev, 0.0)
            else:
                inc = np.zeros_like(rev)
            disc = (1 + P("finance.discount_rate")) ** t
            rev_npv = rev_npv + rev / disc
            serve_npv = serve_npv + serve / disc
            inc_npv = inc_npv + inc / disc
            years = years + served
        return rev_npv, serve_npv, inc_npv, years

    rev, serve, inc, years = cash_flows(l_real, P("market.revenue_pool"), True)
    rev_x, serve_x, _, _ = cash_flows(l, P("market.revenue_pool") * P("market.hype"), False)
    npv = rev - serve - inc
    roi = (npv - I) / I
    ones = np.ones_like(roi)
    roi_expected = (rev_x - serve_x - I) / I
    return {
        "roi": roi,
        "roi_expected": roi_expected,
        "investment": I,
        "compute_cost": C_comp * ones,
        "data_cost": C_data * ones,
        "fixed_cost": C_fix * ones,
        "revenue_npv": rev,
        "serving_cost_npv": serve,
        "incident_loss_npv": inc,
        "lab_loss": L * ones,
        "years_served": years,
    }


# ------------------------------------------------------------------ model v2
#: the specification v2's defaults (each marked "v1:" there): a key missing from
#: ``params`` takes its default, so a v1 parameter set evaluates as v1.
V2_DEFAULTS = {
    "finetune.license_cost": 0.0,
    "market.price_premium": 1.0,
    "market.price_sensitivity": 0.0,
    "scaling.data_stock": np.inf,
    "scaling.repeat_horizon": 15.4,
    "costs.cluster_gpus": np.inf,
    "risk.robustness_share": 0.0,
    "risk.robustness_effectiveness": 0.0,
    "risk.compliance_cost": 0.0,
    "risk.compliance_threshold": 1e25,
    "expectation.learning_rate": 0.5,
    # Model v3 (sections 13, 14): the registry's defaults, which give v2.
    **{key: PARAMETERS[key].default for key in V3_KEYS},
}

SECONDS_PER_YEAR = 31_557_600  # specification section 10 (a Julian year)


def evaluate_v2(params: dict[str, np.ndarray], incident_u: np.ndarray, sizes: np.ndarray,
                reference_size: float, horizon: int, *, route: str = "pretrain",
                compute_rule: str = "power", belief: dict[str, np.ndarray] | None = None,
                belief_incidents: bool = False,
                objective: str = "net_value", active_share=1.0,
                gap_applies_to_rivals: bool = False,
                revenue_within_pool: bool = False) -> dict[str, np.ndarray]:
    """Model v2 for arrays of scenarios: reality, the investors' belief and
    the valuation path (specification sections 2, 6 to 11; one strategy).

    ``params`` maps every key the route and compute rule read to an array
    of shape ``(n,)`` (or a scalar); v2 keys left out take
    :data:`V2_DEFAULTS`. ``belief`` maps the keys of the scenario's
    ``[expectation]`` table (registry keys, without ``expectation.``) to
    their believed draws or values; the belief is reality's parameters, then
    ``performance.deployment_gap = 0``, then ``belief`` (section 8).
    ``incident_u`` has shape ``(n, horizon)``; incidents happen in reality,
    and in the belief only if ``belief_incidents`` (same uniforms, at the
    belief's rate). ``objective`` ("net_value" or "roi") ranks the sizes for
    ``best`` (ties split). ``active_share`` (a number, or one per size) and
    ``gap_applies_to_rivals`` are model v3's structural keys (sections 13, 14);
    ``revenue_within_pool`` the budget reading of docs/model.md section 2e.

    Returns arrays of shape ``(n, n_sizes)``, and ``(n, n_sizes, horizon+1)``
    for the path over valuation years 0..T (``mtm``, ``below_cost``,
    ``cooled``, ``cash_flow``, ``cash_flow_expected``, ``payback``;
    ``belief_factor``, b_t; ``cash_flow_gross`` and
    ``cash_flow_expected_gross``, the year's ``Rev + S + X + Y``, the scale
    of rounding in its cash flow). ``expected_*`` are the belief's own
    components.
    """
    sizes = np.asarray(sizes, dtype=float)
    u = np.asarray(incident_u, dtype=float)
    real_params = {**V2_DEFAULTS, **params}
    belief_params = {**real_params, "performance.deployment_gap": 0.0, **(belief or {})}
    kw = dict(sizes=sizes, reference_size=reference_size, horizon=horizon, route=route,
              compute_rule=compute_rule, incident_u=u,
              active_share=np.broadcast_to(np.asarray(active_share, dtype=float), sizes.shape),
              gap_rivals=gap_applies_to_rivals, within_pool=revenue_within_pool)
    real = _world_v2(real_params, believed=False, incidents=True, **kw)
    bel = _world_v2(belief_params, believed=True, incidents=belief_incidents, **kw)

    I = real["investment"]
    roi = (real["npv"] - I) / I
    roi_expected = (bel["npv"] - bel["investment"]) / bel["investment"]
    net_value = real["npv"] - I

    # Section 9: the valuation path, t = 0..T.
    w = _param(real_params, "expectation.learning_rate")
    b = np.ones_like(roi)
    mtm, factor = [roi_expected], [b]
    realized = np.zeros_like(roi)
    payback = [np.zeros_like(roi)]
    for t in range(1, horizon + 1):
        rev, rev_e = real["revenue"][t - 1], bel["revenue"][t - 1]
        ratio = np.divide(rev, rev_e, out=np.ones_like(b * rev), where=rev_e != 0)
        b = (1 - w) * b + w * ratio
        realized = realized + real["pv"][t - 1]
        remainder = sum(bel["pv"][t:], np.zeros_like(roi))
        mtm.append((realized + b * remainder - I) / I)
        factor.append(b)
        payback.append((realized >= I).astype(float))
    mtm = np.stack(mtm, axis=-1)
    below = (mtm < 0).astype(float)
    ever_below = np.maximum.accumulate(below[..., 1:], axis=-1)
    cooled = np.concatenate([np.zeros_like(mtm[..., :1]),
                             (roi_expected >= 0)[..., None] * ever_below], axis=-1)
    zero = np.zeros_like(roi)

    score = net_value if objective == "net_value" else roi
    top = score.max(axis=1, keepdims=True)
    is_best = score == top
    best = is_best / is_best.sum(axis=1, keepdims=True)

    out = {
        "roi": roi,
        "roi_expected": roi_expected,
        "roi_gap": roi_expected - roi,
        "net_value": net_value,
        "best": best,
        "mtm": mtm,
        "below_cost": below,
        "cooled": cooled,
        "cash_flow": np.stack([zero, *real["cash_flow"]], axis=-1),
        "cash_flow_expected": np.stack([zero, *bel["cash_flow"]], axis=-1),
        "cash_flow_gross": np.stack([zero, *real["gross"]], axis=-1),
        "cash_flow_expected_gross": np.stack([zero, *bel["gross"]], axis=-1),
        "payback": np.stack(payback, axis=-1),
        "belief_factor": np.stack(factor, axis=-1),
    }
    for name, value in real.items():
        if name not in ("npv", "pv", "revenue", "cash_flow", "gross"):
            out[name] = value
    for name in ("investment", "revenue_npv", "serving_cost_npv", "incident_loss_npv",
                 "compliance_cost_npv", "release_delay"):
        out[f"expected_{name}"] = bel[name]
    return out


def _param(params, key):
    """A parameter as an array over (scenario, size): ``(n, 1)`` or a scalar."""
    value = np.asarray(params[key], dtype=float)
    return value[..., None] if value.ndim else value


def _clipped_margin(cost, price):
    """Section 14's year-1 margin 1 - c/p, clipped below at -1 (also where
    the price is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        margin = 1 - cost / price
    return np.where(margin > -1, margin, -1.0)


def _effective_tokens(D, S_D, R_star):
    """specification section 10: D up to the stock, then repeated data, worth less."""
    with np.errstate(invalid="ignore", over="ignore"):
        repeated = S_D * (1 + R_star * (1 - np.exp(-(D / S_D - 1) / R_star)))
    return np.where(D <= S_D, D, repeated)


def _world_v2(params, sizes, reference_size, horizon, route, compute_rule, incident_u,
              believed, incidents, active_share, gap_rivals, within_pool):
    """One world (reality, or the belief when ``believed``: pool times hype)
    for every scenario and size, year by year, as the specification writes it."""
    def P(key):
        return _param(params, key)

    N = sizes[None, :]
    x = N / reference_size
    # Section 13: active parameters and the quality-equivalent size.
    N_act = active_share[None, :] * N
    omega = P("performance.moe_quality_weight")
    N_q = N_act ** (1 - omega) * N ** omega
    a, D_ref = P("scaling.data_exponent"), P("scaling.tokens_at_reference")
    S_D, R_star = P("scaling.data_stock"), P("scaling.repeat_horizon")
    A, B = P("performance.param_coefficient"), P("performance.data_coefficient")
    alpha, beta = P("performance.param_exponent"), P("performance.data_exponent")
    p_h, F_pk, u_tr = P("costs.gpu_hour_price"), P("costs.gpu_peak_flops"), P("costs.training_utilization")
    f = P("costs.fixed_cost_exponent")

    # Sections 6 and 10: route, compute rule, data wall.
    if route == "pretrain":
        D = D_ref * x ** a
        if compute_rule == "power":
            R_final = P("scaling.flops_at_reference") * (N_act / reference_size) ** P("scaling.compute_exponent")
        else:
            R_final = 6 * N_act * D
        D_eff = _effective_tokens(D, S_D, R_star)
        l = A / N_q ** alpha + B / D_eff ** beta
        C_data = np.minimum(D, S_D) * P("costs.data_price_per_token")
        C_fix = P("costs.fixed_cost_at_reference") * x ** f
        C_lic = 0.0 * x
        limited = (D > S_D).astype(float)
    else:
        D = P("finetune.tokens") * np.ones_like(x)
        R_final = 6 * N_act * D * P("finetune.compute_share")
        tau_b = P("finetune.base_tokens_per_param")
        l = (A / N_q ** alpha + B / (tau_b * N) ** beta) * (1 - P("finetune.domain_gain"))
        C_data = D * P("finetune.data_price_per_token")
        C_fix = P("finetune.fixed_cost_at_reference") * x ** f
        C_lic = P("finetune.license_cost") * np.ones_like(x)
        limited = np.zeros_like(l)
    R = R_final * P("scaling.experiment_overhead")
    c_flop = p_h / (3600 * F_pk * u_tr)
    C_comp = R * c_flop
    rho, rho_g = P("risk.control_share"), P("risk.robustness_share")
    base = C_comp + C_data + C_fix + C_lic
    I = base * (1 + rho + rho_g)

    # Rivals: pretrained models, limited by the data stock too.
    N_c = P("market.competitor_size")
    D_c = _effective_tokens(D_ref * (N_c / reference_size) ** a, S_D, R_star)
    l_c1 = A / N_c ** alpha + B / D_c ** beta

    # Section 11: robustness narrows the gap; compliance duties from R_Y.
    g_eff = P("performance.deployment_gap") * np.exp(-P("risk.robustness_effectiveness") * rho_g)
    l_real = l / (1 - g_eff)
    subject = R_final >= P("risk.compliance_threshold")
    Y = P("risk.compliance_cost")
    # Section 10: the release waits for the final run.
    d = R_final / (P("costs.cluster_gpus") * F_pk * u_tr * SECONDS_PER_YEAR)

    c_tok1 = (2 * N_act * p_h / (3600 * F_pk)
              * (1 / P("costs.serving_utilization")
                 + P("costs.input_ratio") / P("costs.prefill_utilization")))   # section 13
    lam = P("risk.incident_rate") * np.exp(-P("risk.control_effectiveness") * rho)
    theta = P("market.price_quality_exponent")
    rivals_gap = (1 - g_eff) if gap_rivals else 1.0                        # section 14
    m, eps = P("market.price_premium"), P("market.price_sensitivity")
    k, gamma = P("market.competitors"), P("market.share_sharpness")
    phi, g_M = P("market.frontier_progress"), P("market.growth")
    p_t, delta = P("market.token_price"), P("market.token_price_decline")
    delta_s, v = P("costs.serving_cost_decline"), P("risk.incident_severity")
    r = P("finance.discount_rate")
    pool = P("market.revenue_pool") * (P("market.hype") if believed else 1.0)

    shape = np.broadcast_shapes(l.shape, d.shape, np.shape(pool))
    rev_npv, serve_npv, inc_npv, comp_npv, npv, years_served = (np.zeros(shape) for _ in range(6))
    revenue, cash_flow, gross, pv = [], [], [], []
    share_1 = None
    year_1 = {}
    # A run of centuries (data_wall's 1T) overflows the pool, the discount and
    # the rivals' lead; the model is withdrawn then, and np.where keeps 0.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(1, horizon + 1):
            e = t - 1 + d
            l_ct = l_c1 * (1 - phi) ** e / rivals_gap                # rivals keep improving
            tier = p_t * (1 - delta) ** e                            # the rivals' tier price (section 14)
            price = m * tier * (l_ct / l_real) ** theta              # our price (sections 7, 14)
            c_tok = c_tok1 * (1 - delta_s) ** e                      # our cost per output token
            served = c_tok < price                                   # else withdrawn that year
            M_t = pool * (1 + g_M) ** e
            share = 1 / (1 + k * (l_real / l_ct) ** gamma * m ** eps)
            # Within the market's budget (docs/model.md 2e): the pool buys
            # `share` of the tokens from us at `price`, the rest at `tier`.
            spend = np.where((theta == 0) | (not within_pool), 1.0, share * (price / tier) + (1 - share))
            tok = np.where(served, M_t * share / (tier * spend), 0.0)
            rev = np.where(served, tok * price, 0.0)
            S = np.where(served, tok * c_tok, 0.0)
            if t == 1:
                year_1 = {"serving_cost_per_token_y1": c_tok, "price_per_token_y1": price,
                          "serving_margin_y1": _clipped_margin(c_tok, price),
                          "served_y1": served.astype(float)}
            if incidents:
                hit = incident_u[:, t - 1:t] < lam
                X = np.where(served & hit, v * rev, 0.0)
            else:
                X = np.zeros(shape)
            Y_t = np.where(served & subject, Y, 0.0)
            CF = rev - S - X - Y_t
            disc = (1 + r) ** (t + d)
            rev_npv = rev_npv + rev / disc
            serve_npv = serve_npv + S / disc
            inc_npv = inc_npv + X / disc
            comp_npv = comp_npv + Y_t / disc
            npv = npv + CF / disc
            years_served = years_served + served
            revenue.append(rev)
            cash_flow.append(CF)
            gross.append(rev + S + X + Y_t)
            pv.append(CF / disc)
            if t == 1:
                share_1 = np.where(served, share, 0.0)

    ones = np.ones(shape)
    return {
        "investment": I * ones,
        "compute_cost": C_comp * ones,
        "data_cost": C_data * ones,
        "fixed_cost": C_fix * ones,
        "license_cost": C_lic * ones,
        "risk_control_cost": base * rho * ones,
        "robustness_cost": base * rho_g * ones,
        "revenue_npv": rev_npv,
        "serving_cost_npv": serve_npv,
        "incident_loss_npv": inc_npv,
        "compliance_cost_npv": comp_npv,
        "lab_loss": (P("performance.irreducible_loss") + l) * ones,
        "years_served": years_served,
        "market_share": share_1,
        "release_delay": d * ones,
        "training_flops": R_final * ones,
        "training_tokens": D * ones,
        "data_limited": limited * ones,
        **{name: value * ones for name, value in year_1.items()},
        "fixed_capability_decline": np.minimum(np.divide(1, (1 - delta) * (1 - phi) ** theta), 1e9) * ones,
        "npv": npv,
        "pv": pv,
        "revenue": revenue,
        "cash_flow": cash_flow,
        "gross": gross,
    }
