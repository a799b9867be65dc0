"""Charts of a saved sensitivity result: the tornado and the Sobol' indices.

``sim plot --kind tornado`` and ``--kind sobol`` (and :func:`sim.plot.tornado`,
:func:`sim.plot.sobol`) call these. One panel per alternative (model size,
and strategy once results have strategies), the top inputs of each in its
own order, so that a driver that matters only for large models shows there.
Like every chart they only read the Dataset.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.present import axes as shared
from sim.vocab.errors import SimError
from sim.vocab.units import percent, usd_label, value_label
from sim.present.sensitivity_tables import alternatives, is_sensitivity, ranked_parameters

__all__ = ["TOP", "sobol", "tornado"]

TOP = 12
LOW, HIGH = "#4c72b0", "#dd8452"
FIRST, TOTAL = "#55a868", "#8172b3"


def _check(ds: xr.Dataset, kind: str, variables) -> None:
    if not is_sensitivity(ds):
        raise SimError(f"the {kind} chart needs a result of sim sensitivity (dimension "
                       "'parameter'); this result is not one")
    missing = [v for v in variables if v not in ds.variables]
    if missing:
        method = "rank" if kind == "tornado" else "sobol"
        raise SimError(f"the {kind} chart needs {', '.join(missing)}, which this result lacks "
                       f"(run the sensitivity analysis with method='{method}' or 'both')")


def _panels(ds: xr.Dataset, ax, model_size, rows_per_panel: int):
    """The alternatives to draw and one axes for each."""
    alts = alternatives(ds)
    if model_size is not None and "model_size" not in ds.dims:
        raise SimError("this result has no model sizes (the industry frame analyses the "
                       "industry as a whole): leave model_size out")
    if model_size is not None:
        keep = set(shared.select_sizes(ds, model_size).tolist())
        alts = [(label, sel) for label, sel in alts if float(sel["model_size"]) in keep]
    if ax is not None:
        if len(alts) > 1:
            raise SimError("this chart draws one panel per model size; choose one size "
                           "(model_size=...) to draw on a given axes")
        return ax.figure, [ax], alts
    ncol = 1 if len(alts) == 1 else 2
    nrow = math.ceil(len(alts) / ncol)
    fig = Figure(figsize=(6.8 * ncol, 1.2 + (0.3 * rows_per_panel + 1.0) * nrow),
                 layout="constrained")
    axes = fig.subplots(nrow, ncol, squeeze=False).ravel()
    for extra in axes[len(alts):]:
        extra.set_visible(False)
    return fig, list(axes[:len(alts)]), alts


def _fit(title: str, panels: int) -> str:
    """A figure title wrapped to the width of one panel when there is one
    (the industry frame's one alternative)."""
    if panels > 1:
        return title
    return "\n".join(textwrap.fill(line, 72) for line in title.split("\n"))


def _value_axis(ax, ds: xr.Dataset, values: np.ndarray) -> None:
    """The output axis: asinh ROI, or asinh USD for net value; under the
    industry frame, asinh USD for amounts, else linear in the output's units."""
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    label = f"median {ds.attrs.get('output', 'output')}"
    units = str(ds.attrs.get("output_units"))
    if ds.attrs.get("frame") == "industry" and not units.startswith("USD"):
        span = hi - lo if hi > lo else max(abs(hi), 1.0)
        ax.set_xlim(lo - 0.05 * span, hi + 0.05 * span)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: value_label(x, units)))
        ax.set_xlabel(f"{label} ({units})")
        return
    if units == "USD" or units.startswith("USD/"):
        width = max(float(np.median(np.abs(finite))) if finite.size else 1.0, 1e6)
        ax.set_xscale("asinh", linear_width=width)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: usd_label(x)))
        span = hi - lo if hi > lo else max(abs(hi), 1.0)
        ax.set_xlim(lo - 0.05 * span, hi + 0.05 * span)
        ax.set_xlabel(f"{label} ({units}, asinh scale)")
    else:
        ax.set_xlim(*shared.pad(min(lo, -1.0), max(hi, 0.0)))
        shared.roi_scale(ax, "x", *ax.get_xlim())
        ax.set_xlabel(f"{label} (ratio, asinh scale)")


def tornado(ds: xr.Dataset, ax=None, model_size=None, top: int = TOP) -> Figure:
    """The output's median with each input held at its low and high
    percentile (others sampled), bars from the median with nothing held;
    inputs ordered by the distance between their two bars."""
    _check(ds, "tornado", ["tornado_median", "median"])
    fig, axes, alts = _panels(ds, ax, model_size, min(top, ds.sizes["parameter"]))
    lo_q, hi_q = (float(q) for q in ds["percentile"].values[[0, -1]])
    for a, (label, sel) in zip(axes, alts):
        at = ds.sel(sel)
        med = at["tornado_median"].values
        base = float(at["median"])
        span = np.abs(med[:, -1] - med[:, 0])
        order = [i for i in np.argsort(-np.where(np.isfinite(span), span, -1), kind="stable")
                 if np.isfinite(span[i])][:top]
        y = np.arange(len(order))[::-1]
        names = [str(ds["parameter"].values[i]) for i in order]
        a.barh(y, med[order, 0] - base, left=base, height=0.7, color=LOW,
               label=f"input at its {percent(lo_q, 0)} percentile")
        a.barh(y, med[order, -1] - base, left=base, height=0.7, color=HIGH, alpha=0.85,
               label=f"input at its {percent(hi_q, 0)} percentile")
        if "tornado_median_ci" in at:
            ci = at["tornado_median_ci"].values
            for k in (0, -1):
                a.errorbar(med[order, k], y, xerr=np.abs(ci[order, k].T - med[order, k]),
                           fmt="none", ecolor="0.25", elinewidth=0.8, capsize=2)
        a.axvline(base, color="0.2", lw=1)
        a.set_yticks(y, names, fontsize="small")
        _value_axis(a, ds, np.concatenate([med[order].ravel(), [base]]))
        shown = value_label(base, ds.attrs.get("output_units"))
        a.set_title(f"{label}: median {shown} with nothing held", fontsize="medium")
        a.grid(True, axis="x", alpha=0.3)
    axes[0].legend(loc="lower right", fontsize="small")
    title = shared.title(ds, f"Tornado of {ds.attrs.get('output', 'the output')}: median with one "
                            "input held, others sampled (whiskers: 95% intervals)")
    if ax is None:
        fig.suptitle(_fit(title, len(alts)))
    else:
        ax.set_title(title, fontsize="small")
    return fig


def sobol(ds: xr.Dataset, ax=None, model_size=None, top: int = TOP) -> Figure:
    """First- and total-order Sobol' indices with their intervals, inputs
    ordered by the total-order index."""
    _check(ds, "sobol", ["sobol_first", "sobol_total"])
    fig, axes, alts = _panels(ds, ax, model_size, min(top, ds.sizes["parameter"]))
    for a, (label, sel) in zip(axes, alts):
        at = ds.sel(sel)
        order = ranked_parameters(at)[:top]
        y = np.arange(len(order))[::-1]
        names = [str(ds["parameter"].values[i]) for i in order]
        hi = 1.0
        for name, var, color, dy in (("first order S1", "sobol_first", FIRST, 0.2),
                                     ("total order ST", "sobol_total", TOTAL, -0.2)):
            v = at[var].values[order]
            ci = at[f"{var}_ci"].values[order] if f"{var}_ci" in at else None
            err = None if ci is None else np.abs(ci.T - v)
            a.barh(y + dy, v, height=0.38, color=color, label=name, xerr=err,
                   error_kw={"ecolor": "0.25", "elinewidth": 0.8, "capsize": 2})
            if ci is not None and np.isfinite(ci).any():
                hi = max(hi, float(np.nanmax(ci)))
        a.axvline(0, color="0.3", lw=0.8)
        a.axvline(1, color="0.7", lw=0.8, ls=":")
        a.set_xlim(-0.05, min(hi, 1.5) + 0.05)
        a.set_yticks(y, names, fontsize="small")
        title = label
        if "sobol_first_sum" in at:
            title += f": sum of S1 {float(at['sobol_first_sum']):.2f}"
        a.set_title(title, fontsize="medium")
        a.set_xlabel("share of the output's variance")
        a.grid(True, axis="x", alpha=0.3)
    axes[0].legend(loc="lower right", fontsize="small")
    title = shared.title(ds, f"Sobol' indices of {ds.attrs.get('output', 'the output')} "
                            f"({percent(ds.attrs.get('ci_level', 0.95), 0)} bootstrap intervals)")
    if ax is None:
        fig.suptitle(_fit(title, len(alts)))
    else:
        ax.set_title(title, fontsize="small")
    return fig
