"""Two independent transcriptions of the industry frame's yearly loop
(specification section 15, "the capital cycle"), the oracles its kernel is
checked against.

:func:`industry_reference` evaluates many scenarios at once with NumPy (one
array per quantity, a Python loop over years); :func:`hand_industry` is one
scenario in plain floats and ``math``, line by line in the specification's
order. Both take the parameters by registry key (every key of
:data:`sim.vocab.registry.INDUSTRY_PARAMETERS`), the horizon ``T``, the
valuation horizon ``H``, the active share ``s_a`` and the per-year uniforms
of the demand shocks and incidents (column ``y - 1`` is year ``y``).

Where the specification is silent these readings hold:

* the extrapolated growth uses ``A_y / A_{y-1} - 1`` only when
  ``A_{y-1} > 0``; otherwise ``ghat_y = ghat_{y-1}``;
* ``eta = inf`` makes ``(n_y / n_1)^(-1/eta)`` exactly 1 (``x ** -0.0``);
* ``S_H = inf`` makes ``k_y`` exactly 1 (``H / inf = 0``, ``max(1, 0) ** psi``);
* ``sigma_z = 0`` makes ``z_y`` exactly ``z_{y-1}`` (the factor is ``exp(0)``);
* the lab count ``n_y`` is a real number ``>= 1``;
* inside ``Q_y`` the FLOP cost of year ``y + tau`` carries today's scarcity
  ``k_y``, and the fixed cost is ``K_1 (1 + g_K)^(y + tau - 1)``;
* an incident happens in year ``y`` when ``u^inc_y < lambda0 exp(-kappa rho)``;
* the serving margin ``1 - S_y / A_y`` is computed as
  ``1 - c_tok,y / (p_y (1 - f_0))``, equal to it and finite when ``A_y = 0``.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
from scipy.special import ndtri

from sim.vocab.registry import INDUSTRY_KEYS

__all__ = ["CONSTANT", "H", "PATH_NAMES", "SCALAR_NAMES", "SECONDS_PER_YEAR", "SPEC_DEFAULTS", "T",
           "hand_industry", "industry_reference"]

#: A Julian year, in seconds (section 15 uses 31_557_600).
SECONDS_PER_YEAR = 31_557_600
#: Seconds per hour.
SECONDS_PER_HOUR = 3600

#: Per-year outputs, each of shape (n, T) (a list of T floats from :func:`hand_industry`):
#: the section's outputs, then for checking the loop: tokens Tok_y, tier price p_y, the
#: frontier run's parameters N_y, compute demanded H_y, demand shock z_y and believed growth ghat_y.
PATH_NAMES = ("labs", "revenue", "capex", "serving_cost", "profit", "serving_margin", "q",
              "frontier_flops", "revenue_per_gw", "lab_compute", "scarcity",
              "valued_below_cost", "capex_fall", "cooled", "capex_peak",
              "tokens", "tier_price", "frontier_params", "gpus", "demand_shock", "believed_growth")
#: Per-scenario outputs, each of shape (n,) (a float from :func:`hand_industry`).
SCALAR_NAMES = ("roi_industry", "expected_return")


# ------------------------------------------------------------------ NumPy, many scenarios
def industry_reference(values, horizon: int, valuation_horizon: int, active_share: float,
                       u_shock, u_incident) -> dict[str, np.ndarray]:
    """Section 15 for ``n`` scenarios at once: paths of shape (n, T), scalars of shape (n,).

    ``values`` maps every key of ``INDUSTRY_PARAMETERS`` to a float or an (n,)
    array; ``u_shock`` and ``u_incident`` are (n, T) uniforms.
    """
    u_shock = np.asarray(u_shock, dtype=float)
    u_incident = np.asarray(u_incident, dtype=float)
    n_sc, T = u_shock.shape
    if T != horizon or u_incident.shape != (n_sc, T):
        raise ValueError(f"uniforms must have shape (n, {horizon}); got {u_shock.shape} and {u_incident.shape}")
    H = int(valuation_horizon)
    s_a = float(active_share)

    def P(key):
        return np.broadcast_to(np.asarray(values[key], dtype=float), (n_sc,)).copy()

    r = P("finance.discount_rate")
    o = P("scaling.experiment_overhead")
    p_h, F_pk = P("costs.gpu_hour_price"), P("costs.gpu_peak_flops")
    u_tr, u_sv = P("costs.training_utilization"), P("costs.serving_utilization")
    delta_s = P("costs.serving_cost_decline")
    r_in, u_pf = P("costs.input_ratio"), P("costs.prefill_utilization")
    p_d = P("costs.data_price_per_token")
    rho, rho_g, kappa_g = P("risk.control_share"), P("risk.robustness_share"), P("risk.robustness_effectiveness")
    lam0, kappa, v = P("risk.incident_rate"), P("risk.control_effectiveness"), P("risk.incident_severity")
    g = P("performance.deployment_gap")
    p_t, delta = P("market.token_price"), P("market.token_price_decline")
    h, w = P("market.hype"), P("expectation.learning_rate")
    n_1, R_1 = P("industry.labs_initial"), P("industry.frontier_flops")
    g_C, tau = P("industry.compute_growth"), P("industry.tokens_per_param")
    delta_c = P("industry.flop_cost_decline")
    K_1, g_K = P("industry.fixed_cost"), P("industry.fixed_cost_growth")
    W = P("industry.ultimate_pool")
    p_B, q_B = P("industry.bass_innovation"), P("industry.bass_imitation")
    sigma_z, f_0 = P("industry.demand_volatility"), P("industry.free_share")
    eta = P("industry.price_entry_elasticity")
    nu, chi = P("industry.entry_speed"), P("industry.exit_speed")
    G_W = P("industry.gpus_per_gw")
    N_S, g_S = P("industry.serving_params"), P("industry.serving_params_growth")
    S_H, g_H = P("industry.compute_supply"), P("industry.compute_supply_growth")
    psi, pi = P("industry.scarcity_exponent"), P("industry.scarcity_pass_through")
    d = P("industry.scaling_persistence")
    ghat_0 = P("expectation.initial_growth")

    g_eff = g * np.exp(-kappa_g * rho_g)                       # section 11
    lam = lam0 * np.exp(-kappa * rho)
    tokens_per_output = 1 / u_sv + r_in / u_pf                 # serving FLOP per 2 N_S, by utilization
    risk_factor = 1 + rho + rho_g

    def investment(R, year, k):
        """I(R, year): a lab's spend on a run of R FLOP in ``year`` at scarcity ``k``."""
        c_F = k * p_h * (1 - delta_c) ** (year - 1) / (SECONDS_PER_HOUR * F_pk * u_tr)
        return (R * o * c_F + tau * np.sqrt(R / (6 * s_a * tau)) * p_d
                + K_1 * (1 + g_K) ** (year - 1)) * risk_factor

    # The run investors plan tau years ahead, per unit of today's run: prod_j (1 + (g_C - 1) d^(j-1)).
    plan = np.empty((n_sc, H))
    growth = np.ones(n_sc)
    for t in range(1, H + 1):
        growth = growth * (1 + (g_C - 1) * d ** (t - 1))
        plan[:, t - 1] = growth

    out = {name: np.zeros((n_sc, T)) for name in PATH_NAMES}
    n_y, R_y = n_1.copy(), R_1.copy()
    z_prev = np.ones(n_sc)
    k_prev = np.ones(n_sc)
    A_prev = np.zeros(n_sc)
    ghat = ghat_0.copy()
    for y in range(1, T + 1):
        c = y - 1
        N_y = np.sqrt(R_y / (6 * s_a * tau))
        e = np.exp(-(p_B + q_B) * y)
        F_y = (1 - e) / (1 + (q_B / p_B) * e)
        z_y = z_prev * np.exp(sigma_z * ndtri(u_shock[:, c]) - sigma_z ** 2 / 2)
        incident = u_incident[:, c] < lam
        A_y = W * F_y * z_y * (1 - g_eff) * (1 - v * incident)
        p_y = p_t * (1 - delta) ** (y - 1) * (n_y / n_1) ** (-1 / eta) * k_prev ** pi
        Tok_y = A_y / (p_y * (1 - f_0))
        NS_y = N_S * g_S ** (y - 1)
        H_y = (n_y * R_y * o / u_tr + Tok_y * 2 * NS_y * tokens_per_output) / (F_pk * SECONDS_PER_YEAR)
        k_y = np.maximum(1.0, H_y / (S_H * g_H ** (y - 1))) ** psi
        I_y = investment(R_y, y, k_y)
        c_tok = (2 * NS_y * k_y * p_h * (1 - delta_s) ** (y - 1) / (SECONDS_PER_HOUR * F_pk)
                 * tokens_per_output)
        S_y = Tok_y * c_tok
        K_y = n_y * I_y
        Pi_y = A_y - S_y - K_y
        margin = 1 - c_tok / (p_y * (1 - f_0))

        if y > 1:
            ratio = np.divide(A_y, A_prev, out=np.zeros(n_sc), where=A_prev > 0)
            ghat = np.where(A_prev > 0, (1 - w) * ghat + w * (ratio - 1), ghat)
        h_y = 1 + (h - 1) * (1 - w) ** (y - 1)
        value = np.zeros(n_sc)
        cost = np.zeros(n_sc)
        for t in range(1, H + 1):
            disc = (1 + r) ** t
            value = value + h_y * A_y * (1 + ghat) ** t * margin / n_y / disc
            cost = cost + investment(R_y * plan[:, t - 1], y + t, k_y) / disc
        Q_y = value / cost

        GW_y = H_y / G_W
        for name, x in (("labs", n_y), ("revenue", A_y), ("capex", K_y), ("serving_cost", S_y),
                        ("profit", Pi_y), ("serving_margin", margin), ("q", Q_y),
                        ("frontier_flops", R_y), ("revenue_per_gw", A_y / GW_y),
                        ("lab_compute", H_y / n_y), ("scarcity", k_y), ("tokens", Tok_y),
                        ("tier_price", p_y), ("frontier_params", N_y), ("gpus", H_y),
                        ("demand_shock", z_y), ("believed_growth", ghat)):
            out[name][:, c] = x

        n_next = np.maximum(1.0, n_y * (1 + nu * np.maximum(0.0, Q_y - 1) - chi * np.maximum(0.0, 1 - Q_y)))
        R_next = R_y * (1 + (g_C - 1) * np.minimum(1.0, np.maximum(0.0, Q_y)))
        n_y, R_y = n_next, R_next
        z_prev, k_prev, A_prev = z_y, k_y, A_y

    Q = out["q"]
    K = out["capex"]
    out["valued_below_cost"] = (Q < 1).astype(float)
    out["capex_fall"][:, 1:] = (K[:, 1:] < K[:, :-1]).astype(float)
    out["cooled"] = ((Q[:, :1] >= 1) & (np.minimum.accumulate(Q, axis=1) < 1)).astype(float)
    out["capex_peak"][np.arange(n_sc), np.argmax(K, axis=1)] = 1.0
    disc = (1 + r[:, None]) ** np.arange(1, T + 1)[None, :]
    out["roi_industry"] = ((out["revenue"] - out["serving_cost"]) / disc).sum(axis=1) / (K / disc).sum(axis=1) - 1
    out["expected_return"] = Q[:, 0] - 1
    return out


# ------------------------------------------------------------------ by hand, one scenario
def _inverse_normal(u: float) -> float:
    """Phi^-1(u) from the standard library (Wichura's AS241), +-inf at 0 and 1."""
    if u <= 0:
        return -math.inf
    if u >= 1:
        return math.inf
    return NormalDist().inv_cdf(u)


def hand_industry(values, horizon: int, valuation_horizon: int, active_share: float,
                  u_shock, u_incident) -> dict:
    """Section 15 for one scenario in plain floats: lists of T floats, and floats.

    ``values`` maps every key of ``INDUSTRY_PARAMETERS`` to a number;
    ``u_shock`` and ``u_incident`` are T uniforms each (index ``y - 1`` is year ``y``).
    """
    V = {key: float(val) for key, val in values.items()}
    u_z = [float(u) for u in u_shock]
    u_inc = [float(u) for u in u_incident]
    T, H, s_a = int(horizon), int(valuation_horizon), float(active_share)

    r = V["finance.discount_rate"]
    o = V["scaling.experiment_overhead"]
    p_h = V["costs.gpu_hour_price"]
    F_pk = V["costs.gpu_peak_flops"]
    u_tr = V["costs.training_utilization"]
    u_sv = V["costs.serving_utilization"]
    delta_s = V["costs.serving_cost_decline"]
    r_in = V["costs.input_ratio"]
    u_pf = V["costs.prefill_utilization"]
    p_d = V["costs.data_price_per_token"]
    rho = V["risk.control_share"]
    rho_g = V["risk.robustness_share"]
    kappa_g = V["risk.robustness_effectiveness"]
    lambda0 = V["risk.incident_rate"]
    kappa = V["risk.control_effectiveness"]
    v = V["risk.incident_severity"]
    g = V["performance.deployment_gap"]
    p_t = V["market.token_price"]
    delta = V["market.token_price_decline"]
    h = V["market.hype"]
    w = V["expectation.learning_rate"]
    n_1 = V["industry.labs_initial"]
    R_1 = V["industry.frontier_flops"]
    g_C = V["industry.compute_growth"]
    tau = V["industry.tokens_per_param"]
    delta_c = V["industry.flop_cost_decline"]
    K_1 = V["industry.fixed_cost"]
    g_K = V["industry.fixed_cost_growth"]
    W = V["industry.ultimate_pool"]
    p_B = V["industry.bass_innovation"]
    q_B = V["industry.bass_imitation"]
    sigma_z = V["industry.demand_volatility"]
    f_0 = V["industry.free_share"]
    eta = V["industry.price_entry_elasticity"]
    nu = V["industry.entry_speed"]
    chi = V["industry.exit_speed"]
    G_W = V["industry.gpus_per_gw"]
    N_S = V["industry.serving_params"]
    g_S = V["industry.serving_params_growth"]
    S_H = V["industry.compute_supply"]
    g_H = V["industry.compute_supply_growth"]
    psi = V["industry.scarcity_exponent"]
    pi = V["industry.scarcity_pass_through"]
    d = V["industry.scaling_persistence"]
    ghat_0 = V["expectation.initial_growth"]

    g_eff = g * math.exp(-kappa_g * rho_g)

    def I_of(R, year, k):          # I(R, y) of the specification
        c_F = k * p_h * (1 - delta_c) ** (year - 1) / (3600 * F_pk * u_tr)
        return (R * o * c_F + tau * math.sqrt(R / (6 * s_a * tau)) * p_d
                + K_1 * (1 + g_K) ** (year - 1)) * (1 + rho + rho_g)

    paths = {name: [] for name in PATH_NAMES}
    z = 1.0          # z_0
    k_last = 1.0     # k_0
    n = n_1          # n at year 1
    R = R_1          # R at year 1
    A_last = 0.0
    ghat = ghat_0
    for y in range(1, T + 1):
        N_y = math.sqrt(R / (6 * s_a * tau))
        F = (1 - math.exp(-(p_B + q_B) * y)) / (1 + (q_B / p_B) * math.exp(-(p_B + q_B) * y))
        z = z * math.exp(sigma_z * _inverse_normal(u_z[y - 1]) - sigma_z ** 2 / 2)
        incident = 1.0 if u_inc[y - 1] < lambda0 * math.exp(-kappa * rho) else 0.0
        A = W * F * z * (1 - g_eff) * (1 - v * incident)
        p = p_t * (1 - delta) ** (y - 1) * (n / n_1) ** (-1 / eta) * k_last ** pi
        Tok = A / (p * (1 - f_0))
        NS = N_S * g_S ** (y - 1)
        H_y = (n * R * o / u_tr + Tok * 2 * NS * (1 / u_sv + r_in / u_pf)) / (F_pk * 31_557_600)
        k = max(1.0, H_y / (S_H * g_H ** (y - 1))) ** psi
        I_y = I_of(R, y, k)
        c_tok = 2 * NS * k * p_h * (1 - delta_s) ** (y - 1) / (3600 * F_pk) * (1 / u_sv + r_in / u_pf)
        S = Tok * c_tok
        K = n * I_y
        Pi = A - S - K
        margin = 1 - c_tok / (p * (1 - f_0))          # = 1 - S / A

        if y > 1 and A_last > 0:
            ghat = (1 - w) * ghat + w * (A / A_last - 1)
        h_y = 1 + (h - 1) * (1 - w) ** (y - 1)
        numerator = 0.0
        denominator = 0.0
        Rp = R
        for t in range(1, H + 1):
            Rp = Rp * (1 + (g_C - 1) * d ** (t - 1))
            numerator += h_y * A * (1 + ghat) ** t * margin / n / (1 + r) ** t
            denominator += I_of(Rp, y + t, k) / (1 + r) ** t
        Q = numerator / denominator

        GW = H_y / G_W
        for name, x in (("labs", n), ("revenue", A), ("capex", K), ("serving_cost", S),
                        ("profit", Pi), ("serving_margin", margin), ("q", Q), ("frontier_flops", R),
                        ("revenue_per_gw", A / GW), ("lab_compute", H_y / n), ("scarcity", k),
                        ("tokens", Tok), ("tier_price", p), ("frontier_params", N_y), ("gpus", H_y),
                        ("demand_shock", z), ("believed_growth", ghat)):
            paths[name].append(x)

        n_next = max(1.0, n * (1 + nu * max(0.0, Q - 1) - chi * max(0.0, 1 - Q)))
        R_next = R * (1 + (g_C - 1) * min(1.0, max(0.0, Q)))
        n, R = n_next, R_next
        k_last, A_last = k, A

    Qs, Ks = paths["q"], paths["capex"]
    paths["valued_below_cost"] = [1.0 if q < 1 else 0.0 for q in Qs]
    paths["capex_fall"] = [0.0] + [1.0 if Ks[i] < Ks[i - 1] else 0.0 for i in range(1, T)]
    lowest = math.inf
    paths["cooled"] = []
    for q in Qs:
        lowest = min(lowest, q)
        paths["cooled"].append(1.0 if Qs[0] >= 1 and lowest < 1 else 0.0)
    peak = 0
    for i in range(1, T):
        if Ks[i] > Ks[peak]:
            peak = i
    paths["capex_peak"] = [1.0 if i == peak else 0.0 for i in range(T)]
    gross = sum((paths["revenue"][i] - paths["serving_cost"][i]) / (1 + r) ** (i + 1) for i in range(T))
    spent = sum(Ks[i] / (1 + r) ** (i + 1) for i in range(T))
    paths["roi_industry"] = gross / spent - 1
    paths["expected_return"] = Qs[0] - 1
    return paths


# ------------------------------------------------------------------ a constant case
#: The specification's indicative defaults of the industry keys (section 15's table).
SPEC_DEFAULTS = {
    "industry.labs_initial": 8.0, "industry.frontier_flops": 2e25, "industry.compute_growth": 4.0,
    "industry.tokens_per_param": 20.0, "industry.flop_cost_decline": 0.25, "industry.fixed_cost": 5e8,
    "industry.fixed_cost_growth": 0.3, "industry.ultimate_pool": 1e12, "industry.bass_innovation": 0.03,
    "industry.bass_imitation": 0.5, "industry.demand_volatility": 0.15, "industry.free_share": 0.5,
    "industry.price_entry_elasticity": 2.0, "industry.entry_speed": 0.3, "industry.exit_speed": 0.3,
    "industry.gpus_per_gw": 7.5e5, "industry.serving_params": 1e11, "industry.serving_params_growth": 1.0,
    "industry.compute_supply": math.inf, "industry.compute_supply_growth": 2.25,
    "industry.scarcity_exponent": 1.0, "industry.scarcity_pass_through": 0.0,
    "industry.scaling_persistence": 1.0, "expectation.initial_growth": 2.0,
}
assert set(SPEC_DEFAULTS) == set(INDUSTRY_KEYS)
#: A constant case: reused keys at values like the baseline's medians, the
#: industry keys at the specification's defaults, except a smaller pool, slower
#: entry, higher hype and no demand shocks, so that the path is deterministic
#: and booms, then busts (T years, valuation horizon H).
CONSTANT = SPEC_DEFAULTS | {
    "finance.discount_rate": 0.1, "scaling.experiment_overhead": 3.0, "costs.gpu_hour_price": 2.5,
    "costs.gpu_peak_flops": 9.9e14, "costs.training_utilization": 0.4, "costs.serving_utilization": 0.3,
    "costs.serving_cost_decline": 0.3, "costs.input_ratio": 3.0, "costs.prefill_utilization": 0.5,
    "costs.data_price_per_token": 1e-9, "risk.control_share": 0.0, "risk.robustness_share": 0.0,
    "risk.robustness_effectiveness": 0.0, "risk.incident_rate": 0.0, "risk.control_effectiveness": 0.0,
    "risk.incident_severity": 0.0, "performance.deployment_gap": 0.2, "market.token_price": 1e-5,
    "market.token_price_decline": 0.3, "market.hype": 2.0, "expectation.learning_rate": 0.5,
    "industry.ultimate_pool": 1.5e11, "industry.entry_speed": 0.1, "industry.demand_volatility": 0.0,
}
T, H = 8, 5
