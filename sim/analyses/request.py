"""One request: what a caller asks of the engine, checked once.

:func:`sim.run`, :func:`sim.sample` and :func:`sim.decide` turn their
arguments into a :class:`Request` here (:func:`build_request`), so that the
scenario, ``n``, the seed, the quantiles, the sampler, the stopping rule and
the design are validated in one place and in one way, before anything runs.
:func:`sim.sweep`, :func:`sim.sensitivity` and :func:`sim.calibrate`, whose
requests have other shapes (many points, matrices of rows, a fit), use the
same pieces: :func:`resolve_scenario`, :func:`check_limits` and the checks of
:mod:`sim.services.checks`. Messages name the Python parameters; the command
line names its own flags.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.vocab.errors import SimError
from sim.engine.designs import Design, build_design, check_sampler, design_size
from sim.engine.limits import Limits
from sim.engine.reducer import Target, histogram_columns, target_schedule
from sim.engine.limits import estimate_bytes
from sim.scenario.load import Scenario, load_scenario
from sim.scenario.plan import Plan, build_plan
from sim.services.blocks import thread_count
from sim.services.checks import check_n, check_quantiles, check_seed

__all__ = ["DEFAULT_QUANTILES", "Request", "SamplingNote", "build_request", "check_limits",
           "numba_threads", "refuse_industry", "resolve_scenario"]

DEFAULT_QUANTILES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)


class SamplingNote(UserWarning):
    """What a sampling design did to the request (e.g. n rounded up)."""


def resolve_scenario(scenario_or_path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """A :class:`~sim.scenario.load.Scenario` from a Scenario, a bundled name
    or a file, with ``overrides`` applied."""
    if isinstance(scenario_or_path, Scenario):
        return scenario_or_path.with_overrides(overrides)
    return load_scenario(scenario_or_path, overrides)


def refuse_industry(scenario: Scenario, what: str, why: str,
                    instead: str = "Use run, sweep or sensitivity on it") -> None:
    """Refuse ``what`` on an industry-frame scenario (specification section
    15), saying ``why`` and what to do ``instead``."""
    if scenario.industry:
        raise SimError(f'{what} does not apply to the industry frame (scenario '
                       f'\'{scenario.name}\' has frame = "industry"): {why}. {instead}')


@dataclass
class Request:
    """A validated request: the scenario and its plan, the number of
    scenarios asked for (``n``) and evaluated (``n_eval``; a Sobol' design
    rounds up), the seed, sampler, quantiles, the stopping rule, and the
    design the scenarios are drawn from."""

    scenario: Scenario
    plan: Plan
    n: int
    n_eval: int
    seed: int
    sampler: str
    quantiles: np.ndarray
    design: Design
    target: Target | None = None
    first: int | None = None  # a target run's first stop
    cap: int | None = None    # a target run's most scenarios
    note: str = ""            # what the design did to n
    extra: dict = field(default_factory=dict)

    def attrs(self) -> dict[str, Any]:
        """The request's attributes of the result Dataset."""
        out: dict[str, Any] = {"sampler": self.sampler, "n_requested": self.n}
        if self.note:
            out["sampler_note"] = self.note
        return out

    @property
    def most(self) -> int:
        """The most scenarios this request may evaluate."""
        return self.n_eval if self.target is None else self.cap


def build_request(scenario_or_path, n_scenarios, seed=0, quantiles: Sequence[float] = DEFAULT_QUANTILES,
                  *, overrides: Mapping[str, Any] | None = None, sampler: str = "random",
                  path: bool = True, target_se: float | None = None,
                  target_statistic: str = "roi_mean", max_scenarios: int = 100_000_000,
                  limits: Limits | None = None, warn: bool = True, stacklevel: int = 3,
                  scenario: Scenario | None = None) -> Request:
    """Check every argument of a run and build its plan and design.

    ``limits`` refuses a request too large to start without asking (before
    any scenario runs); ``warn`` issues a :class:`SamplingNote` when the
    design changes ``n``. ``scenario``, if given, is used as it is (already
    resolved by the caller)."""
    if scenario is None:
        scenario = resolve_scenario(scenario_or_path, overrides)
    if target_se is not None:
        refuse_industry(scenario, "a target standard error (target_se)",
                        "its stopping rule watches a statistic of each model size",
                        "Give the number of scenarios (n_scenarios) instead")
    n = check_n(n_scenarios)
    seed = check_seed(seed)
    q = check_quantiles(quantiles)
    check_sampler(sampler)
    plan = build_plan(scenario, path=path)
    check_limits(plan, n, limits or Limits())
    if target_se is None:
        n_eval, note = design_size(sampler, n)
        design = build_design(sampler, seed, n_eval, plan.n_dims)
        request = Request(scenario, plan, n, n_eval, seed, sampler, q, design, note=note)
    else:
        target = Target(target_se, target_statistic, max_scenarios)
        first, cap, design = target_schedule(plan, seed, n, sampler, target)
        request = Request(scenario, plan, n, first, seed, sampler, q, design, target=target,
                          first=first, cap=cap)
    if request.note and warn:
        warnings.warn(request.note, SamplingNote, stacklevel=stacklevel)
    return request


def check_limits(plan: Plan, n: int, limits: Limits, points: int = 1) -> None:
    """Refuse (:class:`~sim.vocab.errors.NeedsConfirmation`) a run whose results
    or memory exceed ``limits``, before any scenario runs."""
    limits.check_cells(plan.n_rows, points)
    limits.check_bytes(estimate_bytes(plan.n_rows, n, plan.n_uniforms, numba_threads(), points,
                                      n_columns=plan.n_columns,
                                      n_hist=len(histogram_columns(plan))))


def numba_threads() -> int:
    return thread_count()
