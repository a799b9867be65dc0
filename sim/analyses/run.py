"""The front door: ``sim.run`` and ``sim.sample``.

Validates what a caller passes (scenario, n, seed, quantiles, sampler),
builds the plan and the design, runs the reducer with a progress bar, and
turns the reduction into a Dataset (:mod:`sim.results.dataset`). The engine below
knows nothing of files, overrides or progress.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from sim.services import signals
from sim.engine.checkpoint import EVERY as CHECKPOINT_EVERY
from sim.engine.checkpoint import Checkpointer, fingerprint, load_checkpoint
from sim.services.checks import check_n, check_quantiles, check_seed
from sim.engine.reducer import (
    Reducer,
    Target,
    advance_to_target,
    histogram_columns,
    make_reducer,
    sample_arrays,
    target_schedule,
)
from sim.kernels.jit import cache_is_warm, compile_estimate, record_compile_seconds
from sim.engine.limits import Limits, TimeGuard, estimate_bytes
from sim.scenario.plan import build_plan
from sim.services.progress import progress_bar
from sim.results.dataset import build_dataset, build_sample_dataset, check_pilot
from sim.engine.designs import build_design, check_sampler, design_size
from sim.kernels.sampling.rng import key_from_seed
from sim.scenario.load import Scenario, load_scenario

__all__ = ["DEFAULT_QUANTILES", "SamplingNote", "check_request", "resolve_scenario", "run", "run_with",
           "sample", "start_reducer"]

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
        max_scenarios: int = 100_000_000, path: bool = True,
        checkpoint: str | os.PathLike | None = None, resume: str | os.PathLike | None = None,
        checkpoint_every: float = CHECKPOINT_EVERY, overwrite_checkpoint: bool = False,
        limits: Limits | None = None):
    """Simulate ``n_scenarios`` scenarios and summarise ROI per model size.

    ``sampler`` is ``"random"``, ``"lhs"`` (Latin hypercube) or ``"sobol"``
    (scrambled Sobol'; ``n`` is rounded up to whole replicates of 2^k points).
    With ``target_se``, scenarios are added (doubling from ``n_scenarios``)
    until the standard error of ``target_statistic`` is at most ``target_se``
    for every size, or ``max_scenarios`` is reached. ``path`` adds the
    valuation path over a ``year`` dimension (mark-to-market ROI, cash flows,
    P(cooled), P(payback); MODEL.md section 9).

    With ``checkpoint``, the state is saved to that file every
    ``checkpoint_every`` seconds, on an interrupt and at the end;
    ``resume`` continues from such a file (and keeps saving to it, unless
    ``checkpoint`` names another). The arguments must be those of the run
    that wrote it; the result equals that of an uninterrupted run.

    ``limits`` (:class:`sim.engine.limits.Limits`) refuses, with
    :class:`~sim.vocab.errors.NeedsConfirmation`, a run that needs too much memory
    or, measured after its first half second, too much time.

    Returns an :class:`xarray.Dataset` (see :mod:`sim.results.dataset` for the
    variables). The same scenario, seed and ``n_scenarios`` give the same
    numbers whatever the thread count or ``chunk_size``.
    """
    return run_with(None, scenario_or_path, n_scenarios, seed, quantiles, overrides=overrides,
                    chunk_size=chunk_size, progress=progress, sampler=sampler, target_se=target_se,
                    target_statistic=target_statistic, max_scenarios=max_scenarios, path=path,
                    checkpoint=checkpoint, resume=resume, checkpoint_every=checkpoint_every,
                    overwrite_checkpoint=overwrite_checkpoint, limits=limits)


def run_with(executor, scenario_or_path, n_scenarios: int = 1_000_000, seed: int = 0,
             quantiles: Sequence[float] = DEFAULT_QUANTILES, *,
             overrides: Mapping[str, Any] | None = None, chunk_size: int | None = None,
             progress: bool = False, sampler: str = "random",
             target_se: float | None = None, target_statistic: str = "roi_mean",
             max_scenarios: int = 100_000_000, path: bool = True,
             checkpoint: str | os.PathLike | None = None, resume: str | os.PathLike | None = None,
             checkpoint_every: float = CHECKPOINT_EVERY, overwrite_checkpoint: bool = False,
             limits: Limits | None = None):
    """:func:`run` with its chunks computed by ``executor`` (see
    :mod:`sim.engine.reducer`; None: in this process). The Dataset is the
    same wherever the chunks run."""
    scenario = resolve_scenario(scenario_or_path, overrides)
    n = check_n(n_scenarios)
    seed = check_seed(seed)
    q = check_quantiles(quantiles)
    check_sampler(sampler)
    plan = build_plan(scenario, path=path)
    limits = limits or Limits()
    check_request(plan, n, limits)
    extra: dict[str, Any] = {"sampler": sampler, "n_requested": n}
    note = ""
    target = None if target_se is None else Target(target_se, target_statistic, max_scenarios)
    saver = state = None
    if checkpoint is not None or resume is not None:
        wanted = None if target is None else {"se": float(target.se), "statistic": target.statistic,
                                              "max_scenarios": int(target.max_scenarios)}
        saver = Checkpointer(checkpoint if checkpoint is not None else resume,
                             fingerprint(scenario, seed, sampler, n, wanted, path=path),
                             checkpoint_every)
        saver.check(resuming=resume is not None and checkpoint is None,
                    overwrite=overwrite_checkpoint)
        state = None if resume is None else load_checkpoint(resume, saver.fingerprint)
    if target is None:
        n_eval, note = design_size(sampler, n)
        design = build_design(sampler, seed, n_eval, plan.n_dims)
    else:
        n0, cap_n, design = target_schedule(plan, seed, n, sampler, target)
        n_eval = None
    reducer = start_reducer(plan, seed, design, chunk_size, progress, executor)
    if state is not None:
        arrays, n_done, elapsed = state
        reducer.load_state(arrays, n_done)
        reducer.elapsed_before = elapsed

    guard = TimeGuard(limits.seconds, n_eval if target is None else cap_n)

    def between(r: Reducer) -> None:
        signals.set_progress(r.n)
        guard(r.n)
        if saver is not None:
            saver.maybe_save(r)

    signals.set_phase("simulating", n_eval)
    signals.set_progress(reducer.n)
    bar = progress_bar(n_eval, progress, initial=reducer.n)
    try:
        if target is None:
            reducer.advance(n_eval, bar, executor, between)
            red = reducer.result()
        else:
            red, info = advance_to_target(reducer, target, n0, cap_n, bar, executor, between)
            extra.update(info)
    except signals.Interrupted:
        if saver is not None:
            _save_on_interrupt(saver, reducer)
        raise
    finally:
        if bar is not None:
            bar.close()
    if saver is not None:
        saver.save(reducer)
    if note:
        warnings.warn(note, SamplingNote, stacklevel=3)  # the caller of run
        extra["sampler_note"] = note
    return build_dataset(scenario, plan, red, seed, q, extra)


def check_request(plan, n: int, limits: Limits, points: int = 1) -> None:
    """Refuse (:class:`~sim.vocab.errors.NeedsConfirmation`) a run whose results
    or memory exceed ``limits``, before any scenario runs."""
    limits.check_cells(plan.n_rows, points)
    limits.check_bytes(estimate_bytes(plan.n_rows, n, plan.n_uniforms, numba_threads(), points,
                                      n_columns=plan.n_columns,
                                      n_hist=len(histogram_columns(plan))))


def _save_on_interrupt(saver: Checkpointer, reducer: Reducer) -> None:
    """Between chunks the state is whole: keep it, and say so. (A second
    signal during the save leaves the previous checkpoint as it was.)"""
    signals.set_progress(reducer.n)
    saver.save(reducer)
    signals.status["kept"] = (f"the checkpoint {saver.path} holds {reducer.n:,} scenarios; "
                              f"continue with --resume {saver.path}")


def numba_threads() -> int:
    import numba

    return numba.get_num_threads()


def start_reducer(plan, seed: int, design, chunk_size: int | None = None,
                  progress: bool = False, executor: Any = None, voi: bool = False) -> Reducer:
    """A reducer with its pilot run and its kernels compiled, so that what
    follows is sampling only (and the progress bar's rate is the sampling
    rate). On a cold compile cache, say so first when progress is shown."""
    cold = not cache_is_warm()
    signals.set_phase("compiling kernels" if cold else "starting")
    if cold and progress:
        print(f"compiling kernels (first run only, about {compile_estimate():.0f} s)...",
              file=sys.stderr, flush=True)
    began = time.perf_counter()
    # No exception may surface inside the compiler: raised in LLVM's callbacks
    # it left llvmlite broken (tracebacks, even a segfault at exit). A signal
    # waits for the end of this block; during a long compile the watchdog
    # ends the process instead (sim.services.signals).
    with signals.deferred():
        reducer = make_reducer(plan, seed, design, chunk_size, executor, voi=voi)
        check_pilot(reducer.pilot_finding, plan)
        if executor is None:
            reducer.warm_up()
    if cold:
        record_compile_seconds(time.perf_counter() - began)
    return reducer


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
