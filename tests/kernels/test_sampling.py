"""Correlated inputs, sampling designs, error bars and the stopping rule."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats
from scipy.stats import qmc

import sim
from sim.analyses.request import SamplingNote
from sim.cli.main import cli
from sim.vocab.errors import ScenarioError
from sim.vocab.layout import BLOCK, PILOT
from sim.kernels.sampling import design_kernels
from sim.engine import designs
from sim.kernels.sampling.rng import key_from_seed

from sim.testing.scenarios import make_scenario
from sim.testing.compare import assert_same_numbers

PRICE = "costs.gpu_hour_price"
MFU = "costs.training_utilization"
RIVALS = "market.competitors"
DECLINE = "market.token_price_decline"
POOL = "market.revenue_pool"


def correlated(baseline, pairs):
    return baseline.with_overrides({"correlation": [
        {"between": [a, b], "rho": rho} for a, b, rho in pairs]})


# ------------------------------------------------------------ correlations
def test_correlations_match_and_marginals_stay(baseline):
    pairs = [(PRICE, MFU, -0.3), (DECLINE, "market.share_sharpness", 0.5),
             (POOL, "market.hype", 0.7), (PRICE, POOL, 0.2)]
    sc = correlated(baseline, pairs)
    raw = sim.sample(sc, 100_000, seed=21)
    for a, b, rho in pairs:
        got = stats.spearmanr(raw[a].values, raw[b].values)[0]
        assert abs(got - rho) < 0.02, (a, b, got)
    # An undeclared pair stays independent.
    assert abs(stats.spearmanr(raw[MFU].values, raw["market.hype"].values)[0]) < 0.02
    for key in (PRICE, MFU, POOL, DECLINE):
        dist = sc.values[key]
        assert stats.kstest(raw[key].values, dist.scipy().cdf).pvalue > 1e-3, key


def test_correlation_with_a_discrete_key(baseline):
    """Competitors are Poisson: ties shrink Spearman's rho a little."""
    sc = correlated(baseline, [(RIVALS, DECLINE, 0.6)])
    raw = sim.sample(sc, 100_000, seed=2)
    got = stats.spearmanr(raw[RIVALS].values, raw[DECLINE].values)[0]
    assert 0.5 < got <= 0.6 + 0.02
    counts = np.bincount(raw[RIVALS].values.astype(int))
    expected = stats.poisson(11, loc=1).pmf(np.arange(len(counts))) * len(raw.scenario)
    keep = expected > 5
    chi2 = ((counts[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-3


def test_correlations_reproducible_across_threads_and_chunks(baseline, threads):
    sc = correlated(baseline, [(PRICE, MFU, -0.3), (POOL, "market.hype", 0.7)])
    n = 3 * BLOCK + 17
    threads(1)
    a = sim.run(sc, n_scenarios=n, seed=5, chunk_size=BLOCK)
    threads(2)
    b = sim.run(sc, n_scenarios=n, seed=5, chunk_size=2 * BLOCK)
    assert_same_numbers(a, b)


@pytest.mark.parametrize("pairs, message", [
    ([(PRICE, MFU, 0.9), (PRICE, POOL, 0.9), (MFU, POOL, -0.9)],
     "offending pairs: costs.gpu_hour_price ~ costs.training_utilization (0.9)"),
    ([(PRICE, MFU, 1.5)], "rho must be a number in [-1, 1]"),
    ([(PRICE, "costs.gpu_peak_flops", 0.2)], "'costs.gpu_peak_flops' is a constant"),
    ([(PRICE, "costs.gpu_hour_prize", 0.2)], "did you mean 'costs.gpu_hour_price'"),
    ([(PRICE, MFU, 0.2), (MFU, PRICE, 0.3)], "declared twice"),
    ([(PRICE, PRICE, 0.2)], "correlated with itself"),
])
def test_bad_correlations(baseline, pairs, message):
    with pytest.raises(ScenarioError) as info:
        correlated(baseline, pairs)
    assert message in str(info.value)


def test_non_positive_definite_names_only_the_culprits(baseline):
    pairs = [(PRICE, MFU, 0.9), (PRICE, POOL, 0.9), (MFU, POOL, -0.9),
             (DECLINE, "market.hype", 0.1)]
    with pytest.raises(ScenarioError) as info:
        correlated(baseline, pairs)
    text = str(info.value)
    assert "not positive definite" in text and "market.hype" not in text


def test_correlation_override_syntax(baseline):
    sc = baseline.with_overrides({f"correlation({PRICE}, {MFU})": -0.4})
    assert sc.correlations == ((PRICE, MFU, -0.4),)
    sc = sc.with_overrides({f"correlation({MFU}, {PRICE})": 0.1})  # replaces the pair
    assert sc.correlations == ((MFU, PRICE, 0.1),)
    again = sim.scenario.load.scenario_from_toml_text(sc.to_toml())
    assert again.correlations == sc.correlations


# ----------------------------------------------------------------- designs
def design_uniforms(design, n, n_dims, seed=0):
    key = key_from_seed(seed)
    u = np.empty((n, n_dims))
    row = np.empty(n_dims)
    for s in range(n):
        design_kernels.fill_design_uniforms(*design.args(), key, s, n_dims, BLOCK, row)
        u[s] = row
    return u


@pytest.mark.parametrize("n", [8 * 4096, 8 * 4096 + 1000, 100_000])
def test_lhs_hits_every_stratum_once(n):
    n_dims = 6
    design = designs.build_design("lhs", 3, n, n_dims)
    u = design_uniforms(design, n, n_dims)
    assert np.all((u > 0) & (u < 1))
    blocks = np.arange(n) // BLOCK
    for r in range(designs.N_REPLICATES):
        mine = u[blocks % designs.N_REPLICATES == r]
        m = design.replicate_size[r]
        assert len(mine) == m
        for d in range(n_dims):
            strata = np.floor(mine[:, d] * m).astype(int)
            np.testing.assert_array_equal(np.sort(strata), np.arange(m))


def test_sobol_points_equal_scipy_and_are_balanced():
    n_dims, m = 5, 4096
    design = designs.build_design("sobol", 4, designs.N_REPLICATES * m, n_dims)
    u = design_uniforms(design, 2 * BLOCK * designs.N_REPLICATES, n_dims)
    first = u[:m]  # block 0 = the first 4096 points of replicate 0

    def scipy_points(count):  # replicate 0 as scipy draws it (a fresh seed each time)
        child = np.random.SeedSequence([4, 0x5EED, design_kernels.SOBOL]).spawn(designs.N_REPLICATES)[0]
        return qmc.Sobol(n_dims, scramble=True, bits=52, rng=np.random.default_rng(child)).random(count)

    ref = scipy_points(m)
    np.testing.assert_array_equal(first, ref + 2.0 ** -53)
    for d in range(n_dims):  # one point in each of the m intervals
        np.testing.assert_array_equal(np.sort(np.floor(first[:, d] * m)), np.arange(m))
    # (0, k, 2)-net in the first two dimensions: every 2^a x 2^(k-a) box once.
    k = 12
    for a in range(k + 1):
        box = np.floor(first[:, 0] * 2**a) * 2 ** (k - a) + np.floor(first[:, 1] * 2 ** (k - a))
        assert len(np.unique(box)) == m
    # Block 8 continues replicate 0 with points 4096..8191 of the same sequence.
    blocks = np.arange(len(u)) // BLOCK
    second = u[blocks == designs.N_REPLICATES]
    ref2 = scipy_points(2 * m)[m:]
    np.testing.assert_array_equal(second, ref2 + 2.0 ** -53)


def test_sobol_rounds_n_up_and_says_so(baseline):
    with pytest.warns(SamplingNote, match="rounded up from 40,000 to 65,536"):
        ds = sim.run(baseline, n_scenarios=40_000, seed=1, sampler="sobol")
    assert ds.attrs["n_scenarios"] == 65_536 and ds.attrs["n_requested"] == 40_000
    assert "rounded up" in ds.attrs["sampler_note"]


@pytest.mark.parametrize("sampler", ["lhs", "sobol"])
def test_designs_reproducible_across_threads_and_chunks(baseline, threads, sampler):
    threads(1)
    a = sim.run(baseline, n_scenarios=65_536, seed=8, sampler=sampler, chunk_size=BLOCK)
    threads(2)
    b = sim.run(baseline, n_scenarios=65_536, seed=8, sampler=sampler, chunk_size=5 * BLOCK)
    assert_same_numbers(a, b)


def test_run_and_sample_agree_for_designs(baseline):
    for sampler in ("lhs", "sobol"):
        ds = sim.run(baseline, n_scenarios=65_536, seed=3, sampler=sampler)
        raw = sim.sample(baseline, n_scenarios=65_536, seed=3, sampler=sampler)
        np.testing.assert_allclose(ds.roi_mean, raw.roi.values.mean(axis=0), rtol=1e-12)


# --------------------------------------------------------------- error bars
def linear_case():
    """Only the revenue pool is uncertain and every size is served each year,
    so ROI = a + b M exactly, with known mean, quantiles and P(loss).

    The pool is truncated: with an unbounded lognormal, the error of an LHS or
    Sobol' replicate is dominated by its one top stratum, the replicate means
    are strongly skewed and the t interval over 8 replicates covers only
    ~85% (see docs/model.md, "Error bars")."""
    pool = {"dist": "lognormal", "median": 1.5e9, "sigma": 0.5, "max": 4e9}
    sc = make_scenario(market__revenue_pool=pool, market__token_price_decline=0.2,
                       grid__model_sizes=[1e8, 1e9, 1e10])
    at0 = sim.run(sc.with_overrides({POOL: 0.0}), n_scenarios=1).roi_mean.values
    at1 = sim.run(sc.with_overrides({POOL: 1e7}), n_scenarios=1).roi_mean.values
    a, b = at0, (at1 - at0) / 1e7
    dist = sc.values[POOL]
    truth = {
        "mean": a + b * dist.mean(),
        "median": a + b * float(dist.ppf(0.5)),
        "prob_loss": dist.scipy().cdf(-a / b) / dist.scipy().cdf(4e9),
    }
    return sc, truth


@pytest.mark.slow
def test_error_bars_cover_the_truth_at_their_nominal_rate():
    """Over 200 repeated small runs, each 95% interval covers the truth 90-99%
    of the time (binomial: 95% of 200 is 190, sd 3.1)."""
    sc, truth = linear_case()
    assert 0.2 < truth["prob_loss"][1] < 0.8  # a case where P(loss) is informative
    runs = 200
    hits = {"random mean": 0, "random median": 0, "random P(loss)": 0, "sobol mean": 0,
            "lhs mean": 0}
    z = stats.norm.ppf(0.975)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingNote)
        for seed in range(runs):
            ds = sim.run(sc, n_scenarios=2048, seed=seed, quantiles=[0.5])
            ci = ds.roi_mean_ci.values
            hits["random mean"] += np.all((ci[:, 0] <= truth["mean"]) & (truth["mean"] <= ci[:, 1]))
            qci = ds.roi_quantile_ci.values[:, 0]
            hits["random median"] += np.all((qci[:, 0] <= truth["median"]) & (truth["median"] <= qci[:, 1]))
            p, se = ds.prob_loss.values[1], ds.prob_loss_se.values[1]
            hits["random P(loss)"] += abs(p - truth["prob_loss"][1]) <= z * se
            for sampler in ("sobol", "lhs"):
                ds = sim.run(sc, n_scenarios=8 * 4096, seed=seed, sampler=sampler, quantiles=[0.5])
                ci = ds.roi_mean_ci.values[1]
                hits[f"{sampler} mean"] += ci[0] <= truth["mean"][1] <= ci[1]
    for name, count in hits.items():
        assert 0.90 * runs <= count <= 0.99 * runs, (name, count)


def test_structured_designs_have_smaller_errors():
    """On the linear case Sobol' and LHS beat random draws at equal n."""
    sc, truth = linear_case()
    err = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingNote)
        for sampler in ("random", "lhs", "sobol"):
            ds = sim.run(sc, n_scenarios=65_536, seed=1, sampler=sampler)
            err[sampler] = float(ds.roi_mean_se[1])
            assert ds.attrs["n_replicates"] == (1 if sampler == "random" else 8)
    assert err["lhs"] < err["random"] / 3 and err["sobol"] < err["random"] / 3


# ------------------------------------------------------------ stopping rule
def test_stopping_rule_reaches_target_and_reproduces(baseline):
    ds = sim.run(baseline, n_scenarios=20_000, seed=2, target_se=0.08)
    n = ds.attrs["n_scenarios"]
    assert ds.attrs["target_reached"] == 1
    assert ds.roi_mean_se.max() <= 0.08 < ds.attrs["achieved_se"] * 2 ** 0.5 * 1.5
    assert n % BLOCK == 0 and n >= PILOT
    again = sim.run(baseline, n_scenarios=n, seed=2)
    for name in ("roi_mean", "roi_mean_se", "roi_quantile", "prob_loss"):
        np.testing.assert_array_equal(ds[name].values, again[name].values)


def test_stopping_rule_stops_at_the_cap(baseline):
    ds = sim.run(baseline, n_scenarios=16_384, seed=2, target_se=1e-6, max_scenarios=40_000)
    assert ds.attrs["target_reached"] == 0 and ds.attrs["n_scenarios"] == 40_000
    ds = sim.run(baseline, n_scenarios=16_384, seed=2, target_se=0.01,
                 target_statistic="prob_loss", sampler="sobol", max_scenarios=10**6)
    assert ds.attrs["target_reached"] == 1 and ds.prob_loss_se.max() <= 0.01
    assert ds.attrs["target_statistic"] == "prob_loss"


@pytest.mark.parametrize("kwargs, message", [
    ({"sampler": "lhs"}, "lhs"),
    ({"target_statistic": "roi_median"}, "target_statistic: expected one of"),
    ({"target_se": -1.0}, "target_se"),
])
def test_bad_stopping_rules(baseline, kwargs, message):
    with pytest.raises(sim.SimError, match=message):
        sim.run(baseline, n_scenarios=1000, **{"target_se": 0.1, **kwargs})


def test_cli_sampler_and_target(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["run", "-n", "3e4", "--sampler", "sobol", "--quiet",
                                 "-o", str(tmp_path / "a.nc")])
    assert result.exit_code == 0, result.output
    assert "note: sobol: n rounded up from 30,000 to 32,768" in result.output
    result = runner.invoke(cli, ["run", "--target-se", "0.2", "--max-scenarios", "1e6"])
    assert result.exit_code == 0, result.output
    assert "target: standard error of roi_mean <= 0.2 reached" in result.output
    result = runner.invoke(cli, ["run", "--target-se", "0.2", "--sampler", "lhs"])
    assert result.exit_code == 2 and "lhs" in result.output
    result = runner.invoke(cli, ["run", "--sampler", "halton"])
    assert result.exit_code == 2


def test_cli_table_shows_the_error_bars(baseline):
    """The precision block prints the stored intervals and standard errors."""
    from sim.present.tables import summary_table

    ds = sim.run(baseline, n_scenarios=20_000, seed=3)
    text = summary_table(ds)
    block = text.split("Monte Carlo precision")[1].splitlines()
    assert "standard errors from the sample variance" in block[0]
    rows = block[3:3 + len(baseline.model_sizes)]
    for j, row in enumerate(rows):
        lo, hi = (float(v) for v in row.split("[")[1].split("]")[0].split(","))
        want = ds.roi_quantile_ci.sel(quantile=0.5).values[j]
        np.testing.assert_allclose([lo, hi], want, rtol=5e-3, atol=1e-3)
        cells = row.split("]")[1].split()
        assert float(cells[0].rstrip("%")) == pytest.approx(100 * ds.prob_loss.values[j], abs=0.05)
        assert float(cells[2].rstrip("%")) == pytest.approx(100 * ds.prob_loss_se.values[j], abs=0.05)
    assert max(len(line) for line in text.splitlines()) <= 100


@pytest.mark.parametrize("n", [1, 7, 100, 2048, 10**6, 10**8])
def test_binomial_quantiles_match_scipy_stats(n):
    """The order-statistic ranks use scipy.special; scipy.stats is the oracle."""
    from sim.results.dataset import binom_ppf

    q = np.array([0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999])
    for level in (0.025, 0.975):
        np.testing.assert_array_equal(binom_ppf(level, n, q), stats.binom.ppf(level, n, q))
