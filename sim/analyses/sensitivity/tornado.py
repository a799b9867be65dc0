"""The tornado: the output's median with one input held at a percentile.

For each sampled input ``d`` and each level ``q`` (5% and 95% by default),
the sample's uniform matrix is evaluated again with column ``d`` set to
``q`` in every row: the input is held at its ``q``-quantile while every
other input keeps its own draws (common random numbers), and the bar is the
median of the output over those scenarios. That is what spreadsheet users
read off a tornado chart, with one difference: the other inputs are sampled,
not held at base values.

Because only the column changes, a bar equals a separate run of the
scenario with the input replaced by a one-value distribution at that
quantile, ``{dist = "choice", values = [x_q]}``: the input stays a sampled
dimension, so every other input draws the same uniforms
(``tests/analyses/test_sensitivity.py`` checks it to the last bit). Setting the input
to a constant instead would remove its dimension and shift every later
dimension's uniforms.

With declared correlations the held column is not conditioned on: the
other inputs keep their joint draws, so a bar is the effect of the input
alone, not of the input and the partners that would move with it.

Each median has a distribution-free interval from order statistics (the
ranks between which the population median lies with the chosen probability).
"""

from __future__ import annotations

import numpy as np

from sim.engine.matrix import evaluate_uniforms
from sim.results.dataset import binom_ppf

__all__ = ["PERCENTILES", "median_interval", "tornado"]

PERCENTILES = (0.05, 0.95)


def median_interval(y: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Median of every column of ``y`` (n, m) and its ``(m, 2)`` order-statistic interval."""
    n = y.shape[0]
    s = np.sort(y, axis=0)
    lo = int(binom_ppf((1 - level) / 2, n, 0.5)[0])
    hi = int(min(binom_ppf(0.5 + level / 2, n, 0.5)[0] + 1, n))
    lo = max(lo, 1)
    return np.median(y, axis=0), np.stack([s[lo - 1], s[hi - 1]], axis=-1)


def tornado(plan, U: np.ndarray, column: int, percentiles=PERCENTILES, level: float = 0.95,
            progress=None, seed: int = 0) -> dict[str, np.ndarray]:
    """Medians with each sampled input held at each percentile; row ``i`` of
    ``U`` is scenario ``i`` of ``seed`` (for the uniforms of its own streams).

    Returns ``median`` (n_sizes, n_sampled, n_percentiles), ``median_ci``
    (..., 2) and ``value`` (n_sampled, n_percentiles), the input's value at
    the percentile (what a separate run would fix it at).
    """
    p = plan.n_sampled
    k = len(percentiles)
    med = np.empty((plan.n_sizes, p, k))
    ci = np.empty((plan.n_sizes, p, k, 2))
    rows = np.tile(np.asarray(percentiles, dtype=float)[:, None], (1, plan.n_dims))
    _, held = evaluate_uniforms(plan, rows, [column], keep_draws=True)
    value = held.T.copy()  # row i holds every input at percentile i
    V = np.array(U, dtype=float, order="C")
    for d in range(p):
        for i, q in enumerate(percentiles):
            V[:, d] = q
            y, _ = evaluate_uniforms(plan, V, [column], seed=seed)
            med[:, d, i], ci[:, d, i] = median_interval(y[:, :, 0], level)
            if progress is not None:
                progress.update(V.shape[0])
        V[:, d] = U[:, d]
    return {"median": med, "median_ci": ci, "value": value}
