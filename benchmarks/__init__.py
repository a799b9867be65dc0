"""Speed and memory benchmarks of ``sim``: baselines, floors and the suite.

The baselines and floors live in the package (:mod:`sim.bench`), which
``sim bench`` runs and reports as ratios measured in one run. This folder
holds what only developers run: the pytest-benchmark suite
(``python -m pytest benchmarks/ --benchmark-only``), the convergence study
(``convergence.py``), a kernel-rate script that runs on any commit
(``kernel_rate.py``), and the recorded results (``RESULTS.md``,
``CONVERGENCE.md``, ``results.json``).
"""
