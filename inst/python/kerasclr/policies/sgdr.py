"""SGDR: stochastic gradient descent with warm restarts (arXiv:1608.03983).

Within a period of ``epochs_to_restart`` epochs the rate follows a cosine
from the restart rate down towards ``min_lr``, batch by batch::

    lr = min_lr + (restart_lr - min_lr) * (1 + cos(pi * b / (S * E))) / 2

with ``b`` the batches since the last restart, ``S`` the batches per epoch
and ``E`` the current period length in epochs. At the end of the period the
rate restarts at ``restart_lr`` and the next period lasts
``ceil(E * mult_factor)`` epochs. ``lr_decay`` multiplies the restart rate at
every restart (the popular Keras ``SGDRScheduler``'s ``lr_decay``) and
``lr_fac`` multiplies it at the end of each epoch listed in
``lr_reduction_epochs`` (the variant with ``lr_fac``), with effect from the
next batch.
"""

from __future__ import annotations

import math

import numpy as np

from kerasclr.arguments import check_choice, check_count, check_iterations, check_number
from kerasclr.policies.base import PolicyCallback, rounded


def _check_sgdr(max_lr, min_lr, epochs_to_restart, mult_factor, lr_decay, lr_fac,
                lr_reduction_epochs):
    max_lr = check_number("max_lr", max_lr, minimum=0.0, min_inclusive=False)
    min_lr = check_number("min_lr", min_lr, minimum=0.0)
    if min_lr > max_lr:
        raise ValueError(
            f"`max_lr` must be >= `min_lr`, got min_lr={min_lr!r} and "
            f"max_lr={max_lr!r}."
        )
    epochs_to_restart = check_count("epochs_to_restart", epochs_to_restart,
                                    minimum=1)
    mult_factor = check_number("mult_factor", mult_factor, minimum=1.0)
    lr_decay = check_number("lr_decay", lr_decay, minimum=0.0, maximum=1.0,
                            min_inclusive=False)
    lr_fac = check_number("lr_fac", lr_fac, minimum=0.0, maximum=1.0,
                          min_inclusive=False)
    if lr_reduction_epochs is None:
        lr_reduction_epochs = ()
    if isinstance(lr_reduction_epochs, (int, float)) and not isinstance(
            lr_reduction_epochs, bool):
        lr_reduction_epochs = (lr_reduction_epochs,)
    if not isinstance(lr_reduction_epochs, (list, tuple, range, np.ndarray)):
        raise TypeError(
            "`lr_reduction_epochs` must be a sequence of whole numbers >= 1 "
            f"(1-based epochs), got {lr_reduction_epochs!r}."
        )
    epochs = tuple(check_count("lr_reduction_epochs", e, minimum=1)
                   for e in lr_reduction_epochs)
    return (max_lr, min_lr, epochs_to_restart, mult_factor, lr_decay, lr_fac,
            tuple(sorted(set(epochs))))


def _cosine(b, period_steps, restart_lr, min_lr):
    fraction = np.minimum(np.asarray(b, dtype=np.float64) / period_steps, 1.0)
    return min_lr + (restart_lr - min_lr) * (1.0 + np.cos(math.pi * fraction)) / 2.0


class _SgdrState:
    """The epoch-level state of SGDR; `end_epoch` is its only transition."""

    def __init__(self, max_lr, epochs_to_restart):
        self.restart_lr = max_lr          # peak of the current period
        self.period = epochs_to_restart   # current period length, epochs
        self.epochs_in_period = 0         # completed epochs of this period
        self.batches_since_restart = 0

    def end_epoch(self, epoch, mult_factor, lr_decay, lr_fac, reduction_epochs):
        """After 1-based ``epoch``; returns True at a restart."""
        self.epochs_in_period += 1
        restarted = self.epochs_in_period >= self.period
        if restarted:
            self.batches_since_restart = 0
            self.epochs_in_period = 0
            self.period = int(math.ceil(self.period * mult_factor - 1e-12))
            self.restart_lr *= lr_decay
        if epoch in reduction_epochs:
            self.restart_lr *= lr_fac
        return restarted

    def as_dict(self):
        return {"restart_lr": self.restart_lr, "period": self.period,
                "epochs_in_period": self.epochs_in_period,
                "batches_since_restart": self.batches_since_restart}


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
    args = _check_sgdr(max_lr, min_lr, epochs_to_restart, mult_factor, lr_decay,
                       lr_fac, lr_reduction_epochs)
    steps_per_epoch = check_count("steps_per_epoch", steps_per_epoch, minimum=1)
    check_choice("dtype", dtype, ("float32", "float64"))
    steps = check_iterations(iterations)
    out = np.empty(steps.size, dtype=np.float64)
    if steps.size == 0:
        return out
    max_lr, min_lr, period, mult, decay, fac, reductions = args
    state = _SgdrState(max_lr, period)
    epoch_of = (steps // steps_per_epoch).astype(np.int64)
    order = np.argsort(epoch_of, kind="stable")
    sorted_epochs = epoch_of[order]
    bounds = np.searchsorted(sorted_epochs, np.arange(sorted_epochs[-1] + 2))
    for epoch in range(int(sorted_epochs[-1]) + 1):
        idx = order[bounds[epoch]:bounds[epoch + 1]]
        if idx.size:
            b = (state.batches_since_restart
                 + steps[idx] - epoch * steps_per_epoch)
            out[idx] = _cosine(b, steps_per_epoch * state.period,
                               state.restart_lr, min_lr)
        state.batches_since_restart += steps_per_epoch
        state.end_epoch(epoch + 1, mult, decay, fac, reductions)
    return rounded(out, dtype)


class SGDR(PolicyCallback):
    """Cosine annealing with warm restarts (SGDR) as a Keras callback.

    Per-batch resolution: every batch has its own rate on the cosine, looked
    up in the compiled train step from a table the callback fills once per
    epoch.

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

    def __init__(self, max_lr=0.01, min_lr=0.0, steps_per_epoch=None,
                 epochs_to_restart=10, mult_factor=2.0, lr_decay=1.0, lr_fac=0.1,
                 lr_reduction_epochs=(), verbose=0):
        (self.max_lr, self.min_lr, self.epochs_to_restart, self.mult_factor,
         self.lr_decay, self.lr_fac, self.lr_reduction_epochs) = _check_sgdr(
            max_lr, min_lr, epochs_to_restart, mult_factor, lr_decay, lr_fac,
            lr_reduction_epochs)
        self.steps_per_epoch = (None if steps_per_epoch is None else
                                check_count("steps_per_epoch", steps_per_epoch,
                                            minimum=1))
        super().__init__(verbose=check_count("verbose", verbose))
        self.state = _SgdrState(self.max_lr, self.epochs_to_restart)
        self._fit_steps = None

    def _period_steps(self):
        steps = self.steps_per_epoch or self._fit_steps
        if steps is None:
            raise ValueError(
                "SGDR: `fit()` does not know the number of batches per epoch; "
                "give `steps_per_epoch`."
            )
        return steps * self.state.period

    def on_train_begin(self, logs=None):
        steps = self.params.get("steps") if self.params else None
        self._fit_steps = None if steps is None else int(steps)
        self._period_steps()  # fails early without a length
        super().on_train_begin(logs)

    # -- engine interface ------------------------------------------------------
    def _next_rates(self, n):
        b = self.state.batches_since_restart + np.arange(n)
        return _cosine(b, self._period_steps(), self.state.restart_lr, self.min_lr)

    def _advance(self, n):
        self.state.batches_since_restart += n

    def _bounds(self):
        return self.min_lr, self.state.restart_lr

    def _epoch_end_update(self, logs):
        restarted = self.state.end_epoch(
            self.epochs_done, self.mult_factor, self.lr_decay, self.lr_fac,
            self.lr_reduction_epochs)
        if restarted and self.verbose > 0:
            print(f"Epoch {self.epochs_done}: SGDR restart at lr="
                  f"{self.state.restart_lr:.6g}; next period "
                  f"{self.state.period} epoch(s).", flush=True)

    # -- config and state ------------------------------------------------------
    def get_config(self):
        return {
            "max_lr": self.max_lr, "min_lr": self.min_lr,
            "steps_per_epoch": self.steps_per_epoch,
            "epochs_to_restart": self.epochs_to_restart,
            "mult_factor": self.mult_factor, "lr_decay": self.lr_decay,
            "lr_fac": self.lr_fac,
            "lr_reduction_epochs": list(self.lr_reduction_epochs),
            "verbose": self.verbose,
        }

    def _policy_state(self):
        return {"sgdr": self.state.as_dict(), "fit_steps": self._fit_steps}

    def _set_policy_state(self, state):
        saved = state["sgdr"]
        self.state.restart_lr = float(saved["restart_lr"])
        self.state.period = int(saved["period"])
        self.state.epochs_in_period = int(saved["epochs_in_period"])
        self.state.batches_since_restart = int(saved["batches_since_restart"])
        self._fit_steps = state.get("fit_steps")

