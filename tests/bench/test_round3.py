"""The round-three runner (``python -m benchmarks REV``) reports what it
measured: the saved run of record, rendered again from its JSON, is the
saved Markdown, ratio for ratio."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
round3 = pytest.importorskip("benchmarks.__main__", reason="the benchmarks folder of the source tree")


def test_the_saved_run_of_record_renders_to_its_saved_table():
    result = json.loads((ROOT / "benchmarks" / "ROUND3.json").read_text())
    saved = (ROOT / "benchmarks" / "ROUND3.md").read_text()
    command = saved.split("- Command: `", 1)[1].split("`", 1)[0]
    assert round3.markdown(result, command) + "\n" == saved


def test_each_ratio_is_the_after_over_the_before_of_its_row():
    result = json.loads((ROOT / "benchmarks" / "ROUND3.json").read_text())
    text = round3.markdown(result, "python -m benchmarks REV")
    run = result["start"]["run"]["after"]
    assert f"| {run['ratio']:.1f}x |" in text and run["ratio"] == pytest.approx(run["cold_s"] / run["warm_s"])
    on = result["rates"]["path on"]
    assert f"| {on['after'] / on['before']:.2f}x | 2.5x |" in text
    assert on["after"] == max(on["all"]["after"]) and on["before"] == max(on["all"]["before"])
    fixed = result["fixed"]["after"]["run_1e4"]
    assert fixed["ratio"] == pytest.approx(fixed["command_s"] / fixed["baseline_s"])
    assert f"| {result['fixed']['before']['run_1e4']['ratio']:.2f}x | {fixed['ratio']:.2f}x | 2x |" in text
