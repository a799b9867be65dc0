"""Charts of the industry frame's results (specification section 15).

``fan``: one panel per main path (lab count, revenue, capex, serving margin,
Q) over calendar years, the median and the bands of the middle 50% and 90%
of the scenarios. ``cooling``: the chance, year by year, that the fever has
cooled, that a lab is valued below cost and that capex falls, beside the
distribution of the year in which capex peaks. ``sweep``: those chances in
the last year over the swept values, beside the median Q of each value.
:func:`sim.present.charts.draw` calls them for a result whose ``frame`` is
"industry" (the registry, :mod:`sim.present.kinds`, says which kind draws
what); like every chart they only read the Dataset.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, MaxNLocator, NullLocator

from sim.present.axes import title
from sim.vocab import industry as iv
from sim.vocab.errors import SimError
from sim.vocab.units import compact, percent, significant, usd_axis

__all__ = ["cooling", "fan", "swept_keys", "sweep"]

#: Dimensions of one industry run; any other dimension of a result was swept.
RUN_DIMS = ("year", "quantile", "bound")
#: Quantile levels of the fan: the bands and the median.
LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)
#: A path whose 5%-95% band is positive and spans this factor is drawn on a log scale.
DECADES = 50.0
BAND = "#4c72b0"
MEDIAN = "#1f3a68"
VALUE_EQUALS_COST = "#c44e52"
Q_ONE = "Q = 1 (value = cost)"


#: Per main path: the y-axis label (with units), how its ticks are written,
#: and the width of the linear part of an asinh axis when the path turns negative.
AXES = {
    "labs": ("frontier labs (an expected count)", lambda x, _=None: compact(x), 1.0),
    "revenue": ("industry revenue A (USD/year)", lambda x, _=None: usd_axis(x), 1e9),
    "capex": ("capex K, the labs' spend on models (USD/year)", lambda x, _=None: usd_axis(x), 1e9),
    "serving_margin": ("serving margin 1 − S/A (% of revenue)", lambda x, _=None: percent(x, 0),
                       1.0),
    "q": ("valuation ratio Q (value ÷ cost of planned models)", lambda x, _=None: significant(x),
          1.0),
}
#: Panel titles of the main paths.
TITLES = {
    "labs": "Frontier labs",
    "revenue": "Industry revenue",
    "capex": "Capex (spend on models)",
    "serving_margin": "Serving margin",
    "q": "Valuation ratio Q",
}
#: The cooling probabilities: field, legend label, colour, marker.
COOLING_LINES = (
    ("cooled", "P(cooled by then): valued above cost in the first year,\nbelow cost in some "
               "year since", "#4c72b0", "o"),
    ("valued_below_cost", "P(valued below cost): Q < 1 that year", "#c44e52", "s"),
    ("capex_fall", "P(capex falls): capex below the year before", "#55a868", "^"),
)


def _check(ds: xr.Dataset, kind: str, variables, *, sweep: bool = False) -> None:
    if ds.attrs.get("frame") != "industry":
        raise SimError(f"the industry {kind} chart needs an industry-frame result; this one is "
                       "of the project frame")
    missing = [v for v in variables if v not in ds.variables]
    if missing:
        raise SimError(f"the {kind} chart needs {', '.join(missing)}, which this result lacks")
    keys = swept_keys(ds)
    if sweep and not keys:
        raise SimError(f"the {kind} chart needs a sweep result; this industry result sweeps "
                       "nothing (use kind='fan' or 'cooling')")
    if not sweep and keys:
        raise SimError(f"the {kind} chart needs a single run, but this result is a sweep over "
                       f"{', '.join(keys)}; use kind='sweep'")


def swept_keys(ds: xr.Dataset) -> list[str]:
    """Dimensions of an industry result beyond those of one run: the swept keys."""
    return [d for d in ds.dims if d not in RUN_DIMS]


def _levels(da: xr.DataArray, kind: str) -> dict[float, np.ndarray]:
    """The quantiles of :data:`LEVELS` of ``da`` (dimension ``quantile``)."""
    have = da["quantile"].values
    out = {}
    for level in LEVELS:
        hit = np.flatnonzero(np.isclose(have, level, atol=1e-9))
        if hit.size == 0:
            raise SimError(f"the {kind} chart needs the {level:g} quantile of {da.name}, which "
                           f"this result lacks (it has {', '.join(f'{q:g}' for q in have)})")
        out[level] = da.isel(quantile=hit[0]).values.astype(float)
    return out


def _asinh_ticks(lo: float, hi: float, width: float) -> list[float]:
    """Ticks of an asinh axis over [lo, hi]: 0 and ±``width``, then ±10^k,
    ±5 × 10^k and ±2 × 10^k times ``width`` (and ±width/2 within the linear
    part), each kept if it sits at least 1/14 of the axis from those kept
    before."""
    def at(x):
        return float(np.arcsinh(x / width))

    top = max(abs(lo), abs(hi)) / width
    decades = range(0, int(np.ceil(np.log10(max(top, 1.0)))) + 1)
    candidates = [0.0]
    for m in (1, 5, 2):
        candidates += [s * m * 10.0**k * width for k in decades for s in (1, -1)]
    candidates += [0.5 * width, -0.5 * width]
    gap = (at(hi) - at(lo)) / 14
    kept = [t for t in (0.0, width, -width) if lo <= t <= hi]  # where linear turns log
    for t in candidates:
        if lo <= t <= hi and all(abs(at(t) - at(k)) >= gap for k in kept):
            kept.append(t)
    return sorted(kept)


def value_scale(ax, lo: float, hi: float, fmt, width: float) -> str:
    """Scale the y axis of values in [lo, hi]: log when they are positive and
    span :data:`DECADES`, asinh (linear within ±width, log beyond) when they
    turn negative and reach beyond 3 widths, else linear. Ticks are written by
    ``fmt``; returns what the label should add ("log scale", ...), or ""."""
    ax.yaxis.set_major_formatter(FuncFormatter(fmt))
    if lo > 0 and hi / lo >= DECADES:
        ax.set_yscale("log")
        subs = (1.0, 2.0, 5.0) if hi / lo < 1e4 else (1.0,)
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs))
        ax.yaxis.set_major_formatter(FuncFormatter(fmt))
        ax.yaxis.set_minor_locator(NullLocator())
        return "log scale"
    if lo < 0 and max(abs(lo), abs(hi)) > 3 * width:
        ax.set_yscale("asinh", linear_width=width)
        ax.yaxis.set_major_locator(FixedLocator(_asinh_ticks(*ax.get_ylim(), width)))
        ax.yaxis.set_major_formatter(FuncFormatter(fmt))
        ax.yaxis.set_minor_locator(NullLocator())
        return f"asinh scale: linear within ±{fmt(width)}, log beyond"
    ax.yaxis.set_major_locator(MaxNLocator(6))
    return ""


def _year_axis(ax, years: np.ndarray) -> None:
    ax.set_xlim(years[0] - 0.3, years[-1] + 0.3)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=min(len(years), 7), integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: str(int(round(x)))))
    ax.grid(True, alpha=0.3)


# ---------------------------------------------------------------- charts

def fan(ds: xr.Dataset, ax=None) -> Figure:
    """Each main path over calendar years, one panel each: the median and
    the bands of the middle 50% and 90% of the scenarios; revenue and capex
    (any path spanning decades) on log scales, Q with its line at 1."""
    if ax is not None:
        raise SimError("the industry fan chart draws one panel per path; give no ax")
    _check(ds, "fan", [f"{p}_quantile" for p in iv.MAIN_PATHS] + ["calendar_year"])
    years = ds["calendar_year"].values.astype(int)
    fig = Figure(figsize=(13.0, 7.6), layout="constrained")
    axes = fig.subplots(2, 3).ravel()
    for a, path in zip(axes, iv.MAIN_PATHS):
        q = _levels(ds[f"{path}_quantile"], "fan")
        a.fill_between(years, q[0.05], q[0.95], color=BAND, alpha=0.18, lw=0,
                       label="5–95% of scenarios")
        a.fill_between(years, q[0.25], q[0.75], color=BAND, alpha=0.38, lw=0,
                       label="25–75% of scenarios")
        a.plot(years, q[0.5], color=MEDIAN, lw=2, marker="o", ms=3.5, label="median")
        label, fmt, width = AXES[path]
        lo, hi = float(np.min(q[0.05])), float(np.max(q[0.95]))
        if path == "q":
            a.axhline(1.0, color=VALUE_EQUALS_COST, lw=1.4, ls="--", label=Q_ONE)
            lo, hi = min(lo, 1.0), max(hi, 1.0)
        note = value_scale(a, lo, hi, fmt, width)
        a.set_ylabel(label + (f"\n{note}" if note else ""), fontsize="small")
        a.set_title(TITLES[path])
        _year_axis(a, years)
    key = axes[-1]
    key.axis("off")
    handles = [Patch(color=BAND, alpha=0.18, label="5–95% of scenarios (90% of them)"),
               Patch(color=BAND, alpha=0.38, label="25–75% of scenarios (the middle half)"),
               Line2D([], [], color=MEDIAN, lw=2, marker="o", ms=3.5, label="median over scenarios"),
               Line2D([], [], color=VALUE_EQUALS_COST, lw=1.4, ls="--", label=Q_ONE)]
    key.legend(handles=handles, loc="center", frameon=False, title="each panel")
    fig.supxlabel("calendar year")
    fig.suptitle(title(ds, "The industry year by year: each main path over calendar years"))
    return fig


def cooling(ds: xr.Dataset, ax=None) -> Figure:
    """The cooling panel: P(cooled by then), P(valued below cost) and
    P(capex falls) over calendar years with ±2 standard errors, beside the
    share of scenarios whose capex peaks in each year."""
    if ax is not None:
        raise SimError("the industry cooling chart draws two panels; give no ax")
    variables = [iv.FIELD_BY_NAME[n].variable for n in iv.COOLING + ("capex_peak",)]
    _check(ds, "cooling", variables + [v + "_se" for v in variables] + ["calendar_year"])
    years = ds["calendar_year"].values.astype(int)
    fig = Figure(figsize=(13.0, 5.6), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(3, 2))
    few = len(years) <= 15  # else smaller marks, so thirty years stay legible
    for name, label, color, marker in COOLING_LINES:
        var = iv.FIELD_BY_NAME[name].variable
        p, se = ds[var].values, ds[var + "_se"].values
        left.plot(years, p, color=color, lw=1.8, marker=marker, ms=5 if few else 3, label=label)
        left.errorbar(years, p, yerr=2 * se, fmt="none", ecolor=color, capsize=3 if few else 1.5,
                      lw=1)
    above = 1 - float(ds[iv.FIELD_BY_NAME["valued_below_cost"].variable].values[0])
    left.axhline(above, color="#4c72b0", lw=1, ls=":",
                 label=f"the most that can cool: P(valued above cost in {years[0]}) = "
                       f"{percent(above)}")
    left.set_ylim(-0.02, 1.02)
    left.yaxis.set_major_locator(FixedLocator(np.linspace(0, 1, 6)))
    left.yaxis.set_major_formatter(FuncFormatter(lambda x, _: percent(x, 0)))
    left.set_ylabel("share of scenarios (%)")
    left.set_xlabel("calendar year")
    _year_axis(left, years)
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize="small", frameon=False,
                ncol=2)
    left.set_title("Chance of each event, year by year (error bars: ±2 standard errors)",
                   fontsize="medium")

    var = iv.FIELD_BY_NAME["capex_peak"].variable
    p, se = ds[var].values, ds[var + "_se"].values
    colors = ["#8172b3"] * len(years)
    bars = right.bar(years, p, width=0.7, color=colors, yerr=2 * se, ecolor="0.25", capsize=3,
                     label="P(capex peaks that year)")
    bars[-1].set_hatch("//")
    bars[-1].set_edgecolor("white")
    if few:
        right.bar_label(bars, labels=[percent(x, 0) for x in p], padding=2, fontsize="x-small")
    right.set_ylim(0, max(0.05, 1.2 * float(np.max(p + 2 * se))))
    right.yaxis.set_major_formatter(FuncFormatter(lambda x, _: percent(x, 0)))
    right.set_ylabel("share of scenarios (%)")
    right.set_xlabel("calendar year of the largest capex of the horizon")
    _year_axis(right, years)
    right.grid(False)
    right.grid(True, axis="y", alpha=0.3)
    right.legend(handles=[Patch(color="#8172b3", label="P(capex peaks that year) ± 2 se"),
                          Patch(facecolor="#8172b3", hatch="//", edgecolor="white",
                                label=f"{years[-1]}: still highest at the horizon\n"
                                      "(the peak may come later)")],
                 loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize="small",
                 frameon=False, ncol=2)
    right.set_title("When capex peaks", fontsize="medium")
    fig.suptitle(title(ds, "How the fever cools: investors' valuation and capex, year by year"))
    return fig


def _key_axis(ax, ds: xr.Dataset, key: str) -> np.ndarray:
    """x positions of a swept key's values (log axis when positive and spanning
    decades, the values themselves as labels when they are not numbers)."""
    x = ds[key].values
    if not np.issubdtype(x.dtype, np.number):
        ax.set_xticks(range(x.size), [str(v) for v in x])
        return np.arange(x.size)
    if x.size > 2 and np.all(x > 0) and x.max() / x.min() >= 10:
        ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(x))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: significant(v)))
    ax.xaxis.set_minor_locator(NullLocator())
    return x


def _key_label(ds: xr.Dataset, key: str) -> str:
    units = ds[key].attrs.get("units")
    return f"{key} ({units})" if units and units != "1" else key


def sweep(ds: xr.Dataset, ax=None) -> Figure:
    """An industry sweep: in the last year, P(cooled), P(valued below cost)
    and P(realized industry return < 0) over the swept key with ±2 standard
    errors, and the median Q of each swept value over calendar years; over
    two keys, P(cooled) and P(industry return < 0) over the first key, one
    line per value of the second."""
    if ax is not None:
        raise SimError("the industry sweep chart draws two panels; give no ax")
    _check(ds, "sweep", ["prob_cooled", "prob_cooled_se", "prob_valued_below_cost",
                         "prob_valued_below_cost_se", "prob_industry_loss",
                         "prob_industry_loss_se", "q_quantile", "calendar_year"], sweep=True)
    keys = swept_keys(ds)
    if len(keys) > 2:
        raise SimError(f"the industry sweep chart draws one or two swept keys; this result "
                       f"sweeps {len(keys)}: {', '.join(keys)}")
    years = ds["calendar_year"].values.astype(int)
    last = int(years[-1])
    last_year = {"year": ds.sizes["year"] - 1}
    fig = Figure(figsize=(13.0, 5.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    key = keys[0]
    if len(keys) == 1:
        x = _key_axis(left, ds, key)
        lines = ((f"P(cooled by {last})", "prob_cooled", last_year, "#4c72b0", "o"),
                 (f"P(valued below cost in {last})", "prob_valued_below_cost", last_year,
                  "#c44e52", "s"),
                 ("P(realized industry return < 0)", "prob_industry_loss", {}, "0.3", "D"))
        for label, var, at, color, marker in lines:
            p = ds[var].isel(at).transpose(key).values
            se = ds[var + "_se"].isel(at).transpose(key).values
            left.plot(x, p, color=color, marker=marker, lw=1.8, label=label)
            left.errorbar(x, p, yerr=2 * se, fmt="none", ecolor=color, capsize=3, lw=1)
        left.set_title("Chances over the swept values (error bars: ±2 standard errors)",
                       fontsize="medium")
        median = _levels(ds["q_quantile"].transpose(key, "year", "quantile"), "sweep")[0.5]
        cmap = colormaps["viridis"]
        for i, v in enumerate(ds[key].values):
            right.plot(years, median[i], color=cmap(0.9 * i / max(1, len(x) - 1)), lw=1.8,
                       marker="o", ms=3, label=significant(v) if np.isscalar(v) and not
                       isinstance(v, str) else str(v))
        right.axhline(1.0, color=VALUE_EQUALS_COST, lw=1.4, ls="--", label=Q_ONE)
        label, fmt, width = AXES["q"]
        note = value_scale(right, min(float(median.min()), 1.0), max(float(median.max()), 1.0),
                           fmt, width)
        right.set_ylabel("median " + label + (f"\n{note}" if note else ""))
        right.set_xlabel("calendar year")
        _year_axis(right, years)
        right.legend(title=key, fontsize="small", title_fontsize="small", loc="best")
        right.set_title("Median Q of each swept value, year by year", fontsize="medium")
    else:
        other = keys[1]
        x = _key_axis(left, ds, key)
        _key_axis(right, ds, key)
        cmap = colormaps["viridis"]
        n = ds.sizes[other]
        for a, var, at, what in ((left, "prob_cooled", last_year, f"P(cooled by {last})"),
                                 (right, "prob_industry_loss", {}, "P(realized industry return < 0)")):
            for i, v in enumerate(ds[other].values):
                color = cmap(0.9 * i / max(1, n - 1))
                p = ds[var].isel(at).isel({other: i}).transpose(key).values
                se = ds[var + "_se"].isel(at).isel({other: i}).transpose(key).values
                a.plot(x, p, color=color, marker="o", lw=1.8, label=str(v))
                a.errorbar(x, p, yerr=2 * se, fmt="none", ecolor=color, capsize=3, lw=1)
            a.set_title(f"{what} (error bars: ±2 standard errors)", fontsize="medium")
            a.legend(title=other, fontsize="small", title_fontsize="small")
            a.set_xlabel(_key_label(ds, key))
        right.set_ylim(-0.02, 1.02)
        right.yaxis.set_major_formatter(FuncFormatter(lambda x, _: percent(x, 0)))
        right.set_ylabel("share of scenarios (%)")
        right.grid(True, alpha=0.3)
    left.set_ylim(-0.02, 1.02)
    left.yaxis.set_major_formatter(FuncFormatter(lambda x, _: percent(x, 0)))
    left.set_ylabel("share of scenarios (%)")
    left.set_xlabel(_key_label(ds, key) + (", log scale" if left.get_xscale() == "log" else ""))
    left.grid(True, alpha=0.3)
    if len(keys) == 1:
        left.legend(loc="best", fontsize="small")
    meaning = "; ".join(f"{k}: {ds[k].attrs['long_name'].replace(f' ({k})', '')}" for k in keys
                        if "long_name" in ds[k].attrs)
    if meaning:
        fig.supxlabel(meaning, fontsize="small", ha="left", x=0.02)
    swept = " and ".join(keys)
    fig.suptitle(title(ds, f"How the fever cools over {swept}"))
    return fig
