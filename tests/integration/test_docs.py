"""The documentation stands on the repository alone, and its set-up
commands are the ones CI runs.

The site itself is built by ``.ci/run`` (``sphinx -W``: a broken link, a
page outside every table of contents or a gallery script that fails is an
error); these checks are the ones Sphinx cannot make.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *ROOT.joinpath("docs").rglob("*.md")])
PAGES = [p for p in PAGES if "_build" not in p.parts and "auto_examples" not in p.parts]
EXAMPLES = sorted(ROOT.joinpath("examples").glob("plot_*.py"))

#: What names a document outside the repository: the specification's and
#: the figures' files, the folder beside the checkout, and the article cited
#: as "the seed article" instead of by its bibliography entry.
OUTSIDE = re.compile(r"MODEL\.md|FIGURES\.md|\.\./shared|shared/reference|(?i:seed article)")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_pages_found():
    names = {p.relative_to(ROOT).as_posix() for p in PAGES}
    assert {"README.md", "docs/index.md", "docs/model.md", "docs/getting-started.md"} <= names
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("path", PAGES + EXAMPLES + [ROOT / "docs" / "references.bib"],
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_file_outside_the_repository(path):
    hits = [f"line {i}: {line.strip()}" for i, line in enumerate(_text(path).splitlines(), 1)
            if OUTSIDE.search(line)]
    assert not hits, "names a document outside the repository:\n" + "\n".join(hits)


def test_the_guard_sees_what_it_must():
    for text in ("see MODEL.md, section 9", "FIGURES.md", "../shared/MODEL.md", "the seed article's example"):
        assert OUTSIDE.search(text), text
    assert not OUTSIDE.search("docs/model.md, section 9")


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_stay_in_the_repository(path):
    """Every relative link of a page leads to a file of the repository (the
    gallery's pages, generated at build time, to a script of examples/)."""
    bad = []
    for target in LINK.findall(_text(path)):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        file = target.split("#", 1)[0]
        resolved = (path.parent / file).resolve()
        if "auto_examples" in resolved.parts:
            stem = resolved.stem
            resolved = ROOT / "examples" / ("README.rst" if stem == "index" else stem + ".py")
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            bad.append(target)
    assert not bad, f"links outside the repository or to missing files: {bad}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_gallery_script_is_small_and_titled(path):
    """A gallery script opens with a titled docstring (sphinx-gallery's
    format) and runs at most 20,000 scenarios, so the build stays fast."""
    tree = ast.parse(_text(path))
    doc = ast.get_docstring(tree) or ""
    lines = doc.strip().splitlines()
    assert len(lines) >= 3 and set(lines[1]) == {"="} and len(lines[1]) >= len(lines[0]), \
        f"{path.name}: the docstring must open with a title underlined with '='"
    counts = [node.value.value for node in ast.walk(tree)
              if isinstance(node, ast.keyword) and node.arg == "n_scenarios"
              and isinstance(node.value, ast.Constant)]
    assert counts, f"{path.name}: no n_scenarios= given"
    assert max(counts) <= 20_000, f"{path.name}: n_scenarios up to {max(counts):,} (at most 20,000)"


def test_readme_commands_are_the_ones_ci_runs():
    """The README's test command and documentation build are the lines of
    .ci/run, and the extras they install exist."""
    readme, ci = _text(ROOT / "README.md"), _text(ROOT / ".ci" / "run")
    test_command = "python3 -m pip install -e '.[test,docs]' && python3 -m pytest --slow"
    build = "python3 -m sphinx -W --keep-going -b html docs docs/_build/html"
    for command in (test_command, build):
        assert command in readme, command
        assert command in ci.splitlines(), command
    assert "python3 -m pip install -e . && sim run -o baseline.nc" in readme
    pyproject = _text(ROOT / "pyproject.toml")
    assert re.search(r"^docs = \[", pyproject, re.MULTILINE) and re.search(r"^test = \[", pyproject, re.MULTILINE)
