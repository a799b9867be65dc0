"""
A sweep and its chart
=====================

``sim.sweep`` runs a scenario at every value of one or more keys, on the
same draws (so differences between points come from the key, not from
sampling noise), and stacks the results along one dimension per key. Here
the expected number of rivals, ``market.competitors.lam``, goes from 2 to
20.
"""

# %%
import matplotlib.pyplot as plt

import sim
from sim.vocab.units import size_label

grid = sim.sweep("baseline", {"market.competitors.lam": [2, 5, 12, 20]}, n_scenarios=10_000, seed=0)
print(grid.prob_loss.to_pandas().rename(columns=size_label).round(3))

# %%
# The chart ``sim plot --kind sweep`` draws
# ------------------------------------------
# One line per model size of the statistic chosen (here P(loss)) over the
# swept key.
fig = sim.plot.sweep(grid, stat="prob_loss")

# %%
# The same numbers, drawn by hand
# -------------------------------
fig, ax = plt.subplots(figsize=(6, 3.6))
lam = grid["market.competitors.lam"].values
for n in grid.model_size.values:
    mean = grid.net_value_mean.sel(model_size=n)
    se = grid.net_value_mean_se.sel(model_size=n)
    ax.errorbar(lam, mean / 1e6, yerr=2 * se / 1e6, marker="o", capsize=3, label=size_label(n))
ax.axhline(0, color="grey", lw=0.8)
ax.set(xlabel="expected number of rivals (market.competitors.lam)", ylabel="mean net value, USD million",
       yscale="symlog")
ax.legend(title="model size", fontsize=8)
fig.tight_layout()
