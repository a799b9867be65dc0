"""Decisions under uncertainty (specification section 12): strategies, the best
alternative, regret, EVPI and EVPPI.

The known answer: with only ``market.revenue_pool`` (M) uncertain and no
incidents, every cash flow of every alternative is proportional to M and the
investment does not depend on it, so each alternative's net value is exactly
a + b*M (checked on the draws). For a lognormal M, ln M ~ N(mu, s^2), the
upper envelope max_a (a + b*M) is piecewise linear with breakpoints where two
lines cross, and with the partial expectation

    E[M; M < m] = exp(mu + s^2/2) * Phi((ln m - mu - s^2) / s)

everything is in closed form: P(best)_a is the probability of the intervals
where line a is on top, E[max_a O_a] the sum over those intervals of
a * P + b * E[M; interval], EVPI = E[max] - max_a (a + b*E[M]). EVPPI of the
pool is EVPI except for the binning: with B equal-probability bins of the
pool's uniform, the estimator's target is

    sum_k (1/B) max_a (a + b * E[M | bin k]) - max_a (a + b * E[M]),

E[M | bin k] = B * (E[M; M < m_(k+1)] - E[M; M < m_k]), m_k = F^-1(k/B).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner
from scipy import special

import sim
import sim.vocab.units
from sim.cli.main import cli
from sim.analyses.decide import DUMMY, decide
from sim.vocab.errors import ScenarioError

from sim.testing.scenarios import make_scenario

Z95 = float(special.ndtri(0.95))

# ---------------------------------------------------------------- known answer

POOL = {"dist": "lognormal", "p5": 1e7, "p95": 1e10}
KNOWN_SIZES = [1e8, 1e9, 1e10, 1e11]
PREMIUMS = {"market_price": 1.0, "premium": 2.0, "discount": 0.7}
GAIN = {"dist": "uniform", "low": 0.1, "high": 0.5}  # finetune.domain_gain: read by no model under pretrain
N_KNOWN = 1 << 18


def known_strategies() -> dict:
    return {name: {"description": f"sell at {p:g} times the market price",
                   "market": {"price_premium": p}} for name, p in PREMIUMS.items()}


def known_scenario(**values) -> sim.Scenario:
    """Only the pool uncertain (and a key no model reads); share answers to price."""
    return make_scenario(grid__model_sizes=KNOWN_SIZES, market__price_sensitivity=1.5,
                         market__revenue_pool=POOL, finetune__domain_gain=GAIN,
                         strategies=known_strategies(), **values)


def lines_of(premiums: dict, sizes=KNOWN_SIZES, **values) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) of every alternative, strategy-major, from two constant pools."""
    a, b = [], []
    for p in premiums.values():
        def net(m, p=p):
            sc = make_scenario(grid__model_sizes=sizes, market__price_sensitivity=1.5,
                               market__revenue_pool=m, market__price_premium=p, **values)
            return sim.sample(sc, 1).net_value.values[0]
        v1, v2 = net(1e9), net(1e10)
        slope = (v2 - v1) / 9e9
        a.append(v1 - slope * 1e9)
        b.append(slope)
    return np.concatenate(a), np.concatenate(b)


def lognormal_parameters(spec: dict) -> tuple[float, float]:
    lo, hi = math.log(spec["p5"]), math.log(spec["p95"])
    return (lo + hi) / 2, (hi - lo) / (2 * Z95)


def partial_mean(m, mu: float, s: float):
    """E[M; M < m] for ln M ~ N(mu, s^2) (m may be 0 or inf)."""
    with np.errstate(divide="ignore"):
        z = (np.log(np.asarray(m, dtype=float)) - mu - s * s) / s
    return math.exp(mu + s * s / 2) * special.ndtr(z)


def envelope(a: np.ndarray, b: np.ndarray, mu: float, s: float) -> dict:
    """Closed-form P(best), E[max], EVPI for lines a + b*M, ln M ~ N(mu, s^2)."""
    cuts = {0.0, math.inf}
    for i in range(len(a)):
        for j in range(len(a)):
            if b[i] != b[j]:
                m = (a[j] - a[i]) / (b[i] - b[j])
                if m > 0:
                    cuts.add(float(m))
    cuts = sorted(cuts)
    cdf = lambda m: float(special.ndtr((math.log(m) - mu) / s)) if 0 < m < math.inf else float(m > 0)
    prob_best = np.zeros(len(a))
    e_max = 0.0
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        mid = 2 * lo if hi == math.inf else (lo + hi) / 2
        top = int(np.argmax(a + b * mid))
        p = cdf(hi) - cdf(lo)
        prob_best[top] += p
        e_max += a[top] * p + b[top] * (partial_mean(hi, mu, s) - partial_mean(lo, mu, s))
    means = a + b * math.exp(mu + s * s / 2)
    return {"prob_best": prob_best, "e_max": e_max, "means": means, "evpi": e_max - means.max()}


def binned_evppi(a: np.ndarray, b: np.ndarray, mu: float, s: float, bins: int) -> float:
    """The binned EVPPI estimator's target for the pool with ``bins`` bins."""
    edges = np.exp(mu + s * special.ndtri(np.arange(bins + 1) / bins))  # 0 .. inf
    bin_means = bins * np.diff(partial_mean(edges, mu, s))
    per_bin = (a[:, None] + b[:, None] * bin_means[None, :]).max(axis=0)
    return float(per_bin.mean() - (a + b * math.exp(mu + s * s / 2)).max())


@pytest.fixture(scope="module")
def known():
    sc = known_scenario()
    ds = decide(sc, N_KNOWN, seed=3)
    a, b = lines_of(PREMIUMS)
    mu, s = lognormal_parameters(POOL)
    return sc, ds, a, b, mu, s


def test_known_case_is_linear_in_the_pool(known):
    """Each strategy's net value is a + b*M on the draws (separate runs of
    the strategy equal its alternatives exactly: no constant made uncertain)."""
    sc, _, a, b, mu, s = known
    pool = sc.values["market.revenue_pool"]
    np.testing.assert_allclose(pool.ppf([0.05, 0.5, 0.95]), [1e7, math.exp(mu), 1e10], rtol=1e-12)
    assert s == pytest.approx(math.log(pool.ppf(special.ndtr(1.0)) / pool.ppf(0.5)), rel=1e-12)
    n_sizes = len(KNOWN_SIZES)
    for k, st in enumerate(sc.strategies):
        draws = sim.sample(st.scenario, 4096, seed=3)
        m = draws["market.revenue_pool"].values[:, None]
        expect = a[k * n_sizes:(k + 1) * n_sizes] + b[k * n_sizes:(k + 1) * n_sizes] * m
        np.testing.assert_allclose(draws.net_value.values, expect, rtol=1e-9, atol=1e-6 * abs(a).max())


def test_known_case_prob_best_evpi_evppi(known):
    sc, ds, a, b, mu, s = known
    exact = envelope(a, b, mu, s)
    # The closed form against a fine grid of z = (ln M - mu) / s (the
    # lognormal's upper tail carries much of E[M], so not a grid of u).
    z, dz = np.linspace(-12, 16, 280_001, retstep=True)
    weight = np.exp(-z * z / 2) / math.sqrt(2 * math.pi) * dz
    grid = a[:, None] + b[:, None] * np.exp(mu + s * z)[None, :]
    assert exact["e_max"] == pytest.approx(grid.max(axis=0) @ weight, rel=1e-6)
    np.testing.assert_allclose(exact["prob_best"], np.bincount(grid.argmax(axis=0), weight, len(a)),
                               atol=1e-4)
    assert sum(exact["prob_best"]) == pytest.approx(1.0)
    assert (exact["prob_best"] > 0.05).sum() >= 3  # a real decision: three alternatives contend

    flat = lambda v: ds[v].transpose("strategy", "model_size").values.ravel()
    np.testing.assert_allclose(flat("net_value_mean"), exact["means"], rtol=0,
                               atol=5 * flat("net_value_mean_se").max())
    pb, pb_se = flat("prob_best"), flat("prob_best_se")
    assert np.all(np.abs(pb - exact["prob_best"]) <= 5 * pb_se + 1e-12)
    assert np.all(pb[exact["prob_best"] == 0] == 0)  # never on top: never credited
    evpi, evpi_se = float(ds["evpi"]), float(ds["evpi_se"])
    assert evpi_se > 0
    assert abs(evpi - exact["evpi"]) <= 5 * evpi_se
    top = int(np.argmax(exact["means"]))
    assert (ds.attrs["choice_strategy"], ds.attrs["choice_model_size"]) == \
        (list(PREMIUMS)[top // len(KNOWN_SIZES)], KNOWN_SIZES[top % len(KNOWN_SIZES)])
    # The chosen alternative's mean regret is EVPI; regret is E[max] - E[O_a].
    np.testing.assert_allclose(flat("regret_mean"), exact["e_max"] - exact["means"], rtol=0,
                               atol=5 * flat("regret_mean_se").max() + 5 * evpi_se)

    params = list(ds["parameter"].values)
    assert params == [*sc.sampled_keys, DUMMY]  # constants are not parameters
    assert set(sc.sampled_keys) == {"market.revenue_pool", "finetune.domain_gain"}
    evppi = dict(zip(params, ds["evppi"].values))
    se = dict(zip(params, ds["evppi_se"].values))
    target = binned_evppi(a, b, mu, s, sc.voi_bins)
    assert ds.attrs["voi_bins"] == sc.voi_bins == 32
    assert 0 < target < exact["evpi"]
    assert target > 0.9 * exact["evpi"]  # the pool is all there is to know, up to the binning
    pool = "market.revenue_pool"
    assert abs(evppi[pool] - target) <= 5 * se[pool], (evppi[pool], target, se[pool])
    floor, floor_se = float(ds["evppi_floor"]), float(ds["evppi_floor_se"])
    assert floor == evppi[DUMMY] and floor_se == se[DUMMY]
    assert 0 <= floor <= 0.01 * exact["evpi"]  # the dummy: next to nothing
    gain = "finetune.domain_gain"
    assert 0 <= evppi[gain] <= 0.01 * exact["evpi"]
    assert abs(evppi[gain] - floor) <= 5 * math.hypot(se[gain], floor_se) + 1e-9 * exact["evpi"]


def test_evpi_zero_when_one_alternative_dominates():
    """One size; a discount sells more of the same model at every pool (share
    answers to price with eps = 1.5 > 1), so it is best in every draw."""
    sc = make_scenario(grid__model_sizes=[1e10], market__price_sensitivity=1.5,
                       market__revenue_pool={"dist": "lognormal", "p5": 1e9, "p95": 1e11},
                       finetune__domain_gain=GAIN,
                       strategies={"market_price": {"description": "at the market price"},
                                   "discount": {"market": {"price_premium": 0.7}}})
    ds = decide(sc, 40_000, seed=1)
    np.testing.assert_array_equal(ds["prob_best"].values, [[0.0], [1.0]])
    assert float(ds["evpi"]) == 0.0 and float(ds["evpi_se"]) == 0.0
    assert float(ds["regret_mean"].sel(strategy="discount").item()) == 0.0
    assert float(ds["regret_mean"].sel(strategy="market_price").item()) > 0
    np.testing.assert_array_equal(ds["evppi"].values, 0.0)
    assert float(ds["evppi_floor"]) == 0.0
    assert ds.attrs["choice_strategy"] == "discount"


def test_evppi_se_below_eight_blocks():
    """Fewer blocks than groups: as many groups as blocks, every se finite;
    below two blocks, one clear message."""
    sc = make_scenario(grid__model_sizes=[1e10], market__price_sensitivity=1.5,
                       market__revenue_pool={"dist": "lognormal", "p5": 1e9, "p95": 1e11},
                       strategies={"market_price": {}, "discount": {"market": {"price_premium": 0.7}}})
    ds = decide(sc, 20_000, seed=1)
    assert np.all(np.isfinite(ds["evppi_se"].values)) and ds.attrs["voi_groups"] == 5
    with pytest.raises(sim.SimError, match="at least 8,192 scenarios"):
        decide(sc, 4000, seed=1)


def test_evppi_of_a_key_no_model_reads_is_the_floor():
    """Two sizes of equal mean net value (the pool's mean is where their lines
    cross), so the estimator's noise bias is visible: the dummy's EVPPI (the
    floor) and that of a sampled key no model reads estimate the same bias.
    No strategies: one alternative per size, no strategy dimension."""
    sizes = [1e9, 1e10]
    a, b = lines_of({"market_price": 1.0}, sizes=sizes)
    cross = (a[0] - a[1]) / (b[1] - b[0])
    s = 1.0
    mu = math.log(cross) - s * s / 2  # E[M] = cross
    pool = {"dist": "lognormal", "p5": math.exp(mu - Z95 * s), "p95": math.exp(mu + Z95 * s)}
    sc = make_scenario(grid__model_sizes=sizes, market__price_sensitivity=1.5,
                       market__revenue_pool=pool, finetune__domain_gain=GAIN)
    ds = decide(sc, 1 << 16, seed=5)
    assert "strategy" not in ds.dims and ds["prob_best"].dims == ("model_size",)
    params = list(ds["parameter"].values)
    evppi = dict(zip(params, ds["evppi"].values))
    se = dict(zip(params, ds["evppi_se"].values))
    exact = envelope(a, b, *lognormal_parameters(pool))
    assert abs(float(ds["evpi"]) - exact["evpi"]) <= 5 * float(ds["evpi_se"])
    floor, floor_se = float(ds["evppi_floor"]), float(ds["evppi_floor_se"])
    assert 0 < floor < 0.05 * exact["evpi"] and floor_se > 0
    gain = "finetune.domain_gain"
    assert evppi[gain] >= 0
    assert abs(evppi[gain] - floor) <= 5 * math.hypot(se[gain], floor_se)
    pool_key = "market.revenue_pool"
    assert evppi[pool_key] - floor > 20 * math.hypot(se[pool_key], floor_se)
    assert abs(evppi[pool_key] - binned_evppi(a, b, *lognormal_parameters(pool), 32)) <= 5 * se[pool_key] + floor


# ---------------------------------------------------------------- common random numbers

#: Per-alternative results that compare this alternative with the others.
DECISION_VARIABLES = {"prob_best", "prob_best_se", "regret_mean", "regret_mean_se"}
N_RUN = 2 * 4096 + 100  # two blocks and a partial one
N_CRN = 8 * 4096 + 100  # for decide: every group of VOI blocks has scenarios


def crn_scenario(**values) -> sim.Scenario:
    """Several sampled keys (a discrete one among them) and incidents."""
    return make_scenario(**{"market__revenue_pool": {"dist": "lognormal", "p5": 1e9, "p95": 1e11},
                            "market__competitors": {"dist": "poisson", "lam": 8},
                            "costs__gpu_hour_price": {"dist": "uniform", "low": 2.0, "high": 3.0},
                            "market__price_sensitivity": {"dist": "uniform", "low": 1.2, "high": 2.5},
                            "risk__incident_rate": 0.2, **values})


def per_size(ds: xr.Dataset) -> list[str]:
    return [v for v in ds.data_vars if "model_size" in ds[v].dims]


def assert_same_alternatives(ds: xr.Dataset, strategy: str, alone: xr.Dataset,
                             skip=DECISION_VARIABLES) -> None:
    """Every per-size variable of ``strategy`` bit for bit equal to ``alone``'s."""
    one = ds.sel(strategy=strategy, drop=True)
    names = [v for v in per_size(alone) if v not in skip]
    assert len(names) > 40 and set(names) <= set(per_size(one))
    for v in names:
        np.testing.assert_array_equal(one[v].values, alone[v].values, err_msg=f"{strategy}: {v}")


def test_strategy_without_overrides_is_the_scenario():
    base = crn_scenario()
    alone = sim.run(base, N_RUN, seed=7)
    as_written = crn_scenario(strategies={"as_written": {"description": "the scenario as written"}})
    ds = sim.run(as_written, N_RUN, seed=7)
    assert list(ds["strategy"].values) == ["as_written"]
    assert_same_alternatives(ds, "as_written", alone, skip=set())  # one strategy: best and regret too
    for v in ("evpi", "evpi_se"):
        assert float(ds[v]) == float(alone[v])
    assert "year" in ds.dims  # the valuation path is compared as well


def test_each_strategy_is_a_separate_run_with_its_overrides():
    """A constant changed (the premium, a risk share) and a sampled key given
    another family and parameters (the pool a uniform, the rivals' lam): each
    the same draws as a run of the scenario with those overrides."""
    wide = {"dist": "uniform", "low": 5e8, "high": 5e10}
    strategies = {
        "as_written": {},
        "premium": {"market": {"price_premium": 2.0}, "risk": {"control_share": 0.1}},
        "niche": {"market": {"revenue_pool": wide, "competitors": {"dist": "poisson", "lam": 3}}},
    }
    ds = sim.run(crn_scenario(strategies=strategies), N_RUN, seed=7)
    assert_same_alternatives(ds, "as_written", sim.run(crn_scenario(), N_RUN, seed=7))
    assert_same_alternatives(ds, "premium", sim.run(
        crn_scenario(market__price_premium=2.0, risk__control_share=0.1), N_RUN, seed=7))
    assert_same_alternatives(ds, "niche", sim.run(
        crn_scenario(market__revenue_pool=wide, market__competitors={"dist": "poisson", "lam": 3}),
        N_RUN, seed=7))
    # The decision variables compare across all alternatives: P(best) sums to 1.
    assert float(ds["prob_best"].sum()) == pytest.approx(1.0, abs=1e-12)


def test_strategy_making_a_constant_uncertain_draws_from_the_extra_stream():
    """docs/model.md 2d: a key constant in the scenario but uncertain in a
    strategy has a uniform of its own, apart from the design's. So reality's
    draws of every other key are unchanged (the unmodified strategy is still
    the scenario bit for bit), but the strategy is not a separate run with the
    key sampled there (that run draws the key in the design's stream, which
    shifts every later dimension); it agrees with it in distribution only."""
    share = {"dist": "uniform", "low": 0.0, "high": 0.2}
    strategies = {"as_written": {}, "uncertain_control": {"risk": {"control_share": share}}}
    sc = crn_scenario(strategies=strategies)
    ds = decide(sc, N_CRN, seed=7, path=True, quantiles=sim.DEFAULT_QUANTILES)
    assert_same_alternatives(ds, "as_written", sim.run(crn_scenario(), N_CRN, seed=7))
    assert list(ds["parameter"].values) == [*sc.sampled_keys, "risk.control_share", DUMMY]
    separate = sim.run(crn_scenario(risk__control_share=share), N_CRN, seed=7)
    mine = ds.sel(strategy="uncertain_control")
    assert not np.array_equal(mine["net_value_mean"].values, separate["net_value_mean"].values)
    assert not np.array_equal(mine["revenue_npv_mean"].values, separate["revenue_npv_mean"].values)
    for v in ("net_value_mean", "risk_control_cost_mean", "prob_loss"):
        se = np.hypot(mine[f"{v}_se" if v == "prob_loss" else f"{v}_se"].values, separate[f"{v}_se"].values)
        assert np.all(np.abs(mine[v].values - separate[v].values) <= 5 * se + 1e-9 * np.abs(separate[v].values)), v


# ---------------------------------------------------------------- what a strategy may change

@pytest.mark.parametrize("key, table", [
    ("grid.reference_size", {"grid": {"reference_size": 1e10}}),
    ("horizon_years", {"horizon_years": 3}),
    ("finance.discount_rate", {"finance": {"discount_rate": 0.05}}),
    ("decision.objective", {"decision": {"objective": "roi"}}),
    ("decision.voi_bins", {"decision": {"voi_bins": 8}}),
])
def test_keys_strategies_share_are_refused_by_name(key, table):
    with pytest.raises(ScenarioError, match=rf"strategies\.bad\.{re.escape(key)}: a strategy may not change "
                                            rf"{re.escape(key)}"):
        make_scenario(strategies={"ok": {}, "bad": {"description": "changes a shared key", **table}})


FINETUNE_CONSTANTS = {"finetune.base_tokens_per_param": 200.0, "finetune.tokens": 1e10,
                      "finetune.compute_share": 0.8, "finetune.data_price_per_token": 1e-7,
                      "finetune.fixed_cost_at_reference": 1e6, "finetune.domain_gain": 0.25,
                      "finetune.license_cost": 5e6}


def test_route_switch_is_validated_like_a_scenario():
    with pytest.raises(ScenarioError, match=r"strategies\.tune\.route: route = \"finetune\" needs the "
                                            r"fine-tuning key\(s\) finetune\.base_tokens_per_param, "
                                            r"finetune\.compute_share, .*finetune\.domain_gain \(missing"):
        make_scenario(strategies={"tune": {"route": "finetune", "finetune": {"tokens": 1e10}}})
    # With the keys (in the scenario, or the strategy), the route switches for that strategy only.
    ft = {k.replace(".", "__"): v for k, v in FINETUNE_CONSTANTS.items()}
    sc = crn_scenario(**ft, strategies={"pretrain": {}, "tune": {"route": "finetune"}})
    assert [w.route for w in sc.worlds()] == ["pretrain", "finetune"]
    ds = sim.run(sc, N_RUN, seed=2)
    assert_same_alternatives(ds, "pretrain", sim.run(crn_scenario(**ft), N_RUN, seed=2))
    assert_same_alternatives(ds, "tune", sim.run(crn_scenario(**ft, route="finetune"), N_RUN, seed=2))
    assert not np.array_equal(ds["investment_mean"].sel(strategy="tune").values,
                              ds["investment_mean"].sel(strategy="pretrain").values)


def credited_best(objective: np.ndarray) -> np.ndarray:
    """P(best) per alternative from draws (scenario, alternative), ties split."""
    top = objective.max(axis=1, keepdims=True)
    hit = objective == top
    return (hit / hit.sum(axis=1, keepdims=True)).mean(axis=0)


def test_objective_roi_ranks_by_roi():
    """P(best) from the draws of each strategy (separate sim.sample runs: the
    same draws, as no strategy makes a constant uncertain), ranked by ROI and
    by net value, against decide's with either objective."""
    strategies = {"as_written": {}, "premium": {"market": {"price_premium": 2.0}},
                  "lean": {"risk": {"control_share": 0.0}}}
    sc = crn_scenario(strategies=strategies, grid__model_sizes=[1e9, 1e10, 1e11])
    n = N_CRN
    draws = [sim.sample(st.scenario, n, seed=4) for st in sc.strategies]
    roi = np.concatenate([d["roi"].values for d in draws], axis=1)  # (scenario, strategy-major alternative)
    net = np.concatenate([d["net_value"].values for d in draws], axis=1)
    by_roi, by_net = credited_best(roi), credited_best(net)
    assert np.abs(by_roi - by_net).max() > 0.05  # the objectives disagree here
    flat = lambda ds, v: ds[v].transpose("strategy", "model_size").values.ravel()
    ds_roi = decide(sc, n, seed=4, objective="roi")
    assert ds_roi.attrs["objective"] == "roi"
    np.testing.assert_allclose(flat(ds_roi, "prob_best"), by_roi, rtol=0, atol=1e-12)
    np.testing.assert_allclose(flat(ds_roi, "regret_mean"), (roi.max(axis=1, keepdims=True) - roi).mean(axis=0),
                               rtol=1e-9)
    a = int(np.argmax(roi.mean(axis=0)))
    assert (ds_roi.attrs["choice_strategy"], ds_roi.attrs["choice_model_size"]) == \
        (list(strategies)[a // len(sc.model_sizes)], sc.model_sizes[a % len(sc.model_sizes)])
    ds_net = decide(sc, n, seed=4)
    assert ds_net.attrs["objective"] == "net_value"
    np.testing.assert_allclose(flat(ds_net, "prob_best"), by_net, rtol=0, atol=1e-12)
    # The scenario's own decision.objective does the same as the argument.
    ds_key = sim.run(crn_scenario(strategies=strategies, decision__objective="roi",
                                  grid__model_sizes=[1e9, 1e10, 1e11]), n, seed=4, path=False)
    np.testing.assert_array_equal(ds_key["prob_best"].values, ds_roi["prob_best"].values)
    assert float(ds_key["evpi"]) == float(ds_roi["evpi"])


def test_sample_with_strategies():
    sc = crn_scenario(strategies={"as_written": {}, "premium": {"market": {"price_premium": 2.0}}})
    draws = sim.sample(sc, 100)
    assert draws["roi"].dims == ("scenario", "strategy", "model_size")
    alone = sim.sample(crn_scenario(), 100)
    np.testing.assert_array_equal(draws["roi"].sel(strategy="as_written").values, alone["roi"].values)


def test_decide_is_in_the_package_namespace():
    assert sim.decide is decide


# ---------------------------------------------------------------- the choice under a loss constraint, the CLI

def test_max_prob_loss_restricts_the_choice():
    sc, n = known_scenario(), N_CRN
    ds = decide(sc, n, seed=3)
    flat = lambda d, v: d[v].transpose("strategy", "model_size").values.ravel()
    loss, mean = flat(ds, "prob_loss"), flat(ds, "net_value_mean")
    free = int(np.argmax(mean))
    cap = float(np.sort(np.unique(loss))[np.searchsorted(np.sort(np.unique(loss)), loss[free]) - 1])
    assert cap < loss[free]  # the unconstrained choice is not eligible
    limited = decide(sc, n, seed=3, max_prob_loss=cap)
    eligible = loss <= cap
    best = int(np.argmax(np.where(eligible, mean, -np.inf)))
    n_sizes = len(KNOWN_SIZES)
    assert limited.attrs["choice_eligible"] == 1 and limited.attrs["n_eligible"] == eligible.sum()
    assert (limited.attrs["choice_strategy"], limited.attrs["choice_model_size"]) == \
        (list(PREMIUMS)[best // n_sizes], KNOWN_SIZES[best % n_sizes])
    assert best != free and f"P(loss) <= {cap:g}" in limited.attrs["choice"]
    # Everything else is the unconstrained run's.
    for v in ("prob_best", "regret_mean", "evpi", "evppi"):
        np.testing.assert_array_equal(limited[v].values, ds[v].values)
    # None eligible: said so, not an error.
    none = decide(sc, n, seed=3, max_prob_loss=float(loss.min()) / 2)
    assert none.attrs["choice_eligible"] == 0 and none.attrs["n_eligible"] == 0
    assert none.attrs["choice"].startswith("none: no alternative has P(loss) <=")
    with pytest.raises(sim.SimError, match="max_prob_loss"):
        decide(sc, 1000, max_prob_loss=1.5)


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("decide") / "known.toml"
    path.write_text(known_scenario().to_toml())
    return path


def test_cli_decide_prints_the_decision(scenario_file, tmp_path):
    out = tmp_path / "decision.nc"
    result = CliRunner().invoke(cli, ["decide", str(scenario_file), "-n", "40000", "--seed", "3",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = result.stdout
    ds = xr.load_dataset(out)
    assert {"evppi", "evppi_se", "evppi_floor", "evpi", "prob_best", "regret_mean"} <= set(ds.data_vars)
    assert list(ds["strategy"].values) == list(PREMIUMS)
    assert list(ds["parameter"].values) == ["market.revenue_pool", "finetune.domain_gain", DUMMY]
    assert f"wrote {out}" in text
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("rank"))
    ranked = lines[header + 2:header + 2 + len(PREMIUMS) * len(KNOWN_SIZES)]
    means = ds["net_value_mean"].transpose("strategy", "model_size").values.ravel()
    order = np.argsort(-means, kind="stable")
    for k, (line, a) in enumerate(zip(ranked, order), 1):  # ranked by mean net value, best first
        strategy, size = list(PREMIUMS)[a // len(KNOWN_SIZES)], KNOWN_SIZES[a % len(KNOWN_SIZES)]
        assert line.split()[:3] == [str(k), strategy, sim.vocab.units.size_label(size)]
    assert f"choice: {ds.attrs['choice']}" in text
    assert re.search(r"^EVPI: \S+ ± \S+ \(what knowing everything", text, re.M)
    assert "resolve market.revenue_pool first: knowing it is worth up to" in text
    table = text[text.index("resolve these uncertainties first"):]
    assert table.index("market.revenue_pool") < table.index("finetune.domain_gain")
    assert "dummy" not in table.split("\n", 1)[1]


def test_cli_decide_none_eligible_is_a_message(scenario_file):
    result = CliRunner().invoke(cli, ["decide", str(scenario_file), "-n", "40000", "--max-prob-loss", "0"])
    assert result.exit_code == 0, result.output
    assert "choice: none: no alternative has P(loss) <= 0" in result.stdout
    assert "(restricted to alternatives with P(loss) <= 0: 0 eligible)" in result.stdout


# ---------------------------------------------------------------- threads and chunks

def test_decision_independent_of_threads_and_chunks(threads):
    sc = crn_scenario(grid__model_sizes=[1e9, 1e10, 1e11], market__price_sensitivity=1.5,
                      strategies={"as_written": {}, "premium": {"market": {"price_premium": 2.0}},
                                  "uncertain_control": {"risk": {"control_share": {"dist": "uniform",
                                                                                     "low": 0.0, "high": 0.2}}}})
    runs = []
    for n_threads, chunk in ((1, 4096), (2, 4096), (2, 8 * 4096)):
        threads(n_threads)
        runs.append(decide(sc, 17 * 4096 + 123, seed=11, chunk_size=chunk))
    first = runs[0]
    assert float(first["evpi"]) > 0 and np.all(first["evppi_se"].values[:-1] > 0)
    for other in runs[1:]:
        for v in ("evppi", "evppi_se", "evppi_floor", "evppi_floor_se", "prob_best", "prob_best_se",
                  "regret_mean", "regret_mean_se", "evpi", "evpi_se", "net_value_mean"):
            np.testing.assert_array_equal(other[v].values, first[v].values, err_msg=v)
        for k in ("choice", "choice_strategy", "choice_model_size"):
            assert other.attrs[k] == first.attrs[k]


# ---------------------------------------------------------------- charts

def test_decision_chart_has_a_cell_per_alternative(known):
    import matplotlib.pyplot as plt

    _, ds, *_ = known
    fig = sim.plot.decision(ds)
    try:
        ax = fig.axes[0]
        cells = ax.images[0].get_array()
        pb = ds["prob_best"].transpose("strategy", "model_size").values
        assert cells.shape == pb.shape == (len(PREMIUMS), len(KNOWN_SIZES))
        np.testing.assert_allclose(np.asarray(cells), 100 * pb)
        shown = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}
        assert shown == {(i, j): f"{100 * pb[i, j]:.1f}%" for i in range(pb.shape[0]) for j in range(pb.shape[1])}
        assert [t.get_text() for t in ax.get_yticklabels()] == list(PREMIUMS)
        outline = [p for p in ax.patches if p.get_label().startswith("choice")]
        i = list(PREMIUMS).index(ds.attrs["choice_strategy"])
        j = KNOWN_SIZES.index(ds.attrs["choice_model_size"])
        assert len(outline) == 1 and outline[0].get_xy() == (j - 0.5, i - 0.5)
    finally:
        plt.close(fig)


def test_voi_chart_bars_are_the_evppi(known):
    import matplotlib.pyplot as plt
    from matplotlib.container import BarContainer

    _, ds, *_ = known
    fig = sim.plot.voi(ds)
    try:
        ax = fig.axes[0]
        bars = [c for c in ax.containers if isinstance(c, BarContainer)]
        assert len(bars) == 1
        names = [str(x) for x in ds["parameter"].values]
        evppi = ds["evppi"].values
        keep = [i for i in np.argsort(-evppi) if names[i] != DUMMY]
        np.testing.assert_array_equal([p.get_width() for p in bars[0].patches], evppi[keep])
        top = max(bars[0].patches, key=lambda p: p.get_y())  # drawn from the top down
        assert top.get_width() == evppi[names.index("market.revenue_pool")]
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert labels == [".".join(names[i].split(".")[-2:]) for i in keep]
        assert any(line.get_xdata()[0] == float(ds["evppi_floor"]) for line in ax.lines)  # the floor
    finally:
        plt.close(fig)
