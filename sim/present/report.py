"""One self-contained HTML report of saved results, for people who do not run Python.

Each result gets its scenario, a summary table and the charts that fit its
data. Figures are embedded as base64 PNG and the page loads nothing from
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

from sim.present import charts as plot
from sim.present import industry_tables as industry
from sim.present.kinds import report_charts
from sim.results.alternatives import is_alternative
from sim.services.atomic import check_output, write_bytes
from sim.vocab.errors import SimError
from sim.present.sensitivity_tables import alternatives, is_sensitivity, ranked_rows
from sim.vocab.units import percent, se_percent, significant, size_label, usd_label, usd_per_million

__all__ = ["build_report", "check_report_path", "industry_run_tables", "industry_section",
           "industry_sweep_table", "sensitivity_section", "write_report"]

#: Charts of a single run, in reading order, with a caption for people (sim.present.kinds).
RUN_CHARTS = report_charts("run")
#: Charts of a sensitivity result (sim sensitivity -o), with a caption.
SENSITIVITY_CHARTS = report_charts("sensitivity")
#: Charts of an industry-frame run and sweep (sim.present.kinds), with a caption.
INDUSTRY_RUN_CHARTS = report_charts("run", "industry")
INDUSTRY_SWEEP_CHARTS = report_charts("sweep", "industry")
#: Charts of a sweep: (statistic, caption).
SWEEP_CHARTS = (
    ("roi_mean", "Mean ROI over the swept values, per model size."),
    ("prob_loss", "Chance of a loss over the swept values, per model size."),
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


def _alternatives(ds: xr.Dataset, strategies: list) -> list[tuple]:
    """(strategy name or None, size index) of every alternative, strategy-major."""
    return [(name, j) for (s_i, name), j in itertools.product(enumerate(strategies), range(ds.sizes["model_size"]))
            if name is None or is_alternative(ds, s_i, j)]


def sweep_table(ds: xr.Dataset) -> str:
    """Median ROI and P(loss) at each swept point (rows; with strategies, a
    row per point and strategy) and size (columns)."""
    _require(ds, ["roi_quantile", "prob_loss"])
    keys = plot.swept_dims(ds)
    sizes = ds["model_size"].values
    strategies = [str(s) for s in ds["strategy"].values] if "strategy" in ds.dims else [None]
    head = keys + ([] if strategies == [None] else ["strategy"]) + [size_label(s) for s in sizes]
    stacked = ds[["roi_quantile", "prob_loss"]].stack(point=keys)
    rows = []
    for i, name in itertools.product(range(stacked.sizes["point"]), strategies):
        pt = stacked.isel(point=i)
        cells = [_e(pt[k].item()) for k in keys]
        if name is not None:
            pt = pt.sel(strategy=name)
            cells.append(name)
        for j, s in enumerate(sizes):
            if name is not None and not is_alternative(ds, strategies.index(name), j):
                cells.append("–")  # a size this strategy does not declare
                continue
            at = pt.sel(model_size=s)
            cells.append(f"{significant(_level(at['roi_quantile'], 0.5))} ({percent(at['prob_loss'])})")
        rows.append(cells)
    return _table(head, rows, "summary sweep")


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
        jobs = [(f"sweep of {stat}", caption, lambda s=stat: plot.draw(ds, "sweep", stat=s))
                for stat, caption in SWEEP_CHARTS]
    else:
        jobs = [(kind, caption, lambda k=kind: plot.draw(ds, k)) for kind, caption in RUN_CHARTS]
    for name, caption, make in jobs:
        try:
            fig = make()
        except SimError as exc:
            skipped.append(f"{name}: {exc}")
            continue
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


def section(ds: xr.Dataset, source: str, anchor: str) -> str:
    """One result: heading, scenario, table, charts and the scenario file."""
    if is_sensitivity(ds):
        return sensitivity_section(ds, source, anchor)
    if plot.frame(ds) == "industry":
        return industry_section(ds, source, anchor)
    name = ds.attrs.get("scenario_name", "?")
    parts = [f'<section id="{anchor}">',
             f"<h2>Scenario '{_e(name)}' <small>({_e(Path(source).name)})</small></h2>"]
    if ds.attrs.get("scenario_description"):
        parts.append(f"<p>{_e(ds.attrs['scenario_description'])}</p>")
    parts.append(_meta(ds, source))
    if plot.swept_dims(ds):
        parts.append("<p>Median ROI (and chance of a loss) at each swept point and model size.</p>")
        parts.append(sweep_table(ds))
    else:
        parts.append(run_table(ds))
    parts.append('<p class="note">ROI = (NPV − I) / I: −1 means the whole investment is lost, '
                 "1 means it was doubled. 'Expected' is what investors expect (no deployment "
                 "gap, hyped market, no incidents). CVaR 5% is the mean ROI of the worst 5% "
                 "of scenarios.</p>")
    if "served_y1_share" in ds and not plot.swept_dims(ds):
        parts.append("<h3>Year-1 unit economics per output token</h3>")
        parts.append(unit_economics_table(ds))
        note = ("Medians, in USD per million output tokens, input tokens included; the margin "
                "1 − S<sub>1</sub>/Rev<sub>1</sub> is over the scenarios served in year 1.")
        if "fixed_capability_decline_quantile" in ds and "strategy" not in ds.dims:
            d = ds["fixed_capability_decline_quantile"]
            note += (f" The price at fixed capability falls {significant(_level(d, 0.5))}× a year "
                     f"(median; 5–95%: {significant(_level(d, 0.05))}× to "
                     f"{significant(_level(d, 0.95))}×).")
        parts.append(f'<p class="note">{note}</p>')
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


def build_report(results: list[tuple[str, xr.Dataset]]) -> str:
    """The whole page for (source name, dataset) pairs."""
    if not results:
        raise SimError("report: expected at least one result file")
    names = ", ".join(f"'{ds.attrs.get('scenario_name', '?')}'" for _, ds in results)
    toc = "".join(f'<li><a href="#result-{i}">{_e(ds.attrs.get("scenario_name", "?"))} '
                  f"({_e(Path(src).name)})</a></li>" for i, (src, ds) in enumerate(results, 1))
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
<p>Monte Carlo results of the <code>sim</code> model for scenario(s) {_e(names)},
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
