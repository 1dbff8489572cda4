"""SGDR: stochastic gradient descent with warm restarts (arXiv:1608.03983).

Within a period of ``E`` epochs the rate follows a cosine from the restart
rate down towards ``min_lr``, batch by batch::

    lr = min_lr + (restart_lr - min_lr) * (1 + cos(pi * b / (S * E))) / 2

with ``b`` the batches since the last restart and ``S`` the batches per
epoch. The first period lasts ``epochs_to_restart`` epochs; each next one
``ceil(E * mult_factor)`` epochs. ``lr_decay`` multiplies the restart rate
at every restart (the popular Keras ``SGDRScheduler``'s ``lr_decay``) and
``lr_fac`` multiplies it at the end of each epoch listed in
``lr_reduction_epochs`` (the variant with ``lr_fac``), with effect from the
next batch. The rate is a pure function of the epoch and the batch in it.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from kerasclr.arguments import (
    check_count,
    check_number,
    check_optional,
    check_ordered,
    check_rate,
)
from kerasclr.engine import PolicyCallback, Positions
from kerasclr.errors import ArgumentError, KerasclrError


class SGDR(PolicyCallback):
    """Cosine annealing with warm restarts (SGDR) as a Keras callback.

    Per-batch resolution: every batch has its own rate on the cosine, looked
    up in the compiled train step from a table the callback fills ahead.

    Args:
        max_lr: rate at the start of the first period (> 0).
        min_lr: floor the cosine falls towards (>= 0, <= max_lr).
        steps_per_epoch: batches per epoch, used for the period length in
            batches; None (default) takes it from ``fit()``.
        epochs_to_restart: length of the first period, in epochs (>= 1).
        mult_factor: growth of the period at each restart (>= 1); the next
            period lasts ``ceil(period * mult_factor)`` epochs.
        lr_decay: multiplier of the restart rate at each restart, in (0, 1].
        lr_fac: multiplier of the restart rate at the end of each epoch of
            ``lr_reduction_epochs``, in (0, 1].
        lr_reduction_epochs: 1-based epochs after which ``lr_fac`` applies.
        verbose: 0 (silent) or 1 (a message at each restart).
        plateau: optional `kerasclr.Plateau`: scale the rate down when a
            monitored value stops improving.

    Attributes:
        history: one row per batch: iteration, epoch, lr, base_lr (min_lr),
            max_lr (the current restart rate).
        history_epoch: one row per epoch: logs, epoch, base_lr, max_lr, lr.

    Example:
        >>> sgdr = kerasclr.SGDR(max_lr=0.05, min_lr=1e-4, epochs_to_restart=2,
        ...                      mult_factor=2)
        >>> model.fit(x, y, epochs=14, callbacks=[sgdr])
        >>> sgdr.history.tail()
    """

    policy_name = "SGDR"
    r_function = "new_callback_sgdr"
    uses_epochs = True

    def __init__(self, max_lr=0.01, min_lr=0.0, steps_per_epoch=None,
                 epochs_to_restart=10, mult_factor=2.0, lr_decay=1.0, lr_fac=0.1,
                 lr_reduction_epochs=(), verbose=0, plateau=None):
        self.max_lr = check_rate("max_lr", max_lr, positive=True)
        self.min_lr = check_rate("min_lr", min_lr)
        check_ordered("min_lr", self.min_lr, "max_lr", self.max_lr)
        self.steps_per_epoch = check_optional(check_count, "steps_per_epoch",
                                              steps_per_epoch, minimum=1)
        self.epochs_to_restart = check_count("epochs_to_restart", epochs_to_restart,
                                             minimum=1)
        self.mult_factor = check_number("mult_factor", mult_factor, minimum=1.0)
        self.lr_decay = check_number("lr_decay", lr_decay, minimum=0.0, maximum=1.0,
                                     min_inclusive=False)
        self.lr_fac = check_number("lr_fac", lr_fac, minimum=0.0, maximum=1.0,
                                   min_inclusive=False)
        self.lr_reduction_epochs = _check_epochs(lr_reduction_epochs)
        super().__init__(verbose=verbose, plateau=plateau)
        self._fit_steps = None

    def resolve(self, params):
        steps = params.get("steps")
        self._fit_steps = None if steps is None else int(steps)
        self._batches_per_epoch()  # fails early without a length

    def _batches_per_epoch(self):
        steps = self.steps_per_epoch or self._fit_steps
        if steps is None:
            raise KerasclrError(
                "SGDR: `fit()` does not know the number of batches per epoch; give "
                "`steps_per_epoch`.",
                "new_callback_sgdr(): fit() does not know the number of batches per "
                "epoch; give `steps_per_epoch`.")
        return steps

    def _periods(self, last_epoch):
        """Start epoch, length and restart count of every period up to ``last_epoch``."""
        starts, lengths = [0], [self.epochs_to_restart]
        while starts[-1] + lengths[-1] <= last_epoch:
            starts.append(starts[-1] + lengths[-1])
            lengths.append(int(math.ceil(lengths[-1] * self.mult_factor - 1e-12)))
        return np.asarray(starts), np.asarray(lengths)

    def restart_lr(self, epochs):
        """The restart rate (peak) in effect during 0-based ``epochs``."""
        epochs = np.asarray(epochs, dtype=np.int64)
        starts, _ = self._periods(int(epochs.max()) if epochs.size else 0)
        restarts = np.searchsorted(starts, epochs, side="right") - 1
        reductions = np.searchsorted(np.asarray(self.lr_reduction_epochs, np.int64),
                                     epochs, side="right")
        return self.max_lr * self.lr_decay ** restarts * self.lr_fac ** reductions

    def schedule(self, positions, settings):
        steps = self._batches_per_epoch()
        epochs = positions.epoch
        starts, lengths = self._periods(int(epochs.max()) if epochs.size else 0)
        period = np.searchsorted(starts, epochs, side="right") - 1
        batches = (epochs - starts[period]) * steps + positions.in_epoch
        fraction = np.minimum(batches / (steps * lengths[period]), 1.0)
        peak = self.restart_lr(epochs)
        rates = self.min_lr + (peak - self.min_lr) * (1.0 + np.cos(math.pi * fraction)) / 2
        return self.scaled(rates, settings)

    def bounds(self, positions, settings):
        low = self.scaled(np.full(len(positions), self.min_lr), settings)
        return low, self.scaled(self.restart_lr(positions.epoch), settings)

    def after_epoch(self):
        starts, lengths = self._periods(self.epochs_done)
        if self.epochs_done in starts.tolist():
            self._say(f"restart at lr={float(self.restart_lr([self.epochs_done])[0]):.6g}; "
                      f"next period {int(lengths[-1])} epoch(s).")

    def get_config(self):
        return {
            "max_lr": self.max_lr, "min_lr": self.min_lr,
            "steps_per_epoch": self.steps_per_epoch,
            "epochs_to_restart": self.epochs_to_restart,
            "mult_factor": self.mult_factor, "lr_decay": self.lr_decay,
            "lr_fac": self.lr_fac, "lr_reduction_epochs": list(self.lr_reduction_epochs),
            "verbose": self.verbose, **self.plateau_config(),
        }


def _check_epochs(epochs):
    if epochs is None:
        return ()
    if isinstance(epochs, np.ndarray) and epochs.ndim == 0:
        epochs = epochs.item()
    if isinstance(epochs, numbers.Real) and not isinstance(epochs, bool):
        epochs = (epochs,)
    if not isinstance(epochs, (list, tuple, range, np.ndarray)):
        raise ArgumentError("lr_reduction_epochs", "a sequence of whole numbers >= 1 "
                            "(1-based epochs)", epochs,
                            r_expected="NULL or whole numbers >= 1 (1-based epochs)")
    try:
        checked = [check_count("lr_reduction_epochs", e, minimum=1) for e in epochs]
    except ArgumentError as error:  # R: about the whole vector, not one element
        raise ArgumentError("lr_reduction_epochs", error.expected, error.value,
                            got=error.got, whole_value=True,
                            r_expected="NULL or whole numbers >= 1 (1-based epochs)") \
            from None
    return tuple(sorted(set(checked)))


def sgdr_schedule(iterations, steps_per_epoch, max_lr=0.01, min_lr=0.0,
                  epochs_to_restart=10, mult_factor=2.0, lr_decay=1.0,
                  lr_fac=0.1, lr_reduction_epochs=(), dtype="float32"):
    """Preview an SGDR schedule (epochs of ``steps_per_epoch`` batches).

    Args:
        iterations: training iterations (0, 1, 2, ...): a range, list or 1-d
            array of whole numbers.
        steps_per_epoch: batches per epoch (>= 1).
        max_lr, min_lr, epochs_to_restart, mult_factor, lr_decay, lr_fac,
            lr_reduction_epochs: as in `SGDR`.
        dtype: "float32" (default: as applied) or "float64".

    Returns:
        A float64 numpy array, one learning rate per iteration.

    Example:
        >>> sgdr_schedule(range(40), steps_per_epoch=4, max_lr=0.1,
        ...               epochs_to_restart=2, mult_factor=2)
    """
    steps_per_epoch = check_count("steps_per_epoch", steps_per_epoch, minimum=1)
    policy = SGDR(max_lr, min_lr, steps_per_epoch, epochs_to_restart, mult_factor,
                  lr_decay, lr_fac, lr_reduction_epochs)
    return policy.preview(iterations, steps_per_epoch=steps_per_epoch, dtype=dtype)


__all__ = ["SGDR", "Positions", "sgdr_schedule"]
