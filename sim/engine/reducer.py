"""The reducer: chunks of scenarios through the kernels, reduced as they go.

:class:`Reducer` streams scenarios ``0, 1, 2, ...`` through
:func:`sim.engine.kernels.reduce_chunk` and holds the mergeable state
(moments per block merged in block order, histogram sketch);
:func:`reduce_to_target` adds scenarios until a standard error is reached.
Results depend only on (plan, seed, n): scenario ``s`` always uses the same
uniforms (:mod:`sim.sampling.rng`), moments are merged in fixed block order,
and histogram counts are exact (:mod:`sim.engine.accumulators`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from ..checks import check_n
from ..errors import SimError
from ..layout import BLOCK, PILOT
from ..outputs import HISTOGRAMS, INVESTMENT, NET_VALUE, PATH_MTM, STAT_BY_NAME, path_column
from ..plan import Plan
from ..sampling.designs import Design, build_design, design_size
from ..sampling.rng import key_from_seed
from . import accumulators, kernels
from .accumulators import SCALE
from .sketch import Histograms

__all__ = ["DEFAULT_CHUNK", "Reducer", "Reduction", "Target", "kernel_args", "reduce",
           "reduce_to_target", "sample_arrays"]

DEFAULT_CHUNK = 64 * BLOCK  # 262,144 scenarios
VOI_GROUPS = 8  # independent groups of blocks for the standard errors of EVPPI
DUMMY_SALT = 0x5EED_D077_1E55_0000  # keys the dummy parameter's uniform stream


@dataclass
class Reduction:
    """Everything ``run`` accumulates: moments and histograms."""

    n: int
    mean: np.ndarray  # (n_sizes, n_columns): the model's output columns
    m2: np.ndarray  # (n_sizes, n_columns)
    hist_count: np.ndarray  # (n_hist * n_sizes, bins): the hist_cols of each size
    hist_min: np.ndarray
    hist_max: np.ndarray
    hist_at_min: np.ndarray  # values equal to the bin minimum (point masses)
    hist_at_max: np.ndarray  # values equal to the bin maximum
    rep_n: np.ndarray  # (R,) scenarios per replicate (R = 1 for random)
    rep_mean: np.ndarray  # (R, n_sizes, n_columns)
    rep_m2: np.ndarray
    elapsed: float
    hist_cols: np.ndarray = None  # output columns with a histogram (histogram_columns)
    voi_sum: np.ndarray = None  # (VOI_GROUPS, n_parameters + 1, bins, n_rows): objective sums
    voi_count: np.ndarray = None  # (VOI_GROUPS, n_parameters + 1, bins): scenarios per bin

    def histogram_of(self, size: int, column: int) -> tuple[np.ndarray, ...]:
        """The histogram of output ``column`` (one of ``hist_cols``) at size
        index ``size``."""
        cols = list(self.hist_cols)
        return self.histogram(len(cols) * size + cols.index(column))

    def histogram(self, h: int) -> tuple[np.ndarray, ...]:
        """Count, min, max, count at min and count at max of histogram ``h``
        (``len(hist_cols) * j + k``: column ``hist_cols[k]`` of size j)."""
        return (self.hist_count[h], self.hist_min[h], self.hist_max[h],
                self.hist_at_min[h], self.hist_at_max[h])

    def standard_error(self) -> np.ndarray:
        """Monte Carlo standard error of every mean, (n_sizes, n_columns).

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


def plan_args(plan: Plan) -> tuple:
    return (plan.theta, plan.target, plan.family, plan.par, plan.lo, plan.span,
            plan.offset, plan.n_table, plan.table)


def kernel_args(plan: Plan, design: Design) -> tuple:
    """The ``dists, design, copula`` tuples every drawing kernel takes."""
    return plan_args(plan), design.args(), (plan.corr_dims, plan.corr_chol)


def model_args(plan: Plan) -> tuple:
    """What the model kernels take besides the parameters: the flags
    (objective, path on, uniforms per scenario) and the worlds (per strategy:
    route, compute rule, belief expects incidents; the reality and belief
    overlays)."""
    flags = (plan.objective_code, int(plan.path), plan.n_uniforms)
    # One flat tuple of arrays: parallel loops cannot take tuples of tuples.
    worlds = (plan.s_route, plan.s_rule, plan.s_belief_incidents) + plan.overlay + plan.belief
    return flags, worlds


def no_voi(plan: Plan) -> tuple:
    """The kernels' VOI argument when no value of information is computed."""
    return (np.zeros(0, dtype=np.int64), np.uint64(0), 1, np.zeros((1, 1, 1, 1)), np.zeros((1, 1, 1)))


def histogram_columns(plan: Plan) -> np.ndarray:
    """Output columns sketched by a histogram per size: ROI, expected ROI,
    net value, and the mark-to-market ROI of every year when the path is on."""
    cols = list(HISTOGRAMS)
    if plan.path:
        cols += [path_column(t, PATH_MTM) for t in range(plan.horizon + 1)]
    return np.asarray(cols, dtype=np.int64)


def sample_arrays(plan: Plan, key, first: int, n: int, design: Design | None = None):
    """Draws, incident uniforms, believed draws and per-size outputs of ``n``
    scenarios (``stats[i, size, column]``, with the path columns if on)."""
    if design is None:
        design = build_design("random", 0, first + n, plan.n_dims)
    draws = np.empty((n, plan.n_sampled))
    incident_u = np.empty((n, plan.horizon))
    extra_u = np.empty((n, plan.n_belief_dims))
    belief_draws = np.empty((n, len(plan.belief_keys)))
    stats = np.zeros((n, plan.n_rows, plan.n_columns))
    kernels.sample_range(key, first, n, BLOCK, *kernel_args(plan, design), model_args(plan),
                         plan.log_sizes, plan.log_n_ref,
                         plan.horizon, draws, incident_u, extra_u, belief_draws, stats)
    return draws, incident_u, belief_draws, stats


class Reducer:
    """Streams scenarios ``0, 1, 2, ...`` through the kernel, block by block.

    ``advance(n)`` evaluates scenarios up to ``n`` (a multiple of the block
    size, except for the last call); ``result()`` returns the reduction so
    far. Because blocks and the histogram pilot are fixed, the state after
    ``advance(n)`` is the same however the work was split.
    """

    def __init__(self, plan: Plan, seed: int, design: Design, chunk_size: int | None = None,
                 voi: bool = False):
        self.start = time.perf_counter()
        self.plan = plan
        self.design = design
        self.key = key_from_seed(seed)
        chunk = DEFAULT_CHUNK if chunk_size is None else int(chunk_size)
        if chunk < 1:
            raise SimError(f"chunk_size: expected a positive integer, got {chunk_size!r}")
        self.blocks_per_chunk = max(1, math.ceil(chunk / BLOCK))
        self.n = 0
        n_sizes = plan.n_rows  # a row per alternative (strategy, size)
        n_cols = plan.n_columns
        # Pilot: the first scenarios set the histogram ranges (the same for any
        # chunking, since they are always scenarios 0 .. PILOT-1).
        pilot_n = min(design.n, PILOT)
        _, _, _, pilot = sample_arrays(plan, self.key, 0, pilot_n, design)
        self.hist_cols = histogram_columns(plan)
        pilot_values = pilot[:, :, self.hist_cols].reshape(pilot_n, -1)
        offset, scale = histogram_maps(pilot, self.hist_cols)
        self.hist = Histograms.from_pilot(pilot_values, numba.get_num_threads(),
                                          offset=offset, scale=scale)
        self.total_n = np.zeros(1, dtype=np.int64)
        self.mean = np.zeros((n_sizes, n_cols))
        self.m2 = np.zeros((n_sizes, n_cols))
        R = design.n_replicates
        self.rep_n = np.zeros(R, dtype=np.int64)
        self.rep_mean = np.zeros((R, n_sizes, n_cols))
        self.rep_m2 = np.zeros((R, n_sizes, n_cols))
        bpc = self.blocks_per_chunk
        self.block_n = np.zeros(bpc, dtype=np.int64)
        self.block_mean = np.zeros((bpc, n_sizes, n_cols))
        self.block_m2 = np.zeros((bpc, n_sizes, n_cols))
        self.args = kernel_args(plan, design) + (model_args(plan),)
        # Value of information (MODEL.md section 12): objective sums per
        # (parameter, bin, alternative), per block, then merged in block order
        # into VOI_GROUPS groups (block b in group b % VOI_GROUPS) whose spread
        # gives the standard errors. The last parameter is a dummy uniform.
        if voi:
            dims = list(range(plan.n_sampled)) + list(range(plan.n_dims, plan.n_uniforms))
            self.voi_dims = np.asarray(dims, dtype=np.int64)
            n_par, bins = len(dims) + 1, plan.voi_bins
            # As many groups as blocks, up to VOI_GROUPS: every group holds data.
            n_blocks = math.ceil(design.n / BLOCK)
            if n_blocks < 2:
                raise SimError(f"n_scenarios: the value of information needs at least "
                               f"{2 * BLOCK:,} scenarios (two blocks) for its standard errors; "
                               f"got {design.n:,}")
            self.voi_groups = min(VOI_GROUPS, n_blocks)
            self.voi_block_sum = np.zeros((bpc, n_par, bins, n_sizes))
            self.voi_block_count = np.zeros((bpc, n_par, bins))
            self.voi_sum = np.zeros((self.voi_groups, n_par, bins, n_sizes))
            self.voi_count = np.zeros((self.voi_groups, n_par, bins))
            self.voi_key = np.uint64(self.key) ^ np.uint64(DUMMY_SALT)
        else:
            self.voi_dims = None

    def advance(self, n_to: int, progress: Any = None) -> None:
        block = BLOCK
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
                                     self.hist_cols, hist.lo, hist.inv_width, hist.offset,
                                     hist.scale, hist.n_bins,
                                     hist.data, self.block_n, self.block_mean, self.block_m2,
                                     self._voi_args(nb))
            accumulators.merge_blocks(self.total_n, self.mean, self.m2, self.block_n,
                                    self.block_mean, self.block_m2, nb)
            if self.voi_dims is not None:
                for b in range(nb):  # block order, into its group
                    g = (first_block + b) % self.voi_groups
                    self.voi_sum[g] += self.voi_block_sum[b]
                    self.voi_count[g] += self.voi_block_count[b]
            if self.design.replicated:
                accumulators.merge_blocks_by_replicate(
                    self.rep_n, self.rep_mean, self.rep_m2, self.block_n, self.block_mean,
                    self.block_m2, first_block, nb)
            done = min(n_to, (first_block + nb) * block)
            if progress is not None:
                progress.update(done - self.n)
            self.n = done
            first_block += nb

    def _voi_args(self, nb: int) -> tuple:
        if self.voi_dims is None:
            return no_voi(self.plan)
        self.voi_block_sum[:nb] = 0.0
        self.voi_block_count[:nb] = 0.0
        return (self.voi_dims, self.voi_key, self.plan.voi_bins, self.voi_block_sum,
                self.voi_block_count)

    def result(self) -> Reduction:
        count, vmin, vmax, at_min, at_max = self.hist.merged()
        if self.design.replicated:
            rep = (self.rep_n.copy(), self.rep_mean.copy(), self.rep_m2.copy())
        else:
            rep = (self.total_n.copy(), self.mean[None].copy(), self.m2[None].copy())
        return Reduction(n=int(self.total_n[0]), mean=self.mean.copy(), m2=self.m2.copy(),
                         hist_count=count, hist_min=vmin, hist_max=vmax, hist_at_min=at_min,
                         hist_at_max=at_max, rep_n=rep[0], rep_mean=rep[1], rep_m2=rep[2],
                         elapsed=time.perf_counter() - self.start, hist_cols=self.hist_cols,
                         voi_sum=None if self.voi_dims is None else self.voi_sum.copy(),
                         voi_count=None if self.voi_dims is None else self.voi_count.copy())


def histogram_maps(pilot: np.ndarray, hist_cols) -> tuple[np.ndarray, np.ndarray]:
    """Offset and scale of each histogram's coordinate, flattened like
    ``pilot[:, size, hist_cols]``: ROI-like statistics as multiples of the
    investment (offset 1, scale 1000); net value in USD relative to a
    thousandth of the pilot's median investment at that size."""
    n_sizes = pilot.shape[1]
    offset = np.ones((n_sizes, len(hist_cols)))
    scale = np.full((n_sizes, len(hist_cols)), SCALE)
    k = list(hist_cols).index(NET_VALUE)
    median_i = np.nanmedian(np.abs(pilot[:, :, INVESTMENT]), axis=0)
    offset[:, k] = 0.0
    scale[:, k] = SCALE / np.where(np.isfinite(median_i) & (median_i > 0), median_i, 1.0)
    return offset.ravel(), scale.ravel()


def reduce(plan: Plan, seed: int, n: int, chunk_size: int | None = None,
           progress: Any = None, design: Design | None = None, voi: bool = False) -> Reduction:
    """Evaluate ``n`` scenarios and reduce them to moments and histograms
    (and, with ``voi``, the sums behind EVPPI)."""
    if design is None:
        design = build_design("random", seed, n, plan.n_dims)
    reducer = Reducer(plan, seed, design, chunk_size, voi=voi)
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
        if self.statistic not in STAT_BY_NAME:
            raise SimError(f"target statistic: expected one of {', '.join(STAT_BY_NAME)}, "
                           f"got {self.statistic!r}")
        return STAT_BY_NAME[self.statistic]


def reduce_to_target(plan: Plan, seed: int, n_start: int, sampler: str, target: Target,
                      chunk_size, progress) -> tuple[Reduction, dict]:
    if not (isinstance(target.se, (int, float)) and target.se > 0):
        raise SimError(f"target_se: expected a positive number, got {target.se!r}")
    if sampler == "lhs":
        raise SimError("sampler 'lhs' stratifies over all n scenarios, which must be known in "
                       "advance: use --sampler random or sobol with a target standard error")
    k = target.stat_index()
    cap = check_n(target.max_scenarios, "max_scenarios")
    # Checkpoints n, 2n, 4n, ... from at least the pilot size, so that a rerun
    # with -n set to the final count reproduces the numbers exactly.
    n = max(PILOT, math.ceil(n_start / BLOCK) * BLOCK)
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
