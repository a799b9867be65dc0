"""Jitted halves of the sampling designs: a scenario's uniforms, computed alone.

Codes: ``RANDOM`` (independent uniforms), ``LHS`` (Latin hypercube through a
keyed bijection per dimension) and ``SOBOL`` (scrambled Sobol' from its Gray
code). :mod:`sim.engine.designs` builds the arrays these kernels read.
"""

from __future__ import annotations

import numpy as np

from sim.kernels.jit import jit
from sim.kernels.sampling.rng import mix64, uniform

__all__ = ["LHS", "RANDOM", "SOBOL", "fill_design_uniforms", "permute", "sobol_uniform"]

RANDOM = 0
LHS = 1
SOBOL = 2
_TWO_M52 = 2.0 ** -52
_MASK32 = np.uint64(0xFFFFFFFF)


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
