"""The ``sim`` command line: a thin layer over the library.

Each command parses its options, calls one library function and prints. Any
:class:`~sim.errors.SimError` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .errors import SimError


class InputError(click.ClickException):
    """A user-fixable problem: one message, exit code 2, no traceback."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


def _count(text: str) -> int:
    """Parse ``1000000``, ``1e6`` or ``1_000_000``."""
    try:
        value = float(str(text).replace("_", ""))
    except ValueError:
        raise InputError(f"-n: expected a positive integer such as 1e6, got {text!r}") from None
    if not value.is_integer() or value < 1:
        raise InputError(f"-n: expected a positive integer such as 1e6, got {text!r}")
    return int(value)


def _overrides(assignments: tuple[str, ...]) -> dict:
    from .scenario import parse_assignment

    return dict(parse_assignment(a) for a in assignments)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sim")
def cli() -> None:
    """Monte Carlo returns of training and deploying large AI models."""


@cli.command("run")
@click.argument("scenario", required=False, default="baseline")
@click.option("-n", "--scenarios", "n", default="1e6", show_default=True,
              help="Number of sampled scenarios (1e6 and 1_000_000 both work).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Random seed; the same seed and -n give the same numbers.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the results to this netCDF file (atomically).")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="Override a scenario key, e.g. market.competitors=3 or "
                   "'costs.gpu_hour_price={dist=\"lognormal\", p5=1, p95=3}'.")
@click.option("--quiet", is_flag=True, help="Print no table and no progress.")
def run_command(scenario: str, n: str, seed: int, output: Path | None,
                assignments: tuple[str, ...], quiet: bool) -> None:
    """Simulate SCENARIO (a file or a bundled name; default: baseline)."""
    from .engine import run
    from .results import summary_table, write_netcdf

    try:
        ds = run(scenario, n_scenarios=_count(n), seed=seed,
                 overrides=_overrides(assignments), progress=not quiet)
        if output is not None:
            write_netcdf(ds, output)
    except SimError as exc:
        raise InputError(str(exc)) from None
    if not quiet:
        click.echo(summary_table(ds))
        if output is not None:
            click.echo(f"wrote {output}")


@cli.command("bench")
@click.option("--quick", is_flag=True,
              help="1e6 scenarios only, fewer repeats, memory at 1e6 only (about a minute).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default="bench.json", show_default=True, help="Write the JSON report here.")
@click.option("-n", "--scenarios", "sizes", multiple=True, metavar="N",
              help="Scenarios for the Numba rates (repeatable; default 1e6 and 1e7).")
@click.option("--threads", "threads", multiple=True, type=click.IntRange(min=1),
              help="Thread counts to measure (repeatable; default 1 and 2).")
@click.option("--repeat", type=click.IntRange(min=1), help="Best of this many runs.")
@click.option("--skip", multiple=True,
              type=click.Choice(["naive", "floors", "numpy", "squigglepy", "startup", "memory"]),
              help="Leave out a part of the suite (repeatable).")
@click.option("--strict", is_flag=True, help="Exit with status 1 if a target is missed.")
def bench_command(quick: bool, output: Path, sizes: tuple[str, ...], threads: tuple[int, ...],
                  repeat: int | None, skip: tuple[str, ...], strict: bool) -> None:
    """Measure speed, start-up and memory against baselines and floors.

    Prints a table and writes JSON. Exits with status 1 if a benchmark's
    result disagrees with the engine's (or, with --strict, a target is missed).
    The full run (default) takes several minutes, mostly the 1e7 rates and
    the 1e8 memory run; needs the source tree's benchmarks/ folder.
    """
    from . import bench

    command = " ".join(["sim", "bench", *sys.argv[2:]]) if sys.argv[1:2] == ["bench"] else "sim bench"
    try:
        settings = bench.Settings.make(quick=quick, sizes=[_count(n) for n in sizes],
                                       threads=threads, repeat=repeat, skip=skip)
        report = bench.run_benchmarks(settings, command=command,
                                      log=lambda line: click.echo(line, err=True))
    except SimError as exc:
        raise InputError(str(exc)) from None
    click.echo(bench.format_table(report))
    bench.write_json(report, output)
    click.echo(f"wrote {output}")
    missed = any(t["ok"] is False for t in report.to_json()["targets"])
    if not report.ok or (strict and missed):
        sys.exit(1)


def main() -> None:
    cli(prog_name="sim")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
