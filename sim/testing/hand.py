"""Hand computations of the model, written with plain floats and ``math``
from the specification: independent of the kernels they check.

:func:`hand_roi` is one size of model v1 (``docs/model.md``, section 2);
:data:`V2_DEFAULTS` the values of the v2 keys under which v2 is v1; and
:func:`effective_tokens` the worth of repeated data (section 10).
"""

from __future__ import annotations

import math

from sim.vocab.registry import PARAMETERS, V3_KEYS

__all__ = ["SECONDS_PER_YEAR", "V2_DEFAULTS", "V3_DEFAULTS", "effective_tokens", "hand_roi", "hand_v3"]

#: A Julian year, in seconds.
SECONDS_PER_YEAR = 31_557_600

#: Defaults of the v2 keys (each gives v1).
V2_DEFAULTS = {
    "finetune.license_cost": 0.0,
    "market.price_premium": 1.0,
    "market.price_sensitivity": 0.0,
    "scaling.data_stock": math.inf,
    "scaling.repeat_horizon": 15.4,
    "costs.cluster_gpus": math.inf,
    "risk.robustness_share": 0.0,
    "risk.robustness_effectiveness": 0.0,
    "risk.compliance_cost": 0.0,
    "risk.compliance_threshold": 1e25,
}


def effective_tokens(D, S_D, R_star):
    """Section 10: repeated data beyond the stock is worth less."""
    if D <= S_D:
        return D
    return S_D * (1 + R_star * (1 - math.exp(-(D / S_D - 1) / R_star)))


def hand_roi(c: dict, N: float, incidents: bool, horizon: int = 5, n_ref: float = 1e9):
    """Section 2 of the model for one size, written out with plain floats."""
    g = lambda k: c[k]
    x = N / n_ref
    D = g("scaling.tokens_at_reference") * x ** g("scaling.data_exponent")
    R = g("scaling.flops_at_reference") * x ** g("scaling.compute_exponent") * g("scaling.experiment_overhead")
    c_flop = g("costs.gpu_hour_price") / (3600 * g("costs.gpu_peak_flops") * g("costs.training_utilization"))
    C_comp, C_data = R * c_flop, D * g("costs.data_price_per_token")
    C_fix = g("costs.fixed_cost_at_reference") * x ** g("costs.fixed_cost_exponent")
    I = (C_comp + C_data + C_fix) * (1 + g("risk.control_share"))
    A, B = g("performance.param_coefficient"), g("performance.data_coefficient")
    al, be = g("performance.param_exponent"), g("performance.data_exponent")
    l = A / N ** al + B / D ** be
    Nc = g("market.competitor_size")
    Dc = g("scaling.tokens_at_reference") * (Nc / n_ref) ** g("scaling.data_exponent")
    lc1 = A / Nc ** al + B / Dc ** be
    ctok1 = 2 * N * g("costs.gpu_hour_price") / (3600 * g("costs.gpu_peak_flops") * g("costs.serving_utilization"))
    lam = g("risk.incident_rate") * math.exp(-g("risk.control_effectiveness") * g("risk.control_share"))

    def npv(l_user, pool, with_incidents):
        total = 0.0
        for t in range(1, horizon + 1):
            lct = lc1 * (1 - g("market.frontier_progress")) ** (t - 1)
            share = 1 / (1 + g("market.competitors") * (l_user / lct) ** g("market.share_sharpness"))
            price = g("market.token_price") * (1 - g("market.token_price_decline")) ** (t - 1)
            ctok = ctok1 * (1 - g("costs.serving_cost_decline")) ** (t - 1)
            if ctok >= price:
                cf = 0.0
            else:
                rev = pool * (1 + g("market.growth")) ** (t - 1) * share
                cf = rev - rev / price * ctok - (g("risk.incident_severity") * rev if with_incidents and lam >= 1 else 0.0)
            total += cf / (1 + g("finance.discount_rate")) ** t
        return total

    roi = (npv(l / (1 - g("performance.deployment_gap")), g("market.revenue_pool"), incidents) - I) / I
    roi_x = (npv(l, g("market.revenue_pool") * g("market.hype"), False) - I) / I
    return roi, roi_x, I, g("performance.irreducible_loss") + l


#: Defaults of the v3 keys (each gives v2), as the registry holds them.
V3_DEFAULTS = {key: PARAMETERS[key].default for key in V3_KEYS}


def hand_v3(c: dict, N: float, active: float = 1.0, gap_rivals: bool = False,
            route: str = "pretrain", rule: str = "power", horizon: int = 5,
            n_ref: float = 1e9, within_pool: bool = False) -> dict:
    """Sections 13 and 14 for one size of reality, with plain floats: no
    incidents, no release delay, no data wall, no compliance duty (the
    constant cases that check them set those off)."""
    g = {**V2_DEFAULTS, **V3_DEFAULTS, **c}.__getitem__
    x = N / n_ref
    N_act = active * N
    omega = g("performance.moe_quality_weight")
    N_q = N_act ** (1 - omega) * N ** omega
    A, B = g("performance.param_coefficient"), g("performance.data_coefficient")
    al, be = g("performance.param_exponent"), g("performance.data_exponent")
    p_h, F_pk = g("costs.gpu_hour_price"), g("costs.gpu_peak_flops")
    if route == "pretrain":
        D = g("scaling.tokens_at_reference") * x ** g("scaling.data_exponent")
        if rule == "power":
            R_final = g("scaling.flops_at_reference") * (N_act / n_ref) ** g("scaling.compute_exponent")
        else:
            R_final = 6 * N_act * D
        l = A / N_q ** al + B / D ** be
        C_data = D * g("costs.data_price_per_token")
        C_fix = g("costs.fixed_cost_at_reference") * x ** g("costs.fixed_cost_exponent")
        C_lic = 0.0
    else:
        D = g("finetune.tokens")
        R_final = 6 * N_act * D * g("finetune.compute_share")
        l = (A / N_q ** al + B / (g("finetune.base_tokens_per_param") * N) ** be) * (1 - g("finetune.domain_gain"))
        C_data = D * g("finetune.data_price_per_token")
        C_fix = g("finetune.fixed_cost_at_reference") * x ** g("costs.fixed_cost_exponent")
        C_lic = g("finetune.license_cost")
    C_comp = R_final * g("scaling.experiment_overhead") * p_h / (3600 * F_pk * g("costs.training_utilization"))
    base = C_comp + C_data + C_fix + C_lic
    I = base * (1 + g("risk.control_share") + g("risk.robustness_share"))
    g_eff = g("performance.deployment_gap") * math.exp(-g("risk.robustness_effectiveness")
                                                        * g("risk.robustness_share"))
    l_real = l / (1 - g_eff)
    Nc = g("market.competitor_size")
    Dc = g("scaling.tokens_at_reference") * (Nc / n_ref) ** g("scaling.data_exponent")
    lc1 = A / Nc ** al + B / Dc ** be
    c_tok1 = (2 * N_act * p_h / (3600 * F_pk)
              * (1 / g("costs.serving_utilization") + g("costs.input_ratio") / g("costs.prefill_utilization")))
    theta, m = g("market.price_quality_exponent"), g("market.price_premium")
    phi, delta = g("market.frontier_progress"), g("market.token_price_decline")
    rev_npv = serve_npv = 0.0
    years = 0
    first = {}
    for t in range(1, horizon + 1):
        l_ct = lc1 * (1 - phi) ** (t - 1) / ((1 - g_eff) if gap_rivals else 1.0)
        tier = g("market.token_price") * (1 - delta) ** (t - 1)
        price = m * tier * (l_ct / l_real) ** theta
        c_tok = c_tok1 * (1 - g("costs.serving_cost_decline")) ** (t - 1)
        share = 1 / (1 + g("market.competitors") * (l_real / l_ct) ** g("market.share_sharpness")
                     * m ** g("market.price_sensitivity"))
        served = c_tok < price
        if t == 1:
            first = {"serving_cost_per_token_y1": c_tok, "price_per_token_y1": price,
                     "serving_margin_y1": max(1 - c_tok / price, -1.0), "served_y1": float(served),
                     "market_share": share if served else 0.0}
        if served:
            M_t = g("market.revenue_pool") * (1 + g("market.growth")) ** (t - 1)
            spend = share * price / tier + (1 - share) if theta and within_pool else 1.0  # the budget reading
            tokens = M_t * share / (tier * spend)
            disc = (1 + g("finance.discount_rate")) ** t
            rev_npv += tokens * price / disc
            serve_npv += tokens * c_tok / disc
            years += 1
    npv = rev_npv - serve_npv
    return {"training_flops": R_final, "investment": I, "lab_loss": g("performance.irreducible_loss") + l,
            "revenue_npv": rev_npv, "serving_cost_npv": serve_npv, "years_served": float(years),
            "roi": (npv - I) / I, "net_value": npv - I,
            "fixed_capability_decline": 1 / ((1 - delta) * (1 - phi) ** theta), **first}
