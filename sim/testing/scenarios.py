"""Scenarios built in code, so that a test states what it varies.

:data:`CONSTANTS` sets every model parameter of v1 to a constant away from
every boundary; :func:`make_scenario` overrides some of them by keyword.
"""

from __future__ import annotations

from pathlib import Path

from sim.scenario.load import SCENARIO_DIR, Scenario, from_mapping

__all__ = ["BASELINE", "CONSTANTS", "SIZES", "V2_SCENARIOS", "make_scenario"]

BASELINE = SCENARIO_DIR / "baseline.toml"
#: The bundled scenarios as model v2 shipped them, kept with the tests: the
#: saved v2 results and the v2 stories are checked on them.
V2_SCENARIOS = Path(__file__).resolve().parents[2] / "tests" / "data" / "v2_scenarios"

#: Every model parameter as a constant, chosen away from every boundary
#: (100B is withdrawn in year 5, 1T is never served).
CONSTANTS = {
    "finance.discount_rate": 0.1,
    "scaling.data_exponent": 1.0,
    "scaling.tokens_at_reference": 2e10,
    "scaling.compute_exponent": 2.0,
    "scaling.flops_at_reference": 1.2e20,
    "scaling.experiment_overhead": 2.0,
    "performance.irreducible_loss": 1.69,
    "performance.param_coefficient": 406.4,
    "performance.data_coefficient": 410.7,
    "performance.param_exponent": 0.34,
    "performance.data_exponent": 0.28,
    "performance.deployment_gap": 0.2,
    "costs.gpu_hour_price": 2.5,
    "costs.gpu_peak_flops": 9.89e14,
    "costs.training_utilization": 0.4,
    "costs.serving_utilization": 0.25,
    "costs.serving_cost_decline": 0.3,
    "costs.data_price_per_token": 1e-8,
    "costs.fixed_cost_at_reference": 1e7,
    "costs.fixed_cost_exponent": 0.3,
    "risk.control_share": 0.05,
    "risk.incident_rate": 0.0,
    "risk.control_effectiveness": 20.0,
    "risk.incident_severity": 0.2,
    "market.revenue_pool": 1e10,
    "market.growth": 0.3,
    "market.competitors": 8.0,
    "market.competitor_size": 2e11,
    "market.frontier_progress": 0.2,
    "market.share_sharpness": 2.0,
    "market.token_price": 2e-6,
    "market.token_price_decline": 0.5,
    "market.hype": 2.0,
}
SIZES = [1e8, 1e9, 1e10, 1e11, 1e12]


def make_scenario(**values) -> Scenario:
    """A scenario of constants, with keyword overrides (``__`` for ``.``)."""
    flat = {"name": "test", "horizon_years": 5, "grid.model_sizes": SIZES,
            "grid.reference_size": 1e9, **CONSTANTS}
    for k, v in values.items():
        flat[k.replace("__", ".")] = v
    return from_mapping(flat)
