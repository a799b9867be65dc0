"""Where a scenario's numbers come from, jitted: uniforms, designs, inverse CDFs.

``rng`` (the counter-based generator), ``design_kernels`` (a scenario's
uniforms under a design, computed alone), ``inverse_cdf`` (uniforms to
draws), ``draw`` (design, copula and inverse CDFs for one scenario) and
``block`` (the same for a block of scenarios at once). The Python side (the
families of scenario files, parsed distributions, design arrays) is in
:mod:`sim.scenario` and :mod:`sim.engine.designs`.
"""

__all__: list[str] = []  # import the modules themselves
