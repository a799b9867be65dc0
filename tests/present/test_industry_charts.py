"""Charts of the industry frame: what the fan, cooling and sweep charts draw,
their axes and scales, and the clear refusal of every chart that does not
apply to an industry result (or to a result of the other kind)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

import sim
from sim.cli.main import cli
from sim.present import charts as plot
from sim.present import industry_charts as ic
from sim.present.kinds import KINDS, frame_kinds, kind_help
from sim.scenario.load import from_mapping
from sim.vocab import industry as iv
from sim.vocab.errors import SimError

SCENARIO = {"name": "ind", "frame": "industry", "extends": "baseline", "horizon_years": 10}
YEARS = list(range(2023, 2033))


@pytest.fixture(scope="module")
def scenario() -> sim.Scenario:
    return from_mapping(SCENARIO)


@pytest.fixture(scope="module")
def ind(scenario) -> xr.Dataset:
    return sim.run(scenario, n_scenarios=4000, seed=3, progress=False)


@pytest.fixture(scope="module")
def ind_sweep(scenario) -> xr.Dataset:
    return sim.sweep(scenario, {"industry.entry_speed": [0.1, 1.0, 3.0]}, n_scenarios=3000, seed=3)


@pytest.fixture(scope="module")
def files(ind, ind_sweep, tmp_path_factory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("industry_plot")
    return {"run": str(sim.write_netcdf(ind, d / "ind.nc")),
            "sweep": str(sim.write_netcdf(ind_sweep, d / "sweep.nc"))}


def _labelled(ax, label):
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return line


def _bands(ax) -> dict[str, PolyCollection]:
    return {c.get_label(): c for c in ax.collections if isinstance(c, PolyCollection)}


def _median(ds, name):
    return ds[f"{name}_quantile"].sel(quantile=0.5).values


# ---------------------------------------------------------------- fan

def test_the_run_has_the_quantiles_the_fan_draws(ind):
    assert set(ic.LEVELS) <= {round(float(q), 6) for q in ind["quantile"].values}


def test_fan_draws_each_main_path_over_calendar_years(ind):
    fig = plot.draw(ind, "fan")
    assert isinstance(fig, Figure)
    panels = [a for a in fig.axes if a.axison]
    assert [a.get_title() for a in panels] == [ic.TITLES[p] for p in iv.MAIN_PATHS]
    for ax, path in zip(panels, iv.MAIN_PATHS):
        median = _labelled(ax, "median")
        np.testing.assert_array_equal(median.get_xdata(), YEARS)
        np.testing.assert_allclose(median.get_ydata(), _median(ind, path))
        bands = _bands(ax)
        assert sorted(bands) == ["25–75% of scenarios", "5–95% of scenarios"]
        outer = bands["5–95% of scenarios"].get_paths()[0].vertices[:, 1]
        q = ind[f"{path}_quantile"]
        assert outer.min() == pytest.approx(float(q.sel(quantile=0.05).min()))
        assert outer.max() == pytest.approx(float(q.sel(quantile=0.95).max()))
        lo, hi = ax.get_ylim()
        assert lo <= float(q.sel(quantile=0.05).min()) and hi >= float(q.sel(quantile=0.95).max())
        left, right = ax.get_xlim()
        assert left < 2023 < 2032 < right
    by = dict(zip(iv.MAIN_PATHS, panels))
    # Revenue and capex span decades here (the 95% over the 5% quantile): log scales.
    for path in ("revenue", "capex"):
        q = ind[f"{path}_quantile"]
        assert float(q.sel(quantile=0.95).max() / q.sel(quantile=0.05).min()) > 50
        assert by[path].get_yscale() == "log" and "log scale" in by[path].get_ylabel()
        assert "USD/year" in by[path].get_ylabel()
        assert all(t.get_text().startswith("$") for t in by[path].get_yticklabels()
                   if t.get_text())
    assert "%" in by["serving_margin"].get_ylabel()
    assert all(t.get_text().endswith("%") for t in by["serving_margin"].get_yticklabels()
               if t.get_text())
    assert "labs" in by["labs"].get_ylabel()
    q_one = _labelled(by["q"], "Q = 1 (value = cost)")
    assert set(q_one.get_ydata()) == {1.0}
    assert "Q" in by["q"].get_ylabel()
    assert fig.get_suptitle().startswith("The industry year by year")
    assert "scenario 'ind', 4,000 scenarios" in fig.get_suptitle()
    key = [a for a in fig.axes if not a.axison][0]
    labels = [t.get_text() for t in key.get_legend().get_texts()]
    assert labels == ["5–95% of scenarios (90% of them)", "25–75% of scenarios (the middle half)",
                      "median over scenarios", "Q = 1 (value = cost)"]


@pytest.mark.parametrize("lo, hi, width, scale", [
    (4.0, 20.0, 1.0, "linear"),        # a calibrated lab count
    (1e9, 1e12, 1e9, "log"),           # revenue over decades
    (1.0, 185.0, 1.0, "log"),          # a lab count from 1 to 185
    (-1.0, 0.9, 1.0, "linear"),        # margins within ±100%
    (-7.0, 0.99, 1.0, "asinh"),        # margins down to -700%
    (-230.0, 75.0, 1.0, "asinh"),      # Q of either sign over decades
])
def test_value_scale_is_log_over_decades_and_asinh_when_it_turns_negative(lo, hi, width, scale):
    ax = Figure().add_subplot()
    ax.plot([0, 1], [lo, hi])
    note = ic.value_scale(ax, lo, hi, lambda x, _=None: f"{x:g}", width)
    assert ax.get_yscale() == scale
    assert (note == "") == (scale == "linear")
    if scale == "asinh":
        bottom, top = ax.get_ylim()
        ticks = list(ax.yaxis.get_major_locator().tick_values(bottom, top))
        assert {0.0, -width} <= set(ticks) and all(bottom <= t <= top for t in ticks)
        assert 5 <= len(ticks) <= 15
        assert f"±{width:g}" in note


def test_fan_reads_the_median_at_any_stored_levels(ind):
    thin = ind.sel(quantile=[0.05, 0.25, 0.5, 0.75, 0.95])
    fig = ic.fan(thin)
    labs = [a for a in fig.axes if a.get_title() == "Frontier labs"][0]
    np.testing.assert_allclose(_labelled(labs, "median").get_ydata(), _median(ind, "labs"))
    with pytest.raises(SimError, match="needs the 0.25 quantile of labs_quantile"):
        ic.fan(ind.sel(quantile=[0.05, 0.5, 0.95]))


# ---------------------------------------------------------------- cooling

def test_cooling_draws_the_three_chances_with_two_standard_errors(ind):
    fig = plot.draw(ind, "cooling")
    left, right = fig.axes
    for name, label, _, _ in ic.COOLING_LINES:
        var = iv.FIELD_BY_NAME[name].variable
        line = _labelled(left, label)
        np.testing.assert_array_equal(line.get_xdata(), YEARS)
        np.testing.assert_allclose(line.get_ydata(), ind[var].values)
    # Error bars: each segment runs from p - 2 se to p + 2 se.
    bars = [c for c in left.collections if isinstance(c, LineCollection)]
    assert len(bars) == 3
    spans = sorted(float(np.ptp(s[:, 1])) for c in bars for s in c.get_segments())
    want = sorted(4 * float(x) for n in iv.COOLING for x in ind[iv.FIELD_BY_NAME[n].variable + "_se"])
    np.testing.assert_allclose(spans, want, atol=1e-12)
    # The fever can cool only where investors valued a lab above cost in the first year.
    ceiling = [ln for ln in left.get_lines() if ln.get_label().startswith("the most that can cool")][0]
    above = 1 - float(ind.prob_valued_below_cost.isel(year=0))
    assert ceiling.get_ydata()[0] == pytest.approx(above)
    assert np.all(ind.prob_cooled.values <= above + 1e-12)
    assert float(ind.prob_cooled.isel(year=-1)) > 0.5  # this scenario cools
    assert [t.get_text() for t in left.get_yticklabels()] == ["0%", "20%", "40%", "60%", "80%", "100%"]
    assert left.get_ylabel() == "share of scenarios (%)" and left.get_xlabel() == "calendar year"
    assert "±2 standard errors" in left.get_title()

    heights = [p.get_height() for p in right.patches if isinstance(p, Rectangle)]
    np.testing.assert_allclose(heights, ind.capex_peak_year.values)
    assert sum(heights) == pytest.approx(1.0)  # every scenario has one peak year
    assert right.patches[-1].get_hatch() == "//"
    legend = [t.get_text() for t in right.get_legend().get_texts()]
    assert legend[0] == "P(capex peaks that year) ± 2 se"
    assert legend[1].startswith("2032: still highest at the horizon")
    assert all(t.get_text().endswith("%") for t in right.get_yticklabels() if t.get_text())
    assert right.get_title() == "When capex peaks"
    assert fig.get_suptitle().startswith("How the fever cools")
    assert "scenario 'ind'" in fig.get_suptitle()


# ---------------------------------------------------------------- sweep

def test_industry_sweep_draws_the_chances_over_the_swept_key(ind_sweep):
    fig = plot.draw(ind_sweep, "sweep")
    left, right = fig.axes
    x = [0.1, 1.0, 3.0]
    for label, var, last in (("P(cooled by 2032)", "prob_cooled", True),
                             ("P(valued below cost in 2032)", "prob_valued_below_cost", True),
                             ("P(realized industry return < 0)", "prob_industry_loss", False)):
        line = _labelled(left, label)
        want = ind_sweep[var].isel(year=-1) if last else ind_sweep[var]
        np.testing.assert_allclose(line.get_xdata(), x)
        np.testing.assert_allclose(line.get_ydata(), want.values)
    assert left.get_xscale() == "log" and "industry.entry_speed (1/year)" in left.get_xlabel()
    # Faster entry crowds the industry: the chance of a loss rises with the entry speed.
    loss = ind_sweep.prob_industry_loss.values
    assert loss[-1] > loss[0] + 4 * np.hypot(*ind_sweep.prob_industry_loss_se.values[[0, -1]])
    medians = [ln for ln in right.get_lines() if ln.get_label() in ("0.1", "1", "3")]
    assert len(medians) == 3
    for ln, k in zip(medians, range(3)):
        np.testing.assert_allclose(ln.get_ydata(),
                                   ind_sweep.q_quantile.sel(quantile=0.5).isel({"industry.entry_speed": k}))
    assert _labelled(right, "Q = 1 (value = cost)").get_ydata()[0] == 1.0
    assert right.get_legend().get_title().get_text() == "industry.entry_speed"
    assert fig.get_suptitle().startswith("How the fever cools over industry.entry_speed")


def test_industry_sweep_over_two_keys(scenario):
    two = sim.sweep(scenario, {"industry.entry_speed": [0.1, 1.0], "industry.exit_speed": [0.1, 0.5]},
                    n_scenarios=1000, seed=3)
    fig = plot.draw(two, "sweep")
    left, right = fig.axes
    for ax, var in ((left, "prob_cooled"), (right, "prob_industry_loss")):
        assert ax.get_legend().get_title().get_text() == "industry.exit_speed"
        for k, label in enumerate(("0.1", "0.5")):
            want = two[var].isel({"industry.exit_speed": k})
            if "year" in want.dims:
                want = want.isel(year=-1)
            np.testing.assert_allclose(_labelled(ax, label).get_ydata(), want.values)


# ---------------------------------------------------------------- what applies

def test_the_registry_names_the_industry_kinds():
    assert frame_kinds("industry") == ("fan", "cooling", "sweep")
    assert set(frame_kinds("industry")) <= set(KINDS)
    assert "industry frame: each main path over calendar years" in kind_help()


def test_the_fan_of_a_project_run_is_still_the_roi_fan(baseline_result):
    fig = plot.draw(baseline_result, "fan")
    assert fig.axes[0].get_xscale() == "log" and "model size" in fig.axes[0].get_xlabel()
    with pytest.raises(SimError, match="needs an industry-frame result"):
        ic.fan(baseline_result)


@pytest.mark.parametrize("kind", [k for k in KINDS if k not in frame_kinds("industry")])
def test_project_kinds_are_refused_on_an_industry_run(ind, kind):
    with pytest.raises(SimError) as err:
        plot.draw(ind, kind)
    assert str(err.value) == (f"the {kind} chart draws results of the project frame; this is a "
                              "result of sim run on the industry frame: use kind='fan' (or cooling)")


def test_wrong_result_and_options_are_refused(ind, ind_sweep):
    with pytest.raises(SimError, match=r"the sweep chart needs a result of sim sweep; this is a "
                                       r"result of sim run on the industry frame: use kind='fan'"):
        plot.draw(ind, "sweep")
    for kind in ("fan", "cooling"):
        with pytest.raises(SimError, match=rf"the {kind} chart needs a result of sim run; this is "
                                           r"a result of sim sweep on the industry frame: use "
                                           r"kind='sweep'$"):
            plot.draw(ind_sweep, kind)
    with pytest.raises(SimError, match="the fan chart takes no model_size="):
        plot.draw(ind, "fan", model_size="1B")
    with pytest.raises(SimError, match="declares no strategies"):
        plot.draw(ind, "cooling", strategy="x")


# ---------------------------------------------------------------- the command line

def test_plot_without_kind_draws_the_fans(files, tmp_path):
    out = tmp_path / "fans.png"
    r = CliRunner().invoke(cli, ["plot", files["run"], "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name, kind", [("run", "cooling"), ("sweep", "sweep")])
def test_plot_draws_the_industry_kinds(files, tmp_path, name, kind):
    out = tmp_path / f"{kind}.png"
    r = CliRunner().invoke(cli, ["plot", files[name], "--kind", kind, "-o", str(out)])
    assert r.exit_code == 0 and out.stat().st_size > 10_000, r.output


@pytest.mark.parametrize("name, kind, needle", [
    ("run", "hist", "the hist chart draws results of the project frame; this is a result of sim "
                    "run on the industry frame: use --kind fan (or cooling)"),
    ("run", "tornado", "use --kind fan (or cooling)"),
    ("run", "sweep", "the sweep chart needs a result of sim sweep"),
    ("sweep", "fan", "this is a result of sim sweep on the industry frame: use --kind sweep"),
    ("sweep", "best", "the best chart draws results of the project frame; this is a result of sim "
                      "sweep on the industry frame: use --kind sweep"),
])
def test_plot_refuses_what_does_not_apply(files, tmp_path, name, kind, needle):
    out = tmp_path / "x.png"
    r = CliRunner().invoke(cli, ["plot", files[name], "--kind", kind, "-o", str(out)])
    assert r.exit_code == 2, r.output
    assert r.output.startswith("Error: ") and r.output.count("\n") == 1, r.output
    assert needle in r.output and "Traceback" not in r.output
    assert not out.exists()
