"""Property-based checks of the distribution families (hypothesis): for any
valid parameters, the quantile inverts the CDF and the kernel's inverse CDF
agrees with SciPy's closed forms."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario.distributions import Distribution
from sim.kernels.sampling.inverse_cdf import inverse_cdf

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
positive = st.floats(1e-3, 1e3, allow_nan=False, allow_infinity=False)
levels = st.lists(st.floats(1e-6, 1 - 1e-6), min_size=1, max_size=20)


@st.composite
def continuous(draw):
    family = draw(st.sampled_from(["normal", "lognormal", "uniform", "triangular", "pert", "beta"]))
    if family == "normal":
        spec = {"mean": draw(finite), "sd": draw(positive)}
    elif family == "lognormal":
        p5 = draw(positive)
        spec = {"p5": p5, "p95": p5 * draw(st.floats(1.01, 1e3))}
    elif family == "beta":
        spec = {"a": draw(st.floats(0.5, 20)), "b": draw(st.floats(0.5, 20))}
    else:
        low = draw(finite)
        # A width not below 1e-6 of the location: narrower intervals lose the
        # CDF to cancellation in low + width * u, a float limit, not a bug.
        high = low + draw(positive) * (1.0 + abs(low)) * 1e-3
        spec = {"low": low, "high": high}
        if family in ("triangular", "pert"):
            spec["mode"] = low + draw(st.floats(0, 1)) * (high - low)
    return Distribution.parse({"dist": family, **spec}, where="x")


@settings(max_examples=150, deadline=None, derandomize=True)
@given(continuous(), levels)
def test_quantile_inverts_the_cdf(dist, u):
    u = np.asarray(u)
    x = dist.ppf(u)
    assert np.all(np.diff(x[np.argsort(u)]) >= -1e-9 * (1 + np.abs(x).max()))
    np.testing.assert_allclose(dist.cdf(x), u, rtol=1e-6, atol=1e-9)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(continuous(), levels)
def test_kernel_inverse_cdf_agrees_with_scipy_special(dist, u):
    code, par, lo, span, table, n_table = dist.encode()
    got = np.array([inverse_cdf(code, par[0], par[1], par[2], lo, span, table, 0, n_table, v)
                    for v in u])
    want = dist.ppf(np.asarray(u))
    scale = np.abs(want) + abs(dist.ppf(0.75) - dist.ppf(0.25))
    assert np.all(np.abs(got - want) <= 1e-7 * scale)
