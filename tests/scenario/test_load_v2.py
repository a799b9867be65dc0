"""Scenario files of model v2: structural keys, the keys each route and
compute rule need, infinite stocks, v1 files unchanged, bundled v2 files."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import sim
from sim.vocab.errors import ScenarioError
from sim.scenario.plan import build_plan
from sim.vocab.registry import (
    CHOICES,
    FINETUNE_KEYS,
    INDUSTRY_KEYS,
    N_PARAMETERS,
    PARAMETERS,
    POWER_LAW_KEYS,
    STRUCTURAL,
    V3_KEYS,
    index,
)
from sim.scenario.bundled import frame_of
from sim.scenario.distributions import Distribution
from sim.scenario.load import (
    SCENARIO_DIR,
    bundled_names,
    flatten,
    parse_assignment,
    parse_toml,
    scenario_from_toml_text,
)

from sim.testing.scenarios import BASELINE, V2_SCENARIOS, make_scenario

DATA = Path(__file__).parents[1] / "data"
V1_FILES = sorted(DATA.glob("*_v1.toml"))
V1_KEYS = list(PARAMETERS)[:33]  # the registry of model v1, in its order
V2_KEYS = list(PARAMETERS)[33:50]  # then model v3's (tests/kernels/test_model_v3.py)
FINETUNE_REQUIRED = [k for k in FINETUNE_KEYS if PARAMETERS[k].default is None]
TAG = re.compile(r"#\s*\[([A-Za-z0-9-]+)\]")

#: Every fine-tuning key as a constant (specification section 6, indicative values).
FINETUNE_CONSTANTS = {
    "finetune.base_tokens_per_param": 200.0,
    "finetune.tokens": 1e9,
    "finetune.compute_share": 0.7,
    "finetune.data_price_per_token": 1e-5,
    "finetune.fixed_cost_at_reference": 1e6,
    "finetune.domain_gain": 0.2,
}


def _table(text: str, section: str) -> str:
    """The lines of one ``[section]`` table of a TOML file."""
    return re.split(rf"^\[{section}\]\s*$", text, maxsplit=1, flags=re.M)[1].split("\n[", 1)[0]


def _error(path=BASELINE, **kwargs) -> str:
    with pytest.raises(ScenarioError) as info:
        sim.load_scenario(path, **kwargs)
    return str(info.value)


# ------------------------------------------------------------------ registry
def test_v1_positions_do_not_move_and_v2_keys_are_appended():
    assert V1_KEYS[0] == "finance.discount_rate" and V1_KEYS[-1] == "market.hype"
    assert [PARAMETERS[k].index for k in PARAMETERS] == list(range(N_PARAMETERS))
    assert all(PARAMETERS[k].default is None for k in V1_KEYS)
    assert V2_KEYS == [
        "finetune.base_tokens_per_param", "finetune.tokens", "finetune.compute_share",
        "finetune.data_price_per_token", "finetune.fixed_cost_at_reference",
        "finetune.domain_gain", "finetune.license_cost", "market.price_premium",
        "market.price_sensitivity", "scaling.data_stock", "scaling.repeat_horizon",
        "costs.cluster_gpus", "risk.robustness_share", "risk.robustness_effectiveness",
        "risk.compliance_cost", "risk.compliance_threshold", "expectation.learning_rate"]


def test_v2_defaults_are_the_v1_meaning():
    defaults = {k: PARAMETERS[k].default for k in V2_KEYS if PARAMETERS[k].default is not None}
    assert defaults == {
        "finetune.license_cost": 0.0, "market.price_premium": 1.0,
        "market.price_sensitivity": 0.0, "scaling.data_stock": math.inf,
        "scaling.repeat_horizon": 15.4, "costs.cluster_gpus": math.inf,
        "risk.robustness_share": 0.0, "risk.robustness_effectiveness": 0.0,
        "risk.compliance_cost": 0.0, "risk.compliance_threshold": 1e25,
        "expectation.learning_rate": 0.5}
    assert FINETUNE_REQUIRED == list(FINETUNE_CONSTANTS)
    for key in V2_KEYS:
        p = PARAMETERS[key]
        assert p.symbol and p.unit and p.meaning, key
        if p.default is not None:
            assert p.bounds.contains(p.default), key


# ------------------------------------------------------------------ structural keys
def test_structural_keys_have_defaults_and_the_baseline_sets_them(baseline):
    assert baseline.route == "pretrain" and baseline.compute_rule == "6ND"
    v1 = sim.load_scenario(DATA / "baseline_v1.toml")
    assert v1.route == "pretrain" and v1.compute_rule == "power"
    assert make_scenario().route == "pretrain" and make_scenario().compute_rule == "power"
    assert set(CHOICES) <= set(STRUCTURAL)


@pytest.mark.parametrize("text, key, value", [
    ("route=finetune", "route", "finetune"),
    ('route="pretrain"', "route", "pretrain"),
    ("scaling.compute_rule=6ND", "scaling.compute_rule", "6ND"),
    ("scaling.compute_exponent=unset", "scaling.compute_exponent", "unset"),
])
def test_structural_assignments_read_as_plain_strings(text, key, value):
    assert parse_assignment(text) == (key, value)


def test_route_override_on_the_baseline(baseline):
    ft = sim.load_scenario(BASELINE, overrides=dict([parse_assignment("route=finetune")]))
    assert ft.route == "finetune" and ft.compute_rule == "6ND"
    assert ft.sampled_keys == baseline.sampled_keys  # both routes share random numbers
    assert baseline.with_overrides({"route": "finetune"}) == ft
    assert ft.with_overrides({"route": "pretrain"}) == baseline


def test_compute_rule_override_from_code():
    v1 = DATA / "baseline_v1.toml"
    sc = sim.load_scenario(v1, overrides={"scaling.compute_rule": "6ND",
                                          "scaling.compute_exponent": "unset",
                                          "scaling.flops_at_reference": "unset"})
    assert sc.compute_rule == "6ND"
    assert not set(POWER_LAW_KEYS) & set(sc.values)
    assert not set(POWER_LAW_KEYS) & set(sc.sampled_keys)


@pytest.mark.parametrize("key, value", [
    ("route", "train"), ("route", "Finetune"), ("route", 3), ("route", True),
    ("route", {"dist": "choice", "values": [0, 1]}),
    ("scaling.compute_rule", "6nd"), ("scaling.compute_rule", "chinchilla"),
    ("scaling.compute_rule", 6.0), ("scaling.compute_rule", ["power"]),
])
def test_bad_structural_values_name_the_key_and_the_choices(key, value):
    text = _error(overrides={key: value})
    allowed = CHOICES[key][0]
    assert f"overrides {key}: expected" in text and str(BASELINE) not in text
    assert all(f'"{a}"' in text for a in allowed), text
    assert "never a distribution" in text


def test_structural_key_in_a_file(tmp_path):
    path = tmp_path / "child.toml"
    path.write_text('extends = "baseline"\nroute = "finetune"\n[scaling]\ncompute_rule = "6ND"\n')
    sc = sim.load_scenario(path)
    assert sc.route == "finetune" and sc.compute_rule == "6ND"
    path.write_text('extends = "baseline"\nroute = "finetun"\n')
    assert f"{path}: route: expected" in _error(path)


# ------------------------------------------------------------------ compute rule
def test_6nd_refuses_the_power_law_keys_by_name():
    text = _error(DATA / "baseline_v1.toml", overrides={"scaling.compute_rule": "6ND"})
    assert "scaling.compute_rule" in text
    assert "scaling.compute_exponent, scaling.flops_at_reference" in text
    assert "would not be used" in text and '"unset"' in text


@pytest.mark.parametrize("key", POWER_LAW_KEYS)
def test_6nd_names_each_power_law_key_that_is_set(key):
    text = _error(overrides={key: 2.0})
    assert f"overrides {key}: " in text and 'compute_rule = "6ND"' in text
    other = next(k for k in POWER_LAW_KEYS if k != key)
    assert other not in text


def test_power_requires_the_power_law_keys_by_name():
    text = _error(overrides={"scaling.compute_rule": "power"})
    assert "overrides scaling.compute_rule:" in text
    assert 'compute_rule = "power" needs scaling.compute_exponent, scaling.flops_at_reference' in text
    sc = sim.load_scenario(BASELINE, overrides={"scaling.compute_rule": "power",
                                                "scaling.compute_exponent": 2.0,
                                                "scaling.flops_at_reference": 1.21e20})
    assert sc.compute_rule == "power" and sc.values["scaling.compute_exponent"] == 2.0


def test_a_child_of_a_power_law_file_switches_to_6nd_with_unset(tmp_path):
    parent = tmp_path / "seed.toml"
    shutil.copy(SCENARIO_DIR / "bert_seed.toml", parent)
    (tmp_path / "baseline.toml").write_bytes(BASELINE.read_bytes())
    child = tmp_path / "child.toml"
    child.write_text('extends = "seed.toml"\n[scaling]\ncompute_rule = "6ND"\n')
    text = _error(child)
    assert f"{child}: scaling.compute_rule:" in text
    assert "scaling.compute_exponent, scaling.flops_at_reference" in text
    child.write_text('extends = "seed.toml"\n[scaling]\ncompute_rule = "6ND"\n'
                     'compute_exponent = "unset"\nflops_at_reference = "unset"\n')
    sc = sim.load_scenario(child)
    assert sc.compute_rule == "6ND" and not set(POWER_LAW_KEYS) & set(sc.values)
    assert sc.values["scaling.data_exponent"] == 2.0  # the rest is inherited
    again = sim.load_scenario(parent, overrides={"scaling.compute_rule": "6ND",
                                                 "scaling.compute_exponent": "unset",
                                                 "scaling.flops_at_reference": "unset"})
    assert dict(again.values) == dict(sc.values)


def test_unset_restores_a_default_and_a_required_key_goes_missing(baseline):
    sc = sim.load_scenario("bert_seed", overrides={"scaling.data_stock": "unset"})
    assert sc.values["scaling.data_stock"] == math.inf  # the default, not the baseline's
    sc = sim.load_scenario(BASELINE, overrides={"scaling.data_stock": "unset"})
    assert sc.values["scaling.data_stock"] == math.inf
    text = _error(overrides={"market.hype": "unset"})
    assert "missing key(s): market.hype" in text
    text = _error(overrides={"name": "unset", "costs.gpu_hour_price": "cheap"})
    assert "costs.gpu_hour_price" in text  # only parameter and choice keys can be unset
    sc = sim.load_scenario(BASELINE, overrides={"market.hype": np.float64(2.0)})
    assert sc.values["market.hype"] == 2.0
    text = _error(overrides={"grid.model_sizes": np.array([1e9, 1e10])})  # no ambiguous ==
    assert "grid.model_sizes: expected a non-empty list" in text


# ------------------------------------------------------------------ route
def test_finetune_requires_its_keys_by_name(constant_scenario):
    text = _error(DATA / "baseline_v1.toml", overrides={"route": "finetune"})
    assert "overrides route:" in text
    assert ", ".join(FINETUNE_REQUIRED) in text
    assert "finetune.license_cost" not in text  # it has a default
    some = dict(list(FINETUNE_CONSTANTS.items())[:4])
    text = _error(DATA / "baseline_v1.toml", overrides={"route": "finetune", **some})
    assert "finetune.fixed_cost_at_reference, finetune.domain_gain (missing" in text
    assert not any(k in text for k in some)


def test_finetune_with_every_key_loads_and_license_defaults_to_zero():
    sc = make_scenario(route="finetune", **{k.replace(".", "__"): v
                                            for k, v in FINETUNE_CONSTANTS.items()})
    assert sc.route == "finetune" and sc.compute_rule == "power"
    assert sc.values["finetune.license_cost"] == 0.0
    for key, value in FINETUNE_CONSTANTS.items():
        assert sc.values[key] == value
    assert scenario_from_toml_text(sc.to_toml()) == sc


def test_finetune_keys_are_allowed_and_kept_under_pretrain():
    sc = make_scenario(**{k.replace(".", "__"): v for k, v in FINETUNE_CONSTANTS.items()})
    assert sc.route == "pretrain"
    assert all(sc.values[k] == v for k, v in FINETUNE_CONSTANTS.items())
    assert sc.with_overrides({"route": "finetune"}).route == "finetune"


def test_finetune_keys_are_validated_under_pretrain_too():
    text = _error(overrides={"finetune.domain_gain": 1.0})
    assert "finetune.domain_gain: expected a number in [0, 1)" in text
    text = _error(overrides={"finetune.compute_share": 0.0})
    assert "finetune.compute_share: expected a number in (0, 1]" in text


def test_a_missing_ordinary_key_is_reported_as_before(tmp_path):
    path = tmp_path / "partial.toml"
    path.write_text('horizon_years = 5\nroute = "finetune"\n')
    text = _error(path)
    assert "missing key(s): grid.model_sizes, grid.reference_size, finance.discount_rate" in text
    assert "finetune.tokens" in text  # everything the route needs is listed too


# ------------------------------------------------------------------ infinite values
@pytest.mark.parametrize("key", ["scaling.data_stock", "costs.cluster_gpus"])
def test_inf_is_accepted_for_the_data_stock_and_the_cluster(key, tmp_path):
    sc = sim.load_scenario(BASELINE, overrides={key: math.inf})
    assert sc.values[key] == math.inf
    section, leaf = key.split(".")
    path = tmp_path / "unlimited.toml"
    path.write_text(f'extends = "baseline"\n[{section}]\n{leaf} = inf\n')
    from_file = sim.load_scenario(path)
    assert from_file.values[key] == math.inf
    assert f"{leaf} = inf" in from_file.to_toml()
    assert scenario_from_toml_text(from_file.to_toml()) == from_file
    theta = build_plan(from_file).theta
    assert theta[index(key)] == math.inf
    key_, value = parse_assignment(f"{key}=inf")
    assert sim.load_scenario(BASELINE, overrides={key_: value}).values[key] == math.inf


@pytest.mark.parametrize("key, value", [
    ("scaling.data_stock", -math.inf), ("scaling.data_stock", math.nan),
    ("costs.cluster_gpus", -math.inf), ("costs.cluster_gpus", 0.0),
])
def test_the_stock_and_cluster_refuse_other_non_finite_or_bad_values(key, value):
    text = _error(overrides={key: value})
    assert key in text and "expected a number > 0 or inf" in text


@pytest.mark.parametrize("key", ["scaling.repeat_horizon", "risk.compliance_threshold",
                                 "risk.compliance_cost", "finetune.license_cost",
                                 "market.price_premium", "costs.gpu_hour_price",
                                 "market.revenue_pool", "finetune.tokens"])
def test_inf_is_refused_everywhere_else(key):
    text = _error(overrides={key: math.inf})
    assert f"{key}: expected" in text and "or inf" not in text
    text = _error(overrides={key: math.nan})
    assert f"{key}: expected" in text


def test_a_distribution_cannot_hold_inf():
    text = _error(overrides={"scaling.data_stock": {"dist": "choice", "values": [1e14, math.inf]}})
    assert "scaling.data_stock" in text and "finite" in text


# ------------------------------------------------------------------ v1 files
@pytest.mark.parametrize("path", V1_FILES, ids=lambda p: p.stem)
def test_a_v1_file_loads_with_the_v1_default_of_every_new_key(path):
    sc = sim.load_scenario(path)
    assert (sc.route, sc.compute_rule) == ("pretrain", "power")
    for key in V2_KEYS:
        default = PARAMETERS[key].default
        if default is None:
            assert key not in sc.values, key  # a fine-tuning key, unused under pretrain
        else:
            assert sc.values[key] == default, key
    assert set(sc.values) == (set(V1_KEYS) | {k for k in V2_KEYS if PARAMETERS[k].default is not None}
                              | set(V3_KEYS))
    assert all(sc.values[k] == PARAMETERS[k].default for k in V3_KEYS)
    assert scenario_from_toml_text(sc.to_toml()) == sc


@pytest.mark.parametrize("path", V1_FILES, ids=lambda p: p.stem)
def test_a_v1_file_gives_the_v1_parameter_vector(path):
    """Same sampled keys in the same order (so the same uniforms), the same
    encodings, the same constants at the same positions; the new entries
    hold the v1 defaults, or NaN for the fine-tuning keys nobody reads."""
    raw = flatten(parse_toml(path.read_text()))
    plan = build_plan(sim.load_scenario(path))
    sampled = [k for k in V1_KEYS if isinstance(raw[k], dict)]
    assert list(plan.sampled_keys) == sampled
    assert plan.target.tolist() == [index(k) for k in sampled]
    assert plan.n_dims == len(sampled) + int(raw["horizon_years"])
    for d, key in enumerate(sampled):
        code, par, lo, span, table, n_table = Distribution.parse(raw[key]).encode()
        assert plan.family[d] == code and np.array_equal(plan.par[d], par), key
        assert (plan.lo[d], plan.span[d], plan.n_table[d]) == (lo, span, n_table), key
        assert np.array_equal(plan.table[plan.offset[d]:plan.offset[d] + len(table)], table), key
    for key in V1_KEYS:
        if key not in sampled:
            assert plan.theta[index(key)] == float(raw[key]), key
    for key in V2_KEYS:
        default = PARAMETERS[key].default
        x = plan.theta[index(key)]
        assert math.isnan(x) if default is None else x == default, key
    assert (plan.route, plan.compute_rule) == ("pretrain", "power")


@pytest.mark.parametrize("name", ["baseline_v1_random", "price_war_v1_random",
                                  "bert_seed_v1_random"])
def test_a_v1_file_samples_what_the_frozen_v1_run_sampled(name):
    scenario = name.rsplit("_", 1)[0]
    plan = build_plan(sim.load_scenario(DATA / f"{scenario}.toml"))
    with xr.open_dataset(DATA / f"{name}.nc") as frozen:
        assert ", ".join(plan.sampled_keys) == frozen.attrs["sampled_parameters"]
        assert plan.n_dims == frozen.attrs["n_dims"]


# ------------------------------------------------------------------ the plan
def _project_bundled() -> list[str]:
    """The bundled scenarios of the project frame (industry files: test_industry_load.py)."""
    return [n for n in bundled_names() if frame_of(n) == "project"]


def _scenarios_to_plan():
    for name in _project_bundled():
        sc = sim.load_scenario(name)
        yield sc
        other = "pretrain" if sc.route == "finetune" else "finetune"
        yield sc.with_overrides({"route": other})
    for path in V1_FILES:
        yield sim.load_scenario(path)


@pytest.mark.parametrize("sc", list(_scenarios_to_plan()),
                         ids=lambda sc: f"{sc.name}-{sc.route}-{sc.compute_rule}")
def test_nan_only_where_the_route_and_rule_read_nothing(sc):
    plan = build_plan(sc)
    assert (plan.route, plan.compute_rule) == (sc.route, sc.compute_rule)
    absent = {k for k in PARAMETERS if k not in sc.values}
    not_read = set()
    if sc.compute_rule == "6ND":
        not_read |= set(POWER_LAW_KEYS)
    if sc.route == "pretrain":
        not_read |= set(FINETUNE_KEYS)
    not_read |= set(INDUSTRY_KEYS)  # read only under frame = "industry" (section 15)
    assert absent <= not_read, absent - not_read
    nan = {k for k in PARAMETERS if math.isnan(plan.theta[index(k)])}
    assert nan == absent | set(plan.sampled_keys)


def test_correlating_a_key_that_is_not_set_is_a_clear_error():
    text = _error(overrides={"correlation(scaling.compute_exponent, market.hype)": 0.3})
    assert "'scaling.compute_exponent' is not set in this scenario" in text


# ------------------------------------------------------------------ round trips
@pytest.mark.parametrize("name", ["baseline", "bert_seed", "finetune", "data_wall"])
def test_v2_scenarios_round_trip_through_toml(name):
    sc = sim.load_scenario(name)
    text = sc.to_toml()
    assert f'route = "{sc.route}"' in text and f'compute_rule = "{sc.compute_rule}"' in text
    again = scenario_from_toml_text(text)
    assert again == sc
    assert (again.route, again.compute_rule) == (sc.route, sc.compute_rule)
    switched = sc.with_overrides({"route": "finetune" if sc.route == "pretrain" else "pretrain"})
    assert scenario_from_toml_text(switched.to_toml()) == switched


def test_the_resolved_baseline_sets_no_power_law_key(baseline):
    flat = flatten(parse_toml(baseline.to_toml()))
    assert not set(POWER_LAW_KEYS) & set(flat)
    assert flat["scaling.compute_rule"] == "6ND" and flat["route"] == "pretrain"


# ------------------------------------------------------------------ bundled scenarios
NEW_BUNDLED = {"finetune", "data_wall"}


def test_the_v2_scenarios_are_bundled():
    assert NEW_BUNDLED <= set(bundled_names())


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_scenario_loads(name):
    sc = sim.load_scenario(name)
    assert sc.name == name and len(sc.description) > 20
    build_plan(sc)


def test_the_baseline_cites_a_source_for_every_key_it_sets(baseline):
    lines = BASELINE.read_text().splitlines()
    defined = set(TAG.findall(BASELINE.read_text()))
    # The industry frame's structural keys belong to industry files (section 15).
    keys = [k for k in STRUCTURAL if k != "frame" and not k.startswith("industry.")] + list(baseline.values)
    for key in keys:
        leaf = key.split(".")[-1]
        section = key.split(".")[0] if "." in key else None
        text = BASELINE.read_text()
        body = _table(text, section) if section else text
        line = [l for l in body.splitlines() if re.match(rf"\s*{leaf}\s*=", l)]
        assert len(line) == 1, key
        assert TAG.search(line[0]) and set(TAG.findall(line[0])) <= defined, \
            f"{key}: no cited source in {line[0]!r}"
    assert set(baseline.values) == set(PARAMETERS) - set(POWER_LAW_KEYS) - set(INDUSTRY_KEYS)
    assert not any(re.match(rf"\s*{k.split('.')[-1]}\s*=", l) for l in lines for k in POWER_LAW_KEYS)


@pytest.mark.parametrize("name", sorted(set(_project_bundled()) - {"baseline"}))
def test_bundled_files_cite_each_change_and_change_something(name, baseline):
    """As in test_bundled.py, for every bundled file, with keys the baseline
    does not hold (bert_seed's power law) counting as changes."""
    path = SCENARIO_DIR / f"{name}.toml"
    text = path.read_text()
    assert re.search(r'^extends = "baseline.toml"$', text, re.M)
    defined = set(TAG.findall(BASELINE.read_text())) | set(
        re.findall(r"^#\s+\[([A-Za-z0-9-]+)\]", text, re.M))
    raw = flatten(parse_toml(text))
    sc = sim.load_scenario(path)
    for st in sc.strategies:  # each strategy's overrides cite a source, line by line
        body = _table(text, re.escape(f"strategies.{st.name}"))
        for line in body.splitlines():
            if "=" in line and not line.lstrip().startswith(("#", "description")):
                assert TAG.search(line) and set(TAG.findall(line)) <= defined, \
                    f"{name}: strategy {st.name} cites no defined source in {line!r}"
    for key in set(raw) - {"extends", "name", "description", "correlation", "strategies"}:
        leaf = key.split(".")[-1]
        # Its table: [section], or [expectation.section] for a belief key.
        section = key.rsplit(".", 1)[0] if key.count(".") >= 2 else key.split(".")[0]
        body = _table(text, re.escape(section)) if "." in key else text
        lines = [l for l in body.splitlines() if re.match(rf"\s*{leaf}\s*=", l)]
        assert len(lines) == 1, key
        tags = TAG.findall(lines[0])
        assert tags and set(tags) <= defined, f"{name}: {key} cites no defined source"
        if key in PARAMETERS:
            assert sc.values[key] != baseline.values.get(key), f"{name}: {key} repeats the baseline"
        elif key in CHOICES:
            assert getattr(sc, "route" if key == "route" else "compute_rule") == raw[key]


def test_bundled_v2_scenarios_say_what_they_mean(baseline_v2):
    ft = sim.load_scenario(V2_SCENARIOS / "finetune.toml")
    assert ft.route == "finetune"
    assert all(isinstance(ft.values[k], (float, Distribution)) for k in FINETUNE_REQUIRED)
    pool = lambda sc: sc.values["market.revenue_pool"].params["p95"]
    assert pool(ft) < pool(baseline_v2) / 10  # a niche, not the frontier
    assert ft.values["market.competitors"].mean() < baseline_v2.values["market.competitors"].mean()
    assert max(ft.model_sizes) <= 7e10

    wall = sim.load_scenario(V2_SCENARIOS / "data_wall.toml")
    a = wall.values["scaling.data_exponent"].params["mean"]
    d_ref = wall.values["scaling.tokens_at_reference"]
    stock = wall.values["scaling.data_stock"]
    tokens = {n: d_ref * (n / wall.reference_size) ** a for n in wall.model_sizes}
    assert tokens[1e12] > stock.ppf(0.95) and tokens[3e11] > stock.ppf(0.5) > tokens[1e11]
    base_stock = baseline_v2.values["scaling.data_stock"]
    base_tokens = baseline_v2.values["scaling.tokens_at_reference"] * 1e3  # 1T at a = 1
    assert base_tokens < base_stock.ppf(0.05)  # in the baseline_v2, the stock never binds at the median a
    assert stock.ppf(0.5) <= base_stock.ppf(0.05)  # the low end of Villalobos' interval

    seed = sim.load_scenario(V2_SCENARIOS / "bert_seed.toml")
    assert seed.compute_rule == "power"
    assert (seed.values["scaling.data_exponent"], seed.values["scaling.compute_exponent"]) == (2.0, 2.5)
    assert seed.values["scaling.flops_at_reference"] == 6 * 1.1e8 * 2.2e9


def test_rivals_are_consistent_with_the_frontier(baseline_v2):
    """A rival's 6ND run (with the scenario's data rule, at the median
    exponent) lies between the 1e25 FLOP that defines a rival and the 2025
    frontier (2e26-5e26 FLOP), in the baseline_v2 and in data_wall."""
    for sc in (baseline_v2, sim.load_scenario(V2_SCENARIOS / "data_wall.toml")):
        size = sc.values["market.competitor_size"]
        a = sc.values["scaling.data_exponent"].params["mean"]
        d_ref = sc.values["scaling.tokens_at_reference"]
        flops = lambda n, d_ref=d_ref, sc=sc, a=a: 6 * n * d_ref * (n / sc.reference_size) ** a
        assert 0.8e25 <= flops(size.ppf(0.05)) <= 1.5e25, sc.name
        assert 4e26 <= flops(size.ppf(0.95)) <= 6e26, sc.name
        assert 2e25 <= flops(size.ppf(0.5)) <= 2e26, sc.name


def test_baseline_token_price_decline_starts_at_the_sources_low_end(baseline_v2):
    decline = baseline_v2.values["market.token_price_decline"]
    low, high = decline.support()
    assert low == pytest.approx(1 - 1 / 9, abs=2e-3) and high == pytest.approx(1 - 1 / 900, abs=2e-4)
    for name in ("cooling", "price_war"):  # faster than the baseline_v2, as their stories say
        faster = sim.load_scenario(V2_SCENARIOS / f"{name}.toml").values["market.token_price_decline"]
        assert faster.ppf(0.5) > decline.ppf(0.5), name
