"""The scenario-file helps on the command line: a plausibility warning is
one ``warning:`` line on stderr and exit code 0; a strategy override, a
misspelt table and an empty file are one ``Error:`` line and exit code 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from sim.cli.main import cli


@pytest.fixture
def runner():
    return CliRunner()


@pytest.mark.parametrize("command", [["run", "-n", "2000", "--quiet"], ["run", "-n", "2000"],
                                     ["decide", "-n", "8192"]])
@pytest.mark.parametrize("assignment, warning", [
    ("finance.discount_rate=10",
     "warning: finance.discount_rate = 10: a rate above 1 (1000% a year); did you mean 0.10?"),
    ("risk.control_share=5", "warning: risk.control_share = 5: a share above 1 (500%); did you mean 0.05?"),
])
def test_a_plausibility_warning_is_one_line_and_the_command_runs(runner, tmp_path, command, assignment,
                                                                 warning):
    out = tmp_path / "r.nc"
    result = runner.invoke(cli, command[:1] + ["baseline", "--set", assignment] + command[1:]
                           + ["-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert lines == [warning]  # once, however often the scenario is validated
    assert "Traceback" not in result.output
    assert out.is_file()


def test_a_strategy_warning_names_the_key_once(runner, tmp_path):
    result = runner.invoke(cli, ["decide", "strategies", "-n", "8192", "--set",
                                 "strategies.low_risk_control.risk.control_share=3"])
    assert result.exit_code == 0, result.output
    assert result.stderr.count("warning: risk.control_share = 3: a share above 1") == 1


def test_a_strategy_override_reaches_the_result(runner, tmp_path):
    import xarray as xr

    out = tmp_path / "d.nc"
    result = runner.invoke(cli, ["decide", "strategies", "-n", "8192", "-o", str(out), "--set",
                                 "strategies.pretrain_premium.grid.model_sizes=[1e9]"])
    assert result.exit_code == 0, result.output
    with xr.open_dataset(out) as ds:
        alt = ds["alternative"].sel(strategy="pretrain_premium").values
        assert alt.tolist() == [s == 1e9 for s in ds["model_size"].values]
    # 4 strategies at 5 sizes and pretrain_premium at 1B: 21 alternatives, 12 shown
    assert "... 9 more alternatives in the dataset" in result.stdout


@pytest.mark.parametrize("args, needle", [
    (["run", "strategies", "--set", "strategies.nope.market.hype=2"],
     "Error: --set strategies.nope.market.hype: no strategy named 'nope' in this scenario (its strategies: "
     "pretrain_market, pretrain_premium, finetune_niche, low_risk_control, high_risk_control)"),
    (["run", "strategies", "--set", "strategies.pretrain_premium.grid.model_sizes=[7e9]"],
     "Error: --set strategies.pretrain_premium.grid.model_sizes: 7e+09 not in the scenario's grid.model_sizes"),
    (["run", "baseline", "--set", "market.growth=30"],
     "Error: --set market.growth: expected a number in (-1, 10], got 30 (a percent typed as a whole number? "
     "did you mean 0.30?)"),
])
def test_bad_overrides_are_one_error_line(runner, args, needle):
    result = runner.invoke(cli, args + ["-n", "100"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [needle] or result.stderr.startswith(needle)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


@pytest.mark.parametrize("text, needle", [
    ("", 'mine.toml: this file sets few of the required keys: start from a bundled scenario: extends = '
         '"baseline" (sim scenarios lists them), then set only what differs; missing key(s): '
         "horizon_years, grid.model_sizes, grid.reference_size, finance.discount_rate,"),
    ('extends = "baseline"\n[strategy.fast]\nroute = "finetune"\n',
     "strategy: unknown table [strategy] (did you mean [strategies.fast]?)"),
    ('extends = "baseline"\n[cost]\ngpu_hour_price = 2\n', "cost: unknown table [cost] (did you mean [costs]?)"),
])
def test_file_problems_are_one_error_line(runner, tmp_path, text, needle):
    path = tmp_path / "mine.toml"
    path.write_text(text)
    result = runner.invoke(cli, ["run", str(path), "-n", "100"])
    assert result.exit_code == 2
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
