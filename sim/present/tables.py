"""Plain-text tables of results, as the command line prints them."""

from __future__ import annotations

import functools
import itertools
import math
import textwrap

import numpy as np
import xarray as xr

from sim.results.alternatives import alternative_mask, is_alternative, select_strategy
from sim.vocab.objectives import objective
from sim.vocab.units import (RARE_MARK, decimals, delay_years, percent, se_percent, significant, size_label,
                             usd_label, usd_per_million, usd_rare_mean, value_label)

__all__ = ["LEGEND_TITLE", "decision_table", "legend", "summary_table", "sweep_statistic", "sweep_table"]

#: The line that opens the legend under a table.
LEGEND_TITLE = "legend:"
#: Width of the printed tables' text.
WIDTH = 96

#: What CVaR 5% is and why it can pass -1 (an ROI of -1 is the whole investment lost).
CVAR_TEXT = ("conditional value at risk: the mean ROI of the worst 5% of scenarios. It can be "
             "below -1, a loss beyond the whole investment I: serving costs above revenue and "
             "incident losses come after the up-front cost")


def legend(entries, width: int = WIDTH) -> list[str]:
    """The legend under a table: one entry per column that is not plain,
    ``(column heading(s), meaning)``, the meaning wrapped beside its heading."""
    key_width = min(max(len(k) for k, _ in entries), 24)
    lines = [LEGEND_TITLE]
    for key, text in entries:
        indent = " " * (key_width + 4)
        wrapped = textwrap.wrap(text, width - len(indent))
        if len(key) > key_width:  # a long heading on its own line, the meaning under it
            lines.append(f"  {key}")
            lines += [indent + w for w in wrapped]
        else:
            lines.append(f"  {key:<{key_width}}  {wrapped[0]}")
            lines += [indent + w for w in wrapped[1:]]
    return lines


def _objective_label(ds: xr.Dataset) -> str:
    """The objective in force, as people say it, with its definition: "net value (NPV - I, USD)"."""
    goal = objective(ds.attrs.get("objective"))
    return f"{goal.label} ({goal.description})"


def summary_table(ds: xr.Dataset) -> str:
    """A plain-text table: one row per model size; with strategies, one such
    table per strategy and the choice among all (strategy, size) alternatives."""
    if ds.attrs.get("frame") == "industry":
        from sim.present.industry_tables import industry_table

        return industry_table(ds)
    if "strategy" not in ds.dims:
        return _summary(ds, f"scenario '{ds.attrs['scenario_name']}'")
    names = [str(s) for s in ds["strategy"].values]
    parts = []
    for name in names:
        parts.append(_summary(select_strategy(ds, name), f"scenario '{ds.attrs['scenario_name']}', "
                                                         f"strategy '{name}'", strategies=True))
        parts.append("")
    by = objective(ds.attrs.get("objective")).label
    mask = alternative_mask(ds)
    over = (f"all {len(names)} strategies x {ds.sizes['model_size']} sizes" if mask is None else
            f"the {int(mask.sum())} (strategy, size) alternatives the strategies declare")
    parts.append(f"P(best) is over {over} (by {by}); choice: {ds.attrs.get('choice', '?')}")
    return "\n".join(parts)


def _summary(ds: xr.Dataset, title: str, strategies: bool = False) -> str:
    """The tables of one run (or one strategy of it, ``strategies``), under ``title``."""
    q = ds["roi_quantile"]
    header = (f"{'model size':>12}  {'median ROI':>10}  {'5%':>9}  {'95%':>9}  "
              f"{'mean ROI':>9} {'± se':>7}  {'P(loss)':>8}  {'P(best)':>8}  {'expected':>9}")
    lines = [f"{title}: {ds.attrs['n_scenarios']:,} scenarios, "
             f"seed {ds.attrs['seed']}", header, "-" * len(header)]
    for j, size in enumerate(ds["model_size"].values):
        qj = q.isel(model_size=j)
        lines.append(
            f"{size_label(size):>12}  {decimals(qj.sel(quantile=0.5, method='nearest'))}  "
            f"{decimals(qj.sel(quantile=0.05, method='nearest'), 9)}  "
            f"{decimals(qj.sel(quantile=0.95, method='nearest'), 9)}  "
            f"{decimals(ds['roi_mean'][j], 9)} {float(ds['roi_mean_se'][j]):>7.2g}  "
            f"{percent(ds['prob_loss'][j]):>8}  {percent(ds['prob_best'][j]):>8}  "
            f"{decimals(ds['roi_expected_quantile'].isel(model_size=j).sel(quantile=0.5, method='nearest'), 9)}")
    lines.extend(_summary_legend(ds, strategies))
    if "net_value_mean" in ds:
        lines.append("")
        lines.extend(_value_table(ds))
    if "served_y1_share" in ds:
        lines.append("")
        lines.extend(_unit_economics_table(ds))
    lines.append("")
    lines.extend(_expectation_table(ds))
    if "mtm_quantile" in ds:
        lines.append("")
        lines.extend(_path_table(ds))
    if "roi_quantile_ci" in ds and "prob_loss_se" in ds:
        lines.append("")
        lines.extend(_precision_table(ds))
    return "\n".join(lines)


def _summary_legend(ds: xr.Dataset, strategies: bool = False) -> list[str]:
    """What the columns of the ROI table mean, P(best)'s objective and the
    choice (of one run; ``strategies``: of one strategy of a run with several)."""
    goal = objective(ds.attrs.get("objective"))
    among = "of all (strategy, size) alternatives" if strategies else "of the grid"
    lines = legend([
        ("median ROI", "the median over the scenarios of ROI = (NPV - I) / I, I the up-front "
                       "investment: -1 = all of I lost, 0 = break-even, 1 = I doubled"),
        ("5%, 95%", "quantiles of ROI over the scenarios: 5% of them end below the 5% column, "
                    "5% above the 95% column"),
        ("mean ROI", "the mean of ROI over the scenarios"),
        ("± se", "the Monte Carlo standard error of the mean ROI (the error of the estimate, not "
                 "the spread of ROI)"),
        ("P(loss)", "the share of scenarios with ROI < 0"),
        ("P(best)", f"the share of scenarios in which this size has the highest "
                    f"{_objective_label(ds)} {among} (decision.objective)"),
        ("expected", "the median ROI investors expect at the decision (no deployment gap, hyped "
                     "market, no incidents)"),
    ])
    choice = ds.attrs.get("choice_model_size")
    if not strategies and choice is not None and np.isfinite(float(choice)):
        lines += textwrap.wrap(f"choice: {size_label(float(choice))}, the highest mean {goal.label}; "
                               "P(best) counts wins scenario by scenario, so the size most often "
                               "best can differ from it.", WIDTH)
    return lines


def _value_table(ds: xr.Dataset) -> list[str]:
    """Net value in USD and the bottlenecks behind it, per size."""
    header = (f"{'model size':>12}  {'net value':>10} {'± se':>8}  {'median':>10}  {'5%':>10}  "
              f"{'95%':>10}  {'delay':>6}  {'data-lim.':>9}  {'duties':>8}")
    lines = ["net value = NPV - I (USD) and the bottlenecks behind it", header, "-" * len(header)]
    q = ds["net_value_quantile"]
    n = int(ds.attrs.get("n_scenarios", 1))
    for j, size in enumerate(ds["model_size"].values):
        qj = q.isel(model_size=j)
        at = lambda level, qj=qj: usd_label(qj.sel(quantile=level, method="nearest"))
        lines.append(
            f"{size_label(size):>12}  {usd_label(ds['net_value_mean'][j]):>10} "
            f"{usd_label(ds['net_value_mean_se'][j]):>8}  {at(0.5):>10}  {at(0.05):>10}  "
            f"{at(0.95):>10}  {delay_years(ds['release_delay_mean'][j])}  "
            f"{percent(ds['data_limited_share'][j]):>9}  "
            f"{usd_rare_mean(ds['compliance_cost_npv_mean'][j], _se(ds, 'compliance_cost_npv_mean', j), n):>8}")
    duties = ("the mean over all scenarios of the discounted compliance duties; only a model "
              "whose final run reaches risk.compliance_threshold pays them")
    if any(RARE_MARK in line for line in lines[3:]):
        duties += (f"; {RARE_MARK} marks a mean carried by a few scenarios (its standard "
                   "deviation is over 3 times the mean, as when fewer than 1 in 10 pay): most "
                   "scenarios pay nothing")
    lines += legend([
        ("net value", f"the mean over the scenarios of NPV - I in USD"
                      f"{' (the decision objective)' if objective(ds.attrs.get('objective')).statistic == 'net_value' else ''}"),
        ("± se", "the Monte Carlo standard error of the mean net value"),
        ("median, 5%, 95%", "the median and the 5% and 95% quantiles of net value over the scenarios"),
        ("delay", "the mean years the final training run takes; release waits for it"),
        ("data-lim.", "the share of scenarios whose training wants more tokens than the data stock"),
        ("duties", duties),
    ])
    return lines


def _se(ds: xr.Dataset, name: str, j: int) -> float:
    """The standard error of statistic ``name`` at size ``j`` (NaN if the result lacks it)."""
    return float(ds[f"{name}_se"][j]) if f"{name}_se" in ds else float("nan")


def _unit_economics_table(ds: xr.Dataset) -> list[str]:
    """Year 1 per output token (specification sections 13, 14): serving cost,
    our price, the share served and the margin among those served."""
    header = (f"{'model size':>12}  {'active':>8}  {'cost /M':>9}  {'price /M':>9}  {'served':>7}  "
              f"{'margin':>7}  {'margin 5-95%':>14}")
    lines = ["year-1 unit economics per output token (medians over the scenarios)",
             header, "-" * len(header)]
    cost = ds["serving_cost_per_token_y1_quantile"]
    price = ds["price_per_token_y1_quantile"]
    margin = ds["serving_margin_y1_quantile"]
    active = ds["active_parameters"].values if "active_parameters" in ds.coords else ds["model_size"].values
    for j, size in enumerate(ds["model_size"].values):
        at = lambda da, level, j=j: da.isel(model_size=j).sel(quantile=level, method="nearest")
        lines.append(
            f"{size_label(size):>12}  {size_label(active[j]):>8}  {usd_per_million(at(cost, 0.5)):>9}  "
            f"{usd_per_million(at(price, 0.5)):>9}  {percent(ds['served_y1_share'][j], 0):>7}  "
            f"{decimals(at(margin, 0.5), 7)}  "
            f"{significant(at(margin, 0.05)):>6} to {significant(at(margin, 0.95)):<5}")
    if "fixed_capability_decline_quantile" in ds:
        d = ds["fixed_capability_decline_quantile"]
        lines.append(f"the price at fixed capability falls {significant(d.sel(quantile=0.5, method='nearest'))}x "
                     f"a year (median; 5-95%: {significant(d.sel(quantile=0.05, method='nearest'))}x to "
                     f"{significant(d.sel(quantile=0.95, method='nearest'))}x),")
        lines.append("1 / ((1 - delta)(1 - phi)^theta): the tier's own fall and the rivals' progress")
    lines += legend([
        ("active", "active parameters per token (the total size for a dense model)"),
        ("cost /M", "the median year-1 serving cost, USD per million output tokens, the input "
                    "tokens of a request included"),
        ("price /M", "the median year-1 price we charge, USD per million output tokens, input "
                     "included"),
        ("served", "the share of scenarios in which the model is served in year 1"),
        ("margin", "the median year-1 serving margin 1 - S_1/Rev_1 among the scenarios served"),
        ("margin 5-95%", "the 5% and 95% quantiles of that margin"),
    ])
    return lines


def _path_table(ds: xr.Dataset, max_years: int = 6) -> list[str]:
    """The fever over time: median mark-to-market ROI and P(marked below cost)
    per size and year after the decision, and P(cooled) by the horizon."""
    years = [int(y) for y in ds["year"].values]
    if len(years) > max_years:  # the first years, the middle and the end
        T = years[-1]
        years = sorted({0, 1, 2, T // 2, T - 1, T})
    median = ds["mtm_quantile"].sel(quantile=0.5, method="nearest")
    header = f"{'model size':>10}" + "".join(f"{f'year {y}':>13}" for y in years) + f"  {'P(cooled)':>9}"
    lines = ["the fever over time: median mark-to-market ROI (P(marked below cost)) by year",
             "after the decision", header, "-" * len(header)]
    for j, size in enumerate(ds["model_size"].values):
        cells = []
        for y in years:
            m = float(median.isel(model_size=j).sel(year=y))
            p = float(ds["prob_below_cost"].isel(model_size=j).sel(year=y))
            cells.append(f"{m:.2f} ({percent(p, 0)})")
        cooled = float(ds["prob_cooled"].isel(model_size=j).isel(year=-1))
        lines.append(f"{size_label(size):>10}" + "".join(f"{c:>13}" for c in cells)
                     + f"  {percent(cooled):>9}")
    lines += legend([
        ("year N", "the median over the scenarios of the mark-to-market ROI N years after the "
                   "decision, and in brackets P(marked below cost), the share of scenarios "
                   "marked below cost that year; year 0 is investors' belief at the decision, "
                   f"year {years[-1]} the realized ROI"),
        ("P(cooled)", "the share of scenarios expected to pay at year 0 and marked below cost "
                      "by the horizon"),
    ])
    return lines


def _precision_table(ds: xr.Dataset) -> list[str]:
    """How precise the numbers above are: intervals and standard errors."""
    level = ds.attrs.get("ci_level", 0.95)  # every result stores it; 0.95 in files that predate it
    header = (f"{'model size':>12}  {f'median ROI {percent(level, 0)} CI':>24}  {'P(loss) ± se':>16}  "
              f"{'P(best) ± se':>16}  {'CVaR 5%':>9} {'± se':>7}")
    reps = int(ds.attrs.get("n_replicates", 1))
    how = "sample variance" if reps == 1 else f"{reps} independent replicates"
    lines = [f"Monte Carlo precision ({ds.attrs.get('sampler', 'random')} sampler; "
             f"standard errors from the {how})", header, "-" * len(header)]
    median_ci = ds["roi_quantile_ci"].sel(quantile=0.5, method="nearest")
    for j, size in enumerate(ds["model_size"].values):
        lo, hi = (float(v) for v in median_ci.isel(model_size=j).values)
        lines.append(
            f"{size_label(size):>12}  {'[' + decimals(lo, 0).strip() + ', ' + decimals(hi, 0).strip() + ']':>24}  "
            f"{percent(ds['prob_loss'][j]):>7} ± {se_percent(ds['prob_loss_se'][j]):<6}  "
            f"{percent(ds['prob_best'][j]):>7} ± {se_percent(ds['prob_best_se'][j]):<6}  "
            f"{decimals(ds['cvar_05'][j], 9)} {float(ds['cvar_05_se'][j]):>7.2g}")
    lines += legend([
        (f"median ROI {percent(level, 0)} CI", f"the {percent(level, 0)} confidence interval of "
                                               "the median ROI: where the median would fall with "
                                               "more scenarios"),
        ("P(loss) ± se", "the share of scenarios with ROI < 0 and its standard error"),
        ("P(best) ± se", "the share of scenarios in which the size is best (by "
                         f"{objective(ds.attrs.get('objective')).label}) and its standard error"),
        ("CVaR 5%", CVAR_TEXT),
        ("± se", "the Monte Carlo standard error of CVaR 5%"),
    ])
    return lines


def _expectation_table(ds: xr.Dataset) -> list[str]:
    """Expected against realized ROI per size: where the heat and reality part.

    P(exp. loss) is read off the stored expected-ROI quantile function (to
    within 0.1%); P(loss) is counted exactly.
    """
    header = (f"{'model size':>12}  {'exp. ROI':>9}  {'real. ROI':>9}  {'gap':>9} {'± se':>7}  "
              f"{'P(exp. loss)':>12}  {'P(loss)':>8}")
    lines = ["expected vs realized ROI (means; gap = expected - realized)", header,
             "-" * len(header)]
    exp_loss = (ds["roi_expected_distribution"] < 0).mean("probability")
    for j, size in enumerate(ds["model_size"].values):
        lines.append(
            f"{size_label(size):>12}  {decimals(ds['roi_expected_mean'][j], 9)}  "
            f"{decimals(ds['roi_mean'][j], 9)}  {decimals(ds['roi_gap_mean'][j], 9)} "
            f"{float(ds['roi_gap_mean_se'][j]):>7.2g}  {percent(exp_loss[j]):>12}  "
            f"{percent(ds['prob_loss'][j]):>8}")
    lines += legend([
        ("exp. ROI", "the mean ROI investors expect at the decision (no deployment gap, hyped "
                     "market, no incidents)"),
        ("real. ROI", "the mean realized ROI (the mean ROI of the first table)"),
        ("gap", "the mean of expected minus realized ROI, scenario by scenario"),
        ("± se", "the Monte Carlo standard error of the mean gap"),
        ("P(exp. loss)", "the share of scenarios in which investors expect a loss (expected ROI < 0)"),
        ("P(loss)", "the share of scenarios with realized ROI < 0"),
    ])
    return lines


MAX_ROWS = 60


def sweep_statistic(ds: xr.Dataset) -> str:
    """The statistic a project-frame sweep is shown by, in its table, its
    chart and the report: the mean of the decision objective in force
    (``net_value_mean`` by default, ``roi_mean`` when decision.objective = "roi")."""
    return f"{objective(ds.attrs.get('objective')).statistic}_mean"


def sweep_table(ds: xr.Dataset) -> str:
    """The mean of the decision objective per model size at every grid point
    (:func:`sweep_statistic`), and the size where it is highest, the choice;
    with strategies, a row per (point, strategy) and the best (strategy,
    size) alternative of each point. A sweep of the industry
    frame has its own table (:func:`sim.present.industry_tables.industry_sweep_table`)."""
    if ds.attrs.get("frame") == "industry":
        from sim.present.industry_tables import industry_sweep_table

        return industry_sweep_table(ds)
    keys = [k.strip() for k in ds.attrs["sweep_keys"].split(",")]
    widths = [max(len(k), 9) for k in keys]
    sizes = ds["model_size"].values
    strategies = [str(s) for s in ds["strategy"].values] if "strategy" in ds.dims else [None]
    sw = max((len(s) for s in strategies if s), default=0)
    head = "  ".join(f"{k:>{w}}" for k, w in zip(keys, widths))
    if sw:
        head += f"  {'strategy':<{max(sw, 8)}}"
    head += "  " + " ".join(f"{size_label(s):>8}" for s in sizes) + f"  {'best':>6}"
    goal = objective(ds.attrs.get("objective"))
    title = (f"sweep of scenario '{ds.attrs['scenario_name']}': {ds.attrs['sweep_points']} points "
             f"x {ds.attrs['n_scenarios']:,} scenarios, seed {ds.attrs['seed']}; "
             f"mean {goal.label} by model size")
    lines = [title, head, "-" * len(head)]
    stat = ds[sweep_statistic(ds)]
    cell = functools.partial(value_label, units=goal.units)
    grid = list(itertools.product(*(range(ds.sizes[k]) for k in keys)))
    for idx in grid[:MAX_ROWS]:
        at = dict(zip(keys, idx))
        point = "  ".join(f"{float(ds[k].values[i]):>{w}.4g}" for k, i, w in zip(keys, idx, widths))
        shown = stat.isel(at)  # (model_size) or (strategy, model_size)
        if sw:
            shown = shown.transpose("strategy", "model_size")
        shown = shown.values
        if sw:  # a size a strategy does not declare is no alternative, never best
            shown = np.where([[is_alternative(ds, s_i, j) for j in range(len(sizes))]
                              for s_i in range(len(strategies))], shown, -np.inf)
        s_best, j_best = np.unravel_index(int(np.argmax(shown)), shown.shape) if sw else (0, int(np.argmax(shown)))
        best = size_label(sizes[j_best])
        if sw:
            best = f"{strategies[s_best]} at {best}"
        for s_i, name in enumerate(strategies):
            values = shown if name is None else shown[s_i]
            row = point if s_i == 0 else " " * len(point)
            if sw:
                row += f"  {name:<{max(sw, 8)}}"
            row += "  " + " ".join(f"{cell(m):>8}" if name is None or is_alternative(ds, s_i, j)
                                   else f"{'-':>8}" for j, m in enumerate(values))
            row += f"  {best:>6}" if s_i == 0 else ""
            lines.append(row)
    if len(grid) > MAX_ROWS:
        lines.append(f"... {len(grid) - MAX_ROWS} more points in the dataset")
    what = "(strategy, size) alternative" if sw else "size"
    entries = [(k, f"the value of {k} at that point of the grid") for k in keys]
    if sw:
        entries.append(("strategy", "the strategy of the row (its sizes in the size columns)"))
    entries += [
        ("size columns", f"the mean over the scenarios of {_objective_label(ds)}, the decision "
                         "objective, at that point and model size"),
        ("best", f"the {what} with the highest mean {goal.label} at that point: the choice "
                 "there"),
    ]
    lines += legend(entries)
    crn, _, why = ds.attrs["common_random_numbers"].partition(":")
    lines += textwrap.wrap(f"common random numbers: {crn}" + (f" ({why.strip()})" if why else "") + ".",
                           WIDTH)
    return "\n".join(lines)


def decision_table(ds: xr.Dataset, top: int = 12) -> str:
    """``sim decide``: alternatives ranked by mean objective, the choice,
    EVPI, and the parameters ranked by EVPPI with the noise floor."""
    goal = objective(ds.attrs.get("objective"))
    fmt = functools.partial(value_label, units=goal.units)
    name = goal.label
    mean = ds[f"{goal.statistic}_mean"]
    se = ds[f"{goal.statistic}_mean_se"]
    has_strategy = "strategy" in ds.dims
    rows = []
    strategies = ds["strategy"].values if has_strategy else [ds.attrs.get("scenario_name", "")]
    for s_i, strategy in enumerate(strategies):
        for j, size in enumerate(ds["model_size"].values):
            if has_strategy and not is_alternative(ds, s_i, j):
                continue  # a size the strategy does not declare: no alternative
            at = {"strategy": s_i, "model_size": j} if has_strategy else {"model_size": j}
            rows.append((float(mean.isel(at)), str(strategy), float(size), float(se.isel(at)),
                         float(ds["prob_best"].isel(at)), float(ds["regret_mean"].isel(at)),
                         float(ds["prob_loss"].isel(at))))
    rows.sort(key=lambda r: -r[0])
    header = (f"{'rank':>4}  {'strategy':<20} {'size':>6}  {'mean ' + name:>12} {'± se':>9}  "
              f"{'P(best)':>7}  {'mean regret':>11}  {'P(loss)':>7}")
    lines = [f"decision for scenario '{ds.attrs['scenario_name']}': {ds.attrs['n_scenarios']:,} "
             f"scenarios, seed {ds.attrs['seed']}; objective: {name}", header, "-" * len(header)]
    for k, (m, strategy, size, e, best, regret, loss) in enumerate(rows[:top], 1):
        lines.append(f"{k:>4}  {strategy[:20]:<20} {size_label(size):>6}  {fmt(m):>12} {fmt(e):>9}  "
                     f"{percent(best):>7}  {fmt(regret):>11}  {percent(loss):>7}")
    if len(rows) > top:
        lines.append(f"... {len(rows) - top} more alternatives in the dataset")
    lines += legend([
        ("rank", f"alternatives ranked by the mean {name}, highest first"),
        (f"mean {name}", f"the mean over the scenarios of {_objective_label(ds)}, the objective "
                         "maximized; the highest is the choice"),
        ("± se", f"the Monte Carlo standard error of the mean {name}"),
        ("P(best)", f"the share of scenarios in which the alternative has the highest {name}"),
        ("mean regret", f"the mean over the scenarios of the best {name} of any alternative in "
                        f"that scenario minus this one's: what choosing it costs against "
                        "hindsight; the choice's mean regret is the EVPI"),
        ("P(loss)", "the share of scenarios with ROI < 0"),
    ])
    lines.append("")
    lines.append(f"choice: {ds.attrs['choice']}")
    if "max_prob_loss" in ds.attrs:
        lines.append(f"  (restricted to alternatives with P(loss) <= {ds.attrs['max_prob_loss']:g}: "
                     f"{ds.attrs.get('n_eligible', 0)} eligible)")
    lines.append(f"EVPI: {fmt(ds['evpi'])} ± {fmt(ds['evpi_se'])} (what knowing everything "
                 "before deciding would be worth)")
    if "evppi" in ds:
        floor, floor_se = float(ds["evppi_floor"]), float(ds["evppi_floor_se"])
        order = np.argsort(-ds["evppi"].values)
        lines.append("")
        lines.append(f"resolve these uncertainties first (EVPPI, {ds.attrs.get('voi_bins', '?')} bins; "
                     f"noise floor {fmt(floor)} ± {fmt(floor_se)}):")
        head = f"{'parameter':<34} {'EVPPI':>12} {'± se':>9}  {'above floor':>11}"
        lines += [head, "-" * len(head)]
        shown = 0
        for i in order:
            key = str(ds["parameter"].values[i])
            if key.startswith("dummy"):
                continue
            v, e = float(ds["evppi"].values[i]), float(ds["evppi_se"].values[i])
            above = v - floor > 2 * math.hypot(e, floor_se) + 1e-9 * abs(float(ds["evpi"]))
            lines.append(f"{key[:34]:<34} {fmt(v):>12} {fmt(e):>9}  {'yes' if above else 'no':>11}")
            shown += 1
            if shown == 10:
                break
        lines += legend([
            ("EVPPI", f"expected value of partial perfect information: how much knowing the "
                      f"parameter before deciding would add to the mean {name} (estimated in "
                      f"{ds.attrs.get('voi_bins', '?')} bins of its draws)"),
            ("± se", "the Monte Carlo standard error of the EVPPI"),
            ("above floor", "yes when the EVPPI exceeds the noise floor (the EVPPI of a "
                            "placeholder parameter that enters no model, i.e. the estimator's "
                            "bias) by more than two standard errors"),
        ])
        best_key = str(ds["parameter"].values[order[0]])
        if not best_key.startswith("dummy"):
            lines.append(f"resolve {best_key} first: knowing it is worth up to "
                         f"{fmt(ds['evppi'].values[order[0]])}.")
    return "\n".join(lines)
