"""The front door: ``sim.run`` and ``sim.sample``.

Validates what a caller passes (scenario, n, seed, quantiles, sampler),
builds the plan and the design, runs the reducer with a progress bar, and
turns the reduction into a Dataset (:mod:`sim.results.dataset`). The engine below
knows nothing of files, overrides or progress.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from sim.analyses.request import (
    DEFAULT_QUANTILES,
    SamplingNote,
    build_request,
    check_limits,
    resolve_scenario,
)
from sim.engine import driver
from sim.engine.checkpoint import EVERY as CHECKPOINT_EVERY
from sim.engine.checkpoint import Checkpointer, fingerprint, load_checkpoint
from sim.engine.cluster import where
from sim.engine.limits import Limits
from sim.engine.reducer import sample_arrays
from sim.kernels.sampling.rng import key_from_seed
from sim.results.dataset import build_dataset, build_sample_dataset, check_pilot

__all__ = ["DEFAULT_QUANTILES", "SamplingNote", "check_limits", "resolve_scenario", "run", "sample",
           "sample_bytes"]

#: Scenarios of the probe from which :func:`sample_bytes` scales the size of a sample.
SAMPLE_PROBE = 64


def run(scenario_or_path, n_scenarios: int = 1_000_000, seed: int = 0,
        quantiles: Sequence[float] = DEFAULT_QUANTILES, *,
        overrides: Mapping[str, Any] | None = None, chunk_size: int | None = None,
        progress: bool = False, sampler: str = "random",
        target_se: float | None = None, target_statistic: str = "roi_mean",
        max_scenarios: int = 100_000_000, path: bool = True,
        checkpoint: str | os.PathLike | None = None, resume: str | os.PathLike | None = None,
        checkpoint_every: float = CHECKPOINT_EVERY, overwrite_checkpoint: bool = False,
        limits: Limits | None = None, client=None, scheduler: str | None = None,
        workers: int | None = None):
    """Simulate ``n_scenarios`` scenarios and summarise ROI per model size.

    ``sampler`` is ``"random"``, ``"lhs"`` (Latin hypercube) or ``"sobol"``
    (scrambled Sobol'; ``n`` is rounded up to whole replicates of 2^k points).
    With ``target_se``, scenarios are added (doubling from ``n_scenarios``)
    until the standard error of ``target_statistic`` is at most ``target_se``
    for every size, or ``max_scenarios`` is reached. ``path`` adds the
    valuation path over a ``year`` dimension (mark-to-market ROI, cash flows,
    P(cooled), P(payback); specification section 9).

    With ``checkpoint``, the state is saved to that file every
    ``checkpoint_every`` seconds, on an interrupt and at the end;
    ``resume`` continues from such a file (and keeps saving to it, unless
    ``checkpoint`` names another). The arguments must be those of the run
    that wrote it; the result equals that of an uninterrupted run.

    ``limits`` (:class:`sim.engine.limits.Limits`) refuses, with
    :class:`~sim.vocab.errors.NeedsConfirmation`, a run that needs too much memory
    or, measured after its first half second, too much time.

    ``client`` (a ``distributed.Client``), ``scheduler`` (the address of a
    running Dask scheduler) or ``workers`` (a number of local worker
    processes) compute the chunks on a cluster (:mod:`sim.engine.cluster`).

    Returns an :class:`xarray.Dataset` (see :mod:`sim.results.dataset` for the
    variables). The same scenario, seed and ``n_scenarios`` give the same
    numbers whatever the thread count, ``chunk_size`` or cluster.
    """
    request = build_request(scenario_or_path, n_scenarios, seed, quantiles, overrides=overrides,
                            sampler=sampler, path=path, target_se=target_se,
                            target_statistic=target_statistic, max_scenarios=max_scenarios,
                            limits=limits, warn=False)
    limits = limits or Limits()
    saver = state = None
    if checkpoint is not None or resume is not None:
        target = request.target
        wanted = None if target is None else {"se": float(target.se), "statistic": target.statistic,
                                              "max_scenarios": int(target.max_scenarios)}
        saver = Checkpointer(checkpoint if checkpoint is not None else resume,
                             fingerprint(request.scenario, request.seed, sampler, request.n, wanted,
                                         path=path), checkpoint_every)
        saver.check(resuming=resume is not None and checkpoint is None,
                    overwrite=overwrite_checkpoint)
        state = None if resume is None else load_checkpoint(resume, saver.fingerprint)
    with where(client, scheduler, workers) as executor:
        reducer = driver.start(request.plan, request.seed, request.design, chunk_size, progress,
                               executor, check_pilot=check_pilot)
        if state is not None:
            arrays, n_done, elapsed = state
            reducer.load_state(arrays, n_done)
            reducer.elapsed_before = elapsed
        red, info = driver.execute(reducer, request.n_eval, executor=executor, progress=progress,
                                   seconds=limits.seconds, saver=saver, target=request.target,
                                   cap=request.cap)
    extra = {"sampler": sampler, "n_requested": request.n, **info}
    if request.note:
        warnings.warn(request.note, SamplingNote, stacklevel=2)  # the caller of run
        extra["sampler_note"] = request.note
    return build_dataset(request.scenario, request.plan, red, request.seed, request.quantiles, extra)


def sample(scenario_or_path, n_scenarios: int, seed: int = 0, *,
           overrides: Mapping[str, Any] | None = None, sampler: str = "random",
           limits: Limits | None = None):
    """The raw draws that :func:`run` reduces for the same seed.

    One variable per sampled parameter (dimension ``scenario``), the yearly
    incident uniforms (``scenario``, ``revenue_year`` = 1..T, years after
    release), and ``roi``, ``roi_expected`` and the other per-size
    quantities (``scenario``, ``model_size``); the valuation path over
    ``year`` (0..T, years after the decision), as in :func:`run`'s result.
    Under the industry frame, every output per (``scenario``, ``year``).

    ``limits`` (:class:`sim.engine.limits.Limits`) refuses, with
    :class:`~sim.vocab.errors.NeedsConfirmation`, draws larger than its
    ``sample_bytes`` (estimated by :func:`sample_bytes` before they are drawn).
    """
    request = build_request(scenario_or_path, n_scenarios, seed, overrides=overrides,
                            sampler=sampler, limits=limits, stacklevel=3)
    if limits is not None and limits.sample_bytes is not None:
        limits.check_sample_bytes(_sample_bytes(request))
    return _sample(request, request.n_eval)


def _sample(request, n: int):
    """The first ``n`` scenarios of ``request``'s design, as :func:`sample` returns them."""
    draws, incident_u, belief_draws, stats = sample_arrays(request.plan, key_from_seed(request.seed),
                                                           0, n, request.design)
    return build_sample_dataset(request.scenario, request.plan, draws, incident_u, stats,
                                request.seed, request.sampler, belief_draws=belief_draws)


def sample_bytes(scenario_or_path, n_scenarios: int, seed: int = 0, *,
                 overrides: Mapping[str, Any] | None = None, sampler: str = "random") -> int:
    """About how many bytes :func:`sample` returns for these arguments (its
    Dataset in memory; a netCDF file of it takes as much), scaled from the
    first :data:`SAMPLE_PROBE` scenarios: every variable but the coordinates
    grows in proportion to the scenarios."""
    request = build_request(scenario_or_path, n_scenarios, seed, overrides=overrides,
                            sampler=sampler, warn=False)
    return _sample_bytes(request)


def _sample_bytes(request) -> int:
    k = min(request.n_eval, SAMPLE_PROBE)
    probe = _sample(request, k)
    per_scenario = sum(v.nbytes for v in probe.variables.values() if "scenario" in v.dims) / k
    fixed = sum(v.nbytes for v in probe.variables.values() if "scenario" not in v.dims)
    return int(per_scenario * request.n_eval + fixed)
