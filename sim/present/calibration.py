"""A calibration result (``sim calibrate -o``) for people: what its columns
mean, its coverage per check and the observed values against the scenario's
predictive intervals.

Matplotlib is imported only when the chart is drawn: ``sim calibrate``
prints the legend of this module without it.

The result has one ``row`` per compared observation (a model's FLOP, tokens
or cost, or a list price), its ``check``, the observation and the 5%, 50% and
95% quantiles of the scenario's predictive draws; the coverage of each check
is in its attributes.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from sim.vocab.units import eng, percent

__all__ = ["CHECKS", "CHECK_TITLES", "COVERAGE_HEAD", "calibration", "coverage_rows", "is_calibration",
           "legend_entries"]

#: The checks, in the order the table prints them.
CHECKS = ("compute", "tokens", "cost", "price")
#: What each check compares, as a panel's title.
CHECK_TITLES = {
    "compute": "final-run training FLOP",
    "tokens": "training tokens",
    "cost": "final-run cost (USD)",
    "price": "list price, USD per million output tokens",
}
#: Columns of :func:`coverage_rows`.
COVERAGE_HEAD = ("check", "rows compared", "inside the 90% interval", "coverage", "rows skipped")


def is_calibration(ds: xr.Dataset) -> bool:
    """Whether ``ds`` is a result of ``sim calibrate``."""
    return "models_source" in ds.attrs and "row" in ds.dims and "check" in ds.coords


def legend_entries(ds: xr.Dataset | None = None) -> list[tuple[str, str]]:
    """(column, meaning) of every column of the calibration table that is not plain."""
    return [
        ("observed", "the reported value (the observation)"),
        ("5%, 50%, 95%", "quantiles of the scenario's predictive draws of that value"),
        ("pctile", "where the observation falls among the draws: the share of draws below it "
                   "(ties count half); near 0% or 100% the scenario misses it"),
        ("in 90%", "yes when the observation lies between the 5% and 95% quantiles; a well "
                   "calibrated scenario has about 90% of its rows inside"),
        ("obs/med", "the observation over the predicted median"),
        ("6ND/rep", "6 N_act D_reported over the reported FLOP: how far the row itself is from "
                    "the 6ND rule"),
        ("N", "the model's total parameters"),
        ("N_act", "its active parameters per token (a mixture of experts; blank where dense)"),
        ("reported range", "the low and high estimates the source gives for the cost"),
        ("provider", "who lists the price"),
    ]


def coverage_rows(ds: xr.Dataset) -> list[list[str]]:
    """Per check: rows compared, rows inside the 90% interval, the coverage
    and the rows skipped (of the table they come from)."""
    a = ds.attrs
    rows = []
    for check in CHECKS:
        n = int(a.get(f"rows_{check}", 0))
        table = a.get("prices_rows", 0) if check == "price" else a.get("models_rows", 0)
        rows.append([check, str(n), str(int(a.get(f"inside_{check}", 0))),
                     percent(a[f"coverage_{check}"], 0) if n else "-",
                     f"{int(a.get(f'skipped_{check}', 0))} of {int(table)}"])
    return rows


def calibration(ds: xr.Dataset, ax=None):
    """Observed values against the scenario's predictive intervals, one panel
    per check with rows: a bar from the 5% to the 95% quantile, a tick at the
    median and a dot at the observation (filled when inside), on log axes."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from sim.vocab.errors import SimError

    if ax is not None:
        raise SimError("the calibration chart draws one panel per check; give no ax")
    checks = [c for c in CHECKS if np.any(ds["check"].values == c)]
    if not checks:
        raise SimError("the calibration chart needs compared rows, and this result has none")
    counts = [int(np.sum(ds["check"].values == c)) for c in checks]
    fig = Figure(figsize=(9.0, 1.4 + 0.24 * sum(counts) + 0.5 * len(checks)), layout="constrained")
    axes = fig.subplots(len(checks), 1, squeeze=False,
                        gridspec_kw={"height_ratios": [max(n, 2) for n in counts]}).ravel()
    for a, check in zip(axes, checks):
        idx = np.flatnonzero(ds["check"].values == check)
        q = ds["predicted_quantile"].values[idx]
        obs = ds["observed"].values[idx]
        inside = ds["inside_90"].values[idx].astype(bool)
        y = np.arange(idx.size)[::-1]
        a.hlines(y, q[:, 0], q[:, 2], color="#4c72b0", lw=5, alpha=0.35)
        a.plot(q[:, 1], y, "|", color="#1f3a68", ms=10, mew=2)
        a.scatter(obs[inside], y[inside], color="#55a868", edgecolors="0.2", zorder=3, s=30)
        a.scatter(obs[~inside], y[~inside], facecolors="white", edgecolors="#c44e52", lw=1.5,
                  zorder=3, s=30)
        a.set_xscale("log")
        labels = [f"{m} ({int(yr)})" for m, yr in zip(ds["model"].values[idx], ds["year"].values[idx])]
        a.set_yticks(y, labels, fontsize="small")
        a.set_ylim(-0.7, idx.size - 0.3)
        covered = ds.attrs.get(f"coverage_{check}")
        a.set_title(f"{CHECK_TITLES[check]}: {int(inside.sum())} of {idx.size} inside"
                    + (f" ({percent(covered, 0)})" if covered is not None else ""),
                    fontsize="medium", loc="left")
        a.grid(True, axis="x", alpha=0.3)
        a.xaxis.set_major_formatter(lambda x, _: eng(x, 2))
    handles = [Line2D([], [], color="#4c72b0", lw=5, alpha=0.35, label="scenario's 5–95% interval"),
               Line2D([], [], color="#1f3a68", marker="|", ls="", ms=10, mew=2, label="its median"),
               Line2D([], [], color="#55a868", marker="o", ls="", mec="0.2", label="observed, inside"),
               Line2D([], [], color="#c44e52", marker="o", ls="", mfc="white", label="observed, outside")]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize="small", frameon=False)
    name = ds.attrs.get("scenario_name", "?")
    fig.suptitle(f"Scenario '{name}' against observed models\nthe observation (dot) and the "
                 f"scenario's 90% predictive interval (bar); a calibrated scenario covers about "
                 f"{percent(ds.attrs.get('nominal_coverage', 0.9), 0)}", fontsize="medium")
    return fig
