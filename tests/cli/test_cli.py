"""The command line through click's CliRunner: output, files, exit codes."""

from __future__ import annotations

import pytest
import xarray as xr
from click.testing import CliRunner

from sim.cli.main import cli

from sim.testing.scenarios import BASELINE


@pytest.fixture
def runner():
    return CliRunner()


def test_run_baseline_prints_table_and_writes_file(runner, tmp_path):
    out = tmp_path / "run.nc"
    result = runner.invoke(cli, ["run", "-n", "2e4", "--seed", "3", "-o", str(out)])
    assert result.exit_code == 0, result.output
    for text in ("median ROI", "P(loss)", "P(best)", "100M", "1T", "wrote"):
        assert text in result.output
    with xr.open_dataset(out) as ds:
        assert ds.attrs["n_scenarios"] == 20_000 and ds.attrs["seed"] == 3
        assert ds.attrs["scenario_name"] == "baseline"


def test_set_overrides_reach_the_stored_scenario(runner, tmp_path):
    out = tmp_path / "run.nc"
    result = runner.invoke(cli, ["run", str(BASELINE), "-n", "5000", "-o", str(out),
                                 "--set", "market.competitors=3",
                                 "--set", 'costs.gpu_hour_price={dist="lognormal", p5=1, p95=3}'])
    assert result.exit_code == 0, result.output
    with xr.open_dataset(out) as ds:
        assert "competitors = 3" in ds.attrs["scenario"]
        assert 'gpu_hour_price = { dist = "lognormal", p5 = 1.0, p95 = 3.0 }' in ds.attrs["scenario"]


@pytest.mark.parametrize("args, needle", [
    (["run", "nothere.toml"], "no such scenario file"),
    (["run", "--set", "market.competitor=3"], "did you mean 'market.competitors'"),
    (["run", "--set", "costs.gpu_hour_price=-2"], "costs.gpu_hour_price: expected a number in (0, 1e+06]"),
    (["run", "--set", "risk.incident_rate=2"], "risk.incident_rate: expected a number in [0, 1]"),
    (["run", "--set", "performance.deployment_gap=1"], "performance.deployment_gap"),
    (["run", "--set", 'market.hype={dist="lognormal", p5=3, p95=1}'], "p5 (3) must be below p95 (1)"),
    (["run", "--set", 'market.hype={dist="weird"}'], "unknown dist 'weird'"),
    (["run", "--set", "grid.model_sizes=[1e9, 0]"], "grid.model_sizes"),
    (["run", "--set", "horizon_years=five"], "horizon_years"),
    (["run", "--set", "nonsense"], "expected KEY=VALUE"),
    (["run", "-n", "lots"], "-n: expected a positive integer"),
    (["run", "-n", "0"], "-n: expected a positive integer"),
])
def test_bad_input_is_one_clear_message(runner, args, needle, tmp_path):
    out = tmp_path / "never.nc"
    result = runner.invoke(cli, args + ["-o", str(out)])
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_malformed_file_names_the_file(runner, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[grid\n")
    result = runner.invoke(cli, ["run", str(bad)])
    assert result.exit_code == 2
    assert str(bad) in result.output and "malformed TOML" in result.output


def test_output_into_missing_directory(runner, tmp_path):
    result = runner.invoke(cli, ["run", "-n", "100", "-o", str(tmp_path / "no" / "x.nc")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_version(runner):
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and "sim" in result.output


def test_standard_errors_of_probabilities_never_print_as_zero(runner):
    """P(loss) ± se with a small se reads '± 0.048%', not '± 0.0%'."""
    import sim
    from sim.present.tables import summary_table

    ds = sim.run("baseline", n_scenarios=2000, seed=1)
    ds["prob_loss_se"][:] = 0.00048
    ds["prob_best_se"][:] = 0.0
    text = summary_table(ds)
    assert "± 0.0%" not in text
    assert "± 0.048%" in text and "± 0%" in text


def test_a_seed_beyond_64_bits_is_written_to_the_file(runner, tmp_path):
    out = tmp_path / "big-seed.nc"
    seed = 2**64 + 5
    result = runner.invoke(cli, ["run", "-n", "1000", "--seed", str(seed), "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    with xr.open_dataset(out) as ds:
        assert int(ds.attrs["seed"]) == seed


def test_a_bad_swept_value_names_the_vary(runner):
    result = runner.invoke(cli, ["sweep", "baseline", "--vary", "finance.discount_rate=-1,0.1",
                                 "-n", "100"])
    assert result.exit_code == 2
    assert "--vary finance.discount_rate: expected a number > -1" in result.output
    assert "baseline.toml" not in result.output


@pytest.mark.parametrize("command", [["run", "-n", "100"],
                                     ["sweep", "baseline", "--vary", "market.competitors=2,3"]])
def test_a_cluster_without_dask_says_what_to_install(runner, monkeypatch, command):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    result = runner.invoke(cli, [*command, "--workers", "2"])
    assert result.exit_code == 2, result.output
    assert "pip install 'sim[distributed]'" in result.output


def test_run_prints_and_writes_the_year1_unit_economics(runner, tmp_path):
    """Model v3's block: a mixture-of-experts scenario's active sizes, the
    median cost and price per million output tokens as the file holds them,
    the share served, and the fixed-capability decline; the file carries the
    variables with their units and the active_parameters coordinate."""
    out = tmp_path / "moe.nc"
    result = runner.invoke(cli, ["run", "frontier_moe", "-n", "4096", "--seed", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "year-1 unit economics per output token" in result.output
    assert "the price at fixed capability falls" in result.output
    with xr.open_dataset(out) as ds:
        assert ds.serving_cost_per_token_y1_quantile.attrs["units"] == "USD/token"
        assert ds.fixed_capability_decline_quantile.dims == ("quantile",)
        assert list(ds.active_parameters.values) == pytest.approx([1e10, 2.4e10, 5.5e10, 1.2e11])
        one_t = ds.sel(model_size=1e12)
        price = float(one_t.price_per_token_y1_quantile.sel(quantile=0.5)) * 1e6
        served = float(one_t.served_y1_share)
    row = next(line for line in result.output.splitlines()
               if line.split()[:2] == ["1T", "55B"])
    assert f"${price:.3g}" in row and f"{100 * served:.0f}%" in row
