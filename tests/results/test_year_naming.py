"""One name for the valuation year: a run's path and a sample's path run over
the same ``year`` (0..T, years after the decision); the sample's incident
uniforms over ``revenue_year`` (1..T, years after release)."""

from __future__ import annotations

import numpy as np

import sim


def test_run_and_sample_share_the_year_of_the_valuation_path():
    run = sim.run("cooling", 4096, seed=5)
    draws = sim.sample("cooling", 4096, seed=5)
    horizon = run.sizes["year"] - 1
    assert "valuation_year" not in draws.dims
    np.testing.assert_array_equal(draws.year.values, run.year.values)
    np.testing.assert_array_equal(draws.year.values, np.arange(horizon + 1))
    assert draws.year.attrs == run.year.attrs
    assert draws.mtm.dims == ("scenario", "model_size", "year")
    # The same draws: P(cooled by year t) of the run is the sample's share, year by year.
    np.testing.assert_allclose(run.prob_cooled.values, draws.cooled.mean("scenario").values, rtol=1e-12)
    assert draws.incident_uniform.dims == ("scenario", "revenue_year")
    np.testing.assert_array_equal(draws.revenue_year.values, np.arange(1, horizon + 1))


def test_the_industry_frame_has_one_year_in_run_and_sample():
    run = sim.run("industry", 2048, seed=5)
    draws = sim.sample("industry", 2048, seed=5)
    np.testing.assert_array_equal(draws.year.values, run.year.values)
    np.testing.assert_array_equal(draws.calendar_year.values, run.calendar_year.values)
    np.testing.assert_allclose(run.prob_cooled.values, draws.cooled.mean("scenario").values, rtol=1e-12)
