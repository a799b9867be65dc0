"""One registry of scenario keys: symbol, unit, bounds, meaning and default.

It drives validation, the kernel's parameter vector layout (``index``), the
CLI help and ``docs/model.md`` (a test checks that every key is documented).

Keys of model v2 (specification sections 6, 7, 10, 11) are appended after the v1
keys, so the v1 positions never move. Each has a ``default`` that gives v1
exactly (a file written for v1 loads with v1 meaning); a key without a default
must be set, unless it belongs to a route or compute rule that is not in use
(:func:`required_keys`, :data:`POWER_LAW_KEYS`, :data:`FINETUNE_KEYS`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.vocab.objectives import DEFAULT_OBJECTIVE, OBJECTIVES


@dataclass(frozen=True)
class Bounds:
    """Allowed values of a parameter: ``lower <(=) x <(=) upper``."""

    lower: float = -math.inf
    upper: float = math.inf
    lower_open: bool = False
    upper_open: bool = False
    infinite: bool = False  # whether +inf is allowed as a constant (an unlimited stock)

    def contains(self, x: float) -> bool:
        if math.isnan(x):
            return False
        if math.isinf(x):
            return self.infinite and x > 0
        if self.lower_open and not x > self.lower:
            return False
        if not self.lower_open and not x >= self.lower:
            return False
        if self.upper_open and not x < self.upper:
            return False
        if not self.upper_open and not x <= self.upper:
            return False
        return True

    def describe(self) -> str:
        text = self._describe_finite()
        return f"{text} or inf" if self.infinite else text

    def _describe_finite(self) -> str:
        lo, hi = self.lower, self.upper
        if lo == -math.inf and hi == math.inf:
            return "a finite number"
        if hi == math.inf:
            return f"a number {'>' if self.lower_open else '>='} {lo:g}"
        if lo == -math.inf:
            return f"a number {'<' if self.upper_open else '<='} {hi:g}"
        left = "(" if self.lower_open else "["
        right = ")" if self.upper_open else "]"
        return f"a number in {left}{lo:g}, {hi:g}{right}"


REAL = Bounds()
POSITIVE = Bounds(0.0, lower_open=True)
NON_NEGATIVE = Bounds(0.0)
PROBABILITY = Bounds(0.0, 1.0)
FRACTION_BELOW_ONE = Bounds(0.0, 1.0, upper_open=True)
UNIT_INTERVAL_OPEN_LOW = Bounds(0.0, 1.0, lower_open=True)
ABOVE_MINUS_ONE = Bounds(-1.0, lower_open=True)
POSITIVE_OR_INF = Bounds(0.0, lower_open=True, infinite=True)

# Bounds where the equations overflow (specification section 1, "Ranges"). Each is
# far beyond any value a source supports, and each was found by evaluating
# the model with the key at its bound and every other key at the bundled
# scenarios' values (tests/analyses/test_finite.py keeps it so): past them, a power, a
# product or a ratio leaves the range of float64 and the ROI is inf or NaN.
EXPONENT = Bounds(-10.0, 10.0)  # N^10 over the grid's 16 decades is 1e160
LOSS_EXPONENT = Bounds(0.0, 10.0, lower_open=True)
UTILIZATION = Bounds(1e-6, 1.0)  # below a millionth, the cost per FLOP overflows
MULTIPLE = Bounds(0.0, 1e6, lower_open=True)  # a ratio to a reference: up to a millionfold
SHARE = Bounds(0.0, 1e6)  # spend as a multiple of other costs, severity per revenue
TOKENS = Bounds(0.0, 1e30, lower_open=True)  # 1e30 tokens: 1e15 times the web's text
USD_PER_UNIT = Bounds(0.0, 1e6)  # a million USD per token or per GPU-hour
GROWTH = Bounds(-1.0, 10.0, lower_open=True)  # elevenfold a year, for up to 100 years
SHARPNESS = Bounds(0.0, 100.0)
PEAK_FLOPS = Bounds(1.0)
#: Model sizes and the reference size, parameters: one to ten quadrillion.
MODEL_SIZE = Bounds(1.0, 1e16)


@dataclass(frozen=True)
class Parameter:
    """A sampled-or-constant model input (specification section 1)."""

    key: str
    symbol: str
    unit: str
    bounds: Bounds
    meaning: str
    index: int = -1  # position in the kernel's parameter vector
    default: float | None = None  # value when a file leaves the key out (None: no default)


_PARAMETERS = [
    ("finance.discount_rate", "r", "1/year", ABOVE_MINUS_ONE, "yearly discount rate"),
    ("scaling.data_exponent", "a", "1", EXPONENT, "D = D_ref (N/N_ref)^a"),
    ("scaling.tokens_at_reference", "D_ref", "tokens", TOKENS, "training tokens at N_ref"),
    ("scaling.compute_exponent", "b", "1", EXPONENT, "R = R_ref (N/N_ref)^b"),
    ("scaling.flops_at_reference", "R_ref", "FLOP", POSITIVE, "final-run training FLOP at N_ref"),
    ("scaling.experiment_overhead", "o", "1", MULTIPLE, "total R&D compute / final training run"),
    ("performance.irreducible_loss", "E", "nats/token", NON_NEGATIVE, "irreducible loss of the Chinchilla fit"),
    ("performance.param_coefficient", "A", "1", POSITIVE, "parameter term coefficient of the loss fit"),
    ("performance.data_coefficient", "B", "1", POSITIVE, "data term coefficient of the loss fit"),
    ("performance.param_exponent", "alpha", "1", LOSS_EXPONENT, "parameter exponent of the loss fit"),
    ("performance.data_exponent", "beta", "1", LOSS_EXPONENT, "data exponent of the loss fit"),
    ("performance.deployment_gap", "g", "1", FRACTION_BELOW_ONE, "share of lab capability lost in production"),
    ("costs.gpu_hour_price", "p_h", "USD/GPU-hour", Bounds(0.0, 1e6, lower_open=True), "price of one GPU-hour"),
    ("costs.gpu_peak_flops", "F_pk", "FLOP/s", PEAK_FLOPS, "peak dense FLOP/s per GPU"),
    ("costs.training_utilization", "u_tr", "1", UTILIZATION, "model FLOP utilization in training"),
    ("costs.serving_utilization", "u_sv", "1", UTILIZATION, "utilization when serving"),
    ("costs.serving_cost_decline", "delta_s", "1/year", PROBABILITY, "yearly fall of the serving cost per token"),
    ("costs.data_price_per_token", "p_d", "USD/token", USD_PER_UNIT, "price per training token (acquire, clean, license)"),
    ("costs.fixed_cost_at_reference", "K_ref", "USD", NON_NEGATIVE, "team, infrastructure, evaluation at N_ref"),
    ("costs.fixed_cost_exponent", "f", "1", EXPONENT, "K = K_ref (N/N_ref)^f"),
    ("risk.control_share", "rho", "1", SHARE, "risk-control spend as a share of the other up-front costs"),
    ("risk.incident_rate", "lambda0", "1/year", PROBABILITY, "yearly incident probability without risk control"),
    ("risk.control_effectiveness", "kappa", "1", NON_NEGATIVE, "lambda = lambda0 exp(-kappa rho)"),
    ("risk.incident_severity", "v", "1", SHARE, "share of that year's revenue lost to one incident"),
    ("market.revenue_pool", "M", "USD/year", NON_NEGATIVE, "addressable revenue in year 1"),
    ("market.growth", "g_M", "1/year", GROWTH, "yearly growth of the revenue pool"),
    ("market.competitors", "k", "models", NON_NEGATIVE, "number of rival models of frontier quality"),
    ("market.competitor_size", "N_c", "parameters", MODEL_SIZE, "parameters of a rival model at release"),
    ("market.frontier_progress", "phi", "1/year", FRACTION_BELOW_ONE, "yearly fall of rivals' reducible loss"),
    ("market.share_sharpness", "gamma", "1", SHARPNESS, "how strongly quality wins share"),
    ("market.token_price", "p_t", "USD/token", POSITIVE, "market price per output token in year 1"),
    ("market.token_price_decline", "delta", "1/year", PROBABILITY, "yearly fall of the token price"),
    ("market.hype", "h", "1", MULTIPLE, "investors' revenue expectation / realistic pool"),
    # ---- model v2 (specification sections 6, 7, 10, 11): appended, so v1 positions stay.
    # A sixth entry is the default, which gives v1 exactly when the key is left out.
    ("finetune.base_tokens_per_param", "tau_b", "tokens/parameter", POSITIVE,
     "training tokens per parameter of the open base model"),
    ("finetune.tokens", "D_ft", "tokens", TOKENS, "fine-tuning tokens"),
    ("finetune.compute_share", "c_ft", "1", UNIT_INTERVAL_OPEN_LOW,
     "compute per token relative to full fine-tuning (parameter-efficient < 1)"),
    ("finetune.data_price_per_token", "p_ft", "USD/token", USD_PER_UNIT,
     "price per labelled fine-tuning token"),
    ("finetune.fixed_cost_at_reference", "K_ft", "USD", NON_NEGATIVE,
     "fine-tuning team and evaluation at N_ref"),
    ("finetune.domain_gain", "eta", "1", FRACTION_BELOW_ONE,
     "share of the base's reducible loss removed on the target domain"),
    ("finetune.license_cost", "C_lic", "USD", NON_NEGATIVE,
     "one-off licence for the base model", 0.0),
    ("market.price_premium", "m", "1", MULTIPLE, "our price / the market price", 1.0),
    ("market.price_sensitivity", "epsilon", "1", NON_NEGATIVE,
     "how strongly a higher price loses share", 0.0),
    ("scaling.data_stock", "S_D", "tokens", POSITIVE_OR_INF,
     "unique tokens of usable training data", math.inf),
    ("scaling.repeat_horizon", "R_star", "epochs", POSITIVE,
     "how fast repeated data loses value", 15.4),
    ("costs.cluster_gpus", "G", "GPUs", POSITIVE_OR_INF,
     "GPUs available for the final training run", math.inf),
    ("risk.robustness_share", "rho_g", "1", SHARE,
     "robustness spend (evaluation, red-teaming, data quality) as a share of up-front costs", 0.0),
    ("risk.robustness_effectiveness", "kappa_g", "1", NON_NEGATIVE,
     "g_eff = g exp(-kappa_g rho_g)", 0.0),
    ("risk.compliance_cost", "Y", "USD/year", NON_NEGATIVE,
     "yearly cost of the duties of a systemic-risk model, per served year", 0.0),
    ("risk.compliance_threshold", "R_Y", "FLOP", NON_NEGATIVE,
     "final-run training FLOP from which the compliance cost applies", 1e25),
    # Model v2, section 9: how fast investors learn from realized revenue.
    ("expectation.learning_rate", "w", "1", PROBABILITY,
     "weight of each year's revenue surprise in investors' belief, b_t = (1-w) b_(t-1) + w ratio_t", 0.5),
    # ---- model v3 (specification sections 13, 14): appended, so v2 positions stay;
    # each default gives v2 exactly when the key is left out.
    ("performance.moe_quality_weight", "omega", "1", PROBABILITY,
     "weight of the total size in the quality-equivalent size N_q = N_act^(1-omega) N^omega", 0.5),
    ("costs.input_ratio", "r_in", "tokens/token", Bounds(0.0, 1e4),
     "uncached input (prompt) tokens processed per output token", 0.0),
    ("costs.prefill_utilization", "u_pf", "1", UTILIZATION,
     "FLOP utilization when processing input tokens", 0.5),
    ("market.price_quality_exponent", "theta", "1", Bounds(0.0, 20.0),
     "how our price follows our quality relative to the rivals': price = m tier (l_c/l)^theta", 0.0),
    # ---- the industry frame (specification section 15): appended, read only
    # under frame = "industry". Defaults are the bundled `industry` scenario's
    # medians (scenarios/industry.toml cites the source of each).
    ("industry.labs_initial", "n_1", "labs", Bounds(1.0, 1e4), "frontier labs in year 1", 4.268),
    ("industry.frontier_flops", "R_1", "FLOP", Bounds(1.0, 1e35),
     "final-run FLOP of a frontier model in year 1", 2.236e+25),
    ("industry.compute_growth", "g_C", "x/year", Bounds(0.0, 100.0, lower_open=True),
     "planned yearly growth factor of a lab's final run", 4.5),
    ("industry.tokens_per_param", "tau", "tokens/parameter", Bounds(0.0, 1e6, lower_open=True),
     "training tokens per total parameter of the frontier run", 32.4),
    ("industry.flop_cost_decline", "delta_c", "1/year", FRACTION_BELOW_ONE,
     "yearly fall of the cost of a training FLOP (hardware price-performance)", 0.28),
    ("industry.fixed_cost", "K_1", "USD/year", Bounds(0.0, 1e13),
     "a lab's yearly non-compute cost in year 1 (staff, data, evaluation)", 424300000.0),
    ("industry.fixed_cost_growth", "g_K", "1/year", GROWTH, "yearly growth of a lab's fixed cost", 0.495),
    ("industry.ultimate_pool", "W", "USD/year", Bounds(0.0, 1e15),
     "yearly spend on frontier models at full adoption", 221400000000.0),
    ("industry.bass_innovation", "p_B", "1/year", UNIT_INTERVAL_OPEN_LOW,
     "Bass coefficient of innovation", 0.01414),
    ("industry.bass_imitation", "q_B", "1/year", Bounds(0.0, 10.0), "Bass coefficient of imitation", 0.5477),
    ("industry.demand_volatility", "sigma_z", "1", Bounds(0.0, 3.0), "yearly log-sd of demand shocks", 0.175),
    ("industry.free_share", "f_0", "1", FRACTION_BELOW_ONE, "share of served tokens that pay nothing", 0.7236),
    ("industry.price_entry_elasticity", "eta", "1", POSITIVE_OR_INF,
     "the tier price scales as (n_y / n_1)^(-1/eta) (inf: entry does not move prices)", 1.673),
    ("industry.entry_speed", "nu", "1/year", Bounds(0.0, 100.0),
     "yearly growth of the lab count per unit of Q - 1 above 0", 0.3817),
    ("industry.exit_speed", "chi", "1/year", Bounds(0.0, 100.0),
     "yearly fall of the lab count per unit of 1 - Q above 0", 0.3128),
    ("industry.gpus_per_gw", "G_W", "H100e/GW", Bounds(1.0, 1e9), "H100-equivalents per gigawatt of data-centre power", 683700.0),
    ("industry.serving_params", "N_S", "parameters", MODEL_SIZE,
     "active parameters of the model that serves most tokens, year 1", 70710000000.0),
    ("industry.serving_params_growth", "g_S", "x/year", Bounds(0.0, 100.0, lower_open=True),
     "yearly growth factor of the served model's active parameters", 0.9539),
    ("industry.compute_supply", "S_H", "H100e", POSITIVE_OR_INF,
     "H100-equivalents available to the frontier labs in year 1 (inf: no scarcity)", 489900.0),
    ("industry.compute_supply_growth", "g_H", "x/year", Bounds(0.0, 100.0, lower_open=True),
     "yearly growth factor of the compute supply", 2.646),
    ("industry.scarcity_exponent", "psi", "1", Bounds(0.0, 10.0),
     "the GPU-hour price rises as (demand / supply)^psi when demand exceeds supply", 1.25),
    ("industry.scarcity_pass_through", "pi", "1", PROBABILITY,
     "how much of last year's scarcity the labs pass on in the tier price", 0.1838),
    ("industry.scaling_persistence", "d", "1", PROBABILITY,
     "investors' belief in how long labs keep scaling: planned growth tau years ahead is "
     "1 + (g_C - 1) d^(tau-1)", 0.85),
    ("expectation.initial_growth", "ghat_0", "1/year", Bounds(-1.0, 100.0, lower_open=True),
     "investors' believed yearly growth of revenue before year 1", 3.817),
]

PARAMETERS: dict[str, Parameter] = {
    entry[0]: Parameter(*entry[:5], index=i, default=entry[5] if len(entry) > 5 else None)
    for i, entry in enumerate(_PARAMETERS)
}
N_PARAMETERS = len(PARAMETERS)

#: Model v3's parameters (specification sections 13, 14), whose defaults give v2.
V3_KEYS = ("performance.moe_quality_weight", "costs.input_ratio", "costs.prefill_utilization",
           "market.price_quality_exponent")
assert all(k in PARAMETERS for k in V3_KEYS)

#: The industry frame's own parameters (specification section 15), read only
#: under ``frame = "industry"`` and refused in a project-frame file.
INDUSTRY_KEYS = tuple(k for k in PARAMETERS if k.startswith("industry.")) + ("expectation.initial_growth",)
#: Project-frame parameters the industry frame reads too (section 15, "Reused keys").
INDUSTRY_REUSED = ("finance.discount_rate", "scaling.experiment_overhead", "costs.gpu_hour_price",
                   "costs.gpu_peak_flops", "costs.training_utilization", "costs.serving_utilization",
                   "costs.serving_cost_decline", "costs.input_ratio", "costs.prefill_utilization",
                   "costs.data_price_per_token", "risk.control_share", "risk.robustness_share",
                   "risk.robustness_effectiveness", "risk.incident_rate", "risk.control_effectiveness",
                   "risk.incident_severity", "performance.deployment_gap", "market.token_price",
                   "market.token_price_decline", "market.hype", "expectation.learning_rate")
assert all(k in PARAMETERS for k in INDUSTRY_REUSED)
#: Every parameter the industry frame reads.
INDUSTRY_PARAMETERS = INDUSTRY_REUSED + INDUSTRY_KEYS
#: The frames (specification section 15): one model per size, or the industry over calendar years.
FRAMES = ("project", "industry")

#: Read only under ``scaling.compute_rule = "power"``; refused under "6ND".
POWER_LAW_KEYS = ("scaling.compute_exponent", "scaling.flops_at_reference")
#: The fine-tuning route's keys; those without a default are required under
#: ``route = "finetune"`` and optional (unused) under "pretrain".
FINETUNE_KEYS = tuple(k for k in PARAMETERS if k.startswith("finetune."))

#: Structural keys with a fixed set of string values: (allowed values, default).
CHOICES: dict[str, tuple[tuple[str, ...], str]] = {
    "frame": (FRAMES, "project"),
    "route": (("pretrain", "finetune"), "pretrain"),
    "scaling.compute_rule": (("power", "6ND"), "power"),
    "decision.objective": (tuple(OBJECTIVES), DEFAULT_OBJECTIVE),
}

#: Scenario keys that are structural: plain values, never sampled.
STRUCTURAL = {
    "horizon_years": "years of revenue counted (integer, 1 to 100)",
    "grid.model_sizes": "model sizes evaluated, parameters (list of positive numbers)",
    "grid.reference_size": "size where the scaling curves are pinned, parameters",
    "route": 'technology route: "pretrain" (train our own model) or "finetune" (adapt an open base)',
    "scaling.compute_rule": 'final-run compute: "power" (R_ref (N/N_ref)^b) or "6ND" (6 N D)',
    "decision.objective": 'what "best" maximizes: ' + " or ".join(
        f'"{o.name}" ({o.description})' for o in OBJECTIVES.values()),
    "decision.voi_bins": "equal-probability bins of a parameter's uniform for EVPPI (integer, 2 to 1024)",
    "grid.active_share": "parameters active per token / total parameters (mixture of experts): "
                         "a number in (0, 1], or a list with one per model size",
    "market.gap_applies_to_rivals": "whether the rivals' users see a deployment gap too (true or false)",
    "market.revenue_within_pool": "whether the pool bounds our revenue when price by quality lifts our "
                                  "price above the tier's (true or false; false: Rev = M share m q)",
    "frame": '"project" (one model of each size) or "industry" (the frontier industry over calendar '
             'years, specification section 15)',
    "industry.start_year": "calendar year of year 1 of the industry frame (integer, a label)",
    "industry.valuation_horizon": "years investors look ahead in the industry frame's valuation ratio "
                                  "Q (integer, 1 to 50)",
}

#: Structural keys with a default, so a scenario need not set them.
STRUCTURAL_DEFAULTS = {"decision.voi_bins": 32, "grid.active_share": 1.0,
                       "industry.start_year": 2023, "industry.valuation_horizon": 5,
                       "market.gap_applies_to_rivals": False, "market.revenue_within_pool": False}

#: Named strategies (specification section 12): ``[strategies.NAME]`` tables of
#: overrides, and the keys a strategy may not change. A strategy's own
#: ``grid.model_sizes`` is not an override: it says at which of the scenario's
#: sizes the strategy is an alternative (docs/model.md section 2d).
STRATEGIES = "strategies"
NOT_IN_STRATEGY = ("frame", "grid.reference_size", "horizon_years",
                   "finance.discount_rate", "decision.objective", "decision.voi_bins")

#: Rates and shares whose values above this are most likely a percent typed
#: as a whole number (10 for 0.10): the loader warns (a
#: :class:`sim.vocab.errors.PlausibilityWarning`, not an error) for a constant
#: above it, or a distribution whose median is. These are the keys in 1/year
#: or 1 whose bounds allow values above 1 and for which such values make no
#: sense: a discount rate of 100% a year; risk spend or an incident's loss
#: above the costs or the revenue they are a share of. Growth rates may pass
#: 1 (the baseline's market.growth reaches 2, three times a year; a lab's
#: fixed cost doubled in 2024), so their line is higher. Keys that are not
#: listed are fine above 1: ratios and multiples (market.hype,
#: market.price_premium, scaling.experiment_overhead, costs.input_ratio),
#: growth factors in x/year (industry.compute_growth and the like),
#: coefficients (risk.control_effectiveness, market.share_sharpness,
#: industry.entry_speed, industry.exit_speed, industry.bass_imitation) and
#: expectation.initial_growth (3.8 a year in the bundled industry scenario).
#: Keys bounded by 1 (costs.serving_cost_decline, risk.incident_rate, ...)
#: refuse a value above 1, and the error says "did you mean 0.30?".
PLAUSIBLE_MAX: dict[str, float] = {
    "finance.discount_rate": 1.0,
    "risk.control_share": 1.0,
    "risk.robustness_share": 1.0,
    "risk.incident_severity": 1.0,
    "market.growth": 3.0,
    "industry.fixed_cost_growth": 2.0,
}

#: Optional descriptive keys.
DESCRIPTIVE = {
    "name": "scenario name (defaults to the file's stem)",
    "description": "free text shown by `sim scenarios` and stored with results",
    "extends": "parent scenario file, relative to this one (or a bundled name)",
}

SECTIONS = sorted({k.split(".")[0] for k in PARAMETERS} | {"grid", "decision"})

#: Investors' beliefs (specification section 8): the table that holds them, its
#: structural switch, and the keys that cannot be believed differently.
BELIEF = "expectation"
BELIEF_INCIDENTS = "expectation.incidents"
NOT_BELIEVABLE = ("finance.discount_rate", "grid.model_sizes", "grid.reference_size",
                  "horizon_years", "route", "scaling.compute_rule", "grid.active_share",
                  "market.gap_applies_to_rivals", "market.revenue_within_pool", "frame")


def believable(key: str) -> bool:
    """Whether ``key`` may take another value in investors' belief (the
    industry frame's beliefs are its own keys, not believed values)."""
    return (key in PARAMETERS and key not in NOT_BELIEVABLE and not key.startswith(BELIEF + ".")
            and key not in INDUSTRY_KEYS)


def index(key: str) -> int:
    """Position of ``key`` in the kernel's parameter vector."""
    return PARAMETERS[key].index


def required_keys(route: str = "pretrain", compute_rule: str = "power") -> list[str]:
    """Parameters a scenario must set (no default) under this route and rule.

    The compute rule decides about :data:`POWER_LAW_KEYS` (required under
    "power", refused under "6ND", whatever the route); the fine-tuning route
    adds :data:`FINETUNE_KEYS` and removes nothing.
    """
    out = []
    for key, p in PARAMETERS.items():
        if p.default is not None:
            continue
        if key in POWER_LAW_KEYS and compute_rule != "power":
            continue
        if key in FINETUNE_KEYS and route != "finetune":
            continue
        out.append(key)
    return out


def refused_keys(compute_rule: str) -> tuple[str, ...]:
    """Parameters a scenario may not set under this compute rule."""
    return POWER_LAW_KEYS if compute_rule == "6ND" else ()


__all__ = ["PLAUSIBLE_MAX", "FRAMES", "INDUSTRY_KEYS", "INDUSTRY_PARAMETERS", "INDUSTRY_REUSED", "V3_KEYS", "NOT_IN_STRATEGY", "STRATEGIES", "STRUCTURAL_DEFAULTS", "BELIEF", "BELIEF_INCIDENTS", "NOT_BELIEVABLE", "believable",
           "DESCRIPTIVE", "MODEL_SIZE", "N_PARAMETERS", "PARAMETERS", "SECTIONS", "STRUCTURAL", "Bounds",
           "Parameter", "index"]
