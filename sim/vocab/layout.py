"""The fixed layout of a run: how scenarios are grouped into blocks.

Block ``b`` always holds scenarios ``b*BLOCK ... (b+1)*BLOCK-1``. Blocks are
the unit of work handed to a thread, of the moment sums merged in block order,
and of design replicates (block ``b`` belongs to replicate ``b % R``). The
pilot, scenarios ``0 .. PILOT-1``, sets the histogram ranges. These numbers
are part of what a result means: changing them changes the last bits of every
statistic, so they live here, below everything that uses them. ``SUB_BLOCK``
(scenarios evaluated at once, structure of arrays) changes no result;
``LANES`` (partial sums per moment within a block) is part of the result.
"""

from __future__ import annotations

__all__ = ["BLOCK", "LANES", "MAX_SCENARIOS", "PILOT", "SUB_BLOCK"]

BLOCK = 4096  # scenarios per moment block: fixed, part of the result's definition
PILOT = 16384  # scenarios that set the histogram ranges
SUB_BLOCK = 256  # scenarios a kernel evaluates at once (structure of arrays): speed only
LANES = 64  # partial sums per moment within a block (scenario q adds to lane q % LANES)
MAX_SCENARIOS = 10**12  # the most scenarios a run may ask for (checked by sim.services.checks and the -n option)
