"""The block (SIMD) kernels: the same numbers as the scalar model, bit for
bit, and SIMD code in their hot loops.

* :func:`sim.kernels.sampling.block.draw_block` and
  :func:`sim.kernels.model.block.evaluate_block`, through ``kernels.sample_range``,
  against the scalar path (one scenario at a time through
  ``draw_design_scenario`` and ``evaluate_alternatives``, as
  ``sample_range`` was before the block kernels) on every bundled scenario:
  every draw, uniform, believed draw and column of every alternative, bit
  for bit, from any first scenario.
* :func:`sim.kernels.accumulators.histogram_bins` against ``histogram_bin``;
  ``lane_sums`` against one pass over the scenarios and ``histogram_add``
  (selects) against the branching update it replaced, bit for bit.
* The assembly of the hot loops has packed fused multiply-adds on x86-64
  (as ``tests/test_vmath.py`` checks for vmath alone), and the frozen scalar
  kernel's (the negative control) has none.
* The frozen kernel (:mod:`sim.bench.frozen_kernel`) still reproduces the
  frozen v1 file bit for bit, so the speed it stands for is today's kernel's.
"""

from __future__ import annotations

import platform
import re
from pathlib import Path

import numba
import numpy as np
import pytest

import sim
from sim.kernels.accumulators import histogram_add, histogram_bin, histogram_bins, lane_sums
from sim.kernels import reduce as kernels
from sim.engine.reducer import kernel_args, model_args
from sim.vocab.layout import BLOCK, LANES, SUB_BLOCK
from sim.kernels.model import block as model_block
from sim.kernels.model.beliefs import apply_overlay
from sim.kernels.model.evaluate import evaluate_alternatives, new_scratch
from sim.scenario.plan import build_plan
from sim.kernels.sampling import block as sampling_block
from sim.kernels.sampling.draw import draw_design_scenario, fill_extra_uniforms
from sim.engine.designs import build_design
from sim.kernels.sampling.rng import key_from_seed


DATA = Path(__file__).parent / "data"

#: A packed double-precision fused multiply-add on vector registers (as in tests/test_vmath.py).
PACKED_FMA = re.compile(r"^\s*vfn?m(?:add|sub)\d{3}pd\b.*%[xyz]mm", re.M)
BUNDLED = ["baseline", "strategies", "cooling", "finetune", "regulated", "data_wall", "price_war",
           "bert_seed", "hype"]


@numba.njit(error_model="numpy")
def scalar_sample(key, first, n, block_size, dists, design, copula, model,
                  log_sizes, log_n_ref, horizon, draws, incident_u, extra_u, belief_draws, stats):
    """``kernels.sample_range`` as it was before the block kernels: one
    scenario at a time through the scalar draw and model."""
    theta0, target = dists[0], dists[1]
    flags, worlds = model
    n_uniforms = flags[2]
    n_sampled = target.shape[0]
    n_dims = n_sampled + horizon
    table = dists[8]
    u = np.empty(n_uniforms)
    z = np.empty(max(copula[0].shape[0], 1))
    theta = np.empty(theta0.shape[0])
    theta_world = np.empty(theta0.shape[0])
    theta_belief = np.empty(theta0.shape[0])
    scratch = new_scratch(theta0.shape[0], log_sizes.shape[0], horizon)
    for i in range(n):
        draw_design_scenario(key, first + i, n_dims, block_size, dists, design, copula, u, z, theta)
        fill_extra_uniforms(key, first + i, n_dims, u)
        evaluate_alternatives(theta, flags, worlds, log_sizes, log_n_ref, horizon, u, n_sampled,
                              table, stats[i], scratch, theta_world)
        for d in range(n_sampled):
            draws[i, d] = theta[target[d]]
        for t in range(horizon):
            incident_u[i, t] = u[n_sampled + t]
        for e in range(extra_u.shape[1]):
            extra_u[i, e] = u[n_dims + e]
        if belief_draws.shape[1] > 0:
            overlay, belief = worlds[3:13], worlds[13:23]
            theta_world[:] = theta
            apply_overlay(theta_world, overlay, overlay[9][0], overlay[9][1], u, table)
            theta_belief[:] = theta_world
            apply_overlay(theta_belief, belief, belief[9][0], belief[9][1], u, table)
            for b in range(belief_draws.shape[1]):
                belief_draws[i, b] = theta_belief[belief[0][belief[9][0] + b]]


def _arrays(plan, n):
    return (np.full((n, plan.n_sampled), np.nan), np.full((n, plan.horizon), np.nan),
            np.full((n, plan.n_belief_dims), np.nan), np.full((n, len(plan.belief_keys)), np.nan),
            np.zeros((n, plan.n_rows, plan.n_columns)))


def _both(name: str, n: int, sampler: str = "random", seed: int = 3, first: int = 0):
    """Every array ``kernels.sample_range`` fills (draws, uniforms, believed
    draws, every output), through the block kernels and the scalar path."""
    plan = build_plan(sim.load_scenario(name))
    key = key_from_seed(seed)
    design = build_design(sampler, seed, first + n, plan.n_dims)
    args = (key, first, n, BLOCK, *kernel_args(plan, design), model_args(plan), plan.log_sizes,
            plan.log_n_ref, plan.horizon)
    block, scalar = _arrays(plan, n), _arrays(plan, n)
    kernels.sample_range(*args, *block)
    scalar_sample(*args, *scalar)
    return np.concatenate([a.reshape(n, -1) for a in block], axis=1), \
        np.concatenate([a.reshape(n, -1) for a in scalar], axis=1)


def _assert_identical(block, scalar):
    same = (block == scalar) | (np.isnan(block) & np.isnan(scalar))
    bad = np.argwhere(~same)
    assert bad.size == 0, (f"{len(bad)} values differ, first (scenario, row, column) {tuple(bad[0])}: "
                           f"{block[tuple(bad[0])]!r} vs {scalar[tuple(bad[0])]!r}")


@pytest.mark.parametrize("name", BUNDLED)
def test_block_kernels_equal_the_scalar_model(name):
    """Every column of every alternative, bit for bit; a partial last sub-block."""
    _assert_identical(*_both(name, 2 * SUB_BLOCK + 37))


@pytest.mark.parametrize("sampler", ["lhs", "sobol"])
def test_block_kernels_equal_the_scalar_model_under_designs(sampler):
    _assert_identical(*_both("price_war", 600, sampler))


@pytest.mark.parametrize("name", ["hype", "strategies"])
def test_sample_range_from_any_first_scenario(name):
    """A range that starts inside a block and a sub-block (as a sweep's or a
    resumed sample's may), with believed draws (``hype``) and strategies."""
    _assert_identical(*_both(name, 300, "random", first=BLOCK + 77))


def test_histogram_bins_equal_histogram_bin():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 3, 20_000), 10.0 ** rng.uniform(-300, 300, 20_000),
                        -(10.0 ** rng.uniform(-300, 300, 20_000)),
                        [0.0, -0.0, -1.0, 1.0, 2.0, -2.0, 1.999, 2.001, np.inf, -np.inf, np.nan,
                         5e-324, 1.7976931348623157e308, -1.7976931348623157e308]])
    for lo, inv_width, offset, scale in [(-3.0, 40.0, 1.0, 1000.0), (0.5, 100.0, 0.0, 1.0),
                                         (-1e3, 0.01, 1.0, 1000.0)]:
        got = np.empty(x.size, dtype=np.int64)
        histogram_bins(x, x.size, lo, inv_width, offset, scale, 4096, got)
        want = np.array([histogram_bin(v, lo, inv_width, offset, scale, 4096) for v in x])
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("m", [0, 1, 63, 64, 65, 255, 256, 257, 511, 512, 700, 1024])
def test_lane_sums_equal_one_pass_in_order(m):
    """Four values per lane at a time add the same numbers in the same order
    as one pass over the scenarios (lane ``i % LANES``), so the same bits."""
    rng = np.random.default_rng(m)
    x = rng.lognormal(0.0, 3.0, m) * rng.choice([-1.0, 1.0], m)
    c = float(x[0]) if m else 0.0
    a1 = rng.normal(size=LANES)
    a2 = np.abs(rng.normal(size=LANES))
    want1, want2 = a1.copy(), a2.copy()
    for i in range(m):
        d = x[i] - c
        want1[i % LANES] += d
        want2[i % LANES] += d * d
    lane_sums(x, m, c, a1, a2)
    np.testing.assert_array_equal(a1, want1)
    np.testing.assert_array_equal(a2, want2)


def _branching_add(b, x):
    b[0] += 1.0
    if x < b[1]:
        b[1], b[3] = x, 1.0
    elif x == b[1]:
        b[3] += 1.0
    if x > b[2]:
        b[2], b[4] = x, 1.0
    elif x == b[2]:
        b[4] += 1.0


def test_histogram_add_equals_the_branching_update():
    """Ties, repeats, a new minimum and maximum, NaN and infinities, from an
    empty bin (min +inf, max -inf) on."""
    rng = np.random.default_rng(2)
    values = np.concatenate([[1.0, 1.0, 0.5, 0.5, 2.0, 2.0, 1.0, np.nan, -np.inf, np.inf, np.inf, -0.0, 0.0],
                             rng.integers(-3, 4, 300).astype(float)])
    got = np.array([0.0, np.inf, -np.inf, 0.0, 0.0])
    want = got.copy()
    for v in values:
        histogram_add(got, v)
        _branching_add(want, v)
        np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------ SIMD code in the hot loops
def _host_has(*features: str) -> bool:
    from llvmlite import binding
    have = set(binding.get_host_cpu_features().flatten().split(","))
    return all(f"+{f}" in have for f in features)


vector_host = pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64") or not _host_has("avx2", "fma"),
    reason="checks x86-64 assembly of a host with AVX2 and FMA (Numba compiles for the host)")


def _fresh_asm(dispatcher, *args) -> str:
    """Assembly of ``dispatcher``'s Python function compiled anew (the cached
    kernels cannot be inspected) for ``args``."""
    f = numba.njit(error_model="numpy")(dispatcher.py_func)
    f(*args)
    return f.inspect_asm(f.signatures[0])


def _world_size_args(width=SUB_BLOCK, horizon=5):
    from sim.kernels.model.block import N_SCENARIO_ROWS, N_TEMP_ROWS
    from sim.kernels.model.evaluate import N_WORLD
    from sim.kernels.model.market import N_WORK
    from sim.vocab.registry import PARAMETERS
    from sim.kernels.model.timeline import N_YEAR_FIELDS
    th = np.full((len(PARAMETERS), width), 0.5)
    return (th, width, 0, 1, 20.0, 0.0, horizon, True, np.full((N_SCENARIO_ROWS, width), 0.5),
            np.full((N_WORK, horizon, width), 0.5), np.zeros((N_WORLD, width)),
            np.zeros((N_YEAR_FIELDS, horizon, width)), np.zeros((N_TEMP_ROWS, width)))


@vector_host
def test_model_hot_loop_is_simd():
    """One size of one world on a block (``world_size``: costs, loss, share,
    the release delay and the cash-flow loop with its withdrawal selects)."""
    asm = _fresh_asm(model_block.world_size, *_world_size_args())
    fma = PACKED_FMA.findall(asm)
    # measured on znver5: 195 packed FMAs (zmm)
    assert len(fma) >= 50, f"{len(fma)} packed FMAs"
    assert not re.search(r"\$(exp|log)\b", asm), "a libm call is left in the model"


@vector_host
def test_draw_hot_loop_is_simd():
    """The inverse CDFs (vmath ndtri and exp) and SplitMix64 (packed 64-bit multiplies)."""
    u = np.linspace(0.01, 0.99, SUB_BLOCK)
    out = np.empty_like(u)
    asm = _fresh_asm(sampling_block.inverse_cdf_block, 1, 0.0, 1.0, 0.0, 0.0, 1.0, np.zeros(4), 0, 0,
                     u, out, SUB_BLOCK)
    assert len(PACKED_FMA.findall(asm)) >= 20  # measured: 112
    design = build_design("random", 0, 100, 3).args()
    asm = _fresh_asm(sampling_block.uniforms_block, key_from_seed(0), 0, SUB_BLOCK, 3, BLOCK, design,
                     np.empty((3, SUB_BLOCK)), np.empty(3))
    # AVX-512DQ has a packed 64-bit multiply (vpmullq); AVX2 builds it from
    # 32-bit halves (vpmuludq), which is still packed integer code.
    multiply = r"vpmullq" if _host_has("avx512dq") else r"vpmuludq"
    assert re.search(rf"^\s*{multiply}\b.*%[yz]mm", asm, re.M), "SplitMix64 is not in packed integer code"


def _host_has(feature: str) -> bool:
    """Whether LLVM sees ``feature`` on this CPU (what Numba compiles for)."""
    from llvmlite import binding

    return bool(binding.get_host_cpu_features().get(feature, False))


@vector_host
def test_scalar_model_is_not_simd():
    """The negative control: the frozen scalar model (``evaluate_world``, one
    scenario, libm exp and log) has no packed FMA, so the tests above can tell."""
    from sim.bench import frozen_kernel
    from sim.kernels.model.evaluate import N_WORLD
    from sim.kernels.model.market import N_WORK
    from sim.kernels.model.timeline import N_YEAR_FIELDS
    from sim.vocab.registry import PARAMETERS
    args = (np.full(len(PARAMETERS), 0.5), 0, 1, np.log(np.array([1e8, 1e9, 1e10])), np.log(1e9), 5,
            np.full(5, 0.5), True, np.zeros((3, N_WORLD)), np.zeros((N_WORK, 5)),
            np.zeros((3, N_YEAR_FIELDS, 5)))
    asm = _fresh_asm(frozen_kernel.evaluate_world, *args)
    assert PACKED_FMA.findall(asm) == []
    assert re.search(r"\$(exp|log)\b", asm), "the scalar model calls libm"
