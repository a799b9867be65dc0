"""Results frozen before a refactoring: the same scenario, seed and n must keep
giving the same numbers.

The files in ``tests/data`` were written by the v1 engine (before the package
was reorganised and before model v2). Every variable those files hold must
come out bit-identical today; new variables may be added beside them.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import sim

DATA = Path(__file__).parent / "data"

RUNS = {
    "baseline_v1_random": ("baseline_v1", dict(n_scenarios=20000, seed=11)),
    "baseline_v1_sobol": ("baseline_v1", dict(n_scenarios=16384, seed=5, sampler="sobol")),
    "baseline_v1_lhs": ("baseline_v1", dict(n_scenarios=10000, seed=3, sampler="lhs")),
    "price_war_v1_random": ("price_war_v1", dict(n_scenarios=20000, seed=2)),
    "bert_seed_v1_random": ("bert_seed_v1", dict(n_scenarios=20000, seed=4)),
}

#: Attributes that describe the run, not its numbers.
VOLATILE = {"created", "elapsed_seconds", "sim_version", "scenario"}
#: MODEL.md v2's one deliberate change for v1 files: "best" follows
#: decision.objective, whose default is net value, not ROI.
BY_OBJECTIVE = {"prob_best", "prob_best_se", "prob_best_mean"}


def _assert_frozen(new: xr.Dataset, frozen: xr.Dataset, skip=()) -> None:
    missing = sorted(set(frozen.data_vars) - set(new.data_vars))
    assert not missing, f"variables gone: {missing}"
    for name in frozen.data_vars:
        if name in skip:
            continue
        np.testing.assert_array_equal(new[name].values, frozen[name].values, err_msg=name)
        assert new[name].dims == frozen[name].dims, name
    for name in frozen.coords:
        np.testing.assert_array_equal(new[name].values, frozen[name].values, err_msg=name)
    for key, value in frozen.attrs.items():
        if key not in VOLATILE:
            assert new.attrs.get(key) == value, key


@pytest.mark.parametrize("name", sorted(RUNS))
def test_run_matches_the_frozen_v1_result(name):
    """With the objective v1 used (ROI), every frozen number, P(best) included."""
    scenario, kwargs = RUNS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        new = sim.run(str(DATA / f"{scenario}.toml"), overrides={"decision.objective": "roi"},
                      **kwargs)
    with xr.open_dataset(DATA / f"{name}.nc") as frozen:
        _assert_frozen(new, frozen.load())


@pytest.mark.parametrize("name", ["baseline_v1_random", "price_war_v1_random"])
def test_default_objective_changes_only_best(name):
    """A v1 file as written: every number as frozen but P(best), which now
    ranks by net value (MODEL.md v2)."""
    scenario, kwargs = RUNS[name]
    new = sim.run(str(DATA / f"{scenario}.toml"), **kwargs)
    with xr.open_dataset(DATA / f"{name}.nc") as frozen:
        frozen = frozen.load()
        _assert_frozen(new, frozen, skip=BY_OBJECTIVE)
        assert not np.array_equal(new["prob_best"].values, frozen["prob_best"].values)


def test_sample_matches_the_frozen_v1_draws():
    new = sim.sample(str(DATA / "baseline_v1.toml"), n_scenarios=500, seed=9,
                     overrides={"decision.objective": "roi"})
    with xr.open_dataset(DATA / "baseline_v1_sample.nc") as frozen:
        _assert_frozen(new, frozen.load())
