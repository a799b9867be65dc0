"""Finite or told: no NaN or infinity passes for a number.

* Every key's bounds (sim.vocab.registry) keep the model finite: each key at each
  of its bounds, the rest at a bundled scenario's values, gives finite
  outputs for every size (both compute rules, both routes, 5 and 100 years).
  A key added to the registry is checked here without edits.
* Distributions that can draw beyond a bound are refused up front.
* Combinations that still overflow stop the run with one message: the pilot
  finds them before the main run, and a final check of every mean finds
  those the pilot missed.
* Plots and reports of a saved file that holds NaN (written by an older
  version) draw what is finite instead of raising.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from click.testing import CliRunner

import sim
from sim.present import charts as plot
from sim.present import report
from sim.cli.main import cli
from sim.engine.reducer import reduce, sample_arrays
from sim.vocab.errors import NonFiniteResults, ScenarioError
from sim.vocab.outputs import column_name
from sim.scenario.plan import build_plan
from sim.vocab.registry import MODEL_SIZE, PARAMETERS, Bounds
from sim.kernels.sampling.rng import key_from_seed
from sim.scenario.load import load_scenario

#: The scenarios whose values surround each key: (bundled name, overrides).
CONTEXTS = {
    "6ND": ("baseline", {}),
    "power": ("baseline", {"scaling.compute_rule": "power", "scaling.compute_exponent": 2.0,
                           "scaling.flops_at_reference": 1.21e20}),
    "finetune": ("finetune", {}),
}


def at_bounds(b: Bounds) -> list[float]:
    """The values a key takes at (or, for an open bound, just inside) its
    bounds; an unbounded side is tried at +-1e300."""
    lo, hi = b.lower, b.upper
    values = [-1e300 if lo == -math.inf else
              (1e-300 if lo == 0 else lo + 1e-9 * max(1.0, abs(lo))) if b.lower_open else lo,
              1e300 if hi == math.inf else
              hi - 1e-9 * max(1.0, abs(hi)) if b.upper_open else hi]
    if b.infinite:
        values.append(math.inf)
    return values


def _bad_outputs(plan, n: int = 512) -> list[str]:
    _, _, _, stats = sample_arrays(plan, key_from_seed(1), 0, n)
    bad = ~np.isfinite(stats)
    return [column_name(k) for k in np.flatnonzero(bad.any(axis=(0, 1)))]


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("horizon", [5, 100])
# Keys at their bounds are implausible on purpose: the plausibility warnings
# (a share above 1) are expected here, not errors.
@pytest.mark.filterwarnings("ignore::sim.vocab.errors.PlausibilityWarning")
def test_every_key_at_its_bounds_gives_finite_results(context, horizon):
    name, overrides = CONTEXTS[context]
    base = load_scenario(name, {**overrides, "horizon_years": horizon, "correlation": []})
    failures = []
    for key, param in PARAMETERS.items():
        if key not in base.values:
            continue  # not read under this route and rule
        # The key as a constant (validated once), then each bound in theta.
        plan = build_plan(base.with_overrides({key: _inside(param.bounds)}))
        for x in at_bounds(param.bounds):
            theta = plan.theta.copy()
            theta[param.index] = x
            bad = _bad_outputs(dataclasses.replace(plan, theta=theta))
            if bad:
                failures.append(f"{key} = {x:g}: {', '.join(bad)}")
    assert not failures, "\n".join(failures)


def _inside(b: Bounds) -> float:
    lo = b.lower if math.isfinite(b.lower) else -1.0
    hi = b.upper if math.isfinite(b.upper) else lo + 2.0
    return 0.5 * (lo + hi)


@pytest.mark.parametrize("context", ["6ND", "finetune"])
def test_the_extreme_model_sizes_give_finite_results(context):
    name, overrides = CONTEXTS[context]
    for sizes, ref in [([MODEL_SIZE.lower, MODEL_SIZE.upper], 1e9),
                       ([MODEL_SIZE.lower, 1e9], MODEL_SIZE.upper),
                       ([1e9, MODEL_SIZE.upper], MODEL_SIZE.lower)]:
        sc = load_scenario(name, {**overrides, "grid.model_sizes": sizes,
                                  "grid.reference_size": ref, "horizon_years": 100})
        assert not _bad_outputs(build_plan(sc)), (sizes, ref)


@pytest.mark.parametrize("override, needle", [
    ({"costs.training_utilization": 1e-300}, "expected a number in [1e-06, 1], got 1e-300"),
    ({"scaling.data_exponent": {"dist": "normal", "mean": 2, "sd": 40}},
     "normal(mean=2, sd=40) can draw -326.381; expected a number in [-10, 10]"),
    ({"market.growth": 1e100}, "expected a number in (-1, 10]"),
    ({"grid.model_sizes": [1e9, 1e20]}, "expected positive sizes (a number in [1, 1e+16])"),
])
def test_values_the_equations_cannot_take_are_refused_up_front(override, needle):
    with pytest.raises(ScenarioError) as info:
        load_scenario("baseline", override)
    assert needle in str(info.value)


#: A valid scenario that overflows in combination: a fixed cost of 1e300 at
#: the reference size, growing as N^f with f up to 10, is infinite above it.
OVERFLOWING = {"costs.fixed_cost_at_reference": 1e300,
               "costs.fixed_cost_exponent": {"dist": "uniform", "low": 0.0, "high": 10.0}}


def test_a_run_that_overflows_stops_before_the_main_run_and_names_the_culprit(baseline):
    sc = baseline.with_overrides(OVERFLOWING)
    with pytest.raises(NonFiniteResults) as info:
        sim.run(sc, n_scenarios=10**9, seed=1)  # stopped after the pilot: no long wait
    text = str(info.value)
    assert "infinite or NaN results in " in text and "of the first 16,384 scenarios" in text
    assert "1T (" in text and "100M" not in text  # at the large sizes only
    assert "costs.fixed_cost_exponent (high draws) stand out" in text
    assert "docs/model.md" in text


def test_the_command_line_says_so_in_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "run.nc"
    result = CliRunner().invoke(cli, ["run", "-n", "1e5", "-o", str(out), "--quiet",
                                      "--set", "costs.fixed_cost_at_reference=1e300",
                                      "--set", 'costs.fixed_cost_exponent={dist="uniform", '
                                               'low=0, high=10}'])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: the model gives infinite or NaN results")
    assert "nan" not in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_final_check_catches_what_the_pilot_missed(baseline):
    """A NaN beyond the pilot poisons its mean; the dataset is refused."""
    from sim.results.dataset import build_dataset

    plan = build_plan(baseline)
    red = reduce(plan, 1, 20_000)
    red.mean[3, 0] = np.nan
    with pytest.raises(NonFiniteResults, match=r"at sizes 100B, in roi, in some of the 20,000 "
                                               r"scenarios \(none among the first 16,384"):
        build_dataset(baseline, plan, red, 1, np.array([0.5]))


def _with_nan_at(ds, size):
    ds = ds.copy(deep=True)
    for name in ds.data_vars:
        if "model_size" in ds[name].dims and np.issubdtype(ds[name].dtype, np.floating):
            ds[name].loc[{"model_size": size}] = np.nan
    return ds


def test_plots_and_reports_draw_what_is_finite(tmp_path):
    """An older file with NaN at one size: every chart is drawn from the
    other sizes and says which it left out; the report says so too."""
    ds = _with_nan_at(sim.run("baseline", n_scenarios=3000, seed=1), 1e12)
    for kind in ("fan", "hist", "exceedance", "best", "costs"):
        fig = plot.draw(ds, kind)
        text = " ".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))
        assert "not drawn: 1T (no finite values)" in text, kind
    page = report.build_report([("old.nc", ds)])
    assert "not finite" in page and "nan%" not in page.lower()
    one = _with_nan_at(sim.run("baseline", n_scenarios=3000, seed=1), 1e8)
    one = one.sel(model_size=[1e8])
    with pytest.raises(sim.SimError, match="no finite values to draw"):
        plot.fan(one)


def test_a_sweep_names_the_point_that_overflows():
    with pytest.raises(NonFiniteResults, match=r"at the sweep point costs.fixed_cost_exponent=10: "
                                               "the model gives infinite or NaN results"):
        sim.sweep("baseline", {"costs.fixed_cost_exponent": [0.3, 10.0]}, n_scenarios=1000,
                  overrides={"costs.fixed_cost_at_reference": 1e300})
