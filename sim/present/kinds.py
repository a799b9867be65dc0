"""The chart registry: every chart ``sim plot --kind``, ``sim report`` and
:func:`sim.present.charts.draw` know, in one table.

A row names the chart, the function that draws it, the options it takes,
the one-line help of ``--kind``, the command whose result it draws, the
frame of that result (specification section 15) and the caption ``sim
report`` prints under it. A kind may have one row per frame: ``fan``,
``cooling`` and ``sweep`` draw the industry frame's results with functions
of :mod:`sim.present.industry_charts`, the project frame's with those of
:mod:`sim.present.charts`. This module imports no matplotlib, so that ``sim
--help`` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CHARTS", "Chart", "FRAMES", "KINDS", "by_kind", "frame_kinds", "kind_help",
           "report_charts"]


@dataclass(frozen=True)
class Chart:
    """One kind of chart."""

    name: str  # the --kind value
    function: str  # its function in the module of its frame (see frame)
    help: str  # for the --kind help
    source: str  # what draws it: "run", "sweep", "decide", "calibrate" or "sensitivity" (its command's result)
    options: tuple[str, ...] = ()  # keyword options of draw() it takes besides strategy
    #: Whether it compares every strategy (else a result with strategies is
    #: drawn for one of them).
    all_strategies: bool = False
    #: Where ``sim report`` shows it ("run", "sweep" (industry frame) or
    #: "sensitivity" results; None: not in the report), with this caption.
    report: str | None = None
    #: "{objective}" in it stands for the result's decision objective ("net value").
    caption: str = ""
    #: The frame of the results it draws: "project" (functions of
    #: sim.present.charts) or "industry" (of sim.present.industry_charts).
    frame: str = "project"
    #: Whether it draws the valuation path, which a run made without it
    #: (``path=False``, ``--no-path``) does not hold.
    path: bool = False


#: The frames a result can be of (its ``frame`` attribute; none: "project").
FRAMES = ("project", "industry")


CHARTS: tuple[Chart, ...] = (
    Chart("fan", "fan", "ROI bands by size", "run", report="run",
          caption="ROI by model size: bands hold 90% and 50% of scenarios; the dashed line is "
                  "what investors expect; the dotted line (right axis) is the chance of a loss."),
    Chart("hist", "hist", "ROI distribution", "run", ("model_size",), report="run",
          caption="How ROI is distributed for each model size."),
    Chart("exceedance", "exceedance", "P(ROI > x)", "run", ("model_size",), report="run",
          caption="The chance of beating a target ROI, per model size."),
    Chart("best", "best", "P(size is best)", "run", report="run",
          caption="How often each size has the highest {objective} of the grid, scenario by "
                  "scenario (the decision objective); the outlined bar is the choice, the size "
                  "with the highest mean {objective}, which need not be the one most often best."),
    Chart("costs", "costs", "cost components", "run", report="run",
          caption="Where the money goes: mean cost components as shares of the total."),
    Chart("sweep", "sweep", "a statistic over swept keys", "sweep",
          ("model_size", "stat", "quantile")),
    Chart("cooling", "cooling", "mark-to-market ROI year by year", "run", ("model_size",),
          report="run", path=True,
          caption="How the fever cools: the mark-to-market ROI investors hold after each year, "
                  "from their belief at the decision (year 0) to the realized ROI; below, the "
                  "chance that the project is marked below cost, and that one expected to pay "
                  "has been."),
    Chart("cashflow", "cashflow", "believed against realized cash flow", "run", ("model_size",),
          report="run", path=True,
          caption="Cash flow per year: what investors believed at the decision against what "
                  "was realized (means, not discounted)."),
    Chart("decision", "decision", "P(best) of every alternative", "run", all_strategies=True,
          report="run",
          caption="Which (strategy, size) alternative is best: the chance that each has the "
                  "highest {objective}; the outline marks the choice (the highest mean "
                  "{objective})."),
    Chart("voi", "voi", "value of information by parameter", "decide", all_strategies=True,
          report="run",
          caption="Value of information: what knowing each parameter before deciding would be "
                  "worth (EVPPI), against the noise floor of a parameter that enters no model."),
    Chart("calibration", "calibration", "observed against the predictive intervals", "calibrate",
          report="calibrate",
          caption="Each observed model (dot) against the scenario's 90% predictive interval of "
                  "the same number (bar, with its median): filled dots lie inside; a calibrated "
                  "scenario has about 90% of them inside. Log scales."),
    Chart("tornado", "tornado", "inputs held at their 5th and 95th percentiles", "sensitivity",
          ("model_size",), all_strategies=True, report="sensitivity",
          caption="The output's median with each input held at its 5th and 95th percentile while "
                  "the others are sampled; the vertical line is the median with nothing held."),
    Chart("sobol", "sobol", "first- and total-order Sobol' indices", "sensitivity",
          ("model_size",), all_strategies=True, report="sensitivity",
          caption="Sobol' indices: S1 is the share of the output's variance that the input "
                  "explains alone, ST the share that involves it (with interactions); bars show "
                  "intervals."),
    Chart("fan", "fan", "each main path over calendar years", "run", report="run",
          frame="industry",
          caption="The industry's main paths over calendar years: the line is the median over "
                  "the scenarios, the bands hold the middle 50% and 90% of them. Revenue and "
                  "capex are on log scales where they span decades; Q above 1 means investors "
                  "value a lab above the cost of the models it plans, which draws entrants."),
    Chart("cooling", "cooling", "P(cooled), P(valued below cost), P(capex falls), peak year",
          "run", report="run", frame="industry",
          caption="How the fever cools: the chance, year by year, that investors who valued a "
                  "lab above cost at the start have since valued it below cost (cooled), that "
                  "they value it below cost that year, and that capex falls; error bars are "
                  "±2 standard errors. Right: the year in which capex is highest."),
    Chart("sweep", "sweep", "P(cooled by the last year) over the swept keys", "sweep",
          report="sweep", frame="industry",
          caption="Over the swept values: the chance that the fever has cooled by the last "
                  "year, that a lab is valued below cost that year, and that the industry's "
                  "realized return is negative (±2 standard errors); right, the median Q of "
                  "each swept value over calendar years."),
)
KINDS = tuple(dict.fromkeys(c.name for c in CHARTS))
_BY_KIND = {(c.name, c.frame): c for c in CHARTS}


def by_kind(kind: str, frame: str = "project") -> Chart:
    """The row of chart ``kind`` for results of ``frame`` (KeyError: none)."""
    return _BY_KIND[kind, frame]


def frame_kinds(frame: str) -> tuple[str, ...]:
    """The kinds that draw some result of ``frame``, in registry order."""
    return tuple(c.name for c in CHARTS if c.frame == frame)


def kind_help() -> str:
    """The help of ``sim plot --kind``: each kind, what it draws and from which result."""
    parts = []
    for name in KINDS:
        first, *others = [c for c in CHARTS if c.name == name]
        notes = [] if first.source == "run" else [f"a sim {first.source} result"]
        notes += [f"{c.frame} frame: {c.help}" for c in others]
        parts.append(f"{name}: {first.help}" + (f" ({'; '.join(notes)})" if notes else ""))
    return "; ".join(parts) + "."


def report_charts(section: str, frame: str = "project") -> tuple[tuple[str, str], ...]:
    """(kind, caption) of the charts ``sim report`` draws for a ``section``
    ("run", "sweep" or "sensitivity") result of ``frame``, in reading order."""
    return tuple((c.name, c.caption) for c in CHARTS if c.report == section and c.frame == frame)
