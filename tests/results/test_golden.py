"""Every number is what it was: each bundled scenario, a decision, a sweep, a
sample and two sensitivity analyses, rerun with a fixed seed, equal bit for
bit the Datasets saved in ``tests/data/golden`` before the package was laid
out in layers (``tests/data/golden/make.py`` lists them and wrote them).

A change that is meant to move a number must say which, why and by how much,
and write the file again on purpose."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

GOLDEN = Path(__file__).parents[1] / "data" / "golden"
_spec = importlib.util.spec_from_file_location("golden_make", GOLDEN / "make.py")
make = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make)

#: Attributes that describe when and how long, not what.
VOLATILE = {"created", "elapsed_seconds", "sim_version"}

#: What model v3 adds to every result (specification sections 13, 14): new
#: variables and coordinates only; everything saved must stay as it was.
V3_ADDED = {
    "active_parameters", "fixed_capability_decline_quantile", "price_per_token_y1",
    "price_per_token_y1_mean", "price_per_token_y1_mean_se", "price_per_token_y1_quantile",
    "served_y1", "served_y1_share", "served_y1_share_se", "serving_cost_per_token_y1",
    "serving_cost_per_token_y1_mean", "serving_cost_per_token_y1_mean_se",
    "serving_cost_per_token_y1_quantile", "serving_margin_y1", "serving_margin_y1_quantile",
    "fixed_capability_decline",
}


#: Dimensions renamed since a file was saved, per file (old name -> new name,
#: applied in order): every number is still compared, under its new name. The
#: sample's valuation path runs over ``year`` (0..T), as a run's does, and
#: its incident uniforms over ``revenue_year`` (1..T).
RENAMED = {"sample_baseline": (("year", "revenue_year"), ("valuation_year", "year"))}


def renamed(stem: str, saved: xr.Dataset) -> xr.Dataset:
    """``saved`` under today's dimension names (:data:`RENAMED`)."""
    for old, new in RENAMED.get(stem, ()):
        saved = saved.rename({old: new})
    return saved


def differences(saved: xr.Dataset, now: xr.Dataset) -> list[str]:
    """Every variable, coordinate and attribute that is not identical."""
    problems = []
    for kind, a, b in (("variable", saved.data_vars, now.data_vars), ("coordinate", saved.coords, now.coords)):
        for name in sorted(set(a) | set(b)):
            if name not in a and name in V3_ADDED:
                continue
            if name not in a or name not in b:
                problems.append(f"{kind} {name}: only in {'the saved file' if name in a else 'the new run'}")
                continue
            x, y = a[name], b[name]
            if x.dims != y.dims or x.shape != y.shape:
                problems.append(f"{kind} {name}: dims {x.dims}{x.shape} became {y.dims}{y.shape}")
            elif x.dtype.kind in "fc":
                if not np.array_equal(x.values, y.values, equal_nan=True):
                    diff = np.nanmax(np.abs(x.values - y.values))
                    problems.append(f"{kind} {name}: values differ (largest difference {diff:.3g})")
            elif not np.array_equal(x.values, y.values):
                problems.append(f"{kind} {name}: values differ")
            if dict(x.attrs) != dict(y.attrs):
                problems.append(f"{kind} {name}: attributes differ")
    for key in sorted((set(saved.attrs) | set(now.attrs)) - VOLATILE):
        if str(saved.attrs.get(key)) != str(now.attrs.get(key)):
            problems.append(f"attribute {key}: {saved.attrs.get(key)!r} became {now.attrs.get(key)!r}")
    return problems


@pytest.mark.parametrize("stem", list(make.RUNS))
def test_saved_result_is_reproduced_bit_for_bit(stem, tmp_path):
    import sim

    function, scenario, kwargs = make.RUNS[stem]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        now = make.compute(function, scenario, kwargs)
    # Through a file, as the saved one went: the same encoding on both sides.
    sim.write_netcdf(now, tmp_path / "now.nc")
    with xr.open_dataset(GOLDEN / f"{stem}.nc") as saved, xr.open_dataset(tmp_path / "now.nc") as again:
        problems = differences(renamed(stem, saved.load()), again.load())
    assert not problems, f"{stem}:\n" + "\n".join(problems)


def test_the_comparison_sees_a_one_ulp_change(tmp_path):
    """The check above can fail: one value moved by one ulp is reported."""
    with xr.open_dataset(GOLDEN / "run_baseline.nc") as saved:
        saved = saved.load()
    moved = saved.copy(deep=True)
    moved["roi_mean"].values[0] = np.nextafter(moved["roi_mean"].values[0], np.inf)
    assert [p.split(" (")[0] for p in differences(saved, moved)] == ["variable roi_mean: values differ"]
    assert differences(saved, saved) == []
