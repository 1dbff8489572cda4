"""The host side of every kerasclr policy: tables ahead, history behind.

`TableDrivenCallback` installs a `StepTableSchedule` on the optimizer and,
at the start of each epoch, fills it with the rates of the coming steps. The
train step then looks the rate up from the optimizer's step counter, so no
Python runs between batches in the common case (the epoch length is known
and fits the table). At the end of an epoch the optimizer's step counter is
read once and the rows of the steps that ran are appended to the history.

Epochs of unknown length, or longer than the table, refill the table from
``on_train_batch_begin`` a few steps before it runs out.

Subclasses describe the policy with four methods:

- ``_next_rates(n)``: float64 rates of the next ``n`` batches, from the
  current state, without changing it;
- ``_advance(n)``: move the state past ``n`` batches;
- ``_bounds()``: the ``(base_lr, max_lr)`` pair recorded with each row;
- ``_finish_epoch(logs)``: the policy's epoch-end logic; it records the
  epoch row with ``self._record_epoch(logs, **columns)``.
"""

from __future__ import annotations

import json
import threading

import keras
import numpy as np

from kerasclr.history import EpochHistory, IterationHistory
from kerasclr.lr_table import StepTableSchedule, unwrap_optimizer

MIN_CAPACITY = 64
UNKNOWN_EPOCH_CAPACITY = 1024


class StateFile:
    """`save` / `load` for callbacks with `get_state` / `set_state`.

    A mixin, not part of `TableDrivenCallback`: `LRFinder` has no state dict.
    """

    def save(self, path):
        """Write `get_state()` as JSON to ``path``."""
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.get_state(), handle)

    def load(self, path):
        """Restore the state written by `save`; returns the callback."""
        with open(path, encoding="utf-8") as handle:
            self.set_state(json.load(handle))
        return self


class TableDrivenCallback(keras.callbacks.Callback):
    """Base class of the kerasclr learning-rate policies (see module doc)."""

    # Keras calls batch-end hooks synchronously (a host sync per batch, to
    # turn the logs into floats) unless every callback that has one is
    # `async_safe`. Ours only counts batches and is flushed before
    # `on_epoch_end`, so training keeps running ahead of it.
    async_safe = True

    def __init__(self, verbose=1, epoch_columns=None, extra_iteration_columns=()):
        super().__init__()
        self.verbose = verbose
        self._iteration_history = IterationHistory(extra_iteration_columns)
        self._epoch_history = (EpochHistory() if epoch_columns is None
                               else EpochHistory(epoch_columns))
        self.trn_iterations = 0      # training iteration of the next batch
        self.epochs_done = 0         # epochs completed over all fit calls
        self._schedule = None
        self._window_first_step = 0  # optimizer step of table entry 0
        self._window_rates = np.empty(0)
        self._committed_step = 0     # optimizer step of the next batch
        self._epoch_open = False
        self._refill_in_batches = False
        self._epochs_need_refills = False
        self._epoch_first_step = 0
        self._batches_seen = 0
        self._batches_seen_lock = threading.Lock()
        self._epoch_snapshot = (None, 0, 0)
        self._steps_per_execution = 1

    # -- policy interface ------------------------------------------------------
    def _next_rates(self, n):  # pragma: no cover - abstract
        raise NotImplementedError

    def _advance(self, n):  # pragma: no cover - abstract
        raise NotImplementedError

    def _bounds(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _finish_epoch(self, logs):  # pragma: no cover - abstract
        raise NotImplementedError

    def _extra_row_values(self, rates):
        """Extra per-iteration columns for a run of rates (none by default)."""
        return {}

    # -- public --------------------------------------------------------------
    @property
    def history(self):
        """Per-iteration history as a pandas DataFrame (one row per batch)."""
        self._commit_running_epoch()
        return self._iteration_history.to_pandas()

    @property
    def history_epoch(self):
        """Per-epoch history as a pandas DataFrame (one row per epoch)."""
        return self._epoch_history.to_pandas()

    @property
    def next_lr(self):
        """The learning rate the next training batch will use."""
        return float(self._next_rates(1)[0])

    # -- Keras hooks ---------------------------------------------------------
    def on_train_begin(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None:
            raise ValueError(
                f"{type(self).__name__} needs a compiled model: call "
                "`model.compile(optimizer=...)` before `fit()`."
            )
        steps = self.params.get("steps") if self.params else None
        self._steps_per_execution = int(getattr(self.model, "steps_per_execution", 1) or 1)
        capacity = max(MIN_CAPACITY, 4 * self._steps_per_execution,
                       UNKNOWN_EPOCH_CAPACITY if steps is None else int(steps))
        self._build_optimizer_first(optimizer)
        self._schedule, installed = StepTableSchedule.attach(optimizer, capacity)
        if installed:
            # Compiled train functions captured the old learning rate.
            self.model.make_train_function(force=True)
        self._epochs_need_refills = steps is None or steps > self._schedule.capacity
        self._refill_in_batches = self._epochs_need_refills
        if not self._epoch_open:
            self._committed_step = self._read_optimizer_step()

    def on_epoch_begin(self, epoch, logs=None):
        # Read the step counter again: another callback's on_train_begin
        # (e.g. BackupAndRestore) may have restored the optimizer since.
        step = self._read_optimizer_step()
        if self._epoch_open:
            self._close_interrupted_epoch(step)
        self._committed_step = step
        self._epoch_open = True
        self._epoch_first_step = step
        self._epoch_snapshot = (self._policy_snapshot(), self.trn_iterations,
                                len(self._iteration_history))
        self._refill_in_batches = self._epochs_need_refills
        self._batches_seen = 0
        self._fill_window()

    def on_train_batch_begin(self, batch, logs=None):
        if not self._refill_in_batches:
            return
        step = self._epoch_first_step + int(batch)
        window_end = self._window_first_step + self._window_rates.size
        if window_end - step < self._steps_per_execution:
            self._sync_backend_state()
            self._commit_until(step)
            self._fill_window()

    def on_train_batch_end(self, batch, logs=None):
        if self._epochs_need_refills:
            # Keras may run batch-end hooks on a pool of threads (async
            # dispatch), so they can finish out of order: keep the largest.
            with self._batches_seen_lock:
                self._batches_seen = max(self._batches_seen, int(batch) + 1)

    def on_epoch_end(self, epoch, logs=None):
        step = self._read_optimizer_step()
        if self._epochs_need_refills:
            # Epochs of unknown length: on TensorFlow the fetch that finds the
            # data exhausted still advances the optimizer's step counter (no
            # batch is trained). Such phantom steps are not batches: record
            # only the batches the hooks saw (they over-count only with
            # steps_per_execution > 1, where the counter is exact).
            ran = min(step - self._epoch_first_step, self._batches_seen)
            self._commit_until(self._epoch_first_step + ran)
            self._commit_until(step, record=False)
        else:
            self._commit_until(step)
        self._epoch_open = False
        self.epochs_done += 1
        self._finish_epoch(logs if logs is not None else {})
        if logs is not None:
            logs["learning_rate"] = self.next_lr

    # -- helpers ---------------------------------------------------------------
    @property
    def current_epoch(self):
        """1-based number of the epoch in progress (or about to start)."""
        return self.epochs_done + 1

    def _record_epoch(self, logs, **columns):
        self._epoch_history.add(logs, epoch=self.epochs_done, **columns)

    def _build_optimizer_first(self, optimizer):
        """Build the optimizer before the table is added to its variables.

        Keras builds it lazily on some backends; building it here puts the
        table's variables after the slots on every backend, so saved models
        load the same way everywhere (see `lr_table`).
        """
        if getattr(optimizer, "built", True) or not getattr(self.model, "built", False):
            return
        variables = self.model.trainable_variables
        if not variables:
            return
        strategy = getattr(self.model, "distribute_strategy", None)
        if strategy is not None and hasattr(strategy, "scope"):
            with strategy.scope():
                optimizer.build(variables)
        else:
            optimizer.build(variables)

    def _close_interrupted_epoch(self, step):
        """A previous fit stopped inside an epoch (exception, interrupt).

        ``step`` is where the optimizer is now. If it went back (the model was
        restored, e.g. by BackupAndRestore), the rows recorded past it are
        dropped and the policy returns to its state at that epoch's begin;
        batches that did run up to ``step`` are recorded.
        """
        snapshot, iterations, rows = self._epoch_snapshot
        if step < self._committed_step and snapshot is not None:
            self._restore_policy_snapshot(snapshot)
            self.trn_iterations = iterations
            self._iteration_history.truncate(rows)
            self._committed_step = self._epoch_first_step
        if step > self._committed_step:
            self._commit_until(step)
        self._epoch_open = False

    # -- rollback hooks (optional for subclasses) ----------------------------
    def _policy_snapshot(self):
        """A copy of the policy's counters, to roll back an interrupted epoch.

        Return None (the default) when the policy cannot roll back: the rows
        of an interrupted epoch are then kept as recorded.
        """
        return None

    def _restore_policy_snapshot(self, snapshot):
        """Restore what `_policy_snapshot` returned."""

    def _optimizer_owner(self):
        return unwrap_optimizer(self.model.optimizer)

    def _sync_backend_state(self):
        # JAX keeps variables in a detached state during an epoch.
        sync = getattr(self.model, "jax_state_sync", None)
        if sync is not None:
            sync()

    def _read_optimizer_step(self):
        self._sync_backend_state()
        return int(self._optimizer_owner().iterations.numpy())

    def _fill_window(self):
        n = self._schedule.capacity
        steps = self.params.get("steps") if self.params else None
        if steps is not None and not self._refill_in_batches:
            n = max(1, min(n, int(steps)))
        self._window_rates = self._schedule.fill(self._committed_step,
                                                 self._next_rates(n))
        self._window_first_step = self._committed_step

    def _commit_until(self, step, record=True):
        """Append the rows of the batches that ran up to optimizer ``step``.

        With ``record=False`` the steps are skipped instead: the optimizer
        counted them but no batch was trained, so the policy does not move.
        """
        count = step - self._committed_step
        if count <= 0:
            return
        if not record:
            self._committed_step = step
            return
        offset = self._committed_step - self._window_first_step
        rates = self._window_rates[offset:offset + count]
        if rates.size < count:  # the in-graph lookup clips to the last entry
            pad = self._schedule._last_values[-1]
            rates = np.concatenate([rates, np.full(count - rates.size, pad)])
        base_lr, max_lr = self._bounds()
        self._iteration_history.add_run(
            self.trn_iterations, self.current_epoch, rates, base_lr, max_lr,
            **self._extra_row_values(rates),
        )
        self.trn_iterations += count
        self._committed_step = step
        self._advance(count)

    def _commit_running_epoch(self):
        """Record batches of an epoch that has not ended (e.g. interrupted)."""
        if not self._epoch_open or self._schedule is None:
            return
        try:
            self._commit_until(self._read_optimizer_step())
        except Exception:  # the backend state may be unreadable mid-step
            return

    def _rewrite_window_now(self):
        """After a state change mid-epoch: rows so far, then a new table."""
        if not self._epoch_open or self._schedule is None:
            return
        self._commit_until(self._read_optimizer_step())
        self._refill_in_batches = True  # the new window may end mid-epoch
        self._fill_window()

    # -- state -----------------------------------------------------------------
    def _engine_state(self):
        return {
            "trn_iterations": self.trn_iterations,
            "epochs_done": self.epochs_done,
            "history": self._iteration_history.get_state(),
            "history_epoch": self._epoch_history.get_state(),
        }

    def _set_engine_state(self, state):
        self.trn_iterations = int(state["trn_iterations"])
        self.epochs_done = int(state["epochs_done"])
        self._iteration_history.set_state(state["history"])
        self._epoch_history.set_state(state["history_epoch"])
