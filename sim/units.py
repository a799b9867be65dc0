"""How numbers are written for people: model sizes (100M, 1B, 1T)."""

from __future__ import annotations

__all__ = ["size_label"]


def size_label(n: float) -> str:
    """A model size as people write it: 100M, 1B, 1T."""
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:.4g}{unit}"
    return f"{n:.4g}"
