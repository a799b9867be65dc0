"""Fuzzing: any scenario file, override or sweep ends in a result or in one
clear error, never in a traceback or a hang.

Hypothesis mutates the bundled scenarios (wrong types, missing and extra
keys, NaN and infinity, huge and tiny numbers, empty lists, deep nesting,
long strings, distribution tables with wrong fields, every v2 key, the
investors' ``[expectation]`` keys, ``[decision]`` and ``[strategies.NAME]``
tables) and also feeds raw bytes (non-UTF-8, truncated TOML). Half the mutations keep a key
within its bounds (at them, or scaled by powers of ten), so that many
examples get past validation and run the model at its extremes. The suites are bounded
(``max_examples`` below) and derandomized, so CI is fast and a failure
reproduces. Example counts: 150 files through ``sim.load_scenario``, 40 raw
byte strings, 25 files through ``sim run``, 40 ``--set`` overrides, 20
``sim sweep`` calls.
"""

from __future__ import annotations

import math
import string
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.cli.main import cli
from sim.vocab.errors import SimError
from sim.vocab.registry import BELIEF, CHOICES, PARAMETERS, STRATEGIES, STRUCTURAL, believable
from sim.scenario.load import SCENARIO_DIR, flatten, resolve_extends, toml_value

FUZZ = dict(derandomize=True, deadline=None, database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _resolved(name: str) -> dict:
    """A bundled scenario's flat keys with its ``extends`` chain merged in (the
    mutated copy is written elsewhere, where a relative parent is not found)."""
    path = SCENARIO_DIR / f"{name}.toml"
    flat = resolve_extends(flatten(tomllib.loads(path.read_text())), str(path))
    flat.pop("extends", None)
    return flat


BASES = {name: _resolved(name) for name in ("baseline", "finetune", "data_wall", "bert_seed",
                                            "cooling", "strategies", "regulated", "price_war")}
BELIEVED = [f"{BELIEF}.{k}" for k in sorted(PARAMETERS) if believable(k)]
KEYS = (sorted(PARAMETERS) + sorted(STRUCTURAL) + BELIEVED
        + ["name", "description", "extends", "correlation", STRATEGIES, f"{BELIEF}.incidents"])
FIELDS = ["dist", "mean", "sd", "p5", "p95", "median", "sigma", "low", "mode", "high", "a", "b",
          "lam", "shift", "p", "values", "weights", "min", "max", "bogus"]
DISTS = ["normal", "lognormal", "uniform", "triangular", "pert", "beta", "poisson", "bernoulli",
         "choice", "weird"]

numbers = st.one_of(
    st.integers(min_value=-10**30, max_value=10**30),
    st.integers(min_value=10**300, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 0.5, 1e-300, 1e300, -1e300, 5e-324, 1.7976931348623157e308]),
)
texts = st.one_of(st.text(max_size=20), st.just("x" * 10_000), st.sampled_from(list(CHOICES["route"][0])
                  + list(CHOICES["scaling.compute_rule"][0]) + ["unset", "baseline"]))
scalars = st.one_of(numbers, texts, st.booleans())
dist_tables = st.fixed_dictionaries(
    {"dist": st.sampled_from(DISTS)},
    optional={f: st.one_of(numbers, st.lists(numbers, max_size=4), texts) for f in FIELDS[1:]})


def _nested(depth: int):
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(FIELDS), inner, max_size=3)),
        max_leaves=depth)


values = st.one_of(scalars, dist_tables, st.lists(numbers, max_size=5), st.just([]), _nested(8),
                   st.integers(min_value=1, max_value=60).map(lambda d: _deep(d)))


def _deep(depth: int):
    v = [1.0]
    for _ in range(depth):
        v = [v]
    return v


def _in_bounds(key: str):
    """Numbers a key accepts, from its bounds to far inside: the valid but
    extreme values that make the model work hardest."""
    b = PARAMETERS[key].bounds
    lo = b.lower if math.isfinite(b.lower) else -1e300
    hi = b.upper if math.isfinite(b.upper) else 1e300
    edges = [x for x in (lo, hi) if (x != lo or not b.lower_open) and (x != hi or not b.upper_open)]
    inside = st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False,
                       exclude_min=b.lower_open, exclude_max=b.upper_open)
    return st.one_of(inside, st.sampled_from(edges)) if edges else inside


plausible = st.sampled_from(sorted(PARAMETERS)).flatmap(
    lambda k: st.tuples(st.just("set"), st.just(k), _in_bounds(k)))
believed = st.sampled_from([k for k in sorted(PARAMETERS) if believable(k)]).flatmap(
    lambda k: st.tuples(st.just("set"), st.just(f"{BELIEF}.{k}"), _in_bounds(k)))
#: A strategy's override: (strategy name, key, value), the key any scenario
#: key (some of which a strategy may not change) or its description.
strategy_edit = st.tuples(
    st.just("strategy"),
    st.one_of(st.sampled_from(["pretrain_market", "finetune_niche", "new_one"]),
              st.text(max_size=8)),
    st.tuples(st.sampled_from(KEYS + ["description"]),
              st.one_of(values, st.sampled_from(sorted(PARAMETERS)).flatmap(_in_bounds))))
scaled = st.tuples(st.just("scale"), st.sampled_from(sorted(PARAMETERS)),
                   st.integers(min_value=-30, max_value=30))

mutation = st.one_of(
    plausible, scaled, plausible, believed, strategy_edit,
    st.tuples(st.just("set"), st.sampled_from(KEYS), values),
    st.tuples(st.just("drop"), st.sampled_from(KEYS), st.none()),
    st.tuples(st.just("extra"), st.text(alphabet=string.ascii_lowercase + "._", min_size=1,
                                        max_size=20), scalars),
    st.tuples(st.just("field"), st.sampled_from(sorted(PARAMETERS)),
              st.tuples(st.sampled_from(FIELDS), st.one_of(numbers, texts))),
)


def _mutated(base: str, mutations) -> dict:
    flat = dict(BASES[base])
    for kind, key, value in mutations:
        if kind == "strategy":  # key: the strategy's name; value: (scenario key, value)
            table = flat.get(STRATEGIES)
            table = {k: flatten(v) if isinstance(v, dict) else v
                     for k, v in (table.items() if isinstance(table, dict) else [])}
            entry = table.get(key)
            table[key] = {**(entry if isinstance(entry, dict) else {}), value[0]: value[1]}
            flat[STRATEGIES] = table
        elif kind == "drop":
            flat.pop(key, None)
        elif kind == "scale":  # a constant, or every number of a distribution, times 10^k
            current = flat.get(key)
            if isinstance(current, (int, float)) and not isinstance(current, bool):
                flat[key] = current * 10.0**value
            elif isinstance(current, dict):
                flat[key] = {f: v * 10.0**value if isinstance(v, (int, float))
                             and not isinstance(v, bool) else v for f, v in current.items()}
        elif kind == "field":
            current = flat.get(key)
            flat[key] = {**(current if isinstance(current, dict) else {"dist": "normal"}),
                         value[0]: value[1]}
        else:
            flat[key] = value
    return flat


def _toml(flat: dict) -> str:
    """Flat keys as TOML (quoted keys, so any key survives; the parser
    splits dotted quoted keys back into sections only where they are real)."""
    lines = []
    for key, value in flat.items():
        quoted = ".".join(f'"{part}"' for part in key.split(".")) if key else '""'
        try:
            lines.append(f"{quoted} = {toml_value(value)}")
        except (TypeError, RecursionError, ValueError):
            lines.append(f"{quoted} = \"unwritable\"")
    return "\n".join(lines) + "\n"


def _load(path: Path):
    try:
        return sim.load_scenario(path)
    except SimError as exc:
        assert str(exc) and len(str(exc)) < 2000 and "\n" not in str(exc), str(exc)[:300]
        return None


@settings(max_examples=150, **FUZZ)
@given(base=st.sampled_from(sorted(BASES)), mutations=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_scenario_files_load_or_give_one_clear_error(tmp_path_factory, base, mutations):
    path = tmp_path_factory.mktemp("fuzz") / "scenario.toml"
    path.write_text(_toml(_mutated(base, mutations)), encoding="utf-8")
    _load(path)


@settings(max_examples=40, **FUZZ)
@given(data=st.one_of(
    st.binary(max_size=200),
    st.sampled_from(sorted(BASES)).map(lambda b: (SCENARIO_DIR / f"{b}.toml").read_bytes())
    .flatmap(lambda raw: st.integers(0, len(raw)).map(lambda k: raw[:k])),
    st.just(b"\xff\xfe name = 1"), st.just(b"a = " + b"[" * 3000 + b"]" * 3000),
    st.just(b"a = " + b"{ b = " * 3000 + b"1" + b" }" * 3000)))
def test_raw_bytes_load_or_give_one_clear_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "scenario.toml"
    path.write_bytes(data)
    _load(path)


def _cli_ok(result) -> None:
    """Exit 0 or one message with exit 2; never a traceback."""
    assert result.exit_code in (0, 2), (result.exit_code, result.output[-500:], result.exception)
    assert "Traceback" not in result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 2:
        assert result.output.count("Error:") == 1, result.output[-500:]


@settings(max_examples=25, **FUZZ)
@given(base=st.sampled_from(sorted(BASES)), mutations=st.lists(mutation, min_size=1, max_size=3))
def test_mutated_scenarios_run_or_give_one_clear_error(tmp_path_factory, base, mutations):
    folder = tmp_path_factory.mktemp("run")
    path = folder / "scenario.toml"
    flat = _mutated(base, mutations)
    if base != "baseline" and "extends" in flat:
        flat["extends"] = str(SCENARIO_DIR / "baseline.toml")
    path.write_text(_toml(flat), encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(path), "-n", "200", "--quiet",
                                      "-o", str(folder / "out.nc")])
    _cli_ok(result)
    if result.exit_code == 0:  # a valid result: every number in it is finite
        import numpy as np
        import xarray as xr
        with xr.open_dataset(folder / "out.nc") as ds:
            for name, var in ds.data_vars.items():
                assert np.all(np.isfinite(var.values)), name


assignment_values = st.one_of(
    numbers.map(lambda x: repr(x) if not (isinstance(x, float) and math.isnan(x)) else "nan"),
    texts, st.sampled_from(['{dist="normal", mean=1, sd=0.1}', '{dist="lognormal", p5=3, p95=1}',
                            '{dist="choice", values=[1, 2], weights=[1e308, 1e308]}', "[", "{",
                            '"unterminated', "[1e9, 0]", "[]", "unset", "1e999"]))


@settings(max_examples=40, **FUZZ)
@given(assignment=st.one_of(
    st.tuples(st.one_of(st.sampled_from(KEYS), st.sampled_from(sorted(PARAMETERS)).flatmap(
        lambda k: st.sampled_from(FIELDS).map(lambda f: f"{k}.{f}")), st.text(max_size=15)),
        assignment_values),
    st.sampled_from(sorted(PARAMETERS)).flatmap(
        lambda k: st.tuples(st.just(k), _in_bounds(k).map(repr)))))
def test_any_set_override_runs_or_gives_one_clear_error(assignment):
    key, value = assignment
    _cli_ok(CliRunner().invoke(cli, ["run", "-n", "200", "--quiet", "--set", f"{key}={value}"]))


vary_values = st.one_of(
    st.lists(numbers, min_size=1, max_size=3).map(lambda xs: ",".join(str(x) for x in xs)),
    st.sampled_from(["linspace(0.1,0.3,3)", "logspace(0,1,2)", "linspace(1,2,0)", "1,1",
                     "", "1,,2", "logspace(400,401,2)", "linspace(a,b,c)", "nan", "inf,1"]))


@settings(max_examples=20, **FUZZ)
@given(keys=st.lists(st.one_of(st.sampled_from(KEYS), st.sampled_from(
    ["market.competitors.lam", "costs.gpu_hour_price.p95", "market.hype.p5", "nonsense"])),
    min_size=1, max_size=2), vary=st.lists(vary_values, min_size=2, max_size=2))
def test_any_sweep_runs_or_gives_one_clear_error(keys, vary):
    args = ["sweep", "baseline", "-n", "100", "--quiet"]
    for key, values in zip(keys, vary):
        args += ["--vary", f"{key}={values}"]
    _cli_ok(CliRunner().invoke(cli, args))


@pytest.mark.parametrize("text", ["name = " + "[" * 2000 + "]" * 2000,
                                  "x = " + "{ a = " * 2000 + "1" + " }" * 2000],
                         ids=["lists", "tables"])
def test_toml_nested_thousands_deep_is_one_message(tmp_path, text):
    path = tmp_path / "deep.toml"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["run", str(path), "-n", "100"])
    _cli_ok(result)
    assert result.exit_code == 2 and "nested too deeply" in result.output
