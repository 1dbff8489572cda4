"""CyclicLR in real `fit()` calls: the rate the optimizer applied, batch by batch."""

import math
import os

import keras
import numpy as np
import pytest
from keras.src.callbacks import callback_list

import kerasclr
from conftest import (
    GOLDEN,
    applied_rates_model,
    assert_table_equal,
    golden_args,
)
from fit_helpers import (
    BACKEND,
    AppliedRates,
    ResetAt,
    fit_epochs,
    run_case_in_fit,
    without_loss,
)

WORKED = [0.001, 0.0018333333, 0.0026666667, 0.0035, 0.0043333333,
          0.0051666667, 0.006, 0.0051666667, 0.0043333333, 0.0035,
          0.0026666667, 0.0018333333, 0.001, 0.0018333333]

needs_steps_per_execution = pytest.mark.skipif(
    BACKEND == "torch",
    reason="Keras's PyTorch backend rejects steps_per_execution > 1 itself "
           "(ValueError in make_train_function)")


def golden_case(name):
    return next(c for c in GOLDEN["cases"] if c["name"] == name)


def test_worked_example_in_fit():
    clr = kerasclr.CyclicLR(step_size=6, verbose=0)
    model, x, y = applied_rates_model(13)
    probe = AppliedRates()
    fit_epochs(model, x, y, clr, 2, probe=probe)
    np.testing.assert_allclose(probe.rates[:14], WORKED, rtol=1e-6)
    history = clr.history
    assert list(history.columns) == ["iteration", "epoch", "lr", "base_lr", "max_lr"]
    assert history["iteration"].tolist() == list(range(26))
    assert history["epoch"].tolist() == [1] * 13 + [2] * 13
    np.testing.assert_allclose(history["lr"], probe.rates, rtol=1e-6, atol=0)
    assert (history["base_lr"] == 0.001).all() and (history["max_lr"] == 0.006).all()
    assert clr.trn_iterations == 26 and clr.epochs_done == 2


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: c["name"])
def test_golden_case_in_fit(case):
    """Every mode, custom scale_fn, reset between fits, second fit, plateau."""
    clr = kerasclr.CyclicLR(verbose=0, **golden_args(case["args"]))
    applied = run_case_in_fit(case, clr)
    assert_table_equal(clr.history, case["history"])
    np.testing.assert_allclose(applied, case["history"]["lr"], rtol=1e-6, atol=0)
    epoch = clr.history_epoch
    assert epoch.columns[0] == "loss"
    assert_table_equal(without_loss(epoch), case["history_epoch"])


@needs_steps_per_execution
@pytest.mark.parametrize("steps_per_execution", [8, 3])
def test_steps_per_execution_matches_single_steps(steps_per_execution):
    case = golden_case("plateau_keep_base")  # 4 steps per epoch, band changes
    base = kerasclr.CyclicLR(verbose=0, **golden_args(case["args"]))
    many = kerasclr.CyclicLR(verbose=0, **golden_args(case["args"]))
    one = run_case_in_fit(case, base, steps_per_execution=1)
    several = run_case_in_fit(case, many, steps_per_execution=steps_per_execution)
    np.testing.assert_array_equal(several, one)
    np.testing.assert_allclose(several, case["history"]["lr"], rtol=1e-6, atol=0)
    assert_table_equal(many.history, case["history"])
    assert_table_equal(without_loss(many.history_epoch), case["history_epoch"])


@needs_steps_per_execution
def test_steps_per_execution_not_dividing_the_epoch():
    # 13 batches per epoch in executions of 8: 8 + 5, exact at every step.
    case = golden_case("exp_range_demo")
    clr = kerasclr.CyclicLR(verbose=0, **golden_args(case["args"]))
    applied = run_case_in_fit(case, clr, steps_per_execution=8)
    np.testing.assert_allclose(applied, case["history"]["lr"], rtol=1e-6, atol=0)
    assert_table_equal(clr.history, case["history"])


@pytest.mark.skipif(BACKEND == "torch" and not os.environ.get("KERASCLR_SLOW_TESTS"),
                    reason="jit_compile=True means torch.compile on PyTorch: ~25 s "
                           "on this CPU; set KERASCLR_SLOW_TESTS=1 to run it")
def test_jit_compile():
    case = golden_case("plateau_two_fits")
    clr = kerasclr.CyclicLR(verbose=0, **golden_args(case["args"]))
    spe = 1 if BACKEND == "torch" else 4
    applied = run_case_in_fit(case, clr, steps_per_execution=spe, jit_compile=True)
    np.testing.assert_allclose(applied, case["history"]["lr"], rtol=1e-6, atol=0)
    assert_table_equal(clr.history, case["history"])
    assert_table_equal(without_loss(clr.history_epoch), case["history_epoch"])


PLATEAU_LOSSES = [3.0, 2.5, 2.6, 2.7, 2.8, 2.9, 2.4, 2.5, 2.6, 2.7]


def plateau_clr():
    return kerasclr.CyclicLR(base_lr=0.01, max_lr=0.05, step_size=4, patience=1,
                             factor=0.5, cooldown=1, verbose=0)


def test_two_fits_equal_one_fit():
    single, model1_x_y = plateau_clr(), applied_rates_model(7)
    probe1 = AppliedRates()
    fit_epochs(*model1_x_y, single, 10, PLATEAU_LOSSES, probe1)

    split = plateau_clr()
    model, x, y = applied_rates_model(7)
    probe2 = AppliedRates()
    fit_epochs(model, x, y, split, 5, PLATEAU_LOSSES[:5], probe2)
    fit_epochs(model, x, y, split, 5, PLATEAU_LOSSES[5:], probe2)

    np.testing.assert_array_equal(probe2.rates, probe1.rates)
    np.testing.assert_allclose(single.history["lr"], probe1.rates, rtol=1e-6)
    for a, b in [(single.history, split.history),
                 (single.history_epoch.drop(columns="loss"),
                  split.history_epoch.drop(columns="loss"))]:
        assert list(a.columns) == list(b.columns)
        np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-12)
    # The band did shrink in the first half, so the lr after the break matters.
    assert split.history_epoch["base_lr"].iloc[4] < 0.01


@pytest.mark.parametrize("steps_per_execution", [
    1, pytest.param(4, marks=needs_steps_per_execution)])
def test_reset_during_fit(steps_per_execution):
    # Reset before batch 4 of epoch 2 (iteration 17 has run: 13 + 4 batches);
    # with 4 steps per execution, batch 4 starts an execution.
    clr = kerasclr.CyclicLR(step_size=6, verbose=0)
    model, x, y = applied_rates_model(13, steps_per_execution=steps_per_execution)
    probe = AppliedRates()
    resetter = ResetAt(clr, 1, 4, new_base_lr=0.0005, new_max_lr=0.003,
                       new_step_size=4)
    fit_epochs(model, x, y, clr, 3, probe=probe, extra=[resetter])
    first = kerasclr.clr_schedule(range(17), step_size=6)
    after = kerasclr.clr_schedule(range(39 - 17), base_lr=0.0005, max_lr=0.003,
                                  step_size=4)
    expected = np.concatenate([first, after])
    np.testing.assert_allclose(probe.rates, expected, rtol=1e-6, atol=0)
    history = clr.history
    np.testing.assert_allclose(history["lr"], expected, rtol=1e-6, atol=0)
    assert history["iteration"].tolist() == list(range(39))
    np.testing.assert_allclose(history["base_lr"], [0.001] * 17 + [0.0005] * 22)
    np.testing.assert_allclose(history["max_lr"], [0.006] * 17 + [0.003] * 22)
    assert clr.clr_iterations == 22 and clr.trn_iterations == 39
    np.testing.assert_allclose(clr.history_epoch["lr"], expected[[13, 26]].tolist()
                               + [kerasclr.clr_schedule([22], base_lr=0.0005,
                                                        max_lr=0.003, step_size=4)[0]],
                               rtol=1e-6)


def test_reset_alias_and_counters():
    clr = kerasclr.CyclicLR(step_size=6, verbose=0)
    assert clr._reset.__func__ is kerasclr.CyclicLR.reset
    model, x, y = applied_rates_model(13)
    fit_epochs(model, x, y, clr, 1)
    clr.not_improved_for_n_times = 3
    clr._reset(new_max_lr=0.01)
    assert (clr.clr_iterations, clr.not_improved_for_n_times) == (0, 0)
    assert clr.trn_iterations == 13
    assert clr.next_lr == pytest.approx(0.001)
    probe = AppliedRates()
    fit_epochs(model, x, y, clr, 1, probe=probe)
    expected = kerasclr.clr_schedule(range(13), max_lr=0.01, step_size=6)
    np.testing.assert_allclose(probe.rates, expected, rtol=1e-6, atol=0)


def test_learning_rate_in_epoch_logs():
    clr = kerasclr.CyclicLR(step_size=6, verbose=0)
    model, x, y = applied_rates_model(13)
    logged = fit_epochs(model, x, y, clr, 3).history["learning_rate"]
    np.testing.assert_allclose(logged, clr.history_epoch["lr"], rtol=1e-12)
    np.testing.assert_allclose(logged, kerasclr.clr_schedule([13, 26, 39], step_size=6),
                               rtol=1e-6)


def test_learning_rate_reaches_csv_logger(tmp_path):
    path = tmp_path / "log.csv"
    clr = kerasclr.CyclicLR(step_size=6, verbose=0)
    model, x, y = applied_rates_model(13)
    fit_epochs(model, x, y, clr, 2, extra=[],
               callbacks_after=[keras.callbacks.CSVLogger(str(path))])
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    assert "learning_rate" in header
    column = [float(line.split(",")[header.index("learning_rate")]) for line in lines[1:]]
    np.testing.assert_allclose(column, clr.history_epoch["lr"], rtol=1e-6)


def test_finite_patience_without_val_loss_keeps_history():
    clr = kerasclr.CyclicLR(step_size=6, patience=2, verbose=0)
    model, x, y = applied_rates_model(13)
    with pytest.raises(ValueError, match=r"`patience` is 2 .*no `val_loss`.*validation"):
        fit_epochs(model, x, y, clr, 3)
    assert len(clr.history) == 13
    np.testing.assert_allclose(clr.history["lr"][:13], WORKED[:13], rtol=1e-6)
    assert clr.epochs_done == 1


def test_verbose_messages(capsys):
    clr = kerasclr.CyclicLR(base_lr=0.01, max_lr=0.05, step_size=4, patience=0,
                            factor=0.5, cooldown=1, verbose=1)
    model, x, y = applied_rates_model(3)
    fit_epochs(model, x, y, clr, 3, [1.0, 2.0, 3.0])
    out = capsys.readouterr().out
    assert "Epoch 2: CyclicLR reducing the band to base_lr=0.005, max_lr=0.025." in out
    assert "Epoch 3: CyclicLR cooling down (0 epoch(s) left)." in out
    quiet = kerasclr.CyclicLR(base_lr=0.01, max_lr=0.05, step_size=4, patience=0,
                              verbose=0)
    fit_epochs(*applied_rates_model(3), quiet, 3, [1.0, 2.0, 3.0])
    assert capsys.readouterr().out == ""


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_unknown_epoch_length_refills_in_batches():
    """Generators without a length: the table is refilled between batches,
    and TensorFlow's extra step-counter increment at the end of the data is
    not a batch (two fits of 1100 batches = 2200 rows, continuing exactly)."""
    clr = kerasclr.CyclicLR(step_size=300, verbose=0)
    steps = 1100  # longer than the 1024-entry table for unknown lengths
    model, _, _ = applied_rates_model(1)

    def data():
        for _ in range(steps):
            yield np.ones((1, 1), "float32"), np.zeros((1, 1), "float32")

    model.fit(data(), epochs=1, verbose=0, callbacks=[clr])
    first = -model.layers[0].kernel.numpy()[0, 0]
    model.fit(data(), epochs=1, verbose=0, callbacks=[clr])
    second = -model.layers[0].kernel.numpy()[0, 0] - first
    expected = kerasclr.clr_schedule(range(2 * steps), step_size=300)
    np.testing.assert_allclose(clr.history["lr"], expected, rtol=1e-6, atol=0)
    assert clr.history["epoch"].tolist() == [1] * steps + [2] * steps
    # The kernel moved by the sum of the rates of each fit (float32 sums).
    np.testing.assert_allclose([first, second],
                               [expected[:steps].sum(), expected[steps:].sum()],
                               rtol=1e-4)
    assert math.isclose(clr.next_lr, kerasclr.clr_schedule([2 * steps], step_size=300)[0],
                        rel_tol=1e-6)


def test_batch_end_hook_keeps_keras_async_dispatch(monkeypatch):
    # On thread-safe backends Keras dispatches batch-end hooks to a thread
    # unless a callback with such a hook is not `async_safe`; then every
    # batch's logs are turned into floats on the host (a sync per step). Ours
    # must stay async-safe; the range test, which reads every loss, must not.
    monkeypatch.setattr(callback_list.backend, "IS_THREAD_SAFE", True)
    for policy in (kerasclr.CyclicLR(verbose=0), kerasclr.StepDecay()):
        assert keras.callbacks.CallbackList([policy])._async_train, policy
    finder = kerasclr.LRFinder(1e-5, 1.0, steps_per_epoch=10, epochs=1)
    assert not keras.callbacks.CallbackList([finder])._async_train


@pytest.mark.skipif(BACKEND == "tensorflow",
                    reason="TensorFlow reads the step counter at every epoch end "
                           "(its batch-end hooks do not say which step ran)")
def test_epoch_ends_need_no_counter_read_when_batch_hooks_finish_out_of_order(monkeypatch):
    # Keras may finish batch-end hooks out of order (a thread pool). An epoch
    # whose last batch's hook ran is complete whatever order the hooks ran
    # in: its end step is known without reading the step counter (a device
    # sync), and the history is exact.
    steps, epochs = 4, 6
    x = np.ones((steps * 2, 1), "float32")
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01), "mse")
    clr = kerasclr.CyclicLR(base_lr=0.001, max_lr=0.006, step_size=3, verbose=0)
    hook = clr.on_train_batch_end
    held = []

    def in_reverse(batch, logs=None):  # each epoch's hooks, last batch first
        held.append(batch)
        if batch == steps - 1:
            for one in reversed(held):
                hook(one, logs)
            held.clear()

    monkeypatch.setattr(clr, "on_train_batch_end", in_reverse)
    reads = []
    read = clr._read_step
    monkeypatch.setattr(clr, "_read_step", lambda: reads.append(1) or read())
    model.fit(x, x, batch_size=2, epochs=epochs, verbose=0, callbacks=[clr])
    # the origin at train begin, and where the first epoch really begins
    assert len(reads) == 2
    np.testing.assert_allclose(
        clr.history["lr"], kerasclr.clr_schedule(range(steps * epochs), step_size=3),
        rtol=1e-6, atol=0)
    assert clr.history_epoch["epoch"].tolist() == list(range(1, epochs + 1))


def test_fit_keeps_no_extra_reference_to_its_arguments():
    # kerasclr reads fit()'s arguments off its frame. Up to Python 3.12 that
    # read leaves a snapshot of fit()'s locals on the frame, holding them (x,
    # the dataset, the callbacks) until fit() returns and then freeing them in
    # another order: on TensorFlow that made fit()'s end wait 30-150 ms for
    # the dataset's teardown in about half the fits. No snapshot is kept.
    import gc
    import sys

    x, y = np.ones((8, 1), "float32"), np.ones((8, 1), "float32")
    counts = []

    class CountReferences(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 0:
                gc.collect()  # what earlier fits left for the collector (torch)
                counts.append(sys.getrefcount(x))

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01), "mse")
    for callbacks in ([], [kerasclr.CyclicLR(verbose=0)], []):
        model.fit(x, y, batch_size=4, epochs=1, verbose=0,
                  callbacks=callbacks + [CountReferences()])
    assert counts[1] == counts[0] == counts[2], counts


def test_plateau_counters_read_during_fit_are_current():
    # With infinite patience the epoch ends queue their plateau observations;
    # a callback reading the counters (or resetting) mid-fit sees every epoch.
    val_loss = [1.0, 2.0, 0.5, 0.7, 0.8, 0.9, 0.95]

    def expected_counts(values, reset_after):
        best, count, counts = None, 0, []
        for epoch, value in enumerate(values, start=1):
            count = count + 1 if best is not None and value > best else 0
            best = value if best is None else min(best, value)
            counts.append(count)
            if epoch == reset_after:
                count = 0
        return counts

    class Reader(keras.callbacks.Callback):
        def __init__(self, clr):
            super().__init__()
            self.clr, self.seen = clr, []

        def on_epoch_end(self, epoch, logs=None):
            self.seen.append((self.clr.not_improved_for_n_times, self.clr.best))
            if epoch == 3:
                self.clr.reset()

    clr = kerasclr.CyclicLR(step_size=6, verbose=0)
    reader = Reader(clr)
    model, x, y = applied_rates_model(5)
    fit_epochs(model, x, y, clr, len(val_loss), val_loss=val_loss, callbacks_after=[reader],
               validation_data=(x, y))
    counts = expected_counts(val_loss, reset_after=4)
    assert [count for count, _ in reader.seen] == counts
    assert [best for _, best in reader.seen] == list(np.minimum.accumulate(val_loss))
    assert clr.history_epoch["not_improved_for_n_times"].tolist() == counts
    assert clr.not_improved_for_n_times == counts[-1]


class StopAfterBatches(keras.callbacks.Callback):
    """Stops training after ``count`` batches (over the whole fit)."""

    def __init__(self, count):
        super().__init__()
        self.count, self.seen = count, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.count:
            self.model.stop_training = True


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("how", ["stop_training", "data_ran_out", "partial_execution"])
def test_epochs_that_end_early_get_the_rows_of_the_steps_they_ran(how):
    """The end of an epoch is where its steps ended, whether it ran all its
    batches (on JAX and PyTorch then known without reading the step counter),
    was stopped by another callback, ran out of data, or ended with a shorter
    execution of `steps_per_execution` batches."""
    if how == "partial_execution" and BACKEND == "torch":
        pytest.skip("the torch backend refuses steps_per_execution > 1")
    steps = 6
    model, x, y = applied_rates_model(steps, 4 if how == "partial_execution" else 1)
    clr = kerasclr.CyclicLR(step_size=4, verbose=0)
    if how == "stop_training":  # the second epoch stops after its third batch
        history = fit_epochs(model, x, y, clr, 3, extra=[StopAfterBatches(steps + 3)])
        ends = [steps, steps + 3]
    elif how == "data_ran_out":  # ten batches for two epochs of six

        def batches():
            for i in range(10):
                yield x[i % steps:i % steps + 1], y[i % steps:i % steps + 1]

        history = model.fit(batches(), steps_per_epoch=steps, epochs=2, verbose=0,
                            callbacks=[clr])
        ends = [steps, 10]
    else:  # executions of 4 and 2 batches
        history = fit_epochs(model, x, y, clr, 2)
        ends = [steps, 2 * steps]
    assert int(model.optimizer.iterations.numpy()) == ends[-1]
    np.testing.assert_array_equal(clr.history["lr"],
                                  kerasclr.clr_schedule(range(ends[-1]), step_size=4))
    assert clr.history_epoch["epoch"].tolist() == [1, 2]
    expected_epoch_lr = kerasclr.clr_schedule(ends, step_size=4).tolist()
    assert clr.history_epoch["lr"].tolist() == expected_epoch_lr
    assert history.history["learning_rate"] == expected_epoch_lr
    assert clr.next_lr == expected_epoch_lr[-1]
