"""The errors kerasclr raises, worded for Python users and for R users.

Every error carries two wordings: ``str(error)`` for Python users and
``error.r_message`` for R users (R argument syntax, ``TRUE``/``NULL``, R
calls in hints). The R package reads the structured fields of an
`ArgumentError` (argument, rule, value) and words the message itself, with
the value as the user typed it in R; any other `KerasclrError` it shows as
``r_message``.

- `ArgumentError`: an argument breaks its rule. Subclasses both
  ``TypeError`` and ``ValueError``, so code that catches either keeps working.
- `StateError`: a state file or state dict that cannot be loaded (names the
  file and the field).
- `KerasclrError`: everything else kerasclr refuses (with a hint on what to
  do, in both languages).

In a Python process driven by the R package, `use_r_wording()` makes
``str(error)`` the R wording too: errors raised inside a Keras ``fit()``
called from R reach the R user through reticulate, which prints
``str(error)``. Every kerasclr error is also a `kerasclr_error`, which gives
those errors the R condition class of the R package's own errors.
"""

from __future__ import annotations

import math
import numbers
import warnings

_READER = {"r": False}


def use_r_wording(on=True):
    """Make ``str()`` of every kerasclr error its R wording (the R package
    calls this when it loads the core); ``on=False`` restores Python's."""
    _READER["r"] = bool(on)


class kerasclr_error(Exception):  # noqa: N801 - named after the R condition class
    """The base that makes a kerasclr error an R ``kerasclr_error`` condition.

    reticulate (1.40 and later) turns a Python error that reaches R into a
    condition with one class per class of the error, named
    ``<module>.<name>``, or ``<name>`` alone when the module is empty. This
    base has no module, so an error raised by a kerasclr callback inside a
    Keras ``fit()`` called from R is caught by
    ``tryCatch(..., kerasclr_error = function(e) ...)``, like the errors of
    the R package's own functions.
    """


kerasclr_error.__module__ = ""


class KerasclrError(ValueError, kerasclr_error):
    """A kerasclr error: ``str(error)`` in Python words, ``r_message`` in R's.

    Args:
        message: the message for Python users.
        r_message: the message for R users (default: the same text).
    """

    def __init__(self, message, r_message=None):
        super().__init__(message)
        self.r_message = message if r_message is None else r_message

    def __str__(self):
        if _READER["r"]:
            return self.r_message
        return super().__str__()


class ArgumentError(KerasclrError, TypeError):
    """An argument does not meet its rule.

    The message names the argument, the rule and the value received:
    ``"`step_size` must be >= 1, got 0.0."`` (Python) and
    ``"`step_size` must be >= 1, not 0."`` (R).

    Args:
        argument: the argument's name (the same in Python and R).
        expected: the rule, completing "must be ..." (Python wording).
        value: the value received.
        r_expected: the rule in R wording (default: ``expected``).
        got: what follows "got" in the Python message (default: the value's
            repr).
        r_got: what follows "not" in the R message (default: the value as R
            prints it).
        whole_value: True when ``value`` is the whole argument (the R package
            then describes the argument as the user passed it); False when it
            is one offending element.
        verb: the verb of the rule ("must be ...", "must hold ...").
    """

    def __init__(self, argument, expected, value, *, r_expected=None, got=None,
                 r_got=None, whole_value=True, verb="be"):
        self.argument = argument
        self.expected = expected
        self.value = value
        self.r_expected = expected if r_expected is None else r_expected
        self.got = repr(value) if got is None else got
        self.r_got = r_describe(value) if r_got is None else r_got
        self.whole_value = whole_value
        self.verb = verb
        super().__init__(
            f"`{argument}` must {verb} {expected}, got {self.got}.",
            f"`{argument}` must {verb} {self.r_expected}, not {self.r_got}.",
        )


class KerasclrWarning(UserWarning):
    """A kerasclr warning (see `warn`)."""


def warn(message, r_message=None, stacklevel=3):
    """Warn with a `KerasclrWarning`, in the wording of the reader (R's once
    `use_r_wording` is on and ``r_message`` is given)."""
    text = r_message if _READER["r"] and r_message is not None else message
    warnings.warn(KerasclrWarning(text), stacklevel=stacklevel)


class StateError(KerasclrError):
    """A saved state that cannot be restored; nothing was changed.

    Args:
        source: the file path, or "state" for a dict.
        problem: what is wrong, naming the field (both languages).
    """

    def __init__(self, source, problem):
        self.source = source
        self.problem = problem
        where = "the state" if source == "state" else f"the state file {source!r}"
        r_where = "the state" if source == "state" else f'the state file "{source}"'
        super().__init__(f"Cannot load {where}: {problem}",
                         f"Cannot load {r_where}: {problem}")


def r_number(value) -> str:
    """A number as R's ``format(x, digits = 15)`` prints it."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    fixed = f"{value:.15g}"
    if "e" in fixed:
        mantissa, exponent = fixed.split("e")
        return f"{mantissa}e{exponent[0]}{int(exponent[1:]):02d}"
    scientific = f"{value:.15e}"
    mantissa, exponent = scientific.split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    scientific = f"{mantissa}e{exponent[0]}{int(exponent[1:]):02d}"
    return scientific if len(scientific) < len(fixed) else fixed


def r_vector(values) -> str:
    """Numbers as R prints a short numeric vector: ``c(5, 5)`` (one: ``5``)."""
    texts = [r_describe(v) for v in values]
    return texts[0] if len(texts) == 1 else f"c({', '.join(texts)})"


def r_describe(value) -> str:
    """A value as the R package describes it in messages (``"abc"``, ``TRUE``)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool) or type(value).__name__ in ("bool_", "bool"):
        return "TRUE" if value else "FALSE"
    if isinstance(value, numbers.Real):
        return r_number(value)
    if isinstance(value, str):
        return f'"{value}"'
    if callable(value):
        return "a function"
    if isinstance(value, (list, tuple)):
        kinds = {type(v).__name__ for v in value}
        kind = ("logical" if kinds <= {"bool"} else "character" if kinds <= {"str"}
                else "integer" if kinds <= {"int"} else "double")
        if len(value) == 1:
            return r_describe(value[0])
        article = "an" if kind == "integer" else "a"
        return f"{article} {kind} vector of length {len(value)}"
    return f"an object of class {type(value).__name__}"
