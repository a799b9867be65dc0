"""Speed and memory benchmarks of ``sim``: instruments, floors and the suite.

``sim bench`` (:mod:`sim.bench`) measures what an installed user needs: the
engine against the NumPy baseline, start-up and memory. This folder holds
what only developers run: the pre-SIMD kernel (``frozen_kernel``), the
staged copy of the engine's kernel (``stages``), the naive Numba and
squigglepy transcriptions (``naive_numba``, ``squiggle_model``), the floors
(``floors``), the pytest-benchmark suite (``python -m pytest benchmarks/
--benchmark-only``), the comparison with an earlier commit
(``compare_commits.py``), the convergence study (``convergence.py``), a
kernel-rate script (``kernel_rate.py``), and the recorded results
(``RESULTS.md``, ``CONVERGENCE.md``, ``results.json``).
"""
