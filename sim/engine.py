"""Run a scenario: chunks of scenarios through the kernels, reduced as we go.

``run`` returns summary statistics per model size; ``sample`` returns the raw
draws. Results depend only on (scenario, seed, n_scenarios): scenario ``s``
always uses the same uniforms (:mod:`sim.rng`), moments are merged in fixed
block order, and histogram counts are exact (:mod:`sim.reductions`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numba
import numpy as np

from . import kernels, reductions
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
    elapsed: float

    def histogram(self, h: int) -> tuple[np.ndarray, ...]:
        """Count, min, max, count at min and count at max of histogram ``h``
        (2j: ROI of size j, 2j+1: expected ROI of size j)."""
        return (self.hist_count[h], self.hist_min[h], self.hist_max[h],
                self.hist_at_min[h], self.hist_at_max[h])


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


def sample_arrays(plan: Plan, key, first: int, n: int):
    """Draws, incident uniforms and per-size statistics of ``n`` scenarios."""
    draws = np.empty((n, plan.n_sampled))
    incident_u = np.empty((n, plan.horizon))
    stats = np.empty((n, plan.n_sizes, N_STATS))
    kernels.sample_range(key, first, n, *plan_args(plan), plan.log_sizes, plan.log_n_ref,
                         plan.horizon, draws, incident_u, stats)
    return draws, incident_u, stats


def reduce(plan: Plan, seed: int, n: int, chunk_size: int | None = None,
           progress: Any = None) -> Reduction:
    """Evaluate ``n`` scenarios and reduce them to moments and histograms."""
    start = time.perf_counter()
    key = key_from_seed(seed)
    block = reductions.BLOCK
    chunk = DEFAULT_CHUNK if chunk_size is None else int(chunk_size)
    if chunk < 1:
        raise SimError(f"chunk_size: expected a positive integer, got {chunk_size!r}")
    blocks_per_chunk = max(1, math.ceil(chunk / block))
    n_blocks_total = math.ceil(n / block)

    # Pilot: the first scenarios set the histogram ranges (the same for any
    # chunking, since they are always scenarios 0 .. PILOT-1).
    pilot_n = min(n, reductions.PILOT)
    _, _, pilot = sample_arrays(plan, key, 0, pilot_n)
    pilot_values = pilot[:, :, [ROI, ROI_EXPECTED]].reshape(pilot_n, -1)
    n_lanes = numba.get_num_threads()
    hist = reductions.Histograms.from_pilot(pilot_values, n_lanes)

    total_n = np.zeros(1, dtype=np.int64)
    mean = np.zeros((plan.n_sizes, N_STATS))
    m2 = np.zeros((plan.n_sizes, N_STATS))
    block_n = np.zeros(blocks_per_chunk, dtype=np.int64)
    block_mean = np.zeros((blocks_per_chunk, plan.n_sizes, N_STATS))
    block_m2 = np.zeros((blocks_per_chunk, plan.n_sizes, N_STATS))
    args = plan_args(plan)
    for first_block in range(0, n_blocks_total, blocks_per_chunk):
        nb = min(blocks_per_chunk, n_blocks_total - first_block)
        kernels.reduce_chunk(key, first_block, nb, n, block, *args,
                             plan.log_sizes, plan.log_n_ref, plan.horizon,
                             hist.lo, hist.inv_width, hist.n_bins,
                             hist.count, hist.min, hist.max, hist.at_min, hist.at_max,
                             block_n, block_mean, block_m2)
        reductions.merge_blocks(total_n, mean, m2, block_n, block_mean, block_m2, nb)
        if progress is not None:
            progress.update(min(n, (first_block + nb) * block) - min(n, first_block * block))
    count, vmin, vmax, at_min, at_max = hist.merged()
    return Reduction(n=int(total_n[0]), mean=mean, m2=m2, hist_count=count,
                     hist_min=vmin, hist_max=vmax, hist_at_min=at_min, hist_at_max=at_max,
                     elapsed=time.perf_counter() - start)


def run(scenario_or_path, n_scenarios: int = 1_000_000, seed: int = 0,
        quantiles: Sequence[float] = DEFAULT_QUANTILES, *,
        overrides: Mapping[str, Any] | None = None, chunk_size: int | None = None,
        progress: bool = False):
    """Simulate ``n_scenarios`` scenarios and summarise ROI per model size.

    Returns an :class:`xarray.Dataset` (see :mod:`sim.results` for the
    variables). The same scenario, seed and ``n_scenarios`` give the same
    numbers whatever the thread count or ``chunk_size``.
    """
    from .results import build_dataset

    scenario = _scenario(scenario_or_path, overrides)
    n = _check_n(n_scenarios)
    seed = _check_seed(seed)
    q = _check_quantiles(quantiles)
    plan = build_plan(scenario)
    bar = _progress_bar(n, progress)
    try:
        red = reduce(plan, seed, n, chunk_size, bar)
    finally:
        if bar is not None:
            bar.close()
    return build_dataset(scenario, plan, red, seed, q)


def sample(scenario_or_path, n_scenarios: int, seed: int = 0, *,
           overrides: Mapping[str, Any] | None = None):
    """The raw draws that :func:`run` reduces for the same seed.

    One variable per sampled parameter (dimension ``scenario``), the yearly
    incident uniforms, and ``roi``, ``roi_expected`` and the other per-size
    quantities (``scenario``, ``model_size``).
    """
    from .results import build_sample_dataset

    scenario = _scenario(scenario_or_path, overrides)
    n = _check_n(n_scenarios)
    seed = _check_seed(seed)
    plan = build_plan(scenario)
    draws, incident_u, stats = sample_arrays(plan, key_from_seed(seed), 0, n)
    return build_sample_dataset(scenario, plan, draws, incident_u, stats, seed)


def _progress_bar(n: int, progress):
    if not progress:
        return None
    from tqdm.auto import tqdm

    # Shown only if the run lasts more than a couple of seconds.
    return tqdm(total=n, unit=" scenarios", unit_scale=True, delay=1.5,
                desc="simulating", leave=False, dynamic_ncols=True)
