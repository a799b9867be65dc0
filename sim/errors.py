"""Errors that users can fix: the CLI turns them into one line and exit code 2."""

__all__ = ["ScenarioError", "SimError"]


class SimError(Exception):
    """A problem with the user's input, reported without a traceback."""


class ScenarioError(SimError):
    """A scenario file or override that cannot be used as written."""

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None):
        self.source = source
        self.key = key
        self.detail = message
        parts = [p for p in (source, key) if p]
        super().__init__(": ".join(parts + [message]))
