"""The benchmark harness computes the engine's numbers and reports them sanely.

These test correctness only (baselines and floors agree with the engine at
small n, the JSON report, the command's exit codes); speed is measured by
``sim bench``, never asserted here.
"""

from __future__ import annotations

import json

import numba
import numpy as np
import pytest
from click.testing import CliRunner

from sim import bench
from sim.bench import floors, memory, naive_numba, numpy_model, squiggle_model, workload
from sim.cli import cli


@pytest.fixture(scope="module")
def workload_scenario():
    """The benchmark workload (the frozen v1 baseline the baselines transcribe)."""
    return workload.scenario()


@pytest.fixture(scope="module")
def plan(workload_scenario):
    return workload.plan(workload_scenario)


def test_naive_numba_equals_engine(plan, threads):
    want = workload.engine_summary(plan, 3, 5000)
    for t in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
        threads(t)
        got = naive_numba.run(plan, 3, 5000)
        assert workload.same_means(got, want, 1e-9) is None
        np.testing.assert_allclose(got.roi_mean, want.roi_mean, rtol=1e-9)


def test_random_number_floor_draws_what_an_independent_generator_draws(workload_scenario, plan):
    # The oracle: SplitMix64 written in NumPy and SciPy-special quantiles.
    assert floors.draws_check(plan, workload_scenario, seed=2, n=3000) is None


def test_numpy_uniforms_are_the_kernel_stream():
    """The floor's NumPy oracle reproduces the kernel generator bit for bit
    (and so the check above compares two implementations of one definition)."""
    from sim.sampling.rng import fill_uniforms, key_from_seed

    key = key_from_seed(11)
    want = np.empty((50, 7))
    for s in range(50):
        fill_uniforms(key, 100 + s, 7, want[s])
    np.testing.assert_array_equal(floors.uniforms_np(key, 100, 50, 7), want)


def test_draws_check_catches_wrong_draws(workload_scenario, plan, monkeypatch):
    real = floors.draws_run
    monkeypatch.setattr(floors, "draws_run", lambda *a: real(*a) * (1 + 1e-6))
    assert "differ" in floors.draws_check(plan, workload_scenario, seed=2, n=3000)


def test_arithmetic_floor_evaluates_the_engine_model(plan):
    pre = floors.predraw(plan, seed=4, m=2000)
    assert floors.model_check(plan, pre) is None
    # Cycling through the chunk twice doubles the sums.
    once, _ = floors.model_run(plan, pre, 2000)
    twice, _ = floors.model_run(plan, pre, 4000)
    np.testing.assert_allclose(twice, 2 * once, rtol=1e-12)


def test_numpy_baseline_matches_engine(workload_scenario, plan):
    assert numpy_model.check_on_engine_draws(workload_scenario, n=2000) is None
    got = numpy_model.run(workload_scenario, seed=1, n=30_000, chunk=7000)  # several chunks
    assert got.n == 30_000
    assert workload.same_distribution(got, workload.engine_summary(plan, 1, 30_000)) is None


def test_squigglepy_model_matches_engine(workload_scenario, plan):
    if not squiggle_model.available():
        pytest.skip("squigglepy not installed (optional)")
    got = squiggle_model.run(workload_scenario, seed=1, n=20_000)
    assert workload.same_distribution(got, workload.engine_summary(plan, 1, 20_000)) is None


def test_checks_catch_a_wrong_answer(plan):
    want = workload.engine_summary(plan, 0, 4096)
    wrong = workload.Summary(want.n, want.roi_mean * (1 + 1e-6), want.roi_se, want.prob_loss)
    assert "mean ROI differs" in workload.same_means(wrong, want, 1e-9)
    shifted = workload.Summary(want.n, want.roi_mean + 10 * want.roi_se, want.roi_se, want.prob_loss)
    assert workload.same_distribution(shifted, want) is not None


def test_memory_probe_runs_in_a_fresh_process():
    m = memory.measure(2000)
    assert m["n"] == 2000 and m["peak_mib"] >= m["after_warmup_mib"] > 10


def _tiny(**kw):
    return bench.Settings.make(sizes=[3000], threads=[1], repeat=1,
                               skip=["startup", "memory", "squigglepy"], **kw)


def test_report_json_schema():
    report = bench.run_benchmarks(_tiny())
    doc = json.loads(json.dumps(report.to_json()))
    assert doc["schema"] == bench.SCHEMA and doc["ok"] is True
    assert {"cpu_model", "cores", "numba", "numpy", "python", "threading_layer"} <= set(doc["machine"])
    names = {r["benchmark"] for r in doc["rates"]}
    assert names == {"engine", "engine_api", "naive_numba", "rng_floor", "arithmetic_floor", "numpy"}
    for r in doc["rates"]:  # each rate is a measured, positive, finite time
        assert r["n"] == 3000 and 0 < r["seconds"] < 60
    assert {r["against"] for r in doc["ratios"]} == {"naive_numba", "rng_floor",
                                                     "arithmetic_floor", "numpy"}
    for t in doc["targets"]:
        assert set(t) == {"target", "value", "threshold", "unit", "ok", "note"}
    assert all(c["ok"] for c in doc["checks"])
    assert "targets" in bench.format_table(report)


def test_targets_from_known_rates():
    """Ratios and pass/fail from hand-made rates: the floor target is a time ratio."""
    r = bench.Report(command="x", settings=bench.Settings(sizes=(100,), threads=(1, 2)))
    rates = {("engine", 1): 10, ("engine", 2): 20, ("naive_numba", 1): 4, ("naive_numba", 2): 12,
             ("rng_floor", 1): 15, ("rng_floor", 2): 50, ("numpy", 1): 1}
    for (name, t), per_s in rates.items():
        r.rates.append({"benchmark": name, "threads": t, "n": 100, "seconds": 100 / per_s,
                        "per_second": per_s})
    r.startup = {"cli_run_s": 1.5}
    r.memory = [{"n": 1e6, "peak_mib": 300.0}, {"n": 1e8, "peak_mib": 360.0}]
    got = {t["target"]: (t["value"], t["ok"]) for t in bench.targets(r)}
    assert got["engine at 2 threads >= 15x NumPy at 1 thread"] == (20, True)
    assert got["engine >= 2x naive Numba, 1 thread"] == (2.5, True)
    assert got["engine >= 2x naive Numba, 2 threads"][1] is False
    assert got["engine within 2x of the random-number floor, 1 thread"] == (1.5, True)
    assert got["engine within 2x of the random-number floor, 2 threads"] == (2.5, False)
    assert got["engine at 2 threads >= 10x squigglepy vectorized"] == (None, None)
    assert got["peak memory at 1e8 within 50 MiB of 1e6"] == (60.0, False)
    assert got["sim run -n 1e+06 end to end, warm cache < 2 s"] == (1.5, True)


ARGS = ["bench", "-n", "3000", "--threads", "1", "--repeat", "1",
        "--skip", "startup", "--skip", "memory", "--skip", "squigglepy", "--skip", "numpy"]


def test_cli_bench_writes_json_and_exits_zero(tmp_path):
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(cli, [*ARGS, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "scenarios per second" in result.output and "targets" in result.output
    assert json.loads(out.read_text())["schema"] == bench.SCHEMA


def test_cli_bench_exits_one_when_a_benchmark_is_wrong(tmp_path, monkeypatch):
    real = naive_numba.run

    def wrong(plan, seed, n):
        s = real(plan, seed, n)
        s.roi_mean = s.roi_mean + 1.0
        return s

    monkeypatch.setattr(naive_numba, "run", wrong)
    result = CliRunner().invoke(cli, [*ARGS, "-o", str(tmp_path / "b.json")])
    assert result.exit_code == 1
    assert "FAILED naive_numba" in result.output


def test_cli_bench_bad_input_exits_two(tmp_path):
    result = CliRunner().invoke(cli, ["bench", "-n", "lots", "-o", str(tmp_path / "b.json")])
    assert result.exit_code == 2 and "-n" in result.output
    result = CliRunner().invoke(cli, ["bench", "--skip", "everything"])
    assert result.exit_code == 2
