"""sim.summary and sim.compare against values read from the Datasets by hand,
on both frames, and the refusals and warnings of sim.compare."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

import sim
from sim.results.summary import SharedDraws

N = 4096
#: The half-width of a 95% normal interval in standard errors.
Z95 = 1.959963984540054
SIZES = ["100M", "1B", "10B", "100B", "1T"]


@pytest.fixture(scope="module")
def runs():
    """Results made once: two baseline runs on different seeds, one on seed 1
    with another market, strategies, a sweep, and the industry frame."""
    lam = {"market.competitors.lam": 16.0}
    ind = {"industry.entry_speed": 0.6}
    return {
        "a": sim.run("baseline", N, seed=1),
        "b": sim.run("baseline", N, seed=2),
        "same_seed": sim.run("baseline", N, seed=1, overrides=lam),
        "strategies": sim.run("strategies", N, seed=1),
        "sweep": sim.sweep("baseline", {"market.competitors.lam": [4.0, 16.0]}, n_scenarios=N, seed=1),
        "industry": sim.run("industry", N, seed=1),
        "industry_b": sim.run("industry", N, seed=2, overrides=ind),
        "industry_sweep": sim.sweep("industry", {"industry.entry_speed": [0.2, 0.6]}, n_scenarios=N, seed=1),
    }


def quantile_se(ds: xr.Dataset, variable: str, level: float, **where) -> float:
    ci = ds[f"{variable}_ci"].sel(quantile=level, **where)
    return float(ci.sel(bound="upper") - ci.sel(bound="lower")) / (2 * Z95)


# ---------------------------------------------------------------- summary

def test_summary_of_a_run_is_one_row_per_size_with_the_datasets_numbers(runs):
    ds = runs["a"]
    df = sim.summary(ds)
    assert list(df["size"]) == SIZES and len(df) == 5
    assert list(df.columns[:2]) == ["model_size", "size"]
    for stat in ("roi_median", "roi_q05", "roi_q95", "roi_mean", "prob_loss", "prob_best",
                 "net_value_mean", "roi_expected_median"):
        assert stat in df.columns and f"{stat}_se" in df.columns
    for _, row in df.iterrows():
        at = {"model_size": row["model_size"]}
        for stat, level in (("roi_median", 0.5), ("roi_q05", 0.05), ("roi_q95", 0.95)):
            assert row[stat] == float(ds.roi_quantile.sel(quantile=level, **at))
            assert row[f"{stat}_se"] == pytest.approx(quantile_se(ds, "roi_quantile", level, **at), rel=1e-12, abs=1e-15)
        assert row["roi_expected_median"] == float(ds.roi_expected_quantile.sel(quantile=0.5, **at))
        for stat in ("roi_mean", "prob_loss", "prob_best", "net_value_mean"):
            assert row[stat] == float(ds[stat].sel(**at))
            assert row[f"{stat}_se"] == float(ds[f"{stat}_se"].sel(**at))
    # A quantile's se is its 95% interval's half-width over 1.96: somewhere positive.
    assert (df["roi_q95_se"] > 0).all()
    assert df.attrs["seed"] == 1 and df.attrs["n_scenarios"] == N and df.attrs["frame"] == "project"


def test_summary_reads_a_file_as_it_reads_the_dataset(runs, tmp_path):
    sim.write_netcdf(runs["a"], tmp_path / "a.nc")
    from_file = sim.summary(tmp_path / "a.nc")
    assert from_file.equals(sim.summary(runs["a"]))
    assert sim.summary(str(tmp_path / "a.nc")).equals(from_file)


def test_summary_of_strategies_is_a_row_per_strategy_and_size(runs):
    ds = runs["strategies"]
    df = sim.summary(ds)
    names = list(ds.strategy.values)
    assert len(df) == len(names) * 5
    assert list(df["strategy"]) == [n for n in names for _ in SIZES]
    assert list(df["size"]) == SIZES * len(names)
    row = df[(df["strategy"] == names[2]) & (df["size"] == "10B")].iloc[0]
    assert row["net_value_mean"] == float(ds.net_value_mean.sel(strategy=names[2], model_size=1e10))
    assert row["prob_best_se"] == float(ds.prob_best_se.sel(strategy=names[2], model_size=1e10))


def test_summary_of_a_sweep_is_a_row_per_point_and_size(runs):
    ds = runs["sweep"]
    df = sim.summary(ds)
    key = "market.competitors.lam"
    assert len(df) == 10 and list(df[key]) == [4.0] * 5 + [16.0] * 5
    row = df[(df[key] == 16.0) & (df["size"] == "100B")].iloc[0]
    assert row["roi_mean"] == float(ds.roi_mean.sel({key: 16.0, "model_size": 1e11}))
    assert row["roi_median"] == float(ds.roi_quantile.sel({key: 16.0, "model_size": 1e11, "quantile": 0.5}))


def test_summary_of_the_industry_frame_is_a_row_per_calendar_year(runs):
    ds = runs["industry"]
    df = sim.summary(ds)
    assert list(df["calendar_year"]) == list(range(2023, 2033))
    assert list(df["year"]) == list(range(1, 11))
    for name in ("labs", "revenue", "capex", "serving_margin", "q"):
        np.testing.assert_array_equal(df[f"{name}_median"], ds[f"{name}_quantile"].sel(quantile=0.5).values)
        for y in (1, 5, 10):
            assert df.loc[df["year"] == y, f"{name}_median_se"].item() == pytest.approx(
                quantile_se(ds, f"{name}_quantile", 0.5, year=y), rel=1e-12)
    for name in ("prob_cooled", "prob_valued_below_cost", "prob_capex_fall"):
        np.testing.assert_array_equal(df[name], ds[name].values)
        np.testing.assert_array_equal(df[f"{name}_se"], ds[f"{name}_se"].values)
    scalars = df.attrs["scalars"]
    assert scalars["prob_industry_loss"] == (float(ds.prob_industry_loss), float(ds.prob_industry_loss_se))
    assert scalars["roi_industry_median"][0] == float(ds.roi_industry_quantile.sel(quantile=0.5))
    assert df.attrs["frame"] == "industry"


def test_summary_of_an_industry_sweep_is_a_row_per_point_and_year(runs):
    ds = runs["industry_sweep"]
    df = sim.summary(ds)
    key = "industry.entry_speed"
    assert len(df) == 20 and list(df[key]) == [0.2] * 10 + [0.6] * 10
    row = df[(df[key] == 0.6) & (df["calendar_year"] == 2025)].iloc[0]
    assert row["prob_cooled"] == float(ds.prob_cooled.sel({key: 0.6, "year": 3}))
    assert df.attrs["scalars"]["prob_industry_loss"][0.6][0] == float(ds.prob_industry_loss.sel({key: 0.6}))


def test_a_quantile_not_stored_is_nan_not_a_neighbour(runs):
    ds = sim.run("baseline", 2048, seed=1, quantiles=[0.1, 0.5, 0.9], path=False)
    df = sim.summary(ds)
    assert df["roi_q05"].isna().all() and df["roi_q95_se"].isna().all()
    assert not df["roi_median"].isna().any()


def test_summary_refuses_what_is_not_a_run_sweep_or_decision():
    with pytest.raises(sim.SimError, match=r"summary: raw draws of sim.sample"):
        sim.summary(sim.sample("baseline", 50, seed=1))
    with pytest.raises(sim.SimError, match=r"summary: not a result of sim run.*no roi_mean"):
        sim.summary(xr.Dataset({"x": ("model_size", [1.0])}))
    with pytest.raises(sim.SimError, match="no such result file"):
        sim.summary("no/such/file.nc")


# ---------------------------------------------------------------- compare

def _row(df, statistic: str, **where):
    mask = df["statistic"] == statistic
    for k, v in where.items():
        mask &= df[k] == v
    assert mask.sum() == 1
    return df[mask].iloc[0]


def test_compare_gives_differences_with_combined_errors(runs):
    a, b = runs["a"], runs["b"]
    df = sim.compare(a, b)  # seeds 1 and 2: independent, no warning (warnings are errors here)
    assert not df.attrs["shared_draws"] and "note" not in df.attrs
    assert set(df["statistic"]) == {"roi_median", "roi_q05", "roi_q95", "roi_mean", "prob_loss",
                                    "prob_best", "net_value_mean", "roi_expected_median"}
    for size, n in zip(SIZES, (1e8, 1e9, 1e10, 1e11, 1e12)):
        for stat in ("roi_mean", "prob_loss", "prob_best", "net_value_mean"):
            r = _row(df, stat, size=size)
            d = float(b[stat].sel(model_size=n)) - float(a[stat].sel(model_size=n))
            se = math.hypot(float(a[f"{stat}_se"].sel(model_size=n)), float(b[f"{stat}_se"].sel(model_size=n)))
            assert r["difference"] == pytest.approx(d, rel=1e-12, abs=1e-300)
            assert r["se"] == pytest.approx(se, rel=1e-12)
            assert r["z"] == pytest.approx(d / se, rel=1e-12)
        r = _row(df, "roi_q95", size=size)
        d = float(b.roi_quantile.sel(model_size=n, quantile=0.95) - a.roi_quantile.sel(model_size=n, quantile=0.95))
        se = math.hypot(quantile_se(a, "roi_quantile", 0.95, model_size=n),
                        quantile_se(b, "roi_quantile", 0.95, model_size=n))
        assert r["difference"] == pytest.approx(d, rel=1e-12, abs=1e-15)
        assert r["se"] == pytest.approx(se, rel=1e-12)
    # Two runs of the same scenario on different seeds differ by noise: |z| stays small.
    assert (df.loc[df["statistic"] == "roi_mean", "z"].abs() < 5).all()


def test_compare_of_one_result_with_itself_is_zero_and_says_the_draws_are_shared(runs):
    with pytest.warns(SharedDraws, match=r"share the seed \(1\) and sampler \(random\).*not\s+independent"):
        df = sim.compare(runs["a"], runs["a"])
    assert (df["difference"] == 0).all()
    assert df.attrs["shared_draws"] and "conservative" in df.attrs["note"]


def test_compare_warns_when_two_scenarios_share_the_seed(runs):
    with pytest.warns(SharedDraws):
        df = sim.compare(runs["a"], runs["same_seed"])
    r = _row(df, "prob_loss", size="10B")
    d = float(runs["same_seed"].prob_loss.sel(model_size=1e10) - runs["a"].prob_loss.sel(model_size=1e10))
    assert r["difference"] == pytest.approx(d, rel=1e-12)


def test_compare_on_the_industry_frame_is_per_year_with_the_run_statistics(runs):
    a, b = runs["industry"], runs["industry_b"]
    df = sim.compare(a, b)
    r = _row(df, "prob_cooled", calendar_year=2026)
    assert r["difference"] == pytest.approx(float(b.prob_cooled.sel(year=4) - a.prob_cooled.sel(year=4)),
                                            rel=1e-12)
    assert r["se"] == pytest.approx(math.hypot(float(a.prob_cooled_se.sel(year=4)),
                                               float(b.prob_cooled_se.sel(year=4))), rel=1e-12)
    scalars = df.attrs["scalars"].set_index("statistic")
    d = float(b.prob_industry_loss - a.prob_industry_loss)
    assert scalars.loc["prob_industry_loss", "difference"] == pytest.approx(d, rel=1e-12)


def test_compare_refuses_results_over_different_rows(runs):
    other_sizes = sim.run("baseline", 2048, seed=2, overrides={"grid.model_sizes": [1e9, 1e10]})
    with pytest.raises(sim.SimError, match=r"different model sizes \(a: 100M, 1B, 10B, 100B, 1T; b: 1B, 10B\)"):
        sim.compare(runs["a"], other_sizes)
    with pytest.raises(sim.SimError, match="a is a result of the project frame and b of the industry frame"):
        sim.compare(runs["a"], runs["industry"])
    with pytest.raises(sim.SimError, match=r"different strategies \(a: none; b: pretrain_market"):
        sim.compare(runs["a"], runs["strategies"])
    with pytest.raises(sim.SimError, match=r"different swept keys \(a: none; b: market.competitors.lam\)"):
        sim.compare(runs["a"], runs["sweep"])
    later = runs["industry"].assign_coords(calendar_year=runs["industry"].calendar_year + 1)
    with pytest.raises(sim.SimError, match=r"different years \(a: 2023, .*; b: 2024, "):
        sim.compare(runs["industry"], later)
    with pytest.raises(sim.SimError, match=r"compare \(b\): raw draws of sim.sample"):
        sim.compare(runs["a"], sim.sample("baseline", 50, seed=1))


def test_summary_and_compare_are_public_and_lazy():
    import subprocess
    import sys

    code = ("import sys, sim; assert 'sim.results.summary' not in sys.modules; "
            "assert callable(sim.summary) and callable(sim.compare); "
            "assert {'summary', 'compare'} <= set(sim.__all__)")
    subprocess.run([sys.executable, "-c", code], check=True)
