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
)
from kerasclr.policies.base import PolicyCallback, rounded

ANNEAL_STRATEGIES = ("cos", "linear")


def _anneal(start, end, pct, strategy):
    if strategy == "cos":
        return end + (start - end) / 2.0 * (np.cos(math.pi * pct) + 1.0)
    return (end - start) * pct + start


def _check_one_cycle(max_lr, total_steps, pct_start, anneal_strategy, div_factor,
                     final_div_factor, three_phase, base_momentum, max_momentum):
    max_lr = check_number("max_lr", max_lr, minimum=0.0, min_inclusive=False)
    total_steps = check_count("total_steps", total_steps, minimum=2)
    pct_start = check_number("pct_start", pct_start, minimum=0.0, maximum=1.0,
                             min_inclusive=False, max_inclusive=False)
    check_choice("anneal_strategy", anneal_strategy, ANNEAL_STRATEGIES)
    div_factor = check_number("div_factor", div_factor, minimum=0.0,
                              min_inclusive=False)
    final_div_factor = check_number("final_div_factor", final_div_factor,
                                    minimum=0.0, min_inclusive=False)
    three_phase = check_bool("three_phase", three_phase)
    base_momentum, max_momentum = check_momentum_bounds(base_momentum, max_momentum)
    ends = _phase_ends(total_steps, pct_start, three_phase)
    starts = [0.0] + ends[:-1]
    for start, end in zip(starts, ends):
        if not end > start:
            raise ValueError(
                f"`pct_start` = {pct_start!r} with `total_steps` = {total_steps} "
                f"gives a phase ending at step {end:g} that starts at step "
                f"{start:g}: every phase needs at least one step. Use more "
                "steps or a pct_start further from 0"
                + (" and 0.5 (three_phase)." if three_phase else " and 1.")
            )
    return (max_lr, total_steps, pct_start, anneal_strategy, div_factor,
            final_div_factor, three_phase, base_momentum, max_momentum)


def _phase_ends(total_steps, pct_start, three_phase):
    if three_phase:
        return [float(pct_start * total_steps) - 1.0,
                float(2 * pct_start * total_steps) - 2.0,
                float(total_steps) - 1.0]
    return [float(pct_start * total_steps) - 1.0, float(total_steps) - 1.0]


def _one_cycle_values(steps, what, max_lr, total_steps, pct_start,
                      anneal_strategy, div_factor, final_div_factor,
                      three_phase, base_momentum, max_momentum):
    """float64 lr (what="lr") or momentum of the given steps (no checks)."""
    initial_lr = max_lr / div_factor
    min_lr = initial_lr / final_div_factor
    if what == "lr":
        points = ([initial_lr, max_lr, initial_lr, min_lr] if three_phase
                  else [initial_lr, max_lr, min_lr])
    else:
        points = ([max_momentum, base_momentum, max_momentum, max_momentum]
                  if three_phase else [max_momentum, base_momentum, max_momentum])
    ends = _phase_ends(total_steps, pct_start, three_phase)
    steps = np.asarray(steps, dtype=np.float64)
    out = np.empty(steps.shape, dtype=np.float64)
    # phase of each step: the first whose end is >= step (the last otherwise)
    phase = np.searchsorted(np.asarray(ends[:-1]), steps, side="left")
    starts = [0.0] + ends[:-1]
    for k, (start, end) in enumerate(zip(starts, ends)):
        mask = phase == k
        if mask.any():
            pct = (steps[mask] - start) / (end - start)
            out[mask] = _anneal(points[k], points[k + 1], pct, anneal_strategy)
    return out


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
    args = _check_one_cycle(max_lr, total_steps, pct_start, anneal_strategy,
                            div_factor, final_div_factor, three_phase,
                            base_momentum, max_momentum)
    check_choice("what", what, ("lr", "momentum"))
    check_choice("dtype", dtype, ("float32", "float64"))
    steps = check_iterations(iterations)
    if steps.size and steps.max() >= args[1]:
        raise ValueError(
            f"`iterations` must be < total_steps = {args[1]}, got "
            f"{steps.max():g} (the one-cycle schedule ends there)."
        )
    return rounded(_one_cycle_values(steps, what, *args), dtype)


class OneCycle(PolicyCallback):
    """One-cycle learning rate with opposite momentum cycling, as a callback.

    The same numbers as ``torch.optim.lr_scheduler.OneCycleLR``. The rate of
    every step is looked up in the compiled train step from a table the
    callback fills once per epoch; so is the momentum (SGD/RMSprop
    ``momentum``, Adam/AdamW ``beta_1``), from a second table.

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
            annealing (fast.ai's schedule has two phases; this is PyTorch's
            three-phase variant).
        cycle_momentum: cycle the optimizer's momentum between
            ``max_momentum`` and ``base_momentum`` (default True, as in
            PyTorch). Needs SGD or RMSprop with momentum > 0, Adam or AdamW.
        base_momentum, max_momentum: momentum bounds, in (0, 1).
        verbose: 0 (silent) or 1.

    Training past ``total_steps`` raises a ValueError at the start of the
    epoch that would run past it (PyTorch raises at that step); the history
    is kept.

    Attributes:
        history: one row per batch: iteration, epoch, lr, base_lr (the final
            rate), max_lr, and momentum when cycled.
        history_epoch: one row per epoch: the logs, then epoch, base_lr,
            max_lr, lr (of the next batch) and momentum.

    Example:
        >>> cb = kerasclr.OneCycle(max_lr=0.05, epochs=10, steps_per_epoch=32)
        >>> model.compile(keras.optimizers.SGD(0.01, momentum=0.9), "mse")
        >>> model.fit(x, y, batch_size=32, epochs=10, callbacks=[cb])
        >>> kerasclr.plot_lr_history(cb, granularity="iteration")
    """

    policy_name = "OneCycle"

    def __init__(self, max_lr, total_steps=None, epochs=None,
                 steps_per_epoch=None, pct_start=0.3, anneal_strategy="cos",
                 div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 verbose=0):
        if total_steps is None:
            if epochs is None:
                raise ValueError(
                    "Give `total_steps`, or `epochs` (and optionally "
                    "`steps_per_epoch`), to define the length of the cycle."
                )
            epochs = check_count("epochs", epochs, minimum=1)
            if steps_per_epoch is not None:
                steps_per_epoch = check_count("steps_per_epoch", steps_per_epoch,
                                              minimum=1)
                total_steps = epochs * steps_per_epoch
        elif epochs is not None or steps_per_epoch is not None:
            raise ValueError(
                "Give either `total_steps` or `epochs`/`steps_per_epoch`, not both."
            )
        self.epochs, self.steps_per_epoch = epochs, steps_per_epoch
        self._args = None
        self._raw = (max_lr, pct_start, anneal_strategy, div_factor,
                     final_div_factor, three_phase, base_momentum, max_momentum)
        # Validate now, with a stand-in length when it is only known at fit().
        self._resolve(total_steps if total_steps is not None else 10 ** 9,
                      final=total_steps is not None)
        super().__init__(verbose=check_count("verbose", verbose),
                         cycle_momentum=check_bool("cycle_momentum", cycle_momentum))
        self.step = 0

    def _resolve(self, total_steps, final=True):
        (max_lr, pct_start, anneal_strategy, div_factor, final_div_factor,
         three_phase, base_momentum, max_momentum) = self._raw
        args = _check_one_cycle(max_lr, total_steps, pct_start, anneal_strategy,
                                div_factor, final_div_factor, three_phase,
                                base_momentum, max_momentum)
        (self.max_lr, _, self.pct_start, self.anneal_strategy, self.div_factor,
         self.final_div_factor, self.three_phase, self.base_momentum,
         self.max_momentum) = args
        if final:
            self.total_steps = args[1]
            self._args = args
        else:
            self.total_steps = None

    @property
    def initial_lr(self):
        return self.max_lr / self.div_factor

    @property
    def min_lr(self):
        return self.initial_lr / self.final_div_factor

    # -- engine interface ------------------------------------------------------
    def on_train_begin(self, logs=None):
        if self._args is None:
            steps = self.params.get("steps") if self.params else None
            if steps is None:
                raise ValueError(
                    "OneCycle: `fit()` does not know the number of batches per "
                    "epoch; give `steps_per_epoch` or `total_steps`."
                )
            self.steps_per_epoch = int(steps)
            self._resolve(self.epochs * self.steps_per_epoch)
        super().on_train_begin(logs)

    def on_epoch_begin(self, epoch, logs=None):
        steps = self.params.get("steps") if self.params else None
        if steps is not None and self.step + int(steps) > self.total_steps:
            raise ValueError(
                f"OneCycle: this epoch would run training iterations {self.step} "
                f"to {self.step + int(steps) - 1}, past the end of the cycle "
                f"(total_steps = {self.total_steps}). Create the callback with "
                "more steps, or train fewer epochs."
            )
        super().on_epoch_begin(epoch, logs)

    def _steps(self, n):
        # Past the end (epochs of unknown length): hold the final value.
        return np.minimum(self.step + np.arange(n, dtype=np.float64),
                          self._total_for_values() - 1)

    def _total_for_values(self):
        return self.total_steps if self.total_steps is not None else 10 ** 9

    def _values(self, n, what):
        args = self._args
        if args is None:  # not resolved yet: preview with the stand-in length
            raise ValueError(
                "OneCycle: the cycle length is set when training starts "
                "(`steps_per_epoch` is taken from fit())."
            )
        return _one_cycle_values(self._steps(n), what, *args)

    def _next_rates(self, n):
        return self._values(n, "lr")

    def _next_momenta(self, n):
        return self._values(n, "momentum")

    def _advance(self, n):
        self.step += n

    def _bounds(self):
        return self.min_lr, self.max_lr

    # -- config and state ------------------------------------------------------
    def get_config(self):
        return {
            "max_lr": self.max_lr, "total_steps": self.total_steps,
            "epochs": self.epochs, "steps_per_epoch": self.steps_per_epoch,
            "pct_start": self.pct_start, "anneal_strategy": self.anneal_strategy,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
            "three_phase": self.three_phase,
            "cycle_momentum": self.cycle_momentum,
            "base_momentum": self.base_momentum,
            "max_momentum": self.max_momentum, "verbose": self.verbose,
        }

    def _policy_state(self):
        return {"step": self.step}

    def _set_policy_state(self, state):
        self.step = int(state["step"])

    def set_state(self, state):
        config = state.get("config", {}) if isinstance(state, dict) else {}
        if self._args is None and config.get("total_steps") is not None:
            self.steps_per_epoch = config.get("steps_per_epoch")
            self._resolve(int(config["total_steps"]))
        super().set_state(state)
