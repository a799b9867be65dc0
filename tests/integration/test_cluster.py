"""Runs, sweeps and decisions on a Dask cluster: the local numbers, bit for
bit, through a dying worker, and refused when the versions differ or the
pilot overflows.

A LocalCluster of 2 worker processes (one Numba thread each) serves the
module. Runs are small: 3 chunks of 2 blocks (decisions: 4 chunks of 2).
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

import sim
from sim.vocab.errors import NonFiniteResults
from sim.vocab.layout import BLOCK
from sim.testing.scenarios import V2_SCENARIOS

distributed = pytest.importorskip("distributed")

import sim.engine.cluster as sd  # noqa: E402
from sim.cli.main import cli  # noqa: E402

N = 5 * BLOCK + 100  # 3 chunks of 2 blocks, the last one partial
CHUNK = 2 * BLOCK
N_DECIDE = 8 * BLOCK  # 4 chunks of 2 blocks: 8 EVPPI groups of one block each
#: A pilot that overflows at the large sizes (as in tests/analyses/test_finite.py).
OVERFLOWING = {"costs.fixed_cost_at_reference": 1e300,
               "costs.fixed_cost_exponent": {"dist": "uniform", "low": 0.0, "high": 10.0}}
VOLATILE = ("created", "elapsed_seconds")  # when and how long, not what


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the cluster's own start-up chatter
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                           silence_logs=logging.CRITICAL)
    with cluster, distributed.Client(cluster) as c:
        c.sim_threads = 1  # two processes on two cores
        yield c


def without_volatile(ds: xr.Dataset) -> xr.Dataset:
    ds = ds.copy()
    for key in VOLATILE:
        ds.attrs.pop(key, None)
    return ds


def assert_same(a: xr.Dataset, b: xr.Dataset) -> None:
    """Every variable, coordinate and attribute identical, bit for bit."""
    xr.testing.assert_identical(without_volatile(a), without_volatile(b))


# ------------------------------------------------------------------ identical results
@pytest.mark.parametrize("kwargs", [
    dict(seed=3),
    dict(seed=5, sampler="lhs"),  # moments per replicate too
    dict(seed=2, target_se=1e-9, max_scenarios=8 * BLOCK),  # doubling: two rounds of chunks
], ids=["random", "lhs", "target_se"])
def test_run_on_the_cluster_is_bit_identical(baseline, client, kwargs):
    local = sim.run(baseline, n_scenarios=N, chunk_size=CHUNK, **kwargs)
    remote = sim.run(baseline, n_scenarios=N, chunk_size=CHUNK, client=client, **kwargs)
    assert_same(remote, local)


def test_sweep_on_the_cluster_is_bit_identical(baseline, client):
    vary = {"market.competitors.lam": [2, 8], "costs.gpu_hour_price.p95": "3,5"}
    local = sim.sweep(baseline, vary, n_scenarios=3 * BLOCK, seed=4, chunk_size=CHUNK)
    remote = sim.sweep(baseline, vary, n_scenarios=3 * BLOCK, seed=4, chunk_size=CHUNK,
                      client=client)
    assert remote.attrs["sweep_points"] == 4
    assert_same(remote, local)


@pytest.mark.parametrize("kwargs", [
    dict(seed=3),
    dict(seed=6, max_prob_loss=0.5, sampler="lhs"),  # the constrained choice, replicates
], ids=["random", "lhs_constrained"])
def test_decide_on_the_cluster_is_bit_identical(client, kwargs):
    # The v2 strategies, where several alternatives compete, so that EVPPI is
    # not 0 (under the v3 baseline fine-tuning at 1T wins 96% of scenarios).
    strategies = V2_SCENARIOS / "strategies.toml"
    local = sim.decide(strategies, n_scenarios=N_DECIDE, chunk_size=CHUNK, **kwargs)
    remote = sim.decide(strategies, n_scenarios=N_DECIDE, chunk_size=CHUNK, client=client,
                       **kwargs)
    # The value of information was computed, on the workers: not an empty sum.
    assert remote.attrs["voi_groups"] == 8
    assert np.isfinite(remote["evppi"]).all() and (remote["evppi"] > 0).any()
    assert (remote["evppi_se"] > 0).any()
    for name in ("evppi", "evppi_se", "evppi_floor", "evpi", "prob_best", "regret_mean"):
        np.testing.assert_array_equal(remote[name].values, local[name].values, err_msg=name)
    assert remote.attrs["choice"] == local.attrs["choice"]
    assert_same(remote, local)


def test_decide_on_the_cluster_shows_progress(baseline, client, monkeypatch):
    import sim.engine.driver

    counted = []

    class Bar:
        def update(self, k):
            counted.append(k)

        def set_postfix_str(self, text):
            pass

        def close(self):
            pass

    monkeypatch.setattr(sim.engine.driver, "progress_bar", lambda total, enabled, **kw: Bar())
    sim.decide(baseline, n_scenarios=N, seed=1, chunk_size=CHUNK, progress=True, client=client)
    assert sorted(counted) == sorted([CHUNK, CHUNK, N - 2 * CHUNK])


@pytest.mark.parametrize("how", ["run", "decide"])
def test_a_pilot_that_overflows_is_refused_on_the_cluster_as_locally(baseline, client, how):
    sc = baseline.with_overrides(OVERFLOWING)
    with pytest.raises(NonFiniteResults) as here:
        getattr(sim, how)(sc, n_scenarios=N, seed=1, chunk_size=CHUNK)
    with pytest.raises(NonFiniteResults) as there:
        getattr(sim, how)(sc, n_scenarios=N, seed=1, chunk_size=CHUNK, client=client)
    assert "infinite or NaN results in " in str(here.value)
    assert str(there.value) == str(here.value)


def test_a_sweep_point_that_overflows_is_refused_on_the_cluster_as_locally(baseline, client):
    vary = {"costs.fixed_cost_exponent.high": [0.5, 10.0]}
    sc = baseline.with_overrides(OVERFLOWING)
    with pytest.raises(NonFiniteResults) as here:
        sim.sweep(sc, vary, n_scenarios=N, seed=1, chunk_size=CHUNK)
    with pytest.raises(NonFiniteResults) as there:
        sim.sweep(sc, vary, n_scenarios=N, seed=1, chunk_size=CHUNK, client=client)
    assert str(here.value).startswith("at the sweep point costs.fixed_cost_exponent.high=10: ")
    assert str(there.value) == str(here.value)


# ------------------------------------------------------------------ faults
def _patch_compute_chunk(marker_dir: str, blocks: tuple[int, ...], mode: str) -> int:
    """On a worker: make a chunk that starts at one of ``blocks`` exit the
    process the first time it runs (``mode="exit once"``) or always raise
    (``"raise"``)."""
    from sim.engine.reducer import Reducer

    original = getattr(Reducer, "_unpatched_compute_chunk", Reducer.compute_chunk)

    def compute_chunk(self, first_block, n_blocks, n_to):
        if first_block in blocks:
            marker = Path(marker_dir) / f"chunk-{first_block}"
            if mode == "raise":
                raise RuntimeError(f"chunk {first_block} cannot be computed")
            if not marker.exists():
                marker.write_text(str(os.getpid()))
                os._exit(1)
        return original(self, first_block, n_blocks, n_to)

    Reducer._unpatched_compute_chunk = original
    Reducer.compute_chunk = compute_chunk
    return os.getpid()


def _unpatch_compute_chunk() -> None:
    from sim.engine.reducer import Reducer

    original = Reducer.__dict__.get("_unpatched_compute_chunk")
    if original is not None:
        Reducer.compute_chunk = original
        del Reducer._unpatched_compute_chunk


@pytest.fixture
def faulty(client):
    """Install a fault on every worker; remove it and wait for both workers after."""
    def install(marker_dir, blocks, mode):
        return client.run(_patch_compute_chunk, str(marker_dir), tuple(blocks), mode)

    yield install
    client.run(_unpatch_compute_chunk)
    client.wait_for_workers(2, timeout=120)


def test_a_worker_that_dies_mid_run_changes_nothing(baseline, client, faulty, tmp_path):
    pids = set(faulty(tmp_path, [2], "exit once").values())
    remote = sim.run(baseline, n_scenarios=N, seed=3, chunk_size=CHUNK, client=client)
    marker = tmp_path / "chunk-2"
    assert marker.exists(), "the chunk never ran"
    assert int(marker.read_text()) in pids  # a worker process ran it and exited
    local = sim.run(baseline, n_scenarios=N, seed=3, chunk_size=CHUNK)
    assert_same(remote, local)


def test_a_run_that_cannot_complete_names_the_chunk(baseline, client, faulty, tmp_path):
    faulty(tmp_path, [2], "raise")
    with pytest.raises(sim.SimError) as info:
        sim.run(baseline, n_scenarios=N, seed=3, chunk_size=CHUNK, client=client)
    message = str(info.value)
    assert "nothing is returned" in message
    assert "blocks 2-3 (scenarios 8,192-16,383): RuntimeError: chunk 2 cannot be computed" in message
    assert f"after {sd.RETRIES} retries" in message


def test_the_command_line_writes_nothing_when_a_chunk_fails(client, faulty, tmp_path):
    faulty(tmp_path, [0], "raise")
    out = tmp_path / "run.nc"
    result = CliRunner().invoke(cli, ["run", "-n", str(N), "--seed", "1", "-o", str(out), "--quiet",
                                      "--scheduler", client.scheduler.address])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: the run cannot complete")
    assert f"blocks 0-5 (scenarios 0-{N - 1:,}): RuntimeError: chunk 0 cannot be computed" in result.output
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ versions
def test_a_version_mismatch_is_refused_naming_both(baseline, client, monkeypatch):
    real = sd.fingerprint()
    monkeypatch.setattr(sd, "fingerprint", lambda: {**real, "sim": "9.9.9"})
    with pytest.raises(sim.SimError) as info:
        sim.run(baseline, n_scenarios=N, client=client)
    message = str(info.value)
    assert f"runs sim {sim.__version__} (source {real['source']}" in message  # the worker
    assert "this client runs sim 9.9.9" in message
    assert "differ in sim" in message


def test_a_task_refuses_a_worker_that_differs(baseline, client):
    """A worker that joins after the check is caught by the tasks themselves."""
    from sim.analyses.request import build_request
    from sim.engine import driver

    executor = sd.ClusterExecutor(client, threads=1)
    executor.fingerprint = {**executor.fingerprint, "compile options": "fastmath=True"}
    request = build_request(baseline, N)
    with pytest.raises(sim.SimError, match="differ in compile options"):
        reducer = driver.start(request.plan, request.seed, request.design, CHUNK, executor=executor)
        driver.execute(reducer, request.n_eval, executor=executor)


def test_the_fingerprint_names_the_source_and_the_compiler():
    from sim.kernels.cache import source_digest

    fp = sd.fingerprint()
    assert fp["sim"] == sim.__version__ and fp["source"] == source_digest()
    assert {"numba", "llvmlite", "numpy", "compile options"} <= set(fp)
    assert "error_model='numpy'" in fp["compile options"]


# ------------------------------------------------------------------ command line
def test_cli_runs_on_local_worker_processes(tmp_path):
    out = tmp_path / "run.nc"
    result = CliRunner().invoke(cli, ["run", "-n", "5000", "--seed", "8", "--workers", "2",
                                      "--quiet", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with xr.open_dataset(out) as ds:
        assert_same(ds.load(), sim.run("baseline", n_scenarios=5000, seed=8))


def test_cli_sweep_on_a_scheduler(client, tmp_path):
    out = tmp_path / "sweep.nc"
    result = CliRunner().invoke(cli, ["sweep", "baseline", "--vary", "market.competitors.lam=2,8",
                                      "-n", "5000", "--quiet", "-o", str(out),
                                      "--scheduler", client.scheduler.address])
    assert result.exit_code == 0, result.output
    local = sim.sweep("baseline", {"market.competitors.lam": [2, 8]}, n_scenarios=5000)
    with xr.open_dataset(out) as ds:
        assert_same(ds.load(), local)


def test_cli_decide_on_local_workers_writes_what_a_local_decide_writes(tmp_path):
    args = ["decide", "strategies", "-n", str(N_DECIDE), "--seed", "2", "--quiet"]
    runner = CliRunner()
    here = runner.invoke(cli, args + ["-o", str(tmp_path / "here.nc")])
    assert here.exit_code == 0, here.output
    there = runner.invoke(cli, args + ["--workers", "2", "-o", str(tmp_path / "there.nc")])
    assert there.exit_code == 0, there.output
    with xr.open_dataset(tmp_path / "here.nc") as a, xr.open_dataset(tmp_path / "there.nc") as b:
        assert "evppi" in b
        assert_same(b.load(), a.load())


def test_one_place_to_run(client):
    with pytest.raises(sim.SimError, match="give one of client, scheduler and workers"):
        sim.run("baseline", n_scenarios=100, client=client, workers=2)
    result = CliRunner().invoke(cli, ["run", "-n", "100", "--workers", "2", "--scheduler", "x:1"])
    assert result.exit_code == 2 and "give one of them" in result.output


# ------------------------------------------------------------------ the industry frame
def test_an_industry_run_on_the_cluster_is_bit_identical(client):
    local = sim.run("industry", n_scenarios=5 * BLOCK + 100, chunk_size=CHUNK, seed=3)
    remote = sim.run("industry", n_scenarios=5 * BLOCK + 100, chunk_size=CHUNK, seed=3, client=client)
    assert_same(remote, local)


def test_an_industry_sweep_on_the_cluster_is_bit_identical(client):
    vary = {"industry.entry_speed": [0.2, 0.6]}
    local = sim.sweep("industry", vary, n_scenarios=2 * BLOCK, seed=4, chunk_size=CHUNK)
    remote = sim.sweep("industry", vary, n_scenarios=2 * BLOCK, seed=4, chunk_size=CHUNK, client=client)
    assert_same(remote, local)
