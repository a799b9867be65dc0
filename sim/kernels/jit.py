"""The one place that decides how kernels are compiled.

Kernel bodies elsewhere are plain Python functions decorated with ``jit``,
``jit_parallel`` or ``jit_inline``; this module chooses the Numba options.
``cache=True`` writes compiled code to a cache folder keyed by the kernels'
own code (:mod:`sim.kernels.cache`), so the command line starts fast on the
second run.
``error_model="numpy"`` lets divisions follow IEEE rules (inf/nan) instead of
raising, which keeps the loops free of Python exception checks.
"""

from __future__ import annotations

import sys

import numba

from sim.kernels.cache import cache_root

__all__ = ["compile_options", "jit", "jit_inline", "jit_inline_ir", "jit_parallel", "prange"]

# Kernels of sim are cached by sim.kernels.cache.KernelLocator (installed by
# that import, before any kernel below is decorated); this is the folder for
# any other cached function in the process.
numba.config.CACHE_DIR = str(cache_root())

# The engine's kernels are serial (sim.services.blocks hands their blocks to
# threads); parallel loops remain in the benchmarks' instruments. For those:
# OpenMP first (on the reference machine it started 0.3 s sooner than
# workqueue); TBB is not a dependency. NUMBA_THREADING_LAYER, if set, wins.
numba.config.THREADING_LAYER_PRIORITY = ["omp", "tbb", "workqueue"]

#: How many run-time pointer comparisons LLVM's loop vectorizer may emit
#: before a loop. A block kernel's loop reads and writes a dozen or two rows
#: of the same scratch arrays, which LLVM cannot prove distinct, so it must
#: check them at run time; with LLVM's defaults (8 comparisons, 128 checks)
#: it gave up on the larger loops ("too many memory checks needed") and ran
#: them one scenario at a time. The checks cost a few hundred compares per
#: loop of SUB_BLOCK scenarios. Measured on ``world_size`` (the model's
#: per-size loop, v1 workload): 120 ns per scenario before, 46 ns after.
#: Vectorizing changes no result here: every loop it affects is
#: element-wise (``tests/kernels/test_simd.py`` checks bit-identity with the
#: scalar model).
MEMORY_CHECK_THRESHOLD = 512


def _allow_runtime_alias_checks() -> None:
    import llvmlite.binding as llvm

    for option in ("runtime-memory-check-threshold", "vectorize-memory-check-threshold"):
        llvm.set_option("sim", f"-{option}={MEMORY_CHECK_THRESHOLD}")


_allow_runtime_alias_checks()


def _full_vector_width() -> None:
    """Let LLVM use the whole of an AVX-512 machine's vectors.

    On Intel cores with AVX-512 LLVM's tuning (``prefer-256-bit``) keeps
    loops to 256-bit vectors, half the width, which was the right call for
    the clock drops of the first AVX-512 cores. The kernels' loops are
    element-wise IEEE arithmetic without fast-math, so the width changes no
    result (``tests/kernels/test_simd.py``, the saved Datasets): on an Intel
    Xeon the draws and the model of the v2 baseline took 5-9% less time
    (``docs/performance.md``). AMD's Zen 4 gets 512-bit loops from LLVM
    already, and machines without AVX-512 the same code as before;
    ``NUMBA_CPU_FEATURES`` or ``NUMBA_CPU_NAME``, if set, wins.
    """
    if numba.config.CPU_FEATURES is not None or numba.config.CPU_NAME is not None:
        return
    import llvmlite.binding as llvm

    features = llvm.get_host_cpu_features()
    if features.get("avx512f"):
        numba.config.CPU_FEATURES = features.flatten() + ",-prefer-256-bit"


_full_vector_width()

_OPTIONS = dict(cache=True, nogil=True, error_model="numpy")


def compile_options() -> dict:
    """The options every kernel is compiled with (``parallel`` aside)."""
    return dict(_OPTIONS)


def jit(func):
    """Compile a serial kernel helper."""
    return _guard_cache(numba.njit(**_OPTIONS)(func))


def jit_inline(func):
    """Compile a small helper that is inlined into every jitted caller.

    The helper is compiled once per signature and marked ``alwaysinline``
    for LLVM (``forceinline``), so LLVM puts its body into each caller's
    loop before it vectorizes: a loop with a call in it does not vectorize
    (``sim.kernels.vmath``), and LLVM's own inliner leaves a call to a
    longer helper in place. Numba's ``inline="always"`` did the same in
    Numba's IR, typing and lowering the helper again at every call site:
    a cold start spent 13 s more in Numba's front end, for the same machine
    code (``tests/kernels/test_simd.py`` checks the vector instructions and
    the bits). Called from Python, it is an ordinary ``jit`` function.
    """
    return numba.njit(forceinline=True, **_OPTIONS)(func)


def jit_inline_ir(func):
    """Compile a function that each kernel calls from one place by inlining
    it into that caller in Numba's IR (``inline="always"``).

    Numba compiles a jitted callee into a library of its own, optimizes it
    and emits its machine code, then links it into the caller, whose
    optimization runs over the callee's code again. For a function the
    kernel calls once (``evaluate_block``, the model over a block, and the
    others so decorated) that first compile is wasted: together 6 s of a
    cold start's 27 s. Inlined in the IR, each is typed
    inside its caller and optimized only there. The small helpers of
    :func:`jit_inline`, with dozens of call sites, would be typed again at
    each, which costs more than it saves. The same element-wise arithmetic
    results (``tests/kernels/test_simd.py``, the saved Datasets). Called from
    Python, it is an ordinary ``jit`` function.
    """
    return numba.njit(inline="always", **_OPTIONS)(func)


def jit_parallel(func):
    """Compile a kernel whose ``numba.prange`` loops run on all threads
    (the benchmarks' instruments; the engine hands blocks to threads itself)."""
    return _guard_cache(numba.njit(parallel=True, **_OPTIONS)(func))


_noted: list[str] = []


def _guard_cache(dispatcher):
    """Make an unreadable cache file (truncated by a crash or a full disk)
    a one-line note and a recompile, instead of an UnpicklingError on every
    run until someone deletes the cache by hand.

    Numba reads its cache in ``load_overload`` of the dispatcher's cache
    object (``numba.core.caching.Cache``); an exception there propagates to
    the first call. The wrapper empties that function's index (the next
    save rewrites it) and reports a miss, so Numba compiles and saves anew.
    """
    cache = getattr(dispatcher, "_cache", None)
    load = getattr(cache, "load_overload", None)
    if load is None:  # caching off, or a Numba without this hook: nothing to guard
        return dispatcher

    def load_overload(sig, target_context):
        try:
            return load(sig, target_context)
        except Exception as exc:  # pickle, EOF, version or attribute errors of a bad file
            try:
                cache.flush()
            except OSError:
                pass
            _note_corrupt(dispatcher, exc)
            return None

    cache.load_overload = load_overload
    return dispatcher


def _note_corrupt(dispatcher, exc: BaseException) -> None:
    if not _noted:
        print(f"note: the compile cache in {numba.config.CACHE_DIR} was unreadable "
              f"({type(exc).__name__} in {dispatcher.py_func.__name__}); rebuilding it",
              file=sys.stderr, flush=True)
    _noted.append(dispatcher.py_func.__name__)


prange = numba.prange
