"""The cyclical learning-rate formula as a pure, vectorised function.

This module holds the only implementation of the CLR formula in the project.
The callback builds its per-step tables with it, `clr_schedule()` previews
with it, and the R package calls it through reticulate.

For a cycle iteration counter ``c``::

    cycle = floor(1 + c / (2 * step_size))
    x     = |c / step_size - 2 * cycle + 1|
    lr    = base_lr + (max_lr - base_lr) * max(0, 1 - x) * scale(...)

``scale`` is evaluated on ``cycle`` (scale mode "cycle") or on ``c`` (scale
mode "iteration").
"""

from __future__ import annotations

import math

import numpy as np

from kerasclr.arguments import (
    check_bounds,
    check_choice,
    check_iterations,
    check_number,
)

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
            [0, 1]. Numpy-vectorised callables are called once per table;
            others are called element by element.
        scale_mode: "cycle" or "iteration" ("iterations" is accepted):
            what ``scale_fn`` is evaluated on.
    """

    def __init__(self, mode="triangular", gamma=1.0, scale_fn=None,
                 scale_mode="cycle"):
        check_choice("mode", mode, MODES)
        self.gamma = check_number("gamma", gamma, minimum=0.0, maximum=1.0,
                                  min_inclusive=False)
        check_choice("scale_mode", scale_mode, SCALE_MODES)
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(
                f"`scale_fn` must be a callable or None, got {scale_fn!r}."
            )
        self.mode = mode
        self.scale_fn = scale_fn
        self.scale_mode = "iteration" if scale_mode == "iterations" else scale_mode
        if scale_fn is not None:
            self.on_cycle = self.scale_mode == "cycle"
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
                # 1 / 2^(cycle - 1), exact: powers of two are representable.
                return np.ldexp(1.0, (1.0 - points).astype(np.int64))
            return np.power(self.gamma, points)
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
            candidate = np.asarray(scale_fn(points.copy()), dtype=np.float64)
            if candidate.shape == points.shape:
                values = candidate
        except Exception:  # not vectorised: fall back to one call per point
            values = None
    if values is None:
        values = np.empty(points.shape, dtype=np.float64)
        for i, point in enumerate(points.tolist()):
            result = scale_fn(point)
            try:
                values[i] = float(np.asarray(result, dtype=np.float64).reshape(()))
            except (TypeError, ValueError):
                raise TypeError(
                    f"`scale_fn` must return one number, got {result!r} for "
                    f"{point_name} {point:g}."
                ) from None
    bad = np.flatnonzero(~((values >= 0.0) & (values <= 1.0)))
    if bad.size:
        i = bad[0]
        raise ValueError(
            f"`scale_fn` must return a number in [0, 1], got {float(values[i])!r} "
            f"for {point_name} {points[i]:g}."
        )
    return values


def check_step_size(step_size) -> float:
    return check_number("step_size", step_size, minimum=1.0)


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


def as_applied(lr: np.ndarray) -> np.ndarray:
    """The learning rates as the optimizer applies them (float32 rounding)."""
    return np.asarray(lr, dtype=np.float32).astype(np.float64)


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
    step_size = check_step_size(step_size)
    check_choice("dtype", dtype, ("float32", "float64"))
    scale = ClrScale(mode=mode, gamma=gamma, scale_fn=scale_fn,
                     scale_mode=scale_mode)
    rounding = np.float32 if dtype == "float32" else None
    return cyclic_lr(check_iterations(iterations), base_lr, max_lr, step_size, scale,
                     rounding=rounding)


def finite_or_none(value):
    """A float, or None for NaN (used for JSON-able state)."""
    return None if value is None or math.isnan(value) else float(value)
