"""One-cycle policy (Smith & Topin, arXiv:1708.07120), PyTorch's numbers.

The learning rate rises from ``max_lr / div_factor`` to ``max_lr`` over the
first ``pct_start`` of ``total_steps``, then anneals to
``max_lr / (div_factor * final_div_factor)``. With ``three_phase`` it first
returns to the initial rate (symmetrically) and only then anneals to the
minimum. The momentum moves the other way, between ``max_momentum`` and
``base_momentum``.

Phases follow ``torch.optim.lr_scheduler.OneCycleLR``: phase ``k`` ends at
step ``end_k`` (``pct_start * total_steps - 1``, then
``2 * pct_start * total_steps - 2`` in the three-phase variant, then
``total_steps - 1``) and within a phase the fraction is
``(step - end_{k-1}) / (end_k - end_{k-1})``.
"""

from __future__ import annotations

import math

import numpy as np

from kerasclr.arguments import (
    check_bool,
    check_choice,
    check_count,
    check_iterations,
    check_momentum_bounds,
    check_number,
    check_optional,
    check_rate,
)
from kerasclr.engine import PolicyCallback
from kerasclr.errors import ArgumentError, KerasclrError

ANNEAL_STRATEGIES = ("cos", "linear")


def anneal(start, end, fraction, strategy):
    """PyTorch's annealing from ``start`` to ``end`` at ``fraction`` in [0, 1]."""
    if strategy == "cos":
        return end + (start - end) / 2.0 * (np.cos(math.pi * fraction) + 1.0)
    return (end - start) * fraction + start


class OneCycle(PolicyCallback):
    """One-cycle learning rate with opposite momentum cycling, as a callback.

    The same numbers as ``torch.optim.lr_scheduler.OneCycleLR``. The rate of
    every step is looked up in the compiled train step from a table the
    callback fills ahead; so is the momentum (SGD/RMSprop ``momentum``,
    Adam/AdamW ``beta_1``), from the table's second column.

    Args:
        max_lr: peak learning rate (> 0).
        total_steps: training iterations of the whole cycle. If None, it is
            ``epochs * steps_per_epoch``.
        epochs: epochs of the cycle (with ``steps_per_epoch``).
        steps_per_epoch: batches per epoch; if None with ``epochs``, taken
            from ``fit()`` when training starts.
        pct_start: fraction of the steps spent increasing the rate, in (0, 1).
        anneal_strategy: "cos" (default) or "linear".
        div_factor: initial rate = ``max_lr / div_factor``.
        final_div_factor: final rate = initial rate / ``final_div_factor``.
        three_phase: if True, return to the initial rate before the final
            annealing (PyTorch's three-phase variant).
        cycle_momentum: cycle the optimizer's momentum between
            ``max_momentum`` and ``base_momentum`` (default True, as in
            PyTorch). Needs SGD or RMSprop with momentum > 0, Adam or AdamW.
        base_momentum, max_momentum: momentum bounds, in (0, 1).
        verbose: 0 (silent) or 1.
        plateau: optional `kerasclr.Plateau`: scale the rate down when a
            monitored value stops improving.

    Training past ``total_steps`` raises an error at the start of the epoch
    that would run past it (PyTorch raises at that step); the history is
    kept.

    Attributes:
        history: one row per batch: iteration, epoch, lr, base_lr (the final
            rate), max_lr, and momentum when cycled.
        history_epoch: one row per epoch: the logs, then epoch, base_lr,
            max_lr, lr (of the next batch) and momentum.

    Example:
        >>> cb = kerasclr.OneCycle(max_lr=0.05, epochs=10)  # steps from fit()
        >>> model.compile(keras.optimizers.SGD(0.01, momentum=0.9), "mse")
        >>> model.fit(x, y, batch_size=32, epochs=10, callbacks=[cb])
        >>> kerasclr.plot_lr_history(cb, granularity="iteration")
    """

    policy_name = "OneCycle"
    r_function = "new_callback_one_cycle"
    TOTAL_STEPS_MINIMUM = 2  # total_steps may come from fit(): kept in the state

    def __init__(self, max_lr, total_steps=None, epochs=None,
                 steps_per_epoch=None, pct_start=0.3, anneal_strategy="cos",
                 div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 verbose=0, plateau=None):
        self.max_lr = check_rate("max_lr", max_lr, positive=True)
        total_steps = check_optional(check_count, "total_steps", total_steps, minimum=2)
        self.epochs = check_optional(check_count, "epochs", epochs, minimum=1)
        self.steps_per_epoch = check_optional(check_count, "steps_per_epoch",
                                              steps_per_epoch, minimum=1)
        if total_steps is None and self.epochs is None:
            raise KerasclrError(
                "Give `total_steps`, or `epochs` (and optionally `steps_per_epoch`), "
                "to define the length of the cycle.")
        if total_steps is not None and (self.epochs is not None or
                                        self.steps_per_epoch is not None):
            raise KerasclrError(
                "Give either `total_steps` or `epochs`/`steps_per_epoch`, not both.")
        self.pct_start = check_number("pct_start", pct_start, minimum=0.0, maximum=1.0,
                                      min_inclusive=False, max_inclusive=False)
        self.anneal_strategy = check_choice("anneal_strategy", anneal_strategy,
                                            ANNEAL_STRATEGIES)
        self.div_factor = check_number("div_factor", div_factor, minimum=0.0,
                                       min_inclusive=False)
        self.final_div_factor = check_number("final_div_factor", final_div_factor,
                                             minimum=0.0, min_inclusive=False)
        self.three_phase = check_bool("three_phase", three_phase)
        self.base_momentum, self.max_momentum = check_momentum_bounds(base_momentum,
                                                                      max_momentum)
        self.total_steps = None
        self._total_steps_argument = total_steps
        if total_steps is None and self.steps_per_epoch is not None:
            total_steps = self.epochs * self.steps_per_epoch
        if total_steps is not None:
            self._set_total_steps(total_steps)
        super().__init__(verbose=verbose,
                         cycle_momentum=check_bool("cycle_momentum", cycle_momentum),
                         plateau=plateau)

    @property
    def initial_lr(self):
        return self.max_lr / self.div_factor

    @property
    def min_lr(self):
        return self.initial_lr / self.final_div_factor

    def _phase_ends(self, total_steps):
        ends = [float(self.pct_start * total_steps) - 1.0]
        if self.three_phase:
            ends.append(float(2 * self.pct_start * total_steps) - 2.0)
        return ends + [float(total_steps) - 1.0]

    def _set_total_steps(self, total_steps):
        ends = self._phase_ends(total_steps)
        for start, end in zip([0.0] + ends[:-1], ends):
            if not end > start:
                raise KerasclrError(
                    f"`pct_start` = {self.pct_start!r} with `total_steps` = {total_steps} "
                    f"gives a phase ending at step {end:g} that starts at step "
                    f"{start:g}: every phase needs at least one step. Use more steps or "
                    "a pct_start further from 0"
                    + (" and 0.5 (three_phase)." if self.three_phase else " and 1."))
        self.total_steps = total_steps

    def resolve(self, params):
        self._warn_if_epoch_length_differs(
            self.steps_per_epoch, f"the cycle ({self.total_steps} steps)")
        if self.total_steps is None:
            steps = params.get("steps")
            if steps is None:
                raise KerasclrError(
                    "OneCycle: `fit()` does not know the number of batches per epoch; "
                    "give `steps_per_epoch` or `total_steps`.",
                    "new_callback_one_cycle(): fit() does not know the number of "
                    "batches per epoch; give `steps_per_epoch` or `total_steps`.")
            self._set_total_steps(self.epochs * int(steps))

    def on_epoch_begin(self, epoch, logs=None):
        self._guarded(self._check_epoch_within_cycle)
        super().on_epoch_begin(epoch, logs)

    def _check_epoch_within_cycle(self):
        """Refuse an epoch that would run past ``total_steps``."""
        steps = self.params.get("steps") if self.params else None
        start = self.next_iteration
        if steps is not None and start + int(steps) > self.total_steps:
            raise KerasclrError(
                f"OneCycle: this epoch would run training iterations {start} to "
                f"{start + int(steps) - 1}, past the end of the cycle (total_steps = "
                f"{self.total_steps}). Create the callback with more steps, or train "
                "fewer epochs.",
                f"new_callback_one_cycle(): this epoch would run training iterations "
                f"{start} to {start + int(steps) - 1}, past the end of the cycle "
                f"(total_steps = {self.total_steps}). Create the callback with more "
                "steps, or train fewer epochs.")

    def _points(self, what):
        if what == "lr":
            return ([self.initial_lr, self.max_lr, self.initial_lr, self.min_lr]
                    if self.three_phase else [self.initial_lr, self.max_lr, self.min_lr])
        return ([self.max_momentum, self.base_momentum, self.max_momentum,
                 self.max_momentum] if self.three_phase
                else [self.max_momentum, self.base_momentum, self.max_momentum])

    def values(self, iterations, what):
        """float64 lr (``what="lr"``) or momentum at training ``iterations``."""
        if self.total_steps is None:
            raise KerasclrError(
                "OneCycle: the cycle length is set when training starts "
                "(`steps_per_epoch` is taken from fit()).",
                "new_callback_one_cycle(): the cycle length is set when training "
                "starts (`steps_per_epoch` is taken from fit()).")
        # Past the end (epochs of unknown length): hold the final value.
        steps = np.minimum(np.asarray(iterations, dtype=np.float64), self.total_steps - 1)
        ends = self._phase_ends(self.total_steps)
        points = self._points(what)
        out = np.empty(steps.shape, dtype=np.float64)
        # the phase of a step: the first whose end is >= step (the last otherwise)
        phase = np.searchsorted(np.asarray(ends[:-1]), steps, side="left")
        for k, (start, end) in enumerate(zip([0.0] + ends[:-1], ends)):
            mask = phase == k
            if mask.any():
                fraction = (steps[mask] - start) / (end - start)
                out[mask] = anneal(points[k], points[k + 1], fraction,
                                   self.anneal_strategy)
        return out

    def schedule(self, positions, settings):
        return self.scaled(self.values(positions.iteration, "lr"), settings)

    def momentum_schedule(self, positions, settings):
        return self.values(positions.iteration, "momentum")

    def bounds(self, positions, settings):
        return tuple(float(v) for v in self.scaled(np.array([self.min_lr, self.max_lr]),
                                                   settings))

    def get_config(self):
        return {
            "max_lr": self.max_lr, "total_steps": self._total_steps_argument,
            "epochs": self.epochs, "steps_per_epoch": self.steps_per_epoch,
            "pct_start": self.pct_start, "anneal_strategy": self.anneal_strategy,
            "div_factor": self.div_factor, "final_div_factor": self.final_div_factor,
            "three_phase": self.three_phase, "cycle_momentum": self.cycle_momentum,
            "base_momentum": self.base_momentum, "max_momentum": self.max_momentum,
            "verbose": self.verbose, **self.plateau_config(),
        }

    def _learned_total_steps(self):
        return self.total_steps


def one_cycle_schedule(iterations, max_lr, total_steps, pct_start=0.3,
                       anneal_strategy="cos", div_factor=25.0,
                       final_div_factor=1e4, three_phase=False,
                       base_momentum=0.85, max_momentum=0.95, what="lr",
                       dtype="float32"):
    """Preview a one-cycle schedule (learning rate or momentum) without training.

    Args:
        iterations: training iterations (0, 1, ..., total_steps - 1): a
            range, list or 1-d array of whole numbers.
        max_lr, total_steps, pct_start, anneal_strategy, div_factor,
            final_div_factor, three_phase, base_momentum, max_momentum: as in
            `OneCycle`.
        what: "lr" (default) or "momentum".
        dtype: "float32" (default: values as the optimizer applies them) or
            "float64" (the unrounded formula).

    Returns:
        A float64 numpy array, one value per iteration.

    Example:
        >>> one_cycle_schedule(range(100), max_lr=0.1, total_steps=100)[:3]
    """
    if total_steps is None:
        raise ArgumentError("total_steps", "a number", None, r_expected="a single number")
    policy = OneCycle(max_lr, total_steps, pct_start=pct_start,
                      anneal_strategy=anneal_strategy, div_factor=div_factor,
                      final_div_factor=final_div_factor, three_phase=three_phase,
                      base_momentum=base_momentum, max_momentum=max_momentum)
    steps = check_iterations(iterations)
    if steps.size and steps.max() >= policy.total_steps:
        raise ArgumentError("iterations", f"< total_steps = {policy.total_steps}",
                            float(steps.max()), whole_value=False,
                            got=f"{steps.max():g} (the one-cycle schedule ends there)")
    return policy.preview(steps, what=what, dtype=dtype)


__all__ = ["OneCycle", "anneal", "one_cycle_schedule"]
