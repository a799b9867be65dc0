"""Scenario files: TOML in, a validated, immutable :class:`Scenario` out.

A scenario sets every key of specification section 1 (see :mod:`sim.vocab.registry`),
each a plain number or an inline distribution table (:mod:`sim.scenario.distributions`).
A file may say ``extends = "baseline.toml"`` and set only what differs
(:func:`resolve_extends`). Overrides from code or the command line
(``--set key=value``) are applied to the resolved file before validation; a
key may also address one field of a distribution
(``costs.gpu_hour_price.p95=6``), or one key of one strategy
(``strategies.NAME.market.price_premium=3``). Every problem becomes a
:class:`~sim.vocab.errors.ScenarioError` naming the file, the key and what was
expected (a misspelt table, the table it may mean; an almost empty file, how
to start); a rate or share above its plausible maximum, a
:class:`~sim.vocab.errors.PlausibilityWarning`.

Model v2 adds two structural keys, ``route`` ("pretrain" or "finetune") and
``scaling.compute_rule`` ("power" or "6ND"), and keys with v1 defaults
(:mod:`sim.vocab.registry`). Which parameters a scenario must set depends on them:
under "6ND" the power-law keys are refused, under "finetune" the fine-tuning
keys are required. The string ``"unset"`` as a parameter's value (in a file or
an override) removes a value inherited through ``extends``, as if it had
never been set.
"""

from __future__ import annotations

import difflib
import itertools
import json
import math
import re
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from sim.scenario.bundled import SCENARIO_DIR, bundled_names
from sim.vocab.errors import PlausibilityWarning, ScenarioError
from sim.vocab.objectives import DEFAULT_OBJECTIVE
from sim.vocab.registry import (
    BELIEF,
    BELIEF_INCIDENTS,
    CHOICES,
    DESCRIPTIVE,
    FINETUNE_KEYS,
    INDUSTRY_KEYS,
    INDUSTRY_PARAMETERS,
    MODEL_SIZE,
    NOT_BELIEVABLE,
    NOT_IN_STRATEGY,
    PARAMETERS,
    PLAUSIBLE_MAX,
    POWER_LAW_KEYS,
    SECTIONS,
    STRATEGIES,
    STRUCTURAL,
    STRUCTURAL_DEFAULTS,
    V3_KEYS,
    believable,
    refused_keys,
    required_keys,
)
from sim.scenario.distributions import Distribution

CORRELATION = "correlation"
GRID_SIZES = "grid.model_sizes"
#: Belief keys: ``expectation.<key>`` for every key investors may believe differently.
BELIEF_KEYS = {f"{BELIEF}.{k}": k for k in PARAMETERS if believable(k)}
KNOWN_KEYS = (list(DESCRIPTIVE) + list(STRUCTURAL) + list(PARAMETERS) + [CORRELATION, BELIEF_INCIDENTS]
              + list(BELIEF_KEYS))


def parameter_key(key: str) -> str | None:
    """The registry key behind a scenario key (a belief key names the
    parameter it re-believes), or None if ``key`` is not a parameter."""
    if key in PARAMETERS:
        return key
    return BELIEF_KEYS.get(key)
MAX_HORIZON = 100
#: A parameter's value that removes it (e.g. a parent's power-law keys under "6ND").
UNSET = "unset"
#: What an error in an override names instead of the file (``overrides KEY: ...``;
#: the command line shows its flag, sim.vocab.errors.FLAGS).
OVERRIDE = "overrides"

#: The bundled scenarios: package data, found through importlib.resources so
#: that an installed wheel has them as well as a source checkout.


@dataclass(frozen=True)
class Strategy:
    """A named set of overrides (specification section 12) and the scenario they give."""

    name: str
    description: str
    overrides: Mapping[str, Any]  # flat keys as written in [strategies.NAME]
    scenario: Scenario
    #: The sizes this strategy is an alternative at (``grid.model_sizes`` in
    #: its table, sorted); None: every size of the scenario's grid.
    model_sizes: tuple[float, ...] | None = None

    def to_table(self) -> dict[str, Any]:
        table = {"description": self.description} if self.description else {}
        if self.model_sizes is not None:
            table[GRID_SIZES] = list(self.model_sizes)
        table.update(self.overrides)
        return table


@dataclass(frozen=True)
class Scenario:
    """A complete, validated scenario.

    ``values`` holds every parameter the scenario sets (in its file, its
    parents or overrides), plus the default of every parameter that has one
    (the v2 keys, whose defaults give v1). It omits what is neither set nor
    defaulted: the power-law keys under ``compute_rule = "6ND"`` (refused
    there) and the ``finetune.*`` keys without a default under ``route =
    "pretrain"`` when no file sets them. So every key the model reads under
    the scenario's route and rule is present; a key set but not read under
    them (``finetune.*`` under "pretrain") is kept, and sampled, so that
    ``--set route=finetune`` keeps it and the same seed keeps the same draws.
    :func:`sim.scenario.plan.build_plan` puts NaN in the parameter vector for an
    omitted key.
    """

    name: str
    horizon_years: int
    model_sizes: tuple[float, ...]
    reference_size: float
    values: Mapping[str, float | Distribution]
    description: str = ""
    correlations: tuple[tuple[str, str, float], ...] = ()
    route: str = "pretrain"
    compute_rule: str = "power"
    #: Investors' belief (specification section 8): parameter key -> the value or
    #: distribution they believe instead of reality's (empty: v1's belief).
    belief: Mapping[str, float | Distribution] = field(default_factory=lambda: MappingProxyType({}))
    #: Whether investors expect incidents (``expectation.incidents``).
    belief_incidents: bool = False
    #: What "best" maximizes (``decision.objective``) and the EVPPI bins.
    objective: str = DEFAULT_OBJECTIVE
    voi_bins: int = 32
    #: Named strategies (specification section 12), in file order; empty: the
    #: scenario as written is the one strategy.
    strategies: tuple[Strategy, ...] = ()
    source: str | None = field(default=None, compare=False)
    #: Active parameters per token / total, one per model size (specification
    #: section 13; empty: dense, 1 at every size, as in v2).
    active_share: tuple[float, ...] = ()
    #: Whether the rivals' users see a deployment gap too (section 14).
    gap_applies_to_rivals: bool = False
    #: Whether the pool bounds our revenue under price by quality
    #: (docs/model.md section 2e; false: the specification's Rev = M share m q).
    revenue_within_pool: bool = False
    #: "project" (sections 1 to 14) or "industry" (section 15: no size grid,
    #: ``model_sizes`` is empty and ``active_share`` holds the one s_a).
    frame: str = "project"
    #: The industry frame's calendar year of year 1 and valuation horizon H.
    start_year: int = 2023
    valuation_horizon: int = 5

    @property
    def industry(self) -> bool:
        """Whether this is the industry frame (specification section 15)."""
        return self.frame == "industry"

    @property
    def active_shares(self) -> tuple[float, ...]:
        """``grid.active_share`` at every model size (1 where dense; under
        the industry frame, the one s_a)."""
        if self.industry:
            return self.active_share or (1.0,)
        return self.active_share or (1.0,) * len(self.model_sizes)

    @property
    def strategy_names(self) -> list[str]:
        """The alternatives' strategies: the declared ones, or the scenario's name."""
        return [st.name for st in self.strategies] or [self.name]

    def alternative_mask(self) -> np.ndarray:
        """(strategies, sizes) booleans: which (strategy, size) pairs are
        alternatives. Every pair is, unless a strategy declares its own
        ``grid.model_sizes``; the industry frame's one row is."""
        if self.industry:
            return np.ones((1, 1), dtype=bool)
        rows = [[st.model_sizes is None or n in st.model_sizes for n in self.model_sizes]
                for st in self.strategies] or [[True] * len(self.model_sizes)]
        return np.asarray(rows, dtype=bool)

    def worlds(self) -> list[Scenario]:
        """One resolved scenario per strategy (the scenario itself if none)."""
        return [st.scenario for st in self.strategies] or [self]

    @property
    def sampled_keys(self) -> list[str]:
        """Keys drawn from a distribution, in registry order."""
        return [k for k in PARAMETERS if isinstance(self.values.get(k), Distribution)]

    def with_overrides(self, overrides: Mapping[str, Any] | None,
                       label: str = OVERRIDE) -> Scenario:
        """A new scenario with ``overrides`` applied (and validated); an error
        in an overridden key names ``label`` (``overrides``, ``vary``)."""
        if not overrides:
            return self
        return from_mapping(self.to_flat(), source=self.source, overrides=overrides,
                            default_name=self.name, override_label=label)

    def to_flat(self) -> dict[str, Any]:
        """Dotted keys to plain values and inline tables."""
        flat: dict[str, Any] = {"name": self.name}
        if self.description:
            flat["description"] = self.description
        if self.industry:
            return self._industry_flat(flat)
        flat["route"] = self.route
        flat["horizon_years"] = self.horizon_years
        flat["grid.model_sizes"] = list(self.model_sizes)
        flat["grid.reference_size"] = self.reference_size
        flat["scaling.compute_rule"] = self.compute_rule
        if self.active_share:
            shares = set(self.active_share)
            flat["grid.active_share"] = (self.active_share[0] if len(shares) == 1
                                         else list(self.active_share))
        if self.gap_applies_to_rivals:
            flat["market.gap_applies_to_rivals"] = True
        if self.revenue_within_pool:
            flat["market.revenue_within_pool"] = True
        for key in PARAMETERS:
            if key not in self.values:
                continue
            v = self.values[key]
            if key in V3_KEYS and v == PARAMETERS[key].default:
                continue  # a v2 scenario's text stays what it was
            flat[key] = v.to_dict() if isinstance(v, Distribution) else v
        if self.correlations:
            flat[CORRELATION] = [{"between": [a, b], "rho": rho} for a, b, rho in self.correlations]
        if self.belief_incidents:
            flat[BELIEF_INCIDENTS] = True
        for key, v in self.belief.items():
            flat[f"{BELIEF}.{key}"] = v.to_dict() if isinstance(v, Distribution) else v
        if self.objective != CHOICES["decision.objective"][1]:
            flat["decision.objective"] = self.objective
        if self.voi_bins != STRUCTURAL_DEFAULTS["decision.voi_bins"]:
            flat["decision.voi_bins"] = self.voi_bins
        if self.strategies:
            flat[STRATEGIES] = {st.name: st.to_table() for st in self.strategies}
        return flat

    def _industry_flat(self, flat: dict[str, Any]) -> dict[str, Any]:
        flat["frame"] = self.frame
        flat["horizon_years"] = self.horizon_years
        flat["industry.start_year"] = self.start_year
        flat["industry.valuation_horizon"] = self.valuation_horizon
        if self.active_share:
            flat["grid.active_share"] = self.active_share[0]
        for key in PARAMETERS:
            if key in self.values:
                v = self.values[key]
                flat[key] = v.to_dict() if isinstance(v, Distribution) else v
        if self.correlations:
            flat[CORRELATION] = [{"between": [a, b], "rho": rho} for a, b, rho in self.correlations]
        return flat

    def to_toml(self) -> str:
        """The resolved scenario as a TOML document that loads back unchanged."""
        flat = self.to_flat()
        lines = [f"{k} = {toml_value(flat[k])}"
                 for k in ("name", "description", "frame", "route", "horizon_years") if k in flat]
        sections: dict[str, list[str]] = {}
        for key, value in flat.items():
            if "." in key:
                section, sub = key.split(".", 1)
                sections.setdefault(section, []).append(f"{sub} = {toml_value(value)}")
        for section in ["grid"] * ("grid" in sections) + [s for s in sections if s != "grid"]:
            lines.append("")
            lines.append(f"[{section}]")
            lines.extend(sections[section])
        for a, b, rho in self.correlations:
            lines += ["", "[[correlation]]", f"between = {toml_value([a, b])}",
                      f"rho = {toml_value(rho)}"]
        for name, table in flat.get(STRATEGIES, {}).items():
            lines += ["", f"[{STRATEGIES}.{name}]"]
            lines += [f"{k if '.' in k or k.isidentifier() else toml_value(k)} = {toml_value(v)}"
                      for k, v in table.items()]
        return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ loading
def load_scenario(path: str | Path | Scenario,
                  overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read, override and validate a scenario file (or a bundled name)."""
    if isinstance(path, Scenario):
        return path.with_overrides(overrides)
    path = resolve_path(path)
    data = _read_toml(path)
    return from_mapping(data, source=str(path), overrides=overrides, default_name=path.stem)


def resolve_path(name: str | Path) -> Path:
    """A scenario file path, or the bundled scenario of that name."""
    p = Path(name)
    if p.is_file():
        return p
    bundled = SCENARIO_DIR / f"{p.name}.toml" if p.suffix == "" else SCENARIO_DIR / p.name
    if p.parent == Path(".") and bundled.is_file():
        return bundled
    names = ", ".join(bundled_names()) or "none"
    raise ScenarioError(f"no such scenario file (bundled scenarios: {names})", source=str(p))


#: The first bytes of a netCDF file (classic, 64-bit offset, and netCDF-4/HDF5).
_NETCDF_MAGIC = (b"CDF\x01", b"CDF\x02", b"CDF\x05", b"\x89HDF\r\n\x1a\n")


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as head:
            if head.read(8).startswith(_NETCDF_MAGIC):
                raise ScenarioError("a saved result, not a scenario: draw it with sim plot or "
                                    "sim report (its scenario is in its 'scenario' attribute)",
                                    source=str(path))
    except OSError:
        pass  # reported below
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read file ({exc.strerror})", source=str(path)) from None
    except UnicodeDecodeError:
        raise ScenarioError("file is not UTF-8 text", source=str(path)) from None
    return parse_toml(text, source=str(path))


#: Deepest nesting of tables and lists a scenario may have: a section holds an
#: inline table, which may hold a list ([[correlation]] between = [...]).
MAX_DEPTH = 8


def parse_toml(text: str, source: str | None = None) -> dict:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"malformed TOML: {exc}", source=source) from None
    except RecursionError:
        raise ScenarioError(f"TOML nested too deeply (a scenario nests at most {MAX_DEPTH} "
                            "levels of tables and lists)", source=source) from None
    if _depth(data) > MAX_DEPTH:
        raise ScenarioError(f"TOML nested too deeply (a scenario nests at most {MAX_DEPTH} "
                            "levels of tables and lists)", source=source)
    return data


def _depth(value: Any) -> int:
    """Nesting depth of tables and lists, without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        v, d = stack.pop()
        deepest = max(deepest, d)
        if d > MAX_DEPTH:
            break
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return deepest


def from_mapping(data: Mapping[str, Any], *, source: str | None = None,
                 overrides: Mapping[str, Any] | None = None,
                 default_name: str = "scenario", override_label: str = OVERRIDE) -> Scenario:
    """Validate nested (TOML-shaped) or dotted-key data into a Scenario.

    A problem with a key that ``overrides`` set is reported against
    ``override_label`` (``--set KEY: ...``), not against the file.
    """
    flat = resolve_extends(flatten(data, source), source)
    if overrides and "extends" in overrides:
        raise ScenarioError("can only be set in a scenario file, not as an override",
                            source=override_label, key="extends")
    touched: set[str] = set()
    for key, value in (overrides or {}).items():
        touched.add(_apply_override(flat, key, value, override_label))
    flat = {k: v for k, v in flat.items()
            if not ((parameter_key(k) or k in CHOICES) and isinstance(v, str) and v == UNSET)}

    def src(key: str) -> str | None:
        return override_label if key in touched else source

    def err(key: str, msg: str) -> ScenarioError:
        return ScenarioError(msg, source=src(key), key=key)

    frame = _choice(flat, "frame", src("frame"))
    if frame == "industry":
        return _industry_scenario(flat, src, err, default_name, source)
    _refuse_industry_keys(flat, src)
    route = _choice(flat, "route", src("route"))
    rule = _choice(flat, "scaling.compute_rule", src("scaling.compute_rule"))
    _check_keys_in_use(flat, route, rule, source, touched, override_label)

    name = flat.get("name", default_name)
    if not isinstance(name, str) or not name:
        raise err("name", f"expected a non-empty string, got {_show(name)}")
    description = flat.get("description", "")
    if not isinstance(description, str):
        raise err("description", f"expected a string, got {_show(description)}")

    horizon = flat["horizon_years"]
    if isinstance(horizon, float) and horizon.is_integer():
        horizon = int(horizon)
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= MAX_HORIZON:
        raise err("horizon_years", f"expected an integer from 1 to {MAX_HORIZON}, got {_show(horizon)}")

    sizes = flat["grid.model_sizes"]
    if not isinstance(sizes, list) or not sizes:
        raise err("grid.model_sizes", f"expected a non-empty list of sizes, got {_show(sizes)}")
    sizes = [_size(s, err("grid.model_sizes", f"expected positive sizes "
                                              f"({MODEL_SIZE.describe()}), got {_show(s)}"))
             for s in sizes]
    if len(set(sizes)) != len(sizes):
        raise err("grid.model_sizes", "sizes must be distinct")
    ref = _size(flat["grid.reference_size"],
                err("grid.reference_size", f"expected a positive size ({MODEL_SIZE.describe()}), "
                                           f"got {_show(flat['grid.reference_size'])}"))

    values: dict[str, float | Distribution] = {}
    for key, param in PARAMETERS.items():
        if key in INDUSTRY_KEYS:
            continue  # refused above: read only under frame = "industry"
        if key in flat:
            values[key] = _parse_value(flat[key], param, src(key))
        elif param.default is not None:
            values[key] = float(param.default)
    correlations = parse_correlations(flat.get(CORRELATION, []), values, src(CORRELATION))
    belief = {}
    for key, param_key in BELIEF_KEYS.items():
        if key in flat:
            belief[param_key] = _parse_value(flat[key], PARAMETERS[param_key], src(key), name=key)
    belief_incidents = flat.get(BELIEF_INCIDENTS, False)
    if not isinstance(belief_incidents, bool):
        raise err(BELIEF_INCIDENTS, f"expected true or false, got {belief_incidents!r}")
    objective = _choice(flat, "decision.objective", src("decision.objective"))
    bins = flat.get("decision.voi_bins", STRUCTURAL_DEFAULTS["decision.voi_bins"])
    if isinstance(bins, float) and bins.is_integer():
        bins = int(bins)
    if isinstance(bins, bool) or not isinstance(bins, int) or not 2 <= bins <= 1024:
        raise err("decision.voi_bins", f"expected an integer from 2 to 1024, got {bins!r}")
    active = _active_share(flat.get("grid.active_share", 1.0), sizes, err)
    gap_rivals = flat.get("market.gap_applies_to_rivals", False)
    if not isinstance(gap_rivals, bool):
        raise err("market.gap_applies_to_rivals", f"expected true or false, got {_show(gap_rivals)}")
    within_pool = flat.get("market.revenue_within_pool", False)
    if not isinstance(within_pool, bool):
        raise err("market.revenue_within_pool", f"expected true or false, got {_show(within_pool)}")
    scenario = Scenario(name=name, horizon_years=horizon, model_sizes=tuple(sorted(sizes)),
                        reference_size=ref, values=MappingProxyType(values),
                        description=description, correlations=correlations,
                        route=route, compute_rule=rule, belief=MappingProxyType(belief),
                        belief_incidents=belief_incidents, objective=objective, voi_bins=bins,
                        source=source, active_share=active, gap_applies_to_rivals=gap_rivals,
                        revenue_within_pool=within_pool)
    overridden = {k.split(".", 1)[1] for k in touched if k.startswith(STRATEGIES + ".")}
    strategies = parse_strategies(flat.get(STRATEGIES, {}), scenario, source, overridden,
                                  override_label)
    return replace(scenario, strategies=strategies) if strategies else scenario


#: Structural keys of the industry frame (specification section 15).
INDUSTRY_STRUCTURAL = ("frame", "horizon_years", "grid.active_share", "industry.start_year",
                       "industry.valuation_horizon")
#: Every key an industry-frame scenario may hold.
INDUSTRY_ALLOWED = frozenset(DESCRIPTIVE) | frozenset(INDUSTRY_STRUCTURAL) | frozenset(
    INDUSTRY_PARAMETERS) | {CORRELATION}
MAX_VALUATION_HORIZON = 50


def _refuse_industry_keys(flat: Mapping[str, Any], src) -> None:
    """A project-frame scenario holds none of the industry frame's own keys."""
    found = [k for k in flat if k in INDUSTRY_KEYS or k in ("industry.start_year",
                                                            "industry.valuation_horizon")]
    if found:
        raise ScenarioError(
            f'{", ".join(found)} {"is" if len(found) == 1 else "are"} read only under '
            'frame = "industry" (specification section 15); set frame = "industry" or remove '
            f'{"it" if len(found) == 1 else "them"}', source=src(found[0]), key=found[0])


def _industry_scenario(flat: Mapping[str, Any], src, err, default_name: str,
                       source: str | None) -> Scenario:
    """Validate an industry-frame scenario (specification section 15): no size
    grid, no route, strategies or believed parameters; the keys it reads."""
    unused = [k for k in flat if k not in INDUSTRY_ALLOWED]
    if unused:
        key = unused[0]
        if key == STRATEGIES:
            why = "strategies do not apply to the industry frame (it simulates the industry, not a lab's choice)"
        elif key.startswith(BELIEF + ".") and key not in PARAMETERS:
            why = ("believed parameters (section 8) do not apply under the industry frame: investors' "
                   "beliefs there are market.hype, expectation.initial_growth, expectation.learning_rate "
                   "and industry.scaling_persistence")
        else:
            why = "not used under the industry frame"
        raise ScenarioError(
            f'under frame = "industry", {", ".join(unused)} would not be used ({why}); remove '
            f'{"it" if len(unused) == 1 else "them"}', source=src(key), key=key)
    missing = [k for k in ("horizon_years",) + INDUSTRY_PARAMETERS
               if k not in flat and (k == "horizon_years" or PARAMETERS[k].default is None)]
    if missing:
        raise ScenarioError(
            f"missing key(s): {', '.join(missing)} (an industry scenario sets these, or extends a "
            'scenario that does: extends = "baseline")', source=source)
    name = flat.get("name", default_name)
    if not isinstance(name, str) or not name:
        raise err("name", f"expected a non-empty string, got {_show(name)}")
    description = flat.get("description", "")
    if not isinstance(description, str):
        raise err("description", f"expected a string, got {_show(description)}")
    horizon = _integer(flat["horizon_years"], 1, MAX_HORIZON, "horizon_years", err)
    start = _integer(flat.get("industry.start_year", STRUCTURAL_DEFAULTS["industry.start_year"]),
                     1900, 2200, "industry.start_year", err)
    valuation = _integer(flat.get("industry.valuation_horizon",
                                  STRUCTURAL_DEFAULTS["industry.valuation_horizon"]),
                         1, MAX_VALUATION_HORIZON, "industry.valuation_horizon", err)
    share = flat.get("grid.active_share", 1.0)
    if isinstance(share, list):
        raise err("grid.active_share", "expected one number in (0, 1] under the industry frame "
                                       "(there is no size grid), got a list")
    active = _active_share(share, [1.0], err)
    values: dict[str, float | Distribution] = {}
    for key in INDUSTRY_PARAMETERS:
        if key in flat:
            values[key] = _parse_value(flat[key], PARAMETERS[key], src(key))
        else:
            values[key] = float(PARAMETERS[key].default)
    correlations = parse_correlations(flat.get(CORRELATION, []), values, src(CORRELATION))
    return Scenario(name=name, horizon_years=horizon, model_sizes=(), reference_size=1.0,
                    values=MappingProxyType(values), description=description,
                    correlations=correlations, source=source, active_share=active,
                    frame="industry", start_year=start, valuation_horizon=valuation)


def _integer(value: Any, low: int, high: int, key: str, err) -> int:
    """A structural integer from ``low`` to ``high``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise err(key, f"expected an integer from {low} to {high}, got {_show(value)}")
    return value


def _active_share(value: Any, sizes: list[float], err) -> tuple[float, ...]:
    """``grid.active_share``: one number in (0, 1], or a list with one per
    size in the order of ``grid.model_sizes``; returned in sorted-size order,
    or ``()`` when every size is dense (1)."""
    expected = (f"expected a number in (0, 1] (active parameters / total), or a list of "
                f"{len(sizes)} such numbers, one per model size")

    def share(x: Any) -> float:
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not 0.0 < x <= 1.0:
            hint = " (a share, not a percent)" if isinstance(x, (int, float)) and 1 < x <= 100 else ""
            raise err("grid.active_share", f"{expected}, got {_show(x)}{hint}")
        return float(x)

    if isinstance(value, list):
        if len(value) != len(sizes):
            raise err("grid.active_share", f"{expected}; got {len(value)} values for "
                                           f"{len(sizes)} sizes")
        by_size = dict(zip(sizes, (share(x) for x in value)))
        shares = tuple(by_size[n] for n in sorted(sizes))
    else:
        shares = (share(value),) * len(sizes)
    return () if all(x == 1.0 for x in shares) else shares


def parse_strategies(table: Any, base: Scenario, source: str | None,
                     overridden: set[str] = frozenset(), label: str = OVERRIDE) -> tuple[Strategy, ...]:
    """``[strategies.NAME]`` tables: each a description and overrides of any
    keys but those of :data:`sim.vocab.registry.NOT_IN_STRATEGY`, validated as the
    scenario with those overrides applied (specification section 12), and
    optionally the sizes it is an alternative at (its own ``grid.model_sizes``).
    A problem in a strategy that an override changed (``overridden``) names
    ``label`` instead of the file."""
    if not isinstance(table, dict):
        raise ScenarioError(f"expected tables [strategies.NAME], got {table!r}", source=source,
                            key=STRATEGIES)
    out = []
    file_source = source
    for name, spec in table.items():
        source = label if name in overridden else file_source
        where = f"{STRATEGIES}.{name}"
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
            raise ScenarioError("a strategy name is letters, digits, - and _ (it names a "
                                "coordinate)", source=source, key=where)
        if not isinstance(spec, dict):
            raise ScenarioError(f"expected a table of overrides, got {spec!r}", source=source,
                                key=where)
        spec = dict(spec)
        description = spec.pop("description", "")
        if not isinstance(description, str):
            raise ScenarioError(f"expected a string, got {description!r}", source=source,
                                key=f"{where}.description")
        try:
            flat = flatten(spec, source)
        except ScenarioError as exc:
            raise ScenarioError(exc.detail, source=source, key=f"{where}.{exc.key}") from None
        sizes = _strategy_sizes(flat.pop(GRID_SIZES), base, source, where) if GRID_SIZES in flat else None
        for key in flat:
            if key in NOT_IN_STRATEGY or key in DESCRIPTIVE or key == CORRELATION:
                raise ScenarioError(
                    f"a strategy may not change {key} (strategies share "
                    f"{', '.join(NOT_IN_STRATEGY)}, the correlations and the description)",
                    source=source, key=f"{where}.{key}")
        try:
            world = replace(base.with_overrides(flat), name=name, description=description)
        except ScenarioError as exc:
            raise ScenarioError(exc.detail, source=source,
                                key=f"{where}.{exc.key}" if exc.key else where) from None
        out.append(Strategy(name=name, description=description,
                            overrides=MappingProxyType(flat), scenario=world, model_sizes=sizes))
    return tuple(out)


def _strategy_sizes(value: Any, base: Scenario, source: str | None, where: str) -> tuple[float, ...]:
    """A strategy's own ``grid.model_sizes``: a non-empty list of distinct
    sizes, each one of the scenario's (whose grid is the union of every
    strategy's sizes: the size axis of the result)."""
    key = f"{where}.{GRID_SIZES}"
    grid = ", ".join(f"{n:g}" for n in base.model_sizes)
    if not isinstance(value, list) or not value:
        raise ScenarioError(f"expected a non-empty list of sizes, some of the scenario's "
                            f"grid.model_sizes ({grid}), got {_show(value)}", source=source, key=key)
    sizes = [_size(n, ScenarioError(f"expected positive sizes ({MODEL_SIZE.describe()}), got "
                                    f"{_show(n)}", source=source, key=key)) for n in value]
    if len(set(sizes)) != len(sizes):
        raise ScenarioError("sizes must be distinct", source=source, key=key)
    outside = [n for n in sizes if n not in base.model_sizes]
    if outside:
        raise ScenarioError(
            f"{', '.join(f'{n:g}' for n in outside)} not in the scenario's grid.model_sizes "
            f"({grid}); a strategy's sizes are some of the scenario's, so list every size any "
            "strategy uses in the top-level [grid] model_sizes (the result's size axis is "
            "their union)", source=source, key=key)
    return tuple(sorted(sizes))


def _choice(flat: Mapping[str, Any], key: str, source: str | None) -> str:
    """A structural string key (``route``, ``scaling.compute_rule``) or its default."""
    allowed, default = CHOICES[key]
    value = flat.get(key, default)
    if not isinstance(value, str) or value not in allowed:
        shown = " or ".join(f'"{a}"' for a in allowed)
        raise ScenarioError(f"expected {shown} (a plain string, never a distribution), "
                            f"got {_show(value)}", source=source, key=key)
    return value


#: Up to this many missing keys are simply listed; more (an empty or nearly
#: empty file) and the message says how to start first, then lists them.
FEW_MISSING = 6


def _check_keys_in_use(flat: Mapping[str, Any], route: str, rule: str,
                       source: str | None, touched: set[str] = frozenset(),
                       label: str = OVERRIDE) -> None:
    """Every key the route and the compute rule need is set; none they refuse is.

    When overrides alone caused the problem (they set a refused key, or
    removed a needed one), the override is named instead of the file.
    """
    refused = [k for k in refused_keys(rule) if k in flat]
    if refused:
        by_override = [k for k in refused if k in touched]
        if by_override and "scaling.compute_rule" not in touched:
            raise ScenarioError(
                f'the scenario computes the final run as R = 6 N D (compute_rule = "{rule}"), '
                f"so this key would not be used; also {label} scaling.compute_rule=power to "
                "use the power law", source=label, key=by_override[0])
        raise ScenarioError(
            f'under compute_rule = "{rule}" the final run is R = 6 N D, so '
            f"{', '.join(refused)} would not be used; remove "
            f"{'it' if len(refused) == 1 else 'them'} (write key = \"{UNSET}\" to drop a "
            "value inherited through extends)",
            source=label if "scaling.compute_rule" in touched else source,
            key="scaling.compute_rule")
    needed = ([k for k in STRUCTURAL if k not in CHOICES and k not in STRUCTURAL_DEFAULTS]
              + required_keys(route, rule))
    missing = [k for k in needed if k not in flat]
    if not missing:
        return
    if all(k in touched for k in missing) or touched & {"route", "scaling.compute_rule"}:
        source = label  # an override removed the key ("unset") or changed what is needed
    if all(k in FINETUNE_KEYS for k in missing):
        raise ScenarioError(
            f'route = "finetune" needs the fine-tuning key(s) {", ".join(missing)} '
            "(missing; see scenarios/finetune.toml)", source=source, key="route")
    if all(k in POWER_LAW_KEYS for k in missing):
        raise ScenarioError(
            f'compute_rule = "power" needs {", ".join(missing)} (missing; or set '
            'scaling.compute_rule = "6ND" to compute the final run as 6 N D)',
            source=source, key="scaling.compute_rule")
    if len(missing) > FEW_MISSING:
        raise ScenarioError(
            f'this file sets few of the required keys: start from a bundled scenario: extends = '
            f'"baseline" (sim scenarios lists them), then set only what differs; missing key(s): '
            f"{', '.join(missing)}", source=source)
    raise ScenarioError(
        f"missing key(s): {', '.join(missing)} (a scenario sets every model parameter "
        "that has no default; see scenarios/baseline.toml)", source=source)


def flatten(data: Mapping[str, Any], source: str | None = None) -> dict[str, Any]:
    """Nested TOML tables to dotted keys; unknown keys are errors."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key == STRATEGIES:
            flat[key] = value  # a table of tables, checked by parse_strategies
            continue
        if key in SECTIONS and isinstance(value, dict) and "dist" not in value:
            for sub, v in value.items():
                if key == BELIEF and sub in SECTIONS and isinstance(v, dict) and "dist" not in v:
                    for leaf, vv in v.items():  # [expectation.market] competitors = ...
                        flat[f"{key}.{sub}.{leaf}"] = vv
                else:
                    flat[f"{key}.{sub}"] = v
        else:
            flat[key] = value
    for key in flat:
        if key not in KNOWN_KEYS and key != STRATEGIES:
            _unknown(key, source, flat[key])
    return flat


#: The names a scenario's tables may have: ``[costs]``, ``[strategies.NAME]``,
#: ``[[correlation]]``.
TABLES = tuple(SECTIONS) + (STRATEGIES, CORRELATION)


def _unknown(key: str, source: str | None, value: Any = None):
    """Raise the error for a key no scenario may hold (a misspelt table,
    ``[strategy.x]``, is named as a table, with the table it may mean)."""
    if key.startswith(BELIEF + ".") and key[len(BELIEF) + 1:] in NOT_BELIEVABLE:
        raise ScenarioError(
            f"{key[len(BELIEF) + 1:]} cannot be believed differently (investors and reality "
            f"share {', '.join(NOT_BELIEVABLE)})", source=source, key=key)
    if "." not in key and (isinstance(value, dict) and "dist" not in value
                           or isinstance(value, list) and value and all(isinstance(v, dict) for v in value)):
        raise ScenarioError(_unknown_table(key, value), source=source, key=key)
    raise ScenarioError(f"unknown key{_suggest(key)}", source=source, key=key)


def _unknown_table(key: str, value: Any) -> str:
    """The message for a table no scenario has, with the nearest table name."""
    shown = f"[[{key}]]" if isinstance(value, list) else f"[{key}]"
    close = difflib.get_close_matches(key.lower(), TABLES, n=1, cutoff=0.6)
    if not close:
        return (f"unknown table {shown} (a scenario's tables are "
                f"{', '.join(f'[{t}]' for t in SECTIONS)}, [{STRATEGIES}.NAME] and [[{CORRELATION}]])")
    name = close[0]
    if name == STRATEGIES:
        sub = next((k for k, v in value.items() if isinstance(v, dict)), None) if isinstance(value, dict) else None
        meant = f"[{STRATEGIES}.{sub or 'NAME'}]"
    elif name == CORRELATION:
        meant = f"[[{CORRELATION}]]"
    else:
        meant = f"[{name}]"
    return f"unknown table {shown} (did you mean {meant}?)"


# ------------------------------------------------------------------ extends
#: Keys that describe one file and are not inherited through ``extends``.
NOT_INHERITED = ("name", "description")


def resolve_extends(flat: dict[str, Any], source: str | None,
                    chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Merge a file's flat keys over those of the file it ``extends``.

    The parent is found relative to the child (or, for a bare name that is not
    there, among the bundled scenarios) and resolved recursively; a cycle is an
    error. The child's keys replace the parent's, except that a table without
    ``dist`` (``gpu_hour_price = { p95 = 6 }``) changes only those fields of
    the parent's distribution. ``name`` and ``description`` are not inherited.
    """
    if "extends" not in flat:
        return flat
    flat = dict(flat)
    ref = flat.pop("extends")
    if not isinstance(ref, str) or not ref.strip():
        raise ScenarioError(f"expected a scenario file name such as \"baseline.toml\", "
                            f"got {_show(ref)}", source=source, key="extends")
    here = Path(source).resolve() if source and Path(source).is_file() else None
    chain = chain + ((here,) if here else ())
    parent = _parent_path(ref, here, source)
    if parent in chain:
        cycle = " -> ".join(str(p) for p in chain[chain.index(parent):] + (parent,))
        raise ScenarioError(f"cycle of scenario files: {cycle}", source=source, key="extends")
    merged = resolve_extends(flatten(_read_toml(parent), str(parent)), str(parent), chain)
    for key in NOT_INHERITED:
        merged.pop(key, None)
    if flat.get("frame") == "industry" and merged.get("frame", "project") != "industry":
        # Section 15: a scenario that extends a project file inherits the shared
        # cost, market and risk keys, and none of the project frame's own.
        # A project file's active share is per size: not inherited either.
        merged = {k: v for k, v in merged.items()
                  if k in INDUSTRY_ALLOWED and k != "grid.active_share"}
    for key, value in flat.items():
        inherited = merged.get(key)
        if key == STRATEGIES and isinstance(value, dict) and isinstance(inherited, dict):
            merged[key] = {**inherited, **value}  # a strategy of the same name replaces the parent's
            continue
        if (parameter_key(key) and isinstance(value, dict) and "dist" not in value
                and isinstance(inherited, dict)):
            merged[key] = {**inherited, **value}
        else:
            merged[key] = value
    return merged


def _parent_path(ref: str, here: Path | None, source: str | None) -> Path:
    base = here.parent if here else Path.cwd()
    candidate = base / ref
    if candidate.is_file():
        return candidate.resolve()
    p = Path(ref)
    if p.parent == Path("."):
        bundled = SCENARIO_DIR / (p.name if p.suffix else f"{p.name}.toml")
        if bundled.is_file():
            return bundled.resolve()
    raise ScenarioError(f"parent scenario {_show(ref)} not found (looked for {candidate} "
                        f"and a bundled scenario of that name)", source=source, key="extends")


def _suggest(key: str) -> str:
    close = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


_PAIR = re.compile(r"^correlation\(\s*([\w.]+)\s*,\s*([\w.]+)\s*\)$")


def _apply_override(flat: dict, key: str, value: Any, label: str) -> str:
    """Apply one override to ``flat``; return the scenario key it changed."""
    if not isinstance(key, str):
        raise ScenarioError(f"expected a key such as market.competitors, got {_show(key)}",
                            source=label, key="?")
    if key in KNOWN_KEYS:
        flat[key] = value
        return key
    if key.startswith(STRATEGIES + "."):
        return _override_strategy(flat, key, value, label)
    pair = _PAIR.match(key)
    if pair:  # correlation(a, b) = rho: add or replace one pair
        a, b = pair.groups()
        kept = [c for c in flat.get(CORRELATION, [])
                if not (isinstance(c, dict) and set(c.get("between", [])) == {a, b})]
        flat[CORRELATION] = kept + [{"between": [a, b], "rho": value}]
        return CORRELATION
    parent, _, fieldname = key.rpartition(".")
    if parameter_key(parent):
        current = flat.get(parent)
        if not isinstance(current, dict):
            raise ScenarioError(
                f"cannot set field '{fieldname}': '{parent}' is not a distribution "
                f"(it is {_show(current)})", source=label, key=key)
        flat[parent] = {**current, fieldname: value}
        return parent
    _unknown(key, label)


def _override_strategy(flat: dict, key: str, value: Any, label: str) -> str:
    """``strategies.NAME.KEY = value``: change one key of one declared
    strategy (a field of a distribution it inherits starts from the
    scenario's; ``"unset"`` removes the strategy's own value, so it inherits
    the scenario's again). Returns ``strategies.NAME``."""
    name, _, sub = key[len(STRATEGIES) + 1:].partition(".")
    table = flat.get(STRATEGIES)
    table = dict(table) if isinstance(table, dict) else {}
    if name not in table:
        have = (f"its strategies: {', '.join(table)}" if table else
                "it declares none: strategies are [strategies.NAME] tables of its file")
        raise ScenarioError(f"no strategy named {name!r} in this scenario ({have})",
                            source=label, key=key)
    if not sub:
        raise ScenarioError(f"expected {STRATEGIES}.{name}.KEY=VALUE, a key of the strategy "
                            f"(e.g. {STRATEGIES}.{name}.market.price_premium=2)", source=label, key=key)
    spec = table[name]
    if not isinstance(spec, dict):
        raise ScenarioError(f"expected a table of overrides, got {_show(spec)}", source=label,
                            key=f"{STRATEGIES}.{name}")
    spec = dict(spec)
    description = spec.pop("description", None)
    where = f"{STRATEGIES}.{name}"
    try:
        inner = flatten(spec, label)
        if sub == "description":
            description = value
        elif isinstance(value, str) and value == UNSET and sub in inner:
            del inner[sub]  # the strategy inherits the scenario's value again
        else:
            parent = sub.rpartition(".")[0]
            if (sub not in KNOWN_KEYS and parameter_key(parent) and parent not in inner
                    and isinstance(flat.get(parent), dict)):
                inner[parent] = dict(flat[parent])  # one field of the scenario's distribution
            _apply_override(inner, sub, value, label)
    except ScenarioError as exc:
        raise ScenarioError(exc.detail, source=label,
                            key=f"{where}.{exc.key}" if exc.key else where) from None
    table[name] = {**({"description": description} if description is not None else {}), **inner}
    flat[STRATEGIES] = table
    return where


def _show(value: Any, limit: int = 80) -> str:
    """``repr(value)`` for a message: cut to ``limit`` characters, and safe for
    values nested too deeply to print."""
    try:
        text = repr(value)
    except RecursionError:
        return f"a {type(value).__name__} nested too deeply to show"
    return text if len(text) <= limit else text[:limit] + "..."


def _as_float(x: int | float) -> float:
    """``float(x)``, with integers beyond the float range as infinity (which
    every check then refuses)."""
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def _size(x: Any, error: ScenarioError) -> float:
    value = _positive_number(x, error)
    if not MODEL_SIZE.contains(value):
        raise error
    return value


def _positive_number(x: Any, error: ScenarioError) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise error
    value = _as_float(x)
    if not math.isfinite(value) or value <= 0:
        raise error
    return value


def _parse_value(value: Any, param, source: str | None, name: str | None = None
                 ) -> float | Distribution:
    """A parameter's value (``name``: the scenario key, if not the parameter's own)."""
    key = name or param.key
    expected = param.bounds.describe()
    if isinstance(value, dict):
        if "dist" not in value:
            raise ScenarioError(
                "expected a number or an inline table with 'dist' (e.g. "
                "{dist=\"uniform\", low=0.1, high=0.3})", source=source, key=key)
        try:
            dist = Distribution.parse(value, where=key)
        except ScenarioError as exc:
            raise ScenarioError(exc.detail, source=source, key=key) from None
        low, high = dist.support()
        for x in (low, high):
            if not param.bounds.contains(x):
                raise ScenarioError(
                    f"{dist.describe()} can draw {x:.6g}; expected {expected} "
                    "(narrow the distribution or truncate it with min/max)",
                    source=source, key=key)
        _check_plausible(key, param, float(dist.ppf(0.5)), dist)
        return dist
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"expected {expected} or a distribution table, got {_show(value)}",
                            source=source, key=key)
    x = _as_float(value)
    if not param.bounds.contains(x):  # NaN and inf too (inf only where the bounds allow it)
        raise ScenarioError(f"expected {expected}, got {_show(value)}{_percent_hint(param, x)}",
                            source=source, key=key)
    _check_plausible(key, param, x)
    return x


def _as_fraction(x: float) -> str:
    """``x / 100`` as a reader would type it: 0.10, 0.05, 0.125."""
    text = f"{x / 100:.2f}"
    return text if float(text) == x / 100 else f"{x / 100:.4g}"


def _percent_hint(param, x: float) -> str:
    """For a rate or share refused above its bound of 1 (or its plausible
    maximum): " (a percent? did you mean 0.30?)" when x / 100 would do."""
    rate = param.unit in ("1", "1/year") and (param.bounds.upper <= 1 or param.key in PLAUSIBLE_MAX)
    if rate and math.isfinite(x) and 1 < x <= 100 and param.bounds.contains(x / 100):
        return f" (a percent typed as a whole number? did you mean {_as_fraction(x)}?)"
    return ""


def _check_plausible(key: str, param, x: float, dist: Distribution | None = None) -> None:
    """Warn (:class:`PlausibilityWarning`) when a rate or share of
    :data:`sim.vocab.registry.PLAUSIBLE_MAX` is above its plausible maximum:
    the constant itself, or a distribution's median."""
    limit = PLAUSIBLE_MAX.get(param.key)
    if limit is None or not x > limit or not math.isfinite(x):
        return
    what = "a rate" if param.unit == "1/year" else "a share"
    per = " a year" if param.unit == "1/year" else ""
    shown = f"{key} = {x:g}" if dist is None else f"{key} has median {x:g} ({dist.describe()})"
    meant = _as_fraction(x) if dist is None else f"a median of {_as_fraction(x)}"
    guess = f"; did you mean {meant}?" if x <= 100 else "; rates and shares are fractions (0.10 for 10%)"
    warnings.warn(f"{shown}: {what} above {limit:g} ({x * 100:g}%{per}){guess}", PlausibilityWarning,
                  stacklevel=2)


# ---------------------------------------------------------------- correlations
def parse_correlations(entries: Any, values: Mapping[str, Any],
                       source: str | None) -> tuple[tuple[str, str, float], ...]:
    """Validate ``[[correlation]]`` tables: sampled keys, |rho| <= 1, each pair
    once, and a positive definite matrix (the offending pairs are named)."""
    if not isinstance(entries, list):
        raise ScenarioError("expected a list of tables with 'between' and 'rho' "
                            "([[correlation]] in TOML)", source=source, key=CORRELATION)
    pairs: list[tuple[str, str, float]] = []
    seen: set[frozenset] = set()
    for i, entry in enumerate(entries):
        where = f"correlation[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"between", "rho"}:
            raise ScenarioError("expected exactly the fields 'between' (two keys) and 'rho'",
                                source=source, key=where)
        between, rho = entry["between"], entry["rho"]
        if (not isinstance(between, list) or len(between) != 2
                or not all(isinstance(k, str) for k in between)):
            raise ScenarioError(f"'between' must list two parameter keys, got {_show(between)}",
                                source=source, key=where)
        a, b = between
        for k in (a, b):
            if k not in PARAMETERS:
                raise ScenarioError(f"unknown key '{k}'{_suggest(k)}", source=source, key=where)
            if k not in values:
                raise ScenarioError(f"'{k}' is not set in this scenario: it cannot be "
                                    "correlated", source=source, key=where)
            if not isinstance(values[k], Distribution):
                raise ScenarioError(f"'{k}' is a constant, not a sampled key: it cannot be "
                                    "correlated", source=source, key=where)
        if a == b:
            raise ScenarioError(f"a key cannot be correlated with itself ('{a}')",
                                source=source, key=where)
        if isinstance(rho, bool) or not isinstance(rho, (int, float)) or not -1 <= rho <= 1:
            raise ScenarioError(f"rho must be a number in [-1, 1], got {_show(rho)} for {a} ~ {b}",
                                source=source, key=where)
        if frozenset((a, b)) in seen:
            raise ScenarioError(f"the pair {a} ~ {b} is declared twice", source=source, key=where)
        seen.add(frozenset((a, b)))
        pairs.append((a, b, float(rho)))
    if pairs:
        _check_positive_definite(pairs, source)
    return tuple(pairs)


def correlation_matrices(pairs) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Keys (registry order), the declared rank correlations, and the normal
    correlations of the Gaussian copula, r = 2 sin(pi rho / 6)."""
    keys = [k for k in PARAMETERS if any(k in (a, b) for a, b, _ in pairs)]
    pos = {k: i for i, k in enumerate(keys)}
    rank = np.eye(len(keys))
    for a, b, rho in pairs:
        rank[pos[a], pos[b]] = rank[pos[b], pos[a]] = rho
    normal = 2 * np.sin(np.pi * rank / 6)
    np.fill_diagonal(normal, 1.0)
    return keys, rank, normal


def _is_positive_definite(m) -> bool:
    try:
        np.linalg.cholesky(m)
    except np.linalg.LinAlgError:
        return False
    return bool(np.linalg.eigvalsh(m).min() > 1e-10)


def _check_positive_definite(pairs, source) -> None:
    keys, rank, normal = correlation_matrices(pairs)
    if _is_positive_definite(rank) and _is_positive_definite(normal):
        return
    declared = {frozenset((a, b)): (a, b, rho) for a, b, rho in pairs}
    culprit = None
    for size in (2, 3):  # the smallest inconsistent set of keys
        for idx in itertools.combinations(range(len(keys)), size):
            sub = np.ix_(idx, idx)
            if not (_is_positive_definite(rank[sub]) and _is_positive_definite(normal[sub])):
                culprit = [keys[i] for i in idx]
                break
        if culprit:
            break
    if culprit is None:  # keys weighing most in the direction of the bad eigenvalue
        w, v = np.linalg.eigh(normal)
        culprit = [keys[i] for i in np.flatnonzero(np.abs(v[:, 0]) > 0.2)]
    named = [f"{a} ~ {b} ({rho:g})" for k, (a, b, rho) in declared.items() if k <= set(culprit)]
    raise ScenarioError(
        "the correlations are inconsistent (the matrix is not positive definite); "
        f"offending pairs: {'; '.join(named)}", source=source, key=CORRELATION)


# ------------------------------------------------------------------ overrides
def parse_assignment(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` from the command line; VALUE is read as a TOML value
    (number, list, inline table) and falls back to a plain string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(f"expected KEY=VALUE, got {_show(text)}", key=OVERRIDE)
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        if raw.startswith(("{", "[", '"')):
            raise ScenarioError(f"cannot read value {_show(raw)} as TOML", key=key) from None
        value = raw
    return key, value


# ------------------------------------------------------------------ TOML out
def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {v!r} as TOML")


def scenario_from_toml_text(text: str, source: str | None = None) -> Scenario:
    """Load a scenario from TOML text (e.g. a result file's ``scenario`` attribute)."""
    return from_mapping(parse_toml(text, source), source=source)


__all__ = ["Strategy", "parse_strategies", "Scenario", "load_scenario", "from_mapping", "parse_assignment",
           "scenario_from_toml_text", "bundled_names", "replace"]
