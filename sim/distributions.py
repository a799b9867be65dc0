"""Distribution families of scenario files (MODEL.md section 4).

A :class:`Distribution` is parsed and validated from an inline TOML table,
knows its SciPy equivalent (the oracle for tests and for validation), and
encodes itself for the kernel's inverse-CDF sampler (:mod:`sim.inverse_cdf`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

from . import inverse_cdf as icdf
from .errors import ScenarioError

# scipy.special, not scipy.stats, on the load path: it imports in a third of
# the time, which the command line's start-up feels. scipy.stats stays the
# oracle in the tests (``Distribution.scipy``).
Z95 = float(special.ndtri(0.95))  # 1.6448536...: p5/p95 -> sigma

#: family -> (required keys, optional keys); ``min``/``max`` are added for
#: continuous families.
FAMILIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "normal": (("mean", "sd"), ()),
    "lognormal": ((), ("p5", "p95", "median", "sigma")),
    "uniform": (("low", "high"), ()),
    "triangular": (("low", "mode", "high"), ()),
    "pert": (("low", "mode", "high"), ()),
    "beta": (("a", "b"), ("low", "high")),
    "poisson": (("lam",), ("shift",)),
    "bernoulli": (("p",), ()),
    "choice": (("values",), ("weights",)),
}
DISCRETE = {"poisson", "bernoulli", "choice"}


def _number(value: Any, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"expected a number for '{key}', got {value!r}", key=where)
    x = float(value)
    if not math.isfinite(x):
        raise ScenarioError(f"expected a finite number for '{key}', got {value!r}", key=where)
    return x


@dataclass(frozen=True)
class Distribution:
    """A validated distribution: family, its numbers, and optional truncation."""

    family: str
    args: tuple[tuple[str, Any], ...]
    min: float | None = None
    max: float | None = None
    _cache: dict = field(default_factory=dict, compare=False, repr=False, hash=False)

    # ------------------------------------------------------------------ parse
    @classmethod
    def parse(cls, spec: dict, where: str = "") -> "Distribution":
        """Validate an inline table such as ``{dist="normal", mean=1, sd=0.1}``."""
        spec = dict(spec)
        family = spec.pop("dist", None)
        if not isinstance(family, str) or family not in FAMILIES:
            raise ScenarioError(
                f"unknown dist {family!r}; expected one of {', '.join(FAMILIES)}", key=where)
        required, optional = FAMILIES[family]
        allowed = set(required) | set(optional)
        continuous = family not in DISCRETE
        if continuous:
            allowed |= {"min", "max"}
        unknown = sorted(set(spec) - allowed)
        if unknown:
            raise ScenarioError(
                f"unknown field(s) {', '.join(unknown)} for dist '{family}'; "
                f"expected {', '.join(sorted(allowed))}", key=where)
        missing = [k for k in required if k not in spec]
        if missing:
            raise ScenarioError(
                f"dist '{family}' needs {', '.join(missing)}", key=where)
        lo = _number(spec.pop("min"), where, "min") if "min" in spec else None
        hi = _number(spec.pop("max"), where, "max") if "max" in spec else None
        args = {}
        for k, v in spec.items():
            if family == "choice":
                args[k] = v
            else:
                args[k] = _number(v, where, k)
        _check_family(family, args, where)
        dist = cls(family, tuple(sorted(args.items(), key=lambda kv: kv[0])), lo, hi)
        if lo is not None and hi is not None and not lo < hi:
            raise ScenarioError(f"min ({lo:g}) must be below max ({hi:g})", key=where)
        f_lo, f_hi = dist.cdf_bounds()
        if not f_hi > f_lo:
            raise ScenarioError(
                f"truncation to [{lo}, {hi}] leaves no probability for {dist.describe()}",
                key=where)
        return dist

    # ---------------------------------------------------------------- helpers
    @property
    def params(self) -> dict[str, Any]:
        return dict(self.args)

    @property
    def is_discrete(self) -> bool:
        return self.family in DISCRETE

    def to_dict(self) -> dict[str, Any]:
        """The inline table this distribution was parsed from (canonical)."""
        d: dict[str, Any] = {"dist": self.family}
        d.update(self.params)
        if self.min is not None:
            d["min"] = self.min
        if self.max is not None:
            d["max"] = self.max
        return d

    def describe(self) -> str:
        inner = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in self.args)
        trunc = ""
        if self.min is not None or self.max is not None:
            trunc = f" truncated to [{self.min if self.min is not None else '-inf'}, " \
                    f"{self.max if self.max is not None else 'inf'}]"
        return f"{self.family}({inner}){trunc}"

    def scipy(self):
        """The untruncated distribution as a frozen ``scipy.stats`` object."""
        from scipy import stats

        if "scipy" in self._cache:
            return self._cache["scipy"]
        p = self.params
        f = self.family
        if f == "normal":
            d = stats.norm(p["mean"], p["sd"])
        elif f == "lognormal":
            mu, sigma = lognormal_mu_sigma(p)
            d = stats.lognorm(s=sigma, scale=math.exp(mu))
        elif f == "uniform":
            d = stats.uniform(p["low"], p["high"] - p["low"])
        elif f == "triangular":
            w = p["high"] - p["low"]
            d = stats.triang((p["mode"] - p["low"]) / w, loc=p["low"], scale=w)
        elif f == "pert":
            a, b = pert_shape(p["low"], p["mode"], p["high"])
            d = stats.beta(a, b, loc=p["low"], scale=p["high"] - p["low"])
        elif f == "beta":
            low, high = p.get("low", 0.0), p.get("high", 1.0)
            d = stats.beta(p["a"], p["b"], loc=low, scale=high - low)
        elif f == "poisson":
            d = stats.poisson(p["lam"], loc=p.get("shift", 0.0))
        elif f == "bernoulli":
            d = stats.bernoulli(p["p"])
        elif f == "choice":
            values, weights = choice_table(p)
            d = stats.rv_discrete(values=(np.arange(len(values)), weights))
        else:  # pragma: no cover - FAMILIES is closed
            raise AssertionError(f)
        self._cache["scipy"] = d
        return d

    def cdf_bounds(self) -> tuple[float, float]:
        """``F(min)`` and ``F(max)`` of the untruncated distribution."""
        if self.is_discrete:
            return 0.0, 1.0
        lo = float(self.cdf(self.min)) if self.min is not None else 0.0
        hi = float(self.cdf(self.max)) if self.max is not None else 1.0
        return lo, hi

    def cdf(self, x) -> np.ndarray:
        """CDF of the untruncated distribution (scipy.special closed forms)."""
        x = np.asarray(x, dtype=float)
        p = self.params
        f = self.family
        if f == "normal":
            return special.ndtr((x - p["mean"]) / p["sd"])
        if f == "lognormal":
            mu, sigma = lognormal_mu_sigma(p)
            with np.errstate(divide="ignore"):
                z = (np.log(np.maximum(x, 0.0)) - mu) / sigma
            return np.where(x > 0, special.ndtr(z), 0.0)
        if f == "uniform":
            return np.clip((x - p["low"]) / (p["high"] - p["low"]), 0.0, 1.0)
        if f == "triangular":
            a, m, b = p["low"], p["mode"], p["high"]
            with np.errstate(divide="ignore", invalid="ignore"):
                left = (x - a) ** 2 / ((b - a) * (m - a))
                right = 1 - (b - x) ** 2 / ((b - a) * (b - m))
            return np.where(x <= a, 0.0, np.where(x >= b, 1.0, np.where(x <= m, left, right)))
        if f in ("beta", "pert"):
            a, b, low, high = self._beta()
            return special.betainc(a, b, np.clip((x - low) / (high - low), 0.0, 1.0))
        if f == "poisson":
            k = np.floor(x - p.get("shift", 0.0))
            return np.where(k < 0, 0.0, special.pdtr(np.maximum(k, 0), p["lam"]))
        if f == "bernoulli":
            return np.where(x < 0, 0.0, np.where(x < 1, 1 - p["p"], 1.0))
        values, weights = choice_table(p)
        order = np.argsort(values)
        cum = np.cumsum(weights[order])
        idx = np.searchsorted(values[order], x, side="right")
        return np.where(idx > 0, cum[np.maximum(idx - 1, 0)], 0.0)

    def ppf(self, u) -> np.ndarray:
        """Quantile of the (truncated) distribution, from scipy.special."""
        u = np.asarray(u, dtype=float)
        lo, hi = self.cdf_bounds()
        x = self._ppf_untruncated(lo + (hi - lo) * u)
        if self.min is not None:
            x = np.maximum(x, self.min)
        if self.max is not None:
            x = np.minimum(x, self.max)
        return x

    def _ppf_untruncated(self, v: np.ndarray) -> np.ndarray:
        p = self.params
        f = self.family
        if f == "normal":
            return p["mean"] + p["sd"] * special.ndtri(v)
        if f == "lognormal":
            mu, sigma = lognormal_mu_sigma(p)
            return np.exp(mu + sigma * special.ndtri(v))
        if f == "uniform":
            return p["low"] + (p["high"] - p["low"]) * v
        if f == "triangular":
            a, m, b = p["low"], p["mode"], p["high"]
            c = (m - a) / (b - a)
            return np.where(v < c, a + (b - a) * np.sqrt(v * c),
                            a + (b - a) * (1 - np.sqrt((1 - v) * (1 - c))))
        if f in ("beta", "pert"):
            a, b, low, high = self._beta()
            return low + (high - low) * special.betaincinv(a, b, v)
        _, par, _, _, table, n_table = self.encode()
        if f == "bernoulli":
            return np.where(v > 1 - par[0], 1.0, 0.0)
        k = np.minimum(np.searchsorted(table[:n_table], v, side="left"), n_table - 1)
        if f == "poisson":
            return par[0] + k
        return table[2 * n_table + k]  # choice

    def _beta(self) -> tuple[float, float, float, float]:
        """Shapes and support of a beta or PERT distribution."""
        p = self.params
        if self.family == "pert":
            a, b = pert_shape(p["low"], p["mode"], p["high"])
            return a, b, p["low"], p["high"]
        return p["a"], p["b"], p.get("low", 0.0), p.get("high", 1.0)

    def support(self) -> tuple[float, float]:
        """The smallest and largest value the kernel's generator can draw."""
        from .rng import U_MAX, U_MIN
        lo, hi = self.ppf([U_MIN, U_MAX])
        return float(lo), float(hi)

    def mean(self) -> float:
        """Mean of the truncated distribution (for summaries and tests)."""
        if self.min is None and self.max is None:
            if self.family == "choice":
                values, weights = choice_table(self.params)
                return float(np.dot(values, weights))
            return float(self.scipy().mean())
        lo, hi = self.cdf_bounds()
        d = self.scipy()
        return float(d.expect(lambda x: x, lb=self.min, ub=self.max, conditional=True)) \
            if hi > lo else math.nan

    # ----------------------------------------------------------------- encode
    def encode(self) -> tuple[int, np.ndarray, float, float, np.ndarray, int]:
        """Kernel encoding: family code, 4 numbers, F(min), F(max)-F(min),
        the family's table and its length parameter."""
        if "encoded" in self._cache:
            return self._cache["encoded"]
        p = self.params
        par = np.zeros(4)
        table = np.zeros(0)
        n_table = 0
        f = self.family
        if f == "normal":
            code = icdf.NORMAL
            par[:2] = p["mean"], p["sd"]
        elif f == "lognormal":
            code = icdf.LOGNORMAL
            par[:2] = lognormal_mu_sigma(p)
        elif f == "uniform":
            code = icdf.UNIFORM
            par[:2] = p["low"], p["high"] - p["low"]
        elif f == "triangular":
            code = icdf.TRIANGULAR
            w = p["high"] - p["low"]
            par[:3] = p["low"], w, (p["mode"] - p["low"]) / w
        elif f in ("beta", "pert"):
            code = icdf.TABLE
            a, b, low, high = self._beta()
            par[:2] = low, high - low
            table = beta_quantile_table(a, b)
        elif f == "poisson":
            code = icdf.POISSON
            par[0] = p.get("shift", 0.0)
            table, n_table = poisson_table(p["lam"])
        elif f == "bernoulli":
            code = icdf.BERNOULLI
            par[0] = p["p"]
        elif f == "choice":
            code = icdf.CHOICE
            values, weights = choice_table(p)
            cdf = np.cumsum(weights)
            cdf[-1] = 1.0
            table, n_table = discrete_table(cdf, values)
        else:  # pragma: no cover
            raise AssertionError(f)
        lo, hi = self.cdf_bounds()
        out = (code, par, lo, hi - lo, table, n_table)
        self._cache["encoded"] = out
        return out


# ---------------------------------------------------------------- families
def lognormal_mu_sigma(p: dict) -> tuple[float, float]:
    """``(mu, sigma)`` of log X from ``p5``/``p95`` or ``median``/``sigma``."""
    if "p5" in p:
        return (math.log(p["p5"]) + math.log(p["p95"])) / 2, \
            (math.log(p["p95"]) - math.log(p["p5"])) / (2 * Z95)
    return math.log(p["median"]), p["sigma"]


def pert_shape(low: float, mode: float, high: float, lam: float = 4.0) -> tuple[float, float]:
    """Beta shape parameters of a beta-PERT distribution."""
    w = high - low
    return 1 + lam * (mode - low) / w, 1 + lam * (high - mode) / w


def choice_table(p: dict) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(p["values"], dtype=float)
    if "weights" in p:
        w = np.asarray(p["weights"], dtype=float)
    else:
        w = np.ones(len(values))
    return values, w / w.sum()


def _check_family(family: str, p: dict, where: str) -> None:
    def need(cond: bool, msg: str) -> None:
        if not cond:
            raise ScenarioError(f"{family}: {msg}", key=where)

    if family == "normal":
        need(p["sd"] > 0, f"sd must be > 0, got {p['sd']:g}")
    elif family == "lognormal":
        has_p = "p5" in p or "p95" in p
        has_m = "median" in p or "sigma" in p
        need(has_p != has_m, "give either p5 and p95, or median and sigma")
        if has_p:
            need("p5" in p and "p95" in p, "give both p5 and p95")
            need(p["p5"] > 0, f"p5 must be > 0, got {p['p5']:g}")
            need(p["p5"] < p["p95"], f"p5 ({p['p5']:g}) must be below p95 ({p['p95']:g})")
        else:
            need("median" in p and "sigma" in p, "give both median and sigma")
            need(p["median"] > 0, f"median must be > 0, got {p['median']:g}")
            need(p["sigma"] > 0, f"sigma must be > 0, got {p['sigma']:g}")
    elif family == "uniform":
        need(p["low"] < p["high"], f"low ({p['low']:g}) must be below high ({p['high']:g})")
    elif family in ("triangular", "pert"):
        need(p["low"] < p["high"], f"low ({p['low']:g}) must be below high ({p['high']:g})")
        need(p["low"] <= p["mode"] <= p["high"],
             f"mode ({p['mode']:g}) must lie in [low, high] = [{p['low']:g}, {p['high']:g}]")
    elif family == "beta":
        need(p["a"] > 0 and p["b"] > 0, f"a and b must be > 0, got a={p['a']:g}, b={p['b']:g}")
        low, high = p.get("low", 0.0), p.get("high", 1.0)
        need(low < high, f"low ({low:g}) must be below high ({high:g})")
    elif family == "poisson":
        need(0 < p["lam"] <= 1e6, f"lam must be in (0, 1e6], got {p['lam']:g}")
        if "shift" in p:
            need(float(p["shift"]).is_integer(), f"shift must be an integer, got {p['shift']:g}")
    elif family == "bernoulli":
        need(0 <= p["p"] <= 1, f"p must be in [0, 1], got {p['p']:g}")
    elif family == "choice":
        values = p["values"]
        need(isinstance(values, list) and len(values) > 0, "values must be a non-empty list")
        for v in values:
            _number(v, where, "values")
        if "weights" in p:
            w = p["weights"]
            need(isinstance(w, list) and len(w) == len(values),
                 "weights must be a list as long as values")
            for x in w:
                need(_number(x, where, "weights") >= 0, "weights must be >= 0")
            need(sum(w) > 0, "weights must not all be zero")


# ------------------------------------------------------------------ tables
def beta_quantile_table(a: float, b: float) -> np.ndarray:
    """Standard beta quantile and its t-derivative on the kernel's t grid."""
    t = np.linspace(-icdf.TABLE_T_MAX, icdf.TABLE_T_MAX, icdf.TABLE_CELLS + 1)
    lower = special.ndtr(t)  # accurate for t <= 0
    upper = special.ndtr(-t)  # accurate for t > 0
    # The upper tail through the mirror image: 1 - X ~ Beta(b, a).
    q = np.where(t <= 0, special.betaincinv(a, b, lower), 1 - special.betaincinv(b, a, upper))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_pdf = (a - 1) * np.log(q) + (b - 1) * np.log1p(-q) - special.betaln(a, b)
        dq = np.exp(-0.5 * t * t - log_pdf) / math.sqrt(2 * math.pi)
    bad = ~np.isfinite(dq)
    if bad.any():  # density 0 or infinite at a node: fall back to differences
        dq[bad] = np.gradient(q, t)[bad]
    table = np.empty(2 * len(t))
    table[0::2] = q
    table[1::2] = dq
    return table


def discrete_table(cdf: np.ndarray, values: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """CDF, guide table (and values) for :func:`sim.inverse_cdf.discrete_quantile`."""
    n = len(cdf)
    guide = np.searchsorted(cdf, np.arange(n) / n, side="left").astype(float)
    parts = [cdf, guide] + ([values] if values is not None else [])
    return np.concatenate(parts), n


def poisson_table(lam: float) -> tuple[np.ndarray, int]:
    k = np.arange(int(lam + 40 * math.sqrt(lam) + 40))
    sf = special.pdtrc(k, lam)
    k_max = int(np.argmax(sf < 1e-18))  # beyond every uniform the generator makes
    cdf = special.pdtr(k[: k_max + 1], lam)
    cdf[-1] = 1.0
    return discrete_table(cdf)
