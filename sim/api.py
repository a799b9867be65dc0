"""The front door: ``sim.run`` and ``sim.sample``.

Validates what a caller passes (scenario, n, seed, quantiles, sampler),
builds the plan and the design, runs the reducer with a progress bar, and
turns the reduction into a Dataset (:mod:`sim.results`). The engine below
knows nothing of files, overrides or progress.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from .checks import check_n, check_quantiles, check_seed
from .engine.reducer import Target, reduce, reduce_to_target, sample_arrays
from .plan import build_plan
from .progress import progress_bar
from .results import build_dataset, build_sample_dataset
from .sampling.designs import build_design, check_sampler, design_size
from .sampling.rng import key_from_seed
from .scenario import Scenario, load_scenario

__all__ = ["DEFAULT_QUANTILES", "SamplingNote", "resolve_scenario", "run", "run_with", "sample"]

DEFAULT_QUANTILES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)


def resolve_scenario(scenario_or_path, overrides) -> Scenario:
    if isinstance(scenario_or_path, Scenario):
        return scenario_or_path.with_overrides(overrides)
    return load_scenario(scenario_or_path, overrides)


def run(scenario_or_path, n_scenarios: int = 1_000_000, seed: int = 0,
        quantiles: Sequence[float] = DEFAULT_QUANTILES, *,
        overrides: Mapping[str, Any] | None = None, chunk_size: int | None = None,
        progress: bool = False, sampler: str = "random",
        target_se: float | None = None, target_statistic: str = "roi_mean",
        max_scenarios: int = 100_000_000, path: bool = True):
    """Simulate ``n_scenarios`` scenarios and summarise ROI per model size.

    ``sampler`` is ``"random"``, ``"lhs"`` (Latin hypercube) or ``"sobol"``
    (scrambled Sobol'; ``n`` is rounded up to whole replicates of 2^k points).
    With ``target_se``, scenarios are added (doubling from ``n_scenarios``)
    until the standard error of ``target_statistic`` is at most ``target_se``
    for every size, or ``max_scenarios`` is reached. ``path`` adds the
    valuation path over a ``year`` dimension (mark-to-market ROI, cash flows,
    P(cooled), P(payback); MODEL.md section 9).

    Returns an :class:`xarray.Dataset` (see :mod:`sim.results` for the
    variables). The same scenario, seed and ``n_scenarios`` give the same
    numbers whatever the thread count or ``chunk_size``.
    """
    return run_with(None, scenario_or_path, n_scenarios, seed, quantiles, overrides=overrides,
                    chunk_size=chunk_size, progress=progress, sampler=sampler, target_se=target_se,
                    target_statistic=target_statistic, max_scenarios=max_scenarios, path=path)


def run_with(executor, scenario_or_path, n_scenarios: int = 1_000_000, seed: int = 0,
             quantiles: Sequence[float] = DEFAULT_QUANTILES, *,
             overrides: Mapping[str, Any] | None = None, chunk_size: int | None = None,
             progress: bool = False, sampler: str = "random",
             target_se: float | None = None, target_statistic: str = "roi_mean",
             max_scenarios: int = 100_000_000, path: bool = True):
    """:func:`run` with its chunks computed by ``executor`` (see
    :mod:`sim.engine.reducer`; None: in this process). The Dataset is the
    same wherever the chunks run."""
    scenario = resolve_scenario(scenario_or_path, overrides)
    n = check_n(n_scenarios)
    seed = check_seed(seed)
    q = check_quantiles(quantiles)
    check_sampler(sampler)
    plan = build_plan(scenario, path=path)
    extra: dict[str, Any] = {"sampler": sampler, "n_requested": n}
    if target_se is None:
        n_eval, note = design_size(sampler, n)
        bar = progress_bar(n_eval, progress)
        try:
            red = reduce(plan, seed, n_eval, chunk_size, bar,
                         build_design(sampler, seed, n_eval, plan.n_dims), executor)
        finally:
            if bar is not None:
                bar.close()
    else:
        target = Target(target_se, target_statistic, max_scenarios)
        bar = progress_bar(None, progress)
        try:
            red, info = reduce_to_target(plan, seed, n, sampler, target, chunk_size, bar, executor)
        finally:
            if bar is not None:
                bar.close()
        extra.update(info)
        note = ""
    if note:
        warnings.warn(note, SamplingNote, stacklevel=3)  # the caller of run
        extra["sampler_note"] = note
    return build_dataset(scenario, plan, red, seed, q, extra)


class SamplingNote(UserWarning):
    """What a sampling design did to the request (e.g. n rounded up)."""


def sample(scenario_or_path, n_scenarios: int, seed: int = 0, *,
           overrides: Mapping[str, Any] | None = None, sampler: str = "random"):
    """The raw draws that :func:`run` reduces for the same seed.

    One variable per sampled parameter (dimension ``scenario``), the yearly
    incident uniforms, and ``roi``, ``roi_expected`` and the other per-size
    quantities (``scenario``, ``model_size``).
    """
    scenario = resolve_scenario(scenario_or_path, overrides)
    n = check_n(n_scenarios)
    seed = check_seed(seed)
    check_sampler(sampler)
    n_eval, note = design_size(sampler, n)
    if note:
        warnings.warn(note, SamplingNote, stacklevel=2)
    plan = build_plan(scenario)
    design = build_design(sampler, seed, n_eval, plan.n_dims)
    draws, incident_u, belief_draws, stats = sample_arrays(plan, key_from_seed(seed), 0, n_eval,
                                                           design)
    return build_sample_dataset(scenario, plan, draws, incident_u, stats, seed, sampler,
                                belief_draws=belief_draws)
