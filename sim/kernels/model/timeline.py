"""The fever as a process: investors' mark-to-market ROI year by year
(MODEL.md section 9).

Investors value the project at the decision (year 0) by their belief, then
learn from each year's realized revenue:

    ratio_t = Rev_t / Rev^e_t            (1 when Rev^e_t = 0: nothing to learn)
    b_0 = 1;  b_t = (1 - w) b_(t-1) + w ratio_t
    V_t = sum_(tau<=t) CF_tau/(1+r)^(tau+d) + b_t sum_(tau>t) CF^e_tau/(1+r)^(tau+d_e)
    MTM_0 = ROI_expected;  MTM_t = (V_t - I) / I  for t >= 1     (so MTM_T = ROI)

The realized part is summed from the same per-year numbers, in the same
order, as the NPV of :func:`sim.kernels.model.evaluate.evaluate_world`, so MTM_T
comes out equal to ROI to the last bit (``tests/test_fever.py`` checks it);
the believed remainder is the believed NPV less its first t years.
"""

from __future__ import annotations

from sim.kernels.jit import jit
from sim.vocab.outputs import (
    N_PATH_FIELDS,
    N_STATS,
    PATH_BELOW,
    PATH_CASH_FLOW,
    PATH_CASH_FLOW_EXPECTED,
    PATH_COOLED,
    PATH_MTM,
    PATH_PAYBACK,
)

__all__ = ["Y_DISC", "Y_INCIDENT", "Y_REVENUE", "Y_SERVED", "Y_SERVING", "N_YEAR_FIELDS",
           "valuation_path"]

# Rows of a world's per-year array ``years[size, row, t]`` (per unit of the
# revenue pool, discounted, as the cash-flow loop accumulates them).
Y_REVENUE = 0  # our revenue share m/(1 + k w_t) times the discounted pool factor
Y_SERVING = 1  # serving cost, same units
Y_INCIDENT = 2  # revenue lost in an incident year (before severity)
Y_SERVED = 3  # discount factor (1+r)^-(t+d) if served that year, else 0
Y_DISC = 4  # discount factor (1+r)^-(t+d)
N_YEAR_FIELDS = 5


@jit
def _cumulative(years, t_end, pool, severity, duty):
    """Discounted cash flow of years 1..t_end, summed as the NPV is."""
    rev = 0.0
    serve = 0.0
    incident = 0.0
    served = 0.0
    for t in range(t_end):
        rev += years[Y_REVENUE, t]
        serve += years[Y_SERVING, t]
        incident += years[Y_INCIDENT, t]
        served += years[Y_SERVED, t]
    return rev * pool - serve * pool - incident * (pool * severity) - duty * served


@jit
def _cash_flow(years, t, pool, severity, duty):
    """Cash flow of year t+1 in USD, not discounted (0 where the discount
    factor underflows to 0: a release delayed by centuries, or a discount
    rate beyond 1e300, whose discounted terms are then 0 too)."""
    disc = years[Y_DISC, t]
    flow = (years[Y_REVENUE, t] * pool - years[Y_SERVING, t] * pool
            - years[Y_INCIDENT, t] * (pool * severity) - duty * years[Y_SERVED, t])
    return flow / disc if disc > 0.0 else 0.0


@jit
def valuation_path(real, belief, horizon, learning_rate, investment, roi_expected,
                   pool, severity, duty, pool_e, severity_e, duty_e, npv_e, out):
    """Write the path columns of one size into ``out`` (its output row).

    ``real`` and ``belief`` are the worlds' per-year arrays (N_YEAR_FIELDS,
    horizon); ``pool``, ``severity``, ``duty`` (yearly compliance cost if the
    size is subject to it) scale them to USD; ``npv_e`` is the believed NPV.
    """
    w = learning_rate
    b = 1.0
    base = N_STATS
    out[base + PATH_MTM] = roi_expected
    out[base + PATH_BELOW] = 1.0 if roi_expected < 0.0 else 0.0
    out[base + PATH_COOLED] = 0.0
    out[base + PATH_CASH_FLOW] = 0.0
    out[base + PATH_CASH_FLOW_EXPECTED] = 0.0
    out[base + PATH_PAYBACK] = 0.0
    expected_to_pay = roi_expected >= 0.0
    cooled = False
    for t in range(1, horizon + 1):
        k = t - 1
        rev = years_revenue(real, k, pool)
        rev_e = years_revenue(belief, k, pool_e)
        ratio = rev / rev_e if rev_e != 0.0 else 1.0
        b = (1.0 - w) * b + w * ratio
        realized = _cumulative(real, t, pool, severity, duty)
        if t < horizon:
            believed_so_far = _cumulative(belief, t, pool_e, severity_e, duty_e)
            value = realized + b * (npv_e - believed_so_far)
        else:
            value = realized  # nothing left to believe: MTM_T = ROI
        mtm = (value - investment) / investment  # at t = T: the NPV's own sum, so ROI
        col = base + t * N_PATH_FIELDS
        out[col + PATH_MTM] = mtm
        out[col + PATH_BELOW] = 1.0 if mtm < 0.0 else 0.0
        if expected_to_pay and mtm < 0.0:
            cooled = True
        out[col + PATH_COOLED] = 1.0 if cooled else 0.0
        out[col + PATH_CASH_FLOW] = _cash_flow(real, k, pool, severity, duty)
        out[col + PATH_CASH_FLOW_EXPECTED] = _cash_flow(belief, k, pool_e, severity_e, duty_e)
        out[col + PATH_PAYBACK] = 1.0 if realized >= investment else 0.0


@jit
def years_revenue(years, t, pool):
    """Revenue of year t+1 in USD, not discounted (0 if withdrawn, or where
    the discount factor underflows to 0, as in :func:`_cash_flow`)."""
    disc = years[Y_DISC, t]
    return years[Y_REVENUE, t] * pool / disc if disc > 0.0 else 0.0
