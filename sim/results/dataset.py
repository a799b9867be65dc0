"""Results as self-describing xarray Datasets, netCDF files and tables."""

from __future__ import annotations

import datetime as _dt
import math
import os
from pathlib import Path

import numpy as np
import xarray as xr

from sim.vocab import objectives, outputs
from sim.services import dask_on_demand, signals, special
from sim._version import __version__
from sim.services.atomic import check_output, write_bytes
from sim.services.checks import seed_attribute
from sim.engine import sketch
from sim.kernels.accumulators import N_BINS
from sim.vocab.errors import NonFiniteResults, SimError
from sim.vocab.layout import BLOCK, PILOT
from sim.vocab.outputs import PATH_FIELDS, STATISTICS
from sim.vocab.registry import PARAMETERS
from sim.vocab.objectives import DEFAULT_OBJECTIVE
from sim.vocab.units import percent, size_label
from sim.results.diagnosis import HOW_TO_FIX, suspects as _suspects
from sim.results.alternatives import add_alternatives

__all__ = ["CI_LEVEL", "CVAR_LEVEL", "DISTRIBUTION_LEVELS", "binom_ppf", "build_dataset",
           "build_sample_dataset", "check_finite", "check_pilot", "netcdf_bytes", "write_netcdf"]

dask_on_demand.install()  # a Dataset of NumPy arrays does not import Dask

CVAR_LEVEL = 0.05
#: Probability levels of the stored quantile functions (for histograms and
#: exceedance curves): every 0.1% from 0.05% to 99.95%.
DISTRIBUTION_LEVELS = (np.arange(1000) + 0.5) / 1000

CI_LEVEL = 0.95


def binom_ppf(level: float, n: int, p) -> np.ndarray:
    """Smallest k with P(Bin(n, p) <= k) >= level, for each p (as
    ``scipy.stats.binom.ppf``, from scipy.special's values remembered
    between runs to keep start-up light)."""
    out = []
    for pi in np.atleast_1d(np.asarray(p, dtype=float)):
        k = int(min(max(math.ceil(special.bdtrik(level, n, pi)), 0), n))
        while k > 0 and special.bdtr(k - 1, n, pi) >= level:
            k -= 1
        while k < n and special.bdtr(k, n, pi) < level:
            k += 1
        out.append(k)
    return np.asarray(out, dtype=float)


def row_labels(strategy_names, sizes) -> list[str]:
    """A label per result row (alternative): the size, after the strategy
    when there are several (rows are strategy-major)."""
    if len(strategy_names) < 2:
        return [size_label(s) for s in sizes]
    return [f"{name} {size_label(s)}" for name in strategy_names for s in sizes]


def check_pilot(finding, plan) -> None:
    """Stop before the main run if the pilot found infinite or NaN statistics
    (:class:`sim.engine.reducer.NonFinite`), naming the sizes, how many
    pilot scenarios, and the sampled keys whose draws stand out in them."""
    if finding is None:
        return
    if getattr(plan, "industry", False):
        from sim.results.industry import check_industry_pilot

        check_industry_pilot(finding, plan)
    labels = row_labels(plan.strategy_names, plan.model_sizes)
    where = ", ".join(f"{lab} ({k:,})" for lab, k in zip(labels, finding.by_size) if k)
    stats = ", ".join(outputs.column_name(k) for k in finding.stats[:6])
    share = finding.n_scenarios / finding.n_pilot
    raise NonFiniteResults(
        f"the model gives infinite or NaN results in {finding.n_scenarios:,} of the first "
        f"{finding.n_pilot:,} scenarios ({percent(share)}), at sizes {where}, in {stats}; "
        f"{_suspects(plan, finding.ranks, finding.n_scenarios)}; {HOW_TO_FIX}")


def check_finite(red, sizes, strategy_names=()) -> None:
    """The guard after a run: every mean and standard error must be finite.

    A single infinite or NaN scenario makes its mean non-finite, so this finds
    any that the pilot did not (they are rarer than 1 in the pilot's size).
    The reduced state cannot say how many there were (see the hardening
    notes: that needs a count in the kernel).
    """
    with np.errstate(invalid="ignore", over="ignore"):
        bad = ~(np.isfinite(red.mean) & np.isfinite(red.standard_error()))
    if not bad.any():
        return
    labels = row_labels(strategy_names, sizes)
    where = ", ".join(lab for lab, b in zip(labels, bad.any(axis=1)) if b)
    stats = ", ".join(outputs.column_name(k) for k in np.flatnonzero(bad.any(axis=0))[:6])
    raise NonFiniteResults(
        f"the model gives infinite or NaN results at sizes {where}, in {stats}, in some of "
        f"the {red.n:,} scenarios (none among the first {min(red.n, PILOT):,}, so they are "
        f"rare); {HOW_TO_FIX}")


def build_dataset(scenario, plan, red, seed: int, quantiles: np.ndarray,
                  extra_attrs: dict | None = None) -> xr.Dataset:
    """Summary statistics of a reduction, one entry per model size.

    Standard errors come from the sample variance for independent draws and
    from the spread of replicate estimates for LHS and Sobol' designs;
    quantile intervals are distribution-free order-statistic intervals.
    A reduction with an infinite or NaN mean is refused
    (:class:`~sim.vocab.errors.NonFiniteResults`): no NaN reaches a table.
    """
    if getattr(plan, "industry", False):
        return _industry(scenario, plan, red, seed, quantiles, extra_attrs)
    check_finite(red, scenario.model_sizes, plan.strategy_names)
    n = red.n
    sizes = np.asarray(scenario.model_sizes, dtype=float)
    std = np.sqrt(red.m2 / max(n - 1, 1))
    se = red.standard_error()
    R = red.n_replicates
    crit = float(special.ndtri(0.5 + CI_LEVEL / 2)) if R == 1 else \
        float(special.stdtrit(R - 1, 0.5 + CI_LEVEL / 2))
    size_dim = ("model_size",)
    data: dict[str, tuple] = {}

    for stat in STATISTICS:
        if not stat.has_mean_variable:
            continue
        k, name, long_name, units = stat.index, stat.name, stat.long_name, stat.units
        data[f"{name}_mean"] = (size_dim, red.mean[:, k], {"long_name": f"mean {long_name}", "units": units})
        data[f"{name}_mean_se"] = (size_dim, se[:, k], {
            "long_name": f"Monte Carlo standard error of mean {long_name}", "units": units})
    for k in (outputs.ROI, outputs.ROI_EXPECTED, outputs.NET_VALUE):
        stat = STATISTICS[k]
        name, long_name, units = stat.name, stat.long_name, stat.units
        data[f"{name}_std"] = (size_dim, std[:, k], {"long_name": f"standard deviation of {long_name}", "units": units})

    n_sizes = red.mean.shape[0]  # rows: one per alternative (strategy, size), strategy-major
    roi_q = np.empty((n_sizes, len(quantiles)))
    exp_q = np.empty((n_sizes, len(quantiles)))
    net_q = np.empty((n_sizes, len(quantiles)))
    cvar = np.empty(n_sizes)
    cvar_se = np.empty(n_sizes)
    for j in range(n_sizes):
        h = red.histogram_of(j, outputs.ROI)
        roi_q[j] = sketch.histogram_quantiles(*h, quantiles)
        cvar[j], cvar_se[j] = sketch.histogram_cvar(*h, CVAR_LEVEL)
        exp_q[j] = sketch.histogram_quantiles(*red.histogram_of(j, outputs.ROI_EXPECTED), quantiles)
        net_q[j] = sketch.histogram_quantiles(*red.histogram_of(j, outputs.NET_VALUE), quantiles)
    levels = DISTRIBUTION_LEVELS
    roi_dist = np.stack([sketch.histogram_quantiles(*red.histogram_of(j, outputs.ROI), levels)
                         for j in range(n_sizes)])
    exp_dist = np.stack([sketch.histogram_quantiles(*red.histogram_of(j, outputs.ROI_EXPECTED), levels)
                         for j in range(n_sizes)])
    pdims = ("model_size", "probability")
    data["roi_distribution"] = (pdims, roi_dist, {
        "long_name": "ROI quantile function on a fine grid (each interval holds 0.1% of scenarios)",
        "units": "1"})
    data["roi_expected_distribution"] = (pdims, exp_dist, {
        "long_name": "expected-ROI quantile function on a fine grid", "units": "1"})
    qdims = ("model_size", "quantile")
    data["roi_quantile"] = (qdims, roi_q, {"long_name": "quantile of ROI", "units": "1"})
    data["roi_expected_quantile"] = (qdims, exp_q, {"long_name": "quantile of expected ROI", "units": "1"})
    data["net_value_quantile"] = (qdims, net_q, {"long_name": "quantile of net value, NPV - I", "units": "USD"})
    # Order-statistic intervals: the ranks between which the q-quantile of the
    # population lies with probability CI_LEVEL (binomial quantiles).
    lo_rank = binom_ppf((1 - CI_LEVEL) / 2, n, quantiles) / n
    hi_rank = np.minimum(binom_ppf(0.5 + CI_LEVEL / 2, n, quantiles) + 1, n) / n
    ci_levels = np.stack([lo_rank, hi_rank], axis=-1)  # (quantile, bound)
    cidims = ("model_size", "quantile", "bound")
    for name, stat in (("roi", outputs.ROI), ("roi_expected", outputs.ROI_EXPECTED)):
        ci = np.stack([sketch.histogram_quantiles(*red.histogram_of(j, stat),
                                                      ci_levels.ravel()).reshape(ci_levels.shape)
                       for j in range(n_sizes)])
        data[f"{name}_quantile_ci"] = (cidims, ci, {
            "long_name": f"{percent(CI_LEVEL, 0)} order-statistic interval of the {name.replace('_', ' ')} quantile",
            "units": "1"})
    mean_ci = np.stack([red.mean[:, outputs.ROI] - crit * se[:, outputs.ROI],
                        red.mean[:, outputs.ROI] + crit * se[:, outputs.ROI]], axis=-1)
    data["roi_mean_ci"] = (("model_size", "bound"), mean_ci, {
        "long_name": f"{percent(CI_LEVEL, 0)} confidence interval of mean ROI", "units": "1"})
    data["prob_loss"] = (size_dim, red.mean[:, outputs.LOSS], {"long_name": "probability of a loss, P(ROI < 0)", "units": "1"})
    data["prob_loss_se"] = (size_dim, se[:, outputs.LOSS], {
        "long_name": "Monte Carlo standard error of P(ROI < 0)", "units": "1"})
    data["cvar_05"] = (size_dim, cvar, {"long_name": "CVaR 5%: mean ROI of the worst 5% of scenarios", "units": "1"})
    data["cvar_05_se"] = (size_dim, cvar_se, {"long_name": "Monte Carlo standard error of CVaR 5%", "units": "1"})
    data["prob_best"] = (size_dim, red.mean[:, outputs.BEST], {
        "long_name": "probability that this size has the highest ROI of the grid (ties split)", "units": "1"})
    data["prob_best_se"] = (size_dim, se[:, outputs.BEST], {
        "long_name": "Monte Carlo standard error of P(best)", "units": "1"})
    if has_path(plan):
        _path_variables(data, red, plan, se, quantiles, ci_levels)
    _unit_economics(data, red, se, quantiles)
    data["data_limited_share"] = (size_dim, red.mean[:, outputs.DATA_LIMITED], {
        "long_name": "share of scenarios whose training tokens D exceed the data stock", "units": "1"})
    data["data_limited_share_se"] = (size_dim, se[:, outputs.DATA_LIMITED], {
        "long_name": "Monte Carlo standard error of the data-limited share", "units": "1"})

    objective = getattr(scenario, "objective", DEFAULT_OBJECTIVE)
    data["regret_mean"][2]["units"] = data["regret_mean_se"][2]["units"] = objectives.objective(objective).units
    data["prob_best"][2]["long_name"] = (
        f"probability that this alternative has the highest {objectives.objective(objective).label} "
        "of all (strategy, size) alternatives (ties split)")
    strategies = getattr(scenario, "strategies", ())
    if strategies:
        data = _by_strategy(data, len(strategies), len(sizes))
    ds = xr.Dataset(
        data,
        coords={
            "model_size": ("model_size", sizes, {"long_name": "model size", "units": "parameters"}),
            **({"strategy": ("strategy", [st.name for st in strategies], {
                "long_name": "strategy (docs/model.md section 2d)",
                "description": "; ".join(f"{st.name}: {st.description}" for st in strategies)})}
               if strategies else {}),
            "quantile": ("quantile", np.asarray(quantiles, dtype=float), {"long_name": "quantile level", "units": "1"}),
            "probability": ("probability", levels, {
                "long_name": "cumulative probability of the stored quantile functions", "units": "1"}),
            "bound": ("bound", ["lower", "upper"], {"long_name": "interval bound", "units": "1"}),
            **({"year": ("year", np.arange(plan.horizon + 1), YEAR_ATTRS)} if has_path(plan) else {}),
        },
        attrs=_attrs(scenario, seed, n, plan, red.elapsed),
    )
    ds.attrs["ci_level"] = CI_LEVEL
    ds.attrs["n_replicates"] = int(R)
    ds.attrs["se_method"] = (
        "sample standard deviation / sqrt(n)" if R == 1 else
        f"standard deviation of {R} independent replicate means / sqrt({R}); "
        f"intervals use Student's t with {R - 1} degrees of freedom")
    add_alternatives(ds, plan, len(strategies), len(sizes))
    _decision_summary(ds, red, plan, objective)
    _price_decline(ds, red, quantiles, len(strategies), len(sizes))
    add_active_parameters(ds, plan, sizes, bool(strategies))
    ds.attrs.update(extra_attrs or {})
    return ds[sorted(ds.data_vars)]


def _industry(scenario, plan, red, seed: int, quantiles, extra_attrs: dict | None) -> xr.Dataset:
    """The industry frame's Dataset (:mod:`sim.results.industry`), with the
    same standard errors, intervals and attributes as a project run."""
    from sim.results.industry import build_industry_dataset

    n, R = red.n, red.n_replicates
    crit = float(special.ndtri(0.5 + CI_LEVEL / 2)) if R == 1 else \
        float(special.stdtrit(R - 1, 0.5 + CI_LEVEL / 2))
    lo_rank = binom_ppf((1 - CI_LEVEL) / 2, n, quantiles) / n
    hi_rank = np.minimum(binom_ppf(0.5 + CI_LEVEL / 2, n, quantiles) + 1, n) / n
    ci_levels = np.stack([lo_rank, hi_rank], axis=-1)
    attrs = _attrs(scenario, seed, n, plan, red.elapsed)
    attrs.update(ci_level=CI_LEVEL, n_replicates=int(R), se_method=(
        "sample standard deviation / sqrt(n)" if R == 1 else
        f"standard deviation of {R} independent replicate means / sqrt({R}); "
        f"intervals use Student's t with {R - 1} degrees of freedom"))
    ds = build_industry_dataset(scenario, plan, red, quantiles, crit, ci_levels, attrs)
    ds.attrs.update(extra_attrs or {})
    return ds


#: Per-scenario columns a sample stores besides those with a mean variable.
SAMPLED_INDICATORS = (outputs.DATA_LIMITED, outputs.SERVED_Y1, outputs.MARGIN_Y1,
                      outputs.PRICE_DECLINE_FIXED)


def _unit_economics(data: dict, red, se, quantiles: np.ndarray) -> None:
    """Model v3's year-1 unit economics per alternative: quantiles of the
    serving cost and of our price per output token, the share served in year
    1, and the serving margin's quantiles among the scenarios served then.

    The margin is stored clipped at -1 and is <= 0 exactly where the model
    is not served, so the served scenarios are the top ``P`` of its
    distribution: their q-quantile is the whole distribution's
    ``1 - P + q P`` quantile. Where no scenario is served in year 1 the
    quantiles are those of all scenarios (each <= 0: how far below
    break-even), as the attribute ``where_none_served`` says."""
    size_dim, qdims = ("model_size",), ("model_size", "quantile")
    n_rows = red.mean.shape[0]
    for col in (outputs.COST_Y1, outputs.PRICE_Y1):
        stat = STATISTICS[col]
        q = np.stack([sketch.histogram_quantiles(*red.histogram_of(j, col), quantiles)
                      for j in range(n_rows)])
        data[f"{stat.name}_quantile"] = (qdims, q, {"long_name": f"quantile of {stat.long_name}",
                                                    "units": stat.units})
    served = red.mean[:, outputs.SERVED_Y1]
    data["served_y1_share"] = (size_dim, served, {
        "long_name": "share of scenarios served in year 1 (serving cost per token below our price)",
        "units": "1"})
    data["served_y1_share_se"] = (size_dim, se[:, outputs.SERVED_Y1], {
        "long_name": "Monte Carlo standard error of the share served in year 1", "units": "1"})
    margin = np.empty((n_rows, len(quantiles)))
    for j in range(n_rows):
        p = float(served[j]) if served[j] > 0 else 1.0
        levels = np.clip(1.0 - p + np.asarray(quantiles) * p, 0.0, 1.0)
        margin[j] = sketch.histogram_quantiles(*red.histogram_of(j, outputs.MARGIN_Y1), levels)
    data["serving_margin_y1_quantile"] = (qdims, margin, {
        "long_name": "quantile of the year-1 serving margin 1 - S_1/Rev_1 among scenarios served in "
                     "year 1", "units": "1",
        "where_none_served": "quantiles over all scenarios, each <= 0 (clipped at -1)"})


def _price_decline(ds: xr.Dataset, red, quantiles: np.ndarray, n_strategies: int, n_sizes: int) -> None:
    """The fixed-capability price decline 1 / ((1 - delta)(1 - phi)^theta):
    one number per scenario (per strategy, which may change delta, phi or
    theta), so its quantiles are read from the first size's histogram."""
    rows = range(0, max(n_strategies, 1) * n_sizes, n_sizes)
    q = np.stack([sketch.histogram_quantiles(*red.histogram_of(j, outputs.PRICE_DECLINE_FIXED), quantiles)
                  for j in rows])
    stat = STATISTICS[outputs.PRICE_DECLINE_FIXED]
    attrs = {"long_name": f"quantile of the {stat.long_name}", "units": "1/year"}
    if n_strategies:
        ds["fixed_capability_decline_quantile"] = (("strategy", "quantile"), q, attrs)
    else:
        ds["fixed_capability_decline_quantile"] = (("quantile",), q[0], attrs)


def add_active_parameters(ds: xr.Dataset, plan, sizes: np.ndarray, by_strategy: bool) -> None:
    """The coordinate ``active_parameters``: parameters active per token at
    each size (``grid.active_share`` times the size; per strategy when a
    strategy may change it)."""
    attrs = {"long_name": "active parameters per token (grid.active_share x model size)",
             "units": "parameters"}
    active = np.asarray(plan.s_active, dtype=float) * sizes[None, :]
    if by_strategy:
        ds.coords["active_parameters"] = (("strategy", "model_size"), active, attrs)
    else:
        ds.coords["active_parameters"] = (("model_size",), active[0], attrs)


def _by_strategy(data: dict, n_strategies: int, n_sizes: int) -> dict:
    """Rows of alternatives (strategy-major) to a (strategy, model_size) pair of dimensions."""
    out = {}
    for name, (dims, values, attrs) in data.items():
        if dims and dims[0] == "model_size":
            values = np.asarray(values).reshape((n_strategies, n_sizes) + np.shape(values)[1:])
            dims = ("strategy",) + tuple(dims)
        out[name] = (dims, values, attrs)
    return out


def objective_column(objective: str) -> int:
    """The output column an objective maximizes (sim.vocab.objectives)."""
    return objectives.objective(objective).column


def _decision_summary(ds: xr.Dataset, red, plan, objective: str) -> None:
    """The choice (the alternative with the highest expected objective; ties:
    the first in strategy, then size order) and EVPI = E[max_a O_a] -
    max_a E[O_a], which is the chosen alternative's mean regret (with its
    standard error). Rows that are no alternative (a strategy's undeclared
    sizes) cannot be chosen."""
    means = np.where(np.asarray(plan.alternatives, dtype=bool),
                     red.mean[:, objective_column(objective)], -np.inf)
    a = int(np.argmax(means))
    n_sizes = len(ds["model_size"])
    strategy = plan.strategy_names[a // n_sizes]
    size = float(ds["model_size"].values[a % n_sizes])
    se = red.standard_error()
    units = objectives.objective(objective).units
    ds["evpi"] = ((), float(red.mean[a, outputs.REGRET]), {
        "long_name": "expected value of perfect information, E[max_a O_a] - max_a E[O_a]",
        "units": units})
    ds["evpi_se"] = ((), float(se[a, outputs.REGRET]), {
        "long_name": "Monte Carlo standard error of EVPI", "units": units})
    ds.attrs["objective"] = objective
    ds.attrs["choice_strategy"] = strategy
    ds.attrs["choice_model_size"] = size
    ds.attrs["choice"] = f"{strategy} at {size_label(size)}"


def _path_variables(data: dict, red, plan, se, quantiles, ci_levels) -> None:
    """The valuation path (specification section 9): means, probabilities and
    their standard errors per (model_size, year); quantiles of the
    mark-to-market ROI with their order-statistic intervals."""
    dims = ("model_size", "year")
    T = plan.horizon
    for field in PATH_FIELDS:
        cols = _path_columns(T, field.index)
        if field.indicator:  # its mean is a probability
            label = field.probability_name
            text = field.long_name.replace("indicator that", "probability that")
            data[label] = (dims, red.mean[:, cols], {"long_name": text, "units": "1"})
            data[f"{label}_se"] = (dims, se[:, cols], {
                "long_name": f"Monte Carlo standard error of {label}", "units": "1"})
        else:
            data[f"{field.name}_mean"] = (dims, red.mean[:, cols], {
                "long_name": f"mean {field.long_name}", "units": field.units})
            data[f"{field.name}_mean_se"] = (dims, se[:, cols], {
                "long_name": f"Monte Carlo standard error of mean {field.name}", "units": field.units})
    n_sizes = red.mean.shape[0]
    mtm_cols = _path_columns(T, outputs.PATH_MTM)
    q = np.empty((n_sizes, T + 1, len(quantiles)))
    ci = np.empty((n_sizes, T + 1, len(quantiles), 2))
    for j in range(n_sizes):
        for t, col in enumerate(mtm_cols):
            h = red.histogram_of(j, col)
            q[j, t] = sketch.histogram_quantiles(*h, quantiles)
            ci[j, t] = sketch.histogram_quantiles(*h, ci_levels.ravel()).reshape(ci_levels.shape)
    data["mtm_quantile"] = (("model_size", "year", "quantile"), q, {
        "long_name": "quantile of the mark-to-market ROI after year t", "units": "1"})
    data["mtm_quantile_ci"] = (("model_size", "year", "quantile", "bound"), ci, {
        "long_name": f"{percent(CI_LEVEL, 0)} order-statistic interval of the mark-to-market ROI quantile",
        "units": "1"})


def _attrs(scenario, seed: int, n: int, plan, elapsed: float | None = None) -> dict:
    attrs = {
        "title": f"sim results for scenario '{scenario.name}'",
        "scenario_name": scenario.name,
        "scenario_description": scenario.description,
        "scenario": scenario.to_toml(),
        "n_scenarios": int(n),
        "seed": seed_attribute(seed),
        "random_generator": "SplitMix64 counter stream: draw d of scenario s is output s*n_dims+d",
        "n_dims": int(plan.n_dims),
        "sampled_parameters": ", ".join(plan.sampled_keys),
        "moment_block_size": int(BLOCK),
        "histogram_bins": int(N_BINS),
        "sim_version": __version__,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "Conventions": "CF-1.10",
    }
    if elapsed is not None:
        attrs["elapsed_seconds"] = round(float(elapsed), 3)
    return attrs


YEAR_ATTRS = {"long_name": "years after the decision (0 = the decision, T = the horizon)",
              "units": "years after the decision"}


def _path_columns(horizon: int, field: int) -> list[int]:
    return [outputs.path_column(t, field) for t in range(horizon + 1)]


def has_path(plan) -> bool:
    return bool(getattr(plan, "path", False))


def build_sample_dataset(scenario, plan, draws, incident_u, stats, seed: int,
                         sampler: str = "random", belief_draws=None) -> xr.Dataset:
    """Raw draws: parameters per scenario, results per scenario and size.

    Believed draws appear as ``expectation.<key>``. The valuation path, if
    on, runs over ``year`` (0..T, years after the decision), the dimension of
    the same name in a run's result (:data:`YEAR_ATTRS`); the incident
    uniforms run over ``revenue_year`` (1..T, years after release).
    """
    if getattr(plan, "industry", False):
        from sim.results.industry import build_industry_sample_dataset

        return build_industry_sample_dataset(scenario, plan, draws, incident_u, stats,
                                             _attrs(scenario, seed, draws.shape[0], plan), sampler)
    n = draws.shape[0]
    strategies = getattr(scenario, "strategies", ())
    n_sizes = len(scenario.model_sizes)
    rows = ("scenario", "model_size")
    if strategies:  # rows of alternatives (strategy-major) to (strategy, model_size)
        stats = stats.reshape((n, len(strategies), n_sizes) + stats.shape[2:])
        rows = ("scenario", "strategy", "model_size")
    data: dict[str, tuple] = {}
    if belief_draws is not None:
        for b, key in enumerate(plan.belief_keys):
            p = PARAMETERS[key]
            data[f"expectation.{key}"] = (("scenario",), belief_draws[:, b], {
                "long_name": f"investors' belief: {p.meaning}", "units": p.unit, "symbol": p.symbol})
    if has_path(plan):
        for field in PATH_FIELDS:
            data[field.name] = (rows + ("year",),
                                stats[..., _path_columns(plan.horizon, field.index)],
                                {"long_name": field.long_name, "units": field.units})
    for d, key in enumerate(plan.sampled_keys):
        p = PARAMETERS[key]
        data[key] = (("scenario",), draws[:, d], {"long_name": p.meaning, "units": p.unit, "symbol": p.symbol})
    data["incident_uniform"] = (("scenario", "revenue_year"), incident_u, {
        "long_name": "uniform draw deciding a yearly incident (incident if below the incident probability)",
        "units": "1"})
    for stat in STATISTICS:
        if stat.has_mean_variable or stat.index in SAMPLED_INDICATORS:
            data[stat.name] = (rows, stats[..., stat.index],
                               {"long_name": stat.long_name, "units": stat.units})
    data["best"] = (rows, stats[..., outputs.BEST], {
        "long_name": "credit for being the best size (ties split)", "units": "1"})
    ds = xr.Dataset(
        data,
        coords={
            "scenario": ("scenario", np.arange(n), {"long_name": "scenario index"}),
            "model_size": ("model_size", np.asarray(scenario.model_sizes, dtype=float),
                           {"long_name": "model size", "units": "parameters"}),
            "revenue_year": ("revenue_year", np.arange(1, plan.horizon + 1),
                             {"long_name": "year after release", "units": "years"}),
            **({"year": ("year", np.arange(plan.horizon + 1), YEAR_ATTRS)} if has_path(plan) else {}),
            **({"strategy": ("strategy", [st.name for st in strategies],
                             {"long_name": "strategy (docs/model.md section 2d)"})} if strategies else {}),
        },
        attrs=_attrs(scenario, seed, n, plan),
    )
    add_active_parameters(ds, plan, np.asarray(scenario.model_sizes, dtype=float), bool(strategies))
    ds.attrs["sampler"] = sampler
    return ds


def netcdf_bytes(ds: xr.Dataset) -> memoryview:
    """``ds`` as the bytes of a netCDF-4 file, built in memory.

    The HDF5 library is never interrupted halfway (a signal waits for the end
    of this block, :func:`sim.services.signals.deferred`): an exception inside it made
    xarray's ``close()`` wait for a lock it already held. Nothing touches the
    disk here, so the block is short and cannot fail for lack of space.
    """
    with signals.deferred():
        try:
            return ds.to_netcdf(engine="netcdf4")
        except (RuntimeError, OSError, ValueError, TypeError) as exc:
            raise SimError(f"cannot store the result as netCDF ({exc})") from None


def write_netcdf(ds: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = True) -> Path:
    """Write ``ds`` atomically: the file appears whole or not at all.

    A symbolic link is written through; a directory or special file is
    refused, and so is an existing file unless ``overwrite``; a write error
    (full disk, quota) is one :class:`~sim.vocab.errors.SimError` and leaves no file.
    """
    check_output(path, overwrite=overwrite)
    data = netcdf_bytes(ds)
    return write_bytes(path, data, overwrite=overwrite)
