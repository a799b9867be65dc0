"""The compile cache: keyed by the kernels' own code, so an edit elsewhere (or
of a comment) recompiles nothing, an edit of a kernel module recompiles what
depends on it, every copy of the same source shares it, and the "compiling
kernels" note shows exactly when a compile happens. Commands that only read
results never load Numba."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.kernels.cache import cache_root, module_digest

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "data" / "golden" / "run_baseline.nc"
NOTE = "compiling kernels (about "


def _copy(tmp_path: Path, name: str = "copy") -> Path:
    """A copy of the package (a fresh clone elsewhere); returns its ``sim``."""
    target = tmp_path / name / "sim"
    shutil.copytree(ROOT / "sim", target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _kernel_digests(package: Path) -> dict[str, str]:
    return {p.relative_to(package / "kernels").as_posix(): module_digest(p, package)
            for p in sorted((package / "kernels").rglob("*.py"))}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _edit_outside_the_kernels(package: Path) -> None:
    """A docstring and a comment of the command line, and a line of its code."""
    main = package / "cli" / "main.py"
    _edit(main, '"""The ``sim`` command line', '"""The ``sim`` command line (edited docstring)')
    _edit(main, "\nimport click\n", "\n# an edited comment\nimport click\n")
    main.write_text(main.read_text() + "\nEDITED = True\n")


def _edit_rng_code(package: Path) -> None:
    _edit(package / "kernels" / "sampling" / "rng.py", "_TWO_M52 = 2.0 ** -52\n",
          "_TWO_M52 = 2.0 ** -52\n_EDITED = 1\n")


def test_edits_outside_the_kernels_and_of_comments_change_no_kernel_digest(tmp_path):
    package = _copy(tmp_path)
    before = _kernel_digests(package)
    _edit_outside_the_kernels(package)
    # comments and docstrings of the kernels themselves, shifting every line below
    _edit(package / "kernels" / "reduce.py", '"""The scenario loop:', '"""Edited.\n\nThe scenario loop:')
    _edit(package / "kernels" / "vmath.py", "\nimport", "\n# an edited comment\n# and another\nimport")
    _edit(package / "vocab" / "outputs.py", '"""', '"""Edited. ')
    assert _kernel_digests(package) == before


def test_a_kernel_edit_changes_the_digest_of_the_modules_that_import_it(tmp_path):
    package = _copy(tmp_path)
    before = _kernel_digests(package)
    _edit_rng_code(package)
    after = _kernel_digests(package)
    changed = {name for name in before if before[name] != after[name]}
    # rng.py and its importers, directly (draw, reduce) or not (model/block via sampling/block)
    assert {"sampling/rng.py", "sampling/draw.py", "sampling/block.py", "reduce.py",
            "rows.py"} <= changed
    # modules that import nothing of rng keep their compiled kernels
    assert not {"accumulators.py", "vmath.py", "model/costs.py", "model/market.py"} & changed
    # a constant that kernels read counts: it is compiled into them
    _edit(package / "vocab" / "layout.py", "LANES = ", "LANES = 0 + ")
    assert _kernel_digests(package)["accumulators.py"] != after["accumulators.py"]


_PROBE = """
import sys
import numpy as np
from numba.core import event

compiled = []


class Recorder(event.Listener):
    def on_start(self, ev):
        compiled.append(ev.data["dispatcher"].py_func.__name__)

    def on_end(self, ev):
        pass


event.register("numba:compile", Recorder())
from sim.kernels import accumulators
from sim.kernels.sampling import rng

out = np.empty(4)
rng.fill_uniforms(rng.key_from_seed(3), 7, 4, out)
accumulators.merge_moments(1, 0.5, 0.0, 2, 1.5, 1.0)
print(" ".join(sorted(compiled)), "|", repr(out.tolist()))
"""


def _probe(package: Path, cache: Path) -> tuple[set[str], str]:
    """The kernels a small program compiled (not loaded) in a fresh process,
    and what it printed."""
    env = {**os.environ, "PYTHONPATH": str(package.parent), "NUMBA_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", _PROBE], env=env, cwd=package.parent,
                          capture_output=True, text=True, check=True)
    names, values = done.stdout.strip().split("|")
    return set(names.split()), values


def _files(cache: Path) -> set[Path]:
    return {p for p in cache.rglob("*") if p.is_file() and p.suffix in (".nbi", ".nbc")}


@pytest.mark.integration
def test_only_a_kernel_edit_recompiles_and_only_what_depends_on_it(tmp_path):
    cache = tmp_path / "cache"
    package = _copy(tmp_path)
    first, values = _probe(package, cache)
    assert {"fill_uniforms", "merge_moments"} <= first  # an empty cache compiles
    files = _files(cache)
    assert files
    assert _probe(package, cache) == (set(), values)  # warm: nothing compiles

    _edit_outside_the_kernels(package)
    assert _probe(package, cache) == (set(), values)
    assert _files(cache) == files  # not a file written

    _edit_rng_code(package)
    compiled, again = _probe(package, cache)
    assert again == values
    assert "fill_uniforms" in compiled and "merge_moments" not in compiled
    new = {p.parent.name for p in _files(cache) - files}
    assert new == {f"kernels.sampling.rng-{module_digest(package / 'kernels/sampling/rng.py', package)}"}


def _run(package: Path, cache: Path, cwd: Path, name: str) -> str:
    """``sim run`` on a tiny sample with the progress shown; its stderr."""
    env = {**os.environ, "PYTHONPATH": str(package.parent), "NUMBA_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-m", "sim", "run", "-n", "2000", "-o", name],
                          env=env, cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stderr


def _this_source_files(package: Path) -> set[Path]:
    """Compiled files of ``package``'s kernels in the default cache."""
    root = cache_root()
    folders = {f"{'.'.join(p.relative_to(package).with_suffix('').parts)}-{module_digest(p, package)}"
               for p in (package / "kernels").rglob("*.py")}
    return {p for p in _files(root) if p.parent.name in folders} if root.is_dir() else set()


@pytest.mark.integration
def test_a_copy_edited_outside_the_kernels_runs_without_compiling(tmp_path):
    """The edit-and-test loop: a docstring, a comment and a line of the
    command line edited in a fresh copy; its run loads every kernel from the
    cache (warm after the first run of this source, whatever its path)."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    subprocess.run([sys.executable, "-m", "sim", "run", "-n", "2000", "--quiet"], check=True,
                   cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)})
    package = _copy(tmp_path)
    files = _this_source_files(package)
    assert files
    _edit_outside_the_kernels(package)
    done = subprocess.run([sys.executable, "-m", "sim", "run", "-n", "2000", "-o", "out.nc"],
                          cwd=tmp_path, env={**env, "PYTHONPATH": str(package.parent)},
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert NOTE not in done.stderr
    assert _this_source_files(package) == files


@pytest.mark.slow
def test_the_note_shows_exactly_when_kernels_compile_for_any_copy(tmp_path):
    """A cold cache compiles and says so; a warm one says nothing. A copy of
    the same source elsewhere (a fresh clone) finds the kernels compiled by
    the first and says nothing; a copy whose kernels differ compiles and
    says so, with the other copy's files in the cache."""
    cache = tmp_path / "cache"
    assert NOTE in _run(ROOT / "sim", cache, tmp_path, "cold.nc")
    files = _files(cache)
    assert NOTE not in _run(ROOT / "sim", cache, tmp_path, "warm.nc")

    clone = _copy(tmp_path, "clone")
    _edit_outside_the_kernels(clone)
    assert NOTE not in _run(clone, cache, tmp_path, "clone.nc")
    assert _files(cache) == files

    _edit(clone / "kernels" / "reduce.py", "__all__ = ", "_EDITED = 1\n__all__ = ")
    assert NOTE in _run(clone, cache, tmp_path, "edited.nc")
    assert {p.parent.name.split("-")[0] for p in _files(cache) - files} == {"kernels.reduce"}


@pytest.mark.integration
@pytest.mark.parametrize("command", [["plot", str(GOLDEN), "-o", "chart.png"],
                                     ["report", str(GOLDEN), "-o", "report.html"]])
def test_commands_that_read_results_load_no_numba(tmp_path, command):
    code = ("import sys\nfrom sim.cli.main import cli\n"
            "try:\n    cli(sys.argv[1:])\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "print(sorted(m for m in sys.modules if m == 'numba' or m.startswith(('numba.', 'sim.kernels'))))\n")
    done = subprocess.run([sys.executable, "-c", code, *command], cwd=tmp_path, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / command[-1]).stat().st_size > 0
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_compile_estimates_name_kernels_that_exist():
    """Each default estimate names a top-level kernel by module and name
    (both frames have a ``reduce_chunk``; a renamed kernel would fall back
    to the small default silently)."""
    import importlib

    from sim.kernels import cache

    for qualified in cache.DEFAULT_SECONDS:
        module, name = qualified.rsplit(".", 1)
        kernel = getattr(importlib.import_module(module), name)
        assert hasattr(kernel, "overloads"), f"{qualified} is not a compiled kernel"
        assert cache._name(kernel) == qualified
