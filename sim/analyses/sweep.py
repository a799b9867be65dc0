"""Parameter sweeps: one run per point of a grid of scenario values, as one Dataset.

``sweep(scenario, {"market.competitors.lam": [2, 8, 20], ...})`` evaluates the
full outer product of the varied values. Every output of :func:`sim.run` gains
one leading dimension per varied key, named after the key, with the values as
its coordinate. Every point uses the same seed, so the points share their
random numbers (common random numbers) and differences between points reflect
the parameter, not sampling noise; each point equals a separate ``sim.run``
with that value set. The kernels compile once per process, so a sweep costs
only its scenarios.

Under the industry frame (specification section 15) the points share the
calendar years, so neither ``horizon_years`` nor ``industry.start_year`` can
be varied; every point also shares the yearly demand shocks and incidents.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from sim._callable import make_callable
from sim.analyses.request import DEFAULT_QUANTILES, check_limits, resolve_scenario
from sim.engine import driver
from sim.engine.cluster import Run, where
from sim.engine.designs import build_design
from sim.engine.limits import Limits, TimeGuard
from sim.results.dataset import build_dataset, check_pilot
from sim.scenario.load import parameter_key, toml_value
from sim.scenario.plan import build_plan
from sim.services import signals
from sim.services.checks import check_n, check_quantiles, check_seed
from sim.services.progress import progress_bar
from sim.vocab.errors import NonFiniteResults, SimError
from sim.vocab.registry import PARAMETERS, STRUCTURAL

__all__ = ["SweepPoints", "check_point_pilot", "finish_sweep", "parse_values", "parse_vary", "point_text",
           "prepare_sweep", "sweep"]

#: Distribution fields measured in the parameter's own unit; other fields
#: (shapes such as ``sigma``, ``a``, ``b``, ``p``) are dimensionless.
FIELDS_IN_PARAMETER_UNIT = {"mean", "sd", "median", "p5", "p95", "low", "mode", "high",
                            "min", "max", "lam", "shift"}
STRUCTURAL_UNITS = {"horizon_years": "years", "grid.reference_size": "parameters"}
#: Keys an industry-frame sweep cannot vary: every point must have the same calendar years.
INDUSTRY_FIXED = ("horizon_years", "industry.start_year")

_SPACE = re.compile(r"^\s*(linspace|logspace)\s*\((.*)\)\s*$")
VALUES_HELP = "numbers separated by commas (1,2,4), linspace(a,b,k) or logspace(a,b,k)"


# ------------------------------------------------------------------ parsing
def parse_vary(text: str) -> tuple[str, np.ndarray]:
    """``KEY=VALUES`` from the command line, e.g. ``market.competitors.lam=2,8,20``."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise SimError(f"vary: expected KEY=VALUES ({VALUES_HELP}), got {text!r}")
    return key, parse_values(raw, f"vary {key}")


def parse_values(text: str, where: str = "vary") -> np.ndarray:
    """``1,2,4``, ``linspace(a,b,k)`` or ``logspace(a,b,k)`` (10^a to 10^b, as
    ``numpy.logspace``) as an array of distinct finite numbers."""
    m = _SPACE.match(text)
    if m:
        func, inner = m.groups()
        args = [a.strip() for a in inner.split(",")]
        try:
            if len(args) != 3:
                raise ValueError
            a, b, k = float(args[0]), float(args[1]), float(args[2])
            if not (math.isfinite(a) and math.isfinite(b) and k.is_integer() and k >= 1):
                raise ValueError
        except ValueError:
            raise SimError(f"{where}: expected {func}(a, b, k) with finite numbers a, b and "
                           f"a whole number of points k >= 1, got {text.strip()!r}") from None
        values = getattr(np, func)(a, b, int(k))
        return _check_values(values, where, text)
    items = [t.strip() for t in text.split(",")]
    if not text.strip() or any(not t for t in items):
        raise SimError(f"{where}: expected {VALUES_HELP}, got {text.strip()!r}")
    try:
        values = [float(t) for t in items]
    except ValueError:
        raise SimError(f"{where}: expected {VALUES_HELP}, got {text.strip()!r}") from None
    return _check_values(values, where, text)


def _check_values(values: Any, where: str, shown: Any) -> np.ndarray:
    if isinstance(values, str):
        return parse_values(values, where)
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise SimError(f"{where}: expected numbers, got {shown!r}") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 or arr.size == 0:
        raise SimError(f"{where}: expected a non-empty list of numbers, got {shown!r}")
    if not np.all(np.isfinite(arr)):
        raise SimError(f"{where}: expected finite numbers, got {shown!r}")
    if len(np.unique(arr)) != arr.size:
        raise SimError(f"{where}: values must be distinct, got {shown!r}")
    return arr


def _check_keys(keys: Sequence[str], overrides: Mapping[str, Any]) -> None:
    for key in keys:
        if key == "grid.model_sizes":
            raise SimError("vary grid.model_sizes: model sizes are already a dimension of "
                           "every result; set them with overrides grid.model_sizes=[...]")
        if key in ("name", "description", "extends"):
            raise SimError(f"vary {key}: only numeric model keys can be varied")
        if key in overrides:
            raise SimError(f"vary {key}: the key is both set and varied; drop one")
    for a, b in itertools.permutations(keys, 2):
        if b.startswith(a + "."):
            raise SimError(f"vary {b}: a field of {a}, which is varied as a whole; vary one of them")


# ------------------------------------------------------------------ coordinates
def key_metadata(key: str) -> dict[str, str]:
    """``units`` and ``long_name`` of a sweep coordinate."""
    whose = "investors' belief: " if key.startswith("expectation.") else ""
    if parameter_key(key):
        p = PARAMETERS[parameter_key(key)]
        return {"units": p.unit, "long_name": f"{whose}{p.meaning} ({key})"}
    if key in STRUCTURAL:
        return {"units": STRUCTURAL_UNITS.get(key, "1"), "long_name": f"{STRUCTURAL[key]} ({key})"}
    parent, _, fieldname = key.rpartition(".")
    p = PARAMETERS[parameter_key(parent)]  # the scenario has accepted the key, so it is a field
    unit = p.unit if fieldname in FIELDS_IN_PARAMETER_UNIT else "1"
    return {"units": unit,
            "long_name": f"{whose}'{fieldname}' of the distribution of {p.meaning} ({parent})"}


# ------------------------------------------------------------------ sweep
@dataclass
class SweepPoints:
    """A validated sweep, ready to run: one scenario and plan per grid point."""

    keys: list[str]
    values: dict[str, np.ndarray]
    base: Any  # the Scenario before the varied keys
    grid: list[tuple]  # the varied values of each point
    scenarios: list[Any]
    plans: list[Any]
    n: int
    seed: int
    quantiles: Any
    start: float


def sweep(scenario_or_path, vary: Mapping[str, Any], n_scenarios: int = 100_000,
          seed: int = 0, quantiles: Sequence[float] = DEFAULT_QUANTILES, *,
          overrides: Mapping[str, Any] | None = None, chunk_size: int | None = None,
          progress: bool = False, limits: Limits | None = None, client=None,
          scheduler: str | None = None, workers: int | None = None) -> xr.Dataset:
    """Run the scenario at every point of the outer product of ``vary``.

    ``vary`` maps a key (a parameter, a structural key, or one field of a
    distribution such as ``costs.gpu_hour_price.p95``) to its values: numbers
    or a string such as ``"1,2,4"`` or ``"linspace(0.1, 0.5, 5)"``. Keys
    become leading dimensions, in the order given. ``overrides`` apply to
    every point. Every point is validated before any is run. ``limits``
    (:class:`sim.engine.limits.Limits`) refuses requests too large to start without
    asking. ``client``, ``scheduler`` or ``workers`` run every point's chunks
    on a Dask cluster, all submitted at once, with the same numbers.
    """
    limits = limits or Limits()
    sp = prepare_sweep(scenario_or_path, vary, n_scenarios, seed, quantiles, overrides, limits)
    n, n_points = sp.n, len(sp.plans)
    with where(client, scheduler, workers) as executor:
        if executor is not None:
            return finish_sweep(sp, _on_cluster(sp, executor, chunk_size, progress))
        within = driver.Progress(guard=TimeGuard(limits.seconds, n * n_points))
        reductions = []
        try:
            for i, (plan, point) in enumerate(zip(sp.plans, sp.grid)):
                try:
                    reducer = driver.start(plan, sp.seed, build_design("random", sp.seed, n, plan.n_dims),
                                           chunk_size, progress, check_pilot=check_pilot)
                except NonFiniteResults as exc:
                    raise _at_point(sp, point, exc) from None
                if i == 0:  # after the first compile, so the bar's rate is the sampling rate
                    signals.set_phase("simulating", n * n_points)
                    within.bar = progress_bar(n * n_points, progress, desc="sweep")
                if within.bar is not None:
                    within.bar.set_description(f"point {i + 1}/{n_points}")
                    within.bar.set_postfix_str(point_text(sp, point))
                within.done = i * n
                red, _ = driver.execute(reducer, n, within=within)
                reductions.append(red)
        finally:
            if within.bar is not None:
                within.bar.close()
    return finish_sweep(sp, reductions)


def _on_cluster(sp: SweepPoints, executor, chunk_size: int | None, progress: bool) -> list:
    """Every point's reduction, its pilot and chunks submitted to the cluster at once."""
    runs = [Run(f"point {i + 1} ({point_text(sp, point)}), ",
                plan, sp.seed, build_design("random", sp.seed, sp.n, plan.n_dims), chunk_size)
            for i, (plan, point) in enumerate(zip(sp.plans, sp.grid))]
    bar = progress_bar(sp.n * len(runs), progress, desc="sweep")
    try:
        return executor.reduce_many(runs, sp.n, bar, check=lambda i, r: check_point_pilot(sp, i, r))
    finally:
        if bar is not None:
            bar.close()


def point_text(sp: SweepPoints, point) -> str:
    """``key=value, ...`` of a grid point, for messages and progress."""
    return ", ".join(f"{k}={v:g}" for k, v in zip(sp.keys, point))


def _at_point(sp: SweepPoints, point, exc: NonFiniteResults) -> NonFiniteResults:
    return NonFiniteResults(f"at the sweep point {point_text(sp, point)}: {exc}")


def check_point_pilot(sp: SweepPoints, i: int, reducer) -> None:
    """Refuse point ``i`` of a sweep whose pilot found non-finite statistics,
    with the message a local sweep gives (for reducers built elsewhere)."""
    try:
        check_pilot(reducer.pilot_finding, sp.plans[i])
    except NonFiniteResults as exc:
        raise _at_point(sp, sp.grid[i], exc) from None


def prepare_sweep(scenario_or_path, vary: Mapping[str, Any], n_scenarios: int, seed: int,
                  quantiles: Sequence[float], overrides: Mapping[str, Any] | None,
                  limits: Limits | None = None) -> SweepPoints:
    """Check the arguments of :func:`sweep` and build every point's plan
    (refusing, before any is built, a grid larger than ``limits`` allow)."""
    start = time.perf_counter()
    limits = limits or Limits()
    overrides = dict(overrides or {})
    if not isinstance(vary, Mapping) or not vary:
        raise SimError("vary: expected at least one KEY=VALUES")
    keys = list(vary)
    values = {k: _check_values(v, f"vary {k}", v) for k, v in vary.items()}
    _check_keys(keys, overrides)
    base = resolve_scenario(scenario_or_path, overrides)
    if base.industry:
        for key in keys:
            if key in INDUSTRY_FIXED:
                raise SimError(f"vary {key}: under the industry frame every point of a sweep "
                               "has the same calendar years, so horizon_years and "
                               "industry.start_year cannot be varied; set it with overrides "
                               "and run one sweep per value")
    n = check_n(n_scenarios)
    seed = check_seed(seed)
    q = check_quantiles(quantiles)

    n_points = math.prod(len(values[k]) for k in keys)
    n_rows = 1 if base.industry else len(base.model_sizes) * max(1, len(base.strategy_names))
    limits.check_cells(n_rows, n_points)  # before any point is built
    grid = list(itertools.product(*(values[k] for k in keys)))
    points = [base.with_overrides({k: float(v) for k, v in zip(keys, point)}, label="vary")
              for point in grid]
    # The valuation path has a year per horizon year: points that differ in
    # horizon_years cannot share a year axis, so their path is left out.
    same_horizon = len({sc.horizon_years for sc in points}) == 1
    plans = [build_plan(sc, path=same_horizon) for sc in points]
    check_limits(max(plans, key=lambda p: p.n_rows * p.n_columns), n, limits, n_points)
    return SweepPoints(keys, values, base, grid, points, plans, n, seed, q, start)


def finish_sweep(sp: SweepPoints, reductions: list) -> xr.Dataset:
    """One Dataset of every point's reduction (in grid order)."""
    results = []
    for sc, plan, red, point in zip(sp.scenarios, sp.plans, reductions, sp.grid):
        try:
            results.append(build_dataset(sc, plan, red, sp.seed, sp.quantiles))
        except NonFiniteResults as exc:
            raise _at_point(sp, point, exc) from None
    return _stack(results, sp.keys, sp.values, sp.base, sp.plans, time.perf_counter() - sp.start)


def _stack(results: list[xr.Dataset], keys: list[str], values: dict[str, np.ndarray],
           base, plans, elapsed: float) -> xr.Dataset:
    first = results[0]
    shape = tuple(len(values[k]) for k in keys)
    data = {}
    for name, var in first.data_vars.items():
        stacked = np.stack([r[name].values for r in results]).reshape(shape + var.shape)
        data[name] = (tuple(keys) + var.dims, stacked, dict(var.attrs))
    coords = {k: (k, values[k], key_metadata(k)) for k in keys}
    coords.update({c: first[c] for c in first.coords})
    layouts = {(p.n_dims, p.sampled_keys) for p in plans}
    attrs = {k: v for k, v in first.attrs.items()
             if k not in ("elapsed_seconds", "n_dims", "sampled_parameters")}
    if len(layouts) == 1:
        attrs["n_dims"] = first.attrs["n_dims"]
        attrs["sampled_parameters"] = first.attrs["sampled_parameters"]
    attrs.update({
        "title": f"sim sweep of scenario '{base.name}'",
        "scenario_name": base.name,
        "scenario_description": base.description,
        "scenario": base.to_toml(),
        "sweep_keys": ", ".join(keys),
        "sweep_values": "".join(f"{toml_value(k)} = {toml_value([float(x) for x in values[k]])}\n"
                                for k in keys),
        "sweep_points": int(np.prod(shape)),
        "common_random_numbers": (
            "yes: every point draws the same uniforms for the same seed" if len(layouts) == 1 else
            "no: the points draw different numbers of uniforms per scenario "
            "(horizon_years or the set of sampled parameters differs)"),
        "elapsed_seconds": round(float(elapsed), 3),
    })
    ds = xr.Dataset(data, coords=coords, attrs=attrs)
    return ds[sorted(ds.data_vars)]


make_callable(__name__, sweep)  # sim.sweep(...) is this module's sweep
