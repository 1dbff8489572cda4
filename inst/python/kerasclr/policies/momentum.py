"""Momentum that changes inside the compiled train step.

Keras optimizers keep their momentum hyperparameter as a plain Python float
(`SGD.momentum`, `RMSprop.momentum`, `Adam.beta_1`, `AdamW.beta_1`). A
compiled train step (TensorFlow graph, XLA, JAX) reads that float once, when
it is traced: assigning a new float later changes nothing. `MomentumTable`
makes the value a function of the optimizer step instead, exactly like the
learning-rate table of `kerasclr.lr_table`:

- two optimizer variables hold the momenta of the coming steps and the step
  that entry 0 applies to; the host fills them once per epoch;
- the optimizer's class is swapped for a subclass (same name, same config)
  whose momentum attribute, while an update runs, is the table entry of the
  current step, looked up in the graph from `optimizer.iterations`.

On TensorFlow and JAX the lookup is a graph operation. PyTorch runs the
train step eagerly (its fused ``torch._foreach`` updates need Python
numbers), so there the entry of the current step is read as a Python number
when the update starts; it is the same table and the same step.

Optimizers whose momentum cannot be driven this way raise a clear error.
"""

from __future__ import annotations

import numbers
import warnings

import keras
import numpy as np
from keras import ops

from kerasclr.lr_table import fill_step_table, unwrap_optimizer

TABLE_NAME = "kerasclr_momentum_table"
START_NAME = "kerasclr_momentum_table_start"

# The optimizers whose momentum update was checked on every backend, and the
# attribute that holds their momentum.
SUPPORTED = (("AdamW", "beta_1"), ("Adam", "beta_1"), ("SGD", "momentum"),
             ("RMSprop", "momentum"))


def momentum_attribute(optimizer):
    """The name of the attribute holding ``optimizer``'s momentum.

    Raises ``ValueError`` for optimizers kerasclr cannot cycle.
    """
    owner = unwrap_optimizer(optimizer)
    for class_name, attribute in SUPPORTED:
        cls = getattr(keras.optimizers, class_name)
        if isinstance(owner, cls):
            return attribute
    names = ", ".join(name for name, _ in SUPPORTED)
    raise ValueError(
        f"Cannot cycle the momentum of a {type(owner).__name__} optimizer: "
        f"kerasclr cycles the momentum of {names} only. Use one of them, or "
        "`cycle_momentum=False`."
    )


class _InStepScalar:
    """The momentum while a traced update runs (TensorFlow, JAX).

    Arithmetic and tensor conversion give the in-graph table entry; the
    comparisons with Python numbers that optimizers make to decide whether
    momentum slots exist (``momentum != 0``) see the host value, which has
    the same sign as every table entry (all are validated to be > 0).
    """

    def __init__(self, tensor, nominal):
        self.tensor = tensor
        self.nominal = float(nominal)
        self.dtype = tensor.dtype

    # comparisons with Python numbers: structural checks only
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

    __hash__ = None

    # arithmetic: the in-graph value
    def __add__(self, other):
        return ops.add(self.tensor, other)

    def __radd__(self, other):
        return ops.add(other, self.tensor)

    def __sub__(self, other):
        return ops.subtract(self.tensor, other)

    def __rsub__(self, other):
        return ops.subtract(other, self.tensor)

    def __mul__(self, other):
        return ops.multiply(self.tensor, other)

    def __rmul__(self, other):
        return ops.multiply(other, self.tensor)

    def __truediv__(self, other):
        return ops.divide(self.tensor, other)

    def __rtruediv__(self, other):
        return ops.divide(other, self.tensor)

    def __pow__(self, other):
        return ops.power(self.tensor, other)

    def __neg__(self):
        return ops.negative(self.tensor)

    # conversion protocols
    def __tf_tensor__(self, dtype=None, name=None):
        import tensorflow as tf

        tensor = tf.convert_to_tensor(self.tensor)
        return tensor if dtype is None else tf.cast(tensor, dtype)

    def __jax_array__(self):
        return self.tensor

    def __float__(self):
        return float(self.tensor)


def _cycled_class(cls, attribute):
    """A subclass of ``cls`` whose ``attribute`` follows the momentum table."""
    cached = cls.__dict__.get("_kerasclr_cycled_classes", {}).get(attribute)
    if cached is not None:
        return cached

    def getter(self):
        in_step = self.__dict__.get("_kerasclr_in_step")
        if in_step is not None:
            return in_step
        return self.__dict__["_kerasclr_nominal"]

    def setter(self, value):
        self.__dict__["_kerasclr_nominal"] = value

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        table = self._kerasclr_momentum_table
        self.__dict__["_kerasclr_in_step"] = table.value_in_step(
            self.iterations, self.__dict__["_kerasclr_nominal"])
        try:
            return super(subclass, self)._backend_update_step(
                grads, trainable_variables, learning_rate)
        finally:
            self.__dict__["_kerasclr_in_step"] = None

    def _saved_variables(self):
        # The momentum table is refilled at every epoch: it is not saved, so
        # saved models look like those of the plain optimizer.
        table = self._kerasclr_momentum_table
        skip = {id(table.table), id(table.start)}
        return [v for v in self.variables if id(v) not in skip]

    def save_own_variables(self, store):
        for i, variable in enumerate(_saved_variables(self)):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        variables = _saved_variables(self)
        if len(store.keys()) != len(variables):
            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}', because "
                f"it has {len(variables)} variables (without the kerasclr "
                f"momentum table) whereas the saved optimizer has "
                f"{len(store.keys())} variables.", stacklevel=2)
            return
        for i, variable in enumerate(variables):
            variable.assign(store[str(i)])

    subclass = type(cls.__name__, (cls,), {
        attribute: property(getter, setter),
        "_backend_update_step": _backend_update_step,
        "save_own_variables": save_own_variables,
        "load_own_variables": load_own_variables,
        "_kerasclr_momentum_attribute": attribute,
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "__doc__": cls.__doc__,
    })
    registry = dict(cls.__dict__.get("_kerasclr_cycled_classes", {}))
    registry[attribute] = subclass
    cls._kerasclr_cycled_classes = registry
    return subclass


class MomentumTable:
    """Momentum of the coming optimizer steps, in optimizer variables.

    Use `attach()`; it installs the table on an optimizer (or returns the one
    already there).

    Example:
        >>> table, installed = MomentumTable.attach(model.optimizer, 256)
        >>> table.fill(0, np.full(256, 0.9))
    """

    def __init__(self, capacity, attribute):
        self.capacity = int(capacity)
        self.attribute = attribute
        self.table = None
        self.start = None
        self._last_values = np.empty(0)

    @classmethod
    def attach(cls, optimizer, capacity):
        """Install a momentum table on ``optimizer``; ``(table, installed)``."""
        owner = unwrap_optimizer(optimizer)
        existing = owner.__dict__.get("_kerasclr_momentum_table")
        if existing is not None:
            return existing, False
        attribute = momentum_attribute(owner)
        nominal = owner.__dict__.get(attribute, getattr(owner, attribute))
        if callable(nominal) or not isinstance(nominal, numbers.Real):
            raise ValueError(
                f"The optimizer's `{attribute}` is {nominal!r}; kerasclr can only "
                f"cycle a `{attribute}` given as a number."
            )
        if attribute == "momentum" and not nominal > 0:
            raise ValueError(
                f"The {type(owner).__name__} optimizer was created with "
                f"`momentum={nominal!r}`, so it keeps no momentum slots and "
                "cannot cycle momentum. Create it with a momentum > 0, e.g. "
                f"`keras.optimizers.{type(owner).__name__}(0.01, momentum=0.9)`, or "
                "use `cycle_momentum=False`."
            )
        table = cls(capacity, attribute)
        table.table = owner.add_variable(
            shape=(table.capacity,), initializer="zeros", dtype="float32",
            name=TABLE_NAME)
        table.start = owner.add_variable(
            shape=(), initializer="zeros", dtype=owner.iterations.dtype,
            name=START_NAME)
        table.fill(0, [float(nominal)])
        owner.__dict__.pop(attribute, None)
        owner.__dict__["_kerasclr_nominal"] = nominal
        owner.__dict__["_kerasclr_in_step"] = None
        owner.__class__ = _cycled_class(type(owner), attribute)
        owner._kerasclr_momentum_table = table
        return table, True

    def fill(self, start, values):
        """Write the momenta of steps ``start, start + 1, ...`` (host call).

        Returns the float32-rounded values as float64.
        """
        return fill_step_table(self, start, values, "momentum table fill",
                               flatten=True)

    def lookup(self, step):
        """The table entry of optimizer ``step`` (a tensor; in-graph)."""
        offset = ops.subtract(ops.cast(step, self.start.dtype), self.start)
        index = ops.cast(ops.clip(offset, 0, self.capacity - 1), "int32")
        return ops.take(self.table, index)

    def value_in_step(self, step, nominal):
        """What the momentum attribute reads while an update runs."""
        value = self.lookup(step)
        if keras.backend.backend() == "torch":
            # Eager step: the fused torch updates need a Python number.
            return float(value)
        return _InStepScalar(value, nominal)

