"""The printed comparison of two results (``sim compare A.nc B.nc``).

Reads the frame of :func:`sim.results.summary.compare` and writes it as a
text table, one block per headline statistic, with a legend that says
what every column is, and a warning when the two results share their
random numbers.
"""

from __future__ import annotations

import math
import textwrap

from sim.vocab.units import percent, significant, usd_label

__all__ = ["LEGEND", "compare_table"]

#: What each column of the table is.
LEGEND = (
    "a, b: the statistic in result A and in result B; b - a: their difference; ± se: the "
    "standard error of the difference, sqrt(se_a^2 + se_b^2), from each result's Monte Carlo "
    "standard error (of a quantile: from its 95% order-statistic interval, as (upper - lower) / "
    "3.92); z = (b - a) / se: the difference in standard errors (with independent errors, |z| "
    "above 2 happens by chance about 1 time in 20, above 3 about 1 in 400; '-' where se is 0). "
    "Probabilities and their differences are in percent (differences in percentage points); "
    "money in USD."
)

WIDTH = 98


def _units(statistic: str) -> str:
    if statistic.startswith("prob_") or statistic == "capex_peak_year":
        return "share"
    if statistic.startswith("net_value") or statistic.startswith(("revenue", "capex")):
        return "USD"
    return "1"


def _cell(x: float, units: str) -> str:
    if not math.isfinite(float(x)):
        return "-"
    if units == "share":
        return percent(x, 2 if abs(x) < 0.1 else 1)
    if units == "USD":
        return usd_label(x)
    return significant(x)


def _z(z: float) -> str:
    return f"{z:.2f}" if math.isfinite(float(z)) else "-"


def _row_label(row, keys: list[str]) -> str:
    parts = []
    for k in keys:
        v = row[k]
        if k == "model_size":
            continue
        if k == "size":
            parts.append(str(v))
        elif k in ("strategy", "calendar_year"):
            parts.append(str(v))
        elif k == "point":  # a sweep's grid point: its values, in the order of the swept keys
            parts.append("point " + ", ".join(significant(x) for x in (v if isinstance(v, tuple) else (v,))))
        elif k != "year":
            parts.append(f"{k}={significant(v)}")
    return " ".join(parts)


def _describe(attrs: dict) -> str:
    return (f"scenario '{attrs.get('scenario', '')}', {int(attrs.get('n_scenarios', 0)):,} scenarios, "
            f"seed {attrs.get('seed')}, sampler {attrs.get('sampler', 'random')}")


def _block(df, keys: list[str], labels: dict, width: int) -> list[str]:
    lines = []
    for statistic in dict.fromkeys(df["statistic"]):
        part = df[df["statistic"] == statistic]
        units = _units(statistic)
        lines.append(f"{statistic}: {labels.get(statistic, statistic)}")
        for _, row in part.iterrows():
            label = _row_label(row, keys) if keys else ""
            lines.append(f"  {label:<{width}} {_cell(row['a'], units):>11} {_cell(row['b'], units):>11} "
                         f"{_cell(row['difference'], units):>11} {_cell(row['se'], units):>10} "
                         f"{_z(row['z']):>7}")
    return lines


def compare_table(df, names: tuple[str, str] = ("A", "B")) -> str:
    """The frame of :func:`sim.results.summary.compare` as text: the two
    results, a block per statistic (a row per size, strategy and grid
    point; per calendar year for the industry frame), the legend, and the
    warning of shared random numbers when it applies."""
    a, b = df.attrs.get("a", {}), df.attrs.get("b", {})
    labels = df.attrs.get("labels", {})
    keys = [c for c in df.columns if c not in ("statistic", "a", "b", "se_a", "se_b", "difference", "se", "z")]
    width = max([len(_row_label(r, keys)) for _, r in df.iterrows()] + [8])
    head = (f"  {'':<{width}} {'a':>11} {'b':>11} {'b - a':>11} {'± se':>10} {'z':>7}")
    lines = [f"a = {names[0]}: {_describe(a)}", f"b = {names[1]}: {_describe(b)}", "", head,
             "-" * len(head)]
    lines += _block(df, keys, labels, width)
    scalars = df.attrs.get("scalars")
    if scalars is not None and len(scalars):
        lines += ["", "the whole run (no year):", head, "-" * len(head)]
        skeys = ["point"] if "point" in scalars.columns else []
        lines += _block(scalars, skeys, labels, width)
    lines.append("")
    lines += textwrap.wrap(LEGEND, WIDTH)
    if df.attrs.get("shared_draws"):
        lines += textwrap.wrap("warning: " + df.attrs.get("note", ""), WIDTH)
    return "\n".join(lines)
