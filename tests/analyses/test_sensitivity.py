"""Sensitivity analysis: the estimators on functions with known indices, then the baseline.

Known answers first (Ishigami, a linear model), through the same design and
estimation code the engine uses; then the baseline through the kernels: a
constant input is absent, an input the route does not read gets exactly 0,
an input made dominant comes first at every size, and each tornado bar is a
separate run with the input fixed at its percentile.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

import sim
from sim.vocab import outputs
from sim.cli.main import cli
from sim.engine.matrix import evaluate_uniforms, plan_uniforms
from sim.engine.reducer import sample_arrays
from sim.vocab.errors import SimError
from sim.scenario.plan import build_plan
from sim.engine.designs import build_design
from sim.kernels.sampling.rng import key_from_seed
from sim.analyses.sensitivity import SensitivityNote
from sim.present import sensitivity_charts as charts
from sim.analyses.sensitivity import rank
from sim.analyses.sensitivity import sobol
from sim.present.sensitivity_tables import alternatives, sensitivity_table

FINETUNE = [k for k in sim.load_scenario("baseline").sampled_keys if k.startswith("finetune.")]


# ------------------------------------------------------------------ the kernel
def test_matrix_rows_are_the_engines_own_sample(baseline):
    """design_rows + evaluate_rows give exactly what sim.sample evaluates."""
    plan = build_plan(baseline)
    n, key = 700, key_from_seed(11)
    design = build_design("random", 11, n, plan.n_dims)
    U = plan_uniforms(plan, design, key, 0, n)
    y, x = evaluate_uniforms(plan, U, [outputs.ROI, outputs.NET_VALUE], keep_draws=True, seed=11)
    draws, incident_u, _, stats = sample_arrays(plan, key, 0, n, design)
    np.testing.assert_array_equal(x, draws)
    np.testing.assert_array_equal(U[:, plan.n_sampled:], incident_u)
    np.testing.assert_array_equal(y[:, :, 0], stats[:, :, outputs.ROI])
    np.testing.assert_array_equal(y[:, :, 1], stats[:, :, outputs.NET_VALUE])


# ------------------------------------------------------------------ known answers
ISHIGAMI_S1 = np.array([0.3139, 0.4424, 0.0])
ISHIGAMI_ST = np.array([0.5576, 0.4424, 0.2437])


def ishigami(u: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    x = -np.pi + 2 * np.pi * u
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_ishigami_analytic_values():
    """The reference numbers of the issue, from the closed form."""
    a, b = 7.0, 0.1
    v = a**2 / 8 + b * np.pi**4 / 5 + b**2 * np.pi**8 / 18 + 0.5
    v1, v2 = 0.5 * (1 + b * np.pi**4 / 5) ** 2, a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    np.testing.assert_allclose([v1 / v, v2 / v, 0], ISHIGAMI_S1, atol=1e-4)
    np.testing.assert_allclose([(v1 + v13) / v, v2 / v, v13 / v], ISHIGAMI_ST, atol=1e-4)


@pytest.mark.parametrize("formula", sobol.FORMULAS)
def test_ishigami_indices_within_their_intervals(formula):
    ind = sobol.sobol_indices(ishigami, 3, 2048, seed=0, formula=formula)
    for est, ci, truth in ((ind.first, ind.first_ci, ISHIGAMI_S1), (ind.total, ind.total_ci, ISHIGAMI_ST)):
        lo, hi = ci[:, 0, 0], ci[:, 0, 1]
        assert np.all((lo <= truth) & (truth <= hi)), (formula, est[:, 0], lo, hi)
        assert np.all(hi - lo < 0.2)  # informative, not merely wide
    assert ind.n_evaluations == 2048 * 5


def test_saltelli_formula_is_salibs():
    """The same evaluations through SALib's sobol.analyze give the same indices."""
    pytest.importorskip("SALib")
    A, B = sobol.base_matrices(3, 1024, 2)
    fA, fB, fAB = sobol.evaluate_design(ishigami, A, B, [[0], [1], [2]])
    ours = sobol.estimate(fA, fB, fAB, seed=2, formula="saltelli")
    theirs = sobol.salib_indices(fA, fB, fAB, seed=2)
    np.testing.assert_allclose(ours.first, theirs.first, atol=1e-12)
    np.testing.assert_allclose(ours.total, theirs.total, atol=1e-12)
    # Different resamples, same method: the interval widths agree roughly.
    w = lambda ci: ci[..., 1] - ci[..., 0]
    np.testing.assert_allclose(w(ours.first_ci), w(theirs.first_ci), rtol=0.35)


COEF = np.array([4.0, -2.0, 1.0, 0.5, 0.0])


def linear(u: np.ndarray) -> np.ndarray:
    return u @ COEF


def test_linear_model_rank_order_and_first_order_sum():
    """Known coefficients: the rank method orders inputs by |c|, the
    first-order indices are c_i^2 / sum c^2 and add to 1 within their interval."""
    gen = np.random.default_rng(5)
    x = gen.random((4000, COEF.size))
    y = linear(x)[:, None]
    rx, ry = rank.rank_columns(x), rank.rank_columns(y)
    for r, ci in (rank.spearman(rx, ry), rank.prcc(rx, ry)):
        order = np.argsort(-np.abs(r[:, 0]))
        np.testing.assert_array_equal(order, np.argsort(-np.abs(COEF), kind="stable"))
        assert np.all(np.sign(r[:4, 0]) == np.sign(COEF[:4]))
        assert ci[4, 0, 0] < 0 < ci[4, 0, 1]  # the input with no effect
    ind = sobol.sobol_indices(linear, COEF.size, 2048, seed=1)
    lo, hi = ind.first_sum_ci[0]
    assert lo <= 1.0 <= hi and hi - lo < 0.2
    truth = COEF**2 / np.sum(COEF**2)
    assert np.all((ind.first_ci[:, 0, 0] <= truth + 1e-12) & (truth - 1e-12 <= ind.first_ci[:, 0, 1]))
    np.testing.assert_allclose(ind.first[:, 0], ind.total[:, 0], atol=0.02)  # no interactions
    assert ind.first[4, 0] == 0.0 and ind.total[4, 0] == 0.0  # not read: exactly 0


def test_rank_intervals_match_a_bootstrap():
    """The analytic Fisher-z intervals are as wide as a bootstrap's."""
    gen = np.random.default_rng(9)
    x = gen.random((1500, 3))
    y = (x[:, :1] + 0.5 * x[:, 1:2] ** 3 + 0.3 * gen.standard_normal((1500, 1)))
    rx, ry = rank.rank_columns(x), rank.rank_columns(y)
    _, s_ci = rank.spearman(rx, ry)
    _, p_ci = rank.prcc(rx, ry)
    boot_s, boot_p = [], []
    for _ in range(300):
        i = gen.integers(0, 1500, 1500)
        bx, by = rank.rank_columns(x[i]), rank.rank_columns(y[i])
        boot_s.append(rank.spearman(bx, by)[0][:, 0])
        boot_p.append(rank.prcc(bx, by)[0][:, 0])
    for ci, boot in ((s_ci, boot_s), (p_ci, boot_p)):
        np.testing.assert_allclose(ci[:, 0, 1] - ci[:, 0, 0], 2 * 1.96 * np.std(boot, axis=0),
                                   rtol=0.25)


def test_constant_column_gets_zero_and_constant_output_nan():
    x = np.column_stack([np.arange(50.0), np.full(50, 3.0), np.arange(50.0) % 7])
    y = np.column_stack([np.arange(50.0) ** 2 + 300 * np.sin(np.arange(50.0)), np.ones(50)])
    rx, ry = rank.rank_columns(x), rank.rank_columns(y)
    for r, ci in (rank.spearman(rx, ry), rank.prcc(rx, ry)):
        assert r[1, 0] == 0 and np.all(ci[1, 0] == 0)  # an input that does not vary
        assert np.all(np.isnan(r[:, 1]))  # an output that does not vary: undefined
        assert r[0, 0] > 0.9


# ------------------------------------------------------------------ the baseline
N = 1024
N_TORNADO = 256


@pytest.fixture(scope="module")
def held(baseline):
    """Both methods, with market.competitors held constant."""
    return sim.sensitivity(baseline, N, seed=3, overrides={"market.competitors": 9},
                           tornado_n=N_TORNADO)


def test_dataset_layout(held, baseline):
    ds = held
    assert ds["sobol_total"].dims == ("model_size", "parameter")
    assert ds["tornado_median"].dims == ("model_size", "parameter", "percentile")
    assert ds["prcc_ci"].dims == ("model_size", "parameter", "bound")
    keys = [k for k in baseline.sampled_keys if k != "market.competitors"]
    assert list(ds["parameter"].values) == keys + ["incidents"]
    np.testing.assert_array_equal(ds["percentile"], [0.05, 0.95])
    assert ds.attrs["sobol_evaluations"] == 1024 * (len(keys) + 1 + 2)
    assert ds.attrs["tornado_evaluations"] == 2 * len(keys) * N_TORNADO
    assert np.all(np.isnan(ds["prcc"].sel(parameter="incidents")))
    assert np.all(np.isfinite(ds["sobol_total"].sel(parameter="incidents")))
    for name in ds.data_vars:
        assert ds[name].attrs.get("long_name") and ds[name].attrs.get("units"), name
    assert sim.scenario.load.scenario_from_toml_text(ds.attrs["scenario"]).values["market.competitors"] == 9


def test_constant_input_is_absent_and_unread_inputs_get_zero(held):
    assert "market.competitors" not in held["parameter"].values
    at = held.sel(parameter=FINETUNE)  # sampled, but the pretraining route never reads them
    assert np.all(at["sobol_first"] == 0) and np.all(at["sobol_total"] == 0)
    np.testing.assert_array_equal(at["tornado_median"].values,
                                  np.broadcast_to(held["median"].values[:, None, None],
                                                  at["tornado_median"].shape))


def test_tornado_bars_equal_separate_runs(held, baseline):
    """A bar is a run with the input replaced by a one-value distribution at
    its percentile, which keeps the input's dimension and so every other
    input's uniforms (a constant would shift them)."""
    for key in ("market.share_sharpness", "market.revenue_pool", "scaling.data_stock"):
        for q in (0.05, 0.95):
            x = float(held["tornado_input"].sel(parameter=key, percentile=q))
            alone = sim.sample(baseline, N_TORNADO, seed=3, overrides={
                "market.competitors": 9, key: {"dist": "choice", "values": [x]}})
            np.testing.assert_array_equal(
                np.median(alone["roi"].values, axis=0),
                held["tornado_median"].sel(parameter=key, percentile=q).values)
            assert np.all(alone[key].values == x)


def test_tornado_with_correlations_equals_separate_runs():
    """With a declared correlation the bar is still the separate run (the
    held column is not conditioned on)."""
    with pytest.warns(SensitivityNote, match="correlations"):
        ds = sim.sensitivity("price_war", 512, seed=1, tornado_n=128)
    assert ds.attrs["sobol_correlations"].startswith("sobol: the scenario declares")
    key = "market.competitors"
    for q in (0.05, 0.95):
        x = float(ds["tornado_input"].sel(parameter=key, percentile=q))
        alone = sim.sample("price_war", 128, seed=1,
                           overrides={key: {"dist": "choice", "values": [x]}})
        np.testing.assert_array_equal(np.median(alone["roi"].values, axis=0),
                                      ds["tornado_median"].sel(parameter=key, percentile=q).values)


def test_dominant_input_comes_first_at_every_size(baseline):
    """A price premium spread over four decades multiplies revenue and decides
    whether serving pays, at every size: every index ranks it first."""
    key = "market.price_premium"
    ds = sim.sensitivity(baseline, 2048, seed=1, tornado_n=512,
                         overrides={key: {"dist": "lognormal", "p5": 0.01, "p95": 100, "max": 1e5}})
    span = np.abs(ds["tornado_median"].isel(percentile=-1) - ds["tornado_median"].isel(percentile=0))
    for score in (ds["sobol_total"], ds["sobol_first"], np.abs(ds["prcc"]),
                  np.abs(ds["spearman"]), span):
        first = score.fillna(-1).idxmax("parameter")
        assert list(first.values) == [key] * ds.sizes["model_size"], score.name


def test_same_seed_same_numbers(baseline):
    a = sim.sensitivity(baseline, 128, seed=5, method="both")
    b = sim.sensitivity(baseline, 128, seed=5, method="both")
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


@pytest.mark.parametrize("kwargs, message", [
    ({"method": "morris"}, "method: expected one of rank, sobol, both"),
    ({"output": "npv"}, "output: expected one of roi, net_value, roi_expected"),
    ({"estimator": "x"}, "estimator: expected one of"),
    ({"n_scenarios": 2_000_000}, "at most 1,048,576"),
    ({"tornado_n": 10_000}, "tornado_n: at most n_scenarios"),
])
def test_bad_arguments(baseline, kwargs, message):
    args = {"n_scenarios": 64, **kwargs}
    with pytest.raises(SimError, match=message):
        sim.sensitivity(baseline, **args)


def test_sobol_base_is_rounded_up_with_a_note(baseline):
    with pytest.warns(SensitivityNote, match="rounded up from 100 to 128"):
        ds = sim.sensitivity(baseline, 100, method="sobol", output="net_value")
    assert ds.attrs["sobol_base_n"] == 128 and "spearman" not in ds
    assert ds["output_variance"].attrs["units"] == "USD^2"


# ------------------------------------------------------------------ tables, charts, files
def test_table_charts_and_netcdf(held, tmp_path):
    text = sensitivity_table(held, top=5)
    assert "100M: median roi" in text and "sum of S1" in text
    block = text.split("\n\n")[1].splitlines()
    assert block[1].split()[:3] == ["input", "S1", "ST"]
    assert len(block) == 3 + 5
    for kind in ("tornado", "sobol"):
        fig = sim.plot.draw(held, kind, model_size=["1B", "10B"])
        assert len([a for a in fig.axes if a.get_visible()]) == 2
    path = sim.write_netcdf(held, tmp_path / "sens.nc")
    back = xr.load_dataset(path)
    assert list(back["parameter"].values) == list(held["parameter"].values)
    np.testing.assert_array_equal(back["sobol_total"].values, held["sobol_total"].values)


def test_a_strategy_dimension_flows_through_tables_and_charts(held):
    """Results will gain a strategy dimension (issue 12): tables and charts
    already loop over every alternative."""
    two = xr.concat([held, held], dim="strategy").assign_coords(strategy=["as_is", "niche"])
    two = two.transpose("strategy", "model_size", ...)
    labels = [label for label, _ in alternatives(two)]
    assert labels[:2] == ["as_is / 100M", "as_is / 1B"] and len(labels) == 10
    assert "niche / 1T" in sensitivity_table(two, top=3)
    fig = charts.sobol(two, model_size="1B")
    assert len([a for a in fig.axes if a.get_visible()]) == 2


def test_charts_refuse_results_they_cannot_draw(held):
    rank_only = held.drop_vars([v for v in held.data_vars if v.startswith("sobol")])
    with pytest.raises(SimError, match="method='sobol' or 'both'"):
        sim.plot.draw(rank_only, "sobol")
    run = sim.run("baseline", n_scenarios=2000, seed=0)
    with pytest.raises(SimError, match="needs a result of sim sensitivity"):
        sim.plot.draw(run, "tornado")


def test_command_line_plot_and_report(tmp_path):
    runner = CliRunner()
    out = tmp_path / "sens.nc"
    res = runner.invoke(cli, ["sensitivity", "baseline", "-n", "300", "--top", "3",
                              "--tornado-n", "200", "--set", "market.competitors=9",
                              "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "sobol: base sample rounded up from 300 to 512" in res.output
    assert "sensitivity of roi for scenario 'baseline'" in res.output and f"wrote {out}" in res.output
    assert "(tornado on 200)" in res.output
    for kind in ("tornado", "sobol"):
        res = runner.invoke(cli, ["plot", str(out), "--kind", kind, "--model-size", "10B"])
        assert res.exit_code == 0, res.output
        assert (tmp_path / f"sens_{kind}.png").stat().st_size > 10_000
    res = runner.invoke(cli, ["report", str(out), "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "r.html").read_text()
    assert "Sensitivity of roi in scenario" in html and html.count("<img") == 2
    assert html.count('<table class="summary sensitivity">') == 5


@pytest.mark.parametrize("args, message", [
    (["--method", "morris"], "Invalid value for '--method'"),
    (["-n", "2e6", "--method", "rank"], "at most 1,048,576"),
    (["-n", "64", "--set", "market.nope=1"], "unknown key"),
])
def test_command_line_errors(args, message):
    res = CliRunner().invoke(cli, ["sensitivity", "baseline", "--quiet", *args])
    assert res.exit_code == 2 and message in res.output, res.output


def test_package_namespace():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from sim.analyses.sensitivity import api
        from sim.analyses.sensitivity import tornado  # noqa: F401
    assert callable(sim.sensitivity) and sim.analyses.sensitivity.api is api  # the package, callable
    assert sim.sensitivity.sensitivity is api.sensitivity
