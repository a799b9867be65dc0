"""
Load a run and draw your own chart
==================================

``sim.run`` returns an :class:`xarray.Dataset` with one row per model size;
``sim.write_netcdf`` saves it and :func:`xarray.open_dataset` reads it back,
so a chart can be redrawn without rerunning the model. Here we draw the
median ROI with its 5-95% band, and P(loss) with its Monte Carlo error,
from the saved file.
"""

# %%
# Run the baseline and save it
# ----------------------------
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

import sim
from sim.vocab.units import size_label  # 1e9 -> "1B"

ds = sim.run("baseline", n_scenarios=20_000, seed=1)
path = Path(tempfile.mkdtemp()) / "baseline.nc"
sim.write_netcdf(ds, path)

# %%
# Load it back
# ------------
# Every statistic is a variable over ``model_size``; means and probabilities
# have a ``*_se`` twin (their Monte Carlo standard error), quantiles a
# ``quantile`` dimension.
run = xr.open_dataset(path)
sizes = run.model_size.values
labels = [size_label(n) for n in sizes]
median = run.roi_quantile.sel(quantile=0.5).values
low = run.roi_quantile.sel(quantile=0.05).values
high = run.roi_quantile.sel(quantile=0.95).values
for label, m, lo, hi, p, se in zip(labels, median, low, high, run.prob_loss.values, run.prob_loss_se.values):
    print(f"{label:>5}: median ROI {m:7.3f} (5-95%: {lo:7.3f} to {hi:7.3f}), P(loss) {p:.1%} ± {se:.1%}")

# %%
# Draw it
# -------
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
x = np.arange(len(sizes))
left.fill_between(x, low, high, alpha=0.25, label="5-95% of scenarios")
left.plot(x, median, marker="o", label="median ROI")
left.axhline(0, color="grey", lw=0.8)
left.set_yscale("asinh")  # linear near 0, logarithmic in the long right tail
left.set(xticks=x, xticklabels=labels, xlabel="model size", ylabel="ROI = (NPV - I) / I")
left.legend(loc="upper left", fontsize=8)
right.bar(x, run.prob_loss.values, yerr=2 * run.prob_loss_se.values, capsize=3)
right.set(xticks=x, xticklabels=labels, xlabel="model size", ylabel="P(ROI < 0)", ylim=(0, 1))
right.set_title("P(loss), ±2 standard errors", fontsize=9)
fig.suptitle(f"baseline, {run.attrs['n_scenarios']:,} scenarios, seed {run.attrs['seed']}")
fig.tight_layout()
run.close()
