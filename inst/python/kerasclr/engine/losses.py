"""The loss of every training step, recorded inside the compiled train step.

A range test needs the loss of every step. Reading it from the host after
every batch costs a round trip per step (the host waits for the step, and
on JAX the whole training state is copied back into the variables). A
`LossRecorder` instead writes, inside the train step, one row per step into
a variable of ``capacity`` rows (a ring indexed by the optimizer's step
counter *before* the step: row ``step % capacity``):

- column 0, 1: what the step adds to the model's loss tracker (Keras's
  running mean of the loss: ``loss * batch size`` and ``batch size``), so
  the loss of the step is column 0 / column 1, for batches of unequal size
  too. Taken from the tracker's ``update_state`` call itself, not from the
  difference of its running totals (which loses digits as they grow);
- column 2: the ``"loss"`` entry of the step's logs, for train steps that
  do not update the loss tracker (custom ``train_step`` methods).

The host reads the whole variable when it needs losses (every few steps, or
at an epoch end): one transfer for many steps, which on JAX runs in the
background while training goes on (`LossRecorder.fetch`). A step that does
not update the optimizer (a skipped loss-scaling step) writes the row of
the next update, which overwrites it: rows are optimizer updates, as in
every kerasclr history.

Distribution: under a ``tf.distribute`` strategy the variable is
sync-on-read with ``SUM`` aggregation, like the tracker's own variables, so
each replica writes its part and a read gives the sum over replicas (the
logs column is divided by the number of replicas, so it sums to their mean).
Under a JAX ``keras.distribution`` the step is one program over all devices
and processes, and the variable is replicated like every optimizer variable.

The recorder wraps the model's ``train_step`` and its loss tracker's
``update_state`` (attributes of those instances, only during the ``fit()``
that records), so it is compiled into that train function and into nothing
else (evaluation steps do not write rows).
"""

from __future__ import annotations

import contextlib
import math
import threading

import keras
import numpy as np

VALUES_NAME = "kerasclr_losses"
COLUMNS = 3


class LossRecorder:
    """Rows of (loss x batch size, batch size, logged loss), one per step.

    Args:
        model: the compiled model whose train steps are recorded.
        owner: the optimizer whose step counter indexes the rows.
        capacity: rows of the ring (at least the steps between two reads).
    """

    def __init__(self, model, owner, capacity):
        self.capacity = int(capacity)
        self.owner = owner
        self._at = None  # JAX: where the ring is in the optimizer state
        self._replaced = None  # an instance attribute `train_step` of the model
        self._local = threading.local()
        with distribution_scope(model), keras.name_scope(owner.name, caller=owner):
            self.values = keras.Variable(
                np.zeros((self.capacity, COLUMNS), np.float32), trainable=False,
                dtype="float32", name=VALUES_NAME, aggregation="sum",
                synchronization="on_read")

    @property
    def variables(self):
        return [self.values]

    @staticmethod
    def losses(rows):
        """The loss of each row of a read (float64)."""
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, COLUMNS)
        counted = rows[:, 1] > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counted, rows[:, 0] / np.where(counted, rows[:, 1], 1.0),
                            rows[:, 2])

    # -- in the train step -------------------------------------------------------------
    def install(self, model):
        """Make ``model.train_step`` record (until `uninstall`).

        TensorFlow and JAX compile it into the train function Keras builds
        next; PyTorch calls it at every step (eagerly).
        """
        self._replaced = model.__dict__.get("train_step")
        original = model.train_step
        backend = keras.backend.backend()
        if backend == "jax":
            step = self._jax_step(model, original)
        elif backend == "torch":
            step = self._torch_step(model, original)
        else:
            step = self._stateful_step(model, original)
        model.__dict__["train_step"] = step
        tracker = getattr(model, "_loss_tracker", None)
        if tracker is not None:
            update_state = tracker.update_state
            local = self._local

            def recording_update_state(values, sample_weight=None, **kwargs):
                updates = getattr(local, "updates", None)
                if updates is not None:
                    updates.append((values, sample_weight))
                return update_state(values, sample_weight=sample_weight, **kwargs)

            tracker.__dict__["update_state"] = recording_update_state

    def uninstall(self, model):
        if self._replaced is None:
            model.__dict__.pop("train_step", None)
        else:
            model.__dict__["train_step"] = self._replaced
        self._replaced = None
        tracker = getattr(model, "_loss_tracker", None)
        if tracker is not None:
            tracker.__dict__.pop("update_state", None)

    @contextlib.contextmanager
    def _tracker_updates(self):
        """The ``(values, sample_weight)`` of every update of the model's loss
        tracker in the block (a list, filled as they happen). Per thread:
        ``tf.distribute`` runs the step of each replica in its own thread."""
        outer = getattr(self._local, "updates", None)
        self._local.updates = updates = []
        try:
            yield updates
        finally:
            self._local.updates = outer

    def _row(self, model, logs, updates):
        """The row of a step: its loss tracker ``updates`` and ``logs``."""
        ops = keras.ops
        total = count = ops.zeros((), "float32")
        for values, sample_weight in updates:
            weight = ops.cast(1 if sample_weight is None else sample_weight, "float32")
            total = total + ops.mean(ops.cast(values, "float32")) * weight
            count = count + weight
        logged = logs.get("loss") if isinstance(logs, dict) else None
        if logged is None or len(getattr(logged, "shape", ())) != 0:
            logged = np.float32(np.nan)
        replicas = _replicas(model)
        return ops.stack([total, count, ops.cast(logged, "float32") / replicas])

    def _stateful_step(self, model, original):
        """TensorFlow: the step reads and writes live variables."""
        ops = keras.ops
        owner, values, capacity = self.owner, self.values, self.capacity

        def train_step(data):
            before = ops.copy(owner.iterations)  # read now: the step increments it
            with self._tracker_updates() as updates:
                logs = original(data)
            row = self._row(model, logs, updates)
            index = ops.cast(ops.mod(before, capacity), "int32")
            values.assign(ops.slice_update(
                values, ops.stack([index, ops.zeros((), "int32")]),
                ops.expand_dims(row, 0)))
            return logs

        return train_step

    def _torch_step(self, model, original):
        """PyTorch runs the step eagerly: a few torch operations, no host
        read (the row is written in place, on the device)."""
        import torch

        owner, values, capacity = self.owner, self.values, self.capacity
        device = values.value.device
        nothing = torch.zeros((), dtype=torch.float32, device=device)
        not_logged = torch.tensor(math.nan, dtype=torch.float32, device=device)

        def train_step(data):
            before = owner.iterations.value.clone()  # the step increments it
            with self._tracker_updates() as updates:
                logs = original(data)
            total, count = nothing, 0.0
            for loss, weight in updates:
                weight = 1.0 if weight is None else float(weight)
                loss = torch.as_tensor(loss).detach()
                total = total + (loss if loss.dim() == 0 else loss.mean()) * weight
                count += weight
            logged = logs.get("loss") if isinstance(logs, dict) else None
            logged = logged.detach() if torch.is_tensor(logged) and logged.dim() == 0 \
                else not_logged
            row = torch.stack([total.float(), torch.tensor(count, device=device),
                               logged.float()])
            values.value[before % capacity] = row
            return logs

        return train_step

    def _jax_step(self, model, original):
        """JAX: the step maps state to state; the rows are optimizer state."""
        from jax import lax

        ids = [id(v) for v in model.optimizer.variables]
        at_values = self._at = ids.index(id(self.values))
        at_step = ids.index(id(self.owner.iterations))
        capacity = self.capacity

        def train_step(state, data):
            before = state[2][at_step]
            with self._tracker_updates() as updates:
                logs, state = original(state, data)
            row = self._row(model, logs, updates)
            trainable, non_trainable, optimizer_state, metrics_state = state
            optimizer_state = list(optimizer_state)
            optimizer_state[at_values] = lax.dynamic_update_slice(
                optimizer_state[at_values], row[None, :].astype("float32"),
                ((before % capacity).astype("int32"), np.int32(0)))
            return logs, (trainable, non_trainable, optimizer_state, metrics_state)

        return train_step

    # -- on the host ---------------------------------------------------------------------
    def fetch(self, model):
        """Start reading the whole ring; returns a `Fetch` (its `result()` is
        the ring as float64).

        On JAX the copy to the host runs in the background (the ring is
        copied on the device first: the training state is donated to the
        next step), so taking the result one check later never waits for
        the device. Elsewhere the ring is read at once.
        """
        if self._at is None:  # TensorFlow, PyTorch
            return Fetch(self.values.numpy())
        state = model.__dict__.get("_jax_state")
        if state and not model.__dict__.get("_jax_state_synced", True):
            value = state["optimizer_variables"][self._at]
        else:
            value = self.values.value
        value = device_copy()(value)
        value.copy_to_host_async()
        return Fetch(value)

    def read(self, model):
        """The whole ring as a float64 array, now."""
        return self.fetch(model).result()

    def rows(self, table, first_step, count):
        """Rows of steps ``first_step .. first_step + count - 1`` of ``table``."""
        return table[np.arange(first_step, first_step + count) % self.capacity]


class Fetch:
    """A read of the loss ring under way."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def result(self):
        return np.asarray(self.value, dtype=np.float64)


_DEVICE_COPY = []


def device_copy():
    """A compiled copy of JAX arrays (a pytree of them; one dispatch)."""
    if not _DEVICE_COPY:
        import jax

        _DEVICE_COPY.append(jax.jit(lambda arrays: jax.tree.map(lambda a: a.copy(), arrays)))
    return _DEVICE_COPY[0]


def distribution_scope(model):
    """Where variables of ``model``'s training are made: on TensorFlow the
    model's distribution strategy (distributed variables must be made in
    it, e.g. the optimizer's slots, or sync-on-read variables); elsewhere
    nothing."""
    if keras.backend.backend() == "tensorflow":
        strategy = getattr(model, "distribute_strategy", None)
        if strategy is not None:
            return strategy.scope()
    return contextlib.nullcontext()


def _replicas(model):
    if keras.backend.backend() == "tensorflow":
        strategy = getattr(model, "distribute_strategy", None)
        return float(getattr(strategy, "num_replicas_in_sync", 1) or 1)
    return 1.0
