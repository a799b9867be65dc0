"""A run compiles the model once: the pilot, the chunks and ``sim.sample``
all run the one kernel that holds it (``reduce_chunk``), with one set of
argument types (a second kernel or a second specialization doubled a cold
start's compile). The industry frame likewise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.kernels import reduce

ROOT = Path(__file__).resolve().parents[2]

#: A cold run that names every function Numba compiles (not loads).
_COLD = """
from numba.core import event

compiled = []


class Recorder(event.Listener):
    def on_start(self, ev):
        compiled.append(ev.data["dispatcher"].py_func.__name__)

    def on_end(self, ev):
        pass


event.register("numba:compile", Recorder())
import sim

sim.run("baseline", n_scenarios=1000, seed=0, progress=False)
print(" ".join(sorted(set(compiled))))
"""


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


def test_the_industry_frame_compiles_one_kernel_for_its_pilot_run_and_sample():
    from sim.kernels import industry

    sim.run("industry", n_scenarios=2000, seed=1, progress=False)
    sim.sample("industry", n_scenarios=300, seed=1)
    assert len(industry.reduce_chunk.signatures) == 1
    assert not hasattr(industry.sample_range, "overloads")  # plain Python: no kernel of its own


def test_a_range_of_industry_scenarios_is_that_range_of_the_first_ones():
    """The kept scenarios of any range, block boundaries or not, are those
    scenarios of a sample from the start (each depends on its index alone)."""
    from sim.engine.designs import build_design
    from sim.engine.reducer import sample_arrays
    from sim.kernels.sampling.rng import key_from_seed
    from sim.scenario.plan import build_plan
    from sim.vocab.layout import BLOCK

    plan = build_plan(sim.load_scenario("industry"))
    key = key_from_seed(3)
    n = BLOCK + 700
    design = build_design("random", 3, n, plan.n_dims)
    whole = sample_arrays(plan, key, 0, n, design)
    for first, count in ((0, 5), (BLOCK - 200, 400), (BLOCK + 1, 600), (13, BLOCK)):
        part = sample_arrays(plan, key, first, count, design)
        for a, b in zip(part, whole):
            np.testing.assert_array_equal(a, b[first:first + count])


def _inlined_in_ir() -> set[str]:
    """The kernel functions compiled by inlining into their callers
    (:func:`sim.kernels.jit.jit_inline_ir`)."""
    from numba.core.registry import CPUDispatcher

    import sim.kernels.industry  # noqa: F401 - every kernel module
    import sim.kernels.rows  # noqa: F401

    return {name for module_name, module in list(sys.modules.items()) if module_name.startswith("sim.kernels")
            for name, obj in vars(module).items()
            if isinstance(obj, CPUDispatcher) and obj.__module__ == module_name
            and obj.targetoptions.get("inline") == "always"}


@pytest.mark.slow
def test_a_cold_run_optimizes_the_model_inside_its_kernel_only(tmp_path):
    """The functions each kernel calls from one place (the model over a block,
    one size of one world, the draws, ...) are inlined into ``reduce_chunk``
    in Numba's IR (``sim.kernels.jit.jit_inline_ir``): a cold run compiles no
    library of their own, which LLVM would optimize and emit alone and again
    inside the kernel (6 s of a 27 s cold start). The rest of the call tree
    is still compiled once each."""
    inlined = _inlined_in_ir()
    assert {"evaluate_block", "world_size", "draw_block"} <= inlined
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", _COLD], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    compiled = set(done.stdout.split())
    assert {"reduce_chunk", "size_costs", "size_market", "world_scenario"} <= compiled
    assert not compiled & inlined, compiled & inlined
