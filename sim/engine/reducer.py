"""The reducer: chunks of scenarios through the kernels, reduced as they go.

:class:`Reducer` streams scenarios ``0, 1, 2, ...`` through
:func:`sim.kernels.reduce.reduce_chunk` and holds the mergeable state
(moments per block merged in block order, histogram sketch);
:func:`reduce_to_target` adds scenarios until a standard error is reached.
Results depend only on (plan, seed, n): scenario ``s`` always uses the same
uniforms (:mod:`sim.kernels.sampling.rng`), moments are merged in fixed block order,
and histogram counts are exact (:mod:`sim.kernels.accumulators`).

Work is split in two, so that chunks can be computed elsewhere (another
process, a Dask worker: :mod:`sim.engine.cluster`) and merged here:

* :meth:`Reducer.compute_chunk` runs the kernel on a run of whole blocks with
  fresh arrays and returns a :class:`ChunkState`: named arrays, each with its
  merge rule (:data:`STATE_RULES`).
* :meth:`Reducer.merge_chunk` folds a ChunkState in. Chunks must arrive in
  block order; every array merges by its rule:

  - ``"blocks in order"`` (:data:`BLOCKS`): axis 0 is the chunk's blocks. The
    moments ``block_n``, ``block_mean`` and ``block_m2`` fold with Chan's
    update (overall and per replicate); any other such array is a sum per
    block, added block by block into ``Reducer.sums[name]``.
  - ``"histogram"`` (:data:`HISTOGRAM`): axis 0 is lanes; folded exactly
    (counts add, minima and maxima), so in any order.

New per-block state (say value-of-information sums per block) is an entry in
:data:`STATE_RULES` and in ``Reducer.block_shapes``, written by the kernel;
its total is then ``Reducer.sums[name]`` with no change to the merge.

An *executor* computes chunks elsewhere. It has two methods:

* ``pilot(plan, seed, design, voi)`` returns what :func:`pilot` returns, the
  histogram ranges and the :class:`NonFinite` finding (or None) of scenarios
  ``0 .. PILOT-1``, computed however it likes. ``voi`` is the ``voi`` of the
  reducer the chunks are for: the executor computes them with a reducer of
  the same kind, so that they hold the same arrays.
* ``states(reducer, layout, n_to, progress)`` returns the
  :class:`ChunkState` of every ``(first_block, n_blocks)`` of ``layout``, in
  that order, with every per-block array as :meth:`Reducer.compute_chunk`
  made it (only histogram lanes may be folded: :meth:`ChunkState.compact`).

:func:`make_reducer` is the one place that builds a reducer for an executor
(:func:`reduce` and :func:`reduce_to_target` take one); without it, chunks
are computed here, one after another.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.services.checks import check_n
from sim.vocab.errors import SimError
from sim.vocab.layout import BLOCK, PILOT
from sim.vocab.outputs import (
    COST_Y1,
    HISTOGRAMS,
    INVESTMENT,
    NET_VALUE,
    PRICE_Y1,
    SIZE_FREE_HISTOGRAMS,
    V3_HISTOGRAMS,
    PATH_MTM,
    ROI,
    ROI_EXPECTED,
    STAT_BY_NAME,
    path_column,
)
from sim.scenario.plan import Plan
from sim.engine.designs import Design, build_design, design_size
from sim.kernels.sampling.rng import key_from_seed
from sim.services import signals
from sim.services.blocks import over_blocks, thread_count
from sim.kernels import accumulators
from sim.kernels import arguments, reduce as kernels
from sim.vocab import industry as industry_outputs
from sim.kernels.accumulators import SCALE
from sim.engine.sketch import Histograms

#: ``reduce_chunk``'s ``kept`` argument when a chunk keeps no scenario.
NOTHING_KEPT = arguments.nothing_kept()

__all__ = ["BLOCKS", "CHUNK_SECONDS", "DEFAULT_CHUNK", "HISTOGRAM", "MOMENT_FIELDS", "STATE_RULES",
           "ChunkState", "NonFinite", "Reducer", "Reduction", "Target", "advance_to_target",
           "blocks_per_chunk", "chunk_layout", "compiled_kernels", "histogram_aliases", "histogram_columns", "kernel_args",
           "kernels_for", "make_reducer", "pilot", "pilot_ranges", "reduce", "reduce_to_target",
           "sample_arrays", "size_free_columns", "sketched_slots", "target_schedule"]

DEFAULT_CHUNK = 64 * BLOCK  # 262,144 scenarios: the largest chunk
#: Wall time a chunk should take when the chunk size is left to the reducer
#: (and chunks run here): long enough to keep the threads busy, short enough
#: that an interrupt, a checkpoint and the progress bar come between chunks
#: several times a second. Chunking never changes the numbers.
CHUNK_SECONDS = 0.2
VOI_GROUPS = 8  # independent groups of blocks for the standard errors of EVPPI
DUMMY_SALT = 0x5EED_D077_1E55_0000  # keys the dummy parameter's uniform stream

#: Merge rule of a per-block array: axis 0 is the chunk's blocks, folded into
#: the totals block by block, in block order.
BLOCKS = "blocks in order"
#: Merge rule of histogram lanes: axis 0 is lanes, merged exactly in any order.
HISTOGRAM = "histogram"
#: Merge rule of per-block sums kept in groups: block b adds into group
#: b % G (the EVPPI sums, whose group spread gives standard errors).
GROUPED = "blocks into groups"
#: The arrays a chunk returns and how each merges.
STATE_RULES: dict[str, str] = {
    "block_n": BLOCKS,  # (n_blocks,) int64: scenarios in each block
    "block_mean": BLOCKS,  # (n_blocks, n_sizes, n_columns)
    "block_m2": BLOCKS,  # (n_blocks, n_sizes, n_columns)
    "hist": HISTOGRAM,  # (n_lanes, n_hist * n_sizes, n_bins + 2, N_FIELDS): merged bins
    "voi_sum": GROUPED,  # (n_blocks, n_parameters + 1, bins, n_rows): objective sums (decide)
    "voi_count": GROUPED,  # (n_blocks, n_parameters + 1, bins): scenarios per bin (decide)
}
#: The per-block arrays that fold together with Chan's update; every other
#: ``BLOCKS`` array is a sum, added in block order.
MOMENT_FIELDS = ("block_n", "block_mean", "block_m2")


@dataclass(frozen=True, eq=False)
class ChunkState(Mapping):
    """The mergeable state of blocks ``first_block .. first_block + n_blocks - 1``
    of a run of ``n_to`` scenarios: named arrays (``state["block_mean"]``) and
    the merge rule of each (``state.rules[name]``, :data:`BLOCKS` or
    :data:`HISTOGRAM`). Plain NumPy arrays and numbers, so it pickles."""

    first_block: int
    n_blocks: int
    n_to: int
    arrays: dict[str, np.ndarray]
    rules: dict[str, str]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.arrays)

    def __len__(self) -> int:
        return len(self.arrays)

    @property
    def first(self) -> int:
        """The first scenario of the chunk."""
        return self.first_block * BLOCK

    @property
    def stop(self) -> int:
        """One past the last scenario of the chunk."""
        return min(self.n_to, (self.first_block + self.n_blocks) * BLOCK)

    def names(self, rule: str) -> list[str]:
        return [name for name in self.arrays if self.rules[name] == rule]

    def compact(self) -> ChunkState:
        """The same state with every histogram's lanes folded into one
        (exactly), to send fewer bytes."""
        arrays = dict(self.arrays)
        for name in self.names(HISTOGRAM):
            lanes = arrays[name]
            one = np.zeros((1,) + lanes.shape[1:])
            one[..., accumulators.MIN] = np.inf
            one[..., accumulators.MAX] = -np.inf
            accumulators.merge_histograms(one[0], lanes)
            arrays[name] = one
        return ChunkState(self.first_block, self.n_blocks, self.n_to, arrays, dict(self.rules))


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
    hist_alias: dict[int, int] = field(default_factory=dict)  # column -> column it equals
    n_sizes: int = 0  # rows per strategy, for hist_size_free (0: every row its own)
    hist_size_free: tuple = ()  # columns sketched on each strategy's first size only
    voi_sum: np.ndarray = None  # (VOI_GROUPS, n_parameters + 1, bins, n_rows): objective sums
    voi_count: np.ndarray = None  # (VOI_GROUPS, n_parameters + 1, bins): scenarios per bin
    sums: dict[str, np.ndarray] = field(default_factory=dict)  # totals of per-block sums

    def histogram_of(self, size: int, column: int) -> tuple[np.ndarray, ...]:
        """The histogram of output ``column`` (one of ``hist_cols``, or of
        ``hist_alias``: a column with the same values as one of them) at size
        index ``size`` (a row: strategy-major); a column of ``hist_size_free``
        is read from the first size of the row's strategy, which holds it."""
        cols = list(self.hist_cols)
        column = self.hist_alias.get(column, column)
        if column in self.hist_size_free and self.n_sizes:
            size -= size % self.n_sizes
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


def kernels_for(plan: Plan) -> Any:
    """The ``reduce_chunk`` and ``sample_range`` of ``plan``'s frame: the
    project model's (:mod:`sim.kernels.reduce`) or the industry frame's
    (:mod:`sim.kernels.industry`). The industry kernels are imported only
    here, when a plan needs them: a project run neither imports nor loads them."""
    if plan.industry:
        from sim.kernels import industry as industry_kernels

        return industry_kernels
    return kernels


def compiled_kernels(chosen: Any) -> tuple:
    """The kernels a run of ``chosen``'s frame compiles, for the compile
    note's estimate: its ``reduce_chunk`` alone (each frame's
    ``sample_range`` is plain Python that calls it)."""
    return (chosen.reduce_chunk,)


def voi_of_block(voi: tuple, b: int) -> tuple:
    """The kernel's VOI argument for block ``b`` of a chunk alone (its own
    rows of the per-block sums; the empty argument as it is)."""
    dims, key, bins, sums, counts = voi
    if dims.shape[0] == 0:
        return voi
    return dims, key, bins, sums[b:b + 1], counts[b:b + 1]


def model_args(plan: Plan) -> tuple:
    """What the model kernels take besides the parameters: the flags
    (objective, path on, uniforms per scenario) and the worlds (per strategy:
    route, compute rule, belief expects incidents; the reality and belief
    overlays; which rows are alternatives). The industry frame takes the flags and (valuation horizon, s_a)."""
    flags = (plan.objective_code, int(plan.path), plan.n_uniforms)
    if plan.industry:
        return flags, np.asarray([plan.valuation_horizon, plan.active_share], dtype=float)
    # One flat tuple of arrays: parallel loops cannot take tuples of tuples.
    worlds = ((plan.s_route, plan.s_rule, plan.s_belief_incidents) + plan.overlay + plan.belief
              + (plan.s_active, plan.s_gap_rivals, plan.s_within_pool, plan.alternatives))
    return flags, worlds


def no_voi(plan: Plan) -> tuple:
    """The kernels' VOI argument when no value of information is computed."""
    return arguments.no_voi()


def histogram_columns(plan: Plan) -> np.ndarray:
    """Output columns sketched by a histogram per size: ROI, expected ROI,
    net value, the year-1 unit economics (cost and price per token, margin,
    fixed-capability decline), and the mark-to-market ROI of years 1 .. T-1
    when the path is on (years 0 and T are :func:`histogram_aliases`)."""
    if plan.industry:
        return industry_histogram_columns(plan.horizon)
    cols = list(HISTOGRAMS) + list(V3_HISTOGRAMS)
    if plan.path:
        cols += [path_column(t, PATH_MTM) for t in range(1, plan.horizon)]
    return np.asarray(cols, dtype=np.int64)


def industry_histogram_columns(horizon: int) -> np.ndarray:
    """The industry frame's sketched columns: the scalars with a distribution
    (realized and expected return), then each sketched path, year by year."""
    cols = [f.index for f in industry_outputs.SCALARS if not f.indicator]
    for name in industry_outputs.SKETCHED:
        cols += industry_outputs.columns(horizon, industry_outputs.field(name).index)
    return np.asarray(cols, dtype=np.int64)


def histogram_aliases(plan: Plan) -> dict[int, int]:
    """Output columns whose histogram is another's, because the model makes
    them the same numbers bit for bit: the mark-to-market ROI at year 0 is
    the expected ROI, and at year T it is ROI (the valuation path adds the
    same terms in the same order as the totals; ``tests/kernels/test_model_beliefs.py``
    checks it on every bundled scenario). Sketching them again cost two of
    nine histogram updates per size."""
    if not plan.path:
        return {}
    return {path_column(0, PATH_MTM): ROI_EXPECTED, path_column(plan.horizon, PATH_MTM): ROI}


def size_free_columns(plan: Plan) -> tuple:
    """The sketched columns that a project run sketches on the first size of
    each strategy only (``SIZE_FREE_HISTOGRAMS``: the same values in every
    size's row; ``tests/engine/test_size_free.py`` checks it); none in the
    industry frame, which has no sizes."""
    return () if plan.industry else SIZE_FREE_HISTOGRAMS


def sketched_slots(plan: Plan) -> np.ndarray:
    """The ``hist_cols`` argument of the plan's ``reduce_chunk``. The
    project's has, for each row (strategy-major) and each of
    :func:`histogram_columns`, the column that row sketches there, or -1
    where it sketches nothing: a column of :func:`size_free_columns` is
    sketched only by the first size of each strategy, the row
    :meth:`Reduction.histogram_of` reads (four of the baseline's 55 histogram
    updates per scenario saved). The industry frame's kernel takes the
    columns once."""
    cols = histogram_columns(plan)
    if plan.industry:
        return cols
    slots = np.tile(cols, (plan.n_rows, 1))
    free = np.isin(cols, size_free_columns(plan))
    later = np.arange(plan.n_rows) % plan.n_sizes != 0
    slots[np.ix_(later, free)] = -1
    return slots.ravel()


def sample_arrays(plan: Plan, key, first: int, n: int, design: Design | None = None,
                  kernel: Any = None):
    """Draws, incident uniforms, believed draws and per-size outputs of ``n``
    scenarios (``stats[i, size, column]``, with the path columns if on);
    ``kernel``: see :class:`Reducer`."""
    if design is None:
        design = build_design("random", 0, first + n, plan.n_dims)
    draws = np.empty((n, plan.n_sampled))
    incident_u = np.empty((n, plan.horizon))
    extra_u = np.empty((n, plan.n_belief_dims))
    belief_draws = np.empty((n, len(plan.belief_keys)))
    stats = np.zeros((n, plan.n_rows, plan.n_columns))
    (kernel or kernels_for(plan)).sample_range(key, first, n, BLOCK, *kernel_args(plan, design), model_args(plan),
                         plan.log_sizes, plan.log_n_ref,
                         plan.horizon, draws, incident_u, extra_u, belief_draws, stats)
    return draws, incident_u, belief_draws, stats


def chunk_layout(n_from: int, n_to: int, blocks_per_chunk: int) -> list[tuple[int, int]]:
    """``(first_block, n_blocks)`` of the chunks of scenarios ``n_from .. n_to - 1``
    (``n_from`` a whole number of blocks)."""
    if n_from % BLOCK:
        raise SimError("internal: cannot advance past a partial block")
    first, last = n_from // BLOCK, math.ceil(n_to / BLOCK)
    return [(b, min(blocks_per_chunk, last - b)) for b in range(first, last, blocks_per_chunk)]


def blocks_per_chunk(chunk_size: int | None) -> int:
    """Whole blocks per chunk for a ``chunk_size`` in scenarios (None: the default)."""
    chunk = DEFAULT_CHUNK if chunk_size is None else int(chunk_size)
    if chunk < 1:
        raise SimError(f"chunk_size: expected a positive integer, got {chunk_size!r}")
    return max(1, math.ceil(chunk / BLOCK))


def pilot(plan: Plan, key, design: Design, kernel: Any = None) -> tuple[Histograms, NonFinite | None]:
    """Histogram ranges from the pilot, scenarios ``0 .. PILOT-1`` (the same
    for any chunking), with no lanes; and where the pilot's statistics are
    not finite (None when they all are: a caller refuses the run otherwise)."""
    pilot_n = min(design.n, PILOT)
    draws, _, _, stats = sample_arrays(plan, key, 0, pilot_n, design, kernel)
    finding = NonFinite.of_pilot(draws, stats)
    hist_cols = histogram_columns(plan)
    pilot_values = stats[:, :, hist_cols].reshape(pilot_n, -1)
    # Ranges of NaN, computed quietly: the caller refuses the run. A finite
    # pilot keeps the caller's floating-point error settings.
    quiet = finding is not None
    with warnings.catch_warnings(), np.errstate(all="ignore") if quiet else contextlib.nullcontext():
        if quiet:  # nanmedian of all-NaN columns warns through warnings, not errstate
            warnings.simplefilter("ignore", RuntimeWarning)
        offset, scale = (industry_histogram_maps(stats, plan.horizon, hist_cols) if plan.industry
                         else histogram_maps(stats, hist_cols))
        ranges = Histograms.from_pilot(pilot_values, 0, offset=offset, scale=scale)
    return ranges, finding


def pilot_ranges(plan: Plan, key, design: Design) -> Histograms:
    """The histogram ranges of :func:`pilot`."""
    return pilot(plan, key, design)[0]


class _PendingLanes:
    """Histogram lanes not yet folded into a reducer's histograms, and how
    many scenarios they hold (a holder, so that the reducer's saved state
    never includes them)."""

    __slots__ = ("lanes", "count")

    def __init__(self) -> None:
        self.lanes: np.ndarray | None = None
        self.count = 0


#: Blocks a kernel lane may count before it is folded (``LANE_LIMIT``
#: scenarios: :mod:`sim.kernels.accumulators`).
LANE_BLOCKS = accumulators.LANE_LIMIT // BLOCK


class Reducer:
    """Streams scenarios ``0, 1, 2, ...`` through the kernel, block by block.

    ``advance(n)`` evaluates scenarios up to ``n`` (a multiple of the block
    size, except for the last call); ``result()`` returns the reduction so
    far. Because blocks and the histogram pilot are fixed, the state after
    ``advance(n)`` is the same however the work was split. ``ranges`` are the
    pilot's histogram ranges (:func:`pilot_ranges`), computed here if not
    given; ``pilot_finding`` says whether its statistics were finite (the
    pilot's :class:`NonFinite`, or None), found here or given with ``ranges``.

    Without a ``chunk_size``, chunks computed here are sized to take about
    :data:`CHUNK_SECONDS` (at most :data:`DEFAULT_CHUNK` scenarios). Each
    chunk is one :func:`sim.services.signals.deferred` step, so an interrupt lands
    between chunks, when the state is whole: :meth:`state` is then every
    array of it, which :meth:`load_state` puts back (checkpoints).

    ``kernel`` is the set of kernels to run, anything with the
    ``reduce_chunk`` and ``sample_range`` of :mod:`sim.kernels.reduce` (the
    default); a benchmark passes another implementation of them here.
    """

    def __init__(self, plan: Plan, seed: int, design: Design, chunk_size: int | None = None,
                 ranges: Histograms | None = None, voi: bool = False,
                 pilot_finding: NonFinite | None = None, kernel: Any = None):
        self.start = time.perf_counter()
        self.kernel = kernels_for(plan) if kernel is None else kernel
        self.plan = plan
        self.design = design
        self.key = key_from_seed(seed)
        self.blocks_per_chunk = blocks_per_chunk(chunk_size)
        self.adaptive = chunk_size is None
        # Adaptive chunks start at one block per thread and grow from there.
        self.chunk_blocks = min(self.blocks_per_chunk, max(1, thread_count()))
        self.elapsed_before = 0.0  # seconds of earlier sessions (a resumed checkpoint)
        self.n = 0
        n_sizes = plan.n_rows  # a row per alternative (strategy, size)
        n_cols = plan.n_columns
        # Pilot: the first scenarios set the histogram ranges (the same for any
        # chunking, since they are always scenarios 0 .. PILOT-1).
        self.hist_cols = histogram_columns(plan)
        #: Non-finite statistics in the pilot (None when all are finite).
        self.pilot_finding = pilot_finding
        if ranges is None:
            ranges, self.pilot_finding = pilot(plan, self.key, design, self.kernel)
        self.ranges = ranges
        self._hist = self.ranges.with_lanes(1)  # every chunk's lanes, merged (see hist)
        #: Lanes that chunks run here add to, folded into ``hist`` when it is read.
        self._pending = _PendingLanes()
        self.total_n = np.zeros(1, dtype=np.int64)
        self.mean = np.zeros((n_sizes, n_cols))
        self.m2 = np.zeros((n_sizes, n_cols))
        R = design.n_replicates
        self.rep_n = np.zeros(R, dtype=np.int64)
        self.rep_mean = np.zeros((R, n_sizes, n_cols))
        self.rep_m2 = np.zeros((R, n_sizes, n_cols))
        #: Shape after the block axis and dtype of every BLOCKS array of a chunk.
        self.block_shapes: dict[str, tuple[tuple[int, ...], Any]] = {
            "block_n": ((), np.int64),
            "block_mean": ((n_sizes, n_cols), np.float64),
            "block_m2": ((n_sizes, n_cols), np.float64),
        }
        #: Totals of the BLOCKS arrays that are sums (all but MOMENT_FIELDS).
        self.sums: dict[str, np.ndarray] = {}
        self.args = kernel_args(plan, design) + (model_args(plan),)
        # Value of information (specification section 12): objective sums per
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
            self.block_shapes["voi_sum"] = ((n_par, bins, n_sizes), np.float64)
            self.block_shapes["voi_count"] = ((n_par, bins), np.float64)
            self.grouped = {name: np.zeros((self.voi_groups,) + self.block_shapes[name][0])
                            for name in ("voi_sum", "voi_count")}
            self.voi_key = np.uint64(self.key) ^ np.uint64(DUMMY_SALT)
        else:
            self.voi_dims = None
            self.grouped = {}

    def layout(self, n_to: int) -> list[tuple[int, int]]:
        """``(first_block, n_blocks)`` of the chunks from here to ``n_to``:
        the fixed split that ``advance`` uses, wherever the chunks run."""
        return chunk_layout(self.n, n_to, self.blocks_per_chunk)

    @property
    def hist(self) -> Histograms:
        """Every chunk's histograms, merged: the lanes that chunks run here
        added to are folded in first (once per read, not once per chunk:
        merging and allocating the lanes took a tenth of a one-thread run)."""
        self._fold_pending()
        return self._hist

    def _fold_pending(self) -> None:
        """Fold the lanes local chunks added to into the merged histograms."""
        lanes = self._pending.lanes
        if lanes is not None:
            self._pending.lanes = None
            self._pending.count = 0
            self._hist.absorb(lanes)

    def compute_chunk(self, first_block: int, n_blocks: int, n_to: int,
                      lanes: np.ndarray | None = None) -> ChunkState:
        """Run the kernel on blocks ``first_block .. first_block + n_blocks - 1``
        (scenarios below ``n_to``) with fresh arrays; the state of the reducer
        is not touched. With ``lanes`` (at least one per thread, holding room
        for ``n_blocks`` more blocks: :data:`LANE_BLOCKS`), the histograms are
        added to them instead of to the state's."""
        arrays = {name: np.zeros((n_blocks,) + shape, dtype=dtype)
                  for name, (shape, dtype) in self.block_shapes.items()}
        plan, hist = self.plan, self.ranges
        threads = max(1, min(thread_count(), n_blocks))
        fresh = lanes is None
        if fresh:
            lanes = hist.empty_lanes(threads)  # one per thread
            merged = hist.with_lanes(1)
        elif lanes.shape[0] < threads:
            raise SimError(f"internal: {lanes.shape[0]} histogram lanes for {threads} threads")
        elif n_blocks > LANE_BLOCKS:
            raise SimError(f"internal: {n_blocks} blocks for lanes that hold {LANE_BLOCKS}")
        voi = self._voi_args(arrays)
        kernel, args = self.kernel.reduce_chunk, self.args
        # What the kernel sketches in each row; derived from the plan, so
        # made here and not kept as an array (every array of the reducer is
        # checkpoint state).
        slots = sketched_slots(plan)

        def block(lane: int, b: int) -> None:
            kernel(self.key, first_block + b, 1, n_to, BLOCK, *args,
                   plan.log_sizes, plan.log_n_ref, plan.horizon,
                   slots, hist.lo, hist.inv_width, hist.offset, hist.scale, hist.n_bins,
                   lanes[lane:lane + 1], arrays["block_n"][b:b + 1], arrays["block_mean"][b:b + 1],
                   arrays["block_m2"][b:b + 1], voi_of_block(voi, b), 0, NOTHING_KEPT)

        # A lane holds LANE_BLOCKS blocks: a longer chunk folds its fresh
        # lanes between groups of blocks (counts, extremes: in any order).
        for g0 in range(0, max(n_blocks, 1), LANE_BLOCKS):
            if g0 > 0:
                merged.absorb(lanes)
                lanes = hist.empty_lanes(threads)
            over_blocks(min(LANE_BLOCKS, n_blocks - g0), threads,
                        lambda lane, b, g0=g0: block(lane, g0 + b))
        if fresh:
            merged.absorb(lanes)
            arrays["hist"] = merged.data
        return ChunkState(first_block, n_blocks, n_to, arrays,
                          {name: STATE_RULES[name] for name in arrays})

    def absorb_histograms(self, state: ChunkState) -> ChunkState:
        """Fold the histograms of ``state`` in now (they merge in any order)
        and return the rest of it, for :meth:`merge_chunk` in block order."""
        for name in state.names(HISTOGRAM):
            self.hist.absorb(state[name])
        rest = {name: a for name, a in state.arrays.items() if state.rules[name] != HISTOGRAM}
        return ChunkState(state.first_block, state.n_blocks, state.n_to, rest,
                          {name: state.rules[name] for name in rest})

    def merge_chunk(self, state: ChunkState) -> None:
        """Fold ``state`` in: it must be the next chunk in block order."""
        if self.n % BLOCK or state.first_block != self.n // BLOCK:
            raise SimError(f"internal: chunks merge in block order: expected block "
                           f"{self.n // BLOCK} (after {self.n:,} scenarios), got block "
                           f"{state.first_block}")
        unknown = {name: rule for name, rule in state.rules.items()
                   if STATE_RULES.get(name) != rule}
        if unknown or any(name not in state for name in MOMENT_FIELDS):
            raise SimError(f"internal: a chunk's state does not match STATE_RULES: {unknown}")
        nb = state.n_blocks
        for name in state.names(HISTOGRAM):
            self.hist.absorb(state[name])
        accumulators.merge_blocks(self.total_n, self.mean, self.m2, state["block_n"],
                                  state["block_mean"], state["block_m2"], nb)
        if self.design.replicated:
            accumulators.merge_blocks_by_replicate(
                self.rep_n, self.rep_mean, self.rep_m2, state["block_n"], state["block_mean"],
                state["block_m2"], state.first_block, nb)
        for name in state.names(GROUPED):  # block b into group b % G, in block order
            for b in range(nb):
                self.grouped[name][(state.first_block + b) % self.voi_groups] += state[name][b]
        for name in state.names(BLOCKS):
            if name in MOMENT_FIELDS:
                continue
            blocks = state[name]
            total = self.sums.setdefault(name, np.zeros(blocks.shape[1:], dtype=blocks.dtype))
            for b in range(nb):  # in block order, so the float sums are fixed
                total += blocks[b]
        self.n = state.stop

    def advance(self, n_to: int, progress: Any = None, executor: Any = None,
                between: Callable[[Reducer], None] | None = None) -> None:
        """Evaluate scenarios up to ``n_to`` (chunks by ``executor`` if given).
        After every chunk, ``progress`` (a tqdm-like bar) is updated and
        ``between(self)`` is called: the state is whole there, so it may be
        saved. A reducer already at ``n_to`` (a resumed run that had
        finished) has nothing to do."""
        if n_to <= self.n:
            return
        if executor is not None:
            states = executor.states(self, self.layout(n_to), n_to, progress)
            for state in states:
                with signals.deferred():
                    self.merge_chunk(state)
                if between is not None:
                    between(self)
            return
        if self.n % BLOCK and n_to > self.n:
            raise SimError("internal: cannot advance past a partial block")
        first_block, last_block = self.n // BLOCK, math.ceil(n_to / BLOCK)
        while first_block < last_block:
            nb = min(self.chunk_blocks if self.adaptive else self.blocks_per_chunk,
                     last_block - first_block, LANE_BLOCKS)
            began = time.perf_counter()
            before = self.n
            with signals.deferred():  # an interrupt waits for the whole chunk
                self.merge_chunk(self.compute_chunk(first_block, nb, n_to, self._local_lanes(nb)))
            if self.adaptive:
                self._tune(nb, time.perf_counter() - began)
            if progress is not None:
                progress.update(self.n - before)
            if between is not None:
                between(self)
            first_block += nb

    def _local_lanes(self, n_blocks: int) -> np.ndarray:
        """The lanes the next ``n_blocks`` blocks run here add to, one per
        thread: new ones after ``hist`` was read, the thread count grew or
        the lanes would pass :data:`LANE_BLOCKS` (the old ones folded first)."""
        lanes, threads = self._pending.lanes, thread_count()
        if (lanes is None or lanes.shape[0] < threads
                or self._pending.count + n_blocks > LANE_BLOCKS):
            self._fold_pending()
            lanes = self._pending.lanes = self.ranges.empty_lanes(threads)
        self._pending.count += n_blocks
        return lanes

    def _tune(self, nb: int, seconds: float) -> None:
        """The next chunk's blocks: about CHUNK_SECONDS of work, growing at
        most twofold a step (the first chunk may include compilation)."""
        per_block = seconds / nb
        want = int(CHUNK_SECONDS / per_block) if per_block > 0 else self.blocks_per_chunk
        self.chunk_blocks = max(1, min(self.blocks_per_chunk, want, 2 * nb))

    def warm_up(self) -> None:
        """Compile (or load from the cache) the chunk kernel: a chunk of no
        blocks, which changes nothing."""
        self.compute_chunk(self.n // BLOCK, 0, self.n)

    # ------------------------------------------------------------ checkpoints
    def state(self) -> dict[str, np.ndarray]:
        """Every array of the streaming state, by name: the reducer's
        (``reducer.NAME``), its per-block sums (``sums.NAME``) and grouped
        sums (``grouped.NAME``), and its merged histograms' (``hist.NAME``).
        Arrays added to any of these are included without further code. With
        ``n``, this is all a checkpoint needs."""
        out = {f"reducer.{k}": v for k, v in vars(self).items() if isinstance(v, np.ndarray)}
        out.update({f"sums.{k}": v for k, v in self.sums.items()})
        out.update({f"grouped.{k}": v for k, v in self.grouped.items()})
        out.update({f"hist.{k}": v for k, v in vars(self.hist).items()
                    if isinstance(v, np.ndarray)})
        return out

    def load_state(self, arrays: dict[str, np.ndarray], n: int) -> None:
        """Put back a :meth:`state` saved from a reducer of the same plan,
        seed and design. Every array must be there with its shape and dtype
        (per-lane histogram arrays may have another number of lanes; sums
        appear once a chunk has written them)."""
        mine = self.state()
        missing = sorted(set(mine) - set(arrays))
        extra = sorted(k for k in set(arrays) - set(mine) if not k.startswith("sums."))
        if missing or extra:
            raise SimError("the checkpoint does not match this version's state "
                           f"(missing: {', '.join(missing) or 'none'}; unknown: "
                           f"{', '.join(extra) or 'none'})")
        for name, value in arrays.items():
            if name not in mine:
                continue
            here = mine[name]
            per_lane = name.startswith("hist.") and name[5:] in Histograms.PER_LANE
            same = (value.shape[1:] == here.shape[1:]) if per_lane else value.shape == here.shape
            if not same or value.dtype != here.dtype:
                raise SimError(f"the checkpoint's {name} is {value.dtype}{list(value.shape)}, "
                               f"this run's is {here.dtype}{list(here.shape)}")
        for name, value in arrays.items():
            group, _, attr = name.partition(".")
            value = np.array(value, copy=True)
            if group == "reducer":
                setattr(self, attr, value)
            elif group == "hist":
                setattr(self.hist, attr, value)
            elif group == "sums":
                self.sums[attr] = value
            else:
                self.grouped[attr] = value
        self.n = int(n)

    def _voi_args(self, arrays: dict) -> tuple:
        """The kernel's VOI argument: this chunk's fresh per-block sums, or none."""
        if self.voi_dims is None:
            return no_voi(self.plan)
        return (self.voi_dims, self.voi_key, self.plan.voi_bins, arrays["voi_sum"],
                arrays["voi_count"])

    def result(self) -> Reduction:
        count, vmin, vmax, at_min, at_max = self.hist.merged()
        if self.design.replicated:
            rep = (self.rep_n.copy(), self.rep_mean.copy(), self.rep_m2.copy())
        else:
            rep = (self.total_n.copy(), self.mean[None].copy(), self.m2[None].copy())
        return Reduction(n=int(self.total_n[0]), mean=self.mean.copy(), m2=self.m2.copy(),
                         hist_count=count, hist_min=vmin, hist_max=vmax, hist_at_min=at_min,
                         hist_at_max=at_max, rep_n=rep[0], rep_mean=rep[1], rep_m2=rep[2],
                         elapsed=self.elapsed_before + time.perf_counter() - self.start,
                         hist_cols=self.hist_cols, hist_alias=histogram_aliases(self.plan),
                         n_sizes=self.plan.n_sizes, hist_size_free=size_free_columns(self.plan),
                         voi_sum=None if self.voi_dims is None else self.grouped["voi_sum"].copy(),
                         voi_count=None if self.voi_dims is None else self.grouped["voi_count"].copy(),
                         sums={k: v.copy() for k, v in self.sums.items()})


def histogram_maps(pilot: np.ndarray, hist_cols) -> tuple[np.ndarray, np.ndarray]:
    """Offset and scale of each histogram's coordinate, flattened like
    ``pilot[:, size, hist_cols]``: ROI-like statistics as multiples of the
    investment (offset 1, scale 1000); net value in USD relative to a
    thousandth of the pilot's median investment at that size."""
    n_sizes = pilot.shape[1]
    offset = np.ones((n_sizes, len(hist_cols)))
    scale = np.full((n_sizes, len(hist_cols)), SCALE)
    cols = list(hist_cols)
    for k, by in ((cols.index(NET_VALUE), INVESTMENT), (cols.index(COST_Y1), COST_Y1),
                  (cols.index(PRICE_Y1), PRICE_Y1)):
        median = np.nanmedian(np.abs(pilot[:, :, by]), axis=0)
        offset[:, k] = 0.0
        scale[:, k] = SCALE / np.where(np.isfinite(median) & (median > 0), median, 1.0)
    return offset.ravel(), scale.ravel()


def industry_histogram_maps(pilot: np.ndarray, horizon: int, hist_cols) -> tuple[np.ndarray, np.ndarray]:
    """Offset and scale of the industry frame's histograms: ratios (margin,
    Q, returns) as returns are (offset 1, scale 1000); every other path in
    its units relative to a thousandth of the pilot's median of that path
    over all years (one scale per path, so years share a resolution)."""
    offset = np.ones(len(hist_cols))
    scale = np.full(len(hist_cols), SCALE)
    by_column = {}
    for f in industry_outputs.FIELDS:
        if f.name in industry_outputs.SKETCHED and f.name not in industry_outputs.RATIO_LIKE:
            cols = industry_outputs.columns(horizon, f.index)
            median = float(np.nanmedian(np.abs(pilot[:, 0, cols]))) if len(pilot) else math.nan
            factor = SCALE / (median if math.isfinite(median) and median > 0 else 1.0)
            by_column.update(dict.fromkeys(cols, factor))
    for k, col in enumerate(hist_cols):
        if int(col) in by_column:
            offset[k] = 0.0
            scale[k] = by_column[int(col)]
    return offset, scale


def reduce(plan: Plan, seed: int, n: int, chunk_size: int | None = None,
           progress: Any = None, design: Design | None = None, executor: Any = None,
           voi: bool = False, kernel: Any = None) -> Reduction:
    """Evaluate ``n`` scenarios and reduce them to moments and histograms
    (the chunks computed by ``executor`` if given, else here; with ``voi``,
    the sums behind EVPPI; ``kernel``: see :class:`Reducer`)."""
    if design is None:
        design = build_design("random", seed, n, plan.n_dims)
    reducer = make_reducer(plan, seed, design, chunk_size, executor, voi=voi, kernel=kernel)
    reducer.advance(n, progress, executor)
    return reducer.result()


def make_reducer(plan: Plan, seed: int, design: Design, chunk_size, executor: Any,
                 voi: bool = False, kernel: Any = None) -> Reducer:
    """A reducer whose pilot runs here, or on ``executor``, which then says
    too whether the pilot's statistics were finite (``pilot_finding``);
    ``kernel``: see :class:`Reducer` (here only: an executor runs the engine's)."""
    if executor is None:
        return Reducer(plan, seed, design, chunk_size, voi=voi, kernel=kernel)
    if kernel is not None:
        raise SimError("internal: an executor runs the engine's own kernels; pass kernel= without one")
    ranges, finding = executor.pilot(plan, seed, design, voi)
    return Reducer(plan, seed, design, chunk_size, ranges, voi=voi, pilot_finding=finding)


@dataclass(frozen=True)
class Target:
    """Stopping rule: add scenarios until ``statistic``'s standard error is at
    most ``se`` for every model size, or ``max_scenarios`` is reached."""

    se: float
    statistic: str = "roi_mean"
    max_scenarios: int = 100_000_000

    def stat_index(self) -> int:
        if self.statistic not in STAT_BY_NAME:
            raise SimError(f"target_statistic: expected one of {', '.join(STAT_BY_NAME)}, "
                           f"got {self.statistic!r}")
        return STAT_BY_NAME[self.statistic]


def reduce_to_target(plan: Plan, seed: int, n_start: int, sampler: str, target: Target,
                     chunk_size, progress, executor: Any = None) -> tuple[Reduction, dict]:
    """Add scenarios (n, 2n, 4n, ...) until ``target`` is met or its cap."""
    n, cap_n, design = target_schedule(plan, seed, n_start, sampler, target)
    reducer = make_reducer(plan, seed, design, chunk_size, executor)
    return advance_to_target(reducer, target, n, cap_n, progress, executor)


def target_schedule(plan: Plan, seed: int, n_start: int, sampler: str,
                    target: Target) -> tuple[int, int, Design]:
    """The first checkpoint ``n`` of a target run, its cap, and the design
    (built for the cap)."""
    if not (isinstance(target.se, (int, float)) and target.se > 0):
        raise SimError(f"target_se: expected a positive number, got {target.se!r}")
    if sampler == "lhs":
        raise SimError("sampler 'lhs' stratifies over all n scenarios, which must be known in "
                       "advance: use sampler='random' or 'sobol' with a target standard error")
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
                      executor: Any = None, between: Callable[[Reducer], None] | None = None
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
        reducer.advance(n, progress, executor, between)
        red = reducer.result()
        achieved = float(np.max(red.standard_error()[:, k]))
        if achieved <= target.se or n >= cap_n:
            break
        n = min(2 * n, cap_n)
    info = {"target_se": float(target.se), "target_statistic": target.statistic,
            "target_reached": int(achieved <= target.se), "achieved_se": achieved,
            "max_scenarios": int(check_n(target.max_scenarios, "max_scenarios"))}
    return red, info
