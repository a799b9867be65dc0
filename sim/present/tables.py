"""Plain-text tables of results, as the command line prints them."""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import xarray as xr

from sim.results.alternatives import alternative_mask, is_alternative, select_strategy
from sim.results.dataset import CI_LEVEL
from sim.vocab.objectives import objective
from sim.vocab.units import (decimals, delay_years, percent, se_percent, significant, size_label, usd_label,
                             usd_per_million, value_label)

__all__ = ["decision_table", "summary_table", "sweep_table"]


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
                                                         f"strategy '{name}'"))
        parts.append("")
    by = objective(ds.attrs.get("objective")).label
    mask = alternative_mask(ds)
    over = (f"all {len(names)} strategies x {ds.sizes['model_size']} sizes" if mask is None else
            f"the {int(mask.sum())} (strategy, size) alternatives the strategies declare")
    parts.append(f"P(best) is over {over} (by {by}); choice: {ds.attrs.get('choice', '?')}")
    return "\n".join(parts)


def _summary(ds: xr.Dataset, title: str) -> str:
    """The tables of one run (or one strategy of it), under ``title``."""
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
    lines.append("ROI = (NPV - I) / I; 'expected' is the median ROI investors expect")
    lines.append("(no deployment gap, hyped market, no incidents).")
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


def _value_table(ds: xr.Dataset) -> list[str]:
    """Net value in USD and the bottlenecks behind it, per size."""
    header = (f"{'model size':>12}  {'net value':>10} {'± se':>8}  {'median':>10}  {'5%':>10}  "
              f"{'95%':>10}  {'delay':>6}  {'data-lim.':>9}  {'duties':>8}")
    lines = ["net value = NPV - I (USD): mean ± se and quantiles; delay = mean years of the final "
             "run;", "data-lim. = share with tokens above the data stock; duties = mean discounted "
             "compliance cost", header, "-" * len(header)]
    q = ds["net_value_quantile"]
    for j, size in enumerate(ds["model_size"].values):
        qj = q.isel(model_size=j)
        at = lambda level, qj=qj: usd_label(qj.sel(quantile=level, method="nearest"))
        lines.append(
            f"{size_label(size):>12}  {usd_label(ds['net_value_mean'][j]):>10} "
            f"{usd_label(ds['net_value_mean_se'][j]):>8}  {at(0.5):>10}  {at(0.05):>10}  "
            f"{at(0.95):>10}  {delay_years(ds['release_delay_mean'][j])}  "
            f"{percent(ds['data_limited_share'][j]):>9}  "
            f"{usd_label(ds['compliance_cost_npv_mean'][j]):>8}")
    return lines


def _unit_economics_table(ds: xr.Dataset) -> list[str]:
    """Year 1 per output token (specification sections 13, 14): serving cost,
    our price, the share served and the margin among those served."""
    header = (f"{'model size':>12}  {'active':>8}  {'cost /M':>9}  {'price /M':>9}  {'served':>7}  "
              f"{'margin':>7}  {'margin 5-95%':>14}")
    lines = ["year-1 unit economics per output token (medians; USD per million output tokens,",
             "input included); served = share served in year 1; margin = 1 - S_1/Rev_1 among them",
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
             "after the decision; year 0 is investors' belief, the last year the realized ROI;",
             "P(cooled) = P(expected to pay at year 0, marked below cost by the horizon)",
             header, "-" * len(header)]
    for j, size in enumerate(ds["model_size"].values):
        cells = []
        for y in years:
            m = float(median.isel(model_size=j).sel(year=y))
            p = float(ds["prob_below_cost"].isel(model_size=j).sel(year=y))
            cells.append(f"{m:.2f} ({percent(p, 0)})")
        cooled = float(ds["prob_cooled"].isel(model_size=j).isel(year=-1))
        lines.append(f"{size_label(size):>10}" + "".join(f"{c:>13}" for c in cells)
                     + f"  {percent(cooled):>9}")
    return lines


def _precision_table(ds: xr.Dataset) -> list[str]:
    """How precise the numbers above are: intervals and standard errors."""
    level = ds.attrs.get("ci_level", CI_LEVEL)
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
    return lines


MAX_ROWS = 60


def sweep_table(ds: xr.Dataset) -> str:
    """Median ROI per model size at every grid point, and the size most often
    best; with strategies, a row per (point, strategy) and the best
    (strategy, size) alternative of each point. A sweep of the industry
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
    title = (f"sweep of scenario '{ds.attrs['scenario_name']}': {ds.attrs['sweep_points']} points "
             f"x {ds.attrs['n_scenarios']:,} scenarios, seed {ds.attrs['seed']}; "
             "median ROI by model size")
    lines = [title, head, "-" * len(head)]
    median = ds["roi_quantile"].sel(quantile=0.5, method="nearest")
    grid = list(itertools.product(*(range(ds.sizes[k]) for k in keys)))
    for idx in grid[:MAX_ROWS]:
        at = dict(zip(keys, idx))
        point = "  ".join(f"{float(ds[k].values[i]):>{w}.4g}" for k, i, w in zip(keys, idx, widths))
        credit = ds["prob_best"].isel(at).values  # (model_size) or (strategy, model_size)
        s_best, j_best = np.unravel_index(int(np.argmax(credit)), credit.shape) if sw else (0, int(np.argmax(credit)))
        best = size_label(sizes[j_best])
        if sw:
            best = f"{strategies[s_best]} at {best}"
        for s_i, name in enumerate(strategies):
            med = median.isel(at).values if name is None else median.isel(at).isel(strategy=s_i).values
            row = point if s_i == 0 else " " * len(point)
            if sw:
                row += f"  {name:<{max(sw, 8)}}"
            row += "  " + " ".join(f"{m:>8.3g}" if name is None or is_alternative(ds, s_i, j) else f"{'-':>8}"
                                   for j, m in enumerate(med))
            row += f"  {best:>6}" if s_i == 0 else ""
            lines.append(row)
    if len(grid) > MAX_ROWS:
        lines.append(f"... {len(grid) - MAX_ROWS} more points in the dataset")
    by = objective(ds.attrs.get("objective")).label
    what = "(strategy, size) alternative" if sw else "size"
    lines.append(f"best = the {what} with the highest P(best) (by {by}) at that point; common random "
                 f"numbers: {ds.attrs['common_random_numbers'].split(':')[0]}.")
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
        best_key = str(ds["parameter"].values[order[0]])
        if not best_key.startswith("dummy"):
            lines.append(f"resolve {best_key} first: knowing it is worth up to "
                         f"{fmt(ds['evppi'].values[order[0]])}.")
    return "\n".join(lines)
