"""The one state codec of every policy callback.

A state is a JSON object (a *record*)::

    {"format": "kerasclr-state", "version": 2, "policy": "CyclicLR",
     "config": {...constructor arguments...},
     "step": 128,                        # optimizer step of the next batch
     "mark": {...settings, plateau, counters at that step...},
     "origin": {...the same at the first train begin...},
     "policy_state": {...},
     "history": {"first_row": 0, "runs": {"first_iteration": [...], "length": [...],
                 "epoch": [...], "base_lr": [...], "max_lr": [...]},
                 "values": {"lr": "<base64 of float32, little-endian>", ...}},
     "history_epoch": {"first_row": 0, "columns": [...], "log_columns": [...],
                       "rows": [[...], ...], "marks": [{...}, ...]}}

Numbers that JSON cannot hold are the strings ``"NaN"``, ``"Inf"`` and
``"-Inf"`` (what R's jsonlite writes too); ``null`` in a row of
``history_epoch`` is a column that epoch did not log (R's NA). The
per-batch values travel as base64 float32 (4 bytes a row, exactly the
applied values), so ten million rows take about 55 MB.

A state *file* holds one record per line (JSON lines). The first save
writes one record with every row; later saves of the same callback to the
same file append a record with only the rows added since (its
``first_row`` says where they go), so saving after every epoch costs what
the epoch added, not the whole history. The last complete line wins; a
line cut short by a crash is ignored, so a reader sees the previous save.
Files are replaced atomically when rewritten. R reads a state file with
``readLines()``, ``jsonlite::fromJSON()`` and ``jsonlite::base64_dec()``.

Loading checks the whole file (format, policy, arguments, every field's
type, range and consistency) before the callback changes at all.
"""

from __future__ import annotations

import base64
import json
import math
import os
import tempfile

import numpy as np

from kerasclr.engine.history import RUN_FIELDS
from kerasclr.errors import KerasclrError, StateError

FORMAT = "kerasclr-state"
VERSION = 2
IGNORED_CONFIG = ("verbose",)
CUSTOM = "custom function"
_NON_FINITE = {"NaN": math.nan, "Inf": math.inf, "-Inf": -math.inf}


# -- JSON numbers ---------------------------------------------------------------------
def to_json(value):
    """``value`` with non-finite floats as strings, tuples as lists, numpy as Python."""
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Inf" if value > 0 else "-Inf"
        return value
    if callable(value):
        return CUSTOM
    return value


def from_json(value):
    """The inverse of `to_json` for numbers (strings "NaN", "Inf", "-Inf")."""
    if isinstance(value, dict):
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    return value


def _encode_floats(values):
    return base64.b64encode(np.asarray(values, "<f4").tobytes()).decode("ascii")


# -- records ------------------------------------------------------------------------------
def encode(callback, first_row=0, first_epoch=0):
    """The record of ``callback``'s state, with the rows from ``first_row`` /
    ``first_epoch`` on (the earlier ones were saved before; ``first_row`` is
    where a run starts)."""
    history = callback._iteration_history
    runs = history.runs()
    first_run = int(np.searchsorted(np.cumsum(runs["length"]), first_row, side="right"))
    run_part = {name: array[first_run:].tolist() for name, array in runs.items()}
    epochs = callback._epoch_history
    return {
        "format": FORMAT, "version": VERSION, "policy": callback.policy_name,
        "config": to_json(callback.get_config()),
        "step": int(callback._committed_step if callback._epoch_open
                    else callback._step_now),
        "mark": to_json(callback._state_mark()),
        "origin": to_json(callback._origin),
        "policy_state": to_json(callback._policy_state()),
        "history": {
            "first_row": int(first_row),
            "runs": to_json(run_part),
            "values": {name: _encode_floats(history.values(name)[first_row:])
                       for name in history.value_columns},
        },
        "history_epoch": {
            "first_row": int(first_epoch),
            "columns": list(epochs.all_columns),
            "log_columns": list(epochs.log_columns),
            "rows": to_json(epochs.rows(first_epoch)),
            "marks": to_json(epochs.marks[first_epoch:]),
        },
    }


class Decoded:
    """A checked state, ready to apply (see `PolicyCallback._apply_state`)."""

    saved_file = None


def decode(callback, records, source):
    """Check ``records`` (one state dict, or the records of a file, in order)
    against ``callback`` and return a `Decoded`; raise `StateError` on any
    fault, before anything changes."""
    if isinstance(records, dict):
        records = [records]
    check = _Checker(source)
    last = records[-1]
    check.record_header(last, callback)
    decoded = Decoded()
    run_parts, value_parts = [], {name: [] for name in
                                  callback._iteration_history.value_columns}
    epoch_rows, marks = [], []
    columns = []
    rows = epochs = 0
    for record in records:
        check.record_header(record, callback)
        part = check.field(record, "history", dict)
        if check.field(part, "first_row", int, "history.first_row") != rows:
            check.problem("history.first_row",
                          f"is {part['first_row']} where {rows} rows were saved before")
        runs = check.runs(check.field(part, "runs", dict, "history.runs"), rows)
        values = check.field(part, "values", dict, "history.values")
        count = int(np.sum(runs["length"]))
        for name in value_parts:
            value_parts[name].append(check.values(values, name, count))
        run_parts.append(runs)
        rows += count
        part = check.field(record, "history_epoch", dict)
        if check.field(part, "first_row", int, "history_epoch.first_row") != epochs:
            check.problem("history_epoch.first_row",
                          f"is {part['first_row']} where {epochs} epochs were saved before")
        columns = check.field(part, "columns", list, "history_epoch.columns")
        log_columns = check.field(part, "log_columns", list, "history_epoch.log_columns")
        if not all(isinstance(name, str) for name in log_columns):
            check.problem("history_epoch.log_columns", "must hold column names")
        expected = list(log_columns) + list(callback._epoch_history.fixed_columns)
        if columns != expected:
            check.problem("history_epoch.columns", f"are {columns}, expected {expected}")
        new_rows = check.field(part, "rows", list, "history_epoch.rows")
        new_marks = check.field(part, "marks", list, "history_epoch.marks")
        if len(new_marks) != len(new_rows):
            check.problem("history_epoch.marks",
                          f"has {len(new_marks)} entries for {len(new_rows)} rows")
        for i, row in enumerate(new_rows):
            if not isinstance(row, list) or len(row) != len(columns):
                check.problem(f"history_epoch.rows[{epochs + i}]",
                              f"must be a list of {len(columns)} values")
            epoch_rows.append({name: _epoch_value(v, check,
                                                  f"history_epoch.rows[{epochs + i}]")
                               for name, v in zip(columns, row)})
        marks.extend(new_marks)
        epochs += len(new_rows)
    decoded.runs = {name: np.concatenate([np.asarray(part[name], dtype)
                                          for part in run_parts])
                    if run_parts else np.empty(0, dtype)
                    for name, dtype in RUN_FIELDS}
    decoded.values = {name: np.concatenate(parts) if parts else np.empty(0, np.float32)
                      for name, parts in value_parts.items()}
    decoded.log_columns = log_columns  # earlier records may have had fewer
    decoded.epoch_rows = [[row.get(name) for name in columns] for row in epoch_rows]
    decoded.step = check.count(last, "step")
    decoded.mark = check.mark(from_json(last.get("mark")), "mark", callback, rows,
                              decoded.step)
    if decoded.mark["step"] != decoded.step:
        check.problem("mark.step", f"is {decoded.mark['step']} but the state's step is "
                      f"{decoded.step}")
    if decoded.mark["rows"] != rows:
        check.problem("mark.rows", f"is {decoded.mark['rows']} but the history has "
                      f"{rows} rows")
    if decoded.mark["epochs_done"] != epochs:
        check.problem("mark.epochs_done", f"is {decoded.mark['epochs_done']} but the "
                      f"history has {epochs} epoch rows")
    decoded.marks = [check.mark(from_json(m), f"history_epoch.marks[{i}]", callback, rows,
                                decoded.step) for i, m in enumerate(marks)]
    origin = last.get("origin")
    decoded.origin = None if origin is None else check.mark(
        from_json(origin), "origin", callback, rows, decoded.step)
    policy_state = from_json(check.field(last, "policy_state", dict))
    callback._check_policy_state(policy_state, check.problem)
    decoded.policy_state = policy_state
    return decoded


def _epoch_value(value, check, field):
    value = from_json(value)
    if isinstance(value, bool) or value is None:
        return value
    if not isinstance(value, (int, float)):
        check.problem(field, f"holds {value!r}, not a number")
    return value


class _Checker:
    """Field checks that raise a `StateError` naming the source and field."""

    def __init__(self, source):
        self.source = source

    def problem(self, field, text):
        raise StateError(self.source, f"`{field}` {text}.")

    def field(self, record, name, kind, label=None):
        label = label or name
        if not isinstance(record, dict) or name not in record:
            self.problem(label, "is missing")
        value = record[name]
        if kind is int:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                self.problem(label, f"must be a whole number >= 0, got {value!r}")
        elif not isinstance(value, kind):
            self.problem(label, f"must be a {'list' if kind is list else 'JSON object'}, "
                         f"got {value!r}")
        return value

    def count(self, record, name):
        return self.field(record, name, int)

    def record_header(self, record, callback):
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            raise StateError(self.source, "it is not a kerasclr state (no "
                             f"\"format\": \"{FORMAT}\").")
        if record.get("version") != VERSION:
            raise StateError(self.source, f"it has state format version "
                             f"{record.get('version')!r}; this kerasclr reads version "
                             f"{VERSION}.")
        if record.get("policy") != callback.policy_name:
            raise StateError(self.source, f"it was saved by a {record.get('policy')} "
                             f"callback, not a {callback.policy_name}.")
        mine = to_json(callback.get_config())
        theirs = record.get("config")
        if not isinstance(theirs, dict):
            self.problem("config", "is missing")
        differing = [name for name in sorted(set(mine) | set(theirs))
                     if name not in IGNORED_CONFIG and mine.get(name) != theirs.get(name)]
        if differing:
            if "scale_fn" in differing and theirs.get("scale_fn") == CUSTOM:
                raise KerasclrError(
                    f"Cannot load {_where(self.source)}: it was saved from a "
                    f"{callback.policy_name} with a custom `scale_fn`, which a state "
                    "cannot hold: create the callback with the same `scale_fn` (and "
                    "`scale_mode`), then load the state.")
            detail = "; ".join(f"{name}: {theirs.get(name)!r} saved, "
                               f"{mine.get(name)!r} here" for name in differing)
            raise StateError(self.source, f"it was saved by a {callback.policy_name} "
                             f"with other arguments ({detail}). Create the callback "
                             "with the same arguments, then load the state.")

    def runs(self, runs, first_row):
        arrays = {}
        size = None
        for name, dtype in RUN_FIELDS:
            values = self.field(runs, name, list, f"history.runs.{name}")
            array = np.asarray(from_json(values), dtype=object)
            if size is None:
                size = array.size
            elif array.size != size:
                self.problem(f"history.runs.{name}",
                             f"has {array.size} entries where the other run fields have "
                             f"{size}")
            if dtype is np.int64:
                ok = all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                         for v in array)
                if not ok:
                    self.problem(f"history.runs.{name}", "must hold whole numbers >= 0")
            else:
                ok = all(isinstance(v, (int, float)) and not isinstance(v, bool)
                         and math.isfinite(v) and v >= 0 for v in array)
                if not ok:
                    self.problem(f"history.runs.{name}", "must hold finite numbers >= 0")
            arrays[name] = np.asarray(array.tolist(), dtype=dtype)
        lengths = arrays["length"]
        if np.any(lengths < 1):
            self.problem("history.runs.length", "must hold whole numbers >= 1")
        offsets = first_row + np.cumsum(lengths) - lengths
        if not np.array_equal(arrays["first_iteration"], offsets):
            self.problem("history.runs.first_iteration",
                         "does not follow the run lengths (rows are missing or repeated)")
        if np.any(arrays["epoch"] < 1):
            self.problem("history.runs.epoch", "must hold epochs >= 1")
        return arrays

    def values(self, values, name, count):
        text = values.get(name)
        if not isinstance(text, str):
            self.problem(f"history.values.{name}", "is missing")
        try:
            raw = base64.b64decode(text.encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError):
            self.problem(f"history.values.{name}", "is not base64 text")
        if len(raw) != 4 * count:
            self.problem(f"history.values.{name}",
                         f"holds {len(raw) // 4} values for {count} rows")
        array = np.frombuffer(raw, "<f4").astype(np.float32)
        if name == "lr" and not np.all(np.isfinite(array) & (array >= 0)):
            self.problem(f"history.values.{name}", "must hold finite rates >= 0")
        return array

    def mark(self, mark, field, callback, rows, step):
        if not isinstance(mark, dict):
            self.problem(field, "must be a JSON object")
        for name in ("step", "rows", "epochs_done", "settings_from"):
            value = mark.get(name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                self.problem(f"{field}.{name}", f"must be a whole number >= 0, got "
                             f"{value!r}")
        if mark["rows"] > rows:
            self.problem(f"{field}.rows", f"is {mark['rows']} but the history has {rows} "
                         "rows")
        if mark["step"] > step:
            self.problem(f"{field}.step", f"is {mark['step']}, after the state's step "
                         f"{step}")
        expected = set(callback.initial_settings())
        for name in ("settings", "previous_settings"):
            settings = mark.get(name)
            if not isinstance(settings, dict) or set(settings) != expected:
                self.problem(f"{field}.{name}",
                             f"must hold exactly {sorted(expected)}, got {settings!r}")
            callback.check_settings(settings, lambda f, t, n=name: self.problem(
                f"{field}.{n}.{f.split('.', 1)[-1]}", t))
        plateaus = mark.get("plateau")
        mine = callback._plateaus()
        if not isinstance(plateaus, dict) or set(plateaus) != set(mine):
            self.problem(f"{field}.plateau", f"must hold the state of {sorted(mine)}, got "
                         f"{plateaus!r}")
        for name, plateau in mine.items():
            plateau.check_state(plateaus[name], lambda f, t, n=name: self.problem(
                f"{field}.plateau.{n}.{f.split('.', 1)[-1]}", t))
        return mark


def _where(source):
    return "the state" if source == "state" else f"the state file {source!r}"


# -- files -----------------------------------------------------------------------------------
def save(callback, path):
    """Write (or append to) the state file ``path``."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise KerasclrError(
            f"Cannot save the state to {path!r}: the folder {folder!r} does not exist.",
            f"Cannot save the state to \"{path}\": the folder \"{folder}\" does not exist.")
    if os.path.isdir(path):
        raise KerasclrError(f"Cannot save the state to {path!r}: it is a folder.",
                            f"Cannot save the state to \"{path}\": it is a folder.")
    history = callback._iteration_history
    epochs = callback._epoch_history
    saved = callback._saved_file
    append = (saved is not None and saved["path"] == os.path.abspath(path)
              and saved["stat"] == _stat(path) and saved["changes"] == callback._truncations
              and len(history) >= saved["rows"] and len(epochs) >= saved["epochs"]
              and (saved["rows"] == 0 or saved["rows"] in
                   set(np.cumsum(history.runs()["length"]).tolist())))
    try:
        if append:
            record = encode(callback, saved["rows"], saved["epochs"])
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, allow_nan=False) + "\n")
        else:
            record = encode(callback)
            handle, temporary = tempfile.mkstemp(prefix=".kerasclr-", dir=folder)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(json.dumps(record, allow_nan=False) + "\n")
            os.replace(temporary, path)
    except OSError as error:
        raise KerasclrError(f"Cannot save the state to {path!r}: {error.strerror}.",
                            f"Cannot save the state to \"{path}\": {error.strerror}.") \
            from None
    callback._saved_file = {"path": os.path.abspath(path), "stat": _stat(path),
                            "rows": len(history), "epochs": len(epochs),
                            "changes": callback._truncations}


def load(callback, path):
    """Read and check the state file ``path``; returns a `Decoded`."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise StateError(path, "it is a folder, not a file.")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise StateError(path, "the file does not exist.") from None
    except OSError as error:
        raise StateError(path, f"{error.strerror}.") from None
    if not data.strip():
        raise StateError(path, "the file is empty.")
    lines = data.split(b"\n")
    complete = lines[:-1]  # the text after the last newline was cut short
    records = []
    for number, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise StateError(path, f"line {number} is not valid JSON ({error}); the "
                             "file is damaged.") from None
    if not records:
        if data.lstrip().startswith(b'{"format": "' + FORMAT.encode()):
            raise StateError(path, "it ends before its first record is complete; the "
                             "file is truncated.")
        try:
            json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise StateError(path, f"it is not a kerasclr state file (not JSON: "
                             f"{error}).") from None
        raise StateError(path, "it is not a kerasclr state file (no line ends).")
    decoded = decode(callback, records, source=path)
    if not lines[-1].strip():  # a clean file: the next save may append to it
        decoded.saved_file = {"path": os.path.abspath(path), "stat": _stat(path),
                              "rows": int(decoded.values["lr"].size),
                              "epochs": len(decoded.epoch_rows), "changes": None}
    return decoded


def _stat(path):
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ino)
