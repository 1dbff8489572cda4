"""Argument rules, written once for Python and R.

Each helper returns the cleaned value or raises `kerasclr.errors.ArgumentError`
naming the argument, the rule and the value received. The R package passes
its arguments through unchanged and words these errors for R users (see
`kerasclr.errors`), so every rule lives here and nowhere else.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from kerasclr.errors import ArgumentError, r_number


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def check_number(name, value, *, minimum=None, maximum=None, min_inclusive=True,
                 max_inclusive=True, allow_inf=False):
    """A real number (not bool), finite unless ``allow_inf``, inside the bounds."""
    if not _is_number(value):
        raise ArgumentError(name, "a number", value, r_expected="a single number")
    value = float(value)
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise ArgumentError(name, "a finite number", value)
    if minimum is not None:
        too_small = value < minimum if min_inclusive else value <= minimum
        if too_small:
            op = ">=" if min_inclusive else ">"
            raise ArgumentError(name, f"{op} {minimum:g}", value,
                                r_expected=f"{op} {r_number(minimum)}")
    if maximum is not None:
        too_big = value > maximum if max_inclusive else value >= maximum
        if too_big:
            op = "<=" if max_inclusive else "<"
            raise ArgumentError(name, f"{op} {maximum:g}", value,
                                r_expected=f"{op} {r_number(maximum)}")
    return value


def check_count(name, value, *, minimum=0, allow_inf=False, maximum=None):
    """A whole number >= ``minimum`` (and <= ``maximum``; integer-valued
    floats accepted)."""
    value = check_number(name, value, minimum=minimum, maximum=maximum, allow_inf=allow_inf)
    if math.isinf(value):
        return value
    if value != int(value):
        raise ArgumentError(name, "a whole number", value)
    return int(value)


def check_optional(check, name, value, **rules):
    """None, or ``check(name, value, **rules)``."""
    return None if value is None else check(name, value, **rules)


def check_bool(name, value):
    """True or False (numpy and R logicals accepted)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    raise ArgumentError(name, "True or False", value, r_expected="TRUE or FALSE")


def check_choice(name, value, choices):
    """One of the strings ``choices``."""
    if not isinstance(value, str) or value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        r_allowed = ", ".join(f'"{c}"' for c in choices)
        raise ArgumentError(name, f"one of {allowed}", value,
                            r_expected=f"one of {r_allowed}")
    return value


def check_string(name, value):
    """A string."""
    if not isinstance(value, str):
        raise ArgumentError(name, "a string", value, r_expected="a single string")
    return value


def check_callable(name, value):
    """None or a callable."""
    if value is not None and not callable(value):
        raise ArgumentError(name, "a callable or None", value,
                            r_expected="a function or NULL")
    return value


def check_ordered(low_name, low, high_name, high, *, strict=False):
    """``low <= high`` (``low < high`` when ``strict``) for two checked numbers."""
    if high < low or (strict and high == low):
        op = ">" if strict else ">="
        raise ArgumentError(
            high_name, f"{op} `{low_name}`", high,
            r_expected=f"{op} `{low_name}` ({r_number(low)})",
            got=f"{low_name}={low!r} and {high_name}={high!r}",
        )


FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_rate(name, value, *, positive=False):
    """A learning rate: >= 0 (> 0 when ``positive``) and a finite float32."""
    value = check_number(name, value, minimum=0.0, min_inclusive=not positive)
    if value > FLOAT32_MAX:
        raise ArgumentError(name, "a finite float32 number (<= 3.4e38; the optimizer "
                            "applies float32 rates)", value)
    return value


def check_bounds(base_lr, max_lr, *, base_name="base_lr", max_name="max_lr"):
    """Two learning rates >= 0 with ``base_lr <= max_lr``."""
    base_lr = check_rate(base_name, base_lr)
    max_lr = check_rate(max_name, max_lr)
    check_ordered(base_name, base_lr, max_name, max_lr)
    return base_lr, max_lr


def check_momentum_bounds(base_momentum, max_momentum):
    """Two momenta in (0, 1) with ``base_momentum <= max_momentum``."""
    base_momentum = check_number("base_momentum", base_momentum, minimum=0.0,
                                 maximum=1.0, min_inclusive=False,
                                 max_inclusive=False)
    max_momentum = check_number("max_momentum", max_momentum, minimum=0.0,
                                maximum=1.0, min_inclusive=False,
                                max_inclusive=False)
    check_ordered("base_momentum", base_momentum, "max_momentum", max_momentum)
    return base_momentum, max_momentum


def check_iterations(iterations, name="iterations"):
    """Whole numbers >= 0 (a range, scalar or 1-d array) as a float64 vector."""
    if isinstance(iterations, range):  # whole numbers; the least is at one end
        if iterations and min(iterations[0], iterations[-1]) < 0:
            raise ArgumentError(name, "whole numbers >= 0",
                                float(min(iterations[0], iterations[-1])),
                                whole_value=False, verb="hold")
        return np.arange(iterations.start, iterations.stop, iterations.step,
                         dtype=np.float64)
    try:
        counters = np.asarray(iterations, dtype=np.float64)
    except (TypeError, ValueError):
        raise ArgumentError(name, "whole numbers >= 0", iterations,
                            verb="hold") from None
    if counters.ndim == 0:
        counters = counters.reshape(1)
    if counters.ndim != 1:
        raise ArgumentError(name, "one-dimensional", iterations,
                            got=f"shape {counters.shape}",
                            r_got=f"an array of dimensions {counters.shape}")
    bad = ~np.isfinite(counters) | (counters < 0) | (counters != np.floor(counters))
    if bad.any():
        value = float(counters[np.flatnonzero(bad)[0]])
        raise ArgumentError(name, "whole numbers >= 0", value, whole_value=False,
                            verb="hold")
    return counters


def check_callback(name, value, method=None):
    """A kerasclr callback (its class has ``history`` and ``history_epoch``;
    looked up on the class so that no history table is built); with
    ``method``, one that has that method (e.g. ``"reset"``)."""
    kind = type(value)
    if not (hasattr(kind, "history_epoch") and hasattr(kind, "history")):
        raise ArgumentError(
            name, "a kerasclr callback", value,
            r_expected=("a kerasclr callback made by new_callback_cyclical_learning_rate() "
                        "(or another kerasclr policy)"))
    if method is not None and not callable(getattr(value, method, None)):
        kind = kind.__name__
        raise ArgumentError(
            name, f"a callback that has {method}()", value, got=f"a {kind}",
            r_expected=(f"a callback that has {method}() (made by "
                        "new_callback_cyclical_learning_rate())"),
            r_got=f"a {kind}", whole_value=False)
    return value

