"""Nothing recorded is lost, nothing is silently wrong (state, validation, misuse)."""

import base64
import gc
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
from conftest import applied_rates_model, regression_data, tiny_model
from fit_helpers import AppliedRates, fit_epochs

HERE = Path(__file__).resolve().parent
BACKEND = keras.backend.backend()


# -- validation_freq -------------------------------------------------------------------
def test_validation_freq_skips_epochs_without_validation():
    model = tiny_model()
    x, y = regression_data(40)
    clr = kerasclr.CyclicLR(step_size=4, patience=1, factor=0.5, verbose=0)
    model.fit(x, y, batch_size=10, epochs=4, verbose=0, validation_data=(x, y),
              validation_freq=2, callbacks=[clr])
    epochs = clr.history_epoch
    assert len(clr.history) == 16 and len(epochs) == 4
    assert np.isnan(epochs["val_loss"][0]) and not np.isnan(epochs["val_loss"][1])
    # epochs 1 and 3 have nothing to compare: the count does not move there
    counts = epochs["not_improved_for_n_times"].tolist()
    assert counts[0] == 0 and counts[2] == counts[1]


def test_missing_val_loss_with_finite_patience_keeps_the_epoch_row():
    clr = kerasclr.CyclicLR(step_size=6, patience=2, verbose=0)
    model, x, y = applied_rates_model(13)
    plain = type(model.optimizer)
    with pytest.raises(ValueError, match=r"`patience` is 2 but the logs of epoch 1 have no "
                                         r"`val_loss`"):
        fit_epochs(model, x, y, clr, 3)
    assert len(clr.history) == 13 and len(clr.history_epoch) == 1
    assert clr.history_epoch["epoch"].tolist() == [1]
    assert type(model.optimizer) is plain


def test_missing_monitor_names_what_is_logged():
    clr = kerasclr.OneCycle(0.1, total_steps=40,
                            plateau=kerasclr.Plateau(monitor="val_accuracy", patience=1))
    with pytest.raises(ValueError, match=r"no `val_accuracy`.*validation data"):
        kerasclr.replay_epochs(clr, 4, epochs=1)  # no validation at all
    # validation ran (val_loss is logged): the monitor is misspelt or not computed
    clr = kerasclr.OneCycle(0.1, total_steps=40,
                            plateau=kerasclr.Plateau(monitor="val_accuracy", patience=1))
    with pytest.raises(ValueError, match=r"no `val_accuracy`; `monitor` must name a value "
                                         r"that fit\(\) logs \(logged: val_loss\)\.$"):
        kerasclr.replay_epochs(clr, 4, val_loss=[1.0])


# -- loading is all or nothing ---------------------------------------------------------------
def test_failed_load_changes_nothing(tmp_path):
    clr = kerasclr.CyclicLR(step_size=4, cycle_momentum=True, verbose=0)
    kerasclr.replay_epochs(clr, 8, epochs=2)
    plain = kerasclr.CyclicLR(step_size=4, verbose=0)
    kerasclr.replay_epochs(plain, 8, epochs=3)
    plain.save(tmp_path / "plain.json")
    before = clr.history.copy(), clr.history_epoch.copy(), clr.next_lr
    with pytest.raises(ValueError, match=r"other arguments \(cycle_momentum: False saved, "
                                         r"True here\)"):
        clr.load(tmp_path / "plain.json")
    state = clr.get_state()
    del state["history_epoch"]
    with pytest.raises(ValueError, match=r"`history_epoch` is missing"):
        clr.set_state(state)
    assert clr.history.equals(before[0]) and clr.history_epoch.equals(before[1])
    assert clr.next_lr == before[2]


def corrupted(clr, change):
    state = json.loads(json.dumps(clr.get_state()))
    change(state)
    return state


def set_lr_values(state, values):
    state["history"]["values"]["lr"] = base64.b64encode(
        np.asarray(values, "<f4").tobytes()).decode()


@pytest.mark.parametrize("change, message", [
    (lambda s: s["mark"]["settings"].update(base_lr=-1.0),
     r"`mark.settings.base_lr` must be a finite number >= 0, got -1.0"),
    (lambda s: s["mark"]["plateau"]["policy"].update(best="NaN"),
     r"`mark.plateau.policy.best` must be a number or null, got nan"),
    (lambda s: s["mark"]["plateau"]["policy"].update(cooldown_counter=1.5),
     r"`mark.plateau.policy.cooldown_counter` must be a whole number >= 0, got 1.5"),
    (lambda s: set_lr_values(s, [0.001, 0.002, 0.003]),
     r"`history.values.lr` holds 3 values for 16 rows"),
    (lambda s: s["mark"].update(rows=999), r"`mark.rows` is 999 but the history has 16"),
    (lambda s: s.update(step=-3), r"`step` must be a whole number >= 0, got -3"),
    (lambda s: s["mark"]["settings"].update(cycle_origin=2.5),
     r"`mark.settings.cycle_origin` must be a whole number, got 2.5"),
    (lambda s: s["history"]["runs"]["length"].append(3),
     r"`history.runs.length` has 3 entries where the other run fields have 2"),
    (lambda s: set_lr_values(s, [-1.0] * 16), r"`history.values.lr` must hold finite rates"),
    (lambda s: s.update(version=1), r"state format version 1; this kerasclr reads version 2"),
], ids=["negative-band", "best-nan", "cooldown-1.5", "truncated-lr", "rows", "step",
        "origin", "runs", "negative-lr", "version"])
def test_state_contents_are_checked(change, message):
    clr = kerasclr.CyclicLR(step_size=4, patience=1, verbose=0)
    kerasclr.replay_epochs(clr, 8, val_loss=[2.0, 1.0])
    fresh = kerasclr.CyclicLR(step_size=4, patience=1, verbose=0)
    with pytest.raises(ValueError, match=message):
        fresh.set_state(corrupted(clr, change))
    assert len(fresh.history) == 0 and fresh.epochs_done == 0


@pytest.mark.parametrize("make, bad, minimum", [
    (lambda steps_per_epoch=None: kerasclr.OneCycle(0.1, epochs=3,
                                                    steps_per_epoch=steps_per_epoch),
     1, 2),
    (lambda steps_per_epoch=None: kerasclr.WSD(0.1, warmup_fraction=0.25,
                                               decay_fraction=0.25), 0, 1),
], ids=["OneCycle", "WSD"])
def test_a_length_learned_from_fit_is_saved_and_checked(make, bad, minimum):
    """OneCycle(epochs=...) and WSD() learn total_steps at train begin; the
    state keeps it, so a resumed callback (that has not seen fit()) goes on
    with the same schedule; a wrong saved length names the field."""
    policy = make()
    kerasclr.replay_epochs(policy, 8, epochs=2)
    state = json.loads(json.dumps(policy.get_state()))
    assert state["policy_state"]["total_steps"] == (24 if minimum == 2 else 16)
    resumed = make()
    resumed.set_state(state)
    np.testing.assert_array_equal(resumed.preview(range(16)), policy.preview(range(16)))
    state["policy_state"]["total_steps"] = bad
    fresh = make()
    with pytest.raises(ValueError, match=rf"`policy_state.total_steps` must be a whole number "
                                         rf">= {minimum}, got {bad}"):
        fresh.set_state(state)
    assert len(fresh.history) == 0


def test_state_files_name_the_file(tmp_path):
    clr = kerasclr.CyclicLR(step_size=4, verbose=0)
    kerasclr.replay_epochs(clr, 8, epochs=2)
    good = tmp_path / "good.json"
    clr.save(good)
    cases = {
        "missing.json": r"the file does not exist",
        "empty.json": r"the file is empty",
        "notjson.json": r"it is not a kerasclr state file \(not JSON",
        "cut.json": r"it ends before its first record is complete; the file is truncated",
        "folder": r"it is a folder, not a file",
    }
    (tmp_path / "empty.json").write_text("")
    (tmp_path / "notjson.json").write_text("hello")
    (tmp_path / "cut.json").write_bytes(good.read_bytes()[:100])
    (tmp_path / "folder").mkdir()
    for name, message in cases.items():
        path = tmp_path / name
        with pytest.raises(ValueError, match=rf"Cannot load the state file '{path}': {message}"):
            kerasclr.CyclicLR(step_size=4, verbose=0).load(path)
    with pytest.raises(ValueError, match=r"Cannot save the state to '.*nowhere/s.json': the "
                                         r"folder '.*nowhere' does not exist"):
        clr.save(tmp_path / "nowhere" / "s.json")
    with pytest.raises(ValueError, match=r"Cannot save the state to '.*folder': it is a folder"):
        clr.save(tmp_path / "folder")


def test_saves_append_only_new_rows_and_a_cut_last_line_is_ignored(tmp_path):
    path = tmp_path / "s.json"
    clr = kerasclr.CyclicLR(step_size=4, verbose=0)
    sizes = []
    for _ in range(3):
        kerasclr.replay_epochs(clr, 1000, epochs=1)
        clr.save(path)
        sizes.append(path.stat().st_size)
    lines = path.read_text().splitlines()
    assert len(lines) == 3
    # each save adds about what its epoch added (4 bytes a row, base64)
    assert abs((sizes[2] - sizes[1]) - (sizes[1] - sizes[0])) < 100
    assert sizes[1] - sizes[0] < 1.4 * 4 * 1000 + 2000
    loaded = kerasclr.CyclicLR(step_size=4, verbose=0).load(path)
    assert loaded.history.equals(clr.history)
    # a crash in the middle of the last append: the previous save wins
    path.write_bytes(path.read_bytes()[:-500])
    earlier = kerasclr.CyclicLR(step_size=4, verbose=0).load(path)
    assert len(earlier.history) == 2000 and earlier.epochs_done == 2
    # the next save rewrites the damaged file instead of appending to it
    earlier.save(path)
    assert len(path.read_text().splitlines()) == 1


def test_rates_beyond_float32_are_refused():
    with pytest.raises(ValueError, match=r"`max_lr` must be a finite float32 number"):
        kerasclr.CyclicLR(max_lr=1e40)
    with pytest.raises(ValueError, match=r"`max_lr` must be a finite float32 number"):
        kerasclr.clr_schedule(range(3), max_lr=1e40)


def test_scale_fn_results_must_be_numbers():
    with pytest.raises(TypeError, match=r"`scale_fn` must return one number, got True for "
                                        r"cycle 1"):
        kerasclr.clr_schedule(range(3), step_size=2, scale_fn=lambda c: True)
    with pytest.raises(TypeError, match=r"`scale_fn` must return one number, got None for "
                                        r"cycle 1"):
        kerasclr.clr_schedule(range(3), step_size=2, scale_fn=lambda c: None)


# -- rows are optimizer updates ------------------------------------------------------------------
def failing_batches(x, y):
    """Batches of one row each from ``x, y``: five, then the source fails."""
    for i in range(5):
        yield x[i:i + 1], y[i:i + 1]
    raise RuntimeError("the data source failed")


def test_generator_failing_mid_epoch_leaves_one_row_per_trained_batch():
    model, x, y = applied_rates_model(8)
    clr = kerasclr.CyclicLR(step_size=3, verbose=0)

    with pytest.raises(Exception, match="the data source failed"):
        model.fit(failing_batches(x, y), steps_per_epoch=8, epochs=1, verbose=0, callbacks=[clr])
    assert len(clr.history) == 5 == int(model.optimizer.iterations.numpy())
    np.testing.assert_allclose(clr.history["lr"], kerasclr.clr_schedule(range(5), step_size=3),
                               rtol=1e-6)


def test_a_collection_during_a_history_read_commits_each_step_once():
    """After a fit() that an error ended, with its traceback kept, the table
    is released when that fit()'s callbacks are collected. A collection can
    run in the middle of the callback's own commit (reading the history
    allocates): the release then waits, and no step becomes two rows."""
    model, x, y = applied_rates_model(8)
    clr = kerasclr.CyclicLR(step_size=3, verbose=0)
    plain = type(model.optimizer)

    with pytest.raises(Exception, match="the data source failed") as stopped:
        model.fit(failing_batches(x, y), steps_per_epoch=8, epochs=1, verbose=0, callbacks=[clr])
    attachment = clr._attachment
    if attachment is None:
        pytest.skip(f"{BACKEND} releases the table when the error leaves fit()")
    table = clr._table
    rows = table.rows

    def rows_then_collected(first, count):
        table.rows = rows
        kerasclr.engine.table.release_if_still(attachment, collected=True)
        return rows(first, count)

    table.rows = rows_then_collected
    history = clr.history
    assert type(model.optimizer) is plain
    assert len(history) == 5 == int(model.optimizer.iterations.numpy())
    np.testing.assert_allclose(history["lr"], kerasclr.clr_schedule(range(5), step_size=3),
                               rtol=1e-6)
    assert len(clr.history) == 5
    del stopped


def test_collecting_an_earlier_stopped_fit_leaves_the_running_fit_its_table():
    """A fit() ended by an error keeps its callbacks while its traceback
    lives (a notebook's last error, reticulate's py_last_error()). When they
    are collected during a later fit() of the same policy, that fit() keeps
    its table: every rate it applies is the schedule's."""
    model, x, y = applied_rates_model(8)
    clr = kerasclr.CyclicLR(step_size=3, verbose=0)
    kept = {}

    try:
        model.fit(failing_batches(x, y), steps_per_epoch=8, epochs=1, verbose=0, callbacks=[clr])
    except Exception as error:  # noqa: BLE001 - TensorFlow wraps the generator's error
        kept["error"] = error
    assert "the data source failed" in str(kept["error"])

    class ForgetTheStoppedFit(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 2:
                kept.clear()
                gc.collect()

    probe = AppliedRates()
    fit_epochs(model, x, y, clr, 1, probe=probe, extra=[ForgetTheStoppedFit()])
    np.testing.assert_allclose(probe.rates, kerasclr.clr_schedule(range(5, 13), step_size=3),
                               rtol=1e-6)
    assert len(clr.history) == 13

def test_rows_read_after_another_callback_trained_the_model_are_this_callbacks():
    # Rows are committed when read, off the table of the fit() that made them:
    # a later fit() with another policy refills the model's table first.
    model, x, y = applied_rates_model(6)
    first = kerasclr.CyclicLR(base_lr=0.001, max_lr=0.006, step_size=4, verbose=0)
    second = kerasclr.CyclicLR(base_lr=0.01, max_lr=0.05, step_size=3, verbose=0)
    fit_epochs(model, x, y, first, epochs=2)
    fit_epochs(model, x, y, second, epochs=1)
    fit_epochs(model, x, y, first, epochs=1)
    expected = kerasclr.clr_schedule(range(18), base_lr=0.001, max_lr=0.006, step_size=4)
    np.testing.assert_array_equal(first.history["lr"], expected)
    np.testing.assert_array_equal(first.history_epoch["lr"], kerasclr.clr_schedule(
        [6, 12, 18], base_lr=0.001, max_lr=0.006, step_size=4))
    np.testing.assert_array_equal(second.history["lr"], kerasclr.clr_schedule(
        range(6), base_lr=0.01, max_lr=0.05, step_size=3))


@pytest.mark.skipif(BACKEND == "torch", reason="float16 loss scaling on CPU is TF/JAX here")
def test_steps_skipped_by_loss_scaling_get_no_row():
    """A row is an optimizer update: a batch whose loss-scaled gradients are not
    finite applies no update, gets no row, and does not move the schedule."""
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
        x, y = regression_data(8)
        y = y.copy()
        y[5] = 1e30  # inf in float16: this batch's gradients overflow
        clr = kerasclr.CyclicLR(step_size=3, verbose=0)
        model.fit(x, y, batch_size=1, epochs=1, shuffle=False, verbose=0, callbacks=[clr])
    finally:
        keras.mixed_precision.set_global_policy("float32")
    applied = int(model.optimizer.inner_optimizer.iterations.numpy())
    assert 0 < applied < 8 and len(clr.history) == applied
    np.testing.assert_allclose(clr.history["lr"],
                               kerasclr.clr_schedule(range(applied), step_size=3), rtol=1e-6)


def test_callback_reused_in_a_nested_fit_is_refused():
    clr = kerasclr.CyclicLR(step_size=4, verbose=0)
    outer, x, y = applied_rates_model(6)
    inner = tiny_model(features=6)
    refused = []

    class NestedFit(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            try:
                inner.fit(x, y, epochs=1, verbose=0, callbacks=[clr])
            except ValueError as error:
                refused.append(str(error))

    outer.fit(x, y, batch_size=1, epochs=2, shuffle=False, verbose=0,
              callbacks=[clr, NestedFit()])
    assert len(refused) == 2 and "already in a running fit() of another model" in refused[0]
    assert len(clr.history) == 12 == int(outer.optimizer.iterations.numpy())
    np.testing.assert_allclose(clr.history["lr"], kerasclr.clr_schedule(range(12), step_size=4),
                               rtol=1e-6)


# -- a checkpoint older than the callback state -----------------------------------------------
RESUME_FROM_OLDER_CHECKPOINT = """
import json, sys
sys.path.insert(0, {here!r})
import keras, kerasclr
import test_state as t
model = t.momentum_model()
clr = kerasclr.CyclicLR(verbose=0, **t.CASES["plateau"]["args"]).load({state!r})
t.train(model, clr, t.CASES["plateau"], 0, t.EPOCHS,
        extra=[keras.callbacks.BackupAndRestore({backup!r})])
print("RESULTS=" + json.dumps(t.tables(clr, model)))
"""


def test_state_saved_after_the_last_checkpoint_resumes_exactly(tmp_path):
    import test_state as t

    case = t.CASES["plateau"]
    model = t.momentum_model()
    clr = kerasclr.CyclicLR(verbose=0, **case["args"])
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    try:
        t.train(model, clr, case, 0, t.EPOCHS, extra=[backup], after=[t.StopAt(2, 3)])
    except RuntimeError:
        pass
    finally:
        clr.save(tmp_path / "clr.json")  # at step 2 * 8 + 4: after the checkpoint
    assert kerasclr.CyclicLR(verbose=0, **case["args"]).load(
        tmp_path / "clr.json").optimizer_step == 20
    code = RESUME_FROM_OLDER_CHECKPOINT.format(here=str(HERE), state=str(tmp_path / "clr.json"),
                                               backup=str(tmp_path / "backup"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"), timeout=300,
                          cwd=str(HERE))
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULTS=")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    t.assert_same_run(json.loads(lines[-1][len("RESULTS="):]), t.uninterrupted(case))


def test_state_older_than_the_model_is_refused():
    clr = kerasclr.CyclicLR(step_size=4, verbose=0)
    model, x, y = applied_rates_model(8)
    fit_epochs(model, x, y, clr, 1)
    state = clr.get_state()
    fit_epochs(model, x, y, clr, 1)  # the model moves on; the state stays at step 8
    old = kerasclr.CyclicLR(step_size=4, verbose=0)
    old.set_state(state)
    with pytest.raises(ValueError, match=r"the model's optimizer is at step 16, but the "
                                         r"callback's state is at step 8"):
        fit_epochs(model, x, y, old, 1)
    assert math.isclose(len(old.history), 8)
