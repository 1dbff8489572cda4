"""Saving, state round trips and exact resume (also in a fresh process)."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import kerasclr
from conftest import regression_data, tiny_model

HERE = Path(__file__).resolve().parent
EPOCHS, BREAK = 8, 4
PLATEAU_LOSSES = [3.0, 3.1, 3.2, 3.3, 2.0, 2.5, 2.6, 2.7]
CASES = {
    "cycle": {"args": {"base_lr": 0.01, "max_lr": 0.05, "step_size": 6,
                       "mode": "triangular2"}, "val_loss": None},
    "plateau": {"args": {"base_lr": 0.01, "max_lr": 0.05, "step_size": 6, "patience": 1,
                         "factor": 0.5, "cooldown": 1}, "val_loss": PLATEAU_LOSSES},
}


class InjectByEpoch(keras.callbacks.Callback):
    """Sets logs['val_loss'] from the (absolute) epoch index."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]


def momentum_model():
    return tiny_model(optimizer=keras.optimizers.SGD(0.01, momentum=0.9))


def train(model, clr, case, initial_epoch, epochs, extra=(), after=()):
    x, y = regression_data(64)
    callbacks = list(extra)
    if case["val_loss"] is not None:
        callbacks.append(InjectByEpoch(case["val_loss"]))
    callbacks.append(clr)
    callbacks.extend(after)
    model.fit(x, y, batch_size=8, epochs=epochs, initial_epoch=initial_epoch,
              shuffle=False, verbose=0, callbacks=callbacks)


def tables(clr, model):
    return {"history": clr.history.to_dict("list"),
            "history_epoch": clr.history_epoch.to_dict("list"),
            "weights": [w.tolist() for w in model.get_weights()]}


def assert_same_run(got, want):
    for table in ("history", "history_epoch"):
        assert list(got[table]) == list(want[table]), table
        for column, values in want[table].items():
            np.testing.assert_allclose(np.asarray(got[table][column], float),
                                       np.asarray(values, float), rtol=1e-6,
                                       err_msg=f"{table}.{column}")
    for a, b in zip(got["weights"], want["weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def uninterrupted(case):
    model = momentum_model()
    clr = kerasclr.CyclicLR(verbose=0, **case["args"])
    train(model, clr, case, 0, EPOCHS)
    return tables(clr, model)


# -- model saving ------------------------------------------------------------

def test_model_saves_and_loads_with_its_optimizer_state(tmp_path):
    model = momentum_model()
    clr = kerasclr.CyclicLR(step_size=6, verbose=0)
    train(model, clr, CASES["cycle"], 0, 2)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # no custom_objects
    assert isinstance(loaded.optimizer._learning_rate, keras.Variable)
    assert float(loaded.optimizer.learning_rate.numpy()) == pytest.approx(clr.next_lr,
                                                                          rel=1e-7)
    assert int(loaded.optimizer.iterations.numpy()) == 16
    want = {v.name: v.numpy() for v in model.optimizer.variables}
    got = {v.name: v.numpy() for v in loaded.optimizer.variables}
    assert len(got) == len(want)
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.name)
    x, _ = regression_data(8)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_other_optimizers_still_load(tmp_path):
    model = momentum_model()
    x, y = regression_data(16)
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "plain.keras")
    loaded = keras.saving.load_model(tmp_path / "plain.keras")
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# -- state -------------------------------------------------------------------

def test_state_round_trip_through_json(tmp_path):
    clr = kerasclr.CyclicLR(verbose=0, **CASES["plateau"]["args"])
    kerasclr.replay_epochs(clr, 8, val_loss=PLATEAU_LOSSES[:BREAK] + [float("nan")])
    state = clr.get_state()
    text = json.dumps(state, allow_nan=False)  # strict JSON
    with pytest.raises(ValueError, match=r"other arguments \(base_lr: 0.01 saved, 0.001 here"):
        kerasclr.CyclicLR(verbose=0).set_state(json.loads(text))
    restored = kerasclr.CyclicLR(verbose=0, **CASES["plateau"]["args"])
    restored.set_state(json.loads(text))
    assert restored.get_state() == state
    assert restored.get_config() == {**clr.get_config()}
    assert restored.patience == 1 and restored.factor == 0.5
    for name in ("clr_iterations", "trn_iterations", "epochs_done", "best",
                 "not_improved_for_n_times", "cooldown_counter", "base_lr", "max_lr"):
        assert getattr(restored, name) == getattr(clr, name), name
    # Both continue identically.
    for callback in (clr, restored):
        kerasclr.replay_epochs(callback, 8, val_loss=PLATEAU_LOSSES[BREAK:])
    assert clr.history.equals(restored.history)
    assert clr.history_epoch.equals(restored.history_epoch)
    # save / load through a file
    path = tmp_path / "clr.json"
    clr.save(path)
    from_file = kerasclr.CyclicLR(verbose=0, **CASES["plateau"]["args"]).load(path)
    assert from_file.get_state() == clr.get_state()


def test_loading_a_state_replaces_epochs_not_yet_recorded(tmp_path):
    """Epochs that ended after a save are recorded only when read; loading
    the saved state replaces them too (the state resumes at the save)."""
    model = momentum_model()
    clr = kerasclr.CyclicLR(verbose=0, **CASES["cycle"]["args"])
    train(model, clr, CASES["cycle"], 0, 2)
    saved = tables(clr, model)
    path = clr.save(tmp_path / "clr.json")
    train(model, clr, CASES["cycle"], 2, 4)  # two more epochs, not read
    clr.load(path)
    assert clr.epochs_done == 2
    assert clr.history.to_dict("list") == saved["history"]
    assert clr.history_epoch.to_dict("list") == saved["history_epoch"]


def test_state_of_custom_scale_fn_needs_the_function():
    def half(x):
        return 0.5

    clr = kerasclr.CyclicLR(step_size=4, scale_fn=half, scale_mode="iteration", verbose=0)
    kerasclr.replay_epochs(clr, 5, epochs=2)
    state = json.loads(json.dumps(clr.get_state()))
    with pytest.raises(ValueError, match=r"custom `scale_fn`.*same `scale_fn`"):
        kerasclr.CyclicLR().set_state(state)
    again = kerasclr.CyclicLR(step_size=4, scale_fn=half, scale_mode="iteration",
                              verbose=0)
    again.set_state(state)
    assert again.scale_mode == "iteration"
    assert again.next_lr == clr.next_lr


# -- resume ------------------------------------------------------------------

RESUME = """
import json, sys
sys.path.insert(0, {here!r})
import keras
import kerasclr
import test_state as t
tmp = {tmp!r}
results = {{}}
for name, case in t.CASES.items():
    model = keras.saving.load_model(tmp + "/" + name + ".keras")
    clr = kerasclr.CyclicLR(verbose=0, **case["args"]).load(tmp + "/" + name + ".json")
    t.train(model, clr, case, t.BREAK, t.EPOCHS)
    results[name] = t.tables(clr, model)
# BackupAndRestore: a freshly compiled model, the callback state saved at
# the last epoch end; BackupAndRestore restores the weights and the epoch.
model = t.momentum_model()
clr = kerasclr.CyclicLR(verbose=0, **t.CASES["plateau"]["args"]).load(
    tmp + "/backup_clr.json")
t.train(model, clr, t.CASES["plateau"], 0, t.EPOCHS, **t.backup_callbacks(tmp, clr))
results["backup"] = t.tables(clr, model)
print("RESULTS=" + json.dumps(results))
"""


class StopAt(keras.callbacks.Callback):
    def __init__(self, epoch, batch):
        super().__init__()
        self.at, self.epoch = (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise RuntimeError("interrupted")


class SaveStateEachEpoch(keras.callbacks.Callback):
    """Placed after the CyclicLR: its state goes next to the backup."""

    def __init__(self, clr, path):
        super().__init__()
        self.clr, self.path = clr, path

    def on_epoch_end(self, epoch, logs=None):
        self.clr.save(self.path)


def backup_callbacks(tmp, clr):
    """BackupAndRestore before the CyclicLR, a state saver after it."""
    backup = keras.callbacks.BackupAndRestore(str(Path(tmp) / "backup"))
    saver = SaveStateEachEpoch(clr, str(Path(tmp) / "backup_clr.json"))
    return {"extra": [backup], "after": [saver]}


def test_resume_in_a_fresh_process_is_exact(tmp_path):
    for name, case in CASES.items():
        model = momentum_model()
        clr = kerasclr.CyclicLR(verbose=0, **case["args"])
        train(model, clr, case, 0, BREAK)
        model.save(tmp_path / f"{name}.keras")
        clr.save(tmp_path / f"{name}.json")
    # Interrupted inside epoch 5 with BackupAndRestore (fresh process below).
    model = momentum_model()
    clr = kerasclr.CyclicLR(verbose=0, **CASES["plateau"]["args"])
    callbacks = backup_callbacks(tmp_path, clr)
    callbacks["after"].append(StopAt(BREAK, 2))
    with pytest.raises(RuntimeError, match="interrupted"):
        train(model, clr, CASES["plateau"], 0, EPOCHS, **callbacks)

    code = RESUME.format(here=str(HERE), tmp=str(tmp_path))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=300, cwd=str(HERE))
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULTS=")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    assert "Skipping variable loading" not in done.stderr
    results = json.loads(lines[-1][len("RESULTS="):])
    for name, case in CASES.items():
        assert_same_run(results[name], uninterrupted(case))
    assert_same_run(results["backup"], uninterrupted(CASES["plateau"]))
    # The plateau case did shrink the band before and after the break.
    assert results["plateau"]["history_epoch"]["base_lr"] == [
        0.01, 0.01, 0.01, 0.005, 0.005, 0.005, 0.005, 0.0025]


@pytest.mark.parametrize("backup_first", [True, False], ids=["backup-first", "clr-first"])
def test_backup_and_restore(tmp_path, backup_first):
    case = CASES["plateau"]
    want = uninterrupted(case)
    model = momentum_model()
    clr = kerasclr.CyclicLR(verbose=0, **case["args"])
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    x, y = regression_data(64)

    def fit(extra):
        callbacks = [InjectByEpoch(case["val_loss"]), clr]
        callbacks = [backup, *callbacks] if backup_first else [*callbacks, backup]
        model.fit(x, y, batch_size=8, epochs=EPOCHS, shuffle=False, verbose=0,
                  callbacks=callbacks + extra)

    with pytest.raises(RuntimeError, match="interrupted"):
        fit([StopAt(epoch=BREAK, batch=2)])  # in epoch 5, after 3 batches
    # Reading the history records the 3 batches that did run ...
    assert len(clr.history) == 8 * BREAK + 3
    # ... and BackupAndRestore rolls the model back to the end of epoch 4:
    # the callback drops those rows and redoes epoch 5 from its start.
    fit([])
    assert_same_run(tables(clr, model), want)


def test_state_is_strict_json_with_infinite_values():
    clr = kerasclr.CyclicLR(step_size=4, patience=2, verbose=0)
    kerasclr.replay_epochs(clr, 3, val_loss=[float("inf"), float("-inf"), float("nan")])
    text = json.dumps(clr.get_state(), allow_nan=False)
    restored = kerasclr.CyclicLR(step_size=4, patience=2, verbose=0)
    restored.set_state(json.loads(text))
    assert restored.best == -math.inf and restored.patience == 2
    np.testing.assert_array_equal(restored.history_epoch["val_loss"],
                                  [math.inf, -math.inf, math.nan])
    assert restored.get_state() == clr.get_state()
