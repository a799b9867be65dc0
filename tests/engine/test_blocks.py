"""Blocks handed to threads from Python (sim.services.blocks): every block
once, lanes within the thread count, errors raised in the caller, the same
numbers at any thread count, and no Numba thread pool started by a run."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sim.services.blocks import over_blocks, over_units, thread_count

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("n_blocks, n_threads", [(0, 2), (1, 2), (7, 1), (7, 2), (50, 3)])
def test_every_block_runs_once_on_a_lane_below_the_thread_count(n_blocks, n_threads):
    seen: list[tuple[int, int]] = []
    lock = threading.Lock()

    def work(lane, b):
        with lock:
            seen.append((lane, b))

    over_blocks(n_blocks, n_threads, work)
    assert sorted(b for _, b in seen) == list(range(n_blocks))
    assert all(0 <= lane < max(1, min(n_threads, n_blocks)) for lane, _ in seen)


def test_an_error_in_a_block_is_raised_in_the_caller_and_stops_the_rest():
    done: list[int] = []

    def work(lane, b):
        if b == 3:
            raise ValueError("block 3")
        done.append(b)

    with pytest.raises(ValueError, match="block 3"):
        over_blocks(1000, 2, work)
    assert len(done) < 999


def test_thread_count_follows_set_num_threads(threads):
    threads(1)
    assert thread_count() == 1


def test_a_run_starts_no_numba_thread_pool():
    code = ("import sim; sim.run('baseline', n_scenarios=5000, seed=0, progress=False); "
            "from numba.np.ufunc import parallel; print(parallel._is_initialized)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False"


@pytest.mark.parametrize("n_units, per_call", [(0, 16), (1, 16), (16, 16), (17, 16), (100, 7)])
def test_ranges_of_units_cover_every_unit_once_in_ranges_of_at_most_per_call(n_units, per_call):
    seen: list[tuple[int, int]] = []
    lock = threading.Lock()

    def work(first, stop):
        with lock:
            seen.append((first, stop))

    over_units(n_units, per_call, 2, work)
    covered = sorted(u for first, stop in seen for u in range(first, stop))
    assert covered == list(range(n_units))
    assert all(0 < stop - first <= per_call for first, stop in seen)
