"""Compare two learning-rate history tables, column by column.

`compare_clr_histories()` answers the question users ask when they train the
same model from R and from Python: did both runs follow the same schedule?
It aligns two tables on their key column (``iteration`` for per-batch
histories, ``epoch`` for per-epoch ones), reports the largest absolute and
relative difference of every column, and says whether the schedule columns
are identical. The R function of the same name calls this one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kerasclr.arguments import check_number
from kerasclr.errors import ArgumentError, KerasclrError

SCHEDULE_COLUMNS = ("iteration", "epoch", "lr", "base_lr", "max_lr")
KEY_COLUMNS = ("iteration", "epoch")
RESULT_COLUMNS = ("column", "schedule", "max_abs_diff", "max_rel_diff", "identical",
                  "within_tolerance")


class HistoryComparison:
    """The result of `compare_clr_histories`.

    Attributes:
        table: pandas DataFrame with one row per compared column: ``column``,
            ``schedule`` (True for iteration, epoch, lr, base_lr, max_lr),
            ``max_abs_diff``, ``max_rel_diff``, ``identical`` (equal to the
            bit, NaN in the same places) and ``within_tolerance``
            (``max_rel_diff <= rtol``).
        key: the column the rows were aligned on.
        rows: number of aligned rows.
        rtol: the relative tolerance used for ``within_tolerance``.
        schedule_identical: True when every schedule column is identical.
    """

    def __init__(self, table, key, rows, rtol):
        self.table = table
        self.key = key
        self.rows = rows
        self.rtol = rtol
        schedule = table[table["schedule"]]
        self.schedule_identical = bool(schedule["identical"].all())

    def __repr__(self):
        verdict = "identical" if self.schedule_identical else "DIFFERENT"
        with pd.option_context("display.float_format", "{:.3g}".format,
                               "display.width", 120):
            body = self.table.to_string(index=False)
        return (f"{self.rows} rows aligned on `{self.key}`; schedule columns "
                f"{verdict}\n{body}")


def _numeric_columns(frame, which):
    if not isinstance(frame, pd.DataFrame):
        raise ArgumentError(which, "a pandas DataFrame (a history table)", frame,
                            r_expected="a data frame (a history table)",
                            got=type(frame).__name__)
    values = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column):
            column = column.astype(np.float64)
        if not pd.api.types.is_numeric_dtype(column):
            raise KerasclrError(
                f"Column `{name}` of `{which}` is not numeric "
                f"(dtype {column.dtype}); history tables hold numbers only."
            )
        values[name] = column.to_numpy(dtype=np.float64)
    return values


def _key_of(columns):
    for key in KEY_COLUMNS:
        if key in columns:
            return key
    raise KerasclrError(
        "Neither table has an `iteration` or `epoch` column to align on; "
        f"columns are: {', '.join(columns)}."
    )


def _max_differences(x, y):
    both_nan = np.isnan(x) & np.isnan(y)
    with np.errstate(invalid="ignore"):
        diff = np.abs(x - y)
    diff[both_nan] = 0.0
    scale = np.maximum(np.abs(x), np.abs(y))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(diff == 0.0, 0.0, diff / scale)
    one_nan = np.isnan(x) != np.isnan(y)
    rel[one_nan] = np.inf
    diff[one_nan] = np.inf
    identical = bool(np.array_equal(x, y, equal_nan=True))
    if diff.size == 0:
        return 0.0, 0.0, identical
    return float(diff.max()), float(rel.max()), identical


def compare_clr_histories(x, y, rtol=1e-6):
    """Compare two history tables of the same kind, column by column.

    Args:
        x, y: pandas DataFrames with the same columns, e.g. two callbacks'
            ``history`` (aligned on ``iteration``) or ``history_epoch``
            (aligned on ``epoch``). Logical columns count as 0/1.
        rtol: relative tolerance for the ``within_tolerance`` column
            (applied learning rates are float32: compare them with 1e-6).

    Returns:
        A `HistoryComparison`; its ``table`` has one row per column.

    Raises:
        KerasclrError: the tables have different columns, lengths or keys, or
            a column is not numeric (ArgumentError: not a DataFrame).

    Example:
        >>> result = kerasclr.compare_clr_histories(clr_r.history, clr_py.history)
        >>> result.schedule_identical
        True
        >>> result.table
    """
    rtol = check_number("rtol", rtol, minimum=0.0)
    columns_x = _numeric_columns(x, "x")
    columns_y = _numeric_columns(y, "y")
    only_x = [c for c in columns_x if c not in columns_y]
    only_y = [c for c in columns_y if c not in columns_x]
    if only_x or only_y:
        raise KerasclrError(
            "The tables have different columns: only in `x`: "
            f"{', '.join(only_x) or '(none)'}; only in `y`: "
            f"{', '.join(only_y) or '(none)'}."
        )
    rows_x, rows_y = len(x), len(y)
    if rows_x != rows_y:
        raise KerasclrError(
            f"The tables have different lengths: `x` has {rows_x} rows, "
            f"`y` has {rows_y}."
        )
    key = _key_of(list(columns_x))
    order_x = np.argsort(columns_x[key], kind="stable")
    order_y = np.argsort(columns_y[key], kind="stable")
    keys_x, keys_y = columns_x[key][order_x], columns_y[key][order_y]
    if not np.array_equal(keys_x, keys_y):
        first = int(np.flatnonzero(keys_x != keys_y)[0])
        raise KerasclrError(
            f"The tables cover different `{key}` values: row {first + 1} after "
            f"sorting has {key} {keys_x[first]:g} in `x` and {keys_y[first]:g} in `y`."
        )
    rows = []
    for name in columns_x:
        abs_diff, rel_diff, identical = _max_differences(
            columns_x[name][order_x], columns_y[name][order_y])
        rows.append((name, name in SCHEDULE_COLUMNS, abs_diff, rel_diff, identical,
                     rel_diff <= rtol))
    table = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    return HistoryComparison(table, key, rows_x, rtol)
