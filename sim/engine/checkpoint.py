"""Checkpoints of long runs: the reducer's whole state, saved between chunks.

A checkpoint is an ``.npz`` file holding every array of
:meth:`sim.engine.reducer.Reducer.state` (the reducer's and its histograms',
so arrays added to either are saved without changes here), the number of
scenarios done, the seconds spent, and a fingerprint of the run: the
resolved scenario as TOML, the seed, the sampler, the requested ``n`` (or
the target), the block and pilot sizes and the version of ``sim``. Resuming
checks the fingerprint, puts the state back and continues; since results
depend only on (plan, seed, n), the final numbers equal those of an
uninterrupted run bit for bit.

Files are written atomically (:mod:`sim.services.atomic`), so an interrupt or a
crash during a save leaves the previous checkpoint intact.
"""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from sim._version import __version__
from sim.services.atomic import check_output, write_bytes
from sim.vocab.errors import SimError
from sim.vocab.layout import BLOCK, PILOT

__all__ = ["EVERY", "Checkpointer", "fingerprint", "is_checkpoint", "load_checkpoint"]

FORMAT = 2  # 2: no histograms of the mark-to-market ROI at years 0 and T (aliases)
#: Seconds between saves.
EVERY = 5.0
_META = "__sim_checkpoint__"


def fingerprint(scenario, seed: int, sampler: str, n: int,
                target: dict[str, Any] | None = None, path: bool = True) -> dict[str, Any]:
    """What a checkpoint must match to be resumed by a run."""
    return {"format": FORMAT, "sim_version": __version__, "scenario": scenario.to_toml(),
            "seed": str(int(seed)), "sampler": sampler, "n_scenarios": int(n),
            "target": target, "path": bool(path), "block": BLOCK, "pilot": PILOT}


def is_checkpoint(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a file this module wrote."""
    try:
        with zipfile.ZipFile(path) as zf:
            return f"{_META}.npy" in zf.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


class Checkpointer:
    """Saves a reducer's state to ``path`` at most every ``every`` seconds."""

    def __init__(self, path: str | os.PathLike, fingerprint: dict[str, Any],
                 every: float = EVERY):
        if not (isinstance(every, (int, float)) and every > 0):
            raise SimError(f"checkpoint interval: expected a positive number of seconds, "
                           f"got {every!r}")
        self.path = Path(path)
        self.fingerprint = fingerprint
        self.every = float(every)
        self.last = time.monotonic()
        self.saved_n: int | None = None

    def check(self, *, resuming: bool, overwrite: bool) -> None:
        """Before the run: the file can be written, and an existing file is
        not lost by accident (it must be resumed, or overwritten on purpose)."""
        check_output(self.path, overwrite=True)
        if resuming or overwrite or not self.path.exists():
            return
        if is_checkpoint(self.path):
            raise SimError(f"{self.path}: a checkpoint already exists; pass resume="
                           f"{self.path} to continue it, or overwrite=True to start again")
        raise SimError(f"{self.path}: already exists and is not a checkpoint; pass "
                       "overwrite=True to replace it, or choose another name")

    def maybe_save(self, reducer) -> None:
        if time.monotonic() - self.last >= self.every:
            self.save(reducer)

    def save(self, reducer) -> None:
        """Write the state now (atomically)."""
        meta = dict(self.fingerprint, n_done=int(reducer.n), elapsed=reducer.result().elapsed)
        buf = io.BytesIO()
        np.savez(buf, **{_META: np.array(json.dumps(meta))}, **reducer.state())
        write_bytes(self.path, buf.getbuffer(), overwrite=True)
        self.last = time.monotonic()
        self.saved_n = int(reducer.n)


def load_checkpoint(path: str | os.PathLike,
                    expected: dict[str, Any]) -> tuple[dict[str, np.ndarray], int, float]:
    """The state arrays, scenarios done and seconds spent of a checkpoint,
    after checking that it belongs to the run described by ``expected``."""
    path = Path(path)
    if not path.is_file():
        raise SimError(f"{path}: no such checkpoint")
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(str(npz[_META]))
            arrays = {k: npz[k] for k in npz.files if k != _META}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError):
        raise SimError(f"{path}: not a readable sim checkpoint") from None
    differ = [k for k in expected if meta.get(k) != expected[k]]
    if differ:
        shown = "; ".join(_difference(k, meta.get(k), expected[k]) for k in differ)
        raise SimError(f"{path}: the checkpoint belongs to another run ({shown}); resume it "
                       "with the same scenario, overrides, number of scenarios, seed and sampler")
    return arrays, int(meta["n_done"]), float(meta.get("elapsed", 0.0))


def _difference(key: str, saved, wanted) -> str:
    if key == "scenario":
        return "the scenario differs"
    return f"{key} {saved} in the checkpoint, {wanted} here"
