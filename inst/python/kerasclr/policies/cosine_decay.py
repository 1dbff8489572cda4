"""Cosine decay with optional linear warm-up: Keras's `CosineDecay` numbers.

The values are those of ``keras.optimizers.schedules.CosineDecay(
initial_learning_rate, decay_steps, alpha, name, warmup_target,
warmup_steps)`` at each training iteration, computed in float32 with Keras's
order of operations::

    warm-up (step < warmup_steps, only if warmup_target is not None):
        lr = (warmup_target - initial_learning_rate) * step / warmup_steps
             + initial_learning_rate
    decay (s = min(step - warmup_steps, decay_steps)):
        lr = peak * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)

with ``peak = warmup_target`` (or ``initial_learning_rate`` without
warm-up). Keras itself evaluates this with each backend's float32 kernels;
the table agrees with it to within a couple of float32 ulps.
"""

from __future__ import annotations

import math

import numpy as np

from kerasclr.arguments import check_number, check_optional, check_rate, check_string
from kerasclr.engine import PolicyCallback

_F = np.float32


class CosineDecay(PolicyCallback):
    """Keras's cosine decay with linear warm-up, as a callback with history.

    Same arguments and numbers as
    ``keras.optimizers.schedules.CosineDecay``; the difference is the
    history (``history``, ``history_epoch``, `kerasclr.plot_lr_history`),
    the saved state and plateau control. The step is the callback's training
    iteration (the optimizer's step when the callback is used from the first
    fit).

    Args:
        initial_learning_rate: rate at step 0 (>= 0).
        decay_steps: steps to decay over (> 0).
        alpha: floor of the decay as a fraction of the peak, in [0, 1].
        name: kept for Keras compatibility (unused).
        warmup_target: rate at the end of the warm-up; None: no warm-up.
        warmup_steps: steps of the linear warm-up (>= 0).
        verbose: 0 (silent) or 1.
        plateau: optional `kerasclr.Plateau`: scale the rate down when a
            monitored value stops improving.

    Attributes:
        history: one row per batch: iteration, epoch, lr, base_lr (the
            decay floor), max_lr (the peak).
        history_epoch: one row per epoch: logs, epoch, base_lr, max_lr, lr.

    Example:
        >>> cb = kerasclr.CosineDecay(0.0, decay_steps=1000, alpha=0.01,
        ...                           warmup_target=0.1, warmup_steps=100)
        >>> model.fit(x, y, epochs=10, callbacks=[cb])
    """

    policy_name = "CosineDecay"
    r_function = "new_callback_cosine_decay"

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0,
                 name="CosineDecay", warmup_target=None, warmup_steps=0,
                 verbose=0, plateau=None):
        self.initial_learning_rate = check_rate("initial_learning_rate",
                                                initial_learning_rate)
        self.decay_steps = check_number("decay_steps", decay_steps, minimum=0.0,
                                        min_inclusive=False)
        self.alpha = check_number("alpha", alpha, minimum=0.0, maximum=1.0)
        self.name = check_string("name", name)
        self.warmup_target = check_optional(check_rate, "warmup_target", warmup_target)
        self.warmup_steps = check_number("warmup_steps", warmup_steps, minimum=0.0)
        super().__init__(verbose=verbose, plateau=plateau)

    def schedule(self, positions, settings):
        init = _F(self.initial_learning_rate)
        decay_steps = _F(self.decay_steps)
        s = positions.iteration.astype(_F)

        def decay(s, peak):
            cosine = _F(0.5) * (_F(1.0) + np.cos(_F(math.pi) * (s / decay_steps)))
            return peak * (_F(1 - self.alpha) * cosine + _F(self.alpha))

        with np.errstate(invalid="ignore", divide="ignore"):
            if self.warmup_target is None:
                out = decay(np.minimum(s, decay_steps), init)
            else:
                target = _F(self.warmup_target)
                warmup = _F(self.warmup_steps)
                s = np.minimum(s, decay_steps + warmup)
                warm = (target - init) * (s / warmup) + init
                out = np.where(s < warmup, warm, decay(s - warmup, target))
        return self.scaled(np.asarray(out, dtype=_F).astype(np.float64), settings)

    def bounds(self, positions, settings):
        peak = (self.initial_learning_rate if self.warmup_target is None
                else self.warmup_target)
        low, high = self.alpha * peak, peak
        if self.warmup_target is not None and self.warmup_steps > 0:
            low = min(low, self.initial_learning_rate)
            high = max(high, self.initial_learning_rate)
        return tuple(float(v) for v in self.scaled(np.array([low, high]), settings))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha,
                "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps, "verbose": self.verbose,
                **self.plateau_config()}


def cosine_decay_schedule(iterations, initial_learning_rate, decay_steps,
                          alpha=0.0, warmup_target=None, warmup_steps=0):
    """Preview Keras's CosineDecay (with optional warm-up) without training.

    Args:
        iterations: optimizer steps (0, 1, 2, ...): a range, list or 1-d
            array of whole numbers.
        initial_learning_rate, decay_steps, alpha, warmup_target,
            warmup_steps: as in ``keras.optimizers.schedules.CosineDecay``.

    Returns:
        A float64 numpy array of float32 values (what the optimizer applies).

    Example:
        >>> cosine_decay_schedule(range(5), 0.1, decay_steps=4)
    """
    policy = CosineDecay(initial_learning_rate, decay_steps, alpha=alpha,
                         warmup_target=warmup_target, warmup_steps=warmup_steps)
    return policy.preview(iterations)
