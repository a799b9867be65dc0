"""Compile a :class:`~sim.scenario.Scenario` into the flat arrays kernels read."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .model.params import COMPUTE_RULES, PRETRAIN, ROUTES, RULE_POWER
from .outputs import N_PATH_FIELDS, N_STATS
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
    # Investors' belief (MODEL.md section 8): entry b sets the belief's
    # parameter b_target[b] to b_const[b] (b_dim[b] = -1) or to the inverse
    # CDF of uniform u[b_dim[b]]: reality's own uniform for a key reality
    # samples (comonotone draws), or a dimension of its own after the
    # incident uniforms for a key constant in reality.
    b_target: np.ndarray = None  # (m,) int64
    b_dim: np.ndarray = None  # (m,) int64, -1 for a constant
    b_family: np.ndarray = None
    b_par: np.ndarray = None  # (m, 4)
    b_lo: np.ndarray = None
    b_span: np.ndarray = None
    b_offset: np.ndarray = None
    b_n_table: np.ndarray = None
    b_const: np.ndarray = None
    belief_keys: tuple[str, ...] = ()
    n_belief_dims: int = 0  # dimensions of belief-only uniforms
    belief_incidents: bool = False
    path: bool = True  # evaluate the valuation path (MODEL.md section 9)

    @property
    def n_sampled(self) -> int:
        return len(self.target)

    @property
    def n_dims(self) -> int:
        return self.n_sampled + self.horizon + self.n_belief_dims

    @property
    def n_sizes(self) -> int:
        return len(self.log_sizes)

    @property
    def n_columns(self) -> int:
        """Output columns per size: the statistics, then the path's years."""
        years = self.horizon + 1 if self.path else 0
        return N_STATS + years * N_PATH_FIELDS


def build_plan(scenario, path: bool = True) -> Plan:
    """The kernels' arrays for ``scenario``; ``path`` adds the valuation path
    (mark-to-market ROI and cash flows per year, MODEL.md section 9)."""
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
    belief = {"target": [], "dim": [], "family": [], "par": [], "lo": [], "span": [],
              "offset": [], "n_table": [], "const": []}
    n_belief_dims = 0
    horizon = int(scenario.horizon_years)
    for key, value in scenario.belief.items():
        belief["target"].append(PARAMETERS[key].index)
        if isinstance(value, Distribution):
            code, p, f_lo, f_span, table, n_tab = value.encode()
            if key in keys:
                dim = keys.index(key)  # reality's uniform: comonotone with reality
            else:
                dim = len(keys) + horizon + n_belief_dims
                n_belief_dims += 1
            for name, x in (("dim", dim), ("family", code), ("par", p), ("lo", f_lo),
                            ("span", f_span), ("offset", position), ("n_table", n_tab),
                            ("const", math.nan)):
                belief[name].append(x)
            tables.append(table)
            position += len(table)
        else:
            for name, x in (("dim", -1), ("family", 0), ("par", np.zeros(4)), ("lo", 0.0),
                            ("span", 1.0), ("offset", 0), ("n_table", 0),
                            ("const", float(value))):
                belief[name].append(x)
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
        horizon=horizon,
        sampled_keys=tuple(keys),
        corr_dims=corr_dims,
        corr_chol=np.ascontiguousarray(corr_chol),
        route=scenario.route,
        compute_rule=scenario.compute_rule,
        route_code=ROUTES[scenario.route],
        rule_code=COMPUTE_RULES[scenario.compute_rule],
        b_target=as_int(belief["target"]),
        b_dim=as_int(belief["dim"]),
        b_family=as_int(belief["family"]),
        b_par=np.asarray(belief["par"], dtype=float).reshape(len(belief["target"]), 4),
        b_lo=np.asarray(belief["lo"], dtype=float),
        b_span=np.asarray(belief["span"], dtype=float),
        b_offset=as_int(belief["offset"]),
        b_n_table=as_int(belief["n_table"]),
        b_const=np.asarray(belief["const"], dtype=float),
        belief_keys=tuple(scenario.belief),
        n_belief_dims=n_belief_dims,
        belief_incidents=bool(scenario.belief_incidents),
        path=bool(path),
    )
