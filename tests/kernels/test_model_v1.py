"""The model equations against a hand computation and a NumPy transcription."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.testing import reference
from sim.vocab.registry import PARAMETERS

from sim.testing.hand import hand_roi
from sim.testing.scenarios import CONSTANTS, SIZES, make_scenario


@pytest.mark.parametrize("incident_rate", [0.0, 1.0])
def test_constant_scenario_matches_hand_computation(incident_rate):
    sc = make_scenario(risk__incident_rate=incident_rate, risk__control_effectiveness=0.0)
    c = dict(CONSTANTS, **{"risk.incident_rate": incident_rate, "risk.control_effectiveness": 0.0})
    ds = sim.run(sc, n_scenarios=5000, seed=1)
    for j, N in enumerate(SIZES):
        roi, roi_x, I, L = hand_roi(c, N, incidents=True)
        assert ds.roi_mean.values[j] == pytest.approx(roi, rel=1e-12, abs=1e-12)
        assert ds.roi_expected_mean.values[j] == pytest.approx(roi_x, rel=1e-12, abs=1e-12)
        assert ds.investment_mean.values[j] == pytest.approx(I, rel=1e-13)
        assert ds.lab_loss_mean.values[j] == pytest.approx(L, rel=1e-13)
        # Every scenario is the same: quantiles equal the value, no spread.
        np.testing.assert_allclose(ds.roi_quantile.values[j], roi, rtol=1e-12, atol=1e-12)
        assert ds.roi_std.values[j] == pytest.approx(0.0, abs=1e-9 * max(1, abs(roi)))
    # Serving cost / price starts at 0.28 for 100B and grows 1.4x a year, so
    # 100B is withdrawn in year 5; 1T (ratio 2.8) is never served. Both
    # branches of the withdrawal rule are covered.
    np.testing.assert_array_equal(ds.years_served_mean.values, [5, 5, 5, 4, 0])


def test_hand_computation_numbers():
    """Pin a few intermediate numbers of the constants scenario by hand:
    1B parameters, 2e10 tokens, 2.4e20 FLOP at USD 2.5 / (3600 s * 9.89e14 * 0.4)."""
    _, _, I, _ = hand_roi(CONSTANTS, 1e9, incidents=False)
    compute = 1.2e20 * 2.0 * 2.5 / (3600 * 9.89e14 * 0.4)  # 168.5 GPU-hours: ~ USD 421
    assert compute == pytest.approx(421.301, rel=1e-6)
    assert I == pytest.approx((compute + 2e10 * 1e-8 + 1e7) * 1.05, rel=1e-14)


def test_incidents_cost_severity_times_revenue():
    """With incidents every year, the incident NPV is v times the revenue NPV."""
    sc = make_scenario(risk__incident_rate=1.0, risk__control_effectiveness=0.0)
    ds = sim.run(sc, n_scenarios=4096, seed=2)
    np.testing.assert_allclose(ds.incident_loss_npv_mean, 0.2 * ds.revenue_npv_mean, rtol=1e-13)


def test_kernel_matches_numpy_transcription():
    """Random draws of the v1 baseline: kernel results equal the NumPy model
    (a transcription of specification section 2; the v2 blocks have their own
    hand computations in test_model_v2.py)."""
    baseline = sim.load_scenario(str(Path(__file__).parents[1] / "data" / "baseline_v1.toml"))
    ds = sim.sample(baseline, 20_000, seed=5)
    params = {k: (ds[k].values if k in ds else baseline.values[k]) for k in PARAMETERS
              if k in baseline.values}
    ref = reference.evaluate(params, ds.incident_uniform.values, np.array(baseline.model_sizes),
                             baseline.reference_size, baseline.horizon_years)
    scale = ds.revenue_npv.values / ds.investment.values + 1  # cancellation scale of ROI
    for name, want in ref.items():
        got = ds[name].values
        assert np.isfinite(got).all(), name
        if name.startswith("roi"):
            np.testing.assert_array_less(np.abs(got - want), 1e-12 * (np.abs(want) + scale) + 1e-12)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=name)
    # The draws exercise the interesting branches.
    assert (ds.years_served.values == 0).any() and (ds.years_served.values == 5).any()
    assert (ds.incident_loss_npv.values > 0).any()


def test_expected_roi_without_gap_hype_or_incidents_equals_roi():
    """g = 0, h = 1 and no incidents: investors' expectation is reality."""
    sc = make_scenario(performance__deployment_gap=0.0, market__hype=1.0,
                       risk__incident_rate=0.0,
                       market__revenue_pool={"dist": "lognormal", "p5": 1e9, "p95": 1e11})
    ds = sim.sample(sc, 2000, seed=4)
    np.testing.assert_allclose(ds.roi_expected, ds.roi, rtol=1e-13)
    np.testing.assert_allclose(ds.roi_gap, 0, atol=1e-12)


def test_monotone_case_quantiles(constant_scenario):
    """Only the revenue pool is uncertain, so ROI is increasing in it and each
    ROI quantile equals ROI evaluated at the pool's quantile."""
    pool = {"dist": "lognormal", "p5": 2e9, "p95": 5e10}
    sc = constant_scenario.with_overrides({"market.revenue_pool": pool})
    n = 400_000
    ds = sim.run(sc, n_scenarios=n, seed=9, quantiles=[0.05, 0.25, 0.5, 0.75, 0.95])
    dist = sc.values["market.revenue_pool"]
    for q in ds["quantile"].values:
        at_q = sim.run(sc.with_overrides({"market.revenue_pool": float(dist.ppf(q))}),
                       n_scenarios=1, seed=0)
        # Sampling error of the q-quantile of the pool: the estimate's rank is
        # within ~3 binomial standard errors of q, plus the sketch's 5e-4.
        dq = 3 * math.sqrt(q * (1 - q) / n) + 5e-4
        lo = sim.run(sc.with_overrides({"market.revenue_pool": float(dist.ppf(q - dq))}), n_scenarios=1)
        hi = sim.run(sc.with_overrides({"market.revenue_pool": float(dist.ppf(q + dq))}), n_scenarios=1)
        for j in range(len(SIZES)):
            got = ds.roi_quantile.sel(quantile=q).values[j]
            assert lo.roi_mean.values[j] <= got <= hi.roi_mean.values[j], (q, j)
            if hi.roi_mean.values[j] > lo.roi_mean.values[j]:
                # and the bracket is tight around ROI at the pool's quantile
                assert lo.roi_mean.values[j] < at_q.roi_mean.values[j] < hi.roi_mean.values[j]


def test_prob_best_sums_to_one(baseline):
    ds = sim.run(baseline, n_scenarios=50_000, seed=3)
    assert float(ds.prob_best.sum()) == pytest.approx(1.0, abs=1e-12)


def test_withdrawn_everywhere_gives_minus_one():
    """A price far below serving cost: never served, NPV 0, ROI exactly -1."""
    sc = make_scenario(market__token_price=1e-12)
    ds = sim.run(sc, n_scenarios=100, seed=0)
    np.testing.assert_array_equal(ds.roi_quantile.values, -1.0)
    np.testing.assert_array_equal(ds.prob_loss.values, 1.0)
    # By net value (the default objective) the cheapest size loses least ...
    np.testing.assert_array_equal(ds.prob_best.values, [1.0, 0, 0, 0, 0])
    # ... by ROI every size ties at -1 and shares the credit.
    by_roi = sim.run(sc.with_overrides({"decision.objective": "roi"}), n_scenarios=100, seed=0)
    np.testing.assert_allclose(by_roi.prob_best.values, 1 / len(SIZES))
