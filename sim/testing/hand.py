"""Hand computations of the model, written with plain floats and ``math``
from the specification: independent of the kernels they check.

:func:`hand_roi` is one size of model v1 (``docs/model.md``, section 2);
:data:`V2_DEFAULTS` the values of the v2 keys under which v2 is v1; and
:func:`effective_tokens` the worth of repeated data (section 10).
"""

from __future__ import annotations

import math

__all__ = ["SECONDS_PER_YEAR", "V2_DEFAULTS", "effective_tokens", "hand_roi"]

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
