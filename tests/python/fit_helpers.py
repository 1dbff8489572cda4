"""Helpers that run kerasclr callbacks through real `fit()` calls.

`AppliedRates` turns `conftest.applied_rates_model` into a per-epoch probe:
it zeroes the kernel at every epoch begin, so at epoch end ``-kernel[i]`` is
exactly the (float32) learning rate the optimizer applied to batch ``i``.
"""

import keras
import numpy as np

from conftest import (
    InjectValLoss,
    applied_rates,
    applied_rates_model,
    op_losses,
    regression_data,
)

BACKEND = keras.backend.backend()


class AppliedRates(keras.callbacks.Callback):
    """Records the learning rate applied to every batch (batch_size=1)."""

    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        kernel = self.model.layers[0].kernel
        kernel.assign(np.zeros(kernel.shape, dtype="float32"))

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(applied_rates(self.model))

    @property
    def rates(self):
        return np.concatenate(self.epochs) if self.epochs else np.empty(0)


def fit_epochs(model, x, y, clr, epochs, val_loss=None, probe=None, extra=(),
               initial_epoch=0, callbacks_after=(), **kwargs):
    """One `fit()` of ``epochs`` epochs; ``val_loss`` values are injected."""
    callbacks = list(extra)
    if val_loss is not None:
        callbacks.append(InjectValLoss(op_losses(val_loss)))
    callbacks.append(clr)
    if probe is not None:
        callbacks.append(probe)
    callbacks.extend(callbacks_after)
    return model.fit(x, y, batch_size=1, epochs=initial_epoch + epochs,
                     initial_epoch=initial_epoch, shuffle=False, verbose=0,
                     callbacks=callbacks, **kwargs)


def run_case_in_fit(case, clr, steps_per_execution=1, jit_compile="auto"):
    """Play a golden case's ops through real fit() calls on one model.

    Returns the per-batch rates the optimizer applied.
    """
    steps = {op["steps_per_epoch"] for op in case["ops"] if op["op"] == "train"}
    assert len(steps) == 1
    model, x, y = applied_rates_model(steps.pop(), steps_per_execution, jit_compile)
    probe = AppliedRates()
    for op in case["ops"]:
        if op["op"] == "train":
            fit_epochs(model, x, y, clr, op["epochs"], op["val_loss"], probe)
        else:
            clr.reset(**{k: v for k, v in op.items() if k != "op"})
    return probe.rates


def without_loss(frame):
    """An epoch table without the training `loss` column of real fits."""
    return frame.drop(columns=["loss"])


def rates_model(steps, batch_rows=1, **compile_kwargs):
    """`conftest.applied_rates_model` with any compile options.

    Each of the ``steps`` batches holds ``batch_rows`` copies of one one-hot
    row and the loss is the mean prediction, so batch ``i`` moves only weight
    ``i``, by exactly ``-lr_i``. Train with ``batch_size=batch_rows``,
    ``shuffle=False``.
    """
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((steps,)),
        keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros"),
    ])
    compile_kwargs.setdefault("optimizer", keras.optimizers.SGD(0.5))
    model.compile(loss=lambda y_true, y_pred: y_pred[:, 0], **compile_kwargs)
    x = np.repeat(np.eye(steps, dtype="float32"), batch_rows, axis=0)
    y = np.zeros((steps * batch_rows, 1), dtype="float32")
    return model, x, y


def range_test_setup():
    """``(model, x, y)`` for range tests: a linear model that falls, then
    diverges, under SGD with momentum, trained two steps so that every
    variable (momentum slots included) holds a value a test must restore."""
    x, y = regression_data(256)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9), loss="mse")
    model.fit(x[:32], y[:32], batch_size=16, epochs=1, shuffle=False, verbose=0)
    return model, x, y


RANGE_TEST_ARGS = dict(min_lr=1e-4, max_lr=10.0, steps=120, batch_size=16, beta=0.9,
                       shuffle=False)


def variable_values(model):
    """Every variable of the model and its optimizer, as numpy arrays."""
    return [np.array(v.numpy()) for v in model.variables + model.optimizer.variables]


class ResetAt(keras.callbacks.Callback):
    """Calls ``clr.reset(**kwargs)`` before batch ``batch`` of epoch ``epoch``
    (0-based, as Keras counts them)."""

    def __init__(self, clr, epoch, batch, **kwargs):
        super().__init__()
        self.clr, self.at, self.kwargs = clr, (epoch, batch), kwargs
        self.epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            self.clr.reset(**self.kwargs)
