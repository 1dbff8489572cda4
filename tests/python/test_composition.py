"""Composed policies, plateau control on any policy, WSD (issue 14)."""

import json
import math

import keras
import numpy as np
import pytest

import kerasclr
from conftest import applied_rates_model, regression_data, tiny_model
from fit_helpers import AppliedRates, fit_epochs


def f32(values):
    return np.asarray(values, np.float32).astype(np.float64)


# -- formulas written here, independent of the package ----------------------------------
def linear_ref(s, a, b, n):
    return a + (b - a) * min(s / n, 1.0)


def clr_ref(c, base, top, step):
    cycle = math.floor(1 + c / (2 * step))
    x = abs(c / step - 2 * cycle + 1)
    return base + (top - base) * max(0.0, 1 - x)


def keras_cosine_ref(s, init, steps, alpha=0.0):
    s = min(s, steps)
    return init * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / steps)) + alpha)


def wsd_ref(s, top, total, warmup, decay, shape, first=0.0, last=0.0):
    if s < warmup:
        return first + (top - first) * s / warmup
    if s < total - decay:
        return top
    t = min((s - (total - decay)) / decay, 1.0)
    factor = {"linear": 1 - t, "cosine": 0.5 * (1 + math.cos(math.pi * t)),
              "1-sqrt": 1 - math.sqrt(t)}[shape]
    return last + (top - last) * factor


def warmup_clr_cosine():
    return kerasclr.Sequence(
        [kerasclr.Linear(0.0, 0.006, steps=20),
         kerasclr.CyclicLR(0.001, 0.006, step_size=10, verbose=0),
         kerasclr.CosineDecay(0.006, decay_steps=30)],
        boundaries=[20, 60])


def expected_warmup_clr_cosine(n):
    out = []
    for s in range(n):
        if s < 20:
            out.append(linear_ref(s, 0.0, 0.006, 20))
        elif s < 60:
            out.append(clr_ref(s - 20, 0.001, 0.006, 10))
        else:
            out.append(keras_cosine_ref(s - 60, 0.006, 30))
    return f32(out)


# -- composition ----------------------------------------------------------------------------
def test_sequence_preview_equals_the_phases_formulas():
    policy = warmup_clr_cosine()
    # Keras's cosine is float32 arithmetic: a few float32 ulps (1e-9 here) from float64
    np.testing.assert_allclose(policy.preview(range(100)), expected_warmup_clr_cosine(100),
                               rtol=1e-6, atol=1e-9)


def test_sequence_preview_of_iterations_in_any_order():
    # a fill asks for steps in order (one slice per phase); a preview may not
    order = np.random.default_rng(3).permutation(100)
    np.testing.assert_allclose(warmup_clr_cosine().preview(order),
                               expected_warmup_clr_cosine(100)[order], rtol=1e-6, atol=1e-9)


def test_sequence_equals_optax_join_schedules():
    optax = pytest.importorskip("optax")
    schedule = optax.join_schedules(
        [optax.linear_schedule(0.0, 0.006, 20), optax.constant_schedule(0.003),
         optax.cosine_decay_schedule(0.006, 30, alpha=0.1)], boundaries=[20, 35])
    want = f32([float(schedule(s)) for s in range(80)])
    policy = kerasclr.Sequence([kerasclr.Linear(0.0, 0.006, steps=20), 0.003,
                                kerasclr.CosineDecay(0.006, decay_steps=30, alpha=0.1)],
                               boundaries=[20, 35])
    np.testing.assert_allclose(policy.preview(range(80)), want, rtol=2e-6, atol=1e-12)


def test_sequence_equals_pytorch_sequential_lr():
    torch = pytest.importorskip("torch")
    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([weight], lr=0.01)
    warm = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, end_factor=1.0,
                                             total_iters=10)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=40, eta_min=0.001)
    scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, [warm, cosine],
                                                      milestones=[10])
    want = []
    for _ in range(50):
        want.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    policy = kerasclr.Sequence([kerasclr.Linear(0.001, 0.01, steps=10),
                                kerasclr.CosineDecay(0.01, decay_steps=40, alpha=0.1)],
                               boundaries=[10])
    np.testing.assert_allclose(policy.preview(range(50)), f32(want), rtol=2e-6)


def test_sequence_in_fit_is_exact_and_resumes_across_a_boundary(tmp_path):
    steps, epochs = 8, 12
    model, x, y = applied_rates_model(steps)
    policy = warmup_clr_cosine()
    probe = AppliedRates()
    fit_epochs(model, x, y, policy, 2, probe=probe)        # 16 steps: in the warm-up
    policy.save(tmp_path / "s.json")
    # a fresh callback continues from step 16, across the boundary at 20
    again = warmup_clr_cosine().load(tmp_path / "s.json")
    fit_epochs(model, x, y, again, epochs - 2, initial_epoch=2, probe=probe)
    want = expected_warmup_clr_cosine(steps * epochs)
    np.testing.assert_allclose(probe.rates, want, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(again.history["lr"], want, rtol=1e-6, atol=1e-9)
    assert again.history["iteration"].tolist() == list(range(steps * epochs))
    # bounds follow the phases: warm-up 0..0.006, the cycle's band, the cosine's
    assert again.history["max_lr"].tolist()[19:21] == [0.006, 0.006]
    assert again.history["base_lr"][25] == 0.001


def test_sequence_in_epochs_with_plateau_in_a_phase():
    losses = [5.0, 4.0, 4.5, 4.6, 4.7, 4.8, 4.9, 5.0]
    policy = kerasclr.Sequence(
        [0.01, kerasclr.CyclicLR(0.001, 0.005, step_size=4, patience=1, factor=0.5,
                                 cooldown=0, verbose=0)],
        boundaries=[2], unit="epochs")
    kerasclr.replay_epochs(policy, 4, val_loss=losses)
    alone = kerasclr.CyclicLR(0.001, 0.005, step_size=4, patience=1, factor=0.5, cooldown=0,
                              verbose=0)
    kerasclr.replay_epochs(alone, 4, val_loss=losses[2:])
    history = policy.history
    assert history["lr"][:8].tolist() == f32([0.01] * 8).tolist()
    np.testing.assert_array_equal(history["lr"][8:], alone.history["lr"])
    np.testing.assert_array_equal(policy.history_epoch["base_lr"][2:],
                                  alone.history_epoch["base_lr"])


def test_sequence_phase_with_a_plateau_that_waits_counts_only_while_it_runs():
    # infinite patience: the phase's observations are queued, and made in order
    # when read (here by the epoch rows and by a read in the middle)
    losses = [5.0, 4.0, 4.5, 4.6, 3.0, 4.8, 4.9, 5.0]
    policy = kerasclr.Sequence([0.01, kerasclr.CyclicLR(0.001, 0.005, step_size=4, verbose=0),
                                0.002], boundaries=[2, 6], unit="epochs")
    kerasclr.replay_epochs(policy, 4, val_loss=losses[:4])
    assert policy.phases[1].not_improved_for_n_times == 1      # epochs 3 and 4 so far
    kerasclr.replay_epochs(policy, 4, val_loss=losses[4:])
    alone = kerasclr.CyclicLR(0.001, 0.005, step_size=4, verbose=0)
    kerasclr.replay_epochs(alone, 4, val_loss=losses[2:6])
    counts = policy.history_epoch["not_improved_for_n_times"].tolist()
    assert counts == [0, 0] + alone.history_epoch["not_improved_for_n_times"].tolist() + [0, 0]
    assert counts[2:6] == [0, 1, 0, 1]
    assert policy.phases[1].best == 3.0


def test_sequence_arguments_are_checked():
    with pytest.raises(ValueError, match=r"`boundaries` must hold one number fewer than "
                                         r"`phases`: 2 phases need 1, got 2"):
        kerasclr.Sequence([0.1, 0.2], boundaries=[1, 2])
    with pytest.raises(ValueError, match=r"`boundaries` must be strictly increasing"):
        kerasclr.Sequence([0.1, 0.2, 0.3], boundaries=[5, 5])
    with pytest.raises(TypeError, match=r"`phases` must be kerasclr policies or numbers, got "
                                        r"'fast' \(phase 2\)"):
        kerasclr.Sequence([0.1, "fast"], boundaries=[3])
    with pytest.raises(ValueError, match=r"Either every phase cycles momentum or none"):
        kerasclr.Sequence([kerasclr.OneCycle(0.1, total_steps=10), 0.1], boundaries=[10])


def test_sequence_errors_name_the_whole_value_in_both_languages():
    cases = [
        (lambda: kerasclr.Sequence([0.1, 0.2, 0.3], boundaries=[5, 5]),
         "`boundaries` must be strictly increasing, got [5, 5].",
         "`boundaries` must be strictly increasing, not c(5, 5)."),
        (lambda: kerasclr.Sequence([0.1, 0.2, 0.3], boundaries=[5, 0]),
         "`boundaries` must hold whole numbers >= 1, got [5, 0].",
         "`boundaries` must hold whole numbers >= 1, not c(5, 0)."),
        (lambda: kerasclr.Sequence([0.1, 0.2], boundaries=2.5),
         "`boundaries` must hold whole numbers >= 1, got [2.5].",
         "`boundaries` must hold whole numbers >= 1, not 2.5."),
        # a constant phase's rule names `phases` and the phase, not Constant's `lr`
        (lambda: kerasclr.Sequence([0.1, -1.0], boundaries=[3]),
         "`phases` must be kerasclr policies or numbers (finite, >= 0), got -1.0 (phase 2).",
         "`phases` must be kerasclr callbacks or numbers (finite, >= 0), not -1 (phase 2)."),
        (lambda: kerasclr.Sequence([0.1], boundaries=[3]),
         "`boundaries` must hold one number fewer than `phases`: 1 phase needs 0, got 1.",
         "`boundaries` must hold one number fewer than `phases`: 1 phase needs 0, got 1."),
    ]
    for make, python, r in cases:
        with pytest.raises(ValueError) as caught:
            make()
        assert str(caught.value) == python
        assert caught.value.r_message == r


def test_sequence_preview_leaves_the_phases_as_they_were():
    wsd = kerasclr.WSD(0.01, decay_fraction=0.5)
    policy = kerasclr.Sequence([0.001, wsd], boundaries=[10])
    short = policy.preview(range(30))   # the WSD phase spans 20 steps here
    want = f32([0.001] * 10 + [wsd_ref(s, 0.01, 20, 0, 10, "linear") for s in range(20)])
    np.testing.assert_allclose(short, want, rtol=1e-6)
    assert wsd.phases is None
    # the fit still takes the length from fit(): 10 epochs of 10 batches
    kerasclr.replay_epochs(policy, 10, epochs=10)
    assert wsd.phases == (0, 45, 90)
    want = f32([0.001] * 10 + [wsd_ref(s, 0.01, 90, 0, 45, "linear") for s in range(90)])
    np.testing.assert_allclose(policy.history["lr"], want, rtol=1e-6)


def test_sequence_preview_needs_batches_per_epoch_for_epoch_phases():
    decay = kerasclr.StepDecay(0.1, decay_factor=0.5, step_size=1)
    for policy in (kerasclr.Sequence([0.1, 0.2], boundaries=[2], unit="epochs"),
                   kerasclr.Sequence([0.2, decay], boundaries=[4])):
        with pytest.raises(ValueError, match=r"`steps_per_epoch` must be given \(batches "
                                             r"per epoch\) when the boundaries are in epochs "
                                             r"or a phase counts epochs, got None"):
            policy.preview(range(10))
    got = kerasclr.Sequence([0.2, decay], boundaries=[4]).preview(range(10), 2)
    np.testing.assert_allclose(got, f32([0.2] * 4 + [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]))


# -- plateau control on any policy ------------------------------------------------------------
def test_plateau_on_a_schedule_scales_its_output_with_a_floor():
    plateau = kerasclr.Plateau(monitor="val_loss", patience=0, factor=0.5, cooldown=0,
                               min_lr=0.004)
    cosine = kerasclr.CosineDecay(0.01, decay_steps=40, plateau=plateau)
    kerasclr.replay_epochs(cosine, 10, val_loss=[1.0, 2.0, 3.0, 0.5])
    lr = cosine.history["lr"].to_numpy()
    raw = f32([keras_cosine_ref(s, 0.01, 40) for s in range(40)])
    close = {"rtol": 1e-6, "atol": 1e-9}  # Keras's cosine: float32 arithmetic
    np.testing.assert_allclose(lr[:10], raw[:10], **close)   # epoch 1
    np.testing.assert_allclose(lr[10:20], raw[10:20], **close)  # improved: none yet
    # after epoch 2 (worse): x0.5, never below 0.004 (nor above the schedule)
    want = np.maximum(raw[20:30] * 0.5, np.minimum(raw[20:30], 0.004))
    np.testing.assert_allclose(lr[20:30], f32(want), **close)
    want = np.maximum(raw[30:] * 0.25, np.minimum(raw[30:], 0.004))
    np.testing.assert_allclose(lr[30:], f32(want), **close)
    assert cosine.history_epoch["not_improved_for_n_times"].tolist() == [0, 1, 2, 0]


def test_plateau_mode_max_on_any_metric():
    plateau = kerasclr.Plateau(monitor="val_accuracy", mode="max", patience=0, factor=0.1,
                               cooldown=0)
    constant = kerasclr.Constant(0.1, plateau=plateau)
    model, x, y = applied_rates_model(4)

    class Accuracy(keras.callbacks.Callback):
        values = [0.5, 0.7, 0.6, 0.8]

        def on_epoch_end(self, epoch, logs=None):
            logs["val_accuracy"] = self.values[epoch]

    fit_epochs(model, x, y, constant, 4, extra=[Accuracy()])
    assert constant.history_epoch["not_improved_for_n_times"].tolist() == [0, 0, 1, 0]
    np.testing.assert_allclose(constant.history["lr"], f32([0.1] * 12 + [0.01] * 4))


def test_cyclic_lr_plateau_is_the_band_logic_with_a_floor():
    clr = kerasclr.CyclicLR(0.01, 0.05, step_size=4, patience=0, factor=0.5, cooldown=0,
                            min_lr=0.004, verbose=0)
    kerasclr.replay_epochs(clr, 4, val_loss=[1.0, 2.0, 3.0, 4.0])
    assert clr.history_epoch["base_lr"].tolist() == [0.01, 0.01, 0.005, 0.004]
    assert clr.history_epoch["max_lr"].tolist() == [0.05, 0.05, 0.025, 0.0125]


# -- WSD ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", ["linear", "cosine", "1-sqrt"])
def test_wsd_equals_its_formula(shape):
    want = f32([wsd_ref(s, 0.01, 100, 10, 30, shape, first=0.001, last=0.0001)
                for s in range(110)])
    got = kerasclr.wsd_schedule(range(110), 0.01, total_steps=100, warmup_steps=10,
                                decay_steps=30, decay_shape=shape, initial_lr=0.001,
                                final_lr=0.0001)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_wsd_infers_its_length_from_fit():
    model, x, y = applied_rates_model(10)
    wsd = kerasclr.WSD(0.01, warmup_fraction=0.1, decay_fraction=0.3, decay_shape="1-sqrt")
    probe = AppliedRates()
    fit_epochs(model, x, y, wsd, 5, probe=probe)
    assert wsd.phases == (5, 15, 50)
    want = f32([wsd_ref(s, 0.01, 50, 5, 15, "1-sqrt") for s in range(50)])
    np.testing.assert_allclose(probe.rates, want, rtol=1e-6, atol=1e-12)


def test_wsd_without_a_length_is_a_clear_error():
    model, x, y = applied_rates_model(4)

    def batches():
        while True:
            yield x[:1], y[:1]

    with pytest.raises(ValueError, match=r"`total_steps` is not given and fit\(\) does not "
                                         r"know the number of batches per epoch"):
        model.fit(batches(), epochs=1, verbose=0, callbacks=[kerasclr.WSD(0.01)])
    with pytest.raises(ValueError, match=r"the warm-up \(60 steps\) and the decay \(50 "
                                         r"steps\) are longer than the whole schedule"):
        kerasclr.WSD(0.01, total_steps=100, warmup_steps=60, decay_steps=50)


def test_new_policies_save_and_resume():
    for make in (lambda: kerasclr.WSD(0.01, total_steps=60, warmup_steps=6),
                 warmup_clr_cosine,
                 lambda: kerasclr.Constant(0.1, plateau=kerasclr.Plateau(patience=0))):
        whole = make()
        kerasclr.replay_epochs(whole, 6, val_loss=[3.0, 2.0, 2.5, 2.6, 1.0, 1.2])
        first = make()
        kerasclr.replay_epochs(first, 6, val_loss=[3.0, 2.0, 2.5])
        second = make()
        second.set_state(json.loads(json.dumps(first.get_state())))
        kerasclr.replay_epochs(second, 6, val_loss=[2.6, 1.0, 1.2])
        assert second.history.equals(whole.history), whole.policy_name
        assert second.history_epoch.equals(whole.history_epoch), whole.policy_name


# -- the per-step table outside Python ------------------------------------------------------------
def read_scalars(folder):
    """{tag: {step: value}} of the event files in ``folder`` (TensorFlow's reader)."""
    tf = pytest.importorskip("tensorflow")
    out = {}
    for path in sorted(folder.iterdir()):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                number = float(tf.make_ndarray(value.tensor))
                out.setdefault(value.tag, {})[event.step] = number
    return out


@pytest.mark.parametrize("spe", [1, 4])
def test_tensorboard_gets_every_applied_rate_at_its_step(tmp_path, spe):
    if spe > 1 and keras.backend.backend() == "torch":
        pytest.skip("torch runs one step per execution")
    model, x, y = applied_rates_model(8, steps_per_execution=spe)
    clr = kerasclr.OneCycle(0.1, total_steps=24)
    model.compile(optimizer=keras.optimizers.SGD(0.5, momentum=0.5), loss=model.loss,
                  steps_per_execution=spe)
    probe = AppliedRates()
    fit_epochs(model, x, y, clr, 3, probe=probe,
               callbacks_after=[kerasclr.TensorBoardRates(clr, tmp_path)])
    scalars = read_scalars(tmp_path / "train")
    lr = scalars["kerasclr/lr"]
    assert sorted(lr) == list(range(24))
    np.testing.assert_array_equal([lr[i] for i in range(24)], clr.history["lr"])
    np.testing.assert_array_equal([scalars["kerasclr/momentum"][i] for i in range(24)],
                                  clr.history["momentum"])


@pytest.mark.parametrize("every", [0.0, 3600.0])
def test_tensorboard_writes_at_epoch_ends_at_most_every_flush_interval(tmp_path, monkeypatch,
                                                                       every):
    """With an interval of 0 each epoch's rows are on disk when the epoch
    ends; with an hour none are until training ends, then all of them."""
    from kerasclr import export

    monkeypatch.setattr(export, "FLUSH_SECONDS", every)
    model, x, y = applied_rates_model(6)
    clr = kerasclr.CyclicLR(step_size=4, verbose=0)
    seen = []

    class Look(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(len(read_scalars(tmp_path / "train").get("kerasclr/lr", {})))

    fit_epochs(model, x, y, clr, 3,
               callbacks_after=[kerasclr.TensorBoardRates(clr, tmp_path), Look()])
    assert seen == ([6, 12, 18] if every == 0 else [0, 0, 0])
    lr = read_scalars(tmp_path / "train")["kerasclr/lr"]
    np.testing.assert_array_equal([lr[i] for i in range(18)], clr.history["lr"])


def test_history_csv_reads_back_exactly(tmp_path):
    import pandas as pd

    clr = kerasclr.CyclicLR(step_size=7, mode="exp_range", gamma=0.99, verbose=0,
                            patience=0, factor=0.7)
    kerasclr.replay_epochs(clr, 13, val_loss=[3.0, 2.5, 2.6, float("nan"), 1 / 3])
    wsd = kerasclr.WSD(0.005, total_steps=30, warmup_steps=3)  # base_lr: zeros (floats)
    kerasclr.replay_epochs(wsd, 10, epochs=3)
    for policy in (clr, wsd):
        for table in ("history", "history_epoch"):
            path = kerasclr.write_history_csv(policy, tmp_path / f"{table}.csv", table=table)
            back = pd.read_csv(path, float_precision="round_trip")
            want = getattr(policy, table)
            assert back.dtypes.to_dict() == want.dtypes.to_dict()
            for column in want.columns:
                np.testing.assert_array_equal(back[column].to_numpy(float),
                                              want[column].to_numpy(float), err_msg=column)
    kerasclr.write_history_csv(clr, tmp_path / "epochs.csv", table="history_epoch")
    lines = (tmp_path / "epochs.csv").read_text().splitlines()
    assert lines[4].startswith("NaN,4,") and lines[4].endswith(",TRUE")
    first_row = (tmp_path / "history.csv").read_text().splitlines()[1]
    assert first_row == "0,1,0.0,0.0,0.0050000000000000001"


def test_an_epoch_that_logged_no_value_is_told_from_a_logged_nan(tmp_path):
    x, y = regression_data(8)
    model = tiny_model()
    clr = kerasclr.CyclicLR(step_size=4, verbose=0)
    model.fit(x, y, batch_size=4, epochs=4, verbose=0, callbacks=[clr],
              validation_data=(x, y), validation_freq=2)
    assert clr.epoch_logs_absent() == {"val_loss": [0, 2]}
    assert np.isnan(clr.history_epoch["val_loss"]).tolist() == [True, False, True, False]

    clr = kerasclr.CyclicLR(step_size=4, patience=3, verbose=0)
    kerasclr.replay_epochs(clr, 3, val_loss=[5.0, None, float("nan"), 4.0])
    assert clr.epoch_logs_absent() == {"val_loss": [1]}
    restored = kerasclr.CyclicLR(step_size=4, patience=3, verbose=0)
    restored.set_state(json.loads(json.dumps(clr.get_state(), allow_nan=False)))
    assert restored.epoch_logs_absent() == {"val_loss": [1]}
    assert restored.get_state() == clr.get_state()
    path = kerasclr.write_history_csv(clr, tmp_path / "epochs.csv", table="history_epoch")
    lines = path.read_text().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["5.0", "", "NaN", "4.0"]


def test_history_rows_from_a_row_on():
    clr = kerasclr.CyclicLR(step_size=4, verbose=0, patience=0, factor=0.5)
    kerasclr.replay_epochs(clr, 10, val_loss=[1.0, 2.0, 3.0])
    whole = clr.history
    for start in (0, 5, 10, 17, 30):
        part = clr.history_rows(start)
        for column in whole.columns:
            np.testing.assert_array_equal(part[column], whole[column].to_numpy()[start:])
