"""The benchmark harness computes the engine's numbers and reports them sanely.

These test correctness only (the NumPy baseline agrees with the engine at
small n, the JSON report, the command's exit codes); speed is measured by
``sim bench``, never asserted here. The developer's instruments in
``benchmarks/`` have their own checks (``benchmarks/test_instruments.py``).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

import sim
from sim import bench
from sim.bench import memory
from sim.bench import workload
from sim.testing import numpy_model
from sim.cli.main import cli


@pytest.fixture(scope="module")
def workload_scenario():
    """The benchmark workload (the frozen v1 baseline the baselines transcribe)."""
    return workload.scenario()


@pytest.fixture(scope="module")
def plan(workload_scenario):
    return workload.plan(workload_scenario)


def test_numpy_baseline_matches_engine(workload_scenario, plan):
    assert numpy_model.check_on_engine_draws(workload_scenario, n=2000) is None
    got = numpy_model.run(workload_scenario, seed=1, n=30_000, chunk=7000)  # several chunks
    assert got.n == 30_000
    assert workload.same_distribution(got, workload.engine_summary(plan, 1, 30_000)) is None


@pytest.fixture(scope="module")
def v2_draws():
    """The engine's own draws of bundled v2 scenarios (baseline: 6ND and every
    v2 block; cooling: a belief of its own; price_war: a rank correlation)."""
    return {name: (sim.load_scenario(name), sim.sample(sim.load_scenario(name), 20_000, seed=5))
            for name in ("baseline", "cooling", "price_war")}


@pytest.mark.parametrize("name", ["baseline", "cooling", "price_war"])
def test_numpy_v2_transcription_on_engine_draws(v2_draws, name):
    sc, ds = v2_draws[name]
    assert numpy_model.check_on_engine_draws_v2(sc, ds=ds) is None
    errors = numpy_model.engine_draws_errors_v2(sc, ds=ds)
    assert errors["roi"] < 1e-13 and errors["roi_expected"] < 1e-13  # a few ulps in practice


def test_numpy_v2_transcription_covers_the_other_route_and_rule():
    """The fine-tuning route and the power rule, which the baseline can take
    (``--set route=finetune``; ``bert_seed`` extends it under "power")."""
    for sc in (sim.load_scenario("finetune"), sim.load_scenario("bert_seed"),
               sim.load_scenario("baseline").with_overrides({"route": "finetune"})):
        assert numpy_model.check_on_engine_draws_v2(sc, n=4000) is None, sc.name


def test_numpy_v2_transcription_reduces_to_v1(workload_scenario):
    """On the v1 workload (every v2 key at its default) the v2 transcription
    is the v1 one, and both are the engine."""
    from sim.testing import reference

    sc = workload_scenario
    assert numpy_model.check_on_engine_draws_v2(sc, n=4000) is None
    gen = np.random.default_rng(0)
    params = numpy_model.draw_params(sc, gen, 4000)
    u = gen.random((4000, sc.horizon_years))
    args = (params, u, np.asarray(sc.model_sizes), sc.reference_size, sc.horizon_years)
    v1, v2 = reference.evaluate(*args), reference.evaluate_v2(*args)
    for name in ("roi", "roi_expected", "investment", "revenue_npv", "incident_loss_npv", "lab_loss"):
        np.testing.assert_allclose(v2[name], v1[name], rtol=1e-13, atol=1e-13, err_msg=name)


def test_numpy_v2_check_catches_a_wrong_transcription(v2_draws, monkeypatch):
    sc, ds = v2_draws["baseline"]
    # One constant a millionth off: reality and belief both move.
    nudged = sc.with_overrides({"risk.control_share": 0.05 * (1 + 1e-6)})
    verdict = numpy_model.check_on_engine_draws_v2(nudged, ds=ds)
    assert "roi differs" in verdict and "roi_expected differs" in verdict
    # A 365-day year in the release delay: only the sizes with a delay move.
    from sim.testing import reference
    monkeypatch.setattr(reference, "SECONDS_PER_YEAR", 365 * 86_400)
    assert "release_delay differs" in numpy_model.check_on_engine_draws_v2(sc, ds=ds)
    monkeypatch.undo()
    # The belief left out (cooling's investors believe the baseline's world).
    cooling, cooling_ds = v2_draws["cooling"]
    verdict = numpy_model.check_on_engine_draws_v2(cooling.with_overrides(
        {"expectation.market.competitors": "unset", "expectation.market.token_price_decline": "unset"}),
        ds=cooling_ds)
    assert "roi_expected differs" in verdict and "roi differs" not in verdict


@pytest.mark.parametrize("name", ["baseline", "cooling", "price_war"])
def test_numpy_v2_baseline_matches_engine(name):
    sc = sim.load_scenario(name)
    got = numpy_model.run_v2(sc, seed=1, n=30_000, chunk=7000)  # several chunks
    assert got.n == 30_000
    want = workload.engine_summary(workload.plan(sc), 1, 30_000)
    assert workload.same_distribution(got, want) is None


def test_numpy_v2_draws_correlated_and_believed_keys_as_the_engine(v2_draws):
    """The copula gives the engine's rank correlation, and a believed
    distribution is comonotone with reality's draw."""
    from scipy import stats

    gen = np.random.default_rng(3)
    sc, ds = v2_draws["price_war"]
    params, _ = numpy_model.draw_params_v2(sc, gen, 20_000)
    pair = ("market.competitors", "market.token_price_decline")
    got = stats.spearmanr(params[pair[0]], params[pair[1]])[0]
    want = stats.spearmanr(ds[pair[0]].values, ds[pair[1]].values)[0]
    assert abs(got - want) < 0.03 and got > 0.4
    sc, ds = v2_draws["cooling"]
    params, belief = numpy_model.draw_params_v2(sc, gen, 20_000)
    for key in sc.belief:
        order = np.lexsort((belief[key], params[key]))  # no discordant pair: comonotone
        assert np.all(np.diff(belief[key][order]) >= 0), key
        assert stats.ks_2samp(belief[key], ds[f"expectation.{key}"].values).pvalue > 1e-3


def test_checks_catch_a_wrong_answer(plan):
    want = workload.engine_summary(plan, 0, 4096)
    wrong = workload.Summary(want.n, want.roi_mean * (1 + 1e-6), want.roi_se, want.prob_loss)
    assert "mean ROI differs" in workload.same_means(wrong, want, 1e-9)
    shifted = workload.Summary(want.n, want.roi_mean + 10 * want.roi_se, want.roi_se, want.prob_loss)
    assert workload.same_distribution(shifted, want) is not None


@pytest.mark.integration
def test_memory_probe_runs_in_a_fresh_process():
    m = memory.measure(2000)
    assert m["n"] == 2000 and m["peak_mib"] >= m["after_warmup_mib"] > 10


def _tiny(**kw):
    return bench.Settings.make(sizes=[3000], threads=[1], repeat=1,
                               skip=["startup", "memory"], **kw)


def test_report_json_schema():
    report = bench.run_benchmarks(_tiny())
    doc = json.loads(json.dumps(report.to_json()))
    assert doc["schema"] == bench.SCHEMA and doc["ok"] is True
    assert {"cpu_model", "cores", "numba", "numpy", "python", "threading_layer"} <= set(doc["machine"])
    names = {r["benchmark"] for r in doc["rates"]}
    assert names == {"engine", "engine_api", "numpy", "engine_v2", "numpy_v2"}
    for r in doc["rates"]:  # each rate is a measured, positive, finite time
        assert r["n"] == 3000 and 0 < r["seconds"] < 60
        assert r["workload"] == ("v2" if r["benchmark"].endswith("_v2") else "v1")
    assert {r["against"] for r in doc["ratios"]} == {"numpy", "numpy_v2"}
    assert "breakdown_ns" not in doc  # the in-kernel breakdown is benchmarks/stages.py's
    for t in doc["targets"]:
        assert set(t) == {"target", "value", "threshold", "unit", "ok", "note"}
    assert {c["benchmark"] for c in doc["checks"]} >= {"engine", "engine_api", "numpy", "numpy_v2"}
    assert all(c["ok"] for c in doc["checks"])
    assert "targets" in bench.format_table(report)


def _rates(report, rates, n=100):
    for (name, t), per_s in rates.items():
        report.rates.append({"benchmark": name, "threads": t, "n": n, "seconds": n / per_s,
                             "per_second": per_s})


def test_targets_from_known_rates():
    """Ratios and pass/fail from hand-made numbers."""
    r = bench.Report(command="x", settings=bench.Settings(sizes=(100,), threads=(1, 2)))
    _rates(r, {("engine", 1): 10, ("engine", 2): 20, ("numpy", 1): 1, ("engine_v2", 1): 4,
               ("numpy_v2", 1): 1})
    r.startup = {"pairs": {"run_1e4": {"command_s": 1.5, "baseline_s": 0.5, "ratio": 3.0},
                           "help": {"command_s": 0.3, "baseline_s": 0.1, "ratio": 3.0}}}
    r.memory = [{"n": 1e6, "peak_mib": 300.0}, {"n": 1e8, "peak_mib": 360.0}]
    got = {t["target"]: t for t in bench.targets(r)}
    v = lambda name: (got[name]["value"], got[name]["ok"])
    assert v("engine at 1 thread >= 5x NumPy at 1 thread, v1 workload") == (10, True)
    assert v("engine at 1 thread >= 5x NumPy at 1 thread, v2 baseline") == (4, False)
    assert v("sim run -n 1e4 (warm cache) <= 2x python -c 'import numpy, xarray'") == (3.0, False)
    assert v("sim --help <= 3x python -c 'import click'") == (3.0, True)
    assert v("peak memory at 1e8 within 50 MiB of 1e6") == (60.0, False)
    assert len(got) == 5
    r.rates = [x for x in r.rates if x["benchmark"] != "numpy_v2"]
    got = {t["target"]: t for t in bench.targets(r)}
    assert v("engine at 1 thread >= 5x NumPy at 1 thread, v2 baseline") == (None, None)


def test_ratio_compares_at_the_baselines_n_when_the_engine_ran_there():
    r = bench.Report(command="x", settings=bench.Settings(sizes=(100, 1000), threads=(1,)))
    _rates(r, {("engine", 1): 10, ("numpy", 1): 4}, n=100)
    _rates(r, {("engine", 1): 20}, n=1000)
    assert r.ratio("engine", "numpy", 1) == 2.5  # both at n = 100, not 20 / 4
    (row,) = bench.ratios(r)
    assert (row["n"], row["against_n"], row["ratio"]) == (100, 100, 2.5)
    _rates(r, {("numpy_v2", 1): 5}, n=50)  # at an n the engine did not run: the largest of each
    _rates(r, {("engine_v2", 1): 20}, n=1000)
    assert r.ratio("engine_v2", "numpy_v2", 1) == 4.0
    (row,) = [x for x in bench.ratios(r) if x["against"] == "numpy_v2"]
    assert (row["n"], row["against_n"], row["ratio"]) == (1000, 50, 4.0)
    # Timed in turn: the ratio of the same rounds, not of the engine's best run anywhere.
    r.rate("numpy", 1, 100).update(paired_with="engine", engine_seconds=100 / 8)
    assert r.ratio("engine", "numpy", 1) == 2.0
    (row,) = [x for x in bench.ratios(r) if x["against"] == "numpy"]
    assert row["timed_in_turn"] and row["ratio"] == 2.0


def test_startup_pairs_time_both_commands(tmp_path, monkeypatch):
    from sim.bench import startup

    calls = []
    monkeypatch.setattr(startup, "_wall", lambda args, cache: calls.append(args[0]) or
                        (2.0 if args[0] == "-m" else 0.5))
    got = startup.paired(tmp_path, repeat=3)
    assert set(got) == set(startup.PAIRS)
    assert got["run_1e4"]["ratio"] == 4.0 and got["help"]["command_s"] == 2.0
    assert calls[:4] == ["-m", "-c", "-m", "-c"]  # alternating, a warm-up of each first
    assert len(calls) == 2 * (1 + 3) * len(startup.PAIRS)


ARGS = ["bench", "-n", "3000", "--threads", "1", "--repeat", "1", "--skip", "startup",
        "--skip", "memory", "--skip", "numpy", "--skip", "v2"]


def test_cli_bench_writes_json_and_exits_zero(tmp_path):
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(cli, [*ARGS, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "scenarios per second" in result.output and "targets" in result.output
    assert json.loads(out.read_text())["schema"] == bench.SCHEMA


def test_cli_bench_exits_one_when_a_benchmark_is_wrong(tmp_path, monkeypatch):
    real = numpy_model.run

    def wrong(sc, seed, n, **kw):
        s = real(sc, seed, n, **kw)
        s.roi_mean = s.roi_mean + 20 * s.roi_se  # far outside the Monte Carlo error
        return s

    monkeypatch.setattr(numpy_model, "run", wrong)
    with_numpy = ["bench", "-n", "3000", "--threads", "1", "--repeat", "1", "--skip", "startup",
                  "--skip", "memory", "--skip", "v2"]
    result = CliRunner().invoke(cli, [*with_numpy, "-o", str(tmp_path / "b.json")])
    assert result.exit_code == 1
    assert "FAILED numpy" in result.output


def test_cli_bench_bad_input_exits_two(tmp_path):
    result = CliRunner().invoke(cli, ["bench", "-n", "lots", "-o", str(tmp_path / "b.json")])
    assert result.exit_code == 2 and "-n" in result.output
    result = CliRunner().invoke(cli, ["bench", "--skip", "everything"])
    assert result.exit_code == 2
