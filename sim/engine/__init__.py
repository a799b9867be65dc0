"""The engine: runs the kernels over chunks of scenarios and reduces what they return.

``reducer`` (the streaming state, the pilot and the stopping rule), ``driver``
(the one loop over chunks: guard, progress, checkpoint), ``designs`` (the
arrays a sampling design needs), ``sketch`` (quantiles and CVaR from merged
histograms), ``checkpoint`` (the reducer's state between chunks), ``cluster``
(chunks on Dask workers, bit for bit the local numbers), ``matrix``
(scenarios given as rows of uniforms) and ``limits`` (requests too large to
start without asking). Plain Python over NumPy; the jitted code is in
:mod:`sim.kernels`.
"""

__all__: list[str] = []  # import the modules themselves
