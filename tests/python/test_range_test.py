"""LRFinder and lr_range_test() in real fit() calls (any backend)."""

import math

import keras
import numpy as np
import pytest

import kerasclr
from conftest import applied_rates_model, regression_data, tiny_model
from fit_helpers import AppliedRates
from kerasclr.replay import _ReplayModel


def drive(finder, losses, steps_per_epoch=None):
    """Feed known per-batch losses to a finder through the Keras hooks."""
    model = _ReplayModel(0)
    finder.set_model(model)
    finder.set_params({"epochs": 1, "steps": steps_per_epoch or len(losses),
                       "verbose": 0})
    finder.on_train_begin()
    finder.on_epoch_begin(0)
    for batch, loss in enumerate(losses):
        model.optimizer.iterations.assign_add(1)
        finder.on_train_batch_end(batch, {"loss": loss})
        if model.stop_training:
            break
    finder.on_epoch_end(0, {})
    finder.on_train_end()
    return finder


# -- stop rules (known losses) -----------------------------------------------------
def test_divergence_with_negative_losses_uses_best_plus_margin():
    finder = kerasclr.LRFinder(1e-3, 1.0, steps_per_epoch=10, beta=0.0,
                               diverge_threshold=2.0)
    drive(finder, [-10.0, -12.0, -11.0, -6.0, 1.0, 5.0, 7.0])
    # best -12, limit -12 + (2 - 1) * 12 = 0: step 4 (loss 1.0) stops the test
    assert finder.stop_reason == "diverged"
    np.testing.assert_array_equal(finder.history["loss"], [-10, -12, -11, -6, 1])
    np.testing.assert_array_equal(finder.history["iteration"], np.arange(5))


def test_non_finite_loss_ends_the_test_and_is_kept_in_the_history():
    finder = kerasclr.LRFinder(1e-3, 1.0, steps_per_epoch=10, beta=0.5)
    drive(finder, [1.0, 0.5, math.nan, 0.1])
    assert finder.stop_reason == "non_finite_loss"
    history = finder.history
    assert list(history.columns) == ["iteration", "epoch", "lr", "loss",
                                     "smoothed_loss"]
    assert len(history) == 3 and np.isnan(history["loss"].iloc[2])
    np.testing.assert_allclose(history["smoothed_loss"].iloc[:2],
                               kerasclr.smooth_losses([1.0, 0.5], beta=0.5))


def test_the_sweep_ends_the_test():
    finder = kerasclr.LRFinder(1e-3, 1.0, steps_per_epoch=4, beta=0.0,
                               diverge_threshold=None)
    drive(finder, [4.0, 3.0, 100.0, 200.0, 1.0, 1.0], steps_per_epoch=6)
    assert finder.stop_reason == "completed"
    np.testing.assert_allclose(finder.history["lr"], [1e-3, 1e-2, 1e-1, 1.0],
                               rtol=1e-6)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(min_lr=0.1, max_lr=0.1), ValueError,
     "`min_lr` must be < `max_lr`, got min_lr=0.1 and max_lr=0.1."),
    (dict(min_lr=0.0), ValueError, "`min_lr` must be > 0, got 0.0."),
    (dict(steps_per_epoch=1, epochs=1), ValueError,
     "A range test needs >= 2 steps: `steps_per_epoch` * `epochs` is 1."),
    (dict(steps_per_epoch=0), ValueError, "`steps_per_epoch` must be >= 1, got 0.0."),
    (dict(beta=-0.1), ValueError, "`beta` must be >= 0, got -0.1."),
    (dict(diverge_threshold=1.0), ValueError, "`diverge_threshold` must be > 1, got 1.0."),
    (dict(sweep="log"), ValueError,
     "`sweep` must be one of 'exponential', 'linear', got 'log'."),
    (dict(exact_stop=1), ValueError, "`exact_stop` must be True or False, got 1."),
])
def test_finder_arguments_are_checked(kwargs, error, message):
    with pytest.raises(error) as info:
        kerasclr.LRFinder(**kwargs)
    assert str(info.value) == message


def test_finder_config_round_trips():
    finder = kerasclr.LRFinder(1e-5, 0.5, steps_per_epoch=7, epochs=3,
                               sweep="linear", beta=0.9, diverge_threshold=5)
    again = kerasclr.LRFinder(**finder.get_config())
    assert again.get_config() == finder.get_config()
    np.testing.assert_array_equal(again._rates, finder._rates)


# -- real fit() -----------------------------------------------------------------
@pytest.mark.parametrize("sweep", ["exponential", "linear"])
def test_rates_are_exact_per_step_over_two_epochs(sweep):
    model, x, y = applied_rates_model(6)
    finder = kerasclr.LRFinder(1e-3, 0.5, steps_per_epoch=6, epochs=2,
                               sweep=sweep, diverge_threshold=None)
    probe = AppliedRates()
    model.fit(x, y, batch_size=1, epochs=2, shuffle=False, verbose=0,
              callbacks=[finder, probe])
    expected = kerasclr.sweep_lrs(1e-3, 0.5, 12, sweep).astype(np.float32)
    np.testing.assert_allclose(probe.rates, expected, rtol=1e-6, atol=0)
    np.testing.assert_allclose(finder.history["lr"], expected, rtol=1e-6, atol=0)
    np.testing.assert_array_equal(finder.history["epoch"], [1] * 6 + [2] * 6)
    assert finder.stop_reason == "completed"


def test_per_step_loss_is_recovered_from_the_running_mean():
    # 40 rows, batches of 16, 16 and 8; rates so small the weights stay put.
    x, y = regression_data(40)
    model = tiny_model()
    kernel, bias = (v.numpy() for v in model.layers[0].weights)
    finder = kerasclr.LRFinder(1e-12, 1e-11, steps_per_epoch=3, epochs=2,
                               diverge_threshold=None)
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0,
                        callbacks=[finder])
    batches = [slice(0, 16), slice(16, 32), slice(32, 40)]
    want = [float(np.mean((x[s] @ kernel + bias - y[s]) ** 2)) for s in batches]
    np.testing.assert_allclose(finder.history["loss"], want * 2, rtol=1e-5)
    epoch_mean = np.average(finder.history["loss"][:3], weights=[16, 16, 8])
    np.testing.assert_allclose(epoch_mean, history.history["loss"][0], rtol=1e-5)


def test_range_test_on_a_small_model_falls_then_diverges_and_stops_early():
    x, y = regression_data(256)
    model = tiny_model()
    keras.utils.set_random_seed(1)
    result = kerasclr.lr_range_test(model, x, y, min_lr=1e-4, max_lr=10.0,
                                    steps=120, batch_size=16, beta=0.9)
    history = result.history
    assert list(history.columns) == ["iteration", "lr", "loss", "smoothed_loss"]
    assert result.stop_reason in ("diverged", "non_finite_loss")
    assert 60 < len(history) < 120
    smoothed = history["smoothed_loss"].to_numpy()
    assert np.nanmin(smoothed) < 0.05 * smoothed[0]     # it fell ...
    assert smoothed[-1] > 4 * np.nanmin(smoothed)      # ... then diverged
    np.testing.assert_allclose(history["lr"],
                               kerasclr.sweep_lrs(1e-4, 10.0, 120)[:len(history)],
                               rtol=1e-6)
    band = result.suggestion
    assert set(band) == {"base_lr", "max_lr"} and result.method == "fall"
    assert 1e-4 < band["base_lr"] < band["max_lr"] < history["lr"].iloc[-1]
    assert band == kerasclr.suggest_lr_band(history["lr"], smoothed)
    assert result.suggest("minimum")["max_lr"] == \
        history["lr"].iloc[int(np.nanargmin(smoothed))] / 10
    clr = kerasclr.CyclicLR(**result.suggestion, step_size=32, verbose=0)
    assert (clr.base_lr, clr.max_lr) == (band["base_lr"], band["max_lr"])


def _state(model):
    return ([v.numpy().copy() for v in model.variables],
            [v.numpy().copy() for v in model.optimizer.variables])


def _assert_same_state(a, b):
    for left, right in zip(a, b):
        assert len(left) == len(right)
        for u, v in zip(left, right):
            np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("trained_before", [False, True])
def test_weights_and_optimizer_state_are_restored_exactly(trained_before):
    x, y = regression_data(64)
    optimizer = lambda: keras.optimizers.SGD(0.01, momentum=0.9)  # noqa: E731
    model = tiny_model(optimizer=optimizer())
    control = tiny_model(optimizer=optimizer())
    if trained_before:
        for m in (model, control):
            m.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    before = _state(model)
    variables_before = list(model.optimizer.variables)
    result = kerasclr.lr_range_test(model, x, y, min_lr=1e-3, max_lr=100.0,
                                    steps=40, batch_size=16, shuffle=False)
    assert result.stop_reason in ("diverged", "non_finite_loss")
    after = _state(model)
    if trained_before:
        _assert_same_state(before, after)
        assert [id(v) for v in model.optimizer.variables] == \
            [id(v) for v in variables_before]
    assert isinstance(model.optimizer._learning_rate, keras.Variable)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    # Training on continues exactly as if the test had never run.
    for m in (model, control):
        m.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    _assert_same_state(_state(model), _state(control))
    model.optimizer.learning_rate = 0.02  # still a settable float rate


def test_restore_weights_false_keeps_the_trained_model():
    x, y = regression_data(64)
    model = tiny_model()
    before = [v.numpy().copy() for v in model.trainable_variables]
    kerasclr.lr_range_test(model, x, y, min_lr=1e-3, max_lr=0.1, steps=8,
                           batch_size=16, restore_weights=False)
    after = [v.numpy() for v in model.trainable_variables]
    assert not np.array_equal(before[0], after[0])
    assert int(model.optimizer.iterations.numpy()) == 8


def test_plot_shades_the_suggested_band():
    import matplotlib.pyplot as plt

    x, y = regression_data(256)
    model = tiny_model()
    keras.utils.set_random_seed(1)
    result = kerasclr.lr_range_test(model, x, y, min_lr=1e-4, max_lr=10.0,
                                    steps=60, batch_size=16, beta=0.8)
    ax = result.plot()
    assert ax.get_xscale() == "log"
    spans = [p for p in ax.patches]
    assert len(spans) == 1
    span = spans[0]
    if hasattr(span, "get_width"):  # matplotlib >= 3.9: a Rectangle
        xs = [span.get_x(), span.get_x() + span.get_width()]
    else:
        xs = np.asarray(span.get_xy())[:, 0]
    assert min(xs) == pytest.approx(result.suggestion["base_lr"])
    assert max(xs) == pytest.approx(result.suggestion["max_lr"])
    assert [line.get_label() for line in ax.get_lines()] == ["loss", "smoothed loss"]
    assert ax.get_ylim() == pytest.approx(
        kerasclr.suggest.loss_plot_limits(result.history["smoothed_loss"]))
    plt.close(ax.figure)


# -- bad input ------------------------------------------------------------------------
def test_uncompiled_model_is_rejected():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    x, y = regression_data(8)
    with pytest.raises(ValueError, match=r"`model` must be compiled before "
                                         r"lr_range_test\(\): call `model.compile"):
        kerasclr.lr_range_test(model, x, y)


@pytest.mark.parametrize("kwargs, message", [
    (dict(min_lr=1.0, max_lr=0.1),
     "`min_lr` must be < `max_lr`, got min_lr=1.0 and max_lr=0.1."),
    (dict(min_lr=-1.0), "`min_lr` must be > 0, got -1.0."),
    (dict(max_lr=0.0), "`max_lr` must be > 0, got 0.0."),
    (dict(steps=1), "`steps` must be >= 2, got 1.0."),
    (dict(batch_size=0), "`batch_size` must be >= 1, got 0.0."),
    (dict(method="best"), "`method` must be one of 'fall', 'steepest', "
                          "'minimum', 'valley', got 'best'."),
    (dict(epochs=3), "lr_range_test() sets `epochs` itself; do not pass it."),
])
def test_range_test_arguments_are_checked(kwargs, message):
    x, y = regression_data(8)
    with pytest.raises(ValueError) as info:
        kerasclr.lr_range_test(tiny_model(), x, y, **kwargs)
    assert str(info.value) == message


@pytest.mark.skipif(keras.backend.backend() == "torch",
                    reason="PyTorch has no steps_per_execution > 1")
def test_steps_per_execution_above_one_runs_when_the_weights_are_restored():
    x, y = regression_data(256)
    results = []
    for spe in (1, 4):
        model = tiny_model(steps_per_execution=spe)
        model.fit(x[:32], y[:32], batch_size=16, epochs=1, shuffle=False, verbose=0)
        before = _state(model)
        results.append(kerasclr.lr_range_test(model, x, y, min_lr=1e-4, max_lr=10.0,
                                              steps=120, batch_size=16, beta=0.9,
                                              shuffle=False))
        _assert_same_state(before, _state(model))
    one, four = results
    assert four.stop_reason == one.stop_reason == "diverged"
    assert four.suggestion == one.suggestion
    np.testing.assert_array_equal(four.history["loss"], one.history["loss"])


@pytest.mark.skipif(keras.backend.backend() == "torch",
                    reason="PyTorch has no steps_per_execution > 1")
def test_steps_per_execution_above_one_is_refused_without_restoring():
    x, y = regression_data(32)
    model = tiny_model(steps_per_execution=2)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    before = _state(model)
    with pytest.raises(kerasclr.KerasclrError) as info:
        kerasclr.lr_range_test(model, x, y, steps=4, batch_size=16,
                               restore_weights=False)
    assert str(info.value) == (
        "LRFinder with `exact_stop=True` stops training right after the step that ends "
        "the test, which needs a model compiled with `steps_per_execution=1` (got 2). "
        "Compile it so, or pass `exact_stop=False` (training then runs on briefly after "
        "the end of the test).")
    assert info.value.r_message == (
        "lr_range_test(restore_weights = FALSE) stops training right after the step "
        "that ends the test, which needs a model compiled with `steps_per_execution = 1` "
        "(got 2). Compile it so, or use `restore_weights = TRUE`.")
    _assert_same_state(before, _state(model))


def test_no_suggestion_when_the_loss_never_falls():
    model, x, y = applied_rates_model(6)  # the loss is 0 at every step
    with pytest.warns(UserWarning, match="no suggestion: The loss never falls"):
        result = kerasclr.lr_range_test(model, x, y, min_lr=1e-3, max_lr=1e-2,
                                        steps=6, batch_size=1, shuffle=False)
    assert result.suggestion is None and len(result.history) == 6
    assert result.suggestion_error.startswith("The loss never falls")
