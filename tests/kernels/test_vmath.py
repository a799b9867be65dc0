"""sim.kernels.vmath: accuracy over the whole domain, the special values, and that a
loop over each function compiles to SIMD code.

Errors are in ulps, ``|got - want| / spacing(|want|)``. Against NumPy and
SciPy (1e6-odd points per function, fixed seeds) the bound is 2 ulp, because
NumPy's own exp and log (AVX-512 code on this machine) are off by up to 1 ulp
themselves; against the exact values (mpmath, 200 bits, fewer points) it is
1 ulp. Measured maxima are in each test and in ``sim/kernels/vmath.py``'s docstring.
"""

from __future__ import annotations

import math
import platform
import re

import numba
import numpy as np
import pytest
import scipy.special

from sim.kernels import vmath
from sim.kernels.sampling.inverse_cdf import ndtri as scalar_ndtri

TINY = 5e-324                     # smallest subnormal
MIN_NORMAL = 2.2250738585072014e-308
MAX = 1.7976931348623157e308
EXP_MAX = 709.782712893384        # largest x with a finite exp(x)
EXP_MIN = -745.1332191019411      # smallest x with exp(x) > 0 (= TINY)
SUB_EXP = -708.3964185322641      # exp(x) = MIN_NORMAL: below it, results are subnormal


def _loop(f):
    @numba.njit(error_model="numpy")
    def loop(x, out):
        for i in range(x.shape[0]):
            out[i] = f(x[i])
    return loop


LOOPS = {name: _loop(getattr(vmath, name)) for name in vmath.__all__}


def apply(name: str, x) -> np.ndarray:
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(x)
    LOOPS[name](x, out)
    return out


def ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Error in units of the spacing at ``want``: 0 where the two are equal
    (infinities and NaNs included), inf where only one is finite or NaN."""
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(got - want) / np.spacing(np.abs(want))
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    err = np.where(same, 0.0, err)
    return np.where(np.isnan(err), np.inf, err)


def neighbours(*points: float) -> np.ndarray:
    """Each point and the floats just below and above it."""
    p = np.array(points, dtype=np.float64)
    with np.errstate(over="ignore"):  # the float above MAX is inf
        return np.concatenate([p, np.nextafter(p, -np.inf), np.nextafter(p, np.inf)])


def signed_log_grid(rng, lo: float, hi: float, n: int) -> np.ndarray:
    """``±10**u`` with ``u`` uniform in [lo, hi]."""
    return 10.0 ** rng.uniform(lo, hi, n) * rng.choice([-1.0, 1.0], n)


POWERS_OF_TWO = 2.0 ** np.arange(-1074, 1024)
SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, TINY, -TINY, MIN_NORMAL, -MIN_NORMAL,
                    MAX, -MAX, 1.0, -1.0])


def check_against(name: str, reference, x: np.ndarray, bound: float) -> float:
    """Max ulp error of ``vmath.<name>`` against ``reference`` on ``x``; also
    the same NaNs and the same sign of every zero and infinity."""
    got = apply(name, x)
    with np.errstate(all="ignore"):
        want = reference(x)
    err = ulps(got, want)
    worst = int(np.argmax(err))
    assert err[worst] <= bound, (f"{name}({x[worst]!r}) = {got[worst]!r}, reference {want[worst]!r}: "
                                 f"{err[worst]:.2f} ulp > {bound}")
    assert np.array_equal(np.isnan(got), np.isnan(want))
    edge = (want == 0) | np.isinf(want)
    assert np.array_equal(np.signbit(got[edge]), np.signbit(want[edge]))
    return float(err[worst])


# ------------------------------------------------------------------ against NumPy
def test_exp_against_numpy():
    rng = np.random.default_rng(1)
    x = np.concatenate([
        rng.uniform(-750.0, 712.0, 600_000),           # the whole range, overflow and underflow
        rng.uniform(-1.0, 1.0, 200_000),
        rng.uniform(-746.0, -708.0, 100_000),          # subnormal results
        signed_log_grid(rng, -320.0, 2.9, 200_000),    # tiny to huge |x|
        neighbours(EXP_MAX, EXP_MIN, SUB_EXP, 709.0, -709.0, 0.5 * math.log(2), -0.5 * math.log(2)),
        SPECIAL, POWERS_OF_TWO, -POWERS_OF_TWO,
    ])
    # measured: 1.0 ulp (NumPy's exp is itself up to 1 ulp off the exact value)
    check_against("exp", np.exp, x, bound=2.0)


def test_expm1_against_numpy():
    rng = np.random.default_rng(2)
    x = np.concatenate([
        rng.uniform(-50.0, 712.0, 400_000),
        rng.uniform(-1.0, 1.0, 300_000),
        rng.uniform(-40.0, 40.0, 200_000),
        signed_log_grid(rng, -320.0, 2.9, 200_000),
        neighbours(EXP_MAX, 709.0, 40.0, -40.0, 53.5 * math.log(2), -53.5 * math.log(2),
                   0.5 * math.log(2), -0.5 * math.log(2), 1e-300, -1e-300),
        SPECIAL, POWERS_OF_TWO, -POWERS_OF_TWO,
    ])
    # measured: 1.0 ulp
    check_against("expm1", np.expm1, x, bound=2.0)


def test_log_against_numpy():
    rng = np.random.default_rng(3)
    x = np.concatenate([
        np.exp(rng.uniform(-745.0, 709.7, 400_000)),   # log-spaced over every exponent
        2.0 ** rng.uniform(-1074.0, -1022.0, 100_000),  # subnormals
        rng.uniform(0.0, 4.0, 300_000),
        rng.uniform(0.5, 2.0, 200_000),                # around 1, where log is small
        1.0 + signed_log_grid(rng, -16.0, -1.0, 100_000),
        rng.uniform(-10.0, 0.0, 1000),                 # negatives: NaN
        neighbours(1.0, math.sqrt(0.5), math.sqrt(2.0), MIN_NORMAL, MAX, TINY),
        SPECIAL, POWERS_OF_TWO, -POWERS_OF_TWO,
    ])
    # measured: 1.0 ulp
    check_against("log", np.log, x, bound=2.0)


def test_log1p_against_numpy():
    rng = np.random.default_rng(4)
    x = np.concatenate([
        np.exp(rng.uniform(-745.0, 709.7, 300_000)),
        -np.exp(rng.uniform(-745.0, 0.0, 300_000)),    # (-1, 0)
        rng.uniform(-1.0, 1.0, 300_000),
        signed_log_grid(rng, -320.0, 0.0, 100_000),
        rng.uniform(-10.0, -1.0, 1000),                # below -1: NaN
        neighbours(-1.0, math.sqrt(0.5) - 1.0, math.sqrt(2.0) - 1.0, 1.0, 1e-300, -1e-300, MAX),
        SPECIAL, POWERS_OF_TWO, -POWERS_OF_TWO,
    ])
    # measured: 1.0 ulp
    check_against("log1p", np.log1p, x, bound=2.0)


# ------------------------------------------------------------------ against the exact values
@pytest.mark.parametrize("name, bound, measured", [
    ("exp", 1.0, 0.77), ("expm1", 1.0, 0.82), ("log", 1.0, 0.81), ("log1p", 1.0, 0.80),
])
def test_against_exact_values(name, bound, measured):
    """Faithful rounding: within 1 ulp of the exact value (mpmath), 20_000
    points per function (an 850_000-point run gave the ``measured`` maxima)."""
    mp = pytest.importorskip("mpmath")
    rng = np.random.default_rng(5)
    n = 5000
    x = {
        "exp": np.concatenate([rng.uniform(-745.0, 709.7, n), rng.uniform(-1, 1, n),
                               rng.uniform(-745.0, -708.0, n), rng.uniform(-40, 40, n)]),
        "expm1": np.concatenate([rng.uniform(-40, 709.7, n), rng.uniform(-1, 1, n),
                                 rng.uniform(-40, 40, n), signed_log_grid(rng, -300, 0, n)]),
        "log": np.concatenate([np.exp(rng.uniform(-745, 709.7, n)), rng.uniform(0.5, 2, n),
                               rng.uniform(0, 10, n), 2.0 ** rng.uniform(-1074, -1022, n)]),
        "log1p": np.concatenate([np.exp(rng.uniform(-745, 709.7, n)), rng.uniform(-1, 1, n),
                                 rng.uniform(-0.5, 0.5, n), -np.exp(rng.uniform(-700, 0, n))]),
    }[name]
    f = getattr(mp, name)
    got = apply(name, x)
    worst = 0.0
    with mp.workprec(200):
        for xi, gi in zip(x.tolist(), got.tolist()):
            exact = f(mp.mpf(xi))
            # the spacing of the float nearest to the exact value (a subnormal's is 2**-1074)
            err = abs(mp.mpf(gi) - exact) / mp.mpf(float(np.spacing(abs(float(exact)))))
            worst = max(worst, float(err))
    assert worst < bound, f"{name}: {worst:.3f} ulp"


# ------------------------------------------------------------------ special values
@pytest.mark.parametrize("name, x, want", [
    ("exp", [0.0, -0.0, np.inf, -np.inf, np.nan, EXP_MAX, np.nextafter(EXP_MAX, np.inf), MAX,
             EXP_MIN, np.nextafter(EXP_MIN, -np.inf), -MAX, 1.0, TINY, -TINY],
     [1.0, 1.0, np.inf, 0.0, np.nan, 1.7976931348622732e308, np.inf, np.inf,
      TINY, 0.0, 0.0, math.e, 1.0, 1.0]),
    ("expm1", [0.0, -0.0, np.inf, -np.inf, np.nan, TINY, -TINY, 1e-300, -1e-300, -50.0, MAX],
     [0.0, -0.0, np.inf, -1.0, np.nan, TINY, -TINY, 1e-300, -1e-300, -1.0, np.inf]),
    ("log", [0.0, -0.0, -TINY, -1.0, -np.inf, np.inf, np.nan, 1.0, TINY, MIN_NORMAL, MAX, 2.0, 0.5],
     [-np.inf, -np.inf, np.nan, np.nan, np.nan, np.inf, np.nan, 0.0, -744.4400719213812,
      -708.3964185322641, 709.782712893384, math.log(2.0), -math.log(2.0)]),
    ("log1p", [0.0, -0.0, -1.0, np.nextafter(-1.0, -np.inf), -np.inf, np.inf, np.nan, TINY, -TINY],
     [0.0, -0.0, -np.inf, np.nan, np.nan, np.inf, np.nan, TINY, -TINY]),
    ("ndtri", [0.0, -0.0, 1.0, 0.5, np.nan, -TINY, np.nextafter(1.0, 2.0), np.inf, -np.inf],
     [-np.inf, -np.inf, np.inf, 0.0, np.nan, np.nan, np.nan, np.nan, np.nan]),
])
def test_special_values(name, x, want):
    got = apply(name, x)
    want = np.array(want)
    assert np.array_equal(got, want, equal_nan=True), list(zip(x, got, want))
    assert np.array_equal(np.signbit(got), np.signbit(want)), list(zip(x, got, want))
    # and the scalar function called from Python agrees with the loop
    f = getattr(vmath, name)
    assert np.array_equal([f(v) for v in x], got, equal_nan=True)


def test_exp_subnormal_results_round_once():
    """Below -708.4 the result is subnormal: 2**k applied in two factors keeps
    it rounded once (half an ulp of the subnormal spacing, plus the 53-bit
    rounding before it)."""
    x = np.linspace(SUB_EXP, EXP_MIN, 100_001)
    got, want = apply("exp", x), np.exp(x)
    assert np.all(got > 0)
    # measured 1.0 (NumPy rounds some of these differently)
    assert ulps(got, want).max() <= 1.0


def test_log_of_powers_of_two_is_k_ln2():
    """log(2**k) for every k, subnormals included, against k ln2 in two parts
    (k * hi is exact, so the sum is rounded once). Measured: 0.5 ulp."""
    k = np.arange(-1074, 1024, dtype=np.float64)
    hi, lo = 6.93147180369123816490e-01, 1.90821492927058770002e-10
    got = apply("log", POWERS_OF_TWO)
    assert ulps(got, k * hi + k * lo).max() <= 1.0
    assert ulps(got, np.log(POWERS_OF_TWO)).max() <= 1.0


# ------------------------------------------------------------------ ndtri
def _scalar_ndtri(p):
    out = np.empty_like(p)
    _SCALAR_LOOP(p, out)
    return out


_SCALAR_LOOP = _loop(scalar_ndtri)


def ndtri_grid(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    tiny = 10.0 ** rng.uniform(-323.5, -0.31, 300_000)  # log-spaced down to the smallest subnormal
    return np.concatenate([
        rng.uniform(0.0, 1.0, 400_000), tiny, 1.0 - tiny,
        neighbours(0.075, 0.925, 0.5, math.exp(-25.0), 1.0 - math.exp(-25.0), 2.0 ** -60, 1e-300,
                   1.0 - 2.0 ** -53, TINY),
    ])


def test_ndtri_against_scipy():
    p = ndtri_grid(6)
    got, want = apply("ndtri", p), scipy.special.ndtri(p)
    with np.errstate(invalid="ignore"):
        rel = np.where(got == want, 0.0, np.abs(got - want) / np.abs(want))
    # measured: 1.04e-15 (at p = 0.142; both are within 5.9e-16 of the exact
    # value, see test_ndtri_against_exact_values)
    assert rel.max() <= 2e-15, p[np.argmax(rel)]
    for p0 in (1e-300, 2.0 ** -60, 1.0 - 2.0 ** -53, TINY):
        assert abs(vmath.ndtri(p0) / scipy.special.ndtri(p0) - 1.0) <= 2e-15


def test_ndtri_matches_the_scalar_as241():
    """The same coefficients; fused multiply-adds in the polynomials and
    vmath's log make the difference (measured 1.03e-15 relative, 8 ulp, with
    62% of the points bit for bit equal)."""
    p = ndtri_grid(7)
    got, want = apply("ndtri", p), _scalar_ndtri(p)
    with np.errstate(invalid="ignore"):
        rel = np.where(got == want, 0.0, np.abs(got - want) / np.abs(want))
    assert rel.max() <= 2e-15, p[np.argmax(rel)]
    assert ulps(got, want).max() <= 16.0
    assert np.mean(got == want) > 0.5
    # outside [0, 1] the scalar function returns -inf / inf, vmath NaN
    assert np.isnan(vmath.ndtri(-0.5)) and scalar_ndtri(-0.5) == -np.inf


def test_ndtri_against_exact_values():
    """Within 1e-15 relative of the exact quantile (mpmath), central region and
    tails down to the smallest subnormal. Measured over 5000 points: 5.3e-16
    (3.6 ulp); the scalar AS241 5.8e-16, scipy.special.ndtri 5.9e-16."""
    mp = pytest.importorskip("mpmath")
    rng = np.random.default_rng(8)
    p = np.concatenate([rng.uniform(0.0, 1.0, 600), 10.0 ** rng.uniform(-323.0, -1.2, 300),
                        rng.uniform(0.07, 0.08, 100)])
    got = apply("ndtri", p)
    worst = 0.0
    with mp.workprec(150):
        for pi, gi in zip(p.tolist(), got.tolist()):
            if pi > 1e-8:
                exact = -mp.sqrt(2) * mp.erfinv(1 - 2 * mp.mpf(pi))
            else:  # solve log Phi(z) = log p near the answer
                log_p = mp.log(mp.mpf(pi))
                exact = mp.findroot(lambda z, log_p=log_p: mp.log(mp.ncdf(z)) - log_p, mp.mpf(gi))
            if exact != 0:
                worst = max(worst, float(abs((mp.mpf(gi) - exact) / exact)))
    assert worst <= 1e-15


# ------------------------------------------------------------------ vectorization
def _host_has(*features: str) -> bool:
    from llvmlite import binding
    have = set(binding.get_host_cpu_features().flatten().split(","))
    return all(f"+{f}" in have for f in features)


#: A packed double-precision fused multiply-add (vfmadd213pd, vfnmadd231pd, ...)
#: on vector registers: 2, 4 or 8 doubles at once.
PACKED_FMA = re.compile(r"^\s*vfn?m(?:add|sub)\d{3}pd\b.*%[xyz]mm", re.M)
#: Any packed double arithmetic (mul, add, sub, div, sqrt, min, max or an FMA).
PACKED_ARITH = re.compile(r"^\s*v(?:fn?m(?:add|sub)\d{3}|mul|add|sub|div|sqrt|min|max)pd\b.*%[xyz]mm",
                          re.M)

vector_host = pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64") or not _host_has("avx2", "fma"),
    reason="checks x86-64 assembly of a host with AVX2 and FMA (Numba compiles for the host)")


def _asm(loop) -> str:
    x = np.linspace(0.1, 0.9, 64)
    loop(x, np.empty_like(x))
    return loop.inspect_asm(loop.signatures[0])


@vector_host
@pytest.mark.parametrize("name", vmath.__all__)
def test_loop_over_vmath_is_simd(name):
    asm = _asm(LOOPS[name])
    fma, arith = PACKED_FMA.findall(asm), PACKED_ARITH.findall(asm)
    # measured on znver5 (zmm registers): exp 18 packed FMAs of 28 packed
    # arithmetic instructions, expm1 19 of 39, log 5 of 26, log1p 5 of 30, ndtri 47 of 77
    assert len(fma) >= 4 and len(arith) >= 20, f"{name}: {len(fma)} packed FMAs, {len(arith)} packed ops"
    # libm functions are called through an address loaded as "movabsq $exp, %rax"
    assert not re.search(r"\$(exp|log|expm1|log1p|sqrt)\b", asm), f"{name}: a libm call is left in the loop"


@vector_host
@pytest.mark.parametrize("name, f", [("math.exp", math.exp), ("math.log", math.log),
                                      ("inverse_cdf.ndtri", scalar_ndtri)])
def test_loop_over_libm_is_not_simd(name, f):
    """The negative control: the same loop over libm (or over the scalar
    AS241 with its branches and libm log) has no packed arithmetic at all,
    so the test above can tell the two apart."""
    asm = _asm(_loop(f))
    assert PACKED_FMA.findall(asm) == []
    assert PACKED_ARITH.findall(asm) == [], name
