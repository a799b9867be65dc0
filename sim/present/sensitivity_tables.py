"""Ranked tables of a sensitivity result: plain text for the command line, rows for HTML.

One table per alternative (each model size; each strategy and size once
results have strategies; the industry frame's one alternative, the
industry, in a result without such dimensions), inputs ranked by the total-order Sobol' index when
the result has one, else by the size of the partial rank correlation. Every
index is shown with the half-width of its interval (``±``).
"""

from __future__ import annotations

import itertools
import textwrap

import numpy as np
import xarray as xr

from sim.present.tables import legend
from sim.vocab.units import percent, plus_minus, se_percent, size_label, value_label

__all__ = ["ALTERNATIVE_DIMS", "INDUSTRY_LABEL", "alternatives", "is_sensitivity", "legend_entries", "ranked_parameters",
           "ranked_rows", "sensitivity_table"]

#: Dimensions an alternative can have, outermost first: a ``strategy``
#: dimension (issue 12) would stand before ``model_size``.
ALTERNATIVE_DIMS = ("strategy", "model_size")
TOP = 10
#: The label of the industry frame's one alternative.
INDUSTRY_LABEL = "the industry"


def is_sensitivity(ds: xr.Dataset) -> bool:
    """Whether ``ds`` is a result of ``sim sensitivity``."""
    return ds.attrs.get("analysis") == "sensitivity" and "parameter" in ds.dims


def alternatives(ds: xr.Dataset) -> list[tuple[str, dict]]:
    """``(label, selector)`` for every alternative of a result, outermost dimension first."""
    dims = [d for d in ALTERNATIVE_DIMS if d in ds.dims]
    if not dims:  # the industry frame: one alternative
        return [(INDUSTRY_LABEL if ds.attrs.get("frame") == "industry" else "all scenarios", {})]
    out = []
    mask = ds.coords["alternative"] if "alternative" in ds.coords else None
    for values in itertools.product(*(ds[d].values for d in dims)):
        sel = dict(zip(dims, values))
        if mask is not None and not bool(mask.sel({d: v for d, v in sel.items() if d in mask.dims})):
            continue  # a size its strategy does not declare (docs/model.md section 2d)
        parts = [size_label(v) if d == "model_size" else str(v) for d, v in sel.items()]
        out.append((" / ".join(parts), sel))
    return out


def ranked_parameters(at: xr.Dataset) -> list[int]:
    """Positions along ``parameter`` in ranking order for one alternative."""
    if "sobol_total" in at:
        key = at["sobol_total"].values
    else:
        key = np.abs(at["prcc"].values)
    key = np.where(np.isfinite(key), key, -np.inf)
    return list(np.argsort(-key, kind="stable"))


def _pm(da: xr.DataArray, ci: xr.DataArray, i: int) -> str:
    v = float(da.values[i])
    if not np.isfinite(v):
        return "–"
    lo, hi = (float(x) for x in ci.values[i])
    return plus_minus(v, (hi - lo) / 2)


def _value(ds: xr.Dataset, x: float) -> str:
    if not np.isfinite(x):
        return "–"
    return value_label(x, ds.attrs.get("output_units"))


def _columns(ds: xr.Dataset) -> list[tuple[str, str, str]]:
    """(heading, variable, interval variable) of the index columns."""
    cols = []
    if "sobol_first" in ds:
        cols += [("S1", "sobol_first", "sobol_first_ci"), ("ST", "sobol_total", "sobol_total_ci")]
    if "prcc" in ds:
        if "sobol_first" not in ds:
            cols.append(("Spearman", "spearman", "spearman_ci"))
        cols.append(("PRCC", "prcc", "prcc_ci"))
    return cols


def ranked_rows(ds: xr.Dataset, sel: dict, top: int = TOP) -> tuple[list[str], list[list[str]]]:
    """Heading and rows of one alternative's table (top ``top`` inputs)."""
    at = ds.sel(sel)
    cols = _columns(ds)
    head = ["input"] + [c[0] for c in cols]
    tornado = "tornado_median" in ds
    if tornado:
        lo, hi = (float(p) for p in ds["percentile"].values[[0, -1]])
        head.append(f"median at {percent(lo, 0)} → {percent(hi, 0)}")
    rows = []
    for i in ranked_parameters(at)[:top]:
        row = [str(ds["parameter"].values[i])]
        row += [_pm(at[v], at[c], i) for _, v, c in cols]
        if tornado:
            med = at["tornado_median"].values[i]
            row.append("–" if not np.all(np.isfinite(med[[0, -1]]))
                       else f"{_value(ds, med[0])} → {_value(ds, med[-1])}")
        rows.append(row)
    return head, rows


def _summary(ds: xr.Dataset, sel: dict) -> str:
    at = ds.sel(sel)
    parts = []
    if "mean" in ds:  # the industry frame: the mean (of an indicator, a probability) first
        m, se = float(at["mean"]), float(at["mean_se"])
        if ds.attrs.get("statistic_indicator"):
            parts.append(f"P = mean {percent(m)} ± {se_percent(se)} (se)")
        else:
            parts.append(f"mean {_value(ds, m)} ± {_value(ds, se)} (se)")
    if "median" in ds:
        parts.append(f"median {ds.attrs.get('output', 'output')} {_value(ds, float(at['median']))}")
    if "sobol_first_sum" in ds:
        s = float(at["sobol_first_sum"])
        lo, hi = (float(x) for x in at["sobol_first_sum_ci"].values)
        parts.append(f"sum of S1 {plus_minus(s, (hi - lo) / 2)}")
    return "; ".join(parts)


def legend_entries(ds: xr.Dataset) -> list[tuple[str, str]]:
    """(column, meaning) of every index column of the ranked tables."""
    output = ds.attrs.get("output", "the output")
    half = f"± is the half-width of its {percent(ds.attrs.get('ci_level', 0.95), 0)} interval"
    entries = [("input", "a sampled scenario key")]
    if "sobol_first" in ds:
        entries += [("S1", f"first-order Sobol' index: the share of the variance of {output} that "
                           f"the input explains alone (0 to 1); {half}"),
                    ("ST", f"total-order Sobol' index: the share of the variance of {output} that "
                           f"involves the input, its interactions included; {half}")]
    if "spearman" in ds and "sobol_first" not in ds:
        entries.append(("Spearman", f"rank correlation of the input with {output} (-1 to 1); {half}"))
    if "prcc" in ds:
        entries.append(("PRCC", f"partial rank correlation: the monotone effect of the input on "
                                f"{output} with the others held fixed (-1 to 1); {half}"))
    if "tornado_median" in ds:
        lo, hi = (float(p) for p in ds["percentile"].values[[0, -1]])
        entries.append((f"median at {percent(lo, 0)} → {percent(hi, 0)}",
                        f"the median of {output} over the scenarios with the input held at its "
                        f"{percent(lo, 0)} and then its {percent(hi, 0)} percentile, the others "
                        "sampled (the tornado)"))
    return entries


def sensitivity_table(ds: xr.Dataset, top: int = TOP) -> str:
    """The command line's tables: one per alternative, ranked inputs."""
    a = ds.attrs
    how = []
    if "rank_n" in a:
        how.append(f"rank method on {a['rank_n']:,} scenarios (tornado on {a['tornado_n']:,})")
    if "sobol_base_n" in a:
        how.append(f"Sobol' on N = {a['sobol_base_n']:,} ({a['sobol_evaluations']:,} evaluations)")
    per = ("" if not any(d in ds.dims for d in ALTERNATIVE_DIMS) else
           " per alternative" if "strategy" in ds.dims else " per model size")
    lines = [f"sensitivity of {a.get('output', '?')} for scenario '{a.get('scenario_name', '?')}': "
             f"{', '.join(how)}, seed {a.get('seed', '?')}"]
    if a.get("frame") == "industry":
        lines.append(f"{a.get('output', '?')} = {a.get('output_long_name', '?')}")
    lines.append(f"top {top} inputs{per}, "
                 f"ranked by {'total-order index ST' if 'sobol_total' in ds else '|PRCC|'}; "
                 f"± is the half-width of the {percent(a.get('ci_level', 0.95), 0)} interval")
    for label, sel in alternatives(ds):
        head, rows = ranked_rows(ds, sel, top)
        widths = [max(len(head[k]), *(len(r[k]) for r in rows)) for k in range(len(head))]
        lines.append("")
        summary = _summary(ds, sel)
        lines.append(f"{label}" + (f": {summary}" if summary else ""))
        fmt = lambda cells, widths=widths: "  ".join(
            c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in enumerate(zip(cells, widths)))
        lines.append(fmt(head))
        lines.append("-" * len(fmt(head)))
        lines.extend(fmt(r) for r in rows)
    lines.append("")
    lines.extend(legend(legend_entries(ds)))
    note = a.get("sobol_correlations", "")
    if note.startswith("sobol:"):
        lines.append("note: " + note.removeprefix("sobol: "))
    if a.get("sobol_incidents"):
        lines.extend(textwrap.wrap("yearly demand shocks and incidents: " + a["sobol_incidents"], 96))
    return "\n".join(lines)
