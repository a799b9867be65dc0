"""Sampling designs: where each scenario's uniforms come from.

* ``random``: independent uniforms from the counter-based stream (:mod:`sim.rng`).
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

import math
from dataclasses import dataclass

import numpy as np

from .errors import SimError
from .jit import jit
from .reductions import BLOCK
from .rng import mix64, uniform

RANDOM = 0
LHS = 1
SOBOL = 2
SAMPLERS = {"random": RANDOM, "lhs": LHS, "sobol": SOBOL}
N_REPLICATES = 8
SOBOL_BITS = 52
_TWO_M52 = 2.0 ** -52
_MASK32 = np.uint64(0xFFFFFFFF)


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
    """Scenarios per replicate when block ``b`` belongs to replicate ``b % R``."""
    sizes = np.zeros(n_replicates, dtype=np.int64)
    n_blocks = math.ceil(n / BLOCK)
    for b in range(n_blocks):
        sizes[b % n_replicates] += min(BLOCK, n - b * BLOCK)
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


# ----------------------------------------------------------------- kernels
@jit
def replicate_position(s, n_replicates, block):
    """Replicate of scenario ``s`` and its index within the replicate."""
    b = s // block
    r = b % n_replicates
    return r, (b // n_replicates) * block + (s - b * block)


@jit
def permute(i, length, key):
    """Keyed bijection of ``[0, length)`` (Kensler 2013, "Correlated
    multi-jittered sampling", with cycle walking); ``length < 2**32``."""
    p = key & _MASK32
    w = np.uint64(length - 1)
    w |= w >> np.uint64(1)
    w |= w >> np.uint64(2)
    w |= w >> np.uint64(4)
    w |= w >> np.uint64(8)
    w |= w >> np.uint64(16)
    x = np.uint64(i)
    n = np.uint64(length)
    while True:
        x ^= p
        x = (x * np.uint64(0xE170893D)) & _MASK32
        x ^= p >> np.uint64(16)
        x ^= (x & w) >> np.uint64(4)
        x ^= p >> np.uint64(8)
        x = (x * np.uint64(0x0929EB3F)) & _MASK32
        x ^= p >> np.uint64(23)
        x ^= (x & w) >> np.uint64(1)
        x = (x * (np.uint64(1) | (p >> np.uint64(27)))) & _MASK32
        x = (x * np.uint64(0x6935FA69)) & _MASK32
        x ^= (x & w) >> np.uint64(11)
        x = (x * np.uint64(0x74DCB303)) & _MASK32
        x ^= (x & w) >> np.uint64(2)
        x = (x * np.uint64(0x9E501CC3)) & _MASK32
        x ^= (x & w) >> np.uint64(2)
        x = (x * np.uint64(0xC860A3DF)) & _MASK32
        x &= w
        x ^= x >> np.uint64(5)
        if x < n:
            break
    return np.int64((x + p) % n)


@jit
def sobol_uniform(v, shift, i):
    """Uniform of point ``i`` of one scrambled Sobol' dimension, in (0, 1)."""
    g = np.uint64(i) ^ (np.uint64(i) >> np.uint64(1))
    x = shift
    j = 0
    while g != np.uint64(0):
        if g & np.uint64(1):
            x ^= v[j]
        g >>= np.uint64(1)
        j += 1
    return (np.float64(x) + 0.5) * _TWO_M52


@jit
def fill_design_uniforms(code, n_replicates, replicate_size, keys, sobol_v, sobol_shift,
                         key, s, n_dims, block, u):
    """The ``n_dims`` uniforms of scenario ``s`` under the design."""
    base = np.uint64(s) * np.uint64(n_dims)
    if code == RANDOM:
        for d in range(n_dims):
            u[d] = uniform(key, base + np.uint64(d))
        return
    r, i = replicate_position(s, n_replicates, block)
    if code == LHS:
        m = replicate_size[r]
        for d in range(n_dims):
            stratum = permute(i, m, mix64(keys[r, d]))
            u[d] = (stratum + uniform(key, base + np.uint64(d))) / m
        return
    for d in range(n_dims):
        u[d] = sobol_uniform(sobol_v[r, d], sobol_shift[r, d], i)
