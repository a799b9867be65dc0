"""Every command on every kind of input: a result (exit 0) or one clean
message (exit 2, no traceback, no file written); and nothing below the
command line names a command-line flag."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim
from sim.cli.main import cli
from sim.present.kinds import KINDS
from sim.results.dataset import write_netcdf
from sim.vocab.errors import for_command_line

N = "2000"
SCENARIOS = ["baseline", "strategies", "cooling", "frontier_moe", "industry"]
#: Commands that do not apply to the industry frame, and say so (exit 2).
NOT_FOR_INDUSTRY = ("decide", "calibrate")


def _invoke(args, out: Path | None):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code in (0, 2), (args, result.output, result.exception)
    assert "Traceback" not in result.output, result.output
    if result.exit_code == 2:
        assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
        assert out is None or not out.exists(), f"{out} written by a failed command"
    return result


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, Path]:
    """One result file of every kind, made once."""
    d = tmp_path_factory.mktemp("matrix")
    files = {}
    for name, args in {
        "run": ["run", "baseline", "-n", N],
        "run_strategies": ["run", "strategies", "-n", N],
        "run_cooling": ["run", "cooling", "-n", N],
        "run_no_path": ["run", "baseline", "-n", N, "--no-path"],
        "sweep": ["sweep", "baseline", "--vary", "market.competitors.lam=5,20", "-n", N],
        "sweep_strategies": ["sweep", "strategies", "--vary", "market.competitors.lam=5,20", "-n", N],
        "decide": ["decide", "strategies", "-n", "8192"],  # EVPPI needs two blocks
        "sensitivity": ["sensitivity", "baseline", "-n", "64", "--method", "both"],
        "calibrate": ["calibrate", "baseline", "-n", "500"],
        "run_industry": ["run", "industry", "-n", N],
        "sweep_industry": ["sweep", "industry", "--vary", "industry.entry_speed=0.2,0.6", "-n", N],
        "sensitivity_industry": ["sensitivity", "industry", "-n", "64", "--method", "both"],
    }.items():
        files[name] = d / f"{name}.nc"
        r = _invoke([*args, "--quiet", "-o", files[name]] if args[0] != "calibrate"
                    else [*args, "-o", files[name]], files[name])
        assert r.exit_code == 0, (name, r.output)
    files["sample"] = d / "sample.nc"
    write_netcdf(sim.sample("baseline", 200), files["sample"])
    return files


@pytest.mark.parametrize("command", [["run"], ["sweep", "--vary", "market.hype=1,2"], ["decide"],
                                     ["sensitivity", "--method", "rank"], ["calibrate"]])
@pytest.mark.parametrize("scenario", SCENARIOS + ["a result file"])
def test_every_command_on_every_scenario(command, scenario, results, tmp_path):
    out = tmp_path / "out.nc"
    source = results["sweep"] if scenario == "a result file" else scenario
    n = {"sensitivity": "64", "decide": "8192"}.get(command[0], "500")
    r = _invoke([command[0], source, *command[1:], "-n", n, "-o", out], out)
    if scenario == "a result file":
        assert r.exit_code == 2 and "a saved result, not a scenario" in r.output
    elif scenario == "industry" and command[0] in NOT_FOR_INDUSTRY:
        assert r.exit_code == 2 and "does not apply to the industry frame" in r.output, r.output
    else:
        assert r.exit_code == 0 and out.exists(), r.output


@pytest.mark.slow  # every kind on every result file: the full matrix runs with --slow, as CI does
@pytest.mark.parametrize("kind", KINDS)
def test_every_chart_on_every_result(kind, results, tmp_path):
    drawn = 0
    for name, path in results.items():
        out = tmp_path / f"{name}_{kind}.png"
        r = _invoke(["plot", path, "--kind", kind, "-o", out], out)
        drawn += r.exit_code == 0
    assert drawn >= 1  # every chart draws some kind of result


@pytest.mark.slow  # a report of every result file: with --slow, as CI does
@pytest.mark.parametrize("name", ["run", "run_strategies", "run_cooling", "run_no_path", "sweep",
                                  "sweep_strategies", "decide", "sensitivity", "calibrate",
                                  "sample", "run_industry", "sweep_industry",
                                  "sensitivity_industry"])
def test_report_on_every_result(name, results, tmp_path):
    out = tmp_path / "report.html"
    r = _invoke(["report", results[name], "-o", out], out)
    if name not in ("calibrate", "sample"):
        assert r.exit_code == 0 and out.exists(), r.output


def test_a_target_standard_error_on_the_industry_frame_says_what_to_give_instead(tmp_path):
    out = tmp_path / "out.nc"
    r = _invoke(["run", "industry", "--target-se", "0.05", "-o", out], out)
    assert r.exit_code == 2 and "--target-se) does not apply to the industry frame" in r.output
    assert r.output.rstrip().endswith("Give the number of scenarios (-n) instead"), r.output


def test_scenarios_lists_every_bundled_scenario():
    r = _invoke(["scenarios"], None)
    assert r.exit_code == 0 and all(name in r.output for name in SCENARIOS)


def test_the_command_line_shows_flags_for_parameter_names():
    assert for_command_line("overrides market.hype: expected") == "--set market.hype: expected"
    assert for_command_line("pass overwrite=True to replace it") == "pass --overwrite to replace it"
    assert for_command_line("stat='roi_x': not a variable") == "--stat roi_x: not a variable"
    assert for_command_line("a table of overrides, got 3") == "a table of overrides, got 3"
    assert for_command_line("vary nope: unknown key") == "--vary nope: unknown key"
    assert for_command_line("values vary by size: see") == "values vary by size: see"


def test_an_unknown_key_without_a_dot_is_blamed_on_its_option(tmp_path):
    r = _invoke(["sweep", "baseline", "-n", "1e4", "--vary", "nope=1,2"], None)
    assert r.exit_code == 2 and r.output.strip() == "Error: --vary nope: unknown key", r.output
    r = _invoke(["run", "baseline", "-n", "1e4", "--set", "nope=3"], None)
    assert r.exit_code == 2 and r.output.strip() == "Error: --set nope: unknown key", r.output


def test_a_count_too_large_is_shown_as_typed():
    r = _invoke(["run", "baseline", "-n", "1e99"], None)
    assert r.exit_code == 2 and r.output.strip() == "Error: -n: expected a positive integer up to 1e+12, got '1e99'", \
        r.output


#: A flag in a string: --word, or one of the short flags -n, -o, -y.
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z-]*|-[noy])\b")
ROOT = Path(__file__).resolve().parents[2] / "sim"
#: sim.vocab.errors holds the one table of flags; the benchmark's start-up
#: and memory parts run the sim command line itself in subprocesses.
ALLOWED = {ROOT / "vocab" / "errors.py", ROOT / "bench" / "startup.py", ROOT / "bench" / "memory.py"}


def _literals(path: Path):
    tree = ast.parse(path.read_text())
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)}
    parts = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):  # an f-string is read whole
            pieces = [v for v in node.values if isinstance(v, ast.Constant)]
            parts.update(id(v) for v in pieces)
            yield node.lineno, " ".join(v.value for v in pieces)
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in docs | parts):
            yield node.lineno, node.value


def test_nothing_below_the_command_line_names_a_flag():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if path.relative_to(ROOT).parts[0] == "cli" or path in ALLOWED:
            continue
        for line, text in _literals(path):
            if re.search(r"\b(sim|python) (run|--help|-[mc])\b", text):
                continue  # a command line quoted as what a benchmark measures
            found += [f"{path.relative_to(ROOT)}:{line}: {m.group()}" for m in FLAG.finditer(text)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("name", ["run_industry", "sweep_industry", "sensitivity_industry"])
def test_every_industry_result_has_a_chart_and_a_default_one(name, results, tmp_path):
    out = tmp_path / f"{name}.png"
    r = _invoke(["plot", results[name], "-o", out], out)
    assert r.exit_code == 0 and out.exists(), r.output


@pytest.mark.parametrize("args", [["run", "industry", "--set", "grid.model_sizes=[1e9]"],
                                  ["sweep", "industry", "--vary", "horizon_years=5,10"],
                                  ["sensitivity", "industry", "--statistic", "roi"],
                                  ["run", "baseline", "--set", "industry.entry_speed=0.5"]])
def test_industry_misuse_is_one_clean_message(args, tmp_path):
    out = tmp_path / "out.nc"
    r = _invoke([*args, "-n", "500", "-o", out], out)
    assert r.exit_code == 2
