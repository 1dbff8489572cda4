"""The per-step rates outside Python: TensorBoard and CSV.

`TensorBoardRates` writes the learning rate (and momentum) that the
optimizer applied at every training step to TensorBoard, at the steps'
own numbers (the ``iteration`` column), also with ``steps_per_execution >
1``. It writes at epoch ends (at most every 5 s) and at train end, from
the policy's history, one record per row into an event file: no host work
per batch, no graph.
`write_history_csv` writes a history table with 17 significant digits, so
reading it back (R or pandas) gives the same numbers and column types.
"""

from __future__ import annotations

import itertools
import os
import socket
import time

import keras
import numpy as np

from kerasclr.arguments import check_choice, check_string
from kerasclr.engine import PolicyCallback, processes
from kerasclr.errors import ArgumentError, KerasclrError

TABLES = ("history", "history_epoch")
FLUSH_SECONDS = 5.0  # TensorBoardRates writes at an epoch end once this long has passed
_FILE_NUMBERS = itertools.count(1)  # event files opened by this process (in their names)


def _check_policy(policy, argument="policy"):
    if not isinstance(policy, PolicyCallback):
        raise ArgumentError(argument, "a kerasclr policy callback", policy,
                            got=type(policy).__name__)
    return policy


class TensorBoardRates(keras.callbacks.Callback):
    """Write the applied rate of every step to TensorBoard (event files).

    Pass it to ``fit()`` next to the policy. Scalars ``lr`` (and
    ``momentum`` when the policy cycles it) go to ``log_dir/train`` at step
    = training iteration; open them with ``tensorboard --logdir log_dir``.
    Rows are written at an epoch end when 5 seconds have passed since the
    last write, and when training ends (`flush` writes at once).
    Needs TensorFlow (TensorBoard's event files), with any Keras backend.

    Args:
        policy: the kerasclr policy callback whose rates to write.
        log_dir: folder of the event files (created if needed).
        prefix: prefix of the scalar names (default ``"kerasclr/"``).

    Example:
        >>> clr = kerasclr.CyclicLR(step_size=200)
        >>> model.fit(x, y, epochs=10,
        ...           callbacks=[clr, kerasclr.TensorBoardRates(clr, "logs")])
    """

    async_safe = True

    def __init__(self, policy, log_dir, prefix="kerasclr/"):
        super().__init__()
        self.policy = _check_policy(policy)
        self.log_dir = os.fspath(check_string("log_dir", os.fspath(log_dir)
                                              if isinstance(log_dir, os.PathLike)
                                              else log_dir))
        self.prefix = check_string("prefix", prefix)
        self.rows_written = 0
        self._writer = None
        self._event = None
        self._written_at = time.monotonic()

    def _start(self):
        try:
            import tensorflow as tf
            from tensorflow.core.framework import summary_pb2
            from tensorflow.core.util import event_pb2
        except ImportError:  # pragma: no cover - TensorFlow is installed in tests
            raise KerasclrError(
                "TensorBoardRates needs TensorFlow to write TensorBoard event files: "
                "pip install tensorflow-cpu.",
                "new_callback_tensorboard_rates() needs TensorFlow to write TensorBoard "
                "event files: reticulate::py_install(\"tensorflow-cpu\").") from None
        folder = os.path.join(self.log_dir, "train")
        os.makedirs(folder, exist_ok=True)
        # An event file as TensorFlow's summary writer names and starts it,
        # written record by record: TensorBoard's scalar summaries (a float32
        # scalar tensor, the "scalars" plugin) built here, so writing an
        # epoch's rows costs no graph, no trace and no op per row.
        name = "events.out.tfevents.%d.%s.%d.%d.v2" % (
            time.time(), socket.gethostname(), os.getpid(), next(_FILE_NUMBERS))
        self._writer = tf.io.TFRecordWriter(os.path.join(folder, name))
        self._writer.write(event_pb2.Event(wall_time=time.time(),
                                           file_version="brain.Event:2").SerializeToString())
        event = event_pb2.Event()
        value = event.summary.value.add()
        value.metadata.plugin_data.plugin_name = "scalars"
        value.metadata.data_class = summary_pb2.DATA_CLASS_SCALAR
        value.tensor.dtype = 1  # DT_FLOAT
        value.tensor.tensor_shape.SetInParent()  # a scalar
        value.tensor.float_val.append(0.0)
        self._event = event

    def _write(self, values, steps, tag):
        event, writer = self._event, self._writer
        value = event.summary.value[0]
        value.tag = tag
        event.wall_time = time.time()
        for step, number in zip(steps.tolist(), values.tolist()):
            event.step = step
            value.tensor.float_val[0] = number
            writer.write(event.SerializeToString())

    def on_train_begin(self, logs=None):
        if self._writer is None and processes.is_chief(self.model):
            self._start()

    def on_epoch_end(self, epoch, logs=None):
        self._write_new_rows(at_once=False)

    def on_train_end(self, logs=None):
        self._write_new_rows(at_once=True)
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def flush(self):
        """Write the rows the policy recorded since the last write, and put
        the event file on disk (on the chief process only in a multi-process
        run, see `write_history_csv`)."""
        self._write_new_rows(at_once=True)

    def _write_new_rows(self, at_once):
        # Rows reach TensorBoard only when the file is on disk: write them
        # then, every FLUSH_SECONDS at the most frequent, or when asked.
        now = time.monotonic()
        if not at_once and now - self._written_at < FLUSH_SECONDS:
            return
        rows = self.policy.history_rows(self.rows_written)
        count = rows["lr"].size
        if count and processes.is_chief(self.model):
            if self._writer is None:
                self._start()
            steps = rows["iteration"].astype(np.int64)
            for name in ("lr", "momentum"):
                if name in rows:  # float32: the values as applied
                    self._write(rows[name].astype(np.float32), steps, self.prefix + name)
        self.rows_written += count
        if self._writer is not None:
            self._writer.flush()
        self._written_at = now


def _float_text(value):
    """17 significant digits, with a decimal point when the number is whole."""
    text = "%.17g" % value
    return text if any(mark in text for mark in ".en") else text + ".0"


def _with_empty_fields(column, rows):
    """A float ``column`` as CSV text, with empty fields at ``rows``."""
    text = column.map(lambda value: "NaN" if np.isnan(value) else _float_text(value))
    text.iloc[rows] = ""
    return text


def write_history_csv(policy, path, table="history"):
    """Write a policy's ``history`` (or ``history_epoch``) as CSV, exactly.

    Floats are written with 17 significant digits (and a decimal point, so a
    float column of whole numbers stays a float column), so reading the file
    back (R ``read.csv``, pandas with ``float_precision="round_trip"``) gives
    the same doubles; logical columns as ``TRUE``/``FALSE`` and NaN as
    ``NaN``, which both readers read back as booleans / logicals and NaN;
    an epoch that logged no value of a column (no ``val_loss`` without
    validation) as an empty field, which R reads as NA (pandas as NaN).
    (Shortest round-trip digits are not enough: R's reader rounds a few such
    numbers to a neighbouring double.) Returns ``path``.

    In a multi-process run only the chief process writes (process 0 under a
    JAX ``keras.distribution``; see `kerasclr.engine.processes`), like
    ``PolicyCallback.save``; the others return ``path`` without writing.

    Example:
        >>> kerasclr.write_history_csv(clr, "clr_history.csv")
    """
    policy = _check_policy(policy)
    check_choice("table", table, TABLES)
    frame = policy.history if table == "history" else policy.history_epoch
    if not processes.is_chief(policy.model):
        return path
    # R's read.csv reads TRUE/FALSE (not Python's True/False) as logical
    frame = frame.assign(**{name: frame[name].map({True: "TRUE", False: "FALSE"})
                            for name in frame.columns if frame[name].dtype == bool})
    if table == "history_epoch":
        frame = frame.assign(**{name: _with_empty_fields(frame[name], rows)
                                for name, rows in policy.epoch_logs_absent().items()})
    try:
        frame.to_csv(path, index=False, float_format=_float_text, na_rep="NaN")
    except OSError as error:  # pandas raises some without strerror
        reason = error.strerror or str(error)
        raise KerasclrError(f"Cannot write {path!r}: {reason}.",
                            f"Cannot write \"{path}\": {reason}.") from None
    return path
