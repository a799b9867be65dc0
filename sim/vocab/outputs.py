"""The vocabulary of output statistics: one table, read by every layer.

Each per-size statistic the model writes has an index (its column in the
kernel's ``out[size, index]``), a name (``<name>_mean`` and
``<name>_mean_se`` in a result), a long name and units. The model writes by
index, the engine reduces every column, results name them, plots read the
names: all from :data:`STATISTICS`, so adding a statistic is one line here
and one assignment in the model.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PATH_FIELDS", "PathField", "column_name",
           "BEST", "COMPLIANCE_COST_NPV", "COST_Y1", "MARGIN_Y1", "PRICE_DECLINE_FIXED", "PRICE_Y1",
           "SERVED_Y1", "SIZE_FREE_HISTOGRAMS", "V3_HISTOGRAMS", "COMPUTE_COST", "DATA_COST", "DATA_LIMITED", "FIXED_COST",
           "HISTOGRAMS", "INCIDENT_LOSS_NPV", "INVESTMENT", "LAB_LOSS", "LICENSE_COST",
           "LOSS", "MARKET_SHARE", "MAX_OBJECTIVE", "NET_VALUE", "N_PATH_FIELDS", "N_STATS",
           "PATH_BELOW", "PATH_CASH_FLOW", "PATH_CASH_FLOW_EXPECTED", "PATH_COOLED",
           "PATH_MTM", "PATH_PAYBACK", "REGRET", "RELEASE_DELAY", "REVENUE_NPV",
           "RISK_CONTROL_COST", "ROBUSTNESS_COST", "ROI", "ROI_EXPECTED", "ROI_GAP",
           "SERVING_COST_NPV", "STAT_BY_NAME", "Statistic", "TRAINING_FLOPS",
           "TRAINING_TOKENS", "YEARS_SERVED", "_BY_NAME", "by_name", "path_column"]


@dataclass(frozen=True)
class Statistic:
    """One column of the model's per-size output."""

    index: int
    name: str
    long_name: str
    units: str
    #: False for indicators whose mean is a probability stored under another
    #: name (prob_loss, prob_best) rather than as ``<name>_mean``.
    has_mean_variable: bool = True


STATISTICS: tuple[Statistic, ...] = (
    Statistic(0, "roi", "return on investment, (NPV - I) / I", "1"),
    Statistic(1, "roi_expected", "ROI investors expect (no gap, hyped pool, no incidents)", "1"),
    Statistic(2, "roi_gap", "expected minus realized ROI", "1"),
    Statistic(3, "investment", "up-front investment I", "USD"),
    Statistic(4, "compute_cost", "training compute cost", "USD"),
    Statistic(5, "data_cost", "training data cost", "USD"),
    Statistic(6, "fixed_cost", "fixed cost (team, infrastructure, evaluation)", "USD"),
    Statistic(7, "risk_control_cost", "risk-control spend", "USD"),
    Statistic(8, "revenue_npv", "discounted revenue", "USD"),
    Statistic(9, "serving_cost_npv", "discounted serving cost", "USD"),
    Statistic(10, "incident_loss_npv", "discounted incident losses", "USD"),
    Statistic(11, "lab_loss", "lab loss L = E + A/N^alpha + B/D^beta", "nats/token"),
    Statistic(12, "years_served", "years in which serving pays", "years"),
    Statistic(13, "market_share", "market share in year 1 (0 if not served)", "1"),
    Statistic(14, "loss", "indicator of a loss, ROI < 0", "1", has_mean_variable=False),
    Statistic(15, "best", "share of the best-alternative credit by the objective (ties split)", "1",
              has_mean_variable=False),
    # Model v2 (specification sections 6, 7, 10, 11).
    Statistic(16, "net_value", "net value, NPV - I", "USD"),
    Statistic(17, "robustness_cost", "robustness spend (evaluation, red-teaming, data quality)", "USD"),
    Statistic(18, "license_cost", "licence of the open base model (fine-tuning route)", "USD"),
    Statistic(19, "compliance_cost_npv", "discounted compliance duties of systemic-risk models", "USD"),
    Statistic(20, "release_delay", "release delay d: years of the final training run", "years"),
    Statistic(21, "data_limited", "indicator that training tokens D exceed the data stock", "1",
              has_mean_variable=False),
    Statistic(22, "training_flops", "final-run training compute R_final", "FLOP"),
    Statistic(23, "training_tokens", "training tokens D (fine-tuning: D_ft)", "tokens"),
    # Decisions (specification section 12), over all (strategy, size) alternatives.
    Statistic(24, "regret", "regret: the best alternative's objective minus this one's", "objective"),
    Statistic(25, "max_objective", "the highest objective of any alternative (for EVPI)", "objective",
              has_mean_variable=False),
    # Model v3 (specification sections 13, 14): year 1 is the first year served,
    # after the release delay.
    Statistic(26, "serving_cost_per_token_y1", "serving cost per output token in year 1, c_tok",
              "USD/token"),
    Statistic(27, "price_per_token_y1", "our price per output token in year 1", "USD/token"),
    Statistic(28, "serving_margin_y1",
              "year-1 serving margin 1 - S_1/Rev_1 = 1 - c_tok/price, clipped below at -1 "
              "(<= 0 exactly when not served in year 1)", "1", has_mean_variable=False),
    Statistic(29, "served_y1", "indicator that the model is served in year 1 (c_tok < price)", "1",
              has_mean_variable=False),
    Statistic(30, "fixed_capability_decline",
              "yearly fall of the price at fixed capability, 1 / ((1 - delta)(1 - phi)^theta)",
              "1/year", has_mean_variable=False),
)
assert [s.index for s in STATISTICS] == list(range(len(STATISTICS)))

N_STATS = len(STATISTICS)
_BY_NAME = {s.name: s for s in STATISTICS}


def by_name(name: str) -> Statistic:
    return _BY_NAME[name]


# Column indices the kernels use by name (module constants fold in at compile time).
ROI = by_name("roi").index
ROI_EXPECTED = by_name("roi_expected").index
ROI_GAP = by_name("roi_gap").index
INVESTMENT = by_name("investment").index
COMPUTE_COST = by_name("compute_cost").index
DATA_COST = by_name("data_cost").index
FIXED_COST = by_name("fixed_cost").index
RISK_CONTROL_COST = by_name("risk_control_cost").index
REVENUE_NPV = by_name("revenue_npv").index
SERVING_COST_NPV = by_name("serving_cost_npv").index
INCIDENT_LOSS_NPV = by_name("incident_loss_npv").index
LAB_LOSS = by_name("lab_loss").index
YEARS_SERVED = by_name("years_served").index
MARKET_SHARE = by_name("market_share").index
LOSS = by_name("loss").index
BEST = by_name("best").index
NET_VALUE = by_name("net_value").index
ROBUSTNESS_COST = by_name("robustness_cost").index
LICENSE_COST = by_name("license_cost").index
COMPLIANCE_COST_NPV = by_name("compliance_cost_npv").index
RELEASE_DELAY = by_name("release_delay").index
DATA_LIMITED = by_name("data_limited").index
TRAINING_FLOPS = by_name("training_flops").index
TRAINING_TOKENS = by_name("training_tokens").index
REGRET = by_name("regret").index
MAX_OBJECTIVE = by_name("max_objective").index
COST_Y1 = by_name("serving_cost_per_token_y1").index
PRICE_Y1 = by_name("price_per_token_y1").index
MARGIN_Y1 = by_name("serving_margin_y1").index
SERVED_Y1 = by_name("served_y1").index
PRICE_DECLINE_FIXED = by_name("fixed_capability_decline").index

@dataclass(frozen=True)
class PathField:
    """One field of the valuation path, written for every year t = 0..T."""

    index: int
    #: ``<name>`` per scenario in samples; ``<name>_mean`` (or, for an
    #: indicator, ``prob_<name>``) per (size, year) in results.
    name: str
    #: A short name for messages (``column_name``).
    label: str
    long_name: str
    units: str
    #: True for 0/1 indicators, whose mean is stored as the probability ``prob_<name>``.
    indicator: bool = False

    @property
    def probability_name(self) -> str:
        """The result variable of an indicator's mean."""
        return f"prob_{self.name}"


#: The valuation path (specification section 9): for year t = 0..T the model
#: writes N_PATH_FIELDS columns after the N_STATS per-size ones, at
#: ``N_STATS + t * N_PATH_FIELDS + field``.
PATH_FIELDS: tuple[PathField, ...] = (
    PathField(0, "mtm", "mark-to-market ROI",
              "mark-to-market ROI investors hold after year t (t = 0: expected ROI)", "1"),
    PathField(1, "below_cost", "below cost",
              "indicator that the mark-to-market ROI is below 0", "1", indicator=True),
    PathField(2, "cooled", "cooled",
              "indicator that a project expected to pay (MTM_0 >= 0) has been marked below cost by year t",
              "1", indicator=True),
    PathField(3, "cash_flow", "cash flow",
              "realized cash flow of year t, not discounted (0 at t = 0)", "USD"),
    PathField(4, "cash_flow_expected", "expected cash flow",
              "cash flow of year t in investors' belief, not discounted (0 at t = 0)", "USD"),
    PathField(5, "payback", "payback",
              "indicator that the discounted realized cash flows up to year t reach I", "1",
              indicator=True),
)
assert [f.index for f in PATH_FIELDS] == list(range(len(PATH_FIELDS)))
_PATH_BY_NAME = {f.name: f for f in PATH_FIELDS}

# Path field indices the kernels use by name (module constants fold in at compile time).
PATH_MTM = _PATH_BY_NAME["mtm"].index  # mark-to-market ROI after year t
PATH_BELOW = _PATH_BY_NAME["below_cost"].index  # 1 if MTM_t < 0
PATH_COOLED = _PATH_BY_NAME["cooled"].index  # 1 if MTM_0 >= 0 and some MTM_tau < 0, 1 <= tau <= t
PATH_CASH_FLOW = _PATH_BY_NAME["cash_flow"].index  # realized CF_t, USD, not discounted (t >= 1)
PATH_CASH_FLOW_EXPECTED = _PATH_BY_NAME["cash_flow_expected"].index  # believed CF^e_t (t >= 1)
PATH_PAYBACK = _PATH_BY_NAME["payback"].index  # 1 if discounted realized CF up to t reach I (t >= 1)
N_PATH_FIELDS = len(PATH_FIELDS)


def column_name(column: int) -> str:
    """A name for any output column: a statistic's, or a path field's with its year."""
    if column < N_STATS:
        return STATISTICS[column].name
    year, field = divmod(column - N_STATS, N_PATH_FIELDS)
    return f"{PATH_FIELDS[field].label} in year {year}"


def path_column(year: int, field: int) -> int:
    """Column of a path field in the model's per-size output."""
    return N_STATS + year * N_PATH_FIELDS + field


#: Statistics whose distribution is sketched by a histogram per size, with
#: the affine map into the histogram's pseudo-log coordinate
#: ``pseudo_log((x + offset) * scale)``: ROI and expected ROI as multiples of
#: the investment (offset 1), net value in USD scaled by the pilot's median
#: investment (set at run time, so 0 here).
HISTOGRAMS = (ROI, ROI_EXPECTED, NET_VALUE)
#: Model v3's year-1 unit economics, sketched too: cost and price per token
#: (USD, scaled by the pilot's median like net value), the margin and the
#: fixed-capability price decline (ROI-like, offset 1).
V3_HISTOGRAMS = (COST_Y1, PRICE_Y1, MARGIN_Y1, PRICE_DECLINE_FIXED)
#: Sketched statistics that are one number per scenario and strategy, the
#: same in every size's row: sketched on the first size of each strategy only.
SIZE_FREE_HISTOGRAMS = (PRICE_DECLINE_FIXED,)

#: Statistics a stopping rule can target: "<name>_mean", prob_loss, prob_best.
STAT_BY_NAME = {f"{s.name}_mean": s.index for s in STATISTICS if s.has_mean_variable}
STAT_BY_NAME.update({"prob_loss": LOSS, "prob_best": BEST, "data_limited_share": DATA_LIMITED})
