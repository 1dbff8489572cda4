"""Shared helpers for the kerasclr test suite."""

import json
import math
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

GOLDEN_PATH = Path(__file__).resolve().parents[1] / "golden" / "golden.json"
GOLDEN = json.loads(GOLDEN_PATH.read_text())

SCALE_FUNCTIONS = {
    "sine": lambda x: 0.5 * (1 + np.sin(x * np.pi / 2)),
    "decay": lambda x: 1 / (1 + x / 100),
}


def golden_args(args):
    """Constructor arguments of a golden case, with its named scale_fn."""
    args = dict(args)
    if args.get("scale_fn") is not None:
        args["scale_fn"] = SCALE_FUNCTIONS[args["scale_fn"]]
    return args


def op_losses(values):
    if values is None:
        return None
    return [float("nan") if v == "NaN" else v for v in values]


def expected_column(values):
    return np.array([math.nan if v is None else v for v in values], dtype=float)


def assert_table_equal(frame, expected, rtol=1e-6):
    assert list(frame.columns) == list(expected), (list(frame.columns), list(expected))
    for name, values in expected.items():
        want = expected_column(values)
        got = frame[name].to_numpy(dtype=float)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=0, equal_nan=True,
                                   err_msg=f"column {name}")


def tiny_model(features=3, optimizer=None, steps_per_execution=1, jit_compile="auto"):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((features,)), keras.layers.Dense(1)])
    model.compile(optimizer=optimizer or keras.optimizers.SGD(0.01), loss="mse",
                  steps_per_execution=steps_per_execution, jit_compile=jit_compile)
    return model


def regression_data(rows, features=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features)).astype("float32")
    y = (x @ np.arange(1, features + 1, dtype="float32")[:, None]
         + rng.normal(scale=0.1, size=(rows, 1)).astype("float32"))
    return x, y


class InjectValLoss(keras.callbacks.Callback):
    """Placed before CyclicLR: overwrites logs['val_loss'] with known values."""

    def __init__(self, values):
        super().__init__()
        self.values = list(values)
        self.epoch_index = 0

    def on_epoch_end(self, epoch, logs=None):
        value = self.values[self.epoch_index]
        self.epoch_index += 1
        if value is None:
            logs.pop("val_loss", None)
        else:
            logs["val_loss"] = value


def applied_rates_model(steps, steps_per_execution=1, jit_compile="auto"):
    """A model whose final weights reveal the learning rate of every step.

    Input i is the one-hot vector e_i and the loss is the prediction itself,
    so step i changes only weight i, by exactly -lr_i (plain SGD from 0).
    Returns (model, x, y); train with batch_size=1, shuffle=False.
    """
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((steps,)),
        keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(0.5),
                  loss=lambda y_true, y_pred: keras.ops.sum(y_pred),
                  steps_per_execution=steps_per_execution, jit_compile=jit_compile)
    x = np.eye(steps, dtype="float32")
    y = np.zeros((steps, 1), dtype="float32")
    return model, x, y


def applied_rates(model):
    return -model.layers[0].kernel.numpy()[:, 0].astype(float)


@pytest.fixture
def golden():
    return GOLDEN
