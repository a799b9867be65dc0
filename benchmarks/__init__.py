"""Speed and memory benchmarks of ``sim``: baselines, floors and the suite.

Each module measures one thing and knows how to check that it computed the
same numbers as the engine. ``sim bench`` (:mod:`sim.bench`) runs them all
and reports ratios measured in one run; ``python -m pytest benchmarks/``
runs the pytest-benchmark suite for developers.
"""
