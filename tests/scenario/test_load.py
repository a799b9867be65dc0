"""Scenario files: parsing, overrides, validation messages, TOML round trip."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sim
from sim.vocab.errors import ScenarioError
from sim.vocab.registry import INDUSTRY_KEYS, PARAMETERS, POWER_LAW_KEYS, STRUCTURAL
from sim.scenario.distributions import Distribution
from sim.scenario.load import parse_assignment, scenario_from_toml_text

from sim.testing.scenarios import BASELINE, CONSTANTS, make_scenario

ROOT = Path(__file__).resolve().parents[2]


def test_baseline_sets_every_key_and_cites_a_source(baseline):
    assert baseline.name == "baseline"
    # Under 6ND the power-law keys are refused (specification section 6).
    # The industry frame's own keys belong to industry files (section 15).
    assert set(baseline.values) == set(PARAMETERS) - set(POWER_LAW_KEYS) - set(INDUSTRY_KEYS)
    lines = BASELINE.read_text().splitlines()
    project = [k for k in list(PARAMETERS) + list(STRUCTURAL)
               if k not in POWER_LAW_KEYS and k not in INDUSTRY_KEYS and k != "frame"
               and not k.startswith("industry.")]
    for key in project:
        leaf = key.split(".")[-1]
        line = next(l for l in lines if re.match(rf"\s*{leaf}\s*=", l))
        assert re.search(r"#\s*\[[A-Za-z0-9-]+\]", line), f"{key}: no cited source in {line!r}"


def test_minimal_file_is_a_complete_scenario(tmp_path):
    """Every key of specification section 1 and nothing else; name = file stem."""
    text = "horizon_years = 5\n"
    for key, value in CONSTANTS.items():
        text += f"{key} = {value!r}\n"
    text += "[grid]\nmodel_sizes = [1e9, 1e10]\nreference_size = 1e9\n"
    path = tmp_path / "mini.toml"
    path.write_text(text)
    sc = sim.load_scenario(path)
    assert sc.name == "mini"
    assert sc.sampled_keys == []


def test_toml_round_trip(baseline):
    again = scenario_from_toml_text(baseline.to_toml())
    assert again == baseline


@pytest.mark.parametrize("text, key, value", [
    ("market.competitors=3", "market.competitors", 3),
    ("costs.gpu_hour_price={dist=\"lognormal\", p5=1, p95=3}", "costs.gpu_hour_price",
     {"dist": "lognormal", "p5": 1, "p95": 3}),
    ("grid.model_sizes=[1e9, 1e10]", "grid.model_sizes", [1e9, 1e10]),
    ("name=my-run", "name", "my-run"),
])
def test_parse_assignment(text, key, value):
    assert parse_assignment(text) == (key, value)


def test_overrides_from_code(baseline):
    sc = sim.load_scenario(BASELINE, overrides={"market.competitors": 3,
                                                "costs.gpu_hour_price.p95": 6.0})
    assert sc.values["market.competitors"] == 3.0
    price = sc.values["costs.gpu_hour_price"]
    assert isinstance(price, Distribution) and price.params["p95"] == 6.0
    assert baseline.values["market.competitors"] != 3.0  # the original is unchanged


@pytest.mark.parametrize("overrides, key, message", [
    ({"market.competitor": 3}, "market.competitor", "did you mean 'market.competitors'"),
    ({"costs.gpu_hour_price": -1}, "costs.gpu_hour_price", "expected a number in (0, 1e+06]"),
    ({"costs.gpu_hour_price": "cheap"}, "costs.gpu_hour_price", "expected a number in (0, 1e+06]"),
    ({"risk.incident_rate": 1.5}, "risk.incident_rate", "expected a number in [0, 1]"),
    ({"performance.deployment_gap": 1.0}, "performance.deployment_gap", "[0, 1)"),
    ({"performance.deployment_gap": {"dist": "uniform", "low": 0.5, "high": 1.0}},
     "performance.deployment_gap", "can draw 1"),
    ({"costs.gpu_hour_price": {"dist": "normal", "mean": 2, "sd": 1}}, "costs.gpu_hour_price",
     "truncate it with min/max"),
    ({"costs.gpu_hour_price": {"dist": "lognormal", "p5": 3, "p95": 1}}, "costs.gpu_hour_price",
     "p5 (3) must be below p95 (1)"),
    ({"grid.model_sizes": [1e9, -1]}, "grid.model_sizes", "positive"),
    ({"grid.reference_size": 0}, "grid.reference_size", "positive"),
    ({"horizon_years": 2.5}, "horizon_years", "integer"),
    ({"market.competitors.mean": 3}, "market.competitors", "unknown field(s) mean for dist 'poisson'"),
    ({"finance.discount_rate.p5": 3}, "finance.discount_rate.p5", "not a distribution"),
])
def test_bad_values_name_the_key(overrides, key, message):
    """The override is blamed, not the file it was applied to."""
    with pytest.raises(ScenarioError) as info:
        sim.load_scenario(BASELINE, overrides=overrides)
    text = str(info.value)
    assert text.startswith(f"overrides {key}: ") and str(BASELINE) not in text
    if message:
        assert message in text


def test_missing_keys_are_listed(tmp_path):
    path = tmp_path / "partial.toml"
    path.write_text("horizon_years = 5\n")
    with pytest.raises(ScenarioError, match="missing key.*grid.model_sizes"):
        sim.load_scenario(path)


def test_malformed_toml_and_missing_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("horizon_years = = 5\n")
    with pytest.raises(ScenarioError, match="malformed TOML"):
        sim.load_scenario(path)
    with pytest.raises(ScenarioError, match="no such scenario file"):
        sim.load_scenario(tmp_path / "nothing.toml")


def test_every_key_is_documented():
    doc = (ROOT / "docs" / "model.md").read_text()
    for key in list(PARAMETERS) + list(STRUCTURAL):
        assert f"`{key}`" in doc, key


def test_scenario_is_immutable(constant_scenario):
    with pytest.raises(TypeError):
        constant_scenario.values["market.hype"] = 3.0
    assert make_scenario().values == constant_scenario.values


# ------------------------------------------------------------ messages name the culprit

@pytest.mark.parametrize("overrides, needle", [
    ({"finance.discount_rate": -1}, "overrides finance.discount_rate: expected a number > -1"),
    ({"market.competitor": 3}, "overrides market.competitor: unknown key"),
    ({"costs.gpu_hour_price.p95": 0.1}, "overrides costs.gpu_hour_price: "),
    ({"scaling.compute_exponent": 2.0}, "overrides scaling.compute_exponent: the scenario computes"),
    ({"horizon_years": 0}, "overrides horizon_years: expected an integer"),
    ({"grid.model_sizes": [1e9, 0]}, "overrides grid.model_sizes: expected positive sizes"),
])
def test_a_bad_override_names_the_override_not_the_file(overrides, needle):
    with pytest.raises(ScenarioError) as info:
        sim.load_scenario(BASELINE, overrides)
    assert needle in str(info.value)
    assert "baseline.toml" not in str(info.value)


def test_a_bad_value_in_the_file_still_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(f'extends = "{BASELINE}"\n[finance]\ndiscount_rate = -1\n')
    with pytest.raises(ScenarioError, match=r"bad\.toml: finance\.discount_rate: expected"):
        sim.load_scenario(path, {"market.competitors": 3})


def test_deep_nesting_huge_integers_and_long_values_give_one_short_message(tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text("name = " + "[" * 2000 + "]" * 2000 + "\n")
    with pytest.raises(ScenarioError, match="nested too deeply"):
        sim.load_scenario(deep)
    with pytest.raises(ScenarioError, match="market.competitors: expected a number >= 0"):
        sim.load_scenario(BASELINE, {"market.competitors": 10**400})
    with pytest.raises(ScenarioError, match="expected a finite number for 'high'"):
        sim.load_scenario(BASELINE, {"market.hype": {"dist": "uniform", "low": 1, "high": 10**400}})
    with pytest.raises(ScenarioError, match="grid.model_sizes") as info:
        sim.load_scenario(BASELINE, {"grid.model_sizes": ["x" * 100_000]})
    assert len(str(info.value)) < 300
