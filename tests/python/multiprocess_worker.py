"""One process of a multi-process run (started by test_multiprocess.py).

Usage: python multiprocess_worker.py ENGINE PROCESS_ID ADDRESSES FOLDER

- ENGINE "jax": ``jax.distributed`` over 2 CPU processes (coordinator at
  the first address), ``keras.distribution.DataParallel`` over their devices.
  The golden plateau case trains for half its epochs with `CyclicLR` and
  `TensorBoardRates`, every process saves the state and the history CSV
  (only process 0 writes) and the weights (Keras: every process writes);
  then a new model and a new callback load the files of process 0 and
  train the other half (a resume). A range test follows.
- ENGINE "tf-multi-worker": ``tf.distribute.MultiWorkerMirroredStrategy``
  with one worker per address. A plain ``fit()`` without kerasclr is tried
  first (Keras 3.15 fails there); `CyclicLR.save` is called on every worker
  (only the chief writes); when the plain fit works, the golden case runs
  with `CyclicLR` too.

Each process ends by printing ``RESULTS=<json>``.
"""

import json
import os
import sys
from pathlib import Path

ENGINE, PROCESS, ADDRESSES, FOLDER = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ADDRESSES = ADDRESSES.split(",")
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
if ENGINE == "jax":
    os.environ["KERAS_BACKEND"] = "jax"
    os.environ["JAX_PLATFORMS"] = "cpu"
    import jax

    jax.distributed.initialize(coordinator_address=ADDRESSES[0],
                               num_processes=len(ADDRESSES), process_id=PROCESS)
else:
    os.environ["KERAS_BACKEND"] = "tensorflow"
    os.environ["TF_CONFIG"] = json.dumps({"cluster": {"worker": ADDRESSES},
                                          "task": {"type": "worker", "index": PROCESS}})
    import tensorflow as tf

    STRATEGY = tf.distribute.MultiWorkerMirroredStrategy()

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kerasclr  # noqa: E402
from conftest import GOLDEN, InjectValLoss, golden_args  # noqa: E402
from fit_helpers import (  # noqa: E402
    RANGE_TEST_ARGS,
    AppliedRates,
    range_test_setup,
    rates_model,
    variable_values,
)

CASE = next(c for c in GOLDEN["cases"] if c["name"] == "plateau_keep_base")
(OP,) = CASE["ops"]
SPLIT = OP["epochs"] // 2


def fit_part(model, x, y, clr, first, last, *more):
    probe = AppliedRates()
    model.fit(x, y, batch_size=1, epochs=last, initial_epoch=first, shuffle=False,
              verbose=0, callbacks=[InjectValLoss(OP["val_loss"][first:last]), clr, probe,
                                    *more])
    return probe.rates.tolist()


def tables(clr):
    return {"history": clr.history.to_dict("list"),
            "history_epoch": clr.history_epoch.to_dict("list")}


def range_test():
    model, x, y = range_test_setup()
    before = variable_values(model)
    result = kerasclr.lr_range_test(model, x, y, **RANGE_TEST_ARGS)
    return {"suggestion": result.suggestion, "stop_reason": result.stop_reason,
            "history": result.history.to_dict("list"),
            "restored": [bool(np.array_equal(a, b))
                         for a, b in zip(before, variable_values(model))]}


def run_jax():
    from jax.experimental import multihost_utils

    devices = keras.distribution.list_devices("cpu")
    # Every process feeds the same local batches: the global batch holds
    # each of them once per process, so its mean loss (and gradient) is the
    # one of a single process.
    keras.distribution.set_distribution(
        keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False))
    out = {"process_index": jax.process_index(), "process_count": jax.process_count(),
           "devices": len(devices)}
    model, x, y = rates_model(4)
    clr = kerasclr.CyclicLR(verbose=0, **golden_args(CASE["args"]))
    board = kerasclr.TensorBoardRates(clr, os.path.join(FOLDER, f"board-{PROCESS}"))
    rates = fit_part(model, x, y, clr, 0, SPLIT, board)
    out["first_part"] = tables(clr)
    out["saved_as"] = clr.save(os.path.join(FOLDER, f"state-{PROCESS}.jsonl"))
    out["csv_as"] = kerasclr.write_history_csv(
        clr, os.path.join(FOLDER, f"history-{PROCESS}.csv"))
    # Keras's save_weights runs a collective under jax.distributed: every
    # process calls it (and writes its file).
    model.save_weights(os.path.join(FOLDER, f"model-{PROCESS}.weights.h5"))
    multihost_utils.sync_global_devices("kerasclr: saved")

    # Resume: a new model and a new callback from the files of process 0.
    resumed, x, y = rates_model(4)
    resumed.optimizer.build(resumed.trainable_variables)
    resumed.load_weights(os.path.join(FOLDER, "model-0.weights.h5"))
    clr = kerasclr.CyclicLR(verbose=0, **golden_args(CASE["args"]))
    clr.load(os.path.join(FOLDER, "state-0.jsonl"))
    rates += fit_part(resumed, x, y, clr, SPLIT, OP["epochs"])
    out.update(rates=rates, **tables(clr))

    out["range_test"] = range_test()
    multihost_utils.sync_global_devices("kerasclr: done")
    return out


def run_tf_multi_worker():
    out = {"chief": bool(STRATEGY.extended.should_checkpoint)}
    with STRATEGY.scope():
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    try:
        model.fit(np.ones((8, 3), "float32"), np.ones((8, 1), "float32"), batch_size=4,
                  epochs=1, verbose=0)
        out["plain_fit"] = "ok"
    except Exception as error:  # noqa: BLE001 - the upstream failure is the result
        out["plain_fit"] = f"{type(error).__name__}: {error}"
    clr = kerasclr.CyclicLR(verbose=0, **golden_args(CASE["args"]))
    clr.set_model(model)
    clr.save(os.path.join(FOLDER, f"untrained-{PROCESS}.jsonl"))
    if out["plain_fit"] == "ok":
        with STRATEGY.scope():
            model, x, y = rates_model(4)
        rates = fit_part(model, x, y, clr, 0, OP["epochs"])
        out.update(rates=rates, **tables(clr))
    return out


results = run_jax() if ENGINE == "jax" else run_tf_multi_worker()
print("RESULTS=" + json.dumps(results), flush=True)
