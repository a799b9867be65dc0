"""``sim sweep`` and ``sim sensitivity`` on an industry-frame scenario from
the command line: the tables, the files that plot and report draw, and the
refusals (exit code 2, one line naming the key or the option)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from sim.cli.main import cli

SCENARIO = """name = "ind_cli"
frame = "industry"
extends = "baseline"
horizon_years = 6

[expectation]
initial_growth = {dist = "uniform", low = -0.5, high = 3.0}
"""
LAST = 2023 + 6 - 1


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    path = tmp_path_factory.mktemp("industry") / "ind_cli.toml"
    path.write_text(SCENARIO)
    return str(path)


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_sweep_prints_the_industry_table(scenario, tmp_path):
    out = tmp_path / "sweep.nc"
    res = invoke("sweep", scenario, "--vary", "industry.entry_speed=0.1,0.5", "-n", "2000",
                 "-o", out)
    assert res.exit_code == 0, res.output
    table = res.output[res.output.index("sweep of scenario"):]  # after the progress bar
    lines = table.split("\n")
    assert lines[0].startswith("sweep of scenario 'ind_cli' (industry frame, 2023-2028): 2 points")
    assert lines[1].split()[:4] == ["industry.entry_speed", "P(cooled", "by", f"{LAST})"]
    assert [line.split()[0] for line in lines[3:5]] == ["0.1", "0.5"]
    assert f"P(cooled by {LAST}) = share of scenarios" in res.output
    assert f"wrote {out}" in res.output and out.stat().st_size > 0


@pytest.mark.parametrize("key, values", [("horizon_years", "4,6"),
                                         ("industry.start_year", "2023,2024")])
def test_sweep_refuses_keys_that_change_the_years(scenario, tmp_path, key, values):
    out = tmp_path / "never.nc"
    res = invoke("sweep", scenario, "--vary", f"{key}={values}", "-n", "100", "-o", out)
    assert res.exit_code == 2, res.output
    assert f"{key}: under the industry frame every point of a sweep has the same calendar years" \
        in res.output
    assert "Traceback" not in res.output and not out.exists()


def test_sensitivity_plot_and_report(scenario, tmp_path):
    out = tmp_path / "sens.nc"
    res = invoke("sensitivity", scenario, "-n", "128", "--tornado-n", "64", "--top", "3",
                 "--statistic", "prob_cooled@2026", "-o", out)
    assert res.exit_code == 0, res.output
    assert "sensitivity of cooled@2026 for scenario 'ind_cli'" in res.output
    assert "\nthe industry: P = mean " in res.output
    assert "expectation.initial_growth" in res.output and f"wrote {out}" in res.output
    for kind in ("tornado", "sobol"):
        res = invoke("plot", out, "--kind", kind)
        assert res.exit_code == 0, res.output
        assert (tmp_path / f"sens_{kind}.png").stat().st_size > 10_000
    res = invoke("plot", out, "--kind", "sobol", "--model-size", "1B", "-o", tmp_path / "x.png")
    assert res.exit_code == 2 and "no model sizes" in res.output
    res = invoke("report", out, "-o", tmp_path / "r.html")
    assert res.exit_code == 0, res.output
    html = (tmp_path / "r.html").read_text()
    assert "Sensitivity of cooled@2026 in scenario" in html and html.count("<img") == 2
    assert html.count('<table class="summary sensitivity">') == 1 and "<h3>the industry</h3>" in html


def test_sensitivity_default_statistic_is_cooling_in_the_last_year(scenario):
    res = invoke("sensitivity", scenario, "-n", "64", "--method", "rank", "--tornado-n", "16")
    assert res.exit_code == 0, res.output
    assert f"sensitivity of cooled@{LAST} for scenario 'ind_cli'" in res.output


@pytest.mark.parametrize("frame, statistic, message", [
    ("industry", "roi", "--statistic: under the industry frame, expected a scalar (roi_industry, "
                        "expected_return, industry_loss) or a per-year output"),
    ("industry", "cooled@2040", f"--statistic: expected cooled@YEAR with YEAR a calendar year from "
                                f"2023 to {LAST}"),
    ("industry", "roi_industry@2025", "--statistic: roi_industry is one number per scenario"),
    ("project", "cooled@2027", "--statistic: expected one of roi, net_value, roi_expected"),
])
def test_sensitivity_refuses_statistics_the_frame_lacks(scenario, tmp_path, frame, statistic,
                                                         message):
    out = tmp_path / "never.nc"
    res = invoke("sensitivity", scenario if frame == "industry" else "baseline", "-n", "64",
                 "--statistic", statistic, "--quiet", "-o", out)
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output and not out.exists()
