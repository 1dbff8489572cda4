"""What the R package calls: one gateway for calls and their errors.

The R package calls every kerasclr function through `call()`, which never
raises: it returns ``(True, value, warnings)`` or ``(False, fields)``. The
fields of a failure are plain strings the R side turns into an R error
attributed to the R function the user called, so the R message does not
depend on how a reticulate version formats Python exceptions (no exception
class, no traceback hint). Python warnings raised during the call come back
as their messages, for R to give as R warnings.

The other functions here serve the R package only: R's history tables
(`frame_columns`), the data of R's plots (`history_plot`, `loss_plot_limits`)
and the checks of R arguments that Python functions do not take
(`check_callback`).
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from kerasclr.arguments import check_callback
from kerasclr.errors import ArgumentError, KerasclrError, use_r_wording
from kerasclr.plotting import lr_plot_data, shows_bounds
from kerasclr.suggest import loss_plot_limits

__all__ = ["call", "check_callback", "error_fields", "frame_columns", "history_plot",
           "history_table", "loss_plot_limits", "use_r_wording"]


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
    if isinstance(error, OSError) and error.filename is not None:
        message = f"Cannot use the file \"{error.filename}\": {error.strerror}."
    else:
        message = getattr(error, "r_message", None) or str(error) or type(error).__name__
    return {"kind": "python", "r_message": message,
            "python_class": type(error).__name__}


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def call(function, args=(), kwargs=None):
    """``function(*args, **kwargs)`` as ``(True, value, warnings)`` or
    ``(False, fields)``.

    ``warnings`` are the messages of the warnings kerasclr raised during the
    call (each once), for R to give as R warnings; warnings from other
    packages (Keras, TensorFlow, ...) go on to Python's usual handling.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = function(*(args or ()), **(kwargs or {}))
        except Exception as error:  # noqa: BLE001 - every error goes back to R
            return False, error_fields(error)
    ours = []
    for warning in caught:
        if os.path.abspath(warning.filename).startswith(_PACKAGE_DIR):
            ours.append(str(warning.message))
        else:
            warnings.warn_explicit(warning.message, warning.category,
                                   warning.filename, warning.lineno)
    return True, value, list(dict.fromkeys(ours))


def frame_columns(frame):
    """A pandas DataFrame as (names, dtype kinds, numpy columns) for R.

    Integer columns that fit R's integers travel as int32 (reticulate makes
    R integers of them directly; int64 would become doubles first).
    """
    names = [str(name) for name in frame.columns]
    return (names, [frame[name].dtype.kind for name in frame.columns],
            [_r_column(frame[name].to_numpy()) for name in frame.columns])


_R_INT_MAX = 2 ** 31 - 1


def _r_column(values):
    if values.dtype.kind in "iu" and values.dtype.itemsize >= 4 and (
            values.size == 0 or (values.min() > -_R_INT_MAX and values.max() <= _R_INT_MAX)):
        return values.astype(np.int32)
    return values


def history_table(callback, name):
    """``callback.history`` (``name="history"``) or ``.history_epoch`` for R:
    ``(history_version, frame_columns(frame), absent)``; R keeps the data
    frame it builds until ``callback.history_version`` changes (None: no
    such counter, R rebuilds every time). ``absent`` maps a log column of
    ``history_epoch`` to the (0-based) rows whose epoch did not log it: NA
    in R (R's missing value), where a logged NaN stays NaN."""
    frame = getattr(callback, name)
    absent = callback.epoch_logs_absent() if name == "history_epoch" else {}
    return getattr(callback, "history_version", None), frame_columns(frame), absent


def history_plot(callback, granularity="epoch", show_bounds=None, argument="callback",
                 momentum=True):
    """What R's plot_clr_history() (``momentum=False``) and plot_lr_history()
    draw: ``(frame_columns(frame), policy name, show_bounds)``.

    ``frame`` has the columns x, lr, base_lr, max_lr (and momentum for
    plot_lr_history when the policy cycles it); ``show_bounds=None`` draws
    the bounds for the cyclical policy only. ``argument`` is the name of the
    R argument that holds the callback, for the error messages.
    """
    check_callback(argument, callback)
    frame = lr_plot_data(callback, granularity, argument=argument)
    if not momentum:
        frame = frame[["x", "lr", "base_lr", "max_lr"]]
    return frame_columns(frame), callback.policy_name, shows_bounds(callback, show_bounds)
