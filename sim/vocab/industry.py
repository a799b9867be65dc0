"""The industry frame's outputs (specification section 15): one table, read by every layer.

Per scenario the industry kernel writes one row of columns: first the
scalars (:data:`SCALARS`), then, for each year y = 1..T, the fields of
:data:`FIELDS` at ``column(y, field)``. The engine reduces every column
(means and standard errors), sketches the distributions of
:data:`SKETCHED` by histogram (quantiles), results name them, tables and
charts read the names: all from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.vocab.errors import UnknownStatistic

__all__ = ["FIELDS", "Field", "SCALARS", "SKETCHED", "N_FIELDS", "N_SCALARS", "column", "columns",
           "field", "n_columns", "LABS", "REVENUE", "CAPEX", "SERVING_COST", "PROFIT", "MARGIN", "Q",
           "FRONTIER_FLOPS", "REVENUE_PER_GW", "LAB_COMPUTE", "SCARCITY", "BELOW_COST", "CAPEX_FALL",
           "COOLED", "CAPEX_PEAK", "ROI_INDUSTRY", "EXPECTED_RETURN", "ROI_INDUSTRY_LOSS",
           "SCALAR_BY_NAME", "FIELD_BY_NAME", "RATIO_LIKE", "MAIN_PATHS", "COOLING", "Statistic",
           "STATISTIC_HELP", "DEFAULT_STATISTIC", "parse_statistic"]


@dataclass(frozen=True)
class Field:
    """One output of the industry frame: a path over years or a scalar."""

    index: int
    name: str
    #: A short label for tables and chart titles.
    label: str
    long_name: str
    units: str
    #: A 0/1 indicator, whose mean is stored as the probability ``prob_<name>``.
    indicator: bool = False
    #: The result variable of the mean, when not ``<name>_mean`` or ``prob_<name>``.
    stored_as: str = ""

    @property
    def variable(self) -> str:
        """The result variable of the mean (``<name>_mean`` or ``prob_<name>``)."""
        if self.stored_as:
            return self.stored_as
        return f"prob_{self.name}" if self.indicator else f"{self.name}_mean"


#: The per-year paths, in column order within a year.
FIELDS: tuple[Field, ...] = (
    Field(0, "labs", "frontier labs", "number of frontier labs n_y (an expected count, at least 1)", "labs"),
    Field(1, "revenue", "industry revenue", "paid revenue of frontier models A_y", "USD/year"),
    Field(2, "capex", "capex", "industry spend on models K_y = n_y I_y (training, data, staff, risk)",
          "USD/year"),
    Field(3, "serving_cost", "serving cost", "cost of serving the year's tokens S_y", "USD/year"),
    Field(4, "profit", "industry profit", "A_y - S_y - K_y", "USD/year"),
    Field(5, "serving_margin", "serving margin", "1 - S_y / A_y", "1"),
    Field(6, "q", "valuation ratio Q", "Tobin's q of a lab as investors see it at the end of year y",
          "1"),
    Field(7, "frontier_flops", "frontier run", "final-run training compute of a frontier model R_y",
          "FLOP"),
    Field(8, "revenue_per_gw", "revenue per GW", "industry revenue per gigawatt of data-centre power "
          "A_y / GW_y", "USD/year/GW"),
    Field(9, "lab_compute", "a lab's compute", "compute of one lab H_y / n_y, H100-equivalents "
          "running all year", "H100e"),
    Field(10, "scarcity", "scarcity factor", "scarcity of compute k_y: the GPU-hour price's multiple "
          "(1 when supply covers demand)", "1"),
    Field(11, "valued_below_cost", "valued below cost", "indicator that Q_y < 1", "1", indicator=True),
    Field(12, "capex_fall", "capex falls", "indicator that K_y < K_(y-1) (0 in year 1)", "1",
          indicator=True),
    Field(13, "cooled", "cooled", "indicator that the fever has cooled by year y: Q_1 >= 1 and "
          "Q_y' < 1 for some y' <= y", "1", indicator=True),
    Field(14, "capex_peak", "capex peak year", "indicator that year y has the largest K of the "
          "horizon (the first such year on ties)", "1", indicator=True, stored_as="capex_peak_year"),
)
assert [f.index for f in FIELDS] == list(range(len(FIELDS)))

#: Scalars per scenario, before the years.
SCALARS: tuple[Field, ...] = (
    Field(0, "roi_industry", "realized industry return", "realized industry return: discounted "
          "A - S over discounted K, minus 1", "1"),
    Field(1, "expected_return", "return expected at the start", "return investors expected at the "
          "start, Q_1 - 1", "1"),
    Field(2, "industry_loss", "industry loses", "indicator that the realized industry return is "
          "below 0", "1", indicator=True),
)
assert [f.index for f in SCALARS] == list(range(len(SCALARS)))

N_FIELDS = len(FIELDS)
N_SCALARS = len(SCALARS)
FIELD_BY_NAME = {f.name: f for f in FIELDS}
SCALAR_BY_NAME = {f.name: f for f in SCALARS}


def field(name: str) -> Field:
    """A per-year field or a scalar by name."""
    return FIELD_BY_NAME.get(name) or SCALAR_BY_NAME[name]


# Indices the kernel uses by name (module constants fold in at compile time).
LABS, REVENUE, CAPEX, SERVING_COST, PROFIT, MARGIN, Q, FRONTIER_FLOPS = range(8)
REVENUE_PER_GW, LAB_COMPUTE, SCARCITY, BELOW_COST, CAPEX_FALL, COOLED, CAPEX_PEAK = range(8, 15)
ROI_INDUSTRY, EXPECTED_RETURN, ROI_INDUSTRY_LOSS = range(3)


def column(year: int, index: int) -> int:
    """Column of field ``index`` in year ``year`` (1-based) of the industry row."""
    return N_SCALARS + (year - 1) * N_FIELDS + index


def n_columns(horizon: int) -> int:
    """Columns of the industry row over ``horizon`` years."""
    return N_SCALARS + horizon * N_FIELDS


def columns(horizon: int, index: int) -> list[int]:
    """Columns of field ``index`` in years 1..horizon."""
    return [column(y, index) for y in range(1, horizon + 1)]


#: Paths and scalars whose distribution is sketched (quantiles), not only averaged.
SKETCHED = tuple(f.name for f in FIELDS if not f.indicator)
#: Quantities near 0 or 1 of either sign, sketched as returns are (offset 1);
#: the others in their own units, relative to the pilot's median.
RATIO_LIKE = ("serving_margin", "q", "roi_industry", "expected_return")
#: The main paths drawn as fans over calendar years.
MAIN_PATHS = ("labs", "revenue", "capex", "serving_margin", "q")
#: The cooling panel's probabilities.
COOLING = ("cooled", "valued_below_cost", "capex_fall")


# ------------------------------------------------------------------ statistics of one scenario
#: The statistic of an industry-frame sensitivity analysis when none is asked for.
DEFAULT_STATISTIC = "cooled"
#: What a statistic may be, for help texts and messages.
STATISTIC_HELP = (f"a scalar ({', '.join(f.name for f in SCALARS)}) or a per-year output NAME or "
                  f"NAME@YEAR (YEAR a calendar year, default the last), NAME one of "
                  f"{', '.join(f.name for f in FIELDS)} (prob_NAME for an indicator is accepted "
                  "too, e.g. prob_cooled)")


@dataclass(frozen=True)
class Statistic:
    """One number per scenario of the industry frame: a scalar, or a field in one year."""

    field: Field
    #: The calendar year of a per-year field; None for a scalar.
    calendar_year: int | None
    #: The column of the industry row.
    column: int

    @property
    def name(self) -> str:
        """``NAME@YEAR`` (a field) or ``NAME`` (a scalar), as a user writes it."""
        return self.field.name if self.calendar_year is None else f"{self.field.name}@{self.calendar_year}"

    @property
    def units(self) -> str:
        return self.field.units

    @property
    def long_name(self) -> str:
        """The field's long name, with its year (a calendar year) and, for an
        indicator, what its mean is."""
        notes = [] if self.calendar_year is None else [f"year y = {self.calendar_year}"]
        if self.field.indicator:
            notes.append("its mean is the probability")
        text = self.field.long_name if self.calendar_year is None else \
            f"{self.field.label} in {self.calendar_year}: {self.field.long_name}"
        return text + (f" ({'; '.join(notes)})" if notes else "")


_ALIASES = {f.variable: f.name for f in FIELDS + SCALARS if f.indicator}


def parse_statistic(text: str | None, start_year: int, horizon: int) -> Statistic:
    """``NAME``, ``NAME@YEAR`` or None (the default: ``cooled`` in the last
    year) as a :class:`Statistic` of a run over ``horizon`` years from
    ``start_year``; a clear error naming what is allowed otherwise."""
    last = start_year + horizon - 1
    if text is None:
        text = DEFAULT_STATISTIC
    raw = str(text).strip()
    name, at, year_text = raw.partition("@")
    name = _ALIASES.get(name.strip(), name.strip())
    if name not in FIELD_BY_NAME and name not in SCALAR_BY_NAME:
        raise UnknownStatistic(f"output: under the industry frame, expected {STATISTIC_HELP}; got {raw!r}")
    if name in SCALAR_BY_NAME:
        if at:
            raise UnknownStatistic(f"output: {name} is one number per scenario, not a path over years; "
                           f"drop '@{year_text.strip()}' (got {raw!r})")
        f = SCALAR_BY_NAME[name]
        return Statistic(f, None, f.index)
    f = FIELD_BY_NAME[name]
    year = last
    if at:
        try:
            year = int(year_text.strip())
        except ValueError:
            year = None
        if year is None or not start_year <= year <= last:
            raise UnknownStatistic(f"output: expected {name}@YEAR with YEAR a calendar year from {start_year} "
                           f"to {last} (the scenario's years), got {raw!r}")
    return Statistic(f, year, column(year - start_year + 1, f.index))
