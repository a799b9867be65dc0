"""xarray without Dask until something imports it (sim.services.dask_on_demand).

Each check runs in a fresh interpreter: what it asserts is which modules a
process loads, and the test process has imported Dask long ago.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_numpy_dataset_is_built_written_and_read_without_dask():
    out = _run("""
        import sys
        import numpy as np
        import xarray as xr
        from sim.services import dask_on_demand
        assert dask_on_demand.install() is True
        ds = xr.Dataset({"a": (("x",), np.arange(4.0))}, coords={"x": [1, 2, 3, 4]})
        data = bytes(ds.to_netcdf(engine="netcdf4"))
        back = xr.open_dataset(data, engine="netcdf4").load()
        assert back["a"].values.tolist() == [0.0, 1.0, 2.0, 3.0]
        print(sorted(m for m in ("dask", "dask.array", "distributed") if m in sys.modules))
    """)
    assert out == "[]"


def test_dask_data_is_still_seen_once_dask_is_imported():
    out = _run("""
        import numpy as np
        import xarray as xr
        from sim.services import dask_on_demand
        dask_on_demand.install()
        xr.Dataset({"b": (("y",), np.zeros(2))})  # asks about Dask before it is imported
        import dask.array as da
        from xarray.namedarray.pycompat import array_type, is_chunked_array
        ds = xr.Dataset({"a": (("x",), da.arange(6.0, chunks=3))})
        assert array_type("dask") == (da.Array,)
        assert is_chunked_array(ds["a"].data)
        assert ds["a"].chunks == ((3, 3),)
        data = bytes(ds.to_netcdf(engine="netcdf4"))
        print(xr.open_dataset(data, engine="netcdf4")["a"].values.tolist())
    """)
    assert out == "[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]"


def test_a_configured_dask_scheduler_is_still_asked():
    # With a scheduler set in Dask's configuration, xarray's own lookup runs
    # (it chooses the lock); without one and without a client, the answer is
    # the one xarray gives: the threaded scheduler.
    out = _run("""
        import dask
        from sim.services import dask_on_demand
        dask_on_demand.install()
        from xarray.backends import locks
        plain = locks.get_dask_scheduler()
        with dask.config.set(scheduler="processes"):
            configured = locks.get_dask_scheduler()
        print(plain, configured)
    """)
    assert out == "threaded multiprocessing"


def test_sim_run_writes_its_result_without_dask(tmp_path):
    out = _run(f"""
        import sys
        import sim
        from sim.results.dataset import write_netcdf
        ds = sim.run("baseline", n_scenarios=1000, seed=0, progress=False)
        write_netcdf(ds, {str(tmp_path / "run.nc")!r})
        print(sorted(m for m in ("dask", "dask.array", "distributed") if m in sys.modules))
    """)
    assert out == "[]"
