"""A run compiles the model once: the pilot, the chunks and ``sim.sample``
all run the one parallel kernel that holds it (``reduce_chunk``), with one
set of argument types (a second kernel or a second specialization doubled a
cold start's compile)."""

from __future__ import annotations

import numpy as np

import sim
from sim.kernels import reduce


def test_run_sample_and_strategies_share_one_compiled_reduce_chunk():
    sim.run("baseline", n_scenarios=2000, seed=1, progress=False)
    sim.sample("baseline", n_scenarios=300, seed=1)
    sim.run("strategies", n_scenarios=2000, seed=1, progress=False)
    assert len(reduce.reduce_chunk.signatures) == 1
    assert not hasattr(reduce.sample_range, "overloads")  # plain Python: no kernel of its own


def test_sample_equals_the_kept_scenarios_of_a_run_chunk():
    """The pilot's scenarios are a run's: ``sample`` keeps scenarios ``0 .. n-1``
    with the same kernel that reduces them, so its mean ROI is the run's."""
    n = 4096
    run = sim.run("baseline", n_scenarios=n, seed=5, progress=False)
    sample = sim.sample("baseline", n_scenarios=n, seed=5)
    roi = sample["roi"].values
    np.testing.assert_allclose(roi.mean(axis=0), run["roi_mean"].values, rtol=1e-12)
