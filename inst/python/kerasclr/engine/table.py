"""The in-graph side of every policy: a table of the coming steps' values.

`StepTable` holds the learning rates (and, for momentum cycling, the
momenta) of the coming optimizer steps in one variable of ``capacity`` rows
of float32, used as a ring: step ``s`` reads row ``s % capacity``. A fill
writes the rows of up to ``capacity`` consecutive steps from a given one
(as many as the ``fit()`` can still run, plus the step after it); the
engine refills before a step beyond them can run (at an epoch begin, or a
batch begin when epochs are longer than the table or of unknown length).
One variable and two small ops per step (a remainder and a gather) are all
the train step carries. The host keeps a float64 copy of the rows, in step
order: exactly the values the train step applies, so histories are read off
the host copy and never off the device.

`attach` installs a table on a model's optimizer for the duration of one
``fit()`` and `detach` takes it off again, so that outside ``fit()`` the
optimizer is the plain Keras optimizer the user compiled (saved models load
without kerasclr; ``optimizer.learning_rate`` can be set; other callbacks
can manage the rate in later fits). While attached, the optimizer instance
(only that instance) runs as a subclass of its own class, with the same
name and config, which

- reads the learning rate from the table (``_get_current_learning_rate``),
- reads the momentum from the table's second column while an update runs,
- lists the table's variable in place of its float rate's (``variables``),
  so that every backend's compiled train step carries it as state (host
  writes between steps are seen without recompiling) and carries no more
  state than the plain optimizer's; so are the variables of a
  `kerasclr.engine.losses.LossRecorder` when one records the loss of every
  step (the range test). On JAX (compiled, without a ``keras.distribution``)
  the optimizer lists neither the float rate nor the table: the compiled
  step takes the table as a read-only argument of its own, which costs less
  than state passed in and out of every step, so that step carries the
  state of an optimizer with a Keras schedule (`_passes_table_as_argument`),
- saves and loads exactly the variables and config of the plain optimizer,
  with the rate of the coming step as its float learning rate, so that
  checkpoints written during ``fit()`` are plain Keras files too.

Nothing is patched at import and no class other than the trained
optimizer's instance is touched.

Compiled train functions are kept, not rebuilt: `attach` keeps the model's
own (plain) train function aside and `detach` puts it back, and the train
function compiled with the table is parked on the optimizer, one per
*variant* (with or without a loss recorder), and reused by the next
``fit()`` with a kerasclr callback while the model's compile settings are
unchanged. Alternating plain fits, policy fits and range tests therefore
traces each function once.
"""

from __future__ import annotations

import functools
import math
import numbers
import sys
import warnings
import weakref

import keras
import numpy as np

from kerasclr.engine import fit_context
from kerasclr.engine.losses import LossRecorder
from kerasclr.errors import KerasclrError

VALUES_NAME = "kerasclr_table"
ATTACHED = "_kerasclr_attachment"
PARKED = "_kerasclr_parked"

# Optimizers whose momentum update was checked on every backend, and the
# attribute that holds their momentum.
MOMENTUM_ATTRIBUTES = (("AdamW", "beta_1"), ("Adam", "beta_1"), ("SGD", "momentum"),
                       ("RMSprop", "momentum"))


def unwrap_optimizer(optimizer):
    """The optimizer that owns the learning rate (unwraps loss scaling)."""
    while hasattr(optimizer, "inner_optimizer"):
        optimizer = optimizer.inner_optimizer
    return optimizer


def read_step(optimizer):
    """The step counter of the optimizer that owns the rate, as an int."""
    return step_reader(optimizer)()


def step_reader(optimizer):
    """A function that reads the step counter of the optimizer that owns the
    rate, as an int, the cheapest way on the running backend."""
    counter = unwrap_optimizer(optimizer).iterations

    def read_numpy():
        return int(np.asarray(counter.numpy()))

    if not isinstance(counter, keras.Variable):
        return read_numpy
    if keras.backend.backend() == "jax":
        def read_jax():
            # the array itself: `.value` costs as much again (scope checks)
            value = counter._value
            return int(np.asarray(counter.value if value is None else value))

        return read_jax

    def read():
        try:
            return int(counter.value)
        except TypeError:  # e.g. a MirroredVariable
            return read_numpy()

    return read


def momentum_attribute(optimizer):
    """The attribute holding ``optimizer``'s momentum, or None if unsupported."""
    for class_name, attribute in MOMENTUM_ATTRIBUTES:
        if isinstance(optimizer, getattr(keras.optimizers, class_name)):
            return attribute
    return None


class StepTable:
    """Values of the coming optimizer steps, looked up by the step counter.

    Args:
        capacity: rows of the table (steps covered by one fill).
        columns: 1 (learning rate) or 2 (learning rate and momentum).
        owner: the optimizer whose step counter indexes the table; None makes
            a host-only table (no variables), for models without a Keras
            optimizer.

    Example:
        >>> table = StepTable(1024, 1, model.optimizer)
        >>> table.fill(0, [np.linspace(1e-3, 6e-3, 1024)])
    """

    def __init__(self, capacity, columns=1, owner=None):
        self.capacity = int(capacity)
        self.columns = int(columns)
        self.host = np.zeros((self.capacity, self.columns))
        self.host_start = 0
        self.filled = self.capacity   # steps the last fill computed, from host_start
        self.end = self.capacity      # the first step after them
        self.values = None
        self.traced = None            # the values' tracer while a JAX step traces (JAX)
        if owner is not None:
            shape = (self.capacity,) if self.columns == 1 else (self.capacity, self.columns)
            with keras.name_scope(owner.name, caller=owner):
                self.values = keras.Variable(np.zeros(shape, np.float32), trainable=False,
                                             dtype="float32", name=VALUES_NAME)

    @property
    def variables(self):
        return [] if self.values is None else [self.values]

    # -- host side -------------------------------------------------------------
    def fill(self, start, columns):
        """Write the values of steps ``start, start + 1, ...`` (host call).

        ``columns`` holds one array per column (1 to ``capacity`` values,
        the steps the table holds from now on, up to `end`); the last row pads the rest
        of the table.
        """
        rows = np.empty((self.capacity, self.columns), np.float32)
        count = None
        for j, column in enumerate(columns):
            column = np.asarray(column, np.float32).reshape(-1)
            count = column.size
            if not 1 <= count <= self.capacity:
                raise ValueError(f"A table fill needs 1 to {self.capacity} values, "
                                 f"got {count}.")
            rows[:count, j] = column
        rows[count:] = rows[count - 1]
        if self.values is not None:
            # step s reads row s % capacity
            ring = np.empty_like(rows)
            offset = int(start) % self.capacity
            cut = self.capacity - offset
            ring[offset:], ring[:offset] = rows[:cut], rows[cut:]
            _assign(self.values, ring[:, 0] if self.columns == 1 else ring)
        self.host = rows.astype(np.float64)
        self.host_start = int(start)
        self.filled = count
        self.end = self.host_start + count

    def host_copy(self):
        """A host-only table holding the same rows (shares no variable, and
        no later fill of this table changes it)."""
        copy = StepTable.__new__(StepTable)
        copy.__dict__.update(self.__dict__, values=None, traced=None)
        return copy

    def rows(self, first_step, count):
        """Host rows of steps ``first_step .. first_step + count - 1`` (as looked up)."""
        index = np.clip(np.arange(first_step, first_step + count) - self.host_start,
                        0, self.capacity - 1)
        return self.host[index]

    def row(self, step):
        """The host row of optimizer ``step`` (a list of floats)."""
        return self.host[min(max(int(step) - self.host_start, 0), self.capacity - 1)].tolist()

    # -- in the train step -----------------------------------------------------
    def lookup(self, step):
        """The row of optimizer ``step``: a scalar (one column) or a vector."""
        backend = keras.backend.backend()
        if backend == "tensorflow":
            import tensorflow as tf

            return tf.gather(self.values.value, tf.math.floormod(_value(step), self.capacity))
        if backend == "jax":
            from jax import lax

            values = self.values.value if self.traced is None else self.traced
            return lax.dynamic_index_in_dim(values, _value(step) % self.capacity,
                                            axis=0, keepdims=False)
        if backend == "torch":  # eager: the step is a host number
            return self.values.value[int(_value(step)) % self.capacity]
        index = keras.ops.mod(step, self.capacity)
        return keras.ops.take(self.values, index, axis=0)


def _assign(variable, value):
    """``variable.assign(value)`` from host data, converted first: a tensor
    assigns faster than a numpy array or a float. On JAX the conversion goes
    through a compiled identity, whose argument transfer is the cheapest way
    to the device (measured: about a third of ``jax.device_put``'s time);
    a variable laid out by a ``keras.distribution`` keeps Keras's own path."""
    value = np.asarray(value, variable.dtype)
    if keras.backend.backend() == "jax" and getattr(variable, "_layout", None) is None:
        variable.assign(_jax_identity()(value))
    else:
        variable.assign(keras.ops.convert_to_tensor(value))


_JAX_IDENTITY = []


def _jax_identity():
    if not _JAX_IDENTITY:
        import jax

        _JAX_IDENTITY.append(jax.jit(lambda value: value))
    return _JAX_IDENTITY[0]


def _host_value(variable):
    """A scalar variable's value on the host (NaN when it cannot be read
    here, e.g. a variable of a distribution strategy)."""
    try:
        value = variable.value
        return float(np.asarray(value) if keras.backend.backend() == "jax" else value)
    except Exception:  # noqa: BLE001 - then the value is written anyway
        return math.nan


def _value(variable):
    return variable.value if isinstance(variable, keras.Variable) else variable


def _counter_waits_for(iterations, grads):
    """Make the step counter's coming increment wait for the step's data
    (TensorFlow graphs): a read of the counter after one gradient, the last
    variable's, which backpropagation computes first. TensorFlow orders a
    variable's writes after its reads, so a step whose data source fails
    does not advance the counter; the lookup itself reads the counter
    without waiting, so the rate is ready before the first gradient."""
    if keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf

    ready = [g for g in grads if tf.is_tensor(g)][-1:]
    with tf.control_dependencies(ready):
        tf.identity(iterations.value)  # the read orders the increment


class Attachment:
    """A table installed on an optimizer by one callback (see module doc)."""

    def __init__(self, owner, table, momentum_attribute):
        self.owner = owner
        self.table = table
        self.momentum_attribute = momentum_attribute
        self.callback = None
        self.in_step = None          # the momentum while an update runs
        self.recorder = None         # a LossRecorder, kept with the table
        self.recording = False       # the recorder is part of this fit()
        self.train_functions = {}    # variant -> (train function, key), while detached
        self.plain_function = None   # (the model's own train function, key)
        self.fit_frame = None        # id() of the frame of the fit() attached for
        self.fits = 0                # fit() calls this attachment was installed for
        self.table_as_argument = False  # JAX: the table is an argument of the step
        self.model = None            # a weak reference to the model attached for
        self._listed = None          # (len(owner._variables), what the owner lists)

    @property
    def variant(self):
        """What a compiled train function of this attachment depends on."""
        return (("losses",) if self.recording else ()) + (
            ("argument",) if self.table_as_argument else ())

    @property
    def variables(self):
        """The variables the attached optimizer lists in place of its rate's."""
        listed = [] if self.table_as_argument else self.table.variables
        return listed + self.recorder.variables if self.recording else listed

    def list_optimizer_variables(self, owner):
        """What the attached ``owner`` lists as its variables: its own but its
        float rate, then `variables`, kept in ``_listed`` with the count of
        the owner's own variables, which the attached class's ``variables``
        checks before it returns a copy (like Keras's own list): the list is
        made anew when that count changes (building the optimizer adds
        variables) and at `attach`."""
        own = [v for v in owner._variables if v is not owner._learning_rate]
        self._listed = (len(owner._variables), own + self.variables)
        return self._listed[1][:]

    def fill(self, start, columns):
        """`StepTable.fill`, then (JAX, table as an argument) the model's
        train function bound to the values just written."""
        self.table.fill(start, columns)
        if self.table_as_argument:
            model = self.model()
            compiled = getattr(getattr(model, "train_function", None), "kerasclr_step", None)
            if compiled is not None:
                model.train_function = _train_function_with_table(model, self.table, compiled)

    def learning_rate(self, step):
        row = self.table.lookup(step)
        return row if self.table.columns == 1 else row[0]

    def current_rate(self):
        """The rate of the coming step (host copy, as the table holds it)."""
        return float(self.table.row(read_step(self.owner))[0])


def attach(model, callback, capacity, cycle_momentum, record_losses=False,
           new_capacity=None, fit_frame=None):
    """Install a table of at least ``capacity`` rows on ``model``'s optimizer
    (``new_capacity`` rows when a new one is made) for the ``fit()`` whose
    frame has id ``fit_frame`` (see `_bind_to_fit`).

    With ``record_losses``, a `LossRecorder` also records the loss of every
    training step inside the train step (``attachment.recorder``).

    Reuses the table, the recorder and the compiled train function the
    optimizer had in an earlier ``fit()`` when they still fit; otherwise the
    train function is rebuilt. Returns the `Attachment`.
    """
    owner = unwrap_optimizer(model.optimizer)
    new_capacity = max(capacity, new_capacity or 0)
    if not isinstance(owner, keras.optimizers.Optimizer):
        attachment = Attachment(owner, StepTable(new_capacity, 2 if cycle_momentum else 1),
                                None)
        attachment.callback = callback
        return attachment
    _check_plain_learning_rate(owner, callback)
    attribute = _checked_momentum_attribute(owner) if cycle_momentum else None
    columns = 2 if cycle_momentum else 1
    attachment = owner.__dict__.get(ATTACHED)
    if attachment is not None:  # left over by an interrupted fit()
        detach(model)
    parked = owner.__dict__.pop(PARKED, None)
    reuse = (parked is not None and parked.table.capacity >= capacity
             and parked.table.columns == columns
             and parked.momentum_attribute == attribute)
    attachment = parked if reuse else Attachment(
        owner, StepTable(new_capacity, columns, owner), attribute)
    attachment.callback = callback
    key = _train_function_key(model)
    plain = getattr(model, "train_function", None)
    attachment.plain_function = None if plain is None else (plain, key)
    if record_losses and (attachment.recorder is None
                          or attachment.recorder.capacity < capacity):
        attachment.recorder = LossRecorder(model, owner, capacity)
        attachment.train_functions.pop(("losses",), None)
    attachment.recording = bool(record_losses)
    attachment.table_as_argument = _passes_table_as_argument(model)
    attachment.model = weakref.ref(model)
    attachment._listed = None  # listed anew, with or without the recorder
    owner.__dict__[ATTACHED] = attachment
    owner.__class__ = _attached_class(type(owner))
    for wrapper in _wrappers(model.optimizer):
        wrapper.__class__ = _plain_saving_class(type(wrapper))
    if attachment.recording:
        attachment.recorder.install(model)
    parked_function = attachment.train_functions.pop(attachment.variant, None)
    if parked_function is not None and parked_function[1] == key:
        model.train_function = parked_function[0]
    elif attachment.table_as_argument:
        model.train_function = _train_function_with_table(model, attachment.table)
    elif hasattr(model, "make_train_function"):
        model.make_train_function(force=True)
    attachment.fit_frame = fit_frame
    attachment.fits += 1
    _bind_to_fit(model, attachment)
    return attachment


def _passes_table_as_argument(model):
    """Whether the table goes into ``model``'s compiled JAX train step as an
    argument of its own rather than as optimizer state.

    The JAX trainer passes every optimizer variable into each compiled step
    and back out of it (donated): a read-only argument costs less, measured
    about 3 % of a 45 us step for the state array and nothing measurable for
    the argument, so the step carries the state of a Keras schedule's
    optimizer (no float rate, no table). Under a ``keras.distribution``, with
    NNX or without XLA compilation the table stays optimizer state (Keras
    then lays it out, or runs the step eagerly, as for its own variables).
    """
    if keras.backend.backend() != "jax" or not hasattr(model, "_make_function"):
        return False
    if not getattr(model, "jit_compile", False) or getattr(model, "run_eagerly", False):
        return False
    nnx_enabled = getattr(keras.config, "is_nnx_enabled", lambda: False)
    return keras.distribution.distribution() is None and not nnx_enabled()


def _train_function_with_table(model, table, compiled=None):
    """``model``'s JAX train function, whose compiled step takes the table's
    values as a read-only argument before Keras's state (see
    `_passes_table_as_argument`). The argument is bound to the values the
    table holds now (``functools.partial``: no Python frame of its own per
    step); a fill writes new values, and `Attachment.fill` then binds them
    anew (``compiled``: the step compiled before, reused: no retrace).
    Otherwise it is what Keras's own ``make_train_function`` makes (the same
    donation, and the same loop over ``steps_per_execution`` batches)."""
    if compiled is None:
        import jax

        def step(values, state, data):
            table.traced = values
            try:
                return model.train_step(state, data)
            finally:
                table.traced = None

        compiled = jax.jit(step, donate_argnums=1)
    function = model._make_function(functools.partial(compiled, table.values.value))
    function.kerasclr_step = compiled
    return function


# An error that ends fit() skips on_train_end, and while its traceback lives
# (a notebook's last error, reticulate's py_last_error()) so does that fit()'s
# frame: nothing is collected, so the optimizer would stay attached, and a
# later fit() without kerasclr would apply the old table. The JAX trainer
# calls `finalize_variable_values` in a `finally` clause of fit(), which
# detaches when an error leaves that fit(); elsewhere the train function the
# table was compiled into checks that it is called by that fit().
BOUND_FUNCTION = "_kerasclr_unbound"


def _bind_to_fit(model, attachment):
    """Make ``model``'s train function detach the table, then run the plain
    one, when called by any other caller than the fit() it was attached for
    (TensorFlow and PyTorch; one frame lookup per call)."""
    function = getattr(model, "train_function", None)
    frame_id = attachment.fit_frame
    if function is None or frame_id is None or keras.backend.backend() == "jax":
        return
    fit = attachment.fits  # a later fit() that reinstalled the attachment keeps it

    def train_function(*args, **kwargs):
        if (id(sys._getframe(1)) != frame_id
                and not fit_context.frame_is_running(frame_id)):
            release_if_still(attachment, fit=fit)
            model.make_train_function()
            return model.train_function(*args, **kwargs)
        return function(*args, **kwargs)

    setattr(train_function, BOUND_FUNCTION, function)
    model.train_function = train_function


def _unbound(function):
    """The train function `_bind_to_fit` wrapped (or ``function`` itself)."""
    return getattr(function, BOUND_FUNCTION, function)


def detach(model, rate=None):
    """Take the table off ``model``'s optimizer: a plain optimizer again.

    The optimizer's float learning rate becomes ``rate``, the rate of the
    coming step (read off the table when None); the compiled train function
    is kept aside for the next ``fit()`` with a kerasclr callback, and the
    model's own train function is put back.
    """
    owner = unwrap_optimizer(model.optimizer)
    attachment = owner.__dict__.pop(ATTACHED, None) if hasattr(owner, "__dict__") else None
    if attachment is None or attachment.table.values is None:
        return
    rate = attachment.current_rate() if rate is None else rate
    _plain_again(owner, ATTACHED_CLASS)
    for wrapper in _wrappers(model.optimizer):
        _plain_again(wrapper, PLAIN_SAVING_CLASS)
    variable = owner._learning_rate
    # a read is cheaper than a write: write only a changed rate
    if isinstance(variable, keras.Variable) and _host_value(variable) != float(np.float32(rate)):
        _assign(variable, rate)
    key = _train_function_key(model)
    function = _unbound(getattr(model, "train_function", None))
    if function is not None:
        attachment.train_functions[attachment.variant] = (function, key)
    plain, attachment.plain_function = attachment.plain_function, None
    model.train_function = plain[0] if plain is not None and plain[1] == key else None
    if attachment.recording:
        attachment.recorder.uninstall(model)
    attachment.callback = None
    attachment.in_step = None
    attachment.recording = False
    owner.__dict__[PARKED] = attachment


def release_if_still(attachment, collected=False, fit=None):
    """If ``attachment`` is still installed, its callback ends its fit() as
    it does when one of its own hooks fails: the rows of an epoch left open
    are taken from the step counter (still that fit()'s), then `detach`.

    ``collected``: asked by the garbage collector, which can run in the
    middle of the callback's own work (then the release waits for its end).
    ``fit``: the count of `Attachment.fits` the caller belongs to; a later
    fit() that reinstalled the attachment keeps it."""
    if attachment_of(attachment.owner) is attachment and fit in (None, attachment.fits):
        callback = attachment.callback
        if collected:
            callback._release_when_collected()
        else:
            callback._release()


def attachment_of(optimizer):
    """The `Attachment` on ``optimizer`` (None when it is plain)."""
    owner = unwrap_optimizer(optimizer)
    return getattr(owner, "__dict__", {}).get(ATTACHED)


def _train_function_key(model):
    """What a compiled train function depends on besides the optimizer."""
    return tuple(id(getattr(model, name, None)) for name in
                 ("_compile_loss", "_compile_metrics", "optimizer", "loss")) + tuple(
        getattr(model, name, None) for name in
        ("steps_per_execution", "jit_compile", "run_eagerly"))


def _check_plain_learning_rate(owner, callback):
    if getattr(owner, "gradient_accumulation_steps", None):
        raise KerasclrError(
            "kerasclr does not support `gradient_accumulation_steps` (got "
            f"{owner.gradient_accumulation_steps!r}): the optimizer evaluates "
            "learning-rate schedules on its raw step counter.")
    current = owner._learning_rate
    if isinstance(current, keras.Variable):
        return
    if isinstance(current, keras.optimizers.schedules.LearningRateSchedule):
        what = f"already has a learning-rate schedule ({type(current).__name__})"
    else:
        what = "has a callable `learning_rate`"
    raise KerasclrError(
        f"The optimizer {what}; a kerasclr callback sets the learning rate itself. "
        "Compile the model with a float `learning_rate` (e.g. "
        "`optimizer=keras.optimizers.SGD(0.01)`).",
        f"The optimizer {what}; {callback.r_function}() sets the learning rate "
        "itself. Compile the model with a number as `learning_rate` (e.g. "
        "`optimizer = optimizer_sgd(0.01)`).")


def _checked_momentum_attribute(owner):
    attribute = momentum_attribute(owner)
    if attribute is None:
        names = ", ".join(name for name, _ in MOMENTUM_ATTRIBUTES)
        raise KerasclrError(
            f"Cannot cycle the momentum of a {type(owner).__name__} optimizer: "
            f"kerasclr cycles the momentum of {names} only. Use one of them, or "
            "`cycle_momentum=False`.",
            f"Cannot cycle the momentum of a {type(owner).__name__} optimizer: "
            f"kerasclr cycles the momentum of {names} only. Use one of them, or "
            "`cycle_momentum = FALSE`.")
    nominal = owner.__dict__.get(attribute, getattr(owner, attribute))
    if callable(nominal) or not isinstance(nominal, numbers.Real):
        raise KerasclrError(
            f"The optimizer's `{attribute}` is {nominal!r}; kerasclr can only cycle a "
            f"`{attribute}` given as a number.")
    if attribute == "momentum" and not nominal > 0:
        name = type(owner).__name__
        r_name = {"SGD": "optimizer_sgd", "RMSprop": "optimizer_rmsprop"}[name]
        raise KerasclrError(
            f"The {name} optimizer was created with `momentum={nominal!r}`, so it keeps "
            "no momentum slots and cannot cycle momentum. Create it with a momentum > "
            f"0, e.g. `keras.optimizers.{name}(0.01, momentum=0.9)`, or use "
            "`cycle_momentum=False`.",
            f"The {name} optimizer was created with `momentum = {nominal!r}`, so it "
            "keeps no momentum slots and cannot cycle momentum. Create it with a "
            f"momentum > 0, e.g. `{r_name}(0.01, momentum = 0.9)`, or use "
            "`cycle_momentum = FALSE`.")
    return attribute


# -- the classes an optimizer runs as while attached -------------------------------
# Each is a subclass of the optimizer's own class with its name, module and
# doc, made once per class and marked (ATTACHED_CLASS, PLAIN_SAVING_CLASS).

ATTACHED_CLASS = "_kerasclr_attached_class"
PLAIN_SAVING_CLASS = "_kerasclr_plain_saving_class"
_SUBCLASSES = weakref.WeakKeyDictionary()  # base class -> {marker: subclass}


def _made_subclass(base, marker):
    """The ``marker`` subclass of ``base`` made earlier (``base`` itself when it
    is one), or None."""
    if base.__dict__.get(marker):
        return base
    return _SUBCLASSES.get(base, {}).get(marker)


def _make_subclass(base, marker, namespace):
    subclass = type(base.__name__, (base,), {
        **namespace, marker: True, "__module__": base.__module__,
        "__qualname__": base.__qualname__, "__doc__": base.__doc__})
    _SUBCLASSES.setdefault(base, {})[marker] = subclass
    return subclass


def _plain_again(optimizer, marker):
    """Give ``optimizer`` back its own class if it runs as a ``marker`` subclass."""
    if type(optimizer).__dict__.get(marker):
        optimizer.__class__ = type(optimizer).__mro__[1]


def _attached_class(base):
    """A subclass of ``base`` (same name and module) that reads the table."""
    made = _made_subclass(base, ATTACHED_CLASS)
    if made is not None:
        return made
    attribute = None
    for class_name, name in MOMENTUM_ATTRIBUTES:
        if issubclass(base, getattr(keras.optimizers, class_name)):
            attribute = name
            break

    def _get_current_learning_rate(self):
        return self.__dict__[ATTACHED].learning_rate(self._iterations)

    def set_learning_rate(self, value):
        callback = self.__dict__[ATTACHED].callback
        if not fit_context.fit_is_running(callback.model):
            # Left attached by a fit() that ended in an error: plain again.
            detach(callback.model)
            self.learning_rate = value
            return
        raise KerasclrError(
            f"{callback.policy_name} sets the learning rate during this fit(); "
            "another callback or line of code tried to set "
            "`optimizer.learning_rate`. Use the policy's own arguments (e.g. "
            "`patience` and `factor` for plateau control) instead.",
            f"{callback.r_function}() sets the learning rate during this fit(); "
            "another callback or line of code tried to set the optimizer's "
            "`learning_rate`. Use the policy's own arguments (e.g. `patience` and "
            "`factor` for plateau control) instead.")

    def variables(self):
        # The table takes the place of the float rate's variable, which no
        # step reads while attached: a train step carries as many state
        # arrays as the plain optimizer's (JAX passes and returns each one
        # every step; there the table is an argument of the step instead,
        # see _passes_table_as_argument). Saving and loading use the plain
        # list (_variables).
        # The list is kept between calls (the JAX trainer asks three times
        # per epoch), while the optimizer's own variables stay as many.
        attachment = self.__dict__[ATTACHED]
        listed = attachment._listed
        if listed is not None and listed[0] == len(self._variables):
            return listed[1][:]
        return attachment.list_optimizer_variables(self)

    def save_own_variables(self, store):
        attachment = self.__dict__[ATTACHED]
        for i, variable in enumerate(self._variables):
            if variable is self._learning_rate:
                store[str(i)] = np.asarray(attachment.current_rate(),
                                           dtype=variable.dtype)
            else:
                store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        if len(store.keys()) != len(self._variables):
            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}', because it "
                f"has {len(self._variables)} variables whereas the saved optimizer "
                f"has {len(store.keys())} variables.", stacklevel=2)
            return
        for i, variable in enumerate(self._variables):
            variable.assign(store[str(i)])

    def finalize_variable_values(self, var_list):
        super(subclass, self).finalize_variable_values(var_list)
        attachment = self.__dict__[ATTACHED]
        if fit_context.leaving_by_error(attachment.fit_frame):  # JAX (see _bind_to_fit)
            release_if_still(attachment)

    def get_config(self):
        config = super(subclass, self).get_config()
        config["learning_rate"] = self.__dict__[ATTACHED].current_rate()
        return config

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        # The rate (and momentum) of this update, looked up from the step
        # counter; on TensorFlow the counter's increment waits for a gradient
        # (_counter_waits_for), so a step that fails before its update (a
        # data source that fails or runs out) does not advance the counter
        # without training, while the lookup waits for nothing.
        attachment = self.__dict__[ATTACHED]
        row = attachment.table.lookup(self._iterations)
        _counter_waits_for(self._iterations, grads)
        if attachment.momentum_attribute is None:
            return super(subclass, self)._backend_update_step(
                grads, trainable_variables, row)
        nominal = self.__dict__[attachment.momentum_attribute]
        if keras.backend.backend() == "torch":  # eager: fused updates take floats
            attachment.in_step = float(row[1])
        else:
            attachment.in_step = _InStepScalar(row[1], nominal)
        try:
            return super(subclass, self)._backend_update_step(
                grads, trainable_variables, row[0])
        finally:
            attachment.in_step = None

    namespace = {
        "_get_current_learning_rate": _get_current_learning_rate,
        "learning_rate": property(base.learning_rate.fget, set_learning_rate),
        "variables": property(variables),
        "save_own_variables": save_own_variables,
        "load_own_variables": load_own_variables,
        "get_config": get_config,
        "finalize_variable_values": finalize_variable_values,
        "_backend_update_step": _backend_update_step,
    }
    if attribute is not None:
        def get_momentum(self):
            attachment = self.__dict__.get(ATTACHED)
            if attachment is not None and attachment.in_step is not None:
                return attachment.in_step
            return self.__dict__[attribute]

        def set_momentum(self, value):
            self.__dict__[attribute] = value

        namespace[attribute] = property(get_momentum, set_momentum)
    subclass = _make_subclass(base, ATTACHED_CLASS, namespace)
    return subclass


def _wrappers(optimizer):
    """The optimizers wrapping the one that owns the rate (loss scaling)."""
    found = []
    while hasattr(optimizer, "inner_optimizer"):
        found.append(optimizer)
        optimizer = optimizer.inner_optimizer
    return found


def _plain_saving_class(base):
    """A subclass of a wrapping optimizer (``LossScaleOptimizer``), same name
    and module, whose saves hold its own variables and then the wrapped
    optimizer's plain ones (as the attached optimizer saves them), so that
    checkpoints written during ``fit()`` load without kerasclr."""
    made = _made_subclass(base, PLAIN_SAVING_CLASS)
    if made is not None:
        return made

    def save_own_variables(self, store):
        own = len(self._variables)
        for i, variable in enumerate(self._variables):
            store[str(i)] = variable.numpy()
        inner = {}
        self.inner_optimizer.save_own_variables(inner)
        for key, value in inner.items():
            store[str(own + int(key))] = value

    def load_own_variables(self, store):
        own = len(self._variables)
        for i, variable in enumerate(self._variables):
            variable.assign(store[str(i)])
        self.inner_optimizer.load_own_variables(
            {str(int(key) - own): store[key] for key in store.keys() if int(key) >= own})

    return _make_subclass(base, PLAIN_SAVING_CLASS, {
        "save_own_variables": save_own_variables,
        "load_own_variables": load_own_variables,
    })


class _InStepScalar:
    """The momentum while a traced update runs (TensorFlow, JAX).

    Arithmetic and tensor conversion give the in-graph table entry; the
    comparisons with Python numbers that optimizers make to decide whether
    momentum slots exist (``momentum != 0``) see the host value, which has
    the same sign as every table entry (all are validated to be > 0).
    """

    __hash__ = None

    def __init__(self, tensor, nominal):
        self.tensor = tensor
        self.nominal = float(nominal)
        self.dtype = tensor.dtype

    def __ne__(self, other):
        return self.nominal != other

    def __eq__(self, other):
        return self.nominal == other

    def __gt__(self, other):
        return self.nominal > other

    def __ge__(self, other):
        return self.nominal >= other

    def __lt__(self, other):
        return self.nominal < other

    def __le__(self, other):
        return self.nominal <= other

    def __add__(self, other):
        return keras.ops.add(self.tensor, other)

    def __radd__(self, other):
        return keras.ops.add(other, self.tensor)

    def __sub__(self, other):
        return keras.ops.subtract(self.tensor, other)

    def __rsub__(self, other):
        return keras.ops.subtract(other, self.tensor)

    def __mul__(self, other):
        return keras.ops.multiply(self.tensor, other)

    def __rmul__(self, other):
        return keras.ops.multiply(other, self.tensor)

    def __truediv__(self, other):
        return keras.ops.divide(self.tensor, other)

    def __rtruediv__(self, other):
        return keras.ops.divide(other, self.tensor)

    def __pow__(self, other):
        return keras.ops.power(self.tensor, other)

    def __neg__(self):
        return keras.ops.negative(self.tensor)

    def __tf_tensor__(self, dtype=None, name=None):
        import tensorflow as tf

        tensor = tf.convert_to_tensor(self.tensor)
        return tensor if dtype is None else tf.cast(tensor, dtype)

    def __jax_array__(self):
        return self.tensor

    def __float__(self):
        return float(self.tensor)
