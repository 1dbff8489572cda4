"""Warm-up, stable, decay (WSD): the schedule of long pre-training runs.

Over ``total_steps`` training iterations: a linear warm-up from
``initial_lr`` to ``max_lr`` in ``W`` steps, ``max_lr`` until the decay, and
a decay to ``final_lr`` over the last ``D`` steps::

    s < W:              lr = initial_lr + (max_lr - initial_lr) * s / W
    W <= s < T - D:     lr = max_lr
    s >= T - D:         lr = final_lr + (max_lr - final_lr) * shape(t),
                        t = min((s - (T - D)) / D, 1)

with ``shape(t)`` = ``1 - t`` ("linear"), ``(1 + cos(pi t)) / 2`` ("cosine")
or ``1 - sqrt(t)`` ("1-sqrt", Hägele et al., arXiv:2405.18392). ``W`` and
``D`` are given in steps or as fractions of ``T``; ``T`` is inferred from
``fit()`` (epochs times batches per epoch) when not given.
"""

from __future__ import annotations

import math

import numpy as np

from kerasclr.arguments import (
    check_choice,
    check_count,
    check_number,
    check_optional,
    check_rate,
)
from kerasclr.engine import PolicyCallback
from kerasclr.errors import KerasclrError

DECAY_SHAPES = ("linear", "cosine", "1-sqrt")


class WSD(PolicyCallback):
    """Warm-up, stable, decay learning rate as a Keras callback.

    Args:
        max_lr: the stable rate (> 0).
        total_steps: training iterations of the whole schedule; None (default)
            infers ``epochs * steps_per_epoch`` from ``fit()``.
        warmup_steps: steps of the warm-up; None uses ``warmup_fraction``.
        warmup_fraction: the warm-up as a fraction of ``total_steps``, in [0, 1).
        decay_steps: steps of the decay; None uses ``decay_fraction``.
        decay_fraction: the decay as a fraction of ``total_steps``, in [0, 1].
        decay_shape: "linear" (default), "cosine" or "1-sqrt".
        initial_lr: rate of the first warm-up step (>= 0).
        final_lr: rate at the end of the decay (>= 0).
        verbose: 0 (silent) or 1.
        plateau: optional `kerasclr.Plateau`.

    Example:
        >>> wsd = kerasclr.WSD(max_lr=3e-3, warmup_fraction=0.05, decay_fraction=0.2,
        ...                    decay_shape="1-sqrt")
        >>> model.fit(x, y, epochs=20, callbacks=[wsd])   # total from fit()
    """

    policy_name = "WSD"
    r_function = "new_callback_wsd"
    TOTAL_STEPS_MINIMUM = 1  # total_steps may come from fit(): kept in the state

    def __init__(self, max_lr, total_steps=None, warmup_steps=None, warmup_fraction=0.0,
                 decay_steps=None, decay_fraction=0.2, decay_shape="linear",
                 initial_lr=0.0, final_lr=0.0, verbose=0, plateau=None):
        self.max_lr = check_rate("max_lr", max_lr, positive=True)
        self.total_steps = check_optional(check_count, "total_steps", total_steps,
                                          minimum=1)
        self.warmup_steps = check_optional(check_count, "warmup_steps", warmup_steps)
        self.warmup_fraction = check_number("warmup_fraction", warmup_fraction,
                                            minimum=0.0, maximum=1.0, max_inclusive=False)
        self.decay_steps = check_optional(check_count, "decay_steps", decay_steps)
        self.decay_fraction = check_number("decay_fraction", decay_fraction, minimum=0.0,
                                           maximum=1.0)
        self.decay_shape = check_choice("decay_shape", decay_shape, DECAY_SHAPES)
        for steps, fraction, default in (("warmup_steps", "warmup_fraction", 0.0),
                                         ("decay_steps", "decay_fraction", 0.2)):
            if getattr(self, steps) is not None and getattr(self, fraction) != default:
                raise KerasclrError(
                    f"WSD: give `{steps}` or `{fraction}`, not both.",
                    f"new_callback_wsd(): give `{steps}` or `{fraction}`, not both.")
        fractions = (0.0 if self.warmup_steps is not None else self.warmup_fraction) + (
            0.0 if self.decay_steps is not None else self.decay_fraction)
        if fractions > 1.0:
            raise KerasclrError(
                f"WSD: `warmup_fraction` and `decay_fraction` add up to {fractions:g}, "
                "more than the whole schedule (1).",
                f"new_callback_wsd(): `warmup_fraction` and `decay_fraction` add up to "
                f"{fractions:g}, more than the whole schedule (1).")
        self.initial_lr = check_rate("initial_lr", initial_lr)
        self.final_lr = check_rate("final_lr", final_lr)
        super().__init__(verbose=verbose, plateau=plateau)
        self._total = None
        if self.total_steps is not None:
            self._set_total_steps(self.total_steps)

    def _set_total_steps(self, total):
        warmup = (self.warmup_steps if self.warmup_steps is not None
                  else int(round(self.warmup_fraction * total)))
        decay = (self.decay_steps if self.decay_steps is not None
                 else int(round(self.decay_fraction * total)))
        if warmup + decay > total:
            raise KerasclrError(
                f"WSD: the warm-up ({warmup} steps) and the decay ({decay} steps) are "
                f"longer than the whole schedule ({total} steps).",
                f"new_callback_wsd(): the warm-up ({warmup} steps) and the decay "
                f"({decay} steps) are longer than the whole schedule ({total} steps).")
        self._total, self._warmup, self._decay = total, warmup, decay

    def resolve(self, params):
        if self.total_steps is not None or self._total is not None:
            return
        total = params.get("total_steps")
        if total is None:
            steps, epochs = params.get("steps"), params.get("epochs")
            if steps is None or epochs is None:
                raise KerasclrError(
                    "WSD: `total_steps` is not given and fit() does not know the number "
                    "of batches per epoch (a generator or dataset without a length): give "
                    "`total_steps`, or `steps_per_epoch` to fit().",
                    "new_callback_wsd(): `total_steps` is not given and fit() does not "
                    "know the number of batches per epoch (a generator or dataset without "
                    "a length): give `total_steps`, or `steps_per_epoch` to fit().")
            total = int(steps) * int(epochs)
        self._set_total_steps(int(total))

    @property
    def phases(self):
        """(warm-up steps, decay steps, total steps), once known."""
        return None if self._total is None else (self._warmup, self._decay, self._total)

    def schedule(self, positions, settings):
        if self._total is None:
            raise KerasclrError(
                "WSD: the total number of steps is set when training starts (from fit()).",
                "new_callback_wsd(): the total number of steps is set when training "
                "starts (from fit()).")
        s = positions.iteration.astype(np.float64)
        warmup, decay, total = self._warmup, self._decay, self._total
        rates = np.full(s.shape, self.max_lr)
        if warmup:
            rising = s < warmup
            rates[rising] = self.initial_lr + (self.max_lr - self.initial_lr) * (
                s[rising] / warmup)
        start = total - decay
        falling = s >= start
        if falling.any():
            t = np.minimum((s[falling] - start) / decay, 1.0) if decay else np.ones(
                int(falling.sum()))
            shape = {"linear": lambda t: 1.0 - t,
                     "cosine": lambda t: 0.5 * (1.0 + np.cos(math.pi * t)),
                     "1-sqrt": lambda t: 1.0 - np.sqrt(t)}[self.decay_shape]
            rates[falling] = self.final_lr + (self.max_lr - self.final_lr) * shape(t)
        return self.scaled(rates, settings)

    def bounds(self, positions, settings):
        low = min(self.initial_lr, self.final_lr)
        return tuple(self.scaled(np.array([low, self.max_lr]), settings))

    def get_config(self):
        return {"max_lr": self.max_lr, "total_steps": self.total_steps,
                "warmup_steps": self.warmup_steps, "warmup_fraction": self.warmup_fraction,
                "decay_steps": self.decay_steps, "decay_fraction": self.decay_fraction,
                "decay_shape": self.decay_shape, "initial_lr": self.initial_lr,
                "final_lr": self.final_lr, "verbose": self.verbose,
                **self.plateau_config()}

    def _learned_total_steps(self):
        return self._total


def wsd_schedule(iterations, max_lr, total_steps, warmup_steps=None, warmup_fraction=0.0,
                 decay_steps=None, decay_fraction=0.2, decay_shape="linear", initial_lr=0.0,
                 final_lr=0.0, dtype="float32"):
    """Preview a WSD schedule (see `WSD`) at training ``iterations``.

    Example:
        >>> wsd_schedule(range(100), 0.01, total_steps=100, warmup_steps=10,
        ...              decay_shape="1-sqrt")
    """
    policy = WSD(max_lr, total_steps, warmup_steps, warmup_fraction, decay_steps,
                 decay_fraction, decay_shape, initial_lr, final_lr)
    return policy.preview(iterations, dtype=dtype)
