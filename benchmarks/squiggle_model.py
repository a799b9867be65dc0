"""Optional peer: squigglepy's vectorized form of the same model.

squigglepy draws each parameter as an array (``sq.sample(dist, n)``), and the
model runs on those arrays with NumPy (:func:`sim.testing.reference.evaluate`), reduced
like the NumPy baseline. squigglepy clips where the engine truncates (market
growth at -0.5, incident severity at 1: under 1% of severity draws move), so
its statistics are compared with the engine's only within Monte Carlo error.
If squigglepy is not installed, :func:`available` is False and the suite
skips it.
"""

from __future__ import annotations

import numpy as np

from sim.testing import reference
from sim.vocab.registry import PARAMETERS
from sim.scenario.distributions import Distribution
from sim.scenario.families import lognormal_mu_sigma
from sim.testing.numpy_model import Summary

__all__ = ["available", "run"]

CHUNK = 100_000


def available() -> bool:
    try:
        import squigglepy  # noqa: F401
    except ImportError:
        return False
    return True


def to_squiggle(dist: Distribution):
    """The squigglepy distribution of one scenario distribution."""
    import squigglepy as sq

    p = dist.params
    clip = dict(lclip=dist.min, rclip=dist.max)
    f = dist.family
    if f == "normal":
        return sq.norm(mean=p["mean"], sd=p["sd"], **clip)
    if f == "lognormal":
        mu, sigma = lognormal_mu_sigma(p)
        return sq.lognorm(norm_mean=mu, norm_sd=sigma, **clip)
    if f == "uniform":
        return sq.uniform(p["low"], p["high"])
    if f == "triangular":
        return sq.triangular(p["low"], p["mode"], p["high"])
    if f == "pert":
        return sq.pert(p["low"], p["mode"], p["high"], **clip)
    if f == "beta" and p.get("low", 0.0) == 0.0 and p.get("high", 1.0) == 1.0:
        return sq.beta(p["a"], p["b"])
    if f == "poisson":
        return sq.poisson(p["lam"], **clip) + p.get("shift", 0.0)
    raise NotImplementedError(f"no squigglepy form for {dist.describe()}")


def run(sc, seed: int, n: int, chunk: int = CHUNK) -> Summary:
    """Sample with squigglepy and evaluate with NumPy, in chunks."""
    import squigglepy as sq

    sq.set_seed(seed)
    dists = {k: to_squiggle(v) for k, v in sc.values.items()
             if k in PARAMETERS and isinstance(v, Distribution)}
    sizes = np.asarray(sc.model_sizes, dtype=float)
    s1 = np.zeros(len(sizes))
    s2 = np.zeros(len(sizes))
    losses = np.zeros(len(sizes))
    done = 0
    while done < n:
        m = min(chunk, n - done)
        params = {k: (np.asarray(sq.sample(dists[k], n=m), dtype=float) if k in dists
                      else float(sc.values[k])) for k in PARAMETERS
              if k in sc.values}
        incident_u = np.asarray(sq.sample(sq.uniform(0, 1), n=m * sc.horizon_years))
        roi = reference.evaluate(params, incident_u.reshape(m, -1), sizes,
                                 sc.reference_size, sc.horizon_years)["roi"]
        s1 += roi.sum(axis=0)
        s2 += (roi * roi).sum(axis=0)
        losses += (roi < 0).sum(axis=0)
        done += m
    mean = s1 / n
    var = np.maximum(s2 / n - mean * mean, 0.0) * n / max(n - 1, 1)
    return Summary(n, mean, np.sqrt(var / n), losses / n)
