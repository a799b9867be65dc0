"""One self-contained HTML report of saved results, for people who do not run Python.

Each result gets its scenario, its tables (each with a legend of the columns
that are not plain) and the charts that fit its data: a run (ROI and net
value, the decision objective), a sweep (the mean objective and P(loss) over
the swept points, as tables and charts of the same statistic), a decision
(ranking, choice, regret, EVPI and EVPPI), a sensitivity analysis, a
calibration (coverage and observations against predictive intervals), a
sample of per-scenario draws (statistics computed from them) and the
industry frame's runs and sweeps. Figures are embedded as base64 PNG and the page loads nothing from
elsewhere (no scripts, fonts or style sheets), so it opens offline and can be
sent as a single file.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import itertools
import os
from pathlib import Path

import numpy as np
import xarray as xr

from sim.present import calibration as cal
from sim.present import charts as plot
from sim.present import industry_tables as industry
from sim.present.kinds import report_charts
from sim.present.tables import CVAR_TEXT, sweep_statistic
from sim.results.alternatives import is_alternative
from sim.services.atomic import check_output, write_bytes
from sim.vocab.errors import SimError
from sim.present.sensitivity_tables import alternatives, is_sensitivity, ranked_rows
from sim.present.sensitivity_tables import legend_entries as sensitivity_legend
from sim.vocab.objectives import objective
from sim.vocab.units import (RARE_MARK, eng, percent, se_percent, significant, size_label, usd_label,
                             usd_per_million, usd_rare_mean, value_label)

__all__ = ["build_report", "calibration_section", "check_report_path", "decision_tables", "industry_run_tables",
           "decline_note", "industry_section", "industry_sweep_table", "sample_section", "sensitivity_section", "value_table",
           "write_report"]

#: Charts of a single run, in reading order, with a caption for people (sim.present.kinds).
RUN_CHARTS = report_charts("run")
#: Charts of a sensitivity result (sim sensitivity -o), with a caption.
SENSITIVITY_CHARTS = report_charts("sensitivity")
#: Charts of a calibration result (sim calibrate -o), with a caption.
CALIBRATION_CHARTS = report_charts("calibrate")
#: Charts of an industry-frame run and sweep (sim.present.kinds), with a caption.
INDUSTRY_RUN_CHARTS = report_charts("run", "industry")
INDUSTRY_SWEEP_CHARTS = report_charts("sweep", "industry")
#: Charts of a sweep: (statistic, caption); "objective" is the mean of the
#: result's decision objective, the statistic of the first sweep table.
SWEEP_CHARTS = (
    ("objective", "Mean {objective} over the swept values, per model size: the statistic of "
                  "the first table."),
    ("prob_loss", "Chance of a loss, P(ROI < 0), over the swept values, per model size: the "
                  "statistic of the second table."),
)

_STYLE = """
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
table { border-collapse: collapse; margin: 1em 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: right; }
th { background: #f2f2f2; } td:first-child, th:first-child { text-align: left; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: .95em; }
.wide { overflow-x: auto; } table.industry td { white-space: nowrap; }
pre { background: #f7f7f7; padding: 1em; overflow-x: auto; font-size: .85em; }
.note { color: #555; font-size: .9em; }
dl.legend { color: #444; font-size: .9em; display: grid; grid-template-columns: max-content auto;
            gap: .15em 1em; margin: -.5em 0 1.5em; }
dl.legend dt { font-weight: bold; } dl.legend dd { margin: 0; }
.choice { font-size: 1.1em; }
"""


def _png(fig) -> str:
    """A figure as a data URI, so the page needs no other file."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _e(x) -> str:
    return html.escape(str(x))


def _level(da: xr.DataArray, level: float):
    return da.sel(quantile=level, method="nearest")


def run_table(ds: xr.Dataset) -> str:
    """The summary table of one run as HTML: one row per model size (per
    strategy and model size when the result has strategies)."""
    _require(ds, ["roi_quantile", "roi_expected_quantile", "roi_mean", "roi_mean_se",
                  "prob_loss", "prob_best"])
    head = ["model size", "median ROI", "5% ROI", "95% ROI", "mean ROI ± se", "P(loss)",
            "CVaR 5%", "P(best)", "expected median ROI"]
    strategies = [str(s) for s in ds["strategy"].values] if "strategy" in ds.dims else [None]
    if strategies != [None]:
        head = ["strategy"] + head
    rows = []
    for name, j in _alternatives(ds, strategies):
        at = ds.isel(model_size=j) if name is None else ds.sel(strategy=name).isel(model_size=j)
        size = ds["model_size"].values[j]
        q = at["roi_quantile"]
        cells = [] if name is None else [name]
        cells += [size_label(size), significant(_level(q, 0.5)), significant(_level(q, 0.05)),
                 significant(_level(q, 0.95)),
                 f"{significant(at['roi_mean'])} ± {significant(at['roi_mean_se'])}",
                 percent(at["prob_loss"]),
                 significant(at["cvar_05"]) if "cvar_05" in ds else "–",
                 percent(at["prob_best"]),
                 significant(_level(at["roi_expected_quantile"], 0.5))]
        rows.append(cells)
    return _table(head, rows, "summary")


def _legend(entries) -> str:
    """What the columns of the table above mean: a definition list."""
    return ('<dl class="legend">' + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in entries)
            + "</dl>")


def _goal(ds: xr.Dataset) -> str:
    """The decision objective in force with its definition: "net value (NPV - I, USD)"."""
    goal = objective(ds.attrs.get("objective"))
    return f"{goal.label} ({goal.description})"


def run_legend(ds: xr.Dataset) -> str:
    """The legend of :func:`run_table`."""
    among = "of the grid" if "strategy" not in ds.dims else "of all (strategy, size) alternatives"
    return _legend([
        ("median ROI", "the median over the scenarios of ROI = (NPV − I) / I, I the up-front "
                       "investment: −1 = all of I lost, 0 = break-even, 1 = I doubled"),
        ("5% ROI, 95% ROI", "quantiles of ROI over the scenarios: 5% of them end below the first, "
                            "5% above the second"),
        ("mean ROI ± se", "the mean ROI and its Monte Carlo standard error (the error of the "
                          "estimate, not the spread of ROI)"),
        ("P(loss)", "the share of scenarios with ROI < 0"),
        ("CVaR 5%", CVAR_TEXT),
        ("P(best)", f"the share of scenarios in which the size has the highest {_goal(ds)} "
                    f"{among}: the decision objective"),
        ("expected median ROI", "the median ROI investors expect at the decision (no deployment "
                                "gap, hyped market, no incidents)"),
    ])


def value_table(ds: xr.Dataset) -> str:
    """Net value NPV − I in USD per size (per strategy and size): mean ± se,
    median and quantiles, and the mean compliance duties."""
    _require(ds, ["net_value_mean", "net_value_mean_se", "net_value_quantile"])
    head = ["model size", "mean net value ± se", "median", "5%", "95%", "P(loss)", "duties"]
    strategies = [str(s) for s in ds["strategy"].values] if "strategy" in ds.dims else [None]
    if strategies != [None]:
        head = ["strategy"] + head
    n = int(ds.attrs.get("n_scenarios", 1))
    rows = []
    for name, j in itertools.product(strategies, range(ds.sizes["model_size"])):
        at = ds.isel(model_size=j) if name is None else ds.sel(strategy=name).isel(model_size=j)
        q = at["net_value_quantile"]
        duties = ("–" if "compliance_cost_npv_mean" not in ds else
                  usd_rare_mean(at["compliance_cost_npv_mean"],
                                at["compliance_cost_npv_mean_se"] if "compliance_cost_npv_mean_se" in ds
                                else float("nan"), n))
        cells = [] if name is None else [name]
        cells += [size_label(ds["model_size"].values[j]),
                  f"{usd_label(at['net_value_mean'])} ± {usd_label(at['net_value_mean_se'])}",
                  usd_label(_level(q, 0.5)), usd_label(_level(q, 0.05)), usd_label(_level(q, 0.95)),
                  percent(at["prob_loss"]), duties]
        rows.append(cells)
    return _table(head, rows, "summary value")


def value_legend(ds: xr.Dataset, table: str) -> str:
    """The legend of :func:`value_table` (``table``: its HTML, to see whether a mean is marked)."""
    goal = objective(ds.attrs.get("objective"))
    duties = ("the mean over all scenarios of the discounted compliance duties; only a model whose "
              "final run reaches risk.compliance_threshold pays them")
    if RARE_MARK in table:
        duties += (f"; {RARE_MARK} marks a mean carried by a few scenarios (its standard deviation "
                   "is over 3 times the mean, as when fewer than 1 in 10 pay): most scenarios pay "
                   "nothing")
    return _legend([
        ("mean net value ± se", "the mean over the scenarios of NPV − I in USD and its Monte Carlo "
                                "standard error" + (": the decision objective"
                                                    if goal.statistic == "net_value" else "")),
        ("median, 5%, 95%", "the median and the 5% and 95% quantiles of net value over the "
                            "scenarios"),
        ("P(loss)", "the share of scenarios with net value < 0 (ROI < 0)"),
        ("duties", duties),
    ])


def unit_economics_table(ds: xr.Dataset) -> str:
    """Year 1 per output token (model v3) as HTML: active parameters, median
    serving cost and price per million output tokens, the share served in
    year 1 and the margin among those served."""
    head = ["model size", "active parameters", "serving cost / M tokens", "our price / M tokens",
            "served in year 1", "median margin", "margin 5–95%"]
    strategies = [str(s) for s in ds["strategy"].values] if "strategy" in ds.dims else [None]
    if strategies != [None]:
        head = ["strategy"] + head
    rows = []
    for name, j in _alternatives(ds, strategies):
        at = ds.isel(model_size=j) if name is None else ds.sel(strategy=name).isel(model_size=j)
        margin = at["serving_margin_y1_quantile"]
        cells = [] if name is None else [name]
        cells += [size_label(ds["model_size"].values[j]),
                  size_label(at["active_parameters"]) if "active_parameters" in at.coords else "–",
                  usd_per_million(_level(at["serving_cost_per_token_y1_quantile"], 0.5)),
                  usd_per_million(_level(at["price_per_token_y1_quantile"], 0.5)),
                  percent(at["served_y1_share"]), significant(_level(margin, 0.5)),
                  f"{significant(_level(margin, 0.05))} to {significant(_level(margin, 0.95))}"]
        rows.append(cells)
    return _table(head, rows, "summary")


def decline_note(d: xr.DataArray) -> str:
    """The yearly fall of the price at fixed capability, one sentence from its
    quantiles ``d``: once when every strategy gives the same figures (as
    printed), else for each strategy."""
    def fall(at: xr.DataArray) -> str:
        return (f"{significant(_level(at, 0.5))}× a year (median; 5–95%: "
                f"{significant(_level(at, 0.05))}× to {significant(_level(at, 0.95))}×)")

    if "strategy" not in d.dims:
        return f"The price at fixed capability falls {fall(d)}."
    falls = {str(s): fall(d.sel(strategy=s)) for s in d["strategy"].values}
    if len(set(falls.values())) == 1:
        return f"The price at fixed capability falls {next(iter(falls.values()))} under every strategy."
    return ("The price at fixed capability falls "
            + "; ".join(f"{text} for {_e(name)}" for name, text in falls.items()) + ".")


def _alternatives(ds: xr.Dataset, strategies: list) -> list[tuple]:
    """(strategy name or None, size index) of every alternative, strategy-major."""
    return [(name, j) for (s_i, name), j in itertools.product(enumerate(strategies), range(ds.sizes["model_size"]))
            if name is None or is_alternative(ds, s_i, j)]


def sweep_table(ds: xr.Dataset, stat: str | None = None) -> str:
    """One statistic at each swept point (rows; with strategies, a row per
    point and strategy) and size (columns): by default the mean of the
    decision objective (the command line's sweep table), with the best
    alternative of each point, the one where it is highest; ``prob_loss``:
    the chance of a loss."""
    stat = stat or sweep_statistic(ds)
    _require(ds, [stat])
    keys = plot.swept_dims(ds)
    sizes = ds["model_size"].values
    strategies = [str(s) for s in ds["strategy"].values] if "strategy" in ds.dims else [None]
    with_best = stat != "prob_loss"
    head = keys + ([] if strategies == [None] else ["strategy"]) + [size_label(s) for s in sizes]
    head += ["best"] if with_best else []
    units = ds[stat].attrs.get("units")
    cell = percent if stat.startswith("prob") else (lambda x: value_label(x, units))
    stacked = ds[[stat]].stack(point=keys)
    rows = []
    for i in range(stacked.sizes["point"]):
        pt = stacked.isel(point=i)
        values = pt[stat].transpose(*([] if strategies == [None] else ["strategy"]), "model_size").values
        values = values.reshape(len(strategies), len(sizes)).astype(float)
        declared = np.array([[name is None or is_alternative(ds, s_i, j) for j in range(len(sizes))]
                             for s_i, name in enumerate(strategies)])
        # A size a strategy does not declare is no alternative: shown as "–", never best.
        ranked = np.where(declared, values, -np.inf)
        s_best, j_best = np.unravel_index(int(np.argmax(ranked)), values.shape)
        best = size_label(sizes[j_best]) + ("" if strategies == [None] else f" ({strategies[s_best]})")
        for s_i, name in enumerate(strategies):
            cells = [_e(pt[k].item()) for k in keys]
            if name is not None:
                cells.append(name)
            cells += [cell(v) if declared[s_i, j] else "–" for j, v in enumerate(values[s_i])]
            if with_best:
                cells.append(best if s_i == 0 else "")
            rows.append(cells)
    return _table(head, rows, "summary sweep")


def sweep_legend(ds: xr.Dataset, stat: str | None = None) -> str:
    """The legend of :func:`sweep_table` for ``stat``."""
    stat = stat or sweep_statistic(ds)
    keys = plot.swept_dims(ds)
    entries = [(k, f"the value of {k} at that point of the grid") for k in keys]
    if "strategy" in ds.dims:
        entries.append(("strategy", "the strategy of the row"))
    if stat == "prob_loss":
        entries.append(("size columns", "P(loss): the share of scenarios with ROI < 0 at that "
                                        "point and model size"))
    else:
        goal = objective(ds.attrs.get("objective"))
        entries += [("size columns", f"the mean over the scenarios of {_goal(ds)}, the decision "
                                     "objective, at that point and model size"),
                    ("best", f"the {'(strategy, size) alternative' if 'strategy' in ds.dims else 'size'}"
                             f" with the highest mean {goal.label} at that point: the choice there")]
    return _legend(entries)


def _require(ds: xr.Dataset, variables: list[str]) -> None:
    missing = [v for v in variables if v not in ds.variables]
    if missing:
        raise SimError(f"the summary table needs {', '.join(missing)}, which this result lacks")


def _table(head: list[str], rows: list[list[str]], cls: str) -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "\n".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}">\n<thead><tr>{th}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>'


def _figures(ds: xr.Dataset) -> tuple[list[str], list[str]]:
    """The charts that fit ``ds`` as <figure> blocks, and notes on those left out."""
    figures, skipped = [], []
    if plot.frame(ds) == "industry":
        charts = INDUSTRY_SWEEP_CHARTS if plot.swept_dims(ds) else INDUSTRY_RUN_CHARTS
        jobs = [(kind, caption, lambda k=kind: plot.draw(ds, k)) for kind, caption in charts]
    elif plot.swept_dims(ds):
        jobs = [(f"sweep of {stat}", caption,
                 lambda s=stat: plot.draw(ds, "sweep", stat=sweep_statistic(ds) if s == "objective" else s))
                for stat, caption in SWEEP_CHARTS]
    else:
        # A one-row heat map of P(best) says nothing the best chart does not: the
        # decision chart is drawn when there are strategies to compare. The
        # value of information is a decision's (sim decide); the charts of the
        # valuation path need a run made with it.
        drawable = plot.drawable_kinds(ds)
        jobs = [(kind, caption, lambda k=kind: plot.draw(ds, k)) for kind, caption in RUN_CHARTS
                if kind in drawable and (kind != "decision" or "strategy" in ds.dims)]
        without = [kind for kind, _ in RUN_CHARTS if plot.lacks_path(ds, kind)]
        if without:
            skipped.append(f"{' and '.join(without)}: {plot.no_path_cause(ds)}")
    label = objective(ds.attrs.get("objective")).label
    for name, caption, make in jobs:
        try:
            fig = make()
        except SimError as exc:
            skipped.append(f"{name}: {exc}")
            continue
        caption = caption.replace("{objective}", label)
        figures.append(f'<figure><img src="{_png(fig)}" alt="{_e(name)} chart">'
                       f"<figcaption>{_e(caption)}</figcaption></figure>")
    return figures, skipped


def sensitivity_section(ds: xr.Dataset, source: str, anchor: str) -> str:
    """A sensitivity result: heading, how it was computed, a ranked table
    per alternative, the tornado and Sobol' charts and the scenario file."""
    a = ds.attrs
    output = a.get("output", "?")
    parts = [f'<section id="{anchor}">',
             f"<h2>Sensitivity of {_e(output)} in scenario '{_e(a.get('scenario_name', '?'))}' "
             f"<small>({_e(Path(source).name)})</small></h2>"]
    if a.get("scenario_description"):
        parts.append(f"<p>{_e(a['scenario_description'])}</p>")
    items = [("file", source), ("method", a.get("method", "?")), ("seed", a.get("seed", "?"))]
    if "rank_n" in a:
        items.append(("rank sample", f"{int(a['rank_n']):,} scenarios (tornado on "
                                      f"{int(a['tornado_n']):,})"))
    if "sobol_base_n" in a:
        items.append(("Sobol' design", f"N = {int(a['sobol_base_n']):,}, "
                                       f"{int(a['sobol_evaluations']):,} evaluations"))
    items += [("sim version", a.get("sim_version", "?")), ("created", a.get("created", "?"))]
    parts.append("<ul>" + "".join(f"<li>{_e(k)}: {_e(v)}</li>" for k, v in items) + "</ul>")
    parts.append(f'<p class="note">Inputs ranked by '
                 f"{'the total-order index ST' if 'sobol_total' in ds else 'the size of PRCC'}; "
                 f"± is the half-width of the {percent(a.get('ci_level', 0.95), 0)} interval. "
                 "PRCC is the monotone effect of an input with the others held fixed (−1 to 1).</p>")
    for label, sel in alternatives(ds):
        head, rows = ranked_rows(ds, sel)
        parts.append(f"<h3>{_e(label)}</h3>")
        parts.append(_table(head, rows, "summary sensitivity"))
    parts.append(_legend(sensitivity_legend(ds)))
    note = str(a.get("sobol_correlations", ""))
    if note.startswith("sobol:"):
        parts.append(f'<p class="note">{_e(note.removeprefix("sobol: "))}</p>')
    figures, skipped = [], []
    for kind, caption in SENSITIVITY_CHARTS:
        try:
            fig = plot.draw(ds, kind)
        except SimError as exc:
            skipped.append(f"{kind}: {exc}")
            continue
        figures.append(f'<figure><img src="{_png(fig)}" alt="{_e(kind)} chart">'
                       f"<figcaption>{_e(caption)}</figcaption></figure>")
    parts.extend(figures)
    if skipped:
        parts.append('<p class="note">Charts not drawn: ' + "; ".join(_e(s) for s in skipped)
                     + "</p>")
    if a.get("scenario"):
        parts.append(f"<details><summary>Scenario file</summary><pre>{_e(a['scenario'])}"
                     "</pre></details>")
    parts.append("</section>")
    return "\n".join(parts)


def _meta(ds: xr.Dataset, source: str) -> str:
    a = ds.attrs
    items = [("file", source), ("scenarios", f"{int(a.get('n_scenarios', 0)):,}"),
             ("seed", a.get("seed", "?")), ("sim version", a.get("sim_version", "?")),
             ("created", a.get("created", "?"))]
    for key in plot.swept_dims(ds):
        values = ", ".join(_e(v) for v in np.atleast_1d(ds[key].values))
        items.append((f"swept {key}", values))
    return "<ul>" + "".join(f"<li>{_e(k)}: {_e(v)}</li>" for k, v in items) + "</ul>"


# ---------------------------------------------------------------- the industry frame

def industry_run_tables(ds: xr.Dataset) -> str:
    """An industry-frame run as HTML (the content of
    :func:`sim.present.industry_tables.industry_table`): the medians of each
    path and the chances of the cooling per calendar year, then the two
    returns, then what each row means."""
    years = [str(int(y)) for y in ds["calendar_year"].values]
    medians = [[label, *cells] for label, cells in industry.median_rows(ds)]
    chances = [[label, *cells] for label, cells in industry.probability_rows(ds)]
    parts = ["<h3>Year by year</h3>",
             '<p class="note">Each cell is the median over the scenarios of that year\'s value.</p>',
             f'<div class="wide">{_table(["median of", *years], medians, "summary industry")}</div>',
             f'<div class="wide">{_table(["probability", *years], chances, "summary industry")}</div>',
             f'<p class="note">The largest standard error of these probabilities is '
             f"{_e(industry.largest_se(ds))}.</p>",
             "<h3>Returns</h3>",
             _table(list(industry.RETURN_HEAD), industry.return_rows(ds), "summary industry"),
             f"<p>{_e(industry.loss_line(ds))}</p>",
             f'<p class="note">{_e(" ".join(industry.DEFINITIONS))}</p>']
    return "\n".join(parts)


def industry_sweep_table(ds: xr.Dataset) -> str:
    """An industry sweep as HTML: per swept point, the chances of the cooling
    in the last year, the chance of an industry loss, the median Q of the
    first year and the median lab count and capex of the last, the year in
    which capex peaks most often and the median realized return."""
    keys = plot.swept_dims(ds)
    years = [int(y) for y in ds["calendar_year"].values]
    first, last = years[0], years[-1]
    head = keys + [f"P(cooled by {last}) ± se", f"P(valued below cost in {last})",
                   "P(industry return < 0)", f"median Q in {first}", f"median labs in {last}",
                   f"median capex in {last}", "capex peaks most often in",
                   "median realized industry return"]
    stacked = ds.stack(point=keys)
    rows = []
    for i in range(stacked.sizes["point"]):
        pt = stacked.isel(point=i)
        end = pt.isel(year=-1)
        peak = pt["capex_peak_year"].values
        top = int(np.argmax(peak))
        rows.append([str(pt[k].item()) for k in keys] + [
            f"{percent(end['prob_cooled'])} ± {se_percent(end['prob_cooled_se'])}",
            percent(end["prob_valued_below_cost"]),
            percent(pt["prob_industry_loss"]),
            significant(_level(pt["q_quantile"].isel(year=0), 0.5)),
            significant(_level(end["labs_quantile"], 0.5)),
            usd_label(_level(end["capex_quantile"], 0.5)),
            f"{years[top]} ({percent(peak[top])})",
            significant(_level(pt["roi_industry_quantile"], 0.5))])
    return _table(head, rows, "summary sweep industry")


def industry_section(ds: xr.Dataset, source: str, anchor: str) -> str:
    """An industry-frame result: heading, scenario, the year-by-year tables
    (a run) or the table of swept points (a sweep), charts and the scenario file."""
    name = ds.attrs.get("scenario_name", "?")
    parts = [f'<section id="{anchor}">',
             f"<h2>Scenario '{_e(name)}', industry frame <small>({_e(Path(source).name)})</small>"
             "</h2>"]
    if ds.attrs.get("scenario_description"):
        parts.append(f"<p>{_e(ds.attrs['scenario_description'])}</p>")
    parts.append(_meta(ds, source))
    if plot.swept_dims(ds):
        parts.append("<p>At each swept point: the chances of the cooling in the last year, the "
                     "medians of the first and last year, and the realized return.</p>")
        parts.append(f'<div class="wide">{industry_sweep_table(ds)}</div>')
        parts.append(f'<p class="note">{_e(" ".join(industry.DEFINITIONS))}</p>')
    else:
        parts.append(industry_run_tables(ds))
    figures, skipped = _figures(ds)
    parts.extend(figures)
    if skipped:
        parts.append('<p class="note">Charts not drawn: ' + "; ".join(_e(s) for s in skipped)
                     + "</p>")
    if ds.attrs.get("scenario"):
        parts.append(f"<details><summary>Scenario file</summary><pre>{_e(ds.attrs['scenario'])}"
                     "</pre></details>")
    parts.append("</section>")
    return "\n".join(parts)


# ---------------------------------------------------------------- decisions

def decision_tables(ds: xr.Dataset, top: int = 12) -> str:
    """A decision (``sim decide``) as HTML: the alternatives ranked by the mean
    objective with P(best), mean regret and P(loss); the choice and EVPI; the
    parameters ranked by EVPPI against the noise floor; legends."""
    goal = objective(ds.attrs.get("objective"))
    name = goal.label
    fmt = lambda x: value_label(x, goal.units)
    _require(ds, [f"{goal.statistic}_mean", f"{goal.statistic}_mean_se", "prob_best", "regret_mean",
                  "prob_loss"])
    strategies = [str(x) for x in ds["strategy"].values] if "strategy" in ds.dims else [None]
    rows = []
    for s_i, strategy in enumerate(strategies):
        for j, size in enumerate(ds["model_size"].values):
            at = ds.isel(model_size=j) if strategy is None else ds.isel(strategy=s_i, model_size=j)
            rows.append((float(at[f"{goal.statistic}_mean"]), strategy, float(size), at))
    rows.sort(key=lambda r: -r[0])
    head = ["rank"] + ([] if strategies == [None] else ["strategy"]) + [
        "model size", f"mean {name} ± se", "P(best)", "mean regret", "P(loss)"]
    cells = []
    for k, (m, strategy, size, at) in enumerate(rows[:top], 1):
        cells.append([str(k)] + ([] if strategy is None else [strategy]) + [
            size_label(size), f"{fmt(m)} ± {fmt(at[f'{goal.statistic}_mean_se'])}",
            percent(at["prob_best"]), fmt(at["regret_mean"]), percent(at["prob_loss"])])
    parts = [f'<p class="choice"><b>Choice: {_e(ds.attrs.get("choice", "?"))}</b>, the alternative '
             f"with the highest mean {_e(name)}.</p>"]
    if "max_prob_loss" in ds.attrs:
        parts.append(f'<p class="note">Restricted to alternatives with P(loss) ≤ '
                     f"{_e(ds.attrs['max_prob_loss'])}: {_e(ds.attrs.get('n_eligible', 0))} eligible.</p>")
    parts.append(_table(head, cells, "summary decision"))
    if len(rows) > top:
        parts.append(f'<p class="note">{len(rows) - top} more alternatives are in the file.</p>')
    parts.append(_legend([
        ("rank", f"alternatives ranked by the mean {name}, highest first"),
        (f"mean {name} ± se", f"the mean over the scenarios of {_goal(ds)}, the objective "
                              "maximized, and its Monte Carlo standard error"),
        ("P(best)", f"the share of scenarios in which the alternative has the highest {name}"),
        ("mean regret", f"the mean over the scenarios of the best {name} of any alternative in that "
                        "scenario minus this one's: what choosing it costs against hindsight; the "
                        "choice's mean regret is the EVPI"),
        ("P(loss)", "the share of scenarios with ROI < 0"),
    ]))
    if "evpi" in ds:
        parts.append(f"<p>EVPI, the expected value of perfect information: <b>{_e(fmt(ds['evpi']))}</b>"
                     f" ± {_e(fmt(ds['evpi_se']))}, what knowing everything before deciding would be "
                     "worth.</p>")
    if "evppi" in ds:
        floor, floor_se = float(ds["evppi_floor"]), float(ds["evppi_floor_se"])
        names = [str(x) for x in ds["parameter"].values]
        order = [i for i in np.argsort(-ds["evppi"].values) if not names[i].startswith("dummy")][:10]
        evppi_rows = []
        for i in order:
            v, e = float(ds["evppi"].values[i]), float(ds["evppi_se"].values[i])
            above = v - floor > 2 * float(np.hypot(e, floor_se)) + 1e-9 * abs(float(ds["evpi"]))
            evppi_rows.append([names[i], fmt(v), fmt(e), "yes" if above else "no"])
        parts.append("<h3>Which uncertainty to resolve first</h3>")
        parts.append(_table(["parameter", "EVPPI", "± se", "above floor"], evppi_rows, "summary evppi"))
        parts.append(_legend([
            ("EVPPI", f"expected value of partial perfect information: how much knowing the "
                      f"parameter before deciding would add to the mean {name} (estimated in "
                      f"{ds.attrs.get('voi_bins', '?')} bins of its draws)"),
            ("± se", "the Monte Carlo standard error of the EVPPI"),
            ("above floor", f"yes when the EVPPI exceeds the noise floor ({fmt(floor)} ± "
                            f"{fmt(floor_se)}: the EVPPI of a placeholder parameter that enters "
                            "no model) by more than two standard errors"),
        ]))
    return "\n".join(parts)


# ---------------------------------------------------------------- calibrations

def calibration_section(ds: xr.Dataset, source: str, anchor: str) -> str:
    """A calibration result: the coverage per check, the observations against
    the predictive intervals (chart), the compared rows and the skipped ones."""
    a = ds.attrs
    parts = [f'<section id="{anchor}">',
             f"<h2>Calibration of scenario '{_e(a.get('scenario_name', '?'))}' against observed "
             f"models <small>({_e(Path(source).name)})</small></h2>"]
    items = [("file", source), ("observed models", f"{a.get('models_source', '?')}, "
                                                   f"{a.get('models_rows', '?')} rows"),
             ("list prices", f"{a.get('prices_source', '-')}, {a.get('prices_rows', 0)} rows"),
             ("predictive draws", f"{int(a.get('n_scenarios', 0)):,}"), ("seed", a.get("seed", "?")),
             ("compute rule", a.get("compute_rule", "?")), ("sim version", a.get("sim_version", "?")),
             ("created", a.get("created", "?"))]
    parts.append("<ul>" + "".join(f"<li>{_e(k)}: {_e(v)}</li>" for k, v in items) + "</ul>")
    nominal = percent(a.get("nominal_coverage", 0.9), 0)
    parts.append(f"<p>For each observed model, the scenario predicts the same number (its FLOP, "
                 f"tokens and cost from its size, a list price from its size); coverage is the share "
                 f"of observations inside the scenario's 90% predictive interval. A well calibrated "
                 f"scenario covers about {_e(nominal)}: much less means its intervals are too narrow "
                 "or off centre.</p>")
    parts.append(_table(list(cal.COVERAGE_HEAD), cal.coverage_rows(ds), "summary coverage"))
    parts.append(_legend([
        ("rows compared", "observations with what the check needs (each model once)"),
        ("inside the 90% interval", "observations between the 5% and 95% quantiles of the "
                                    "scenario's predictive draws"),
        ("coverage", f"the share inside; nominal {nominal}"),
        ("rows skipped", "rows of the table without what the check needs (the reasons are below)"),
    ]))
    figures, skipped = [], []
    for kind, caption in CALIBRATION_CHARTS:
        try:
            fig = plot.draw(ds, kind)
        except SimError as exc:
            skipped.append(f"{kind}: {exc}")
            continue
        figures.append(f'<figure><img src="{_png(fig)}" alt="{_e(kind)} chart">'
                       f"<figcaption>{_e(caption)}</figcaption></figure>")
    parts.extend(figures)
    if skipped:
        parts.append('<p class="note">Charts not drawn: ' + "; ".join(_e(x) for x in skipped) + "</p>")
    head = ["check", "model", "year", "observed", "5%", "50%", "95%", "pctile", "in 90%", "obs/med"]
    rows = []
    for i in range(ds.sizes["row"]):
        q = ds["predicted_quantile"].values[i]
        rows.append([str(ds["check"].values[i]), str(ds["model"].values[i]), str(int(ds["year"].values[i])),
                     eng(ds["observed"].values[i]), eng(q[0]), eng(q[1]), eng(q[2]),
                     percent(ds["percentile"].values[i]), "yes" if ds["inside_90"].values[i] else "no",
                     eng(ds["ratio_to_median"].values[i])])
    parts.append("<details><summary>Every compared row</summary>"
                 + _table(head, rows, "summary calibration")
                 + _legend([(k, v) for k, v in cal.legend_entries(ds)
                            if any(c in head for c in k.split(", "))]) + "</details>")
    if a.get("skipped"):
        parts.append(f"<details><summary>Skipped rows, by reason</summary><pre>{_e(a['skipped'])}"
                     "</pre></details>")
    if a.get("scenario"):
        parts.append(f"<details><summary>Scenario file</summary><pre>{_e(a['scenario'])}</pre></details>")
    parts.append("</section>")
    return "\n".join(parts)


# ---------------------------------------------------------------- samples

def sample_section(ds: xr.Dataset, source: str, anchor: str) -> str:
    """A sample of per-scenario draws (``sim.sample``): what it holds and, for
    the project frame, ROI and net value per size computed from its draws."""
    a = ds.attrs
    n = ds.sizes["scenario"]
    parts = [f'<section id="{anchor}">',
             f"<h2>Scenario '{_e(a.get('scenario_name', '?'))}': a sample of {n:,} scenarios' draws "
             f"<small>({_e(Path(source).name)})</small></h2>",
             f"<p>This file holds each sampled scenario's inputs and outputs (sim.sample), not the "
             f"summary of a run: the statistics below are computed here from its {n:,} draws, "
             "without standard errors. For the full report of a scenario, save a run "
             "(<code>sim run -o</code>) and report it.</p>"]
    if "model_size" in ds.dims and {"roi", "net_value"} <= set(ds.data_vars):
        head = ["model size", "mean ROI", "median ROI", "P(loss)", "mean net value", "median net value"]
        strategies = [str(x) for x in ds["strategy"].values] if "strategy" in ds.dims else [None]
        if strategies != [None]:
            head = ["strategy"] + head
        rows = []
        for name, j in itertools.product(strategies, range(ds.sizes["model_size"])):
            at = ds.isel(model_size=j) if name is None else ds.sel(strategy=name).isel(model_size=j)
            roi, value = at["roi"].values, at["net_value"].values
            rows.append(([] if name is None else [name]) + [
                size_label(ds["model_size"].values[j]), significant(np.mean(roi)), significant(np.median(roi)),
                percent(np.mean(roi < 0)), usd_label(np.mean(value)), usd_label(np.median(value))])
        parts.append(_table(head, rows, "summary sample"))
        parts.append(_legend([("mean ROI, median ROI", f"the mean and median of ROI = (NPV − I) / I "
                                                       f"over the {n:,} draws"),
                              ("P(loss)", "the share of the draws with ROI < 0"),
                              ("mean net value, median net value", "the mean and median of NPV − I "
                                                                   "in USD over the draws")]))
    variables = ", ".join(sorted(str(v) for v in ds.data_vars))
    parts.append(f'<details><summary>What the file holds</summary><p class="note">{_e(variables)}</p>'
                 "</details>")
    parts.append("</section>")
    return "\n".join(parts)


def section(ds: xr.Dataset, source: str, anchor: str) -> str:
    """One result: heading, scenario, table, charts and the scenario file."""
    if is_sensitivity(ds):
        return sensitivity_section(ds, source, anchor)
    if cal.is_calibration(ds):
        return calibration_section(ds, source, anchor)
    if "scenario" in ds.dims:
        return sample_section(ds, source, anchor)
    if plot.frame(ds) == "industry":
        return industry_section(ds, source, anchor)
    name = ds.attrs.get("scenario_name", "?")
    parts = [f'<section id="{anchor}">',
             f"<h2>Scenario '{_e(name)}' <small>({_e(Path(source).name)})</small></h2>"]
    if ds.attrs.get("scenario_description"):
        parts.append(f"<p>{_e(ds.attrs['scenario_description'])}</p>")
    parts.append(_meta(ds, source))
    goal = objective(ds.attrs.get("objective"))
    if plot.swept_dims(ds):
        parts.append(f"<h3>Mean {_e(goal.label)} at each swept point</h3>")
        parts.append(f"<p>The decision objective ({_e(_goal(ds))}), its mean over the scenarios at "
                     "each swept point and model size, and where it is highest.</p>")
        parts.append(sweep_table(ds))
        parts.append(sweep_legend(ds))
        parts.append("<h3>Chance of a loss at each swept point</h3>")
        parts.append(sweep_table(ds, "prob_loss"))
        parts.append(sweep_legend(ds, "prob_loss"))
    else:
        if "evppi" in ds or "decision_run" in ds.attrs:
            parts.append("<h3>The decision</h3>")
            parts.append(decision_tables(ds))
        elif ds.attrs.get("choice"):
            parts.append(f'<p class="choice"><b>Choice: {_e(ds.attrs["choice"])}</b>, the '
                         f"alternative with the highest mean {_e(goal.label)} (the decision "
                         "objective).</p>")
        parts.append("<h3>Return on investment</h3>")
        parts.append(run_table(ds))
        parts.append(run_legend(ds))
        if "net_value_mean" in ds:
            parts.append(f"<h3>Net value{' (the decision objective)' * (goal.statistic == 'net_value')}</h3>")
            table = value_table(ds)
            parts.append(table)
            parts.append(value_legend(ds, table))
    if "served_y1_share" in ds and not plot.swept_dims(ds):
        parts.append("<h3>Year-1 unit economics per output token</h3>")
        parts.append(unit_economics_table(ds))
        note = ("Medians, in USD per million output tokens, input tokens included; the margin "
                "1 − S<sub>1</sub>/Rev<sub>1</sub> is over the scenarios served in year 1.")
        if "fixed_capability_decline_quantile" in ds:
            note += " " + decline_note(ds["fixed_capability_decline_quantile"])
        parts.append(f'<p class="note">{note}</p>')
        parts.append(_legend([
            ("active parameters", "active parameters per token (the total size for a dense model)"),
            ("serving cost / M tokens", "the median year-1 cost of serving a million output "
                                        "tokens, USD"),
            ("our price / M tokens", "the median year-1 price we charge per million output "
                                     "tokens, USD"),
            ("served in year 1", "the share of scenarios in which the model is served in year 1"),
            ("median margin, margin 5–95%", "the median and the 5% and 95% quantiles of the "
                                            "year-1 margin among the scenarios served"),
        ]))
    figures, skipped = _figures(ds)
    parts.extend(figures)
    if skipped:
        parts.append('<p class="note">Charts not drawn: ' + "; ".join(_e(s) for s in skipped)
                     + "</p>")
    if ds.attrs.get("scenario"):
        parts.append(f"<details><summary>Scenario file</summary><pre>{_e(ds.attrs['scenario'])}"
                     "</pre></details>")
    parts.append("</section>")
    return "\n".join(parts)


#: What the table of contents calls each kind of result (sim.present.charts.result_kind).
KIND_WORDS = {"run": "run", "sweep": "sweep", "decide": "decision", "sensitivity": "sensitivity",
              "calibrate": "calibration", "sample": "sample of draws"}


def build_report(results: list[tuple[str, xr.Dataset]]) -> str:
    """The whole page for (source name, dataset) pairs."""
    if not results:
        raise SimError("report: expected at least one result file")
    names = ", ".join(f"'{n}'" for n in dict.fromkeys(str(ds.attrs.get("scenario_name", "?"))
                                                     for _, ds in results))
    toc = "".join(f'<li><a href="#result-{i}">{_e(ds.attrs.get("scenario_name", "?"))}: '
                  f"{_e(KIND_WORDS.get(plot.result_kind(ds), 'result'))} ({_e(Path(src).name)})</a></li>"
                  for i, (src, ds) in enumerate(results, 1))
    body = "\n".join(section(ds, src, f"result-{i}") for i, (src, ds) in enumerate(results, 1))
    today = _dt.date.today().isoformat()
    heading = ("The frontier AI industry year by year"
               if all(plot.frame(ds) == "industry" for _, ds in results)
               else "Returns of training and deploying AI models of each size")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sim report: {_e(names)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{heading}</h1>
<p>Monte Carlo results of the <code>sim</code> model for {"scenario" if names.count(",") == 0 else "scenarios"} {_e(names)},
reported {today}. Each number is a statistic over many sampled scenarios of scaling laws,
costs, markets, competition and risk.</p>
<ul class="toc">{toc}</ul>
{body}
</body>
</html>
"""


def check_report_path(output: str | os.PathLike, *, overwrite: bool = True) -> Path:
    """``output`` if a report can be written there."""
    output = Path(output)
    if output.suffix.lower() not in (".html", ".htm"):
        raise SimError(f"{output}: expected an .html file name")
    check_output(output, overwrite=overwrite)
    return output


def write_report(paths, output: str | os.PathLike, *, overwrite: bool = True) -> Path:
    """Read result files and write the report atomically to ``output``."""
    output = check_report_path(output, overwrite=overwrite)
    results = [(str(p), plot.open_result(p)) for p in paths]
    text = build_report(results)
    write_bytes(output, text.encode("utf-8"), overwrite=overwrite)
    return output
