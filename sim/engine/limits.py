"""Guards against requests too large to start without asking.

The command line runs with :meth:`Limits.command_line`; ``--yes`` lifts them.
The library has no limits unless a caller passes some. Three checks:

* **cells**: model sizes times sweep points, before any scenario is built
  (a 100,000-point sweep used to grow memory while it was validated);
* **memory**: the pilot's draws, the histograms (one set per thread) and the
  result, estimated before the pilot (10,000 model sizes took 11.8 GB);
* **samples**: the raw draws of ``sim.sample`` (``sim run --save-samples``),
  held in memory and written whole, estimated from a probe of a few
  scenarios before they are drawn;
* **time**: measured on the run itself. After :data:`PROBE_SECONDS` of
  sampling, the rate so far gives the time left; a run that would take longer
  than the limit stops there, having cost a second (``-n 1e12`` would have
  run for weeks).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sim.kernels.accumulators import LANE_FIELDS, N_BINS
from sim.vocab.errors import NeedsConfirmation
from sim.vocab.layout import PILOT
from sim.vocab.outputs import HISTOGRAMS, N_STATS, V3_HISTOGRAMS
from sim.vocab.units import duration

__all__ = ["LIMIT_BYTES", "LIMIT_CELLS", "LIMIT_SAMPLE_BYTES", "LIMIT_SECONDS", "PROBE_SECONDS", "Limits", "TimeGuard",
           "duration", "estimate_bytes"]

LIMIT_SECONDS = 3600.0  # an hour
LIMIT_BYTES = 4 * 2**30  # 4 GiB
LIMIT_CELLS = 10_000  # model sizes x sweep points
LIMIT_SAMPLE_BYTES = 2**30  # 1 GiB of raw draws
PROBE_SECONDS = 0.5
#: Values stored per model size in a result (quantile functions dominate).
RESULT_VALUES_PER_SIZE = 2200
BLOCKS_PER_CHUNK = 64

ASK = "pass limits=Limits() to run it anyway"


@dataclass(frozen=True)
class Limits:
    """Largest request that runs without confirmation (None: no limit)."""

    seconds: float | None = None
    bytes: int | None = None
    cells: int | None = None
    sample_bytes: int | None = None

    @classmethod
    def command_line(cls) -> Limits:
        return cls(LIMIT_SECONDS, LIMIT_BYTES, LIMIT_CELLS, LIMIT_SAMPLE_BYTES)

    def check_cells(self, n_sizes: int, points: int = 1) -> None:
        cells = n_sizes * points
        if self.cells is not None and cells > self.cells:
            what = f"{n_sizes:,} model sizes" + (f" x {points:,} sweep points" if points > 1 else "")
            raise NeedsConfirmation(f"{what} is {cells:,} results, more than {self.cells:,}; "
                                    f"{ASK}, or use fewer values")

    def check_bytes(self, n_bytes: int) -> None:
        if self.bytes is not None and n_bytes > self.bytes:
            raise NeedsConfirmation(f"this run needs about {n_bytes / 2**30:.1f} GiB of memory, "
                                    f"more than {self.bytes / 2**30:.0f} GiB; {ASK}, or use "
                                    "fewer model sizes or sweep points")


    def check_sample_bytes(self, n_bytes: int) -> None:
        if self.sample_bytes is not None and n_bytes > self.sample_bytes:
            raise NeedsConfirmation(f"the raw draws would take about {_size(n_bytes)} (in memory and "
                                    f"on disk), more than {_size(self.sample_bytes)}; {ASK}, or "
                                    "lower n_scenarios")


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 2**30:.1f} GiB" if n_bytes >= 2**30 / 10 else f"{n_bytes / 2**20:.1f} MiB"


def estimate_bytes(n_rows: int, n_scenarios: int, n_dims: int, n_threads: int,
                   points: int = 1, n_columns: int = N_STATS,
                   n_hist: int = len(HISTOGRAMS) + len(V3_HISTOGRAMS)) -> int:
    """Peak memory of a run (or sweep) with ``n_rows`` result rows (model
    sizes, times strategies) of ``n_columns`` statistics, ``n_hist`` of them
    sketched: dominated by the pilot's statistics and the per-thread
    histograms."""
    # The pilot's statistics, held about three times over while the pilot is
    # checked and the histogram ranges are set (masks, column copies, sorts).
    pilot = 3 * min(n_scenarios, PILOT) * (n_rows * n_columns + n_dims) * 8
    hist = n_threads * n_rows * n_hist * (N_BINS + 2) * LANE_FIELDS * 8  # the threads' lanes
    blocks = 2 * BLOCKS_PER_CHUNK * n_rows * n_columns * 8
    results = 2 * points * n_rows * RESULT_VALUES_PER_SIZE * 8
    return pilot + hist + blocks + results


class TimeGuard:
    """Called between chunks with the scenarios done so far; after
    :data:`PROBE_SECONDS` it estimates the whole run once, and stops a run
    that would exceed the limit."""

    def __init__(self, limit: float | None, total: int | None):
        self.limit = limit
        self.total = total
        self.origin: tuple[float, int] | None = None  # the first chunk's end: no compile in it
        self.checked = limit is None or not total

    def __call__(self, done: int) -> None:
        if self.checked:
            return
        now = time.perf_counter()
        if self.origin is None:
            self.origin = (now, done)
            return
        spent = now - self.origin[0]
        if spent < PROBE_SECONDS or done <= self.origin[1]:
            return
        self.checked = True
        rate = (done - self.origin[1]) / spent
        left = (self.total - done) / rate
        if left > self.limit:
            raise NeedsConfirmation(
                f"this run would take about {duration(left)} more ({self.total:,} scenarios "
                f"at {rate:,.0f} a second, measured), more than {duration(self.limit)}; {ASK}, "
                "lower n_scenarios, or add checkpoint=FILE so that it can be stopped and resumed")
