"""vocab."""

__all__: list[str] = []
