"""sim calibrate: predictive intervals against observed models.

Two rows of the bundled table are checked against closed-form predictive
distributions (scipy.stats), within a Monte Carlo tolerance derived from the
standard error of an empirical quantile or CDF at the number of draws.
"""

from __future__ import annotations

import math
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner
from scipy import stats

import sim
from sim.analyses.calibrate import BUNDLED_SOURCE, REQUIRED_COLUMNS, calibration_table, eng, percentile_of
from sim.cli.main import cli

from sim.testing.scenarios import make_scenario

N = 20_000
Z = 5.0  # Monte Carlo tolerance in standard errors
F_PK, U_TR, R_REF, N_REF = 9.89e14, 0.4, 1.2e20, 1e9


def _quantile_tol(p: float, density: float, n: int = N) -> float:
    """Standard error of the empirical p-quantile: sqrt(p(1-p)/n) / f(q_p)."""
    return math.sqrt(p * (1 - p) / n) / density


def _cdf_tol(F: float, n: int = N) -> float:
    return math.sqrt(max(F * (1 - F), 1 / n) / n)


def _row(ds: xr.Dataset, model: str, check: str) -> xr.Dataset:
    mask = (ds["model"] == model) & (ds["check"] == check)
    assert int(mask.sum()) == 1, (model, check)
    return ds.isel(row=int(np.flatnonzero(mask.values)[0]))


@pytest.fixture(scope="module")
def two_keys():
    """Constants except b ~ normal(1.5, 0.05) and p_h ~ lognormal(median 6, sigma 0.4)."""
    scenario = make_scenario(
        scaling__compute_exponent={"dist": "normal", "mean": 1.5, "sd": 0.05},
        costs__gpu_hour_price={"dist": "lognormal", "median": 6.0, "sigma": 0.4})
    return sim.calibrate(scenario, n_scenarios=N, seed=0)


def test_gpt3_compute_row_by_hand(two_keys):
    """GPT-3 175B: log R_final = log R_ref + b log x with b normal, so R is
    lognormal; the reported 3.14e23 FLOP sits at Phi((b_obs - 1.5) / 0.05)."""
    row = _row(two_keys, "GPT-3 175B", "compute")
    n_params, flops = 1.75e11, 3.14e23
    log_x = math.log(n_params / N_REF)
    b = stats.norm(1.5, 0.05)
    for p in (0.05, 0.5, 0.95):
        expected = math.log(R_REF) + b.ppf(p) * log_x
        got = math.log(float(row["predicted_quantile"].sel(quantile=p)))
        tol = Z * _quantile_tol(p, b.pdf(b.ppf(p))) * log_x
        assert got == pytest.approx(expected, abs=tol), p
    b_obs = math.log(flops / R_REF) / log_x
    F = b.cdf(b_obs)  # 0.68
    assert 0.6 < F < 0.75
    assert float(row["percentile"]) == pytest.approx(F, abs=Z * _cdf_tol(F))
    assert bool(row["inside_90"])
    assert float(row["observed"]) == flops
    assert float(row["six_nd_ratio"]) == pytest.approx(6 * n_params * 3e11 / flops)
    assert int(row["year"]) == 2020


def test_gopher_cost_row_by_hand(two_keys):
    """Gopher 280B, cloud rental: cost = FLOP * p_h / (3600 F_pk u_tr) is
    lognormal with median FLOP * 6 / (3600 F_pk u_tr) and sigma 0.4."""
    row = _row(two_keys, "Gopher 280B", "cost")
    flops, cost = 6.31e23, 3509187.0
    median = flops * 6.0 / (3600 * F_PK * U_TR)
    dist = stats.lognorm(s=0.4, scale=median)
    z = stats.norm()
    for p in (0.05, 0.5, 0.95):
        got = math.log(float(row["predicted_quantile"].sel(quantile=p)))
        tol = Z * _quantile_tol(p, z.pdf(z.ppf(p))) * 0.4  # in log units
        assert got == pytest.approx(math.log(dist.ppf(p)), abs=tol), p
    F = dist.cdf(cost)  # 0.76
    assert 0.7 < F < 0.85
    assert float(row["percentile"]) == pytest.approx(F, abs=Z * _cdf_tol(F))
    assert bool(row["inside_90"])
    assert float(row["observed"]) == cost
    assert str(row["cost_basis"].values) == "cloud_rental_final_run_inflation_adj"
    assert float(row["implied_usd_per_flop"]) == pytest.approx(cost / flops)


def test_constant_prediction_ties_count_half(two_keys):
    """Chinchilla 70B tokens: D_ref x^a with constants is exactly 1.4e12, the
    reported value; every draw ties, so the percentile is 1/2 and it is inside."""
    row = _row(two_keys, "Chinchilla 70B", "tokens")
    assert float(row["observed"]) == 1.4e12
    np.testing.assert_array_equal(row["predicted_quantile"].values, 1.4e12)
    assert float(row["percentile"]) == 0.5
    assert bool(row["inside_90"])


def test_percentile_is_mid_rank():
    d = np.array([1.0, 2.0, 2.0, 3.0])
    assert percentile_of(d, 2.0) == 0.5
    assert percentile_of(d, 0.5) == 0.0
    assert percentile_of(d, 3.5) == 1.0
    assert percentile_of(d, 3.0) == 0.875


def test_each_model_counted_once_in_compute_and_tokens(two_keys):
    for check in ("compute", "tokens"):
        models = two_keys["model"].values[two_keys["check"].values == check]
        assert len(models) == len(set(models))
    # GPT-3 has four rows (four cost bases) but one cloud-rental row
    assert int(((two_keys["model"] == "GPT-3 175B") & (two_keys["check"] == "cost")).sum()) == 1


# ------------------------------------------------------------------ coverage
def _median_cost(flops: float, price: float = 2.5) -> float:
    return flops * price / (3600 * F_PK * U_TR)


@pytest.fixture
def small_table(tmp_path) -> Path:
    c1, c5 = _median_cost(1.2e22), _median_cost(1.2e20)
    text = "\n".join([
        ("model,organization,year,parameters,training_tokens,training_flops,"
         "cost_usd_low,cost_usd_central,cost_usd_high,cost_basis,source"),
        f"m1,o,2020,1e10,2e11,1.2e22,,{c1!r},,cloud_rental_final_run,s",
        f"m1,o,2020,1e10,2e11,1.2e22,,{100 * c1!r},,amortized_hw_energy_final_run_2023USD,s",
        (f"m2,o,2021,1e11,unverified,1.2e25,,{100 * _median_cost(1.2e25)!r},,"
         "cloud_rental_final_run_inflation_adj,s"),
        "m3,o,2022,unverified,unverified,1e24,,unverified,,cloud_rental_final_run,s",
        "m4,o,2023,,,,,5e6,,cloud_rental_final_run,\"a, quoted source\"",
        f"m5,o,2023,1e9,2e10,1.2e20,1,{c5 / 100!r},1e9,cloud_rental_final_run,s",
    ]) + "\n"
    path = tmp_path / "models.csv"
    path.write_text(text)
    return path


@pytest.fixture
def spread_scenario():
    return make_scenario(
        scaling__compute_exponent={"dist": "normal", "mean": 2.0, "sd": 0.1},
        costs__gpu_hour_price={"dist": "lognormal", "median": 2.5, "sigma": 0.3})


def test_coverage_arithmetic_and_skipped_rows(small_table, spread_scenario):
    ds = sim.calibrate(spread_scenario, models=small_table, n_scenarios=4000, seed=1)
    inside = {(m, c): bool(v) for m, c, v in
              zip(ds["model"].values, ds["check"].values, ds["inside_90"].values)
              if c != "price"}  # the bundled list prices: tests/analyses/test_calibrate_v3.py
    assert inside == {
        ("m1", "compute"): True, ("m2", "compute"): False, ("m5", "compute"): True,
        ("m1", "tokens"): True, ("m5", "tokens"): True,
        ("m1", "cost"): True, ("m2", "cost"): False, ("m5", "cost"): False,
    }
    a = ds.attrs
    assert (a["inside_compute"], a["rows_compute"]) == (2, 3)
    assert a["coverage_compute"] == pytest.approx(2 / 3)
    assert (a["inside_tokens"], a["rows_tokens"], a["coverage_tokens"]) == (2, 2, 1.0)
    assert (a["inside_cost"], a["rows_cost"]) == (1, 3)
    assert a["coverage_cost"] == pytest.approx(1 / 3)
    assert (a["skipped_compute"], a["skipped_tokens"], a["skipped_cost"]) == (3, 4, 3)
    assert a["models_rows"] == 6
    skipped = a["skipped"].splitlines()
    assert "compute: 1 same model and numbers as an earlier row (counted once)" in skipped
    assert "compute: 1 no parameters" in skipped
    assert "compute: 1 no parameters and no training_flops" in skipped
    assert "tokens: 1 no training_tokens" in skipped
    assert "tokens: 2 no parameters and no training_tokens" in skipped
    assert "cost: 1 cost basis is not a rental cost of the final run" in skipped
    assert "cost: 1 no cost_usd_central" in skipped
    assert "cost: 1 no training_flops" in skipped
    m5 = _row(ds, "m5", "cost")
    assert (float(m5["observed_low"]), float(m5["observed_high"])) == (1.0, 1e9)
    assert float(m5["percentile"]) < 0.05
    table = calibration_table(ds)
    assert "compute    2 of 3   inside (67%); 3 of 6 rows skipped" in table
    assert "cost       1 of 3   inside (33%)" in table
    assert "1-1.00e9" in table  # the reported range of m5


def test_predictions_use_the_scenarios_correlated_draws(small_table):
    """The cost interval is that of the joint draws of sim.sample, rank
    correlation included, not of independent marginals."""
    key = "correlation(costs.gpu_hour_price, costs.training_utilization)"
    corr = sim.calibrate("baseline", models=small_table, n_scenarios=5000, seed=2,
                         overrides={key: 0.9})
    draws = sim.sample("baseline", n_scenarios=5000, seed=2, overrides={key: 0.9})
    cost = 1.2e22 * draws["costs.gpu_hour_price"].values / (
        3600 * 9.89e14 * draws["costs.training_utilization"].values)
    row = _row(corr, "m1", "cost")
    np.testing.assert_allclose(row["predicted_quantile"].values,
                               np.quantile(cost, [0.05, 0.5, 0.95]), rtol=1e-12)
    plain = _row(sim.calibrate("baseline", models=small_table, n_scenarios=5000, seed=2),
                 "m1", "cost")
    def width(r):
        return float(r["predicted_quantile"][2] / r["predicted_quantile"][0])

    assert width(row) < 0.8 * width(plain)  # price and utilization offset each other


def test_six_nd_rule_predicts_from_the_scenarios_tokens(small_table):
    """Under compute_rule "6ND" the interval is 6 N D_ref x^a (constants here:
    a point), whatever the row's own tokens."""
    six_nd = make_scenario(scaling__compute_rule="6ND", scaling__compute_exponent="unset",
                           scaling__flops_at_reference="unset",
                           costs__gpu_hour_price={"dist": "lognormal", "median": 2.5, "sigma": 0.3})
    ds = sim.calibrate(six_nd, models=small_table, n_scenarios=1000, seed=0)
    assert ds.attrs["compute_rule"] == "6ND"
    m2 = _row(ds, "m2", "compute")  # N = 1e11: 6 * 1e11 * 2e10 * 100
    np.testing.assert_allclose(m2["predicted_quantile"].values, 1.2e24, rtol=1e-12)
    assert float(m2["percentile"]) == 1.0 and not bool(m2["inside_90"])
    assert np.isnan(float(m2["six_nd_ratio"]))  # m2 has no tokens
    m1 = _row(ds, "m1", "compute")
    assert float(m1["six_nd_ratio"]) == pytest.approx(1.0)


# ------------------------------------------------------------------ command line
@pytest.fixture
def runner():
    return CliRunner()


def test_cli_baseline_reports_and_writes_netcdf(runner, tmp_path):
    out = tmp_path / "calibration.nc"
    result = runner.invoke(cli, ["calibrate", "-n", "5000", "--seed", "4", "-o", str(out)])
    assert result.exit_code == 0, result.output  # exits 0 whatever the coverage
    for text in ("GPT-3 175B", "3.14e23", "coverage of the 90% predictive intervals",
                 f"compute rule '{sim.load_scenario('baseline').compute_rule}'", BUNDLED_SOURCE, f"wrote {out}"):
        assert text in result.output
    with xr.open_dataset(out) as ds:
        ref = sim.calibrate("baseline", n_scenarios=5000, seed=4)
        np.testing.assert_array_equal(ds["percentile"].values, ref["percentile"].values)
        np.testing.assert_array_equal(ds["predicted_quantile"].values,
                                      ref["predicted_quantile"].values)
        assert list(ds["model"].values) == list(ref["model"].values)
        assert ds["inside_90"].dtype == bool
        assert ds.attrs["coverage_cost"] == ref.attrs["coverage_cost"]
        assert ds.attrs["models_source"] == BUNDLED_SOURCE
        assert 'name = "baseline"' in ds.attrs["scenario"]
    assert [p.name for p in tmp_path.iterdir()] == ["calibration.nc"]


def test_cli_set_changes_the_cost_interval(runner, small_table):
    base = runner.invoke(cli, ["calibrate", "--models", str(small_table), "-n", "2000"])
    a100 = runner.invoke(cli, ["calibrate", "--models", str(small_table), "-n", "2000",
                               "--set", "costs.gpu_peak_flops=3.12e14"])
    assert base.exit_code == a100.exit_code == 0, a100.output
    assert base.output != a100.output


HEADER = "model,year,parameters,training_tokens,training_flops,cost_usd_central,cost_basis\n"


@pytest.mark.parametrize("content, needle", [
    (None, "no such models file"),
    ("model,year,parameters\nx,2020,1e9\n", "missing column(s) training_tokens, training_flops"),
    (HEADER + "m1,2020,lots,2e11,1e22,1e6,cloud_rental_final_run\n",
     ("line 2 (m1), column parameters: expected a positive number, empty or "
      "'unverified', got 'lots'")),
    (HEADER + "m1,2020,1e10,2e11,1e22,-5,cloud_rental_final_run\n",
     "column cost_usd_central: expected a positive number"),
    (HEADER + "m1,soon,1e10,2e11,1e22,1e6,cloud_rental_final_run\n", "column year: expected a year"),
])
def test_bad_models_file_is_one_message(runner, tmp_path, content, needle):
    path = tmp_path / "models.csv"
    if content is not None:
        path.write_text(content)
    out = tmp_path / "never.nc"
    result = runner.invoke(cli, ["calibrate", "--models", str(path), "-n", "100",
                                 "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert str(path) in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_bad_models_file_from_python(tmp_path):
    with pytest.raises(sim.SimError, match="no such models file"):
        sim.calibrate("baseline", models=tmp_path / "none.csv", n_scenarios=100)


def test_output_into_missing_directory(runner, tmp_path):
    result = runner.invoke(cli, ["calibrate", "-n", "100", "-o", str(tmp_path / "no" / "x.nc")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


# ------------------------------------------------------------------ the bundled table
def test_bundled_table_is_found_as_package_data():
    path = resources.files("sim.data").joinpath("notable_models.csv")
    assert path.is_file()
    text = path.read_text(encoding="utf-8")
    header = text.splitlines()[0].split(",")
    assert set(REQUIRED_COLUMNS) <= set(header)
    ds = sim.calibrate("baseline", n_scenarios=200, seed=0)
    assert ds.attrs["models_source"] == BUNDLED_SOURCE
    assert ds.attrs["models_rows"] == len(text.strip().splitlines()) - 1


def test_pyproject_ships_the_bundled_table():
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    config = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]
    packages = config.get("packages", [])
    if isinstance(packages, list):  # an explicit list must name the data package
        assert "sim.data" in packages
    assert "*.csv" in config["package-data"]["sim.data"]


def test_engineering_notation():
    assert eng(3.14e23) == "3.14e23"
    assert eng(4324883) == "4.32e6"
    assert eng(1.64e-18) == "1.64e-18"
    assert eng(175) == "175"
    assert eng(0.084) == "0.084"
    assert eng(float("nan")) == "-"
