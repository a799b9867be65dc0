"""The industry frame's two oracles (specification section 15): the NumPy
reference and the hand computation agree on random parameters; a constant
case booms and busts, and its year 1 matches the formulas written out here;
and the edge cases (no compute limit, no price response to entry, no demand
shocks, a year without revenue) give exact values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.testing.industry import PATH_NAMES, SCALAR_NAMES, hand_industry, industry_reference
from sim.vocab.registry import INDUSTRY_KEYS, INDUSTRY_PARAMETERS

#: Reused keys at values like the baseline's medians; the industry keys at the
#: registry's defaults, except a smaller pool, slower entry, higher hype and no
#: demand shocks, so that the path is deterministic and booms, then busts.
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

#: Dimensionless outputs of order one, compared with an absolute floor too
#: (a margin or Q near zero is a difference of numbers near one).
ORDER_ONE = ("serving_margin", "q", "roi_industry", "expected_return", "believed_growth")
INDICATORS = ("valued_below_cost", "capex_fall", "cooled", "capex_peak")


def test_constant_case_sets_every_key():
    assert set(CONSTANT) == set(INDUSTRY_PARAMETERS)


def run_both(values, u_shock, u_incident, horizon=T, horizon_q=H, active_share=1.0):
    """The reference on one scenario and the hand computation."""
    ref = industry_reference(values, horizon, horizon_q, active_share, np.atleast_2d(u_shock),
                             np.atleast_2d(u_incident))
    hand = hand_industry(values, horizon, horizon_q, active_share, list(u_shock), list(u_incident))
    return ref, hand


def uniforms(value=0.5, horizon=T):
    return np.full(horizon, value)


# ------------------------------------------------------------------ (a) two implementations
def draw_values(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Parameters over sensible ranges, with infinite supply, inelastic prices,
    shrinking runs and total revenue losses among them."""
    U = lambda lo, hi: rng.uniform(lo, hi, n)  # noqa: E731
    logU = lambda lo, hi: np.exp(rng.uniform(math.log(lo), math.log(hi), n))  # noqa: E731
    some = lambda p, value, other: np.where(rng.random(n) < p, value, other)  # noqa: E731
    return {
        "finance.discount_rate": U(0.0, 0.2), "scaling.experiment_overhead": U(1.2, 5.0),
        "costs.gpu_hour_price": U(1.0, 5.0), "costs.gpu_peak_flops": logU(3e14, 2e15),
        "costs.training_utilization": U(0.25, 0.6), "costs.serving_utilization": U(0.1, 0.5),
        "costs.serving_cost_decline": U(0.0, 0.6), "costs.input_ratio": U(0.0, 5.0),
        "costs.prefill_utilization": U(0.3, 0.8), "costs.data_price_per_token": logU(1e-10, 1e-7),
        "risk.control_share": U(0.0, 0.2), "risk.robustness_share": U(0.0, 0.2),
        "risk.robustness_effectiveness": U(0.0, 10.0), "risk.incident_rate": U(0.0, 0.6),
        "risk.control_effectiveness": U(0.0, 20.0), "risk.incident_severity": some(0.1, 1.0, U(0.0, 0.6)),
        "performance.deployment_gap": U(0.0, 0.5), "market.token_price": logU(1e-6, 5e-5),
        "market.token_price_decline": U(0.0, 0.8), "market.hype": U(1.0, 3.0),
        "expectation.learning_rate": U(0.0, 1.0),
        "industry.labs_initial": U(1.0, 20.0), "industry.frontier_flops": logU(1e24, 1e26),
        "industry.compute_growth": some(0.1, U(0.3, 1.0), U(1.0, 6.0)),
        "industry.tokens_per_param": U(5.0, 100.0), "industry.flop_cost_decline": U(0.0, 0.5),
        "industry.fixed_cost": logU(1e8, 3e9), "industry.fixed_cost_growth": U(0.0, 0.5),
        "industry.ultimate_pool": logU(1e10, 3e12), "industry.bass_innovation": U(0.005, 0.1),
        "industry.bass_imitation": U(0.0, 1.0), "industry.demand_volatility": U(0.0, 0.5),
        "industry.free_share": U(0.0, 0.9), "industry.price_entry_elasticity": some(0.2, math.inf, U(0.5, 5.0)),
        "industry.entry_speed": U(0.0, 1.0), "industry.exit_speed": U(0.0, 1.0),
        "industry.gpus_per_gw": U(5e5, 1e6), "industry.serving_params": logU(1e10, 1e12),
        "industry.serving_params_growth": U(0.5, 2.0),
        "industry.compute_supply": some(0.3, math.inf, logU(1e5, 3e7)),
        "industry.compute_supply_growth": U(1.0, 3.0), "industry.scarcity_exponent": U(0.0, 2.0),
        "industry.scarcity_pass_through": U(0.0, 1.0), "industry.scaling_persistence": U(0.0, 1.0),
        "expectation.initial_growth": U(-0.5, 4.0),
    }


@pytest.mark.parametrize("horizon, horizon_q, active_share, seed", [(10, 5, 1.0, 1), (6, 1, 0.1, 2),
                                                                     (15, 12, 0.37, 3)])
def test_reference_and_hand_agree_on_random_draws(horizon, horizon_q, active_share, seed):
    n = 150
    rng = np.random.default_rng(seed)
    values = draw_values(rng, n)
    assert set(values) == set(INDUSTRY_PARAMETERS)
    u_shock, u_incident = rng.random((n, horizon)), rng.random((n, horizon))
    ref = industry_reference(values, horizon, horizon_q, active_share, u_shock, u_incident)
    assert set(ref) == set(PATH_NAMES) | set(SCALAR_NAMES)
    # The draws reach the cases the comparison is meant to cover.
    assert (ref["scarcity"] > 1).any() and (ref["scarcity"] == 1).any()
    assert (ref["revenue"] == 0).any() and (ref["demand_shock"] != 1).any()
    assert ref["valued_below_cost"].any() and (ref["valued_below_cost"] == 0).any()
    assert ref["cooled"].any() and ref["capex_fall"].any()
    for name in PATH_NAMES + SCALAR_NAMES:
        assert np.isfinite(ref[name]).all(), name
    for i in range(n):
        one = {key: float(val[i]) for key, val in values.items()}
        hand = hand_industry(one, horizon, horizon_q, active_share, list(u_shock[i]), list(u_incident[i]))
        for name in INDICATORS:
            assert hand[name] == list(ref[name][i]), (i, name)
        scale = np.maximum.reduce([ref["revenue"][i], ref["serving_cost"][i], ref["capex"][i]])
        for name in PATH_NAMES + SCALAR_NAMES:
            if name in INDICATORS:
                continue
            atol = 1e-12 if name in ORDER_ONE else 0.0
            atol = 1e-12 * scale if name == "profit" else atol   # A - S - K may nearly cancel
            got, want = np.asarray(hand[name]), ref[name][i]
            assert np.all(np.abs(got - want) <= 1e-12 * np.abs(want) + atol), (i, name, got, want)


# ------------------------------------------------------------------ (b) a boom and a bust
def test_constant_case_booms_then_busts():
    ref, hand = run_both(CONSTANT, uniforms(), uniforms())
    labs, q = ref["labs"][0], ref["q"][0]
    peak = int(np.argmax(labs))
    assert 0 < peak < T - 1
    assert np.all(np.diff(labs[:peak + 1]) > 0) and np.all(np.diff(labs[peak:]) < 0)
    assert q[0] > 1 and q[-1] < 1
    crossing = int(np.argmax(q < 1))
    assert np.all(q[:crossing] > 1) and np.all(q[crossing:] < 1)
    # Entry follows Q with a lag: labs rise while Q > 1 and fall after it drops below 1.
    assert peak == crossing
    assert ref["cooled"][0].tolist() == [0.0] * crossing + [1.0] * (T - crossing)
    assert ref["valued_below_cost"][0].tolist() == ref["cooled"][0].tolist()
    assert ref["expected_return"][0] == q[0] - 1 > 0
    # Prices fall faster than the fixed-capability decline while labs enter.
    price = ref["tier_price"][0]
    assert price[1] < 1e-5 * 0.7 and price[2] < 1e-5 * 0.7 ** 2
    np.testing.assert_allclose(hand["labs"], labs, rtol=1e-12)
    np.testing.assert_allclose(hand["q"], q, rtol=1e-12)


def test_constant_case_year_one_by_hand():
    ref, _ = run_both(CONSTANT, uniforms(), uniforms())
    sec_year, sec_hour = 31_557_600, 3600
    N_1 = math.sqrt(2e25 / (6 * 1.0 * 20))
    F_1 = (1 - math.exp(-(0.03 + 0.5) * 1)) / (1 + (0.5 / 0.03) * math.exp(-(0.03 + 0.5) * 1))
    A_1 = 1.5e11 * F_1 * 1.0 * (1 - 0.2) * (1 - 0.0)
    p_1 = 1e-5 * 1.0 * 1.0 * 1.0
    Tok_1 = A_1 / (p_1 * (1 - 0.5))
    H_1 = (8 * 2e25 * 3.0 / 0.4 + Tok_1 * 2 * 1e11 * (1 / 0.3 + 3.0 / 0.5)) / (9.9e14 * sec_year)
    c_tok_1 = 2 * 1e11 * 1.0 * 2.5 * 1.0 / (sec_hour * 9.9e14) * (1 / 0.3 + 3.0 / 0.5)
    S_1 = Tok_1 * c_tok_1
    I_1 = 2e25 * 3.0 * 2.5 / (sec_hour * 9.9e14 * 0.4) + 20 * N_1 * 1e-9 + 5e8
    value = sum(2.0 * A_1 * 3.0 ** t * (1 - c_tok_1 / (p_1 * 0.5)) / 8 / 1.1 ** t for t in range(1, 6))
    cost = sum((2e25 * 4.0 ** t * 3.0 * 2.5 * 0.75 ** t / (sec_hour * 9.9e14 * 0.4)
                + 20 * math.sqrt(2e25 * 4.0 ** t / 120) * 1e-9 + 5e8 * 1.3 ** t) / 1.1 ** t
               for t in range(1, 6))
    expected = {"frontier_params": N_1, "revenue": A_1, "tier_price": p_1, "tokens": Tok_1, "gpus": H_1,
                "serving_cost": S_1, "capex": 8 * I_1, "profit": A_1 - S_1 - 8 * I_1,
                "serving_margin": 1 - S_1 / A_1, "q": value / cost,
                "revenue_per_gw": A_1 / (H_1 / 7.5e5), "lab_compute": H_1 / 8}
    for name, number in expected.items():
        assert ref[name][0, 0] == pytest.approx(number, rel=1e-12), name
    # Year 1's figures as numbers, so a wrong formula cannot hide in both.
    assert N_1 == pytest.approx(4.0825e11, rel=1e-4)
    assert c_tok_1 == pytest.approx(1.309e-6, rel=1e-3)
    assert I_1 == pytest.approx(6.0523e8, rel=1e-4)
    assert ref["q"][0, 0] == pytest.approx(6.8431, rel=1e-4)
    # Year 2: the labs that entered and the run that grew by g_C.
    assert ref["labs"][0, 1] == pytest.approx(8 * (1 + 0.1 * (value / cost - 1)), rel=1e-12)
    assert ref["frontier_flops"][0, 1] == pytest.approx(2e25 * 4.0, rel=1e-12)


# ------------------------------------------------------------------ (c) edge cases
def test_unlimited_compute_gives_no_scarcity():
    for psi in (0.0, 1.0, 3.0):
        values = CONSTANT | {"industry.compute_supply": math.inf, "industry.scarcity_exponent": psi,
                             "industry.scarcity_pass_through": 1.0}
        ref, hand = run_both(values, uniforms(), uniforms())
        assert ref["scarcity"][0].tolist() == [1.0] * T
        assert hand["scarcity"] == [1.0] * T
    # A finite supply below demand does raise it, and the next year's price with it.
    scarce = CONSTANT | {"industry.compute_supply": 3e4, "industry.scarcity_pass_through": 1.0}
    ref, _ = run_both(scarce, uniforms(), uniforms())
    assert ref["scarcity"][0, 0] > 1
    assert ref["tier_price"][0, 1] > run_both(CONSTANT, uniforms(), uniforms())[0]["tier_price"][0, 1]


def test_inelastic_price_ignores_entry():
    values = CONSTANT | {"industry.price_entry_elasticity": math.inf}
    ref, hand = run_both(values, uniforms(), uniforms())
    assert len(set(ref["labs"][0].tolist())) > 1   # labs do enter and leave
    expected = [1e-5 * (1 - 0.3) ** (y - 1) for y in range(1, T + 1)]
    assert ref["tier_price"][0].tolist() == expected
    assert hand["tier_price"] == expected
    elastic, _ = run_both(CONSTANT, uniforms(), uniforms())
    assert elastic["tier_price"][0, 1] < expected[1]


def test_no_volatility_gives_no_demand_shock():
    rng = np.random.default_rng(7)
    u = rng.random(T)
    ref, hand = run_both(CONSTANT, u, uniforms())
    assert ref["demand_shock"][0].tolist() == [1.0] * T
    assert hand["demand_shock"] == [1.0] * T
    shocked, _ = run_both(CONSTANT | {"industry.demand_volatility": 0.3}, u, uniforms())
    assert (shocked["demand_shock"][0] != 1.0).all()


def test_year_without_revenue_keeps_believed_growth():
    """An incident that takes all revenue (v = 1) in year 2 only: the margin
    stays finite, and year 3 extrapolates nothing from A_3 / A_2."""
    values = CONSTANT | {"risk.incident_rate": 0.5, "risk.incident_severity": 1.0}
    u_incident = uniforms(0.9)
    u_incident[1] = 0.1
    ref, hand = run_both(values, uniforms(), u_incident)
    revenue, ghat = ref["revenue"][0], ref["believed_growth"][0]
    assert revenue[1] == 0 and (np.delete(revenue, 1) > 0).all()
    assert ref["q"][0, 1] == 0 and np.isfinite(ref["serving_margin"][0]).all()
    assert ghat[2] == ghat[1] == 0.5 * 2.0 + 0.5 * (-1.0)
    assert hand["believed_growth"][2] == hand["believed_growth"][1]
    assert ghat[3] == 0.5 * ghat[2] + 0.5 * (revenue[3] / revenue[2] - 1)
