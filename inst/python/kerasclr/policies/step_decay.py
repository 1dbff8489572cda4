"""Step decay: ``lr = initial_lr * decay_factor ^ floor(epoch / step_size)``.

``epoch`` is the 0-based epoch of the batch, so the first ``step_size``
epochs train with ``initial_lr``. The rate changes at epoch boundaries only.
"""

from __future__ import annotations

import numpy as np

from kerasclr.arguments import check_choice, check_count, check_iterations, check_number
from kerasclr.policies.base import PolicyCallback, rounded


def _check_step_decay(initial_lr, decay_factor, step_size):
    initial_lr = check_number("initial_lr", initial_lr, minimum=0.0,
                              min_inclusive=False)
    decay_factor = check_number("decay_factor", decay_factor, minimum=0.0,
                                maximum=1.0, min_inclusive=False)
    step_size = check_count("step_size", step_size, minimum=1)
    return initial_lr, decay_factor, step_size


def _step_decay(epochs, initial_lr, decay_factor, step_size):
    exponent = np.floor(np.asarray(epochs, dtype=np.float64) / step_size)
    return initial_lr * np.power(decay_factor, exponent)


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
    args = _check_step_decay(initial_lr, decay_factor, step_size)
    check_choice("dtype", dtype, ("float32", "float64"))
    return rounded(_step_decay(check_iterations(epochs, "epochs"), *args), dtype)


class StepDecay(PolicyCallback):
    """Step-decay learning rate as a Keras callback with history.

    Args:
        initial_lr: rate of the first ``step_size`` epochs (> 0).
        decay_factor: multiplier every ``step_size`` epochs, in (0, 1].
        step_size: epochs between two decays (>= 1).
        verbose: 0 (silent) or 1 (a message at each decay).

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

    def __init__(self, initial_lr=0.01, decay_factor=0.5, step_size=10, verbose=0):
        self.initial_lr, self.decay_factor, self.step_size = _check_step_decay(
            initial_lr, decay_factor, step_size)
        super().__init__(verbose=check_count("verbose", verbose))

    def _current(self):
        return float(_step_decay([self.epochs_done], self.initial_lr,
                                 self.decay_factor, self.step_size)[0])

    def _next_rates(self, n):
        return np.full(n, self._current())

    def _advance(self, n):
        pass  # the rate depends on the epoch only

    def _bounds(self):
        return self._current(), self.initial_lr

    def _epoch_end_update(self, logs):
        if self.verbose > 0 and self.epochs_done % self.step_size == 0:
            print(f"Epoch {self.epochs_done}: StepDecay lr -> "
                  f"{self._current():.6g}.", flush=True)

    def get_config(self):
        return {"initial_lr": self.initial_lr, "decay_factor": self.decay_factor,
                "step_size": self.step_size, "verbose": self.verbose}

    def _policy_state(self):
        return {}

    def _set_policy_state(self, state):
        pass
