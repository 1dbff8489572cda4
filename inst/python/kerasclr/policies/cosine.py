"""Cosine decay with optional linear warm-up: Keras's `CosineDecay` numbers.

The values are those of ``keras.optimizers.schedules.CosineDecay(
initial_learning_rate, decay_steps, alpha, name, warmup_target,
warmup_steps)`` at each optimizer step, computed in float32 with Keras's
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

from kerasclr.arguments import check_count, check_iterations, check_number
from kerasclr.policies.base import PolicyCallback

_F = np.float32


def _check_cosine(initial_learning_rate, decay_steps, alpha, warmup_target,
                  warmup_steps):
    initial_learning_rate = check_number("initial_learning_rate",
                                         initial_learning_rate, minimum=0.0)
    decay_steps = check_number("decay_steps", decay_steps, minimum=0.0,
                               min_inclusive=False)
    alpha = check_number("alpha", alpha, minimum=0.0, maximum=1.0)
    if warmup_target is not None:
        warmup_target = check_number("warmup_target", warmup_target, minimum=0.0)
    warmup_steps = check_number("warmup_steps", warmup_steps, minimum=0.0)
    return initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps


def _cosine_decay_f32(steps, initial_learning_rate, decay_steps, alpha,
                      warmup_target, warmup_steps):
    """Keras's CosineDecay in float32, for an array of steps (float64 out)."""
    init = _F(initial_learning_rate)
    ds = _F(decay_steps)
    s = np.asarray(steps, dtype=np.float64).astype(_F)

    def decay(s, decay_from):
        fraction = s / ds
        cosine = _F(0.5) * (_F(1.0) + np.cos(_F(math.pi) * fraction))
        return decay_from * (_F(1 - alpha) * cosine + _F(alpha))

    with np.errstate(invalid="ignore", divide="ignore"):
        if warmup_target is None:
            out = decay(np.minimum(s, ds), init)
        else:
            target = _F(warmup_target)
            ws = _F(warmup_steps)
            s = np.minimum(s, ds + ws)
            warm = (target - init) * (s / ws) + init
            out = np.where(s < ws, warm, decay(s - ws, target))
    return np.asarray(out, dtype=_F).astype(np.float64)


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
    args = _check_cosine(initial_learning_rate, decay_steps, alpha,
                         warmup_target, warmup_steps)
    return _cosine_decay_f32(check_iterations(iterations), *args)


class CosineDecay(PolicyCallback):
    """Keras's cosine decay with linear warm-up, as a callback with history.

    Same arguments and numbers as
    ``keras.optimizers.schedules.CosineDecay``; the difference is the
    history (``history``, ``history_epoch``, `kerasclr.plot_lr_history`)
    and the saved state. The step is the callback's training iteration
    (the optimizer's step when the callback is used from the first fit).

    Args:
        initial_learning_rate: rate at step 0 (>= 0).
        decay_steps: steps to decay over (> 0).
        alpha: floor of the decay as a fraction of the peak, in [0, 1].
        name: kept for Keras compatibility (unused).
        warmup_target: rate at the end of the warm-up; None: no warm-up.
        warmup_steps: steps of the linear warm-up (>= 0).
        verbose: 0 (silent).

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

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0,
                 name="CosineDecay", warmup_target=None, warmup_steps=0,
                 verbose=0):
        (self.initial_learning_rate, self.decay_steps, self.alpha,
         self.warmup_target, self.warmup_steps) = _check_cosine(
            initial_learning_rate, decay_steps, alpha, warmup_target,
            warmup_steps)
        if not isinstance(name, str):
            raise TypeError(f"`name` must be a string, got {name!r}.")
        self.name = name
        super().__init__(verbose=check_count("verbose", verbose))
        self.step = 0

    def _args(self):
        return (self.initial_learning_rate, self.decay_steps, self.alpha,
                self.warmup_target, self.warmup_steps)

    def _next_rates(self, n):
        return _cosine_decay_f32(self.step + np.arange(n), *self._args())

    def _advance(self, n):
        self.step += n

    def _bounds(self):
        peak = (self.initial_learning_rate if self.warmup_target is None
                else self.warmup_target)
        floor = self.alpha * peak
        if self.warmup_target is not None and self.warmup_steps > 0:
            return (min(floor, self.initial_learning_rate),
                    max(peak, self.initial_learning_rate))
        return floor, peak

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha,
                "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps, "verbose": self.verbose}

    def _policy_state(self):
        return {"step": self.step}

    def _set_policy_state(self, state):
        self.step = int(state["step"])
