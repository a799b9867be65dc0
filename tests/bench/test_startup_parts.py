"""``sim bench`` measuring only the start-up ratios: ``--skip rates`` and
``--skip compile`` (the fixed cost of a run in seconds, not minutes)."""

from __future__ import annotations

from click.testing import CliRunner

from sim import bench
from sim.bench import startup
from sim.cli.main import cli


def _fake_startup(calls):
    def probe(cache_dir, cwd=None):
        calls.append(("probe", cache_dir))
        return {"import_s": 0.1, "first_run_s": 0.4 if cache_dir is None else 90.0,
                "process_s": 1.0}

    def paired(cache_dir, repeat=5, cwd=None):
        calls.append(("paired", cache_dir))
        return {"run_1e4": {"command": "python -m sim run", "baseline": "python -c 'import numpy, xarray'",
                            "command_s": 0.9, "baseline_s": 0.5, "ratio": 1.8},
                "help": {"command": "python -m sim --help", "baseline": "python -c 'import click'",
                         "command_s": 0.2, "baseline_s": 0.05, "ratio": 4.0}}

    return probe, paired


def test_without_compile_the_probes_use_the_environments_cache(monkeypatch):
    calls = []
    probe, paired = _fake_startup(calls)
    monkeypatch.setattr(startup, "probe", probe)
    monkeypatch.setattr(startup, "paired", paired)
    monkeypatch.setattr(startup, "cli_run", lambda cache_dir, n, repeat, cwd=None: 2.0)
    got = startup.measure("1e4", repeat=2, pairs_repeat=3, cold=False)
    assert "compile_first_call_s" not in got
    assert all(cache is None for _, cache in calls)  # never an empty cache of its own
    assert got["pairs"]["run_1e4"]["ratio"] == 1.8

    calls.clear()
    got = startup.measure("1e4", repeat=2, pairs_repeat=3, cold=True)
    assert got["compile_first_call_s"] == 90.0
    caches = {cache for _, cache in calls}
    assert len(caches) == 1 and None not in caches  # one temporary cache, empty at first


def test_only_the_startup_ratios_print_with_the_machine_and_their_targets(monkeypatch, tmp_path):
    calls = []
    probe, paired = _fake_startup(calls)
    monkeypatch.setattr(startup, "probe", probe)
    monkeypatch.setattr(startup, "paired", paired)
    monkeypatch.setattr(startup, "cli_run", lambda cache_dir, n, repeat, cwd=None: 2.0)
    result = CliRunner().invoke(cli, ["bench", "--skip", "rates", "--skip", "compile", "--skip",
                                      "memory", "--skip", "v2", "-o", str(tmp_path / "b.json")])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "scenarios per second" not in out and "empty Numba cache" not in out
    assert "machine:" in out and "load average before/after" in out
    assert "1.80x" in out and "4.00x" in out
    marks = {line.split("]")[1].strip().rsplit(" ", 2)[0].strip(): line.split("]")[0] + "]"
             for line in out.splitlines() if line.startswith("  [")}
    assert marks["sim run -n 1e4 (warm cache) <= 2x python -c 'import numpy, xarray'"] == "  [PASS]"
    assert marks["sim --help <= 3x python -c 'import click'"] == "  [FAIL]"


def test_skipping_the_rates_measures_no_rate():
    settings = bench.Settings.make(skip=["rates", "startup", "memory", "v2"])
    assert not settings.rates and not settings.startup
    report = bench.run_benchmarks(settings)
    assert report.rates == [] and report.checks == []
    assert bench.Settings.make(skip=["compile"]).compile is False
