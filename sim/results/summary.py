"""Tidy tables of saved results for analysis scripts: ``sim.summary`` and ``sim.compare``.

A result Dataset holds hundreds of values per model size (quantile
functions, paths, intervals); ``ds.to_dataframe()`` broadcasts them all
into one huge frame. :func:`summary` keeps the headline statistics, one row
per model size (per strategy and size; per grid point and size for a sweep;
per calendar year for the industry frame), each with its Monte Carlo
standard error in the column ``<stat>_se``. :func:`compare` takes two such
results and gives, per row and statistic, the difference b - a, its
combined standard error and z-score, after checking that the two results
describe the same rows.

Standard errors of means and probabilities are the result's own
(``<variable>_se``); those of quantiles are read from their 95%
order-statistic intervals as (upper - lower) / (2 x 1.96), the standard
error of a normal estimate with that interval (an approximation; 0 where
the interval has no width, e.g. a median ROI of -1 in a bin of its own).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from sim.services import dask_on_demand
from sim.vocab import industry as iv
from sim.vocab.errors import SimError
from sim.vocab.units import size_label

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Headline", "INDUSTRY_HEADLINES", "INDUSTRY_SCALARS", "PROJECT_HEADLINES", "SharedDraws",
           "compare", "headlines", "open_result", "shared_draws", "summary"]


@dataclass(frozen=True)
class Headline:
    """One headline statistic: its column, where it is stored, what it means."""

    #: The column of the summary (its standard error: ``<name>_se``).
    name: str
    #: The result variable it is read from.
    variable: str
    #: The quantile level, for a ``*_quantile`` variable; None for a mean or
    #: a probability stored with ``<variable>_se``.
    level: float | None
    #: What it is, for printed tables and legends.
    label: str
    units: str = "1"


#: The project frame's headline statistics, per (strategy, size).
PROJECT_HEADLINES: tuple[Headline, ...] = (
    Headline("roi_median", "roi_quantile", 0.5, "median ROI, (NPV - I) / I"),
    Headline("roi_q05", "roi_quantile", 0.05, "5% quantile of ROI (5% of scenarios do worse)"),
    Headline("roi_q95", "roi_quantile", 0.95, "95% quantile of ROI (5% of scenarios do better)"),
    Headline("roi_mean", "roi_mean", None, "mean ROI"),
    Headline("prob_loss", "prob_loss", None, "P(loss): share of scenarios with ROI < 0"),
    Headline("prob_best", "prob_best", None,
             "P(best): share of scenarios in which this alternative has the highest value of "
             "the decision objective (the result's 'objective' attribute)"),
    Headline("net_value_mean", "net_value_mean", None, "mean net value NPV - I", "USD"),
    Headline("roi_expected_median", "roi_expected_quantile", 0.5,
             "median ROI investors expect (no deployment gap, hyped market, no incidents)"),
)

#: The industry frame's headline statistics, per calendar year: the medians
#: of the main paths and the probabilities of the cooling.
INDUSTRY_HEADLINES: tuple[Headline, ...] = (
    *(Headline(f"{name}_median", f"{name}_quantile", 0.5, f"median {iv.FIELD_BY_NAME[name].label}",
               iv.FIELD_BY_NAME[name].units) for name in iv.MAIN_PATHS),
    *(Headline(iv.FIELD_BY_NAME[name].variable, iv.FIELD_BY_NAME[name].variable, None,
               f"P({iv.FIELD_BY_NAME[name].label})" + (" by then" if name == "cooled" else " in the year"))
      for name in iv.COOLING),
)

#: The industry frame's statistics of the whole run (no year), in ``summary(ds).attrs["scalars"]``.
INDUSTRY_SCALARS: tuple[Headline, ...] = (
    Headline("roi_industry_median", "roi_industry_quantile", 0.5, "median realized industry return"),
    Headline("roi_industry_mean", "roi_industry_mean", None, "mean realized industry return"),
    Headline("expected_return_median", "expected_return_quantile", 0.5,
             "median return investors expected at the start"),
    Headline("prob_industry_loss", "prob_industry_loss", None,
             "P(industry loss): share of scenarios whose realized industry return is below 0"),
)

#: Dimensions of a single run's variables; any other dimension of a result
#: (besides a sample's scenario) is a swept key.
_RUN_DIMS = ("strategy", "model_size", "year", "quantile", "bound", "probability", "parameter")


class SharedDraws(UserWarning):
    """Two compared results share the seed and sampler: their Monte Carlo
    errors are not independent (see :func:`compare`)."""


def open_result(source) -> xr.Dataset:
    """``source`` itself if a Dataset, else the result file it names, loaded into memory."""
    if isinstance(source, xr.Dataset):
        return source
    if not isinstance(source, (str, os.PathLike)):
        raise SimError(f"expected an xarray Dataset or the path of a result file, got "
                       f"{type(source).__name__}")
    path = Path(source)
    if not path.is_file():
        raise SimError(f"{path}: no such result file")
    dask_on_demand.install()  # a file read into NumPy arrays does not import Dask
    try:
        return xr.load_dataset(path)
    except Exception as exc:  # netCDF4 and xarray raise many kinds
        raise SimError(f"{path}: not a readable netCDF result ({type(exc).__name__})") from None


def _frame(ds: xr.Dataset) -> str:
    return "industry" if ds.attrs.get("frame") == "industry" else "project"


def _check_kind(ds: xr.Dataset, name: str) -> None:
    """Refuse what is not a result of sim run, sweep or decide, saying what it is."""
    refusal = None
    if "scenario" in ds.dims:
        refusal = ("raw draws of sim.sample (one row per scenario): summarise them with pandas, "
                   "e.g. ds.to_dataframe(), or run sim.run for their statistics")
    elif ds.attrs.get("analysis") == "sensitivity":
        refusal = "a result of sim sensitivity, whose indices have no standard summary here"
    elif "models_source" in ds.attrs:
        refusal = "a result of sim calibrate, whose table sim calibrate prints"
    else:
        need = "roi_mean" if _frame(ds) == "project" else "prob_cooled"
        if need not in ds:
            refusal = f"not a result of sim run, sim sweep or sim decide (it has no {need})"
    if refusal:
        raise SimError(f"{name}: {refusal}; {name} takes a result of sim run, sim sweep or "
                       "sim decide")


def headlines(ds: xr.Dataset) -> tuple[Headline, ...]:
    """The headline statistics of ``ds``'s frame."""
    return INDUSTRY_HEADLINES if _frame(ds) == "industry" else PROJECT_HEADLINES


def _swept(ds: xr.Dataset) -> list[str]:
    return [d for d in ds.dims if d not in _RUN_DIMS]


def _critical(ds: xr.Dataset) -> float:
    return NormalDist().inv_cdf(0.5 + float(ds.attrs.get("ci_level", 0.95)) / 2)


def _value_and_se(ds: xr.Dataset, h: Headline, crit: float) -> tuple[xr.DataArray, xr.DataArray]:
    """The statistic and its standard error (NaN where the quantile level is not stored)."""
    if h.level is None:
        return ds[h.variable], ds[f"{h.variable}_se"]
    q = ds[h.variable]
    hit = np.flatnonzero(np.isclose(ds["quantile"].values, h.level, rtol=0, atol=1e-9))
    if hit.size == 0:  # quantiles= left this level out
        nan = xr.full_like(q.isel(quantile=0, drop=True), np.nan)
        return nan, nan
    value = q.isel(quantile=int(hit[0]), drop=True)
    ci = ds[f"{h.variable}_ci"].isel(quantile=int(hit[0]), drop=True)
    se = (ci.sel(bound="upper", drop=True) - ci.sel(bound="lower", drop=True)) / (2 * crit)
    return value, se


def _table(ds: xr.Dataset, stats: tuple[Headline, ...], rows: list[str]):
    """A tidy frame: the row dimensions as columns, then each statistic and its se."""
    crit = _critical(ds)
    columns = {}
    for h in stats:
        value, se = _value_and_se(ds, h, crit)
        columns[h.name] = value.drop_vars([c for c in value.coords if c not in rows])
        columns[f"{h.name}_se"] = se.drop_vars([c for c in se.coords if c not in rows])
    # to_dataframe broadcasts every statistic over every row dimension.
    return xr.Dataset(columns).transpose(*rows).to_dataframe(dim_order=rows).reset_index()


def summary(ds) -> pd.DataFrame:
    """The headline statistics of a result as a tidy :class:`pandas.DataFrame`.

    ``ds`` is a result of ``sim.run``, ``sim.sweep`` or ``sim.decide`` (a
    Dataset or the path of a saved file). One row per model size; per
    strategy and size when the scenario declares strategies; per grid point
    and size for a sweep (one column per swept key). Sizes are numbers in
    ``model_size`` and labels such as ``"7B"`` in ``size``. Columns: the
    median, 5% and 95% quantiles of ROI (``roi_median``, ``roi_q05``,
    ``roi_q95``), ``roi_mean``, ``prob_loss``, ``prob_best``,
    ``net_value_mean`` (USD) and the median expected ROI
    (``roi_expected_median``), each followed by its Monte Carlo standard
    error ``<stat>_se`` (of a quantile: from its 95% order-statistic
    interval, see the module's docstring).

    For the industry frame: one row per calendar year (``calendar_year``,
    and ``year`` = 1..T), the medians of the main paths (``labs_median``,
    ``revenue_median``, ``capex_median``, ``serving_margin_median``,
    ``q_median``) and the probabilities of the cooling (``prob_cooled``,
    ``prob_valued_below_cost``, ``prob_capex_fall``), with their standard
    errors; the run's own statistics (the realized and expected returns,
    ``prob_industry_loss``), which have no year, are in
    ``attrs["scalars"]``: a dict of ``name: (value, se)``, or for a sweep
    ``name: {grid point: (value, se)}``.

    ``attrs`` of the frame also keep the scenario's name, the seed, the
    sampler, the number of scenarios and the frame.
    """
    ds = open_result(ds)
    _check_kind(ds, "summary")
    swept = _swept(ds)
    if _frame(ds) == "industry":
        rows = swept + ["year"]
        df = _table(ds, INDUSTRY_HEADLINES, rows)
        calendar = (ds["calendar_year"].values if "calendar_year" in ds.coords
                    else int(ds.attrs.get("start_year", 1)) + ds["year"].values - 1)
        by_year = dict(zip(ds["year"].values.tolist(), np.asarray(calendar).tolist()))
        df.insert(len(swept), "calendar_year", df["year"].map(by_year).astype(int))
        df.attrs["scalars"] = _scalars(ds, swept)
    else:
        rows = [d for d in ("strategy",) if d in ds.dims] + swept + ["model_size"]
        df = _table(ds, PROJECT_HEADLINES, rows)
        df.insert(rows.index("model_size") + 1, "size", [size_label(s) for s in df["model_size"]])
    df.attrs.update(_provenance(ds))
    return df


def _scalars(ds: xr.Dataset, swept: list[str]) -> dict:
    """The industry run's statistics without a year: name -> (value, se); per
    grid point of a sweep, name -> {point: (value, se)}."""
    crit = _critical(ds)
    out = {}
    for h in INDUSTRY_SCALARS:
        if h.variable not in ds:
            continue
        value, se = _value_and_se(ds, h, crit)
        if not swept:
            out[h.name] = (float(value), float(se))
        else:
            stacked_v = value.stack(point=swept)
            stacked_s = se.stack(point=swept)
            out[h.name] = {(p if len(swept) > 1 else p[0]) if isinstance(p, tuple) else p: (float(v), float(s))
                           for p, v, s in zip(stacked_v["point"].values, stacked_v.values,
                                              stacked_s.values)}
    return out


def _provenance(ds: xr.Dataset) -> dict:
    return {"scenario": str(ds.attrs.get("scenario_name", "")), "seed": ds.attrs.get("seed"),
            "sampler": str(ds.attrs.get("sampler", "random")),
            "n_scenarios": int(ds.attrs.get("n_scenarios", 0)), "frame": _frame(ds)}


# ---------------------------------------------------------------- compare

def shared_draws(a: xr.Dataset, b: xr.Dataset) -> bool:
    """Whether two results drew their scenarios from the same random numbers:
    the same seed and the same sampler (every uniform is a function of the
    seed, the scenario's index and its dimension)."""
    return (str(a.attrs.get("seed")) == str(b.attrs.get("seed"))
            and str(a.attrs.get("sampler", "random")) == str(b.attrs.get("sampler", "random")))


#: What :func:`compare` says, and warns, when two results share their draws.
SHARED_NOTE = ("the two results share the seed ({seed}) and sampler ({sampler}), so their scenarios "
               "are drawn from the same random numbers: their Monte Carlo errors are not "
               "independent, and the combined se = sqrt(se_a^2 + se_b^2) assumes they are. Where "
               "a change moves the results of a scenario the same way in both (the usual case, "
               "a positive correlation) it overstates the error of the difference: conservative, "
               "|z| too small; were the correlation negative, it would understate it. For an exact "
               "se, run one of them with another seed")


def _same(what: str, x, y) -> None:
    if list(x) != list(y):
        raise SimError(f"compare: the two results have different {what} (a: {', '.join(map(str, x))}; "
                       f"b: {', '.join(map(str, y))}); compare needs results over the same rows")


def _check_comparable(a: xr.Dataset, b: xr.Dataset) -> None:
    """Refuse two results whose rows differ, naming what differs."""
    fa, fb = _frame(a), _frame(b)
    if fa != fb:
        raise SimError(f"compare: a is a result of the {fa} frame and b of the {fb} frame; "
                       "compare needs two results of the same frame")
    sa, sb = _swept(a), _swept(b)
    _same("swept keys", sa or ["none"], sb or ["none"])
    for key in sa:
        _same(f"values of {key}", a[key].values.tolist(), b[key].values.tolist())
    if fa == "industry":
        ya = a["calendar_year"].values.tolist() if "calendar_year" in a.coords else a["year"].values.tolist()
        yb = b["calendar_year"].values.tolist() if "calendar_year" in b.coords else b["year"].values.tolist()
        _same("years", ya, yb)
        return
    _same("strategies", a["strategy"].values.tolist() if "strategy" in a.dims else ["none"],
          b["strategy"].values.tolist() if "strategy" in b.dims else ["none"])
    sizes_a, sizes_b = a["model_size"].values, b["model_size"].values
    if sizes_a.shape != sizes_b.shape or not np.allclose(sizes_a, sizes_b, rtol=1e-9, atol=0):
        _same("model sizes", [size_label(s) for s in sizes_a], [size_label(s) for s in sizes_b])
        raise SimError("compare: the two results have different model sizes")


def compare(a, b) -> pd.DataFrame:
    """Differences b - a of the headline statistics of two results, with
    combined standard errors and z-scores.

    ``a`` and ``b`` are Datasets or paths of result files of ``sim run``,
    ``sim sweep`` or ``sim decide``, of the same frame and over the same
    rows (model sizes, strategies and grid points; years for the industry
    frame), else :class:`~sim.vocab.errors.SimError` names what differs.
    Returns a tidy frame with one row per row of :func:`summary` and
    statistic: the row's columns, ``statistic``, ``a``, ``b``,
    ``difference`` (b - a), ``se`` = sqrt(se_a^2 + se_b^2) and ``z`` =
    difference / se (NaN where both are 0). The industry frame's run
    statistics are compared the same way in ``attrs["scalars"]`` (a frame).

    When the two share the seed and sampler, their scenarios are drawn from
    the same random numbers and their errors are not independent: ``se``
    then assumes an independence that does not hold (usually conservative),
    ``attrs["shared_draws"]`` is True and a :class:`SharedDraws` warning
    says so.
    """
    import pandas as pd

    da, db = open_result(a), open_result(b)
    _check_kind(da, "compare (a)")
    _check_kind(db, "compare (b)")
    _check_comparable(da, db)
    sa, sb = summary(da), summary(db)
    stats = headlines(da)
    keys = [c for c in sa.columns if c not in {h.name for h in stats} | {f"{h.name}_se" for h in stats}]
    pieces = []
    for h in stats:
        part = sa[keys].copy()
        part["statistic"] = h.name
        part["a"], part["b"] = sa[h.name].to_numpy(), sb[h.name].to_numpy()
        part["se_a"], part["se_b"] = sa[f"{h.name}_se"].to_numpy(), sb[f"{h.name}_se"].to_numpy()
        pieces.append(part)
    df = _differences(pd.concat(pieces, ignore_index=True))
    if _frame(da) == "industry":
        df.attrs["scalars"] = _compare_scalars(sa.attrs["scalars"], sb.attrs["scalars"])
    shared = shared_draws(da, db)
    df.attrs.update(a=sa.attrs | {}, b=sb.attrs | {}, shared_draws=shared, frame=_frame(da),
                    labels={h.name: h.label for h in stats + INDUSTRY_SCALARS})
    df.attrs["a"].pop("scalars", None)
    df.attrs["b"].pop("scalars", None)
    if shared:
        note = SHARED_NOTE.format(seed=da.attrs.get("seed"), sampler=da.attrs.get("sampler", "random"))
        df.attrs["note"] = note
        warnings.warn(note, SharedDraws, stacklevel=2)
    return df


def _differences(df):
    """Add difference, combined se and z to a frame with a, b, se_a, se_b."""
    df["difference"] = df["b"] - df["a"]
    df["se"] = np.sqrt(df["se_a"] ** 2 + df["se_b"] ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        df["z"] = df["difference"] / df["se"]
    return df


def _compare_scalars(sa: dict, sb: dict):
    """The industry frame's run statistics (a dict of name -> (value, se), or
    name -> {point: (value, se)} for a sweep) compared as a frame."""
    import pandas as pd

    rows = []
    for name in sa:
        if name not in sb:
            continue
        pa, pb = sa[name], sb[name]
        if isinstance(pa, dict):
            rows += [{"point": p, "statistic": name, "a": pa[p][0], "b": pb[p][0],
                      "se_a": pa[p][1], "se_b": pb[p][1]} for p in pa]
        else:
            rows.append({"statistic": name, "a": pa[0], "b": pb[0], "se_a": pa[1], "se_b": pb[1]})
    return _differences(pd.DataFrame(rows))

