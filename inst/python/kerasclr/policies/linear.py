"""A linear ramp: from ``initial_lr`` to ``final_lr`` over ``steps`` iterations.

``lr = initial_lr + (final_lr - initial_lr) * min(iteration / steps, 1)``; a
warm-up phase of a `Sequence`, or a linear decay on its own.
"""

from __future__ import annotations

import numpy as np

from kerasclr.arguments import check_count, check_rate
from kerasclr.engine import PolicyCallback


class Linear(PolicyCallback):
    """Linear learning rate from ``initial_lr`` to ``final_lr``, then constant.

    Args:
        initial_lr: rate of the first batch (>= 0).
        final_lr: rate reached after ``steps`` batches and kept (>= 0).
        steps: length of the ramp in training iterations (>= 1).
        verbose: 0 (silent) or 1.
        plateau: optional `kerasclr.Plateau`.

    Example:
        >>> warmup = kerasclr.Linear(0.0, 0.01, steps=500)
        >>> model.fit(x, y, epochs=5, callbacks=[warmup])
    """

    policy_name = "Linear"
    r_function = "new_callback_linear"

    def __init__(self, initial_lr, final_lr, steps, verbose=0, plateau=None):
        self.initial_lr = check_rate("initial_lr", initial_lr)
        self.final_lr = check_rate("final_lr", final_lr)
        self.steps = check_count("steps", steps, minimum=1)
        super().__init__(verbose=verbose, plateau=plateau)

    def schedule(self, positions, settings):
        fraction = np.minimum(positions.iteration / self.steps, 1.0)
        return self.scaled(self.initial_lr + (self.final_lr - self.initial_lr) * fraction,
                           settings)

    def bounds(self, positions, settings):
        low, high = sorted((self.initial_lr, self.final_lr))
        return tuple(self.scaled(np.array([low, high]), settings))

    def get_config(self):
        return {"initial_lr": self.initial_lr, "final_lr": self.final_lr,
                "steps": self.steps, "verbose": self.verbose, **self.plateau_config()}


def linear_schedule(iterations, initial_lr, final_lr, steps, dtype="float32"):
    """Preview a linear ramp (see `Linear`) at training ``iterations``.

    Example:
        >>> linear_schedule(range(5), 0.0, 0.01, steps=4)
    """
    return Linear(initial_lr, final_lr, steps).preview(iterations, dtype=dtype)
