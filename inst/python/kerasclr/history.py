"""Columnar history storage.

Per-iteration history is stored as runs: every run is a stretch of
consecutive training iterations in one epoch with the same bounds, so only
the learning rate needs a value per row. Appends are amortised O(1) (the lr
column grows by doubling) and one million iterations take a few MB until a
table is materialised.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

ITERATION_COLUMNS = ("iteration", "epoch", "lr", "base_lr", "max_lr")
EPOCH_FIXED_COLUMNS = ("epoch", "not_improved_for_n_times", "base_lr", "max_lr",
                       "lr", "in_cooldown")


class GrowableArray:
    """A 1-d numpy array with amortised O(1) appends."""

    def __init__(self, dtype, capacity=1024):
        self._data = np.empty(capacity, dtype=dtype)
        self._size = 0

    def __len__(self):
        return self._size

    def extend(self, values):
        values = np.asarray(values, dtype=self._data.dtype)
        needed = self._size + values.size
        if needed > self._data.size:
            grown = np.empty(max(needed, 2 * self._data.size), dtype=self._data.dtype)
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size:needed] = values
        self._size = needed

    def append(self, value):
        self.extend(np.asarray([value]))

    def view(self):
        return self._data[: self._size]

    @property
    def nbytes(self):
        return self._data.nbytes


class IterationHistory:
    """One row per training iteration: iteration, epoch, lr, base_lr, max_lr.

    Args:
        extra_columns: names of additional per-row float columns (e.g.
            "momentum") that policies may record next to ``lr``.
    """

    def __init__(self, extra_columns=()):
        self.extra_columns = tuple(extra_columns)
        self._lr = GrowableArray(np.float64)
        self._extra = {name: GrowableArray(np.float64) for name in self.extra_columns}
        # One entry per run.
        self._run_first_iteration = GrowableArray(np.int64, 64)
        self._run_length = GrowableArray(np.int64, 64)
        self._run_epoch = GrowableArray(np.int64, 64)
        self._run_base_lr = GrowableArray(np.float64, 64)
        self._run_max_lr = GrowableArray(np.float64, 64)

    def __len__(self):
        return len(self._lr)

    def add_run(self, first_iteration, epoch, lr, base_lr, max_lr, **extra):
        lr = np.asarray(lr, dtype=np.float64)
        if lr.size == 0:
            return
        self._lr.extend(lr)
        for name in self.extra_columns:
            self._extra[name].extend(extra[name])
        self._run_first_iteration.append(first_iteration)
        self._run_length.append(lr.size)
        self._run_epoch.append(epoch)
        self._run_base_lr.append(base_lr)
        self._run_max_lr.append(max_lr)

    def truncate(self, rows):
        """Keep only the first ``rows`` rows."""
        rows = int(rows)
        if rows >= len(self):
            return
        columns = self.columns()
        self.set_state({name: values[:rows] for name, values in columns.items()})

    @property
    def nbytes(self):
        arrays = [self._lr, self._run_first_iteration, self._run_length,
                  self._run_epoch, self._run_base_lr, self._run_max_lr,
                  *self._extra.values()]
        return sum(a.nbytes for a in arrays)

    def columns(self) -> dict:
        """The table as a dict of numpy arrays (fresh copies)."""
        lengths = self._run_length.view()
        firsts = self._run_first_iteration.view()
        run_offsets = np.cumsum(lengths) - lengths
        iteration = (np.arange(len(self), dtype=np.int64)
                     - np.repeat(run_offsets, lengths) + np.repeat(firsts, lengths))
        table = {
            "iteration": iteration,
            "epoch": np.repeat(self._run_epoch.view(), lengths),
            "lr": self._lr.view().copy(),
            "base_lr": np.repeat(self._run_base_lr.view(), lengths),
            "max_lr": np.repeat(self._run_max_lr.view(), lengths),
        }
        for name in self.extra_columns:
            table[name] = self._extra[name].view().copy()
        return table

    def to_pandas(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns())

    def get_state(self) -> dict:
        return {name: values.tolist() for name, values in self.columns().items()}

    def set_state(self, state: dict):
        self.__init__(self.extra_columns)
        iteration = np.asarray(state.get("iteration", []), dtype=np.int64)
        if iteration.size == 0:
            return
        epoch = np.asarray(state["epoch"], dtype=np.int64)
        base = np.asarray(state["base_lr"], dtype=np.float64)
        top = np.asarray(state["max_lr"], dtype=np.float64)
        lr = np.asarray(state["lr"], dtype=np.float64)
        # Split into runs wherever the epoch, bounds or iteration step change.
        breaks = np.flatnonzero(
            (np.diff(epoch) != 0) | (np.diff(base) != 0) | (np.diff(top) != 0)
            | (np.diff(iteration) != 1)
        ) + 1
        bounds = np.concatenate([[0], breaks, [iteration.size]])
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            extra = {name: np.asarray(state[name], dtype=np.float64)[lo:hi]
                     for name in self.extra_columns}
            self.add_run(int(iteration[lo]), int(epoch[lo]), lr[lo:hi],
                         float(base[lo]), float(top[lo]), **extra)


class EpochHistory:
    """One row per epoch: the epoch's logs, then the policy's own columns."""

    def __init__(self, fixed_columns=EPOCH_FIXED_COLUMNS):
        self.fixed_columns = tuple(fixed_columns)
        self._rows = []
        self._log_columns = []

    def __len__(self):
        return len(self._rows)

    def add(self, logs, **fixed):
        row = {}
        for key, value in (logs or {}).items():
            if key in self.fixed_columns:
                continue
            if key not in self._log_columns:
                self._log_columns.append(key)
            row[key] = _as_float(value)
        row.update(fixed)
        self._rows.append(row)

    def column(self, name):
        return [row.get(name, math.nan) for row in self._rows]

    def to_pandas(self) -> pd.DataFrame:
        names = self._log_columns + list(self.fixed_columns)
        data = {name: self.column(name) for name in names}
        frame = pd.DataFrame(data, columns=names)
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

    def get_state(self) -> dict:
        return {"log_columns": list(self._log_columns),
                "rows": [{k: _json_number(v) for k, v in row.items()}
                         for row in self._rows]}

    def set_state(self, state: dict):
        self._log_columns = list(state.get("log_columns", []))
        self._rows = [{k: _from_json_number(v) for k, v in row.items()}
                      for row in state.get("rows", [])]


def _as_float(value):
    try:
        return float(np.asarray(value).reshape(()))
    except (TypeError, ValueError):
        return math.nan


def _json_number(value):
    """NaN -> None and +-inf -> "Inf"/"-Inf": strict JSON."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "Inf" if value > 0 else "-Inf"
    return value


def _from_json_number(value):
    if value is None:
        return math.nan
    if value == "Inf":
        return math.inf
    if value == "-Inf":
        return -math.inf
    return value
