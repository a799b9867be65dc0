"""Error against effort for each sampling design (random, LHS, Sobol').

For the baseline scenario, the error of ``roi_mean`` and of the median ROI of
every model size against a very large reference run, versus n, for each
sampler, and the error you buy per second of compute. The reference is a
Sobol' run of 2^24 scenarios (another seed than the runs it judges); each
design is repeated over seeds, and the root-mean-square error over seeds and
sizes is reported, relative to the reference's spread of ROI (its standard
deviation for the mean, its interquartile range for the median), so that all
sizes count alike.

    python benchmarks/convergence.py [--quick] [-o benchmarks/CONVERGENCE.md]
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import numpy as np

import sim
from sim.analyses.request import SamplingNote

SAMPLERS = ("random", "lhs", "sobol")


def run(scenario, n: int, seed: int, sampler: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingNote)
        start = time.perf_counter()
        ds = sim.run(scenario, n_scenarios=n, seed=seed, sampler=sampler,
                     quantiles=[0.25, 0.5, 0.75])
        return ds, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller reference and fewer seeds")
    parser.add_argument("-o", "--output", default=None, help="also write the table as Markdown")
    args = parser.parse_args()

    scenario = sim.load_scenario("baseline")
    ref_n = 2**22 if args.quick else 2**24
    seeds = range(1, 4 if args.quick else 9)
    sizes = [2**15, 2**17, 2**19, 2**21] if not args.quick else [2**15, 2**17, 2**19]

    run(scenario, 2**15, 0, "sobol")  # compile / load the kernels
    ref, ref_time = run(scenario, ref_n, 1000, "sobol")
    ref_mean = ref.roi_mean.values
    ref_median = ref.roi_quantile.sel(quantile=0.5).values
    iqr = (ref.roi_quantile.sel(quantile=0.75) - ref.roi_quantile.sel(quantile=0.25)).values
    spread = ref.roi_std.values
    # A size whose median sits on the ROI = -1 atom (IQR 0) has no median
    # error to speak of; it is left out of the median columns.
    has_iqr = iqr > 0

    rows = []
    for n in sizes:
        for sampler in SAMPLERS:
            err_mean, err_median, seconds, reported = [], [], [], []
            for seed in seeds:
                ds, dt = run(scenario, n, seed, sampler)
                err_mean.append((ds.roi_mean.values - ref_mean) / spread)
                median = ds.roi_quantile.sel(quantile=0.5).values
                err_median.append((median[has_iqr] - ref_median[has_iqr]) / iqr[has_iqr])
                reported.append(ds.roi_mean_se.values / spread)
                seconds.append(dt)
            rms_mean = float(np.sqrt(np.mean(np.square(err_mean))))
            rms_median = float(np.sqrt(np.mean(np.square(err_median))))
            sec = float(np.median(seconds))
            rows.append((n, sampler, rms_mean, float(np.sqrt(np.mean(np.square(reported)))),
                         rms_median, sec, rms_mean * np.sqrt(sec), rms_median * np.sqrt(sec)))

    header = ("| n | sampler | RMS error of mean / sd | reported SE / sd | RMS error of median / IQR "
              "| seconds | mean error x sqrt(s) | median error x sqrt(s) |\n"
              "|---|---|---|---|---|---|---|---|")
    lines = [header] + [
        f"| {n:,} | {s} | {a:.2e} | {r:.2e} | {b:.2e} | {t:.3f} | {ea:.2e} | {eb:.2e} |"
        for n, s, a, r, b, t, ea, eb in rows]
    text = "\n".join(lines)
    note = (f"Reference: Sobol', {ref_n:,} scenarios, seed 1000 ({ref_time:.1f} s). "
            f"{len(seeds)} seeds per cell; errors are RMS over seeds and the "
            f"{len(ref_mean)} model sizes, relative to the reference's ROI standard deviation "
            "(mean) or interquartile range (median; sizes whose median and quartiles all sit "
            f"at ROI = -1 are left out: {int((~has_iqr).sum())} here). `x sqrt(s)` is error times the square root "
            "of the wall time: lower is more accuracy per second (for an O(1/sqrt(n)) method it "
            "does not depend on n). Sobol' rounds n up to 8 x 2^k, so its n is the requested one.")
    print(text)
    print()
    print(note)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write("# Error against effort per sampling design\n\n")
            f.write(f"Command: `python benchmarks/convergence.py{' --quick' if args.quick else ''} "
                    f"-o {args.output}`; {time.strftime('%Y-%m-%d')}, "
                    f"{platform.processor() or platform.machine()}, 2 threads.\n\n")
            f.write(text + "\n\n" + note + "\n")


if __name__ == "__main__":
    main()
