"""Scenario files that help their writer: ``strategies.NAME.KEY`` overrides,
did-you-mean for table names, how to start from an (almost) empty file, and
plausibility warnings for a percent typed as a whole number."""

from __future__ import annotations

import warnings

import pytest

from sim.scenario.load import from_mapping, load_scenario, parse_toml
from sim.scenario.distributions import Distribution
from sim.vocab.errors import PlausibilityWarning, ScenarioError
from sim.vocab.registry import PARAMETERS, PLAUSIBLE_MAX
from sim.testing.scenarios import make_scenario


def load_text(text: str, tmp_path, **kwargs):
    path = tmp_path / "s.toml"
    path.write_text(text)
    return load_scenario(path, **kwargs)


# ------------------------------------------------- strategies.NAME.KEY overrides

def strategy(sc, name):
    return next(st for st in sc.strategies if st.name == name)


def test_an_override_changes_one_strategy_key():
    sc = load_scenario("strategies", {"strategies.pretrain_premium.market.price_premium": 3.0})
    assert strategy(sc, "pretrain_premium").scenario.values["market.price_premium"] == 3.0
    assert strategy(sc, "pretrain_market").scenario.values["market.price_premium"] == 1.0
    assert sc.values["market.price_premium"] == 1.0


def test_an_override_adds_a_key_the_strategy_did_not_set():
    sc = load_scenario("strategies", {"strategies.pretrain_market.risk.control_share": 0.2})
    assert strategy(sc, "pretrain_market").scenario.values["risk.control_share"] == 0.2
    assert sc.values["risk.control_share"] == 0.05


def test_an_override_changes_one_field_of_a_strategy_distribution():
    sc = load_scenario("strategies", {"strategies.finetune_niche.market.revenue_pool.p95": 3e9})
    pool = strategy(sc, "finetune_niche").scenario.values["market.revenue_pool"]
    assert isinstance(pool, Distribution)
    assert pool.params == {"p5": 1e8, "p95": 3e9}


def test_an_override_of_one_field_starts_from_the_scenario_distribution():
    base = load_scenario("strategies").values["costs.gpu_hour_price"]
    sc = load_scenario("strategies", {"strategies.pretrain_market.costs.gpu_hour_price.p95": 9.0})
    price = strategy(sc, "pretrain_market").scenario.values["costs.gpu_hour_price"]
    assert price.family == base.family and price.params == {**base.params, "p95": 9.0}


def test_unset_gives_a_strategy_the_scenario_value_again():
    sc = load_scenario("strategies", {"strategies.pretrain_premium.market.price_premium": "unset"})
    assert strategy(sc, "pretrain_premium").scenario.values["market.price_premium"] == 1.0


def test_the_stored_scenario_keeps_a_strategy_override():
    from sim.scenario.load import scenario_from_toml_text

    sc = load_scenario("strategies", {"strategies.pretrain_premium.market.price_premium": 3.0,
                                      "strategies.pretrain_premium.description": "three times"})
    again = scenario_from_toml_text(sc.to_toml())
    assert again == sc and strategy(again, "pretrain_premium").description == "three times"


def test_an_unknown_strategy_lists_the_strategies():
    with pytest.raises(ScenarioError, match=r"overrides strategies\.nope\.market\.hype: no strategy named "
                                            r"'nope' in this scenario \(its strategies: pretrain_market, "
                                            r"pretrain_premium, finetune_niche"):
        load_scenario("strategies", {"strategies.nope.market.hype": 2.0})


def test_a_scenario_without_strategies_says_so():
    with pytest.raises(ScenarioError, match=r"no strategy named 'x'.*declares none"):
        load_scenario("baseline", {"strategies.x.market.hype": 2.0})


@pytest.mark.parametrize("key, value, needle", [
    ("strategies.pretrain_premium", 2.0, r"expected strategies\.pretrain_premium\.KEY=VALUE"),
    ("strategies.pretrain_premium.market.price_premium", -1.0, r"expected a number in \(0, 1e\+06\]"),
    ("strategies.pretrain_premium.horizon_years", 3, "a strategy may not change horizon_years"),
    ("strategies.pretrain_premium.markt.hype", 2.0, r"unknown key \(did you mean 'market.hype'\?\)"),
])
def test_a_bad_strategy_override_names_the_override(key, value, needle):
    with pytest.raises(ScenarioError, match=rf"^overrides {key.split('.')[0]}\.pretrain_premium.*: {needle}"):
        load_scenario("strategies", {key: value})


def test_a_problem_in_another_strategy_still_names_the_file(tmp_path):
    text = ('extends = "baseline"\n[strategies.a]\nmarket = { price_premium = -1 }\n'
            '[strategies.b]\n')
    with pytest.raises(ScenarioError, match=r"s\.toml: strategies\.a\.market\.price_premium"):
        load_text(text, tmp_path, overrides={"strategies.b.market.hype": 2.0})


# ------------------------------------------------------------ table names

@pytest.mark.parametrize("text, needle", [
    ('[strategy.x]\nroute = "finetune"\n', r"strategy: unknown table \[strategy\] \(did you mean \[strategies\.x\]\?\)"),
    ("[cost]\ngpu_hour_price = 2\n", r"cost: unknown table \[cost\] \(did you mean \[costs\]\?\)"),
    ("[markets]\nhype = 2\n", r"unknown table \[markets\] \(did you mean \[market\]\?\)"),
    ("[Risk]\ncontrol_share = 0.1\n", r"unknown table \[Risk\] \(did you mean \[risk\]\?\)"),
    ("[[correlations]]\nrho = 0.5\n", r"unknown table \[\[correlations\]\] \(did you mean \[\[correlation\]\]\?\)"),
    ("[zzz]\nx = 1\n", r"unknown table \[zzz\] \(a scenario's tables are \[costs\], .*\[strategies\.NAME\] "
                       r"and \[\[correlation\]\]\)"),
])
def test_a_misspelt_table_gets_the_table_it_may_mean(text, needle, tmp_path):
    with pytest.raises(ScenarioError, match=needle):
        load_text('extends = "baseline"\n' + text, tmp_path)


def test_a_misspelt_key_still_gets_the_key_it_may_mean(tmp_path):
    with pytest.raises(ScenarioError, match=r"costs\.gpu_hour_prize: unknown key \(did you mean "
                                            r"'costs\.gpu_hour_price'\?\)"):
        load_text('extends = "baseline"\n[costs]\ngpu_hour_prize = 2\n', tmp_path)


# ------------------------------------------------------------ how to start

@pytest.mark.parametrize("text", ["", 'name = "mine"\n', "horizon_years = 5\n[market]\nhype = 2\n"])
def test_an_almost_empty_file_says_how_to_start(text, tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_text(text, tmp_path)
    message = str(info.value)
    head, _, listed = message.partition("; missing key(s)")
    assert head.endswith('this file sets few of the required keys: start from a bundled scenario: '
                         'extends = "baseline" (sim scenarios lists them), then set only what differs')
    assert "grid.model_sizes" in listed and "market.token_price_decline" in listed  # then the keys


def test_a_few_missing_keys_are_still_listed():
    flat = make_scenario().to_flat()
    for key in ("market.hype", "market.growth"):
        del flat[key]
    with pytest.raises(ScenarioError, match=r"missing key\(s\): market\.growth, market\.hype"):
        from_mapping(flat)


def test_the_start_message_from_python():
    with pytest.raises(ScenarioError, match="extends = \"baseline\""):
        from_mapping(parse_toml(""))


# ------------------------------------------------------------ plausibility

def _warned(**overrides) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_scenario("baseline", overrides)
    return [str(w.message) for w in caught if issubclass(w.category, PlausibilityWarning)]


@pytest.mark.parametrize("key, value, message", [
    ("finance.discount_rate", 10, "finance.discount_rate = 10: a rate above 1 (1000% a year); did you mean 0.10?"),
    ("risk.control_share", 5, "risk.control_share = 5: a share above 1 (500%); did you mean 0.05?"),
    ("risk.robustness_share", 20, "risk.robustness_share = 20: a share above 1 (2000%); did you mean 0.20?"),
    ("risk.incident_severity", 30, "risk.incident_severity = 30: a share above 1 (3000%); did you mean 0.30?"),
    ("market.growth", 5, "market.growth = 5: a rate above 3 (500% a year); did you mean 0.05?"),
    ("finance.discount_rate", 12.5, "finance.discount_rate = 12.5: a rate above 1 (1250% a year); "
                                    "did you mean 0.125?"),
    ("risk.control_share", 500, "risk.control_share = 500: a share above 1 (50000%); rates and shares are "
                                "fractions (0.10 for 10%)"),
])
def test_a_rate_above_its_plausible_maximum_warns_naming_the_key(key, value, message):
    assert _warned(**{key: value}) == [message]


def test_a_distribution_whose_median_is_implausible_warns():
    found = _warned(**{"finance.discount_rate": {"dist": "uniform", "low": 5, "high": 15}})
    assert found == ["finance.discount_rate has median 10 (uniform(high=15, low=5)): a rate above 1 "
                     "(1000% a year); did you mean a median of 0.10?"]


def test_a_belief_and_a_strategy_key_warn_too():
    assert _warned(**{"expectation.market.growth": 6}) == [
        "expectation.market.growth = 6: a rate above 3 (600% a year); did you mean 0.06?"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_scenario("strategies", {"strategies.low_risk_control.risk.control_share": 4})
    assert any("risk.control_share = 4: a share above 1" in str(w.message) for w in caught
               if issubclass(w.category, PlausibilityWarning))


def test_the_industry_frame_warns_for_its_own_rates():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_scenario("industry", {"industry.fixed_cost_growth": 5, "finance.discount_rate": 8})
    found = sorted(str(w.message) for w in caught if issubclass(w.category, PlausibilityWarning))
    assert found == ["finance.discount_rate = 8: a rate above 1 (800% a year); did you mean 0.08?",
                     "industry.fixed_cost_growth = 5: a rate above 2 (500% a year); did you mean 0.05?"]


@pytest.mark.parametrize("key, value", [("finance.discount_rate", 1.0), ("market.growth", 2.0),
                                        ("risk.control_share", 1.0), ("market.hype", 40.0),
                                        ("market.price_premium", 5.0), ("scaling.experiment_overhead", 9.0)])
def test_plausible_values_and_other_keys_do_not_warn(key, value):
    assert _warned(**{key: value}) == []


def test_no_bundled_scenario_warns():
    from sim.scenario.load import bundled_names

    with warnings.catch_warnings():
        warnings.simplefilter("error", PlausibilityWarning)
        for name in bundled_names():
            load_scenario(name)


def test_the_warned_keys_are_rates_or_shares_whose_bounds_allow_more():
    for key, limit in PLAUSIBLE_MAX.items():
        p = PARAMETERS[key]
        assert p.unit in ("1", "1/year") and p.bounds.upper > limit, key


@pytest.mark.parametrize("key, value, hint", [
    ("costs.serving_cost_decline", 30, "0.30"), ("market.growth", 30, "0.30"),
    ("risk.incident_rate", 5, "0.05"), ("market.token_price_decline", 40, "0.40"),
])
def test_a_rate_refused_above_its_bound_says_did_you_mean(key, value, hint):
    with pytest.raises(ScenarioError, match=rf"{key}: expected .*, got {value} \(a percent typed as a "
                                            rf"whole number\? did you mean {hint}\?\)"):
        load_scenario("baseline", {key: value})
