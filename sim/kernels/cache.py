"""Where compiled kernels are kept, and saying so when a compile happens.

Numba's own cache keys a kernel by the bytes of the file that defines it and
by the file's absolute path: it does not see the modules the kernel calls
(an edit of ``accumulators.py`` could leave a stale ``reduce_chunk``), it
treats a comment like code, and another checkout of the same source starts
cold. :class:`KernelLocator` replaces that key for the modules of ``sim``:
each module's kernels live in a folder named by :func:`module_digest`, a
hash of the code of that module and of every ``sim`` module it imports,
directly or not, without comments, docstrings or line numbers. So an edit
outside the kernels and what they import recompiles nothing, an edit of one
kernel module recompiles the kernels that depend on it, and every copy of
the same source shares one cache.

:func:`compile_note` watches Numba's ``numba:compile`` event, which fires
only when a kernel is really compiled (not loaded from the cache): the first
one prints the "compiling kernels" note with an estimate, and the time each
compile took is kept for the next estimate.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from numba.core import event
from numba.core import caching

from sim.services import signals
from sim.services.cache_home import cache_home

__all__ = ["KernelLocator", "cache_folder", "cache_root", "compile_note", "compile_seconds", "module_digest",
           "source_digest"]

#: The ``sim`` package.
PACKAGE = Path(__file__).resolve().parents[1]
#: Modules whose code is not compiled, though kernel modules import them
#: (this one: the cache's own bookkeeping).
NOT_COMPILED = frozenset({"kernels/cache.py"})


def cache_root() -> Path:
    """The folder of compiled kernels: ``numba`` in :func:`~sim.services.cache_home.cache_home`
    (``$NUMBA_CACHE_DIR/numba`` if set, else ``$XDG_CACHE_HOME/sim/numba``)."""
    return cache_home() / "numba"


@functools.cache
def source_digest() -> str:
    """A hash of every module of this ``sim`` (16 hex digits): two copies
    with the same digest run the same code (the cluster's version check)."""
    digest = hashlib.sha1()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def _module_path(name: str, root: Path) -> Path | None:
    """The file of module ``name`` (``sim.x.y``) in the package at ``root``, if any."""
    parts = name.split(".")
    if parts[0] != "sim":
        return None
    folder = os.path.join(root, *parts[1:])
    for candidate in (folder + ".py" if parts[1:] else None, os.path.join(folder, "__init__.py")):
        if candidate is not None and os.path.isfile(candidate):
            return Path(candidate)
    return None


def _imported(tree: ast.AST, package: tuple[str, ...]) -> set[str]:
    """The names a module of ``package`` (``("sim", "kernels")``) may import
    (anywhere in it, absolute or relative): ``from m import x`` gives ``m``
    and ``m.x``, one of which is a module."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = list(package[:len(package) - node.level + 1])
                module = ".".join(base + ([module] if module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _parse(source: bytes, package: tuple[str, ...]) -> tuple[str, list[str]]:
    """The hash of one module's code (its syntax tree without docstrings:
    no comments, no line numbers) and the names it imports."""
    tree = ast.parse(source)
    names = sorted(_imported(tree, package))
    dump = ast.dump(_without_docstrings(tree))
    return hashlib.sha1(dump.encode()).hexdigest(), names


#: Parsed modules by the hash of their bytes, kept in the cache folder so
#: that a start with unchanged sources parses nothing (a parse of the ~20
#: modules behind a kernel takes about 0.1 s).
_parsed: dict[str, list] = {}
_parsed_new: list[str] = []


@functools.cache
def _load_parsed() -> None:
    try:
        data = json.loads((cache_root() / "parsed-modules.json").read_text())
        if isinstance(data, dict):
            _parsed.update(data)
    except (OSError, ValueError):
        pass


def _save_parsed() -> None:
    """Add this process's new parses to the file (best effort; a file
    grown past 4,000 entries keeps only the newest)."""
    if not _parsed_new:
        return
    entries = dict(_parsed)
    if len(entries) > 4000:
        entries = {k: _parsed[k] for k in _parsed_new}
    path = cache_root() / "parsed-modules.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(entries))
        os.replace(temporary, path)
    except OSError:
        pass
    _parsed_new.clear()


def _own(source: bytes, package: tuple[str, ...]) -> tuple[str, list[str]]:
    _load_parsed()
    key = f"{hashlib.sha1(source).hexdigest()} {'.'.join(package)}"
    found = _parsed.get(key)
    if not (isinstance(found, list) and len(found) == 2):
        found = _parsed[key] = list(_parse(source, package))
        _parsed_new.append(key)
    return found[0], found[1]


def _file_entry(current: Path, root: Path) -> tuple[str, str, tuple[Path, ...]]:
    """A module's path relative to ``root``, its code's hash and the files of
    the ``sim`` modules it imports (read afresh: an edit counts at once)."""
    rel = current.relative_to(root).as_posix()
    package = ("sim", *current.relative_to(root).parent.parts)
    code_hash, names = _own(current.read_bytes(), package)
    return rel, code_hash, tuple(p for p in (_module_path(name, root) for name in names) if p is not None)


def module_digest(path: Path, root: Path = PACKAGE, entries: dict | None = None) -> str:
    """A hash (16 hex digits) of the code of the module at ``path`` and of
    every ``sim`` module it imports, directly or not (``root`` is the
    package): what its kernels are compiled from. Comments, docstrings and
    line numbers do not count. ``entries`` keeps the files read, to be
    shared by the digests of one moment (each file is read afresh without)."""
    root = Path(root).resolve()
    entries = {} if entries is None else entries
    seen: dict[str, str] = {}
    visited: set[Path] = set()
    todo = [Path(path).resolve()]
    while todo:
        current = todo.pop()
        if current in visited:
            continue
        visited.add(current)
        if current.relative_to(root).as_posix() in NOT_COMPILED:
            continue
        if (current, root) not in entries:
            entries[current, root] = _file_entry(current, root)
        rel, code_hash, imported = entries[current, root]
        seen[rel] = code_hash
        todo.extend(imported)
    digest = hashlib.sha1()
    for rel in sorted(seen):
        digest.update(f"{rel} {seen[rel]}\n".encode())
    return digest.hexdigest()[:16]


#: The files read for this process's digests (the kernel modules share
#: most of their imports; a process compiles from the code it started with).
_process_entries: dict = {}


@functools.cache
def _digest_now(path: Path) -> str:
    digest = module_digest(path, entries=_process_entries)
    _save_parsed()
    return digest


@functools.cache
def _module_name(path: Path) -> str:
    return ".".join(Path(path).resolve().relative_to(PACKAGE).with_suffix("").parts)


def cache_folder(path: Path) -> Path:
    """The folder of the compiled kernels of the module at ``path`` (of this
    package; its digest is computed once per process)."""
    return cache_root() / f"{_module_name(path)}-{_digest_now(Path(path).resolve())}"


@functools.cache
def _package_file(py_file: str) -> Path | None:
    """``py_file`` resolved, if it is a file of this package (else None)."""
    try:
        path = Path(py_file).resolve()
        path.relative_to(PACKAGE)
    except (OSError, ValueError):
        return None  # not a module of this package: Numba's own locators
    return path if path.is_file() else None


class KernelLocator(caching._CacheLocator):
    """Numba's cache locator for the kernels of ``sim``: the folder
    ``cache_root()/<module>-<module_digest>``, the same for every copy of the
    same source, and the digest as the source's stamp."""

    def __init__(self, py_file: Path):
        self._digest = _digest_now(py_file)  # py_file is resolved (from_function)
        self._path = str(cache_root() / f"{_module_name(py_file)}-{self._digest}")
        # Numba names the file when it declines to cache a function (its
        # warning reads this attribute): without it that warning raised.
        self._py_file = str(py_file)

    @classmethod
    def from_function(cls, py_func, py_file):
        path = _package_file(py_file)
        return None if path is None else cls(path)

    def get_cache_path(self) -> str:
        return self._path

    def get_source_stamp(self) -> str:
        return self._digest

    def get_disambiguator(self) -> str:
        # Not the line number (Numba's choice): a docstring edit above a
        # kernel would rename its cache files. A module defines a name once.
        return "sim"


# First in Numba's list of locators (``CacheImpl``, ``_CacheImpl`` before
# Numba 0.61), so that it is asked first; it declines files outside ``sim``.
_LOCATORS = getattr(caching, "CacheImpl", None) or caching._CacheImpl
if KernelLocator not in _LOCATORS._locator_classes:
    _LOCATORS._locator_classes.insert(0, KernelLocator)


# ------------------------------------------------------------ loading
_numba_load_overload = caching.Cache.load_overload


def _load_overload(self, sig, target_context):
    """Numba's ``Cache.load_overload`` without its ``target_context.refresh()``,
    for the kernels of ``sim``.

    The refresh imports every typing and lowering registry of Numba (NumPy,
    lists, dicts, random, linear algebra through SciPy) and installs them:
    0.3 s on the reference machine, a fifth of a warm ``sim run -n 1e4``,
    spent for a compile. Loading compiled code needs only what that code
    links against: Numba's runtime (``rtsys``, started here), its C helpers
    and C math (installed with the target context), the threading layer
    (started by the code's own reload hook) and the hash secret (exported
    by ``numba.cpython.hashing`` when imported, done here). A kernel not in
    the cache is compiled as before, and the compiler refreshes the context
    itself. Other functions, and a Numba without these internals, take
    Numba's own path.
    """
    light = getattr(self, "_load_overload", None)
    guard = getattr(self, "_guard_against_spurious_io_errors", None)
    if light is None or guard is None or \
            not isinstance(getattr(getattr(self, "_impl", None), "locator", None), KernelLocator):
        return _numba_load_overload(self, sig, target_context)
    from numba.core.runtime import rtsys
    import numba.cpython.hashing  # noqa: F401 - exports the hash secret's symbols

    rtsys.initialize(target_context)
    with guard():
        return light(sig, target_context)
    # None when the guard swallowed an I/O error (as in Numba's own)


if not getattr(caching.Cache.load_overload, "_sim_light", False):
    _load_overload._sim_light = True
    caching.Cache.load_overload = _load_overload


# ------------------------------------------------------------ compile notes
#: Seconds a top-level kernel's compile takes when none has been measured
#: here, by module and name (the kernel that holds the model takes most of a
#: cold start: 20-25 s on a 2-core machine; the industry frame's
#: 8-12 s).
DEFAULT_SECONDS = {"sim.kernels.reduce.reduce_chunk": 25.0, "sim.kernels.rows.evaluate_rows": 25.0,
                   "sim.kernels.industry.reduce_chunk": 8.0}
#: The same for a smaller kernel.
SMALL_SECONDS = 5.0


def _timing_file() -> Path:
    return cache_root() / "compile-seconds.json"


def compile_seconds() -> dict[str, float]:
    """The last measured compile time of each top-level kernel, by module and name."""
    try:
        data = json.loads(_timing_file().read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, (int, float)) and 0 < v < 3600}


def _record(measured: dict[str, float]) -> None:
    """Keep measured compile times for the next estimate (best effort)."""
    try:
        known = compile_seconds()
        known.update(measured)
        _timing_file().parent.mkdir(parents=True, exist_ok=True)
        _timing_file().write_text(json.dumps(known, indent=1, sort_keys=True) + "\n")
    except OSError:
        pass


def _name(dispatcher) -> str:
    """A kernel's module and name (two frames each have a ``reduce_chunk``)."""
    func = getattr(dispatcher, "py_func", None)
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__name__', '?')}"


class _Watch(event.Listener):
    """Listens to ``numba:compile``. Runs inside the compiler, so nothing in
    it may raise."""

    def __init__(self, progress: bool, expected: tuple):
        self.progress = progress
        self.expected = expected
        self.depth = 0
        self.began = 0.0
        self.top = "?"
        self.measured: dict[str, float] = {}

    def estimate(self) -> float:
        """Seconds to compile the top-level kernel now starting and the
        expected kernels not yet compiled or loaded in this process."""
        known = compile_seconds()
        names = [self.top] + [_name(d) for d in self.expected
                              if not getattr(d, "overloads", None) and _name(d) != self.top]
        return sum(known.get(n, DEFAULT_SECONDS.get(n, SMALL_SECONDS)) for n in names)

    def on_start(self, ev) -> None:
        try:
            if self.depth == 0:
                self.top = _name(ev.data.get("dispatcher"))
                if not self.measured:
                    signals.set_phase("compiling kernels")
                    if self.progress:
                        print(f"compiling kernels (about {self.estimate():.0f} s)...",
                              file=sys.stderr, flush=True)
                self.measured.setdefault(self.top, 0.0)
                self.began = time.perf_counter()
        except Exception:  # noqa: BLE001 - never raise inside the compiler
            pass
        self.depth += 1

    def on_end(self, ev) -> None:
        self.depth -= 1
        if self.depth == 0:
            self.measured[self.top] += time.perf_counter() - self.began


@contextmanager
def compile_note(progress: bool = False, expected: tuple = ()):
    """Within: the first kernel compile (a cache miss, in any thread) sets
    the phase to "compiling kernels" and, with ``progress``, prints
    "compiling kernels (about N s)..." on stderr, N from the last measured
    compiles of that kernel and of the ``expected`` dispatchers not yet
    loaded. Nothing is printed when every kernel comes from the cache.
    Yields the listener; its ``measured`` holds the seconds of each
    top-level compile, which are kept for the next estimate."""
    watch = _Watch(progress, tuple(expected))
    with event.install_listener("numba:compile", watch):
        yield watch
    if watch.measured:
        _record(watch.measured)
