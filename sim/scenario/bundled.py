"""The bundled scenarios: where they are, their names, their descriptions.

Kept apart from :mod:`sim.scenario.load` (which validates scenarios, and so loads
NumPy, SciPy and Numba through the distributions), so that ``sim scenarios``
lists them in the time it takes to read a few small TOML files.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from sim.vocab.errors import ScenarioError

__all__ = ["SCENARIO_DIR", "bundled_names", "description_of", "frame_of"]

SCENARIO_DIR = Path(str(resources.files("sim") / "scenarios"))


def bundled_names() -> list[str]:
    """The names of the bundled scenarios (``sim run NAME``), sorted."""
    return sorted(f.stem for f in SCENARIO_DIR.glob("*.toml")) if SCENARIO_DIR.is_dir() else []


def description_of(name: str) -> str:
    """A bundled scenario's ``description`` (its own: descriptions are not
    inherited through ``extends``), read without validating the scenario."""
    path = SCENARIO_DIR / f"{name}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"cannot read the file ({exc})", source=str(path)) from None
    text = data.get("description", "")
    return text if isinstance(text, str) else ""


def frame_of(name: str) -> str:
    """A bundled scenario's ``frame`` ("project" or "industry"), read without
    validating it; a file that extends an industry file says so itself."""
    path = SCENARIO_DIR / f"{name}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"cannot read the file ({exc})", source=str(path)) from None
    frame = data.get("frame", "project")
    return frame if isinstance(frame, str) else "project"
