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
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from .. import signals
from ..checks import check_n
from ..errors import SimError
from ..layout import BLOCK, PILOT
from ..outputs import HISTOGRAMS, INVESTMENT, N_STATS, NET_VALUE, STAT_BY_NAME
from ..plan import Plan
from ..sampling.designs import Design, build_design, design_size
from ..sampling.rng import key_from_seed
from . import accumulators, kernels
from .accumulators import SCALE
from .sketch import Histograms

__all__ = ["CHUNK_SECONDS", "DEFAULT_CHUNK", "NonFinite", "Reducer", "Reduction", "Target",
           "advance_to_target", "kernel_args", "reduce", "reduce_to_target", "sample_arrays",
           "target_schedule"]

DEFAULT_CHUNK = 64 * BLOCK  # 262,144 scenarios: the largest chunk
#: Wall time a chunk should take when the chunk size is left to the reducer:
#: long enough to keep the threads busy, short enough that an interrupt, a
#: checkpoint and the progress bar come between chunks several times a second.
CHUNK_SECONDS = 0.2


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

    def histogram_of(self, size: int, stat: int) -> tuple[np.ndarray, ...]:
        """The histogram of statistic ``stat`` (one of
        :data:`sim.outputs.HISTOGRAMS`) at size index ``size``."""
        return self.histogram(len(HISTOGRAMS) * size + HISTOGRAMS.index(stat))

    def histogram(self, h: int) -> tuple[np.ndarray, ...]:
        """Count, min, max, count at min and count at max of histogram ``h``
        (``len(HISTOGRAMS) * j + k``: statistic ``HISTOGRAMS[k]`` of size j)."""
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


@dataclass(frozen=True)
class NonFinite:
    """Where the pilot's statistics are infinite or NaN.

    ``by_size[j]`` counts the pilot scenarios with a non-finite statistic at
    size ``j``; ``stats`` lists the statistics affected; ``ranks[d]`` is the
    mean rank (0 to 1) of sampled dimension ``d``'s draws in the affected
    scenarios, 0.5 for a key that has nothing to do with it, near 0 or 1
    for one whose low or high draws cause it.
    """

    n_pilot: int
    n_scenarios: int
    by_size: np.ndarray
    stats: tuple[int, ...]
    ranks: np.ndarray

    @classmethod
    def of_pilot(cls, draws: np.ndarray, stats: np.ndarray) -> NonFinite | None:
        bad = ~np.isfinite(stats)  # (n, size, stat)
        if not bad.any():
            return None
        scenario_bad = bad.any(axis=(1, 2))
        n = stats.shape[0]
        if draws.shape[1] and n > 1:
            ranks = draws.argsort(axis=0, kind="stable").argsort(axis=0, kind="stable") / (n - 1)
            mean_rank = ranks[scenario_bad].mean(axis=0)
        else:
            mean_rank = np.zeros(draws.shape[1])
        return cls(n_pilot=n, n_scenarios=int(scenario_bad.sum()),
                   by_size=bad.any(axis=2).sum(axis=0),
                   stats=tuple(int(k) for k in np.flatnonzero(bad.any(axis=(0, 1)))),
                   ranks=mean_rank)


def plan_args(plan: Plan) -> tuple:
    return (plan.theta, plan.target, plan.family, plan.par, plan.lo, plan.span,
            plan.offset, plan.n_table, plan.table)


def kernel_args(plan: Plan, design: Design) -> tuple:
    """The ``dists, design, copula`` tuples every drawing kernel takes."""
    return plan_args(plan), design.args(), (plan.corr_dims, plan.corr_chol)


def structure_args(plan: Plan) -> tuple[int, int]:
    """The structural choices the model kernels take: (route, compute rule)."""
    return plan.route_code, plan.rule_code


def sample_arrays(plan: Plan, key, first: int, n: int, design: Design | None = None):
    """Draws, incident uniforms and per-size statistics of ``n`` scenarios."""
    if design is None:
        design = build_design("random", 0, first + n, plan.n_dims)
    draws = np.empty((n, plan.n_sampled))
    incident_u = np.empty((n, plan.horizon))
    stats = np.empty((n, plan.n_sizes, N_STATS))
    kernels.sample_range(key, first, n, BLOCK, *kernel_args(plan, design), structure_args(plan),
                         plan.log_sizes, plan.log_n_ref,
                         plan.horizon, draws, incident_u, stats)
    return draws, incident_u, stats


class Reducer:
    """Streams scenarios ``0, 1, 2, ...`` through the kernel, block by block.

    ``advance(n)`` evaluates scenarios up to ``n`` (a multiple of the block
    size, except for the last call); ``result()`` returns the reduction so
    far. Because blocks and the histogram pilot are fixed, the state after
    ``advance(n)`` is the same however the work was split.

    Without a ``chunk_size``, chunks are sized to take about
    :data:`CHUNK_SECONDS` (at most :data:`DEFAULT_CHUNK` scenarios). Each
    chunk is one :func:`sim.signals.deferred` step, so an interrupt lands
    between chunks, when the state is whole: :meth:`state` is then every
    array of it, which :meth:`load_state` puts back (checkpoints).
    """

    #: Arrays rewritten by every chunk before they are read: not state.
    SCRATCH = ("block_n", "block_mean", "block_m2")

    def __init__(self, plan: Plan, seed: int, design: Design, chunk_size: int | None = None):
        self.start = time.perf_counter()
        self.plan = plan
        self.design = design
        self.key = key_from_seed(seed)
        chunk = DEFAULT_CHUNK if chunk_size is None else int(chunk_size)
        if chunk < 1:
            raise SimError(f"chunk_size: expected a positive integer, got {chunk_size!r}")
        self.blocks_per_chunk = max(1, math.ceil(chunk / BLOCK))
        self.adaptive = chunk_size is None
        # Adaptive chunks start at one block per thread and grow from there.
        self.chunk_blocks = min(self.blocks_per_chunk, max(1, numba.get_num_threads()))
        self.elapsed_before = 0.0  # seconds of earlier sessions (a resumed checkpoint)
        self.n = 0
        n_sizes = plan.n_sizes
        # Pilot: the first scenarios set the histogram ranges (the same for any
        # chunking, since they are always scenarios 0 .. PILOT-1).
        pilot_n = min(design.n, PILOT)
        draws, _, pilot = sample_arrays(plan, self.key, 0, pilot_n, design)
        #: Non-finite statistics in the pilot (None when all are finite).
        self.pilot_finding = NonFinite.of_pilot(draws, pilot)
        pilot_values = pilot[:, :, list(HISTOGRAMS)].reshape(pilot_n, -1)
        with warnings.catch_warnings():
            if self.pilot_finding is not None:  # ranges of NaN: the caller refuses the run
                warnings.simplefilter("ignore", RuntimeWarning)
                np_state = np.seterr(all="ignore")
            try:
                offset, scale = histogram_maps(pilot)
                self.hist = Histograms.from_pilot(pilot_values, numba.get_num_threads(),
                                                  offset=offset, scale=scale)
            finally:
                if self.pilot_finding is not None:
                    np.seterr(**np_state)
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
        self.args = kernel_args(plan, design) + (structure_args(plan),)

    def advance(self, n_to: int, progress: Any = None,
                between: Callable[[Reducer], None] | None = None) -> None:
        """Evaluate scenarios up to ``n_to``. After every chunk, ``progress``
        (a tqdm-like bar) is updated and ``between(self)`` is called: the
        state is whole there, so it may be saved."""
        block = BLOCK
        if self.n % block and n_to > self.n:
            raise SimError("internal: cannot advance past a partial block")
        hist = self.hist
        first_block = self.n // block
        last_block = math.ceil(n_to / block)
        hist.ensure_lanes(numba.get_num_threads())  # one histogram per thread id
        while first_block < last_block:
            nb = min(self.chunk_blocks if self.adaptive else self.blocks_per_chunk,
                     last_block - first_block)
            began = time.perf_counter()
            with signals.deferred():  # an interrupt waits for the whole chunk
                self._chunk(first_block, nb, n_to)
                done = min(n_to, (first_block + nb) * block)
                step = done - self.n
                self.n = done
            if self.adaptive:
                self._tune(nb, time.perf_counter() - began)
            if progress is not None:
                progress.update(step)
            if between is not None:
                between(self)
            first_block += nb

    def _chunk(self, first_block: int, nb: int, n_to: int) -> None:
        plan, hist = self.plan, self.hist
        with numba.parallel_chunksize(1):  # blocks to threads one at a time
            kernels.reduce_chunk(self.key, first_block, nb, n_to, BLOCK, *self.args,
                                 plan.log_sizes, plan.log_n_ref, plan.horizon,
                                 hist.lo, hist.inv_width, hist.offset, hist.scale, hist.n_bins,
                                 hist.data, self.block_n, self.block_mean, self.block_m2)
        accumulators.merge_blocks(self.total_n, self.mean, self.m2, self.block_n,
                                  self.block_mean, self.block_m2, nb)
        if self.design.replicated:
            accumulators.merge_blocks_by_replicate(
                self.rep_n, self.rep_mean, self.rep_m2, self.block_n, self.block_mean,
                self.block_m2, first_block, nb)

    def _tune(self, nb: int, seconds: float) -> None:
        """The next chunk's blocks: about CHUNK_SECONDS of work, growing at
        most twofold a step (the first chunk may include compilation)."""
        per_block = seconds / nb
        want = int(CHUNK_SECONDS / per_block) if per_block > 0 else self.blocks_per_chunk
        self.chunk_blocks = max(1, min(self.blocks_per_chunk, want, 2 * nb))

    def warm_up(self) -> None:
        """Compile (or load from the cache) the chunk kernels: a chunk of no
        blocks, which changes nothing."""
        self._chunk(self.n // BLOCK, 0, self.n)

    # ------------------------------------------------------------ checkpoints
    def state(self) -> dict[str, np.ndarray]:
        """Every array of the streaming state, by name: the reducer's
        (``reducer.NAME``) and its histograms' (``hist.NAME``), except
        :data:`SCRATCH`. Arrays added to either class are included without
        further code. With ``n``, this is all a checkpoint needs."""
        out = {f"reducer.{k}": v for k, v in vars(self).items()
               if isinstance(v, np.ndarray) and k not in self.SCRATCH}
        out.update({f"hist.{k}": v for k, v in vars(self.hist).items()
                    if isinstance(v, np.ndarray)})
        return out

    def load_state(self, arrays: dict[str, np.ndarray], n: int) -> None:
        """Put back a :meth:`state` saved from a reducer of the same plan,
        seed and design. Every array must be there with its shape and dtype
        (per-lane histogram arrays may have another number of lanes)."""
        mine = self.state()
        missing = sorted(set(mine) - set(arrays))
        extra = sorted(set(arrays) - set(mine))
        if missing or extra:
            raise SimError("the checkpoint does not match this version's state "
                           f"(missing: {', '.join(missing) or 'none'}; unknown: "
                           f"{', '.join(extra) or 'none'})")
        for name, value in arrays.items():
            here = mine[name]
            per_lane = name.startswith("hist.") and name[5:] in Histograms.PER_LANE
            same = (value.shape[1:] == here.shape[1:]) if per_lane else value.shape == here.shape
            if not same or value.dtype != here.dtype:
                raise SimError(f"the checkpoint's {name} is {value.dtype}{list(value.shape)}, "
                               f"this run's is {here.dtype}{list(here.shape)}")
        for name, value in arrays.items():
            owner, attr = (self, name[8:]) if name.startswith("reducer.") else (self.hist, name[5:])
            setattr(owner, attr, np.array(value, copy=True))
        self.n = int(n)
        self.hist.ensure_lanes(numba.get_num_threads())

    def result(self) -> Reduction:
        count, vmin, vmax, at_min, at_max = self.hist.merged()
        if self.design.replicated:
            rep = (self.rep_n.copy(), self.rep_mean.copy(), self.rep_m2.copy())
        else:
            rep = (self.total_n.copy(), self.mean[None].copy(), self.m2[None].copy())
        return Reduction(n=int(self.total_n[0]), mean=self.mean.copy(), m2=self.m2.copy(),
                         hist_count=count, hist_min=vmin, hist_max=vmax, hist_at_min=at_min,
                         hist_at_max=at_max, rep_n=rep[0], rep_mean=rep[1], rep_m2=rep[2],
                         elapsed=self.elapsed_before + time.perf_counter() - self.start)


def histogram_maps(pilot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offset and scale of each histogram's coordinate, flattened like
    ``pilot[:, size, HISTOGRAMS]``: ROI-like statistics as multiples of the
    investment (offset 1, scale 1000); net value in USD relative to a
    thousandth of the pilot's median investment at that size."""
    n_sizes = pilot.shape[1]
    offset = np.ones((n_sizes, len(HISTOGRAMS)))
    scale = np.full((n_sizes, len(HISTOGRAMS)), SCALE)
    k = HISTOGRAMS.index(NET_VALUE)
    median_i = np.nanmedian(np.abs(pilot[:, :, INVESTMENT]), axis=0)
    offset[:, k] = 0.0
    scale[:, k] = SCALE / np.where(np.isfinite(median_i) & (median_i > 0), median_i, 1.0)
    return offset.ravel(), scale.ravel()


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
        if self.statistic not in STAT_BY_NAME:
            raise SimError(f"target statistic: expected one of {', '.join(STAT_BY_NAME)}, "
                           f"got {self.statistic!r}")
        return STAT_BY_NAME[self.statistic]


def reduce_to_target(plan: Plan, seed: int, n_start: int, sampler: str, target: Target,
                      chunk_size, progress) -> tuple[Reduction, dict]:
    """Add scenarios (n, 2n, 4n, ...) until ``target`` is met or its cap."""
    n, cap_n, design = target_schedule(plan, seed, n_start, sampler, target)
    reducer = Reducer(plan, seed, design, chunk_size)
    return advance_to_target(reducer, target, n, cap_n, progress)


def target_schedule(plan: Plan, seed: int, n_start: int, sampler: str,
                    target: Target) -> tuple[int, int, Design]:
    """The first checkpoint ``n`` of a target run, its cap, and the design
    (built for the cap)."""
    if not (isinstance(target.se, (int, float)) and target.se > 0):
        raise SimError(f"target_se: expected a positive number, got {target.se!r}")
    if sampler == "lhs":
        raise SimError("sampler 'lhs' stratifies over all n scenarios, which must be known in "
                       "advance: use --sampler random or sobol with a target standard error")
    target.stat_index()
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
    return n, cap_n, build_design(sampler, seed, cap_n, plan.n_dims)


def advance_to_target(reducer: Reducer, target: Target, n: int, cap_n: int, progress,
                      between: Callable[[Reducer], None] | None = None
                      ) -> tuple[Reduction, dict]:
    """Double ``n`` from the schedule's first point until the target is met.

    A reducer that already holds scenarios (a resumed checkpoint) continues
    from the first point of the schedule at or beyond what it holds: the
    points before it were passed without meeting the target.
    """
    k = target.stat_index()
    while n < reducer.n and n < cap_n:
        n = min(2 * n, cap_n)
    while True:
        reducer.advance(n, progress, between)
        red = reducer.result()
        achieved = float(np.max(red.standard_error()[:, k]))
        if achieved <= target.se or n >= cap_n:
            break
        n = min(2 * n, cap_n)
    info = {"target_se": float(target.se), "target_statistic": target.statistic,
            "target_reached": int(achieved <= target.se), "achieved_se": achieved,
            "max_scenarios": int(check_n(target.max_scenarios, "max_scenarios"))}
    return red, info
