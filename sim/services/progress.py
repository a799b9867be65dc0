"""The one progress bar of long runs (tqdm), shown only if a run lasts."""

from __future__ import annotations

__all__ = ["progress_bar"]


def progress_bar(total: int | None, enabled: bool, desc: str = "simulating", initial: int = 0):
    """A tqdm bar counting scenarios, or None when progress is off.

    It appears only after 1.5 s, so short runs print nothing. ``initial``
    scenarios are already done (a resumed checkpoint); the rate counts only
    what follows.
    """
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit=" scenarios", unit_scale=True, delay=1.5,
                desc=desc, leave=False, dynamic_ncols=True)
