"""Bad input: every error names the argument and repeats the value."""

import math

import keras
import numpy as np
import pytest

import kerasclr
from conftest import applied_rates_model, tiny_model
from fit_helpers import fit_epochs
from kerasclr.engine.callback import MAX_PLANNED_CAPACITY

BAD_ARGUMENTS = [
    # (arguments, exception, message pattern)
    ({"base_lr": -0.001}, ValueError, r"`base_lr` must be >= 0, got -0\.001\."),
    ({"max_lr": -1}, ValueError, r"`max_lr` must be >= 0, got -1\.0\."),
    ({"base_lr": float("nan")}, ValueError, r"`base_lr` must be a finite number, got nan\."),
    ({"max_lr": float("inf")}, ValueError, r"`max_lr` must be a finite number, got inf\."),
    ({"base_lr": "0.001"}, TypeError, r"`base_lr` must be a number, got '0\.001'\."),
    ({"base_lr": True}, TypeError, r"`base_lr` must be a number, got True\."),
    ({"base_lr": 0.01, "max_lr": 0.001}, ValueError,
     r"`max_lr` must be >= `base_lr`, got base_lr=0\.01 and max_lr=0\.001\."),
    ({"step_size": 0}, ValueError, r"`step_size` must be >= 1, got 0\.0\."),
    ({"step_size": 0.5}, ValueError, r"`step_size` must be >= 1, got 0\.5\."),
    ({"step_size": None}, TypeError, r"`step_size` must be a number, got None\."),
    ({"mode": "triangle"}, ValueError,
     r"`mode` must be one of 'triangular', 'triangular2', 'exp_range', got 'triangle'\."),
    ({"mode": None}, ValueError, r"`mode` must be one of .*got None\."),
    ({"scale_mode": "epoch"}, ValueError,
     r"`scale_mode` must be one of 'cycle', 'iteration', 'iterations', got 'epoch'\."),
    ({"scale_fn": 0.5}, TypeError, r"`scale_fn` must be a callable or None, got 0\.5\."),
    ({"gamma": 0}, ValueError, r"`gamma` must be > 0, got 0\.0\."),
    ({"gamma": 1.5}, ValueError, r"`gamma` must be <= 1, got 1\.5\."),
    ({"factor": 0}, ValueError, r"`factor` must be > 0, got 0\.0\."),
    ({"factor": 1.1}, ValueError, r"`factor` must be <= 1, got 1\.1\."),
    ({"factor": -0.5}, ValueError, r"`factor` must be > 0, got -0\.5\."),
    ({"patience": -1}, ValueError, r"`patience` must be >= 0, got -1\.0\."),
    ({"patience": 1.5}, ValueError, r"`patience` must be a whole number, got 1\.5\."),
    ({"patience": float("nan")}, ValueError, r"`patience` must be a finite number, got nan\."),
    ({"cooldown": -2}, ValueError, r"`cooldown` must be >= 0, got -2\.0\."),
    ({"cooldown": float("inf")}, ValueError, r"`cooldown` must be a finite number, got inf\."),
    ({"verbose": 0.5}, ValueError, r"`verbose` must be a whole number, got 0\.5\."),
    ({"verbose": "yes"}, TypeError, r"`verbose` must be a number, got 'yes'\."),
    ({"decrease_base_lr": "no"}, TypeError,
     r"`decrease_base_lr` must be True or False, got 'no'\."),
]


@pytest.mark.parametrize("args, error, message", BAD_ARGUMENTS,
                         ids=[str(a) for a, _, _ in BAD_ARGUMENTS])
def test_bad_constructor_argument(args, error, message):
    with pytest.raises(error, match=message):
        kerasclr.CyclicLR(**args)


@pytest.mark.parametrize("args, error, message", BAD_ARGUMENTS[:15],
                         ids=[str(a) for a, _, _ in BAD_ARGUMENTS[:15]])
def test_bad_schedule_argument(args, error, message):
    with pytest.raises(error, match=message):
        kerasclr.clr_schedule(range(5), **args)


def test_accepted_spellings():
    assert kerasclr.CyclicLR(scale_mode="iterations", scale_fn=abs).scale_mode == "iteration"
    assert kerasclr.CyclicLR(patience=float("inf")).patience == math.inf
    assert kerasclr.CyclicLR(patience=3.0, cooldown=np.int64(2)).patience == 3
    assert kerasclr.CyclicLR(verbose=True).verbose == 1
    assert kerasclr.CyclicLR(decrease_base_lr=np.bool_(False)).decrease_base_lr is False
    assert kerasclr.CyclicLR(base_lr=0.002, max_lr=0.002).max_lr == 0.002


@pytest.mark.parametrize("args, message", [
    ({"new_base_lr": -1}, r"`new_base_lr` must be >= 0, got -1\.0\."),
    ({"new_max_lr": 0.0001}, r"`new_max_lr` must be >= `new_base_lr`, got "
                             r"new_base_lr=0\.001 and new_max_lr=0\.0001\."),
    ({"new_step_size": 0.2}, r"`new_step_size` must be >= 1, got 0\.2\."),
])
def test_bad_reset_argument_leaves_state_alone(args, message):
    clr = kerasclr.CyclicLR(step_size=6, verbose=0)
    kerasclr.replay_epochs(clr, 5, epochs=1)
    with pytest.raises(ValueError, match=message):
        clr.reset(**args)
    assert (clr.base_lr, clr.max_lr, clr.step_size, clr.clr_iterations) == \
        (0.001, 0.006, 6.0, 5)


def test_bad_schedule_iterations():
    with pytest.raises(ValueError, match=r"`iterations` must hold whole numbers >= 0, got -1\.0"):
        kerasclr.clr_schedule([0, -1])
    with pytest.raises(ValueError, match=r"`iterations` must hold whole numbers >= 0, got 1\.5"):
        kerasclr.clr_schedule([1.5])
    with pytest.raises(ValueError, match=r"`iterations` must be one-dimensional, got shape"):
        kerasclr.clr_schedule(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"`dtype` must be one of 'float32', 'float64', got 'f16'"):
        kerasclr.clr_schedule(range(3), dtype="f16")


@pytest.mark.parametrize("scale_fn, scale_mode, message", [
    (lambda x: np.nan, "cycle",
     r"`scale_fn` must return a number in \[0, 1\], got nan for cycle 1"),
    (lambda x: 1.5, "cycle", r"`scale_fn` must return a number in \[0, 1\], got 1\.5 for cycle 1"),
    (lambda x: 1 - x / 3, "iteration",
     r"`scale_fn` must return a number in \[0, 1\], got -0\.333.* for iteration 4"),
    (lambda x: np.where(x > 2, np.nan, 1.0), "iteration",
     r"got nan for iteration 3"),
    (lambda x: "big", "cycle", r"`scale_fn` must return one number, got 'big' for cycle 1"),
])
def test_scale_fn_bad_values_in_schedule(scale_fn, scale_mode, message):
    with pytest.raises((ValueError, TypeError), match=message):
        kerasclr.clr_schedule(range(10), step_size=2, scale_fn=scale_fn,
                              scale_mode=scale_mode)


def test_scale_fn_bad_value_in_fit_is_clear_and_keeps_history():
    # NaN from cycle 3 (iteration 8 with step_size 2): the table of the first
    # fit() already reaches it, so the error comes before any batch.
    clr = kerasclr.CyclicLR(step_size=2, scale_fn=lambda c: 1.0 if c < 3 else math.nan,
                            verbose=0)
    model, x, y = applied_rates_model(6)
    plain = type(model.optimizer)
    with pytest.raises(ValueError, match=r"`scale_fn` must return a number in \[0, 1\], "
                                         r"got nan for cycle 3"):
        fit_epochs(model, x, y, clr, 3)
    assert len(clr.history) == 0 and type(model.optimizer) is plain
    # Beyond the first table (a fit() longer than the largest table a fit()
    # plans, so refilled): epochs already recorded stay.
    first_table = MAX_PLANNED_CAPACITY
    bad_cycle = first_table // 4 + 50   # in the table of the refill after epoch 81
    late = kerasclr.CyclicLR(step_size=2, verbose=0,
                             scale_fn=lambda c: 1.0 if c < bad_cycle else math.nan)
    with pytest.raises(ValueError, match=fr"got nan for cycle {bad_cycle}"):
        kerasclr.replay_epochs(late, 100, epochs=first_table // 100 + 10)
    done = first_table // 100  # whole epochs of 100 steps in the first table
    assert len(late.history) == 100 * done and len(late.history_epoch) == done
    np.testing.assert_allclose(late.history["lr"],
                               kerasclr.clr_schedule(range(100 * done), step_size=2),
                               rtol=1e-6)


def test_needs_compiled_model():
    clr = kerasclr.CyclicLR()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    clr.set_model(model)
    with pytest.raises(ValueError, match=r"CyclicLR needs a compiled model"):
        clr.on_train_begin()


def test_existing_learning_rate_schedule_is_rejected():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.9)
    model = tiny_model(optimizer=keras.optimizers.SGD(schedule))
    x = np.zeros((4, 3), "float32")
    with pytest.raises(ValueError, match=r"already has a learning-rate schedule "
                                         r"\(ExponentialDecay\).*float `learning_rate`"):
        model.fit(x, x[:, :1], epochs=1, verbose=0, callbacks=[kerasclr.CyclicLR()])


def test_callable_learning_rate_is_rejected():
    model = tiny_model(optimizer=keras.optimizers.SGD(lambda: 0.01))
    x = np.zeros((4, 3), "float32")
    with pytest.raises(ValueError, match=r"has a callable `learning_rate`"):
        model.fit(x, x[:, :1], epochs=1, verbose=0, callbacks=[kerasclr.CyclicLR()])


def test_gradient_accumulation_is_rejected():
    model = tiny_model(optimizer=keras.optimizers.SGD(0.01, gradient_accumulation_steps=2))
    x = np.zeros((4, 3), "float32")
    with pytest.raises(ValueError, match=r"`gradient_accumulation_steps` \(got 2\)"):
        model.fit(x, x[:, :1], epochs=1, verbose=0, callbacks=[kerasclr.CyclicLR()])


def test_set_state_rejects_other_states():
    with pytest.raises(ValueError, match=r"Cannot load the state: it was saved by a "
                                         r"StepDecay callback, not a CyclicLR\."):
        kerasclr.CyclicLR().set_state(kerasclr.StepDecay().get_state())
    with pytest.raises(ValueError, match=r"Cannot load the state: it is not a kerasclr "
                                         r"state"):
        kerasclr.CyclicLR().set_state({"policy": "CyclicLR"})


def test_plot_needs_history():
    with pytest.raises(ValueError, match=r"This CyclicLR has no history yet"):
        kerasclr.plot_clr_history(kerasclr.CyclicLR())


@pytest.mark.parametrize("error_class", [kerasclr.KerasclrError, kerasclr.ArgumentError,
                                         kerasclr.StateError])
def test_every_error_has_the_r_condition_class_kerasclr_error(error_class):
    # reticulate (1.40 and later) names the R class of a Python base without a
    # module by its name alone: the R handler `kerasclr_error = ` catches it
    names = [base.__name__ if base.__module__ == "" else f"{base.__module__}.{base.__name__}"
             for base in error_class.__mro__]
    assert "kerasclr_error" in names
    assert names.index("kerasclr_error") < names.index("builtins.Exception")
