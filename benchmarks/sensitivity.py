"""The cost of a Sobol' analysis: sim's kernels against SALib with a NumPy model.

Both sides compute first- and total-order indices of ROI per model size for
the benchmark workload (``sim/bench/workload_v1.toml``, the v1 baseline,
which :mod:`sim.testing.reference` transcribes), at the same base sample ``N``, in
the same run, with the same groups (every sampled key, and the yearly
incident draws as one group):

* ``sim``: :func:`sim.sensitivity` with ``method="sobol"``: the Saltelli
  design evaluated matrix by matrix through the Numba kernel
  (:mod:`sim.engine.matrix`), then the estimators and the bootstrap
  (:mod:`sim.analyses.sensitivity.sobol`), once with sim's default formulas and once
  with SALib's (``saltelli``), so that the interval widths compare like
  with like.
* ``SALib + NumPy``: ``SALib.sample.sobol.sample`` (the whole design at
  once), the inverse CDFs of :meth:`sim.scenario.distributions.Distribution.ppf`
  (SciPy), :func:`sim.testing.reference.evaluate` in chunks, and
  ``SALib.analyze.sobol.analyze`` per size.

It reports model evaluations, seconds (kernels compiled beforehand), the
half-width of the 95% intervals reached (median and largest over inputs and
sizes), and how far the two sides' indices are apart in units of their
combined interval::

    python benchmarks/sensitivity.py [N] [-o sensitivity.json]

Needs SALib (``pip install -e '.[sensitivity]'``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
import warnings

import numba
import numpy as np

import sim
from sim.testing import reference
from sim.bench import workload
from sim.scenario.plan import build_plan
from sim.vocab.registry import PARAMETERS
from sim.scenario.distributions import Distribution
from sim.analyses.sensitivity import SensitivityNote

CHUNK = 50_000
RESAMPLES = 200  # as sim.analyses.sensitivity.sobol.N_BOOTSTRAP


def half_widths(lo: np.ndarray, hi: np.ndarray) -> tuple[float, float]:
    h = (np.asarray(hi) - np.asarray(lo)) / 2
    h = h[np.isfinite(h)]
    return float(np.median(h)), float(np.max(h))


def run_sim(sc, n: int, seed: int, estimator: str) -> dict:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SensitivityNote)
        ds = sim.sensitivity(sc, n, seed=seed, method="sobol", estimator=estimator)
    seconds = time.perf_counter() - start
    s = ds.drop_sel(parameter="incidents") if "incidents" in ds["parameter"] else ds
    return {
        "name": f"sim ({estimator})", "seconds": seconds,
        "evaluations": int(ds.attrs["sobol_evaluations"]),
        "S1": ds["sobol_first"].values, "ST": ds["sobol_total"].values,
        "S1_ci": ds["sobol_first_ci"].values, "ST_ci": ds["sobol_total_ci"].values,
        "S1_half": half_widths(*np.moveaxis(s["sobol_first_ci"].values, -1, 0)),
        "ST_half": half_widths(*np.moveaxis(s["sobol_total_ci"].values, -1, 0)),
        "parameters": list(ds["parameter"].values),
    }


def run_salib(sc, n: int, seed: int) -> dict:
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    plan = build_plan(sc)
    keys = list(plan.sampled_keys)
    groups = keys + ["incidents"] * plan.horizon
    problem = {"num_vars": plan.n_dims, "names": [f"u{d}" for d in range(plan.n_dims)],
               "bounds": [[0.0, 1.0]] * plan.n_dims, "groups": groups}
    sizes = np.asarray(sc.model_sizes, dtype=float)
    t0 = time.perf_counter()
    X = sample.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    X = np.clip(X, 2.0**-53, 1 - 2.0**-53)
    t1 = time.perf_counter()
    Y = np.empty((X.shape[0], sizes.size))
    constants = {k: float(v) for k, v in sc.values.items()
                 if k in PARAMETERS and not isinstance(v, Distribution)}
    for first in range(0, X.shape[0], CHUNK):
        u = X[first:first + CHUNK]
        params = dict(constants)
        for d, key in enumerate(keys):
            params[key] = sc.values[key].ppf(u[:, d])
        Y[first:first + CHUNK] = reference.evaluate(params, u[:, len(keys):], sizes,
                                                    sc.reference_size, sc.horizon_years)["roi"]
    t2 = time.perf_counter()
    res = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for j in range(sizes.size):
            res.append(analyze.analyze(problem, Y[:, j], calc_second_order=False,
                                       num_resamples=RESAMPLES, conf_level=0.95, seed=seed + 1))
    t3 = time.perf_counter()
    S1 = np.stack([r["S1"] for r in res])
    ST = np.stack([r["ST"] for r in res])
    c1 = np.stack([r["S1_conf"] for r in res])
    cT = np.stack([r["ST_conf"] for r in res])
    names = list(dict.fromkeys(groups))
    keep = [i for i, g in enumerate(names) if g != "incidents"]
    return {
        "name": "SALib + NumPy", "seconds": t3 - t0,
        "seconds_parts": {"sample": t1 - t0, "model": t2 - t1, "analyze": t3 - t2},
        "evaluations": int(X.shape[0]),
        "S1": S1, "ST": ST,
        "S1_ci": np.stack([S1 - c1, S1 + c1], axis=-1), "ST_ci": np.stack([ST - cT, ST + cT], axis=-1),
        "S1_half": half_widths(S1[:, keep] - c1[:, keep], S1[:, keep] + c1[:, keep]),
        "ST_half": half_widths(ST[:, keep] - cT[:, keep], ST[:, keep] + cT[:, keep]),
        "parameters": names,
    }


def distance(a: dict, b: dict, what: str) -> float:
    """Largest |a - b| over inputs and sizes, in units of the two intervals'
    combined half-width (sqrt(h_a^2 + h_b^2)); about 2 or less if they agree."""
    order = [b["parameters"].index(p) for p in a["parameters"]]
    ha = (a[f"{what}_ci"][..., 1] - a[f"{what}_ci"][..., 0]) / 2
    hb = (b[f"{what}_ci"][..., 1] - b[f"{what}_ci"][..., 0]) / 2
    hb = hb[:, order]
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 / 0 for inputs not read
        d = np.abs(a[what] - b[what][:, order]) / np.sqrt(ha**2 + hb**2)
    return float(np.nanmax(d[np.isfinite(d)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", default="16384", help="base sample N (a power of two)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", help="write the numbers as JSON here")
    args = parser.parse_args()
    n = int(float(args.n))
    sc = workload.scenario()
    load_before = os.getloadavg()
    with warnings.catch_warnings():  # compile the kernels (or load them from the cache)
        warnings.simplefilter("ignore", SensitivityNote)
        sim.sensitivity(sc, 64, method="sobol")
    runs = [run_sim(sc, n, args.seed, "saltelli-janon"), run_sim(sc, n, args.seed, "saltelli"),
            run_salib(sc, n, args.seed)]
    load_after = os.getloadavg()
    salib = runs[-1]
    print(f"Sobol' analysis of ROI, workload {workload.SCENARIO} ({len(sc.model_sizes)} sizes, "
          f"{len(runs[0]['parameters'])} groups), N = {n:,}, seed {args.seed}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"numba {numba.__version__} ({numba.get_num_threads()} threads); load average "
          f"before/after: {', '.join(f'{x:.2f}' for x in load_before)} / "
          f"{', '.join(f'{x:.2f}' for x in load_after)}")
    header = (f"{'':<22}{'evaluations':>12}{'seconds':>9}{'eval/s':>10}  "
              f"{'S1 ± (median, max)':>20}  {'ST ± (median, max)':>20}")
    print(header)
    print("-" * len(header))
    for r in runs:
        print(f"{r['name']:<22}{r['evaluations']:>12,}{r['seconds']:>9.2f}"
              f"{r['evaluations'] / r['seconds'] / 1e6:>8.2f} M  "
              f"{r['S1_half'][0]:>9.3f}, {r['S1_half'][1]:<9.3f}  "
              f"{r['ST_half'][0]:>9.3f}, {r['ST_half'][1]:<9.3f}")
    parts = salib["seconds_parts"]
    print(f"SALib + NumPy seconds: sample {parts['sample']:.2f}, model {parts['model']:.2f}, "
          f"analyze {parts['analyze']:.2f}")
    for r in runs[:2]:
        print(f"{r['name']} vs SALib: {salib['seconds'] / r['seconds']:.1f}x faster; largest "
              f"difference in combined half-widths: S1 {distance(r, salib, 'S1'):.2f}, "
              f"ST {distance(r, salib, 'ST'):.2f}")
    if args.output:
        keep = ("name", "seconds", "evaluations", "S1_half", "ST_half")
        out = {"n": n, "seed": args.seed, "workload": workload.SCENARIO,
               "runs": [{k: r[k] for k in keep} | ({"seconds_parts": r["seconds_parts"]}
                                                   if "seconds_parts" in r else {})
                        for r in runs]}
        with open(args.output, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=2)
        print(f"wrote {args.output}")
    assert math.isfinite(runs[0]["seconds"])


if __name__ == "__main__":
    main()
