"""The industry frame's tables (specification section 15).

:func:`industry_table`, a run's: calendar years are the columns; each row
is one path's median over the scenarios (the units in the row's label),
then the probabilities of the cooling with their standard errors, then the
two returns. :func:`industry_sweep_table`, a sweep's: a row per grid point
with the cooling, the capex peak, the industry's size and its return at
that point. A legend under each table says what each column is.
"""

from __future__ import annotations

import itertools

import xarray as xr

from sim.vocab import industry as iv
from sim.vocab.units import compact, eng, percent, se_percent, significant, usd_label

__all__ = ["DEFINITIONS", "LEGEND", "RETURN_HEAD", "industry_sweep_table", "industry_table", "largest_se",
           "loss_line", "median_rows", "probability_rows", "return_rows"]

#: Rows of medians: (field name, label with units, formatter).
MEDIAN_ROWS = (
    ("labs", "frontier labs", lambda x: f"{float(x):.1f}"),
    ("revenue", "revenue, USD/yr", usd_label),
    ("capex", "capex, USD/yr", usd_label),
    ("serving_cost", "serving cost, USD/yr", usd_label),
    ("profit", "profit, USD/yr", usd_label),
    ("serving_margin", "serving margin", lambda x: percent(x, 0)),
    ("q", "valuation ratio Q", lambda x: f"{float(x):.2f}"),
    ("frontier_flops", "frontier run, FLOP", compact),
    ("revenue_per_gw", "revenue per GW, USD/yr", usd_label),
    ("lab_compute", "a lab's compute, H100e", compact),
    ("scarcity", "scarcity factor k", lambda x: f"{float(x):.2f}"),
)
#: Rows of probabilities (result variable, label).
PROBABILITY_ROWS = (
    ("prob_cooled", "P(cooled by then)"),
    ("prob_valued_below_cost", "P(valued below cost)"),
    ("prob_capex_fall", "P(capex falls)"),
    ("capex_peak_year", "P(capex peaks then)"),
)


def _median(ds: xr.Dataset, name: str) -> xr.DataArray:
    """The median over the scenarios of path (or scalar) ``name``."""
    return ds[f"{name}_quantile"].sel(quantile=0.5, method="nearest")


def median_rows(ds: xr.Dataset) -> list[tuple[str, list[str]]]:
    """(label with units, one cell per year) of each path's median."""
    rows = []
    for name, label, fmt in MEDIAN_ROWS:
        rows.append((label, [fmt(v) for v in _median(ds, name).values]))
    return rows


def probability_rows(ds: xr.Dataset) -> list[tuple[str, list[str]]]:
    """(label, one percentage per year) of each probability of the cooling."""
    return [(label, [percent(v, 1) for v in ds[name].values]) for name, label in PROBABILITY_ROWS]


def largest_se(ds: xr.Dataset) -> str:
    """The largest standard error of the cooling probabilities, as a percentage."""
    return se_percent(max(float(ds[f"{name}_se"].max()) for name, _ in PROBABILITY_ROWS))


#: Columns of :func:`return_rows`.
RETURN_HEAD = ("return", "median", "5%", "95%", "mean ± se")


def return_rows(ds: xr.Dataset) -> list[list[str]]:
    """The realized industry return and the return expected at the start:
    label, median, 5% and 95% quantiles, mean ± its standard error."""
    rows = []
    for f in (iv.SCALARS[iv.ROI_INDUSTRY], iv.SCALARS[iv.EXPECTED_RETURN]):
        q = ds[f"{f.name}_quantile"]
        rows.append([f.label] + [significant(q.sel(quantile=lv, method="nearest"))
                                 for lv in (0.5, 0.05, 0.95)]
                    + [f"{significant(ds[f.name + '_mean'])} ± {significant(ds[f.name + '_mean_se'])}"])
    return rows


def loss_line(ds: xr.Dataset) -> str:
    """P(realized industry return < 0) with its standard error."""
    return (f"P(realized industry return < 0): {percent(ds['prob_industry_loss'])} ± "
            f"{se_percent(ds['prob_industry_loss_se'])} (se)")


def industry_table(ds: xr.Dataset) -> str:
    """The year-by-year table of an industry-frame result, with its legend."""
    years = [int(y) for y in ds["calendar_year"].values]
    width = max(8, max(len(usd_label(float(ds["revenue_quantile"].max()))),
                       len(usd_label(float(ds["profit_quantile"].min())))) + 1)
    label_width = 26
    header = f"{'median of':<{label_width}}" + "".join(f"{y:>{width}}" for y in years)
    lines = [f"scenario '{ds.attrs['scenario_name']}' (industry frame): "
             f"{ds.attrs['n_scenarios']:,} scenarios, seed {ds.attrs['seed']}",
             header, "-" * len(header)]
    for label, cells in median_rows(ds):
        lines.append(f"{label:<{label_width}}" + "".join(f"{c:>{width}}" for c in cells))
    lines.append("")
    lines.append(f"{'probability (± se)':<{label_width}}" + "".join(f"{y:>{width}}" for y in years))
    lines.append("-" * len(header))
    for label, cells in probability_rows(ds):
        lines.append(f"{label:<{label_width}}" + "".join(f"{c:>{width}}" for c in cells))
    lines.append(f"{'':<{label_width}}(largest standard error of these: {largest_se(ds)})")
    lines.append("")
    for label, med, lo, hi, mean in return_rows(ds):
        lines.append(f"{label}: median {med} (5%: {lo}, 95%: {hi}); mean {mean} (se)")
    lines.append(loss_line(ds))
    lines.append("")
    lines.extend(LEGEND)
    return "\n".join(lines)


#: What the rows of medians are (the text table's own words).
MEDIANS_NOTE = (
    "Each row above the line is the median over the scenarios of one year's value (the",
    "5%-95% quantiles, means and their standard errors are in the result file).",
)
#: What each row and return means (wrapped lines of one paragraph).
DEFINITIONS = (
    "revenue = paid revenue of frontier models A; capex = the labs' spend on models",
    "(training compute with experiments, data, staff, risk control); profit = revenue -",
    "serving cost - capex; serving margin = 1 - serving cost / revenue; Q = the value",
    "investors put on a lab (extrapolated revenue, fading hype, today's margin, rivals",
    "ignored) over the cost of the models it plans: Q > 1 draws entrants, Q < 1 makes labs",
    "leave; scarcity k = the GPU-hour price's multiple when labs demand more compute than",
    "exists (1: none). H100e = H100-equivalents running all year. Frontier labs = the",
    "(expected) number of labs training frontier models; frontier run = the final-run",
    "training compute of that year's frontier model; revenue per GW = revenue over the",
    "gigawatts of data-centre power the industry's compute draws; a lab's compute = the",
    "industry's compute over the number of labs.",
    "P(cooled by then) = share of scenarios where investors valued a lab above cost at the",
    "start (Q >= 1 in the first year) and below cost (Q < 1) in some year up to this one;",
    "P(valued below cost) = share with Q < 1 that year; P(capex falls) = share where capex",
    "is lower than the year before; P(capex peaks then) = share whose largest capex of the",
    "horizon falls in that year. Realized industry return = discounted (revenue - serving",
    "cost) / discounted capex - 1; the return expected at the start = Q of the first year - 1.",
)
LEGEND = MEDIANS_NOTE + DEFINITIONS


#: Grid points shown by :func:`industry_sweep_table` (the rest are in the file).
MAX_SWEEP_ROWS = 60


def _half_cooled(prob_cooled, years: list[int]) -> str:
    """The calendar year by which half the scenarios that cool by the last
    year have cooled (cooling is for good, so P(cooled by y) is the
    distribution of the year of cooling); "-" if none cools."""
    final = float(prob_cooled[-1])
    if final <= 0:
        return "-"
    return str(next(y for y, p in zip(years, prob_cooled) if p >= final / 2))


def industry_sweep_table(ds: xr.Dataset) -> str:
    """A sweep of an industry-frame scenario: one row per grid point (the
    varied keys' values first), then what each column is."""
    keys = [k.strip() for k in ds.attrs["sweep_keys"].split(",")]
    years = [int(y) for y in ds["calendar_year"].values]
    first, last = years[0], years[-1]
    cooled = ds["prob_cooled"].isel(year=-1)
    cooled_se = ds["prob_cooled_se"].isel(year=-1)
    peak = ds["capex_peak_year"].argmax("year")  # the year capex most often peaks
    labs = _median(ds, "labs").isel(year=-1)
    revenue = _median(ds, "revenue").isel(year=-1)
    roi = _median(ds, "roi_industry")
    loss = ds["prob_industry_loss"]
    heads = keys + [f"P(cooled by {last})", "± se", "half cooled by", "capex peak", f"labs {last}",
                    f"revenue {last}", "median return", "P(return < 0)"]
    rows = []
    grid = list(itertools.product(*(range(ds.sizes[k]) for k in keys)))
    for idx in grid[:MAX_SWEEP_ROWS]:
        at = dict(zip(keys, idx))
        rows.append([eng(float(ds[k].values[i]), 4) for k, i in zip(keys, idx)] + [
            percent(cooled.isel(at)), se_percent(cooled_se.isel(at)),
            _half_cooled(ds["prob_cooled"].isel(at).values, years),
            str(years[int(peak.isel(at))]), compact(labs.isel(at)), usd_label(revenue.isel(at)),
            significant(roi.isel(at)), percent(loss.isel(at))])
    widths = [max(len(h), *(len(r[k]) for r in rows)) for k, h in enumerate(heads)]

    def line(cells) -> str:
        return "  ".join(c.rjust(w) for c, w in zip(cells, widths))

    head = line(heads)
    lines = [f"sweep of scenario '{ds.attrs['scenario_name']}' (industry frame, {first}-{last}): "
             f"{ds.attrs['sweep_points']} points x {ds.attrs['n_scenarios']:,} scenarios, seed "
             f"{ds.attrs['seed']}", head, "-" * len(head)]
    lines.extend(line(r) for r in rows)
    if len(grid) > MAX_SWEEP_ROWS:
        lines.append(f"... {len(grid) - MAX_SWEEP_ROWS} more points in the dataset")
    lines.append("")
    lines.extend(line.replace("LAST", str(last)).replace("FIRST", str(first))
                 for line in SWEEP_LEGEND)
    lines.append(f"Common random numbers: {ds.attrs['common_random_numbers'].split(':')[0]} (the "
                 "same draws, demand shocks and incidents at every point).")
    return "\n".join(lines)


SWEEP_LEGEND = (
    "P(cooled by LAST) = share of scenarios where investors valued a lab above cost in FIRST",
    "(Q >= 1) and below cost (Q < 1) in some year up to LAST; ± se = its Monte Carlo standard",
    "error; half cooled by = the calendar year by which half the scenarios that cool by LAST",
    "have cooled (- if none does); capex peak = the calendar year in which the industry's",
    "capex most often peaks (the mode of the peak year over the scenarios); labs LAST and",
    "revenue LAST = medians of the lab count and of the industry's paid revenue (USD/yr) in",
    "LAST; median return = median realized industry return, discounted (revenue - serving",
    "cost) / discounted capex - 1; P(return < 0) = share of scenarios in which that return is",
    "below 0.",
)
