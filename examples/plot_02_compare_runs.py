"""
Compare two runs
================

How much does a price war change the baseline? We run both scenarios with
the same seed and ``n``, and take the difference of each headline statistic
with its combined standard error, ``se = sqrt(se_a**2 + se_b**2)``, and the
z-score ``difference / se``.

The two runs share their seed, so both see the same draws of the inputs
(common random numbers): their errors are then correlated, usually
positively, and the combined error above, which assumes independent runs,
usually overstates the error of the difference. For independent errors, give
the second run another seed.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np

import sim
from sim.vocab.units import size_label

a = sim.run("baseline", n_scenarios=20_000, seed=2)
b = sim.run("price_war", n_scenarios=20_000, seed=2)
labels = [size_label(n) for n in a.model_size.values]

# %%
# Differences with combined standard errors
# -----------------------------------------
# Every mean and probability ``x`` in a Dataset has its standard error in
# ``x_se``.
rows = {}
for stat in ("roi_mean", "prob_loss", "net_value_mean"):
    diff = (b[stat] - a[stat]).values
    se = np.hypot(a[f"{stat}_se"].values, b[f"{stat}_se"].values)
    rows[stat] = (diff, se)
    print(stat)
    for label, d, s in zip(labels, diff, se):
        print(f"  {label:>5}: {d:+12.4g} ± {s:10.3g}   z = {d / s:+6.1f}")

# %%
# Draw the differences with ±2 standard errors
# --------------------------------------------
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
x = np.arange(len(labels))
for ax, stat, title in zip(axes, ("prob_loss", "roi_mean"),
                           ("P(loss): price_war - baseline", "mean ROI: price_war - baseline")):
    diff, se = rows[stat]
    ax.bar(x, diff, yerr=2 * se, capsize=3, color=np.where(diff < 0, "tab:red", "tab:blue"))
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(xticks=x, xticklabels=labels, xlabel="model size", title=title)
fig.suptitle("Two runs on the same seed (20,000 scenarios each); bars: ±2 se")
fig.tight_layout()

# %%
# The same with ``sim.compare``
# -----------------------------
# ``sim.compare(a, b)`` (and ``sim compare A.nc B.nc`` at the command line)
# gives, for every headline statistic and size, b - a, the combined standard
# error and z, as a pandas DataFrame. It warns when the two runs share their
# seed and sampler, as these do: their errors are not independent.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    table = sim.compare(a, b)
for warning in caught:
    print("warning:", warning.message)
means = table[table.statistic.isin(["roi_mean", "prob_loss"])]
print(means[["size", "statistic", "a", "b", "difference", "se", "z"]].to_string(index=False))
