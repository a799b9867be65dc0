"""Model v3 (specification sections 13 and 14) in the kernels: active
parameters, input tokens, price by quality and the rivals' gap, against hand
computations (constant cases, to 1e-10) and against the NumPy reference on
the engine's own draws (a sampled case)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.scenario.load import from_mapping
from sim.testing import numpy_model
from sim.testing.hand import hand_v3
from sim.testing.scenarios import CONSTANTS, SIZES, make_scenario

#: Outputs compared per scenario and size with the hand computation.
COMPARED = ("training_flops", "investment", "lab_loss", "revenue_npv", "serving_cost_npv", "roi",
            "net_value", "years_served", "serving_cost_per_token_y1", "price_per_token_y1",
            "serving_margin_y1", "served_y1", "market_share", "fixed_capability_decline")
SIX_ND = {"scaling.compute_rule": "6ND", "scaling.compute_exponent": "unset",
          "scaling.flops_at_reference": "unset"}
#: A mixture of experts at every size but the smallest, 1 to 5% active.
ACTIVE = [1.0, 0.5, 0.2, 0.1, 0.05]


def keyed(values: dict) -> dict:
    return {k.replace(".", "__"): v for k, v in values.items()}


def compare(values: dict, active=1.0, gap_rivals=False, route="pretrain", rule="power",
            base: dict | None = None, within_pool: bool = False) -> dict:
    """The sample's outputs at every size against :func:`hand_v3`; returns
    the hand values, shape (size,) per output."""
    base = dict(CONSTANTS if base is None else base)
    overrides = {**values, "grid.active_share": active, "market.gap_applies_to_rivals": gap_rivals,
                 "market.revenue_within_pool": within_pool}
    sc = make_scenario(**keyed(overrides))
    ds = sim.sample(sc, n_scenarios=2, seed=0)
    shares = active if isinstance(active, list) else [active] * len(SIZES)
    constants = {k: v for k, v in {**base, **values}.items() if v != "unset"}
    hands = [hand_v3(constants, N, s, gap_rivals, route, rule, within_pool=within_pool)
             for N, s in zip(SIZES, shares)]
    want = {k: np.array([h[k] for h in hands]) for k in hands[0]}
    for name in COMPARED:
        got = ds[name].values
        assert got.shape == (2, len(SIZES)), name
        np.testing.assert_allclose(got, np.broadcast_to(want[name], got.shape), rtol=1e-10, atol=0,
                                   err_msg=name)
    np.testing.assert_array_equal(ds.active_parameters.values, np.asarray(SIZES) * np.asarray(shares))
    return want


def test_moe_with_input_tokens_power_rule():
    """Active parameters set compute and serving cost, N_q the quality, and
    input tokens add prefill FLOP at their own utilization."""
    values = {"performance.moe_quality_weight": 0.6, "costs.input_ratio": 4.0,
              "costs.prefill_utilization": 0.6}
    want = compare(values, active=ACTIVE)
    dense = {k: np.array([hand_v3({**CONSTANTS, **values}, N)[k] for N in SIZES]) for k in COMPARED}
    # MoE: cheaper to train and to serve than dense at the same total size,
    # and better than a dense model of its active size.
    assert (want["training_flops"][1:] < dense["training_flops"][1:]).all()
    assert (want["serving_cost_per_token_y1"][1:] < dense["serving_cost_per_token_y1"][1:]).all()
    at_active = [hand_v3({**CONSTANTS, **values}, N * s)["lab_loss"] for N, s in zip(SIZES, ACTIVE)]
    assert (want["lab_loss"][1:] < np.array(at_active)[1:]).all()
    assert (want["lab_loss"][1:] > dense["lab_loss"][1:]).all()
    # The input tokens' share of the serving cost: 2 N_act p_h / (3600 F) r_in / u_pf.
    c = CONSTANTS
    prefill = 2 * SIZES[0] * c["costs.gpu_hour_price"] / (3600 * c["costs.gpu_peak_flops"]) * 4.0 / 0.6
    decode = 2 * SIZES[0] * c["costs.gpu_hour_price"] / (3600 * c["costs.gpu_peak_flops"]
                                                         * c["costs.serving_utilization"])
    assert want["serving_cost_per_token_y1"][0] == pytest.approx(prefill + decode, rel=1e-12)


def test_moe_under_the_six_nd_rule():
    want = compare({**SIX_ND, "performance.moe_quality_weight": 0.5}, active=0.1, rule="6ND")
    D = CONSTANTS["scaling.tokens_at_reference"] * np.asarray(SIZES) / 1e9
    np.testing.assert_allclose(want["training_flops"], 6 * 0.1 * np.asarray(SIZES) * D, rtol=1e-14)


@pytest.mark.parametrize("gap_rivals", [False, True])
def test_price_by_quality(gap_rivals):
    """Our price follows (l_c / l_real)^theta; with the rivals' gap, l_c is
    divided by (1 - g_eff) in the share and in the price."""
    values = {"market.price_quality_exponent": 3.0}
    want = compare(values, gap_rivals=gap_rivals)
    tier = CONSTANTS["market.token_price"]
    # Smaller models than the rivals' 200B sell below the tier, larger above.
    assert want["price_per_token_y1"][0] < tier < want["price_per_token_y1"][4]
    decline = 1 / ((1 - CONSTANTS["market.token_price_decline"])
                   * (1 - CONSTANTS["market.frontier_progress"]) ** 3.0)
    np.testing.assert_allclose(want["fixed_capability_decline"], decline, rtol=1e-14)


def test_the_rivals_gap_raises_our_share_and_price():
    """With g = 0.2, seeing the gap on the rivals too multiplies the quality
    ratio by 1 / (1 - g): a larger share and, with theta, a higher price."""
    values = {"market.price_quality_exponent": 2.0}
    ours = compare(values, gap_rivals=False)
    both = compare(values, gap_rivals=True)
    np.testing.assert_allclose(both["price_per_token_y1"] / ours["price_per_token_y1"],
                               (1 / (1 - CONSTANTS["performance.deployment_gap"])) ** 2.0, rtol=1e-12)
    served = ours["served_y1"] > 0
    assert (both["market_share"][served] > ours["market_share"][served]).all()


FINETUNE = {
    "route": "finetune",
    "finetune.base_tokens_per_param": 200.0,
    "finetune.tokens": 1e9,
    "finetune.compute_share": 0.8,
    "finetune.data_price_per_token": 1e-5,
    "finetune.fixed_cost_at_reference": 1e6,
    "finetune.domain_gain": 0.3,
    "finetune.license_cost": 2e5,
}


def test_the_finetuning_route_with_moe_and_price_by_quality():
    values = {**FINETUNE, "market.price_quality_exponent": 1.5, "costs.input_ratio": 2.0}
    want = compare(values, active=ACTIVE, route="finetune")
    tokens = FINETUNE["finetune.tokens"]
    np.testing.assert_allclose(want["training_flops"],
                               6 * np.asarray(SIZES) * np.asarray(ACTIVE) * tokens * 0.8, rtol=1e-14)


def test_defaults_give_v2_bit_for_bit():
    """v3's keys at their defaults change no number (the golden files check
    every bundled scenario; this checks a constant case with them written)."""
    plain = sim.run(make_scenario(), n_scenarios=64, seed=1)
    written = sim.run(make_scenario(grid__active_share=1.0, market__gap_applies_to_rivals=False,
                                    performance__moe_quality_weight=0.3, costs__input_ratio=0.0,
                                    market__price_quality_exponent=0.0), n_scenarios=64, seed=1)
    for name in plain.data_vars:
        np.testing.assert_array_equal(plain[name].values, written[name].values, err_msg=name)


def test_a_sampled_v3_case_matches_the_numpy_reference():
    """Every output of a sampled scenario with MoE sizes, input tokens, price
    by quality and the rivals' gap, scenario by scenario, against the NumPy
    transcription on the engine's own draws; and the run's means against the
    reference's means over the same scenarios."""
    sc = sim.load_scenario("baseline").with_overrides({
        "grid.active_share": ACTIVE, "market.gap_applies_to_rivals": True,
        "market.price_quality_exponent": {"dist": "lognormal", "p5": 2.5, "p95": 7.0, "max": 12.0},
        "costs.input_ratio": {"dist": "uniform", "low": 1.0, "high": 10.0},
        "performance.moe_quality_weight": {"dist": "uniform", "low": 0.3, "high": 0.7}})
    n = 3000
    assert numpy_model.check_on_engine_draws_v2(sc, n=n, seed=4) is None
    run = sim.run(sc, n_scenarios=n, seed=4)
    ds = sim.sample(sc, n_scenarios=n, seed=4)
    for name in ("price_per_token_y1", "serving_cost_per_token_y1"):
        np.testing.assert_allclose(run[f"{name}_mean"].values, ds[name].values.mean(axis=0), rtol=1e-9)
    np.testing.assert_allclose(run.served_y1_share.values, ds.served_y1.values.mean(axis=0), rtol=1e-12)
    # The conditional margin quantiles: the median among served scenarios,
    # within the histogram's resolution (a bin is ~0.1% wide) and the
    # order-statistic error of n = 3000.
    for j in range(len(SIZES)):
        served = ds.served_y1.values[:, j] > 0
        if served.sum() > 100:
            exact = np.median(ds.serving_margin_y1.values[served, j])
            got = float(run.serving_margin_y1_quantile.sel(quantile=0.5).values[j])
            spread = np.quantile(ds.serving_margin_y1.values[served, j], [0.45, 0.55])
            assert spread[0] - 1e-3 <= got <= spread[1] + 1e-3, (j, exact, got)


def test_a_strategy_may_go_moe_and_a_belief_may_not():
    flat = sim.load_scenario("strategies").to_flat()
    flat["strategies"]["moe"] = {"description": "a mixture of experts, 10% active",
                                 "grid": {"active_share": 0.1}}
    sc = from_mapping(flat)
    ds = sim.run(sc, n_scenarios=4096, seed=2)
    active = ds.active_parameters.sel(strategy="moe").values
    np.testing.assert_array_equal(active, 0.1 * ds.model_size.values)
    np.testing.assert_array_equal(ds.active_parameters.sel(strategy="pretrain_market").values,
                                  ds.model_size.values)
    with pytest.raises(sim.SimError, match="grid.active_share cannot be believed differently"):
        sim.load_scenario("baseline").with_overrides({"expectation.grid.active_share": 0.1})


@pytest.mark.parametrize("value, message", [
    (0.0, r"grid.active_share.*\(0, 1\]"),
    (1.5, r"grid.active_share.*\(0, 1\]"),
    (5, r"a share, not a percent"),
    ([0.5, 0.5], r"got 2 values for 5 sizes"),
    ("half", r"grid.active_share"),
    (True, r"grid.active_share"),
])
def test_bad_active_shares_are_refused(value, message):
    with pytest.raises(sim.SimError, match=message):
        make_scenario(grid__active_share=value)


def test_active_share_follows_its_size_when_the_sizes_are_unsorted():
    sc = sim.load_scenario("baseline").with_overrides({
        "grid.model_sizes": [1e12, 1e9], "grid.active_share": [0.05, 1.0]})
    assert sc.model_sizes == (1e9, 1e12) and sc.active_shares == (1.0, 0.05)
    again = sim.load_scenario("baseline").with_overrides(sc.to_flat())
    assert again.active_shares == sc.active_shares and math.isclose(again.model_sizes[1], 1e12)


def test_deepseek_v3_is_priced_at_its_active_size():
    """DeepSeek-V3 (arXiv 2412.19437): 671B parameters, 37B active per token,
    14.8T tokens, USD 2 per H800-hour (dense BF16 peak 989 TFLOP/s, as the
    H100's), the final run only (no R&D multiplier), the baseline's
    training utilization. Its final-run FLOP is within 10% of Epoch AI's
    3.41e24 and its cost within 25% of the reported USD 5.576M at the median,
    inside the 90% interval; read as a dense 671B model, the cost's 90%
    interval lies far above it."""
    def scenario(active):
        return sim.load_scenario("baseline").with_overrides({
            "grid.model_sizes": [6.71e11], "grid.active_share": active,
            "scaling.tokens_at_reference": 1.48e13, "scaling.data_exponent": 0.0,
            "grid.reference_size": 6.71e11, "costs.gpu_hour_price": 2.0,
            "scaling.experiment_overhead": 1.0})
    moe = sim.sample(scenario(37 / 671), n_scenarios=4096, seed=1)
    flops = moe.training_flops.values[:, 0]
    assert abs(flops[0] / 3.41e24 - 1) < 0.10 and np.all(flops == flops[0])
    np.testing.assert_allclose(flops[0], 6 * 37e9 * 1.48e13, rtol=1e-12)
    cost = moe.compute_cost.values[:, 0]
    lo, med, hi = np.quantile(cost, [0.05, 0.5, 0.95])
    assert abs(med / 5.576e6 - 1) < 0.25 and lo <= 5.576e6 <= hi, (lo, med, hi)
    dense = sim.sample(scenario(1.0), n_scenarios=4096, seed=1).compute_cost.values[:, 0]
    assert np.quantile(dense, 0.05) > 5.576e6 * 5
    np.testing.assert_allclose(dense / cost, 671 / 37, rtol=1e-12)


def test_price_by_quality_stays_within_the_markets_budget():
    """A model far better than its rivals (fine-tuned, theta = 8) sells at many
    times the tier's price. As the specification writes it (Rev = M s m q)
    its revenue exceeds the pool; with market.revenue_within_pool it never
    does: the pool buys share s of the tokens at our price and 1 - s at the
    tier's."""
    values = {**FINETUNE, "market.price_quality_exponent": 8.0, "finetune.domain_gain": 0.6}
    as_written = compare(values, route="finetune")
    want = compare(values, route="finetune", within_pool=True)
    assert want["price_per_token_y1"].max() > 10 * CONSTANTS["market.token_price"]
    c = CONSTANTS
    pool = sum(c["market.revenue_pool"] * (1 + c["market.growth"]) ** (t - 1)
               / (1 + c["finance.discount_rate"]) ** t for t in range(1, 6))
    assert (want["revenue_npv"] < pool).all() and (as_written["revenue_npv"] > pool).any()
    np.testing.assert_array_equal(want["price_per_token_y1"], as_written["price_per_token_y1"])
    # Without the budget (Rev = M s m q) the best size would take several pools.
    best = np.argmax(want["price_per_token_y1"])
    q = want["price_per_token_y1"][best] / CONSTANTS["market.token_price"]
    assert want["market_share"][best] * q > 2
