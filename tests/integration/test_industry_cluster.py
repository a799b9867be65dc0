"""The industry frame on a Dask cluster of two worker processes: a run and a
sweep give bit-identical Datasets to local ones."""

from __future__ import annotations

import sim
from sim.vocab.layout import BLOCK

from tests.integration.test_cluster import CHUNK, assert_same, client  # noqa: F401 (fixture)


def test_an_industry_run_on_the_cluster_is_bit_identical(client):  # noqa: F811
    local = sim.run("industry", n_scenarios=5 * BLOCK + 100, chunk_size=CHUNK, seed=3)
    remote = sim.run("industry", n_scenarios=5 * BLOCK + 100, chunk_size=CHUNK, seed=3, client=client)
    assert_same(remote, local)


def test_an_industry_sweep_on_the_cluster_is_bit_identical(client):  # noqa: F811
    vary = {"industry.entry_speed": [0.2, 0.6]}
    local = sim.sweep("industry", vary, n_scenarios=2 * BLOCK, seed=4, chunk_size=CHUNK)
    remote = sim.sweep("industry", vary, n_scenarios=2 * BLOCK, seed=4, chunk_size=CHUNK, client=client)
    assert_same(remote, local)
