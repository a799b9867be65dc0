"""Investors' beliefs and the fever as a process (specification sections 8 and 9).

``hand_world`` is one world of the specification v2 (sections 2, 7, 10, 11; pretraining
under the power rule) for one size, year by year, written with plain floats
and ``math`` from the spec;
``hand_path`` puts reality and the belief together as section 9 says:

    ratio_t = Rev_t / Rev^e_t            (1 when Rev^e_t = 0)
    b_0 = 1;  b_t = (1 - w) b_(t-1) + w ratio_t
    V_t = sum_(tau<=t) CF_tau/(1+r)^(tau+d) + b_t sum_(tau>t) CF^e_tau/(1+r)^(tau+d_e)
    MTM_0 = ROI_expected;  MTM_t = (V_t - I) / I    (reality's I)

The believed remainder is summed over the years after t, as written in the
spec (the kernel subtracts the first t years from the believed NPV instead),
so the two agree to rounding, not bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import sim
from sim.vocab.errors import ScenarioError
from sim.vocab.layout import BLOCK
from sim.scenario.load import SCENARIO_DIR, scenario_from_toml_text, toml_value

from sim.testing.scenarios import CONSTANTS, SIZES, make_scenario
from sim.testing.compare import assert_same_numbers
from sim.testing.hand import SECONDS_PER_YEAR, V2_DEFAULTS, effective_tokens

N_REF = 1e9
GAP = "performance.deployment_gap"


def hand_world(c: dict, N: float, incident_u, with_incidents: bool, horizon: int,
               n_ref: float = N_REF) -> dict:
    """One world for one size: investment ``I``, release delay ``d`` and, per
    year t = 1..T, revenue ``rev[t-1]`` and cash flow ``cf[t-1]`` (USD, not
    discounted) and the discount factor ``disc[t-1] = (1+r)^-(t+d)``.

    ``c["pool"]`` is the pool this world spends (reality: the revenue pool;
    the belief: its pool times its hype)."""
    c = {**V2_DEFAULTS, **c}
    g = c.__getitem__
    x = N / n_ref
    a = g("scaling.data_exponent")
    D_ref = g("scaling.tokens_at_reference")
    S_D, R_star = g("scaling.data_stock"), g("scaling.repeat_horizon")
    A, B = g("performance.param_coefficient"), g("performance.data_coefficient")
    al, be = g("performance.param_exponent"), g("performance.data_exponent")

    D = D_ref * x ** a
    R_final = g("scaling.flops_at_reference") * x ** g("scaling.compute_exponent")
    l = A / N ** al + B / effective_tokens(D, S_D, R_star) ** be
    C_data = min(D, S_D) * g("costs.data_price_per_token")
    C_fix = g("costs.fixed_cost_at_reference") * x ** g("costs.fixed_cost_exponent")
    R = R_final * g("scaling.experiment_overhead")
    c_flop = g("costs.gpu_hour_price") / (3600 * g("costs.gpu_peak_flops")
                                          * g("costs.training_utilization"))
    I = (R * c_flop + C_data + C_fix) * (1 + g("risk.control_share") + g("risk.robustness_share"))

    Nc = g("market.competitor_size")
    lc1 = A / Nc ** al + B / effective_tokens(D_ref * (Nc / n_ref) ** a, S_D, R_star) ** be
    g_eff = g(GAP) * math.exp(-g("risk.robustness_effectiveness") * g("risk.robustness_share"))
    l_real = l / (1 - g_eff)
    d = R_final / (g("costs.cluster_gpus") * g("costs.gpu_peak_flops")
                   * g("costs.training_utilization") * SECONDS_PER_YEAR)
    ctok1 = 2 * N * g("costs.gpu_hour_price") / (3600 * g("costs.gpu_peak_flops")
                                                 * g("costs.serving_utilization"))
    lam = g("risk.incident_rate") * math.exp(-g("risk.control_effectiveness") * g("risk.control_share"))
    m, eps = g("market.price_premium"), g("market.price_sensitivity")
    Y = g("risk.compliance_cost") if R_final >= g("risk.compliance_threshold") else 0.0
    r = g("finance.discount_rate")

    rev, cf, disc = [], [], []
    for t in range(1, horizon + 1):
        e = t - 1 + d
        disc.append((1 + r) ** -(t + d))
        l_ct = lc1 * (1 - g("market.frontier_progress")) ** e
        p_mkt = g("market.token_price") * (1 - g("market.token_price_decline")) ** e
        ctok = ctok1 * (1 - g("costs.serving_cost_decline")) ** e
        if ctok >= m * p_mkt:  # withdrawn that year
            rev.append(0.0)
            cf.append(0.0)
            continue
        M_t = g("pool") * (1 + g("market.growth")) ** e
        share = 1 / (1 + g("market.competitors") * (l_real / l_ct) ** g("market.share_sharpness")
                     * m ** eps)
        Rev = M_t * share * m
        S = M_t * share / p_mkt * ctok
        X = g("risk.incident_severity") * Rev if with_incidents and incident_u[t - 1] < lam else 0.0
        rev.append(Rev)
        cf.append(Rev - S - X - Y)
    npv = sum(f * q for f, q in zip(cf, disc))
    return {"I": I, "d": d, "rev": rev, "cf": cf, "disc": disc, "npv": npv,
            "roi": (npv - I) / I}


def hand_path(reality: dict, belief: dict, N: float, incident_u, horizon: int,
              belief_incidents: bool = False) -> dict:
    """specification sections 8 and 9 for one size and one scenario.

    ``reality`` holds every parameter, ``belief`` the keys of
    ``[expectation]`` (without the ``expectation.`` prefix, and with
    ``learning_rate``). Returns per valuation year t = 0..T the lists
    ``mtm``, ``cash_flow``, ``cash_flow_expected``, ``payback``, ``below``,
    ``cooled``, and both worlds."""
    believed = dict(belief)
    w = believed.pop("learning_rate", 0.5)
    real_c = {**reality, "pool": reality["market.revenue_pool"]}
    belief_c = {**reality, GAP: 0.0, **believed}
    belief_c["pool"] = belief_c["market.revenue_pool"] * belief_c["market.hype"]
    real = hand_world(real_c, N, incident_u, True, horizon)
    bel = hand_world(belief_c, N, incident_u, belief_incidents, horizon)
    I = real["I"]
    roi_expected = (bel["npv"] - bel["I"]) / bel["I"]

    mtm, payback = [roi_expected], [0.0]
    b = 1.0
    for t in range(1, horizon + 1):
        rev, rev_e = real["rev"][t - 1], bel["rev"][t - 1]
        ratio = rev / rev_e if rev_e != 0 else 1.0
        b = (1 - w) * b + w * ratio
        realized = sum(real["cf"][k] * real["disc"][k] for k in range(t))
        remainder = sum(bel["cf"][k] * bel["disc"][k] for k in range(t, horizon))
        mtm.append((realized + b * remainder - I) / I)
        payback.append(float(realized >= I))
    below = [float(v < 0) for v in mtm]
    cooled = [0.0] + [float(mtm[0] >= 0 and min(mtm[1:t + 1]) < 0) for t in range(1, horizon + 1)]
    return {"mtm": mtm, "payback": payback, "below": below, "cooled": cooled,
            "cash_flow": [0.0] + real["cf"], "cash_flow_expected": [0.0] + bel["cf"],
            "roi": real["roi"], "roi_expected": roi_expected, "real": real, "belief": bel}


HORIZON = 3
#: A smaller market than ``conftest``'s (1e9, not 1e10), so that the
#: belief's world and reality part ways within three years.
REALITY = {**CONSTANTS, "market.revenue_pool": 1e9}
#: Investors believe in fewer rivals (3, not 8) and a slower price decline
#: (30%/yr, not 50%), and learn half of each year's revenue surprise.
BELIEF = {"market.competitors": 3.0, "market.token_price_decline": 0.3, "learning_rate": 0.5}


def believed(belief: dict) -> dict:
    """``[expectation]`` keys of a belief, as ``make_scenario`` takes them."""
    return {f"expectation.{k}": v for k, v in belief.items()}


def compare_path(reality: dict, belief: dict, n: int = 2, belief_incidents: bool = False,
                 horizon: int = HORIZON) -> dict:
    """Every path variable of ``sim.sample`` (per scenario) and the path
    outputs of ``sim.run`` (over the same draws) against ``hand_path``;
    returns the hand values as arrays (scenario, size, valuation year)."""
    extra = {"expectation.incidents": True} if belief_incidents else {}
    sc = make_scenario(horizon_years=horizon, **reality, **believed(belief), **extra)
    ds = sim.sample(sc, n_scenarios=n, seed=0)
    u = ds.incident_uniform.values
    hands = [[hand_path(reality, belief, N, u[s], horizon, belief_incidents) for N in SIZES]
             for s in range(n)]
    want = {k: np.array([[h[k] for h in row] for row in hands])
            for k in ("mtm", "payback", "below", "cooled", "cash_flow", "cash_flow_expected",
                      "roi", "roi_expected")}
    assert ds.mtm.dims == ("scenario", "model_size", "year")
    np.testing.assert_array_equal(ds.year.values, np.arange(horizon + 1))
    np.testing.assert_allclose(ds.mtm.values, want["mtm"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ds.roi_expected.values, want["roi_expected"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ds.roi.values, want["roi"], rtol=1e-9, atol=1e-12)
    for name in ("cash_flow", "cash_flow_expected"):
        np.testing.assert_allclose(ds[name].values, want[name], rtol=1e-9, atol=1e-3, err_msg=name)
    for name, key in (("payback", "payback"), ("below_cost", "below"), ("cooled", "cooled")):
        np.testing.assert_array_equal(ds[name].values, want[key], err_msg=name)

    run = sim.run(sc, n_scenarios=n, seed=0)
    assert run.mtm_mean.dims == ("model_size", "year")
    np.testing.assert_array_equal(run.year.values, np.arange(horizon + 1))
    for name, key in (("prob_payback", "payback"), ("prob_below_cost", "below"),
                      ("prob_cooled", "cooled")):
        np.testing.assert_allclose(run[name].values, want[key].mean(axis=0), rtol=1e-12,
                                   atol=1e-15, err_msg=name)
    np.testing.assert_allclose(run.mtm_mean.values, want["mtm"].mean(axis=0), rtol=1e-9, atol=1e-9)
    for name in ("cash_flow", "cash_flow_expected"):
        np.testing.assert_allclose(run[f"{name}_mean"].values, want[name].mean(axis=0),
                                   rtol=1e-9, atol=1e-3, err_msg=name)
    return want


def test_path_matches_hand_computation():
    want = compare_path(REALITY, BELIEF)
    mtm, payback, cooled = want["mtm"][0], want["payback"][0], want["cooled"][0]
    # The case exercises the path: 100M and 1B are expected to pay (MTM_0 >= 0)
    # and are marked below cost later (100M in year 1, 1B only in year 2).
    np.testing.assert_array_equal(cooled[0], [0, 1, 1, 1])
    np.testing.assert_array_equal(cooled[1], [0, 0, 1, 1])
    assert (mtm[:2, 0] >= 0).all() and mtm[1, 1] >= 0
    # 10B pays back in year 3, 100B in year 2; neither cools.
    np.testing.assert_array_equal(payback[2], [0, 0, 0, 1])
    np.testing.assert_array_equal(payback[3], [0, 0, 1, 1])
    assert not cooled[2:].any() and not payback[:2].any()
    # 1T is served in neither world: ratio 1, MTM stays at -1.
    np.testing.assert_array_equal(mtm[4], -1.0)
    # The belief differs from reality, so the mark moves every year.
    assert (np.abs(np.diff(mtm[:4], axis=1)) > 1e-3).all()


#: A cluster of 40 GPUs: the final run takes d = 0.024 years at 10B, 2.4 at
#: 100B (which then meets the 50%/yr price fall late enough to be withdrawn
#: in year 3 in reality, while the belief's 30%/yr keeps it served: ratio 0)
#: and 240 at 1T (never served).
SLOW_CLUSTER = {**REALITY, "costs.cluster_gpus": 40.0}


@pytest.mark.parametrize("belief", [
    # The belief changes no key of R_final nor of the cluster: it sees the
    # same release delay d as reality (its price decline does change what
    # the delay costs it).
    BELIEF,
    # Investors believe in a cluster ten times larger: d_e = d / 10.
    {**BELIEF, "costs.cluster_gpus": 400.0},
], ids=["same_delay", "own_delay"])
def test_path_with_finite_cluster_matches_hand_computation(belief):
    want = compare_path(SLOW_CLUSTER, belief)
    hands = [hand_path(SLOW_CLUSTER, belief, N, [1.0] * HORIZON, HORIZON) for N in SIZES]
    d = np.array([h["real"]["d"] for h in hands])
    d_e = np.array([h["belief"]["d"] for h in hands])
    assert d[2] > 0.01 and 2 < d[3] < 3
    if "costs.cluster_gpus" in belief:
        np.testing.assert_allclose(d_e, d / 10, rtol=1e-12)
    else:
        np.testing.assert_array_equal(d_e, d)
    # 100B: served by both worlds in years 1-2, by the belief alone in year 3.
    assert [r > 0 for r in hands[3]["real"]["rev"]] == [True, True, False]
    assert all(r > 0 for r in hands[3]["belief"]["rev"])
    assert want["cash_flow"][0, 3, 3] == 0 and want["cash_flow_expected"][0, 3, 3] > 0
    # ... expected to pay, it is marked below cost by year 3 (in year 2 when
    # investors see reality's delay, in year 3 when they believe in the
    # larger cluster); 10B still pays back in year 3.
    assert want["mtm"][0, 3, 0] > 0 and want["cooled"][0, 3, 1] == 0 and want["cooled"][0, 3, 3] == 1
    np.testing.assert_array_equal(want["payback"][0, 2], [0, 0, 0, 1])


#: Incidents in reality (lambda = 0.9 e^-1 = 0.33) and in the belief, which
#: expects them at its own rate (0.5 e^-1 = 0.18) and severity (0.4, not
#: 0.2), on the same incident uniforms.
INCIDENT_REALITY = {**REALITY, "risk.incident_rate": 0.9}
INCIDENT_BELIEF = {**BELIEF, "risk.incident_rate": 0.5, "risk.incident_severity": 0.4}


def test_path_with_believed_incidents_matches_hand_computation():
    n = 8
    want = compare_path(INCIDENT_REALITY, INCIDENT_BELIEF, n=n, belief_incidents=True)
    sc = make_scenario(horizon_years=HORIZON, **INCIDENT_REALITY, **believed(INCIDENT_BELIEF),
                       **{"expectation.incidents": True})
    u = sim.sample(sc, n_scenarios=n, seed=0).incident_uniform.values
    lam, lam_e = 0.9 * math.exp(-1.0), 0.5 * math.exp(-1.0)
    # Both ways in both worlds, and years with an incident in reality only.
    assert (u < lam_e).any() and ((u >= lam_e) & (u < lam)).any() and (u >= lam).any()
    # The believed cash flows of 100M (served every year) lose 40% of the
    # believed revenue exactly in the years u < lam_e.
    calm = hand_path(INCIDENT_REALITY, INCIDENT_BELIEF, SIZES[0], [1.0] * HORIZON, HORIZON, True)
    lost = np.array(calm["belief"]["cf"]) - want["cash_flow_expected"][:, 0, 1:]
    np.testing.assert_allclose(lost, np.where(u < lam_e, 0.4, 0.0) * np.array(calm["belief"]["rev"]),
                               rtol=1e-9, atol=1e-3)
    # Without expectation.incidents the belief ignores them: ROI_expected is
    # the same in every scenario; with them it is not.
    assert np.ptp(want["roi_expected"][:, 0]) > 0
    without = compare_path(INCIDENT_REALITY, INCIDENT_BELIEF, n=n)
    assert np.ptp(without["roi_expected"][:, 0]) == 0



# ------------------------------------------------------ limits of the learning
def believing_reality(baseline, learning_rate: float) -> sim.Scenario:
    """The baseline with a belief equal to reality: the belief's gap is
    reality's (drawn from the same uniform), no hype, and no incidents in
    reality either (the belief, without expectation.incidents, has none)."""
    gap = baseline.values[GAP].to_dict()
    return baseline.with_overrides({"market.hype": 1.0, "risk.incident_rate": 0.0,
                                    f"expectation.{GAP}": gap,
                                    "expectation.learning_rate": learning_rate})


@pytest.mark.parametrize("learning_rate", [0.0, 0.7])
def test_belief_equal_to_reality_keeps_the_mark_constant(baseline, learning_rate):
    """With w = 0, b_t = 1; with a belief equal to reality CF^e = CF,
    d_e = d and I_e = I, so V_t = NPV for every t and MTM_t = ROI = ROI_expected
    at every year. Learning does not matter: every ratio is 1 (Rev = Rev^e,
    or both 0), so b_t = 1 for any w; the mark is constant, not just at w = 0.
    (With w = 0 and a belief that differs it is not: the realized cash flows
    replace the believed ones year by year; see the last assertion.)"""
    ds = sim.sample(believing_reality(baseline, learning_rate), n_scenarios=2000, seed=3)
    np.testing.assert_array_equal(ds[f"expectation.{GAP}"].values, ds[GAP].values)
    np.testing.assert_array_equal(ds.roi_expected.values, ds.roi.values)
    np.testing.assert_array_equal(ds.cash_flow_expected.values, ds.cash_flow.values)
    mtm = ds.mtm.values
    np.testing.assert_allclose(mtm, np.broadcast_to(ds.roi.values[..., None], mtm.shape),
                               rtol=1e-12, atol=1e-12)
    # The check is not empty: the draws span gains and losses and a range of sizes.
    assert (ds.roi.values > 0).any() and (ds.roi.values < 0).any()

    hyped = sim.sample(believing_reality(baseline, 0.0).with_overrides({"market.hype": 2.0}),
                       n_scenarios=200, seed=3)
    # Hype 2 doubles CF^e (I_e = I), and with w = 0, b_1 = 1: the believed
    # first year, worth 2 CF_1, is replaced by the realized CF_1, so the mark
    # falls in year 1 wherever the model earns in year 1.
    served = hyped.cash_flow.values[:, :, 1] > 0
    assert served.any()
    mtm = hyped.mtm.values
    assert (mtm[:, :, 1][served] < mtm[:, :, 0][served]).all()


def test_learning_rate_one_marks_year_one_by_its_ratio_alone():
    """w = 1: b_1 = ratio_1, so MTM_1 = (CF_1/(1+r)^(1+d)
    + ratio_1 sum_(tau>1) CF^e_tau/(1+r)^(tau+d_e) - I) / I, whatever came before."""
    belief = {**BELIEF, "learning_rate": 1.0}
    want = compare_path(REALITY, belief)
    for j, N in enumerate(SIZES):
        h = hand_path(REALITY, belief, N, [1.0] * HORIZON, HORIZON)
        real, bel = h["real"], h["belief"]
        ratio = real["rev"][0] / bel["rev"][0] if bel["rev"][0] else 1.0
        rest = sum(bel["cf"][k] * bel["disc"][k] for k in range(1, HORIZON))
        mtm1 = (real["cf"][0] * real["disc"][0] + ratio * rest - real["I"]) / real["I"]
        assert want["mtm"][0, j, 1] == pytest.approx(mtm1, rel=1e-9, abs=1e-9)


def test_learning_rate_one_forgets_the_scale_of_the_belief(baseline_v2):
    """The same on random draws, from the kernel alone: scaling the believed
    pool (hype 2 or 5) scales every Rev^e_t and CF^e_t (no compliance duties,
    no believed incidents), so with w = 1 the mark of every year a belief
    serves is unchanged: b_t = ratio_t undoes the scale. With w = 0.5 the
    belief's b_(t-1) still carries it."""
    def marks(hype, w):
        sc = baseline_v2.with_overrides({"market.hype": hype, "risk.compliance_cost": 0.0,
                                      "expectation.learning_rate": w})
        return sim.sample(sc, n_scenarios=1000, seed=5)

    two, five = marks(2.0, 1.0), marks(5.0, 1.0)
    served = two.cash_flow_expected.values[:, :, 1:] > 0
    assert served.mean() > 0.3
    m2, m5 = two.mtm.values[:, :, 1:], five.mtm.values[:, :, 1:]
    np.testing.assert_allclose(m5[served], m2[served], rtol=1e-9, atol=1e-9)
    assert (two.mtm.values[:, :, 0] != five.mtm.values[:, :, 0]).any()
    half2, half5 = marks(2.0, 0.5), marks(5.0, 0.5)
    before_end = served[:, :, :-1]  # at T the mark is ROI, whatever the belief
    moved = np.abs(half5.mtm.values[:, :, 1:-1] - half2.mtm.values[:, :, 1:-1]) > 1e-6
    assert moved[before_end].mean() > 0.5


# ------------------------------------------------------------- path endpoints
#: ``cooling`` with investors who see 12 rivals and a tier price falling
#: 89-99.9% a year (v2's baseline decline) and learn at a rate of their own,
#: while reality has 30 rivals, a 30% gap and a tier falling 45-90% a year:
#: a belief whose world differs from reality's in more keys than the file's.
COOLING_BELIEF = {
    "expectation.market.competitors": {"dist": "poisson", "lam": 11, "shift": 1},
    "expectation.market.token_price_decline": {"dist": "triangular", "low": 0.89, "mode": 0.9,
                                               "high": 0.999},
    "expectation.learning_rate": {"dist": "uniform", "low": 0.2, "high": 0.8},
}


def cooling_with_belief() -> sim.Scenario:
    return sim.load_scenario(str(SCENARIO_DIR / "cooling.toml")).with_overrides(COOLING_BELIEF)


BUNDLED = ["baseline", "strategies", "cooling", "finetune", "regulated", "data_wall", "price_war",
           "bert_seed", "hype"]


@pytest.mark.parametrize("which", BUNDLED + ["cooling_belief"])
def test_path_starts_at_expected_roi_and_ends_at_roi(baseline, which):
    """MTM_0 = ROI_expected and MTM_T = ROI, scenario by scenario, bit for
    bit, on every bundled scenario: what lets a run sketch them once
    (``sim.engine.reducer.histogram_aliases``)."""
    sc = sim.load_scenario(which) if which != "cooling_belief" else cooling_with_belief()
    ds = sim.sample(sc, n_scenarios=5000, seed=1)
    np.testing.assert_array_equal(ds.mtm.isel(year=0).values, ds.roi_expected.values)
    np.testing.assert_array_equal(ds.mtm.isel(year=-1).values, ds.roi.values)
    assert ds.sizes["year"] == sc.horizon_years + 1
    if which == "cooling_belief":
        # The belief is its own world: rivals differ from reality's, draw for draw.
        assert (ds["expectation.market.competitors"].values != ds["market.competitors"].values).any()
        assert ds.cooled.values[:, :, -1].mean() > 0


def test_path_quantiles_at_the_ends_are_those_of_expected_roi_and_roi(baseline):
    """Years 0 and T have no histogram of their own: their quantiles are the
    expected ROI's and ROI's, exactly; the years between have their own."""
    from sim.engine.reducer import histogram_columns
    from sim.scenario.plan import build_plan

    plan = build_plan(baseline)
    assert len(histogram_columns(plan)) == 3 + 4 + baseline.horizon_years - 1  # v3 adds four
    ds = sim.run(baseline, n_scenarios=20_000, seed=4)
    q = ds.mtm_quantile
    np.testing.assert_array_equal(q.isel(year=0).values, ds.roi_expected_quantile.values)
    np.testing.assert_array_equal(q.isel(year=-1).values, ds.roi_quantile.values)
    assert not np.array_equal(q.isel(year=1).values, ds.roi_quantile.values)


# ------------------------------------------------- common random numbers
#: Investors believe in a pool three times reality's (the baseline's
#: lognormal, 90% interval 2e9-5e10), with the same spread.
RICHER_POOL = {"expectation.market.revenue_pool": {"dist": "lognormal", "p5": 6e9, "p95": 1.5e11}}
#: A key constant in reality (the H100's 9.89e14 FLOP/s) that investors are
#: unsure of.
UNSURE_FLOPS = {"expectation.costs.gpu_peak_flops": {"dist": "lognormal", "p5": 5e14, "p95": 2e15}}
Z95 = 1.6448536269514722


@pytest.mark.parametrize("key, belief, extra", [
    ("market.revenue_pool", RICHER_POOL, {"market.hype": 1.0}),
    ("market.competitor_size",
     {"expectation.market.competitor_size": {"dist": "lognormal", "p5": 9e11, "p95": 6e12}}, {}),
], ids=["revenue_pool", "competitor_size"])
def test_rescaled_belief_is_comonotone_with_reality(baseline_v2, key, belief, extra):
    """Both keys' beliefs are reality's lognormal times 3, drawn from reality's
    uniform: Spearman 1 and a ratio of 3 draw for draw. (The pool is taken
    without hype: the reported believed pool includes the hype, see
    ``test_reported_believed_pool_is_the_draw``.)"""
    ds = sim.sample(baseline_v2.with_overrides({**belief, **extra}), n_scenarios=5000, seed=2)
    real, bel = ds[key].values, ds[f"expectation.{key}"].values
    # Spearman 1 exactly: the ranks are the same (scipy's Pearson of the
    # ranks rounds it to 1 - 1e-16).
    np.testing.assert_array_equal(stats.rankdata(bel), stats.rankdata(real))
    assert stats.spearmanr(real, bel).statistic == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(bel / real, 3.0, rtol=1e-12)


def test_reported_believed_pool_is_the_draw():
    """``expectation.market.revenue_pool`` should hold the believed draw of
    the key (specification section 8; docs/model.md 2c: "sim.sample returns the
    believed draws as expectation.<key>"). On the constants (hype 2) with a
    pool three times reality's, the reported ratio is 6, not 3. The kernel's
    expected ROI uses the pool times the hype, as it should; only the
    reported draw is off."""
    pool = {"dist": "lognormal", "p5": 2e9, "p95": 5e10}
    sc = make_scenario(**{"market.revenue_pool": pool, **RICHER_POOL})
    ds = sim.sample(sc, n_scenarios=3, seed=0)
    ratio = ds["expectation.market.revenue_pool"].values / ds["market.revenue_pool"].values
    np.testing.assert_allclose(ratio, 3.0, rtol=1e-12)


def test_key_constant_in_reality_gets_its_own_uniform(baseline):
    n = 20000
    ds = sim.sample(baseline.with_overrides({**RICHER_POOL, **UNSURE_FLOPS}), n_scenarios=n, seed=4)
    assert "costs.gpu_peak_flops" not in ds  # constant in reality: no variable
    flops = ds["expectation.costs.gpu_peak_flops"].values
    # Its draws follow the believed distribution ...
    sigma = math.log(2e15 / 5e14) / (2 * Z95)
    assert stats.kstest(flops, stats.lognorm(s=sigma, scale=math.sqrt(5e14 * 2e15)).cdf).pvalue > 0.01
    # ... from a uniform of its own: independent of every draw of reality
    # (parameters and incident uniforms) and of the other believed key.
    others = [ds[k].values for k in baseline.sampled_keys]
    others += list(ds.incident_uniform.values.T) + [ds["expectation.market.revenue_pool"].values]
    assert len(others) > 30
    for x in others:
        assert abs(stats.spearmanr(x, flops).statistic) < 0.05


def test_belief_only_uniform_leaves_reality_unchanged():
    """Adding a key constant in reality but uncertain in the belief should
    change nothing in reality: its draws, the incident uniforms, its results
    (specification section 3 and 8). Minimal case: the constants with a random
    pool, and investors unsure of the pool's growth (0.3 in reality)."""
    pool = {"market.revenue_pool": {"dist": "lognormal", "p5": 2e9, "p95": 5e10}}
    before = sim.sample(make_scenario(**pool), n_scenarios=3, seed=0)
    after = sim.sample(make_scenario(**pool, **{"expectation.market.growth": {
        "dist": "uniform", "low": 0.1, "high": 0.5}}), n_scenarios=3, seed=0)
    for name in ("market.revenue_pool", "incident_uniform", "roi", "cash_flow"):
        np.testing.assert_array_equal(after[name].values, before[name].values, err_msg=name)


# ------------------------------------------------------------------ refusals
REFUSED = [("expectation.finance.discount_rate", 0.2), ("expectation.horizon_years", 3),
           ("expectation.route", "finetune"), ("expectation.scaling.compute_rule", "6ND"),
           ("expectation.grid.model_sizes", [1e9])]


@pytest.mark.parametrize("key, value", REFUSED, ids=[k for k, _ in REFUSED])
def test_keys_investors_cannot_believe_differently(baseline, key, value):
    """specification section 8: an error names the key, from a mapping, an
    override and a file's [expectation] table alike."""
    plain = key[len("expectation."):]
    for build in (lambda: make_scenario(**{key: value}),
                  lambda: baseline.with_overrides({key: value})):
        with pytest.raises(ScenarioError, match="cannot be believed differently") as err:
            build()
        assert err.value.key == key and key in str(err.value) and plain in err.value.detail
    section, _, leaf = plain.rpartition(".")
    table = f"[expectation.{section}]" if section else "[expectation]"
    text = f'extends = "baseline.toml"\n{table}\n{leaf} = {toml_value(value)}\n'
    with pytest.raises(ScenarioError, match="cannot be believed differently") as err:
        scenario_from_toml_text(text)
    assert err.value.key == key


# A v1 file (no [expectation]) gives exactly the frozen expected ROI:
# tests/results/test_frozen_v1.py compares roi_expected_* of five frozen v1 runs, bit for bit.


# -------------------------------------------------------------------- sweeps
#: Investors believe in a Poisson number of rivals of their own (reality:
#: the baseline's Poisson(11) + 1), so the sweep can address its ``lam``.
OWN_RIVALS = {"expectation.market.competitors": {"dist": "poisson", "lam": 5.0, "shift": 1}}
LAM = "expectation.market.competitors.lam"


def assert_sweep_points_are_runs(sc, key, values, n, seed):
    sw = sim.sweep(sc, {key: values}, n_scenarios=n, seed=seed)
    assert sw.roi_expected_mean.dims == (key, "model_size")
    assert sw.mtm_mean.dims == (key, "model_size", "year")
    np.testing.assert_array_equal(sw[key].values, np.asarray(values, dtype=float))
    for i, v in enumerate(values):
        alone = sim.run(sc, n_scenarios=n, seed=seed, overrides={key: float(v)})
        assert_same_numbers(sw.isel({key: i}, drop=True), alone)
    # Only the belief moves: reality's numbers are the same at every point.
    for name in ("roi_mean", "prob_loss", "cash_flow_mean", "prob_payback"):
        assert (sw[name] == sw[name].isel({key: 0})).all(), name
    return sw


def test_sweep_varies_a_belief_distribution_field(baseline, monkeypatch):
    sw = assert_sweep_points_are_runs(baseline.with_overrides(OWN_RIVALS), LAM, [3, 6, 12],
                                      n=4000, seed=6)
    # More believed rivals lower the expected ROI of the sizes that are served.
    expected = sw.roi_expected_mean.isel(model_size=slice(0, 3)).values
    assert (np.diff(expected, axis=0) < 0).all()


def test_sweep_varies_the_learning_rate(baseline):
    sw = assert_sweep_points_are_runs(baseline, "expectation.learning_rate", [0.1, 0.9],
                                      n=2000, seed=6)
    assert (sw.mtm_mean.isel({"expectation.learning_rate": 0}).values
            != sw.mtm_mean.isel({"expectation.learning_rate": 1}).values).any()


@pytest.mark.parametrize("vary", [{LAM: [3, 6]}, {"expectation.market.hype": [1.0, 2.0]}],
                         ids=["field", "whole_key"])
def test_sweep_labels_belief_keys(vary):
    """Minimal case: docs/model.md 2c says sim sweep can vary belief keys
    (--vary expectation.market.competitors.lam=3,6,12)."""
    sw = sim.sweep(make_scenario(**OWN_RIVALS), vary, n_scenarios=10)
    key = next(iter(vary))
    assert sw[key].attrs["units"] and sw[key].attrs["long_name"]


# ------------------------------------------------- threads and chunk sizes
PATH_OUTPUTS = ("mtm_mean", "mtm_quantile", "prob_cooled", "prob_below_cost", "prob_payback",
                "cash_flow_mean", "cash_flow_expected_mean")


def test_path_outputs_do_not_depend_on_threads_or_chunks(threads):
    """Two chunk sizes (BLOCK and 8 BLOCK, with a partial last chunk) and
    one or two threads give the same path outputs, bit for bit."""
    sc = cooling_with_belief()
    n = 2 * 8 * BLOCK + 123
    runs = {}
    for n_threads in (1, 2):
        threads(n_threads)
        for chunk in (BLOCK, 8 * BLOCK):
            runs[n_threads, chunk] = sim.run(sc, n_scenarios=n, seed=8, chunk_size=chunk)
    first = runs[1, BLOCK]
    assert first.prob_cooled.values.max() > 0
    for which, ds in runs.items():
        for name in PATH_OUTPUTS:
            np.testing.assert_array_equal(ds[name].values, first[name].values,
                                          err_msg=f"{name} {which}")
