"""Guards and feedback: huge requests ask for --yes, the first run says it
is compiling, the progress bar measures sampling only, and a corrupt compile
cache is rebuilt with a note."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numba
import numpy as np
import pytest
from click.testing import CliRunner

import sim
import sim.analyses.run
import sim.engine.driver
import sim.kernels.cache
from sim.kernels.cache import cache_folder
from sim.cli.main import cli
from sim.vocab.errors import NeedsConfirmation
from sim.vocab.layout import BLOCK
from sim.engine.limits import Limits, estimate_bytes
from sim.engine.designs import build_design, replicate_sizes

ROOT = Path(__file__).resolve().parents[2]


def _refused(args, needle: str, seconds: float):
    began = time.monotonic()
    result = CliRunner().invoke(cli, args)
    took = time.monotonic() - began
    assert result.exit_code == 2, result.output
    assert needle in result.output and "pass --yes to run it anyway" in result.output
    assert "Traceback" not in result.output
    assert took < seconds, f"took {took:.1f} s"


def test_a_run_of_weeks_is_refused_within_seconds():
    _refused(["run", "-n", "1e12", "--quiet"], "this run would take about ", 20)


def test_a_huge_sweep_is_refused_before_its_points_are_built():
    _refused(["sweep", "baseline", "--vary", "market.hype=linspace(1,3,100000)", "-n", "100",
              "--quiet"], "5 model sizes x 100,000 sweep points is 500,000 results", 5)


def test_ten_thousand_model_sizes_are_refused_for_their_memory():
    sizes = ",".join(f"{1e6 + i:.0f}" for i in range(10_000))
    _refused(["run", "-n", "1000", "--quiet", "--set", f"grid.model_sizes=[{sizes}]"],
             "this run needs about 4", 10)  # ~46 GiB: 10.1 GB measured at 2,000 sizes, x 5


def test_the_memory_estimate_matches_what_was_measured():
    """On the baseline (valuation path on, two threads), n = 1e3 with 1,000
    model sizes peaked at 5.14 GB resident and with 2,000 at 10.08 GB, of
    which 0.16 GB is the interpreter and libraries before the run
    (``/usr/bin/time -f %M sim run -n 1000 --yes --set grid.model_sizes=[...]``;
    model v3, whose four more histograms per size took it from 3.88 and 7.53 GB
    to 5.86 and 11.48 GB, then the threads' 32-byte histogram bins, 40 bytes
    before, to these)."""
    from sim.engine.reducer import histogram_columns
    from sim.scenario.plan import build_plan

    for n_sizes, measured in [(1000, 5.14e9 - 0.16e9), (2000, 10.08e9 - 0.16e9)]:
        sc = sim.load_scenario("baseline", {"grid.model_sizes": [1e6 + i for i in range(n_sizes)]})
        plan = build_plan(sc)
        estimate = estimate_bytes(plan.n_rows, 1000, plan.n_uniforms, 2, n_columns=plan.n_columns,
                                  n_hist=len(histogram_columns(plan)))
        assert 0.85 * measured < estimate < 1.15 * measured, (n_sizes, estimate / 1e9)


def test_yes_lifts_the_limits(monkeypatch):
    seen = {}

    def run(*args, limits=None, **kwargs):
        seen["limits"] = limits
        raise sim.SimError("stop here")

    monkeypatch.setattr(sim.analyses.run, "run", run)
    CliRunner().invoke(cli, ["run", "-n", "1e12", "--yes"])
    assert seen["limits"] == Limits()
    CliRunner().invoke(cli, ["run", "-n", "1e12"])
    assert seen["limits"] == Limits.command_line()


def test_the_library_guard_measures_the_run_itself(baseline):
    with pytest.raises(NeedsConfirmation, match=r"more than 0 s"):
        sim.run(baseline, n_scenarios=10**9, limits=Limits(seconds=1e-6))


def test_replicate_sizes_are_instant_for_a_trillion_scenarios():
    began = time.perf_counter()
    sizes = replicate_sizes(10**12, 8)
    build_design("lhs", 1, 10**12, 40)
    assert time.perf_counter() - began < 0.5
    assert sizes.sum() == 10**12
    for n in (1, BLOCK - 1, BLOCK, 8 * BLOCK + 5, 123_457):
        blocks = [min(BLOCK, n - b * BLOCK) for b in range(-(-n // BLOCK))]
        expected = [sum(blocks[r::8]) for r in range(8)]
        np.testing.assert_array_equal(replicate_sizes(n, 8), expected)


# ---------------------------------------------------------------- feedback

class FakeBar:
    def __init__(self, events):
        self.events, self.updates = events, []

    def update(self, k):
        self.updates.append(k)

    def close(self):
        pass


def test_the_bar_starts_after_the_compile_and_moves_from_the_first_chunk(baseline, monkeypatch,
                                                                         capsys):
    """Compilation and the pilot happen before the bar exists, so its rate is
    the sampling rate; the first chunk is one block per thread, so the bar
    moves (and its estimate settles) within a fraction of a second."""
    events = []
    bars = []
    warm = sim.engine.reducer.Reducer.warm_up

    def warm_up(self):
        events.append("compiled")
        numba.njit(lambda x: x + 1)(1)  # a real compile, as a cold cache has
        warm(self)

    def progress_bar(total, enabled, desc="simulating", initial=0):
        events.append("bar")
        bars.append(FakeBar(events))
        return bars[-1]

    monkeypatch.setattr(sim.engine.reducer.Reducer, "warm_up", warm_up)
    monkeypatch.setattr(sim.engine.driver, "progress_bar", progress_bar)
    monkeypatch.setattr(sim.kernels.cache, "_record", lambda measured: None)
    sim.run(baseline, n_scenarios=40 * BLOCK, progress=True)
    assert events == ["compiled", "bar"]
    assert bars[0].updates[0] == numba.get_num_threads() * BLOCK
    assert sum(bars[0].updates) == 40 * BLOCK
    assert "compiling kernels (about " in capsys.readouterr().err


def _copy_cache(tmp_path: Path) -> Path:
    """A private copy of the (warm) compile cache of this source tree."""
    subprocess.run([sys.executable, "-m", "sim", "run", "-n", "1000", "--quiet"], check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    target = tmp_path / "cache"
    for module in (ROOT / "sim").rglob("*.py"):
        source = cache_folder(module)
        if source.is_dir():
            shutil.copytree(source, target / "numba" / source.name)
    return target


@pytest.mark.integration
def test_a_corrupt_compile_cache_is_rebuilt_with_a_one_line_note(tmp_path):
    cache = _copy_cache(tmp_path)
    files = sorted(cache.rglob("accumulators.merge_blocks-*.nbc"))
    assert files, "no cached merge_blocks to break"
    for data in files:  # one per compiled signature
        data.write_bytes(data.read_bytes()[:100])  # truncated, as by a crash or a full disk
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NUMBA_CACHE_DIR": str(cache)}
    cmd = [sys.executable, "-m", "sim", "run", "-n", "5000", "--seed", "2", "--quiet",
           "-o", "out.nc"]
    first = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    lines = first.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("note: the compile cache in "), first.stderr
    assert "unreadable (UnpicklingError in merge_blocks); rebuilding it" in lines[0]
    again = subprocess.run(cmd[:-2] + ["-o", "again.nc"], env=env, cwd=tmp_path,
                           capture_output=True, text=True)
    assert again.returncode == 0 and again.stderr == ""
    import xarray as xr
    with xr.open_dataset(tmp_path / "out.nc") as a, xr.open_dataset(tmp_path / "again.nc") as b:
        np.testing.assert_array_equal(a.roi_mean.values, b.roi_mean.values)
