"""A Python call's error names the Python argument; the same mistake on the
command line names the option (sim.vocab.errors.FLAGS, applied only at the
command line's boundary)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

import sim
from sim.cli.main import cli

#: A command-line flag in a message: --word, or -n, -o, -y.
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z-]*|-[noy])\b")


def python_error(call) -> str:
    with pytest.raises(sim.SimError) as info:
        call()
    return str(info.value)


def cli_error(args) -> str:
    r = CliRunner().invoke(cli, [str(a) for a in args])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    # One line of ours, or click's usage error (its usage lines, then the error).
    assert r.output.startswith("Error: ") or r.output.startswith("Usage: "), r.output
    return r.output


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("names") / "sweep.nc"
    sim.write_netcdf(sim.sweep("baseline", {"market.competitors.lam": [4.0, 16.0]}, n_scenarios=1000), path)
    return path


CASES = {
    # name: (Python call, what its message says, command-line args, what the command says)
    "overrides": (lambda: sim.run("baseline", 100, overrides={"market.competitorz": 3}),
                  "overrides market.competitorz: unknown key",
                  ["run", "-n", "100", "--set", "market.competitorz=3"], "--set market.competitorz: unknown key"),
    "n": (lambda: sim.run("baseline", 0), "n_scenarios: expected a positive integer",
          ["run", "-n", "0"], "-n: expected a positive integer"),
    "n of a sample": (lambda: sim.sample("baseline", 1.5), "n_scenarios: expected a positive integer",
                      ["sweep", "baseline", "--vary", "market.hype=1,2", "-n", "1.5"], "-n: expected a positive integer"),
    "seed": (lambda: sim.run("baseline", 100, seed=-1), "seed: expected a non-negative integer",
             ["run", "-n", "100", "--seed", "-1"], "Invalid value for '--seed'"),
    "max_scenarios": (lambda: sim.run("baseline", 100, target_se=0.1, max_scenarios=0),
                      "max_scenarios: expected a positive integer",
                      ["run", "-n", "100", "--target-se", "0.1", "--max-scenarios", "0"],
                      "--max-scenarios: expected a positive integer"),
    "target_se": (lambda: sim.run("baseline", 100, target_se=-1.0), "target_se: expected a positive number",
                  ["run", "-n", "100", "--target-se", "-1"], "--target-se: expected a positive number"),
    "target_statistic": (lambda: sim.run("baseline", 100, target_se=0.1, target_statistic="x"),
                         "target_statistic: expected one of",
                         ["run", "-n", "100", "--target-se", "0.1", "--target-stat", "x"],
                         "--target-stat: expected one of"),
    "tornado_n": (lambda: sim.sensitivity("baseline", n_scenarios=64, tornado_n=100),
                  "tornado_n: at most n_scenarios (64)",
                  ["sensitivity", "-n", "64", "--tornado-n", "100"], "--tornado-n: at most -n (64)"),
    "max_prob_loss": (lambda: sim.decide("baseline", n_scenarios=100, max_prob_loss=2),
                      "max_prob_loss: expected a probability",
                      ["decide", "-n", "100", "--max-prob-loss", "2"], "--max-prob-loss: expected a probability"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_python_names_the_argument_and_the_command_line_the_option(name):
    call, said, args, shown = CASES[name]
    message = python_error(call)
    assert said in message, message
    assert not FLAG.search(message), f"a Python error names a flag: {message}"
    output = cli_error(args)
    assert shown in output, output


def test_output_python_says_overwrite_true_and_the_command_line_overwrite(tmp_path):
    existing = tmp_path / "run.nc"
    existing.write_text("mine")
    ds = sim.run("baseline", 100, path=False)
    message = python_error(lambda: sim.write_netcdf(ds, existing, overwrite=False))
    assert f"{existing}: already exists; pass overwrite=True" in message and not FLAG.search(message)
    output = cli_error(["run", "-n", "100", "-o", existing])
    assert f"{existing}: already exists; pass --overwrite" in output
    missing = tmp_path / "no" / "run.nc"
    assert f"{missing}: directory" in python_error(lambda: sim.write_netcdf(ds, missing))
    assert f"{missing}: directory" in cli_error(["run", "-n", "100", "-o", missing])


def test_quantiles_python_names_its_argument_and_the_command_line_its_option(sweep_file):
    message = python_error(lambda: sim.run("baseline", 100, quantiles=[0.5, 2]))
    assert message.startswith("quantiles: expected numbers strictly between 0 and 1")
    ds = sim.plot.open_result(sweep_file)
    message = python_error(lambda: sim.plot.sweep(ds, stat="roi_quantile", quantile=0.33))
    assert message.startswith("quantile=0.33: not stored") and not FLAG.search(message)
    output = cli_error(["plot", sweep_file, "--kind", "sweep", "--stat", "roi_quantile", "--quantile", "0.33",
                        "-o", sweep_file.with_suffix(".png")])
    assert "--quantile 0.33: not stored" in output
