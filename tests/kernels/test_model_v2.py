"""Model v2 (specification sections 6, 7, 10, 11) against a hand computation.

``hand_v2`` is the specification v2 for one size and one scenario written out with
plain floats and ``math``, from the spec rather than from the kernel; the
tests compare it with the raw draws of :func:`sim.sample` on scenarios of
constants chosen so that every new block is exercised at once, then check
the limits in which v2 reduces to v1.

v1 itself (every v2 key at its default) is pinned bit for bit by
``tests/results/test_frozen_v1.py`` and by the hand computation of ``tests/kernels/test_model_v1.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import sim

from sim.testing.hand import SECONDS_PER_YEAR, V2_DEFAULTS, effective_tokens, hand_roi
from sim.testing.scenarios import CONSTANTS, SIZES, make_scenario

HORIZON = 5
N_REF = 1e9

#: Outputs compared per scenario and size with the hand computation.
COMPARED = ("roi", "roi_expected", "net_value", "investment", "compute_cost", "data_cost",
            "fixed_cost", "risk_control_cost", "robustness_cost", "license_cost", "revenue_npv",
            "serving_cost_npv", "incident_loss_npv", "compliance_cost_npv", "release_delay",
            "years_served", "training_flops", "training_tokens")

def hand_v2(c: dict, N: float, incident_u, route: str = "pretrain", rule: str = "power",
            horizon: int = HORIZON, n_ref: float = N_REF) -> dict:
    """the specification v2 for one size: reality (with incidents on the uniforms
    ``incident_u[t-1]``) and the investors' expectation."""
    c = {**V2_DEFAULTS, **c}
    g = c.__getitem__
    x = N / n_ref
    a = g("scaling.data_exponent")
    D_ref = g("scaling.tokens_at_reference")
    S_D, R_star = g("scaling.data_stock"), g("scaling.repeat_horizon")
    A, B = g("performance.param_coefficient"), g("performance.data_coefficient")
    al, be = g("performance.param_exponent"), g("performance.data_exponent")

    # Section 6: route and compute rule.
    if route == "pretrain":
        D = D_ref * x ** a
        if rule == "power":
            R_final = g("scaling.flops_at_reference") * x ** g("scaling.compute_exponent")
        else:
            R_final = 6 * N * D
        D_eff = effective_tokens(D, S_D, R_star)            # section 10
        l = A / N ** al + B / D_eff ** be
        C_data = min(D, S_D) * g("costs.data_price_per_token")
        C_fix = g("costs.fixed_cost_at_reference") * x ** g("costs.fixed_cost_exponent")
        C_lic = 0.0
        data_limited = D > S_D
    else:
        D = g("finetune.tokens")
        R_final = 6 * N * D * g("finetune.compute_share")
        tau_b = g("finetune.base_tokens_per_param")
        l = (A / N ** al + B / (tau_b * N) ** be) * (1 - g("finetune.domain_gain"))
        C_data = D * g("finetune.data_price_per_token")
        C_fix = g("finetune.fixed_cost_at_reference") * x ** g("costs.fixed_cost_exponent")
        C_lic = g("finetune.license_cost")
        data_limited = False
    R = R_final * g("scaling.experiment_overhead")
    c_flop = g("costs.gpu_hour_price") / (3600 * g("costs.gpu_peak_flops") * g("costs.training_utilization"))
    C_comp = R * c_flop
    rho, rho_g = g("risk.control_share"), g("risk.robustness_share")
    base = C_comp + C_data + C_fix + C_lic
    I = base * (1 + rho + rho_g)

    # Rivals: pretrained, limited by the data stock too.
    Nc = g("market.competitor_size")
    Dc = effective_tokens(D_ref * (Nc / n_ref) ** a, S_D, R_star)
    lc1 = A / Nc ** al + B / Dc ** be

    # Section 11: robustness narrows the gap; section 10: release delay.
    g_eff = g("performance.deployment_gap") * math.exp(-g("risk.robustness_effectiveness") * rho_g)
    d = R_final / (g("costs.cluster_gpus") * g("costs.gpu_peak_flops") * g("costs.training_utilization")
                   * SECONDS_PER_YEAR)
    ctok1 = 2 * N * g("costs.gpu_hour_price") / (3600 * g("costs.gpu_peak_flops")
                                                 * g("costs.serving_utilization"))
    lam = g("risk.incident_rate") * math.exp(-g("risk.control_effectiveness") * rho)
    m, eps = g("market.price_premium"), g("market.price_sensitivity")
    Y = g("risk.compliance_cost") if R_final >= g("risk.compliance_threshold") else 0.0
    r = g("finance.discount_rate")

    def world(l_real, pool, with_incidents):
        out = dict(rev=0.0, serve=0.0, incident=0.0, compliance=0.0, years=0)
        for t in range(1, horizon + 1):
            e = t - 1 + d
            disc = (1 + r) ** -(t + d)
            l_ct = lc1 * (1 - g("market.frontier_progress")) ** e
            p_mkt = g("market.token_price") * (1 - g("market.token_price_decline")) ** e
            price = m * p_mkt
            ctok = ctok1 * (1 - g("costs.serving_cost_decline")) ** e
            if ctok >= price:
                continue  # withdrawn: no revenue, serving, incident or compliance
            M_t = pool * (1 + g("market.growth")) ** e
            share = 1 / (1 + g("market.competitors") * (l_real / l_ct) ** g("market.share_sharpness") * m ** eps)
            rev = M_t * share * m
            tok = M_t * share / p_mkt
            S = tok * ctok
            X = g("risk.incident_severity") * rev if with_incidents and incident_u[t - 1] < lam else 0.0
            out["rev"] += rev * disc
            out["serve"] += S * disc
            out["incident"] += X * disc
            out["compliance"] += Y * disc
            out["years"] += 1
        out["npv"] = out["rev"] - out["serve"] - out["incident"] - out["compliance"]
        return out

    real = world(l / (1 - g_eff), g("market.revenue_pool"), True)
    belief = world(l, g("market.revenue_pool") * g("market.hype"), False)   # g = 0: g_eff = 0
    return {
        "roi": (real["npv"] - I) / I,
        "roi_expected": (belief["npv"] - I) / I,
        "net_value": real["npv"] - I,
        "investment": I,
        "compute_cost": C_comp,
        "data_cost": C_data,
        "fixed_cost": C_fix,
        "risk_control_cost": base * rho,
        "robustness_cost": base * rho_g,
        "license_cost": C_lic,
        "revenue_npv": real["rev"],
        "serving_cost_npv": real["serve"],
        "incident_loss_npv": real["incident"],
        "compliance_cost_npv": real["compliance"],
        "release_delay": d,
        "data_limited": float(data_limited),
        "years_served": real["years"],
        "training_flops": R_final,
        "training_tokens": D,
        "lab_loss": g("performance.irreducible_loss") + l,
    }


def keyed(values: dict) -> dict:
    """``make_scenario`` keyword names (``__`` for ``.``) of dotted keys."""
    return {k.replace(".", "__"): v for k, v in values.items()}


def compare(sc, constants: dict, route="pretrain", rule="power", n=3):
    """Every compared output of every scenario and size against ``hand_v2``;
    returns the hand values, shape (scenario, size) per output."""
    ds = sim.sample(sc, n_scenarios=n, seed=0)
    u = ds.incident_uniform.values
    hands = [[hand_v2(constants, N, u[s], route, rule) for N in SIZES] for s in range(n)]
    want = {k: np.array([[h[k] for h in row] for row in hands]) for k in hands[0][0]}
    for name in COMPARED:
        np.testing.assert_allclose(ds[name].values, want[name], rtol=1e-9, atol=0, err_msg=name)
    # data_limited is an indicator with no per-draw variable: its share.
    run = sim.run(sc, n_scenarios=n, seed=0)
    np.testing.assert_array_equal(run.data_limited_share.values, want["data_limited"][0])
    np.testing.assert_allclose(run.lab_loss_mean.values, want["lab_loss"][0], rtol=1e-12)
    return want


# --------------------------------------------------------------- pretraining
#: Every new block at once (specification sections 7, 10, 11) on the constants of
#: ``conftest``: a data stock below D of 100B and 1T (and of the 200B rivals);
#: a 2000-GPU cluster (delays ~ N^2, from 5e-8 years at 100M to 4.8 at 1T);
#: compliance from 1e23 FLOP (100B and 1T: 1T is never served, so only 100B
#: pays); serving utilization 0.1 and premium 2, so 100B is served in years
#: 1-4 and withdrawn in year 5 against our price; robustness spend; a price
#: sensitivity; an incident rate that the incident uniforms cross both ways.
V2_CASE = {
    "scaling.data_stock": 5e11,
    "costs.cluster_gpus": 2e3,
    "risk.compliance_cost": 5e7,
    "risk.compliance_threshold": 1e23,
    "costs.serving_utilization": 0.1,
    "market.price_premium": 2.0,
    "market.price_sensitivity": 1.5,
    "risk.robustness_share": 0.1,
    "risk.robustness_effectiveness": 5.0,
    "risk.incident_rate": 0.9,
}


def assert_incidents_both_ways(want, u):
    """Incidents happen in some (scenario, year) and not in others, and a
    served size loses revenue to incidents exactly in the scenarios with one."""
    lam = V2_CASE["risk.incident_rate"] * math.exp(-CONSTANTS["risk.control_effectiveness"]
                                                   * CONSTANTS["risk.control_share"])
    hit = u < lam
    assert hit.any() and not hit.all()
    in_scenario = hit[:, :4].any(axis=1)  # the first sizes are served in years 1-4 at least
    assert in_scenario.any() and not in_scenario.all()
    np.testing.assert_array_equal(want["incident_loss_npv"][:, 0] > 0, in_scenario)


def test_pretrain_every_block_matches_hand_computation():
    constants = {**CONSTANTS, **V2_CASE}
    sc = make_scenario(**keyed(V2_CASE))
    want = compare(sc, constants)
    ds = sim.sample(sc, n_scenarios=3, seed=0)

    # The case really exercises each block.
    limited = want["data_limited"][0]
    np.testing.assert_array_equal(limited, [0, 0, 0, 1, 1])          # data wall: some sizes only
    d = want["release_delay"][0]
    assert (d > 0).all() and (np.diff(d) > 0).all() and d[-1] > 0.1   # distinct delays
    comp = want["compliance_cost_npv"][0]
    assert comp[3] > 0 and (comp[:3] == 0).all()                      # threshold crossed by 100B
    assert want["training_flops"][0][4] >= V2_CASE["risk.compliance_threshold"] and comp[4] == 0
    years = want["years_served"][0]
    assert ((years > 0) & (years < HORIZON)).any() and years[0] == HORIZON and years[4] == 0
    u = ds.incident_uniform.values
    assert_incidents_both_ways(want, u)
    assert (want["robustness_cost"] > 0).all()
    # The withdrawal is against our price: at the market price 100B stops after year 2.
    at_market = hand_v2({**CONSTANTS, **V2_CASE, "market.price_premium": 1.0}, SIZES[3], u[0])
    assert at_market["years_served"] == 2
    # The data wall and the robustness spend move the results (v1 differs).
    v1ish = hand_v2({**constants, "scaling.data_stock": math.inf,
                     "risk.robustness_effectiveness": 0.0}, SIZES[3], u[0])
    assert v1ish["lab_loss"] < want["lab_loss"][0][3]
    assert v1ish["revenue_npv"] != want["revenue_npv"][0][3]


def test_hand_transcription_reduces_to_v1():
    """With every v2 key at its default, ``hand_v2`` is the v1 hand
    computation of ``tests/kernels/test_model_v1.py`` (same scenario, both incident
    branches)."""

    for rate in (0.0, 1.0):
        c = dict(CONSTANTS, **{"risk.incident_rate": rate, "risk.control_effectiveness": 0.0})
        for N in SIZES:
            roi, roi_x, I, L = hand_roi(c, N, incidents=True)
            h = hand_v2(c, N, [0.5] * HORIZON)
            assert h["roi"] == pytest.approx(roi, rel=1e-12, abs=1e-12)
            assert h["roi_expected"] == pytest.approx(roi_x, rel=1e-12, abs=1e-12)
            assert h["investment"] == pytest.approx(I, rel=1e-13)
            assert h["lab_loss"] == pytest.approx(L, rel=1e-13)


# ---------------------------------------------------------------- fine-tuning
#: Fine-tuning an open base (specification section 6) with the blocks of V2_CASE.
#: The fine-tuning tokens exceed the data stock on purpose: our loss is not
#: data-limited on this route and data is paid in full, while the rivals
#: (pretrained, 200B) still are limited by the stock.
FINETUNE_CASE = {
    **V2_CASE,
    "finetune.base_tokens_per_param": 200.0,
    "finetune.tokens": 1e12,
    "finetune.compute_share": 0.8,
    "finetune.data_price_per_token": 1e-6,
    "finetune.fixed_cost_at_reference": 1e6,
    "finetune.domain_gain": 0.25,
    "finetune.license_cost": 5e6,
}


def test_finetune_matches_hand_computation():
    constants = {**CONSTANTS, **FINETUNE_CASE}
    sc = make_scenario(route="finetune", **keyed(FINETUNE_CASE))
    assert sc.route == "finetune"
    want = compare(sc, constants, route="finetune")

    np.testing.assert_array_equal(want["data_limited"][0], 0)        # never data-limited
    np.testing.assert_array_equal(want["training_tokens"], 1e12)
    np.testing.assert_allclose(want["data_cost"], 1e6, rtol=1e-15)    # D_ft p_ft, not min(D, S_D)
    np.testing.assert_array_equal(want["license_cost"], 5e6)
    comp = want["compliance_cost_npv"][0]
    assert comp[3] > 0 and (comp[:3] == 0).all()                      # 4.8e23 FLOP at 100B
    d = want["release_delay"][0]
    assert (np.diff(d) > 0).all() and d[-1] > 0.1
    years = want["years_served"][0]
    assert ((years > 0) & (years < HORIZON)).any()
    u = sim.sample(sc, n_scenarios=3, seed=0).incident_uniform.values
    assert_incidents_both_ways(want, u)
    # The rivals are data-limited: without the stock they would be stronger.
    unlimited = hand_v2({**constants, "scaling.data_stock": math.inf}, SIZES[2], u[0], route="finetune")
    assert unlimited["revenue_npv"] < want["revenue_npv"][0][2]


# --------------------------------------------------------------------- limits
def test_unbounded_cluster_converges_to_no_delay():
    """G -> inf: the release delay falls to 0 and the results converge to the
    infinite cluster's (specification section 10), which has no delay at all."""
    case = {k: v for k, v in V2_CASE.items() if k != "costs.cluster_gpus"}
    runs = [sim.sample(make_scenario(**keyed(case), costs__cluster_gpus=G), n_scenarios=3, seed=0)
            for G in (1e6, 1e9, 1e12, math.inf)]
    delays = np.array([ds.release_delay.values for ds in runs])
    np.testing.assert_array_equal(delays[-1], 0.0)
    assert (np.diff(delays, axis=0) < 0).all()
    limit = runs[-1]
    for name in ("roi", "roi_expected", "net_value", "revenue_npv", "compliance_cost_npv"):
        want = limit[name].values
        errors = [np.abs(ds[name].values - want).max() for ds in runs[:-1]]
        scale = np.abs(want).max()
        assert errors[0] > errors[1] > errors[2], (name, errors)
        assert errors[2] <= 1e-9 * scale, (name, errors)


def test_data_stock_far_above_d_changes_nothing():
    """A stock far above every D (ours and the rivals') is bit-identical to
    the infinite stock of v1."""
    case = {k: v for k, v in V2_CASE.items() if k != "scaling.data_stock"}
    far = sim.sample(make_scenario(**keyed(case), scaling__data_stock=1e30), n_scenarios=3, seed=0)
    inf = sim.sample(make_scenario(**keyed(case)), n_scenarios=3, seed=0)
    for name in (*COMPARED, "lab_loss", "market_share"):
        np.testing.assert_array_equal(far[name].values, inf[name].values, err_msg=name)
    np.testing.assert_array_equal(
        sim.run(make_scenario(**keyed(case), scaling__data_stock=1e30), n_scenarios=3).data_limited_share, 0)


def test_neutral_pricing_reproduces_the_defaults():
    """m = 1 with eps = 0 (the defaults), or with any eps (1**eps = 1), and
    every v2 key set explicitly to its default, give the v1 baseline's draws
    bit for bit. (That the defaults give v1 is pinned by tests/results/test_frozen_v1.py.)"""
    baseline = sim.load_scenario(str(Path(__file__).parents[1] / "data" / "baseline_v1.toml"))
    ref = sim.sample(baseline, n_scenarios=2000, seed=7)
    for extra in ({"market.price_sensitivity": 0.0}, {"market.price_sensitivity": 2.5}):
        sc = baseline.with_overrides({**V2_DEFAULTS, **extra})
        ds = sim.sample(sc, n_scenarios=2000, seed=7)
        for name in ref.data_vars:
            np.testing.assert_array_equal(ds[name].values, ref[name].values, err_msg=name)


def test_best_premium_with_elastic_demand():
    """eps > 1: net value as a function of the premium has an interior
    maximum for some size (specification section 7: "there is a best premium,
    which a frontier model can set higher than a small one").

    On the constants of ``conftest`` with eps = 2 the best premium of the
    grid rises with size: 100M-10B at the lowest premium (0.32, the grid's
    end: small models lose little share to rivals per unit of price, so
    cheaper is better), 100B at m = 1 (interior), 1T at the highest (10: it is
    only served at a premium that covers its serving cost). Only the interior
    maximum and "larger sets higher" are asserted.
    """
    sc = make_scenario(market__price_sensitivity=2.0)
    sw = sim.sweep(sc, {"market.price_premium": "logspace(-0.5, 1, 16)"}, n_scenarios=4, seed=0)
    nv = sw.net_value_mean.transpose("market.price_premium", "model_size").values
    premiums = sw["market.price_premium"].values
    best = nv.argmax(axis=0)
    interior = [j for j in range(len(SIZES))
                if nv[best[j], j] > nv[0, j] and nv[best[j], j] > nv[-1, j]]
    assert interior, best
    j = interior[0]
    assert 0 < best[j] < len(premiums) - 1
    # A larger model sets a higher best premium than the smallest one.
    assert premiums[best[j]] > premiums[best[0]]
    assert premiums[best[-1]] >= premiums[best[j]]


# ------------------------------------------------------------------- 6ND rule
SIX_ND = {"scaling.compute_rule": "6ND", "scaling.compute_exponent": "unset",
          "scaling.flops_at_reference": "unset"}


def test_six_nd_training_flops():
    """Under 6ND the final run is 6 N D: per size, against the sizes and the
    tokens (the kernel computes N as exp(log N), so equality is to a few ulps)."""
    sc = make_scenario(**keyed(SIX_ND), scaling__data_exponent=0.8)
    assert sc.compute_rule == "6ND"
    ds = sim.sample(sc, n_scenarios=2, seed=0)
    N = np.array(SIZES)
    D = 2e10 * (N / N_REF) ** 0.8
    shape = (2, len(SIZES))
    np.testing.assert_allclose(ds.training_tokens.values, np.broadcast_to(D, shape), rtol=4e-15)
    np.testing.assert_allclose(ds.training_flops.values, 6 * N * ds.training_tokens.values, rtol=4e-15)
    np.testing.assert_allclose(ds.training_flops.values, np.broadcast_to(6 * N * D, shape), rtol=8e-15)


def test_six_nd_every_block_matches_hand_computation():
    """The pretraining case of every block under the 6ND rule."""
    constants = {k: v for k, v in CONSTANTS.items() if k not in SIX_ND}
    constants.update(V2_CASE)
    sc = make_scenario(**keyed(SIX_ND), **keyed(V2_CASE))
    want = compare(sc, constants, rule="6ND")
    assert (want["compliance_cost_npv"][0] > 0).any() and (want["compliance_cost_npv"][0] == 0).any()
