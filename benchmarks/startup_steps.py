"""Where a warm ``sim run -n 1e4`` spends its time, step by step, in one
process (run it in a fresh interpreter, with the Numba cache warm):

    python benchmarks/startup_steps.py

Prints the seconds of: ``import numpy, xarray`` (the baseline the start-up
target compares with), ``import numba``, the rest of ``sim``, a first ``sim.run`` of 1e4 scenarios (loading the cached
kernels, the pilot, the run, the Dataset), the same run again, and writing
the netCDF file; then the modules loaded that none of these needs.
"""

import time

t0 = time.perf_counter()
import numpy  # noqa: E402,F401
import xarray  # noqa: E402,F401

t1 = time.perf_counter()
import numba  # noqa: E402,F401

t2 = t3 = time.perf_counter()  # scipy.special is no longer a step (sim.services.special)
import sim.analyses.run  # noqa: E402
import sim.results.dataset  # noqa: E402

t4 = time.perf_counter()
ds = sim.run("baseline", n_scenarios=10_000, seed=0, progress=False)
t5 = time.perf_counter()
sim.run("baseline", n_scenarios=10_000, seed=0, progress=False)
t6 = time.perf_counter()
import os, tempfile  # noqa: E401,E402

with tempfile.TemporaryDirectory() as tmp:
    sim.results.dataset.write_netcdf(ds, os.path.join(tmp, "run.nc"))
    t7 = time.perf_counter()
import sys  # noqa: E402

# Loaded though no step needs them: each is a regression (dask: xarray's
# checks, sim.services.dask_on_demand; numba.np.npyimpl: Numba's registry
# refresh, skipped for cached kernels by sim.kernels.cache; scipy.special:
# its values are remembered by sim.services.special).
needless = [m for m in ("dask", "dask.array", "distributed", "matplotlib", "numba.np.npyimpl", "scipy.special",
                        "sim.kernels.industry", "sim.kernels.rows") if m in sys.modules]
print(f"import numpy, xarray {t1 - t0:.2f} s; numba {t2 - t1:.2f} s; "
      f"rest of sim {t4 - t3:.2f} s; first run of 1e4 (kernel load, pilot, run, Dataset) "
      f"{t5 - t4:.2f} s; second run {t6 - t5:.2f} s; write netCDF {t7 - t6:.3f} s; "
      f"loaded without need: {', '.join(needless) or 'none'}")
