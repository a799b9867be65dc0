"""The investment model of MODEL.md, one module per block.

``params`` (where each parameter sits in ``theta``), ``scaling`` (tokens and
compute), ``costs`` (investment and serving), ``performance`` (loss), ``market``
(share, price, cash flows), ``risk`` (incidents) and ``evaluate`` (one
scenario, every size). All are Numba kernels on one scenario.
"""

from sim.kernels.model.evaluate import evaluate_scenario

__all__ = ["evaluate_scenario"]
