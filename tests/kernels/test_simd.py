"""The block (SIMD) kernels: the scalar draws bit for bit, the NumPy
reference's model, and SIMD code in their hot loops.

* :func:`sim.kernels.sampling.block.draw_block`, through
  ``kernels.sample_range``, against the scalar draw path (one scenario at a
  time through ``draw_design_scenario``, ``fill_extra_uniforms`` and the
  scalar inverse CDF for believed draws) on every bundled scenario: every
  draw, uniform and believed draw, bit for bit.
* :func:`sim.kernels.model.block.evaluate_block` (the model's one
  implementation) against the NumPy reference (:mod:`sim.testing.reference`,
  through :func:`sim.testing.numpy_model.check_on_engine_draws_v2`) on the
  engine's own draws of every bundled single-strategy scenario, to 1e-10 of
  each output's scale and every count exactly; the decision columns of a
  scenario with strategies against a hand computation over its
  alternatives; a range from any first scenario against the same scenarios
  of a range from 0, bit for bit.
* :func:`sim.kernels.accumulators.histogram_bins` against ``histogram_bin``;
  ``lane_sums`` against one pass over the scenarios and ``histogram_add``
  (selects) against the branching update it replaced, bit for bit.
* The assembly of the hot loops has packed fused multiply-adds on x86-64
  (as ``tests/kernels/test_vmath.py`` checks for vmath alone), and a scalar
  one-scenario function's (the negative control, compiled here) has none.
"""

from __future__ import annotations

import math
import platform
import re
from pathlib import Path

import numba
import numpy as np
import pytest

import sim
from sim.kernels.accumulators import LANE_AT_MAX, LANE_AT_MIN, histogram_add, histogram_bin, histogram_bins, lane_sums
from sim.kernels import reduce as kernels
from sim.engine.reducer import kernel_args, model_args
from sim.vocab import outputs
from sim.vocab.layout import BLOCK, LANES, SUB_BLOCK
from sim.kernels.model import block as model_block
from sim.scenario.plan import build_plan
from sim.kernels.sampling import block as sampling_block
from sim.kernels.sampling.draw import draw_design_scenario, fill_extra_uniforms
from sim.kernels.sampling.inverse_cdf import inverse_cdf
from sim.engine.designs import build_design
from sim.kernels.sampling.rng import key_from_seed
from sim.testing import numpy_model


DATA = Path(__file__).parents[1] / "data"

#: A packed double-precision fused multiply-add on vector registers (as in tests/kernels/test_vmath.py).
PACKED_FMA = re.compile(r"^\s*vfn?m(?:add|sub)\d{3}pd\b.*%[xyz]mm", re.M)
BUNDLED = ["baseline", "strategies", "cooling", "finetune", "regulated", "data_wall", "price_war",
           "bert_seed", "hype"]


@numba.njit(error_model="numpy")
def _overlay(theta, overlay, first, last, u, table):
    """Overlay entries ``first .. last - 1`` on one scenario's parameters,
    with the scalar inverse CDF (what ``apply_overlay_block`` does on a block)."""
    target, dim, family, par, lo, span, offset, n_table, const = overlay[:9]
    for b in range(first, last):
        if dim[b] < 0:
            theta[target[b]] = const[b]
        else:
            theta[target[b]] = inverse_cdf(family[b], par[b, 0], par[b, 1], par[b, 2], lo[b],
                                           span[b], table, offset[b], n_table[b], u[dim[b]])


@numba.njit(error_model="numpy")
def scalar_draws(key, first, n, block_size, dists, design, copula, model, horizon,
                 draws, incident_u, extra_u, belief_draws):
    """The draws ``kernels.sample_range`` keeps, one scenario at a time
    through the scalar draw path."""
    theta0, target = dists[0], dists[1]
    flags, worlds = model
    n_uniforms = flags[2]
    n_sampled = target.shape[0]
    n_dims = n_sampled + horizon
    table = dists[8]
    u = np.empty(n_uniforms)
    z = np.empty(max(copula[0].shape[0], 1))
    theta = np.empty(theta0.shape[0])
    for i in range(n):
        draw_design_scenario(key, first + i, n_dims, block_size, dists, design, copula, u, z, theta)
        fill_extra_uniforms(key, first + i, n_dims, u)
        for d in range(n_sampled):
            draws[i, d] = theta[target[d]]
        for t in range(horizon):
            incident_u[i, t] = u[n_sampled + t]
        for e in range(extra_u.shape[1]):
            extra_u[i, e] = u[n_dims + e]
        if belief_draws.shape[1] > 0:
            overlay, belief = worlds[3:13], worlds[13:23]
            _overlay(theta, overlay, overlay[9][0], overlay[9][1], u, table)
            _overlay(theta, belief, belief[9][0], belief[9][1], u, table)
            for b in range(belief_draws.shape[1]):
                belief_draws[i, b] = theta[belief[0][belief[9][0] + b]]


def _arrays(plan, n):
    return (np.full((n, plan.n_sampled), np.nan), np.full((n, plan.horizon), np.nan),
            np.full((n, plan.n_belief_dims), np.nan), np.full((n, len(plan.belief_keys)), np.nan),
            np.zeros((n, plan.n_rows, plan.n_columns)))


def _block(name: str, n: int, sampler: str = "random", seed: int = 3, first: int = 0, size: int | None = None):
    """Every array ``kernels.sample_range`` fills (draws, uniforms, believed
    draws, every output) for scenarios ``first .. first + n - 1``, and the
    arguments it took."""
    plan = build_plan(sim.load_scenario(name))
    key = key_from_seed(seed)
    design = build_design(sampler, seed, size or first + n, plan.n_dims)
    args = (key, first, n, BLOCK, *kernel_args(plan, design), model_args(plan))
    block = _arrays(plan, n)
    kernels.sample_range(*args, plan.log_sizes, plan.log_n_ref, plan.horizon, *block)
    return plan, args, block


def _both_draws(name: str, n: int, sampler: str = "random", seed: int = 3, first: int = 0):
    """The draws of ``kernels.sample_range`` and of the scalar path, side by side."""
    plan, args, block = _block(name, n, sampler, seed, first)
    scalar = _arrays(plan, n)[:4]
    scalar_draws(*args, plan.horizon, *scalar)
    return (np.concatenate([a.reshape(n, -1) for a in block[:4]], axis=1),
            np.concatenate([a.reshape(n, -1) for a in scalar], axis=1))


def _assert_identical(block, scalar):
    same = (block == scalar) | (np.isnan(block) & np.isnan(scalar))
    bad = np.argwhere(~same)
    assert bad.size == 0, (f"{len(bad)} values differ, first (scenario, row, column) {tuple(bad[0])}: "
                           f"{block[tuple(bad[0])]!r} vs {scalar[tuple(bad[0])]!r}")


@pytest.mark.parametrize("name", BUNDLED)
def test_block_draws_equal_the_scalar_draws(name):
    """Every draw, uniform and believed draw, bit for bit; a partial last sub-block."""
    _assert_identical(*_both_draws(name, 2 * SUB_BLOCK + 37))


@pytest.mark.parametrize("sampler", ["lhs", "sobol"])
def test_block_draws_equal_the_scalar_draws_under_designs(sampler):
    _assert_identical(*_both_draws("price_war", 600, sampler))


@pytest.mark.parametrize("name", [b for b in BUNDLED if b != "strategies"])
def test_block_model_is_the_numpy_reference(name):
    """Every column the reference computes, on the engine's own draws
    (through the block kernels), to 1e-10 of its scale, counts exactly."""
    sc = sim.load_scenario(name)
    assert numpy_model.check_on_engine_draws_v2(sc, n=2 * SUB_BLOCK + 37, seed=3) is None


def test_decision_columns_over_the_alternatives():
    """Best (ties split), regret and the highest objective of every
    scenario of a scenario with strategies, by hand from its alternatives."""
    plan, _, (_, _, _, _, stats) = _block("strategies", 2 * SUB_BLOCK + 37)
    assert plan.n_rows > len(plan.log_sizes)  # several strategies
    column = outputs.NET_VALUE if model_args(plan)[0][0] == 0 else outputs.ROI
    x = stats[:, :, column]
    best = x.max(axis=1, keepdims=True)
    ties = (x == best).sum(axis=1, keepdims=True)
    np.testing.assert_array_equal(stats[:, :, outputs.MAX_OBJECTIVE], np.broadcast_to(best, x.shape))
    np.testing.assert_array_equal(stats[:, :, outputs.REGRET], best - x)
    np.testing.assert_array_equal(stats[:, :, outputs.BEST], np.where(x == best, 1.0 / ties, 0.0))
    assert np.all(np.isfinite(x))


@pytest.mark.parametrize("name", ["hype", "strategies"])
def test_sample_range_from_any_first_scenario(name):
    """A range that starts inside a block and a sub-block (as a sweep's or a
    resumed sample's may), with believed draws (``hype``) and strategies,
    gives the same scenarios as a range from 0, bit for bit; and its draws
    are the scalar path's."""
    first, n = BLOCK + 77, 300
    _, _, part = _block(name, n, first=first)
    _, _, whole = _block(name, first + n, size=first + n)
    for got, want in zip(part, whole):
        _assert_identical(got.reshape(n, -1), want[first:].reshape(n, -1))
    _assert_identical(*_both_draws(name, n, first=first))


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
    lane = np.array([[0.0, np.inf, -np.inf, 0.0]])  # a lane's bin: the counts at the extremes int32
    at = lane.view(np.int32)
    want = np.array([0.0, np.inf, -np.inf, 0.0, 0.0])
    for v in values:
        histogram_add(lane, at, 0, v)
        _branching_add(want, v)
        np.testing.assert_array_equal([*lane[0, :3], at[0, LANE_AT_MIN], at[0, LANE_AT_MAX]], want)


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
    from sim.kernels.model.block import N_SCENARIO_ROWS, N_TEMP_ROWS, N_WORK, N_WORLD, N_YEAR_FIELDS
    from sim.vocab.registry import PARAMETERS
    th = np.full((len(PARAMETERS), width), 0.5)
    return (th, width, 0, 1, 20.0, 0.0, 1.0, True, horizon, True, np.full((N_SCENARIO_ROWS, width), 0.5),
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


@numba.njit(error_model="numpy")
def _one_scenario(theta, horizon):
    """A scalar model of one scenario, as the engine's model was before the
    block kernels: libm exp and log, a running product over the years and a
    withdrawal branch."""
    pool, growth, discount, premium, gamma, cost = theta[0], theta[1], theta[2], theta[3], theta[4], theta[5]
    step = (1.0 + growth) / (1.0 + discount)
    factor = 1.0
    total = 0.0
    for t in range(horizon):
        factor *= step
        share = 1.0 / (1.0 + math.exp(gamma * math.log(t + 1.0)))
        if cost * factor < premium:
            total += pool * factor * share * premium - cost * share
    return total


@vector_host
def test_scalar_model_is_not_simd():
    """The negative control: a scalar one-scenario model (libm exp and log, a
    loop-carried product) has no packed FMA, so the tests above can tell."""
    args = (np.full(6, 0.5), 5)
    asm = _fresh_asm(_one_scenario, *args)
    assert PACKED_FMA.findall(asm) == []
    assert re.search(r"\$(exp|log)\b", asm), "the scalar model calls libm"
