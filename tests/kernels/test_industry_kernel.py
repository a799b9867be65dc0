"""The industry frame's kernel (specification section 15) against its oracles:
the hand transcription of the loop on a constant case (to 1e-10), the NumPy
reference scenario by scenario on sampled parameters, a run's means against
the reference on other draws (within Monte Carlo error), and the same
numbers whatever the thread count and chunk size."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from sim.engine.reducer import sample_arrays
from sim.kernels.industry import year_uniforms
from sim.kernels.sampling.rng import key_from_seed
from sim.scenario.load import from_mapping
from sim.scenario.plan import build_plan
from sim.testing.industry import PATH_NAMES, SCALAR_NAMES, hand_industry, industry_reference
from sim.vocab import industry as iv
from sim.vocab.registry import INDUSTRY_PARAMETERS

from sim.testing.industry import CONSTANT, H, T

#: A sampled industry scenario: the baseline's shared keys (several sampled),
#: demand shocks and incidents, and uncertain industry keys.
SAMPLED = {
    "name": "sampled_industry", "frame": "industry", "extends": "baseline", "horizon_years": 10,
    "industry": {
        "ultimate_pool": {"dist": "lognormal", "p5": 5e10, "p95": 5e11},
        "entry_speed": {"dist": "uniform", "low": 0.05, "high": 0.3},
        "demand_volatility": 0.2,
        "compute_supply": {"dist": "lognormal", "p5": 2e5, "p95": 2e6},
        "scarcity_pass_through": 0.5,
    },
    "risk": {"incident_rate": 0.2, "incident_severity": 0.3},
}


def kernel_rows(scenario, n, seed=3, first=0):
    """The kernel's draws, outputs and yearly uniforms for n scenarios."""
    plan = build_plan(scenario)
    key = key_from_seed(seed)
    draws, _, _, stats = sample_arrays(plan, key, first, n)
    shock = np.empty((n, plan.horizon))
    incident = np.empty((n, plan.horizon))
    year_uniforms(key, first, n, plan.horizon, shock, incident)
    return plan, draws, stats[:, 0, :], shock, incident


def kernel_named(stats, horizon):
    out = {f.name: stats[:, f.index] for f in iv.SCALARS}
    out.update({f.name: stats[:, iv.columns(horizon, f.index)] for f in iv.FIELDS})
    return out


def values_of(scenario, plan, draws):
    values = {k: np.full(draws.shape[0], float(scenario.values[k])) for k in INDUSTRY_PARAMETERS
              if k not in plan.sampled_keys}
    values.update({k: draws[:, d] for d, k in enumerate(plan.sampled_keys)})
    return values


def test_constant_case_matches_the_hand_computation():
    scenario = from_mapping({"frame": "industry", "horizon_years": T,
                             "industry.valuation_horizon": H, **CONSTANT})
    plan, draws, stats, shock, incident = kernel_rows(scenario, 3)
    assert plan.n_sampled == 0
    got = kernel_named(stats, T)
    for i in range(3):  # sigma_z = 0 and no incidents: every scenario is the same path
        hand = hand_industry(CONSTANT, T, H, 1.0, list(shock[i]), list(incident[i]))
        for name in PATH_NAMES + SCALAR_NAMES:
            if name not in got:
                continue
            np.testing.assert_allclose(got[name][i], hand[name], rtol=1e-10, atol=1e-12, err_msg=name)
    labs, q = got["labs"][0], got["q"][0]
    peak = int(np.argmax(labs))
    assert 0 < peak < T - 1 and labs[-1] < labs[peak]  # labs rise, then fall
    assert q[0] > 1 and q.min() < 1  # Q crosses 1
    assert got["cooled"][0].max() == 1


def test_sampled_scenarios_match_the_reference_one_by_one():
    scenario = from_mapping(SAMPLED)
    plan, draws, stats, shock, incident = kernel_rows(scenario, 3000)
    assert {"industry.ultimate_pool", "industry.entry_speed", "industry.compute_supply"} <= set(plan.sampled_keys)
    ref = industry_reference(values_of(scenario, plan, draws), plan.horizon, plan.valuation_horizon,
                             plan.active_share, shock, incident)
    got = kernel_named(stats, plan.horizon)
    assert (incident < 0.2).any() and (got["scarcity"] > 1).any()  # both mechanisms at work
    ref["industry_loss"] = (ref["roi_industry"] < 0).astype(float)
    for name, value in got.items():
        expected = ref[name]
        scale = np.maximum(np.abs(expected), 1e-12 if name not in ("profit",) else
                           1e-12 * np.maximum(ref["revenue"], ref["capex"]))
        bad = np.abs(value - expected) > 1e-9 * scale
        assert not bad.any(), (name, value[bad][:3], expected[bad][:3])


@pytest.mark.parametrize("horizon, valuation_horizon", [(1, 1), (1, 50), (100, 1), (100, 50)])
def test_the_kernel_matches_the_reference_at_the_shortest_and_longest_horizons(horizon, valuation_horizon):
    """The yearly loop reads its powers of the discount, the FLOP price and
    the fixed cost from tables of ``horizon + valuation_horizon`` entries
    (``sim.kernels.industry.industry_scratch``): at the ends of both ranges
    every year and year ahead must still find its own."""
    scenario = from_mapping({**SAMPLED, "horizon_years": horizon,
                             "industry": {**SAMPLED["industry"], "valuation_horizon": valuation_horizon}})
    plan, draws, stats, shock, incident = kernel_rows(scenario, 200)
    ref = industry_reference(values_of(scenario, plan, draws), plan.horizon, plan.valuation_horizon,
                             plan.active_share, shock, incident)
    got = kernel_named(stats, plan.horizon)
    for name in ("q", "capex", "expected_return", "roi_industry"):
        expected = ref[name]
        assert np.isfinite(got[name]).all(), name
        np.testing.assert_allclose(got[name], expected, rtol=1e-9, atol=1e-300, err_msg=name)


def test_a_run_agrees_with_the_reference_within_monte_carlo_error():
    import sim

    scenario = from_mapping(SAMPLED)
    ds = sim.run(scenario, 20_000, seed=1)
    plan, draws, stats, shock, incident = kernel_rows(scenario, 20_000, seed=2)  # other draws
    ref = industry_reference(values_of(scenario, plan, draws), plan.horizon, plan.valuation_horizon,
                             plan.active_share, shock, incident)
    for name in ("labs", "revenue", "capex", "q", "serving_margin"):
        mean, se = ds[f"{name}_mean"].values, ds[f"{name}_mean_se"].values
        ref_mean = ref[name].mean(axis=0)
        ref_se = ref[name].std(axis=0, ddof=1) / np.sqrt(len(ref[name]))
        z = np.abs(mean - ref_mean) / np.maximum(np.hypot(se, ref_se), 1e-12 * np.abs(ref_mean))
        assert z.max() < 4.5, (name, z.max())  # a constant year (labs in year 1) must be equal
    for name in ("cooled", "valued_below_cost"):
        p, se = ds[f"prob_{name}"].values, ds[f"prob_{name}_se"].values
        rp = ref[name].mean(axis=0)
        z = np.abs(p - rp) / np.maximum(np.hypot(se, np.sqrt(rp * (1 - rp) / len(ref[name]))), 1e-9)
        assert z.max() < 4.5, (name, z.max())


def test_the_run_equals_the_reduced_sample():
    """The run reduces exactly the scenarios sim.sample returns."""
    import sim

    scenario = from_mapping(SAMPLED)
    ds = sim.run(scenario, 5_000, seed=4)
    sample = sim.sample(scenario, 5_000, seed=4)
    np.testing.assert_allclose(ds["labs_mean"].values, sample["labs"].mean("scenario").values, rtol=1e-12)
    np.testing.assert_allclose(ds["prob_cooled"].values, sample["cooled"].mean("scenario").values, rtol=1e-12)
    np.testing.assert_array_equal(ds["calendar_year"].values, np.arange(2023, 2033))


@pytest.mark.parametrize("chunk_size", [4096, 3 * 4096])
def test_same_numbers_whatever_the_threads_and_chunks(chunk_size):
    import sim

    scenario = from_mapping(SAMPLED)
    base = sim.run(scenario, 30_000, seed=7)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        other = sim.run(scenario, 30_000, seed=7, chunk_size=chunk_size)
    finally:
        numba.set_num_threads(before)
    for name in base.data_vars:
        np.testing.assert_array_equal(base[name].values, other[name].values, err_msg=name)
