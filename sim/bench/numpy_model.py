"""Baseline (a): the model vectorized in plain NumPy, drawing its own inputs.

This is what a careful NumPy user would write: parameters drawn in chunks
with ``numpy.random.Generator`` (direct samplers; SciPy's inverse CDF for
truncated ones), the model evaluated by :func:`sim.reference.evaluate`, and
each chunk reduced to sums, loss counts and a histogram of ROI for its
quantiles. It runs on one core (NumPy's element-wise operations do).
"""

from __future__ import annotations

import numpy as np

from .. import reference
from ..registry import PARAMETERS
from ..sampling.distributions import Distribution
from ..sampling.families import lognormal_mu_sigma, pert_shape
from .workload import Summary

CHUNK = 100_000
HIST_BINS = 4096


def draw(dist: Distribution, gen: np.random.Generator, n: int) -> np.ndarray:
    """``n`` draws of one distribution."""
    if dist.min is not None or dist.max is not None:
        return dist.ppf(gen.random(n))  # truncated: inverse CDF
    p = dist.params
    f = dist.family
    if f == "normal":
        return gen.normal(p["mean"], p["sd"], n)
    if f == "lognormal":
        mu, sigma = lognormal_mu_sigma(p)
        return gen.lognormal(mu, sigma, n)
    if f == "uniform":
        return gen.uniform(p["low"], p["high"], n)
    if f == "triangular":
        return gen.triangular(p["low"], p["mode"], p["high"], n)
    if f == "pert":
        a, b = pert_shape(p["low"], p["mode"], p["high"])
        return p["low"] + (p["high"] - p["low"]) * gen.beta(a, b, n)
    if f == "beta":
        low, high = p.get("low", 0.0), p.get("high", 1.0)
        return low + (high - low) * gen.beta(p["a"], p["b"], n)
    if f == "poisson":
        return p.get("shift", 0.0) + gen.poisson(p["lam"], n).astype(float)
    return dist.ppf(gen.random(n))  # bernoulli, choice


def draw_params(sc, gen: np.random.Generator, n: int) -> dict[str, np.ndarray | float]:
    """Every model parameter: an array of ``n`` draws, or the constant."""
    out = {}
    for key in PARAMETERS:
        if key not in sc.values:  # a key this route or rule does not use
            continue
        value = sc.values[key]
        out[key] = draw(value, gen, n) if isinstance(value, Distribution) else float(value)
    return out


def run(sc, seed: int, n: int, chunk: int = CHUNK) -> Summary:
    """Draw, evaluate and reduce ``n`` scenarios in chunks."""
    gen = np.random.default_rng(seed)
    sizes = np.asarray(sc.model_sizes, dtype=float)
    n_sizes = len(sizes)
    sums = {}
    roi_s1 = np.zeros(n_sizes)
    roi_s2 = np.zeros(n_sizes)
    losses = np.zeros(n_sizes)
    hist = np.zeros((2 * n_sizes, HIST_BINS + 2), dtype=np.int64)
    lo = hi = shift = None
    done = 0
    while done < n:
        m = min(chunk, n - done)
        params = draw_params(sc, gen, m)
        incident_u = gen.random((m, sc.horizon_years))
        out = reference.evaluate(params, incident_u, sizes, sc.reference_size, sc.horizon_years)
        roi = out["roi"]
        for name, values in out.items():  # means of every output
            sums[name] = sums.get(name, 0.0) + values.sum(axis=0)
        if shift is None:  # sums shifted by the first values, for accuracy
            shift = roi[0]
        d = roi - shift
        roi_s1 += d.sum(axis=0)
        roi_s2 += (d * d).sum(axis=0)
        losses += (roi < 0).sum(axis=0)
        y = np.arcsinh(np.concatenate([roi, out["roi_expected"]], axis=1))
        if lo is None:  # range from the first chunk, as the engine's pilot
            lo, hi = y.min(axis=0), y.max(axis=0)
        idx = np.clip(((y - lo) * (HIST_BINS / (hi - lo))).astype(np.int64) + 1, 0, HIST_BINS + 1)
        for h in range(2 * n_sizes):
            hist[h] += np.bincount(idx[:, h], minlength=HIST_BINS + 2)
        done += m
    mean_d = roi_s1 / n
    var = np.maximum(roi_s2 - roi_s1 * mean_d, 0.0) / max(n - 1, 1)
    return Summary(n, shift + mean_d, np.sqrt(var / n), losses / n)


def check_on_engine_draws(sc, n: int = 20_000, seed: int = 5) -> str | None:
    """None if :func:`sim.reference.evaluate` on the engine's own draws gives
    the engine's ROI for every scenario and size (to ~1e-10 of its scale)."""
    import sim

    ds = sim.sample(sc, n, seed=seed)
    params = {k: (ds[k].values if k in ds else float(sc.values[k])) for k in PARAMETERS
              if k in sc.values}
    ref = reference.evaluate(params, ds.incident_uniform.values,
                             np.asarray(sc.model_sizes, dtype=float),
                             sc.reference_size, sc.horizon_years)
    scale = np.abs(ds.revenue_npv.values / ds.investment.values) + 1.0
    for name in ("roi", "roi_expected"):
        err = np.abs(ds[name].values - ref[name]) / (np.abs(ref[name]) + scale)
        if not np.all(err < 1e-10):
            return f"{name} on the engine's draws differs by up to {np.nanmax(err):.1e} (relative)"
    return None


__all__ = ["run", "draw_params", "check_on_engine_draws", "CHUNK"]
