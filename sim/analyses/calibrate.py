"""Calibration: a scenario's predictive distributions against observed models.

``calibrate`` draws the scenario's parameters with :func:`sim.sample` (so its
rank correlations hold) and, for each usable row of a table of observed
models (the bundled ``sim/data/notable_models.csv`` by default) and of a
table of list prices (the bundled ``sim/data/list_prices.csv``), compares one
observed number with the scenario's predictive distribution of that number.
N is a row's total parameter count, N_act its active parameters per token
(the ``active_parameters`` column of a mixture-of-experts row; N when the
cell is empty or the column absent) and ``x = N / N_ref``:

``compute``
    Final-run training FLOP. Under the compute rule ``"power"`` the
    prediction is ``R_ref * (N_act / N_ref)**b``; under ``"6ND"`` it is
    ``6 * N_act * D_ref * x**a`` (the scenario's own tokens at the total N,
    not the observed tokens). The observed value is the reported
    ``training_flops``. Beside it, whatever the rule, the point
    ``6 * N_act * D_observed`` (when the row has tokens) and its ratio to the
    reported FLOP, which says how far the row itself is from 6ND.
``tokens``
    Training tokens at the observed N: ``D_ref * x**a`` against the reported
    ``training_tokens`` (the data rule stays on total N).
``cost``
    Final-run compute cost at the reported FLOP: ``training_flops * c_flop``
    with ``c_flop = p_h / (3600 * F_pk * u_tr)``, against ``cost_usd_central``
    (``cost_usd_low`` / ``cost_usd_high`` are shown when given). Only rows
    whose ``cost_basis`` is a rental cost of the final run are comparable with
    the model's GPU-hour cost (:data:`RENTAL_BASES`); amortized hardware,
    hardware acquisition, total development and executive statements are not.
``price``
    List price per million output tokens. The scenario's year-1 price
    ``price_per_token_y1`` of a model of the row's N and ``N_act / N`` (one
    :func:`sim.sample` per distinct pair, with ``grid.model_sizes = [N]`` and
    ``grid.active_share = [N_act / N]``, the scenario's strategies left out)
    is what a request pays per output token, its ``r_in`` input tokens
    included (``costs.input_ratio``); at the row's ratio of input to output
    list price the output price it implies is
    ``1e6 * price_per_token_y1 / (1 + r_in * usd_per_million_input /
    usd_per_million_output)``, per draw, against ``usd_per_million_output``.
    Only models whose size is public can be compared: closed models have no
    N.

A model that appears in several rows (one per cost basis) is counted once in
``compute`` and ``tokens``. Cells that are empty or say ``unverified`` are
missing: a row without what a check needs is skipped for that check, and the
skipped rows are counted with the reason. Any other cell in a numeric column
must be a positive finite number (an active count at most the total), or the
whole table is refused with one :class:`~sim.vocab.errors.SimError` naming
the file, line and column.

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
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from sim._version import __version__
from sim.services.checks import check_n, check_seed, seed_attribute
from sim.vocab.errors import SimError
from sim.present.calibration import legend_entries as calibration_legend
from sim.present.tables import legend
from sim.vocab.units import eng, percent

__all__ = ["bundled_models", "bundled_prices", "calibrate", "calibration_table", "parse_models",
           "parse_prices", "read_models", "read_prices"]

QUANTILES = (0.05, 0.5, 0.95)
NOMINAL_COVERAGE = 0.9
DEFAULT_DRAWS = 20_000
CHECKS = ("compute", "tokens", "cost", "price")
QUANTITY = {
    "compute": ("final-run training FLOP", "FLOP"),
    "tokens": ("training tokens", "tokens"),
    "cost": ("final-run cloud-rental cost", "USD"),
    "price": ("year-1 price per million output tokens", "USD per 1M output tokens"),
}
#: Cost bases comparable with the model's final-run GPU-hour cost: a basis
#: equal to one of these or starting with it and "_" (e.g.
#: ``cloud_rental_final_run_inflation_adj``). DeepSeek-V3's report prices its
#: final run's GPU-hours at a rental rate, which is the same computation.
RENTAL_BASES = ("cloud_rental_final_run", "developer_reported_rental_equivalent_final_run")
REQUIRED_COLUMNS = ("model", "year", "parameters", "training_tokens", "training_flops",
                    "cost_usd_central", "cost_basis")
#: ``active_parameters`` is optional: a table without it (an older file) is dense.
NUMERIC_COLUMNS = ("parameters", "active_parameters", "training_tokens", "training_flops",
                   "cost_usd_low", "cost_usd_central", "cost_usd_high")
PRICE_REQUIRED_COLUMNS = ("model", "date", "parameters", "usd_per_million_output")
PRICE_NUMERIC_COLUMNS = ("parameters", "active_parameters", "usd_per_million_output",
                         "usd_per_million_input")
MISSING = ("", "unverified")
BUNDLED_NAME = "notable_models.csv"
BUNDLED_SOURCE = f"sim/data/{BUNDLED_NAME} (bundled)"
PRICES_NAME = "list_prices.csv"
PRICES_SOURCE = f"sim/data/{PRICES_NAME} (bundled)"
#: The scenario's output read by the price check (USD per output token, the
#: request's input tokens included) and the key of those input tokens.
PRICE_OUTPUT = "price_per_token_y1"
INPUT_RATIO = "costs.input_ratio"
PER_MILLION = 1e6
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def bundled_models():
    """The bundled table of observed models (an importlib.resources path)."""
    return resources.files("sim.data").joinpath(BUNDLED_NAME)


def bundled_prices():
    """The bundled table of list prices (an importlib.resources path)."""
    return resources.files("sim.data").joinpath(PRICES_NAME)


def is_rental_basis(basis: str) -> bool:
    return any(basis == b or basis.startswith(b + "_") for b in RENTAL_BASES)


# ------------------------------------------------------------------ the tables
@dataclass
class ObservedRow:
    line: int
    model: str
    year: int
    basis: str
    values: dict[str, float | None] = field(default_factory=dict)
    provider: str = ""
    table: str = "models"

    def get(self, column: str) -> float | None:
        return self.values.get(column)

    @property
    def active(self) -> float | None:
        """Active parameters per token: the reported count, else N (dense)."""
        active = self.get("active_parameters")
        return self.get("parameters") if active is None else active


def _read_text(path_or_none, bundled, name: str, what: str) -> tuple[str, str]:
    """The text of a table (a path, or None for the bundled one) and its source."""
    bundled_source = f"sim/data/{name} (bundled)"
    if path_or_none is None:
        try:
            return bundled().read_text(encoding="utf-8-sig"), bundled_source
        except OSError as exc:  # pragma: no cover - a broken installation
            raise SimError(f"{bundled_source}: cannot read the bundled {what} table "
                           f"({exc.strerror})") from None
    path = Path(path_or_none)
    source = str(path)
    if not path.is_file():
        kind = "is a directory" if path.is_dir() else f"no such {what} file"
        raise SimError(f"{source}: {kind} (expected a CSV in the format of the bundled "
                       f"{name})")
    try:
        return path.read_text(encoding="utf-8-sig"), source
    except OSError as exc:
        raise SimError(f"{source}: cannot read file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise SimError(f"{source}: file is not UTF-8 text") from None


def read_models(models=None) -> tuple[list[ObservedRow], str]:
    """Parse a models table (a path, or None for the bundled one).

    Returns the rows and a description of where they came from.
    """
    text, source = _read_text(models, bundled_models, BUNDLED_NAME, "models")
    return parse_models(text, source), source


def read_prices(prices=None) -> tuple[list[ObservedRow], str]:
    """Parse a list-prices table (a path, or None for the bundled one)."""
    text, source = _read_text(prices, bundled_prices, PRICES_NAME, "list-prices")
    return parse_prices(text, source), source


def _records(text: str, source: str, required: tuple[str, ...]):
    """(line, model, record) of each non-blank row; the header and the cell
    count are checked."""
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    missing = [c for c in required if c not in header]
    if missing:
        raise SimError(f"{source}: missing column(s) {', '.join(missing)} (expected at least "
                       f"{', '.join(required)})")
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
            yield line, model, record
    except csv.Error as exc:
        raise SimError(f"{source}, line {reader.line_num}: malformed CSV ({exc})") from None


def _numbers(record: Mapping[str, str | None], columns: tuple[str, ...], source: str,
             line: int, model: str) -> dict[str, float | None]:
    values = {c: _cell(record[c], source, line, model, c) for c in columns if c in record}
    total, active = values.get("parameters"), values.get("active_parameters")
    if total is not None and active is not None and active > total:
        raise SimError(f"{source}, line {line} ({model}), column active_parameters: expected "
                       f"at most the total parameters ({record['parameters'].strip()}), got "
                       f"{record['active_parameters'].strip()!r}")
    return values


def parse_models(text: str, source: str = "models") -> list[ObservedRow]:
    """Rows of a models CSV; every problem is one SimError naming the place."""
    rows = []
    for line, model, record in _records(text, source, REQUIRED_COLUMNS):
        year_text = (record["year"] or "").strip()
        try:
            year = int(year_text)
        except ValueError:
            raise SimError(f"{source}, line {line} ({model}), column year: expected a "
                           f"year such as 2023, got {year_text!r}") from None
        rows.append(ObservedRow(line, model, year, (record["cost_basis"] or "").strip(),
                                _numbers(record, NUMERIC_COLUMNS, source, line, model)))
    return rows


def parse_prices(text: str, source: str = "list prices") -> list[ObservedRow]:
    """Rows of a list-prices CSV; every problem is one SimError naming the place."""
    rows = []
    for line, model, record in _records(text, source, PRICE_REQUIRED_COLUMNS):
        date = (record["date"] or "").strip()
        rows.append(ObservedRow(line, model, _year_of(date, source, line, model), "",
                                _numbers(record, PRICE_NUMERIC_COLUMNS, source, line, model),
                                provider=(record.get("provider") or "").strip(),
                                table="prices"))
    return rows


def _year_of(text: str, source: str, line: int, model: str) -> int:
    """The year of a date written 2024, 2024-07 or 2024-07-23."""
    match = _DATE.fullmatch(text)
    try:
        if match is None:
            raise ValueError
        year, month, day = (int(g) if g else 1 for g in match.groups())
        _dt.date(year, month, day)
    except ValueError:
        raise SimError(f"{source}, line {line} ({model}), column date: expected a date such "
                       f"as 2024, 2024-07 or 2024-07-23, got {text!r}") from None
    return year


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


def select_rows(rows: list[ObservedRow], price_rows: list[ObservedRow] = (),
                needs_input_price: bool = False
                ) -> tuple[list[Compared], dict[str, dict[str, int]]]:
    """The rows each check compares, and per check the skipped rows by reason.

    ``needs_input_price``: the scenario's price per output token includes
    input tokens (``costs.input_ratio`` not 0), so a list price can be
    compared only with its input price."""
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
    for row in price_rows:
        if row.get("parameters") is None:
            skip("price", "no parameters (size not public)")
            continue
        if row.get("usd_per_million_output") is None:
            skip("price", "no usd_per_million_output")
            continue
        if needs_input_price and row.get("usd_per_million_input") is None:
            skip("price", "no usd_per_million_input (the scenario's price includes input tokens)")
            continue
        compared.append(Compared("price", row, float(row.get("usd_per_million_output"))))
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
              seed: int = 0, overrides: Mapping[str, Any] | None = None,
              prices=None) -> xr.Dataset:
    """Compare a scenario's predictive distributions with observed models.

    ``models`` is a CSV in the format of the bundled ``notable_models.csv``,
    ``prices`` one in the format of the bundled ``list_prices.csv`` (None:
    the bundled tables). Returns an :class:`xarray.Dataset` with one entry
    per compared row (dimension ``row``; coordinates ``model``, ``year``,
    ``check``, ``provider``, ``table``): ``observed``, ``predicted_quantile``
    (row, quantile 0.05/0.5/0.95), ``percentile`` and ``inside_90``, with
    the coverage of each check in the attributes (``coverage_<check>``,
    ``inside_<check>``, ``rows_<check>``, ``skipped_<check>``).
    """
    from sim.analyses.request import refuse_industry, resolve_scenario
    from sim.analyses.run import sample

    scenario = resolve_scenario(scenario_or_path, overrides)
    refuse_industry(scenario, "calibration against observed models (sim calibrate)",
                    "it compares each model size's predicted loss, cost and price with observed "
                    "models; the industry scenario's own calibration on 2023-24 is in "
                    "docs/industry.md")
    n = check_n(n_scenarios)
    seed = check_seed(seed)
    rule = getattr(scenario, "compute_rule", "power")
    if rule not in ("power", "6ND"):
        raise SimError(f"scaling.compute_rule: expected 'power' or '6ND', got {rule!r}")
    rows, source = read_models(models)
    price_rows, price_source = read_prices(prices)
    input_ratio = scenario.values.get(INPUT_RATIO, 0.0)
    needs_input_price = not (isinstance(input_ratio, (int, float)) and input_ratio == 0)
    compared, skipped = select_rows(rows, price_rows, needs_input_price)

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
    prices_at: dict[tuple[float, float], tuple[np.ndarray, np.ndarray]] = {}

    def price_draws(row: ObservedRow) -> np.ndarray:
        """The list price per million output tokens that the scenario's
        year-1 price of a model of the row's size implies, per draw (the same
        seed: the same parameter draws as ``sampled``)."""
        N, share = row.get("parameters"), row.active / row.get("parameters")
        if (N, share) not in prices_at:
            base = replace(scenario, strategies=()) if scenario.strategies else scenario
            one = sample(base, n_scenarios=n, seed=seed,
                         overrides={"grid.model_sizes": [N], "grid.active_share": [share]})
            prices_at[N, share] = (np.asarray(one[PRICE_OUTPUT].values, dtype=float)[:, 0]
                                   * PER_MILLION, _draws(base, one, INPUT_RATIO, n))
        price, r_in = prices_at[N, share]
        if not needs_input_price:
            return price
        return price / (1.0 + r_in * (row.get("usd_per_million_input")
                                      / row.get("usd_per_million_output")))

    m = len(compared)
    observed = np.array([c.observed for c in compared], dtype=float)
    pred_q = np.empty((m, len(QUANTILES)))
    percentile = np.empty(m)
    nan = np.full(m, math.nan)
    six_nd, implied = nan.copy(), nan.copy()
    for i, c in enumerate(compared):
        N, n_act = c.row.get("parameters"), c.row.active
        x = N / n_ref if N is not None else math.nan
        if c.check == "compute":
            pred = (r_ref * (n_act / n_ref) ** b if rule == "power"
                    else 6.0 * n_act * d_ref * x ** a)
            tokens = c.row.get("training_tokens")
            if tokens is not None:
                six_nd[i] = 6.0 * n_act * tokens
        elif c.check == "tokens":
            pred = d_ref * x ** a
        elif c.check == "cost":
            pred = c.row.get("training_flops") * c_flop
            implied[i] = c.observed / c.row.get("training_flops")
        else:
            pred = price_draws(c.row)
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
            "long_name": "6 * N_act * D from the row's own active parameters and tokens "
                         "(compute rows)", "units": "FLOP"}),
        "six_nd_ratio": (row_dim, six_nd / observed, {
            "long_name": "6 N_act D_observed / reported training FLOP (compute rows)",
            "units": "1"}),
        "implied_usd_per_flop": (row_dim, implied, {
            "long_name": "reported cost / reported FLOP (cost rows)", "units": "USD/FLOP"}),
        "parameters": (row_dim, column("parameters"), {"long_name": "reported parameters N",
                                                       "units": "parameters"}),
        "active_parameters": (row_dim, np.array([math.nan if c.row.active is None else c.row.active
                                                 for c in compared], dtype=float), {
            "long_name": "active parameters per token N_act (reported; N where the row "
                         "gives none: dense)", "units": "parameters"}),
        "training_tokens": (row_dim, column("training_tokens"), {
            "long_name": "reported training tokens D", "units": "tokens"}),
        "training_flops": (row_dim, column("training_flops"), {
            "long_name": "reported final-run training FLOP", "units": "FLOP"}),
        "usd_per_million_input": (row_dim, column("usd_per_million_input"), {
            "long_name": "list price per million input tokens (price rows)",
            "units": "USD per 1M input tokens"}),
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
        "provider": (row_dim, np.array([c.row.provider for c in compared], dtype=object)),
        "table": (row_dim, np.array([c.row.table for c in compared], dtype=object)),
        "csv_line": (row_dim, np.array([c.row.line for c in compared], dtype=np.int64)),
        "quantile": ("quantile", np.asarray(QUANTILES), {"long_name": "quantile level"}),
    }
    attrs: dict[str, Any] = {
        "title": f"calibration of scenario '{scenario.name}' against observed models",
        "scenario_name": scenario.name,
        "scenario": scenario.to_toml(),
        "models_source": source,
        "models_rows": len(rows),
        "prices_source": price_source,
        "prices_rows": len(price_rows),
        "price_prediction": (f"1e6 {PRICE_OUTPUT} / (1 + r_in * usd_per_million_input / "
                             "usd_per_million_output), r_in = costs.input_ratio, per draw; "
                             "one model size per row"),
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
    prices_rows = attrs.get("prices_rows", 0)
    lines = [f"calibration of scenario '{attrs['scenario_name']}' against "
             f"{attrs['models_source']}, {attrs['models_rows']} rows, and "
             f"{attrs.get('prices_source', '-')}, {prices_rows} rows; "
             f"{attrs['n_scenarios']:,} draws, seed {attrs['seed']}, compute rule '{rule}'"]
    what = {
        "compute": ("final-run training FLOP: reported against "
                    + ("R_ref (N_act / N_ref)^b" if rule == "power" else "6 N_act D_ref x^a")
                    + " at the reported N (x = N / N_ref;\n"
                    + "N_act = active parameters, N where dense; "
                    + "6ND/rep: 6 N_act D_reported / reported FLOP)"),
        "tokens": "training tokens: reported against D_ref x^a at the reported N",
        "cost": ("final-run cost: reported cloud-rental cost against "
                 "reported FLOP * p_h / (3600 F_pk u_tr)"),
        "price": ("price per million output tokens (USD): list price against the scenario's "
                  "year-1 price of a model\nof the listed N and N_act, its input tokens "
                  "taken out at the row's input/output price ratio: 1e6 p_1 / (1 + r_in in/out)"),
    }
    width = max([len(str(m)) for m in ds["model"].values] + [5])
    checks = ds["check"].values
    params, active = ds["parameters"].values, ds["active_parameters"].values
    for check in CHECKS:
        idx = np.flatnonzero(checks == check)
        lines.append("")
        lines.extend(what[check].splitlines())
        extra = ""
        moe = bool(np.any(active[idx] != params[idx]))
        if check == "compute":
            extra = f"  {'6ND/rep':>8}" + (f"  {'N_act':>8}" if moe else "")
        elif check == "cost":
            has_range = bool(np.any(~np.isnan(ds["observed_low"].values[idx]))
                             or np.any(~np.isnan(ds["observed_high"].values[idx])))
            extra = f"  {'reported range':>17}" if has_range else ""
        elif check == "price":
            extra = f"  {'N':>8}  {'N_act':>8}  provider"
        header = (f"{'model':<{width}}  {'year':>4}  {'observed':>9}  {'5%':>9}  {'50%':>9}  "
                  f"{'95%':>9}  {'pctile':>6}  {'in 90%':>6}  {'obs/med':>7}{extra}")
        lines += [header, "-" * len(header)]
        for i in idx:
            q = ds["predicted_quantile"].values[i]
            n_act = eng(active[i]) if active[i] != params[i] else ""
            tail = ""
            if check == "compute":
                tail = f"  {eng(ds['six_nd_ratio'].values[i]):>8}" + (f"  {n_act:>8}" if moe else "")
            elif check == "price":
                tail = f"  {eng(params[i]):>8}  {n_act:>8}  {ds['provider'].values[i]}"
            elif extra:
                lo, hi = ds["observed_low"].values[i], ds["observed_high"].values[i]
                rng = "" if np.isnan(lo) and np.isnan(hi) else f"{eng(lo)}-{eng(hi)}"
                tail = f"  {rng:>17}"
            lines.append(
                f"{ds['model'].values[i]:<{width}}  {int(ds['year'].values[i]):>4}  "
                f"{eng(ds['observed'].values[i]):>9}  {eng(q[0]):>9}  {eng(q[1]):>9}  "
                f"{eng(q[2]):>9}  {percent(ds['percentile'].values[i]):>6}  "
                f"{'yes' if ds['inside_90'].values[i] else 'no':>6}  "
                f"{eng(ds['ratio_to_median'].values[i]):>7}{tail}".rstrip())
        if not len(idx):
            lines.append("(no usable rows)")
    printed = {cell for line in lines if line.startswith("model ") for cell in line.split("  ") if cell}
    printed = {cell.strip() for cell in printed}
    lines.extend(legend([(key, text) for key, text in calibration_legend(ds)
                         if any(k in printed for k in key.split(", "))]))
    lines.append("")
    lines.append(f"coverage of the 90% predictive intervals (nominal {percent(attrs['nominal_coverage'], 0)}):")
    for check in CHECKS:
        rows_c = attrs[f"rows_{check}"]
        share = "-" if not rows_c else percent(attrs[f'coverage_{check}'], 0)
        table_rows = prices_rows if check == "price" else attrs["models_rows"]
        lines.append(f"  {check:<8} {attrs[f'inside_{check}']:>3} of {rows_c:<3} inside ({share})"
                     f"; {attrs[f'skipped_{check}']} of {table_rows} rows skipped")
    if attrs.get("skipped"):
        lines.append("skipped rows, by reason:")
        lines.extend(f"  {line}" for line in attrs["skipped"].splitlines())
    return "\n".join(lines)
