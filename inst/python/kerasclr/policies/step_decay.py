"""Step decay: ``lr = initial_lr * decay_factor ^ floor(epoch / step_size)``.

``epoch`` is the 0-based epoch of the batch, so the first ``step_size``
epochs train with ``initial_lr``. The rate changes at epoch boundaries only.
"""

from __future__ import annotations

import numpy as np

from kerasclr.arguments import check_count, check_iterations, check_number, check_rate
from kerasclr.engine import PolicyCallback, Positions


class StepDecay(PolicyCallback):
    """Step-decay learning rate as a Keras callback with history.

    Args:
        initial_lr: rate of the first ``step_size`` epochs (> 0).
        decay_factor: multiplier every ``step_size`` epochs, in (0, 1].
        step_size: epochs between two decays (>= 1).
        verbose: 0 (silent) or 1 (a message at each decay).
        plateau: optional `kerasclr.Plateau`: scale the rate down when a
            monitored value stops improving.

    Attributes:
        history: one row per batch: iteration, epoch, lr, base_lr (the rate
            of the current epoch), max_lr (initial_lr).
        history_epoch: one row per epoch: logs, epoch, base_lr, max_lr, lr
            (of the next epoch).

    Example:
        >>> decay = kerasclr.StepDecay(initial_lr=0.1, decay_factor=0.5,
        ...                            step_size=10)
        >>> model.fit(x, y, epochs=30, callbacks=[decay])
    """

    policy_name = "StepDecay"
    r_function = "new_callback_step_decay"
    uses_epochs = True

    def __init__(self, initial_lr=0.01, decay_factor=0.5, step_size=10, verbose=0,
                 plateau=None):
        self.initial_lr = check_rate("initial_lr", initial_lr, positive=True)
        self.decay_factor = check_number("decay_factor", decay_factor, minimum=0.0,
                                         maximum=1.0, min_inclusive=False)
        self.step_size = check_count("step_size", step_size, minimum=1)
        super().__init__(verbose=verbose, plateau=plateau)

    def _rate_of_epochs(self, epochs):
        exponent = np.floor(np.asarray(epochs, dtype=np.float64) / self.step_size)
        return self.initial_lr * np.power(self.decay_factor, exponent)

    def schedule(self, positions, settings):
        return self.scaled(self._rate_of_epochs(positions.epoch), settings)

    def bounds(self, positions, settings):
        return self.schedule(positions, settings), self.initial_lr

    def after_epoch(self):
        if self.epochs_done % self.step_size == 0:
            self._say(f"lr -> {float(self._rate_of_epochs([self.epochs_done])[0]):.6g}.")

    def get_config(self):
        return {"initial_lr": self.initial_lr, "decay_factor": self.decay_factor,
                "step_size": self.step_size, "verbose": self.verbose,
                **self.plateau_config()}


def step_decay_schedule(epochs, initial_lr=0.01, decay_factor=0.5, step_size=10,
                        dtype="float32"):
    """Preview a step-decay schedule: the rate of each 0-based epoch.

    Args:
        epochs: 0-based epochs: a range, list or 1-d array of whole numbers.
        initial_lr, decay_factor, step_size: as in `StepDecay`.
        dtype: "float32" (default: as applied) or "float64".

    Returns:
        A float64 numpy array, one learning rate per epoch.

    Example:
        >>> step_decay_schedule(range(6), initial_lr=0.1, decay_factor=0.5,
        ...                     step_size=2, dtype="float64")
        array([0.1  , 0.1  , 0.05 , 0.05 , 0.025, 0.025])
    """
    policy = StepDecay(initial_lr, decay_factor, step_size)
    epochs = check_iterations(epochs, "epochs").astype(np.int64)
    return policy.preview(Positions(epochs, epochs, np.zeros_like(epochs)), dtype=dtype)
