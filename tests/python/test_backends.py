"""Backend-specific behaviour of the table-driven engine.

The whole suite runs on every backend (``KERAS_BACKEND=tensorflow|jax|torch``);
these tests cover what differs between them.
"""

import keras
import numpy as np
import pytest

import kerasclr
from conftest import GOLDEN, assert_table_equal, golden_args, op_losses, tiny_model
from fit_helpers import BACKEND, AppliedRates, ResetAt, fit_epochs, rates_model, without_loss
from kerasclr.engine.table import VALUES_NAME

PLATEAU = next(c for c in GOLDEN["cases"] if c["name"] == "plateau_keep_base")


def run_plateau(model, x, y):
    clr = kerasclr.CyclicLR(verbose=0, **golden_args(PLATEAU["args"]))
    probe = AppliedRates()
    (op,) = PLATEAU["ops"]
    fit_epochs(model, x, y, clr, op["epochs"], op["val_loss"], probe)
    return clr, probe.rates


@pytest.mark.parametrize("options", [
    {"run_eagerly": True},
    {"jit_compile": False},
    {"optimizer": "loss_scale"},
], ids=["eager", "no-jit", "loss-scale"])
def test_compile_options_give_the_golden_schedule(options):
    options = dict(options)
    if options.get("optimizer") == "loss_scale":
        # The table goes on the inner optimizer; the wrapper's own step
        # counter and dynamic scale do not disturb the lookup.
        options["optimizer"] = keras.optimizers.LossScaleOptimizer(
            keras.optimizers.SGD(0.5))
    model, x, y = rates_model(4, **options)
    clr, rates = run_plateau(model, x, y)
    np.testing.assert_allclose(rates, PLATEAU["history"]["lr"], rtol=1e-6, atol=0)
    assert_table_equal(clr.history, PLATEAU["history"])
    assert_table_equal(without_loss(clr.history_epoch), PLATEAU["history_epoch"])


def test_table_is_optimizer_state_during_fit_only():
    """During fit() the table is an optimizer variable in place of the float
    rate's, so it is part of the state every backend passes to its compiled
    step and that state is no larger than the plain optimizer's; on JAX,
    whose compiled step takes the table as an argument of its own, the
    optimizer lists neither (the state of a Keras schedule's optimizer).
    After fit() the optimizer is the plain one again."""
    model, x, y = rates_model(4)
    seen = {}

    class Look(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            optimizer = self.model.optimizer
            seen["names"] = [v.name for v in optimizer.variables]
            seen["class"] = type(optimizer)

    plain_class = type(model.optimizer)
    plain_names = [v.name for v in model.optimizer.variables]
    clr = kerasclr.CyclicLR(verbose=0, **golden_args(PLATEAU["args"]))
    (op,) = PLATEAU["ops"]
    fit_epochs(model, x, y, clr, op["epochs"], op["val_loss"], extra=[Look()])
    assert "learning_rate" in plain_names
    listed_table = [] if BACKEND == "jax" else [VALUES_NAME]
    assert seen["names"] == [name for name in plain_names
                             if name != "learning_rate"] + listed_table
    assert seen["class"] is not plain_class and seen["class"].__name__ == "SGD"
    assert type(model.optimizer) is plain_class
    assert [v.name for v in model.optimizer.variables] == plain_names
    assert isinstance(model.optimizer._learning_rate, keras.Variable)
    # The float rate is the one the next batch would have used.
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(clr.next_lr,
                                                                        rel=1e-7)
    assert int(model.optimizer.iterations.numpy()) == 48


def reset_at_batch_3(clr):
    """A callback that resets ``clr`` (step_size 3) to 0.002-0.004 before batch 3."""
    return ResetAt(clr, 0, 3, new_base_lr=0.002, new_max_lr=0.004)


def rates_reset_at_batch_3(steps):
    """The rates of ``steps`` steps of `reset_at_batch_3`'s schedule."""
    return np.concatenate([kerasclr.clr_schedule(range(3), step_size=3),
                           kerasclr.clr_schedule(range(steps - 3), base_lr=0.002,
                                                 max_lr=0.004, step_size=3)])


@pytest.mark.skipif(BACKEND != "jax", reason="JAX only: state sync of the stateless step")
def test_jax_sees_table_writes_made_between_batches():
    """A table write from a callback mid-epoch (reset) reaches the next
    stateless JAX step: the engine syncs the state before writing."""
    clr = kerasclr.CyclicLR(step_size=3, verbose=0)
    model, x, y = rates_model(8)
    probe = AppliedRates()
    fit_epochs(model, x, y, clr, 1, probe=probe, extra=[reset_at_batch_3(clr)])
    np.testing.assert_allclose(probe.rates, rates_reset_at_batch_3(8), rtol=1e-6, atol=0)


@pytest.mark.skipif(BACKEND != "jax", reason="JAX only: the table as a step argument")
@pytest.mark.parametrize("steps_per_execution", [1, 3])
def test_jax_step_takes_the_table_as_an_argument(steps_per_execution):
    """On JAX the compiled step takes the table as an argument of its own:
    the state Keras passes into it and back out holds exactly the arrays a
    Keras schedule's optimizer holds (no float rate, no table), and the
    rates applied are still the table's, a host write mid-fit included."""
    def state_shapes(model, callbacks):
        seen = []

        class Look(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                if not seen:
                    state = self.model._jax_state["optimizer_variables"]
                    seen.append([tuple(np.shape(a)) for a in state])

        fit_epochs(model, x, y, callbacks[0], 1, extra=callbacks[1:] + [Look()])
        return seen[0]

    schedule = keras.optimizers.schedules.CosineDecay(0.5, decay_steps=100)
    model, x, y = rates_model(9, optimizer=keras.optimizers.SGD(schedule),
                              steps_per_execution=steps_per_execution)
    keras_state = state_shapes(model, [keras.callbacks.History()])

    clr = kerasclr.CyclicLR(step_size=3, verbose=0)
    model, x, y = rates_model(9, steps_per_execution=steps_per_execution)
    probe = AppliedRates()
    assert state_shapes(model, [clr, probe, reset_at_batch_3(clr)]) == keras_state
    np.testing.assert_allclose(probe.rates, rates_reset_at_batch_3(9), rtol=1e-6, atol=0)


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch only")
def test_torch_steps_per_execution_fails_clearly():
    """Keras's PyTorch backend refuses steps_per_execution > 1 before any
    step runs: no rate is ever applied wrongly."""
    model = tiny_model(steps_per_execution=4)
    x = np.zeros((8, 3), "float32")
    clr = kerasclr.CyclicLR(verbose=0)
    with pytest.raises(ValueError, match="steps_per_execution"):
        model.fit(x, x[:, :1], epochs=1, verbose=0, callbacks=[clr])
    assert len(clr.history) == 0


def test_validation_and_evaluate_do_not_move_the_schedule():
    """Validation batches and evaluate() do not count as training steps."""
    clr = kerasclr.CyclicLR(step_size=6, verbose=0)
    model, x, y = rates_model(13)
    probe = AppliedRates()
    fit_epochs(model, x, y, clr, 2, probe=probe, validation_data=(x, y))
    model.evaluate(x, y, batch_size=1, verbose=0)
    model.predict(x, batch_size=4, verbose=0)
    np.testing.assert_allclose(probe.rates, kerasclr.clr_schedule(range(26), step_size=6),
                               rtol=1e-6, atol=0)
    assert clr.trn_iterations == 26
    assert "val_loss" in clr.history_epoch.columns


def test_replay_and_fit_agree_on_this_backend():
    case = next(c for c in GOLDEN["cases"] if c["name"] == "plateau_two_fits")
    fitted = kerasclr.CyclicLR(verbose=0, **golden_args(case["args"]))
    model, x, y = rates_model(5)
    for op in case["ops"]:
        fit_epochs(model, x, y, fitted, op["epochs"], op["val_loss"])
    replayed = kerasclr.CyclicLR(verbose=0, **golden_args(case["args"]))
    for op in case["ops"]:
        kerasclr.replay_epochs(replayed, 5, val_loss=op_losses(op["val_loss"]))
    np.testing.assert_array_equal(fitted.history.to_numpy(float),
                                  replayed.history.to_numpy(float))
