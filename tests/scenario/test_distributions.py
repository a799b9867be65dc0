"""Every distribution family, drawn by the kernels, against scipy.stats."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import sim
from sim.vocab.errors import ScenarioError
from sim.kernels.sampling import inverse_cdf as icdf
from sim.scenario.distributions import Distribution
from sim.scenario.families import choice_table
from sim.kernels.sampling.rng import U_MAX, U_MIN

from sim.testing.scenarios import make_scenario

CASES = {
    "normal": {"dist": "normal", "mean": 1.0, "sd": 0.1},
    "normal_truncated": {"dist": "normal", "mean": 0.3, "sd": 0.15, "min": 0.0, "max": 0.5},
    "lognormal_p": {"dist": "lognormal", "p5": 1.5, "p95": 4.0},
    "lognormal_m": {"dist": "lognormal", "median": 2.0, "sigma": 0.5, "max": 5.0},
    "uniform": {"dist": "uniform", "low": 0.1, "high": 0.4},
    "uniform_truncated": {"dist": "uniform", "low": 0.0, "high": 1.0, "min": 0.25},
    "triangular": {"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 5.0},
    "triangular_edge": {"dist": "triangular", "low": 0.0, "mode": 0.0, "high": 1.0},
    "pert": {"dist": "pert", "low": 0.2, "mode": 0.38, "high": 0.55},
    "beta": {"dist": "beta", "a": 2.0, "b": 8.0},
    "beta_u": {"dist": "beta", "a": 0.5, "b": 0.5, "low": 1.0, "high": 3.0},
    "beta_truncated": {"dist": "beta", "a": 2.0, "b": 18.0, "max": 0.2},
    "poisson": {"dist": "poisson", "lam": 8.0, "shift": 1},
    "poisson_big": {"dist": "poisson", "lam": 300.0},
    "bernoulli": {"dist": "bernoulli", "p": 0.3},
    "choice": {"dist": "choice", "values": [1.0, 2.0, 5.0], "weights": [0.2, 0.5, 0.3]},
}


def kernel_ppf(dist: Distribution, u: np.ndarray) -> np.ndarray:
    code, par, lo, span, table, n_table = dist.encode()
    out = np.empty_like(u)
    icdf.inverse_cdf_many(code, par, lo, span, table if len(table) else np.zeros(1),
                          0, n_table, u, out)
    return out


def scipy_ppf(dist: Distribution, u: np.ndarray) -> np.ndarray:
    """The oracle: scipy.stats quantiles of the truncated distribution."""
    d = dist.scipy()
    lo = d.cdf(dist.min) if dist.min is not None else 0.0
    hi = d.cdf(dist.max) if dist.max is not None else 1.0
    x = d.ppf(lo + (hi - lo) * u)
    if dist.family == "choice":
        values, _ = choice_table(dist.params)
        x = values[x.astype(int)]
    return x


@pytest.mark.parametrize("name", CASES)
def test_distribution_quantiles_and_cdf_match_scipy_stats(name):
    """The scipy.special closed forms used at load time equal scipy.stats."""
    dist = Distribution.parse(CASES[name], where=name)
    u = np.linspace(1e-6, 1 - 1e-6, 501)
    want = scipy_ppf(dist, u)
    got = dist.ppf(u)
    if dist.is_discrete:
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    if dist.family != "choice":
        x = np.linspace(*np.nanpercentile(want, [0, 100]), 301)
        np.testing.assert_allclose(dist.cdf(x), dist.scipy().cdf(x), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_inverse_cdf_matches_scipy(name):
    dist = Distribution.parse(CASES[name], where=name)
    u = np.concatenate([np.linspace(1e-6, 1 - 1e-6, 2001), [U_MIN, 1e-12, 1e-9, 1 - 1e-9, U_MAX]])
    got = kernel_ppf(dist, u)
    want = scipy_ppf(dist, u)
    if dist.is_discrete:
        # Away from jumps of the CDF the quantiles must be identical.
        f = dist.scipy().cdf(want)
        clear = np.abs(u * 1.0 - f) > 1e-9
        np.testing.assert_array_equal(got[clear], want[clear])
    else:
        scale = np.max(np.abs(want[np.isfinite(want)]))
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * scale)


def test_ndtri_against_scipy():
    p = np.concatenate([np.linspace(1e-300, 1e-10, 50), np.linspace(1e-10, 1 - 1e-10, 10001),
                        [U_MIN, U_MAX, 0.5, 0.075, 0.925, np.exp(-25)]])
    got = np.array([icdf.ndtri(x) for x in p])
    np.testing.assert_allclose(got, stats.norm.ppf(p), rtol=2e-15, atol=2e-15)


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n]["dist"] not in ("poisson", "bernoulli", "choice")])
def test_kernel_draws_pass_ks(name):
    """Draws through the whole kernel (generator + inverse CDF) follow the law."""
    spec = CASES[name]
    # A key whose bounds ([0, inf)) hold every case's support.
    sc = make_scenario(performance__irreducible_loss=spec)
    draws = sim.sample(sc, 20_000, seed=11)["performance.irreducible_loss"].values
    dist = Distribution.parse(spec)
    lo, hi = dist.cdf_bounds()
    d = dist.scipy()

    def cdf(x):
        return np.clip((d.cdf(x) - lo) / (hi - lo), 0, 1)

    assert stats.kstest(draws, cdf).pvalue > 1e-3


def test_ks_negative_control():
    """The KS check above would catch a wrong distribution (sd off by 5%)."""
    sc = make_scenario(scaling__data_exponent={"dist": "normal", "mean": 1.0, "sd": 0.1})
    draws = sim.sample(sc, 20_000, seed=11)["scaling.data_exponent"].values
    assert stats.kstest(draws, stats.norm(1.0, 0.105).cdf).pvalue < 1e-3


@pytest.mark.parametrize("name", ["poisson", "bernoulli", "choice"])
def test_discrete_frequencies_chi2(name):
    spec = CASES[name]
    sc = make_scenario(market__competitors=spec)
    draws = sim.sample(sc, 20_000, seed=3)["market.competitors"].values
    dist = Distribution.parse(spec)
    values = np.unique(draws)
    observed = np.array([(draws == v).sum() for v in values])
    if name == "choice":
        vals, w = np.array(spec["values"]), np.array(spec["weights"])
        expected = np.array([w[vals == v].sum() for v in values]) / sum(w)
    else:
        expected = dist.scipy().pmf(values)
    expected = expected / expected.sum() * len(draws)
    keep = expected > 5
    chi2 = ((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-3


def test_truncated_normal_against_scipy_truncnorm():
    spec = CASES["normal_truncated"]
    dist = Distribution.parse(spec)
    a, b = (0.0 - 0.3) / 0.15, (0.5 - 0.3) / 0.15
    u = np.linspace(0.001, 0.999, 999)
    np.testing.assert_allclose(kernel_ppf(dist, u), stats.truncnorm(a, b, 0.3, 0.15).ppf(u), rtol=1e-10)


@pytest.mark.parametrize("spec, message", [
    ({"dist": "gauss", "mean": 1}, "unknown dist"),
    ({"dist": "normal", "mean": 1}, "needs sd"),
    ({"dist": "normal", "mean": 1, "sd": -1}, "sd must be > 0"),
    ({"dist": "normal", "mean": 1, "sd": 1, "lo": 0}, "unknown field"),
    ({"dist": "lognormal", "p5": 4, "p95": 2}, "p5 (4) must be below p95 (2)"),
    ({"dist": "lognormal", "p5": 1, "p95": 2, "median": 1.5}, "either p5 and p95"),
    ({"dist": "uniform", "low": 2, "high": 1}, "low (2) must be below high (1)"),
    ({"dist": "triangular", "low": 0, "mode": 2, "high": 1}, "mode (2) must lie"),
    ({"dist": "beta", "a": 0, "b": 1}, "a and b must be > 0"),
    ({"dist": "poisson", "lam": 3, "min": 1}, "unknown field(s) min"),
    ({"dist": "bernoulli", "p": 1.5}, "p must be in [0, 1]"),
    ({"dist": "choice", "values": []}, "non-empty"),
    ({"dist": "normal", "mean": 0, "sd": 1, "min": 5, "max": 1}, "must be below max"),
    ({"dist": "normal", "mean": 0, "sd": 1, "min": 50}, "leaves no probability"),
    ({"dist": "normal", "mean": "one", "sd": 1}, "expected a number for 'mean'"),
])
def test_bad_distributions(spec, message):
    with pytest.raises(ScenarioError, match=None) as info:
        Distribution.parse(spec, where="x")
    assert message in str(info.value)


def test_choice_weights_whose_sum_overflows_keep_their_ratios():
    """[1e308, 1e308] sums to inf: the weights are scaled, not turned into 0 and 1."""
    dist = Distribution.parse({"dist": "choice", "values": [1.0, 2.0], "weights": [1e308, 1e308]})
    values, weights = choice_table(dist.params)
    np.testing.assert_allclose(weights, [0.5, 0.5])
    assert dist.mean() == pytest.approx(1.5)
    u = np.array([0.25, 0.75])
    np.testing.assert_array_equal(kernel_ppf(dist, u), [1.0, 2.0])
