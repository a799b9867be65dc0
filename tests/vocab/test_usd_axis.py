"""The USD tick of chart axes: short amounts as usd_label writes them, and
from a thousand trillion on whole trillions, never scientific notation."""

from __future__ import annotations

import pytest

from sim.vocab.units import usd_axis, usd_label


@pytest.mark.parametrize(("x", "want"), [
    (3.5e8, "$350M"), (1e12, "$1T"), (9.99e14, "$999T"),
    (1e15, "$1,000T"), (1.2e16, "$12,000T"), (-3e16, "-$30,000T"),
    (float("nan"), "nan"),
])
def test_usd_axis(x, want):
    assert usd_axis(x) == want


def test_usd_axis_is_usd_label_below_a_thousand_trillion():
    for x in (0.25, 12e3, 4.56e9, -7.8e13):
        assert usd_axis(x) == usd_label(x)
