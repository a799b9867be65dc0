"""The guide's story of the `cooling` scenario (docs/guide/scenarios.md, "The
fever cools: cooling as a story of surprise") states what today's bundled
files give: its table is read from the page and checked against
``sim run cooling`` and ``sim run baseline`` at the seed and n it names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sim

#: Slow (two runs of 1e6 scenarios): run with --slow, as CI does.
pytestmark = pytest.mark.slow

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide" / "scenarios.md"
SIZES = {"100M": 1e8, "1B": 1e9, "10B": 1e10, "100B": 1e11, "1T": 1e12}


def _rows() -> dict[str, list[str]]:
    text = GUIDE.read_text(encoding="utf-8")
    story = text[text.index("### The fever cools: `cooling` as a story of surprise"):]
    assert "`sim run cooling -n 1e6 --seed 0`" in story[:1500]
    rows = {}
    for line in story.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] in SIZES:
            rows[cells[0]] = cells[1:]
    assert list(rows) == list(SIZES)
    return rows


def _numbers(cell: str) -> list[float]:
    return [float(x) for x in re.findall(r"−?-?\d+(?:\.\d+)?", cell.replace("−", "-"))]


@pytest.fixture(scope="module")
def runs():
    return {name: sim.run(name, n_scenarios=1_000_000, seed=0, progress=False)
            for name in ("cooling", "baseline")}


def _at(ds, size, var, **sel):
    return float(ds[var].sel(model_size=SIZES[size], **sel))


@pytest.mark.parametrize("size", list(SIZES))
def test_the_guide_states_the_cooling_story_of_today(runs, size):
    median_mtm, below, cooled, excess = _rows()[size]
    cool, base = runs["cooling"], runs["baseline"]
    T = int(cool["year"][-1])
    medians = [round(_at(cool, size, "mtm_quantile", year=t, quantile=0.5), 2) for t in (0, 1, T)]
    if "throughout" in median_mtm:
        assert set(medians) == {_numbers(median_mtm)[0]}
    else:
        assert medians == _numbers(median_mtm)
    shares = [round(100 * _at(ds, size, "prob_below_cost", year=t)) for ds in (cool, base)
              for t in (0, 1, T)]
    assert shares == _numbers(below)
    assert [round(100 * _at(ds, size, "prob_cooled", year=T), 1) for ds in (cool, base)] \
        == _numbers(cooled)
    points = []
    for ds in (cool, base):
        expected_loss = float((ds["roi_expected_distribution"] < 0).mean("probability")
                              .sel(model_size=SIZES[size]))
        points.append(round(100 * (_at(ds, size, "prob_loss") - expected_loss), 1))
    assert points == pytest.approx(_numbers(excess), abs=0.15)  # P(exp. loss) from its quantiles


def test_the_guide_states_the_widening_gap(runs):
    text = GUIDE.read_text(encoding="utf-8")
    m = re.search(r"expected and realized mean ROI at 10B widens from ([\d.]+)\s+\(baseline\) to "
                  r"([\d.]+)", text)
    assert m, "the sentence on the gap at 10B"
    gaps = [round(_at(runs[n], "10B", "roi_gap_mean"), 2) for n in ("baseline", "cooling")]
    assert gaps == [float(m.group(1)), float(m.group(2))]
