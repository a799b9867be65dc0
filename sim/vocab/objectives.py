"""The vocabulary of decision objectives: one table, read by every layer.

An objective is what "best" maximizes (``decision.objective``, ``sim decide
--objective``): the scenario validates its name here, the kernels read its
code, results and decisions take its statistic and units, tables and charts
its label. Adding an objective is one row here (and its code in the model).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.vocab import outputs

__all__ = ["DEFAULT_OBJECTIVE", "OBJECTIVES", "Objective", "objective"]


@dataclass(frozen=True)
class Objective:
    """One objective a decision can maximize."""

    name: str  # as written in decision.objective
    code: int  # what the kernels read (sim.scenario.plan.Plan.objective_code)
    statistic: str  # the per-alternative statistic maximized (sim.vocab.outputs)
    label: str  # for people: "net value"
    units: str  # of the objective, its regret and its EVPI
    description: str  # for the scenario key's help

    @property
    def column(self) -> int:
        """The statistic's column in the model's per-size output."""
        return outputs.by_name(self.statistic).index


OBJECTIVES: dict[str, Objective] = {o.name: o for o in (
    Objective("net_value", 0, "net_value", "net value", "USD", "NPV - I, USD"),
    Objective("roi", 1, "roi", "ROI", "1", "(NPV - I) / I"),
)}
DEFAULT_OBJECTIVE = "net_value"


def objective(name: str | None) -> Objective:
    """The objective called ``name`` (None: the default)."""
    return OBJECTIVES[DEFAULT_OBJECTIVE if name is None else name]
