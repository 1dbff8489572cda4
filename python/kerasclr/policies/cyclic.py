"""Cyclical learning rates (Smith, arXiv:1506.01186) with a plateau-scaled band.

The policy of KerasMisc's ``new_callback_cyclical_learning_rate()`` and the
Python ``CyclicLR`` callback it extends. For a cycle iteration counter ``c``
(the training iteration minus the start of the current cycle)::

    cycle = floor(1 + c / (2 * step_size))
    x     = |c / step_size - 2 * cycle + 1|
    lr    = base_lr + (max_lr - base_lr) * max(0, 1 - x) * scale(...)

``scale`` is 1 ("triangular"), ``1 / 2^(cycle - 1)`` ("triangular2"),
``gamma^c`` ("exp_range") or a user's ``scale_fn`` of the cycle or of ``c``.
The band (``base_lr``, ``max_lr``) shrinks by ``factor`` under plateau
control (see `kerasclr.engine.plateau`); a shrink shows in ``lr`` from the
second batch after the epoch end, as in KerasMisc (the first batch's rate
was computed at the end of the previous batch). With ``cycle_momentum`` the
momentum moves against the rate, with PyTorch's CyclicLR formula::

    momentum = max_momentum - (max_momentum - base_momentum) * max(0, 1 - x) * scale
"""

from __future__ import annotations

import math

import numpy as np

from kerasclr.arguments import (
    check_bool,
    check_bounds,
    check_callable,
    check_choice,
    check_count,
    check_iterations,
    check_momentum_bounds,
    check_number,
)
from kerasclr.engine import Plateau, PolicyCallback
from kerasclr.errors import ArgumentError, r_describe, r_number

MODES = ("triangular", "triangular2", "exp_range")
SCALE_MODES = ("cycle", "iteration", "iterations")


class ClrScale:
    """The amplitude scaling of a CLR policy.

    Resolves ``mode``, ``gamma``, ``scale_fn`` and ``scale_mode`` into one
    object that knows what the scale is evaluated on (``on_cycle``) and how to
    evaluate it for many points at once.

    Args:
        mode: "triangular", "triangular2" or "exp_range". Ignored when a
            ``scale_fn`` is given.
        gamma: base of the exponential decay of "exp_range", in (0, 1].
        scale_fn: optional callable of one number returning a number in
            [0, 1]; called once when the policy is made (cycle 1, or
            iteration 0), so that a function that breaks this rule fails
            there. Numpy-vectorised callables are then called once per
            table; others are called element by element.
        scale_mode: "cycle" or "iteration" ("iterations" is accepted):
            what ``scale_fn`` is evaluated on.
    """

    def __init__(self, mode="triangular", gamma=1.0, scale_fn=None,
                 scale_mode="cycle"):
        check_choice("mode", mode, MODES)
        self.gamma = check_number("gamma", gamma, minimum=0.0, maximum=1.0,
                                  min_inclusive=False)
        check_choice("scale_mode", scale_mode, SCALE_MODES)
        check_callable("scale_fn", scale_fn)
        self.mode = mode
        self.scale_fn = scale_fn
        self.scale_mode = "iteration" if scale_mode == "iterations" else scale_mode
        if scale_fn is not None:
            self.on_cycle = self.scale_mode == "cycle"
            # a function that breaks its rule fails here, not in fit()
            self(np.array([1.0 if self.on_cycle else 0.0]))
        else:
            self.on_cycle = mode != "exp_range"

    @property
    def is_constant(self) -> bool:
        return self.scale_fn is None and self.mode == "triangular"

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """Scale values (float64) for an array of cycles or iterations."""
        if self.scale_fn is None:
            if self.mode == "triangular":
                return np.ones_like(points)
            if self.mode == "triangular2":
                # 1 / 2^(cycle - 1), exact: powers of two are representable;
                # computed once per cycle (few) and gathered.
                if not points.size:
                    return np.ones_like(points)
                first = int(points.min())
                cycles = points.astype(np.int64) - first
                return np.ldexp(1.0, 1 - first - np.arange(int(cycles.max()) + 1))[cycles]
            # gamma ** c as exp(c * log(gamma)): the same numbers to ~1e-15
            # relative (far below float32), at a fraction of the cost.
            if self.gamma == 1.0:
                return np.ones_like(points)
            return np.exp(points * math.log(self.gamma))
        if self.on_cycle:
            # Few distinct cycles: call the user's function once per cycle.
            # Cycles are whole numbers >= 1, so a dense range indexes them in
            # O(n) where np.unique would sort.
            first = int(points.min()) if points.size else 0
            last = int(points.max()) if points.size else -1
            if 0 < last - first + 1 <= points.size:
                cycles = np.arange(first, last + 1, dtype=np.float64)
                index = points.astype(np.int64) - first
                return _call_scale_fn(self.scale_fn, cycles, "cycle")[index]
            unique, inverse = np.unique(points, return_inverse=True)
            return _call_scale_fn(self.scale_fn, unique, "cycle")[inverse]
        return _call_scale_fn(self.scale_fn, points, "iteration")

    def get_config(self) -> dict:
        return {"mode": self.mode, "gamma": self.gamma,
                "scale_mode": self.scale_mode}


def _call_scale_fn(scale_fn, points: np.ndarray, point_name: str) -> np.ndarray:
    """Evaluate a user scale function on every point and check the result."""
    values = None
    if points.size > 1:
        try:
            candidate = np.asarray(scale_fn(points.copy()))
            if candidate.shape == points.shape and candidate.dtype.kind in "iuf":
                values = candidate.astype(np.float64)
        except Exception:  # not vectorised: fall back to one call per point
            values = None
    if values is None:
        values = np.empty(points.shape, dtype=np.float64)
        for i, point in enumerate(points.tolist()):
            result = scale_fn(point)
            value = np.asarray(result)
            if value.size != 1 or value.dtype.kind not in "iuf":
                raise ArgumentError("scale_fn", "one number", result, verb="return",
                                    whole_value=False,
                                    got=f"{result!r} for {point_name} {point:g}",
                                    r_got=f"{r_describe(result)} for {point_name} "
                                          f"{point:g}")
            values[i] = float(value.reshape(()))
    bad = np.flatnonzero(~((values >= 0.0) & (values <= 1.0)))
    if bad.size:
        i = bad[0]
        raise ArgumentError("scale_fn", "a number in [0, 1]", float(values[i]),
                            verb="return", whole_value=False,
                            got=f"{float(values[i])!r} for {point_name} {points[i]:g}",
                            r_got=f"{r_number(values[i])} for {point_name} "
                                  f"{points[i]:g}")
    return values


BLOCK = 1 << 16  # points per block: buffers stay in cache, no page faults


def cyclic_lr(counters, base_lr: float, max_lr: float, step_size: float,
              scale: ClrScale, rounding=None) -> np.ndarray:
    """The CLR formula (float64) for an array of cycle iteration counters.

    With ``rounding=np.float32`` each value is rounded as the optimizer
    applies it (the result stays float64).
    """
    c = np.asarray(counters, dtype=np.float64).reshape(-1)
    out = np.empty(c.size, dtype=np.float64)
    if scale.scale_fn is not None:
        # A user function is called once for the whole array (once per
        # distinct cycle in "cycle" mode), not once per block.
        _cyclic_lr_block(c, base_lr, max_lr, step_size, scale, out, rounding)
        return out
    for lo in range(0, c.size, BLOCK):
        hi = min(lo + BLOCK, c.size)
        _cyclic_lr_block(c[lo:hi], base_lr, max_lr, step_size, scale,
                         out[lo:hi], rounding)
    return out


def _cyclic_lr_block(c, base_lr, max_lr, step_size, scale, out, rounding):
    # The order of operations is the formula's, so results match it bit for
    # bit; in-place steps avoid temporaries.
    cycle = c / (2.0 * step_size)
    cycle += 1.0
    np.floor(cycle, out=cycle)
    amplitude = c / step_size
    amplitude -= 2.0 * cycle
    amplitude += 1.0
    np.abs(amplitude, out=amplitude)
    np.subtract(1.0, amplitude, out=amplitude)
    np.maximum(amplitude, 0.0, out=amplitude)
    if not scale.is_constant:
        amplitude *= scale(cycle if scale.on_cycle else c)
    amplitude *= max_lr - base_lr
    amplitude += base_lr
    if rounding is not None:
        amplitude = amplitude.astype(rounding)
    out[...] = amplitude




def clr_momentum(counters, base_momentum, max_momentum, step_size, scale):
    """float64 momenta for CLR cycle counters (PyTorch's CyclicLR formula)."""
    fraction = cyclic_lr(counters, 0.0, 1.0, step_size, scale)
    return max_momentum - (max_momentum - base_momentum) * fraction


def clr_schedule(iterations, base_lr=0.001, max_lr=0.006, step_size=2000,
                 mode="triangular", gamma=1.0, scale_fn=None,
                 scale_mode="cycle", dtype="float32"):
    """Preview a cyclical learning-rate schedule without training.

    Args:
        iterations: cycle iteration counters (0, 1, 2, ...): a range, list or
            1-d array of whole numbers.
        base_lr, max_lr, step_size, mode, gamma, scale_fn, scale_mode: as in
            `kerasclr.CyclicLR`.
        dtype: "float32" (default) returns the values exactly as the
            optimizer applies them, as float64 numbers; "float64" returns the
            unrounded formula.

    Returns:
        A float64 numpy array, one learning rate per iteration.

    Example:
        >>> kerasclr.clr_schedule(range(4), base_lr=0.001, max_lr=0.006,
        ...                       step_size=2, dtype="float64")
        array([0.001 , 0.0035, 0.006 , 0.0035])
    """
    base_lr, max_lr = check_bounds(base_lr, max_lr)
    step_size = check_number("step_size", step_size, minimum=1.0)
    check_choice("dtype", dtype, ("float32", "float64"))
    scale = ClrScale(mode=mode, gamma=gamma, scale_fn=scale_fn,
                     scale_mode=scale_mode)
    rounding = np.float32 if dtype == "float32" else None
    return cyclic_lr(check_iterations(iterations), base_lr, max_lr, step_size, scale,
                     rounding=rounding)


class CyclicLR(PolicyCallback):
    """Cyclical learning rate (Smith, arXiv:1506.01186) as a Keras callback.

    The learning rate cycles between ``base_lr`` and ``max_lr`` with a
    half-period of ``step_size`` training iterations. When the validation
    loss stops improving for more than ``patience`` epochs, the band is
    shrunk by ``factor`` (the KerasMisc extension), followed by ``cooldown``
    epochs without reduction.

    The rate is exact at every optimizer step: it is looked up from the
    optimizer's step counter inside the compiled train step, from a table the
    callback fills ahead on the host (also with ``steps_per_execution > 1``
    and ``jit_compile=True``). After ``fit()`` the optimizer is the plain
    optimizer the model was compiled with.

    Args:
        base_lr: lower bound of the cycle (>= 0).
        max_lr: upper bound of the cycle (>= base_lr).
        step_size: training iterations per half cycle (>= 1, need not be an
            integer).
        mode: "triangular", "triangular2" or "exp_range".
        gamma: for "exp_range", the scale is ``gamma ** iteration``; in (0, 1].
        scale_fn: optional callable of one number returning a number in
            [0, 1]; overrides ``mode``.
        scale_mode: "cycle" or "iteration"/"iterations": what ``scale_fn``
            is evaluated on.
        patience: epochs without improvement of ``monitor`` before the band
            shrinks; ``float("inf")`` (default) never shrinks it.
        factor: multiplier of the bounds at a reduction, in (0, 1].
        decrease_base_lr: whether ``base_lr`` shrinks too.
        cooldown: epochs to wait after a reduction before the next one.
        verbose: 0 = silent, 1 = a message at every reduction and cooldown.
        cycle_momentum: cycle the optimizer's momentum against the rate
            (PyTorch's CyclicLR formula; SGD/RMSprop `momentum` > 0,
            Adam/AdamW `beta_1`); off by default. Adds a `momentum`
            column to both histories.
        base_momentum, max_momentum: momentum at the top / bottom of the
            learning-rate cycle, in (0, 1).
        monitor: the logged value plateau control watches (``"val_loss"``).
        monitor_mode: ``"min"`` (lower is better) or ``"max"``.
        min_lr: the band never shrinks below this (>= 0).

    Attributes:
        history: pandas DataFrame, one row per training batch: iteration,
            epoch, lr, base_lr, max_lr.
        history_epoch: pandas DataFrame, one row per epoch: the logs, then
            epoch, not_improved_for_n_times, base_lr, max_lr, lr, in_cooldown.

    Example:
        >>> clr = kerasclr.CyclicLR(base_lr=0.001, max_lr=0.006, step_size=32,
        ...                         mode="exp_range", gamma=0.99)
        >>> model.fit(x, y, validation_data=(xv, yv), epochs=10, callbacks=[clr])
        >>> clr.history.head()
    """

    policy_name = "CyclicLR"
    r_function = "new_callback_cyclical_learning_rate"
    plateau_lag = 1  # the next batch's rate was computed before the epoch end

    def __init__(self, base_lr=0.001, max_lr=0.006, step_size=2000.0,
                 mode="triangular", gamma=1.0, scale_fn=None,
                 scale_mode="cycle", patience=float("inf"), factor=0.9,
                 decrease_base_lr=True, cooldown=2, verbose=1,
                 cycle_momentum=False, base_momentum=0.8, max_momentum=0.9,
                 monitor="val_loss", monitor_mode="min", min_lr=0.0):
        self._base_lr, self._max_lr = check_bounds(base_lr, max_lr)
        self._step_size = check_number("step_size", step_size, minimum=1.0)
        self.scale = ClrScale(mode=mode, gamma=gamma, scale_fn=scale_fn,
                              scale_mode=scale_mode)
        self.decrease_base_lr = check_bool("decrease_base_lr", decrease_base_lr)
        cycle_momentum = check_bool("cycle_momentum", cycle_momentum)
        self.base_momentum, self.max_momentum = check_momentum_bounds(
            base_momentum, max_momentum)
        # checked under its own name (Plateau calls it `mode`)
        monitor_mode = check_choice("monitor_mode", monitor_mode, Plateau.MODES)
        plateau = Plateau(monitor=monitor, mode=monitor_mode, patience=patience,
                          factor=factor, cooldown=cooldown, min_lr=min_lr)
        super().__init__(verbose=verbose, cycle_momentum=cycle_momentum,
                         plateau=plateau)

    # -- the arguments and the current band ------------------------------------
    mode = property(lambda self: self.scale.mode)
    gamma = property(lambda self: self.scale.gamma)
    scale_fn = property(lambda self: self.scale.scale_fn)
    scale_mode = property(lambda self: self.scale.scale_mode)
    patience = property(lambda self: self.plateau.patience)
    factor = property(lambda self: self.plateau.factor)
    cooldown = property(lambda self: self.plateau.cooldown)
    base_lr = property(lambda self: self._settings["base_lr"],
                       doc="The lower bound in effect now.")
    max_lr = property(lambda self: self._settings["max_lr"],
                      doc="The upper bound in effect now.")
    step_size = property(lambda self: self._settings["step_size"])
    best = property(lambda self: self.plateau.best)
    cooldown_counter = property(lambda self: self.plateau.cooldown_counter)

    @property
    def not_improved_for_n_times(self):
        return self.plateau.not_improved_for_n_times

    @not_improved_for_n_times.setter
    def not_improved_for_n_times(self, value):
        self.plateau.not_improved_for_n_times = check_count("not_improved_for_n_times",
                                                            value)

    @property
    def clr_iterations(self):
        """The cycle counter of the next batch."""
        return self.trn_iterations - self._settings["cycle_origin"]

    # -- the policy -------------------------------------------------------------
    def initial_settings(self):
        return {"base_lr": self._base_lr, "max_lr": self._max_lr,
                "step_size": self._step_size, "cycle_origin": 0}

    def schedule(self, positions, settings):
        return cyclic_lr(positions.iteration - settings["cycle_origin"],
                         settings["base_lr"], settings["max_lr"], settings["step_size"],
                         self.scale)

    def momentum_schedule(self, positions, settings):
        return clr_momentum(positions.iteration - settings["cycle_origin"],
                            self.base_momentum, self.max_momentum,
                            settings["step_size"], self.scale)

    def bounds(self, positions, settings):
        return settings["base_lr"], settings["max_lr"]

    def reduce(self, settings, plateau):
        """Shrink the band (KerasMisc's rule; never below ``min_lr``)."""
        factor, floor = plateau.factor, plateau.min_lr
        base_lr, max_lr = settings["base_lr"], settings["max_lr"]
        reduced = False
        if self.decrease_base_lr:
            base_lr = max(base_lr * factor, min(base_lr, floor))
            reduced = True
        if base_lr <= factor * max_lr:
            max_lr = max(max_lr * factor, min(max_lr, floor))
            reduced = True
        else:
            self._say(f"max_lr cannot go below base_lr; max_lr stays {max_lr:.6g}.")
        if not reduced:
            return None
        self._say(f"reducing the band to base_lr={base_lr:.6g}, max_lr={max_lr:.6g}.")
        return dict(settings, base_lr=base_lr, max_lr=max_lr)

    def check_settings(self, settings, problem):
        super().check_settings(settings, problem)
        if settings["max_lr"] < settings["base_lr"]:
            problem("settings.max_lr", f"is {settings['max_lr']!r}, below base_lr "
                    f"{settings['base_lr']!r}")
        if settings["step_size"] < 1:
            problem("settings.step_size", f"must be >= 1, got {settings['step_size']!r}")
        if not float(settings["cycle_origin"]).is_integer():
            problem("settings.cycle_origin", "must be a whole number, got "
                    f"{settings['cycle_origin']!r}")

    # -- reset -----------------------------------------------------------------
    def reset(self, new_base_lr=None, new_max_lr=None, new_step_size=None):
        """Restart the cycle, optionally with new bounds or step size.

        Sets the cycle counter and the not-improved counter to 0 and makes
        the next batch use the (new) ``base_lr``. The training iteration
        counter keeps counting. Allowed between and during ``fit()`` calls.
        """
        base_lr = self.base_lr if new_base_lr is None else new_base_lr
        max_lr = self.max_lr if new_max_lr is None else new_max_lr
        base_lr, max_lr = check_bounds(base_lr, max_lr, base_name="new_base_lr",
                                       max_name="new_max_lr")
        step_size = (self.step_size if new_step_size is None
                     else check_number("new_step_size", new_step_size, minimum=1.0))
        self.plateau.not_improved_for_n_times = 0
        self._change_settings_at_next_batch(lambda iteration: {
            "base_lr": base_lr, "max_lr": max_lr, "step_size": step_size,
            "cycle_origin": iteration})

    _reset = reset  # the name in the Python original

    # -- config ------------------------------------------------------------------
    def get_config(self):
        plateau = self.plateau.get_config()
        return {
            "base_lr": self._base_lr, "max_lr": self._max_lr,
            "step_size": self._step_size, "mode": self.mode, "gamma": self.gamma,
            "scale_fn": self.scale_fn, "scale_mode": self.scale_mode,
            "patience": plateau["patience"], "factor": plateau["factor"],
            "decrease_base_lr": self.decrease_base_lr, "cooldown": plateau["cooldown"],
            "verbose": self.verbose, "cycle_momentum": self.cycle_momentum,
            "base_momentum": self.base_momentum, "max_momentum": self.max_momentum,
            "monitor": plateau["monitor"], "monitor_mode": plateau["mode"],
            "min_lr": plateau["min_lr"],
        }

    def __repr__(self):
        return (f"<CyclicLR {self.mode} base_lr={self.base_lr:g} "
                f"max_lr={self.max_lr:g} step_size={self.step_size:g} "
                f"iterations={self.trn_iterations} epochs={self.epochs_done}>")
