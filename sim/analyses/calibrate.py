"""Calibration: a scenario's predictive distributions against observed models.

``calibrate`` draws the scenario's parameters with :func:`sim.sample` (so its
rank correlations hold) and, for each usable row of a table of observed
models (the bundled ``sim/data/notable_models.csv`` by default), compares one
observed number with the scenario's predictive distribution of that number:

``compute``
    Final-run training FLOP at the observed parameter count N, with
    ``x = N / N_ref``. Under the compute rule ``"power"`` the prediction is
    ``R_ref * x**b``; under ``"6ND"`` it is ``6 * N * D_ref * x**a`` (the
    scenario's own tokens at that N, not the observed tokens). The observed
    value is the reported ``training_flops``. Beside it, whatever the rule,
    the point ``6 * N * D_observed`` (when the row has tokens) and its ratio to
    the reported FLOP, which says how far the row itself is from 6ND.
``tokens``
    Training tokens at the observed N: ``D_ref * x**a`` against the reported
    ``training_tokens``.
``cost``
    Final-run compute cost at the reported FLOP: ``training_flops * c_flop``
    with ``c_flop = p_h / (3600 * F_pk * u_tr)``, against ``cost_usd_central``
    (``cost_usd_low`` / ``cost_usd_high`` are shown when given). Only rows
    whose ``cost_basis`` is a rental cost of the final run are comparable with
    the model's GPU-hour cost (:data:`RENTAL_BASES`); amortized hardware,
    hardware acquisition, total development and executive statements are not.

A model that appears in several rows (one per cost basis) is counted once in
``compute`` and ``tokens``. Cells that are empty or say ``unverified`` are
missing: a row without what a check needs is skipped for that check, and the
skipped rows are counted with the reason. Any other cell in a numeric column
must be a positive finite number, or the whole table is refused with one
:class:`~sim.vocab.errors.SimError` naming the file, line and column.

Per compared row: the 5%, 50% and 95% quantiles of the predictive draws
(``numpy.quantile``, linear interpolation), the percentile of the observation
(the empirical CDF of the draws at the observation, ties counted as half:
``(#{draw < obs} + #{draw == obs} / 2) / n``), and whether the observation
lies in the 90% interval ``[q5, q95]``. Coverage per check is the share of
its rows inside; a well calibrated scenario covers about 90%. The report is
a report: it never fails because the coverage is low.
"""

from __future__ import annotations

import csv
import datetime as _dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from sim._version import __version__
from sim.services.checks import check_n, check_seed, seed_attribute
from sim.vocab.errors import SimError
from sim.vocab.units import eng, percent

__all__ = ["bundled_models", "calibrate", "calibration_table", "parse_models", "read_models"]

QUANTILES = (0.05, 0.5, 0.95)
NOMINAL_COVERAGE = 0.9
DEFAULT_DRAWS = 20_000
CHECKS = ("compute", "tokens", "cost")
QUANTITY = {
    "compute": ("final-run training FLOP", "FLOP"),
    "tokens": ("training tokens", "tokens"),
    "cost": ("final-run cloud-rental cost", "USD"),
}
#: Cost bases comparable with the model's final-run GPU-hour cost: a basis
#: equal to one of these or starting with it and "_" (e.g.
#: ``cloud_rental_final_run_inflation_adj``). DeepSeek-V3's report prices its
#: final run's GPU-hours at a rental rate, which is the same computation.
RENTAL_BASES = ("cloud_rental_final_run", "developer_reported_rental_equivalent_final_run")
REQUIRED_COLUMNS = ("model", "year", "parameters", "training_tokens", "training_flops",
                    "cost_usd_central", "cost_basis")
NUMERIC_COLUMNS = ("parameters", "training_tokens", "training_flops", "cost_usd_low",
                   "cost_usd_central", "cost_usd_high")
MISSING = ("", "unverified")
BUNDLED_NAME = "notable_models.csv"
BUNDLED_SOURCE = f"sim/data/{BUNDLED_NAME} (bundled)"


def bundled_models():
    """The bundled table of observed models (an importlib.resources path)."""
    return resources.files("sim.data").joinpath(BUNDLED_NAME)


def is_rental_basis(basis: str) -> bool:
    return any(basis == b or basis.startswith(b + "_") for b in RENTAL_BASES)


# ------------------------------------------------------------------ the table
@dataclass
class ObservedRow:
    line: int
    model: str
    year: int
    basis: str
    values: dict[str, float | None] = field(default_factory=dict)

    def get(self, column: str) -> float | None:
        return self.values.get(column)


def read_models(models=None) -> tuple[list[ObservedRow], str]:
    """Parse a models table (a path, or None for the bundled one).

    Returns the rows and a description of where they came from.
    """
    if models is None:
        try:
            text = bundled_models().read_text(encoding="utf-8-sig")
        except OSError as exc:  # pragma: no cover - a broken installation
            raise SimError(f"{BUNDLED_SOURCE}: cannot read the bundled models table "
                           f"({exc.strerror})") from None
        source = BUNDLED_SOURCE
    else:
        path = Path(models)
        source = str(path)
        if not path.is_file():
            what = "is a directory" if path.is_dir() else "no such models file"
            raise SimError(f"{source}: {what} (expected a CSV in the format of the bundled "
                           f"{BUNDLED_NAME})")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise SimError(f"{source}: cannot read file ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise SimError(f"{source}: file is not UTF-8 text") from None
    return parse_models(text, source), source


def parse_models(text: str, source: str = "models") -> list[ObservedRow]:
    """Rows of a models CSV; every problem is one SimError naming the place."""
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise SimError(f"{source}: missing column(s) {', '.join(missing)} (expected at least "
                       f"{', '.join(REQUIRED_COLUMNS)})")
    rows = []
    try:
        for record in reader:
            line = reader.line_num
            if None in record:
                raise SimError(f"{source}, line {line}: more cells than columns")
            if all((v or "").strip() == "" for v in record.values()):
                continue  # blank line
            model = (record["model"] or "").strip()
            if not model:
                raise SimError(f"{source}, line {line}, column model: expected a model name")
            year_text = (record["year"] or "").strip()
            try:
                year = int(year_text)
            except ValueError:
                raise SimError(f"{source}, line {line} ({model}), column year: expected a "
                               f"year such as 2023, got {year_text!r}") from None
            values: dict[str, float | None] = {}
            for column in NUMERIC_COLUMNS:
                if column in record:
                    values[column] = _cell(record[column], source, line, model, column)
            rows.append(ObservedRow(line, model, year, (record["cost_basis"] or "").strip(),
                                    values))
    except csv.Error as exc:
        raise SimError(f"{source}, line {reader.line_num}: malformed CSV ({exc})") from None
    return rows


def _cell(text: str | None, source: str, line: int, model: str, column: str) -> float | None:
    text = (text or "").strip()
    if text.lower() in MISSING:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise SimError(f"{source}, line {line} ({model}), column {column}: expected a "
                       f"positive number, empty or 'unverified', got {text!r}")
    return value


# ------------------------------------------------------------------ selection
@dataclass
class Compared:
    check: str
    row: ObservedRow
    observed: float
    low: float = math.nan
    high: float = math.nan


def select_rows(rows: list[ObservedRow]) -> tuple[list[Compared], dict[str, dict[str, int]]]:
    """The rows each check compares, and per check the skipped rows by reason."""
    compared: list[Compared] = []
    skipped: dict[str, dict[str, int]] = {c: {} for c in CHECKS}

    def skip(check: str, reason: str) -> None:
        skipped[check][reason] = skipped[check].get(reason, 0) + 1

    needs = {"compute": ("parameters", "training_flops"),
             "tokens": ("parameters", "training_tokens")}
    for check, columns in needs.items():
        seen: set[tuple] = set()
        for row in rows:
            absent = [c for c in columns if row.get(c) is None]
            if absent:
                skip(check, f"no {' and no '.join(absent)}")
                continue
            key = (row.model,) + tuple(row.get(c) for c in columns)
            if key in seen:
                skip(check, "same model and numbers as an earlier row (counted once)")
                continue
            seen.add(key)
            compared.append(Compared(check, row, float(row.get(columns[1]))))
    for row in rows:
        if not is_rental_basis(row.basis):
            skip("cost", "cost basis is not a rental cost of the final run")
            continue
        absent = [c for c in ("training_flops", "cost_usd_central") if row.get(c) is None]
        if absent:
            skip("cost", f"no {' and no '.join(absent)}")
            continue
        low, high = row.get("cost_usd_low"), row.get("cost_usd_high")
        compared.append(Compared("cost", row, float(row.get("cost_usd_central")),
                                 math.nan if low is None else low,
                                 math.nan if high is None else high))
    order = {c: i for i, c in enumerate(CHECKS)}
    compared.sort(key=lambda c: order[c.check])  # stable: file order within a check
    return compared, skipped


# ------------------------------------------------------------------ predictions
def _draws(scenario, sampled: xr.Dataset, key: str, n: int) -> np.ndarray:
    if key in sampled:
        return np.asarray(sampled[key].values, dtype=float)
    return np.full(n, float(scenario.values[key]))


def percentile_of(sorted_draws: np.ndarray, value: float) -> float:
    """Empirical CDF at ``value``, ties counted as half (mid-rank)."""
    below = np.searchsorted(sorted_draws, value, side="left")
    upto = np.searchsorted(sorted_draws, value, side="right")
    return float((below + upto) / (2 * len(sorted_draws)))


def calibrate(scenario_or_path="baseline", models=None, n_scenarios: int = DEFAULT_DRAWS,
              seed: int = 0, overrides: Mapping[str, Any] | None = None) -> xr.Dataset:
    """Compare a scenario's predictive distributions with observed models.

    ``models`` is a CSV in the format of the bundled ``notable_models.csv``
    (None: the bundled table). Returns an :class:`xarray.Dataset` with one
    entry per compared row (dimension ``row``; coordinates ``model``,
    ``year``, ``check``): ``observed``, ``predicted_quantile`` (row,
    quantile 0.05/0.5/0.95), ``percentile`` and ``inside_90``, with the
    coverage of each check in the attributes (``coverage_<check>``,
    ``inside_<check>``, ``rows_<check>``, ``skipped_<check>``).
    """
    from sim.analyses.request import resolve_scenario
    from sim.analyses.run import sample

    scenario = resolve_scenario(scenario_or_path, overrides)
    n = check_n(n_scenarios)
    seed = check_seed(seed)
    rule = getattr(scenario, "compute_rule", "power")
    if rule not in ("power", "6ND"):
        raise SimError(f"scaling.compute_rule: expected 'power' or '6ND', got {rule!r}")
    rows, source = read_models(models)
    compared, skipped = select_rows(rows)

    sampled = sample(scenario, n_scenarios=n, seed=seed)
    n = sampled.sizes["scenario"]

    def draws(key: str) -> np.ndarray:
        return _draws(scenario, sampled, key, n)

    n_ref = float(scenario.reference_size)
    a, d_ref = draws("scaling.data_exponent"), draws("scaling.tokens_at_reference")
    if rule == "power":
        b, r_ref = draws("scaling.compute_exponent"), draws("scaling.flops_at_reference")
    c_flop = draws("costs.gpu_hour_price") / (
        3600.0 * draws("costs.gpu_peak_flops") * draws("costs.training_utilization"))

    m = len(compared)
    observed = np.array([c.observed for c in compared], dtype=float)
    pred_q = np.empty((m, len(QUANTILES)))
    percentile = np.empty(m)
    nan = np.full(m, math.nan)
    six_nd, implied = nan.copy(), nan.copy()
    for i, c in enumerate(compared):
        N = c.row.get("parameters")
        x = N / n_ref if N is not None else math.nan
        if c.check == "compute":
            pred = (r_ref * x ** b) if rule == "power" else 6.0 * N * d_ref * x ** a
            tokens = c.row.get("training_tokens")
            if tokens is not None:
                six_nd[i] = 6.0 * N * tokens
        elif c.check == "tokens":
            pred = d_ref * x ** a
        else:
            pred = c.row.get("training_flops") * c_flop
            implied[i] = c.observed / c.row.get("training_flops")
        pred = np.sort(pred)
        pred_q[i] = np.quantile(pred, QUANTILES)
        percentile[i] = percentile_of(pred, c.observed)
    inside = (observed >= pred_q[:, 0]) & (observed <= pred_q[:, -1])

    def column(name: str) -> np.ndarray:
        return np.array([math.nan if c.row.get(name) is None else c.row.get(name)
                         for c in compared], dtype=float)

    row_dim = ("row",)
    data = {
        "observed": (row_dim, observed, {"long_name": "observed value (see units)"}),
        "observed_low": (row_dim, np.array([c.low for c in compared], dtype=float),
                         {"long_name": "low end of the reported range (cost rows)", "units": "USD"}),
        "observed_high": (row_dim, np.array([c.high for c in compared], dtype=float),
                          {"long_name": "high end of the reported range (cost rows)", "units": "USD"}),
        "predicted_quantile": (("row", "quantile"), pred_q,
                               {"long_name": "quantile of the scenario's predictive distribution"}),
        "percentile": (row_dim, percentile, {
            "long_name": "percentile of the observation in the predictive draws "
                         "(empirical CDF, ties counted as half)", "units": "1"}),
        "inside_90": (row_dim, inside, {
            "long_name": "observation inside the predictive 5%-95% interval"}),
        "ratio_to_median": (row_dim, observed / pred_q[:, 1], {
            "long_name": "observed value / predictive median", "units": "1"}),
        "six_nd_observed": (row_dim, six_nd, {
            "long_name": "6 * N * D from the row's own parameters and tokens (compute rows)",
            "units": "FLOP"}),
        "six_nd_ratio": (row_dim, six_nd / observed, {
            "long_name": "6 N D_observed / reported training FLOP (compute rows)", "units": "1"}),
        "implied_usd_per_flop": (row_dim, implied, {
            "long_name": "reported cost / reported FLOP (cost rows)", "units": "USD/FLOP"}),
        "parameters": (row_dim, column("parameters"), {"long_name": "reported parameters N",
                                                       "units": "parameters"}),
        "training_tokens": (row_dim, column("training_tokens"), {
            "long_name": "reported training tokens D", "units": "tokens"}),
        "training_flops": (row_dim, column("training_flops"), {
            "long_name": "reported final-run training FLOP", "units": "FLOP"}),
    }
    coords = {
        "row": ("row", np.arange(m)),
        "model": (row_dim, np.array([c.row.model for c in compared], dtype=object)),
        "year": (row_dim, np.array([c.row.year for c in compared], dtype=np.int64)),
        "check": (row_dim, np.array([c.check for c in compared], dtype=object)),
        "quantity": (row_dim, np.array([QUANTITY[c.check][0] for c in compared], dtype=object)),
        "units": (row_dim, np.array([QUANTITY[c.check][1] for c in compared], dtype=object)),
        "cost_basis": (row_dim, np.array([c.row.basis if c.check == "cost" else ""
                                          for c in compared], dtype=object)),
        "csv_line": (row_dim, np.array([c.row.line for c in compared], dtype=np.int64)),
        "quantile": ("quantile", np.asarray(QUANTILES), {"long_name": "quantile level"}),
    }
    attrs: dict[str, Any] = {
        "title": f"calibration of scenario '{scenario.name}' against observed models",
        "scenario_name": scenario.name,
        "scenario": scenario.to_toml(),
        "models_source": source,
        "models_rows": len(rows),
        "n_scenarios": int(n),
        "seed": seed_attribute(seed),
        "compute_rule": rule,
        "nominal_coverage": NOMINAL_COVERAGE,
        "percentile_method": "empirical CDF of the predictive draws, ties counted as half",
        "quantile_method": "numpy.quantile (linear interpolation) of the predictive draws",
        "sim_version": __version__,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
    checks = np.array([c.check for c in compared], dtype=object)
    notes = []
    for check in CHECKS:
        mine = checks == check
        rows_c, inside_c = int(mine.sum()), int(inside[mine].sum())
        attrs[f"rows_{check}"] = rows_c
        attrs[f"inside_{check}"] = inside_c
        attrs[f"coverage_{check}"] = inside_c / rows_c if rows_c else math.nan
        attrs[f"skipped_{check}"] = int(sum(skipped[check].values()))
        for reason, count in skipped[check].items():
            notes.append(f"{check}: {count} {reason}")
    attrs["skipped"] = "\n".join(notes)
    return xr.Dataset(data, coords=coords, attrs=attrs)


# ------------------------------------------------------------------ the table
def calibration_table(ds: xr.Dataset) -> str:
    """The printed report: one block per check, coverage, skipped rows."""
    attrs = ds.attrs
    rule = attrs["compute_rule"]
    lines = [f"calibration of scenario '{attrs['scenario_name']}' against "
             f"{attrs['models_source']}, {attrs['models_rows']} rows; "
             f"{attrs['n_scenarios']:,} draws, seed {attrs['seed']}, compute rule '{rule}'"]
    what = {
        "compute": ("final-run training FLOP: reported against "
                    + ("R_ref x^b" if rule == "power" else "6 N D_ref x^a")
                    + " at the reported N (x = N / N_ref)\n"
                    + "(6ND/rep: 6 N D_reported / reported FLOP)"),
        "tokens": "training tokens: reported against D_ref x^a at the reported N",
        "cost": ("final-run cost: reported cloud-rental cost against "
                 "reported FLOP * p_h / (3600 F_pk u_tr)"),
    }
    width = max([len(str(m)) for m in ds["model"].values] + [5])
    checks = ds["check"].values
    for check in CHECKS:
        idx = np.flatnonzero(checks == check)
        lines.append("")
        lines.extend(what[check].splitlines())
        extra = ""
        if check == "compute":
            extra = f"  {'6ND/rep':>8}"
        elif check == "cost":
            has_range = bool(np.any(~np.isnan(ds["observed_low"].values[idx]))
                             or np.any(~np.isnan(ds["observed_high"].values[idx])))
            extra = f"  {'reported range':>17}" if has_range else ""
        header = (f"{'model':<{width}}  {'year':>4}  {'observed':>9}  {'5%':>9}  {'50%':>9}  "
                  f"{'95%':>9}  {'pctile':>6}  {'in 90%':>6}  {'obs/med':>7}{extra}")
        lines += [header, "-" * len(header)]
        for i in idx:
            q = ds["predicted_quantile"].values[i]
            tail = ""
            if check == "compute":
                tail = f"  {eng(ds['six_nd_ratio'].values[i]):>8}"
            elif extra:
                lo, hi = ds["observed_low"].values[i], ds["observed_high"].values[i]
                rng = "" if np.isnan(lo) and np.isnan(hi) else f"{eng(lo)}-{eng(hi)}"
                tail = f"  {rng:>17}"
            lines.append(
                f"{ds['model'].values[i]:<{width}}  {int(ds['year'].values[i]):>4}  "
                f"{eng(ds['observed'].values[i]):>9}  {eng(q[0]):>9}  {eng(q[1]):>9}  "
                f"{eng(q[2]):>9}  {percent(ds['percentile'].values[i]):>6}  "
                f"{'yes' if ds['inside_90'].values[i] else 'no':>6}  "
                f"{eng(ds['ratio_to_median'].values[i]):>7}{tail}")
        if not len(idx):
            lines.append("(no usable rows)")
    lines.append("")
    lines.append(f"coverage of the 90% predictive intervals (nominal {percent(attrs['nominal_coverage'], 0)}):")
    for check in CHECKS:
        rows_c = attrs[f"rows_{check}"]
        share = "-" if not rows_c else percent(attrs[f'coverage_{check}'], 0)
        lines.append(f"  {check:<8} {attrs[f'inside_{check}']:>3} of {rows_c:<3} inside ({share})"
                     f"; {attrs[f'skipped_{check}']} of {attrs['models_rows']} rows skipped")
    if attrs.get("skipped"):
        lines.append("skipped rows, by reason:")
        lines.extend(f"  {line}" for line in attrs["skipped"].splitlines())
    return "\n".join(lines)
