"""The distribution families of scenario files (specification section 4).

Each family is a small object that knows its fields, how to check them, its
SciPy equivalent (the oracle for tests), its CDF and quantile in
``scipy.special`` closed forms (for validation and summaries, without
importing ``scipy.stats`` on the run path), and its kernel encoding for
:func:`sim.kernels.sampling.inverse_cdf.inverse_cdf`. :class:`~sim.kernels.sampling.
distributions.Distribution` holds a family and its numbers and adds
truncation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from sim.services import special
from sim.vocab.errors import ScenarioError
from sim.kernels.sampling import inverse_cdf as icdf

__all__ = ["DISCRETE", "FAMILIES", "Family", "Z95", "beta_quantile_table", "choice_table",
           "discrete_table", "lognormal_mu_sigma", "number", "pert_shape", "poisson_table"]

# scipy.special's values, not scipy.stats, on the load path, remembered
# between runs (sim.services.special): the command line's start-up feels
# either import. scipy.stats stays the oracle in the tests
# (``Distribution.scipy``).
Z95 = float(special.ndtri(0.95))  # 1.6448536...: p5/p95 -> sigma

Need = Callable[[bool, str], None]  # need(condition, message) raises if not condition
Encoding = tuple[int, np.ndarray, np.ndarray, int]  # code, 4 numbers, table, n_table


class Family:
    """One family: fields, checks, SciPy twin, CDF, quantile, kernel encoding."""

    name = ""
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    discrete = False

    def check(self, p: dict, need: Need, where: str = "") -> None:
        """Raise (through ``need``) if the numbers do not define a distribution."""

    def scipy(self, p: dict):
        raise NotImplementedError

    def cdf(self, p: dict, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def ppf(self, p: dict, v: np.ndarray, enc: Encoding) -> np.ndarray:
        """Quantile of the untruncated distribution at ``v``."""
        raise NotImplementedError

    def encode(self, p: dict) -> Encoding:
        raise NotImplementedError

    def mean(self, p: dict) -> float:
        return float(self.scipy(p).mean())


def _par(*values: float) -> np.ndarray:
    par = np.zeros(4)
    par[:len(values)] = values
    return par


_NO_TABLE = np.zeros(0)


class Normal(Family):
    name, required = "normal", ("mean", "sd")

    def check(self, p, need, where=""):
        need(p["sd"] > 0, f"sd must be > 0, got {p['sd']:g}")

    def scipy(self, p):
        from scipy import stats
        return stats.norm(p["mean"], p["sd"])

    def cdf(self, p, x):
        return special.ndtr((x - p["mean"]) / p["sd"])

    def ppf(self, p, v, enc):
        return p["mean"] + p["sd"] * special.ndtri(v)

    def encode(self, p):
        return icdf.NORMAL, _par(p["mean"], p["sd"]), _NO_TABLE, 0


class Lognormal(Family):
    name, optional = "lognormal", ("p5", "p95", "median", "sigma")

    def check(self, p, need, where=""):
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

    def scipy(self, p):
        from scipy import stats
        mu, sigma = lognormal_mu_sigma(p)
        return stats.lognorm(s=sigma, scale=math.exp(mu))

    def cdf(self, p, x):
        mu, sigma = lognormal_mu_sigma(p)
        with np.errstate(divide="ignore"):
            z = (np.log(np.maximum(x, 0.0)) - mu) / sigma
        return np.where(x > 0, special.ndtr(z), 0.0)

    def ppf(self, p, v, enc):
        mu, sigma = lognormal_mu_sigma(p)
        return np.exp(mu + sigma * special.ndtri(v))

    def encode(self, p):
        return icdf.LOGNORMAL, _par(*lognormal_mu_sigma(p)), _NO_TABLE, 0


class Uniform(Family):
    name, required = "uniform", ("low", "high")

    def check(self, p, need, where=""):
        need(p["low"] < p["high"], f"low ({p['low']:g}) must be below high ({p['high']:g})")

    def scipy(self, p):
        from scipy import stats
        return stats.uniform(p["low"], p["high"] - p["low"])

    def cdf(self, p, x):
        return np.clip((x - p["low"]) / (p["high"] - p["low"]), 0.0, 1.0)

    def ppf(self, p, v, enc):
        return p["low"] + (p["high"] - p["low"]) * v

    def encode(self, p):
        return icdf.UNIFORM, _par(p["low"], p["high"] - p["low"]), _NO_TABLE, 0


def _check_low_mode_high(p: dict, need: Need) -> None:
    need(p["low"] < p["high"], f"low ({p['low']:g}) must be below high ({p['high']:g})")
    need(p["low"] <= p["mode"] <= p["high"],
         f"mode ({p['mode']:g}) must lie in [low, high] = [{p['low']:g}, {p['high']:g}]")


class Triangular(Family):
    name, required = "triangular", ("low", "mode", "high")

    def check(self, p, need, where=""):
        _check_low_mode_high(p, need)

    def scipy(self, p):
        from scipy import stats
        w = p["high"] - p["low"]
        return stats.triang((p["mode"] - p["low"]) / w, loc=p["low"], scale=w)

    def cdf(self, p, x):
        a, m, b = p["low"], p["mode"], p["high"]
        with np.errstate(divide="ignore", invalid="ignore"):
            left = (x - a) ** 2 / ((b - a) * (m - a))
            right = 1 - (b - x) ** 2 / ((b - a) * (b - m))
        return np.where(x <= a, 0.0, np.where(x >= b, 1.0, np.where(x <= m, left, right)))

    def ppf(self, p, v, enc):
        a, m, b = p["low"], p["mode"], p["high"]
        c = (m - a) / (b - a)
        return np.where(v < c, a + (b - a) * np.sqrt(v * c),
                        a + (b - a) * (1 - np.sqrt((1 - v) * (1 - c))))

    def encode(self, p):
        w = p["high"] - p["low"]
        return icdf.TRIANGULAR, _par(p["low"], w, (p["mode"] - p["low"]) / w), _NO_TABLE, 0


class _BetaLike(Family):
    """Beta and PERT: a scaled beta, drawn from a tabulated quantile."""

    def shape(self, p: dict) -> tuple[float, float, float, float]:
        """Shapes ``a, b`` and support ``low, high``."""
        raise NotImplementedError

    def scipy(self, p):
        from scipy import stats
        a, b, low, high = self.shape(p)
        return stats.beta(a, b, loc=low, scale=high - low)

    def cdf(self, p, x):
        a, b, low, high = self.shape(p)
        return special.betainc(a, b, np.clip((x - low) / (high - low), 0.0, 1.0))

    def ppf(self, p, v, enc):
        a, b, low, high = self.shape(p)
        return low + (high - low) * special.betaincinv(a, b, v)

    def encode(self, p):
        a, b, low, high = self.shape(p)
        return icdf.TABLE, _par(low, high - low), beta_quantile_table(a, b), 0


class Pert(_BetaLike):
    name, required = "pert", ("low", "mode", "high")

    def check(self, p, need, where=""):
        _check_low_mode_high(p, need)

    def shape(self, p):
        a, b = pert_shape(p["low"], p["mode"], p["high"])
        return a, b, p["low"], p["high"]


class Beta(_BetaLike):
    name, required, optional = "beta", ("a", "b"), ("low", "high")

    def check(self, p, need, where=""):
        need(p["a"] > 0 and p["b"] > 0, f"a and b must be > 0, got a={p['a']:g}, b={p['b']:g}")
        low, high = p.get("low", 0.0), p.get("high", 1.0)
        need(low < high, f"low ({low:g}) must be below high ({high:g})")

    def shape(self, p):
        return p["a"], p["b"], p.get("low", 0.0), p.get("high", 1.0)


def _table_index(enc: Encoding, v: np.ndarray) -> np.ndarray:
    _, _, table, n_table = enc
    return np.minimum(np.searchsorted(table[:n_table], v, side="left"), n_table - 1)


class Poisson(Family):
    name, required, optional, discrete = "poisson", ("lam",), ("shift",), True

    def check(self, p, need, where=""):
        need(0 < p["lam"] <= 1e6, f"lam must be in (0, 1e6], got {p['lam']:g}")
        if "shift" in p:
            need(float(p["shift"]).is_integer(), f"shift must be an integer, got {p['shift']:g}")

    def scipy(self, p):
        from scipy import stats
        return stats.poisson(p["lam"], loc=p.get("shift", 0.0))

    def cdf(self, p, x):
        k = np.floor(x - p.get("shift", 0.0))
        return np.where(k < 0, 0.0, special.pdtr(np.maximum(k, 0), p["lam"]))

    def ppf(self, p, v, enc):
        return enc[1][0] + _table_index(enc, v)

    def encode(self, p):
        table, n_table = poisson_table(p["lam"])
        return icdf.POISSON, _par(p.get("shift", 0.0)), table, n_table


class Bernoulli(Family):
    name, required, discrete = "bernoulli", ("p",), True

    def check(self, p, need, where=""):
        need(0 <= p["p"] <= 1, f"p must be in [0, 1], got {p['p']:g}")

    def scipy(self, p):
        from scipy import stats
        return stats.bernoulli(p["p"])

    def cdf(self, p, x):
        return np.where(x < 0, 0.0, np.where(x < 1, 1 - p["p"], 1.0))

    def ppf(self, p, v, enc):
        return np.where(v > 1 - enc[1][0], 1.0, 0.0)

    def encode(self, p):
        return icdf.BERNOULLI, _par(p["p"]), _NO_TABLE, 0


class Choice(Family):
    """One of ``values`` (numbers), with optional ``weights``."""

    name, required, optional, discrete = "choice", ("values",), ("weights",), True

    def check(self, p, need, where=""):
        values = p["values"]
        need(isinstance(values, list) and len(values) > 0, "values must be a non-empty list")
        for v in values:
            number(v, where, "values")
        if "weights" in p:
            w = p["weights"]
            need(isinstance(w, list) and len(w) == len(values),
                 "weights must be a list as long as values")
            for x in w:
                need(number(x, where, "weights") >= 0, "weights must be >= 0")
            need(sum(w) > 0, "weights must not all be zero")

    def scipy(self, p):
        from scipy import stats
        values, weights = choice_table(p)
        return stats.rv_discrete(values=(np.arange(len(values)), weights))

    def cdf(self, p, x):
        values, weights = choice_table(p)
        order = np.argsort(values)
        cum = np.cumsum(weights[order])
        idx = np.searchsorted(values[order], x, side="right")
        return np.where(idx > 0, cum[np.maximum(idx - 1, 0)], 0.0)

    def ppf(self, p, v, enc):
        n_table = enc[3]
        return enc[2][2 * n_table + _table_index(enc, v)]

    def encode(self, p):
        values, weights = choice_table(p)
        cdf = np.cumsum(weights)
        cdf[-1] = 1.0
        table, n_table = discrete_table(cdf, values)
        return icdf.CHOICE, _par(), table, n_table

    def mean(self, p):
        values, weights = choice_table(p)
        return float(np.dot(values, weights))


def number(value: Any, where: str, key: str) -> float:
    """``value`` as a finite float, or a ScenarioError naming ``key``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"expected a number for '{key}', got {_show(value)}", key=where)
    try:
        x = float(value)
    except OverflowError:  # an integer beyond the float range
        x = math.inf
    if not math.isfinite(x):
        raise ScenarioError(f"expected a finite number for '{key}', got {_show(value)}", key=where)
    return x


def _show(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters (and safe however deeply
    it is nested), for messages."""
    try:
        text = repr(value)
    except RecursionError:
        return f"a {type(value).__name__} nested too deeply to show"
    return text if len(text) <= limit else text[:limit] + "..."


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Normal(), Lognormal(), Uniform(), Triangular(), Pert(), Beta(), Poisson(), Bernoulli(),
    Choice())}
DISCRETE = {name for name, f in FAMILIES.items() if f.discrete}


# ------------------------------------------------------------ shared helpers
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
    """Values and probabilities. Weights whose sum overflows (``[1e308,
    1e308]``) are scaled by the largest first, so they keep their ratios."""
    values = np.asarray(p["values"], dtype=float)
    if "weights" in p:
        w = np.asarray(p["weights"], dtype=float)
    else:
        w = np.ones(len(values))
    with np.errstate(over="ignore"):
        total = w.sum()
    if not np.isfinite(total):
        w = w / w.max()
        total = w.sum()
    return values, w / total


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
    """CDF, guide table (and values) for :func:`sim.kernels.sampling.inverse_cdf.discrete_quantile`."""
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
