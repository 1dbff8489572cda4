"""A constant learning rate (a phase of a `Sequence`, or a baseline with history)."""

from __future__ import annotations

import numpy as np

from kerasclr.arguments import check_rate
from kerasclr.engine import PolicyCallback


class Constant(PolicyCallback):
    """The same learning rate at every step.

    Args:
        lr: the rate (>= 0).
        verbose: 0 (silent) or 1.
        plateau: optional `kerasclr.Plateau` (reduce-on-plateau with history).

    Example:
        >>> kerasclr.Constant(0.01, plateau=kerasclr.Plateau(patience=3, factor=0.5))
    """

    policy_name = "Constant"
    r_function = "new_callback_constant"

    def __init__(self, lr, verbose=0, plateau=None):
        self.lr = check_rate("lr", lr)
        super().__init__(verbose=verbose, plateau=plateau)

    def schedule(self, positions, settings):
        return self.scaled(np.full(len(positions), self.lr), settings)

    def bounds(self, positions, settings):
        rate = float(self.scaled(np.array([self.lr]), settings)[0])
        return rate, rate

    def get_config(self):
        return {"lr": self.lr, "verbose": self.verbose, **self.plateau_config()}
