"""The policies in real `fit()` calls: applied rates and applied momentum.

The momentum models have one weight per batch (input i is e_i, the loss is
the prediction), so each gradient is 1 on one weight. The final weights are
a closed-form function of every step's learning rate and momentum; they are
compared with the value computed from the callback's history, which fails if
the compiled step used any other momentum (e.g. one baked in at trace time).
"""

import keras
import numpy as np
import pytest

from conftest import applied_rates_model
from fit_helpers import AppliedRates
from kerasclr import SGDR, CosineDecay, OneCycle, StepDecay, one_cycle_schedule

BACKEND = keras.backend.backend()


def momentum_model(steps, optimizer, steps_per_execution=1, jit_compile="auto"):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((steps,)),
        keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros"),
    ])
    model.compile(optimizer=optimizer,
                  loss=lambda y_true, y_pred: keras.ops.sum(y_pred),
                  steps_per_execution=steps_per_execution, jit_compile=jit_compile)
    return model, np.eye(steps, dtype="float32"), np.zeros((steps, 1), "float32")


def expected_sgd_weights(lr, momentum, nesterov=False):
    """Weights after SGD with per-step lr/momentum, gradient e_i at step i."""
    n = len(lr)
    w = np.zeros(n, np.float32)
    m = np.zeros(n, np.float32)
    for t in range(n):
        g = np.zeros(n, np.float32)
        g[t] = 1.0
        mom, rate = np.float32(momentum[t]), np.float32(lr[t])
        m = m * mom - g * rate
        w = w + (m * mom - g * rate if nesterov else m)
    return w


def expected_adam_weights(lr, beta_1, beta_2=0.999, eps=1e-7):
    """Keras's Adam (bias correction with the current beta_1)."""
    n = len(lr)
    w, m, v = (np.zeros(n) for _ in range(3))
    for t in range(n):
        g = np.zeros(n)
        g[t] = 1.0
        b1 = float(beta_1[t])
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - beta_2)
        alpha = lr[t] * np.sqrt(1 - beta_2 ** (t + 1)) / (1 - b1 ** (t + 1))
        w = w - alpha * m / (np.sqrt(v) + eps)
    return w


def test_plain_float_momentum_is_baked_into_the_compiled_step():
    """Why the table exists: assigning the attribute does not reach the step."""
    if BACKEND == "torch":
        pytest.skip("the torch train step is eager: nothing is baked in")
    model, x, y = momentum_model(4, keras.optimizers.SGD(0.1, momentum=0.9))
    model.fit(x[:2], y[:2], batch_size=1, epochs=1, shuffle=False, verbose=0)
    model.optimizer.momentum = 0.0   # too late: the train function is traced
    model.fit(x[2:], y[2:], batch_size=1, epochs=1, shuffle=False, verbose=0)
    weights = model.layers[0].kernel.numpy()[:, 0]
    np.testing.assert_allclose(weights, expected_sgd_weights([0.1] * 4, [0.9] * 4),
                               rtol=1e-6)


@pytest.mark.parametrize("options", [
    dict(),
    dict(steps_per_execution=3),
    dict(jit_compile=True),
])
def test_one_cycle_applies_lr_and_momentum_every_step(options):
    if BACKEND == "torch" and "steps_per_execution" in options:
        pytest.skip("the torch backend requires steps_per_execution=1")
    steps, epochs = 6, 3
    model, x, y = momentum_model(steps * epochs,
                                 keras.optimizers.SGD(0.5, momentum=0.5), **options)
    cb = OneCycle(max_lr=0.2, epochs=epochs, base_momentum=0.6, max_momentum=0.9)
    xs, ys = x.reshape(epochs, steps, -1), y.reshape(epochs, steps, -1)
    for epoch in range(epochs):  # one epoch per fit: the pending state carries over
        model.fit(xs[epoch], ys[epoch], batch_size=1, epochs=1, shuffle=False,
                  verbose=0, callbacks=[cb])
    history = cb.history
    total = steps * epochs
    np.testing.assert_array_equal(history["lr"], one_cycle_schedule(
        range(total), max_lr=0.2, total_steps=total, base_momentum=0.6,
        max_momentum=0.9))
    np.testing.assert_array_equal(history["momentum"], one_cycle_schedule(
        range(total), max_lr=0.2, total_steps=total, base_momentum=0.6,
        max_momentum=0.9, what="momentum"))
    weights = model.layers[0].kernel.numpy()[:, 0]
    want = expected_sgd_weights(history["lr"], history["momentum"])
    np.testing.assert_allclose(weights, want, rtol=2e-6, atol=1e-9)
    # a constant momentum would be visibly different
    wrong = expected_sgd_weights(history["lr"], np.full(total, 0.5))
    assert np.max(np.abs(weights - wrong)) > 1e-3
    assert model.optimizer.get_config()["momentum"] == 0.5
    assert type(model.optimizer).__name__ == "SGD"


@pytest.mark.parametrize("optimizer", ["Adam", "AdamW", "RMSprop", "SGD-nesterov"])
def test_one_cycle_momentum_on_other_optimizers(optimizer):
    total = 8
    opt = {
        "Adam": lambda: keras.optimizers.Adam(0.1),
        "AdamW": lambda: keras.optimizers.AdamW(0.1, weight_decay=0.0),
        "RMSprop": lambda: keras.optimizers.RMSprop(0.1, momentum=0.5),
        "SGD-nesterov": lambda: keras.optimizers.SGD(0.1, momentum=0.5, nesterov=True),
    }[optimizer]()
    model, x, y = momentum_model(total, opt)
    cb = OneCycle(max_lr=0.05, total_steps=total, pct_start=0.5)
    model.fit(x, y, batch_size=1, epochs=1, shuffle=False, verbose=0, callbacks=[cb])
    lr, mom = cb.history["lr"].to_numpy(), cb.history["momentum"].to_numpy()
    weights = model.layers[0].kernel.numpy()[:, 0]
    if optimizer in ("Adam", "AdamW"):
        want = expected_adam_weights(lr, mom)
        wrong = expected_adam_weights(lr, np.full(total, 0.9))
    elif optimizer == "RMSprop":
        want = _expected_rmsprop(lr, mom)
        wrong = _expected_rmsprop(lr, np.full(total, 0.5))
    else:
        want = expected_sgd_weights(lr, mom, nesterov=True)
        wrong = expected_sgd_weights(lr, np.full(total, 0.5), nesterov=True)
    np.testing.assert_allclose(weights, want, rtol=2e-5, atol=1e-8)
    assert np.max(np.abs(weights - wrong)) > 1e-4


def _expected_rmsprop(lr, momentum, rho=0.9, eps=1e-7):
    n = len(lr)
    w, v, m = (np.zeros(n) for _ in range(3))
    for t in range(n):
        g = np.zeros(n)
        g[t] = 1.0
        v = rho * v + (1 - rho) * g * g
        m = momentum[t] * m + lr[t] * g / np.sqrt(v + eps)
        w = w - m
    return w


def test_one_cycle_refuses_an_optimizer_without_momentum():
    model, x, y = momentum_model(4, keras.optimizers.SGD(0.1))
    cb = OneCycle(max_lr=0.1, total_steps=4)
    with pytest.raises(ValueError, match=r"created with `momentum=0.0`.*`cycle_momentum=False`"):
        model.fit(x, y, batch_size=1, epochs=1, verbose=0, callbacks=[cb])
    model2, x, y = momentum_model(4, keras.optimizers.SGD(0.1))
    plain = OneCycle(max_lr=0.1, total_steps=4, cycle_momentum=False)
    model2.fit(x, y, batch_size=1, epochs=1, verbose=0, shuffle=False, callbacks=[plain])
    assert "momentum" not in plain.history.columns


@pytest.mark.parametrize("name", ["SGDR", "StepDecay", "CosineDecay", "OneCycle"])
def test_applied_rates_equal_history(name):
    steps, epochs = 5, 4
    cb = {
        "SGDR": lambda: SGDR(max_lr=0.1, min_lr=0.01, epochs_to_restart=1,
                             mult_factor=2, lr_fac=0.5, lr_reduction_epochs=[3]),
        "StepDecay": lambda: StepDecay(0.1, 0.5, 2),
        "CosineDecay": lambda: CosineDecay(0.01, 12, alpha=0.1, warmup_target=0.1,
                                           warmup_steps=5),
        "OneCycle": lambda: OneCycle(0.1, total_steps=20, cycle_momentum=False),
    }[name]()
    model, x, y = applied_rates_model(steps)
    probe = AppliedRates()
    model.fit(x, y, batch_size=1, epochs=epochs, shuffle=False, verbose=0,
              callbacks=[cb, probe])
    np.testing.assert_allclose(probe.rates, cb.history["lr"], rtol=1e-6)
    assert cb.history["iteration"].tolist() == list(range(steps * epochs))
    assert len(cb.history_epoch) == epochs


def test_cyclic_lr_cycles_momentum_in_fit():
    from kerasclr import CyclicLR

    steps, epochs = 7, 2
    model, x, y = momentum_model(steps * epochs, keras.optimizers.SGD(0.1, momentum=0.5))
    clr = CyclicLR(base_lr=0.01, max_lr=0.05, step_size=3, verbose=0,
                   cycle_momentum=True, base_momentum=0.6, max_momentum=0.95)
    model.fit(x, y, batch_size=1, epochs=epochs, shuffle=False, verbose=0,
              steps_per_epoch=steps, callbacks=[clr])
    history = clr.history
    assert history["momentum"].iloc[:7].tolist() == pytest.approx(
        [0.95, 0.95 - 0.35 / 3, 0.95 - 0.7 / 3, 0.6, 0.95 - 0.7 / 3,
         0.95 - 0.35 / 3, 0.95], rel=1e-6)
    weights = model.layers[0].kernel.numpy()[:, 0]
    np.testing.assert_allclose(
        weights, expected_sgd_weights(history["lr"], history["momentum"]),
        rtol=2e-6, atol=1e-9)


def test_saved_model_keeps_optimizer_state_without_the_momentum_table(tmp_path):
    import warnings

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1, momentum=0.5), loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    cb = OneCycle(max_lr=0.1, total_steps=16)
    model.fit(x, y, batch_size=1, epochs=1, shuffle=False, verbose=0, callbacks=[cb])
    path = tmp_path / "model.keras"
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Skipping variable loading"
        loaded = keras.models.load_model(path)
    assert type(loaded.optimizer).__name__ == "SGD"
    assert loaded.optimizer.get_config()["momentum"] == 0.5
    assert int(loaded.optimizer.iterations.numpy()) == 8
    saved_slots = [v.numpy() for v in model.optimizer.momentums]
    loaded_slots = [v.numpy() for v in loaded.optimizer.momentums]
    np.testing.assert_array_equal(saved_slots[0], loaded_slots[0])
    again = OneCycle(max_lr=0.1, total_steps=16)
    again.set_state(cb.get_state())
    loaded.fit(x, y, batch_size=1, epochs=1, shuffle=False, verbose=0, callbacks=[again])
    assert again.history["iteration"].tolist() == list(range(16))


def test_momentum_table_follows_epochs_of_unknown_length():
    """A generator without a length: the tables are refilled during the epoch."""
    steps = 1100  # more than the 1024 entries of an unknown-length epoch's table
    model, x, y = momentum_model(steps, keras.optimizers.SGD(0.1, momentum=0.5))

    def batches():
        for i in range(steps):
            yield x[i:i + 1], y[i:i + 1]

    cb = OneCycle(max_lr=0.05, total_steps=steps, base_momentum=0.6, max_momentum=0.9)
    model.fit(batches(), epochs=1, verbose=0, shuffle=False, callbacks=[cb])
    history = cb.history
    assert len(history) == steps
    np.testing.assert_array_equal(history["momentum"], one_cycle_schedule(
        range(steps), max_lr=0.05, total_steps=steps, base_momentum=0.6,
        max_momentum=0.9, what="momentum"))
    weights = model.layers[0].kernel.numpy()[:, 0]
    np.testing.assert_allclose(
        weights, expected_sgd_weights(history["lr"], history["momentum"]),
        rtol=2e-6, atol=1e-9)
