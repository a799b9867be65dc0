"""How numbers are written for people: model sizes (100M, 1B, 1T)."""

from __future__ import annotations

__all__ = ["size_label", "usd_label"]


def size_label(n: float) -> str:
    """A model size as people write it: 100M, 1B, 1T."""
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:.4g}{unit}"
    return f"{n:.4g}"


def usd_label(x: float) -> str:
    """An amount in USD, short: -$1.2B, $350M, $12K."""
    v = float(x)
    if v != v:
        return "nan"
    sign = "-" if v < 0 else ""
    a = abs(v)
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if a >= scale:
            return f"{sign}${a / scale:.3g}{unit}"
    return f"{sign}${a:.3g}"
