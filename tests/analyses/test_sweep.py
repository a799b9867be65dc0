"""Parameter sweeps: grid layout, equality with separate runs, addressing, errors."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

import sim
from sim.cli.main import cli
from sim.kernels import reduce as kernels
from sim.vocab.errors import SimError
from sim.analyses.sweep import parse_values, parse_vary

from sim.testing.scenarios import make_scenario
from sim.testing.compare import assert_same_numbers

N = 4000


@pytest.fixture(scope="module")
def two_key(baseline):
    vary = {"market.competitors.lam": [2.0, 20.0], "costs.gpu_hour_price": "1.5,3,4"}
    return sim.sweep(baseline, vary, n_scenarios=N, seed=3)


def test_two_key_sweep_has_one_dimension_per_key(two_key, baseline):
    ds = two_key
    assert ds["roi_mean"].dims == ("market.competitors.lam", "costs.gpu_hour_price", "model_size")
    assert ds["roi_quantile"].dims[:2] == ("market.competitors.lam", "costs.gpu_hour_price")
    np.testing.assert_array_equal(ds["market.competitors.lam"], [2.0, 20.0])
    np.testing.assert_array_equal(ds["costs.gpu_hour_price"], [1.5, 3.0, 4.0])
    np.testing.assert_array_equal(ds["model_size"], baseline.model_sizes)
    assert ds.attrs["sweep_points"] == 6 and ds.attrs["seed"] == 3
    assert ds.attrs["sweep_keys"] == "market.competitors.lam, costs.gpu_hour_price"
    assert sim.scenario.load.scenario_from_toml_text(ds.attrs["scenario"]) == baseline
    assert ds.attrs["common_random_numbers"].startswith("yes")
    for name in list(ds.data_vars) + list(ds.coords):
        assert ds[name].attrs.get("units") and ds[name].attrs.get("long_name"), name
    assert ds["costs.gpu_hour_price"].attrs["units"] == "USD/GPU-hour"
    assert ds["market.competitors.lam"].attrs["units"] == "models"
    assert "'lam' of the distribution" in ds["market.competitors.lam"].attrs["long_name"]


@pytest.mark.parametrize("i, j", [(0, 0), (1, 2)])
def test_each_point_equals_a_separate_run(two_key, baseline, i, j):
    lam = float(two_key["market.competitors.lam"][i])
    price = float(two_key["costs.gpu_hour_price"][j])
    alone = sim.run(baseline, n_scenarios=N, seed=3,
                    overrides={"market.competitors.lam": lam, "costs.gpu_hour_price": price})
    point = two_key.isel({"market.competitors.lam": i, "costs.gpu_hour_price": j}, drop=True)
    assert_same_numbers(point, alone)


def test_more_rivals_mean_less_share(two_key):
    """The model's direction, point by point (common random numbers)."""
    share = two_key["market_share_mean"].isel(model_size=0)
    assert np.all(share.sel({"market.competitors.lam": 20.0}) < share.sel({"market.competitors.lam": 2.0}))


def test_whole_parameter_values_scale_compute_cost_by_hand():
    """Compute cost = R_ref x^b o p_h / (3600 F u_tr), linear in the swept price."""
    sc = make_scenario()
    ds = sim.sweep(sc, {"costs.gpu_hour_price": [1.0, 2.0, 4.0]}, n_scenarios=500, seed=0)
    x = np.asarray(sc.model_sizes) / 1e9
    per_dollar = 1.2e20 * x**2.0 * 2.0 / (3600 * 9.89e14 * 0.4)
    for price in (1.0, 2.0, 4.0):
        np.testing.assert_allclose(ds["compute_cost_mean"].sel({"costs.gpu_hour_price": price}),
                                   price * per_dollar, rtol=1e-12)


def test_distribution_field_addressing_with_common_random_numbers():
    """p_h = low + (high - low) u with the same u at every point, so with
    low = 1 the mean compute cost is K (1 + (high - 1) mean(u)): the point at
    high = 5 equals 2 * (point at high = 3) - K exactly, where K is the cost at
    p_h = 1 by hand."""
    sc = make_scenario(costs__gpu_hour_price={"dist": "uniform", "low": 1.0, "high": 3.0})
    ds = sim.sweep(sc, {"costs.gpu_hour_price.high": [3.0, 5.0]}, n_scenarios=3000, seed=5)
    x = np.asarray(sc.model_sizes) / 1e9
    k = 1.2e20 * x**2.0 * 2.0 / (3600 * 9.89e14 * 0.4)
    c = ds["compute_cost_mean"]
    c3, c5 = c.isel({"costs.gpu_hour_price.high": 0}), c.isel({"costs.gpu_hour_price.high": 1})
    np.testing.assert_allclose(c5, 2 * c3 - k, rtol=1e-9)
    assert np.all(c3 > 1.9 * k) and np.all(c3 < 2.1 * k)  # mean(u) near 1/2
    assert ds["costs.gpu_hour_price.high"].attrs["units"] == "USD/GPU-hour"


def test_netcdf_round_trip_keeps_dotted_names(two_key, tmp_path):
    path = sim.write_netcdf(two_key, tmp_path / "sweep.nc")
    with xr.open_dataset(path) as back:
        assert back["roi_mean"].dims == two_key["roi_mean"].dims
        xr.testing.assert_identical(back.load(), two_key)


def test_kernels_compile_once_for_a_sweep(baseline):
    sim.run(baseline, n_scenarios=100, seed=0)
    before = len(kernels.reduce_chunk.signatures)
    sim.sweep(baseline, {"market.hype": [1.0, 2.0], "costs.gpu_hour_price.p95": [4.0, 6.0],
                         "horizon_years": [3, 5]}, n_scenarios=100)
    assert len(kernels.reduce_chunk.signatures) == before


def test_horizon_sweep_says_numbers_are_not_shared(baseline):
    ds = sim.sweep(baseline, {"horizon_years": [3, 5]}, n_scenarios=200)
    assert ds.attrs["common_random_numbers"].startswith("no")
    assert ds["horizon_years"].attrs["units"] == "years"


@pytest.mark.parametrize("text, expected", [
    ("1,2,4", [1.0, 2.0, 4.0]),
    (" 3 ", [3.0]),
    ("1e9, 3e9", [1e9, 3e9]),
    ("linspace(0, 1, 5)", [0.0, 0.25, 0.5, 0.75, 1.0]),
    ("logspace(0,2,3)", [1.0, 10.0, 100.0]),
])
def test_parse_values(text, expected):
    np.testing.assert_allclose(parse_values(text), expected, rtol=1e-15)


def test_parse_vary_splits_at_the_first_equals():
    key, values = parse_vary("costs.gpu_hour_price.p95=linspace(3, 9, 3)")
    assert key == "costs.gpu_hour_price.p95"
    np.testing.assert_array_equal(values, [3.0, 6.0, 9.0])


@pytest.mark.parametrize("vary, overrides, message", [
    ({"market.hype": []}, {}, "non-empty"),
    ({"market.hype": [1.0, float("nan")]}, {}, "finite"),
    ({"market.hype": "1,1"}, {}, "distinct"),
    ({"grid.model_sizes": [1e9]}, {}, "already a dimension"),
    ({"market.hype": [1.0, 2.0]}, {"market.hype": 3.0}, "both set and varied"),
    ({"costs.gpu_hour_price": [1.0], "costs.gpu_hour_price.p95": [4.0]}, {}, "varied as a whole"),
    ({"finance.discount_rate.p5": [1.0]}, {}, "not a distribution"),
    ({}, {}, "at least one"),
])
def test_bad_sweeps_raise_clear_errors(baseline, vary, overrides, message):
    with pytest.raises(SimError, match=message):
        sim.sweep(baseline, vary, n_scenarios=100, overrides=overrides)


# ------------------------------------------------------------------ command line
def test_cli_sweep_prints_table_and_writes_file(tmp_path):
    out = tmp_path / "sweep.nc"
    result = CliRunner().invoke(cli, ["sweep", "baseline", "--vary", "market.competitors.lam=2,20",
                                      "--vary", "costs.gpu_hour_price.p95=linspace(4, 8, 2)",
                                      "-n", "2000", "--seed", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "4 points x 2,000 scenarios" in result.output and "wrote" in result.output
    assert "market.competitors.lam" in result.output and "100M" in result.output
    with xr.open_dataset(out) as ds:
        assert ds["roi_mean"].dims == ("market.competitors.lam", "costs.gpu_hour_price.p95",
                                       "model_size")
        np.testing.assert_array_equal(ds["costs.gpu_hour_price.p95"], [4.0, 8.0])


@pytest.mark.parametrize("vary, needle", [
    (["nonsense"], "--vary: expected KEY=VALUES"),
    (["market.hype="], "--vary market.hype: expected numbers separated by commas"),
    (["market.hype=1,,2"], "--vary market.hype: expected numbers"),
    (["market.hype=hot,cold"], "--vary market.hype: expected numbers"),
    (["market.hype=linspace(1,2)"], "expected linspace(a, b, k)"),
    (["market.hype=logspace(0,1,2.5)"], "expected logspace(a, b, k)"),
    (["market.hype=linspace(1,2,0)"], "expected linspace(a, b, k)"),
    (["market.hyp=1,2"], "did you mean 'market.hype'"),
    (["market.hype=-1,2"], "market.hype: expected a number in (0, 1e+06]"),
    (["market.hype=1,2", "market.hype=3"], "--vary market.hype: given twice"),
])
def test_bad_vary_is_one_clear_message(vary, needle, tmp_path):
    out = tmp_path / "never.nc"
    args = ["sweep", "baseline", "-n", "100", "-o", str(out)]
    for v in vary:
        args += ["--vary", v]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_cli_sweep_needs_a_vary():
    result = CliRunner().invoke(cli, ["sweep", "baseline"])
    assert result.exit_code == 2 and "--vary" in result.output


def test_cli_sweep_checks_the_output_directory_first(tmp_path):
    result = CliRunner().invoke(cli, ["sweep", "baseline", "--vary", "market.hype=1,2",
                                      "-o", str(tmp_path / "no" / "x.nc")])
    assert result.exit_code == 2 and "does not exist" in result.output
    assert "sweep of scenario" not in result.output
