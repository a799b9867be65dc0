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

#: Layer of every module, by its name under ``sim`` ("__init__" is the
#: package itself, "engine" the engine package's ``__init__``). A module of
#: layer L imports only modules of layers <= L. Each layer says what it may
#: know about: a number there is a decision, change it deliberately.
LAYERS: dict[str, int] = {
    # 0 vocabulary and settings shared by all, and package data: import nothing of sim.
    "_version": 0, "_callable": 0, "errors": 0, "layout": 0, "choices": 0, "units": 0, "jit": 0,
    "outputs": 0, "registry": 0, "data": 0,
    # 1 checks of caller input, output helpers, and where the numbers come from.
    "checks": 1, "progress": 1, "atomic": 1, "signals": 1, "vmath": 1, "bundled": 1,
    "sampling": 1, "sampling.rng": 1, "sampling.inverse_cdf": 1, "sampling.design_kernels": 1,
    "sampling.draw": 1, "sampling.families": 1, "sampling.distributions": 1,
    "sampling.designs": 1, "sampling.block": 1,
    # 2 the model: jitted blocks on one parameter vector (they know theta, not
    #   scenarios), and its plain NumPy twin.
    "model": 2, "model.params": 2, "model.scaling": 2, "model.costs": 2,
    "model.performance": 2, "model.market": 2, "model.risk": 2, "model.beliefs": 2, "model.timeline": 2,
    "model.evaluate": 2, "model.block": 2, "reference": 2,
    # 3 a scenario, and the flat arrays compiled from it for the kernels.
    "scenario": 3, "plan": 3,
    # 4 the engine: kernels over blocks of scenarios, and the streaming reduction.
    "engine": 4, "engine.accumulators": 4, "engine.kernels": 4, "engine.sketch": 4,
    "engine.reducer": 4, "engine.matrix": 4,
    # 5 a reduction as a Dataset, a netCDF file, a text table.
    "results": 5, "tables": 5, "checkpoint": 5,
    # 6 charts and the HTML report, drawn from saved Datasets (they never run the model).
    "plot": 6, "report": 6,
    # 7 running: the front door, sweeps, calibration against observed models, sensitivity
    #   analyses (their text and HTML tables sit with results' tables at 5, their charts
    #   with the others at 6).
    "api": 7, "sweep": 7, "calibration": 7, "limits": 7, "decision": 7, "distributed": 7,
    "sensitivity": 7, "sensitivity.api": 7, "sensitivity.rank": 7, "sensitivity.sobol": 7,
    "sensitivity.tornado": 7, "sensitivity.tables": 5, "sensitivity.charts": 6,
    # 8 front ends: the package namespace, the command line, sim bench.
    "__init__": 8, "__main__": 8, "cli": 8,
    "bench": 8, "bench.workload": 8, "bench.numpy_model": 8, "bench.naive_numba": 8,
    "bench.squiggle_model": 8, "bench.floors": 8, "bench.memory": 8, "bench.startup": 8,
    "bench.frozen_kernel": 8, "bench.stages": 8,
}

#: Imports the layers alone would allow but the design rules out:
#: (importer package, imported module, why).
SEPARATE = [
    ("engine", "scenario", "the engine works from a Plan; files and overrides stay above it"),
]

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
    return found


def missing_from_table(modules, layers=LAYERS) -> list[str]:
    problems = []
    for name in modules:
        if short(name) not in layers:
            path = name.replace(".", "/") + ("/__init__.py" if modules[name][1] else ".py")
            problems.append(
                f"{path} has no layer: add {short(name)!r}: <layer> to LAYERS in "
                f"tests/test_architecture.py (and a line to docs/architecture.md): a layer at "
                f"or above every module it imports, below every module that imports it")
    stale = sorted(set(layers) - {short(n) for n in modules})
    problems += [f"LAYERS names {s!r}, which is not a module of sim: remove it" for s in stale]
    return problems


def violations(modules, layers=LAYERS, separate=SEPARATE) -> list[str]:
    """One message per import that goes up a layer or crosses a SEPARATE rule."""
    known = set(modules)
    problems = []
    for name, (source, is_package) in sorted(modules.items()):
        mine = layers.get(short(name))
        for target, line in imports_of(name, source, is_package, known):
            theirs = layers.get(short(target))
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


def _with(name: str, extra: str, is_package: bool = False) -> dict[str, tuple[str, bool]]:
    """The real modules, with ``extra`` appended to ``name`` (or as a new module)."""
    modules = dict(MODULES)
    source, _ = modules.get(name, ("", is_package))
    modules[name] = (source + "\n" + textwrap.dedent(extra), is_package)
    return modules


@pytest.mark.parametrize("name, extra, expected", [
    # results must not reach up to the front door, even inside a function
    ("sim.results", "def f():\n    from .api import run\n", "sim.results (layer 5) imports sim.api (layer 7)"),
    # absolute imports count as well as relative ones
    ("sim.engine.sketch", "import sim.plot\n", "sim.engine.sketch (layer 4) imports sim.plot (layer 6)"),
    ("sim.outputs", "from sim import run\n", "sim.outputs (layer 0) imports sim (layer 8)"),
    ("sim.model.risk", "from ..engine import kernels\n", "sim.model.risk (layer 2) imports sim.engine.kernels"),
    # the model knows parameter vectors, not scenarios
    ("sim.model.costs", "from ..scenario import Scenario\n", "sim.model.costs (layer 2) imports sim.scenario (layer 3)"),
    # below the layer but ruled out: the engine knows plans, not scenarios
    ("sim.engine.kernels", "from ..scenario import Scenario\n", "the engine works from a Plan"),
])
def test_checker_reports_a_forbidden_import(name, extra, expected):
    assert not any(expected in p for p in violations(MODULES))
    problems = violations(_with(name, extra))
    assert any(expected in p for p in problems), problems


def test_checker_allows_same_layer_and_lower_imports():
    modules = _with("sim.model.risk", "from .scaling import scaling\nfrom ..registry import index\n")
    assert violations(modules) == []


@pytest.mark.parametrize("name, path", [("sim.model.newblock", "sim/model/newblock.py"),
                                        ("sim.decisions", "sim/decisions.py")])
def test_checker_reports_a_module_without_a_layer(name, path):
    problems = missing_from_table(_with(name, "from ..jit import jit\n"))
    assert len(problems) == 1
    assert f"{path} has no layer: add {short(name)!r}" in problems[0]


def test_checker_reports_a_layer_of_no_module():
    problems = missing_from_table(MODULES, {**LAYERS, "engine.old": 4})
    assert problems == ["LAYERS names 'engine.old', which is not a module of sim: remove it"]


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
    """Dask loads only when a run asks for a cluster, not with sim or sim.distributed."""
    loaded = _loaded_after("import sim, sim.distributed, sim.cli\n")
    assert not {"dask", "distributed"} & loaded, "importing sim loads dask"


_HELP = textwrap.dedent("""
    import contextlib, io
    import sim.cli
    with contextlib.redirect_stdout(io.StringIO()):
        sim.cli.cli.main(["--help"], prog_name="sim", standalone_mode=False)
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


def test_import_sim_is_lazy_but_complete():
    """Every public name of ``sim`` resolves (loading its module then)."""
    import sim

    for name in sim.__all__:
        assert getattr(sim, name) is not None, name
    assert callable(sim.sensitivity) and sim.sensitivity.rank.__name__ == "sim.sensitivity.rank"
    assert callable(sim.sweep) and sim.sweep.parse_vary.__module__ == "sim.sweep"


def test_a_submodule_loaded_first_does_not_hide_the_function():
    """Importing sim.sweep (as sim.distributed does) before using sim.sweep
    leaves sim.sweep callable: the submodule binds its name in sim."""
    code = ("import sim.distributed, sim.sensitivity.rank\n"
            "assert callable(sim.sweep) and callable(sim.sensitivity)\n")
    _loaded_after(code)

