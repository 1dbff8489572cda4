"""The in-graph side: a learning-rate table indexed by the optimizer's step.

`StepTableSchedule` is a Keras ``LearningRateSchedule`` whose value at
optimizer step ``s`` is ``table[s - start]``. The table holds the learning
rates of the coming steps, computed on the host in float64 and rounded to
float32 once. It lives in optimizer variables, so it is part of the state of
every backend's compiled train step (TensorFlow graphs, XLA, JAX's stateless
step, PyTorch), and host writes between steps are seen by the next step
without recompiling. Because the rate is looked up from the optimizer's own
step counter inside the train step, it is exact at every step, also with
``steps_per_execution > 1`` and ``jit_compile=True``.

Saving: the table's two variables are the last variables of the optimizer
that owns them (the callback builds the optimizer before adding them). A
loaded optimizer only creates its variables when it is built, so importing
kerasclr extends ``Optimizer.load_own_variables`` for saved states that end
with a table and its start (a float vector and an integer scalar) and have
entries that the optimizer does not have yet:

- learning rate is a `StepTableSchedule` without variables (a loaded model):
  the table's variables are created first, then everything loads;
- learning rate is a float variable (a freshly compiled model restored by
  ``BackupAndRestore`` or ``load_weights``): the step counter and the slots
  load, the float rate stays and the callback installs its table at
  ``fit()``.

Every other optimizer loads exactly as before.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

TABLE_NAME = "kerasclr_lr_table"
START_NAME = "kerasclr_lr_table_start"


def unwrap_optimizer(optimizer):
    """The optimizer that owns the learning rate (unwraps loss scaling)."""
    while hasattr(optimizer, "inner_optimizer"):
        optimizer = optimizer.inner_optimizer
    return optimizer


@keras.saving.register_keras_serializable(package="kerasclr")
class StepTableSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Learning rate looked up in a table indexed by the optimizer step.

    Args:
        capacity: number of table entries (steps covered by one fill).
        values: optional initial entries (used when loading a saved model).
        start: optimizer step that ``values[0]`` applies to.

    The table's variables are created by `attach()`, as variables of the
    optimizer the schedule is installed on.

    Example:
        >>> schedule = StepTableSchedule.attach(model.optimizer, capacity=256)
        >>> schedule.fill(start=0, values=np.linspace(1e-3, 6e-3, 256))
    """

    def __init__(self, capacity, values=None, start=0):
        capacity = int(capacity)
        if capacity < 1:
            raise ValueError(f"`capacity` must be >= 1, got {capacity!r}.")
        self.capacity = capacity
        self._initial_values = None if values is None else list(values)
        self._initial_start = int(start)
        self.table = None
        self.start = None
        self._host_start = int(start)

    # -- attaching -----------------------------------------------------------
    @classmethod
    def attach(cls, optimizer, capacity):
        """Install a table schedule on ``optimizer`` (or reuse the one there).

        Returns ``(schedule, installed)``; ``installed`` is True when the
        optimizer's learning rate was replaced, so compiled train functions
        must be rebuilt.
        """
        owner = unwrap_optimizer(optimizer)
        if getattr(owner, "gradient_accumulation_steps", None):
            raise ValueError(
                "kerasclr does not support `gradient_accumulation_steps` "
                f"(got {owner.gradient_accumulation_steps!r}): the optimizer "
                "evaluates learning-rate schedules on its raw step counter."
            )
        current = getattr(owner, "_learning_rate", None)
        if isinstance(current, cls):
            if current.table is None:
                current._create_variables(owner)
            return current, False
        if isinstance(current, keras.optimizers.schedules.LearningRateSchedule):
            raise ValueError(
                "The optimizer already has a learning-rate schedule "
                f"({type(current).__name__}); a kerasclr callback sets the "
                "learning rate itself. Compile the model with a float "
                "`learning_rate` (e.g. `optimizer=keras.optimizers.SGD(0.01)`)."
            )
        if callable(current) and not isinstance(current, keras.Variable):
            raise ValueError(
                "The optimizer's `learning_rate` is a callable; a kerasclr "
                "callback sets the learning rate itself. Compile the model with "
                "a float `learning_rate`."
            )
        schedule = cls(capacity)
        schedule._create_variables(owner)
        owner.learning_rate = schedule
        return schedule, True

    def _create_variables(self, owner):
        self.table = owner.add_variable(
            shape=(self.capacity,), initializer="zeros", dtype="float32",
            name=TABLE_NAME,
        )
        self.start = owner.add_variable(
            shape=(), initializer="zeros", dtype=owner.iterations.dtype,
            name=START_NAME,
        )
        if self._initial_values is not None:
            self.fill(self._initial_start, self._initial_values)

    # -- host side -----------------------------------------------------------
    def fill(self, start, values):
        """Write the rates of steps ``start, start + 1, ...`` (host call).

        Returns the float32-rounded values as float64, exactly the rates the
        optimizer will apply.
        """
        rates = fill_step_table(self, start, values, "table fill")
        self._host_start = int(start)
        return rates

    # -- in the train step ---------------------------------------------------
    def __call__(self, step):
        if self.table is None:
            raise RuntimeError(
                "This StepTableSchedule has no table yet: it is filled by a "
                "kerasclr callback (pass one to `fit()`)."
            )
        # Four small ops per step: the index stays in the step counter's
        # integer type and the 1-d table is gathered on its only axis.
        offset = ops.subtract(ops.cast(step, self.start.dtype), self.start)
        index = ops.clip(offset, 0, self.capacity - 1)
        return ops.take(self.table, index, axis=0)

    def get_config(self):
        values = None
        start = self._host_start
        if self.table is not None:
            values = [float(v) for v in self.table.numpy()]
            start = int(self.start.numpy())
        return {"capacity": self.capacity, "values": values, "start": start}


def _table_entries_at_end(store, count):
    """Whether saved entries ``count`` and ``count + 1`` look like a table
    (float vector) and its start (integer scalar)."""
    if len(store.keys()) != count + 2:
        return None
    table, start = store[str(count)], store[str(count + 1)]
    if len(np.shape(table)) != 1 or np.shape(start) != ():
        return None
    if np.dtype(getattr(start, "dtype", np.float32)).kind not in "iu":
        return None
    return int(np.shape(table)[0])


def _load_kerasclr_state(optimizer, store, original):
    """Load a saved optimizer whose state includes a kerasclr table.

    Returns False when the store is not such a state (load as usual).
    """
    owner = unwrap_optimizer(optimizer)
    current = getattr(owner, "_learning_rate", None)
    variables = list(optimizer.variables)
    if isinstance(current, StepTableSchedule) and current.table is None:
        # A loaded model: create the table's variables, then load everything.
        capacity = _table_entries_at_end(store, len(variables))
        if capacity != current.capacity:
            return False
        current._create_variables(owner)
        original(optimizer, store)
        return True
    if isinstance(current, keras.Variable):
        # A freshly compiled optimizer (float learning rate) restored from a
        # kerasclr-trained one, e.g. by BackupAndRestore in a new process: load
        # the step counter and slots, keep the float rate; the callback
        # installs its table again when training starts.
        targets = [v for v in variables if v is not current]
        if len(targets) != len(variables) - 1:
            return False
        if _table_entries_at_end(store, len(targets)) is None:
            return False
        for i, variable in enumerate(targets):
            variable.assign(store[str(i)])
        return True
    return False


def _install_load_hook():
    optimizer_class = keras.optimizers.Optimizer
    original = optimizer_class.load_own_variables
    if getattr(original, "_kerasclr_hook", False):
        return

    def load_own_variables(self, store):
        if len(store.keys()) == len(self.variables):
            return original(self, store)
        if not _load_kerasclr_state(self, store, original):
            original(self, store)

    load_own_variables._kerasclr_hook = True
    load_own_variables.__doc__ = original.__doc__
    optimizer_class.load_own_variables = load_own_variables


_install_load_hook()


def fill_step_table(holder, start, values, what, *, flatten=False):
    """Write ``values`` into ``holder.table`` from step ``start`` (host call).

    ``holder`` has ``table``, ``start`` (variables) and ``capacity``; the
    values are rounded to float32 and the last one pads the table (the
    in-graph lookup clips to it). ``what`` names the table in the error
    ("table fill"); ``flatten`` accepts values of any shape. Sets
    ``holder._last_values`` and returns the written values as float64.
    """
    values = np.asarray(values, dtype=np.float32)
    if flatten:
        values = values.reshape(-1)
    if values.ndim != 1 or not 1 <= values.size <= holder.capacity:
        raise ValueError(
            f"A {what} needs 1 to {holder.capacity} values, got {values.size}."
        )
    padded = np.empty(holder.capacity, dtype=np.float32)
    padded[: values.size] = values
    padded[values.size:] = values[-1]
    holder.table.assign(padded)
    holder.start.assign(int(start))
    holder._last_values = padded.astype(np.float64)
    return padded[: values.size].astype(np.float64)
