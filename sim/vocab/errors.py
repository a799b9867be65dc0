"""Errors that users can fix: the CLI turns them into one line and exit code 2."""

__all__ = ["NeedsConfirmation", "NonFiniteResults", "ScenarioError", "SimError"]


class SimError(Exception):
    """A problem with the user's input, reported without a traceback."""


class ScenarioError(SimError):
    """A scenario file or override that cannot be used as written.

    ``source`` is the file, or the option an override came from (``--set``,
    ``--vary``): then the message reads ``--set KEY: ...``, so it blames the
    override and not the file it was applied to.
    """

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None):
        self.source = source
        self.key = key
        self.detail = message
        if source and source.startswith("--") and key:
            parts = [f"{source} {key}"]
        else:
            parts = [p for p in (source, key) if p]
        super().__init__(": ".join(parts + [message]))


class NonFiniteResults(SimError):
    """The model gave infinite or NaN results for some scenarios: the inputs
    take the equations beyond the range of floating-point numbers."""


class NeedsConfirmation(SimError):
    """A request so large (time, memory, grid) that the command line asks for
    ``--yes`` before running it."""
