"""The number formats of sim.vocab.units against hand-written strings, and a
check that no other module of sim formats percentages or defines its own
formatter."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from sim.vocab.units import (NOT_FINITE, decimals, delay_years, duration, eng, percent, plus_minus,
                             rate_label, se_percent, significant, size_label, usd_label, usd_per_million,
                             value_label)

NAN = float("nan")
INF = float("inf")
SIM = Path(__file__).resolve().parents[2] / "sim"
FORMATS = SIM / "vocab" / "units.py"


@pytest.mark.parametrize(("x", "digits", "want"), [
    (0.637, 1, "63.7%"),
    (0.0, 1, "0.0%"),
    (1.0, 1, "100.0%"),
    (-0.25, 1, "-25.0%"),
    (0.95, 0, "95%"),
    (0.5, 0, "50%"),
    (0.00049, 1, "0.0%"),
    (1e-9, 0, "0%"),
    (1234.5, 1, "123450.0%"),
    (NAN, 1, NOT_FINITE),
    (INF, 0, NOT_FINITE),
    (-INF, 1, NOT_FINITE),
])
def test_percent(x, digits, want):
    assert percent(x, digits) == want


def test_percent_default_is_one_decimal_and_reads_numpy_scalars():
    import numpy as np
    assert percent(np.float64(0.0312)) == "3.1%"
    assert percent(np.array(0.5)) == "50.0%"


@pytest.mark.parametrize(("x", "want"), [
    (0.0, "0%"),
    (0.00048, "0.048%"),
    (0.0123, "1.2%"),
    (0.099, "9.9%"),
    (0.125, "12.5%"),
    (5e-9, "<0.001%"),
    (1e-5, "0.001%"),
    (NAN, "nan%"),
])
def test_se_percent(x, want):
    assert se_percent(x) == want


@pytest.mark.parametrize(("x", "want"), [
    (0.0, "0"),
    (-0.544, "-0.544"),
    (32.06, "32.1"),
    (1234.0, "1.23e+03"),
    (9999.0, "1e+04"),
    (12345.678, "1.23e+04"),
    (-2.5e9, "-2.50e+09"),
    (1e-7, "1e-07"),
    (NAN, NOT_FINITE),
    (-INF, NOT_FINITE),
])
def test_significant(x, want):
    assert significant(x) == want


@pytest.mark.parametrize(("x", "units", "want"), [
    (-2.5e9, "USD", "-$2.5B"),
    (12345.0, "USD", "$12.3K"),
    (12345.0, "1", "1.23e+04"),
    (0.412, None, "0.412"),
    (NAN, "1", NOT_FINITE),
    (NAN, "USD", "nan"),
])
def test_value_label(x, units, want):
    assert value_label(x, units) == want


@pytest.mark.parametrize(("x", "width", "want"), [
    (-0.721, 10, "    -0.721"),
    (32.06, 9, "   32.060"),
    (0.0, 9, "    0.000"),
    (0.001, 0, "0.001"),
    (0.0005, 9, " 5.00e-04"),
    (-0.0005, 0, "-5.00e-04"),
    (12345.0, 10, "  1.23e+04"),
    (-3.2e20, 9, "-3.20e+20"),
    (NAN, 6, "   nan"),
])
def test_decimals(x, width, want):
    assert decimals(x, width) == want


@pytest.mark.parametrize(("v", "half", "want"), [
    (0.41234, 0.0311, "0.412 ± 0.031"),
    (-1.0, 0.0, "-1.000 ± 0.000"),
    (0.0, 0.0005, "0.000 ± 0.001"),
    (1234.5678, 12.0, "1234.568 ± 12.000"),
    (NAN, NAN, "nan ± nan"),
])
def test_plus_minus(v, half, want):
    assert plus_minus(v, half) == want


@pytest.mark.parametrize(("x", "want"), [
    (0.0, "  0.00"),
    (0.32, "  0.32"),
    (-1.5, " -1.50"),
    (999.994, "999.99"),
    (1000.0, " 1e+03"),
    (2.5e7, " 2e+07"),
    (NAN, "   nan"),
])
def test_delay_years(x, want):
    assert delay_years(x) == want


@pytest.mark.parametrize(("x", "want"), [
    (3.14e23, "3.14e23"),
    (4324883, "4.32e6"),
    (1.64e-18, "1.64e-18"),
    (175, "175"),
    (0.084, "0.084"),
    (0.0, "0"),
    (-0.25, "-0.25"),
    (-12345.0, "-1.23e4"),
    (0.001, "1.00e-3"),
    (NAN, "-"),
    (INF, "inf"),
    (-INF, "-inf"),
])
def test_eng(x, want):
    assert eng(x) == want


@pytest.mark.parametrize(("x", "want"), [
    (0.0, "$0"),
    (999.0, "$999"),
    (12345.0, "$12.3K"),
    (3.5e8, "$350M"),
    (-1.234e9, "-$1.23B"),
    (-2.26e6, "-$2.26M"),
    (8.19e12, "$8.19T"),
    (1e15, "$1e+03T"),
    (0.25, "$0.25"),
    (-0.001, "-$0.001"),
    (NAN, "nan"),
    (INF, "inf"),
    (-INF, "-inf"),
])
def test_usd_label(x, want):
    assert usd_label(x) == want


@pytest.mark.parametrize(("x", "want"), [(1.61e-5, "$16.1"), (1.89e-9, "$0.00189"), (6.08e-10, "$0.000608"),
                                         (NAN, "$" + NOT_FINITE)])
def test_usd_per_million(x, want):
    assert usd_per_million(x) == want


@pytest.mark.parametrize(("x", "want"), [
    (1e8, "100M"),
    (1e9, "1B"),
    (1.5e10, "15B"),
    (1e12, "1T"),
    (7e11, "700B"),
    (12345.0, "12.35K"),
    (350.0, "350"),
    (0.0, "0"),
])
def test_size_label(x, want):
    assert size_label(x) == want


@pytest.mark.parametrize(("x", "want"), [
    (12_345_678.0, "12.346 M/s"),
    (100_000.0, "0.100 M/s"),
    (99_999.0, "100.0 k/s"),
    (4_200.0, "4.2 k/s"),
    (0.0, "0.0 k/s"),
])
def test_rate_label(x, want):
    assert rate_label(x) == want


@pytest.mark.parametrize(("seconds", "want"), [
    (0.0, "0 s"),
    (42.4, "42 s"),
    (89.0, "89 s"),
    (90.0, "2 min"),
    (720.0, "12 min"),
    (5400.0, "1.5 h"),
    (3.5 * 3600, "3.5 h"),
    (9 * 86400, "9 days"),
    (4e9 * 86400, "4,000,000,000 days"),
])
def test_duration(seconds, want):
    assert duration(seconds) == want


# ------------------------------------------------------------------ one home
def _modules():
    for path in sorted(SIM.rglob("*.py")):
        if path != FORMATS:
            yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


#: Names of number formatters that once lived outside the formats module.
FORMATTER_NAME = re.compile(r"_?(fmt|format)_?(pct|percent|num|number|usd|money|rate|roi)\w*"
                            r"|_(pct|se_pct|percent|usd|money|num|number|roi|delay|eng)")


def _formatter_defs(tree: ast.AST) -> list[tuple[int, str]]:
    return [(node.lineno, node.name) for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and FORMATTER_NAME.fullmatch(node.name)]


def _spec(node: ast.FormattedValue) -> str:
    if node.format_spec is None:
        return ""
    return "".join(str(v.value) for v in node.format_spec.values if isinstance(v, ast.Constant))


def _percent_strings(tree: ast.AST) -> list[int]:
    """Lines of f-strings with a ``%`` format spec or a ``{x:.1f}%`` glued on."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.JoinedStr):
            continue
        parts = node.values
        for k, part in enumerate(parts):
            if not isinstance(part, ast.FormattedValue):
                continue
            spec = _spec(part)
            after = parts[k + 1] if k + 1 < len(parts) else None
            glued = (isinstance(after, ast.Constant) and str(after.value).startswith("%")
                     and re.search(r"\.\d+[fg]$", spec))
            if spec.endswith("%") or glued:
                lines.append(node.lineno)
    return lines


def test_no_formatter_is_defined_outside_the_formats_module():
    found = [f"{path.relative_to(SIM.parent)}:{line} {name}"
             for path, tree in _modules() for line, name in _formatter_defs(tree)]
    assert not found, f"number formatters belong in sim/vocab/units.py: {found}"


def test_no_percentage_is_formatted_outside_the_formats_module():
    """Every percentage goes through ``percent`` (or ``se_percent``): no f-string
    elsewhere uses a ``%`` format spec, nor writes ``{100 * x:.1f}%``."""
    found = [f"{path.relative_to(SIM.parent)}:{line}"
             for path, tree in _modules() for line in _percent_strings(tree)]
    assert not found, f"format percentages with sim.vocab.units.percent: {found}"


def test_the_checks_find_what_they_look_for():
    source = (
        "def _pct(x):\n    return f'{100 * x:.1f}%'\n"      # line 1-2: a formatter, glued %
        "def _fmt_pct(x):\n    return f'{x:>8.1%}'\n"       # line 3-4: a formatter, % spec
        "def _usd(x):\n    return f'${x:.3g}'\n"            # line 5-6: a formatter
        "def summary(ds):\n    return f'{percent(p):>8} {n:,} of {k:.2f} ({x} %)'\n"  # 7-8: fine
    )
    tree = ast.parse(source)
    assert _formatter_defs(tree) == [(1, "_pct"), (3, "_fmt_pct"), (5, "_usd")]
    assert sorted(_percent_strings(tree)) == [2, 4]
