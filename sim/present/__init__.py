"""present."""

__all__: list[str] = []
