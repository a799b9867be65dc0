"""Output files: checked before the run, never clobbered, never left half written.

Every command that writes (run, sweep, calibrate, plot, report, bench) checks
its output path before it starts: a missing or unwritable directory, a
directory, a device or pipe, or an existing file without ``--overwrite`` is
one message and exit code 2, before any scenario runs. Symbolic links are
written through. A write error is one message, exit 2, and leaves no file.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr
from click.testing import CliRunner

import sim
import sim.analyses.run
from sim.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def no_run(monkeypatch):
    """Fail the test if a simulation starts: the check must come first."""
    def refuse(*args, **kwargs):
        raise AssertionError("the run started before the output was checked")

    monkeypatch.setattr(sim.analyses.run, "run", refuse)
    monkeypatch.setattr(importlib.import_module("sim.analyses.sweep"), "sweep", refuse)
    monkeypatch.setattr(importlib.import_module("sim.analyses.calibrate"), "calibrate", refuse)


@pytest.fixture(scope="module")
def result_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("result") / "run.nc"
    sim.write_netcdf(sim.run("baseline", n_scenarios=2000, seed=1), path)
    return path


def _one_message(result, needle: str) -> None:
    assert result.exit_code == 2, result.output
    assert needle in result.output, result.output
    assert "Traceback" not in result.output
    assert result.output.count("Error:") == 1


def test_an_existing_file_needs_overwrite_and_is_refused_before_the_run(runner, tmp_path, no_run):
    out = tmp_path / "run.nc"
    out.write_text("keep me")
    for args in (["run", "-n", "1e9"], ["sweep", "baseline", "--vary", "market.hype=1,2"],
                 ["calibrate"]):
        result = runner.invoke(cli, args + ["-o", str(out)])
        _one_message(result, f"{out}: already exists; pass --overwrite to replace it")
        assert out.read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["run.nc"]


def test_overwrite_replaces_the_file(runner, tmp_path):
    out = tmp_path / "run.nc"
    out.write_text("old")
    result = runner.invoke(cli, ["run", "-n", "1000", "-o", str(out), "--overwrite", "--quiet"])
    assert result.exit_code == 0, result.output
    with xr.open_dataset(out) as ds:
        assert ds.attrs["n_scenarios"] == 1000
    assert [p.name for p in tmp_path.iterdir()] == ["run.nc"]


def test_a_symlink_is_written_through(runner, tmp_path):
    real = tmp_path / "data" / "real.nc"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.nc"
    link.symlink_to(real)
    result = runner.invoke(cli, ["run", "-n", "1000", "-o", str(link), "--quiet"])
    _one_message(result, "already exists")
    result = runner.invoke(cli, ["run", "-n", "1000", "-o", str(link), "--overwrite", "--quiet"])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == real.resolve()
    with xr.open_dataset(real) as ds:
        assert ds.attrs["n_scenarios"] == 1000
    # A dangling link is written through too: its target is created.
    dangling = tmp_path / "new.nc"
    dangling.symlink_to(tmp_path / "data" / "fresh.nc")
    result = runner.invoke(cli, ["run", "-n", "1000", "-o", str(dangling), "--quiet"])
    assert result.exit_code == 0, result.output
    assert dangling.is_symlink() and (tmp_path / "data" / "fresh.nc").is_file()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_special_files_and_directories_are_refused(runner, tmp_path, no_run):
    fifo = tmp_path / "pipe.nc"
    os.mkfifo(fifo)
    for extra in ([], ["--overwrite"]):
        result = runner.invoke(cli, ["run", "-n", "1e9", "-o", str(fifo), *extra])
        _one_message(result, "is a named pipe, not a regular file")
    assert fifo.is_fifo()
    link = tmp_path / "to-pipe.nc"
    link.symlink_to(fifo)
    result = runner.invoke(cli, ["run", "-n", "1e9", "-o", str(link), "--overwrite"])
    _one_message(result, f"(the target of the link {link})")
    directory = tmp_path / "dir.nc"
    directory.mkdir()
    result = runner.invoke(cli, ["run", "-n", "1e9", "-o", str(directory)])
    _one_message(result, "is a directory")


def test_missing_or_unwritable_directories_are_refused_before_the_run(runner, tmp_path, no_run):
    result = runner.invoke(cli, ["run", "-n", "1e9", "-o", str(tmp_path / "no" / "x.nc")])
    _one_message(result, "does not exist")
    result = runner.invoke(cli, ["sweep", "baseline", "--vary", "market.hype=1,2",
                                 "-o", str(tmp_path / "no" / "x.nc")])
    _one_message(result, "does not exist")
    plain = tmp_path / "file"
    plain.write_text("")
    result = runner.invoke(cli, ["run", "-n", "1e9", "-o", str(plain / "x.nc")])
    _one_message(result, "is not a directory")
    if os.access("/sys", os.F_OK) and not _can_create_in("/sys"):
        result = runner.invoke(cli, ["run", "-n", "1e9", "-o", "/sys/x.nc"])
        _one_message(result, "cannot create files in /sys")


def _can_create_in(directory: str) -> bool:
    try:
        path = Path(directory) / f".sim-probe-{os.getpid()}"
        path.write_text("")
        path.unlink()
        return True
    except OSError:
        return False


def test_plot_and_report_check_their_output_too(runner, tmp_path, result_file):
    fig = tmp_path / "fig.png"
    fig.write_text("keep")
    result = runner.invoke(cli, ["plot", str(result_file), "-o", str(fig)])
    _one_message(result, "already exists; pass --overwrite")
    assert fig.read_text() == "keep"
    result = runner.invoke(cli, ["plot", str(result_file), "-o", str(fig), "--overwrite"])
    assert result.exit_code == 0 and fig.read_bytes()[:4] == b"\x89PNG"
    page = tmp_path / "page.html"
    page.write_text("keep")
    result = runner.invoke(cli, ["report", str(result_file), "-o", str(page)])
    _one_message(result, "already exists; pass --overwrite")
    assert page.read_text() == "keep"


def test_a_netcdf_error_at_write_time_is_one_message(runner, tmp_path, monkeypatch):
    def broken(self, *args, **kwargs):
        raise RuntimeError("NetCDF: HDF error")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", broken)
    out = tmp_path / "run.nc"
    result = runner.invoke(cli, ["run", "-n", "1000", "-o", str(out), "--quiet"])
    _one_message(result, "NetCDF: HDF error")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.integration
def test_a_real_write_error_is_one_message_and_leaves_no_file(tmp_path):
    """A file-size limit makes the write fail as a full disk would (EFBIG
    instead of ENOSPC): exit 2, one line, and nothing left in the directory."""
    code = (
        "import resource, signal, sys\n"
        "import sim\n"
        "sim.run('baseline', n_scenarios=2000)  # compile (and cache) before the limit\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))\n"
        "from sim.cli.main import main\n"
        "sys.argv = ['sim', 'run', '-n', '2000', '--quiet', '-o', sys.argv[1]]\n"
        "main()\n")
    out = tmp_path / "big.nc"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert f"{out}: could not write the file (File too large); nothing was written" in done.stderr
    assert list(tmp_path.iterdir()) == []
