"""Charts: what was drawn (lines, bars, labels, data), and clear errors."""

from __future__ import annotations

import functools
import struct
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner
from matplotlib.collections import PolyCollection, QuadMesh
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle, StepPatch

import sim
from sim.present import charts as plot
from sim.cli.main import cli

@pytest.fixture(scope="module")
def ds(baseline_result) -> xr.Dataset:
    return baseline_result


@pytest.fixture(scope="module")
def result_file(ds, tmp_path_factory) -> str:
    return str(sim.write_netcdf(ds, tmp_path_factory.mktemp("plot") / "base.nc"))


def _lines(ax, linestyle=None):
    return [ln for ln in ax.get_lines() if ln.get_label() and not ln.get_label().startswith("_")
            and (linestyle is None or ln.get_linestyle() == linestyle)]


def _labelled(ax, label):
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return line


def _same_color(a, b) -> bool:
    return np.allclose(to_rgba(a)[:3], to_rgba(b)[:3])


# ---------------------------------------------------------------- fan

def test_fan_draws_bands_median_expectation_and_loss(ds):
    fig = plot.fan(ds)
    assert isinstance(fig, Figure)
    ax, ax2 = fig.axes
    sizes = ds.model_size.values
    q = ds.roi_quantile
    assert ax.get_xscale() == "log" and ax.get_yscale() == "asinh"
    assert "model size" in ax.get_xlabel() and "parameters" in ax.get_xlabel()
    assert "ROI" in ax.get_ylabel() and "asinh" in ax.get_ylabel()
    assert "P(loss)" in ax2.get_ylabel() and "%" in ax2.get_ylabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["100M", "1B", "10B", "100B", "1T"]

    median = _labelled(ax, "median ROI")
    np.testing.assert_allclose(median.get_xdata(), sizes)
    np.testing.assert_allclose(median.get_ydata(), q.sel(quantile=0.5))
    expected = _labelled(ax, "median ROI investors expect")
    assert expected.get_linestyle() == "--"
    np.testing.assert_allclose(expected.get_ydata(), ds.roi_expected_quantile.sel(quantile=0.5))
    # The gap is visible: never below the median, above it where anything is served.
    assert np.all(expected.get_ydata() >= median.get_ydata())
    assert np.any(expected.get_ydata() > median.get_ydata())

    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert sorted(b.get_label() for b in bands) == ["25–75% of scenarios", "5–95% of scenarios"]
    outer = next(b for b in bands if b.get_label().startswith("5–95"))
    y = outer.get_paths()[0].vertices[:, 1]
    assert y.min() == pytest.approx(float(q.sel(quantile=0.05).min()))
    assert y.max() == pytest.approx(float(q.sel(quantile=0.95).max()))
    lo, hi = ax.get_ylim()
    assert lo <= float(q.sel(quantile=0.05).min()) and hi >= float(q.sel(quantile=0.95).max())

    loss = _labelled(ax2, "P(loss), right axis")
    np.testing.assert_allclose(loss.get_ydata(), 100 * ds.prob_loss.values)
    assert ax2.get_ylim() == (0, 100)
    assert len(ax.get_legend().get_texts()) == 5


def test_fan_on_given_axes(ds):
    fig = Figure()
    ax = fig.add_subplot()
    assert plot.fan(ds, ax=ax) is fig


# ---------------------------------------------------------------- hist

def test_hist_one_panel_per_size_holding_all_scenarios(ds):
    fig = plot.hist(ds)
    axes = [a for a in fig.axes if a.patches]
    assert len(axes) == ds.sizes["model_size"]
    for a, size in zip(axes, ds.model_size.values):
        (step,) = [p for p in a.patches if isinstance(p, StepPatch)]
        values, edges, _ = step.get_data()
        assert values.sum() == pytest.approx(100.0)
        assert _same_color(step.get_edgecolor(), plot.size_color(size))
        assert a.get_xscale() == "asinh"
        # the share left of break-even is P(loss) (to the 0.1% grid and one bin)
        below = values[edges[1:] <= 0].sum()
        loss = 100 * float(ds.prob_loss.sel(model_size=size))
        assert below <= loss + 0.2 and below + values[np.searchsorted(edges, 0) - 1] >= loss - 0.2
    assert "ROI" in axes[-1].get_xlabel()
    assert "share of scenarios" in fig.get_supylabel()


def test_hist_of_chosen_sizes_overlaid_on_given_axes(ds):
    fig = Figure()
    ax = fig.add_subplot()
    plot.hist(ds, ax=ax, model_size=["1B", "1e10"])
    steps = [p for p in ax.patches if isinstance(p, StepPatch)]
    assert len(steps) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["1B", "10B"]
    assert "share of scenarios per bin (%)" == ax.get_ylabel()


def test_unknown_model_size_is_named(ds):
    with pytest.raises(sim.SimError, match=r"model size 3B: not in this result's grid \(100M, 1B"):
        plot.hist(ds, model_size="3B")


# ---------------------------------------------------------------- exceedance

def test_exceedance_curves_per_size(ds):
    fig = plot.exceedance(ds)
    (ax,) = fig.axes
    lines = _lines(ax)
    assert [ln.get_label() for ln in lines] == ["100M", "1B", "10B", "100B", "1T"]
    p = ds.probability.values
    for ln, size in zip(lines, ds.model_size.values):
        np.testing.assert_allclose(ln.get_xdata(), ds.roi_distribution.sel(model_size=size))
        np.testing.assert_allclose(ln.get_ydata(), 100 * (1 - p))
        assert _same_color(ln.get_color(), plot.size_color(size))
        # at break-even the curve reads 1 - P(loss)
        at_zero = np.interp(0.0, ln.get_xdata(), ln.get_ydata()[::-1][::-1])
        assert at_zero == pytest.approx(100 * (1 - float(ds.prob_loss.sel(model_size=size))), abs=0.3)
    assert ax.get_ylim() == (0, 100) and "P(ROI > x)" in ax.get_ylabel()
    assert ax.get_xscale() == "asinh" and "ROI" in ax.get_xlabel()


# ---------------------------------------------------------------- best

def test_best_bars_are_prob_best(ds):
    fig = plot.best(ds)
    (ax,) = fig.axes
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == ds.sizes["model_size"]
    heights = np.array([b.get_height() for b in bars])
    np.testing.assert_allclose(heights, 100 * ds.prob_best.values)
    assert heights.sum() == pytest.approx(100.0)
    for b, size in zip(bars, ds.model_size.values):
        assert _same_color(b.get_facecolor(), plot.size_color(size))
        assert b.get_x() < size < b.get_x() + b.get_width()  # centred on the size, log axis
    assert ax.get_xscale() == "log" and "P(best)" in ax.get_ylabel() and "%" in ax.get_ylabel()


# ---------------------------------------------------------------- costs

def test_costs_stack_components_to_shares_with_totals(ds):
    fig = plot.costs(ds)
    (ax,) = fig.axes
    n = ds.sizes["model_size"]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == len(plot.COST_COMPONENTS) * n
    heights = np.array([b.get_height() for b in bars]).reshape(len(plot.COST_COMPONENTS), n)
    np.testing.assert_allclose(heights.sum(axis=0), 100.0)
    total = sum(ds[v].values for v, _, _ in plot.COST_COMPONENTS)
    np.testing.assert_allclose(heights[0], 100 * ds.compute_cost_mean.values / total)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "training compute" and len(legend) == 6
    assert [t.get_text() for t in ax.texts][-1] == f"${total[-1] / 1e9:.3g}B"
    assert ax.get_xscale() == "log" and "share of mean total cost (%)" == ax.get_ylabel()


def test_colours_follow_the_size_across_charts(ds):
    size = 1e10
    line = _labelled(plot.exceedance(ds).axes[0], "10B")
    bar = plot.best(ds).axes[0].patches[2]
    step = [p for p in plot.hist(ds, model_size=size).axes[0].patches][0]
    assert _same_color(line.get_color(), bar.get_facecolor())
    assert _same_color(line.get_color(), step.get_facecolor())
    assert not _same_color(plot.size_color(1e9), plot.size_color(1e10))


# ---------------------------------------------------------------- sweep

def test_sweep_over_one_key_is_a_line_per_size(swept_result):
    sw = swept_result
    fig = plot.sweep(sw, stat="roi_mean")
    (ax,) = fig.axes
    lines = _lines(ax)
    assert len(lines) == sw.sizes["model_size"]
    for ln, size in zip(lines, sw.model_size.values):
        np.testing.assert_allclose(ln.get_xdata(), [2, 6, 18])
        np.testing.assert_allclose(ln.get_ydata(), sw.roi_mean.sel(model_size=size))
    assert ax.get_xlabel() == "k (models)"  # short: the key's symbol and unit
    assert "k = market.competitors: number of rival models of frontier quality" in fig.get_supxlabel()
    assert "roi_mean" in ax.get_title()
    assert ax.get_ylabel() == "mean return on investment, (NPV - I) / I (ratio)"
    # more rivals, lower mean ROI of the 10B model
    assert np.all(np.diff(lines[2].get_ydata()) < 0)


def test_sweep_of_a_quantile_at_one_size(swept_result):
    sw = swept_result
    fig = plot.sweep(sw, stat="roi_quantile", quantile=0.5, model_size="1e10")
    (ln,) = _lines(fig.axes[0])
    np.testing.assert_allclose(ln.get_ydata(),
                               sw.roi_quantile.sel(quantile=0.5, model_size=1e10))
    assert fig.axes[0].get_ylabel() == "0.5 quantile of ROI (ratio)"


def test_sweep_over_two_keys_is_a_heatmap_per_size(swept_two_keys):
    sw = swept_two_keys
    fig = plot.sweep(sw, stat="prob_loss")
    maps = [a for a in fig.axes if a.get_label() != "<colorbar>"
            and any(isinstance(c, QuadMesh) for c in a.collections)]
    assert len(maps) == sw.sizes["model_size"]
    mesh = next(c for c in maps[2].collections if isinstance(c, QuadMesh))
    np.testing.assert_allclose(np.asarray(mesh.get_array()).reshape(2, 2),
                               sw.prob_loss.sel(model_size=1e10)
                               .transpose("costs.gpu_hour_price", "market.competitors"))
    assert maps[0].get_xlabel() == "" and maps[3].get_xlabel() == "k (models)"  # outer only
    assert maps[0].get_ylabel() == "p_h (USD/GPU-hour)" and maps[1].get_ylabel() == ""
    assert maps[0].get_shared_x_axes().joined(maps[0], maps[4])
    assert maps[0].get_shared_y_axes().joined(maps[0], maps[4])
    caption = fig.get_supxlabel()
    assert "p_h = costs.gpu_hour_price" in caption and "k = market.competitors" in caption
    assert any("P(ROI < 0)" in a.get_ylabel() for a in fig.axes)  # the colour bar
    one = plot.sweep(sw, stat="prob_loss", model_size="1B")
    assert sum(isinstance(c, QuadMesh) for a in one.axes for c in a.collections
               if a.get_label() != "<colorbar>") == 1


def test_sweep_needs_a_swept_dimension(ds, swept_result):
    with pytest.raises(sim.SimError, match="needs a sweep result with a swept dimension"):
        plot.sweep(ds)
    with pytest.raises(sim.SimError, match="stat='roi_nonsense': not a variable"):
        plot.sweep(swept_result, stat="roi_nonsense")
    with pytest.raises(sim.SimError, match="this result is a sweep over market.competitors"):
        plot.fan(swept_result)


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("kind, var", [("fan", "prob_loss"), ("hist", "roi_distribution"),
                                       ("exceedance", "roi_distribution"),
                                       ("best", "prob_best"), ("costs", "serving_cost_npv_mean")])
def test_missing_variable_is_named(ds, kind, var):
    with pytest.raises(sim.SimError, match=f"the {kind} chart needs {var}, which this result lacks"):
        plot.draw(ds.drop_vars(var), kind)


def test_missing_quantile_level_is_named(ds):
    with pytest.raises(sim.SimError, match="needs the 0.05 quantile of roi_quantile"):
        plot.fan(ds.sel(quantile=[0.25, 0.5, 0.75]))


# ---------------------------------------------------------------- command line

def _png_size(path) -> tuple[int, int]:
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize("kind", ["fan", "hist", "exceedance", "best", "costs"])
def test_cli_plot_writes_each_kind(result_file, tmp_path, kind):
    out = tmp_path / f"{kind}.png"
    result = CliRunner().invoke(cli, ["plot", result_file, "--kind", kind, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    w, h = _png_size(out)
    assert w == 1200 and h >= 750
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


def test_cli_plot_formats_size_and_default_name(result_file, tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["plot", result_file, "-o", str(tmp_path / "f.svg"), "--size", "10x4"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "f.svg").read_text().lstrip().startswith("<?xml")
    r = runner.invoke(cli, ["plot", result_file, "-o", str(tmp_path / "f.pdf")])
    assert r.exit_code == 0 and (tmp_path / "f.pdf").read_bytes()[:4] == b"%PDF"
    r = runner.invoke(cli, ["plot", result_file, "-o", str(tmp_path / "f.png"), "--size", "10x4"])
    assert _png_size(tmp_path / "f.png") == (1500, 600)
    r = runner.invoke(cli, ["plot", result_file, "--kind", "best"])
    assert r.exit_code == 0, r.output
    default = result_file.removesuffix(".nc") + "_best.png"
    assert f"wrote {default}" in r.output and _png_size(default)[0] == 1200


def test_cli_plot_sweep(tmp_path, swept_result):
    path = sim.write_netcdf(swept_result, tmp_path / "sweep.nc")
    out = tmp_path / "sweep.png"
    r = CliRunner().invoke(cli, ["plot", str(path), "--kind", "sweep", "--stat", "prob_loss",
                                 "--model-size", "10B", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert _png_size(out)[0] == 1200


@pytest.mark.parametrize("args, needle", [
    (["--kind", "pie"], "Invalid value for '--kind': 'pie' is not one of"),
    (["--kind", "sweep"], "needs a sweep result with a swept dimension"),
    (["--kind", "fan", "--model-size", "1B"], "the fan chart takes no --model-size"),
    (["--kind", "hist", "--model-size", "2B"], "model size 2B: not in this result's grid"),
    (["--kind", "hist", "--model-size", "big"], "model size: expected a number such as 1e9"),
    (["--size", "huge"], "--size: expected WIDTHxHEIGHT"),
    (["-o", "{tmp}/fig.jpg"], "expected a .png, .svg or .pdf file name"),
    (["-o", "{tmp}/no/fig.png"], "does not exist"),
])
def test_cli_plot_bad_input(result_file, tmp_path, args, needle):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(cli, ["plot", result_file, *args])
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_cli_plot_names_missing_variable_and_file(ds, tmp_path):
    thin = sim.write_netcdf(ds.drop_vars(["prob_loss", "prob_loss_se"]), tmp_path / "thin.nc")
    r = CliRunner().invoke(cli, ["plot", str(thin), "--kind", "fan", "-o", str(tmp_path / "x.png")])
    assert r.exit_code == 2
    assert f"{thin}: the fan chart needs prob_loss, which this result lacks" in r.output
    assert not (tmp_path / "x.png").exists()
    r = CliRunner().invoke(cli, ["plot", str(tmp_path / "none.nc")])
    assert r.exit_code == 2 and "none.nc: no such result file" in r.output
    (tmp_path / "junk.nc").write_text("not netCDF")
    r = CliRunner().invoke(cli, ["plot", str(tmp_path / "junk.nc")])
    assert r.exit_code == 2 and "junk.nc: not a readable netCDF result" in r.output
    assert "Traceback" not in r.output


@pytest.fixture(scope="module")
def no_path_file(tmp_path_factory) -> str:
    """A run made without the valuation path (``--no-path``)."""
    ds = sim.run("baseline", n_scenarios=2000, seed=1, path=False, progress=False)
    return str(sim.write_netcdf(ds, tmp_path_factory.mktemp("nopath") / "nopath.nc"))


@pytest.mark.parametrize("kind", ["cooling", "cashflow"])
def test_a_path_chart_of_a_run_without_the_path_says_why(no_path_file, tmp_path, kind):
    out = tmp_path / "x.png"
    r = CliRunner().invoke(cli, ["plot", no_path_file, "--kind", kind, "-o", str(out)])
    assert r.exit_code == 2 and "Traceback" not in r.output and not out.exists()
    assert (f"the {kind} chart draws the valuation path, which this result of sim run lacks: "
            "it was run without the valuation path (--no-path); run it again with the path, or "
            "use --kind fan (or hist, exceedance, best, costs, decision)") in r.output
    ds = xr.load_dataset(no_path_file)  # read and closed: a netCDF file held open while the
    # command line opens it again can crash netCDF-C (pydata/xarray#8289)
    with pytest.raises(sim.SimError, match=r"which this result lacks: it was run without the "
                                       r"valuation path \(path=False\)"):
        getattr(sim.plot, kind)(ds)  # the chart function itself, without the registry's check


def test_a_path_chart_of_a_decision_says_a_run_holds_the_path(tmp_path):
    ds = sim.decide("strategies", n_scenarios=8192, progress=False)
    src = sim.write_netcdf(ds, tmp_path / "decision.nc")
    r = CliRunner().invoke(cli, ["plot", str(src), "--kind", "cooling", "-o", str(tmp_path / "x.png")])
    assert r.exit_code == 2
    assert ("which this result of sim decide lacks: a decision leaves the valuation path out; a "
            "run of the scenario (sim run) holds it, or use --kind fan (or hist, exceedance, best, "
            "costs, decision, voi)") in r.output


def test_no_chart_of_the_path_is_offered_for_a_run_without_it(no_path_file, result_file, tmp_path):
    r = CliRunner().invoke(cli, ["plot", no_path_file, "--kind", "voi", "-o", str(tmp_path / "x.png")])
    assert r.exit_code == 2
    assert r.output.rstrip().endswith("use --kind fan (or hist, exceedance, best, costs, decision)")
    r = CliRunner().invoke(cli, ["plot", result_file, "--kind", "voi", "-o", str(tmp_path / "x.png")])
    assert r.output.rstrip().endswith("(or hist, exceedance, best, costs, cooling, cashflow, decision)")


@pytest.mark.integration
def test_import_sim_stays_light():
    code = "import sys, sim; assert 'matplotlib' not in sys.modules; sim.plot; " \
           "assert 'matplotlib' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- layout

def _drawn_texts(fig):
    """Every text the renderer draws, with its box in pixels (tick labels
    outside the view limits exist but are not drawn, so they are left out)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    hidden = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                loc = tick.get_loc()
                if loc is None or not lo - 1e-9 * (hi - lo) <= loc <= hi + 1e-9 * (hi - lo):
                    hidden.update({id(tick.label1), id(tick.label2)})
    return [(t.get_text(), t.get_window_extent(renderer)) for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and id(t) not in hidden
            and (t.axes is None or t.axes.get_visible())]


def assert_no_text_overlaps(fig) -> None:
    """No two drawn texts overlap, and every text lies inside the figure."""
    import itertools

    texts = _drawn_texts(fig)
    page = fig.bbox
    outside = [t for t, b in texts if b.x0 < page.x0 - 1 or b.y0 < page.y0 - 1
               or b.x1 > page.x1 + 1 or b.y1 > page.y1 + 1]
    assert not outside, f"outside the figure: {outside}"
    clashes = [(t1, t2) for (t1, b1), (t2, b2) in itertools.combinations(texts, 2)
               if min(b1.x1, b2.x1) - max(b1.x0, b2.x0) > 1
               and min(b1.y1, b2.y1) - max(b1.y0, b2.y0) > 1]
    assert not clashes, f"overlapping texts: {clashes[:5]}"


@functools.cache
def long_key_sweeps():
    """The sweeps of issue 15: fields of distributions with long names."""
    two = sim.sweep("cooling", {"market.competitors.lam": [5, 11, 29],
                                "performance.deployment_gap.a": [2, 4]}, n_scenarios=4096)
    one = sim.sweep("cooling", {"market.competitors.lam": [5, 11, 29]}, n_scenarios=4096)
    return two, one


@pytest.mark.parametrize("stat", ["roi_mean", "prob_loss"])
def test_sweep_charts_of_long_keys_have_no_overlapping_text(stat):
    two, one = long_key_sweeps()
    assert_no_text_overlaps(plot.sweep(two, stat=stat))
    assert_no_text_overlaps(plot.sweep(two, stat=stat, model_size="1B"))
    assert_no_text_overlaps(plot.sweep(one, stat=stat))


@pytest.mark.parametrize("kind", ["fan", "hist", "exceedance", "best", "costs"])
def test_run_charts_have_no_overlapping_text(ds, kind):
    assert_no_text_overlaps(plot.draw(ds, kind))


def test_overlap_check_catches_overlapping_labels():
    """Negative control: two long labels placed on top of each other fail."""
    fig = Figure(figsize=(4, 3), layout="constrained")
    a, b = fig.subplots(1, 2)
    a.set_xlabel("a very long label that runs into the next panel " * 2)
    b.set_xlabel("another long label")
    with pytest.raises(AssertionError, match="outside the figure|overlapping texts"):
        assert_no_text_overlaps(fig)


@pytest.mark.parametrize("kind", ["cooling", "cashflow"])
def test_path_charts_have_no_overlapping_text(ds, kind):
    assert_no_text_overlaps(plot.draw(ds, kind))


def assert_legends_clear_of_lines(fig) -> None:
    """No legend covers a point of a drawn line: a panel's legend none of the
    vertices of that panel's lines, a figure's legend no panel at all."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for k, ax in enumerate(fig.axes):
        legend = ax.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent(renderer)
        for line in ax.get_lines():
            points = line.get_transform().transform(line.get_xydata())
            covered = [(x, y) for x, y in points if box.x0 <= x <= box.x1 and box.y0 <= y <= box.y1]
            assert not covered, (f"the legend of panel {k} ({ax.get_title()!r}) covers "
                                 f"{line.get_label()!r}")
    for legend in fig.legends:
        box = legend.get_window_extent(renderer)
        assert not [ax for ax in fig.axes if box.overlaps(ax.get_window_extent(renderer))]


@pytest.mark.parametrize("model_size", [None, ["1B"], ["100M", "10B"]])
def test_the_cooling_chart_keeps_its_keys_off_the_lines(ds, model_size):
    """Its keys sat inside the first panels, where P(marked below cost) near
    100% at 100M ran under them; they are one legend below every panel now,
    which fits a figure of one, two or five panels."""
    fig = plot.cooling(ds, model_size=model_size)
    assert_legends_clear_of_lines(fig)
    assert_no_text_overlaps(fig)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "5–95% of scenarios", "25–75%", "median", "mean", "P(marked below cost)",
        "P(expected to pay, then marked below cost)"]
    assert legend.get_title().get_text() == ("year 0: what investors believe at the decision; "
                                             "year 5: the realized ROI")


def test_the_legend_check_catches_a_legend_on_a_line():
    """Negative control: a legend placed over a line fails."""
    fig = Figure(figsize=(4, 3))
    ax = fig.subplots()
    ax.plot([0, 1, 2], [10, 10, 10], label="a line under the legend")
    ax.set_ylim(0, 11)
    ax.legend(loc="upper center")
    with pytest.raises(AssertionError, match="covers 'a line under the legend'"):
        assert_legends_clear_of_lines(fig)


@functools.cache
def decision_and_sensitivity():
    """A decision run with five strategies and long parameter names (the
    EVPPI bars), and a sensitivity analysis (tornado and Sobol' bars)."""
    decided = sim.decide("strategies", n_scenarios=4 * 4096, seed=3)
    indices = sim.sensitivity("baseline", 256, seed=1, tornado_n=128)
    return decided, indices


@pytest.mark.parametrize("kind", ["decision", "voi", "best"])
def test_decision_charts_of_long_names_have_no_overlapping_text(kind):
    decided, _ = decision_and_sensitivity()
    assert_no_text_overlaps(plot.draw(decided, kind))


@pytest.mark.parametrize("kind", ["tornado", "sobol"])
def test_sensitivity_charts_of_long_keys_have_no_overlapping_text(kind):
    _, indices = decision_and_sensitivity()
    assert_no_text_overlaps(plot.draw(indices, kind))


@functools.cache
def wide_roi_run():
    """A run whose ROI reaches past 10,000 (the strategies' fine-tuned niche
    model at 1T): the ROI axis's widest tick labels."""
    return sim.run("strategies", n_scenarios=4096, seed=0)


@pytest.mark.parametrize("kind", ["hist", "exceedance", "fan"])
def test_charts_of_roi_past_ten_thousand_have_no_overlapping_text(kind):
    assert_no_text_overlaps(plot.draw(wide_roi_run(), kind))


def test_drawing_one_strategy_leaves_the_result_as_it_was():
    ds = wide_roi_run()
    before = dict(ds.attrs)
    plot.draw(ds, "hist")
    plot.draw(ds, "fan")
    assert dict(ds.attrs) == before
