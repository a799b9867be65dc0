"""The bundled industry scenarios tell what they say: `industry` reproduces its
2023-24 calibration data (docs/industry.md), and each what-if moves what it
changes, with differences many standard errors wide."""

from __future__ import annotations

import numpy as np
import pytest

import sim

#: Slow (five 20,000-scenario runs of the industry frame): run with --slow, as CI does.
pytestmark = pytest.mark.slow

N = 20_000
#: docs/industry.md, "Calibration": the observed ranges of 2023 and 2024 the
#: medians must fall in (year: (low, high)).
TARGETS = {
    "labs": {2023: (3, 6), 2024: (7, 11)},
    "revenue": {2023: (3e9, 6e9), 2024: (9e9, 16e9)},
    "capex": {2023: (3e9, 8e9), 2024: (12e9, 35e9)},
    "frontier_flops": {2023: (1e25, 5e25), 2024: (4e25, 2e26)},
}


@pytest.fixture(scope="module")
def runs():
    names = ["industry", "industry_bubble", "industry_saturation", "industry_price_war",
             "industry_cheap_compute"]
    return {name: sim.run(name, N, seed=1) for name in names}


def median(ds, name, year):
    y = year - int(ds["calendar_year"][0]) + 1
    return float(ds[f"{name}_quantile"].sel(quantile=0.5, year=y))


@pytest.mark.parametrize("name", list(TARGETS))
def test_industry_reproduces_its_2023_24_calibration_data(runs, name):
    ds = runs["industry"]
    for year, (low, high) in TARGETS[name].items():
        assert low <= median(ds, name, year) <= high, (name, year, median(ds, name, year))


def differs(a, b, name, year_index, sign=1, z=5.0):
    """a's probability exceeds b's (sign 1) by more than z combined standard errors."""
    pa, pb = float(a[name][year_index]), float(b[name][year_index])
    se = float(np.hypot(a[f"{name}_se"][year_index], b[f"{name}_se"][year_index]))
    return sign * (pa - pb) > z * se


def test_the_bubble_cools_more_often_and_earlier(runs):
    bubble, base = runs["industry_bubble"], runs["industry"]
    assert differs(bubble, base, "prob_cooled", 1)   # by 2024: earlier
    assert differs(bubble, base, "prob_cooled", -1)  # by 2032: more often
    assert median(bubble, "q", 2023) > 10 * median(base, "q", 2023)  # the fever itself


def test_early_saturation_slows_revenue_and_cools_later(runs):
    sat, base = runs["industry_saturation"], runs["industry"]
    assert median(sat, "revenue", 2032) < 0.6 * median(base, "revenue", 2032)
    assert differs(base, sat, "prob_cooled", 1)  # fewer entrants to crowd 2024


def test_a_price_war_brings_more_labs_and_thinner_margins(runs):
    war, base = runs["industry_price_war"], runs["industry"]
    assert median(war, "labs", 2024) > 1.5 * median(base, "labs", 2024)
    assert differs(war, base, "prob_cooled", 1)


def test_cheaper_compute_keeps_more_labs(runs):
    cheap, base = runs["industry_cheap_compute"], runs["industry"]
    assert median(cheap, "labs", 2032) > 2 * median(base, "labs", 2032)
    assert median(cheap, "serving_margin", 2026) > median(base, "serving_margin", 2026)
