"""Sampling designs: where each scenario's uniforms come from.

* ``random``: independent uniforms from the counter-based stream (:mod:`sim.kernels.sampling.rng`).
* ``lhs``: Latin hypercube. Replicate ``r`` holds ``m_r`` scenarios; in every
  dimension its scenario ``i`` falls in stratum ``perm_{r,d}(i)`` of ``m_r``
  equal strata, with a uniform jitter inside. The permutation is a keyed
  bijection of ``[0, m_r)`` (Kensler's hash-based ``permute``), so any
  scenario's uniforms are computed on their own and chunking cannot change
  the design; every stratum is hit exactly once per dimension.
* ``sobol``: scrambled Sobol' points (Joe–Kuo direction numbers, linear
  matrix scrambling and a digital shift, exactly as ``scipy.stats.qmc.Sobol``
  with 52 bits), point ``i`` computed directly from its Gray code.

The structured designs are split into :data:`N_REPLICATES` independent
replicates (independent permutations or scramblings), because the plain
variance formula does not give their error: standard errors come from the
spread of the replicate estimates. Replicates are interleaved by moment block
(block ``b`` belongs to replicate ``b % R``), so each block lies in one
replicate and a growing run extends every replicate alike.
"""

from __future__ import annotations

__all__ = ["Design", "N_REPLICATES", "SAMPLERS", "build_design", "check_sampler",
           "design_size", "replicate_sizes"]

import math
from dataclasses import dataclass

import numpy as np

from sim.vocab.choices import SAMPLERS as SAMPLER_NAMES
from sim.vocab.errors import SimError
from sim.vocab.layout import BLOCK
from sim.kernels.sampling.design_kernels import LHS, RANDOM, SOBOL

SAMPLERS = dict(zip(SAMPLER_NAMES, (RANDOM, LHS, SOBOL)))
N_REPLICATES = 8
SOBOL_BITS = 52


@dataclass(frozen=True)
class Design:
    """The arrays a kernel needs to produce one scenario's uniforms."""

    name: str
    code: int
    n_replicates: int
    replicate_size: np.ndarray  # (R,) int64: LHS strata per replicate
    keys: np.ndarray  # (R, n_dims) uint64: LHS permutation keys
    sobol_v: np.ndarray  # (R, n_dims, 52) uint64: scrambled direction numbers
    sobol_shift: np.ndarray  # (R, n_dims) uint64: digital shifts
    note: str = ""  # what was done to n, if anything

    @property
    def n(self) -> int:
        """Scenarios the design was built for."""
        return int(self.replicate_size.sum())

    @property
    def replicated(self) -> bool:
        return self.code != RANDOM

    def args(self) -> tuple:
        return (self.code, self.n_replicates, self.replicate_size, self.keys,
                self.sobol_v, self.sobol_shift)


def check_sampler(name: str) -> int:
    if name not in SAMPLERS:
        raise SimError(f"sampler: expected one of {', '.join(SAMPLERS)}, got {name!r}")
    return SAMPLERS[name]


def design_size(sampler: str, n: int) -> tuple[int, str]:
    """The number of scenarios a design evaluates for a request of ``n``.

    Sobol' balance properties need a power of two per replicate: ``n`` is
    rounded up to ``R * 2**k`` with at least one moment block per replicate.
    Other designs take ``n`` as it is.
    """
    if SAMPLERS[sampler] != SOBOL:
        return n, ""
    per = max(BLOCK, n / N_REPLICATES)
    m = 1 << math.ceil(math.log2(per))
    total = N_REPLICATES * m
    if total == n:
        return n, ""
    return total, (f"sobol: n rounded up from {n:,} to {total:,} "
                   f"({N_REPLICATES} scrambled replicates of 2^{m.bit_length() - 1} points) "
                   "to keep the balance properties")


def replicate_sizes(n: int, n_replicates: int) -> np.ndarray:
    """Scenarios per replicate when block ``b`` belongs to replicate ``b % R``
    (in closed form: a loop over blocks took minutes for n = 1e12)."""
    n_blocks = -(-n // BLOCK)
    r = np.arange(n_replicates)
    blocks = n_blocks // n_replicates + (r < n_blocks % n_replicates)
    sizes = blocks.astype(np.int64) * BLOCK
    short = n_blocks * BLOCK - n  # the last block is partial by this much
    if n_blocks:
        sizes[(n_blocks - 1) % n_replicates] -= short
    return sizes


def build_design(sampler: str, seed: int, n: int, n_dims: int) -> Design:
    """Design arrays for ``n`` scenarios (``n`` as returned by design_size)."""
    code = check_sampler(sampler)
    R = N_REPLICATES if code != RANDOM else 1
    empty_v = np.zeros((1, 1, 1), dtype=np.uint64)
    empty_s = np.zeros((1, 1), dtype=np.uint64)
    sizes = replicate_sizes(n, R)
    if code == RANDOM:
        return Design(sampler, code, 1, sizes, empty_s, empty_v, empty_s)
    seq = np.random.SeedSequence([seed, 0x5EED, code])
    if code == LHS:
        keys = seq.generate_state(R * n_dims, dtype=np.uint64).reshape(R, n_dims)
        return Design(sampler, code, R, sizes, keys, empty_v, empty_s)
    from scipy.stats import qmc

    if n_dims > qmc.Sobol.MAXDIM:
        raise SimError(f"sampler 'sobol' supports at most {qmc.Sobol.MAXDIM} dimensions, "
                       f"the scenario has {n_dims}")
    v = np.empty((R, n_dims, SOBOL_BITS), dtype=np.uint64)
    shift = np.empty((R, n_dims), dtype=np.uint64)
    for r, child in enumerate(seq.spawn(R)):
        engine = qmc.Sobol(n_dims, scramble=True, bits=SOBOL_BITS, rng=np.random.default_rng(child))
        v[r] = engine._sv
        shift[r] = engine._shift
    return Design(sampler, code, R, sizes, empty_s, v, shift)
