"""Scenario families (``extends``) and the bundled scenarios."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from sim.registry import PARAMETERS
from sim.scenario import SCENARIO_DIR, bundled_names, scenario_from_toml_text

from .conftest import BASELINE


# ------------------------------------------------------------------ extends
@pytest.fixture
def family(tmp_path):
    """base.toml (a copy of the baseline) <- mid.toml <- sub/leaf.toml."""
    shutil.copy(BASELINE, tmp_path / "base.toml")
    (tmp_path / "mid.toml").write_text(
        'extends = "base.toml"\ndescription = "middle"\n'
        "[market]\nhype = 2.5\n"
        "[costs]\ngpu_hour_price = { p95 = 6.0 }\n")
    (tmp_path / "sub").mkdir()
    leaf = tmp_path / "sub" / "leaf.toml"
    leaf.write_text('extends = "../mid.toml"\n'
                    "[market]\nhype = 4.0\n[finance]\ndiscount_rate = 0.12\n")
    return leaf


def test_extends_chain_resolves_like_explicit_overrides(family, baseline):
    leaf = sim.load_scenario(family)
    assert leaf.name == "leaf"                      # the file's own stem
    assert leaf.description == ""                  # descriptions are not inherited
    expected = baseline.with_overrides({"market.hype": 4.0,           # leaf beats mid
                                        "finance.discount_rate": 0.12,
                                        "costs.gpu_hour_price.p95": 6.0})
    assert dict(leaf.values) == dict(expected.values)
    assert leaf.values["costs.gpu_hour_price"].params["p5"] == 2.0  # from the baseline
    assert (leaf.model_sizes, leaf.horizon_years) == (baseline.model_sizes, baseline.horizon_years)


def test_overrides_apply_on_top_of_extends(family):
    sc = sim.load_scenario(family, overrides={"market.hype": 5.0, "costs.gpu_hour_price.p5": 1.0})
    assert sc.values["market.hype"] == 5.0
    assert sc.values["costs.gpu_hour_price"].params == {"p5": 1.0, "p95": 6.0}


def test_resolved_toml_has_no_extends_and_round_trips(family):
    sc = sim.load_scenario(family)
    text = sc.to_toml()
    assert "extends" not in text
    assert scenario_from_toml_text(text) == sc


def test_run_stores_the_resolved_scenario(family):
    ds = sim.run(family, n_scenarios=2000, seed=1, overrides={"market.competitors": 3})
    stored = scenario_from_toml_text(ds.attrs["scenario"])
    assert stored == sim.load_scenario(family, overrides={"market.competitors": 3})
    assert "extends" not in ds.attrs["scenario"] and "hype = 4.0" in ds.attrs["scenario"]


def test_bare_name_extends_a_bundled_scenario(tmp_path, baseline):
    path = tmp_path / "mine.toml"
    path.write_text('extends = "baseline"\n[market]\ncompetitors = 3\n')
    sc = sim.load_scenario(path)
    assert dict(sc.values) == dict(baseline.with_overrides({"market.competitors": 3}).values)


def test_extends_cycle_is_an_error(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(ScenarioError, match=r"cycle of scenario files: .*a\.toml -> .*b\.toml -> .*a\.toml"):
        sim.load_scenario(tmp_path / "a.toml")
    (tmp_path / "self.toml").write_text('extends = "self.toml"\n')
    with pytest.raises(ScenarioError, match="cycle"):
        sim.load_scenario(tmp_path / "self.toml")


@pytest.mark.parametrize("text, message", [
    ('extends = "nothere.toml"\n', "parent scenario 'nothere.toml' not found"),
    ("extends = 3\n", 'expected a scenario file name such as "baseline.toml"'),
])
def test_bad_extends_names_file_and_key(tmp_path, text, message):
    path = tmp_path / "child.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        sim.load_scenario(path)
    assert str(path) in str(info.value) and "extends" in str(info.value)
    assert message in str(info.value)


def test_error_in_parent_names_the_parent(tmp_path):
    (tmp_path / "parent.toml").write_text("[market]\ncompetitorz = 3\n")
    (tmp_path / "child.toml").write_text('extends = "parent.toml"\n')
    with pytest.raises(ScenarioError, match=r"parent\.toml: market\.competitorz: unknown key"):
        sim.load_scenario(tmp_path / "child.toml")


def test_extends_is_not_an_override():
    with pytest.raises(ScenarioError, match="extends: can only be set in a scenario file"):
        sim.load_scenario("baseline", overrides={"extends": "baseline.toml"})


# ------------------------------------------------------------------ expectation vs reality
def test_summary_table_reports_expected_against_realized(baseline):
    from sim.results import summary_table

    n = 20_000
    ds = sim.run(baseline, n_scenarios=n, seed=2)
    raw = sim.sample(baseline, n_scenarios=n, seed=2)
    text = summary_table(ds)
    assert "expected vs realized ROI" in text
    assert max(len(line) for line in text.splitlines()) <= 100
    rows = text.split("expected vs realized ROI")[1].splitlines()[3:]
    assert len(rows) == len(baseline.model_sizes)
    for j, row in enumerate(rows):
        cells = row.split()
        exp_mean, real_mean, gap = (float(c) for c in cells[1:4])
        np.testing.assert_allclose(exp_mean, raw.roi_expected.values[:, j].mean(), rtol=1e-3, atol=1e-3)
        np.testing.assert_allclose(real_mean, raw.roi.values[:, j].mean(), rtol=1e-3, atol=1e-3)
        np.testing.assert_allclose(gap, exp_mean - real_mean, atol=2e-3)
        exact = (raw.roi_expected.values[:, j] < 0).mean()
        assert abs(float(cells[5].rstrip("%")) / 100 - exact) < 0.0015  # 0.1% grid + rounding
        assert float(cells[6].rstrip("%")) / 100 == pytest.approx((raw.roi.values[:, j] < 0).mean(), abs=5e-4)
