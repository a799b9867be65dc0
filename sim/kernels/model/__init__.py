"""The investment model of the specification.

``params`` (where each parameter sits in ``theta``, and the model's physical
constants) and ``block`` (the model on a block of scenarios at once, structure
of arrays: the one implementation every analysis evaluates).
"""

from sim.kernels.model.block import evaluate_block

__all__ = ["evaluate_block"]
