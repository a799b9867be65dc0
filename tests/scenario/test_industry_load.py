"""Industry-frame scenario files (specification section 15): what they read,
what they refuse by name, what they inherit from a project file, and the
bundled `industry` scenario's sources and medians."""

from __future__ import annotations

import math
import re

import pytest

import sim
from sim.scenario.bundled import SCENARIO_DIR, bundled_names, frame_of
from sim.scenario.distributions import Distribution
from sim.scenario.load import from_mapping, scenario_from_toml_text
from sim.vocab.errors import ScenarioError
from sim.vocab.registry import INDUSTRY_KEYS, INDUSTRY_PARAMETERS, PARAMETERS

INDUSTRY_FILES = ["industry", "industry_bubble", "industry_saturation", "industry_price_war",
                  "industry_cheap_compute"]


def industry(**extra):
    return from_mapping({"frame": "industry", "extends": "baseline", "horizon_years": 6, **extra},
                        source=None)


def test_the_industry_files_are_the_industry_frame_s():
    assert [n for n in sorted(bundled_names()) if frame_of(n) == "industry"] == sorted(INDUSTRY_FILES)


def test_the_bundled_industry_scenario_holds_exactly_the_keys_the_frame_reads():
    sc = sim.load_scenario("industry")
    assert sc.industry and sc.frame == "industry"
    assert sc.model_sizes == () and sc.strategies == ()
    assert set(sc.values) == set(INDUSTRY_PARAMETERS)
    assert (sc.horizon_years, sc.start_year, sc.valuation_horizon) == (10, 2023, 5)
    assert sc.active_shares == (0.1,)


@pytest.mark.parametrize("name", INDUSTRY_FILES)
def test_every_industry_file_loads_and_round_trips(name):
    sc = sim.load_scenario(name)
    again = scenario_from_toml_text(sc.to_toml())
    assert again.values == sc.values and again.frame == "industry"
    assert (again.horizon_years, again.start_year, again.active_share) == (
        sc.horizon_years, sc.start_year, sc.active_share)


def test_the_registry_defaults_are_the_bundled_medians():
    sc = sim.load_scenario("industry")
    for key in INDUSTRY_KEYS:
        v = sc.values[key]
        median = float(v.ppf(0.5)) if isinstance(v, Distribution) else float(v)
        assert math.isclose(PARAMETERS[key].default, median, rel_tol=1e-3), key


@pytest.mark.parametrize("name", INDUSTRY_FILES)
def test_every_value_of_the_industry_files_cites_a_defined_source(name):
    text = (SCENARIO_DIR / f"{name}.toml").read_text()
    defined = set(re.findall(r"^#\s+\[([A-Za-z0-9-]+)\]", text, flags=re.M)) | set(
        re.findall(r"^#\s+\[([A-Za-z0-9-]+)\]", (SCENARIO_DIR / "industry.toml").read_text(), flags=re.M))
    for line in text.splitlines():
        if re.match(r"\s*[a-z_]+\s*=", line) and not line.startswith(("extends", "name", "description",
                                                                        "frame")):
            tags = set(re.findall(r"\[([A-Za-z0-9-]+)\]", line.split("#", 1)[-1]))
            assert tags and tags <= defined, line


@pytest.mark.parametrize("key, value", [
    ("grid", {"model_sizes": [1e9, 1e10]}),
    ("route", "finetune"),
    ("scaling", {"data_exponent": 1.0}),
    ("finetune", {"tokens": 1e9}),
    ("market", {"competitors": 5.0}),
    ("strategies", {"a": {"market.hype": 2.0}}),
])
def test_keys_the_frame_does_not_read_are_refused_by_name(key, value):
    with pytest.raises(ScenarioError, match="would not be used") as info:
        industry(**{key: value})
    assert key in str(info.value)


def test_believed_parameters_are_refused_with_the_frame_s_own_beliefs_named():
    with pytest.raises(ScenarioError, match="believed parameters.*initial_growth"):
        industry(expectation={"market": {"competitors": 12.0}})


def test_an_industry_file_inherits_the_shared_keys_not_the_project_s_own():
    sc = industry()
    base = sim.load_scenario("baseline")
    for key in ("costs.gpu_hour_price", "market.token_price", "risk.incident_rate", "market.hype"):
        assert sc.values[key] == base.values[key], key
    assert "market.competitors" not in sc.values and sc.model_sizes == ()


def test_an_override_of_an_unused_key_names_the_override():
    with pytest.raises(ScenarioError, match="overrides.*grid.model_sizes"):
        sim.load_scenario("industry", {"grid.model_sizes": [1e9]})


def test_one_active_share_under_the_industry_frame():
    with pytest.raises(ScenarioError, match="one number"):
        industry(grid={"active_share": [0.1, 0.2]})
    with pytest.raises(ScenarioError, match="a share, not a percent"):
        industry(grid={"active_share": 10})


def test_structural_integers_are_checked():
    with pytest.raises(ScenarioError, match="industry.valuation_horizon.*integer from 1 to 50"):
        industry(industry={"valuation_horizon": 0})
    with pytest.raises(ScenarioError, match="industry.start_year"):
        industry(industry={"start_year": 2023.5})


def test_a_project_file_refuses_the_industry_keys():
    with pytest.raises(ScenarioError, match='read only under frame = "industry"'):
        sim.load_scenario("baseline", {"industry.entry_speed": 0.5})


def test_a_strategy_cannot_change_the_frame():
    with pytest.raises(ScenarioError, match="may not change frame"):
        from_mapping({"extends": "baseline", "strategies": {"x": {"frame": "industry"}}})


def test_an_unknown_frame_is_named():
    with pytest.raises(ScenarioError, match='frame.*"project" or "industry"'):
        sim.load_scenario("baseline", {"frame": "market"})
