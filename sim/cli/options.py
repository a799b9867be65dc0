"""The options several ``sim`` commands share, declared once, and the one
place where a library error becomes a command-line error.

Each decorator takes the command's own help text where the meaning differs
(``-n`` counts scenarios per grid point in ``sim sweep``), so that the flag,
its Python name and its parsing stay the same in every command.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from sim.vocab.choices import SAMPLERS
from sim.vocab.errors import PlausibilityWarning, SimError, for_command_line
from sim.vocab.layout import MAX_SCENARIOS

__all__ = ["InputError", "SimGroup", "assignments_option", "cluster_options", "count",
           "n_option", "output_option", "overwrite_option", "quiet_option", "sampler_option",
           "seed_option", "show_warning", "yes_option"]


class InputError(click.ClickException):
    """A user-fixable problem: one message, exit code 2, no traceback."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


class SimGroup(click.Group):
    """The ``sim`` group: every :class:`SimError` a command raises becomes one
    line on stderr and exit code 2, with the library's parameter names shown
    as this command line's flags (:func:`sim.vocab.errors.for_command_line`);
    a :class:`~sim.vocab.errors.PlausibilityWarning` becomes one ``warning:``
    line and the command goes on."""

    def invoke(self, ctx: click.Context):
        _WARNED.clear()  # once per message and command
        with warnings.catch_warnings():
            warnings.simplefilter("always", PlausibilityWarning)  # each once: show_warning
            default_show = warnings.showwarning

            def show(message, category, *args, **kwargs):
                if issubclass(category, PlausibilityWarning):
                    show_warning(message)
                else:
                    default_show(message, category, *args, **kwargs)

            warnings.showwarning = show
            try:
                return super().invoke(ctx)
            except SimError as exc:
                raise InputError(for_command_line(str(exc))) from None


_WARNED: set[str] = set()


def show_warning(message) -> None:
    """A :class:`~sim.vocab.errors.PlausibilityWarning` as one ``warning:``
    line on stderr, once per message, with parameters named as flags."""
    text = for_command_line(str(message))
    if text not in _WARNED:
        _WARNED.add(text)
        click.echo(f"warning: {text}", err=True)


def count(text: str, flag: str = "-n") -> int:
    """Parse ``1000000``, ``1e6`` or ``1_000_000`` (the value of ``flag``,
    which a bad value's message names)."""
    try:
        value = float(str(text).replace("_", ""))
    except ValueError:
        raise InputError(f"{flag}: expected a positive integer such as 1e6, got {text!r}") from None
    if not value.is_integer() or value < 1:
        raise InputError(f"{flag}: expected a positive integer such as 1e6, got {text!r}")
    if value > MAX_SCENARIOS:  # said here, as typed: the integer of 1e99 has 100 digits
        raise InputError(f"{flag}: expected a positive integer up to {MAX_SCENARIOS:.0e}, got {text!r}")
    return int(value)


def output_option(help: str, **kwargs):
    """``-o/--output FILE``: the file the command writes (``output``)."""
    return click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                        help=help, **kwargs)


def n_option(default: str | None, help: str):
    """``-n/--scenarios N`` (``n``, a string for :func:`count`)."""
    return click.option("-n", "--scenarios", "n", default=default, show_default=default is not None,
                        help=help)


def seed_option(help: str = "Random seed; the same seed and -n give the same numbers."):
    """``--seed S`` (``seed``)."""
    return click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
                        help=help)


def assignments_option(help: str = "Override a scenario key, e.g. market.competitors=3."):
    """``--set KEY=VALUE``, repeatable (``assignments``)."""
    return click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE", help=help)


def sampler_option(help: str = "Sampling design."):
    """``--sampler random|lhs|sobol`` (``sampler``)."""
    return click.option("--sampler", type=click.Choice(SAMPLERS), default="random",
                        show_default=True, help=help)


def quiet_option(func):
    """``--quiet`` (``quiet``)."""
    return click.option("--quiet", is_flag=True, help="Print no table and no progress.")(func)


def overwrite_option(func):
    """``--overwrite`` (``overwrite``)."""
    return click.option("--overwrite", is_flag=True,
                        help="Replace the output file if it exists (without it, an existing "
                             "file is an error and nothing runs).")(func)


def yes_option(func):
    """``-y/--yes`` (``yes``): run a huge request without asking."""
    return click.option("--yes", "-y", is_flag=True,
                        help="Run even if the request is huge: more than an hour (measured in "
                             "the first second), 4 GiB of memory, 10,000 model sizes x "
                             "sweep points, or raw draws (--save-samples) over 1 GiB.")(func)


def cluster_options(command):
    """``--scheduler`` and ``--workers``: run the chunks on a Dask cluster."""
    command = click.option(
        "--workers", type=click.IntRange(min=1), default=None, metavar="K",
        help="Run on a local Dask cluster of K worker processes (127.0.0.1 only; needs "
             "sim[distributed]). The numbers are the same as without it.")(command)
    return click.option(
        "--scheduler", metavar="ADDRESS", default=None,
        help="Run on the Dask cluster of this scheduler, e.g. tcp://10.0.0.5:8786 (needs "
             "sim[distributed]; every worker must run the same sim: docs/distributed.md).")(command)
