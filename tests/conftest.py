"""Shared fixtures: scenarios built in code, so tests state what they vary."""

from __future__ import annotations

import numba
import pytest
import xarray as xr

import sim
from sim.scenario.load import load_scenario
from sim.testing.scenarios import BASELINE, V2_SCENARIOS, make_scenario

@pytest.fixture
def constant_scenario() -> sim.Scenario:
    return make_scenario()


@pytest.fixture(scope="session")
def baseline() -> sim.Scenario:
    return load_scenario(BASELINE)


@pytest.fixture(scope="session")
def baseline_v2() -> sim.Scenario:
    """The baseline as model v2 shipped it (tests/data/v2_scenarios), for the
    tests of v2's own stories and figures."""
    return load_scenario(V2_SCENARIOS / "baseline.toml")


@pytest.fixture(scope="session")
def baseline_result() -> xr.Dataset:
    """The baseline scenario, small (20,000 scenarios, seed 1): computed once
    per test session, for the tests that read a result."""
    return sim.run("baseline", n_scenarios=20_000, seed=1, progress=False)


@pytest.fixture(scope="session")
def swept_result() -> xr.Dataset:
    """A real ``sim.sweep`` of the baseline over the number of rivals (2, 6,
    18): the file format the command writes, not one built by hand."""
    return sim.sweep("baseline", {"market.competitors": [2, 6, 18]}, n_scenarios=5000, seed=1)


@pytest.fixture(scope="session")
def swept_two_keys() -> xr.Dataset:
    """A ``sim.sweep`` over two keys: the GPU-hour price (2, 6) and the rivals (2, 12)."""
    return sim.sweep("baseline", {"costs.gpu_hour_price": [2, 6], "market.competitors": [2, 12]},
                     n_scenarios=5000, seed=1)


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
