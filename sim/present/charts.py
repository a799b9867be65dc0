"""Charts of saved results: one function per kind, each returning a Figure.

Every chart is drawn from a result Dataset (``sim.run`` or a file written by
``sim run -o``), so a figure can be remade without rerunning the simulation.
Figures are built without pyplot: drawing needs no display and leaves no
global state behind. Each model size keeps one colour in every chart.

>>> import sim.plot, xarray as xr
>>> fig = sim.plot.fan(xr.load_dataset("run.nc"))
>>> sim.plot.save_figure(fig, "fan.png")
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib import colormaps
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from sim.services import dask_on_demand
from sim.present.axes import ROI_LABEL, select_sizes
from sim.results.alternatives import select_strategy
from sim.present.axes import pad as _pad
from sim.present.axes import roi_scale as _roi_scale
from sim.present.axes import title as _title
from sim.services.atomic import check_output, write_bytes
from sim.present import industry_charts
from sim.present.kinds import CHARTS as _REGISTRY
from sim.present.kinds import FRAMES, KINDS, by_kind, frame_kinds
from sim.vocab import objectives
from sim.vocab.errors import SimError
from sim.vocab.units import percent, size_label, usd_label, value_label

__all__ = ["default_kind", "objective_label", "CHARTS", "INDUSTRY_CHARTS", "KINDS", "best",
           "calibration", "check_figure_path", "costs", "draw", "drawable_kinds", "exceedance",
           "fan", "frame", "hist", "lacks_path", "no_path_cause", "no_path_reason", "open_result", "save_figure", "sweep",
           "cooling", "cashflow", "decision", "voi", "sobol", "tornado"]

FORMATS = (".png", ".svg", ".pdf")
#: Dimensions of a single run; any other dimension of a result was swept.
RUN_DIMS = ("model_size", "quantile", "probability", "bound", "year", "strategy", "parameter")
FIGSIZE = (8.0, 5.0)

SIZE_LABEL = "model size (parameters, log scale)"

#: Mean cost components of ``costs``: variable, legend label, colour.
COST_COMPONENTS = (
    ("compute_cost_mean", "training compute", "#4c72b0"),
    ("data_cost_mean", "training data", "#8fb3e0"),
    ("fixed_cost_mean", "fixed (team, infrastructure)", "#dd8452"),
    ("risk_control_cost_mean", "risk control", "#c9a227"),
    ("serving_cost_npv_mean", "serving (discounted)", "#55a868"),
    ("incident_loss_npv_mean", "incident losses (discounted)", "#c44e52"),
)


# ---------------------------------------------------------------- helpers

def size_color(n: float):
    """The colour of model size ``n``: fixed in log10(n) from 1e7 to 1e13, so
    a size looks the same in every chart and every result."""
    t = (math.log10(n) - 7.0) / 6.0
    return colormaps["plasma"](0.9 * min(max(t, 0.0), 1.0))


def swept_dims(ds: xr.Dataset) -> list[str]:
    """Dimensions beyond those of a single run: the keys of a sweep."""
    return [d for d in ds.dims if d not in RUN_DIMS]


def lacks_path(ds: xr.Dataset, kind: str, frame: str = "project") -> bool:
    """Whether chart ``kind`` draws the valuation path and ``ds`` does not
    hold it (no ``year`` dimension): a run made with ``path=False``
    (``--no-path``), or a decision unless asked."""
    return by_kind(kind, frame).path and "year" not in ds.dims


def no_path_cause(ds: xr.Dataset, subject: str = "this result") -> str:
    """Why a result without the valuation path has none (the report's note)."""
    if result_kind(ds) == "decide":
        return "a decision leaves the valuation path out"
    return f"{subject} was run without the valuation path"


def no_path_reason(ds: xr.Dataset) -> str:
    """Why a result without the valuation path has none, and what draws it."""
    if result_kind(ds) == "decide":
        return f"{no_path_cause(ds)}; a run of the scenario (sim run) holds it"
    return f"{no_path_cause(ds, 'it')} (path=False); run it again with the path"


def _require(ds: xr.Dataset, kind: str, variables, *, single_run: bool = True) -> None:
    missing = [v for v in variables if v not in ds.variables]
    if "model_size" not in ds.dims:
        missing.insert(0, "dimension model_size")
    if missing:
        why = ""
        if lacks_path(ds, kind) and "model_size" in ds.dims:
            why = f": {no_path_reason(ds)}"
        raise SimError(f"the {kind} chart needs {', '.join(missing)}, which this result lacks{why}")
    swept = swept_dims(ds)
    if single_run and swept:
        raise SimError(f"the {kind} chart needs a single run, but this result is a sweep over "
                       f"{', '.join(swept)}; use the sweep chart")


def _quantile(ds: xr.Dataset, var: str, level: float, kind: str) -> np.ndarray:
    levels = ds["quantile"].values
    hit = np.flatnonzero(np.isclose(levels, level, atol=1e-9))
    if hit.size == 0:
        raise SimError(f"the {kind} chart needs the {level:g} quantile of {var}, which this "
                       f"result lacks (it has {', '.join(f'{q:g}' for q in levels)})")
    return ds[var].isel(quantile=hit[0]).values.astype(float)


def _axes(ax):
    if ax is None:
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        return fig, fig.add_subplot()
    return ax.figure, ax


def _finite_sizes(ds: xr.Dataset, variables, kind: str) -> xr.Dataset:
    """The sizes at which every value of ``variables`` is finite (a file of an
    older version may hold NaN); the others are left out, and the title says
    so. No finite size at all is an error."""
    ok = np.ones(ds.sizes["model_size"], dtype=bool)
    for v in variables:
        da = ds[v]
        other = [d for d in da.dims if d != "model_size"]
        values = np.isfinite(da.transpose("model_size", *other).values)
        ok &= values.reshape(len(ok), -1).all(axis=1)
    if ok.all():
        return ds
    if not ok.any():
        raise SimError(f"the {kind} chart has no finite values to draw (every size holds "
                       "infinite or NaN values)")
    dropped = ", ".join(size_label(s) for s in ds["model_size"].values[~ok])
    kept = ds.isel(model_size=np.flatnonzero(ok))
    kept.attrs = {**ds.attrs, "_not_drawn": dropped}
    return kept


def _size_axis(ax, sizes: np.ndarray) -> None:
    """Log x axis with one labelled tick per grid size."""
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(sizes))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: size_label(x)))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel(SIZE_LABEL)


def _bar_extent(sizes: np.ndarray, fraction: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    """Left edges and widths of bars centred on log-spaced sizes."""
    logs = np.log10(sizes)
    step = np.min(np.diff(np.sort(logs))) if len(sizes) > 1 else 1.0
    half = fraction * step / 2
    left = 10 ** (logs - half)
    return left, 10 ** (logs + half) - left


# ---------------------------------------------------------------- charts

def fan(ds: xr.Dataset, ax=None) -> Figure:
    """ROI quantile bands and median per model size, the median ROI investors
    expect (dashed) and P(loss) on a second axis."""
    _require(ds, "fan", ["roi_quantile", "roi_expected_quantile", "prob_loss"])
    ds = _finite_sizes(ds, ["roi_quantile", "roi_expected_quantile", "prob_loss"], "fan")
    fig, ax = _axes(ax)
    sizes = ds["model_size"].values.astype(float)
    q = {lv: _quantile(ds, "roi_quantile", lv, "fan") for lv in (0.05, 0.25, 0.5, 0.75, 0.95)}
    expected = _quantile(ds, "roi_expected_quantile", 0.5, "fan")

    ax.fill_between(sizes, q[0.05], q[0.95], color="#4c72b0", alpha=0.18, lw=0,
                    label="5–95% of scenarios")
    ax.fill_between(sizes, q[0.25], q[0.75], color="#4c72b0", alpha=0.38, lw=0,
                    label="25–75% of scenarios")
    ax.plot(sizes, q[0.5], color="#1f3a68", lw=2, label="median ROI")
    ax.scatter(sizes, q[0.5], c=[size_color(s) for s in sizes], s=45, zorder=3,
               edgecolors="#1f3a68")
    ax.plot(sizes, expected, color="#c44e52", lw=2, ls="--",
            label="median ROI investors expect")
    ax.axhline(0, color="0.3", lw=0.8)
    lo = min(q[0.05].min(), expected.min(), 0.0)
    hi = max(q[0.95].max(), expected.max(), 1.0)
    ax.set_ylim(*_pad(lo, hi))
    _roi_scale(ax, "y", *ax.get_ylim())
    _size_axis(ax, sizes)

    ax2 = ax.twinx()
    ax2.plot(sizes, 100 * ds["prob_loss"].values, color="0.25", lw=1.5, ls=":", marker="s",
             ms=5, label="P(loss), right axis")
    ax2.set_ylim(0, 100)
    ax2.set_ylabel("P(loss): share of scenarios with ROI < 0 (%)")
    ax2.set_xscale("log")
    _size_axis(ax2, sizes)
    ax2.set_xlabel("")  # the twin shares the x axis: one label, not two in one place

    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3,
              fontsize="small", frameon=False)
    ax.set_title(_title(ds, "Return on investment by model size"))
    return fig


def _cdf(quantile_function: np.ndarray, x: np.ndarray) -> np.ndarray:
    """P(ROI <= x) from the fine quantile function (each point is 0.1%)."""
    q = np.sort(quantile_function)
    return np.searchsorted(q, x, side="right") / q.size


def hist(ds: xr.Dataset, ax=None, model_size=None, bins: int = 60) -> Figure:
    """ROI distribution of the chosen sizes (default: all), one panel per size
    (overlaid when drawn on ``ax``): the share of scenarios in bins of equal
    width on the asinh ROI axis, so areas are honest where the axis stretches."""
    _require(ds, "hist", ["roi_distribution"])
    ds = _finite_sizes(ds.sel(model_size=select_sizes(ds, model_size)), ["roi_distribution"], "hist")
    sizes = ds["model_size"].values.astype(float)
    dist = ds["roi_distribution"].sel(model_size=sizes).values
    lo, hi = float(dist.min()), float(dist.max())
    a, b = np.arcsinh(lo), np.arcsinh(hi)
    edges = np.sinh(np.linspace(a, b if b > a else a + 1, bins + 1))
    edges[0] = min(edges[0], lo) - 1e-12 * max(1.0, abs(lo))
    edges[-1] = max(edges[-1], hi)
    if ax is None:
        fig = Figure(figsize=(FIGSIZE[0], 1.2 + 1.7 * len(sizes)), layout="constrained")
        axes = fig.subplots(len(sizes), 1, sharex=True, squeeze=False).ravel()
    else:
        fig, axes = ax.figure, [ax] * len(sizes)
    for a_, s, qf in zip(axes, sizes, dist):
        share = 100 * np.diff(_cdf(qf, edges))
        a_.stairs(share, edges, facecolor=size_color(s), edgecolor=size_color(s), lw=1.8,
                  fill=ax is None, alpha=0.85, label=size_label(s))
        a_.axvline(0, color="0.3", lw=0.8, ls="--")
        a_.set_ylim(bottom=0)
        if ax is None:
            a_.text(0.99, 0.9, f"{size_label(s)}: P(loss) {percent(np.mean(qf < 0), 0)}",
                    transform=a_.transAxes, ha="right", va="top")
    for a_ in set(axes):
        a_.set_xlim(*_pad(lo, hi))
        _roi_scale(a_, "x", *a_.get_xlim())
        a_.set_ylabel("")
        if a_ is not axes[-1]:
            a_.set_xlabel("")
    if ax is None:
        fig.supylabel("share of scenarios per bin (%)")
        fig.suptitle(_title(ds, "Distribution of ROI by model size (dashed: break-even)"))
    else:
        ax.set_ylabel("share of scenarios per bin (%)")
        ax.legend(title="model size", fontsize="small")
        ax.set_title(_title(ds, "Distribution of ROI (dashed: break-even)"))
    return fig


def exceedance(ds: xr.Dataset, ax=None, model_size=None) -> Figure:
    """P(ROI > x) per size: the risk profile, read off at any target ROI."""
    _require(ds, "exceedance", ["roi_distribution"])
    ds = _finite_sizes(ds.sel(model_size=select_sizes(ds, model_size)), ["roi_distribution"],
                       "exceedance")
    fig, ax = _axes(ax)
    sizes = ds["model_size"].values.astype(float)
    p = ds["probability"].values
    dist = ds["roi_distribution"].sel(model_size=sizes).values
    for s, qf in zip(sizes, dist):
        ax.plot(qf, 100 * (1 - p), color=size_color(s), lw=2, label=size_label(s))
    ax.axvline(0, color="0.3", lw=0.8, ls="--")
    ax.set_xlim(*_pad(float(dist.min()), float(dist.max())))
    _roi_scale(ax, "x", *ax.get_xlim())
    ax.set_ylim(0, 100)
    ax.set_ylabel("P(ROI > x): share of scenarios above x (%)")
    ax.set_xlabel("x, " + ROI_LABEL)
    ax.grid(True, alpha=0.3)
    ax.legend(title="model size", fontsize="small")
    ax.set_title(_title(ds, "Chance of beating a target ROI (dashed: break-even)"))
    return fig


def objective_label(ds: xr.Dataset) -> str:
    """The decision objective in force, as people say it: "net value" (the default) or "ROI"."""
    return objectives.objective(ds.attrs.get("objective")).label


def _choice_size(ds: xr.Dataset) -> float | None:
    """The chosen size of a result (the highest mean objective), if the drawn
    data hold it: a result with strategies drawn for another strategy does not."""
    size = ds.attrs.get("choice_model_size")
    drawn = ds.attrs.get("_strategy")
    if size is None or not np.isfinite(float(size)) or (drawn is not None and drawn != ds.attrs.get("choice_strategy")):
        return None
    return float(size)


def best(ds: xr.Dataset, ax=None) -> Figure:
    """P(size has the highest objective of the grid) as bars, with 95% error
    bars; the objective is the result's decision.objective (net value by
    default), and the chosen size (the highest mean objective) is outlined."""
    _require(ds, "best", ["prob_best"])
    ds = _finite_sizes(ds, ["prob_best"] + (["prob_best_se"] if "prob_best_se" in ds else []),
                       "best")
    fig, ax = _axes(ax)
    sizes = ds["model_size"].values.astype(float)
    pb = 100 * ds["prob_best"].values
    err = 196 * ds["prob_best_se"].values if "prob_best_se" in ds else None
    left, width = _bar_extent(sizes)
    bars = ax.bar(left, pb, width=width, align="edge", color=[size_color(s) for s in sizes],
                  yerr=err, ecolor="0.2", capsize=4)
    ax.bar_label(bars, labels=[percent(p) for p in ds["prob_best"].values], padding=3, fontsize="small")
    _size_axis(ax, sizes)
    ax.set_ylim(0, max(5.0, 1.15 * float(np.max(pb + (err if err is not None else 0)))))
    goal = objective_label(ds)
    ax.set_ylabel(f"P(best): chance of the highest {goal} of the grid (%)")
    choice = _choice_size(ds)
    if choice is not None:
        j = int(np.argmin(np.abs(np.log(sizes) - np.log(choice))))
        bars[j].set_edgecolor("#c44e52")  # outlined in place: the bars stay one patch per size
        bars[j].set_linewidth(3.0)
        marker = Patch(facecolor="none", edgecolor="#c44e52", lw=3.0,
                       label=f"the choice, {size_label(choice)}: the highest mean {goal}")
        ax.legend(handles=[marker], loc="upper center", bbox_to_anchor=(0.5, -0.13), frameon=False,
                  fontsize="small")
    ax.set_title(_title(ds, f"How often each size has the highest {goal}, scenario by scenario\n"
                            "(error bars: 95% Monte Carlo interval)"))
    return fig


def costs(ds: xr.Dataset, ax=None) -> Figure:
    """Mean cost components per size, stacked as shares of the total; the
    mean total in USD is written above each bar (totals span decades)."""
    _require(ds, "costs", [v for v, _, _ in COST_COMPONENTS])
    ds = _finite_sizes(ds, [v for v, _, _ in COST_COMPONENTS], "costs")
    fig, ax = _axes(ax)
    sizes = ds["model_size"].values.astype(float)
    parts = np.stack([ds[v].values.astype(float) for v, _, _ in COST_COMPONENTS])
    total = parts.sum(axis=0)
    share = 100 * parts / np.where(total > 0, total, 1.0)
    left, width = _bar_extent(sizes)
    bottom = np.zeros_like(total)
    for (_, label, color), sh in zip(COST_COMPONENTS, share):
        ax.bar(left, sh, width=width, bottom=bottom, align="edge", color=color, label=label)
        bottom += sh
    for x, t in zip(sizes, total):
        ax.annotate(usd_label(t), (x, 100), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize="small")
    _size_axis(ax, sizes)
    ax.set_ylim(0, 110)
    ax.set_yticks(range(0, 101, 20))
    ax.set_ylabel("share of mean total cost (%)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small", title="cost")
    ax.set_title(_title(ds, "What the money goes to (mean total cost in USD above each bar)"))
    return fig


def _label(da: xr.DataArray, name: str) -> str:
    """An axis label with units for a statistic or a swept key; registry text
    for sweep keys that carry no attributes."""
    long_name = da.attrs.get("long_name")
    units = da.attrs.get("units")
    is_coord = name in da.dims
    if long_name is None and is_coord:
        from sim.vocab.registry import PARAMETERS
        p = PARAMETERS.get(name)
        if p is not None:
            long_name, units = p.meaning, units or p.unit
    text = long_name or name
    if is_coord and name not in text:
        text = f"{name}: {text}"
    if units == "1":
        units = "probability, 0–1" if name.startswith("prob") else "ratio"
    return f"{text} ({units})" if units else text


def short_label(ds: xr.Dataset, key: str) -> str:
    """A swept key as an axis label short enough for a small panel: its
    symbol (``k``), a field of its distribution (``lam of k``) or, for a
    structural key, its last part (``horizon_years``), with the unit."""
    from sim.vocab.registry import PARAMETERS

    units = ds[key].attrs.get("units")
    if key in PARAMETERS:
        p = PARAMETERS[key]
        base, units = p.symbol or key.rsplit(".", 1)[-1], units or p.unit
    else:
        parent, _, field = key.rpartition(".")
        base = f"{field} of {PARAMETERS[parent].symbol}" if parent in PARAMETERS \
            else key.rsplit(".", 1)[-1]
    return f"{base} ({units})" if units and units != "1" else base


def key_caption(ds: xr.Dataset, keys, width_inches: float) -> str:
    """What each short label stands for: the full key, its meaning and unit,
    wrapped to the figure's width."""
    import textwrap

    from sim.vocab.registry import PARAMETERS

    parts = []
    for key in keys:
        label = short_label(ds, key)
        meaning = ds[key].attrs.get("long_name")
        if meaning is None and key in PARAMETERS:
            meaning = PARAMETERS[key].meaning
        meaning = (meaning or "").replace(f" ({key.rpartition('.')[0]})", "").replace(f" ({key})", "")
        parts.append(f"{label.split(' (')[0]} = {key}" + (f": {meaning}" if meaning else ""))
    text = "; ".join(parts)
    return textwrap.fill(text, width=max(40, int(13 * width_inches)))


def _dark(t: float, cmap: str) -> bool:
    """Whether a cell of colour ``cmap(t)`` needs white text."""
    return abs(t - 0.5) > 0.3 if cmap == "RdBu" else t < 0.55


def _positive_decades(values: np.ndarray) -> bool:
    return (np.issubdtype(values.dtype, np.number) and values.size > 1
            and bool(np.all(values > 0)) and values.max() / values.min() >= 50)


def sweep(ds: xr.Dataset, ax=None, stat: str | None = None, model_size=None,
          quantile: float = 0.5) -> Figure:
    """A statistic over the swept keys of a sweep result: one line per model
    size over one key, or a heatmap (one per size) over two keys. By default
    the statistic of the sweep table, the mean of the decision objective
    (``net_value_mean``, or ``roi_mean`` when decision.objective = "roi")."""
    if stat is None:
        stat = f"{objectives.objective(ds.attrs.get('objective')).statistic}_mean"
    keys = swept_dims(ds)
    if not keys:
        raise SimError("the sweep chart needs a sweep result with a swept dimension besides "
                       f"{', '.join(RUN_DIMS)}; this result has none")
    if len(keys) > 2:
        raise SimError(f"the sweep chart draws one or two swept keys; this result sweeps "
                       f"{len(keys)}: {', '.join(keys)}")
    if stat not in ds.data_vars:
        options = [v for v in ds.data_vars if "probability" not in ds[v].dims
                   and "bound" not in ds[v].dims and not v.endswith("_se")]
        raise SimError(f"stat={stat!r}: not a variable of this result (try one of "
                       f"{', '.join(sorted(options))})")
    _require(ds, "sweep", [stat], single_run=False)
    da = ds[stat]
    if "probability" in da.dims or "bound" in da.dims:
        raise SimError(f"stat={stat!r}: not one number per point; choose a summary "
                       "such as roi_mean, roi_quantile or prob_loss")
    ylabel = _label(da, stat)
    if "quantile" in da.dims:
        levels = da["quantile"].values
        hit = np.flatnonzero(np.isclose(levels, quantile, atol=1e-9))
        if hit.size == 0:
            raise SimError(f"quantile={quantile:g}: not stored (levels: "
                           f"{', '.join(f'{q:g}' for q in levels)})")
        da = da.isel(quantile=hit[0])
        ylabel = f"{quantile:g} " + _label(da, stat)
    sizes = select_sizes(ds, model_size)
    da = da.sel(model_size=sizes)

    own = ax is None  # the chart owns the figure, so it can add the caption
    if len(keys) == 1:
        fig, ax = _axes(ax)
        key = keys[0]
        x = ds[key].values
        numeric = np.issubdtype(x.dtype, np.number)
        xs = x if numeric else np.arange(x.size)
        for s in sizes:
            ax.plot(xs, da.sel(model_size=s).transpose(key).values, color=size_color(s),
                    marker="o", lw=2, label=size_label(s))
        if not numeric:
            ax.set_xticks(xs, [str(v) for v in x])
        if _positive_decades(x):
            ax.set_xscale("log")
        if stat.startswith("roi"):
            ax.axhline(0, color="0.3", lw=0.8)
        if stat.startswith("prob"):
            ax.set_ylim(0, 1)
        ax.set_xlabel(short_label(ds, key) + (", log scale" if ax.get_xscale() == "log" else ""))
        ax.set_ylabel(ylabel)
        if da.attrs.get("units") == "USD":
            ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: usd_label(x)))
        ax.grid(True, alpha=0.3)
        ax.legend(title="model size", fontsize="small")
        ax.set_title(_title(ds, f"{_stat_name(da, stat)} over {short_label(ds, key).split(' (')[0]}"))
        if own:
            fig.supxlabel(key_caption(ds, [key], fig.get_figwidth()), fontsize="small",
                          ha="left", x=0.02)
        return fig

    if ax is not None and len(sizes) > 1:
        raise SimError("a sweep over two keys draws one heatmap per model size; choose one "
                       "size (model_size=...) to draw on a given axes")
    ky, kx = keys
    values = da.transpose("model_size", ky, kx).values
    finite = values[np.isfinite(values)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if vmin < 0 < vmax:
        norm, cmap = TwoSlopeNorm(0.0, vmin, vmax), "RdBu"
    else:
        norm, cmap = Normalize(vmin, vmax), "viridis"
    if ax is None:
        ncol = min(len(sizes), 3)
        nrow = math.ceil(len(sizes) / ncol)
        fig = Figure(figsize=(FIGSIZE[0] if ncol == 1 else 4.2 * ncol, 3.8 * nrow + 1.2),
                     layout="constrained")
        grid_axes = fig.subplots(nrow, ncol, squeeze=False, sharex=True, sharey=True)
        axes = grid_axes.ravel()
        for extra in axes[len(sizes):]:
            extra.set_visible(False)
        axes = axes[:len(sizes)]
    else:
        fig, axes = ax.figure, [ax]
    xv, yv = ds[kx].values, ds[ky].values
    for a, s, grid in zip(axes, sizes, values):
        mesh = a.pcolormesh(np.arange(xv.size + 1) - 0.5, np.arange(yv.size + 1) - 0.5, grid,
                            norm=norm, cmap=cmap)
        a.set_xticks(range(xv.size), [f"{v:g}" if np.isscalar(v) and isinstance(v, float)
                                      else str(v) for v in xv])
        a.set_yticks(range(yv.size), [f"{v:g}" if isinstance(v, float) else str(v) for v in yv])
        if grid.size <= 64:
            for (i, j), v in np.ndenumerate(grid):
                a.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize="small",
                       color="white" if _dark(norm(v), cmap) else "black")
        a.set_title(f"model size {size_label(s)}")
    if own:  # shared axes: labels on the outer panels only (and on the last row's)
        ncol = grid_axes.shape[1]
        for i, a in enumerate(axes):
            below = i + ncol
            if below >= len(axes):  # nothing drawn under it: it shows the x axis
                a.set_xlabel(short_label(ds, kx))
                a.xaxis.set_tick_params(labelbottom=True)
            if i % ncol == 0:
                a.set_ylabel(short_label(ds, ky))
    else:
        axes[0].set_xlabel(short_label(ds, kx))
        axes[0].set_ylabel(short_label(ds, ky))
    bar = fig.colorbar(mesh, ax=list(axes), label=ylabel, shrink=0.9)
    if isinstance(norm, TwoSlopeNorm):  # ticks on both sides of zero
        ticks = [vmin, vmin / 2] + list(MaxNLocator(5).tick_values(0, vmax))
        bar.set_ticks([t for t in ticks if vmin <= t <= vmax])
    short = [short_label(ds, k).split(" (")[0] for k in (ky, kx)]
    if own:
        fig.suptitle(_title(ds, f"{_stat_name(da, stat)} over {short[0]} and {short[1]}"))
        fig.supxlabel(key_caption(ds, [ky, kx], fig.get_figwidth()), fontsize="small",
                      ha="left", x=0.02)
    return fig


def _stat_name(da: xr.DataArray, stat: str) -> str:
    """A statistic as a title names it: its long name and variable ("mean net value, NPV - I (net_value_mean)")."""
    long_name = da.attrs.get("long_name")
    return f"{long_name} ({stat})" if long_name else stat


def calibration(ds: xr.Dataset, ax=None) -> Figure:
    """A calibration result: each observation against the scenario's 90%
    predictive interval, one panel per check (:func:`sim.present.calibration.calibration`)."""
    from sim.present import calibration as cal

    return cal.calibration(ds, ax=ax)


def tornado(ds: xr.Dataset, ax=None, model_size=None) -> Figure:
    """A sensitivity result's tornado: the output's median with each input
    held at its 5th and 95th percentile, one panel per model size
    (:func:`sim.present.sensitivity_charts.tornado`)."""
    from sim.present import sensitivity_charts as charts

    return charts.tornado(ds, ax=ax, model_size=model_size)


def sobol(ds: xr.Dataset, ax=None, model_size=None) -> Figure:
    """A sensitivity result's first- and total-order Sobol' indices with
    their intervals, one panel per model size (:func:`sim.present.sensitivity_charts.sobol`)."""
    from sim.present import sensitivity_charts as charts

    return charts.sobol(ds, ax=ax, model_size=model_size)


def _small_multiples(n: int, ax, height: float = 3.0):
    """A figure of ``n`` panels in rows of at most three, sharing x and y."""
    if ax is not None:
        raise SimError("this chart draws one panel per model size; give no ax, or one size "
                       "(model_size=...) to draw on a given axes")
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(4.2 * cols, height * rows + 1.2), layout="constrained")
    axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False).ravel()
    for a in axes[n:]:
        a.set_visible(False)
    return fig, axes[:n]


def cooling(ds: xr.Dataset, ax=None, model_size=None) -> Figure:
    """The fever over time: per size, the fan of the mark-to-market ROI
    investors hold after each year, from their belief at the decision (year
    0) to the realized ROI at the horizon, and below it the chance that the
    project is marked below cost and that one expected to pay has cooled."""
    _require(ds, "cooling", ["mtm_quantile", "prob_below_cost", "prob_cooled"])
    sizes = select_sizes(ds, model_size)
    years = ds["year"].values
    n = len(sizes)
    cols = min(5, n)
    fig = Figure(figsize=(max(6.0, 3.4 * cols), 6.4), layout="constrained")
    grid = fig.add_gridspec(2, cols, height_ratios=(2.2, 1.0))
    top = [fig.add_subplot(grid[0, c]) for c in range(cols)]
    bottom = [fig.add_subplot(grid[1, c], sharex=top[c]) for c in range(cols)]
    if n > cols:  # more sizes than columns: draw the largest ones that fit
        sizes = sizes[-cols:]
    lo, hi = np.inf, -np.inf
    for a, b, s in zip(top, bottom, sizes):
        at = ds.sel(model_size=s)
        q = {lv: _quantile(at, "mtm_quantile", lv, "cooling") for lv in (0.05, 0.25, 0.5, 0.75, 0.95)}
        color = size_color(s)
        a.fill_between(years, q[0.05], q[0.95], color=color, alpha=0.18, lw=0, label="5–95%")
        a.fill_between(years, q[0.25], q[0.75], color=color, alpha=0.38, lw=0, label="25–75%")
        a.plot(years, q[0.5], color=color, lw=2, marker="o", ms=4, label="median")
        a.plot(years, at["mtm_mean"].values, color="0.2", lw=1.2, ls="--", label="mean")
        a.axhline(0, color="0.3", lw=0.8)
        lo, hi = min(lo, q[0.05].min()), max(hi, q[0.95].max())
        a.set_title(f"model size {size_label(s)}")
        b.plot(years, 100 * at["prob_below_cost"].values, color="#c44e52", lw=1.8, marker="s",
               ms=4, label="P(marked below cost)")
        b.plot(years, 100 * at["prob_cooled"].values, color="#4c72b0", lw=1.8, marker="^",
               ms=4, label="P(expected to pay, then marked below cost)")
        b.set_ylim(0, 100)
        b.xaxis.set_major_locator(FixedLocator(years))
    for a in top:
        a.set_ylim(*_pad(min(lo, 0.0), max(hi, 1.0)))
        _roi_scale(a, "y", *a.get_ylim())
        a.set_ylabel("mark-to-market ROI (asinh scale)")
    for a in top[1:] + bottom[1:]:
        a.set_ylabel("")
    bottom[0].set_ylabel("share of scenarios (%)")
    # One legend below the panels, in grey for the bands of every size: inside
    # a panel it covered a line wherever the data ran (P(marked below cost)
    # near 100% at the smallest size).
    grey = "0.45"
    keys = [Patch(facecolor=grey, alpha=0.18, lw=0, label="5–95% of scenarios"),
            Patch(facecolor=grey, alpha=0.38, lw=0, label="25–75%"),
            Line2D([], [], color=grey, lw=2, marker="o", ms=4, label="median"),
            Line2D([], [], color="0.2", lw=1.2, ls="--", label="mean"),
            *bottom[0].get_legend_handles_labels()[0]]
    wide = cols >= 3  # one row of keys; a narrow figure takes three rows of two
    fig.legend(handles=keys, loc="outside lower center", ncols=len(keys) if wide else 2,
               frameon=False, fontsize="small", title_fontsize="small",
               title=f"year 0: what investors believe at the decision; year {int(years[-1])}: "
                     "the realized ROI")
    # Under each panel, not fig.supxlabel, which the legend below would cover.
    for b in bottom:
        b.set_xlabel("years after the decision")
    shown = "" if len(sizes) == n else f" (the {len(sizes)} largest of {n} sizes)"
    fig.suptitle(_title(ds, f"How the fever cools: mark-to-market ROI year by year{shown}"))
    return fig


def cashflow(ds: xr.Dataset, ax=None, model_size=None) -> Figure:
    """Realized against believed cash flow per year (mean, USD, not
    discounted), one panel per size."""
    _require(ds, "cashflow", ["cash_flow_mean", "cash_flow_expected_mean"])
    sizes = select_sizes(ds, model_size)
    years = ds["year"].values[1:]
    fig, axes = _small_multiples(len(sizes), ax)
    width = 0.38
    for a, s in zip(axes, sizes):
        at = ds.sel(model_size=s, year=years)
        real = at["cash_flow_mean"].values
        believed = at["cash_flow_expected_mean"].values
        a.bar(years - width / 2, believed, width, color="#c44e52", alpha=0.7,
              label="believed at the decision")
        a.bar(years + width / 2, real, width, color=size_color(s), label="realized")
        a.errorbar(years + width / 2, real, yerr=1.96 * at["cash_flow_mean_se"].values,
                   fmt="none", ecolor="0.2", lw=1)
        a.axhline(0, color="0.3", lw=0.8)
        a.set_yscale("symlog", linthresh=1e5)
        a.yaxis.set_major_formatter(FuncFormatter(lambda x, _: usd_label(x)))
        a.yaxis.set_minor_locator(NullLocator())
        a.tick_params(labelbottom=True)
        a.set_title(f"model size {size_label(s)}")
        a.set_xlabel("revenue year")
        a.xaxis.set_major_locator(FixedLocator(years))
    top = max(1e6, float(np.nanmax(np.abs(ds["cash_flow_expected_mean"].sel(model_size=sizes)))))
    bottom = float(np.nanmin(ds["cash_flow_mean"].sel(model_size=sizes)))
    decades = [10.0**k for k in range(6, int(np.ceil(np.log10(top))) + 1)]
    ticks = [-d for d in decades[::-1] if -d >= bottom] + [0.0] + decades
    for a in axes:
        a.yaxis.set_major_locator(FixedLocator(ticks))
        a.set_ylim(min(0.0, bottom * 1.5), top * 1.5)
    axes[0].set_ylabel("mean cash flow, USD (not discounted; log above $100K)")
    axes[0].legend(loc="best", fontsize="small", frameon=False)
    fig.suptitle(_title(ds, "Cash flow per year: what investors believed and what came"))
    return fig


def decision(ds: xr.Dataset, ax=None) -> Figure:
    """P(best) of every (strategy, size) alternative as a heat map, with the
    value in each cell and the choice outlined."""
    _require(ds, "decision", ["prob_best"], single_run=False)
    swept = [d for d in swept_dims(ds) if d not in ("strategy", "parameter")]
    if swept:
        raise SimError(f"the decision chart needs a single run, but this result is a sweep over "
                       f"{', '.join(swept)}")
    fig, ax = _axes(ax)
    pb = ds["prob_best"]
    strategies = list(ds["strategy"].values) if "strategy" in pb.dims else [
        ds.attrs.get("scenario_name", "scenario")]
    shares = pb.transpose("strategy", "model_size").values if "strategy" in pb.dims else pb.values[None, :]
    if "alternative" in ds.coords:  # a strategy's undeclared sizes: blank cells marked "-"
        shares = np.where(ds["alternative"].transpose("strategy", "model_size").values, shares, np.nan)
    values = 100 * shares
    sizes = ds["model_size"].values.astype(float)
    top = float(np.nanmax(values))
    mesh = ax.imshow(values, cmap="viridis", vmin=0, vmax=max(1.0, top), aspect="auto")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            ax.text(j, i, percent(shares[i, j]) if np.isfinite(v) else "-", ha="center", va="center",
                    fontsize="small", color="black" if not np.isfinite(v) or v >= 0.6 * top else "white")
    ax.set_xticks(range(len(sizes)), [size_label(x) for x in sizes])
    ax.set_yticks(range(len(strategies)), strategies)
    ax.set_xlabel("model size (parameters)")
    ax.set_ylabel("strategy")
    choice_s, choice_n = ds.attrs.get("choice_strategy"), ds.attrs.get("choice_model_size")
    if choice_s in strategies and choice_n is not None and np.isfinite(choice_n):
        i, j = strategies.index(choice_s), int(np.argmin(np.abs(sizes - float(choice_n))))
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="#c44e52", lw=2.5,
                               label="choice (highest expected objective)"))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False,
                  fontsize="small")
    objective = objectives.objective(ds.attrs.get("objective")).label
    fig.colorbar(mesh, ax=ax, label=f"P(best by {objective}) (%)")
    ax.set_title(_title(ds, f"Which alternative is best: P(highest {objective})"))
    return fig


def voi(ds: xr.Dataset, ax=None, top: int = 15) -> Figure:
    """EVPPI of the parameters (the largest ``top``) as bars with 95% error
    bars, and the noise floor of a dummy parameter marked: what resolving
    each uncertainty first would be worth."""
    _require(ds, "voi", ["evppi", "evppi_se", "evppi_floor"], single_run=False)
    fig, ax = _axes(ax)
    names = [str(x) for x in ds["parameter"].values]
    keep = [i for i in np.argsort(-ds["evppi"].values) if not names[i].startswith("dummy")][:top]
    values = ds["evppi"].values[keep]
    errors = 1.96 * ds["evppi_se"].values[keep]
    usd = objectives.objective(ds.attrs.get("objective")).units == "USD"
    y = np.arange(len(keep))[::-1]
    ax.barh(y, values, xerr=errors, color="#4c72b0", ecolor="0.25", capsize=3,
            label="EVPPI ± 95% interval")
    floor = float(ds["evppi_floor"])
    band = floor + 1.96 * float(ds["evppi_floor_se"])
    ax.axvspan(0, max(band, 0.0), color="#c44e52", alpha=0.15, label="noise floor (dummy parameter)")
    ax.axvline(floor, color="#c44e52", lw=1.5)
    ax.set_yticks(y, [_short_key(names[i]) for i in keep])
    ax.set_xlabel("EVPPI: what knowing the parameter before deciding is worth"
                  + (" (USD)" if usd else " (ROI)"))
    if usd:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: usd_label(x)))
    evpi = float(ds["evpi"]) if "evpi" in ds else None
    if evpi is not None:
        ax.set_title(_title(ds, "Value of information, by parameter (EVPI "
                            + value_label(evpi, "USD" if usd else None) + ")"))
    ax.legend(loc="lower right", fontsize="small", frameon=False)
    return fig


def _short_key(key: str) -> str:
    """A key as a label: its section and leaf (expectation. kept visible)."""
    parts = key.split(".")
    return ".".join(parts[-2:]) if parts[0] != "expectation" else "belief " + ".".join(parts[-2:])


#: The drawing function of every kind of the project frame in the chart registry (sim.present.kinds).
CHARTS = {c.name: globals()[c.function] for c in _REGISTRY if c.frame == "project"}
#: The drawing function of every kind of the industry frame (sim.present.industry_charts).
INDUSTRY_CHARTS = {c.name: getattr(industry_charts, c.function) for c in _REGISTRY
                   if c.frame == "industry"}


# ---------------------------------------------------------------- files

def open_result(path: str | os.PathLike) -> xr.Dataset:
    """Load a result file into memory (the file is closed afterwards)."""
    path = Path(path)
    if not path.is_file():
        raise SimError(f"{path}: no such result file")
    dask_on_demand.install()  # a file read into NumPy arrays does not import Dask
    try:
        ds = xr.load_dataset(path)
    except Exception as exc:  # netCDF4 and xarray raise many kinds
        raise SimError(f"{path}: not a readable netCDF result ({type(exc).__name__})") from None
    from sim.present.sensitivity_tables import is_sensitivity

    from sim.present.calibration import is_calibration

    # The industry frame's results, sensitivity analyses and calibrations have no model_size.
    if "model_size" not in ds.dims and frame(ds) != "industry" and not is_sensitivity(ds) \
            and not is_calibration(ds):
        raise SimError(f"{path}: not a sim result (no model_size dimension)")
    return ds


def frame(ds: xr.Dataset) -> str:
    """The frame whose charts draw a result: "industry" or "project"
    (specification section 15). A sensitivity analysis of either frame is
    drawn by the same tornado and Sobol' charts, the project frame's kinds."""
    from sim.present.sensitivity_tables import is_sensitivity

    if is_sensitivity(ds):
        return "project"
    return "industry" if ds.attrs.get("frame") == "industry" else "project"


def result_kind(ds: xr.Dataset) -> str:
    """The command whose result ``ds`` is: sensitivity, calibrate, sample, sweep, decide or run."""
    from sim.present.calibration import is_calibration
    from sim.present.sensitivity_tables import is_sensitivity

    if is_sensitivity(ds):
        return "sensitivity"
    if is_calibration(ds):
        return "calibrate"
    if "scenario" in ds.dims:
        return "sample"
    if swept_dims(ds):
        return "sweep"
    return "decide" if "evppi" in ds else "run"


#: Which results each source of the chart registry draws (a decision is a run and more).
_DRAWS = {"run": ("run", "decide"), "decide": ("decide",), "sweep": ("sweep",),
          "sensitivity": ("sensitivity",), "calibrate": ("calibrate",)}


def drawable_kinds(ds: xr.Dataset) -> list[str]:
    """The kinds that draw ``ds``: of its frame, made for its kind of result
    (:func:`result_kind`), and holding the valuation path where they draw it."""
    have, on = result_kind(ds), frame(ds)
    return [c for c in frame_kinds(on)
            if have in _DRAWS[by_kind(c, on).source] and not lacks_path(ds, c, on)]


def _check_kind(ds: xr.Dataset, kind: str) -> None:
    """A chart of another kind of result is refused in one message that says
    which charts draw this result, or which command makes what the chart draws."""
    have = result_kind(ds)
    on = frame(ds)
    fits = drawable_kinds(ds)
    instead = ((f"use kind={fits[0]!r}" + (f" (or {', '.join(fits[1:])})" if fits[1:] else ""))
               if fits else "no chart draws it; read the file with xarray, or save a run with "
                            "sim run to draw")
    if kind not in frame_kinds(on):
        other = next(f for f in FRAMES if f != on)
        raise SimError(f"the {kind} chart draws results of the {other} frame; this is a result "
                       f"of sim {have} on the {on} frame: {instead}")
    need = by_kind(kind, on).source
    if have in _DRAWS[need]:
        if lacks_path(ds, kind, on):
            raise SimError(f"the {kind} chart draws the valuation path, which this result of "
                           f"sim {have} lacks: {no_path_reason(ds)}, or {instead}")
        return
    if need == "sweep" and on == "project":
        raise SimError(f"the sweep chart needs a sweep result with a swept dimension besides "
                       f"{', '.join(RUN_DIMS)}; this result has none (it is a result of sim "
                       f"{have}; make a sweep with sim sweep)")
    commands = [c for c in _DRAWS[need] if on == "project" or c != "decide"]  # no decide there
    raise SimError(f"the {kind} chart needs a result of sim {' or sim '.join(commands)}; "
                   f"this is a result of sim {have}{' on the industry frame' * (on == 'industry')}"
                   f": {instead}")


def default_kind(ds: xr.Dataset) -> str:
    """The chart a result is drawn with when no kind is asked for: the fan of
    a run, the sweep chart of a sweep, the Sobol' (else tornado) chart of a
    sensitivity analysis."""
    from sim.present.sensitivity_tables import is_sensitivity

    if is_sensitivity(ds):
        return "sobol" if "sobol_total" in ds else "tornado"
    if result_kind(ds) == "calibrate":
        return "calibration"
    if "sweep_keys" in ds.attrs:
        return "sweep"
    return "fan"


def draw(ds: xr.Dataset, kind: str, strategy: str | None = None, **options) -> Figure:
    """Draw chart ``kind``; options (model_size, stat, quantile) go to the
    kinds that take them. A result with strategies is drawn for one of them
    (``strategy``, by default the chosen one), except by the decision and
    value-of-information charts, which compare them all."""
    if kind not in KINDS:
        raise SimError(f"unknown chart kind {kind!r} (expected one of {', '.join(KINDS)})")
    _check_kind(ds, kind)
    chart = by_kind(kind, frame(ds))
    if "strategy" in ds.dims and not chart.all_strategies:
        names = [str(x) for x in ds["strategy"].values]
        chosen = strategy or ds.attrs.get("choice_strategy") or names[0]
        if chosen not in names:
            raise SimError(f"strategy {chosen!r}: not in this result (it has {', '.join(names)})")
        ds = select_strategy(ds, chosen, drop=True)  # at the sizes it declares
        # A new dict: the selection shares the caller's attrs, which drawing must not change.
        ds.attrs = {**ds.attrs, "scenario_name": f"{ds.attrs.get('scenario_name', '?')}, strategy {chosen}",
                    "_strategy": chosen}
    elif strategy is not None and not chart.all_strategies:
        raise SimError(f"strategy={strategy!r}: this result declares no strategies")
    given = {k: v for k, v in options.items() if v is not None}
    unused = [k for k in given if k not in chart.options]
    if unused:
        raise SimError(f"the {kind} chart takes no {', '.join(k + '=' for k in unused)}")
    draws = INDUSTRY_CHARTS if chart.frame == "industry" else CHARTS
    return draws[kind](ds, **given)


def check_figure_path(path: str | os.PathLike, *, overwrite: bool = True) -> Path:
    """``path`` if a figure can be written there (a known suffix, a writable
    place; see :func:`sim.services.atomic.check_output`)."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise SimError(f"{path}: expected a .png, .svg or .pdf file name")
    check_output(path, overwrite=overwrite)
    return path


def save_figure(fig: Figure, path: str | os.PathLike, dpi: int = 150, *,
                overwrite: bool = True) -> Path:
    """Write ``fig`` atomically as PNG, SVG or PDF (chosen by the suffix).

    The figure is rendered in memory first, so a write error (a full disk)
    is one message and leaves no file."""
    path = check_figure_path(path, overwrite=overwrite)
    suffix = path.suffix.lower()
    buf = io.BytesIO()
    fig.savefig(buf, format=suffix[1:], dpi=dpi, metadata=_metadata(suffix))
    write_bytes(path, buf.getbuffer(), overwrite=overwrite)
    return path


def _metadata(suffix: str) -> dict:
    """No creation dates, so the same result gives the same file."""
    return {".png": {"Software": None}, ".svg": {"Date": None},
            ".pdf": {"CreationDate": None}}[suffix]
