"""Data files shipped with sim.

``notable_models.csv``: observed models (parameters, active parameters of
mixture-of-experts models, training tokens, training FLOP, cost estimates
with their basis and source), the reference table of observed models from
Epoch AI's public data and the model papers. ``list_prices.csv``: list
prices per million output and input tokens of open-weight models whose size
is public, with the provider and the source. ``sim calibrate`` compares
scenarios with both by default.
"""

__all__: list[str] = []  # data files only: see sim.analyses.calibrate.bundled_models
