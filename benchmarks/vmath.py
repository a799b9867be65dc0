"""Per-element cost of sim.kernels.vmath against libm and NumPy, in jitted loops.

For each function, the same loop ``for i in range(n): out[i] = f(x[i])``,
compiled with the engine's options (``sim.kernels.jit``), over ``n`` float64 inputs
(1e7 by default), warm, best of a few repeats, one thread (the loops are not
parallel): libm through ``math.exp`` / ``math.log`` (and the scalar AS241
``sim.kernels.sampling.inverse_cdf.ndtri``, with its branches and libm's log) against
``sim.kernels.vmath``. NumPy's ``np.exp`` / ``np.log`` / ``np.expm1`` / ``np.log1p``
and ``scipy.special.ndtri`` on the same array (with ``out=``) are the
reference. Ratio: the libm loop's time over this row's. A second table
repeats it on 1e5 elements, which stay in the L2 cache, so that the memory
traffic of the 1e7 arrays (16 bytes per element) is out of the picture.

    python -m benchmarks.vmath [--n 1e7] [--repeat 5] [--n-cache 1e5] [-o benchmarks/VMATH.md]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time

import numba
import numpy as np
import scipy
import scipy.special

from sim.kernels import vmath
from sim.kernels.jit import compile_options
from sim.kernels.sampling.inverse_cdf import ndtri as scalar_ndtri


def loop_of(f):
    @numba.njit(**{**compile_options(), "cache": False})
    def loop(x, out):
        for i in range(x.shape[0]):
            out[i] = f(x[i])
    return loop


def best_of(repeat: int, fn, *args) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best


def inputs(n: int) -> dict[str, np.ndarray]:
    """Inputs spread over the range a kernel sees: exp of uniforms in
    [-20, 20], log and log1p of log-spaced positives, ndtri of uniforms in (0, 1)."""
    rng = np.random.default_rng(0)
    return {"exp": rng.uniform(-20.0, 20.0, n),
            "log": np.exp(rng.uniform(-20.0, 20.0, n)),
            "ndtri": rng.uniform(0.0, 1.0, n)}


#: (function, input, libm loop, vmath loop, NumPy/SciPy reference)
CASES = [
    ("exp", "exp", math.exp, vmath.exp, np.exp),
    ("expm1", "exp", math.expm1, vmath.expm1, np.expm1),
    ("log", "log", math.log, vmath.log, np.log),
    ("log1p", "log", math.log1p, vmath.log1p, np.log1p),
    ("ndtri", "ndtri", scalar_ndtri, vmath.ndtri, scipy.special.ndtri),
]


def rows(n: int, repeat: int) -> list[str]:
    data = inputs(n)
    out = np.empty(n)
    lines = []
    for name, source, scalar, vector, reference in CASES:
        x = data[source]
        scalar_name = "inverse_cdf.ndtri (scalar AS241)" if name == "ndtri" else f"math.{name}"
        reference_name = "scipy.special.ndtri" if name == "ndtri" else f"np.{name}"
        times = {}
        for label, f in ((scalar_name, loop_of(scalar)), (f"vmath.{name}", loop_of(vector))):
            f(x[:1000], out[:1000])  # compile
            times[label] = best_of(repeat, f, x, out)
        reference(x, out=out)
        times[reference_name] = best_of(repeat, reference, x, out)
        base = times[scalar_name]
        for label, t in times.items():
            lines.append(f"| {name} | {label} | {t / n * 1e9:.2f} | {base / t:.2f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="1e7")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--n-cache", default="1e5", help="elements of the in-cache table (0: none)")
    parser.add_argument("-o", "--output")
    args = parser.parse_args()
    n = int(float(args.n))
    n_cache = int(float(args.n_cache))
    from llvmlite import binding
    load = os.getloadavg()
    lines = [f"# sim.kernels.vmath against libm ({platform.processor() or platform.machine()}, "
             f"{binding.get_host_cpu_name()}, {os.cpu_count()} CPUs; "
             f"load average at the start {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f})", "",
             "Command: `python -m benchmarks.vmath -o benchmarks/VMATH.md`; "
             f"numba {numba.__version__}, numpy {np.__version__}, scipy {scipy.__version__}. "
             "Each row is a jitted loop `out[i] = f(x[i])` (NumPy and SciPy: the ufunc with `out=`), "
             "one thread; ratio: the libm (or scalar AS241) loop's time / this row's.", "",
             f"n = {n:.0e} float64 per call, best of {args.repeat}:", "",
             "| function | loop | ns per element | ratio |", "|---|---|---|---|"]
    lines += rows(n, args.repeat)
    if n_cache:
        lines += ["", f"n = {n_cache:.0e} (in cache), best of {10 * args.repeat}:", "",
                  "| function | loop | ns per element | ratio |", "|---|---|---|---|"]
        lines += rows(n_cache, 10 * args.repeat)
    load = os.getloadavg()
    lines += ["", f"load average at the end {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}"]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.output:
        with open(args.output, "w") as f:
            f.write(report)


if __name__ == "__main__":
    main()
