"""The v2 -> v3 table of docs/model.md section 2e: the baseline's results per
size as model v3's changes are switched on one group at a time, from the v2
baseline (tests/data/v2_scenarios/baseline.toml) to the v3 one (bundled).

    python docs/scripts/v2_to_v3.py [n]

Prints a Markdown table: median ROI, P(loss), P(best), mean years served and
the median year-1 serving margin among the scenarios served in year 1 (and
the share served then), per size, after each step (seed 1).
"""

from __future__ import annotations

import sys
from pathlib import Path

import sim
from sim.scenario.distributions import Distribution

ROOT = Path(__file__).resolve().parents[2]
V2 = ROOT / "tests" / "data" / "v2_scenarios" / "baseline.toml"

#: Each step switches on one group of v3's changes (the keys take the v3
#: baseline's values), in this order; the last step is the v3 baseline.
STEPS = [
    ("over-trained data rule", ["scaling.tokens_at_reference", "scaling.data_exponent",
                                "market.competitor_size", "finetune.base_tokens_per_param"]),
    ("costs re-sourced (GPU-hour, team, R&D)", ["costs.gpu_hour_price", "costs.fixed_cost_at_reference",
                                                "scaling.experiment_overhead"]),
    ("market re-sourced (pool, growth)", ["market.revenue_pool", "market.growth"]),
    ("input tokens, blended tier price and its own decline",
     ["costs.input_ratio", "costs.prefill_utilization", "market.token_price",
      "market.token_price_decline"]),
    ("price by quality (theta), rivals' progress, our excess gap",
     ["market.price_quality_exponent", "market.frontier_progress", "performance.deployment_gap",
      "market.gap_applies_to_rivals"]),
]


def value(scenario, key):
    if key == "market.gap_applies_to_rivals":
        return scenario.gap_applies_to_rivals
    v = scenario.values[key]
    return v.to_dict() if isinstance(v, Distribution) else v


def row(label: str, ds) -> list[str]:
    sizes = [f"{s:.0e}" for s in ds.model_size.values]
    med = ds.roi_quantile.sel(quantile=0.5).values
    margin = ds.serving_margin_y1_quantile.sel(quantile=0.5).values
    served = ds.served_y1_share.values
    cells = []
    for j, _ in enumerate(sizes):
        cells.append(f"{med[j]:+.2f} / {ds.prob_loss.values[j]:.0%} / {ds.prob_best.values[j]:.0%} / "
                     f"{ds.years_served_mean.values[j]:.1f} / {margin[j]:.2f} ({served[j]:.0%})")
    return [label] + cells


def main(n: int = 20_000) -> None:
    v3 = sim.load_scenario("baseline")
    scenario = sim.load_scenario(V2)
    overrides: dict = {}
    rows = [row("v2 baseline", sim.run(scenario, n_scenarios=n, seed=1))]
    for label, keys in STEPS:
        overrides.update({k: value(v3, k) for k in keys})
        rows.append(row(f"+ {label}", sim.run(scenario.with_overrides(overrides), n_scenarios=n, seed=1)))
    rows.append(row("v3 baseline (bundled)", sim.run(v3, n_scenarios=n, seed=1)))
    sizes = ["100M", "1B", "10B", "100B", "1T"]
    print("| step | " + " | ".join(sizes) + " |")
    print("|---" * (len(sizes) + 1) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 20_000)
