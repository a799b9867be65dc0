"""Compile a :class:`~sim.scenario.Scenario` into the flat arrays kernels read."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .model.params import COMPUTE_RULES, PRETRAIN, ROUTES, RULE_POWER
from .registry import N_PARAMETERS, PARAMETERS
from .sampling.distributions import Distribution
from .scenario import correlation_matrices

__all__ = ["Plan", "build_plan"]


@dataclass(frozen=True)
class Plan:
    """Everything a kernel needs, as NumPy arrays and plain numbers.

    Sampled dimension ``d < n_sampled`` draws parameter ``target[d]`` by
    inverse CDF; dimensions ``n_sampled .. n_sampled + horizon - 1`` are the
    yearly incident uniforms. Rank correlations act through a Gaussian
    copula on the uniforms of ``corr_dims`` before the inverse CDFs, so
    every marginal stays exactly as declared.

    A parameter the scenario does not hold (a power-law key under
    ``compute_rule = "6ND"``, a ``finetune.*`` key under ``route =
    "pretrain"`` that no file sets; see :class:`sim.scenario.Scenario`) is NaN
    in ``theta``: the model does not read it under that route and rule, and a
    NaN would show at once if it ever did. ``route`` and ``compute_rule`` say
    which equations apply.
    """

    theta: np.ndarray  # (n_parameters,) constants; sampled entries overwritten
    target: np.ndarray  # (n_sampled,) int64
    family: np.ndarray  # (n_sampled,) int64
    par: np.ndarray  # (n_sampled, 4)
    lo: np.ndarray  # (n_sampled,) F(min)
    span: np.ndarray  # (n_sampled,) F(max) - F(min)
    offset: np.ndarray  # (n_sampled,) int64 into table
    n_table: np.ndarray  # (n_sampled,) int64
    table: np.ndarray  # concatenated family tables
    log_sizes: np.ndarray  # (n_sizes,)
    log_n_ref: float
    horizon: int
    sampled_keys: tuple[str, ...]
    corr_dims: np.ndarray  # (m,) int64: sampled dimensions tied by the copula
    corr_chol: np.ndarray  # (m, m) lower Cholesky factor of their normal correlations
    route: str = "pretrain"  # "pretrain" | "finetune" (MODEL.md section 6)
    compute_rule: str = "power"  # "power" | "6ND" (MODEL.md section 6)
    route_code: int = PRETRAIN  # sim.model.params.ROUTES
    rule_code: int = RULE_POWER  # sim.model.params.COMPUTE_RULES

    @property
    def n_sampled(self) -> int:
        return len(self.target)

    @property
    def n_dims(self) -> int:
        return self.n_sampled + self.horizon

    @property
    def n_sizes(self) -> int:
        return len(self.log_sizes)


def build_plan(scenario) -> Plan:
    theta = np.zeros(N_PARAMETERS)
    target, family, par, lo, span, offset, n_table, tables = [], [], [], [], [], [], [], []
    keys = []
    position = 0
    for key, param in PARAMETERS.items():
        value = scenario.values.get(key, math.nan)  # not in this scenario: never read
        if isinstance(value, Distribution):
            code, p, f_lo, f_span, table, n_tab = value.encode()
            keys.append(key)
            target.append(param.index)
            family.append(code)
            par.append(p)
            lo.append(f_lo)
            span.append(f_span)
            offset.append(position)
            n_table.append(n_tab)
            tables.append(table)
            position += len(table)
            theta[param.index] = math.nan  # never read: overwritten per scenario
        else:
            theta[param.index] = float(value)
    as_int = lambda x: np.asarray(x, dtype=np.int64)
    corr_dims = np.zeros(0, dtype=np.int64)
    corr_chol = np.zeros((0, 0))
    if scenario.correlations:
        corr_keys, _, normal = correlation_matrices(scenario.correlations)
        corr_dims = as_int([keys.index(k) for k in corr_keys])
        corr_chol = np.linalg.cholesky(normal)
    return Plan(
        theta=theta,
        target=as_int(target),
        family=as_int(family),
        par=np.asarray(par, dtype=float).reshape(len(target), 4),
        lo=np.asarray(lo, dtype=float),
        span=np.asarray(span, dtype=float),
        offset=as_int(offset),
        n_table=as_int(n_table),
        table=np.concatenate(tables) if tables else np.zeros(1),
        log_sizes=np.log(np.asarray(scenario.model_sizes, dtype=float)),
        log_n_ref=math.log(scenario.reference_size),
        horizon=int(scenario.horizon_years),
        sampled_keys=tuple(keys),
        corr_dims=corr_dims,
        corr_chol=np.ascontiguousarray(corr_chol),
        route=scenario.route,
        compute_rule=scenario.compute_rule,
        route_code=ROUTES[scenario.route],
        rule_code=COMPUTE_RULES[scenario.compute_rule],
    )
