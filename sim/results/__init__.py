"""results."""

__all__: list[str] = []
