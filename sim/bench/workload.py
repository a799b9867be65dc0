"""The benchmark workload (the baseline scenario) and what a run reports.

Every benchmark returns a :class:`Summary`: mean ROI, its standard error
and P(loss) per model size, so that any two benchmarks can be compared.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from importlib import resources

import numpy as np

from sim.testing.numpy_model import Summary
from sim.vocab import outputs
from sim.engine.reducer import reduce
from sim.scenario.plan import Plan, build_plan
from sim.scenario.load import Scenario, load_scenario

__all__ = ["SCENARIO", "SEED", "Summary", "best_time", "engine_summary", "plan", "reduction_summary",
           "same_distribution", "same_means", "scenario"]

#: The workload: the v1 bundled baseline, frozen, because some baselines
#: transcribe model v1 only (the NumPy one has v1, ``numpy_model.run``, and
#: v2, ``numpy_model.run_v2``, which ``sim bench`` also times on the v2
#: baseline; the naive Numba and squigglepy ones in ``benchmarks/`` have v1
#: only). The engine runs it through today's kernel, which gives v1's
#: numbers for a v1 file.
SCENARIO = "workload_v1.toml"
SEED = 0


def scenario() -> Scenario:
    return load_scenario(str(resources.files(__package__) / SCENARIO))


def plan(sc: Scenario | None = None) -> Plan:
    return build_plan(sc if sc is not None else scenario())


def engine_summary(p: Plan, seed: int, n: int, kernel=None) -> Summary:
    """The engine's kernel-level run (:func:`sim.engine.reducer.reduce`; on
    another set of kernels with ``kernel``, see :class:`sim.engine.reducer.Reducer`)."""
    red = reduce(p, seed, n, kernel=kernel)
    return reduction_summary(red)


def reduction_summary(red) -> Summary:
    se = np.sqrt(red.m2[:, outputs.ROI] / max(red.n - 1, 1) / red.n)
    return Summary(red.n, red.mean[:, outputs.ROI].copy(), se, red.mean[:, outputs.LOSS].copy())


def best_time(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Best wall time of ``repeat`` calls of ``fn`` and the last result."""
    best = math.inf
    result = None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def same_means(got: Summary, want: Summary, rtol: float) -> str | None:
    """None if two runs over the same scenarios agree, else what differs.

    ROI means agree to ``rtol`` relative (of the larger of the mean and its
    standard deviation, since ROI can cancel to near zero); P(loss) agrees
    to a few scenarios (a ROI within rounding of 0 may flip sign).
    """
    scale = np.maximum(np.abs(want.roi_mean), want.roi_se * math.sqrt(want.n))
    bad = np.abs(got.roi_mean - want.roi_mean) > rtol * scale
    if bad.any():
        return f"mean ROI differs: {got.roi_mean} vs engine {want.roi_mean}"
    if np.any(np.abs(got.prob_loss - want.prob_loss) > 3.0 / want.n):
        return f"P(loss) differs: {got.prob_loss} vs engine {want.prob_loss}"
    return None


def same_distribution(got: Summary, want: Summary, z: float = 5.0) -> str | None:
    """None if two runs on independent draws agree within ``z`` standard errors."""
    se = np.sqrt(got.roi_se**2 + want.roi_se**2)
    if np.any(np.abs(got.roi_mean - want.roi_mean) > z * se):
        return (f"mean ROI {got.roi_mean} vs engine {want.roi_mean} "
                f"(more than {z:g} standard errors {se})")
    p = 0.5 * (got.prob_loss + want.prob_loss)
    se_p = np.sqrt(p * (1 - p) * (1 / got.n + 1 / want.n))
    if np.any(np.abs(got.prob_loss - want.prob_loss) > z * se_p + 1e-12):
        return f"P(loss) {got.prob_loss} vs engine {want.prob_loss} (more than {z:g} standard errors)"
    return None
