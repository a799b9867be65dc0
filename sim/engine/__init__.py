"""The engine: parallel kernels over blocks of scenarios, and what they reduce.

``kernels`` (the scenario loops), ``accumulators`` (jitted moment and
histogram updates), ``sketch`` (quantiles and CVaR from the merged
histograms) and ``reducer`` (the streaming state and the stopping rule).
"""

__all__: list[str] = []  # import the modules themselves
