"""Shared fixtures: scenarios built in code, so tests state what they vary."""

from __future__ import annotations

import numba
import pytest

import sim
from sim.scenario.load import SCENARIO_DIR, from_mapping, load_scenario

BASELINE = SCENARIO_DIR / "baseline.toml"

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


def make_scenario(**values) -> sim.Scenario:
    """A scenario of constants, with keyword overrides (``__`` for ``.``)."""
    flat = {"name": "test", "horizon_years": 5, "grid.model_sizes": SIZES,
            "grid.reference_size": 1e9, **CONSTANTS}
    for k, v in values.items():
        flat[k.replace("__", ".")] = v
    return from_mapping(flat)


@pytest.fixture
def constant_scenario() -> sim.Scenario:
    return make_scenario()


@pytest.fixture(scope="session")
def baseline() -> sim.Scenario:
    return load_scenario(BASELINE)


@pytest.fixture
def threads():
    """Set Numba's thread count for a test and restore it afterwards."""
    before = numba.get_num_threads()
    yield numba.set_num_threads
    numba.set_num_threads(before)


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", default=False,
                     help="run everything: the slow tests and the integration tests too "
                          "(CI and the README's test command do)")
    parser.addoption("--integration", action="store_true", default=False,
                     help="also run the integration tests (subprocesses, signals, the cluster, "
                          "the browser, the wheel)")


def pytest_collection_modifyitems(config, items):
    """The default run is the unit tests: integration tests (marked, or under
    tests/integration/) need --integration, slow ones --slow (which runs all)."""
    run_all = config.getoption("--slow")
    integration = run_all or config.getoption("--integration")
    skip_slow = pytest.mark.skip(reason="slow: run with --slow (CI does)")
    skip_integration = pytest.mark.skip(reason="integration: run with --integration or --slow (CI does)")
    for item in items:
        if "integration" in item.nodeid.split("/")[:2] or "tests/integration/" in item.nodeid:
            item.add_marker(pytest.mark.integration)
        if "slow" in item.keywords and not run_all:
            item.add_marker(skip_slow)
        elif "integration" in item.keywords and not integration:
            item.add_marker(skip_integration)
