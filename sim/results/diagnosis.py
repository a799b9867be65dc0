"""Why a run's statistics are not finite: the words both frames' results use."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["HOW_TO_FIX", "suspects"]

HOW_TO_FIX = ("the equations overflow there: narrow those distributions or move the "
              "constants away from their bounds (docs/model.md, 'Ranges the equations can take')")


def suspects(plan, ranks: np.ndarray, n_bad: int) -> str:
    """The sampled keys whose draws in the affected scenarios lean to one end:
    their mean rank is far from 1/2 by the standard error of a mean of
    ``n_bad`` uniform ranks (at least five of them), and by at least 0.05."""
    keys = list(plan.sampled_keys)
    se = math.sqrt(1 / 12 / max(n_bad, 1))
    dev = np.abs(ranks - 0.5)
    order = np.argsort(-dev) if len(keys) else []
    named = [f"{keys[d]} ({'high' if ranks[d] > 0.5 else 'low'} draws)" for d in order[:3]
             if dev[d] >= max(5 * se, 0.05)]
    if named:
        return "their draws of " + ", ".join(named) + " stand out"
    return ("no sampled key stands out, so a constant (or the model sizes) takes the equations "
            "out of range")
