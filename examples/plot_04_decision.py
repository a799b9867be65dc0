"""
A decision and its value of information
=======================================

``sim.decide`` evaluates every strategy of a scenario (here the bundled
``strategies``: pretrain at the market price or a premium, fine-tune an open
base, low or high risk control) at every model size on the same draws. It
names the alternative with the highest mean of the objective (net value by
default), gives each alternative's P(best) and mean regret, and the expected
value of perfect (partial) information: what knowing the true value of all
inputs (EVPI), or of one input (EVPPI), before deciding would be worth.
"""

# %%
import matplotlib.pyplot as plt

import sim
from sim.vocab.units import size_label

ds = sim.decide("strategies", n_scenarios=16_384, seed=0)
print("choice:", ds.attrs["choice"], "(objective:", ds.attrs["objective"] + ")")
print(f"EVPI: USD {float(ds.evpi) / 1e6:,.1f}M ± {float(ds.evpi_se) / 1e6:,.1f}M")
table = ds.net_value_mean.to_pandas().rename(columns=size_label) / 1e6
print("mean net value, USD million:")
print(table.round(1))

# %%
# P(best) of every alternative
# ----------------------------
# ``sim plot --kind decision``: how often each (strategy, size) has the
# highest net value of all alternatives, scenario by scenario.
fig = sim.plot.decision(ds)

# %%
# The value of information
# ------------------------
# ``sim plot --kind voi``: the EVPPI of the inputs that matter most, with
# the floor below which an estimate is indistinguishable from noise.
fig = sim.plot.voi(ds, top=8)

# %%
# Regret, by hand
# ---------------
# Mean regret: what an alternative loses, on average, against the best
# alternative of each scenario.
fig, ax = plt.subplots(figsize=(7, 3.4))
regret = ds.regret_mean.to_pandas().rename(columns=size_label) / 1e6
regret.T.plot.bar(ax=ax, logy=True, rot=0)
ax.set(xlabel="model size", ylabel="mean regret, USD million (log)")
ax.legend(fontsize=7, title="strategy")
fig.tight_layout()
