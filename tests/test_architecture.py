"""The package's shape: public names, import layers and what start-up loads.

``LAYERS`` places every module of ``sim`` in a layer; a module may import
modules of its own layer or below, never above (imports inside functions and
under ``if TYPE_CHECKING:`` count too). A new module fails the test until it
is given a layer here, so that its place is chosen, not inherited.
``docs/architecture.md`` explains the layers.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sim"

#: Layer of every folder (and root module) of ``sim``, bottom to top: a
#: module imports only from its own folder's layer or below. The folders are
#: the pipeline; a newcomer finds a room by its name. A number here is a
#: decision: change it deliberately.
LAYERS: dict[str, int] = {
    # 0 the vocabulary: keys, outputs, names, layout constants, errors. No Numba, no SciPy.
    "_version": 0, "_callable": 0, "data": 0, "vocab": 0,
    # 1 process services: caller checks, atomic writes, signals, progress.
    "services": 1,
    # 2 every jitted function: elementary functions, generator, draws, model blocks, reductions.
    "kernels": 2,
    # 3 a scenario file, its distributions and the flat Plan compiled from it.
    "scenario": 3,
    # 4 the engine: the streaming reducer, pilot, designs, checkpoints, limits.
    "engine": 4,
    # 5 a reduction as a Dataset and a netCDF file.
    "results": 5,
    # 6 presentation: text tables, charts, the report. Reads Datasets, never runs the model.
    "present": 6,
    # 7 analyses: run, sweep, decide, calibrate, sensitivity, the cluster.
    "analyses": 7,
    # 8 the NumPy reference and helpers the tests share (an oracle; ships).
    "testing": 8,
    # 9 sim bench: what an installed user measures.
    "bench": 9,
    # 10 the command line.
    "cli": 10,
    # 11 the package namespace.
    "__init__": 11, "__main__": 11,
}

#: Imports the layers alone would allow but the design rules out:
#: (importer package, imported package, why).
SEPARATE = [
    ("engine", "scenario.load", "the engine works from a Plan; files and overrides stay above it"),
    ("engine", "scenario.bundled", "the engine works from a Plan; files and overrides stay above it"),
    ("present", "engine", "presentation reads Datasets; it never starts a run"),
    ("present", "kernels", "presentation reads Datasets; it never loads the kernels"),
    ("present", "analyses", "presentation reads Datasets; it never starts a run"),
]


def layer_of(short_name: str) -> int | None:
    """The layer of a module: its top folder's (``engine.reducer`` -> engine)."""
    if short_name in LAYERS:
        return LAYERS[short_name]
    return LAYERS.get(short_name.split(".")[0])


#: Packages whose __init__ has no __all__ yet (left as found; strict xfail,
#: so adding one makes this test fail until the entry is removed).
NO_ALL_YET: dict[str, str] = {}


# ------------------------------------------------------------------ the checker
def discover(package: Path = PACKAGE) -> dict[str, tuple[str, bool]]:
    """``{"sim.x.y": (source, is_package)}`` for every module under ``package``."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        modules[".".join(parts)] = (path.read_text(encoding="utf-8"), is_package)
    return modules


def short(name: str) -> str:
    """``sim.engine.reducer`` -> ``engine.reducer``; ``sim`` -> ``__init__``."""
    return "__init__" if name == "sim" else name.removeprefix("sim.")


def imports_of(name: str, source: str, is_package: bool, known: set[str]) -> list[tuple[str, int]]:
    """Modules of ``sim`` that ``source`` imports, with line numbers: relative
    and absolute ``sim`` imports, at module level and inside functions."""
    package = name if is_package else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.split(".")[0] == "sim"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
                if module.split(".")[0] != "sim":
                    continue
            # "from pkg import sub" imports the submodule; other names come from pkg.
            subs = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in known]
            if len(subs) < len(node.names):
                subs.append(module)
            found += [(s, node.lineno) for s in subs]
    # Importing sim.a.b.c runs sim/a/__init__ and sim/a/b/__init__ first: the
    # parent packages count as imports too (all but the lazy root, and all
    # but the importer's own parents, which are loaded already).
    own = {package.rsplit(".", i)[0] for i in range(package.count(".") + 1)} | {name}
    parents = []
    for target, line in found:
        parts = target.split(".")
        for k in range(2, len(parts)):
            parent = ".".join(parts[:k])
            if parent not in own and parent in known:
                parents.append((parent, line))
    return found + parents


def cycles(modules) -> list[list[str]]:
    """Import cycles (strongly connected components of two or more modules,
    or a module importing itself), by Tarjan's algorithm."""
    known = set(modules)
    graph = {name: sorted({t for t, _ in imports_of(name, *modules[name], known) if t != name})
             for name in modules}
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    import sys as _sys
    limit = _sys.getrecursionlimit()
    _sys.setrecursionlimit(max(limit, 10_000))
    try:
        for v in sorted(graph):
            if v not in index:
                visit(v)
    finally:
        _sys.setrecursionlimit(limit)
    return found


def layer_of_in(short_name: str, layers: dict[str, int]) -> int | None:
    if short_name in layers:
        return layers[short_name]
    return layers.get(short_name.split(".")[0])


def missing_from_table(modules, layers=LAYERS) -> list[str]:
    problems = []
    for name in modules:
        if layer_of_in(short(name), layers) is None:
            path = name.replace(".", "/") + ("/__init__.py" if modules[name][1] else ".py")
            problems.append(
                f"{path} has no layer: add {short(name).split('.')[0]!r}: <layer> to LAYERS in "
                f"tests/test_architecture.py (and a line to docs/architecture.md), or put it "
                f"in the folder of its layer")
    stale = sorted(set(layers) - {short(n).split(".")[0] for n in modules} - {short(n) for n in modules})
    problems += [f"LAYERS names {s!r}, which is not a module or folder of sim: remove it" for s in stale]
    return problems


def violations(modules, layers=LAYERS, separate=SEPARATE) -> list[str]:
    """One message per import that goes up a layer or crosses a SEPARATE rule."""
    known = set(modules)
    problems = []
    for name, (source, is_package) in sorted(modules.items()):
        mine = layer_of_in(short(name), layers)
        for target, line in imports_of(name, source, is_package, known):
            theirs = layer_of_in(short(target), layers)
            if mine is not None and theirs is not None and theirs > mine:
                problems.append(f"{name} (layer {mine}) imports {target} (layer {theirs}) at "
                                f"line {line}: a module may import only its own layer or below")
            for importer, imported, why in separate:
                s, t = short(name), short(target)
                if (s == importer or s.startswith(importer + ".")) and \
                        (t == imported or t.startswith(imported + ".")):
                    problems.append(f"{name} imports {target} at line {line}: {why}")
    return problems


MODULES = discover()


# ------------------------------------------------------------------ __all__
def _all_params():
    for name in sorted(MODULES):
        if name.endswith("__main__"):
            continue
        marks = ()
        if name in NO_ALL_YET:
            marks = pytest.mark.xfail(strict=True, reason=NO_ALL_YET[name])
        yield pytest.param(name, id=name, marks=marks)


@pytest.mark.parametrize("name", list(_all_params()))
def test_module_defines_all_and_every_name_exists(name):
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} defines no __all__"
    assert all(isinstance(n, str) for n in module.__all__), f"{name}.__all__ holds non-strings"
    absent = [n for n in module.__all__ if not hasattr(module, n)]
    assert not absent, f"{name}.__all__ names what the module does not define: {absent}"


# ------------------------------------------------------------------ layers
def test_every_module_has_a_layer():
    problems = missing_from_table(MODULES)
    assert not problems, "\n".join(problems)


def test_no_module_imports_a_higher_layer():
    problems = violations(MODULES)
    assert not problems, "\n".join(problems)


def test_no_import_cycle():
    found = cycles(MODULES)
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_cycle_check_sees_a_cycle():
    modules = _with("sim.vocab.units", "from sim.vocab import outputs\n")
    modules = {**modules, "sim.vocab.outputs": (modules["sim.vocab.outputs"][0] + "\nimport sim.vocab.units\n",
                                                False)}
    assert ["sim.vocab.outputs", "sim.vocab.units"] in cycles(modules)


def _with(name: str, extra: str, is_package: bool = False) -> dict[str, tuple[str, bool]]:
    """The real modules, with ``extra`` appended to ``name`` (or as a new module)."""
    modules = dict(MODULES)
    source, _ = modules.get(name, ("", is_package))
    modules[name] = (source + "\n" + textwrap.dedent(extra), is_package)
    return modules


@pytest.mark.parametrize("name, extra, expected", [
    # results must not reach up to the front door, even inside a function
    ("sim.results.dataset", "def f():\n    from ..analyses.run import run\n",
     "sim.results.dataset (layer 5) imports sim.analyses.run (layer 7)"),
    # absolute imports count as well as relative ones
    ("sim.engine.sketch", "import sim.present.charts\n",
     "sim.engine.sketch (layer 4) imports sim.present.charts (layer 6)"),
    ("sim.vocab.outputs", "from sim import run\n", "sim.vocab.outputs (layer 0) imports sim (layer 11)"),
    # a parent package counts: importing sim.analyses.sensitivity.rank runs analyses/sensitivity/__init__
    ("sim.engine.sketch", "from sim.analyses.sensitivity import rank\n",
     "sim.engine.sketch (layer 4) imports sim.analyses.sensitivity (layer 7)"),
    # the model knows parameter vectors, not scenarios
    ("sim.kernels.model.block", "from ...scenario.load import Scenario\n",
     "sim.kernels.model.block (layer 2) imports sim.scenario.load (layer 3)"),
    # below the layer but ruled out: the engine knows plans, not scenarios
    ("sim.engine.reducer", "from sim.scenario.load import Scenario\n", "the engine works from a Plan"),
    # presentation never starts a run
    ("sim.present.report", "from sim.engine import reducer\n", "presentation reads Datasets"),
])
def test_checker_reports_a_forbidden_import(name, extra, expected):
    assert not any(expected in p for p in violations(MODULES))
    problems = violations(_with(name, extra))
    assert any(expected in p for p in problems), problems


def test_checker_allows_same_layer_and_lower_imports():
    modules = _with("sim.kernels.model.block", "from .params import POOL\nfrom sim.vocab.registry import index\n")
    assert violations(modules) == []


@pytest.mark.parametrize("name, path", [("sim.newroom.thing", "sim/newroom/thing.py"),
                                        ("sim.decisions", "sim/decisions.py")])
def test_checker_reports_a_module_without_a_layer(name, path):
    problems = missing_from_table(_with(name, "from sim.kernels.jit import jit\n"))
    assert len(problems) == 1
    assert f"{path} has no layer: add {short(name).split('.')[0]!r}" in problems[0]


def test_checker_reports_a_layer_of_no_module():
    problems = missing_from_table(MODULES, {**LAYERS, "old": 4})
    assert problems == ["LAYERS names 'old', which is not a module or folder of sim: remove it"]


# ------------------------------------------------------------------ start-up
def _loaded_after(code: str) -> set[str]:
    """Top-level packages in ``sys.modules`` after ``code`` runs in a fresh
    interpreter that imports this source tree's ``sim``."""
    probe = code + textwrap.dedent(f"""
        import sim, sys
        assert sim.__file__.startswith({str(PACKAGE)!r}), sim.__file__
        print(" ".join(sorted({{m.split(".")[0] for m in sys.modules}})))
    """)
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return set(out.stdout.split())


def test_import_sim_does_not_load_matplotlib():
    assert "matplotlib" not in _loaded_after("import sim\n"), "import sim loads matplotlib"


def test_dask_is_optional():
    """Dask loads only when a run asks for a cluster, not with sim or sim.engine.cluster."""
    loaded = _loaded_after("import sim, sim.engine.cluster, sim.analyses.run, sim.cli.main\n")
    assert not {"dask", "distributed"} & loaded, "importing sim loads dask"


_HELP = textwrap.dedent("""
    import contextlib, io
    import sim.cli.main
    with contextlib.redirect_stdout(io.StringIO()):
        sim.cli.main.cli.main(["--help"], prog_name="sim", standalone_mode=False)
""")
_SCENARIOS = _HELP.replace('["--help"]', '["scenarios"]')
HEAVY = ("numba", "xarray", "scipy", "matplotlib")


@pytest.mark.parametrize("library", HEAVY)
@pytest.mark.parametrize("command", ["--help", "scenarios"])
def test_the_quick_commands_do_not_load(command, library):
    """``sim --help`` and ``sim scenarios`` start in a fraction of a second:
    they load none of the heavy libraries (``import sim`` is lazy, and the
    scenario list reads the files' descriptions without validating them)."""
    loaded = _loaded_after(_HELP if command == "--help" else _SCENARIOS)
    assert library not in loaded, f"sim {command} loads {library}"


def test_the_presentation_layer_loads_no_numba():
    """``sim plot`` and ``sim report`` only read results: importing the
    presentation layer (tables, charts, the report) loads no Numba, so they
    never wait for the kernels (the integration test runs the commands)."""
    loaded = _loaded_after("import sim.present.report, sim.present.charts, sim.present.tables, "
                           "sim.results.summary")
    assert "numba" not in loaded


def test_import_sim_is_lazy_but_complete():
    """Every public name of ``sim`` resolves (loading its module then)."""
    import sim

    for name in sim.__all__:
        assert getattr(sim, name) is not None, name
    assert callable(sim.sensitivity) and sim.analyses.sensitivity.rank.__name__ == "sim.analyses.sensitivity.rank"
    assert callable(sim.sweep) and sim.sweep.parse_vary.__module__ == "sim.analyses.sweep"


def test_a_submodule_loaded_first_does_not_hide_the_function():
    """Importing sim.analyses.sweep before using sim.sweep
    leaves sim.sweep callable: the submodule binds its name in sim."""
    code = ("import sim.analyses.sweep, sim.analyses.sensitivity.rank\n"
            "assert callable(sim.sweep) and callable(sim.sensitivity)\n")
    _loaded_after(code)



# ---------------------------------------------------------------- the tests' own layout

TESTS = ROOT / "tests"
#: Test folders: one per folder of the package, plus the integration tests.
TEST_FOLDERS = {"integration"} | {p.name for p in PACKAGE.iterdir()
                                  if p.is_dir() and (p / "__init__.py").exists()}


def _test_imports(path: Path) -> list[str]:
    """What a test module imports from other test modules: relative imports,
    ``tests.*``, ``conftest`` or another ``test_*`` module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else [f"{'.' * node.level}{node.module or ''}"]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            head = name.split(".")[0]
            if name.startswith(".") or head in ("tests", "conftest") or head.startswith("test_"):
                found.append(name)
    return found


def test_no_test_module_imports_another():
    offenders = {str(p.relative_to(ROOT)): bad for p in sorted(TESTS.rglob("*.py"))
                 if "data" not in p.relative_to(TESTS).parts and (bad := _test_imports(p))}
    assert offenders == {}, "shared helpers belong in sim.testing or tests/conftest.py"


def test_the_check_sees_a_test_importing_another(tmp_path):
    for source in ("from .conftest import BASELINE\n", "from tests.engine.test_reducer import x\n",
                   "import test_plot\n"):
        (tmp_path / "test_x.py").write_text(source)
        assert _test_imports(tmp_path / "test_x.py"), source


def test_unit_tests_mirror_the_package():
    """Every test module sits in a folder named after a folder of the package
    (or integration/), except this one, which checks the whole package."""
    loose = [p.name for p in TESTS.glob("test_*.py") if p.name != "test_architecture.py"]
    assert loose == []
    folders = {p.parent.relative_to(TESTS).parts[0] for p in TESTS.rglob("test_*.py")
               if p.parent != TESTS and "data" not in p.parts}
    assert folders <= TEST_FOLDERS, folders - TEST_FOLDERS
