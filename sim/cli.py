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
@click.option("-n", "--scenarios", "n", default=None,
              help="Number of sampled scenarios (1e6 and 1_000_000 both work) [default: 1e6].")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Random seed; the same seed and -n give the same numbers.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the results to this netCDF file (atomically).")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="Override a scenario key, e.g. market.competitors=3 or "
                   "'costs.gpu_hour_price={dist=\"lognormal\", p5=1, p95=3}'.")
@click.option("--sampler", type=click.Choice(["random", "lhs", "sobol"]), default="random",
              show_default=True, help="Sampling design: independent draws, Latin hypercube, "
                                      "or scrambled Sobol' (n rounded up to 8 x 2^k).")
@click.option("--target-se", type=float, default=None,
              help="Keep doubling n until the standard error of --target-stat is at most "
                   "this for every model size (starting from -n, default 65,536).")
@click.option("--target-stat", default="roi_mean", show_default=True,
              help="Statistic for --target-se: roi_mean, prob_loss, prob_best, "
                   "roi_expected_mean, ...")
@click.option("--max-scenarios", default="1e8", show_default=True,
              help="Cap on n for --target-se.")
@click.option("--quiet", is_flag=True, help="Print no table and no progress.")
def run_command(scenario: str, n: str | None, seed: int, output: Path | None,
                assignments: tuple[str, ...], sampler: str, target_se: float | None,
                target_stat: str, max_scenarios: str, quiet: bool) -> None:
    """Simulate SCENARIO (a file or a bundled name; default: baseline)."""
    import warnings

    from .engine import SamplingNote, run
    from .results import summary_table, write_netcdf

    if n is None:
        n = "65536" if target_se is not None else "1e6"
    try:
        with warnings.catch_warnings(record=True) as notes:
            warnings.simplefilter("always", SamplingNote)
            ds = run(scenario, n_scenarios=_count(n), seed=seed,
                     overrides=_overrides(assignments), progress=not quiet, sampler=sampler,
                     target_se=target_se, target_statistic=target_stat,
                     max_scenarios=_count(max_scenarios))
        if output is not None:
            write_netcdf(ds, output)
    except SimError as exc:
        raise InputError(str(exc)) from None
    for note in notes:
        if issubclass(note.category, SamplingNote):
            click.echo(f"note: {note.message}", err=True)
    if not quiet:
        click.echo(summary_table(ds))
        if target_se is not None:
            reached = "reached" if ds.attrs["target_reached"] else "NOT reached"
            click.echo(f"target: standard error of {target_stat} <= {target_se:g} {reached} "
                       f"with {ds.attrs['n_scenarios']:,} scenarios "
                       f"(largest over sizes: {ds.attrs['achieved_se']:.3g})")
        if output is not None:
            click.echo(f"wrote {output}")


def main() -> None:
    cli(prog_name="sim")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
