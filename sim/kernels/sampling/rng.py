"""Counter-based uniform random numbers, keyed by scenario and dimension.

Draw ``d`` of scenario ``s`` is output number ``s * n_dims + d`` of the
SplitMix64 sequence started at ``key``: a Weyl counter pushed through
Stafford's 64-bit mixer (the generator Java's ``SplittableRandom`` uses, which
passes BigCrush). Because every draw is a pure function of
``(key, s, d)``, results cannot depend on how scenarios are split into chunks
or threads, and any scenario can be regenerated on its own.
"""

from __future__ import annotations

import numpy as np

from sim.kernels.jit import jit

__all__ = ["U_MAX", "U_MIN", "fill_uniforms", "key_from_seed", "mix64", "uniform"]

GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S12 = np.uint64(12)
_TWO_M52 = 2.0 ** -52

#: Smallest and largest uniform the generator can return (open interval).
U_MIN = 0.5 * _TWO_M52
U_MAX = 1.0 - 0.5 * _TWO_M52


def key_from_seed(seed: int) -> np.uint64:
    """A 64-bit stream key from any non-negative integer seed."""
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    return np.random.SeedSequence(seed).generate_state(1, dtype=np.uint64)[0]


@jit
def mix64(z):
    """Stafford's variant 13 of the MurmurHash3 finalizer (bijective)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@jit
def uniform(key, counter):
    """The ``counter``-th uniform of stream ``key``: ``(k + 1/2) / 2**52`` for
    the top 52 bits ``k``, so exactly representable and never 0 or 1."""
    z = mix64(key + (counter + np.uint64(1)) * GOLDEN_GAMMA)
    return (np.float64(z >> _S12) + 0.5) * _TWO_M52


@jit
def fill_uniforms(key, scenario, n_dims, out):
    """Write the ``n_dims`` uniforms of one scenario into ``out``."""
    base = np.uint64(scenario) * np.uint64(n_dims)
    for d in range(n_dims):
        out[d] = uniform(key, base + np.uint64(d))
