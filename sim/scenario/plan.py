"""Compile a :class:`~sim.scenario.load.Scenario` into the flat arrays kernels read."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.kernels.model.params import COMPUTE_RULES, PRETRAIN, ROUTES, RULE_POWER
from sim.vocab import industry as industry_outputs
from sim.vocab.outputs import N_PATH_FIELDS, N_STATS
from sim.vocab.objectives import objective
from sim.vocab.registry import N_PARAMETERS, PARAMETERS
from sim.scenario.distributions import Distribution
from sim.scenario.load import correlation_matrices

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
    "pretrain"`` that no file sets; see :class:`sim.scenario.load.Scenario`) is NaN
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
    route: str = "pretrain"  # "pretrain" | "finetune" (specification section 6)
    compute_rule: str = "power"  # "power" | "6ND" (specification section 6)
    route_code: int = PRETRAIN  # sim.kernels.model.params.ROUTES
    rule_code: int = RULE_POWER  # sim.kernels.model.params.COMPUTE_RULES
    # Strategies (specification section 12) and beliefs (section 8) as overlays
    # (:class:`_Overlay` arrays: target, dim, family, par, lo, span, offset,
    # n_table, const, start): world s's reality is the scenario's draws with
    # entries overlay[start[s]:start[s+1]] applied; its belief is that
    # reality with no gap and the entries of ``belief``. An entry's uniform is
    # reality's own for a key the scenario samples (comonotone draws), or a
    # dimension of its own after the incident uniforms (``extra_keys``).
    overlay: tuple = None
    belief: tuple = None
    belief_keys: tuple[str, ...] = ()  # the scenario's own belief keys (first world)
    n_belief_dims: int = 0  # uniforms of their own, after the incident uniforms
    extra_keys: tuple[str, ...] = ()  # the keys behind those uniforms
    belief_incidents: bool = False
    strategy_names: tuple[str, ...] = ()
    s_route: np.ndarray = None  # (n_strategies,) route code of each world
    s_rule: np.ndarray = None
    s_belief_incidents: np.ndarray = None
    s_active: np.ndarray = None  # (n_strategies, n_sizes) grid.active_share (section 13)
    s_gap_rivals: np.ndarray = None  # (n_strategies,) market.gap_applies_to_rivals (section 14)
    s_within_pool: np.ndarray = None  # (n_strategies,) market.revenue_within_pool
    #: (n_rows,) int64: 1 where the (strategy, size) row is an alternative, 0
    #: where the strategy does not declare that size (evaluated, never chosen).
    alternatives: np.ndarray = None
    objective_code: int = 0  # sim.vocab.objectives.Objective.code
    voi_bins: int = 32
    path: bool = True  # evaluate the valuation path (specification section 9)
    model_sizes: tuple[float, ...] = ()  # the scenario's sizes, as written (log_sizes: their logs)
    # The industry frame (specification section 15): no sizes, one row of
    # outputs (sim.vocab.industry), per-year uniforms from streams of their own.
    frame: str = "project"
    start_year: int = 2023
    valuation_horizon: int = 5
    active_share: float = 1.0  # s_a of the industry frame

    @property
    def industry(self) -> bool:
        return self.frame == "industry"

    @property
    def n_sampled(self) -> int:
        return len(self.target)

    @property
    def n_dims(self) -> int:
        """Uniforms per scenario in the design's stream: sampled keys, then the
        yearly incident uniforms. The uniforms of keys that only a belief or a
        strategy makes uncertain come from a stream of their own (see
        :func:`sim.kernels.sampling.draw.fill_extra_uniforms`), so declaring one
        changes no draw of reality. The industry frame's yearly uniforms
        (demand shocks, incidents) come from streams of their own, so its
        design holds the sampled keys alone."""
        if self.industry:
            return self.n_sampled
        return self.n_sampled + self.horizon

    @property
    def n_uniforms(self) -> int:
        """Uniforms per scenario in all: the design's, then the extra ones."""
        return self.n_dims + self.n_belief_dims

    @property
    def n_sizes(self) -> int:
        """Model sizes (the industry frame's one row counts as one)."""
        return 1 if self.industry else len(self.log_sizes)

    @property
    def n_strategies(self) -> int:
        return len(self.strategy_names)

    @property
    def n_rows(self) -> int:
        """Alternatives: (strategy, size) pairs, strategy-major."""
        return self.n_strategies * self.n_sizes

    @property
    def n_columns(self) -> int:
        """Output columns per size: the statistics, then the path's years
        (the industry frame: its scalars, then its fields per year)."""
        if self.industry:
            return industry_outputs.n_columns(self.horizon)
        years = self.horizon + 1 if self.path else 0
        return N_STATS + years * N_PATH_FIELDS


def build_plan(scenario, path: bool = True) -> Plan:
    """The kernels' arrays for ``scenario``; ``path`` adds the valuation path
    (mark-to-market ROI and cash flows per year, specification section 9)."""
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
    horizon = int(scenario.horizon_years)
    extra_keys: list[str] = []  # keys with a uniform of their own, after the incident uniforms

    def dim_of(key: str) -> int:
        """The uniform behind ``key``: reality's own if the scenario samples it
        (comonotone draws), else one dimension per key, shared by every
        strategy and belief that makes the key uncertain."""
        if key in keys:
            return keys.index(key)
        if key not in extra_keys:
            extra_keys.append(key)
        return len(keys) + horizon + extra_keys.index(key)

    store = {"tables": tables, "position": position}  # shared by both overlays
    overlay = _Overlay(store)
    beliefs = _Overlay(store)
    worlds = scenario.worlds()
    for world in worlds:
        for key in PARAMETERS:  # the strategy's reality, relative to the scenario's draws
            value, base = world.values.get(key, math.nan), scenario.values.get(key, math.nan)
            if not _same(value, base):
                overlay.add(key, value, dim_of)
        overlay.close()
        for key, value in world.belief.items():  # the strategy's belief, relative to its reality
            beliefs.add(key, value, dim_of)
        beliefs.close()
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
        log_sizes=np.log(np.asarray(scenario.model_sizes or (1.0,), dtype=float)),
        log_n_ref=math.log(scenario.reference_size),
        horizon=horizon,
        sampled_keys=tuple(keys),
        corr_dims=corr_dims,
        corr_chol=np.ascontiguousarray(corr_chol),
        route=scenario.route,
        compute_rule=scenario.compute_rule,
        route_code=ROUTES[scenario.route],
        rule_code=COMPUTE_RULES[scenario.compute_rule],
        overlay=overlay.arrays(),
        belief=beliefs.arrays(),
        belief_keys=tuple(scenario.belief),
        n_belief_dims=len(extra_keys),
        extra_keys=tuple(extra_keys),
        belief_incidents=bool(scenario.belief_incidents),
        path=bool(path),
        strategy_names=tuple(scenario.strategy_names),
        s_route=as_int([ROUTES[w.route] for w in worlds]),
        s_rule=as_int([COMPUTE_RULES[w.compute_rule] for w in worlds]),
        s_belief_incidents=as_int([int(w.belief_incidents) for w in worlds]),
        s_active=np.asarray([w.active_shares for w in worlds], dtype=float),
        s_gap_rivals=as_int([int(w.gap_applies_to_rivals) for w in worlds]),
        s_within_pool=as_int([int(w.revenue_within_pool) for w in worlds]),
        alternatives=as_int(scenario.alternative_mask().ravel()),
        objective_code=objective(scenario.objective).code,
        voi_bins=int(scenario.voi_bins),
        model_sizes=tuple(float(s) for s in scenario.model_sizes),
        frame=scenario.frame,
        start_year=int(scenario.start_year),
        valuation_horizon=int(scenario.valuation_horizon),
        active_share=float(scenario.active_shares[0]) if scenario.industry else 1.0,
    )


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


class _Overlay:
    """Entries that set parameters of one world after another (the
    strategies' realities, or their beliefs): each sets ``target`` to a
    constant, or to the inverse CDF of uniform ``dim``; ``start[s]`` is where
    world ``s``'s entries begin. Distribution tables go to the plan's shared
    table."""

    FIELDS = ("target", "dim", "family", "par", "lo", "span", "offset", "n_table", "const")

    def __init__(self, store: dict):
        self.store = store
        self.rows = {f: [] for f in self.FIELDS}
        self.start = [0]

    def add(self, key: str, value, dim_of) -> None:
        r = self.rows
        r["target"].append(PARAMETERS[key].index)
        if isinstance(value, Distribution):
            code, p, f_lo, f_span, table, n_tab = value.encode()
            row = (dim_of(key), code, p, f_lo, f_span, self.store["position"], n_tab, math.nan)
            self.store["tables"].append(table)
            self.store["position"] += len(table)
        else:
            row = (-1, 0, np.zeros(4), 0.0, 1.0, 0, 0, float(value))
        for name, x in zip(self.FIELDS[1:], row):
            r[name].append(x)

    def close(self) -> None:
        self.start.append(len(self.rows["target"]))

    def arrays(self) -> tuple:
        r = self.rows
        as_int = lambda x: np.asarray(x, dtype=np.int64)
        return (as_int(r["target"]), as_int(r["dim"]), as_int(r["family"]),
                np.asarray(r["par"], dtype=float).reshape(len(r["target"]), 4),
                np.asarray(r["lo"], dtype=float), np.asarray(r["span"], dtype=float),
                as_int(r["offset"]), as_int(r["n_table"]), np.asarray(r["const"], dtype=float),
                as_int(self.start))
