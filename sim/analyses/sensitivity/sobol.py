"""Sobol' indices: a Saltelli design, Saltelli and Jansen estimators, bootstrap intervals.

The inputs are independent uniforms (one column per input dimension), and
the indices are those of groups of columns: every sampled parameter is a
group of one, and the scenario's yearly incident draws form one group.

**Design.** Two base matrices ``A`` and ``B`` of ``N`` rows (``N`` a power
of two) are the two halves of a scrambled Sobol' sequence of twice the
dimension (``scipy.stats.qmc.Sobol``, seeded from the run's seed), the
construction of Saltelli (2002) and of SALib's ``sobol.sample``. For each
group ``g``, ``AB_g`` is ``A`` with the group's columns taken from ``B``.
The model is evaluated on ``A``, ``B`` and every ``AB_g``: ``N (G + 2)``
evaluations, one matrix at a time (never the whole design at once), each
through a caller's function of a uniform matrix; for ``sim`` that is
:func:`sim.engine.matrix.evaluate_uniforms`, the Numba kernel.

**Estimators.** Outputs are centred by their mean over all evaluations;
``V`` is the variance over the rows of ``A`` and ``B``.

* First order, Saltelli et al. (2010): ``S1_g = mean(f(B) (f(AB_g) -
  f(A))) / V``. It is exactly 0 for an input the model does not read
  (``f(AB_g) = f(A)`` row by row).
* Total order, Janon, Klein, Lagnoux, Nodet and Prieur (2014), the
  asymptotically efficient estimator: ``ST_g = 1 - S(f(A), f(AB_g))``, where
  the pair shares every input but g and ``S(x, y) = (mean(x y) - mu^2) /
  (mean((x^2 + y^2) / 2) - mu^2)``, ``mu = mean((x + y) / 2)``, takes its mean
  and variance from both members of the pair. Also exactly 0 for an input
  that is not read.
* Total order, Jansen (1999): ``ST_g = mean((f(A) - f(AB_g))^2) / (2 V)``.

``formula="saltelli-janon"`` (the default) uses the first two;
``"saltelli"`` the Saltelli/Jansen pair of SALib's ``sobol.analyze``,
computed the same way (``tests/analyses/test_sensitivity.py`` checks they agree to
rounding); ``"janon"`` Janon's ratio for the first order too,
``S(f(B), f(AB_g))``.

Why this default: ROI is heavy-tailed (a small model that wins a share of
a large pool returns hundreds of times its cost). A few extreme
evaluations that fall in an ``AB_g`` matrix but not in ``A`` or ``B`` make
Jansen's total index come out at 50 or more on the baseline with a wide
price premium, where Janon's self-normalised ratio stays in [0, 1] and
keeps the ranking. For the first order it is the other way round: on the
baseline Janon's ratio has intervals five times wider than Saltelli's (its
noise does not vanish for inputs with no effect), and Saltelli's estimator
kept the ranking in every case tried. On well-behaved models all three agree
(the Ishigami test passes with each).

**Intervals.** Bootstrap over the ``N`` base rows (a row carries its
``f(A)``, ``f(B)`` and every ``f(AB_g)``, so the resampled estimators keep
their correlations), as SALib does: ``index -+ z sd`` of the bootstrap
estimates. Each resample is a vector of counts, so every index of every
group and output comes from one matrix product per statistic, instead of
copying the evaluations for every resample. The same resamples give the
interval of ``sum S1`` (``1 - sum S1`` is the share of variance in
interactions). The bootstrap treats the rows as independent, which a
scrambled Sobol' design's are not (its error is smaller than that of
independent rows), so the intervals are on the safe side.

**Why not SALib for all of it.** SALib (``pip install 'sim[sensitivity]'``)
is the better-known implementation, and ``saltelli`` reproduces its
estimators, but at this problem's shape (about 35 groups, 5 model sizes,
``N`` up to 2^18) it stands in the way: ``sobol.sample`` returns the whole
design (``N (G + 2)`` rows by every column, 0.7 GB at ``N = 2^16``), and
``sobol.analyze`` runs one output at a time with a Python loop over groups
that copies ``N x resamples`` values per index; with ``seed=0`` it falls
back to NumPy's global generator, so its intervals would not repeat for the
project's default seed; and it offers only the Saltelli/Jansen pair, whose
total index fails on heavy tails (above). The
formulas themselves are a few lines each. So the design and the estimation
are here, tested against the Ishigami function's analytic indices and
against SALib on the same evaluations; SALib is an optional extra for that
cross-check (``estimator="salib"``) and for ``benchmarks/sensitivity.py``.
The core, rank and Sobol' methods alike, runs without it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.vocab.errors import SimError
from sim.kernels.sampling.rng import U_MAX, U_MIN

__all__ = ["DEFAULT_FORMULA", "FORMULAS", "N_BOOTSTRAP", "SobolIndices", "base_matrices", "base_size", "estimate",
           "evaluate_design", "salib_indices", "sobol_indices"]

#: Bootstrap resamples for the intervals.
N_BOOTSTRAP = 200
#: Estimator formulas of :func:`estimate`.
FORMULAS = ("saltelli-janon", "saltelli", "janon")
DEFAULT_FORMULA = "saltelli-janon"
#: Smallest base sample (rows of A and of B).
MIN_BASE = 64


@dataclass(frozen=True)
class SobolIndices:
    """First- and total-order indices of G groups for m outputs."""

    first: np.ndarray  # (G, m)
    first_ci: np.ndarray  # (G, m, 2) lower, upper
    total: np.ndarray  # (G, m)
    total_ci: np.ndarray  # (G, m, 2)
    first_sum: np.ndarray  # (m,)
    first_sum_ci: np.ndarray  # (m, 2)
    variance: np.ndarray  # (m,) output variance over the rows of A and B
    n_base: int
    n_evaluations: int
    level: float
    n_bootstrap: int


def base_size(n: int) -> tuple[int, str]:
    """``N``, a power of two of at least :data:`MIN_BASE`, for a request of
    ``n`` base rows, and a note if it was rounded up."""
    if n < 1:
        raise SimError(f"Sobol' base sample: expected a positive integer, got {n}")
    m = max(MIN_BASE, 1 << math.ceil(math.log2(n)))
    if m == n:
        return n, ""
    return m, (f"sobol: base sample rounded up from {n:,} to {m:,} (2^{m.bit_length() - 1}) "
               "to keep the balance properties of the Sobol' sequence")


def base_matrices(n_dims: int, n_base: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``A`` and ``B``, each ``(n_base, n_dims)``: the two halves of a
    scrambled Sobol' sequence in ``2 n_dims`` dimensions."""
    from scipy.stats import qmc

    if n_base & (n_base - 1):
        raise SimError(f"Sobol' base sample: expected a power of two, got {n_base}")
    gen = np.random.default_rng(np.random.SeedSequence([seed, 0x5A17E111]))
    x = qmc.Sobol(2 * n_dims, scramble=True, rng=gen).random(n_base)
    x = np.clip(x, U_MIN, U_MAX)
    return np.ascontiguousarray(x[:, :n_dims]), np.ascontiguousarray(x[:, n_dims:])


def evaluate_design(evaluate: Callable[[np.ndarray], np.ndarray], A: np.ndarray, B: np.ndarray,
                    groups: Sequence[Sequence[int]], progress=None):
    """``f(A)``, ``f(B)`` (each ``(N, m)``) and ``f(AB_g)`` (``(N, G, m)``).

    ``evaluate`` maps a uniform matrix ``(rows, n_dims)`` to outputs
    ``(rows, m)``; it is called ``G + 2`` times with ``N`` rows.
    """
    def run(u):
        y = np.asarray(evaluate(u), dtype=float)
        if y.ndim == 1:
            y = y[:, None]
        if progress is not None:
            progress.update(u.shape[0])
        return y

    fA = run(A)
    fB = run(B)
    fAB = np.empty((A.shape[0], len(groups), fA.shape[1]))
    AB = A.copy()
    for g, cols in enumerate(groups):
        cols = list(cols)
        AB[:, cols] = B[:, cols]
        fAB[:, g] = run(AB)
        AB[:, cols] = A[:, cols]
    return fA, fB, fAB


def estimate(fA: np.ndarray, fB: np.ndarray, fAB: np.ndarray, level: float = 0.95,
             n_bootstrap: int = N_BOOTSTRAP, seed: int = 0,
             formula: str = DEFAULT_FORMULA) -> SobolIndices:
    """First- and total-order indices with bootstrap intervals.

    ``formula`` (see the module docstring): ``"saltelli-janon"`` (default:
    Saltelli 2010 first order, Janon total order), ``"saltelli"`` (Saltelli
    2010 and Jansen, as SALib) or ``"janon"`` (Janon for both).
    """
    from scipy.special import ndtri

    if formula not in FORMULAS:
        raise SimError(f"formula: expected one of {', '.join(FORMULAS)}, got {formula!r}")
    first_rule, total_rule = {"saltelli-janon": ("saltelli", "janon"),
                              "saltelli": ("saltelli", "jansen"),
                              "janon": ("janon", "janon")}[formula]
    N, G, m = fAB.shape
    centre = (fA.sum(axis=0) + fB.sum(axis=0) + fAB.sum(axis=(0, 1))) / (N * (G + 2))
    a = fA - centre
    b = fB - centre
    ab = fAB - centre
    # Every estimator is a function of row means: the per-row terms, flattened
    # to (N, G * m) so that a (k, N) matrix of row weights gives k estimates.
    flat = lambda x: np.ascontiguousarray(x.reshape(N, G * m))
    wide = lambda x: np.broadcast_to(x[:, None, :], (N, G, m))
    terms = {"a": a, "b": b, "a2": a * a, "b2": b * b}
    if "janon" in (first_rule, total_rule):
        terms.update(ab=flat(ab), ab2=flat(ab * ab))
    if first_rule == "saltelli":
        terms["first"] = flat(wide(b) * (ab - wide(a)))
    else:
        terms["b_ab"] = flat(wide(b) * ab)
    if total_rule == "jansen":
        terms["total"] = flat(0.5 * (wide(a) - ab) ** 2)
    else:
        terms["a_ab"] = flat(wide(a) * ab)

    def indices(weights: np.ndarray):
        """Indices for a (k, N) matrix of row weights that sum to N."""
        mean = {k: (weights @ v) / N for k, v in terms.items()}
        shape = (-1, G, m)
        with np.errstate(divide="ignore", invalid="ignore"):
            def closed(x, x2, xy):  # Janon et al. 2014, eq. (6), on pairs (x, f(AB_g))
                mu = (x[:, None, :] + mean["ab"].reshape(shape)) / 2
                num = xy.reshape(shape) - mu * mu
                den = (x2[:, None, :] + mean["ab2"].reshape(shape)) / 2 - mu * mu
                return num / np.where(den > 0, den, np.nan)

            var = (mean["a2"] + mean["b2"]) / 2 - ((mean["a"] + mean["b"]) / 2) ** 2
            v = np.where(var > 0, var, np.nan)[:, None, :]
            if first_rule == "saltelli":
                first = mean["first"].reshape(shape) / v
            else:
                first = closed(mean["b"], mean["b2"], mean["b_ab"])
            if total_rule == "jansen":
                total = mean["total"].reshape(shape) / v
            else:
                total = 1.0 - closed(mean["a"], mean["a2"], mean["a_ab"])
        return first, total, var

    # A group that never changes the output (f(AB_g) = f(A) in every row: the
    # model does not read it) has indices of exactly 0, whatever the rounding
    # of the ratios above.
    unread = np.all(fAB == fA[:, None, :], axis=0)  # (G, m)
    first, total, var = (x[0] for x in indices(np.ones((1, N))))
    first[unread] = 0.0
    total[unread] = 0.0
    gen = np.random.default_rng(np.random.SeedSequence([seed, 0xB007]))
    boot_first = np.empty((n_bootstrap, G, m))
    boot_total = np.empty((n_bootstrap, G, m))
    step = 50  # resamples at a time: bounds the memory of the weight matrix
    for r0 in range(0, n_bootstrap, step):
        k = min(step, n_bootstrap - r0)
        counts = np.stack([np.bincount(gen.integers(0, N, N), minlength=N) for _ in range(k)])
        boot_first[r0:r0 + k], boot_total[r0:r0 + k], _ = indices(counts.astype(float))
    boot_first[:, unread] = 0.0
    boot_total[:, unread] = 0.0
    z = float(ndtri(0.5 + level / 2))

    def interval(est, boot):
        with np.errstate(invalid="ignore"):
            half = z * np.std(boot, axis=0, ddof=1)
        return np.stack([est - half, est + half], axis=-1)

    return SobolIndices(
        first=first, first_ci=interval(first, boot_first),
        total=total, total_ci=interval(total, boot_total),
        first_sum=first.sum(axis=0), first_sum_ci=interval(first.sum(axis=0), boot_first.sum(axis=1)),
        variance=var, n_base=N, n_evaluations=N * (G + 2), level=level, n_bootstrap=n_bootstrap)


def sobol_indices(evaluate: Callable[[np.ndarray], np.ndarray], n_dims: int, n_base: int,
                  groups: Sequence[Sequence[int]] | None = None, seed: int = 0,
                  level: float = 0.95, n_bootstrap: int = N_BOOTSTRAP,
                  progress=None, formula: str = DEFAULT_FORMULA) -> SobolIndices:
    """Design, evaluate and estimate in one call (``groups`` default: one per column)."""
    groups = [[d] for d in range(n_dims)] if groups is None else groups
    A, B = base_matrices(n_dims, n_base, seed)
    fA, fB, fAB = evaluate_design(evaluate, A, B, groups, progress)
    return estimate(fA, fB, fAB, level, n_bootstrap, seed, formula)


def salib_indices(fA: np.ndarray, fB: np.ndarray, fAB: np.ndarray, level: float = 0.95,
                  n_bootstrap: int = N_BOOTSTRAP, seed: int = 0) -> SobolIndices:
    """The same evaluations estimated by SALib's ``sobol.analyze`` (first and
    total order, its own bootstrap), one output at a time."""
    try:
        from SALib.analyze import sobol as salib_sobol
    except ImportError:
        raise SimError("estimator 'salib' needs SALib: pip install 'sim[sensitivity]'") from None
    import warnings

    from scipy.special import ndtri

    z = float(ndtri(0.5 + level / 2))
    N, G, m = fAB.shape
    problem = {"num_vars": G, "names": [f"x{g}" for g in range(G)], "bounds": [[0.0, 1.0]] * G}
    out = {k: np.full((G, m), np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    sums = np.full(m, np.nan)
    sum_half = np.full(m, np.nan)
    variance = np.var(np.concatenate([fA, fB]), axis=0)
    for j in range(m):
        if not variance[j] > 0:
            continue
        # SALib's layout without second order: per base row A, AB_1..AB_G, B.
        y = np.concatenate([fA[:, j:j + 1], fAB[:, :, j], fB[:, j:j + 1]], axis=1).ravel()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = salib_sobol.analyze(problem, y, calc_second_order=False,
                                      num_resamples=n_bootstrap, conf_level=level,
                                      keep_resamples=True, seed=seed + 1)
        for k in out:
            out[k][:, j] = res[k]
        sums[j] = float(np.sum(res["S1"]))
        sum_half[j] = z * float(np.std(res["S1_conf_all"].sum(axis=1), ddof=1))

    def ci(est, half):
        return np.stack([est - half, est + half], axis=-1)

    return SobolIndices(
        first=out["S1"], first_ci=ci(out["S1"], out["S1_conf"]),
        total=out["ST"], total_ci=ci(out["ST"], out["ST_conf"]),
        first_sum=sums, first_sum_ci=ci(sums, sum_half), variance=variance,
        n_base=N, n_evaluations=N * (G + 2), level=level, n_bootstrap=n_bootstrap)
