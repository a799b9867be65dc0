"""sim compare A.nc B.nc: the table of differences with its legend, the
warning when the two share their draws, and the refusals (exit 2)."""

from __future__ import annotations

import math
import re

import pytest
import xarray as xr
from click.testing import CliRunner

from sim.cli.main import cli

N = "3000"


def _run(args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("compare")
    out = {}
    for name, args in {"a": ["run", "baseline", "--seed", "1"],
                       "b": ["run", "baseline", "--seed", "2", "--set", "market.competitors.lam=16"],
                       "a_lam": ["run", "baseline", "--seed", "1", "--set", "market.competitors.lam=16"],
                       "small": ["run", "baseline", "--seed", "2", "--set", "grid.model_sizes=[1e9, 1e10]"],
                       "industry": ["run", "industry", "--seed", "1"],
                       "industry_b": ["run", "industry", "--seed", "2", "--set", "industry.entry_speed=0.6"]}.items():
        out[name] = d / f"{name}.nc"
        r = _run([*args, "-n", N, "--quiet", "-o", out[name]])
        assert r.exit_code == 0, r.output
    return out


def _line(text: str, block: str, label: str) -> list[str]:
    """The cells of ``label``'s line in the block of statistic ``block``."""
    lines = text.splitlines()
    start = next(i for i, s in enumerate(lines) if s.startswith(f"{block}: "))
    for s in lines[start + 1:]:
        if not s.startswith("  "):
            break
        cells = s.split()
        if s[2:].startswith(label + " "):
            return cells[len(label.split()):]
    raise AssertionError(f"no line {label!r} under {block}")


def test_the_table_shows_differences_se_and_z_with_a_legend(files):
    r = _run(["compare", files["a"], files["b"]])
    assert r.exit_code == 0, r.output
    text = r.stdout
    assert f"a = {files['a']}: scenario 'baseline', 3,000 scenarios, seed 1, sampler random" in text
    for column in ("b - a", "± se", "z"):
        assert column in text.splitlines()[3]
    for statistic in ("roi_median", "roi_q05", "roi_q95", "roi_mean", "prob_loss", "prob_best",
                      "net_value_mean", "roi_expected_median"):
        assert f"\n{statistic}: " in text
    # The legend says what every column is.
    flat = " ".join(text.split())
    for words in ("b - a: their difference", "± se: the standard error of the difference, sqrt(se_a^2 + se_b^2)",
                  "z = (b - a) / se", "percentage points"):
        assert words in flat
    assert "warning" not in r.output  # different seeds: independent errors
    # The 10B line of mean ROI against the files, by hand.
    a, b = xr.load_dataset(files["a"]), xr.load_dataset(files["b"])
    at = {"model_size": 1e10}
    d = float(b.roi_mean.sel(**at) - a.roi_mean.sel(**at))
    se = math.hypot(float(a.roi_mean_se.sel(**at)), float(b.roi_mean_se.sel(**at)))
    cells = _line(text, "roi_mean", "10B")
    assert float(cells[2]) == pytest.approx(d, rel=5e-3) and float(cells[3]) == pytest.approx(se, rel=5e-3)
    assert cells[4] == f"{d / se:.2f}"
    # Probabilities in percent.
    cells = _line(text, "prob_loss", "1T")
    p = float(b.prob_loss.sel(model_size=1e12) - a.prob_loss.sel(model_size=1e12))
    assert float(cells[2].rstrip("%")) == pytest.approx(100 * p, abs=0.051)


def test_shared_seed_is_said_in_the_table_and_warned(files):
    r = _run(["compare", files["a"], files["a_lam"]])
    assert r.exit_code == 0, r.output
    flat = " ".join(r.stdout.split())
    assert "warning: the two results share the seed (1) and sampler (random)" in flat
    assert "conservative" in flat
    assert re.search(r"^warning: .*share the seed and sampler", r.stderr, re.M)


def test_the_industry_frame_is_compared_per_calendar_year(files):
    r = _run(["compare", files["industry"], files["industry_b"]])
    assert r.exit_code == 0, r.output
    a, b = xr.load_dataset(files["industry"]), xr.load_dataset(files["industry_b"])
    cells = _line(r.stdout, "prob_cooled", "2026")
    d = float(b.prob_cooled.sel(year=4) - a.prob_cooled.sel(year=4))
    assert float(cells[2].rstrip("%")) == pytest.approx(100 * d, abs=0.051)
    assert "the whole run (no year):" in r.stdout and "\nprob_industry_loss: " in r.stdout


@pytest.mark.parametrize("pair, needle", [
    (("a", "small"), "different model sizes (a: 100M, 1B, 10B, 100B, 1T; b: 1B, 10B)"),
    (("a", "industry"), "a is a result of the project frame and b of the industry frame"),
    (("a", "missing"), "no such result file"),
])
def test_refusals_are_one_line_and_exit_2(files, tmp_path, pair, needle):
    paths = [files.get(p, tmp_path / f"{p}.nc") for p in pair]
    r = _run(["compare", *paths])
    assert r.exit_code == 2
    assert r.output.startswith("Error: ") and r.output.count("\n") == 1 and needle in r.output, r.output
