"""Data files shipped with sim.

``notable_models.csv``: observed models (parameters, training tokens,
training FLOP, cost estimates with their basis and source), the reference
table of observed models from Epoch AI's public data and the model papers;
``sim calibrate`` compares scenarios with it by default.
"""

__all__: list[str] = []  # data files only: see sim.analyses.calibrate.bundled_models
