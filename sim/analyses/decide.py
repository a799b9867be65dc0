"""Decisions under uncertainty: ``sim.decide`` (specification section 12).

A decision run is a run of every (strategy, size) alternative on the same
draws, with the value of information reduced in the same streaming pass: per
sampled parameter, bin of its uniform and alternative, the sum of the
objective (:class:`sim.engine.reducer.Reducer` with ``voi=True``). From those

    EVPPI_i = sum_b (n_b / n) max_a mean(O_a | u_i in bin b) - max_a E[O_a]

what knowing parameter i alone before deciding would be worth. The estimator
is biased upward by the noise within bins, so each EVPPI comes with its Monte
Carlo standard error (from 8 independent groups of blocks) and with the
floor, the EVPPI of a dummy uniform that enters no model: only parameters
clearly above the floor are worth resolving first.
"""

from __future__ import annotations

import math
from typing import Any
from collections.abc import Mapping

import numpy as np
import xarray as xr

from sim.analyses.request import build_request, refuse_industry, resolve_scenario
from sim.engine import driver
from sim.engine.cluster import where
from sim.engine.limits import Limits
from sim.results.dataset import build_dataset, check_pilot, objective_column
from sim.vocab import objectives
from sim.vocab.errors import SimError

__all__ = ["decide", "decision_scenario", "evppi_from_sums"]

DEFAULT_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
DUMMY = "dummy (enters no model)"


def evppi_from_sums(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """EVPPI per parameter from objective sums (..., n_parameters, bins,
    alternatives) and counts (..., n_parameters, bins): the leading axes
    (groups) are kept."""
    n = counts.sum(axis=-1)  # scenarios, per parameter (the same for every one)
    # Both sums run over the bins of a contiguous axis in the same order, so
    # when one alternative is best in every bin the two are equal and EVPPI
    # is exactly 0 (not a rounding residue of either sign).
    best_per_bin = np.ascontiguousarray(sums.max(axis=-1)).sum(axis=-1)  # sum_b max_a S[b, a]
    per_alternative = np.ascontiguousarray(np.moveaxis(sums, -1, -2)).sum(axis=-1)
    best_overall = per_alternative.max(axis=-1)  # max_a sum_b S[b, a]
    return (best_per_bin - best_overall) / n


def decision_scenario(scenario_or_path, overrides: Mapping[str, Any] | None = None,
                      objective: str | None = None):
    """The scenario a decision run ranks: ``overrides`` applied, and
    ``objective`` (if given) in place of ``decision.objective``."""
    scenario = resolve_scenario(scenario_or_path, overrides)
    refuse_industry(scenario, "a decision (sim decide)",
                    "it ranks one lab's (strategy, model size) alternatives, while the industry "
                    "frame simulates every lab over calendar years, with no sizes to choose")
    if objective is not None:
        scenario = scenario.with_overrides({"decision.objective": objective})
    return scenario


def decide(scenario_or_path, n_scenarios: int = 1_000_000, seed: int = 0, *,
           objective: str | None = None, max_prob_loss: float | None = None,
           overrides: Mapping[str, Any] | None = None, sampler: str = "random",
           chunk_size: int | None = None, progress: bool = False,
           quantiles=DEFAULT_QUANTILES, path: bool = False,
           limits: Limits | None = None, client=None, scheduler: str | None = None,
           workers: int | None = None) -> xr.Dataset:
    """Evaluate every (strategy, size) alternative of a scenario and what it
    would be worth to know more before choosing.

    Returns the run's Dataset (with a ``strategy`` dimension when the
    scenario declares strategies) plus ``evppi``, ``evppi_se`` (dimension
    ``parameter``: every sampled key, those only a belief or a strategy makes
    uncertain, and the dummy last), ``evppi_floor`` (the dummy's), the choice
    and EVPI. ``objective`` overrides ``decision.objective``;
    ``max_prob_loss`` restricts the choice to alternatives whose P(loss) is
    at most that (``choice_eligible`` is false where none is). ``limits``
    (:class:`sim.engine.limits.Limits`) refuses requests too large to start without
    asking. ``client``, ``scheduler`` or ``workers`` compute the chunks on a
    Dask cluster, with the same numbers (as in :func:`sim.run`).
    """
    scenario = decision_scenario(scenario_or_path, overrides, objective)
    if max_prob_loss is not None and not (isinstance(max_prob_loss, (int, float))
                                          and 0.0 <= max_prob_loss <= 1.0):
        raise SimError(f"max_prob_loss: expected a probability from 0 to 1, got {max_prob_loss!r}")
    request = build_request(None, n_scenarios, seed, quantiles, sampler=sampler, path=path,
                            limits=limits, scenario=scenario)
    with where(client, scheduler, workers) as executor:
        reducer = driver.start(request.plan, request.seed, request.design, chunk_size, progress,
                               executor, voi=True, check_pilot=check_pilot)
        red, _ = driver.execute(reducer, request.n_eval, executor=executor, progress=progress,
                                desc="deciding", seconds=(limits or Limits()).seconds)
    ds = build_dataset(scenario, request.plan, red, request.seed, request.quantiles,
                       {**request.attrs(), "decision_run": 1})
    _value_of_information(ds, request.plan, red)
    _constrained_choice(ds, request.plan, red, scenario.objective, max_prob_loss)
    return ds


def _value_of_information(ds: xr.Dataset, plan, red) -> None:
    groups = red.voi_sum.shape[0]
    alternatives = np.asarray(plan.alternatives, dtype=bool)  # a strategy's undeclared sizes: no choice
    sums = red.voi_sum if alternatives.all() else red.voi_sum[..., alternatives]
    total = evppi_from_sums(sums.sum(axis=0), red.voi_count.sum(axis=0))
    per_group = evppi_from_sums(sums, red.voi_count)  # (groups, n_parameters)
    se = per_group.std(axis=0, ddof=1) / math.sqrt(groups)
    names = list(plan.sampled_keys) + list(plan.extra_keys) + [DUMMY]
    units = objectives.objective(ds.attrs["objective"]).units
    what = objectives.objective(ds.attrs["objective"]).label
    dims = ("parameter",)
    ds.coords["parameter"] = ("parameter", names, {
        "long_name": "sampled parameter whose uniform is binned (the last enters no model)"})
    ds["evppi"] = (dims, total, {
        "long_name": f"expected value of partial perfect information, in {what}: what knowing "
                     "this parameter before deciding would be worth", "units": units})
    ds["evppi_se"] = (dims, se, {
        "long_name": f"Monte Carlo standard error of EVPPI (from {groups} groups of blocks)",
        "units": units})
    ds["evppi_floor"] = ((), float(total[-1]), {
        "long_name": "EVPPI of a dummy parameter: the estimator's upward bias from noise",
        "units": units})
    ds["evppi_floor_se"] = ((), float(se[-1]), {
        "long_name": "Monte Carlo standard error of the EVPPI floor", "units": units})
    ds.attrs["voi_bins"] = int(plan.voi_bins)
    ds.attrs["voi_groups"] = int(groups)


def _constrained_choice(ds: xr.Dataset, plan, red, objective: str, max_prob_loss) -> None:
    if max_prob_loss is None:
        ds.attrs["choice_eligible"] = 1
        return
    means = red.mean[:, objective_column(objective)].copy()
    from sim.vocab.outputs import LOSS

    eligible = (red.mean[:, LOSS] <= max_prob_loss) & np.asarray(plan.alternatives, dtype=bool)
    ds.attrs["max_prob_loss"] = float(max_prob_loss)
    ds.attrs["n_eligible"] = int(eligible.sum())
    if not eligible.any():
        ds.attrs["choice_eligible"] = 0
        ds.attrs["choice"] = f"none: no alternative has P(loss) <= {max_prob_loss:g}"
        ds.attrs["choice_strategy"] = ""
        ds.attrs["choice_model_size"] = math.nan
        return
    means[~eligible] = -np.inf
    a = int(np.argmax(means))
    n_sizes = len(ds["model_size"])
    size = float(ds["model_size"].values[a % n_sizes])
    from sim.vocab.units import size_label

    ds.attrs["choice_eligible"] = 1
    ds.attrs["choice_strategy"] = plan.strategy_names[a // n_sizes]
    ds.attrs["choice_model_size"] = size
    ds.attrs["choice"] = (f"{plan.strategy_names[a // n_sizes]} at {size_label(size)} "
                          f"(best with P(loss) <= {max_prob_loss:g})")
