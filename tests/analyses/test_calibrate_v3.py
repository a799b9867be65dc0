"""sim calibrate under model v3: active parameters and list prices.

The compute check of a mixture-of-experts row follows its active parameters
(specification section 13); dense rows keep v2's numbers exactly. The price
check compares the scenario's year-1 price per output token with list prices
of open-weight models. Expectations are hand computations on scenarios of
constants, closed-form distributions (scipy.stats) within a Monte Carlo
tolerance, or the v2 formula evaluated on the draws of sim.sample.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner
from scipy import stats

import sim
from sim.analyses.calibrate import (PRICES_SOURCE, calibration_table, eng, parse_models,
                                    parse_prices, read_models, read_prices)
from sim.cli.main import cli
from sim.testing.scenarios import make_scenario

Q = [0.05, 0.5, 0.95]
N_REF, D_REF, A, R_REF, B = 1e9, 2e10, 1.0, 1.2e20, 2.0  # sim.testing.scenarios.CONSTANTS
TOKEN_PRICE = 2e-6  # market.token_price in CONSTANTS, USD per output token
SIX_ND = {"scaling__compute_rule": "6ND", "scaling__compute_exponent": "unset",
          "scaling__flops_at_reference": "unset"}
PRICE_HEADER = ("model,organization,date,parameters,active_parameters,usd_per_million_output,"
                "usd_per_million_input,provider,source\n")


def _row(ds: xr.Dataset, model: str, check: str, provider: str | None = None) -> xr.Dataset:
    mask = (ds["model"] == model) & (ds["check"] == check)
    if provider is not None:
        mask &= ds["provider"] == provider
    assert int(mask.sum()) == 1, (model, check, provider)
    return ds.isel(row=int(np.flatnonzero(mask.values)[0]))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def no_prices(tmp_path) -> Path:
    """A list-prices table with no rows: the price check compares nothing."""
    return _write(tmp_path, "no_prices.csv", PRICE_HEADER)


# ------------------------------------------------------------------ compute from N_act
# (model, total N, active N): rows of the bundled table.
MOE_ROWS = [("DeepSeek-V3", 6.71e11, 3.7e10), ("Llama 4 Maverick", 4.0e11, 1.7e10)]


@pytest.mark.parametrize("model, total, active", MOE_ROWS)
def test_moe_compute_row_by_hand_6nd(model, total, active, no_prices):
    """6ND: R = 6 * N_act * D_ref * (N / N_ref)**a, tokens on the total N."""
    ds = sim.calibrate(make_scenario(**SIX_ND), prices=no_prices, n_scenarios=200, seed=0)
    row = _row(ds, model, "compute")
    expected = 6 * active * D_REF * (total / N_REF) ** A
    np.testing.assert_allclose(row["predicted_quantile"].values, expected, rtol=1e-12)
    # DeepSeek-V3: 6 * 37e9 * 2e10 * 671 = 2.98e24, not 6 * 671e9 * ... = 5.4e25
    if model == "DeepSeek-V3":
        assert expected == pytest.approx(2.97924e24)
    assert float(row["active_parameters"]) == active
    assert float(row["parameters"]) == total
    tokens = _row(ds, model, "tokens")  # the data rule stays on total N
    np.testing.assert_allclose(tokens["predicted_quantile"].values,
                               D_REF * (total / N_REF) ** A, rtol=1e-12)


@pytest.mark.parametrize("model, total, active", MOE_ROWS)
def test_moe_compute_row_by_hand_power(model, total, active, no_prices):
    """power: R = R_ref * (N_act / N_ref)**b."""
    ds = sim.calibrate(make_scenario(), prices=no_prices, n_scenarios=200, seed=0)
    assert ds.attrs["compute_rule"] == "power"
    row = _row(ds, model, "compute")
    expected = R_REF * (active / N_REF) ** B
    np.testing.assert_allclose(row["predicted_quantile"].values, expected, rtol=1e-12)
    if model == "DeepSeek-V3":
        assert expected == pytest.approx(1.2e20 * 37 ** 2)


def test_six_nd_point_uses_active_parameters(no_prices):
    """DeepSeek-V3: 6 * 37e9 * 14.8e12 = 3.29e24 against Epoch AI's 3.41e24."""
    ds = sim.calibrate(make_scenario(), prices=no_prices, n_scenarios=200, seed=0)
    row = _row(ds, "DeepSeek-V3", "compute")
    assert float(row["six_nd_observed"]) == pytest.approx(6 * 3.7e10 * 1.48e13)
    assert float(row["six_nd_ratio"]) == pytest.approx(3.2856e24 / 3.4078e24)
    assert float(row["observed"]) == 3.4078e24


def test_table_shows_the_active_count_only_where_it_differs(no_prices):
    ds = sim.calibrate(make_scenario(**SIX_ND), prices=no_prices, n_scenarios=200, seed=0)
    lines = calibration_table(ds).splitlines()
    header = next(line for line in lines if line.startswith("model") and "6ND/rep" in line)
    assert header.rstrip().endswith("N_act")
    deepseek = next(line for line in lines if line.startswith("DeepSeek-V3"))
    assert deepseek.rstrip().endswith("3.70e10")
    gpt3 = next(line for line in lines if line.startswith("GPT-3 175B"))
    ratio = float(_row(ds, "GPT-3 175B", "compute")["six_nd_ratio"])
    assert gpt3.split()[-1] == eng(ratio)  # a dense row: no active count after 6ND/rep
    assert "6 N_act D_ref x^a" in "\n".join(lines)


# ------------------------------------------------------------------ dense rows unchanged
def test_dense_rows_keep_the_v2_prediction_on_the_baseline(no_prices):
    """Every dense compute row equals v2's 6 N D_ref x^a on the same draws,
    bit for bit."""
    n, seed = 4000, 3
    ds = sim.calibrate("baseline", prices=no_prices, n_scenarios=n, seed=seed)
    draws = sim.sample("baseline", n_scenarios=n, seed=seed)
    baseline = sim.load_scenario("baseline")

    def values(key):  # a sampled key's draws, or a constant's value
        return draws[key].values if key in draws else np.full(n, float(baseline.values[key]))

    a, d_ref = values("scaling.data_exponent"), values("scaling.tokens_at_reference")
    assert np.ptp(a) > 0  # the exponent is uncertain: a real interval, not a point
    n_ref = baseline.reference_size
    compute = np.flatnonzero(ds["check"].values == "compute")
    dense = [i for i in compute
             if ds["active_parameters"].values[i] == ds["parameters"].values[i]]
    assert len(dense) >= 10
    for i in dense:
        N = float(ds["parameters"].values[i])
        v2 = np.sort(6.0 * N * d_ref * (N / n_ref) ** a)
        np.testing.assert_array_equal(ds["predicted_quantile"].values[i], np.quantile(v2, Q))


def test_dense_rows_keep_the_v2_prediction_under_the_power_rule(no_prices):
    scenario = make_scenario(scaling__compute_exponent={"dist": "normal", "mean": 2.0, "sd": 0.1})
    ds = sim.calibrate(scenario, prices=no_prices, n_scenarios=3000, seed=5)
    b = sim.sample(scenario, n_scenarios=3000, seed=5)["scaling.compute_exponent"].values
    row = _row(ds, "GPT-3 175B", "compute")
    v2 = np.sort(R_REF * (1.75e11 / N_REF) ** b)
    np.testing.assert_array_equal(row["predicted_quantile"].values, np.quantile(v2, Q))


MODELS_HEADER = "model,year,parameters,{active}training_tokens,training_flops,cost_usd_central,cost_basis\n"


def test_a_table_without_the_active_column_is_dense(tmp_path, no_prices):
    """An older file (no active_parameters column) and a file whose active
    count is empty or equals the total give the same numbers."""
    rows = ["m1,2022,1e11,{}2e12,1.2e24,,none_found", "m2,2023,4e11,{}2e13,1e24,,none_found"]
    old = _write(tmp_path, "old.csv", MODELS_HEADER.format(active="")
                 + "\n".join(r.format("") for r in rows) + "\n")
    empty = _write(tmp_path, "empty.csv", MODELS_HEADER.format(active="active_parameters,")
                   + "\n".join(r.format(",") for r in rows) + "\n")
    equal = _write(tmp_path, "equal.csv", MODELS_HEADER.format(active="active_parameters,")
                   + "\n".join(r.format(n + ",") for r, n in zip(rows, ("1e11", "4e11"))) + "\n")
    scenario = make_scenario(**SIX_ND, scaling__data_exponent={"dist": "normal", "mean": 1.0,
                                                                "sd": 0.2})
    results = [sim.calibrate(scenario, models=path, prices=no_prices, n_scenarios=500, seed=1)
               for path in (old, empty, equal)]
    for other in results[1:]:
        np.testing.assert_array_equal(other["predicted_quantile"].values,
                                      results[0]["predicted_quantile"].values)
    np.testing.assert_array_equal(results[0]["active_parameters"].values,
                                  results[0]["parameters"].values)
    rows_read, _ = read_models(old)
    assert [r.active for r in rows_read] == [1e11, 4e11]


# ------------------------------------------------------------------ bundled tables
def test_bundled_models_carry_the_moe_counts():
    rows, _ = read_models()
    active = {r.model: (r.get("parameters"), r.get("active_parameters")) for r in rows
              if r.get("active_parameters") is not None}
    assert active == {"DeepSeek-V3": (6.71e11, 3.7e10), "Mixtral 8x7B": (4.67e10, 1.29e10),
                      "Qwen3-235B-A22B": (2.35e11, 2.2e10), "Llama 4 Scout": (1.09e11, 1.7e10),
                      "Llama 4 Maverick": (4.0e11, 1.7e10)}
    flops = {r.model: r.get("training_flops") for r in rows if r.model in active}
    assert flops["Qwen3-235B-A22B"] == pytest.approx(6 * 22e9 * 36e12)  # Epoch AI: 6 N_act D
    assert flops["Llama 4 Maverick"] == pytest.approx(6 * 17e9 * 22e12)


def test_bundled_list_prices():
    rows, source = read_prices()
    assert source == PRICES_SOURCE
    assert len(rows) >= 10
    for r in rows:
        assert r.get("parameters") is not None and r.get("usd_per_million_output") is not None
        assert r.active <= r.get("parameters")
        assert r.provider
    deepseek = [r for r in rows if r.model == "DeepSeek-V3" and r.provider == "DeepSeek API"]
    assert len(deepseek) == 1 and deepseek[0].get("usd_per_million_output") == 1.10
    assert deepseek[0].active == 3.7e10


# ------------------------------------------------------------------ the price check
@pytest.fixture
def small_prices(tmp_path) -> Path:
    return _write(tmp_path, "prices.csv", PRICE_HEADER + "\n".join([
        "dense,o,2024-07,7e10,,0.88,0.88,host,s",
        "at par,o,2025,4e11,1.7e10,2.0,0.5,host,s",
        "closed,o,2024-05-13,unverified,,10,2.5,vendor,s",
        "no price,o,2025-01,8e9,,,0.1,host,s",
    ]) + "\n")


def test_price_rows_by_hand_constant_scenario(small_prices):
    """theta = 0 (v2), no release delay: every model's year-1 price is the
    tier's, market.token_price, whatever its size: 2e-6 USD = $2 per million."""
    ds = sim.calibrate(make_scenario(), prices=small_prices, n_scenarios=300, seed=0)
    dense, par = _row(ds, "dense", "price"), _row(ds, "at par", "price")
    for row in (dense, par):
        np.testing.assert_allclose(row["predicted_quantile"].values, TOKEN_PRICE * 1e6, rtol=1e-12)
    assert float(dense["observed"]) == 0.88 and float(dense["percentile"]) == 0.0
    assert not bool(dense["inside_90"])
    assert float(par["percentile"]) == 0.5 and bool(par["inside_90"])  # every draw ties
    assert float(par["active_parameters"]) == 1.7e10 and float(par["parameters"]) == 4e11
    assert float(par["usd_per_million_input"]) == 0.5
    assert int(par["year"]) == 2025 and str(par["provider"].values) == "host"
    a = ds.attrs
    assert (a["rows_price"], a["inside_price"], a["skipped_price"]) == (2, 1, 2)
    assert a["coverage_price"] == 0.5 and a["prices_rows"] == 4
    skipped = a["skipped"].splitlines()
    assert "price: 1 no parameters (size not public)" in skipped
    assert "price: 1 no usd_per_million_output" in skipped
    table = calibration_table(ds)
    assert "price      1 of 2   inside (50%); 2 of 4 rows skipped" in table
    assert "price per million output tokens" in table


def test_price_rows_take_the_input_tokens_out(small_prices):
    """The year-1 price is per output token with r_in input tokens included:
    at r_in = 3 the row "at par" (input 0.5, output 2.0 per million) implies
    an output list price of 2 / (1 + 3 * 0.25) = 1.142857; a row without an
    input price cannot be compared."""
    no_input = _write(small_prices.parent, "no_input.csv", small_prices.read_text()
                      + "no input,o,2025,4e11,1.7e10,2.0,,host,s\n")
    ds = sim.calibrate(make_scenario(costs__input_ratio=3.0), prices=no_input,
                       n_scenarios=300, seed=0)
    par, dense = _row(ds, "at par", "price"), _row(ds, "dense", "price")
    np.testing.assert_allclose(par["predicted_quantile"].values, 2.0 / 1.75, rtol=1e-12)
    np.testing.assert_allclose(dense["predicted_quantile"].values, 2.0 / 4.0, rtol=1e-12)
    assert ("price: 1 no usd_per_million_input (the scenario's price includes input tokens)"
            in ds.attrs["skipped"].splitlines())
    assert ds.attrs["rows_price"] == 2
    plain = sim.calibrate(make_scenario(), prices=no_input, n_scenarios=300, seed=0)
    assert plain.attrs["rows_price"] == 3  # r_in = 0 (v2): the output price alone
    np.testing.assert_allclose(_row(plain, "no input", "price")["predicted_quantile"].values,
                               2.0, rtol=1e-12)


def test_price_quantiles_follow_the_token_price(small_prices):
    """theta = 0: the year-1 price is market.token_price; lognormal with median
    1e-6 and sigma 0.5 gives quantiles 1e6 * exp(log 1e-6 + 0.5 z_p)."""
    n = 20_000
    scenario = make_scenario(market__token_price={"dist": "lognormal", "median": 1e-6,
                                                  "sigma": 0.5})
    ds = sim.calibrate(scenario, prices=small_prices, n_scenarios=n, seed=2)
    row = _row(ds, "dense", "price")
    z = stats.norm()
    for k, p in enumerate(Q):
        se = math.sqrt(p * (1 - p) / n) / z.pdf(z.ppf(p)) * 0.5  # in log units
        got = math.log(float(row["predicted_quantile"].values[k]))
        assert got == pytest.approx(0.5 * z.ppf(p), abs=5 * se), p
    F = stats.norm.cdf(math.log(0.88) / 0.5)  # 0.40
    assert float(row["percentile"]) == pytest.approx(F, abs=5 * math.sqrt(F * (1 - F) / n))
    assert bool(row["inside_90"])


def test_price_rows_are_the_scenarios_model_of_that_size(small_prices):
    """With price following quality (theta > 0) the prediction is the year-1
    price of a model of the row's N and N_act / N on the same draws, its
    input tokens taken out with each draw's r_in (a sparse model of the same
    total size is worse, so cheaper: the share reaches the kernel)."""
    scenario = make_scenario(market__price_quality_exponent=3.0,
                             market__token_price={"dist": "lognormal", "median": 2e-6,
                                                  "sigma": 0.3},
                             costs__input_ratio={"dist": "lognormal", "p5": 1.0, "p95": 15.0})
    n, seed = 2000, 4
    ds = sim.calibrate(scenario, prices=small_prices, n_scenarios=n, seed=seed)
    for name, size, share, in_out in (("dense", 7e10, 1.0, 1.0),
                                      ("at par", 4e11, 1.7e10 / 4e11, 0.25)):
        one = sim.sample(scenario, n_scenarios=n, seed=seed,
                         overrides={"grid.model_sizes": [size], "grid.active_share": [share]})
        output_price = (one["price_per_token_y1"].values[:, 0] * 1e6
                        / (1 + one["costs.input_ratio"].values * in_out))
        np.testing.assert_array_equal(_row(ds, name, "price")["predicted_quantile"].values,
                                      np.quantile(np.sort(output_price), Q))
    dense_400b = sim.sample(scenario, n_scenarios=n, seed=seed,
                            overrides={"grid.model_sizes": [4e11], "grid.active_share": [1.0]})
    sparse = sim.sample(scenario, n_scenarios=n, seed=seed,
                        overrides={"grid.model_sizes": [4e11], "grid.active_share": [1.7e10 / 4e11]})
    assert np.all(sparse["price_per_token_y1"].values < dense_400b["price_per_token_y1"].values)


def test_price_check_leaves_the_strategies_out(small_prices):
    """A scenario with strategies: the price is that of the scenario as written."""
    with_strategies = sim.calibrate("strategies", prices=small_prices, n_scenarios=400, seed=1)
    scenario = sim.load_scenario("strategies")
    assert scenario.strategies
    plain = sim.calibrate(replace(scenario, strategies=()), prices=small_prices,
                          n_scenarios=400, seed=1)
    for name in ("dense", "at par"):
        np.testing.assert_array_equal(_row(with_strategies, name, "price")["predicted_quantile"],
                                      _row(plain, name, "price")["predicted_quantile"])


def test_bundled_prices_on_the_baseline_are_reported():
    ds = sim.calibrate("baseline", n_scenarios=500, seed=0)
    prices, _ = read_prices()
    assert ds.attrs["rows_price"] == len(prices)
    assert ds.attrs["prices_source"] == PRICES_SOURCE
    row = _row(ds, "DeepSeek-V3", "price", provider="DeepSeek API")
    assert float(row["observed"]) == 1.10
    assert np.all(np.isfinite(row["predicted_quantile"].values))
    assert np.all(np.diff(row["predicted_quantile"].values) >= 0)


# ------------------------------------------------------------------ command line
@pytest.fixture
def runner():
    return CliRunner()


def test_cli_prints_and_writes_the_price_check(runner, tmp_path, small_prices):
    out = tmp_path / "calibration.nc"
    result = runner.invoke(cli, ["calibrate", "-n", "300", "--prices", str(small_prices),
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    for text in ("price per million output tokens", str(small_prices),
                 "price      ", "no parameters (size not public)", f"wrote {out}"):
        assert text in result.output
    with xr.open_dataset(out) as ds:
        price = ds["check"].values == "price"
        assert list(ds["model"].values[price]) == ["dense", "at par"]
        assert list(ds["provider"].values[price]) == ["host", "host"]
        assert list(ds["table"].values[price]) == ["prices", "prices"]
        assert ds.attrs["rows_price"] == 2 and "coverage_price" in ds.attrs
        assert ds.attrs["prices_source"] == str(small_prices)
        ref = sim.calibrate("baseline", prices=small_prices, n_scenarios=300, seed=0)
        np.testing.assert_array_equal(ds["predicted_quantile"].values,
                                      ref["predicted_quantile"].values)


@pytest.mark.parametrize("content, needle", [
    (None, "no such list-prices file"),
    ("model,date,parameters\nx,2024,1e9\n", "missing column(s) usd_per_million_output"),
    (PRICE_HEADER + "m1,o,July 2024,7e10,,0.88,0.88,h,s\n",
     "line 2 (m1), column date: expected a date such as 2024, 2024-07 or 2024-07-23, "
     "got 'July 2024'"),
    (PRICE_HEADER + "m1,o,2024-13,7e10,,0.88,0.88,h,s\n", "column date: expected a date"),
    (PRICE_HEADER + "m1,o,2024,7e10,,free,0.88,h,s\n",
     "column usd_per_million_output: expected a positive number, empty or 'unverified', "
     "got 'free'"),
    (PRICE_HEADER + "m1,o,2024,1.7e10,4e11,0.5,0.2,h,s\n",
     "line 2 (m1), column active_parameters: expected at most the total parameters (1.7e10), "
     "got '4e11'"),
    (PRICE_HEADER + "m1,o,2024,7e10,,0.88,0.88,h,s,extra\n", "line 2: more cells than columns"),
])
def test_bad_prices_file_is_one_message(runner, tmp_path, content, needle):
    path = tmp_path / "prices.csv"
    if content is not None:
        path.write_text(content)
    out = tmp_path / "never.nc"
    result = runner.invoke(cli, ["calibrate", "--prices", str(path), "-n", "100", "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert str(path) in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize("cell, needle", [
    ("lots", "column active_parameters: expected a positive number, empty or 'unverified', "
             "got 'lots'"),
    ("-1", "column active_parameters: expected a positive number"),
    ("2e10", "column active_parameters: expected at most the total parameters (1e10), "
             "got '2e10'"),
])
def test_bad_active_cell_in_a_models_file_is_one_message(runner, tmp_path, cell, needle):
    path = _write(tmp_path, "models.csv", MODELS_HEADER.format(active="active_parameters,")
                  + f"m1,2020,1e10,{cell},2e11,1e22,1e6,cloud_rental_final_run\n")
    result = runner.invoke(cli, ["calibrate", "--models", str(path), "-n", "100"])
    assert result.exit_code == 2, result.output
    assert f"{path}, line 2 (m1), {needle}" in result.output
    assert "Traceback" not in result.output


def test_parsers_name_the_source():
    with pytest.raises(sim.SimError, match=r"^t\.csv, line 2 \(x\), column active_parameters"):
        parse_models("model,year,parameters,active_parameters,training_tokens,training_flops,"
                     "cost_usd_central,cost_basis\nx,2020,1e9,2e9,,,,none\n", "t.csv")
    rows = parse_prices(PRICE_HEADER + "x,o,2024-02-29,1e9,,0.1,,h,s\n", "p.csv")
    assert rows[0].year == 2024 and rows[0].active == 1e9 and rows[0].table == "prices"
