"""`PolicyCallback`: what runs every kerasclr policy inside ``fit()``.

A policy is a pure, vectorised function of the position of a step (its
training iteration, its epoch and its place in the epoch) and of a few
adjustable *settings* (a band, a scale, the start of a cycle) that change
only at events: a plateau decision at an epoch end, ``reset()``, a loaded
state. The engine turns it into exact per-step rates:

- it installs a `kerasclr.engine.table.StepTable` on the optimizer for the
  duration of ``fit()`` (a new table holds the whole ``fit()`` when its
  length is known, up to `MAX_PLANNED_CAPACITY` steps) and fills it ahead
  with the rates of as many coming steps as it holds; it refills only when
  the coming rates change (a plateau event, ``reset()``, a loaded state, an
  epoch of unexpected length) or the table runs out;
- it derives the per-batch history lazily from the step counter and the
  host copy of the table (when read, before a refill, or when the next
  ``fit()`` begins; the host copy stays with the callback when another
  policy later fills the model's table);
- it records one row per epoch with the epoch's logs and, beside it, what
  rolling back to that epoch's end needs (BackupAndRestore, a resumed run
  whose model checkpoint is older than the callback state). An epoch end
  where nothing is decided or said ends *quietly*: it logs its rate and
  keeps the logs and the end step, and its record (plateau observation,
  rollback mark, table row) is made when anything reads or changes what
  it depends on; on JAX and PyTorch the end step of an epoch that ran all
  its batches is known without reading the step counter. Rows are built
  when read, and a plateau control that cannot change a rate (infinite
  patience) makes its observations then too
  (`kerasclr.Plateau.observe_later`);
- it saves and loads the state through the one codec,
  `kerasclr.engine.state`.

A policy subclass writes:

- ``__init__``: validate the arguments (`kerasclr.arguments`), then call
  ``super().__init__(verbose=..., cycle_momentum=..., plateau=...)``;
- ``get_config()``: its constructor arguments;
- ``schedule(positions, settings)``: float64 rates of the ``positions``
  (a `Positions`);
- ``bounds(positions, settings)``: the ``(base_lr, max_lr)`` envelope
  recorded with the rows at ``positions`` (two arrays, or numbers);
- when it cycles momentum, ``momentum_schedule(positions, settings)``;
- optionally ``initial_settings()`` (default ``{"scale": 1.0}``, the scale
  of plateau control), ``reduce(settings, plateau)`` (default: scale by
  ``plateau.factor``, never below ``plateau.min_lr``), ``resolve(params)``
  (lengths known only when ``fit()`` starts) and ``uses_epochs = True``
  when its rates depend on epoch boundaries.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import numbers
import threading
import weakref

import keras
import numpy as np

from kerasclr.arguments import check_choice, check_count, check_iterations
from kerasclr.engine import fit_context, losses, processes
from kerasclr.engine import state as state_codec
from kerasclr.engine import table as tables
from kerasclr.engine.history import EpochHistory, IterationHistory
from kerasclr.engine.plateau import Plateau
from kerasclr.errors import ArgumentError, KerasclrError, warn

MIN_CAPACITY = 1024
# A new table holds a whole fit() of known length (one fill at its start)
# up to this many rows (64 KiB of float32 rates); longer fits refill.
MAX_PLANNED_CAPACITY = 16384


class Positions:
    """Where a run of steps stands: iteration, 0-based epoch, index in the epoch.

    Attributes are int64 numpy arrays of the same length.
    """

    __slots__ = ("iteration", "epoch", "in_epoch")

    def __init__(self, iteration, epoch, in_epoch):
        self.iteration = iteration
        self.epoch = epoch
        self.in_epoch = in_epoch

    def __len__(self):
        return len(self.iteration)

    def __getitem__(self, index):
        return Positions(self.iteration[index], self.epoch[index], self.in_epoch[index])

    @classmethod
    def ahead(cls, count, iteration, epoch, in_epoch, steps_per_epoch):
        """``count`` steps from (iteration, epoch, in_epoch), epochs of
        ``steps_per_epoch`` steps (None: all in the current epoch)."""
        k = np.arange(count, dtype=np.int64)
        if steps_per_epoch:
            done = in_epoch + k
            return cls(iteration + k, epoch + done // steps_per_epoch,
                       done % steps_per_epoch)
        return cls(iteration + k, np.full(count, epoch, np.int64), in_epoch + k)

    @classmethod
    def of_iterations(cls, iterations, steps_per_epoch=None):
        """Positions of training iterations, epochs of ``steps_per_epoch``."""
        iterations = np.asarray(iterations, dtype=np.int64)
        if steps_per_epoch:
            return cls(iterations, iterations // steps_per_epoch,
                       iterations % steps_per_epoch)
        return cls(iterations, np.zeros_like(iterations), iterations)


def check_verbose(verbose):
    """0, 1, 2 or a bool (True is 1)."""
    if isinstance(verbose, (bool, np.bool_)):
        return int(verbose)
    return check_count("verbose", verbose)


class PolicyCallback(keras.callbacks.Callback):
    """Base class of every kerasclr policy (see the module doc)."""

    policy_name = None          # e.g. "CyclicLR"
    r_function = None           # e.g. "new_callback_cyclical_learning_rate"
    plateau_lag = 0             # steps before a plateau change shows in lr
    uses_epochs = False         # rates depend on epoch boundaries
    records_losses = False      # record every step's loss in the train step

    # Keras calls batch-end hooks synchronously (a host sync per batch) unless
    # every callback that has one is `async_safe`. Ours only counts batches
    # in epochs of unknown length, thread-safely.
    async_safe = True

    def __init__(self, *, verbose=0, cycle_momentum=False, plateau=None):
        super().__init__()
        self.verbose = check_verbose(verbose)
        self.cycle_momentum = bool(cycle_momentum)
        if plateau is not None and not isinstance(plateau, Plateau):
            raise ArgumentError("plateau", "a kerasclr.Plateau or None", plateau,
                                r_expected="a plateau_control() or NULL")
        self.plateau = plateau
        if plateau is not None:
            plateau.owner = self
        extra = ("momentum",) if self.cycle_momentum else ()
        self._iteration_history = IterationHistory(extra)
        self._epoch_history = EpochHistory(self._epoch_columns() + extra)
        self._settings = self.initial_settings()
        self._previous_settings = self._settings  # in effect before _settings_from
        self._settings_from = 0                   # optimizer step
        self._history_changes = 0
        self.epochs_done = 0
        self._table = None
        self._attachment = None
        self._step_reader = None           # reads the optimizer's step counter
        self._state_sync = None            # syncs the model's JAX state (else None)
        self._fit = fit_context.FitCall()
        self._steps = None                 # steps per epoch of this fit
        self._fit_first_step = 0           # optimizer step when this fit began
        self._spe = 1
        self._step_now = 0                 # optimizer step of the next batch
        self._committed_step = 0           # rows exist up to this step
        self._committed_rows = 0
        self._pending_runs = []            # (epoch, end step, settings): not yet rows
        self._pending_epochs = []          # epoch rows not yet recorded (_EpochRecord)
        self._final_epoch_rows = 0         # ... of which the first have their final lr
        self._quiet_epochs = False         # epochs may end quietly (_epoch_end)
        self._quiet_ends = []              # quiet epoch ends not yet records
        self._final_quiet_ends = 0         # ... of which the first ended a past fit()
        self._origin = None                # mark of the first train begin
        self._epoch_open = False
        self._epoch_first_step = 0
        self._refill_in_batches = False
        self._batches_seen = 0
        self._batches_seen_lock = threading.Lock()
        self._last_batch_end = None        # the largest batch whose batch-end hook ran, this epoch
        self._steps_counted = False        # each batch ends one step (on_epoch_end)
        self._check_step_at_epoch_begin = False
        self._loaded_step = None
        self._saved_file = None            # what the last save/load left on disk
        self._fit_params = {}
        self._truncations = 0              # rows dropped (rollback, load)
        self._model_ids = (None, None)     # id() of the models of the last two fits
        self._busy = 0                     # depth of commits and releases under way
        self._release_pending = False      # asked by the garbage collector while busy

    # -- copies -----------------------------------------------------------------
    # A copy or a pickle (KerasTuner deep-copies the callbacks of every trial)
    # holds the policy, its arguments and its history, not what belongs to a
    # running fit(): the installed table, the step reader, a lock.
    _FIT_BOUND = ("_attachment", "_step_reader", "_state_sync")

    def __getstate__(self):
        state = self.__dict__.copy()
        state.update(dict.fromkeys(self._FIT_BOUND), _batches_seen_lock=None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._batches_seen_lock = threading.Lock()
        self._busy, self._release_pending = 0, False

    # -- what a policy writes -------------------------------------------------
    def initial_settings(self):
        return {"scale": 1.0}

    def schedule(self, positions, settings):  # pragma: no cover - abstract
        raise NotImplementedError

    def momentum_schedule(self, positions, settings):  # pragma: no cover - abstract
        raise NotImplementedError

    def bounds(self, positions, settings):  # pragma: no cover - abstract
        raise NotImplementedError

    def resolve(self, params):
        """Lengths known when ``fit()`` starts (``params``: Keras's fit params)."""

    def reduce(self, settings, plateau):
        """A plateau reduction: scale the rate by ``factor`` (floor ``min_lr``).

        Returns the new settings, or None when nothing was reduced.
        """
        scale = settings["scale"] * plateau.factor
        if scale == settings["scale"]:
            return None
        self._say(f"plateau: reducing the rate to {scale:.6g} x the schedule "
                  f"(never below min_lr={plateau.min_lr:g}).")
        return dict(settings, scale=scale)

    def scaled(self, rates, settings):
        """``rates`` under the plateau scale of ``settings`` (floor ``min_lr``)."""
        scale = settings.get("scale", 1.0)
        if scale == 1.0:
            return rates
        return np.maximum(rates * scale, np.minimum(rates, self.plateau.min_lr))

    def check_settings(self, settings, problem):
        """Validate loaded settings; ``problem(field, text)`` raises."""
        for name, value in settings.items():
            if not _is_number(value) or not math.isfinite(value) or value < 0:
                problem(f"settings.{name}", f"must be a finite number >= 0, got {value!r}")

    def plateau_config(self):
        """``{"plateau": ...}`` for `get_config` when plateau control is on."""
        return {} if self.plateau is None else {"plateau": self.plateau.get_config()}

    def after_epoch(self):
        """A policy's own message at an epoch end (none by default); called
        only when ``verbose > 0``."""

    def preview(self, iterations, steps_per_epoch=None, what="lr", dtype="float32"):
        """The policy's values at training ``iterations`` (a `Positions` or
        whole numbers >= 0, in epochs of ``steps_per_epoch``), as applied
        (``dtype="float32"``) or unrounded ("float64"), from its initial
        settings."""
        check_choice("what", what, ("lr", "momentum"))
        check_choice("dtype", dtype, ("float32", "float64"))
        if not isinstance(iterations, Positions):
            iterations = Positions.of_iterations(
                check_iterations(iterations).astype(np.int64), steps_per_epoch)
        function = self.schedule if what == "lr" else self.momentum_schedule
        values = np.asarray(function(iterations, self.initial_settings()), np.float64)
        if dtype == "float32":
            values = values.astype(np.float32).astype(np.float64)
        return values

    def _plateaus(self):
        """Every plateau control of the policy, by name (saved with the state)."""
        return {} if self.plateau is None else {"policy": self.plateau}

    @property
    def _plateau_controls(self):
        """`_plateaus()`, made once (a policy's plateau controls are fixed when
        it is constructed): epoch ends read it."""
        return self._made_plateau_controls()[0]

    def _made_plateau_controls(self):
        """``(controls, sole)``: `_plateaus()`, and ``(name, plateau)`` when the
        policy's own plateau control is its only one (it then decides at
        every epoch end), else None; made once."""
        made = self.__dict__.get("_plateau_controls_made")
        if made is None:
            controls = self._plateaus()
            sole = None
            if self.plateau is not None and len(controls) == 1:
                sole, = controls.items()
            made = self.__dict__["_plateau_controls_made"] = (controls, sole)
        return made

    def _active_plateau(self):
        """The plateau control deciding at this epoch end: ``(plateau,
        reduce(settings) -> new settings or None, lag)``, or None."""
        if self.plateau is None:
            return None
        return self.plateau, self._reduce_by_own_plateau, self.plateau_lag

    def _reduce_by_own_plateau(self, settings):
        return self.reduce(settings, self.plateau)

    def _epoch_columns(self):
        has_plateau = bool(self._plateaus())
        fixed = ("epoch",)
        if has_plateau:
            fixed += ("not_improved_for_n_times",)
        fixed += ("base_lr", "max_lr", "lr")
        if has_plateau:
            fixed += ("in_cooldown",)
        return fixed

    # -- public ----------------------------------------------------------------
    @property
    def history(self):
        """Per-iteration history as a pandas DataFrame (one row per batch)."""
        self._commit_all(read_step=True)
        return self._iteration_history.to_pandas()

    def history_store(self):
        """The per-iteration history's storage (`IterationHistory`), up to
        date: for readers that need a few rows of a long history (plots)."""
        self._commit_all(read_step=True)
        return self._iteration_history

    def history_rows(self, start=0):
        """Per-iteration rows from row ``start`` on, as a dict of numpy arrays
        (what `history` holds, without building the whole table)."""
        self._commit_all(read_step=True)
        return self._iteration_history.columns(start)

    @property
    def history_epoch(self):
        """Per-epoch history as a pandas DataFrame (one row per epoch)."""
        self._commit_all(read_step=True)
        return self._epoch_history.to_pandas()

    def epoch_logs_absent(self):
        """The log columns of `history_epoch` that some epochs did not log
        (e.g. ``val_loss`` with ``validation_freq=2``), each with the
        0-based rows of those epochs: NaN there, as pandas shows a missing
        value, unlike a NaN that was logged."""
        self._commit_all(read_step=True)
        epochs = self._epoch_history
        return {column: rows for column in epochs.log_columns
                if (rows := epochs.absent(column))}

    @property
    def history_version(self):
        """A number that changes whenever history rows are added or removed."""
        self._commit_all(read_step=True)
        return self._history_changes

    @property
    def trn_iterations(self):
        """Training iterations recorded so far (over all fit calls)."""
        self._commit_all(read_step=True)
        return self._committed_rows

    @property
    def next_iteration(self):
        """The training iteration of the next batch (rows so far, in a fit())."""
        return self._rows_at(self._step_now)

    def _rows_at(self, step):
        """Rows (training iterations) before optimizer ``step``, in this fit."""
        return self._committed_rows + max(0, step - self._committed_step)

    @property
    def optimizer_step(self):
        """The optimizer step of the next batch, as far as the callback knows."""
        return self._step_now

    @property
    def current_epoch(self):
        """1-based number of the epoch in progress (or about to start)."""
        return self.epochs_done + 1

    @property
    def next_lr(self):
        """The learning rate the next training batch will use (as applied)."""
        return float(self._values_at(self._step_now)[0])

    @property
    def next_momentum(self):
        """The momentum the next training batch will use (None if not cycled)."""
        return float(self._values_at(self._step_now)[1]) if self.cycle_momentum else None

    def _values_at(self, step):
        """The table row of optimizer ``step`` (as applied), computed when the
        table does not hold it (before the first fit(), beyond the steps a
        fill computed, or a refill that failed)."""
        table = self._table
        if table is not None and table.host_start <= step < table.end:
            return table.row(step)
        columns = self._columns_ahead(1, step)
        return [float(np.float32(column[0])) for column in columns]

    # -- Keras hooks -----------------------------------------------------------
    def _guarded(self, hook, *args):
        """``hook(*args)``; when it fails, the table comes off the optimizer
        first (Keras does not call on_train_end after an error)."""
        try:
            return hook(*args)
        except Exception:
            self._release()
            raise

    def _release(self):
        """Take the table off the optimizer. Epoch rows get their lr now (the
        rate the next batch would use when this fit() ends); rows are
        recorded when read (or at the next train begin), off a host copy of
        the table that stays with this callback. An epoch left open (an
        error) is committed now, from the step counter, while the backend's
        state is the fit's; no step runs with this table after that, so the
        epoch's rows end there (a later fit() without this callback adds none)."""
        with self._busy_now():
            self._release_attachment()

    def _release_attachment(self):
        if self._attachment is not None:
            if self._epoch_open:
                self._commit_all(read_step=True)
                self._step_now = self._committed_step
                self._epoch_open = False
            else:
                self._pin_epoch_rates()
                self._final_quiet_ends = len(self._quiet_ends)  # final when recorded
            rate = None  # detach reads it off the table, at the step counter
            if not self._epoch_open:  # the next batch's rate, as the callback knows it
                known = float(self._row_of(self._step_now)[0])
                rate = known if math.isfinite(known) else None
            self._table = self._table.host_copy()
            tables.detach(self.model, rate)
        self._attachment = None

    def _release_when_collected(self):
        """`_release`, asked by the garbage collector once the fit() that an
        error ended is gone. A collection can run at any allocation, also in
        the middle of this callback's own commit or release (reading the
        history after that error): then the release waits for its end, so
        that no step is committed twice."""
        if self._busy:
            self._release_pending = True
        else:
            self._release()

    @contextlib.contextmanager
    def _busy_now(self):
        """Marks commits and releases under way (see `_release_when_collected`);
        a release asked meanwhile runs when the outermost one ends."""
        self._busy += 1
        try:
            yield
        finally:
            self._busy -= 1
            if not self._busy and self._release_pending:
                self._release_pending = False
                self._release()

    def on_train_begin(self, logs=None):
        model = self.model
        if getattr(model, "optimizer", None) is None:
            raise KerasclrError(
                f"{self.policy_name} needs a compiled model: call "
                "`model.compile(optimizer=...)` before `fit()`.",
                f"{self.r_function}() needs a compiled model: call "
                "`compile(model, optimizer = ...)` before fit().")
        fits = fit_context.running_fits()  # one walk up the stack (each reads frames)
        self._fit = fit_context.current_fit(model, fits)
        self._check_other_callbacks(fits[1:])
        self._guarded(self._train_begin)

    def _train_begin(self):
        model = self.model
        self._model_ids = (self._model_ids[1], id(model))
        self._step_reader = None
        self._fit_params = dict(self.params or {})
        self._steps = self.params.get("steps") if self.params else None
        self.resolve(self.params or {})
        self._spe = int(getattr(model, "steps_per_execution", 1) or 1)
        capacity = max(MIN_CAPACITY, 4 * self._spe, int(self._steps or 0))
        _build_optimizer(model)
        self._commit_all()  # rows of the last fit, off its table
        self._attachment = tables.attach(model, self, capacity, self.cycle_momentum,
                                         record_losses=self.records_losses,
                                         new_capacity=self._planned_capacity(capacity),
                                         fit_frame=self._fit.frame_id)
        self._table = self._attachment.table
        if self._fit.callbacks is not None:
            # An error elsewhere ends fit() without on_train_end: once that
            # fit() is gone, the optimizer is made plain again.
            weakref.finalize(self._fit.callbacks, tables.release_if_still,
                             self._attachment, collected=True, fit=self._attachment.fits)
            self._fit.callbacks = None  # keep no reference to the fit's callbacks
        self._refill_in_batches = self._steps is None or self._steps > self._table.capacity
        self._quiet_epochs = self._quiet_epochs_in_this_fit()
        self._steps_counted = (keras.backend.backend() in ("jax", "torch")
                               and isinstance(model.optimizer, keras.optimizers.Optimizer)
                               and tables.unwrap_optimizer(model.optimizer) is model.optimizer)
        if self._origin is None and self._committed_rows == 0 and not self._pending_runs:
            step = self._read_step()
            self._committed_step = self._step_now = self._settings_from = step
            self._origin = self._snapshot()
        self._check_step_at_epoch_begin = True
        self._fit_first_step = self._step_now
        self._fill(self._step_now)

    def on_epoch_begin(self, epoch, logs=None):
        # Every epoch begins here: the usual case (nothing to check, the
        # table holds the whole epoch) inline, the rest guarded.
        if self._check_step_at_epoch_begin or self._epoch_open:
            self._guarded(self._check_step_at_begin)
        self._epoch_open = True
        step = self._epoch_first_step = self._step_now
        self._batches_seen = 0
        self._last_batch_end = None
        table = self._table
        if self._refill_in_batches or not table.host_start <= step <= table.end - self._steps:
            self._guarded(self._fill, step)

    def _check_step_at_begin(self):
        """Align with the step counter at an epoch begin: another callback's
        on_train_begin (BackupAndRestore) may have restored the optimizer
        since ours ran, or the last epoch ended without on_epoch_end (an
        error, an interruption)."""
        step = self._read_step()
        if self._check_step_at_epoch_begin:  # where this fit() really begins
            self._fit_first_step = step
        self._check_step_at_epoch_begin = False
        self._align_with_optimizer(step)

    def _quiet_epochs_in_this_fit(self):
        """Whether this fit()'s epochs can end quietly, their records waiting
        (`_end_quiet_epoch`): epochs of known length, no message after an
        epoch, and no plateau control but the policy's own, which must then
        wait (`Plateau.can_wait`: it never changes a rate and says nothing;
        its state changes only by waiting observations, or by a rollback or
        a load, which decide anew)."""
        controls, sole = self._made_plateau_controls()
        return bool(not self._refill_in_batches and self._steps
                    and not (self.verbose > 0 and type(self).after_epoch
                             is not PolicyCallback.after_epoch)
                    and (not controls or (sole is not None and sole[1].can_wait)))

    def on_train_batch_begin(self, batch, logs=None):
        if not self._refill_in_batches:
            return
        step = self._epoch_first_step + int(batch)
        table = self._table
        if table.end - step < self._spe:
            self._sync_backend()
            self._guarded(self._fill, step)

    def on_train_batch_end(self, batch, logs=None):
        # Keras may run batch-end hooks on a pool of threads (async dispatch),
        # so they can finish out of order: keep the largest batch. (A race
        # between two hooks can keep a smaller one; `on_epoch_end` then
        # reads the step counter.)
        if self._refill_in_batches:
            with self._batches_seen_lock:
                self._batches_seen = max(self._batches_seen, int(batch) + 1)
        else:
            last = self._last_batch_end
            if last is None or batch > last:
                self._last_batch_end = batch

    def on_epoch_end(self, epoch, logs=None):
        # Every epoch ends here: the usual end (a quiet one, and on JAX and
        # PyTorch without a counter read) inline, the rest guarded.
        logs = {} if logs is None else logs
        first, steps = self._epoch_first_step, self._steps
        # The optimizer step after the epoch's last batch. Where each batch
        # that Keras reports ended ran exactly one optimizer step
        # (`_steps_counted`: JAX and PyTorch, whose batch-end hooks get the
        # index of the last batch a step ran; an optimizer that no loss
        # scaling wraps, so none skips an update), an epoch whose last batch
        # ended is complete, and its end is known without reading the step
        # counter (a device sync). Otherwise (an epoch stopped early, data
        # that ran out, two batch-end hooks that raced, see
        # `on_train_batch_end`) the counter is read.
        if (self._steps_counted and not self._refill_in_batches
                and self._last_batch_end == steps - 1):
            step = first + steps
        else:
            step = self._guarded(self._read_step)
        if self._quiet_epochs and step == first + steps and step < self._table.end:
            # it ran all its batches, the table holds its end row, and nothing
            # is decided or said at its end (see _quiet_epochs_in_this_fit)
            self._end_quiet_epoch(epoch, logs, step)
        else:
            self._guarded(self._epoch_end, epoch, logs, step)

    def _epoch_end(self, epoch, logs, step):
        """End an epoch that ended at optimizer ``step`` but not quietly."""
        self._flush_quiet_ends()
        epoch_number = self.epochs_done + 1
        if self._refill_in_batches:
            # Epochs of unknown length: on TensorFlow the fetch that finds the
            # data exhausted still advances the step counter (no batch is
            # trained); such phantom steps are not batches, and the table
            # (which counted them as batches) is refilled.
            ran = min(step - self._epoch_first_step, self._batches_seen)
            self._commit_steps(self._epoch_first_step + ran)
            moved = self._committed_step != step
            self._committed_step = step
        else:
            self._pending_runs.append((epoch_number, self._epoch_first_step, step,
                                       self._settings))
            # An epoch of unexpected length moves the epochs of the next steps.
            moved = bool(self.uses_epochs and self._steps
                         and step != self._epoch_first_step + self._steps)
        self._step_now = step
        self._epoch_open = False
        self.epochs_done = epoch_number
        if moved:
            self._fill(step)
        record, error = self._epoch_record(epoch, dict(logs), epoch_number, step)
        logs["learning_rate"] = float(record.row[0])
        if error is not None:
            raise error

    def _epoch_record(self, epoch, logs, number, step):
        """Record epoch ``number`` (``epoch``: its 0-based index in its fit()),
        which ended at optimizer ``step`` with ``logs`` (a copy): its plateau
        update, mark and table row. Returns the record and an error to raise
        once it is recorded, or None."""
        record = _EpochRecord(logs, number, step,
                              (max(0, self._rows_at(step) - 1), self._settings))
        error = self._epoch_end_update(record, epoch)
        if self.verbose > 0:
            self.after_epoch()
        record.mark = self._mark_fields(step, number)
        self._pending_epochs.append(record)
        # the row last (if it cannot be computed, the record stays, and takes
        # its rate when pinned: _pin_epoch_rates)
        record.row = self._values_at(step)
        return record, error

    def _end_quiet_epoch(self, epoch, logs, step):
        """End an epoch quietly (see `_epoch_end`): its logs get their
        rate, and its record waits (`_flush_quiet_ends`) until something reads
        or changes what it depends on (the rows, the settings, the plateau
        state, the table), for it would come out the same until then."""
        number = self.epochs_done + 1
        self._quiet_ends.append((epoch, dict(logs), self._epoch_first_step, step, number))
        self._step_now = step
        self._epoch_open = False
        self.epochs_done = number
        # `table.row(step)[0]`, inline (the caller checked the range); `item`
        # makes the Python float without a numpy scalar first
        table = self._table
        logs["learning_rate"] = table.host.item(step - table.host_start, 0)

    def _flush_quiet_ends(self):
        """The records of the quiet epoch ends so far, in order (those that
        ended a past fit() get their final rate, like every epoch then)."""
        ends = self._quiet_ends
        if not ends:
            return
        self._quiet_ends, final = [], self._final_quiet_ends
        self._final_quiet_ends = 0
        for epoch, logs, first, step, number in ends:
            self._pending_runs.append((number, first, step, self._settings))
            self._epoch_record(epoch, logs, number, step)
        self._final_epoch_rows += final

    def on_train_end(self, logs=None):
        self._release()

    # -- epoch end ---------------------------------------------------------------
    def _epoch_end_update(self, record, epoch_index):
        """Plateau logic for the epoch of ``record``: its plateau columns and
        state, now or (a plateau that can wait) when next read. Returns an
        error to raise once the row is recorded, or None."""
        controls, sole = self._made_plateau_controls()
        if not controls:
            return None
        if sole is not None and sole[1].can_wait:
            # the usual case (the policy's own control, alone): no lookup
            active, waiting = None, sole[1]
        else:
            active = self._active_plateau()
            waiting = None if active is None else active[0]
        if waiting is not None and len(controls) == 1 and waiting.can_wait:
            record.plateau_name, = controls
            waiting.observe_later(record.logs, self._fit, epoch_index, record.observed)
            return None
        error = None
        record.fixed = {"not_improved_for_n_times": 0, "in_cooldown": False}
        if active is not None:
            plateau, reduce, lag = active
            outcome = plateau.observe(record.logs, self._fit, epoch_index)
            error = outcome if isinstance(outcome, KerasclrError) else None
            record.fixed = {"not_improved_for_n_times": plateau.not_improved_for_n_times,
                            "in_cooldown": plateau.cooldown_counter > 0}
            if outcome == "count":
                self._plateau_decision(plateau, reduce, lag)
        record.plateau = {name: control.get_state() for name, control in controls.items()}
        return error

    def _plateau_decision(self, plateau, reduce, lag):
        decision = plateau.decide()
        if decision == "cooldown":
            self._say(f"cooling down ({plateau.cooldown_counter} epoch(s) left).")
        elif decision == "reduce":
            new = reduce(self._settings)
            if new is not None:
                plateau.reduced()
                self._change_settings(new, lag=lag)

    def _say(self, text):
        if self.verbose > 0:
            print(f"Epoch {self.epochs_done}: {self.policy_name} {text}", flush=True)

    # -- settings --------------------------------------------------------------------
    def _change_settings(self, settings, lag=0):
        """New settings from the next batch on (after ``lag`` more batches)."""
        self._flush_quiet_ends()  # their records have the settings of before
        if self._epoch_open and self._attachment is not None:
            step = self._read_step()
            self._commit_steps(step)
            self._step_now = step
        self._previous_settings = self._settings
        self._settings_from = self._step_now + lag
        self._settings = settings
        if self._table is not None:
            self._fill(self._step_now)

    def _change_settings_at_next_batch(self, make_settings):
        """``make_settings(iteration)``, with the training iteration of the next
        batch, become the settings from that batch on (``reset()``)."""
        if self._epoch_open and self._attachment is not None:
            step = self._read_step()
            self._commit_steps(step)
            self._step_now = step
        self._change_settings(make_settings(self.next_iteration))

    # -- table -----------------------------------------------------------------------
    def _columns_ahead(self, count, step):
        """Rate (and momentum) columns of ``count`` steps from optimizer ``step``."""
        iteration = self._rows_at(step)
        in_epoch = (step - self._epoch_first_step) if self._epoch_open else 0
        positions = Positions.ahead(count, iteration, self.epochs_done, in_epoch,
                                    self._steps if self.uses_epochs else None)
        lagged = min(count, max(0, self._settings_from - step))
        columns = [self._values(self.schedule, positions, lagged)]
        if self.cycle_momentum:
            columns.append(self._values(self.momentum_schedule, positions, lagged))
        return columns

    def _values(self, function, positions, lagged):
        values = np.asarray(function(positions, self._settings), dtype=np.float64)
        if lagged:
            values = values.copy()
            values[:lagged] = function(positions[:lagged], self._previous_settings)
        return values

    def _fill(self, step):
        """Fill the table from optimizer ``step`` (rows before it are kept)."""
        columns = self._columns_ahead(self._fill_length(step), step)
        rates = columns[0].astype(np.float32)  # what the optimizer applies
        if not np.isfinite(rates).all():
            bad = columns[0][~np.isfinite(rates)][0]
            raise KerasclrError(
                f"{self.policy_name}: a learning rate of {bad!r} is not a finite "
                "float32 number (the optimizer applies float32 rates, at most 3.4e38).")
        self._commit_steps(step if self._epoch_open else None, resolve_before=step)
        if self._epoch_open:
            self._step_now = max(self._step_now, step)
        columns[0] = rates  # (the table's float32, converted once)
        if self._attachment is not None:  # in fit()
            self._attachment.fill(step, columns)
        else:
            self._table.fill(step, columns)

    def _planned_capacity(self, capacity):
        """Rows of a new table for this fit(): at least ``capacity``, and the
        whole fit() when its length is known (its steps and the next batch's,
        rounded up to a power of two, so that later fits of similar length
        reuse the table and its compiled train function), at most
        `MAX_PLANNED_CAPACITY`."""
        epochs = self._fit_params.get("epochs")
        if not self._steps or not isinstance(epochs, numbers.Integral):
            return capacity
        rows = 1 << (self._steps * int(epochs)).bit_length()  # > steps * epochs
        return max(capacity, min(rows, MAX_PLANNED_CAPACITY))

    def _fill_length(self, step):
        """Steps a fill from optimizer ``step`` computes: the table's capacity,
        or fewer when this fit() cannot run as many: its epochs of known
        length, counted from its first step, and the step after them (the
        next batch's rate); never fewer than an epoch and that step, so a
        fill at an epoch begin always covers the epoch."""
        capacity = self._table.capacity
        epochs = self._fit_params.get("epochs")
        if (self._refill_in_batches or not self._steps
                or not isinstance(epochs, numbers.Integral)):
            return capacity
        left = self._steps * int(epochs) - (step - self._fit_first_step)
        return min(capacity, max(left, self._steps) + 1)

    # -- rows ----------------------------------------------------------------------
    def _commit_steps(self, step=None, resolve_before=None):
        """Rows for pending epochs (and the open epoch up to ``step``), in one
        pass: one slice of the table, one bounds call per settings."""
        self._flush_quiet_ends()
        runs, self._pending_runs = self._pending_runs, []
        if step is not None and self._epoch_open:
            runs.append((self.epochs_done + 1, self._epoch_first_step, step,
                         self._settings))
        runs = [run for run in runs if run[2] > self._committed_step]
        if runs:
            first, total = self._committed_step, runs[-1][2] - self._committed_step
            values = self._table.rows(first, total)
            starts = [max(run[1], first) for run in runs]
            lengths = np.array([run[2] - begin for run, begin in zip(runs, starts)])
            epochs = np.repeat([run[0] for run in runs], lengths)
            in_epoch = np.concatenate([np.arange(begin - run[1], run[2] - run[1])
                                       for run, begin in zip(runs, starts)])
            iteration = np.arange(self._committed_rows, self._committed_rows + total)
            positions = Positions(iteration, epochs - 1, in_epoch)
            base_lr, max_lr = np.empty(total), np.empty(total)
            edges = np.concatenate([[0], np.cumsum(lengths)])
            k = 0
            while k < len(runs):  # runs with the same settings: one bounds call
                j = k
                while j + 1 < len(runs) and runs[j + 1][3] is runs[k][3]:
                    j += 1
                part = slice(edges[k], edges[j + 1])
                low, high = self.bounds(positions[part], runs[k][3])
                base_lr[part], max_lr[part] = low, high
                k = j + 1
            columns = {"lr": values[:, 0]}
            if self.cycle_momentum:
                columns["momentum"] = values[:, 1]
            self._iteration_history.add_rows(self._committed_rows, epochs, base_lr, max_lr,
                                             columns)
            self._committed_rows += total
            self._committed_step = runs[-1][2]
            self._history_changes += 1
        self._pin_epoch_rates(resolve_before)

    def _pin_epoch_rates(self, before=None):
        """Before the table changes (a refill from optimizer step ``before``,
        or the end of fit(); None): each pending epoch row's lr is the next
        batch's rate, as the table holds it until then. A row takes the table
        row of its end step when the epoch ends; one ending at or after
        ``before`` waits, for the refill decides its next batch's rate, and
        takes it at the next call. At the end of fit() the rows are final."""
        pending = self._pending_epochs
        for record in pending[self._final_epoch_rows:]:
            if before is not None and record.end >= before:
                record.row = None
            elif record.row is None:
                record.row = self._row_of(record.end)
        if before is None:  # the end of fit(): these rows are final
            self._final_epoch_rows = len(pending)

    def _record_epoch_rows(self):
        """Record the pending epoch rows (their plateau outcomes made first)."""
        self._flush_quiet_ends()
        if not self._pending_epochs:
            return
        for plateau in self._plateau_controls.values():
            plateau.get_state()  # queued observations reach their rows
        self._pin_epoch_rates()
        ready, self._pending_epochs = self._pending_epochs, []
        self._final_epoch_rows = 0
        # the bounds of each epoch's last step: one call per settings
        last = Positions(np.array([record.bounds_at[0] for record in ready]),
                         np.array([record.epoch - 1 for record in ready]),
                         np.zeros(len(ready), np.int64))
        base_lr, max_lr = np.empty(len(ready)), np.empty(len(ready))
        k = 0
        while k < len(ready):
            settings = ready[k].bounds_at[1]
            j = k
            while j + 1 < len(ready) and ready[j + 1].bounds_at[1] is settings:
                j += 1
            base_lr[k:j + 1], max_lr[k:j + 1] = self.bounds(last[k:j + 1], settings)
            k = j + 1
        for i, record in enumerate(ready):
            row = record.row
            fixed = {"epoch": record.epoch, **record.fixed, "lr": float(row[0]),
                     "base_lr": float(base_lr[i]), "max_lr": float(max_lr[i])}
            if self.cycle_momentum:
                fixed["momentum"] = float(row[1])
            self._epoch_history.add(record.logs, fixed, _mark(record.mark, record.plateau))
        self._history_changes += 1

    def _row_of(self, step):
        """`_values_at` ``step``; NaN when computing it fails too."""
        try:
            return self._values_at(step)
        except KerasclrError:
            return [math.nan] * self._table.columns

    def _commit_all(self, read_step=False):
        if self._table is None:
            return
        with self._busy_now():
            self._commit_table(read_step)

    def _commit_table(self, read_step):
        step = None
        if read_step and self._epoch_open and self._attachment is not None:
            try:
                step = self._read_step()
            except Exception:  # the backend state may be unreadable mid-step
                step = None
        self._commit_steps(step)
        self._record_epoch_rows()

    # -- marks and rollback ----------------------------------------------------------
    def _snapshot(self):
        """What rolling back to this moment needs (JSON-able)."""
        return _mark(self._mark_fields(), {name: plateau.get_state()
                                           for name, plateau in self._plateau_controls.items()})

    def _mark_fields(self, step=None, epochs_done=None):
        """`_snapshot` but the plateau states, as a tuple (see `_mark`); of
        now, or of the end of epoch ``epochs_done`` at optimizer ``step``."""
        step = self._step_now if step is None else step
        # settings are replaced, never changed in place: no copies
        return (step, self._rows_at(step),
                self.epochs_done if epochs_done is None else epochs_done,
                self._settings, self._previous_settings, self._settings_from)

    def _state_mark(self):
        """The snapshot a saved state resumes from (mid-epoch: the rows so far)."""
        mark = self._snapshot()
        if self._epoch_open:
            mark["step"], mark["rows"] = self._committed_step, self._committed_rows
        return mark

    def _align_with_optimizer(self, step):
        """Make the host agree with the optimizer's step counter ``step``."""
        loaded, self._loaded_step = self._loaded_step, None
        if self._epoch_open:  # the last epoch never ended
            if step >= self._committed_step:
                self._commit_steps(step)  # its batches did run
            self._step_now = max(self._step_now, self._committed_step)
            self._epoch_open = False
        if step == self._step_now:
            return
        if step > self._step_now:
            if loaded is not None:
                raise self._mismatch(step)
            # Trained without this callback in between: continue from here.
            self._commit_all()
            self._committed_step = self._step_now = step
            self._settings_from = min(self._settings_from, step)
            self._fill(step)
            return
        self._commit_all()
        for index in range(len(self._epoch_history) - 1, -1, -1):
            mark = self._epoch_history.marks[index]
            if mark["step"] == step:
                self._roll_back(mark, index + 1)
                return
        if self._origin is not None and self._origin["step"] == step:
            self._roll_back(self._origin, 0)
            return
        raise self._mismatch(step)

    def _mismatch(self, step):
        text = (f"the model's optimizer is at step {step}, but the callback's state is "
                f"at step {self._step_now} and no epoch of its history ended at step "
                f"{step}. Restore the model and the callback state saved at the same "
                "epoch end.")
        return KerasclrError(f"{self.policy_name}: {text}", f"{self.r_function}(): {text}")

    def _roll_back(self, mark, epochs):
        dropped = len(self._iteration_history) - mark["rows"]
        if dropped > 0 and self._model_ids[0] not in (None, self._model_ids[1]):
            text = (f"this fit() trains another model than the last one, whose optimizer "
                    f"is at step {mark['step']}: the {dropped} rows of history after it "
                    "are dropped, and training goes on from there.")
            warn(f"{self.policy_name}: {text} Use a new callback for each model.",
                 f"{self.r_function}(): {text} Create a new callback for each model.")
        self._iteration_history.truncate(mark["rows"])
        self._epoch_history.truncate(epochs)
        self._drop_pending()
        self._committed_rows = len(self._iteration_history)
        self._committed_step = self._step_now = mark["step"]
        self._restore_mark(mark)
        self._history_changes += 1
        self._truncations += 1
        self._fill(self._step_now)

    def _drop_pending(self):
        """Forget what was not recorded yet (a rollback or a load replaces it)."""
        self._pending_runs, self._pending_epochs, self._final_epoch_rows = [], [], 0
        self._quiet_ends, self._final_quiet_ends = [], 0

    def _restore_mark(self, mark):
        self.epochs_done = mark["epochs_done"]
        self._settings = dict(mark["settings"])
        self._previous_settings = dict(mark["previous_settings"])
        self._settings_from = mark["settings_from"]
        for name, plateau in self._plateau_controls.items():
            plateau.set_state(dict(mark["plateau"][name]))
        self._quiet_epochs = self._quiet_epochs_in_this_fit()

    # -- the model ---------------------------------------------------------------------
    def _check_other_callbacks(self, outer_fits):
        """Refuse a second callback that sets the rate in this fit(), and
        this callback in one of ``outer_fits`` (running ``fit()`` calls that
        enclose this one) of another model."""
        for other in self._fit.callback_list:
            if other is self:
                continue
            hint = ("", "")
            if isinstance(other, keras.callbacks.ReduceLROnPlateau):
                names = ("ReduceLROnPlateau", "callback_reduce_lr_on_plateau()")
                hint = self._plateau_hint()
            elif isinstance(other, keras.callbacks.LearningRateScheduler):
                names = ("LearningRateScheduler", "callback_learning_rate_scheduler()")
            elif isinstance(other, PolicyCallback):
                names = (other.policy_name, f"{other.r_function}()")
            else:
                continue
            raise KerasclrError(
                f"{names[0]} and {self.policy_name} both set the learning rate in this "
                f"fit(): keep one of them.{hint[0]}",
                f"{names[1]} and {self.r_function}() both set the learning rate in this "
                f"fit(): keep one of them.{hint[1]}")
        for outer in outer_fits:
            if self in outer.callback_list and outer.model is not self.model:
                # The outer fit() goes on with its own model and params.
                self.set_model(outer.model)
                self.set_params(self._fit_params)
                raise KerasclrError(
                    f"This {self.policy_name} is already in a running fit() of another "
                    "model; a callback serves one fit() at a time.",
                    f"This {self.r_function}() callback is already in a running fit() "
                    "of another model; a callback serves one fit() at a time.")

    def _warn_if_epoch_length_differs(self, steps_per_epoch, what):
        """Warn when this fit() runs epochs of another length than the
        ``steps_per_epoch`` the policy was given (``what`` its plan, e.g.
        "the cycle (320 steps)"); call from `resolve`, on train begin."""
        steps = self._steps  # this fit()'s batches per epoch (None: unknown)
        if steps_per_epoch is None or steps is None or int(steps) == steps_per_epoch:
            return
        text = (f"`steps_per_epoch` is {steps_per_epoch} but this fit() runs {int(steps)} "
                f"batches per epoch, so {what} does not follow its epochs.")
        warn(f"{self.policy_name}: {text} Pass steps_per_epoch={int(steps)}.",
             f"{self.r_function}(): {text} Pass `steps_per_epoch = {int(steps)}`.")

    def _plateau_hint(self):
        """Where this policy's plateau control is set (Python, R wording)."""
        if "patience" in inspect.signature(type(self)).parameters:
            return (f" For plateau control use {self.policy_name}'s own `patience` and "
                    "`factor`.",
                    f" For plateau control use the `patience` and `factor` arguments of "
                    f"{self.r_function}().")
        return (f" For plateau control pass `plateau=kerasclr.Plateau(...)` to "
                f"{self.policy_name}.",
                f" For plateau control pass `plateau = plateau_control(...)` to "
                f"{self.r_function}().")

    def _sync_backend(self):
        # JAX keeps variables in a detached state during an epoch. (`_model`:
        # Keras's `model` property syncs too, at every read.)
        sync = getattr(self._model, "jax_state_sync", None)
        if sync is not None:
            sync()

    def _read_step(self):
        if self._step_reader is None:
            self._step_reader = tables.step_reader(self.model.optimizer)
            self._state_sync = getattr(self._model, "jax_state_sync", None)
        if self._state_sync is not None:
            self._state_sync()
        return self._step_reader()

    # -- state -------------------------------------------------------------------------
    def get_config(self):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def from_config(cls, config):
        """A new policy (no history) made from what `get_config` returns."""
        config = dict(config)
        if isinstance(config.get("plateau"), dict):
            config["plateau"] = Plateau(**config["plateau"])
        return cls(**config)

    @staticmethod
    def class_named(name):
        """The policy class whose ``policy_name`` is ``name``."""
        found, classes = None, [PolicyCallback]
        while classes and found is None:
            kind = classes.pop()
            classes.extend(kind.__subclasses__())
            if kind.__dict__.get("policy_name") == name:
                found = kind
        if found is None:
            raise KerasclrError(f"There is no kerasclr policy named {name!r}.")
        return found

    # A policy whose length may come from fit() (OneCycle, WSD) sets
    # TOTAL_STEPS_MINIMUM and defines `_learned_total_steps()` (None until
    # known) and `_set_total_steps(total)`: the length is then part of its
    # state, so a resumed run keeps the schedule it started.
    TOTAL_STEPS_MINIMUM = None

    def _policy_state(self):
        """The policy's own state beyond settings and plateau."""
        if self.TOTAL_STEPS_MINIMUM is None:
            return {}
        return {"total_steps": self._learned_total_steps()}

    def _set_policy_state(self, state):
        if self.TOTAL_STEPS_MINIMUM is not None and state.get("total_steps") is not None:
            self._set_total_steps(state["total_steps"])

    def _check_policy_state(self, state, problem):
        minimum, total = self.TOTAL_STEPS_MINIMUM, state.get("total_steps")
        if minimum is None or total is None:
            return
        if not isinstance(total, int) or isinstance(total, bool) or total < minimum:
            problem("policy_state.total_steps",
                    f"must be a whole number >= {minimum}, got {total!r}")

    def get_state(self):
        """The callback's state as a JSON-able dict (see `set_state`)."""
        self._commit_all(read_step=True)
        return state_codec.encode(self)

    def set_state(self, state):
        """Restore a state made by `get_state`: all of it, or nothing on error."""
        self._apply_state(state_codec.decode(self, state, source="state"))
        return self

    def save(self, path):
        """Write the state to the file ``path`` (see `kerasclr.engine.state`).

        In a multi-process run only the chief process writes (process 0
        under a JAX ``keras.distribution``, the checkpointing worker of a
        TensorFlow multi-worker strategy; see `kerasclr.engine.processes`);
        on the others ``save()`` returns ``path`` without writing, so it can
        be called on every process. The processes that load the file later
        must see what the chief wrote (shared storage, or a copy).
        """
        self._commit_all(read_step=True)
        if processes.is_chief(self.model):
            state_codec.save(self, path)
        return path

    def load(self, path):
        """Restore the state saved in ``path``; nothing changes on error."""
        self._apply_state(state_codec.load(self, path))
        return self

    def _apply_state(self, decoded):
        self._iteration_history.load(decoded.runs, decoded.values)
        self._epoch_history.load(decoded.log_columns, decoded.epoch_rows, decoded.marks)
        self._committed_rows = len(self._iteration_history)
        self._committed_step = self._step_now = decoded.step
        self._restore_mark(decoded.mark)
        self._loaded_step = decoded.step
        self._origin = decoded.origin
        self._set_policy_state(decoded.policy_state)
        self._drop_pending()
        self._epoch_open = False
        self._history_changes += 1
        self._truncations += 1
        self._saved_file = decoded.saved_file
        if self._saved_file is not None:
            self._saved_file["changes"] = self._truncations
        if self._table is not None:
            self._fill(self._step_now)

    def __repr__(self):
        try:
            next_lr = f"{self.next_lr:g}"
        except KerasclrError:  # e.g. a length only known when fit() starts
            next_lr = "(set by fit)"
        return (f"<{self.policy_name} next_lr={next_lr} "
                f"iterations={self.trn_iterations} epochs={self.epochs_done}>")


class _EpochRecord:
    """An epoch's row as its end left it; recorded when read (see
    `PolicyCallback._record_epoch_rows`)."""

    __slots__ = ("logs", "epoch", "end", "bounds_at", "mark", "fixed", "plateau", "row",
                 "plateau_name")

    def __init__(self, logs, epoch, end, bounds_at):
        self.logs = logs            # the epoch's logs
        self.epoch = epoch          # its number (1-based, over all fits)
        self.end = end              # the optimizer step after its last batch
        self.bounds_at = bounds_at  # (iteration of its last batch, settings)
        self.mark = None            # `_mark_fields()` after its plateau update
        self.fixed = {}             # plateau columns
        self.plateau = {}           # plateau states after its update
        self.row = None             # the table row of `end` (see _pin_epoch_rates)

    def observed(self, not_improved_for_n_times, in_cooldown, state):
        """The outcome of the epoch's queued observation by the policy's only
        plateau control, ``plateau_name`` (`kerasclr.Plateau.observe_later`)."""
        self.fixed = {"not_improved_for_n_times": not_improved_for_n_times,
                      "in_cooldown": in_cooldown}
        self.plateau = {self.plateau_name: state}


def _mark(fields, plateau):
    step, rows, epochs_done, settings, previous_settings, settings_from = fields
    return {"step": step, "rows": rows, "epochs_done": epochs_done, "settings": settings,
            "previous_settings": previous_settings, "settings_from": settings_from,
            "plateau": plateau}


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _build_optimizer(model):
    """Build the optimizer before training (Keras builds it lazily on some
    backends), so its own variables exist before the table is attached."""
    optimizer = model.optimizer
    if getattr(optimizer, "built", True) or not getattr(model, "built", False):
        return
    with losses.distribution_scope(model):
        optimizer.build(model.trainable_variables)
