"""Baseline (a): the model vectorized in plain NumPy, drawing its own inputs.

This is what a careful NumPy user would write: parameters drawn in chunks
with ``numpy.random.Generator`` (direct samplers; SciPy's inverse CDF for
truncated ones), the model evaluated by :func:`sim.testing.reference.evaluate`, and
each chunk reduced to sums, loss counts and a histogram of ROI for its
quantiles. It runs on one core (NumPy's element-wise operations do).

:func:`run` is model v1 (the benchmark workload); :func:`run_v2` is model
v2 on a v2 scenario (:func:`sim.testing.reference.evaluate_v2`: beliefs, the
valuation path, one strategy). Rank correlations use a Gaussian copula
(Cholesky factor of the normal correlations ``2 sin(pi rho / 6)``, then
``Phi`` and the inverse CDF), and a believed distribution is the inverse CDF
of reality's uniform for that key, as specification section 8 asks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from sim.testing import reference
from sim.vocab.registry import PARAMETERS
from sim.scenario.distributions import Distribution
from sim.scenario.families import lognormal_mu_sigma, pert_shape

CHUNK = 100_000
HIST_BINS = 4096


@dataclass
class Summary:
    """Per-size statistics of one benchmark run: mean ROI, its Monte Carlo
    standard error (nan if not kept) and P(loss), so that any two runs can
    be compared."""

    n: int
    roi_mean: np.ndarray
    roi_se: np.ndarray
    prob_loss: np.ndarray


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
    """None if :func:`sim.testing.reference.evaluate` on the engine's own draws gives
    the engine's ROI for every scenario and size (to ~1e-10 of its scale)."""
    from sim.analyses.run import sample

    ds = sample(sc, n, seed=seed)
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


# ------------------------------------------------------------------ model v2
def _copula_uniforms(sc, gen: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Uniforms of the rank-correlated keys: a Gaussian copula on the normal
    correlations ``2 sin(pi rho / 6)`` (whose Spearman correlation is rho)."""
    if not sc.correlations:
        return {}
    keys = [k for k in PARAMETERS if any(k in pair[:2] for pair in sc.correlations)]
    pos = {k: i for i, k in enumerate(keys)}
    r = np.eye(len(keys))
    for a, b, rho in sc.correlations:
        r[pos[a], pos[b]] = r[pos[b], pos[a]] = 2 * np.sin(np.pi * rho / 6)
    z = gen.standard_normal((n, len(keys))) @ np.linalg.cholesky(r).T
    return dict(zip(keys, ndtr(z).T))


def draw_params_v2(sc, gen: np.random.Generator, n: int):
    """Reality's parameters and the belief's ``[expectation]`` keys.

    A key that is correlated, or that the belief gives a distribution while
    reality samples it too, is drawn by inverse CDF from a uniform (the
    copula's, or its own), and the belief from that same uniform: the two
    draws are comonotone. Every other key uses the direct samplers of
    :func:`draw`; a key constant in reality but uncertain in the belief gets
    a uniform of its own.
    """
    uniforms = _copula_uniforms(sc, gen, n)
    for key, value in sc.belief.items():
        if isinstance(value, Distribution) and isinstance(sc.values.get(key), Distribution):
            uniforms.setdefault(key, None)
    params = {}
    for key in PARAMETERS:
        if key not in sc.values:  # a key this route or rule does not use
            continue
        value = sc.values[key]
        if not isinstance(value, Distribution):
            params[key] = float(value)
        elif key in uniforms:
            if uniforms[key] is None:
                uniforms[key] = gen.random(n)
            params[key] = value.ppf(uniforms[key])
        else:
            params[key] = draw(value, gen, n)
    belief = {}
    for key, value in sc.belief.items():
        if not isinstance(value, Distribution):
            belief[key] = float(value)
        else:
            belief[key] = value.ppf(uniforms[key] if key in uniforms else gen.random(n))
    return params, belief


def _evaluate_v2(sc, params, belief, incident_u):
    if sc.strategies:
        raise ValueError(f"{sc.name}: the NumPy transcription evaluates one strategy, "
                         f"this scenario declares {len(sc.strategies)}")
    return reference.evaluate_v2(params, incident_u, np.asarray(sc.model_sizes, dtype=float),
                                 sc.reference_size, sc.horizon_years, route=sc.route,
                                 compute_rule=sc.compute_rule, belief=belief,
                                 belief_incidents=sc.belief_incidents, objective=sc.objective,
                                 active_share=np.asarray(sc.active_shares, dtype=float),
                                 gap_applies_to_rivals=sc.gap_applies_to_rivals,
                                 revenue_within_pool=sc.revenue_within_pool)


def _histogram_values(out, usd_scale) -> np.ndarray:
    """What a histogram per size sketches (as the engine does): ROI, expected
    ROI, net value (in units of ``usd_scale``, per size), then MTM per year."""
    m = out["roi"].shape[0]
    cols = [out["roi"], out["roi_expected"], out["net_value"] / usd_scale,
            out["mtm"].reshape(m, -1)]
    return np.arcsinh(np.concatenate(cols, axis=1))


def run_v2(sc, seed: int, n: int, chunk: int = CHUNK) -> Summary:
    """Draw, evaluate and reduce ``n`` scenarios of model v2 in chunks: means
    of every output (the valuation path included), ROI's standard error,
    P(loss) and histograms of ROI, expected ROI, net value and MTM_t."""
    gen = np.random.default_rng(seed)
    n_sizes = len(sc.model_sizes)
    sums = {}
    roi_s1 = np.zeros(n_sizes)
    roi_s2 = np.zeros(n_sizes)
    losses = np.zeros(n_sizes)
    hist = lo = hi = shift = usd_scale = None
    done = 0
    while done < n:
        m = min(chunk, n - done)
        params, belief = draw_params_v2(sc, gen, m)
        incident_u = gen.random((m, sc.horizon_years))
        out = _evaluate_v2(sc, params, belief, incident_u)
        roi = out["roi"]
        for name, values in out.items():  # means of every output
            sums[name] = sums.get(name, 0.0) + values.sum(axis=0)
        if shift is None:  # sums shifted by the first values, for accuracy
            shift = roi[0]
        d = roi - shift
        roi_s1 += d.sum(axis=0)
        roi_s2 += (d * d).sum(axis=0)
        losses += (roi < 0).sum(axis=0)
        if usd_scale is None:  # net value resolved relative to the investment
            usd_scale = np.median(out["investment"], axis=0) / 1000
        y = _histogram_values(out, usd_scale)
        if lo is None:  # range from the first chunk, as the engine's pilot
            lo, hi = y.min(axis=0), y.max(axis=0)
            hi = np.where(hi > lo, hi, lo + 1.0)
            hist = np.zeros((y.shape[1], HIST_BINS + 2), dtype=np.int64)
        idx = np.clip(((y - lo) * (HIST_BINS / (hi - lo))).astype(np.int64) + 1, 0, HIST_BINS + 1)
        idx += (HIST_BINS + 2) * np.arange(y.shape[1])  # one bincount for every histogram
        hist += np.bincount(idx.ravel(), minlength=hist.size).reshape(hist.shape)
        done += m
    mean_d = roi_s1 / n
    var = np.maximum(roi_s2 - roi_s1 * mean_d, 0.0) / max(n - 1, 1)
    return Summary(n, shift + mean_d, np.sqrt(var / n), losses / n)


def _engine_inputs(sc, ds):
    """The engine's draws as :func:`sim.testing.reference.evaluate_v2` takes them."""
    params = {k: (ds[k].values if k in ds else float(sc.values[k])) for k in PARAMETERS
              if k in sc.values}
    belief = {k: (ds[f"expectation.{k}"].values if f"expectation.{k}" in ds else float(v))
              for k, v in sc.belief.items()}
    return params, belief


#: Tolerance of :func:`check_on_engine_draws_v2`, relative to each output's
#: scale (:func:`engine_draws_errors_v2`); the counts and indicators must
#: match exactly.
RELATIVE_TOLERANCE_V2 = 1e-10
COUNTS_V2 = ("years_served", "data_limited", "best", "below_cost", "cooled", "payback", "served_y1")


def engine_draws_errors_v2(sc, n: int = 20_000, seed: int = 5, ds=None) -> dict[str, float]:
    """Largest error of :func:`sim.testing.reference.evaluate_v2` on the engine's own
    draws against the engine, per output, relative to the output's scale.

    ROI-like outputs are compared relative to ``|value| + 1 + G / I``, with
    ``G`` the discounted cash-flow terms' magnitudes (revenue, serving,
    incidents, duties) of that world: rounding in those terms is what moves
    ``(NPV - I) / I``, and it can cancel to near 0. The valuation path adds
    the belief's terms weighted by b_t; net value is compared as ROI (over
    I), cash flows relative to their year's gross terms, and the costs,
    delay, run size and year-1 share relative to themselves. For the counts
    and indicators of :data:`COUNTS_V2` (years served, data limited, the
    best-size credit, and the path's below cost, cooled and payback) the
    value is the number of entries that differ.
    """
    from sim.analyses.run import sample

    if ds is None:
        ds = sample(sc, n, seed=seed)
    params, belief = _engine_inputs(sc, ds)
    ref = _evaluate_v2(sc, params, belief, ds.incident_uniform.values)
    I, I_e = ref["investment"], ref["expected_investment"]
    gross = sum(ref[k] for k in ("revenue_npv", "serving_cost_npv", "incident_loss_npv",
                                 "compliance_cost_npv"))
    gross_e = sum(ref[f"expected_{k}"] for k in ("revenue_npv", "serving_cost_npv",
                                                 "incident_loss_npv", "compliance_cost_npv"))
    scale = 1 + gross / I
    scale_e = 1 + gross_e / I_e
    b = np.abs(ref["belief_factor"])
    scale_path = 1 + (gross / I)[..., None] + b * (gross_e / I)[..., None]
    scale_path[..., 0] = scale_e

    def rel(got, want, s):
        return float(np.max(np.abs(got - want) / (np.abs(want) + s)))

    errors = {
        "roi": rel(ds.roi.values, ref["roi"], scale),
        "roi_expected": rel(ds.roi_expected.values, ref["roi_expected"], scale_e),
        "net_value": rel(ds.net_value.values / I, ref["net_value"] / I, scale),
    }
    if "mtm" in ds:
        errors["mtm"] = rel(ds.mtm.values, ref["mtm"], scale_path)
        for name in ("cash_flow", "cash_flow_expected"):  # USD, relative to the year's terms
            errors[name] = rel(ds[name].values, ref[name], ref[f"{name}_gross"] + 1.0)
    for name in ("investment", "compute_cost", "data_cost", "fixed_cost", "risk_control_cost",
                 "robustness_cost", "license_cost", "release_delay", "training_flops",
                 "training_tokens", "lab_loss", "market_share", "serving_cost_per_token_y1",
                 "price_per_token_y1", "fixed_capability_decline"):
        want = ref[name]
        errors[name] = float(np.max(np.abs(ds[name].values - want)
                                    / np.where(want != 0, np.abs(want), 1.0)))
    # The margin 1 - c/p, clipped at -1: relative to 1 (it is a difference of ratios).
    errors["serving_margin_y1"] = float(np.max(np.abs(ds["serving_margin_y1"].values
                                                      - ref["serving_margin_y1"])))
    for name in COUNTS_V2:
        if name in ds:
            errors[name] = float(np.count_nonzero(ds[name].values != ref[name]))
    return errors




def check_on_engine_draws_v2(sc, n: int = 20_000, seed: int = 5, ds=None) -> str | None:
    """None if :func:`sim.testing.reference.evaluate_v2` on the engine's own draws
    gives the engine's ROI, expected ROI, net value, valuation path and
    components for every scenario and size (to ~1e-10 of their scale), and
    the same counts; else what differs."""
    errors = engine_draws_errors_v2(sc, n, seed, ds)
    bad = [f"{name} differs in {err:g} entries" if name in COUNTS_V2
           else f"{name} differs by up to {err:.1e}"
           for name, err in errors.items()
           if not err <= (0 if name in COUNTS_V2 else RELATIVE_TOLERANCE_V2)]
    if bad:
        return f"{sc.name} on the engine's draws: " + "; ".join(bad)
    return None


__all__ = ["run", "run_v2", "draw_params", "draw_params_v2", "check_on_engine_draws",
           "check_on_engine_draws_v2", "engine_draws_errors_v2", "CHUNK"]
