"""Run a scenario: chunks of scenarios through the kernels, reduced as we go.

``run`` returns summary statistics per model size; ``sample`` returns the raw
draws. Results depend only on (scenario, seed, n_scenarios): scenario ``s``
always uses the same uniforms (:mod:`sim.rng`), moments are merged in fixed
block order, and histogram counts are exact (:mod:`sim.reductions`).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numba
import numpy as np

from . import kernels, reductions
from .designs import Design, build_design, check_sampler, design_size
from .errors import SimError
from .model import N_STATS, ROI, ROI_EXPECTED
from .plan import Plan, build_plan
from .rng import key_from_seed
from .scenario import Scenario, load_scenario

DEFAULT_QUANTILES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
DEFAULT_CHUNK = 64 * reductions.BLOCK  # 262,144 scenarios
MAX_SCENARIOS = 10**12


@dataclass
class Reduction:
    """Everything ``run`` accumulates: moments and histograms."""

    n: int
    mean: np.ndarray  # (n_sizes, N_STATS)
    m2: np.ndarray  # (n_sizes, N_STATS)
    hist_count: np.ndarray  # (2 * n_sizes, bins): roi, roi_expected per size
    hist_min: np.ndarray
    hist_max: np.ndarray
    hist_at_min: np.ndarray  # values equal to the bin minimum (point masses)
    hist_at_max: np.ndarray  # values equal to the bin maximum
    rep_n: np.ndarray  # (R,) scenarios per replicate (R = 1 for random)
    rep_mean: np.ndarray  # (R, n_sizes, N_STATS)
    rep_m2: np.ndarray
    elapsed: float

    def histogram(self, h: int) -> tuple[np.ndarray, ...]:
        """Count, min, max, count at min and count at max of histogram ``h``
        (2j: ROI of size j, 2j+1: expected ROI of size j)."""
        return (self.hist_count[h], self.hist_min[h], self.hist_max[h],
                self.hist_at_min[h], self.hist_at_max[h])

    def standard_error(self) -> np.ndarray:
        """Monte Carlo standard error of every mean, (n_sizes, N_STATS).

        Independent draws: sample standard deviation / sqrt(n). Replicated
        designs (LHS, Sobol'): standard deviation of the R replicate means /
        sqrt(R), since the plain formula does not hold for them.
        """
        if len(self.rep_n) == 1:
            return np.sqrt(self.m2 / max(self.n - 1, 1)) / math.sqrt(self.n)
        R = len(self.rep_n)
        return self.rep_mean.std(axis=0, ddof=1) / math.sqrt(R)

    @property
    def n_replicates(self) -> int:
        return len(self.rep_n)


def _scenario(scenario_or_path, overrides) -> Scenario:
    if isinstance(scenario_or_path, Scenario):
        return scenario_or_path.with_overrides(overrides)
    return load_scenario(scenario_or_path, overrides)


def _check_n(n_scenarios) -> int:
    try:
        n = int(n_scenarios)
    except (TypeError, ValueError):
        raise SimError(f"n_scenarios: expected a positive integer, got {n_scenarios!r}") from None
    if n != n_scenarios or not 1 <= n <= MAX_SCENARIOS:
        raise SimError(f"n_scenarios: expected a positive integer up to {MAX_SCENARIOS:.0e}, "
                       f"got {n_scenarios!r}")
    return n


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SimError(f"seed: expected a non-negative integer, got {seed!r}")
    return int(seed)


def _check_quantiles(quantiles: Sequence[float]) -> np.ndarray:
    q = np.unique(np.asarray(list(quantiles), dtype=float))
    if q.size == 0 or not np.all((q > 0) & (q < 1)):
        raise SimError(f"quantiles: expected numbers strictly between 0 and 1, got {list(quantiles)}")
    return q


def plan_args(plan: Plan) -> tuple:
    return (plan.theta, plan.target, plan.family, plan.par, plan.lo, plan.span,
            plan.offset, plan.n_table, plan.table)


def kernel_args(plan: Plan, design: Design) -> tuple:
    """The ``dists, design, copula`` tuples every drawing kernel takes."""
    return plan_args(plan), design.args(), (plan.corr_dims, plan.corr_chol)


def sample_arrays(plan: Plan, key, first: int, n: int, design: Design | None = None):
    """Draws, incident uniforms and per-size statistics of ``n`` scenarios."""
    if design is None:
        design = build_design("random", 0, first + n, plan.n_dims)
    draws = np.empty((n, plan.n_sampled))
    incident_u = np.empty((n, plan.horizon))
    stats = np.empty((n, plan.n_sizes, N_STATS))
    kernels.sample_range(key, first, n, reductions.BLOCK, *kernel_args(plan, design),
                         plan.log_sizes, plan.log_n_ref,
                         plan.horizon, draws, incident_u, stats)
    return draws, incident_u, stats


class Reducer:
    """Streams scenarios ``0, 1, 2, ...`` through the kernel, block by block.

    ``advance(n)`` evaluates scenarios up to ``n`` (a multiple of the block
    size, except for the last call); ``result()`` returns the reduction so
    far. Because blocks and the histogram pilot are fixed, the state after
    ``advance(n)`` is the same however the work was split.
    """

    def __init__(self, plan: Plan, seed: int, design: Design, chunk_size: int | None = None):
        self.start = time.perf_counter()
        self.plan = plan
        self.design = design
        self.key = key_from_seed(seed)
        chunk = DEFAULT_CHUNK if chunk_size is None else int(chunk_size)
        if chunk < 1:
            raise SimError(f"chunk_size: expected a positive integer, got {chunk_size!r}")
        self.blocks_per_chunk = max(1, math.ceil(chunk / reductions.BLOCK))
        self.n = 0
        n_sizes = plan.n_sizes
        # Pilot: the first scenarios set the histogram ranges (the same for any
        # chunking, since they are always scenarios 0 .. PILOT-1).
        pilot_n = min(design.n, reductions.PILOT)
        _, _, pilot = sample_arrays(plan, self.key, 0, pilot_n, design)
        pilot_values = pilot[:, :, [ROI, ROI_EXPECTED]].reshape(pilot_n, -1)
        self.hist = reductions.Histograms.from_pilot(pilot_values, numba.get_num_threads())
        self.total_n = np.zeros(1, dtype=np.int64)
        self.mean = np.zeros((n_sizes, N_STATS))
        self.m2 = np.zeros((n_sizes, N_STATS))
        R = design.n_replicates
        self.rep_n = np.zeros(R, dtype=np.int64)
        self.rep_mean = np.zeros((R, n_sizes, N_STATS))
        self.rep_m2 = np.zeros((R, n_sizes, N_STATS))
        bpc = self.blocks_per_chunk
        self.block_n = np.zeros(bpc, dtype=np.int64)
        self.block_mean = np.zeros((bpc, n_sizes, N_STATS))
        self.block_m2 = np.zeros((bpc, n_sizes, N_STATS))
        self.args = kernel_args(plan, design)

    def advance(self, n_to: int, progress: Any = None) -> None:
        block = reductions.BLOCK
        if self.n % block:
            raise SimError("internal: cannot advance past a partial block")
        plan, hist = self.plan, self.hist
        first_block = self.n // block
        last_block = math.ceil(n_to / block)
        hist.ensure_lanes(numba.get_num_threads())  # one histogram per thread id
        while first_block < last_block:
            nb = min(self.blocks_per_chunk, last_block - first_block)
            with numba.parallel_chunksize(1):  # blocks to threads one at a time
                kernels.reduce_chunk(self.key, first_block, nb, n_to, block, *self.args,
                                     plan.log_sizes, plan.log_n_ref, plan.horizon,
                                     hist.lo, hist.inv_width, hist.n_bins,
                                     hist.data, self.block_n, self.block_mean, self.block_m2)
            reductions.merge_blocks(self.total_n, self.mean, self.m2, self.block_n,
                                    self.block_mean, self.block_m2, nb)
            if self.design.replicated:
                reductions.merge_blocks_by_replicate(
                    self.rep_n, self.rep_mean, self.rep_m2, self.block_n, self.block_mean,
                    self.block_m2, first_block, nb)
            done = min(n_to, (first_block + nb) * block)
            if progress is not None:
                progress.update(done - self.n)
            self.n = done
            first_block += nb

    def result(self) -> Reduction:
        count, vmin, vmax, at_min, at_max = self.hist.merged()
        if self.design.replicated:
            rep = (self.rep_n.copy(), self.rep_mean.copy(), self.rep_m2.copy())
        else:
            rep = (self.total_n.copy(), self.mean[None].copy(), self.m2[None].copy())
        return Reduction(n=int(self.total_n[0]), mean=self.mean.copy(), m2=self.m2.copy(),
                         hist_count=count, hist_min=vmin, hist_max=vmax, hist_at_min=at_min,
                         hist_at_max=at_max, rep_n=rep[0], rep_mean=rep[1], rep_m2=rep[2],
                         elapsed=time.perf_counter() - self.start)


def reduce(plan: Plan, seed: int, n: int, chunk_size: int | None = None,
           progress: Any = None, design: Design | None = None) -> Reduction:
    """Evaluate ``n`` scenarios and reduce them to moments and histograms."""
    if design is None:
        design = build_design("random", seed, n, plan.n_dims)
    reducer = Reducer(plan, seed, design, chunk_size)
    reducer.advance(n, progress)
    return reducer.result()


@dataclass(frozen=True)
class Target:
    """Stopping rule: add scenarios until ``statistic``'s standard error is at
    most ``se`` for every model size, or ``max_scenarios`` is reached."""

    se: float
    statistic: str = "roi_mean"
    max_scenarios: int = 100_000_000

    def stat_index(self) -> int:
        from .results import STAT_BY_NAME

        if self.statistic not in STAT_BY_NAME:
            raise SimError(f"target statistic: expected one of {', '.join(STAT_BY_NAME)}, "
                           f"got {self.statistic!r}")
        return STAT_BY_NAME[self.statistic]


def _reduce_to_target(plan: Plan, seed: int, n_start: int, sampler: str, target: Target,
                      chunk_size, progress) -> tuple[Reduction, dict]:
    if not (isinstance(target.se, (int, float)) and target.se > 0):
        raise SimError(f"target_se: expected a positive number, got {target.se!r}")
    if sampler == "lhs":
        raise SimError("sampler 'lhs' stratifies over all n scenarios, which must be known in "
                       "advance: use --sampler random or sobol with a target standard error")
    k = target.stat_index()
    cap = _check_n(target.max_scenarios)
    # Checkpoints n, 2n, 4n, ... from at least the pilot size, so that a rerun
    # with -n set to the final count reproduces the numbers exactly.
    n = max(reductions.PILOT, math.ceil(n_start / reductions.BLOCK) * reductions.BLOCK)
    if sampler == "sobol":
        n, _ = design_size(sampler, n)
        smallest, _ = design_size(sampler, 1)
        if cap < smallest:
            raise SimError(f"max_scenarios: sampler 'sobol' needs at least {smallest:,}")
        cap_n, _ = design_size(sampler, cap)
        if cap_n > cap:  # whole replicates of 2^k points, not above the cap
            cap_n //= 2
    else:
        cap_n = cap
    n = min(n, cap_n)
    design = build_design(sampler, seed, cap_n, plan.n_dims)
    reducer = Reducer(plan, seed, design, chunk_size)
    while True:
        reducer.advance(n, progress)
        red = reducer.result()
        achieved = float(np.max(red.standard_error()[:, k]))
        if achieved <= target.se or n >= cap_n:
            break
        n = min(2 * n, cap_n)
    info = {"target_se": float(target.se), "target_statistic": target.statistic,
            "target_reached": int(achieved <= target.se), "achieved_se": achieved,
            "max_scenarios": int(cap)}
    return red, info


def run(scenario_or_path, n_scenarios: int = 1_000_000, seed: int = 0,
        quantiles: Sequence[float] = DEFAULT_QUANTILES, *,
        overrides: Mapping[str, Any] | None = None, chunk_size: int | None = None,
        progress: bool = False, sampler: str = "random",
        target_se: float | None = None, target_statistic: str = "roi_mean",
        max_scenarios: int = 100_000_000):
    """Simulate ``n_scenarios`` scenarios and summarise ROI per model size.

    ``sampler`` is ``"random"``, ``"lhs"`` (Latin hypercube) or ``"sobol"``
    (scrambled Sobol'; ``n`` is rounded up to whole replicates of 2^k points).
    With ``target_se``, scenarios are added (doubling from ``n_scenarios``)
    until the standard error of ``target_statistic`` is at most ``target_se``
    for every size, or ``max_scenarios`` is reached.

    Returns an :class:`xarray.Dataset` (see :mod:`sim.results` for the
    variables). The same scenario, seed and ``n_scenarios`` give the same
    numbers whatever the thread count or ``chunk_size``.
    """
    from .results import build_dataset

    scenario = _scenario(scenario_or_path, overrides)
    n = _check_n(n_scenarios)
    seed = _check_seed(seed)
    q = _check_quantiles(quantiles)
    check_sampler(sampler)
    plan = build_plan(scenario)
    extra: dict[str, Any] = {"sampler": sampler, "n_requested": n}
    if target_se is None:
        n_eval, note = design_size(sampler, n)
        bar = _progress_bar(n_eval, progress)
        try:
            red = reduce(plan, seed, n_eval, chunk_size, bar,
                         build_design(sampler, seed, n_eval, plan.n_dims))
        finally:
            if bar is not None:
                bar.close()
    else:
        bar = _progress_bar(None, progress)
        try:
            red, info = _reduce_to_target(plan, seed, n, sampler,
                                          Target(target_se, target_statistic, max_scenarios),
                                          chunk_size, bar)
        finally:
            if bar is not None:
                bar.close()
        extra.update(info)
        note = ""
    if note:
        warnings.warn(note, SamplingNote, stacklevel=2)
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
    from .results import build_sample_dataset

    scenario = _scenario(scenario_or_path, overrides)
    n = _check_n(n_scenarios)
    seed = _check_seed(seed)
    check_sampler(sampler)
    n_eval, note = design_size(sampler, n)
    if note:
        warnings.warn(note, SamplingNote, stacklevel=2)
    plan = build_plan(scenario)
    design = build_design(sampler, seed, n_eval, plan.n_dims)
    draws, incident_u, stats = sample_arrays(plan, key_from_seed(seed), 0, n_eval, design)
    return build_sample_dataset(scenario, plan, draws, incident_u, stats, seed, sampler)


def _progress_bar(n: int | None, progress):
    if not progress:
        return None
    from tqdm.auto import tqdm

    # Shown only if the run lasts more than a couple of seconds.
    return tqdm(total=n, unit=" scenarios", unit_scale=True, delay=1.5,
                desc="simulating", leave=False, dynamic_ncols=True)
