"""Where a scenario's numbers come from: uniforms, designs, distributions.

Jitted: ``rng`` (the counter-based generator), ``inverse_cdf`` (uniforms to
draws), ``design_kernels`` (a scenario's uniforms under a design) and
``draw`` (design, copula and inverse CDFs for one scenario). Python:
``families`` (the distribution families of scenario files), ``distributions``
(a parsed, validated distribution) and ``designs`` (the arrays a design needs).
"""

__all__: list[str] = []  # import the modules themselves
