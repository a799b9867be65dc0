"""The industry frame through the engine's machinery: an interrupted run
resumes from its checkpoint to identical numbers, a finished checkpoint gives
its run back, and a checkpoint of the project frame is refused."""

from __future__ import annotations

import signal

import numpy as np
import pytest

import sim
from sim.engine.checkpoint import fingerprint, load_checkpoint
from sim.services import signals
from sim.vocab.errors import SimError
from sim.vocab.layout import BLOCK

#: Slow (interrupted and resumed industry runs): run with --slow, as CI does.
pytestmark = pytest.mark.slow


def _interrupt_after(monkeypatch, n_stop: int) -> None:
    real = signals.set_progress
    fired = []

    def set_progress(done):
        real(done)
        if done >= n_stop and not fired:
            fired.append(done)
            raise signals.Interrupted(signal.SIGINT)

    monkeypatch.setattr(signals, "set_progress", set_progress)


@pytest.fixture(scope="module")
def industry():
    return sim.load_scenario("industry")


@pytest.mark.parametrize("sampler", ["random", "sobol"])
def test_an_interrupted_industry_run_resumes_to_identical_numbers(industry, tmp_path, monkeypatch, sampler):
    n = 8 * BLOCK
    straight = sim.run(industry, n_scenarios=n, seed=9, sampler=sampler)
    path = tmp_path / "ck.npz"
    with monkeypatch.context() as m:
        _interrupt_after(m, 3 * BLOCK)
        with pytest.raises(signals.Interrupted):
            sim.run(industry, n_scenarios=n, seed=9, chunk_size=BLOCK, checkpoint=path,
                    checkpoint_every=1e-6, sampler=sampler)
    _, n_done, _ = load_checkpoint(path, fingerprint(industry, 9, sampler, n, None))
    assert n_done == 3 * BLOCK
    resumed = sim.run(industry, n_scenarios=n, seed=9, resume=path, sampler=sampler)
    assert set(resumed.data_vars) == set(straight.data_vars)
    for name in straight.data_vars:
        np.testing.assert_array_equal(resumed[name].values, straight[name].values, err_msg=name)


def test_a_project_checkpoint_is_refused_for_the_industry_frame(industry, tmp_path):
    path = tmp_path / "ck.npz"
    sim.run("baseline", n_scenarios=BLOCK, seed=1, checkpoint=path)
    with pytest.raises(SimError):
        sim.run(industry, n_scenarios=BLOCK, seed=1, resume=path)


def test_memory_is_flat_in_n(industry):
    """The reduced state does not grow with the number of scenarios."""
    from sim.engine.reducer import Reducer
    from sim.engine.designs import build_design
    from sim.scenario.plan import build_plan

    plan = build_plan(industry)
    sizes = []
    for n in (BLOCK, 16 * BLOCK):
        reducer = Reducer(plan, 1, build_design("random", 1, n, plan.n_dims))
        reducer.advance(n)
        sizes.append(sum(a.nbytes for a in reducer.state().values()))
    assert sizes[0] == sizes[1]
