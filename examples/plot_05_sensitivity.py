"""
Which inputs drive the result
=============================

``sim.sensitivity`` ranks the uncertain inputs by how much they move the
output, per model size: rank correlations (Spearman, PRCC) on the model's
own sample, a tornado (the median with each input held at its 5th and 95th
percentile) and first- and total-order Sobol' indices, each with a 95%
interval. A small ``n_scenarios`` keeps this example fast; its intervals are
wide (use 32,768 or more for numbers to report).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import sim
from sim.vocab.units import size_label

ds = sim.sensitivity("baseline", n_scenarios=2_048, method="both", seed=0)
at_100b = ds.sel(model_size=1e11)
order = np.argsort(-at_100b.sobol_total.values)[:5]
print("100B, the five inputs with the largest total-order Sobol' index:")
for i in order:
    p = at_100b.isel(parameter=i)
    print(f"  {str(p.parameter.values):34} ST {float(p.sobol_total):6.3f}   PRCC {float(p.prcc):+6.3f}")

# %%
# The tornado
# -----------
# ``sim plot --kind tornado``: one panel per size (here only 10B and 100B).
fig = sim.plot.tornado(ds, model_size=[1e10, 1e11])

# %%
# Sobol' indices
# --------------
# ``sim plot --kind sobol``: the first-order index (the share of the
# variance an input explains alone) and the total-order index (with all its
# interactions).
fig = sim.plot.sobol(ds, model_size=[1e11])

# %%
# PRCC by hand, all sizes
# -----------------------
fig, ax = plt.subplots(figsize=(7, 3.8))
top = ds.prcc.sel(model_size=1e11).to_series().abs().nlargest(6).index
for n in ds.model_size.values:
    ax.plot(ds.prcc.sel(model_size=n, parameter=list(top)).values, range(len(top)), "o",
            label=size_label(n))
ax.axvline(0, color="grey", lw=0.8)
ax.set(yticks=range(len(top)), yticklabels=list(top), xlabel="partial rank correlation with ROI")
ax.legend(title="model size", fontsize=7)
fig.tight_layout()
