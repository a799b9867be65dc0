"""The one loop over a run's chunks.

:func:`start` builds a reducer, runs its pilot and compiles its kernels;
:func:`execute` advances it to ``n`` scenarios (or until a stopping rule is
met), with the same steps after every chunk whoever asked: progress, the
time guard, the checkpoint. Where the chunks are computed (this process or a
cluster) is the ``executor`` argument, not another function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.engine.limits import TimeGuard
from sim.engine.reducer import Reducer, Target, advance_to_target, compiled_kernels, kernels_for, make_reducer
from sim.kernels.cache import compile_note
from sim.services import signals
from sim.services.progress import progress_bar

__all__ = ["Progress", "execute", "start"]


def start(plan, seed: int, design, chunk_size: int | None = None, progress: bool = False,
          executor: Any = None, voi: bool = False,
          check_pilot: Callable[[Any, Any], None] | None = None) -> Reducer:
    """A reducer with its pilot run and its kernels compiled, so that what
    follows is sampling only (and the progress bar's rate is the sampling
    rate). ``check_pilot(finding, plan)`` may refuse what the pilot found.
    When a kernel is really compiled (not loaded from the cache), say so
    first if progress is shown (:func:`sim.kernels.cache.compile_note`)."""
    signals.set_phase("starting")
    # No exception may surface inside the compiler: raised in LLVM's callbacks
    # it left llvmlite broken (tracebacks, even a segfault at exit). A signal
    # waits for the end of this block; during a long compile the watchdog
    # ends the process instead (sim.services.signals).
    chosen = kernels_for(plan)
    with signals.deferred(), compile_note(progress, compiled_kernels(chosen)):
        reducer = make_reducer(plan, seed, design, chunk_size, executor, voi=voi)
        if check_pilot is not None:
            check_pilot(reducer.pilot_finding, plan)
        if executor is None:
            reducer.warm_up()
    return reducer


@dataclass
class Progress:
    """Where a run sits in a longer task (a sweep's points): scenarios done
    before it and the task's total, for the bar, the phase and the guard."""

    bar: Any = None  # a tqdm-like bar shared by the task, or None
    done: int = 0
    guard: TimeGuard | None = None


def execute(reducer: Reducer, n: int, *, executor: Any = None, progress: bool = False,
            desc: str | None = None, seconds: float | None = None, saver: Any = None,
            target: Target | None = None, cap: int | None = None,
            within: Progress | None = None) -> tuple[Any, dict]:
    """Advance ``reducer`` to ``n`` scenarios (with ``target``: from ``n``,
    doubling until the target is met or ``cap`` is reached) and return its
    reduction and what the stopping rule found.

    After every chunk the state is whole: the progress is announced, the
    time guard (``seconds``, measured after the first half second) may
    refuse to go on, and ``saver`` (a checkpointer) may save. On an interrupt
    the saver keeps what is done. ``within`` places this run inside a longer
    task (a sweep), whose bar and guard it shares."""
    most = n if target is None else cap
    if within is None:
        signals.set_phase("simulating", most)
        signals.set_progress(reducer.n)
        bar = progress_bar(most, progress, initial=reducer.n, desc=desc)
        guard = TimeGuard(seconds, most)
        offset = 0
    else:
        bar, guard, offset = within.bar, within.guard, within.done

    def between(r: Reducer) -> None:
        signals.set_progress(offset + r.n)
        if guard is not None:
            guard(offset + r.n)
        if saver is not None:
            saver.maybe_save(r)

    info: dict = {}
    try:
        if target is None:
            reducer.advance(n, bar, executor, between)
            reduction = reducer.result()
        else:
            reduction, info = advance_to_target(reducer, target, n, cap, bar, executor, between)
    except signals.Interrupted:
        if saver is not None:
            _save_on_interrupt(saver, reducer)
        raise
    finally:
        if within is None and bar is not None:
            bar.close()
    if saver is not None:
        saver.save(reducer)
    return reduction, info


def _save_on_interrupt(saver, reducer: Reducer) -> None:
    """Between chunks the state is whole: keep it, and say so. (A second
    signal during the save leaves the previous checkpoint as it was.)"""
    signals.set_progress(reducer.n)
    saver.save(reducer)
    signals.status["kept"] = f"the checkpoint {saver.path} holds {reducer.n:,} scenarios"
    signals.status["resume"] = saver.path
