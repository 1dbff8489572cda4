"""lr_range_test() takes what fit() takes, and costs what its steps cost.

- Data: the same batches given as arrays, a tf.data.Dataset, a
  keras.utils.PyDataset or a generator give the same test; data that runs
  out and combinations that cannot work raise errors in both wordings.
- Cost: the loss of every step is recorded inside the train step and read
  every few steps; the test's result does not depend on how often it is
  read, and no call retraces the train function.
"""

import math

import keras
import numpy as np
import pytest

import kerasclr
from conftest import regression_data, tiny_model
from fit_helpers import BACKEND, RANGE_TEST_ARGS, range_test_setup, variable_values
from kerasclr import _r

ARGS = {k: v for k, v in RANGE_TEST_ARGS.items() if k not in ("batch_size", "shuffle")}
BATCH = RANGE_TEST_ARGS["batch_size"]


def batches(x, y):
    return [(x[i:i + BATCH], y[i:i + BATCH]) for i in range(0, len(x), BATCH)]


class Batches(keras.utils.PyDataset):
    def __init__(self, x, y, endless=False):
        super().__init__()
        self.items = batches(x, y)
        self.endless = endless

    @property
    def num_batches(self):
        return None if self.endless else len(self.items)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index % len(self.items)]


def endless_generator(x, y):
    items = batches(x, y)
    while True:
        yield from items


def tf_dataset(x, y, repeat=False):
    tf = pytest.importorskip("tensorflow")
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH)
    return dataset.repeat() if repeat else dataset


def run(make_data, **kwargs):
    model, x, y = range_test_setup()
    data = make_data(x, y)
    before = variable_values(model)
    result = kerasclr.lr_range_test(model, *data, **ARGS, **kwargs)
    for a, b in zip(before, variable_values(model)):
        np.testing.assert_array_equal(a, b)
    return result


@pytest.fixture(scope="module")
def from_arrays():
    result = run(lambda x, y: (x, y), batch_size=BATCH, shuffle=False)
    assert result.stop_reason == "diverged" and result.suggestion is not None
    # 256 rows in batches of 16: the test passes over the data several times
    assert len(result.history) > 256 // BATCH
    return result


@pytest.mark.parametrize("kind", ["tf.data", "tf.data repeated", "PyDataset",
                                  "endless PyDataset", "generator"])
def test_every_kind_of_data_gives_the_test_of_the_same_arrays(kind, from_arrays):
    make = {
        "tf.data": lambda x, y: (tf_dataset(x, y),),
        "tf.data repeated": lambda x, y: (tf_dataset(x, y, repeat=True),),
        "PyDataset": lambda x, y: (Batches(x, y),),
        "endless PyDataset": lambda x, y: (Batches(x, y, endless=True),),
        "generator": lambda x, y: (endless_generator(x, y),),
    }[kind]
    result = run(make, shuffle=False)  # shuffle=True would shuffle PyDataset batches
    assert result.stop_reason == from_arrays.stop_reason
    assert result.suggestion == from_arrays.suggestion
    np.testing.assert_array_equal(result.history["lr"], from_arrays.history["lr"])
    np.testing.assert_allclose(result.history["loss"], from_arrays.history["loss"],
                               rtol=1e-6)


def test_validation_steps_do_not_enter_the_test(from_arrays):
    x, y = regression_data(64, seed=3)
    result = run(lambda a, b: (a, b), batch_size=BATCH, shuffle=False,
                 validation_data=(x, y))
    np.testing.assert_array_equal(result.history["loss"], from_arrays.history["loss"])


def test_data_that_runs_out_is_an_error_and_the_model_is_restored():
    model, x, y = range_test_setup()
    before = variable_values(model)

    def finite():
        yield from batches(x, y)  # 16 batches, the test needs more

    with pytest.raises(kerasclr.KerasclrError) as info:
        kerasclr.lr_range_test(model, finite(), min_lr=1e-4, max_lr=1e-3, steps=40)
    assert str(info.value) == (
        "`x` ran out of batches after 16 of the 40 steps of the range test: pass data "
        "that repeats (e.g. `dataset.repeat()`) or fewer `steps`.")
    assert info.value.r_message == (
        "`x` ran out of batches after 16 of the 40 steps of the range test: pass a "
        "dataset that repeats (e.g. `dataset_repeat(dataset)`) or fewer `steps`.")
    for a, b in zip(before, variable_values(model)):
        np.testing.assert_array_equal(a, b)


def r_error(**kwargs):
    """The fields the R package gets for lr_range_test(**kwargs)."""
    ok, fields = _r.call(kerasclr.lr_range_test, kwargs=kwargs)
    assert not ok
    return fields


def test_combinations_that_cannot_work_are_refused_in_both_wordings():
    x, y = regression_data(32)
    dataset = tf_dataset(x, y)
    with pytest.raises(kerasclr.ArgumentError) as info:
        kerasclr.lr_range_test(tiny_model(), dataset, y)
    assert str(info.value) == ("`y` must be None when `x` is a tf.data.Dataset (it "
                               "yields the targets), got an object of type ndarray.")
    fields = r_error(model=tiny_model(), x=dataset, y=y)
    assert (fields["kind"], fields["argument"]) == ("argument", "y")
    assert fields["r_message"].startswith(
        "`y` must be NULL when `x` is a dataset (it yields the targets), not ")

    with pytest.raises(kerasclr.ArgumentError) as info:
        kerasclr.lr_range_test(tiny_model(), dataset, batch_size=16)
    assert str(info.value) == ("`batch_size` must be None when `x` is a "
                               "tf.data.Dataset (its batches are used), got 16.")
    fields = r_error(model=tiny_model(), x=dataset, batch_size=16)
    assert fields["r_message"] == ("`batch_size` must be NULL when `x` is a dataset (its "
                                   "batches are used), not 16.")

    with pytest.raises(kerasclr.ArgumentError) as info:
        kerasclr.lr_range_test(tiny_model(), "data.csv")
    assert str(info.value) == (
        "`x` must be an array (or a list/dict of arrays), a tf.data.Dataset, a "
        "keras.utils.PyDataset, a torch DataLoader or a generator, got an object of "
        "type str.")
    fields = r_error(model=tiny_model(), x="data.csv")
    assert fields["r_expected"] == ("a matrix or an array (or a list of them), or a "
                                    "TensorFlow dataset (tfdatasets)")
    assert fields["whole_value"] is True


def test_no_r_wording_names_a_python_only_class():
    x, y = regression_data(32)
    cases = [dict(x="data.csv"), dict(x=tf_dataset(x, y), y=y),
             dict(x=tf_dataset(x, y), batch_size=16), dict(x=x[:0], y=y[:0]),
             dict(x=tf_dataset(x, y).take(0))]
    for kwargs in cases:
        message = r_error(model=tiny_model(), **kwargs)["r_message"]
        for python_only in ("LRFinder", "PyDataset", "tf.data", "DataLoader", "None",
                            "True", "False"):
            assert python_only not in message, (kwargs, message)


# -- what a test costs -----------------------------------------------------------------
@pytest.mark.parametrize("seconds", [0.0, 1e9])
def test_reading_the_losses_in_the_background_gives_the_same_test(seconds):
    """LRFinder in a user's fit(): with exact_stop=False training runs on for
    a few steps after the test ended; the recorded test is the same. Read at
    every step (seconds=0: each read is taken one step later) or only at
    epoch ends (1e9)."""
    finders, steps = [], []
    for exact in (True, False):
        model, x, y = range_test_setup()
        finder = kerasclr.LRFinder(1e-4, 10.0, steps_per_epoch=120, beta=0.9,
                                   exact_stop=exact)
        finder.check_seconds = seconds
        model.fit(x, y, batch_size=BATCH, epochs=8, shuffle=False, verbose=0,
                  callbacks=[finder])
        finders.append(finder)
        steps.append(int(model.optimizer.iterations.numpy()) - 2)  # 2 warm-up steps
    exact, background = finders
    assert exact.stop_reason == background.stop_reason == "diverged"
    np.testing.assert_array_equal(background.history.to_numpy(),
                                  exact.history.to_numpy())
    assert steps[0] == len(exact.history)
    if seconds == 0.0:  # seen two reads (steps) later, the hook running late
        assert len(exact.history) < steps[1] <= len(exact.history) + 3
    else:  # seen at the end of the epoch the test ended in
        per_epoch = len(x) // BATCH
        assert steps[1] == math.ceil(len(exact.history) / per_epoch) * per_epoch


def test_background_reads_balance_read_cost_and_steps_run_in_vain():
    finder = kerasclr.LRFinder(1e-4, 1.0, steps_per_epoch=10, exact_stop=False)
    finder._started_at, finder._read_cost = 100.0, 2e-3
    assert finder._read_interval(100.0 + 50.0) == pytest.approx(math.sqrt(2e-3 * 50 / 2))
    assert finder._read_interval(100.0) == 1e-3                # at least 1 ms
    assert finder._read_interval(100.0 + 1e6) == 1.0           # at most 1 s
    finder.check_seconds = 0.25
    assert finder._read_interval(150.0) == 0.25


@pytest.mark.skipif(BACKEND == "torch", reason="PyTorch runs the train step eagerly")
def test_no_call_retraces_the_train_function():
    x, y = regression_data(64)
    model = tiny_model()
    traces = []
    original = model.train_step

    def counted(*args):
        traces.append(1)
        return original(*args)

    model.__dict__["train_step"] = counted  # what Keras builds its functions from
    for _ in range(3):
        model.fit(x, y, batch_size=16, epochs=1, verbose=0)
        plain = model.train_function
        kerasclr.lr_range_test(model, x, y, min_lr=1e-4, max_lr=1e-2, steps=10,
                               batch_size=16)
        assert model.train_function is plain  # the model's own one, put back
        model.fit(x, y, batch_size=16, epochs=1, verbose=0,
                  callbacks=[kerasclr.CyclicLR(1e-3, 6e-3, 4)])
    # One trace each: the plain train step, the CyclicLR one, the range test one.
    assert len(traces) == 3


def test_the_loss_of_a_step_is_exact_with_unequal_batches():
    # 40 rows: batches of 16, 16 and 8, across 2 epochs.
    x, y = regression_data(40)
    model = tiny_model()
    kernel, bias = (v.numpy() for v in model.layers[0].weights)
    finder = kerasclr.LRFinder(1e-12, 1e-11, steps_per_epoch=3, epochs=2,
                               diverge_threshold=None, exact_stop=False)
    finder.check_seconds = 0.0  # read at every step
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0, callbacks=[finder])
    want = [float(np.mean((x[s] @ kernel + bias - y[s]) ** 2))
            for s in (slice(0, 16), slice(16, 32), slice(32, 40))]
    np.testing.assert_allclose(finder.history["loss"], want * 2, rtol=1e-5)
    assert finder.stop_reason == "completed"


def test_a_non_finite_loss_ends_the_test_where_it_happened():
    model, x, y = range_test_setup()
    result = kerasclr.lr_range_test(model, x, y, min_lr=1.0, max_lr=1e12, steps=60,
                                    batch_size=BATCH, diverge_threshold=None)
    assert result.stop_reason == "non_finite_loss"
    losses = result.history["loss"].to_numpy()
    assert not math.isfinite(losses[-1]) and np.all(np.isfinite(losses[:-1]))
