"""What the R package calls: one gateway for calls and their errors.

The R package calls every kerasclr function through `call()`, which never
raises: it returns ``(True, value)`` or ``(False, fields)``. The fields of a
failure are plain strings the R side turns into an R error attributed to the
R function the user called, so the R message does not depend on how a
reticulate version formats Python exceptions (no exception class, no
traceback hint).
"""

from __future__ import annotations

from kerasclr.errors import ArgumentError, KerasclrError


def error_fields(error: BaseException) -> dict:
    """The parts of ``error`` the R package words its message from."""
    if isinstance(error, ArgumentError):
        return {
            "kind": "argument", "argument": error.argument, "verb": error.verb,
            "r_expected": error.r_expected, "r_got": error.r_got,
            "whole_value": error.whole_value, "r_message": error.r_message,
        }
    if isinstance(error, KerasclrError):
        return {"kind": "kerasclr", "r_message": error.r_message}
    message = str(error) or type(error).__name__
    if isinstance(error, (FileNotFoundError, IsADirectoryError, PermissionError)):
        message = f"{error.strerror}: \"{error.filename}\""
    return {"kind": "python", "r_message": message,
            "python_class": type(error).__name__}


def call(function, args=(), kwargs=None):
    """``function(*args, **kwargs)`` as ``(True, value)`` or ``(False, fields)``."""
    try:
        return True, function(*(args or ()), **(kwargs or {}))
    except Exception as error:  # noqa: BLE001 - every error goes back to R
        return False, error_fields(error)


def frame_columns(frame):
    """A pandas DataFrame as (names, dtype kinds, numpy columns) for R."""
    names = [str(name) for name in frame.columns]
    return (names, [frame[name].dtype.kind for name in frame.columns],
            [frame[name].to_numpy() for name in frame.columns])
