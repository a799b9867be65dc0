"""Every printed table explains itself: under each table of sim run, sweep,
decide, sensitivity and calibrate, a legend names every column that is not
plain; P(best), the sweep table and the best chart follow the objective in
force; a mean carried by rare scenarios is marked."""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner

import sim
from sim.cli.main import cli
from sim.present import charts as plot
from sim.present import kinds
from sim.present.tables import LEGEND_TITLE, decision_table, summary_table, sweep_table
from sim.vocab.units import RARE_MARK, size_label, usd_rare_mean

#: Columns that need no legend: what a row is.
PLAIN = {"model size", "size", "strategy", "model", "year", "parameter"}


def _tables(text: str) -> list[tuple[list[str], list[str]]]:
    """(columns of the header, legend entries) of every table in ``text``: a
    table is a header line above a line of dashes; its legend is the first
    block opened by ``legend:`` after it, before the next table."""
    lines = text.splitlines()
    heads = [i - 1 for i, line in enumerate(lines) if re.fullmatch(r"-{20,}", line) and i > 0]
    out = []
    for k, h in enumerate(heads):
        end = heads[k + 1] if k + 1 < len(heads) else len(lines)
        columns = [c.strip() for c in re.split(r"\s{2,}", lines[h].strip()) if c.strip()]
        keys = []
        start = next((i for i in range(h + 2, end) if lines[i] == LEGEND_TITLE), None)
        if start is not None:
            for line in lines[start + 1:end]:
                if not line.startswith("  "):
                    break
                if line.startswith("   "):  # a continuation of the meaning above
                    continue
                keys += [k.strip() for k in re.split(r"\s{2,}", line.strip())[0].split(", ")]
        out.append((columns, keys))
    return out


def _unexplained(columns: list[str], keys: list[str], plain=()) -> list[str]:
    """The columns of a table that are not plain and that its legend does not name."""
    missing = []
    for c in columns:
        name = "year N" if re.fullmatch(r"year \d+", c) else c
        if name in PLAIN or name in plain:
            continue
        if name in keys:
            continue
        missing.append(c)
    return missing


def _check_every_table(text: str, plain=()) -> int:
    tables = _tables(text)
    assert tables, text
    for columns, keys in tables:
        assert keys, f"no legend under the table with columns {columns}"
        assert not _unexplained(columns, keys, plain), (columns, keys)
    return len(tables)


def test_the_parser_finds_a_column_left_out():
    text = "title\n  model size  mean ROI  P(odd)\n" + "-" * 30 + "\n  1B  0.1  5%\nlegend:\n" \
           "  mean ROI  the mean\n           of ROI\n"
    ((columns, keys),) = _tables(text)
    assert columns == ["model size", "mean ROI", "P(odd)"] and keys == ["mean ROI"]
    assert _unexplained(columns, keys) == ["P(odd)"]


def test_run_tables_name_every_column(baseline_result):
    text = summary_table(baseline_result)
    assert _check_every_table(text) == 6  # ROI, net value, unit economics, expected, fever, precision
    assert "P(best)     the share of scenarios in which this size has the highest net value" in text
    assert "CVaR 5%" in text and "below -1, a loss beyond the whole investment I" in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_run_with_strategies_names_every_column():
    ds = sim.run("strategies", n_scenarios=2000, seed=1, progress=False)
    text = summary_table(ds)
    assert _check_every_table(text) >= 6
    assert "of all (strategy, size) alternatives" in text


def test_the_run_table_states_the_choice_and_why_it_can_differ_from_pbest(baseline_result):
    text = summary_table(baseline_result)
    choice = size_label(baseline_result.attrs["choice_model_size"])
    mean = baseline_result["net_value_mean"].values
    assert choice == size_label(baseline_result["model_size"].values[int(np.argmax(mean))])
    assert f"choice: {choice}, the highest mean net value" in text


def test_the_objective_in_force_names_pbest():
    roi = sim.run("baseline", n_scenarios=2000, seed=1, progress=False,
                  overrides={"decision.objective": "roi"})
    text = summary_table(roi)
    assert "the highest ROI ((NPV - I) / I)" in text and "highest net value" not in text
    assert "(the decision objective)" not in text.split("net value = NPV - I")[1].split("\n\n")[0]


def test_sweep_table_names_every_column_and_shows_the_objective(swept_result):
    text = sweep_table(swept_result)
    sizes = [size_label(s) for s in swept_result["model_size"].values]
    assert _check_every_table(text, plain=set(sizes)) == 1
    assert "mean net value by model size" in text.splitlines()[0]
    # The cells are the mean net value and best is the size where it is highest.
    rows = text.splitlines()[3:6]
    for row, k in zip(rows, range(3)):
        means = swept_result["net_value_mean"].isel({"market.competitors": k}).values
        assert row.split()[-1] == sizes[int(np.argmax(means))]
        assert row.split()[1:-1] == [sim.vocab.units.usd_label(m) for m in means]


def test_sweep_table_follows_the_roi_objective():
    sw = sim.sweep("baseline", {"market.competitors": [2, 18]}, n_scenarios=2000, seed=1,
                   overrides={"decision.objective": "roi"})
    text = sweep_table(sw)
    assert "mean ROI by model size" in text.splitlines()[0]
    best = [line.split()[-1] for line in text.splitlines()[3:5]]
    for k, b in enumerate(best):
        means = sw["roi_mean"].isel({"market.competitors": k}).values
        assert b == size_label(sw["model_size"].values[int(np.argmax(means))])


@pytest.fixture(scope="module")
def decision():
    return sim.decide("baseline", n_scenarios=8192, seed=1)


def test_decision_tables_name_every_column(decision):
    text = decision_table(decision)
    assert _check_every_table(text) == 2  # the alternatives, the EVPPI ranking
    assert "the choice's mean regret is the EVPI" in " ".join(text.split())


def test_sensitivity_table_names_every_column():
    from sim.present.sensitivity_tables import sensitivity_table

    ds = sim.sensitivity("baseline", n_scenarios=64, seed=1, method="both")
    text = sensitivity_table(ds, top=3)
    tables = _tables(text)
    assert len(tables) == ds.sizes["model_size"]
    keys = tables[-1][1]  # one legend for all the tables, at the end
    for columns, _ in tables:
        assert not _unexplained(columns, keys), (columns, keys)
    assert {"input", "S1", "ST", "PRCC", "median at 5% → 95%"} <= set(keys)


def test_calibration_table_names_every_column():
    from sim.analyses.calibrate import calibration_table

    ds = sim.calibrate("baseline", n_scenarios=300, seed=1)
    text = calibration_table(ds)
    tables = _tables(text)
    assert len(tables) == 4
    keys = tables[-1][1]  # one legend after the last block
    for columns, _ in tables:
        assert not _unexplained(columns, keys), (columns, keys)


def test_industry_tables_name_every_row_and_column():
    from sim.present.industry_tables import DEFINITIONS, SWEEP_LEGEND, median_rows

    ds = sim.run("industry", n_scenarios=500, seed=1, progress=False)
    legend = " ".join(DEFINITIONS).lower()
    for label, _ in median_rows(ds):
        name = label.split(",")[0].lower().replace("valuation ratio q", "q").replace("scarcity factor k", "scarcity")
        assert name in legend, label
    sweep_legend = " ".join(SWEEP_LEGEND)
    for head in ("P(cooled by LAST)", "± se", "half cooled by", "capex peak", "labs LAST",
                 "revenue LAST", "median return", "P(return < 0)"):
        assert head in sweep_legend


def test_cli_tables_carry_their_legends(tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["run", "baseline", "-n", "2000", "--seed", "1"])
    assert r.exit_code == 0, r.output
    assert _check_every_table(r.output) == 6
    r = runner.invoke(cli, ["sweep", "baseline", "--vary", "market.competitors=2,6", "-n", "2000",
                            "--quiet"])
    assert r.exit_code == 0


# ---------------------------------------------------------------- rare means

def test_a_mean_of_rare_costs_is_marked():
    # Paid in 1 scenario of 30 (the same amount): sd / mean = sqrt(29) > 3.
    draws = np.zeros(3000)
    draws[::30] = 9e4
    se = draws.std() / np.sqrt(draws.size)
    assert usd_rare_mean(draws.mean(), se, draws.size) == "$3K" + RARE_MARK
    # Paid in 1 scenario of 2: sd / mean = 1, not marked.
    draws[::2] = 9e4
    se = draws.std() / np.sqrt(draws.size)
    assert usd_rare_mean(draws.mean(), se, draws.size) == sim.vocab.units.usd_label(draws.mean())
    assert usd_rare_mean(0.0, 0.0, 100) == "$0"


def test_the_duties_column_marks_rare_means_and_says_so(baseline_result):
    text = summary_table(baseline_result)
    value = text.split("net value = NPV - I")[1].split("\n\n")[0]
    n = baseline_result.attrs["n_scenarios"]
    for j, size in enumerate(baseline_result["model_size"].values):
        m = float(baseline_result["compliance_cost_npv_mean"][j])
        sd = float(baseline_result["compliance_cost_npv_mean_se"][j]) * np.sqrt(n)
        row = next(line for line in value.splitlines() if line.strip().startswith(size_label(size) + " "))
        assert row.rstrip().endswith(RARE_MARK) == (m > 0 and sd > 3 * m), row
    if RARE_MARK in value:
        assert f"{RARE_MARK} marks a mean carried by a few scenarios" in " ".join(value.split())


# ---------------------------------------------------------------- charts follow the objective

@pytest.mark.parametrize("goal, label", [("net_value", "net value"), ("roi", "ROI")])
def test_best_chart_follows_the_objective(goal, label):
    ds = sim.run("baseline", n_scenarios=2000, seed=1, progress=False,
                 overrides={"decision.objective": goal})
    fig = plot.draw(ds, "best")
    ax = fig.axes[0]
    other = "ROI" if label == "net value" else "net value"
    assert f"highest {label}" in ax.get_ylabel() and f"highest {other}" not in ax.get_ylabel()
    assert f"highest {label}" in ax.get_title() and other not in ax.get_title()
    # The choice (the highest mean objective) is outlined and named in the legend.
    choice = size_label(ds.attrs["choice_model_size"])
    stat = "net_value_mean" if goal == "net_value" else "roi_mean"
    assert choice == size_label(ds["model_size"].values[int(np.argmax(ds[stat].values))])
    (text,) = [t.get_text() for t in ax.get_legend().get_texts()]
    assert text == f"the choice, {choice}: the highest mean {label}"
    caption = dict(kinds.report_charts("run"))["best"].replace("{objective}", label)
    assert f"highest {label}" in caption and f"highest {other}" not in caption


@pytest.mark.parametrize("goal, stat", [("net_value", "net_value_mean"), ("roi", "roi_mean")])
def test_sweep_chart_shows_the_sweep_tables_statistic(goal, stat):
    sw = sim.sweep("baseline", {"market.competitors": [2, 18]}, n_scenarios=2000, seed=1,
                   overrides={"decision.objective": goal})
    fig = plot.draw(sw, "sweep")
    ax = fig.axes[0]
    assert f"({stat})" in ax.get_title()
    lines = [ln for ln in ax.get_lines() if ln.get_label() in {size_label(s) for s in sw.model_size.values}]
    for ln, size in zip(lines, sw["model_size"].values):
        np.testing.assert_allclose(ln.get_ydata(), sw[stat].sel(model_size=size))
    assert ("mean ROI" if goal == "roi" else "mean net value") in sweep_table(sw).splitlines()[0]
