"""Sweeps and sensitivity analyses of the industry frame (specification section 15).

A sweep's points equal separate runs with the value set (common random
numbers: the same draws, demand shocks and incidents), and a sweep that
would change the calendar years is refused. The sensitivity row kernel gives
exactly what ``sim.sample`` gives for the same seed, row ``i`` takes the
yearly noise of scenario ``first + i``, and an input made to decide whether
investors start above cost comes first by every index.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy import stats

import sim
from sim.engine.designs import build_design
from sim.engine.matrix import evaluate_uniforms, plan_uniforms
from sim.kernels.sampling.rng import key_from_seed
from sim.present.industry_tables import industry_sweep_table
from sim.present.sensitivity_tables import sensitivity_table
from sim.present.tables import sweep_table
from sim.scenario.load import from_mapping
from sim.scenario.plan import build_plan
from sim.vocab import industry as iv
from sim.vocab.errors import SimError
from sim.vocab.units import percent

START, T = 2023, 8
LAST = START + T - 1
DRIVER = "expectation.initial_growth"


@pytest.fixture(scope="module")
def industry():
    """The baseline's shared keys under the industry frame, with demand shocks
    and incidents, and investors' believed growth spread wide: below about 0
    they value a lab below cost from the start, so the fever never starts
    and cannot cool; above it, it starts and nearly always cools."""
    return from_mapping({
        "name": "ind_small", "frame": "industry", "extends": "baseline", "horizon_years": T,
        "industry": {"demand_volatility": 0.2},
        "risk": {"incident_rate": 0.2, "incident_severity": 0.3},
        "expectation": {"initial_growth": {"dist": "uniform", "low": -0.5, "high": 3.0}},
    })


# ------------------------------------------------------------------ sweep
@pytest.fixture(scope="module")
def swept(industry):
    return sim.sweep(industry, {"industry.entry_speed": [0.1, 0.5]}, n_scenarios=4000, seed=7)


def test_sweep_points_equal_separate_runs(industry, swept):
    assert swept.attrs["frame"] == "industry" and "model_size" not in swept.dims
    assert swept["labs_quantile"].dims == ("industry.entry_speed", "year", "quantile")
    np.testing.assert_array_equal(swept["calendar_year"], np.arange(START, LAST + 1))
    for v in (0.1, 0.5):
        alone = sim.run(industry, n_scenarios=4000, seed=7, overrides={"industry.entry_speed": v})
        point = swept.sel({"industry.entry_speed": v})
        for name in alone.data_vars:
            np.testing.assert_array_equal(point[name].values, alone[name].values, err_msg=name)


def test_sweep_is_monotone_where_the_model_says_so(swept):
    """Faster entry: more labs crowd in and the industry earns less on its
    capex; revenue does not depend on the lab count (A_y has no n_y), so with
    common random numbers it is the same at both points, to the last bit."""
    slow, fast = (swept.sel({"industry.entry_speed": v}) for v in (0.1, 0.5))
    med = lambda ds, name: ds[f"{name}_quantile"].sel(quantile=0.5)
    # Entry speed acts only where Q > 1 (elsewhere labs leave at the exit speed): the mean
    # lab count is higher from year 2 on, the median never lower and higher by the last year.
    assert np.all(fast["labs_mean"].values[1:] > slow["labs_mean"].values[1:])
    assert np.all(med(fast, "labs").values >= med(slow, "labs").values)
    assert float(med(fast, "labs")[-1]) > float(med(slow, "labs")[-1])
    assert float(fast["prob_industry_loss"]) > float(slow["prob_industry_loss"]) + 0.02
    assert float(med(fast, "roi_industry")) < float(med(slow, "roi_industry"))
    np.testing.assert_array_equal(fast["revenue_mean"].values, slow["revenue_mean"].values)
    np.testing.assert_array_equal(fast["prob_cooled"].values[0], 0.0)  # cooling needs a year 2


@pytest.mark.parametrize("key, values", [("horizon_years", [5, 8]),
                                         ("industry.start_year", [2023, 2024])])
def test_sweep_refuses_keys_that_change_the_years(industry, key, values):
    with pytest.raises(SimError, match=rf"^vary {key}: under the industry frame"):
        sim.sweep(industry, {"industry.entry_speed": [0.1, 0.2], key: values}, n_scenarios=100)


def test_industry_sweep_table(swept):
    text = sweep_table(swept)
    assert text == industry_sweep_table(swept)
    lines = text.splitlines()
    assert lines[0].startswith("sweep of scenario 'ind_small' (industry frame, 2023-2030): 2 points")
    assert f"P(cooled by {LAST})" in lines[1] and "capex peak" in lines[1]
    for row, v in zip(lines[3:5], (0.1, 0.5)):
        at = swept.sel({"industry.entry_speed": v})
        cells = row.split()
        assert float(cells[0]) == v
        assert cells[1] == percent(at["prob_cooled"].isel(year=-1))
        p = at["prob_cooled"].values  # P(cooled by y): the distribution of the year of cooling
        half = int(at["calendar_year"].values[np.flatnonzero(p >= p[-1] / 2)[0]])
        assert cells[3] == str(half)
        peak = int(at["calendar_year"].values[int(np.argmax(at["capex_peak_year"].values))])
        assert cells[4] == str(peak)
        assert cells[-1] == percent(at["prob_industry_loss"])
    assert any(line.startswith(f"P(cooled by {LAST}) = share of scenarios") for line in lines)
    assert "capex peak = the calendar year" in text and "P(return < 0) = share" in text
    slow, fast = (int(line.split()[3]) for line in lines[3:5])
    assert fast <= slow  # faster entry crowds the industry sooner: it cools no later


# ------------------------------------------------------------------ the row kernel
def test_rows_are_what_sim_sample_gives(industry):
    """The design's own rows through the industry row kernel equal sim.sample
    for the same seed: parameters and every output, bit for bit."""
    plan = build_plan(industry)
    n, seed = 600, 11
    assert plan.n_dims == plan.n_sampled
    U = plan_uniforms(plan, build_design("random", seed, n, plan.n_dims), key_from_seed(seed), 0, n)
    y, x = evaluate_uniforms(plan, U, np.arange(plan.n_columns), keep_draws=True, seed=seed)
    sample = sim.sample(industry, n, seed=seed)
    for d, key in enumerate(plan.sampled_keys):
        np.testing.assert_array_equal(x[:, d], sample[key].values, err_msg=key)
    for f in iv.SCALARS:
        np.testing.assert_array_equal(y[:, 0, f.index], sample[f.name].values, err_msg=f.name)
    for f in iv.FIELDS:
        np.testing.assert_array_equal(y[:, 0, iv.columns(T, f.index)], sample[f.name].values,
                                      err_msg=f.name)


def test_row_i_has_the_yearly_noise_of_scenario_first_plus_i(industry):
    """The same uniforms give the same outputs at the same scenario index
    (so A, B and AB_g of a Saltelli design share each base row's shocks) and
    other outputs at another index (the shocks differ)."""
    plan = build_plan(industry)
    U = plan_uniforms(plan, build_design("random", 2, 64, plan.n_dims), key_from_seed(2), 0, 64)
    cols = iv.columns(T, iv.REVENUE)
    full, _ = evaluate_uniforms(plan, U, cols, seed=2, first=100)
    part, _ = evaluate_uniforms(plan, U[40:], cols, seed=2, first=140)
    np.testing.assert_array_equal(part, full[40:])
    shifted, _ = evaluate_uniforms(plan, U[40:], cols, seed=2, first=141)
    assert not np.array_equal(shifted[:, 0, 1:], full[40:, 0, 1:])


# ------------------------------------------------------------------ sensitivity
@pytest.fixture(scope="module")
def sens(industry):
    return sim.sensitivity(industry, 256, seed=3, tornado_n=128)


def test_sensitivity_layout_and_default_statistic(industry, sens):
    assert sens.attrs["output"] == f"cooled@{LAST}" and sens.attrs["statistic_year"] == LAST
    assert sens.attrs["frame"] == "industry" and sens.attrs["statistic_indicator"] == 1
    assert "model_size" not in sens.dims
    assert sens["sobol_total"].dims == ("parameter",)
    assert sens["tornado_median"].dims == ("parameter", "percentile")
    assert list(sens["parameter"].values) == list(build_plan(industry).sampled_keys)
    assert "incidents" not in sens["parameter"].values
    assert sens.attrs["sobol_incidents"].startswith("not a group")
    for name in sens.data_vars:
        assert sens[name].attrs.get("long_name") and sens[name].attrs.get("units"), name


def test_sensitivity_numbers_are_the_samples(industry, sens):
    """The rank sample is sim.sample's: its mean is P(cooled by the last
    year) over those scenarios, and Spearman's rho is scipy's on them."""
    sample = sim.sample(industry, 256, seed=3)
    cooled = sample["cooled"].isel(year=-1).values
    assert float(sens["mean"]) == cooled.mean()
    for key in (DRIVER, "market.token_price"):
        rho = stats.spearmanr(sample[key].values, cooled).statistic
        np.testing.assert_allclose(float(sens["spearman"].sel(parameter=key)), rho, rtol=1e-10)


def test_the_driver_of_cooling_comes_first(sens):
    """Believed growth decides whether investors value a lab above cost in
    year 1, without which the fever cannot cool: every index ranks it first,
    and more believed growth means more cooling (the tornado's medians of an
    indicator are 0 or 1, so it can only show that the driver's bar spans both)."""
    for score in (sens["sobol_total"], sens["sobol_first"], np.abs(sens["prcc"]),
                  np.abs(sens["spearman"])):
        assert str(score.fillna(-1).idxmax("parameter").values) == DRIVER, score.name
    assert float(sens["spearman"].sel(parameter=DRIVER)) > 0.3
    np.testing.assert_array_equal(sens["tornado_median"].sel(parameter=DRIVER).values, [0.0, 1.0])


def test_a_tornado_bar_is_a_separate_sample(industry, revenue):
    """A bar is sim.sample with the input held at its percentile by a
    one-value distribution (same seed: the same draws, shocks and incidents),
    to the last bit of the median revenue."""
    key = "market.token_price"
    for q in (0.05, 0.95):
        x = float(revenue["tornado_input"].sel(parameter=key, percentile=q))
        alone = sim.sample(industry, 64, seed=1, overrides={key: {"dist": "choice", "values": [x]}})
        assert np.median(alone["revenue"].sel(year=4).values) == \
            float(revenue["tornado_median"].sel(parameter=key, percentile=q))


@pytest.mark.parametrize("text, name, year", [
    (None, "cooled", LAST), ("prob_cooled@2026", "cooled", 2026), ("labs@2023", "labs", 2023),
    ("capex_peak_year", "capex_peak", LAST), ("roi_industry", "roi_industry", None),
    ("prob_industry_loss", "industry_loss", None)])
def test_statistics(text, name, year):
    stat = iv.parse_statistic(text, START, T)
    assert stat.field.name == name and stat.calendar_year == year
    if year is None:
        assert stat.column == iv.SCALAR_BY_NAME[name].index and stat.name == name
    else:
        assert stat.column == iv.column(year - START + 1, iv.FIELD_BY_NAME[name].index)
        assert stat.name == f"{name}@{year}"


@pytest.mark.parametrize("output, message", [
    ("roi", "output: under the industry frame, expected a scalar (roi_industry"),
    ("cooled@2040", "output: expected cooled@YEAR with YEAR a calendar year from 2023 to 2030"),
    ("cooled@soon", "from 2023 to 2030"),
    ("roi_industry@2025", "roi_industry is one number per scenario"),
])
def test_bad_statistics_are_refused(industry, output, message):
    with pytest.raises(SimError, match=message.replace("(", r"\(")):
        sim.sensitivity(industry, 64, output=output)


@pytest.fixture(scope="module")
def revenue(industry):
    return sim.sensitivity(industry, 128, seed=1, output="revenue@2026", tornado_n=64)


def test_another_statistic_and_its_table_charts_and_file(industry, revenue, tmp_path):
    ds = revenue
    assert ds.attrs["output"] == "revenue@2026" and ds.attrs["output_units"] == "USD/year"
    assert ds.attrs["statistic_indicator"] == 0
    sample = sim.sample(industry, 128, seed=1)
    assert float(ds["mean"]) == sample["revenue"].sel(year=4).values.mean()
    text = sensitivity_table(ds, top=4)
    assert text.startswith("sensitivity of revenue@2026 for scenario 'ind_small'")
    assert "\nthe industry: mean $" in text
    for kind in ("tornado", "sobol"):
        fig = sim.plot.draw(ds, kind)
        assert "revenue@2026" in fig._suptitle.get_text()
        assert len([a for a in fig.axes if a.get_visible()]) == 1
    with pytest.raises(SimError, match="no model sizes"):
        sim.plot.draw(ds, "sobol", model_size="1B")
    back = xr.load_dataset(sim.write_netcdf(ds, tmp_path / "sens.nc"))
    np.testing.assert_array_equal(back["sobol_total"].values, ds["sobol_total"].values)
    assert back.attrs["output"] == "revenue@2026"
