"""scipy.special's values remembered between runs (sim.services.special):
SciPy's values bit for bit, kept across processes, and never an error."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy import special as scipy_special

from sim.services import special

ROOT = Path(__file__).resolve().parents[2]

CALLS = [
    ("ndtri", (0.95,)), ("ndtri", (np.linspace(0.01, 0.99, 7),)), ("ndtr", (np.linspace(-9, 9, 11),)),
    ("betaincinv", (2.5, 4.0, np.linspace(0.0, 1.0, 9))), ("betainc", (2.5, 4.0, np.linspace(0, 1, 9))),
    ("betaln", (2.5, 4.0)), ("pdtr", (np.arange(12.0), 3.5)), ("pdtrc", (np.arange(12.0), 3.5)),
    ("bdtr", (40, 10_000, 0.005)), ("bdtrik", (0.025, 10_000, 0.05)), ("stdtrit", (7, 0.975)),
]


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """An empty cache folder and a process that has remembered nothing."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(special, "_memo", None)
    monkeypatch.setattr(special, "_new", {})
    monkeypatch.setattr(special, "_new_bytes", 0)
    monkeypatch.setattr(special, "_counts", {"hits": 0, "misses": 0})
    return tmp_path


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _forget() -> None:
    """As a new process would start: nothing in memory, the file on disk."""
    special._memo = None
    special._new = {}
    special._new_bytes = 0


@pytest.mark.parametrize("name,args", CALLS, ids=[c[0] for c in CALLS])
def test_values_are_scipys_bit_for_bit_computed_and_remembered(fresh, name, args):
    expected = getattr(scipy_special, name)(*args)
    assert _same(getattr(special, name)(*args), expected)
    assert special.stats() == {"hits": 0, "misses": 1}
    special.save()
    _forget()
    assert _same(getattr(special, name)(*args), expected)
    assert special.stats() == {"hits": 1, "misses": 1}


def test_every_function_stands_in_for_scipys_of_that_name():
    for name in special.FUNCTIONS:
        assert getattr(special, name).__name__ == name and callable(getattr(scipy_special, name))
    assert {name for name, _ in CALLS} == set(special.FUNCTIONS)


def test_different_arguments_are_different_values(fresh):
    a = special.ndtri(np.array([0.1, 0.2]))
    b = special.ndtri(np.array([0.1, 0.3]))
    c = special.ndtri(np.array([0.1, 0.2], dtype=np.float32))
    assert a[1] != b[1] and c.dtype == np.float32
    assert special.stats()["misses"] == 3


def test_a_returned_array_is_the_callers_own(fresh):
    first = special.ndtr(np.array([0.0, 1.0]))
    first[:] = 7.0
    assert special.ndtr(np.array([0.0, 1.0])).tolist() == scipy_special.ndtr([0.0, 1.0]).tolist()


def test_a_corrupt_file_is_a_miss_and_is_replaced(fresh):
    path = special.memo_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x80\x04 truncated")
    assert _same(special.ndtri(0.975), scipy_special.ndtri(0.975))
    special.save()
    with open(path, "rb") as f:
        assert len(pickle.load(f)["values"]) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_cache_folder_is_no_error(fresh):
    folder = special.memo_path().parent
    folder.mkdir(parents=True)
    folder.chmod(0o500)
    try:
        assert _same(special.ndtri(0.9), scipy_special.ndtri(0.9))
        special.save()  # nothing written, nothing raised
        assert not special.memo_path().exists()
    finally:
        folder.chmod(0o700)


def test_an_unwritable_cache_home_is_no_error(fresh, monkeypatch):
    blocker = fresh / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(blocker))
    assert _same(special.ndtri(0.9), scipy_special.ndtri(0.9))
    special.save()


def test_the_file_keeps_the_newest_values_up_to_capacity(fresh, monkeypatch):
    monkeypatch.setattr(special, "CAPACITY", 3)
    for p in (0.1, 0.2, 0.3, 0.4, 0.5):
        special.ndtri(p)
    special.save()
    _forget()
    for p in (0.3, 0.4, 0.5):
        special.ndtri(p)
    assert special.stats()["misses"] == 5  # the three newest were hits
    special.ndtri(0.1)
    assert special.stats()["misses"] == 6


def test_the_file_keeps_the_newest_values_up_to_its_bytes(fresh, monkeypatch):
    monkeypatch.setattr(special, "MAX_BYTES", 2 * (8_000 + 200))
    for shift in range(4):
        special.ndtr(np.linspace(-3, 3, 1000) + shift)  # 8,000 bytes each
    special.save()
    _forget()
    special.ndtr(np.linspace(-3, 3, 1000) + 3)
    special.ndtr(np.linspace(-3, 3, 1000) + 2)
    assert special.stats()["misses"] == 4
    special.ndtr(np.linspace(-3, 3, 1000) + 1)
    assert special.stats()["misses"] == 5


def test_a_long_session_keeps_no_more_new_values_in_memory_than_the_file_would(fresh, monkeypatch):
    monkeypatch.setattr(special, "MAX_BYTES", 3 * (8_000 + 200))
    for shift in range(50):
        special.ndtr(np.linspace(-3, 3, 1000) + shift)
    assert len(special._new) == 3 and len(special._memo) == 3
    assert special._new_bytes == 3 * (8_000 + 200)
    assert _same(special.ndtr(np.linspace(-3, 3, 1000) + 49), scipy_special.ndtr(np.linspace(-3, 3, 1000) + 49))
    assert special.stats()["hits"] == 1


def test_two_processes_merge_their_values(fresh):
    special.ndtri(0.6)
    special.save()
    _forget()
    special.ndtri(0.7)  # another process wrote 0.6; this one adds 0.7
    special.save()
    _forget()
    special.ndtri(0.6), special.ndtri(0.7)
    assert special.stats() == {"hits": 2, "misses": 2}


def test_a_second_load_and_dataset_do_not_import_scipy_special(tmp_path):
    """What the warm command line gains: the bundled baseline's plan and a
    Dataset's intervals, in a fresh process, twice; the second imports no
    scipy.special."""
    code = textwrap.dedent("""
        import sys
        import numpy as np
        from sim.scenario.load import load_scenario
        from sim.scenario.plan import build_plan
        from sim.results.dataset import binom_ppf
        from sim.services import special
        build_plan(load_scenario("baseline"))
        binom_ppf(0.025, 10_000, np.array([0.05, 0.5, 0.95]))
        print("scipy.special" in sys.modules, special.stats()["misses"])
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=120) for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr
    first, second = (run.stdout.split() for run in runs)
    assert first[0] == "True" and int(first[1]) > 0
    assert second == ["False", "0"]
