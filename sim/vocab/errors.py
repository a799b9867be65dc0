"""Errors that users can fix: the CLI turns them into one line and exit code 2."""

import re

__all__ = ["FLAGS", "NeedsConfirmation", "NonFiniteResults", "OPTION_SOURCES", "PlausibilityWarning", "ScenarioError",
           "SimError", "UnknownStatistic", "for_command_line"]

#: How the library's messages name a parameter, and the command-line flag the
#: ``sim`` command shows in its place (:func:`for_command_line`). A phrase
#: ending in ``=`` takes the value after it (quotes dropped): ``stat='x'``
#: becomes ``--stat x``; a plain word (overrides, vary) is a parameter only
#: before a colon or a dotted key (``overrides market.hype: ...``), not in
#: prose. The only place below the command line that names a flag.
FLAGS: tuple[tuple[str, str], ...] = (
    ("limits=Limits()", "--yes"),
    ("overwrite=True", "--overwrite"),
    ("path=False", "--no-path"),
    ("resume=", "--resume"),
    ("checkpoint=", "--checkpoint"),
    ("sampler=", "--sampler"),
    ("method=", "--method"),
    ("stat=", "--stat"),
    ("quantile=", "--quantile"),
    ("strategy=", "--strategy"),
    ("kind=", "--kind"),
    ("model_size=", "--model-size"),
    ("skip=", "--skip"),
    ("n_scenarios", "-n"),
    ("max_scenarios", "--max-scenarios"),
    ("target_se", "--target-se"),
    ("target_statistic", "--target-stat"),
    ("tornado_n", "--tornado-n"),
    ("max_prob_loss", "--max-prob-loss"),
    ("overrides", "--set"),
    ("vary", "--vary"),
)

#: Sources of a :class:`ScenarioError` that are parameters, not files: the
#: message then reads ``overrides KEY: ...`` (``--set KEY: ...`` on the command line).
OPTION_SOURCES = ("overrides", "vary")


def _pattern(phrase: str) -> re.Pattern:
    body = re.escape(phrase)
    if phrase.endswith("="):
        body += r"""(['"]?)([^'"\s,;:()]*)\1"""
    elif "_" not in phrase and "=" not in phrase:  # a plain word: only before KEY or ':'
        body += r"(?=:|\s+\w+\.\w|\s+\w+:)"  # a dotted key, or one word and its colon
    return re.compile(r"(?<![\w.-])" + body + r"(?![\w(])")


_COMPILED = tuple((_pattern(phrase), flag, phrase.endswith("=")) for phrase, flag in FLAGS)


def for_command_line(message: str) -> str:
    """``message`` with the library's parameter names replaced by the flags of
    the ``sim`` command (:data:`FLAGS`)."""
    for pattern, flag, takes_value in _COMPILED:
        if takes_value:
            message = pattern.sub(lambda m, flag=flag: f"{flag} {m.group(2)}".rstrip(), message)
        else:
            message = pattern.sub(flag, message)
    return message


class PlausibilityWarning(UserWarning):
    """A value the bounds allow but that is most likely a slip, such as a
    percent typed as a whole number (``finance.discount_rate = 10``). The run
    goes on; the ``sim`` command shows it as one ``warning: ...`` line."""


class SimError(Exception):
    """A problem with the user's input, reported without a traceback."""


class ScenarioError(SimError):
    """A scenario file or override that cannot be used as written.

    ``source`` is the file, or the parameter an override came from
    (:data:`OPTION_SOURCES`): then the message reads ``overrides KEY: ...``,
    so it blames the override and not the file it was applied to.
    """

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None):
        self.source = source
        self.key = key
        self.detail = message
        if source in OPTION_SOURCES and key:
            parts = [f"{source} {key}"]
        else:
            parts = [p for p in (source, key) if p]
        super().__init__(": ".join(parts + [message]))


class UnknownStatistic(SimError):
    """An output a sensitivity analysis does not offer for the scenario's
    frame; the message starts ``output: ``, which the command line shows as
    its ``--statistic`` option."""


class NonFiniteResults(SimError):
    """The model gave infinite or NaN results for some scenarios: the inputs
    take the equations beyond the range of floating-point numbers."""


class NeedsConfirmation(SimError):
    """A request so large (time, memory, grid) that it runs only when confirmed
    (``limits=Limits()``; the command line's yes flag)."""
