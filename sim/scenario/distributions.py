"""Distribution families of scenario files (specification section 4).

A :class:`Distribution` is parsed and validated from an inline TOML table,
knows its SciPy equivalent (the oracle for tests and for validation), and
encodes itself for the kernel's inverse-CDF sampler (:mod:`sim.kernels.sampling.inverse_cdf`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.vocab.errors import ScenarioError
from sim.scenario.families import (
    DISCRETE,
    FAMILIES,
    Family,
    number,
)  # noqa: F401

__all__ = ["DISCRETE", "FAMILIES", "Distribution"]


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
    def parse(cls, spec: dict, where: str = "") -> Distribution:
        """Validate an inline table such as ``{dist="normal", mean=1, sd=0.1}``."""
        spec = dict(spec)
        family = spec.pop("dist", None)
        if not isinstance(family, str) or family not in FAMILIES:
            raise ScenarioError(
                f"unknown dist {family!r}; expected one of {', '.join(FAMILIES)}", key=where)
        kind = FAMILIES[family]
        required, optional = kind.required, kind.optional
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
        lo = number(spec.pop("min"), where, "min") if "min" in spec else None
        hi = number(spec.pop("max"), where, "max") if "max" in spec else None
        args = {}
        for k, v in spec.items():
            if family == "choice":
                args[k] = v
            else:
                args[k] = number(v, where, k)
        def need(cond: bool, msg: str) -> None:
            if not cond:
                raise ScenarioError(f"{family}: {msg}", key=where)

        kind.check(args, need, where)
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
    def kind(self) -> Family:
        """The family object (:mod:`sim.scenario.families`)."""
        return FAMILIES[self.family]

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
        if "scipy" not in self._cache:
            self._cache["scipy"] = self.kind.scipy(self.params)
        return self._cache["scipy"]

    def cdf_bounds(self) -> tuple[float, float]:
        """``F(min)`` and ``F(max)`` of the untruncated distribution."""
        if self.is_discrete:
            return 0.0, 1.0
        lo = float(self.cdf(self.min)) if self.min is not None else 0.0
        hi = float(self.cdf(self.max)) if self.max is not None else 1.0
        return lo, hi

    def cdf(self, x) -> np.ndarray:
        """CDF of the untruncated distribution (scipy.special closed forms)."""
        return self.kind.cdf(self.params, np.asarray(x, dtype=float))

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
        code, par, _, _, table, n_table = self.encode()
        return self.kind.ppf(self.params, v, (code, par, table, n_table))

    def support(self) -> tuple[float, float]:
        """The smallest and largest value the kernel's generator can draw."""
        from sim.kernels.sampling.rng import U_MAX, U_MIN
        lo, hi = self.ppf([U_MIN, U_MAX])
        return float(lo), float(hi)

    def mean(self) -> float:
        """Mean of the truncated distribution (for summaries and tests)."""
        if self.min is None and self.max is None:
            return self.kind.mean(self.params)
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
        code, par, table, n_table = self.kind.encode(self.params)
        lo, hi = self.cdf_bounds()
        out = (code, par, lo, hi - lo, table, n_table)
        self._cache["encoded"] = out
        return out
