"""History storage: one row per training batch, one row per epoch.

Per-batch rows are stored as runs: a run is a stretch of consecutive
training iterations of one epoch with the same bounds, so only the applied
rate (and momentum) needs a value per row, kept as float32 (the values are
float32 as the optimizer applies them). One million rows take about 4 MB
until a table is built, and a table is built with one allocation per column
(no second copy).

Per-epoch rows keep the epoch's logs and the policy's columns, and beside
each row what a resume needs to roll back to that epoch's end: the optimizer
step, the number of per-batch rows, and the policy's state.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


class GrowableArray:
    """A 1-d numpy array with amortised O(1) appends."""

    def __init__(self, dtype, capacity=1024):
        self._data = np.empty(capacity, dtype=dtype)
        self._size = 0

    def __len__(self):
        return self._size

    def extend(self, values):
        values = np.asarray(values, dtype=self._data.dtype).reshape(-1)
        needed = self._size + values.size
        if needed > self._data.size:
            grown = np.empty(max(needed, 2 * self._data.size), dtype=self._data.dtype)
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size:needed] = values
        self._size = needed

    def append(self, value):
        if self._size == self._data.size:
            self.extend([value])
            return
        self._data[self._size] = value
        self._size += 1

    def truncate(self, size):
        self._size = min(self._size, int(size))

    def view(self):
        return self._data[: self._size]

    @property
    def nbytes(self):
        return self._data.nbytes


RUN_FIELDS = (("first_iteration", np.int64), ("length", np.int64), ("epoch", np.int64),
              ("base_lr", np.float64), ("max_lr", np.float64))


class IterationHistory:
    """One row per training iteration: iteration, epoch, lr, base_lr, max_lr.

    Args:
        extra_columns: per-row value columns recorded next to ``lr`` (e.g.
            ``("momentum",)``).
    """

    def __init__(self, extra_columns=()):
        self.extra_columns = tuple(extra_columns)
        self.clear()

    def clear(self):
        self._values = {name: GrowableArray(np.float32)
                        for name in ("lr",) + self.extra_columns}
        self._runs = {name: GrowableArray(dtype, 64) for name, dtype in RUN_FIELDS}

    def __len__(self):
        return len(self._values["lr"])

    @property
    def value_columns(self):
        return ("lr",) + self.extra_columns

    def add_run(self, first_iteration, epoch, base_lr, max_lr, values):
        """Append rows: ``values`` maps each value column to its array."""
        lr = np.asarray(values["lr"])
        if lr.size == 0:
            return
        for name in self.value_columns:
            self._values[name].extend(values[name])
        for name, value in zip(("first_iteration", "length", "epoch", "base_lr",
                                "max_lr"),
                               (first_iteration, lr.size, epoch, base_lr, max_lr)):
            self._runs[name].append(value)

    def add_rows(self, first_iteration, epoch, base_lr, max_lr, values):
        """Append rows; ``epoch``, ``base_lr`` and ``max_lr`` are numbers or
        per-row arrays (a new run starts wherever one of them changes)."""
        count = np.asarray(values["lr"]).size
        if count == 0:
            return
        epoch, base_lr, max_lr = (np.broadcast_to(np.asarray(v), (count,))
                                  for v in (epoch, base_lr, max_lr))
        for name in self.value_columns:
            self._values[name].extend(values[name])
        cuts = np.flatnonzero((np.diff(epoch) != 0) | (np.diff(base_lr) != 0)
                              | (np.diff(max_lr) != 0)) + 1
        starts = np.concatenate([[0], cuts])
        lengths = np.diff(np.concatenate([starts, [count]]))
        for name, column in (("first_iteration", first_iteration + starts),
                             ("length", lengths), ("epoch", epoch[starts]),
                             ("base_lr", base_lr[starts]), ("max_lr", max_lr[starts])):
            self._runs[name].extend(column)

    def truncate(self, rows):
        """Keep only the first ``rows`` rows."""
        rows = int(rows)
        if rows >= len(self):
            return
        lengths = self._runs["length"].view()
        ends = np.cumsum(lengths)
        keep = int(np.searchsorted(ends, rows, side="left")) + 1 if rows > 0 else 0
        for array in self._runs.values():
            array.truncate(keep)
        if keep:
            lengths[keep - 1] -= int(ends[keep - 1] - rows)
        for array in self._values.values():
            array.truncate(rows)

    @property
    def nbytes(self):
        return sum(a.nbytes for a in (*self._values.values(), *self._runs.values()))

    def runs(self):
        """The run arrays (views): first_iteration, length, epoch, base_lr, max_lr."""
        return {name: array.view() for name, array in self._runs.items()}

    def values(self, name):
        """The float32 values of a value column (a view)."""
        return self._values[name].view()

    def columns(self, start=0) -> dict:
        """The table (rows from ``start`` on) as a dict of numpy arrays, one
        allocation per column. Rows are numbered by training iteration."""
        runs = self.runs()
        ends = np.cumsum(runs["length"])
        first = int(np.searchsorted(ends, start, side="right"))
        lengths = runs["length"][first:]
        if start and lengths.size:
            lengths = lengths.copy()
            lengths[0] = ends[first] - start
        table = {
            "iteration": np.arange(start, len(self), dtype=np.int64),
            "epoch": np.repeat(runs["epoch"][first:], lengths),
            "lr": self.values("lr")[start:].astype(np.float64),
            "base_lr": np.repeat(runs["base_lr"][first:], lengths),
            "max_lr": np.repeat(runs["max_lr"][first:], lengths),
        }
        for name in self.extra_columns:
            table[name] = self.values(name)[start:].astype(np.float64)
        return table

    def to_pandas(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns(), copy=False)

    def rows_at(self, rows) -> dict:
        """Rows ``rows`` (row numbers, ascending) of the table as a dict of
        numpy arrays, without building the rest of the table."""
        rows = np.asarray(rows, dtype=np.int64)
        runs = self.runs()
        run = np.searchsorted(np.cumsum(runs["length"]), rows, side="right")
        table = {"iteration": rows, "epoch": runs["epoch"][run]}
        for name in self.value_columns:
            table[name] = self.values(name)[rows].astype(np.float64)
        table.update(base_lr=runs["base_lr"][run], max_lr=runs["max_lr"][run])
        return table

    def bound_changes(self):
        """The rows whose ``base_lr`` or ``max_lr`` differs from the row before."""
        runs = self.runs()
        starts = np.cumsum(runs["length"]) - runs["length"]
        differs = (np.diff(runs["base_lr"]) != 0) | (np.diff(runs["max_lr"]) != 0)
        return starts[1:][differs]

    def load(self, runs, values):
        """Replace the rows with ``runs`` (arrays by field) and ``values``."""
        self.clear()
        for name, dtype in RUN_FIELDS:
            self._runs[name].extend(np.asarray(runs[name], dtype=dtype))
        for name in self.value_columns:
            self._values[name].extend(values[name])


class EpochHistory:
    """One row per epoch: the epoch's logs, then the policy's own columns.

    Beside each row: ``marks[i]`` = (optimizer step, per-batch rows, policy
    state) at the end of that epoch, what rolling back to it needs.
    """

    def __init__(self, fixed_columns):
        self.fixed_columns = tuple(fixed_columns)
        self.clear()

    def clear(self):
        self._rows = []
        self._log_columns = []
        self.marks = []

    def __len__(self):
        return len(self._rows)

    @property
    def log_columns(self):
        return tuple(self._log_columns)

    def add(self, logs, fixed, mark):
        row = {}
        for key, value in (logs or {}).items():
            if key in self.fixed_columns:
                continue
            if key not in self._log_columns:
                self._log_columns.append(key)
            row[key] = _as_float(value)
        row.update(fixed)
        self._rows.append(row)
        self.marks.append(mark)

    def truncate(self, rows):
        del self._rows[rows:]
        del self.marks[rows:]

    def column(self, name):
        return [row.get(name, math.nan) for row in self._rows]

    def absent(self, name):
        """Indexes of the rows whose epoch logged no ``name`` (e.g. no
        ``val_loss`` in an epoch without validation): NaN in `column`, as
        pandas shows a missing value, but not a NaN that was logged."""
        return [i for i, row in enumerate(self._rows) if name not in row]

    def rows(self, start=0):
        """Rows from ``start`` as lists, in the order of `all_columns`; None
        for a column the epoch did not log."""
        names = self.all_columns
        return [[row.get(name) for name in names] for row in self._rows[start:]]

    @property
    def all_columns(self):
        return tuple(self._log_columns) + self.fixed_columns

    def to_pandas(self) -> pd.DataFrame:
        names = list(self.all_columns)
        frame = pd.DataFrame({name: self.column(name) for name in names}, columns=names)
        for name in self.fixed_columns:
            if name == "in_cooldown":
                frame[name] = frame[name].astype(bool)
            elif name in ("epoch", "not_improved_for_n_times"):
                frame[name] = frame[name].astype(np.int64)
            else:
                frame[name] = frame[name].astype(np.float64)
        for name in self._log_columns:
            frame[name] = frame[name].astype(np.float64)
        return frame

    def load(self, log_columns, rows, marks):
        """Replace the rows (lists in `all_columns` order with ``log_columns``;
        None for a column the epoch did not log)."""
        self.clear()
        self._log_columns = list(log_columns)
        names = self.all_columns
        self._rows = [{name: value for name, value in zip(names, row) if value is not None}
                      for row in rows]
        self.marks = list(marks)


def _as_float(value):
    if type(value) is float:
        return value
    try:
        return float(np.asarray(value).reshape(()))
    except (TypeError, ValueError):
        return math.nan
