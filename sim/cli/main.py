"""The ``sim`` command line: a thin layer over the library.

Each command parses its options (shared ones in :mod:`sim.cli.options`),
calls one library function, builds its table and only then writes its file.
Any :class:`~sim.vocab.errors.SimError` becomes one line on stderr and exit
code 2, in one place (:class:`sim.cli.options.SimGroup`).
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import click

from sim._version import __version__
from sim.vocab.choices import (
    BENCH_PARTS,
    OBJECTIVES,
    SENSITIVITY_METHODS,
    SENSITIVITY_OUTPUTS,
    SOBOL_ESTIMATORS,
)
from sim.cli.options import (
    InputError,
    SimGroup,
    assignments_option,
    cluster_options,
    count,
    n_option,
    output_option,
    overwrite_option,
    quiet_option,
    sampler_option,
    seed_option,
    show_warning,
    yes_option,
)
from sim.present.kinds import KINDS, kind_help
from sim.vocab.industry import DEFAULT_STATISTIC as INDUSTRY_DEFAULT_STATISTIC
from sim.vocab.industry import STATISTIC_HELP as INDUSTRY_STATISTIC_HELP
from sim.vocab.errors import PlausibilityWarning, SimError, UnknownStatistic

__all__ = ["cli", "main"]


def _limits(yes: bool):
    from sim.engine.limits import Limits

    return Limits() if yes else Limits.command_line()


def _check_output(path: Path | None, overwrite: bool) -> None:
    """Refuse a bad output path before any work (sim.services.atomic.check_output)."""
    if path is None:
        return
    from sim.services.atomic import check_output

    check_output(path, overwrite=overwrite)


def _writing(path: Path) -> None:
    from sim.services.signals import set_phase

    set_phase(f"writing {path}")


def _write(ds, output: Path | None, overwrite: bool) -> None:
    """Write ``ds`` to ``output`` (atomically), if one was given."""
    if output is None:
        return
    from sim.results.dataset import write_netcdf

    _writing(output)
    write_netcdf(ds, output, overwrite=overwrite)


def _notes(notes, category) -> None:
    """Echo the warnings of ``category`` a library call recorded, as notes
    (and the plausibility warnings it recorded, as warnings)."""
    for note in notes:
        if issubclass(note.category, category):
            click.echo(f"note: {note.message}", err=True)
        elif issubclass(note.category, PlausibilityWarning):
            show_warning(note.message)


def _overrides(assignments: tuple[str, ...]) -> dict:
    from sim.scenario.load import parse_assignment

    return dict(parse_assignment(a) for a in assignments)


def _where(scheduler: str | None, workers: int | None) -> dict | None:
    """The cluster arguments of the front doors, or None to run in this process."""
    if scheduler is not None and workers is not None:
        raise InputError("--scheduler and --workers: give one of them")
    if scheduler is None and workers is None:
        return None
    return {"scheduler": scheduler, "workers": workers}


@click.group(cls=SimGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sim")
def cli() -> None:
    """Monte Carlo returns of training and deploying large AI models."""


@cli.command("run")
@click.argument("scenario", required=False, default="baseline")
@n_option(None, "Number of sampled scenarios (1e6 and 1_000_000 both work) [default: 1e6].")
@seed_option()
@output_option("Write the results to this netCDF file (atomically).")
@assignments_option("Override a scenario key, e.g. market.competitors=3 or "
                    "'costs.gpu_hour_price={dist=\"lognormal\", p5=1, p95=3}'.")
@sampler_option("Sampling design: independent draws, Latin hypercube, or scrambled Sobol' "
                "(n rounded up to 8 x 2^k).")
@click.option("--target-se", type=float, default=None,
              help="Keep doubling n until the standard error of --target-stat is at most "
                   "this for every model size (starting from -n, default 65,536).")
@click.option("--target-stat", default="roi_mean", show_default=True,
              help="Statistic for --target-se: roi_mean, prob_loss, prob_best, "
                   "roi_expected_mean, ...")
@click.option("--max-scenarios", default="1e8", show_default=True,
              help="Cap on n for --target-se.")
@click.option("--no-path", "no_path", is_flag=True,
              help="Leave out the valuation path (mark-to-market ROI and cash flows per year).")
@cluster_options
@quiet_option
@click.option("--checkpoint", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Save the run's state to FILE every few seconds and when interrupted, so "
                   "that --resume FILE can continue it.")
@click.option("--resume", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Continue the run saved in FILE (give the same scenario, --set, -n, --seed "
                   "and --sampler); the result equals that of an uninterrupted run.")
@click.option("--checkpoint-every", type=click.FloatRange(min=0, min_open=True), default=5.0,
              show_default=True, metavar="SECONDS", help="Seconds between checkpoint saves.")
@click.option("--save-samples", "save_samples", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE",
              help="Also write the raw draws of every scenario (the sampled inputs, the incident "
                   "uniforms and each scenario's results per size; what sim.sample returns for "
                   "the same scenario, --set, -n, --seed and --sampler) to this netCDF file, "
                   "atomically. Draws over 1 GiB (held in memory, then written) ask first: "
                   "--yes.")
@overwrite_option
@yes_option
def run_command(scenario: str, n: str | None, seed: int, output: Path | None,
                assignments: tuple[str, ...], sampler: str, target_se: float | None,
                target_stat: str, max_scenarios: str, no_path: bool, scheduler: str | None,
                workers: int | None, quiet: bool, checkpoint: Path | None, resume: Path | None,
                checkpoint_every: float, save_samples: Path | None, overwrite: bool,
                yes: bool) -> None:
    """Simulate SCENARIO (a file or a bundled name; default: baseline)."""
    import functools
    import warnings

    from sim.analyses.request import SamplingNote
    from sim.present.tables import summary_table

    _check_output(output, overwrite)
    _check_samples_path(save_samples, output, checkpoint, resume, overwrite)
    cluster = _where(scheduler, workers)
    from sim.analyses.run import run

    if cluster is not None:
        run = functools.partial(run, **cluster)

    if n is None:
        n = "65536" if target_se is not None else "1e6"
    draws_of = None
    if save_samples is not None:  # asks about the draws' size before the run, not after it
        draws_of = functools.partial(_draws, scenario, overrides=_overrides(assignments), seed=seed,
                                     sampler=sampler, limits=_limits(yes))
        draws_of(count(n), probe_only=True)
    with warnings.catch_warnings(record=True) as notes:
        warnings.simplefilter("always", SamplingNote)
        ds = run(scenario, n_scenarios=count(n), seed=seed,
                 overrides=_overrides(assignments), progress=not quiet, sampler=sampler,
                 target_se=target_se, target_statistic=target_stat,
                 max_scenarios=count(max_scenarios, "--max-scenarios"), path=not no_path,
                 checkpoint=checkpoint, resume=resume, checkpoint_every=checkpoint_every,
                 overwrite_checkpoint=overwrite, limits=_limits(yes))
    table = None if quiet else summary_table(ds)  # before the file: nothing half-done
    # The run's own n (with --target-se, the n it stopped at): the draws it reduced.
    draws = None if draws_of is None else draws_of(
        int(ds.attrs["n_scenarios"]) if target_se is not None else count(n))
    _write(ds, output, overwrite)
    _write(draws, save_samples, overwrite)
    _notes(notes, SamplingNote)
    if table is not None:
        click.echo(table)
        if target_se is not None:
            reached = "reached" if ds.attrs["target_reached"] else "NOT reached"
            click.echo(f"target: standard error of {target_stat} <= {target_se:g} {reached} "
                       f"with {ds.attrs['n_scenarios']:,} scenarios "
                       f"(largest over sizes: {ds.attrs['achieved_se']:.3g})")
        if output is not None:
            click.echo(f"wrote {output}")
        if save_samples is not None:
            click.echo(f"wrote {save_samples} (the raw draws of {draws.sizes['scenario']:,} scenarios)")


def _check_samples_path(path: Path | None, output: Path | None, checkpoint: Path | None,
                        resume: Path | None, overwrite: bool) -> None:
    """--save-samples FILE: a file of its own, checked before the run."""
    if path is None:
        return
    for flag, other in (("-o", output), ("--checkpoint", checkpoint), ("--resume", resume)):
        if other is not None and Path(other).absolute() == Path(path).absolute():
            raise InputError(f"--save-samples {path}: the same file as {flag}; give another name")
    _check_output(path, overwrite)


def _draws(scenario: str, n: int, *, overrides: dict, seed: int, sampler: str, limits,
           probe_only: bool = False):
    """The raw draws of the run (sim.sample); with ``probe_only``, only the
    check of their size against ``limits`` (a probe of a few scenarios)."""
    import warnings

    from sim.analyses.request import SamplingNote
    from sim.analyses.run import sample, sample_bytes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingNote)  # the run says it once
        if probe_only:
            limits.check_sample_bytes(sample_bytes(scenario, n, seed, overrides=overrides,
                                                   sampler=sampler))
            return None
        return sample(scenario, n, seed, overrides=overrides, sampler=sampler, limits=limits)


@cli.command("compare")
@click.argument("a", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("b", type=click.Path(dir_okay=False, path_type=Path))
def compare_command(a: Path, b: Path) -> None:
    """Differences B - A of the headline statistics of two saved results (of sim run,
    sim sweep or sim decide), with their standard errors and z-scores.

    Per model size (per strategy and size, per grid point; per calendar year under the
    industry frame). Results over different sizes, strategies, grid points, years or
    frames are refused, naming what differs. When A and B share the seed and sampler,
    their errors are not independent: the table says so, and a warning on stderr.
    """
    import warnings

    from sim.present.comparison import compare_table
    from sim.results.summary import SharedDraws, compare

    with warnings.catch_warnings(record=True) as notes:
        warnings.simplefilter("always", SharedDraws)
        df = compare(a, b)
    click.echo(compare_table(df, names=(str(a), str(b))))
    if any(issubclass(note.category, SharedDraws) for note in notes):
        click.echo(f"warning: {a} and {b} share the seed and sampler: the standard errors of the "
                   "differences assume independent errors, which these are not (see the note "
                   "under the table)", err=True)


@cli.command("sweep")
@click.argument("scenario")
@click.option("--vary", "varied", multiple=True, required=True, metavar="KEY=VALUES",
              help="A key and its values: 1,2,4 or linspace(a,b,k) or logspace(a,b,k) "
                   "(10^a to 10^b); a whole parameter (costs.gpu_hour_price=1,2,4) or one "
                   "field of its distribution (market.competitors.lam=2,8,20). Repeat to "
                   "sweep the outer product.")
@n_option("1e5", "Scenarios per grid point.")
@seed_option("Random seed, the same at every grid point (common random numbers).")
@output_option("Write the sweep to this netCDF file (atomically).")
@assignments_option("Override a scenario key at every grid point.")
@cluster_options
@quiet_option
@overwrite_option
@yes_option
def sweep_command(scenario: str, varied: tuple[str, ...], n: str, seed: int,
                  output: Path | None, assignments: tuple[str, ...], scheduler: str | None,
                  workers: int | None, quiet: bool, overwrite: bool, yes: bool) -> None:
    """Run SCENARIO at every combination of the --vary values."""
    import functools

    from sim.analyses.sweep import parse_vary
    from sim.present.tables import sweep_table

    _check_output(output, overwrite)  # fail before a long sweep
    cluster = _where(scheduler, workers)
    from sim.analyses.sweep import sweep

    if cluster is not None:
        sweep = functools.partial(sweep, **cluster)

    vary: dict = {}
    for text in varied:
        key, values = parse_vary(text)
        if key in vary:
            raise InputError(f"--vary {key}: given twice; list all its values in one --vary")
        vary[key] = values
    ds = sweep(scenario, vary, n_scenarios=count(n), seed=seed,
               overrides=_overrides(assignments), progress=not quiet, limits=_limits(yes))
    table = None if quiet else sweep_table(ds)  # before the file: nothing half-done
    _write(ds, output, overwrite)
    if table is not None:
        click.echo(table)
        if output is not None:
            click.echo(f"wrote {output}")


@cli.command("decide")
@click.argument("scenario", required=False, default="baseline")
@n_option("1e6", "Number of sampled scenarios.")
@seed_option("Random seed; every strategy sees the same draws.")
@click.option("--objective", type=click.Choice(OBJECTIVES), default=None,
              help="What to maximize [default: the scenario's decision.objective, net_value].")
@click.option("--max-prob-loss", type=float, default=None, metavar="P",
              help="Choose only among alternatives whose P(loss) is at most P.")
@output_option("Write the decision to this netCDF file (atomically).")
@assignments_option("Override a scenario key (for every strategy).")
@sampler_option()
@cluster_options
@quiet_option
@overwrite_option
@yes_option
def decide_command(scenario: str, n: str, seed: int, objective: str | None,
                   max_prob_loss: float | None, output: Path | None,
                   assignments: tuple[str, ...], sampler: str, scheduler: str | None,
                   workers: int | None, quiet: bool, overwrite: bool, yes: bool) -> None:
    """Rank SCENARIO's (strategy, size) alternatives and what knowing more is worth."""
    import functools
    import warnings

    from sim.analyses.request import SamplingNote
    from sim.present.tables import decision_table

    _check_output(output, overwrite)  # fail before a long run
    cluster = _where(scheduler, workers)
    from sim.analyses.decide import decide

    if cluster is not None:
        decide = functools.partial(decide, **cluster)

    with warnings.catch_warnings(record=True) as notes:
        warnings.simplefilter("always", SamplingNote)
        ds = decide(scenario, n_scenarios=count(n), seed=seed, objective=objective,
                    max_prob_loss=max_prob_loss, overrides=_overrides(assignments),
                    sampler=sampler, progress=not quiet, limits=_limits(yes))
    table = None if quiet else decision_table(ds)  # before the file: nothing half-done
    _write(ds, output, overwrite)
    _notes(notes, SamplingNote)
    if table is not None:
        click.echo(table)
        if output is not None:
            click.echo(f"wrote {output}")


@cli.command("sensitivity")
@click.argument("scenario", required=False, default="baseline")
@n_option("32768", "Scenarios of the rank method's sample (the tornado runs on the first of "
                   "them), and the base sample N of the Sobol' design (rounded up to a power "
                   "of two; N x (inputs + 3) evaluations).")
@click.option("--method", type=click.Choice(SENSITIVITY_METHODS), default="both",
              show_default=True,
              help="rank: Spearman, partial rank correlations and a tornado; sobol: first- "
                   "and total-order Sobol' indices; both.")
@click.option("--statistic", "statistic", default=None, metavar="NAME",
              help=f"The output whose drivers are ranked: {', '.join(SENSITIVITY_OUTPUTS)} "
                   "[default: roi]; under the industry frame (frame = \"industry\") "
                   f"{INDUSTRY_STATISTIC_HELP} [default: {INDUSTRY_DEFAULT_STATISTIC} in the "
                   "last year, whose mean is P(cooled by then)].")
@seed_option()
@output_option("Write the indices to this netCDF file (atomically).")
@assignments_option()
@click.option("--tornado-n", "tornado_n", default=None,
              help="Scenarios of the tornado, the first of the rank sample "
                   "[default: the smaller of -n and 8192].")
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=1),
              help="Inputs shown per model size.")
@click.option("--estimator", type=click.Choice(SOBOL_ESTIMATORS), default="saltelli-janon",
              show_default=True,
              help="Sobol' estimators: Saltelli 2010 first order with Janon 2014 total order; "
                   "Saltelli with Jansen; Janon for both; or SALib's own on the same "
                   "evaluations (pip install 'sim[sensitivity]').")
@quiet_option
@overwrite_option
def sensitivity_command(scenario: str, n: str, method: str, statistic: str | None, seed: int,
                        output: Path | None, assignments: tuple[str, ...], tornado_n: str | None,
                        top: int, estimator: str, quiet: bool, overwrite: bool) -> None:
    """Rank the inputs of SCENARIO by how much they drive the output, per model size
    (under the industry frame, of the industry)."""
    import warnings

    from sim.analyses.sensitivity import SensitivityNote, sensitivity
    from sim.present.sensitivity_tables import sensitivity_table

    _check_output(output, overwrite)  # fail before a long analysis
    with warnings.catch_warnings(record=True) as notes:
        warnings.simplefilter("always", SensitivityNote)
        try:
            ds = sensitivity(scenario, n_scenarios=count(n), seed=seed, method=method,
                             output=statistic, overrides=_overrides(assignments),
                             tornado_n=None if tornado_n is None else count(tornado_n, "--tornado-n"),
                             estimator=estimator, progress=not quiet)
        except UnknownStatistic as exc:  # the library's output is this command's --statistic
            raise InputError("--statistic" + str(exc).removeprefix("output")) from None
    table = None if quiet else sensitivity_table(ds, top=top)  # before the file
    _write(ds, output, overwrite)
    _notes(notes, SensitivityNote)
    if table is not None:
        click.echo(table)
        if output is not None:
            click.echo(f"wrote {output}")


@cli.command("scenarios")
def scenarios_command() -> None:
    """List the bundled scenarios with their descriptions."""
    from sim.scenario.bundled import SCENARIO_DIR, bundled_names, description_of

    names = bundled_names()
    descriptions = [description_of(name) for name in names]
    width = max((len(name) for name in names), default=0)
    for name, text in zip(names, descriptions):
        lines = textwrap.wrap(text or "(no description)", max(40, 98 - width))
        click.echo(f"{name:<{width}}  {lines[0]}")
        for line in lines[1:]:
            click.echo(f"{'':<{width}}  {line}")
    click.echo(f"\nRun one by name (sim run NAME); the files are in {SCENARIO_DIR}.")


def _figsize(text: str | None) -> tuple[float, float] | None:
    """Parse ``--size 8x5`` (inches, width x height)."""
    if text is None:
        return None
    try:
        w, h = (float(v) for v in text.lower().split("x"))
    except ValueError:
        raise InputError(f"--size: expected WIDTHxHEIGHT in inches such as 8x5, got {text!r}") from None
    if not (0 < w <= 100 and 0 < h <= 100):
        raise InputError(f"--size: expected WIDTHxHEIGHT in inches such as 8x5, got {text!r}")
    return w, h


@cli.command("plot")
@click.argument("result", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kind", default=None, type=click.Choice(KINDS),
              help=kind_help() + " [default: fan for a run, sweep for a sweep, sobol (or "
                                 "tornado) for a sensitivity analysis]")
@output_option("Figure file, .png, .svg or .pdf (default: RESULT_KIND.png beside RESULT).")
@click.option("--size", "size", metavar="WxH", help="Figure size in inches, e.g. 10x6.")
@click.option("--model-size", "model_sizes", multiple=True, metavar="N",
              help="Only this model size (1e9 or 1B; repeatable) for hist, exceedance, sweep, "
                   "tornado, sobol.")
@click.option("--stat", help="Statistic of the sweep chart (default: the mean of the decision objective, "
                               "net_value_mean, as in the sweep table).")
@click.option("--quantile", type=float, help="Quantile level when --stat is a quantile (default 0.5).")
@click.option("--strategy", help="The strategy to draw, for a result with strategies "
                                 "(default: the chosen one).")
@overwrite_option
def plot_command(result: Path, kind: str, output: Path | None, size: str | None,
                 model_sizes: tuple[str, ...], stat: str | None, quantile: float | None,
                 strategy: str | None, overwrite: bool) -> None:
    """Draw a chart of a saved RESULT file (from sim run -o, sim sweep -o, sim decide -o or
    sim sensitivity -o)."""
    from sim.present.charts import check_figure_path, draw, open_result, save_figure

    from sim.present.charts import default_kind

    figsize = _figsize(size)
    if output is not None:
        check_figure_path(output, overwrite=overwrite)
    ds = open_result(result)
    kind = kind or default_kind(ds)
    if output is None:
        output = result.with_name(f"{result.stem}_{kind}.png")
        check_figure_path(output, overwrite=overwrite)
    try:
        fig = draw(ds, kind, strategy=strategy, model_size=list(model_sizes) or None,
                   stat=stat, quantile=quantile)
    except SimError as exc:
        raise SimError(f"{result}: {exc}") from None
    if figsize is not None:
        fig.set_size_inches(*figsize)
    save_figure(fig, output, overwrite=overwrite)
    click.echo(f"wrote {output}")


@cli.command("report")
@click.argument("results", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@output_option("HTML file to write (default: FIRST_report.html beside the first result).")
@overwrite_option
def report_command(results: tuple[Path, ...], output: Path | None, overwrite: bool) -> None:
    """One self-contained HTML page of RESULTS: scenario, table and charts."""
    from sim.present.report import write_report

    if output is None:
        output = results[0].with_name(f"{results[0].stem}_report.html")
    write_report(results, output, overwrite=overwrite)
    click.echo(f"wrote {output}")


@cli.command("bench")
@click.option("--quick", is_flag=True,
              help="1e6 scenarios only, fewer repeats, smaller baselines, memory at 1e6 only (a few minutes).")
@output_option("Write the JSON report here.", default="bench.json", show_default=True)
@click.option("-n", "--scenarios", "sizes", multiple=True, metavar="N",
              help="Scenarios for the Numba rates (repeatable; default 1e6 and 1e7).")
@click.option("--threads", "threads", multiple=True, type=click.IntRange(min=1),
              help="Thread counts to measure (repeatable; default 1 and 2).")
@click.option("--repeat", type=click.IntRange(min=1), help="Best of this many runs.")
@click.option("--skip", multiple=True,
              type=click.Choice(BENCH_PARTS),
              help="Leave out a part of the suite (repeatable).")
@click.option("--strict", is_flag=True, help="Exit with status 1 if a target is missed.")
@overwrite_option
def bench_command(quick: bool, output: Path, sizes: tuple[str, ...], threads: tuple[int, ...],
                  repeat: int | None, skip: tuple[str, ...], strict: bool,
                  overwrite: bool) -> None:
    """Measure speed, start-up and memory against baselines and floors.

    Prints a table and writes JSON. Exits with status 1 if a benchmark's
    result disagrees with the engine's (or, with --strict, a target is missed).
    The full run (default) takes several minutes, mostly the 1e7 rates and
    the 1e8 memory run.
    """
    from sim import bench

    command = " ".join(["sim", "bench", *sys.argv[2:]]) if sys.argv[1:2] == ["bench"] else "sim bench"
    _check_output(output, overwrite)
    settings = bench.Settings.make(quick=quick, sizes=[count(n) for n in sizes],
                                   threads=threads, repeat=repeat, skip=skip)
    report = bench.run_benchmarks(settings, command=command,
                                  log=lambda line: click.echo(line, err=True))
    click.echo(bench.format_table(report))
    bench.write_json(report, output, overwrite=overwrite)
    click.echo(f"wrote {output}")
    missed = any(t["ok"] is False for t in report.to_json()["targets"])
    if not report.ok or (strict and missed):
        sys.exit(1)


@cli.command("calibrate")
@click.argument("scenario", required=False, default="baseline")
@click.option("--models", "models", metavar="FILE",
              help="CSV of observed models in the format of the bundled "
                   "sim/data/notable_models.csv [default: the bundled table].")
@click.option("--prices", "prices", metavar="FILE",
              help="CSV of list prices in the format of the bundled "
                   "sim/data/list_prices.csv [default: the bundled table].")
@n_option("20000", "Predictive draws of the scenario.")
@seed_option("Random seed; the same seed and -n give the same report.")
@output_option("Write the comparison to this netCDF file (atomically).")
@assignments_option("Override a scenario key, e.g. costs.gpu_peak_flops=3.12e14.")
@overwrite_option
def calibrate_command(scenario: str, models: str | None, prices: str | None, n: str, seed: int,
                      output: Path | None, assignments: tuple[str, ...], overwrite: bool) -> None:
    """Compare SCENARIO's predictions with observed models (default: baseline).

    For each usable row of the models table: final-run FLOP from N and the
    active parameters under the compute rule against reported FLOP, tokens
    from N against reported tokens, and final-run cost from reported FLOP
    against reported cloud-rental cost; for each row of the list-prices
    table, the scenario's year-1 price per million output tokens at that
    size against the list price. Each with the scenario's 5-50-95% interval,
    the percentile of the observation and the coverage of the 90% intervals.
    A report: exits 0 whatever the coverage.
    """
    from sim.analyses.calibrate import calibrate, calibration_table

    _check_output(output, overwrite)
    ds = calibrate(scenario, models=models, n_scenarios=count(n), seed=seed,
                   overrides=_overrides(assignments), prices=prices)
    table = calibration_table(ds)  # before the file: nothing half-done
    _write(ds, output, overwrite)
    click.echo(table)
    if output is not None:
        click.echo(f"wrote {output}")


def main() -> None:
    """Entry point of the ``sim`` script.

    After the command has finished and flushed its output, the process ends
    with ``os._exit``: the interpreter's own teardown of Numba's runtime and
    thread pool takes about 0.3 s on the reference machine, which is an
    eighth of ``sim run -n 1e6``. Every file the commands write is complete
    and renamed into place before this point (``sim.services.atomic``), and
    the values of ``scipy.special`` the command computed are saved for the
    next run (:func:`sim.services.special.save`).

    SIGINT and SIGTERM end the command within a second with exit code 130 or
    143, a line saying how far it got, and no partial or temporary file
    (:mod:`sim.services.signals`).
    """
    from sim.services import signals

    signals.install()
    try:
        cli(prog_name="sim")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, int) and exc.code is not None:
            print(exc.code, file=sys.stderr)
    except signals.Interrupted as exc:  # SIGINT or SIGTERM: 130 or 143
        signals.exiting()
        code = exc.exit_code
        print(f"\n{signals.message(exc.signum, lambda path: f'--resume {path}')}", file=sys.stderr)
    except KeyboardInterrupt:  # before the handlers were installed
        code = 130
        print("\ninterrupted (SIGINT); nothing was written", file=sys.stderr)
    remembered = sys.modules.get("sim.services.special")  # loaded by commands that load a scenario
    if remembered is not None:
        remembered.save()  # os._exit skips atexit
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
