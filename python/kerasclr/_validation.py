"""Argument checks shared by every public entry point.

Each helper returns the cleaned value or raises ``TypeError`` / ``ValueError``
with a message that names the argument and repeats the value received.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_number(name, value, *, minimum=None, maximum=None, min_inclusive=True,
                 max_inclusive=True, allow_inf=False):
    """A real number (not bool), finite unless ``allow_inf``, inside the bounds."""
    if not _is_number(value):
        raise TypeError(f"`{name}` must be a number, got {value!r}.")
    value = float(value)
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise ValueError(f"`{name}` must be a finite number, got {value!r}.")
    if minimum is not None:
        too_small = value < minimum if min_inclusive else value <= minimum
        if too_small:
            op = ">=" if min_inclusive else ">"
            raise ValueError(f"`{name}` must be {op} {minimum:g}, got {value!r}.")
    if maximum is not None:
        too_big = value > maximum if max_inclusive else value >= maximum
        if too_big:
            op = "<=" if max_inclusive else "<"
            raise ValueError(f"`{name}` must be {op} {maximum:g}, got {value!r}.")
    return value


def check_count(name, value, *, minimum=0, allow_inf=False):
    """A whole number >= ``minimum`` (integer-valued floats accepted)."""
    value = check_number(name, value, minimum=minimum, allow_inf=allow_inf)
    if math.isinf(value):
        return value
    if value != int(value):
        raise ValueError(f"`{name}` must be a whole number, got {value!r}.")
    return int(value)


def check_bool(name, value):
    if not isinstance(value, bool):
        # numpy.bool_ and R logicals arrive as bool-like objects.
        if type(value).__name__ in ("bool_", "bool"):
            return bool(value)
        raise TypeError(f"`{name}` must be True or False, got {value!r}.")
    return value


def check_choice(name, value, choices):
    if not isinstance(value, str) or value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{name}` must be one of {allowed}, got {value!r}.")
    return value


def check_bounds(base_lr, max_lr, *, base_name="base_lr", max_name="max_lr"):
    base_lr = check_number(base_name, base_lr, minimum=0.0)
    max_lr = check_number(max_name, max_lr, minimum=0.0)
    if base_lr > max_lr:
        raise ValueError(
            f"`{max_name}` must be >= `{base_name}`, got {base_name}={base_lr!r} "
            f"and {max_name}={max_lr!r}."
        )
    return base_lr, max_lr



def check_momentum_bounds(base_momentum, max_momentum):
    """Two momenta in (0, 1) with ``base_momentum <= max_momentum``."""
    base_momentum = check_number("base_momentum", base_momentum, minimum=0.0,
                                 maximum=1.0, min_inclusive=False,
                                 max_inclusive=False)
    max_momentum = check_number("max_momentum", max_momentum, minimum=0.0,
                                maximum=1.0, min_inclusive=False,
                                max_inclusive=False)
    if base_momentum > max_momentum:
        raise ValueError(
            f"`max_momentum` must be >= `base_momentum`, got base_momentum="
            f"{base_momentum!r} and max_momentum={max_momentum!r}."
        )
    return base_momentum, max_momentum

def check_iterations(iterations, name="iterations"):
    """Whole numbers >= 0 (a range, scalar or 1-d array) as a float64 vector."""
    if isinstance(iterations, range):
        return np.arange(iterations.start, iterations.stop, iterations.step,
                         dtype=np.float64)
    counters = np.asarray(iterations, dtype=np.float64)
    if counters.ndim == 0:
        counters = counters.reshape(1)
    if counters.ndim != 1:
        raise ValueError(
            f"`{name}` must be one-dimensional, got shape {counters.shape}."
        )
    bad = ~np.isfinite(counters) | (counters < 0) | (counters != np.floor(counters))
    if bad.any():
        value = counters[np.flatnonzero(bad)[0]]
        raise ValueError(
            f"`{name}` must hold whole numbers >= 0, got {float(value)!r}."
        )
    return counters
