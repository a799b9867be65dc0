"""Rank correlations of inputs with an output: Spearman and partial (PRCC).

Both work on a retained sample: ``X`` (n scenarios by p inputs) and ``Y``
(n scenarios by m outputs, one per model size). Ranks are exact (ties get
their average rank), because a streaming rank approximation would add an
error of its own to the very numbers whose error is being reported, and a
bounded sample of 10^4 to 10^6 scenarios fits in memory (the caller caps it:
:data:`sim.analyses.sensitivity.api.MAX_RETAINED`).

* Spearman's rho of input i with the output is the Pearson correlation of
  their ranks: how monotonically the output moves with the input, the other
  inputs doing whatever they do (with declared correlations, a partner's
  effect shows up here too).
* The partial rank correlation (PRCC) removes the linear effect of the
  other inputs' ranks from both ranks first: the input's own monotone
  effect. It comes from the inverse of the rank correlation matrix,
  ``-P[i, y] / sqrt(P[i, i] P[y, y])``.

Confidence intervals are analytic, through Fisher's z = atanh(r): for
Spearman with the standard error of Bonett and Wright (2000),
``sqrt((1 + r^2 / 2) / (n - 3))``; for PRCC with Fisher's
``1 / sqrt(n - 3 - k)`` for a partial correlation given k other variables.
At the sample sizes used here the normal approximation is accurate, and a
bootstrap would cost hundreds of re-rankings and matrix inversions for the
same interval (``tests/analyses/test_sensitivity.py`` checks the two agree).

An input whose ranks do not vary (a degenerate distribution) has index 0
with a zero-width interval; an output that does not vary at a size has NaN.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["fisher_interval", "prcc", "rank_columns", "spearman"]


def rank_columns(a: np.ndarray) -> np.ndarray:
    """Average ranks (1..n, ties averaged) of every column of ``a``."""
    from scipy.stats import rankdata

    a = np.asarray(a, dtype=float)
    return rankdata(a, axis=0, method="average") if a.size else a.copy()


def _standardize(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns centred and scaled to unit norm; and which columns vary."""
    c = r - r.mean(axis=0)
    norm = np.sqrt((c * c).sum(axis=0))
    varies = norm > 1e-9 * max(1.0, r.shape[0])
    c[:, varies] /= norm[varies]
    c[:, ~varies] = 0.0
    return c, varies


def fisher_interval(r: np.ndarray, se: np.ndarray, level: float) -> np.ndarray:
    """``(..., 2)`` lower and upper bounds ``tanh(atanh(r) -+ z se)``."""
    from scipy.special import ndtri

    z = float(ndtri(0.5 + level / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = np.arctanh(np.clip(r, -1.0, 1.0))
        return np.stack([np.tanh(centre - z * se), np.tanh(centre + z * se)], axis=-1)


def spearman(rx: np.ndarray, ry: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Spearman's rho of every input with every output, ``(p, m)``, and its
    interval ``(p, m, 2)``, from the ranks ``rx`` (n, p) and ``ry`` (n, m)."""
    n = rx.shape[0]
    cx, vx = _standardize(rx)
    cy, vy = _standardize(ry)
    rho = np.clip(cx.T @ cy, -1.0, 1.0)
    rho[:, ~vy] = np.nan
    se = np.sqrt((1.0 + rho * rho / 2.0) / max(n - 3, 1))
    ci = fisher_interval(rho, se, level)
    ci[~vx] = 0.0
    return rho, ci


def prcc(rx: np.ndarray, ry: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Partial rank correlation of every input with every output given the
    other inputs, ``(p, m)``, and its interval ``(p, m, 2)``."""
    n, p = rx.shape
    m = ry.shape[1]
    cx, vx = _standardize(rx)
    cy, vy = _standardize(ry)
    out = np.zeros((p, m))
    live = np.flatnonzero(vx)
    k = len(live) - 1  # variables partialled out
    cxx = cx[:, live].T @ cx[:, live]
    cxy = cx[:, live].T @ cy
    for j in range(m):
        if not vy[j]:
            out[:, j] = np.nan
            continue
        c = np.empty((len(live) + 1, len(live) + 1))
        c[:-1, :-1] = cxx
        c[:-1, -1] = c[-1, :-1] = cxy[:, j]
        c[-1, -1] = 1.0
        inv = np.linalg.pinv(c, hermitian=True)
        out[live, j] = -inv[:-1, -1] / np.sqrt(inv[np.arange(len(live)), np.arange(len(live))] * inv[-1, -1])
    out = np.clip(out, -1.0, 1.0)
    se = np.full_like(out, 1.0 / math.sqrt(max(n - 3 - max(k, 0), 1)))
    ci = fisher_interval(out, se, level)
    ci[~vx] = 0.0
    return out, ci
