"""Distributed and mixed-precision training apply the single-device schedule.

TensorFlow's MirroredStrategy needs its logical devices configured before
TensorFlow initialises, and JAX needs XLA_FLAGS before it starts, so those
runs happen in a fresh interpreter (one per backend, shared by its tests)
that prints its results as JSON. Each run trains the same model on one
device and on two, and both must give the golden plateau history (injected
val_loss, band shrinking); a range test on one device and on two must give
the same suggestion and restore every variable bit for bit.
Several processes: test_multiprocess.py.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

import kerasclr
from conftest import GOLDEN, assert_table_equal, golden_args
from fit_helpers import BACKEND, AppliedRates, fit_epochs, rates_model, without_loss

HERE = Path(__file__).resolve().parent
PLATEAU = next(c for c in GOLDEN["cases"] if c["name"] == "plateau_keep_base")

RUNNER = """
import json, sys
sys.path.insert(0, {here!r})
{setup}
import keras
import numpy as np
from conftest import GOLDEN, golden_args
from fit_helpers import (AppliedRates, RANGE_TEST_ARGS, fit_epochs, range_test_setup,
                         rates_model, variable_values)
import kerasclr

case = next(c for c in GOLDEN["cases"] if c["name"] == "plateau_keep_base")
(op,) = case["ops"]

def run(scope, steps_per_execution=1):
    with scope:
        model, x, y = rates_model(4, batch_rows=2,
                                  steps_per_execution=steps_per_execution)
    clr = kerasclr.CyclicLR(verbose=0, **golden_args(case["args"]))
    probe = AppliedRates()
    model.fit(x, y, batch_size=2, epochs=op["epochs"], shuffle=False, verbose=0,
              callbacks=[__import__("conftest").InjectValLoss(op["val_loss"]),
                         clr, probe])
    return {{"rates": probe.rates.tolist(),
             "history": clr.history.to_dict("list"),
             "history_epoch": clr.history_epoch.to_dict("list")}}

def range_test(scope):
    with scope:
        model, x, y = range_test_setup()
    before = variable_values(model)
    result = kerasclr.lr_range_test(model, x, y, **RANGE_TEST_ARGS)
    restored = [bool(np.array_equal(a, b))
                for a, b in zip(before, variable_values(model))]
    return {{"suggestion": result.suggestion, "stop_reason": result.stop_reason,
             "history": result.history.to_dict("list"), "restored": restored}}

import contextlib
results = {{}}
results["single"] = run(contextlib.nullcontext())
results["range_test_single"] = range_test(contextlib.nullcontext())
{distributed}
print("RESULTS=" + json.dumps(results))
"""


def run_in_fresh_process(setup, distributed, env=None):
    code = RUNNER.format(here=str(HERE), setup=textwrap.dedent(setup),
                         distributed=textwrap.dedent(distributed))
    full_env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **(env or {}))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full_env, timeout=300)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULTS=")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1][len("RESULTS="):])


def check_matches_single_device(results, runs):
    single = results["single"]
    for name in runs:
        run = results[name]
        np.testing.assert_array_equal(run["rates"], single["rates"], err_msg=name)
        np.testing.assert_allclose(run["rates"], PLATEAU["history"]["lr"], rtol=1e-6,
                                   atol=0)
        for table in ("history", "history_epoch"):
            assert list(run[table]) == list(single[table])
            for column, values in single[table].items():
                np.testing.assert_allclose(run[table][column], values, rtol=1e-6,
                                           err_msg=f"{name} {table} {column}")
        expected_epoch = {k: v for k, v in run["history_epoch"].items() if k != "loss"}
        assert list(expected_epoch) == list(PLATEAU["history_epoch"])


def check_range_test_matches_single_device(results, name):
    single, run = results["range_test_single"], results[name]
    assert single["suggestion"] is not None
    assert run["suggestion"] == single["suggestion"]
    assert run["stop_reason"] == single["stop_reason"] == "diverged"
    np.testing.assert_array_equal(run["history"]["lr"], single["history"]["lr"])
    np.testing.assert_allclose(run["history"]["loss"], single["history"]["loss"], rtol=1e-4)
    # kernel, bias, iteration, learning rate and two momentum slots
    assert single["restored"] == run["restored"] == [True] * 6


@pytest.fixture(scope="module")
def mirrored_results():
    setup = """
    import os
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    """
    distributed = """
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    results["mirrored"] = run(strategy.scope())
    results["range_test_mirrored"] = range_test(strategy.scope())
    """
    # Not with steps_per_execution > 1: Keras 3.15's multi-step loop fails
    # under MirroredStrategy ("You must feed a value for placeholder tensor
    # .../while/cond/Placeholder_1") even without any callback.
    return run_in_fresh_process(setup, distributed)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="runs with the TensorFlow suite")
def test_tensorflow_mirrored_strategy_two_cpus(mirrored_results):
    check_matches_single_device(mirrored_results, ["mirrored"])


@pytest.mark.skipif(BACKEND != "tensorflow", reason="runs with the TensorFlow suite")
def test_range_test_under_mirrored_strategy(mirrored_results):
    check_range_test_matches_single_device(mirrored_results, "range_test_mirrored")


@pytest.fixture(scope="module")
def data_parallel_results():
    setup = """
    import os
    os.environ["KERAS_BACKEND"] = "jax"
    import jax
    assert len(jax.devices("cpu")) == 2, jax.devices()
    """
    distributed = """
    devices = keras.distribution.list_devices("cpu")
    data_parallel = keras.distribution.DataParallel(devices=devices)
    keras.distribution.set_distribution(data_parallel)
    results["data_parallel"] = run(contextlib.nullcontext())
    results["data_parallel_spe3"] = run(contextlib.nullcontext(), steps_per_execution=3)
    results["range_test_data_parallel"] = range_test(contextlib.nullcontext())
    """
    return run_in_fresh_process(
        setup, distributed,
        env={"XLA_FLAGS": "--xla_force_host_platform_device_count=2"})


@pytest.mark.skipif(BACKEND != "jax", reason="runs with the JAX suite")
def test_jax_data_parallel_two_host_devices(data_parallel_results):
    check_matches_single_device(data_parallel_results,
                                ["data_parallel", "data_parallel_spe3"])


@pytest.mark.skipif(BACKEND != "jax", reason="runs with the JAX suite")
def test_range_test_under_jax_data_parallel(data_parallel_results):
    check_range_test_matches_single_device(data_parallel_results,
                                           "range_test_data_parallel")


@pytest.fixture
def mixed_float16():
    previous = keras.mixed_precision.dtype_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def test_mixed_precision_with_loss_scale_optimizer(mixed_float16):
    model, x, y = rates_model(4)
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert model.layers[0].compute_dtype == "float16"
    clr = kerasclr.CyclicLR(verbose=0, **golden_args(PLATEAU["args"]))
    probe = AppliedRates()
    (op,) = PLATEAU["ops"]
    fit_epochs(model, x, y, clr, op["epochs"], op["val_loss"], probe)
    np.testing.assert_allclose(probe.rates, PLATEAU["history"]["lr"], rtol=1e-6, atol=0)
    assert_table_equal(clr.history, PLATEAU["history"])
    assert_table_equal(without_loss(clr.history_epoch), PLATEAU["history_epoch"])
    # After fit() the inner optimizer has its float rate again.
    inner = model.optimizer.inner_optimizer
    assert isinstance(inner._learning_rate, keras.Variable)
    assert inner._learning_rate.dtype == "float32"
