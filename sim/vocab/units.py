"""How numbers are written for people: every number format of tables,
reports, charts and messages, each once.

Layer 0 (no numpy) so that results, present, analyses and the command line
all read the same formats.
"""

from __future__ import annotations

import math

__all__ = ["RARE_MARK", "RARE_RATIO", "compact", "usd_per_million", "NOT_FINITE", "usd_rare_mean",
           "decimals", "delay_years", "duration", "eng", "percent", "plus_minus",
           "rate_label", "se_percent", "significant", "size_label", "usd_axis", "usd_label", "value_label"]

#: What a cell shows for an infinite or NaN value (possible only in files
#: written before runs refused such results).
NOT_FINITE = "not finite"

_SCALES = (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3))


def size_label(n: float) -> str:
    """A model size as people write it: 100M, 1B, 1T."""
    for unit, scale in _SCALES:
        if n >= scale:
            return f"{n / scale:.4g}{unit}"
    return f"{n:.4g}"


def usd_label(x: float) -> str:
    """An amount in USD, short, three significant digits: -$1.2B, $350M, $12K;
    infinite or NaN as Python writes it (inf, -inf, nan)."""
    v = float(x)
    if not math.isfinite(v):
        return str(v)
    sign = "-" if v < 0 else ""
    a = abs(v)
    for unit, scale in _SCALES:
        if a >= scale:
            return f"{sign}${a / scale:.3g}{unit}"
    return f"{sign}${a:.3g}"


#: The mark after a mean carried by a few scenarios (:func:`usd_rare_mean`).
RARE_MARK = "†"
#: A mean whose standard deviation exceeds this multiple of itself is marked:
#: for a cost paid in a share p of scenarios (the same amount each time) the
#: ratio is sqrt((1 - p) / p), so 3 marks costs paid in fewer than 1 in 10.
RARE_RATIO = 3.0


def usd_rare_mean(mean: float, se: float, n: int) -> str:
    """A mean in USD (:func:`usd_label`) followed by :data:`RARE_MARK` when it
    is carried by a few scenarios: its standard deviation, estimated as
    ``se * sqrt(n)``, is more than :data:`RARE_RATIO` times the mean. A mean
    of rare costs (compliance duties paid by one run in thirty) then does not
    read as what a typical scenario pays."""
    m, s = float(mean), float(se)
    text = usd_label(m)
    if math.isfinite(m) and m != 0 and math.isfinite(s) and s * math.sqrt(max(int(n), 1)) > RARE_RATIO * abs(m):
        text += RARE_MARK
    return text


def usd_axis(x: float) -> str:
    """An amount in USD as a chart's tick: :func:`usd_label`, but from a
    thousand trillion on in whole trillions with thousands separated
    ($12,000T, not $1.2e+04T), so a log axis reads in one unit."""
    v = float(x)
    if math.isfinite(v) and abs(v) >= 1e15:
        return f"{'-' if v < 0 else ''}${abs(v) / 1e12:,.0f}T"
    return usd_label(v)


def compact(x: float) -> str:
    """A count or quantity, short, three significant digits: 12.3, 470K,
    -1.2B, 2.1T; beyond a thousand trillion (FLOP) as 2.0e+25."""
    v = float(x)
    if not math.isfinite(v):
        return NOT_FINITE
    a = abs(v)
    if a >= 1e15:
        return f"{v:.1e}"
    sign = "-" if v < 0 else ""
    for unit, scale in _SCALES:
        if a >= scale:
            return f"{sign}{a / scale:.3g}{unit}"
    return f"{v:.3g}"


def usd_per_million(per_token: float) -> str:
    """A price or cost per token, in USD per million tokens, three
    significant digits: $16.1, $0.00189."""
    return "$" + significant(float(per_token) * 1e6)


def percent(x: float, digits: int = 1) -> str:
    """A share as a percentage with ``digits`` decimals: 0.637 -> 63.7%
    (``digits=0``: 0.95 -> 95%); infinite or NaN is :data:`NOT_FINITE`."""
    v = float(x)
    return f"{v:.{digits}%}" if math.isfinite(v) else NOT_FINITE


def se_percent(x: float) -> str:
    """A (non-negative) standard error of a probability in percent, to two significant digits,
    so that a small error reads 0.048%, not 0.0% (which would claim an exact
    number). Exactly 0 (every scenario a loss, or none) stays 0%; below
    0.001% it reads <0.001%."""
    v = 100 * float(x)
    if v == 0:
        return "0%"
    if v < 0.001:
        return "<0.001%"
    return f"{v:.2g}%" if v < 10 else f"{v:.1f}%"


def significant(x: float) -> str:
    """Three significant digits, scientific from 1e4 on: -0.544, 32.1, 1.23e+04;
    infinite or NaN is :data:`NOT_FINITE`."""
    v = float(x)
    if not math.isfinite(v):
        return NOT_FINITE
    return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.2e}"


def value_label(x: float, units: str | None) -> str:
    """A value in its units: :func:`usd_label` for USD (and USD per year or
    per anything: ``USD/year``), else :func:`significant`."""
    return usd_label(x) if units == "USD" or str(units).startswith("USD/") else significant(x)


def decimals(x: float, width: int = 10) -> str:
    """Three decimals right-aligned in ``width`` columns (-0.721, 32.060),
    scientific (1.23e+04, 5.00e-04) from 1e4 on and below 1e-3 but not 0."""
    v = float(x)
    if abs(v) >= 1e4 or (v != 0 and abs(v) < 1e-3):
        return f"{v:>{width}.2e}"
    return f"{v:>{width}.3f}"


def plus_minus(value: float, half_width: float) -> str:
    """An estimate and the half-width of its interval, three decimals: 0.412 ± 0.031."""
    return f"{value:.3f} ± {half_width:.3f}"


def delay_years(x: float) -> str:
    """Mean release delay in years, in six columns even when it is huge."""
    v = float(x)
    return f"{v:>6.2f}" if abs(v) < 1000 else f"{v:>6.0e}"


def eng(value: float, digits: int = 3) -> str:
    """Engineering-style short notation: 3.14e23, 4.32e6, 175, 0.25; NaN is
    "-", infinity inf or -inf."""
    v = float(value)
    if math.isnan(v):
        return "-"
    if math.isinf(v):
        return str(v)
    if v == 0:
        return "0"
    if 1e-2 <= abs(v) < 1e4:
        return f"{v:.{digits}g}"
    mantissa, exponent = f"{v:.{digits - 1}e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def rate_label(per_second: float) -> str:
    """Scenarios a second: 12.345 M/s from 1e5 on, else 42.0 k/s."""
    x = per_second
    return f"{x / 1e6:.3f} M/s" if x >= 1e5 else f"{x / 1e3:.1f} k/s"


def duration(seconds: float) -> str:
    """A time span, coarsely: ``42 s``, ``12 min``, ``3.5 h``, ``9 days``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.0f} days"
