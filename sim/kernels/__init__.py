"""The jitted layer: everything Numba compiles, and how it is compiled and cached.

``model`` (the investment model on a block of scenarios), ``sampling``
(uniforms, designs and inverse CDFs), ``reduce`` (the scenario loop that
draws, evaluates and reduces), ``rows`` (scenarios given as rows of
uniforms), ``accumulators`` (moments and histogram bins), ``vmath``
(vectorizing elementary functions), ``jit`` (the one ``jit`` decorator) and
``cache`` (where compiled kernels are kept, and the note a compile prints).
"""

__all__: list[str] = []
