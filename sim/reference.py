"""A plain NumPy transcription of MODEL.md section 2, kept deliberately naive.

It evaluates many scenarios at once with array operations and ``**`` powers,
exactly as the specification writes them. It is the independent second
implementation the kernels are tested against (``tests/test_model.py``) and
the vectorized baseline the benchmarks compare with.
"""

from __future__ import annotations

import numpy as np

__all__ = ["evaluate"]


def evaluate(params: dict[str, np.ndarray], incident_u: np.ndarray,
             sizes: np.ndarray, reference_size: float, horizon: int) -> dict[str, np.ndarray]:
    """ROI and its components for arrays of scenarios.

    ``params`` maps every key of :data:`sim.registry.PARAMETERS` to an array
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
