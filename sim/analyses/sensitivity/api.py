"""``sim.sensitivity``: which uncertain input drives the output of each model size.

Two methods, each on the project's own kernels
(:mod:`sim.engine.matrix`), never a Python loop over scenarios:

* ``rank``: the engine's own sample (the draws ``sim.sample`` returns for
  the same seed) retained in memory, Spearman and partial rank correlations
  of every sampled input with the output (:mod:`.rank`), and a tornado
  (:mod:`.tornado`) on the same uniforms.
* ``sobol``: first- and total-order Sobol' indices from a Saltelli design
  (:mod:`.sobol`).

The result is one Dataset with dimensions ``model_size`` and ``parameter``
(the dotted key of every sampled input, in the plan's order; the Sobol'
method adds ``incidents``, the yearly incident draws as one group).

Under the industry frame (specification section 15) there is one
alternative, the industry, so no ``model_size`` dimension; the output is
any of :mod:`sim.vocab.industry`'s, a scalar (``roi_industry``) or a
per-year field in a calendar year (``cooled@2027``; default: ``cooled`` in
the last year, whose mean is P(cooled by then)). The yearly demand shocks
and incidents come from streams of their own, not from the design, so they
are no Sobol' group: every matrix row ``i`` (of the sample, of ``A``, ``B``
and every ``AB_g``) has the yearly draws of scenario ``i`` of the seed. Every
variable is laid out over the alternatives first, then ``parameter``, so
that a ``strategy`` dimension can stand before ``model_size`` without
changing any other name; the tables and charts loop over whatever
alternatives a result has.

Declared correlations: the rank method and the tornado use the correlated
sample as it is. Sobol' indices are defined for independent inputs, so the
Sobol' method removes the correlations (every marginal as declared, the
copula left out), says so in a :class:`SensitivityNote` warning, and records
it in the attribute ``sobol_correlations``. See ``docs/sensitivity.md``.
"""

from __future__ import annotations

import datetime as _dt
import time
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from sim.vocab import industry as industry_outputs
from sim.vocab import outputs
from sim._version import __version__
from sim.analyses.request import resolve_scenario
from sim.services.checks import check_n, check_seed
from sim.vocab.choices import SENSITIVITY_METHODS, SENSITIVITY_OUTPUTS, SOBOL_ESTIMATORS
from sim.engine.matrix import evaluate_uniforms, plan_uniforms
from sim.kernels.cache import compile_note
from sim.kernels.industry import evaluate_industry_rows
from sim.kernels.rows import design_rows, evaluate_rows
from sim.vocab.errors import SimError, UnknownStatistic
from sim.vocab.units import percent
from sim.scenario.plan import build_plan
from sim.services.progress import progress_bar
from sim.vocab.registry import PARAMETERS
from sim.engine.designs import build_design
from sim.kernels.sampling.rng import key_from_seed
from sim.analyses.sensitivity import rank as rank_stats
from sim.analyses.sensitivity import sobol as sobol_stats
from sim.present.sensitivity_tables import ALTERNATIVE_DIMS
from sim.results.alternatives import add_alternatives
from sim.analyses.sensitivity.tornado import PERCENTILES, median_interval, tornado

__all__ = ["ALTERNATIVE_DIMS", "DEFAULT_N", "TORNADO_N", "ESTIMATORS", "INCIDENTS", "INDUSTRY_NOISE", "MAX_RETAINED",
           "MAX_SOBOL_BASE", "METHODS", "OUTPUTS", "SensitivityNote", "sensitivity"]

METHODS = SENSITIVITY_METHODS
OUTPUTS = SENSITIVITY_OUTPUTS
ESTIMATORS = SOBOL_ESTIMATORS
DEFAULT_N = 32_768
#: Default scenarios of the tornado (2 p of its runs for p inputs): the 95%
#: interval of each median then runs from about the 48.9% to the 51.1% quantile.
TORNADO_N = 8_192
#: Largest retained sample of the rank method (its uniforms, draws and ranks
#: stay in memory: about 1 GB for the baseline at this size).
MAX_RETAINED = 1 << 20
#: Largest Sobol' base sample (N (G + 2) evaluations are kept for the bootstrap).
MAX_SOBOL_BASE = 1 << 18
#: The name of the group of yearly incident draws in the parameter dimension.
INCIDENTS = "incidents"
#: Why the industry frame has no ``incidents`` group (the attribute ``sobol_incidents``).
INDUSTRY_NOISE = (
    "not a group: under the industry frame the yearly demand shocks and incidents come from "
    "streams of their own, not from the design, so they are no Sobol' input; row i of A, B and "
    "every AB_g has the yearly draws of scenario i of the seed. ST is then the usual total index "
    "(the noise counted among the other inputs); S1 is the input's first-order effect plus its "
    "interactions with that noise; 1 - sum S1 includes the noise's own share")


class SensitivityNote(UserWarning):
    """What the analysis did to the request (n rounded up, correlations removed)."""


def _check_choice(name: str, value: str, options) -> str:
    if value not in options:
        raise SimError(f"{name}: expected one of {', '.join(options)}, got {value!r}")
    return value


def sensitivity(scenario_or_path, n_scenarios: int = DEFAULT_N, seed: int = 0, *,
                method: str = "both", output: str | None = None,
                overrides: Mapping[str, Any] | None = None, tornado_n: int | None = None,
                percentiles=PERCENTILES, estimator: str = "saltelli-janon", ci_level: float = 0.95,
                progress: bool = False) -> xr.Dataset:
    """Sensitivity of ``output`` (``roi``, the default, ``net_value`` or
    ``roi_expected``) to every sampled input, per model size; under the
    industry frame, of one of its outputs (``roi_industry``,
    ``cooled@2027``; default ``cooled`` in the last year: see
    :func:`sim.vocab.industry.parse_statistic`).

    ``method`` is ``"rank"``, ``"sobol"`` or ``"both"``. ``n_scenarios`` is
    the retained sample of the rank method (at most :data:`MAX_RETAINED`)
    and the base sample ``N`` of the Sobol' design (rounded up to a power of
    two, at most :data:`MAX_SOBOL_BASE`; ``N (G + 2)`` evaluations for ``G``
    groups). The tornado uses the first ``tornado_n`` scenarios of the rank
    sample (default: all), ``2 p tornado_n`` evaluations for ``p`` inputs.
    ``estimator`` is ``"saltelli-janon"`` (the default: Saltelli 2010 first
    order, Janon et al. 2014 total order), ``"saltelli"`` (Saltelli 2010 and
    Jansen, as SALib), ``"janon"`` (Janon for both) or ``"salib"`` (SALib's
    own ``sobol.analyze`` on the same evaluations; optional dependency):
    see :mod:`sim.analyses.sensitivity.sobol`.

    The same scenario, seed and ``n_scenarios`` give the same numbers.
    """
    start = time.perf_counter()
    scenario = resolve_scenario(scenario_or_path, overrides)
    if scenario.strategies:  # one analysis per strategy's world, along a strategy dimension
        import xarray as xr

        parts = [sensitivity(st.scenario, n_scenarios, seed, method=method, output=output,
                             tornado_n=tornado_n, percentiles=percentiles, estimator=estimator,
                             ci_level=ci_level, progress=progress) for st in scenario.strategies]
        names = [st.name for st in scenario.strategies]
        keys = list(dict.fromkeys(k for part in parts for k in part["parameter"].values))
        if any(list(part["parameter"].values) != keys for part in parts):
            raise SimError("sensitivity of a scenario with strategies needs every strategy to "
                           "sample the same inputs; run the strategies' scenarios one by one")
        ds = xr.concat(parts, dim="strategy", combine_attrs="override")
        ds.coords["strategy"] = ("strategy", names, {"long_name": "strategy (docs/model.md section 2d)"})
        add_alternatives(ds, build_plan(scenario), len(names), len(scenario.model_sizes))
        ds.attrs["scenario_name"] = scenario.name
        ds.attrs["per_strategy"] = ("each strategy analysed on its own world, the scenario with "
                                    "its overrides, at the same seed")
        return ds
    n = check_n(n_scenarios)
    seed = check_seed(seed)
    _check_choice("method", method, METHODS)
    plan = build_plan(scenario)
    if plan.industry:
        stat = industry_outputs.parse_statistic(output, plan.start_year, plan.horizon)
        output, column = stat.name, stat.column
    else:
        output = "roi" if output is None else output
        if output not in OUTPUTS:
            raise UnknownStatistic(f"output: expected one of {', '.join(OUTPUTS)}, got {output!r}"
                                   " (NAME@YEAR statistics are the industry frame's)")
        stat = outputs.by_name(output)
        column = stat.index
    _check_choice("estimator", estimator, ESTIMATORS)
    if not (isinstance(ci_level, float) and 0 < ci_level < 1):
        raise SimError(f"ci_level: expected a number strictly between 0 and 1, got {ci_level!r}")
    levels = np.asarray(percentiles, dtype=float)
    if levels.ndim != 1 or levels.size == 0 or not np.all((levels > 0) & (levels < 1)):
        raise SimError(f"percentiles: expected numbers strictly between 0 and 1, got {percentiles!r}")
    if plan.n_sampled == 0:
        raise SimError(f"scenario '{scenario.name}' samples no input: there is nothing to rank")
    do_rank = method in ("rank", "both")
    do_sobol = method in ("sobol", "both")
    if do_rank and n > MAX_RETAINED:
        raise SimError(f"n_scenarios: the rank method keeps its sample in memory, at most "
                       f"{MAX_RETAINED:,} scenarios; got {n:,}")
    n_tornado = min(n, TORNADO_N) if tornado_n is None else check_n(tornado_n, "tornado_n")
    if do_rank and n_tornado > n:
        raise SimError(f"tornado_n: at most n_scenarios ({n:,}), got {n_tornado:,}")
    n_base, note = sobol_stats.base_size(n) if do_sobol else (0, "")
    if do_sobol and n_base > MAX_SOBOL_BASE:
        raise SimError(f"n_scenarios: the Sobol' base sample is at most {MAX_SOBOL_BASE:,}; "
                       f"got {n_base:,}")
    groups = [[d] for d in range(plan.n_sampled)]
    incidents = plan.n_dims > plan.n_sampled  # the yearly incident draws are design dimensions
    if incidents:
        groups.append(list(range(plan.n_sampled, plan.n_dims)))
    names = list(plan.sampled_keys) + ([INCIDENTS] if do_sobol and incidents else [])

    total = (n + len(levels) * plan.n_sampled * n_tornado if do_rank else 0) + \
        (n_base * (len(groups) + 2) if do_sobol else 0)
    bar = progress_bar(total, progress, desc="sensitivity")
    data: dict[str, tuple] = {}
    attrs: dict[str, Any] = {}
    # says so when a kernel is compiled (a cold cache)
    with compile_note(progress, (design_rows, evaluate_industry_rows if plan.industry else evaluate_rows)):
        try:
            if do_rank:
                data.update(_rank_part(plan, n, n_tornado, seed, column, levels, ci_level, names, bar))
                attrs.update(_rank_attrs(n, n_tornado, levels, plan.n_sampled))
            if do_sobol:
                if note:
                    warnings.warn(note, SensitivityNote, stacklevel=2)
                    attrs["sampler_note"] = note
                attrs["sobol_correlations"] = _correlation_note(scenario, plan)
                if plan.industry:
                    attrs["sobol_incidents"] = INDUSTRY_NOISE
                if scenario.correlations:
                    warnings.warn(attrs["sobol_correlations"], SensitivityNote, stacklevel=2)
                data.update(_sobol_part(plan, n_base, groups, seed, column, ci_level, estimator,
                                        names, bar))
                attrs.update(_sobol_attrs(n_base, groups, estimator))
        finally:
            if bar is not None:
                bar.close()
    return _dataset(scenario, plan, data, names, levels, attrs, method, output, stat, seed, n,
                    ci_level, time.perf_counter() - start)


# ------------------------------------------------------------------ rank method
def _rank_part(plan, n, n_tornado, seed, column, levels, ci_level, names, bar) -> dict:
    design = build_design("random", seed, n, plan.n_dims)
    U = plan_uniforms(plan, design, key_from_seed(seed), 0, n)
    y, x = evaluate_uniforms(plan, U, [column], keep_draws=True, seed=seed)
    y = y[:, :, 0]
    if bar is not None:
        bar.update(n)
    rx = rank_stats.rank_columns(x)
    ry = rank_stats.rank_columns(y)
    rho, rho_ci = rank_stats.spearman(rx, ry, ci_level)
    partial, partial_ci = rank_stats.prcc(rx, ry, ci_level)
    med, med_ci = median_interval(y[:n_tornado], ci_level)
    mean = {}
    if plan.industry:  # the mean of an indicator is the probability the frame reports
        mean = {
            "mean": (("model_size",), y.mean(axis=0), {
                "long_name": "mean of the output over the rank sample", "units": "output"}),
            "mean_se": (("model_size",), y.std(axis=0, ddof=1) / np.sqrt(n) if n > 1
                        else np.full(y.shape[1], np.nan), {
                "long_name": "Monte Carlo standard error of the mean", "units": "output"}),
        }
    tor = tornado(plan, U[:n_tornado], column, tuple(levels), ci_level, bar, seed=seed)
    p = plan.n_sampled
    extra = len(names) - p  # parameters the rank method has no number for (incidents)

    def per_parameter(a, axis):  # pad the parameter axis with NaN for the groups
        if not extra:
            return a
        pad = [(0, 0)] * a.ndim
        pad[axis] = (0, extra)
        return np.pad(a, pad, constant_values=np.nan)

    sp = ("model_size", "parameter")
    spb = sp + ("bound",)
    spq = sp + ("percentile",)
    level = percent(ci_level, 0)
    return {
        **mean,
        "spearman": (sp, per_parameter(rho.T, 1), {
            "long_name": "Spearman rank correlation of the input with the output", "units": "1"}),
        "spearman_ci": (spb, per_parameter(np.swapaxes(rho_ci, 0, 1), 1), {
            "long_name": f"{level} interval of the Spearman correlation (Fisher z, Bonett-Wright "
                         "standard error)", "units": "1"}),
        "prcc": (sp, per_parameter(partial.T, 1), {
            "long_name": "partial rank correlation of the input with the output, given every "
                         "other input", "units": "1"}),
        "prcc_ci": (spb, per_parameter(np.swapaxes(partial_ci, 0, 1), 1), {
            "long_name": f"{level} interval of the partial rank correlation (Fisher z)",
            "units": "1"}),
        "tornado_median": (spq, per_parameter(tor["median"], 1), {
            "long_name": "median of the output with the input held at the percentile, others "
                         "sampled", "units": "output"}),
        "tornado_median_ci": (spq + ("bound",), per_parameter(tor["median_ci"], 1), {
            "long_name": f"{level} order-statistic interval of the tornado median",
            "units": "output"}),
        "tornado_input": (("parameter", "percentile"), per_parameter(tor["value"], 0), {
            "long_name": "value of the input at the percentile (the input's own units: "
                         "parameter_units)", "units": "parameter_units"}),
        "median": (("model_size",), med, {
            "long_name": "median of the output over the tornado's scenarios, no input held",
            "units": "output"}),
        "median_ci": (("model_size", "bound"), med_ci, {
            "long_name": f"{level} order-statistic interval of the median", "units": "output"}),
    }


def _rank_attrs(n, n_tornado, levels, n_inputs) -> dict:
    return {
        "rank_n": int(n),
        "tornado_n": int(n_tornado),
        "tornado_evaluations": int(n_inputs * len(levels) * n_tornado),
        "rank_sample": ("the engine's random design for the seed, scenarios 0..rank_n-1 "
                        "(the draws sim.sample returns), retained; exact average ranks"),
        "rank_ci_method": ("analytic, Fisher z = atanh(r): Spearman with the Bonett-Wright "
                           "standard error sqrt((1 + r^2/2) / (n - 3)); PRCC with "
                           "1 / sqrt(n - 3 - k), k = inputs partialled out"),
        "tornado_method": ("median of the output with the input's uniform set to the "
                           "percentile in every scenario of the rank sample (first tornado_n), "
                           "every other input's draws unchanged (common random numbers); "
                           "order-statistic intervals"),
    }


# ------------------------------------------------------------------ Sobol' method
def _sobol_part(plan, n_base, groups, seed, column, ci_level, estimator, names, bar) -> dict:
    def evaluate(U):
        y, _ = evaluate_uniforms(plan, U, [column], seed=seed)  # row i: scenario i's own streams
        return y[:, :, 0]

    A, B = sobol_stats.base_matrices(plan.n_dims, n_base, seed)
    fA, fB, fAB = sobol_stats.evaluate_design(evaluate, A, B, groups, bar)
    if estimator == "salib":
        ind = sobol_stats.salib_indices(fA, fB, fAB, ci_level, seed=seed)
    else:
        ind = sobol_stats.estimate(fA, fB, fAB, ci_level, seed=seed, formula=estimator)
    sp = ("model_size", "parameter")
    spb = sp + ("bound",)
    level = percent(ci_level, 0)
    return {
        "sobol_first": (sp, ind.first.T, {
            "long_name": "first-order Sobol' index: share of the output's variance explained by "
                         "the input alone", "units": "1"}),
        "sobol_first_ci": (spb, np.swapaxes(ind.first_ci, 0, 1), {
            "long_name": f"{level} bootstrap interval of the first-order index", "units": "1"}),
        "sobol_total": (sp, ind.total.T, {
            "long_name": "total-order Sobol' index: share of the output's variance that involves "
                         "the input, interactions included", "units": "1"}),
        "sobol_total_ci": (spb, np.swapaxes(ind.total_ci, 0, 1), {
            "long_name": f"{level} bootstrap interval of the total-order index", "units": "1"}),
        "sobol_first_sum": (("model_size",), ind.first_sum, {
            "long_name": "sum of the first-order indices (1 - sum: the share of interactions)",
            "units": "1"}),
        "sobol_first_sum_ci": (("model_size", "bound"), ind.first_sum_ci, {
            "long_name": f"{level} bootstrap interval of the sum of first-order indices",
            "units": "1"}),
        "output_variance": (("model_size",), ind.variance, {
            "long_name": "variance of the output over the Sobol' base rows", "units": "output^2"}),
    }


def _sobol_attrs(n_base, groups, estimator) -> dict:
    return {
        "sobol_base_n": int(n_base),
        "sobol_groups": int(len(groups)),
        "sobol_evaluations": int(n_base * (len(groups) + 2)),
        "sobol_design": ("Saltelli: A and B are the halves of a scrambled Sobol' sequence of "
                         "twice the dimension; AB_g is A with group g's columns from B"),
        "sobol_estimator": {
            "saltelli-janon": "first order: Saltelli et al. 2010; total order: Janon et al. 2014 "
                              "on the pairs (f(A), f(AB_g)); outputs centred by their overall mean",
            "janon": "Janon et al. 2014 on the pairs (f(B), f(AB_g)) for first order and "
                     "(f(A), f(AB_g)) for total order; outputs centred by their overall mean",
            "saltelli": "first order: Saltelli et al. 2010; total order: Jansen 1999; outputs "
                        "centred by their overall mean",
            "salib": "SALib sobol.analyze (Saltelli 2010 and Jansen) on the same evaluations",
        }[estimator],
        "sobol_ci_method": (f"bootstrap over the {n_base:,} base rows "
                            f"({sobol_stats.N_BOOTSTRAP} resamples), index -+ z sd; the rows "
                            "of a scrambled Sobol' design are not independent, so the intervals "
                            "are conservative"),
    }


def _correlation_note(scenario, plan) -> str:
    if not scenario.correlations:
        return "none declared: the inputs are independent, as Sobol' indices assume"
    pairs = ", ".join(f"{a} ~ {b} ({rho:+g})" for a, b, rho in scenario.correlations)
    return (f"sobol: the scenario declares rank correlations ({pairs}); Sobol' indices assume "
            "independent inputs, so the Sobol' method evaluates the model with the correlations "
            "removed (every marginal as declared). The rank method and the tornado keep them.")


# ------------------------------------------------------------------ the Dataset
def _dataset(scenario, plan, data, names, levels, attrs, method, output, stat, seed, n, ci_level,
             elapsed) -> xr.Dataset:
    if plan.industry:  # one alternative, the industry: no model_size dimension
        data = {name: (dims[1:], values[0], var_attrs) if dims[:1] == ("model_size",)
                else (dims, values, var_attrs) for name, (dims, values, var_attrs) in data.items()}
    for _, _, var_attrs in data.values():
        if var_attrs.get("units") == "output":
            var_attrs["units"] = stat.units
        elif var_attrs.get("units") == "output^2":
            var_attrs["units"] = "1" if stat.units == "1" else f"{stat.units}^2"
    meaning = [PARAMETERS[k].meaning if k in PARAMETERS else
               "yearly incident draws (all years, one group)" for k in names]
    units = [PARAMETERS[k].unit if k in PARAMETERS else "1" for k in names]
    coords = {} if plan.industry else {
        "model_size": ("model_size", np.asarray(scenario.model_sizes, dtype=float),
                       {"long_name": "model size", "units": "parameters"})}
    coords.update({
        "parameter": ("parameter", np.asarray(names, dtype=object),
                      {"long_name": "sampled input (dotted scenario key)"}),
        "parameter_meaning": ("parameter", np.asarray(meaning, dtype=object),
                              {"long_name": "what the input is"}),
        "parameter_units": ("parameter", np.asarray(units, dtype=object),
                            {"long_name": "units of the input"}),
        "bound": ("bound", ["lower", "upper"], {"long_name": "interval bound", "units": "1"}),
    })
    if "tornado_median" in data:
        coords["percentile"] = ("percentile", levels,
                                {"long_name": "percentile at which the input is held", "units": "1"})
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update({
        "title": f"sim sensitivity of {output} for scenario '{scenario.name}'",
        "analysis": "sensitivity",
        "method": method,
        "output": output,
        "output_long_name": stat.long_name,
        "output_units": stat.units,
        "scenario_name": scenario.name,
        "scenario_description": scenario.description,
        "scenario": scenario.to_toml(),
        "seed": int(seed),
        "n_scenarios": int(n),
        "n_dims": int(plan.n_dims),
        "sampled_parameters": ", ".join(plan.sampled_keys),
        "ci_level": float(ci_level),
        "sim_version": __version__,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "elapsed_seconds": round(float(elapsed), 3),
        "Conventions": "CF-1.10",
    })
    if plan.industry:
        ds.attrs.update({
            "frame": "industry",
            "start_year": int(plan.start_year),
            "statistic": stat.field.name,
            "statistic_year": -1 if stat.calendar_year is None else int(stat.calendar_year),
            "statistic_indicator": int(stat.field.indicator),
            "statistic_help": ("the output is one number per scenario: a scalar, or a per-year "
                               "output in the calendar year statistic_year (-1: a scalar); the "
                               "mean of an indicator is a probability, e.g. cooled@2032: "
                               "P(cooled by 2032)"),
        })
    ds.attrs.update(attrs)
    return ds
