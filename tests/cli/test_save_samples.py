"""sim run --save-samples FILE: the raw draws of the run, identical to
sim.sample's for the same scenario, overrides, n, seed and sampler, on
both frames; a file over the limit asks first (--yes)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

import sim
from sim.cli.main import cli
from sim.engine import limits as limits_module
from sim.engine.limits import Limits
from sim.vocab.errors import NeedsConfirmation


def _run(args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def assert_same_draws(saved: xr.Dataset, want: xr.Dataset) -> None:
    assert sorted(saved.variables) == sorted(want.variables)
    for name in want.variables:
        assert saved[name].dims == want[name].dims, name
        np.testing.assert_array_equal(saved[name].values, want[name].values, err_msg=name)
    for key in ("seed", "sampler", "n_scenarios", "scenario_name"):
        assert str(saved.attrs[key]) == str(want.attrs[key])


@pytest.mark.parametrize("scenario, extra, kwargs", [
    ("baseline", ["--set", "market.competitors.lam=5"], {"overrides": {"market.competitors.lam": 5.0}}),
    ("cooling", ["--sampler", "lhs"], {"sampler": "lhs"}),
    ("industry", [], {}),
])
def test_saved_samples_are_sim_sample(tmp_path, scenario, extra, kwargs):
    out, samples = tmp_path / "run.nc", tmp_path / "samples.nc"
    r = _run(["run", scenario, "-n", "700", "--seed", "3", *extra, "-o", out, "--save-samples", samples])
    assert r.exit_code == 0, r.output
    assert f"wrote {samples} (the raw draws of 700 scenarios)" in r.output
    saved = xr.load_dataset(samples)
    assert_same_draws(saved, sim.sample(scenario, 700, seed=3, **kwargs))
    # ... and they are the draws the run reduced.
    run = xr.load_dataset(out)
    if scenario == "industry":
        np.testing.assert_allclose(run.prob_cooled.values, saved.cooled.mean("scenario").values, rtol=1e-12)
    else:
        np.testing.assert_allclose(run.prob_loss.values, (saved.roi < 0).mean("scenario").values, rtol=1e-12)


def test_with_a_target_the_samples_have_the_runs_final_n(tmp_path):
    out, samples = tmp_path / "run.nc", tmp_path / "samples.nc"
    r = _run(["run", "-n", "4096", "--target-se", "0.3", "--quiet", "-o", out, "--save-samples", samples])
    assert r.exit_code == 0, r.output
    n = int(xr.load_dataset(out).attrs["n_scenarios"])
    assert n > 4096 and xr.load_dataset(samples).sizes["scenario"] == n


def test_samples_over_the_limit_ask_first(tmp_path, monkeypatch):
    monkeypatch.setattr(limits_module, "LIMIT_SAMPLE_BYTES", 100_000)
    out, samples = tmp_path / "run.nc", tmp_path / "samples.nc"
    r = _run(["run", "-n", "2000", "--quiet", "-o", out, "--save-samples", samples])
    assert r.exit_code == 2
    assert r.output.startswith("Error: the raw draws would take about ") and r.output.count("\n") == 1
    assert "pass --yes to run it anyway, or lower -n" in r.output, r.output
    assert not out.exists() and not samples.exists()
    r = _run(["run", "-n", "2000", "--quiet", "-o", out, "--save-samples", samples, "--yes"])
    assert r.exit_code == 0, r.output
    assert samples.stat().st_size > 100_000


def test_the_size_estimate_is_close_and_python_names_its_arguments():
    n = 3000
    draws = sim.sample("baseline", n, seed=1)
    estimate = sim.analyses.run.sample_bytes("baseline", n, seed=1)
    assert estimate == pytest.approx(draws.nbytes, rel=1e-3)
    with pytest.raises(NeedsConfirmation, match=r"pass limits=Limits\(\) to run it anyway, or lower n_scenarios"):
        sim.sample("baseline", n, seed=1, limits=Limits(sample_bytes=estimate // 2))
    assert sim.sample("baseline", 100, seed=1, limits=Limits(sample_bytes=estimate)).sizes["scenario"] == 100


@pytest.mark.parametrize("flag", ["-o", "--checkpoint"])
def test_the_samples_need_a_file_of_their_own(tmp_path, flag):
    same = tmp_path / "same.nc"
    r = _run(["run", "-n", "500", "--quiet", flag, same, "--save-samples", same])
    assert r.exit_code == 2 and f"--save-samples {same}: the same file as {flag}" in r.output


def test_an_existing_samples_file_is_kept_without_overwrite(tmp_path):
    samples = tmp_path / "samples.nc"
    samples.write_text("mine")
    r = _run(["run", "-n", "500", "--quiet", "--save-samples", samples])
    assert r.exit_code == 2 and "already exists; pass --overwrite" in r.output
    assert samples.read_text() == "mine"
