"""The industry frame's results (specification section 15) as an xarray Dataset.

Over ``year`` = 1..T, with the coordinate ``calendar_year`` = y_0 + y - 1:
for every path of :data:`sim.vocab.industry.FIELDS` that is not an
indicator, its mean with standard error and confidence interval, and its
quantiles with order-statistic intervals (``<name>_mean``,
``<name>_mean_se``, ``<name>_mean_ci``, ``<name>_quantile``,
``<name>_quantile_ci``); for every indicator, its probability with standard
error (``prob_<name>``, ``prob_<name>_se``; the peak year as
``capex_peak_year``). Scalars: the realized industry return and the return
expected at the start, the same way without ``year``, and
``prob_industry_loss``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from sim.engine import sketch
from sim.results.diagnosis import HOW_TO_FIX, suspects
from sim.vocab import industry as iv
from sim.vocab.errors import NonFiniteResults
from sim.vocab.layout import PILOT
from sim.vocab.registry import PARAMETERS
from sim.vocab.units import percent

__all__ = ["build_industry_dataset", "build_industry_sample_dataset", "check_industry_finite",
           "check_industry_pilot", "is_industry"]



def is_industry(ds: xr.Dataset) -> bool:
    """Whether a result (or sample) is of the industry frame."""
    return ds.attrs.get("frame") == "industry"


def _column_label(column: int) -> str:
    if column < iv.N_SCALARS:
        return iv.SCALARS[column].label
    year, k = divmod(column - iv.N_SCALARS, iv.N_FIELDS)
    return f"{iv.FIELDS[k].label} in year {year + 1}"


def check_industry_pilot(finding, plan) -> None:
    """Stop before the main run if the pilot found infinite or NaN outputs."""
    if finding is None:
        return
    stats = ", ".join(_column_label(k) for k in finding.stats[:6])
    share = finding.n_scenarios / finding.n_pilot
    raise NonFiniteResults(
        f"the industry frame gives infinite or NaN results in {finding.n_scenarios:,} of the first "
        f"{finding.n_pilot:,} scenarios ({percent(share)}), in {stats}; "
        f"{suspects(plan, finding.ranks, finding.n_scenarios)}; {HOW_TO_FIX}")


def check_industry_finite(red) -> None:
    """Every mean and standard error of the run must be finite."""
    with np.errstate(invalid="ignore", over="ignore"):
        bad = ~(np.isfinite(red.mean) & np.isfinite(red.standard_error()))
    if not bad.any():
        return
    stats = ", ".join(_column_label(k) for k in np.flatnonzero(bad.any(axis=0))[:6])
    raise NonFiniteResults(
        f"the industry frame gives infinite or NaN results in {stats}, in some of the {red.n:,} "
        f"scenarios (none among the first {min(red.n, PILOT):,}, so they are rare); {HOW_TO_FIX}")


def build_industry_dataset(scenario, plan, red, quantiles, crit: float, ci_levels: np.ndarray,
                           attrs: dict) -> xr.Dataset:
    """The Dataset of an industry-frame reduction (see the module docstring)."""
    check_industry_finite(red)
    T = plan.horizon
    mean, se = red.mean[0], red.standard_error()[0]
    quantiles = np.asarray(quantiles, dtype=float)
    data: dict[str, tuple] = {}

    def sketched(column: int) -> tuple[np.ndarray, np.ndarray]:
        h = red.histogram_of(0, column)
        q = sketch.histogram_quantiles(*h, quantiles)
        ci = sketch.histogram_quantiles(*h, ci_levels.ravel()).reshape(ci_levels.shape)
        return q, ci

    def add(f: iv.Field, cols, dims: tuple[str, ...]) -> None:
        m, s = mean[cols], se[cols]
        if f.indicator:
            text = f.long_name.replace("indicator that", "probability that")
            data[f.variable] = (dims, m, {"long_name": text, "units": "1"})
            data[f"{f.variable}_se"] = (dims, s, {
                "long_name": f"Monte Carlo standard error of {f.variable}", "units": "1"})
            return
        data[f"{f.name}_mean"] = (dims, m, {"long_name": f"mean {f.long_name}", "units": f.units})
        data[f"{f.name}_mean_se"] = (dims, s, {
            "long_name": f"Monte Carlo standard error of mean {f.name}", "units": f.units})
        data[f"{f.name}_mean_ci"] = (dims + ("bound",), np.stack([m - crit * s, m + crit * s], axis=-1), {
            "long_name": f"{percent(0.95, 0)} confidence interval of mean {f.name}", "units": f.units})
        per = [sketched(c) for c in np.atleast_1d(cols)]
        q = np.stack([p[0] for p in per])
        ci = np.stack([p[1] for p in per])
        if not dims:
            q, ci = q[0], ci[0]
        data[f"{f.name}_quantile"] = (dims + ("quantile",), q, {
            "long_name": f"quantile of {f.long_name}", "units": f.units})
        data[f"{f.name}_quantile_ci"] = (dims + ("quantile", "bound"), ci, {
            "long_name": f"{percent(0.95, 0)} order-statistic interval of the {f.name} quantile",
            "units": f.units})

    for f in iv.SCALARS:
        add(f, f.index, ())
    data["prob_industry_loss"][2]["long_name"] = "probability that the realized industry return is below 0"
    for f in iv.FIELDS:
        add(f, iv.columns(T, f.index), ("year",))
    years = np.arange(1, T + 1)
    ds = xr.Dataset(
        data,
        coords={
            "year": ("year", years, {"long_name": "year of the industry frame (1 = the start year)",
                                     "units": "years"}),
            "calendar_year": ("year", plan.start_year + years - 1, {"long_name": "calendar year"}),
            "quantile": ("quantile", quantiles, {"long_name": "quantile level", "units": "1"}),
            "bound": ("bound", ["lower", "upper"], {"long_name": "interval bound", "units": "1"}),
        },
        attrs=attrs,
    )
    ds.attrs.update(frame="industry", start_year=int(plan.start_year),
                    valuation_horizon=int(plan.valuation_horizon),
                    active_share=float(plan.active_share))
    return ds[sorted(ds.data_vars)]


def build_industry_sample_dataset(scenario, plan, draws, incident_u, stats, attrs: dict,
                                  sampler: str) -> xr.Dataset:
    """Raw draws of the industry frame: the sampled parameters per scenario,
    the incident uniforms, and every output per (scenario, year)."""
    n = draws.shape[0]
    T = plan.horizon
    data: dict[str, tuple] = {}
    for d, key in enumerate(plan.sampled_keys):
        p = PARAMETERS[key]
        data[key] = (("scenario",), draws[:, d], {"long_name": p.meaning, "units": p.unit, "symbol": p.symbol})
    data["incident_uniform"] = (("scenario", "year"), incident_u, {
        "long_name": "uniform draw deciding a yearly incident (incident if below the incident probability)",
        "units": "1"})
    for f in iv.SCALARS:
        data[f.name] = (("scenario",), stats[:, 0, f.index], {"long_name": f.long_name, "units": f.units})
    for f in iv.FIELDS:
        data[f.name] = (("scenario", "year"), stats[:, 0, iv.columns(T, f.index)],
                        {"long_name": f.long_name, "units": f.units})
    years = np.arange(1, T + 1)
    ds = xr.Dataset(data, coords={
        "scenario": ("scenario", np.arange(n), {"long_name": "scenario index"}),
        "year": ("year", years, {"long_name": "year of the industry frame", "units": "years"}),
        "calendar_year": ("year", plan.start_year + years - 1, {"long_name": "calendar year"}),
    }, attrs=attrs)
    ds.attrs.update(frame="industry", start_year=int(plan.start_year), sampler=sampler,
                    valuation_horizon=int(plan.valuation_horizon))
    return ds
