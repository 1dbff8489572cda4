"""What users ran into when they tried kerasclr on their own: a fit() ended by
someone else's error, copies of callbacks, epoch lengths that do not match
the policy's, and errors that named the wrong thing or came from deep inside."""

import copy
import pickle
import sys
import warnings

import keras
import numpy as np
import pytest

import kerasclr
from conftest import applied_rates, applied_rates_model, regression_data, tiny_model


class StopAtBatch(keras.callbacks.Callback):
    """Raises KeyboardInterrupt (as Ctrl-C does) after batch ``batch``."""

    def __init__(self, batch):
        super().__init__()
        self.batch = batch

    def on_train_batch_end(self, batch, logs=None):
        if batch == self.batch:
            raise KeyboardInterrupt


def interrupted_fit(steps, first_steps, stop_after):
    """An applied-rates model of ``steps`` inputs and a CyclicLR whose fit()
    of the first ``first_steps`` inputs Ctrl-C stops after batch
    ``stop_after``; returns (model, x, y, policy, the kept traceback): a kept
    traceback (a notebook's last error, reticulate's py_last_error()) keeps
    the stopped fit()'s frame, so nothing of it is collected."""
    model, x, y = applied_rates_model(steps)
    clr = kerasclr.CyclicLR(base_lr=0.01, max_lr=0.06, step_size=5, verbose=0)
    kept = None
    try:
        model.fit(x[:first_steps], y[:first_steps], batch_size=1, epochs=1, shuffle=False,
                  verbose=0, callbacks=[clr, StopAtBatch(stop_after)])
    except KeyboardInterrupt:
        kept = sys.exc_info()[2]
    assert kept is not None
    return model, x, y, clr, kept


def test_a_fit_ended_by_another_error_leaves_no_table_for_the_next_plain_fit():
    model, x, y, clr, kept = interrupted_fit(12, 6, stop_after=3)
    first = applied_rates(model)[:4]
    np.testing.assert_allclose(first, [0.01, 0.02, 0.03, 0.04], rtol=1e-6)
    # the next fit() has no kerasclr callback: the rate stays where it was
    model.fit(x[6:], y[6:], batch_size=1, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(applied_rates(model)[6:], [0.05] * 6, rtol=1e-6)
    assert isinstance(model.optimizer.learning_rate, keras.Variable) or \
        keras.backend.backend() == "torch"
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == \
        pytest.approx(0.05)
    # the policy's history holds the 4 steps it ran, not the plain fit's
    np.testing.assert_allclose(clr.history["lr"], [0.01, 0.02, 0.03, 0.04])
    del kept


def test_a_fit_ended_by_another_error_then_the_same_policy_continues():
    model, x, y, clr, kept = interrupted_fit(10, 5, stop_after=1)
    model.fit(x[5:], y[5:], batch_size=1, epochs=1, shuffle=False, verbose=0,
              callbacks=[clr])
    np.testing.assert_allclose(applied_rates(model)[5:], [0.03, 0.04, 0.05, 0.06, 0.05],
                               rtol=1e-6)
    assert list(clr.history["iteration"]) == list(range(7))
    del kept


@pytest.mark.parametrize("make", [
    lambda: kerasclr.CyclicLR(patience=2),
    lambda: kerasclr.OneCycle(0.1, total_steps=20),
    lambda: kerasclr.LRFinder(),
    lambda: kerasclr.Constant(0.1, plateau=kerasclr.Plateau(patience=1)),
    lambda: kerasclr.Sequence([kerasclr.Constant(0.1), kerasclr.CosineDecay(0.1, 5)], [3]),
])
def test_policies_can_be_deep_copied_and_pickled(make):
    # KerasTuner deep-copies the callbacks of every trial
    policy = make()
    for twin in (copy.deepcopy(policy), pickle.loads(pickle.dumps(policy))):
        assert type(twin) is type(policy)
        assert twin.get_config() == policy.get_config()
        if policy.plateau is not None:
            assert twin.plateau is not policy.plateau and twin.plateau.owner is twin


def test_a_copy_of_a_trained_policy_keeps_its_history_and_trains_on():
    model = tiny_model()
    x, y = regression_data(16)
    clr = kerasclr.CyclicLR(step_size=4, verbose=0)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[clr])
    twin = copy.deepcopy(clr)
    assert twin.history.equals(clr.history)
    twin_model = tiny_model()
    twin_model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[twin])
    assert len(twin.history) == 4 and len(clr.history) == 4


def test_monitor_mode_errors_name_monitor_mode():
    with pytest.raises(kerasclr.ArgumentError) as caught:
        kerasclr.CyclicLR(monitor_mode="maximize")
    assert caught.value.argument == "monitor_mode"
    assert str(caught.value) == "`monitor_mode` must be one of 'min', 'max', got 'maximize'."


@pytest.mark.parametrize("iterations, least", [(range(-3, 3), -3.0), (range(5, -2, -1), -1.0)])
def test_negative_iterations_in_a_range_are_refused(iterations, least):
    with pytest.raises(kerasclr.ArgumentError,
                       match=rf"`iterations` must hold whole numbers >= 0, got {least}"):
        kerasclr.clr_schedule(iterations, step_size=2)
    np.testing.assert_array_equal(kerasclr.clr_schedule(range(3), step_size=2),
                                  kerasclr.clr_schedule([0, 1, 2], step_size=2))


def test_a_misspelt_monitor_lists_what_the_logs_hold():
    model = tiny_model()
    x, y = regression_data(16)
    clr = kerasclr.CyclicLR(step_size=4, patience=1, monitor="val_los", verbose=0)
    with pytest.raises(kerasclr.KerasclrError) as caught:
        model.fit(x, y, batch_size=4, epochs=2, verbose=0, validation_data=(x, y),
                  callbacks=[clr])
    assert str(caught.value) == (
        "CyclicLR: the logs of epoch 1 have no `val_los`; `monitor` must name a value "
        "that fit() logs (logged: loss, val_loss).")
    assert len(clr.history) == 4  # kept


def test_the_plateau_hint_names_the_arguments_the_policy_has():
    model = tiny_model()
    x, y = regression_data(16)
    policy = kerasclr.Constant(0.01)
    with pytest.raises(kerasclr.KerasclrError) as caught:
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[policy, keras.callbacks.ReduceLROnPlateau()])
    assert str(caught.value) == (
        "ReduceLROnPlateau and Constant both set the learning rate in this fit(): keep "
        "one of them. For plateau control pass `plateau=kerasclr.Plateau(...)` to Constant.")
    assert caught.value.r_message.endswith(
        "For plateau control pass `plateau = plateau_control(...)` to new_callback_constant().")


@pytest.mark.parametrize("make, what", [
    (lambda: kerasclr.OneCycle(0.05, epochs=2, steps_per_epoch=8, cycle_momentum=False),
     "OneCycle: `steps_per_epoch` is 8 but this fit() runs 4 batches per epoch, so the "
     "cycle (16 steps) does not follow its epochs. Pass steps_per_epoch=4."),
    (lambda: kerasclr.LRFinder(1e-4, 1.0, steps_per_epoch=8, epochs=2),
     "LRFinder: `steps_per_epoch` is 8 but this fit() runs 4 batches per epoch, so the "
     "sweep (16 steps from min_lr to max_lr) does not follow its epochs. Pass "
     "steps_per_epoch=4."),
])
def test_a_policy_warns_when_fit_runs_epochs_of_another_length(make, what):
    model = tiny_model()
    x, y = regression_data(16)
    with pytest.warns(kerasclr.KerasclrWarning) as caught:
        model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[make()])
    assert [str(w.message) for w in caught if w.category is kerasclr.KerasclrWarning] == [what]
    with warnings.catch_warnings():
        warnings.simplefilter("error", kerasclr.KerasclrWarning)
        model.fit(x, y, batch_size=2, epochs=2, verbose=0,
                  callbacks=[kerasclr.OneCycle(0.05, epochs=2, steps_per_epoch=8,
                                               cycle_momentum=False)])


def test_errors_of_helpers_are_kerasclr_errors():
    cases = [
        (lambda: kerasclr.LRFinder().suggest(),
         "LRFinder has no losses to suggest from: run fit() with it first."),
        (lambda: kerasclr.suggest_lr_band([1, 2, 3], [3, 2]),
         "`lr` and `loss` must have the same length, got 3 and 2."),
        (lambda: kerasclr.compare_clr_histories([1, 2], [1, 2]),
         "`x` must be a pandas DataFrame (a history table), got list."),
        (lambda: kerasclr.LRFinder(steps_per_epoch=1),
         "A range test needs >= 2 steps: `steps_per_epoch` * `epochs` is 1."),
        (lambda: kerasclr.LRFinder(steps_per_epoch=1e40),
         "`steps_per_epoch` must be <= 2.14748e+09, got 1e+40."),
        (lambda: kerasclr.lr_range_test(tiny_model(), regression_data(8)[0]),
         "`y` is missing: the model is compiled with a loss, which needs the targets of "
         "the arrays `x`. Pass `y`, or a dataset that yields (inputs, targets)."),
    ]
    for call, message in cases:
        with pytest.raises(kerasclr.KerasclrError) as caught:
            call()
        assert str(caught.value) == message
    assert kerasclr.SGDR(lr_reduction_epochs=np.array(3)).lr_reduction_epochs == (3,)


def test_plateau_repr_shows_its_arguments():
    assert repr(kerasclr.Plateau(patience=2, factor=0.5)) == (
        "Plateau(monitor='val_loss', mode='min', patience=2, factor=0.5, cooldown=2, "
        "min_lr=0.0)")


def test_a_policy_reused_on_a_new_model_warns_that_it_drops_its_history():
    x, y = regression_data(16)
    clr = kerasclr.CyclicLR(step_size=4, verbose=0)
    tiny_model().fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[clr])
    with pytest.warns(kerasclr.KerasclrWarning) as caught:
        tiny_model().fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[clr])
    assert [str(w.message) for w in caught if w.category is kerasclr.KerasclrWarning] == [
        "CyclicLR: this fit() trains another model than the last one, whose optimizer is "
        "at step 0: the 8 rows of history after it are dropped, and training goes on from "
        "there. Use a new callback for each model."]
    assert len(clr.history) == 4


@pytest.mark.parametrize("make, message", [
    (lambda: kerasclr.CyclicLR(scale_fn=lambda x: [1, 2]),
     "`scale_fn` must return one number, got [1, 2] for cycle 1."),
    (lambda: kerasclr.CyclicLR(scale_fn=lambda x: 5, scale_mode="iteration"),
     "`scale_fn` must return a number in [0, 1], got 5.0 for iteration 0."),
    (lambda: kerasclr.WSD(0.01, warmup_fraction=0.6, decay_fraction=0.6),
     "WSD: `warmup_fraction` and `decay_fraction` add up to 1.2, more than the whole "
     "schedule (1)."),
    (lambda: kerasclr.WSD(0.01, warmup_steps=3, warmup_fraction=0.1),
     "WSD: give `warmup_steps` or `warmup_fraction`, not both."),
])
def test_arguments_that_can_only_fail_in_fit_fail_when_the_policy_is_made(make, message):
    with pytest.raises(kerasclr.KerasclrError) as caught:
        make()
    assert str(caught.value) == message


@pytest.mark.parametrize("policy", [
    kerasclr.CyclicLR(mode="exp_range", gamma=0.99, patience=3),
    kerasclr.OneCycle(0.1, total_steps=40, three_phase=True),
    kerasclr.SGDR(max_lr=0.1, steps_per_epoch=8, epochs_to_restart=2, lr_reduction_epochs=[3]),
    kerasclr.StepDecay(initial_lr=0.1, step_size=2),
    kerasclr.CosineDecay(0.1, decay_steps=50, plateau=kerasclr.Plateau(patience=2)),
    kerasclr.WSD(0.1, total_steps=100, decay_shape="1-sqrt"),
    kerasclr.Constant(0.1, plateau=kerasclr.Plateau(patience=1, mode="max")),
    kerasclr.Sequence([kerasclr.Linear(0.0, 0.1, steps=5), kerasclr.CyclicLR(step_size=4),
                       kerasclr.CosineDecay(0.1, decay_steps=10)], boundaries=[5, 20],
                      plateau=kerasclr.Plateau(patience=4)),
    kerasclr.LRFinder(1e-5, 1.0, steps_per_epoch=10, epochs=2, sweep="linear"),
], ids=lambda policy: type(policy).__name__)
def test_from_config_makes_the_policy_get_config_describes(policy):
    made = type(policy).from_config(policy.get_config())
    assert type(made) is type(policy) and made is not policy
    assert made.get_config() == policy.get_config()
    np.testing.assert_array_equal(made.preview(range(40), steps_per_epoch=8),
                                  policy.preview(range(40), steps_per_epoch=8))


def test_the_range_test_sweeps_over_passes_without_a_warning():
    x, y = regression_data(40)  # 10 batches of 4 per pass, 25 steps: 3 passes
    with warnings.catch_warnings():
        warnings.simplefilter("error", kerasclr.KerasclrWarning)
        result = kerasclr.lr_range_test(tiny_model(), x, y, batch_size=4, steps=25,
                                        min_lr=1e-4, max_lr=0.5)
    assert len(result.history) == 25
