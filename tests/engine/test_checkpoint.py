"""Checkpoint and resume: the state is saved whole, and a resumed run ends
with exactly the numbers of an uninterrupted one.

The reducer's state is found generically (every array attribute of the
reducer and of its histograms), so these tests compare every attribute, not
a list: an array added to the reducer later is checked without edits here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import sim
from sim.services import signals
from sim.engine.checkpoint import Checkpointer, fingerprint, load_checkpoint
from sim.engine.reducer import Reducer
from sim.vocab.layout import BLOCK
from sim.scenario.plan import build_plan
from sim.engine.designs import build_design

ROOT = Path(__file__).resolve().parents[2]
#: Attributes that describe a session (its clock and chunking), not the state.
SESSION = {"start", "elapsed_before", "chunk_blocks", "blocks_per_chunk", "adaptive"}


def _attributes(reducer: Reducer) -> dict:
    out = {}
    merged = reducer.hist  # folds the lanes of chunks run here in first
    for k, v in vars(reducer).items():
        if k in SESSION:
            continue
        if isinstance(v, dict):  # sums, grouped sums, shapes: entry by entry
            out.update({f"reducer.{k}.{name}": x for name, x in v.items()})
            out[f"reducer.{k}"] = sorted(v)
        else:
            out[f"reducer.{k}"] = v
    out.update({f"hist.{k}": v for k, v in vars(merged).items()})
    out.update({f"ranges.{k}": v for k, v in vars(reducer.ranges).items()})
    return out


def assert_same_state(a: Reducer, b: Reducer) -> None:
    """Every attribute of two reducers (and their histograms) is equal."""
    left, right = _attributes(a), _attributes(b)
    assert set(left) == set(right)
    for name, x in left.items():
        y = right[name]
        if isinstance(x, np.ndarray):
            if name.startswith("hist.") and name[5:] in type(a.hist).PER_LANE:
                x, y = _lanes_merged(x), _lanes_merged(y)
            np.testing.assert_array_equal(x, y, err_msg=name)
        elif name in ("reducer.plan", "reducer.design", "reducer.args", "reducer._hist",
                      "reducer._pending", "reducer.ranges", "reducer.pilot_finding"):
            continue  # inputs (the same objects by construction); hist.*, ranges.* are compared
        else:
            assert x == y, name


def _lanes_merged(data: np.ndarray) -> np.ndarray:
    """Lane order depends on which thread ran which block; their sum does not."""
    return data[..., 0].sum(axis=0)


def _resume_through_a_file(plan, seed, design, n_stop, n, path, reducer_class=Reducer):
    first = reducer_class(plan, seed, design, chunk_size=BLOCK)
    first.advance(n_stop)
    saver = Checkpointer(path, {"test": 1})
    saver.save(first)
    arrays, n_done, _ = load_checkpoint(path, {"test": 1})
    resumed = reducer_class(plan, seed, design, chunk_size=3 * BLOCK)
    resumed.load_state(arrays, n_done)
    resumed.advance(n)
    return resumed


@pytest.mark.parametrize("sampler", ["random", "lhs", "sobol"])
def test_every_attribute_of_a_resumed_reducer_equals_an_uninterrupted_one(baseline, tmp_path,
                                                                          sampler):
    plan = build_plan(baseline)
    n = 8 * BLOCK
    design = build_design(sampler, 5, n, plan.n_dims)
    straight = Reducer(plan, 5, design)
    straight.advance(n)
    resumed = _resume_through_a_file(plan, 5, design, 3 * BLOCK, n, tmp_path / "ck.npz")
    assert_same_state(straight, resumed)
    a, b = straight.result(), resumed.result()
    for field in ("mean", "m2", "hist_count", "hist_min", "hist_max", "rep_mean", "rep_m2"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


def test_an_array_added_to_the_reducer_is_saved_without_changes(baseline, tmp_path):
    """A new state array (here: a running sum of block means per size)
    travels through the checkpoint because the state is found, not listed."""
    class Counting(Reducer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.visits = np.zeros(self.plan.n_sizes)

        def merge_chunk(self, state):
            super().merge_chunk(state)
            for b in range(state.n_blocks):  # block by block: the sum does not depend on chunks
                self.visits += state["block_mean"][b, :, 0]

    plan = build_plan(baseline)
    n = 6 * BLOCK
    design = build_design("random", 2, n, plan.n_dims)
    straight = Counting(plan, 2, design, chunk_size=BLOCK)
    straight.advance(n)
    resumed = _resume_through_a_file(plan, 2, design, 2 * BLOCK, n, tmp_path / "ck.npz", Counting)
    assert "reducer.visits" in resumed.state()
    assert_same_state(straight, resumed)


def test_a_state_with_a_missing_or_misshapen_array_is_refused(baseline, tmp_path):
    plan = build_plan(baseline)
    design = build_design("random", 2, 2 * BLOCK, plan.n_dims)
    reducer = Reducer(plan, 2, design)
    reducer.advance(BLOCK)
    state = reducer.state()
    del state["reducer.m2"]
    with pytest.raises(sim.SimError, match=r"missing: reducer\.m2"):
        Reducer(plan, 2, design).load_state(state, BLOCK)
    state = reducer.state()
    state["reducer.mean"] = state["reducer.mean"][:1]
    with pytest.raises(sim.SimError, match=r"the checkpoint's reducer\.mean is float64"):
        Reducer(plan, 2, design).load_state(state, BLOCK)


def _interrupt_after(monkeypatch, n_stop: int) -> None:
    """Raise the interrupt the command line would, between chunks, once
    ``n_stop`` scenarios are done."""
    real = signals.set_progress
    fired = []

    def set_progress(done):
        real(done)
        if done >= n_stop and not fired:
            fired.append(done)
            raise signals.Interrupted(signal.SIGINT)

    monkeypatch.setattr(signals, "set_progress", set_progress)


@pytest.mark.parametrize("options", [
    {"sampler": "random"},
    {"sampler": "sobol"},
    {"sampler": "lhs"},
    {"sampler": "random", "target_se": 0.05, "max_scenarios": 200_000},
])
def test_an_interrupted_run_resumes_to_identical_numbers(baseline, tmp_path, monkeypatch, options):
    n = 16 * BLOCK  # whole Sobol' replicates
    straight = sim.run(baseline, n_scenarios=n, seed=9, **options)
    path = tmp_path / "ck.npz"
    with monkeypatch.context() as m:
        _interrupt_after(m, 5 * BLOCK)
        with pytest.raises(signals.Interrupted):
            sim.run(baseline, n_scenarios=n, seed=9, chunk_size=BLOCK, checkpoint=path,
                    checkpoint_every=1e-6, **options)
    arrays, n_done, _ = load_checkpoint(path, fingerprint(
        baseline, 9, options["sampler"], n, None if "target_se" not in options else
        {"se": 0.05, "statistic": "roi_mean", "max_scenarios": 200_000}))
    assert n_done == 5 * BLOCK
    resumed = sim.run(baseline, n_scenarios=n, seed=9, resume=path, **options)
    assert set(resumed.data_vars) == set(straight.data_vars)
    for name in straight.data_vars:
        np.testing.assert_array_equal(resumed[name].values, straight[name].values, err_msg=name)
    for key, value in straight.attrs.items():
        if key not in ("created", "elapsed_seconds"):
            assert resumed.attrs[key] == value, key


@pytest.mark.parametrize("n", [3 * BLOCK, 3 * BLOCK + 1234])  # whole and partial last block
def test_resuming_a_finished_run_gives_its_numbers(baseline, tmp_path, n):
    """A checkpoint saved when the run ended holds every scenario: resuming
    it computes nothing and returns the same Dataset."""
    path = tmp_path / "ck.npz"
    straight = sim.run(baseline, n_scenarios=n, seed=4, checkpoint=path)
    resumed = sim.run(baseline, n_scenarios=n, seed=4, resume=path)
    for name in straight.data_vars:
        np.testing.assert_array_equal(resumed[name].values, straight[name].values, err_msg=name)


def test_a_checkpoint_of_another_run_is_refused(baseline, tmp_path):
    path = tmp_path / "ck.npz"
    sim.run(baseline, n_scenarios=BLOCK, seed=1, checkpoint=path)
    with pytest.raises(sim.SimError, match=r"another run \(seed 1 in the checkpoint, 2 here\)"):
        sim.run(baseline, n_scenarios=BLOCK, seed=2, resume=path)
    with pytest.raises(sim.SimError, match="the scenario differs"):
        sim.run(baseline, n_scenarios=BLOCK, seed=1, resume=path,
                overrides={"market.competitors": 3})
    with pytest.raises(sim.SimError, match="a checkpoint already exists; pass resume="):
        sim.run(baseline, n_scenarios=BLOCK, seed=1, checkpoint=path)
    (tmp_path / "junk.npz").write_text("junk")
    with pytest.raises(sim.SimError, match="not a readable sim checkpoint"):
        sim.run(baseline, n_scenarios=BLOCK, seed=1, resume=tmp_path / "junk.npz")


@pytest.mark.integration
def test_ctrl_c_with_checkpoint_then_resume_on_the_command_line(tmp_path):
    """The whole story: SIGINT saves the state and says how to continue;
    --resume ends with the file an uninterrupted run writes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # 4e6 scenarios: about 3 s of sampling on two cores, so the interrupt
    # (0.5 s after the first save, itself 0.3 s in) lands before the end; with
    # 1e6 (0.7 s) an idle machine sometimes finished first, and nothing was saved.
    cmd = [sys.executable, "-m", "sim", "run", "-n", "4e6", "--seed", "4", "--quiet"]
    subprocess.run(cmd + ["-n", "1000"], env=env, check=True, cwd=tmp_path)  # warm cache
    proc = subprocess.Popen(cmd + ["--checkpoint", "ck.npz", "--checkpoint-every", "0.3",
                                   "-o", "a.nc"], env=env, cwd=tmp_path, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 120
    while not (tmp_path / "ck.npz").exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # the first save comes 0.3 s into the sampling
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "the checkpoint ck.npz holds" in err and "continue with --resume ck.npz" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.npz"]
    done = subprocess.run(cmd + ["--resume", "ck.npz", "-o", "a.nc"], env=env, cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    done = subprocess.run(cmd + ["-o", "b.nc"], env=env, cwd=tmp_path, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    with xr.open_dataset(tmp_path / "a.nc") as a, xr.open_dataset(tmp_path / "b.nc") as b:
        for name in b.data_vars:
            np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def test_a_checkpoint_holds_the_arrays_of_its_format(baseline):
    """What a checkpoint holds is its format (``FORMAT``): an array the plan
    alone determines, kept as an attribute of the reducer (as the histogram
    slots of each row once were), would join it and make every earlier
    checkpoint of the same version unreadable ("does not match this
    version's state")."""
    from sim.engine.checkpoint import FORMAT

    plan = build_plan(baseline)
    reducer = Reducer(plan, 5, build_design("random", 5, 2 * BLOCK, plan.n_dims))
    assert FORMAT == 2
    assert set(reducer.state()) == {
        "hist.data", "hist.hi", "hist.inv_width", "hist.lo", "hist.offset", "hist.scale",
        "reducer.hist_cols", "reducer.m2", "reducer.mean", "reducer.rep_m2", "reducer.rep_mean",
        "reducer.rep_n", "reducer.total_n"}
