"""OneCycle, SGDR, StepDecay, CosineDecay: formulas, references, state, plots.

No model is trained here (see test_policies_fit.py): `replay_epochs` drives
the callbacks through the same hooks and tables as `fit()`.
"""

import json
import math

import keras
import numpy as np
import pytest

import kerasclr
from kerasclr import (
    SGDR,
    CosineDecay,
    OneCycle,
    StepDecay,
    cosine_decay_schedule,
    lr_plot_data,
    one_cycle_schedule,
    plot_lr_history,
    replay_epochs,
    sgdr_schedule,
    step_decay_schedule,
)

F32 = np.float32


def keras_values(schedule, n):
    """A Keras schedule evaluated step by step (scalar kernels, as in fit())."""
    if keras.backend.backend() == "jax":
        import jax

        fn = jax.jit(schedule)  # one trace instead of n eager dispatches
        return np.array([float(fn(np.int32(i))) for i in range(n)])
    return np.array([float(schedule(i)) for i in range(n)])


def f32(values):
    return np.asarray(values, dtype=np.float32).astype(float)


# -- one-cycle -------------------------------------------------------------------
def test_one_cycle_hand_computed():
    # initial 0.1, min 0.001; phase 1 ends at step 2, phase 2 at step 9.
    args = dict(max_lr=1.0, total_steps=10, pct_start=0.3, div_factor=10,
                final_div_factor=100)
    lr = one_cycle_schedule(range(10), dtype="float64", **args)
    assert lr[0] == pytest.approx(0.1)
    assert lr[1] == pytest.approx(0.55)          # cos at pct 1/2
    assert lr[2] == pytest.approx(1.0)
    assert lr[9] == pytest.approx(0.001)
    assert lr[5] == pytest.approx(0.001 + (1 - 0.001) / 2 * (math.cos(math.pi * 3 / 7) + 1))
    linear = one_cycle_schedule(range(10), anneal_strategy="linear",
                                dtype="float64", **args)
    assert linear[5] == pytest.approx(1.0 + (0.001 - 1.0) * 3 / 7)
    momentum = one_cycle_schedule(range(10), what="momentum", dtype="float64", **args)
    assert momentum[[0, 2, 9]] == pytest.approx([0.95, 0.85, 0.95])
    three = one_cycle_schedule(range(10), three_phase=True, dtype="float64", **args)
    # phases end at 2, 4, 9: up, back down to the initial rate, then to min
    assert three[[0, 2, 4, 9]] == pytest.approx([0.1, 1.0, 0.1, 0.001])
    three_m = one_cycle_schedule(range(10), three_phase=True, what="momentum",
                                 dtype="float64", **args)
    assert three_m[[0, 2, 4, 9]] == pytest.approx([0.95, 0.85, 0.95, 0.95])


def torch_lr_and_momentum(torch, steps, make_scheduler):
    """The lr and momentum PyTorch's SGD (momentum 0.9) uses at each step
    under the scheduler ``make_scheduler(optimizer)``."""
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=0.1, momentum=0.9)
    sched = make_scheduler(opt)
    lrs, moms = [], []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        sched.step()
    return lrs, moms


@pytest.mark.parametrize("options", [
    dict(),
    dict(anneal_strategy="linear"),
    dict(three_phase=True, pct_start=0.25),
    dict(three_phase=True, anneal_strategy="linear", div_factor=10.0),
])
def test_one_cycle_equals_pytorch(options):
    torch = pytest.importorskip("torch")
    total = 57
    lrs, moms = torch_lr_and_momentum(
        torch, total,
        lambda opt: torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=0.3, total_steps=total, **options))
    ours = one_cycle_schedule(range(total), max_lr=0.3, total_steps=total,
                              dtype="float64", **options)
    ours_m = one_cycle_schedule(range(total), max_lr=0.3, total_steps=total,
                                what="momentum", dtype="float64", **options)
    np.testing.assert_allclose(ours, lrs, rtol=1e-12)
    np.testing.assert_allclose(ours_m, moms, rtol=1e-12)


def test_one_cycle_callback_replays_the_preview():
    cb = OneCycle(max_lr=0.1, epochs=4, steps_per_epoch=5)
    replay_epochs(cb, 5, epochs=4)
    history = cb.history
    assert list(history.columns) == ["iteration", "epoch", "lr", "base_lr",
                                     "max_lr", "momentum"]
    np.testing.assert_array_equal(history["lr"], one_cycle_schedule(
        range(20), max_lr=0.1, total_steps=20))
    np.testing.assert_array_equal(history["momentum"], one_cycle_schedule(
        range(20), max_lr=0.1, total_steps=20, what="momentum"))
    assert list(cb.history_epoch.columns) == ["epoch", "base_lr", "max_lr", "lr",
                                              "momentum"]
    assert history["max_lr"].unique().tolist() == [0.1]


def test_one_cycle_takes_steps_per_epoch_from_fit_and_stops_at_the_end():
    cb = OneCycle(max_lr=0.1, epochs=2)
    replay_epochs(cb, 7, epochs=2)
    assert cb.total_steps == 14 and len(cb.history) == 14
    with pytest.raises(ValueError, match=r"past the end of the cycle \(total_steps = 14\)"):
        replay_epochs(cb, 7, epochs=1)
    assert len(cb.history) == 14  # nothing lost


def test_one_cycle_past_its_end_in_fit_keeps_history_and_a_plain_optimizer():
    from conftest import regression_data, tiny_model

    x, y = regression_data(8)  # 2 batches of 4 per epoch
    model = tiny_model()
    plain = type(model.optimizer)
    cb = OneCycle(max_lr=0.1, total_steps=5, cycle_momentum=False)
    with pytest.raises(ValueError, match=r"training iterations 4 to 5, past the end of "
                                         r"the cycle \(total_steps = 5\)"):
        model.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[cb], shuffle=False)
    assert type(model.optimizer) is plain
    assert len(cb.history) == 4 and len(cb.history_epoch) == 2
    np.testing.assert_array_equal(cb.history["lr"], one_cycle_schedule(
        range(4), max_lr=0.1, total_steps=5))
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)  # a plain fit() runs after it


@pytest.mark.parametrize("kwargs, message", [
    (dict(max_lr=0.0, total_steps=10), r"`max_lr` must be > 0, got 0.0"),
    (dict(max_lr=0.1, total_steps=10, pct_start=1.0), r"`pct_start` must be < 1"),
    (dict(max_lr=0.1, total_steps=3, pct_start=0.2),
     r"`pct_start` = 0.2 with `total_steps` = 3 gives a phase"),
    (dict(max_lr=0.1, total_steps=10, anneal_strategy="exp"),
     r"`anneal_strategy` must be one of 'cos', 'linear', got 'exp'"),
    (dict(max_lr=0.1, total_steps=10, base_momentum=0.99),
     r"`max_momentum` must be >= `base_momentum`"),
    (dict(max_lr=0.1), r"Give `total_steps`, or `epochs`"),
    (dict(max_lr=0.1, total_steps=10, epochs=2), r"not both"),
    (dict(max_lr=0.1, total_steps=10.5), r"`total_steps` must be a whole number, got 10.5"),
])
def test_one_cycle_validation(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        OneCycle(**kwargs)


def test_one_cycle_preview_refuses_steps_past_the_end():
    with pytest.raises(ValueError, match=r"`iterations` must be < total_steps = 10, got 10"):
        one_cycle_schedule([0, 10], max_lr=0.1, total_steps=10)


# -- SGDR ----------------------------------------------------------------------------
def test_sgdr_hand_computed():
    # 2 batches per epoch, first period 1 epoch, then 2, then 4.
    lr = sgdr_schedule(range(8), steps_per_epoch=2, max_lr=1.0, min_lr=0.0,
                       epochs_to_restart=1, mult_factor=2, dtype="float64")
    half = 0.5 * (1 + math.cos(math.pi / 2))
    expected = [1, half, 1, 0.5 * (1 + math.cos(math.pi / 4)), half,
                0.5 * (1 + math.cos(3 * math.pi / 4)), 1,
                0.5 * (1 + math.cos(math.pi / 8))]
    np.testing.assert_allclose(lr, expected, rtol=1e-12, atol=1e-15)


def test_sgdr_lr_fac_and_decay():
    lr = sgdr_schedule(range(6), steps_per_epoch=2, max_lr=1.0, min_lr=0.1,
                       epochs_to_restart=2, mult_factor=1, lr_decay=0.5,
                       lr_fac=0.5, lr_reduction_epochs=[1], dtype="float64")
    cos = lambda k: 0.5 * (1 + math.cos(math.pi * k / 4))  # noqa: E731
    expected = [1.0, 0.1 + 0.9 * cos(1),
                0.1 + 0.4 * cos(2), 0.1 + 0.4 * cos(3),   # lr_fac after epoch 1
                0.25, 0.1 + 0.15 * cos(1)]                # restart: * lr_decay
    np.testing.assert_allclose(lr, expected, rtol=1e-12)


@pytest.mark.parametrize("t_mul, m_mul", [(1.0, 1.0), (2.0, 0.5), (3.0, 0.8)])
def test_sgdr_equals_keras_cosine_decay_restarts(t_mul, m_mul):
    steps_per_epoch, first = 5, 2
    keras_schedule = keras.optimizers.schedules.CosineDecayRestarts(
        0.1, first_decay_steps=steps_per_epoch * first, t_mul=t_mul, m_mul=m_mul,
        alpha=0.0)
    n = 150
    want = keras_values(keras_schedule, n)
    ours = sgdr_schedule(range(n), steps_per_epoch=steps_per_epoch, max_lr=0.1,
                         epochs_to_restart=first, mult_factor=t_mul,
                         lr_decay=m_mul)
    np.testing.assert_allclose(ours, want, rtol=2e-5, atol=1e-9)


def test_sgdr_callback_matches_preview_and_restores_state():
    args = dict(max_lr=0.1, min_lr=0.001, epochs_to_restart=1, mult_factor=2,
                lr_fac=0.5, lr_reduction_epochs=[4])
    once = SGDR(**args)
    replay_epochs(once, 4, epochs=8)
    np.testing.assert_array_equal(once.history["lr"],
                                  sgdr_schedule(range(32), 4, **args))
    first = SGDR(**args)
    replay_epochs(first, 4, epochs=3)
    state = json.loads(json.dumps(first.get_state()))
    second = SGDR(**args)
    second.set_state(state)
    replay_epochs(second, 4, epochs=5)
    np.testing.assert_array_equal(second.history.to_numpy(), once.history.to_numpy())
    epoch = once.history_epoch
    # epoch 4 ran with restart rate 0.1; lr_fac applies from epoch 5 on
    assert epoch["max_lr"].tolist() == [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05]


def test_sgdr_validation_and_state_mismatch():
    with pytest.raises(ValueError, match=r"`max_lr` must be >= `min_lr`, got min_lr=0.2"):
        SGDR(max_lr=0.1, min_lr=0.2)
    with pytest.raises(ValueError, match=r"`mult_factor` must be >= 1, got 0.5"):
        SGDR(mult_factor=0.5)
    with pytest.raises(ValueError, match=r"`lr_reduction_epochs` must be >= 1, got 0"):
        SGDR(lr_reduction_epochs=[0, 3])
    with pytest.raises(ValueError, match=r"`epochs_to_restart` must be a whole number"):
        SGDR(epochs_to_restart=2.5)
    saved = SGDR(max_lr=0.1).get_state()
    with pytest.raises(ValueError, match=r"with other arguments \(max_lr: 0.1 saved, 0.2 "
                                         r"here\)"):
        SGDR(max_lr=0.2).set_state(saved)
    with pytest.raises(ValueError, match=r"it was saved by a SGDR callback, not a StepDecay"):
        StepDecay().set_state(saved)


# -- step decay ------------------------------------------------------------------------
def test_step_decay():
    np.testing.assert_allclose(
        step_decay_schedule(range(7), initial_lr=0.1, decay_factor=0.5, step_size=2,
                            dtype="float64"),
        [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125], rtol=1e-15)
    cb = StepDecay(initial_lr=0.1, decay_factor=0.5, step_size=2)
    replay_epochs(cb, 3, epochs=5)
    np.testing.assert_array_equal(cb.history["lr"], np.repeat(
        step_decay_schedule(range(5), 0.1, 0.5, 2), 3))
    assert cb.history_epoch["lr"].tolist() == f32([0.1, 0.05, 0.05, 0.025, 0.025]).tolist()
    with pytest.raises(ValueError, match=r"`decay_factor` must be <= 1, got 1.5"):
        StepDecay(decay_factor=1.5)
    with pytest.raises(ValueError, match=r"`step_size` must be >= 1, got 0"):
        StepDecay(step_size=0)


# -- cosine decay ------------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    dict(initial_learning_rate=0.1, decay_steps=100),
    dict(initial_learning_rate=0.1, decay_steps=1000, alpha=0.1),
    dict(initial_learning_rate=0.003, decay_steps=77.5, alpha=0.0),
    dict(initial_learning_rate=0.0, decay_steps=500, alpha=0.05,
         warmup_target=0.1, warmup_steps=37),
    dict(initial_learning_rate=0.001, decay_steps=300, warmup_target=0.01,
         warmup_steps=100),
    dict(initial_learning_rate=0.01, decay_steps=50, warmup_steps=20),  # no target
])
def test_cosine_decay_equals_keras(args):
    schedule = keras.optimizers.schedules.CosineDecay(**args)
    n = int(args["decay_steps"] + args.get("warmup_steps", 0)) + 10
    want = keras_values(schedule, n)
    ours = cosine_decay_schedule(range(n), **args)
    peak = args.get("warmup_target") or args["initial_learning_rate"]
    # Keras computes in float32 with the backend's kernels: a few ulps apart
    # (relative to the peak near the end, where 1 + cos(pi x) cancels).
    np.testing.assert_allclose(ours, want, rtol=2e-6, atol=1e-7 * peak)
    assert ours[0] == want[0]


def test_cosine_decay_callback():
    cb = CosineDecay(0.0, decay_steps=10, alpha=0.1, warmup_target=0.1,
                     warmup_steps=4)
    replay_epochs(cb, 4, epochs=5)
    np.testing.assert_array_equal(cb.history["lr"], cosine_decay_schedule(
        range(20), 0.0, 10, 0.1, warmup_target=0.1, warmup_steps=4))
    assert cb.history["lr"].iloc[:5].tolist() == f32([0, 0.025, 0.05, 0.075, 0.1]).tolist()
    assert cb.history["lr"].iloc[-1] == pytest.approx(0.01, rel=1e-6)  # 0.1f * 0.1f
    assert cb.history["base_lr"].iloc[0] == 0.0 and cb.history["max_lr"].iloc[0] == 0.1
    with pytest.raises(ValueError, match=r"`decay_steps` must be > 0, got 0.0"):
        CosineDecay(0.1, decay_steps=0)
    with pytest.raises(ValueError, match=r"`alpha` must be <= 1, got 2.0"):
        CosineDecay(0.1, 10, alpha=2.0)


# -- common ----------------------------------------------------------------------------------
POLICIES = {
    "OneCycle": lambda: OneCycle(max_lr=0.1, total_steps=40),
    "SGDR": lambda: SGDR(max_lr=0.1, epochs_to_restart=2),
    "StepDecay": lambda: StepDecay(0.1, 0.5, 3),
    "CosineDecay": lambda: CosineDecay(0.0, 30, warmup_target=0.1, warmup_steps=10),
}


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_two_runs_with_saved_state_equal_one_run(name, tmp_path):
    once = POLICIES[name]()
    replay_epochs(once, 5, epochs=8)
    first = POLICIES[name]()
    replay_epochs(first, 5, epochs=3)
    first.save(tmp_path / "state.json")
    second = POLICIES[name]().load(tmp_path / "state.json")
    replay_epochs(second, 5, epochs=5)
    assert second.history.equals(once.history)
    assert second.history_epoch.equals(once.history_epoch)
    assert once.history["epoch"].tolist() == list(np.repeat(np.arange(1, 9), 5))


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_plot_lr_history(name):
    cb = POLICIES[name]()
    with pytest.raises(ValueError, match=f"This {name} has no history yet"):
        plot_lr_history(cb)
    replay_epochs(cb, 5, epochs=8)
    data = lr_plot_data(cb, "iteration")
    assert data["x"].tolist() == list(range(40))
    assert data["lr"].equals(cb.history["lr"])
    ax = plot_lr_history(cb, granularity="iteration", trans_y_axis="log10"
                         if name != "CosineDecay" else "identity")
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["lr"]
    if name == "OneCycle":
        assert [line.get_label() for line in ax.right_ax.get_lines()] == ["momentum"]
    import matplotlib.pyplot as plt

    plt.close("all")


def test_plot_lr_history_draws_cyclic_bounds_and_checks_arguments():
    clr = kerasclr.CyclicLR(step_size=4, verbose=0)
    replay_epochs(clr, 5, epochs=3)
    ax = plot_lr_history(clr)
    assert [line.get_label() for line in ax.get_lines()] == ["max_lr", "lr", "base_lr"]
    with pytest.raises(ValueError, match=r"`granularity` must be one of"):
        plot_lr_history(clr, granularity="batch")
    with pytest.raises(TypeError, match=r"`callback` must be a kerasclr policy callback"):
        lr_plot_data(object())
    assert kerasclr.plot_clr_history(clr) is not None
    import matplotlib.pyplot as plt

    plt.close("all")


def test_momentum_needs_an_optimizer_with_momentum():
    from conftest import regression_data, tiny_model

    x, y = regression_data(8)
    for optimizer, message in [
            (keras.optimizers.SGD(0.01),
             r"created with `momentum=0.0`.*SGD\(0.01, momentum=0.9\)"),
            (keras.optimizers.Adagrad(0.01), r"Cannot cycle the momentum of a Adagrad")]:
        model = tiny_model(optimizer=optimizer)
        plain = type(model.optimizer)
        with pytest.raises(ValueError, match=message):
            model.fit(x, y, epochs=1, verbose=0, callbacks=[OneCycle(0.1, total_steps=9)])
        assert type(model.optimizer) is plain


# -- cyclical momentum for CyclicLR -------------------------------------------------------
@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_momentum_equals_pytorch(mode):
    torch = pytest.importorskip("torch")
    steps, step_size = 45, 4
    lrs, moms = torch_lr_and_momentum(
        torch, steps,
        lambda opt: torch.optim.lr_scheduler.CyclicLR(
            opt, base_lr=0.001, max_lr=0.006, step_size_up=step_size, mode=mode,
            gamma=0.97, cycle_momentum=True, base_momentum=0.8, max_momentum=0.9))
    clr = kerasclr.CyclicLR(step_size=step_size, mode=mode, gamma=0.97, verbose=0,
                            cycle_momentum=True)
    replay_epochs(clr, 9, epochs=5)
    np.testing.assert_allclose(clr.history["lr"], lrs, rtol=1e-6)
    np.testing.assert_allclose(clr.history["momentum"], f32(moms), rtol=1e-7)


def test_cyclic_momentum_is_off_by_default_and_validated():
    clr = kerasclr.CyclicLR(step_size=2, verbose=0)
    replay_epochs(clr, 4, epochs=2)
    assert "momentum" not in clr.history.columns
    assert "momentum" not in clr.history_epoch.columns
    assert clr.get_config()["cycle_momentum"] is False
    with pytest.raises(ValueError, match=r"`max_momentum` must be >= `base_momentum`"):
        kerasclr.CyclicLR(cycle_momentum=True, base_momentum=0.95, max_momentum=0.9)
    with pytest.raises(TypeError, match=r"`cycle_momentum` must be True or False, got 1"):
        kerasclr.CyclicLR(cycle_momentum=1)
    on = kerasclr.CyclicLR(step_size=2, verbose=0, cycle_momentum=True)
    replay_epochs(on, 4, epochs=2)
    assert on.history["momentum"].tolist() == f32([0.9, 0.85, 0.8, 0.85] * 2).tolist()
    assert on.history_epoch.columns[-1] == "momentum"
    assert on.history_epoch["momentum"].tolist() == f32([0.9, 0.9]).tolist()


def test_repr_before_the_length_is_known():
    assert repr(OneCycle(max_lr=0.1, epochs=2)) == (
        "<OneCycle next_lr=(set by fit) iterations=0 epochs=0>")
    assert repr(StepDecay(0.1)) == "<StepDecay next_lr=0.1 iterations=0 epochs=0>"
