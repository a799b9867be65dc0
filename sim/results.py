"""Results as self-describing xarray Datasets, netCDF files and tables."""

from __future__ import annotations

import datetime as _dt
import math
import os
from pathlib import Path

import numpy as np
import xarray as xr

from . import outputs, signals
from ._version import __version__
from .atomic import check_output, write_bytes
from .checks import seed_attribute
from .engine import sketch
from .engine.accumulators import N_BINS
from .errors import NonFiniteResults, SimError
from .layout import BLOCK, PILOT
from .outputs import STATISTICS
from .registry import PARAMETERS
from .units import size_label

__all__ = ["CI_LEVEL", "CVAR_LEVEL", "DISTRIBUTION_LEVELS", "binom_ppf", "build_dataset",
           "build_sample_dataset", "check_finite", "check_pilot", "netcdf_bytes", "write_netcdf"]

CVAR_LEVEL = 0.05
#: Probability levels of the stored quantile functions (for histograms and
#: exceedance curves): every 0.1% from 0.05% to 99.95%.
DISTRIBUTION_LEVELS = (np.arange(1000) + 0.5) / 1000

CI_LEVEL = 0.95


def binom_ppf(level: float, n: int, p) -> np.ndarray:
    """Smallest k with P(Bin(n, p) <= k) >= level, for each p (as
    ``scipy.stats.binom.ppf``, from scipy.special to keep start-up light)."""
    from scipy import special

    out = []
    for pi in np.atleast_1d(np.asarray(p, dtype=float)):
        k = int(min(max(math.ceil(special.bdtrik(level, n, pi)), 0), n))
        while k > 0 and special.bdtr(k - 1, n, pi) >= level:
            k -= 1
        while k < n and special.bdtr(k, n, pi) < level:
            k += 1
        out.append(k)
    return np.asarray(out, dtype=float)


HOW_TO_FIX = ("the equations overflow there: narrow those distributions or move the "
              "constants away from their bounds (docs/model.md, 'Ranges the equations can take')")


def check_pilot(finding, plan, sizes) -> None:
    """Stop before the main run if the pilot found infinite or NaN statistics
    (:class:`sim.engine.reducer.NonFinite`), naming the sizes, how many
    pilot scenarios, and the sampled keys whose draws stand out in them."""
    if finding is None:
        return
    where = ", ".join(f"{size_label(s)} ({k:,})" for s, k in zip(sizes, finding.by_size) if k)
    stats = ", ".join(STATISTICS[k].name for k in finding.stats[:6])
    share = finding.n_scenarios / finding.n_pilot
    raise NonFiniteResults(
        f"the model gives infinite or NaN results in {finding.n_scenarios:,} of the first "
        f"{finding.n_pilot:,} scenarios ({share:.1%}), at sizes {where}, in {stats}; "
        f"{_suspects(plan, finding.ranks, finding.n_scenarios)}; {HOW_TO_FIX}")


def _suspects(plan, ranks: np.ndarray, n_bad: int) -> str:
    """The sampled keys whose draws in the affected scenarios lean to one end:
    their mean rank is far from 1/2 by the standard error of a mean of
    ``n_bad`` uniform ranks (at least five of them), and by at least 0.05."""
    keys = list(plan.sampled_keys)
    se = math.sqrt(1 / 12 / max(n_bad, 1))
    dev = np.abs(ranks - 0.5)
    order = np.argsort(-dev) if len(keys) else []
    named = [f"{keys[d]} ({'high' if ranks[d] > 0.5 else 'low'} draws)" for d in order[:3]
             if dev[d] >= max(5 * se, 0.05)]
    if named:
        return "their draws of " + ", ".join(named) + " stand out"
    return ("no sampled key stands out, so a constant (or the model sizes) takes the equations "
            "out of range")


def check_finite(red, sizes) -> None:
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
    where = ", ".join(size_label(s) for s, b in zip(sizes, bad.any(axis=1)) if b)
    stats = ", ".join(STATISTICS[k].name for k in np.flatnonzero(bad.any(axis=0))[:6])
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
    (:class:`~sim.errors.NonFiniteResults`): no NaN reaches a table.
    """
    from scipy import special

    check_finite(red, scenario.model_sizes)
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

    n_sizes = len(sizes)
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
            "long_name": f"{CI_LEVEL:.0%} order-statistic interval of the {name.replace('_', ' ')} quantile",
            "units": "1"})
    mean_ci = np.stack([red.mean[:, outputs.ROI] - crit * se[:, outputs.ROI],
                        red.mean[:, outputs.ROI] + crit * se[:, outputs.ROI]], axis=-1)
    data["roi_mean_ci"] = (("model_size", "bound"), mean_ci, {
        "long_name": f"{CI_LEVEL:.0%} confidence interval of mean ROI", "units": "1"})
    data["prob_loss"] = (size_dim, red.mean[:, outputs.LOSS], {"long_name": "probability of a loss, P(ROI < 0)", "units": "1"})
    data["prob_loss_se"] = (size_dim, se[:, outputs.LOSS], {
        "long_name": "Monte Carlo standard error of P(ROI < 0)", "units": "1"})
    data["cvar_05"] = (size_dim, cvar, {"long_name": "CVaR 5%: mean ROI of the worst 5% of scenarios", "units": "1"})
    data["cvar_05_se"] = (size_dim, cvar_se, {"long_name": "Monte Carlo standard error of CVaR 5%", "units": "1"})
    data["prob_best"] = (size_dim, red.mean[:, outputs.BEST], {
        "long_name": "probability that this size has the highest ROI of the grid (ties split)", "units": "1"})
    data["prob_best_se"] = (size_dim, se[:, outputs.BEST], {
        "long_name": "Monte Carlo standard error of P(best)", "units": "1"})
    data["data_limited_share"] = (size_dim, red.mean[:, outputs.DATA_LIMITED], {
        "long_name": "share of scenarios whose training tokens D exceed the data stock", "units": "1"})
    data["data_limited_share_se"] = (size_dim, se[:, outputs.DATA_LIMITED], {
        "long_name": "Monte Carlo standard error of the data-limited share", "units": "1"})

    ds = xr.Dataset(
        data,
        coords={
            "model_size": ("model_size", sizes, {"long_name": "model size", "units": "parameters"}),
            "quantile": ("quantile", np.asarray(quantiles, dtype=float), {"long_name": "quantile level", "units": "1"}),
            "probability": ("probability", levels, {
                "long_name": "cumulative probability of the stored quantile functions", "units": "1"}),
            "bound": ("bound", ["lower", "upper"], {"long_name": "interval bound", "units": "1"}),
        },
        attrs=_attrs(scenario, seed, n, plan, red.elapsed),
    )
    ds.attrs["ci_level"] = CI_LEVEL
    ds.attrs["n_replicates"] = int(R)
    ds.attrs["se_method"] = (
        "sample standard deviation / sqrt(n)" if R == 1 else
        f"standard deviation of {R} independent replicate means / sqrt({R}); "
        f"intervals use Student's t with {R - 1} degrees of freedom")
    ds.attrs.update(extra_attrs or {})
    return ds[sorted(ds.data_vars)]


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


def build_sample_dataset(scenario, plan, draws, incident_u, stats, seed: int,
                         sampler: str = "random") -> xr.Dataset:
    """Raw draws: parameters per scenario, results per scenario and size."""
    n = draws.shape[0]
    data: dict[str, tuple] = {}
    for d, key in enumerate(plan.sampled_keys):
        p = PARAMETERS[key]
        data[key] = (("scenario",), draws[:, d], {"long_name": p.meaning, "units": p.unit, "symbol": p.symbol})
    data["incident_uniform"] = (("scenario", "year"), incident_u, {
        "long_name": "uniform draw deciding a yearly incident (incident if below the incident probability)",
        "units": "1"})
    for stat in STATISTICS:
        if stat.has_mean_variable or stat.index == outputs.DATA_LIMITED:
            data[stat.name] = (("scenario", "model_size"), stats[:, :, stat.index],
                               {"long_name": stat.long_name, "units": stat.units})
    data["best"] = (("scenario", "model_size"), stats[:, :, outputs.BEST], {
        "long_name": "credit for being the best size (ties split)", "units": "1"})
    ds = xr.Dataset(
        data,
        coords={
            "scenario": ("scenario", np.arange(n), {"long_name": "scenario index"}),
            "model_size": ("model_size", np.asarray(scenario.model_sizes, dtype=float),
                           {"long_name": "model size", "units": "parameters"}),
            "year": ("year", np.arange(1, plan.horizon + 1), {"long_name": "year after release", "units": "years"}),
        },
        attrs=_attrs(scenario, seed, n, plan),
    )
    ds.attrs["sampler"] = sampler
    return ds


def netcdf_bytes(ds: xr.Dataset) -> memoryview:
    """``ds`` as the bytes of a netCDF-4 file, built in memory.

    The HDF5 library is never interrupted halfway (a signal waits for the end
    of this block, :func:`sim.signals.deferred`): an exception inside it made
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
    (full disk, quota) is one :class:`~sim.errors.SimError` and leaves no file.
    """
    check_output(path, overwrite=overwrite)
    data = netcdf_bytes(ds)
    return write_bytes(path, data, overwrite=overwrite)
