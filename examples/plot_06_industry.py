"""
The industry frame: labs over calendar years
============================================

``sim.run("industry")`` follows every frontier lab from 2023 to 2032:
labs enter while the market values them above the cost of their compute
(Tobin's Q above 1) and leave when it does not, demand diffuses (Bass), and
prices fall with entry. Its results have a ``year`` dimension with the
``calendar_year`` beside it, and no model size. Here we draw the fan of the
number of labs over calendar years and P(cooled by then).
"""

# %%
import matplotlib.pyplot as plt

import sim

ds = sim.run("industry", n_scenarios=20_000, seed=0)
years = ds.calendar_year.values
labs = ds.labs_quantile
print(f"P(cooled by {years[-1]}): {float(ds.prob_cooled[-1]):.1%} ± {float(ds.prob_cooled_se[-1]):.1%}")
print(f"P(industry return over the decade < 0): {float(ds.prob_industry_loss):.1%}")
print("median number of labs:", dict(zip(years.tolist(), labs.sel(quantile=0.5).values.round(1).tolist())))

# %%
# The fan of lab counts, by hand
# ------------------------------
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
left.fill_between(years, labs.sel(quantile=0.05), labs.sel(quantile=0.95), alpha=0.2, label="5-95%")
left.fill_between(years, labs.sel(quantile=0.25), labs.sel(quantile=0.75), alpha=0.35, label="25-75%")
left.plot(years, labs.sel(quantile=0.5), marker="o", label="median")
left.set(xlabel="calendar year", ylabel="frontier labs", title="How many labs")
left.legend(fontsize=8)
right.errorbar(years, ds.prob_cooled, yerr=2 * ds.prob_cooled_se, marker="o", capsize=3)
right.set(xlabel="calendar year", ylabel="P(cooled by then)", ylim=(0, 1), title="±2 standard errors")
fig.suptitle(f"industry, {ds.attrs['n_scenarios']:,} scenarios")
fig.tight_layout()

# %%
# The charts ``sim plot`` draws
# -----------------------------
# ``sim.plot.draw`` picks the function of the result's frame, as ``sim plot``
# does. ``--kind fan``: every main path (labs, revenue, capex, serving
# margin, Q).
fig = sim.plot.draw(ds, "fan")

# %%
# ``--kind cooling``: P(cooled), P(valued below cost) and P(capex falls)
# per year, and the year capex peaks.
fig = sim.plot.draw(ds, "cooling")
