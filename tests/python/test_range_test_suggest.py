"""Pure functions of the LR range test: sweep, smoothing, divergence, bands."""

import math

import numpy as np
import pytest

import kerasclr
from kerasclr.suggest import divergence_limit, loss_plot_limits

LR = 10.0 ** (-5 + 0.1 * np.arange(51))  # 1e-5 .. 1, 10 steps per decade


def flat_fall_rise():
    """1.0 for steps 0..10, -0.04 per step down to 0.0 at 35, then rising."""
    i = np.arange(51)
    loss = np.where(i <= 10, 1.0, 1.0 - 0.04 * (i - 10))
    return np.where(i <= 35, loss, 0.5 * (i - 35))


def tanh_curve():
    """Falls along 1 - tanh((i - 25) / 5) (steepest at 25) to step 40, then rises."""
    i = np.arange(51)
    loss = 1.0 - np.tanh((i - 25) / 5.0)
    return np.where(i <= 40, loss, loss[40] + 0.2 * (i - 40))


# -- sweep -------------------------------------------------------------------
def test_exponential_sweep_is_log_spaced_with_exact_ends():
    rates = kerasclr.sweep_lrs(1e-4, 1e-1, 4)
    np.testing.assert_allclose(rates, [1e-4, 1e-3, 1e-2, 1e-1], rtol=1e-12)
    rates = kerasclr.sweep_lrs(1e-7, 1.0, 200)
    assert rates[0] == 1e-7 and rates[-1] == 1.0
    np.testing.assert_allclose(np.diff(np.log(rates)), np.log(1e7) / 199, rtol=1e-9)


def test_linear_sweep_is_the_rising_half_of_a_triangular_cycle():
    rates = kerasclr.sweep_lrs(0.1, 0.5, 5, sweep="linear")
    np.testing.assert_allclose(rates, [0.1, 0.2, 0.3, 0.4, 0.5], rtol=1e-12)
    preview = kerasclr.clr_schedule(range(5), base_lr=0.1, max_lr=0.5,
                                    step_size=4, dtype="float64")
    np.testing.assert_allclose(rates, preview, rtol=1e-15)


@pytest.mark.parametrize("args, message", [
    ((1e-3, 1e-3, 10), "`min_lr` must be < `max_lr`, got min_lr=0.001 and max_lr=0.001."),
    ((1.0, 0.1, 10), "`min_lr` must be < `max_lr`, got min_lr=1.0 and max_lr=0.1."),
    ((0.0, 1.0, 10), "`min_lr` must be > 0, got 0.0."),
    ((-1e-3, 1.0, 10), "`min_lr` must be > 0, got -0.001."),
    ((1e-3, -1.0, 10), "`max_lr` must be > 0, got -1.0."),
    ((1e-3, 1.0, 1), "`steps` must be >= 2, got 1.0."),
    ((1e-3, 1.0, 2.5), "`steps` must be a whole number, got 2.5."),
])
def test_sweep_rejects_bad_arguments(args, message):
    with pytest.raises(ValueError) as info:
        kerasclr.sweep_lrs(*args)
    assert str(info.value) == message


def test_sweep_rejects_unknown_sweep():
    with pytest.raises(ValueError, match="`sweep` must be one of 'exponential', "
                                         "'linear', got 'cosine'"):
        kerasclr.sweep_lrs(1e-3, 1.0, 10, sweep="cosine")


# -- smoothing -----------------------------------------------------------------
def test_smoothing_is_a_bias_corrected_ema():
    np.testing.assert_allclose(kerasclr.smooth_losses([4.0, 2.0], beta=0.5),
                               [4.0, 2.0 / 0.75], rtol=1e-15)
    np.testing.assert_allclose(kerasclr.smooth_losses([3.0] * 50, beta=0.98),
                               3.0, rtol=1e-12)
    np.testing.assert_array_equal(kerasclr.smooth_losses([5.0, 1.0, 7.0], beta=0.0),
                                  [5.0, 1.0, 7.0])


def test_smoothing_propagates_a_nan_and_checks_beta():
    smoothed = kerasclr.smooth_losses([1.0, math.nan, 1.0], beta=0.9)
    assert smoothed[0] == 1.0 and np.isnan(smoothed[1:]).all()
    with pytest.raises(ValueError, match=r"`beta` must be < 1, got 1.0."):
        kerasclr.smooth_losses([1.0], beta=1.0)


def test_divergence_limit_works_for_negative_losses():
    assert divergence_limit(2.0, 4.0) == 8.0
    assert divergence_limit(-2.0, 4.0) == 4.0     # above the best, not -8
    assert divergence_limit(-2.0, 1.5) == -1.0
    assert divergence_limit(0.0, 4.0) == 0.0


# -- suggestions on synthetic curves ---------------------------------------------
def test_fall_rule_reads_10_and_90_percent_of_the_fall():
    band = kerasclr.suggest_lr_band(LR, flat_fall_rise())
    # loss 0.88 at step 13 is the first <= 0.9; 0.08 at step 33 the first <= 0.1
    assert band == {"base_lr": LR[13], "max_lr": LR[33]}


def test_fall_rule_is_shift_and_scale_invariant_and_handles_negative_losses():
    loss = flat_fall_rise()
    expected = kerasclr.suggest_lr_band(LR, loss)
    assert kerasclr.suggest_lr_band(LR, 3.0 * loss - 7.0) == expected


def test_fall_rule_ignores_an_early_spike():
    loss = flat_fall_rise()
    loss[1] = 1.5  # a noisy first value of the moving average
    # start = median of steps 0..17 = 1.0 as before: same band
    assert kerasclr.suggest_lr_band(LR, loss) == {"base_lr": LR[13], "max_lr": LR[33]}
    assert kerasclr.suggest_lr_band(LR, loss, method="steepest") == \
        kerasclr.suggest_lr_band(LR, flat_fall_rise(), method="steepest")


def test_fall_rule_reads_the_last_time_the_loss_was_near_its_start():
    loss = flat_fall_rise()
    loss[15] = 0.95  # back near the start level (0.9 or above) at step 15
    assert kerasclr.suggest_lr_band(LR, loss) == {"base_lr": LR[16], "max_lr": LR[33]}


def test_fall_rule_falls_back_to_base_ratio_when_the_fall_is_one_step():
    lr = np.array([0.001, 0.01, 0.1, 1.0])
    band = kerasclr.suggest_lr_band(lr, [1.0, 1.0, 0.0, 1.0])
    assert band == {"base_lr": 0.1 / 4, "max_lr": 0.1}


def test_steepest_minimum_valley_rules():
    loss = tanh_curve()
    assert kerasclr.suggest_lr_band(LR, loss, method="steepest") == {
        "base_lr": LR[25] / 4, "max_lr": LR[25]}
    assert kerasclr.suggest_lr_band(LR, loss, method="minimum") == {
        "base_lr": LR[40] / 10 / 4, "max_lr": LR[40] / 10}
    # the whole fall 0..40 is strictly decreasing: halfway is step 20
    assert kerasclr.suggest_lr_band(LR, loss, method="valley") == {
        "base_lr": LR[20] / 4, "max_lr": LR[20]}
    assert kerasclr.suggest_lr_band(LR, loss, method="valley", base_ratio=3) == {
        "base_lr": LR[20] / 3, "max_lr": LR[20]}


def test_valley_starts_at_the_last_point_of_a_flat_start():
    # flat 1.0 up to step 10, strictly down to step 35: valley 10..35, middle 22
    band = kerasclr.suggest_lr_band(LR, flat_fall_rise(), method="valley")
    assert band == {"base_lr": LR[22] / 4, "max_lr": LR[22]}


def test_steepest_ignores_noise_before_the_top():
    loss = tanh_curve()
    loss[:3] = [1.0, 0.2, 1.0]  # a steep dip before the top of the curve
    band = kerasclr.suggest_lr_band(LR, loss, method="steepest")
    assert band["max_lr"] == LR[25]


def test_suggestion_ignores_everything_after_the_first_nan():
    loss = flat_fall_rise()
    expected = kerasclr.suggest_lr_band(LR, loss)
    loss[40] = math.nan
    loss[41:] = -100.0  # garbage after the NaN must not count
    assert kerasclr.suggest_lr_band(LR, loss) == expected


def test_suggestion_errors():
    rising = np.linspace(1.0, 2.0, 51)
    with pytest.raises(ValueError, match="never falls below its starting value"):
        kerasclr.suggest_lr_band(LR, rising)
    with pytest.raises(ValueError, match="at least 3 finite losses before the "
                                         "first NaN/Inf, got 2"):
        kerasclr.suggest_lr_band(LR, [1.0, 0.5, math.inf] + [0.1] * 48)
    with pytest.raises(ValueError, match="same length, got 51 and 3"):
        kerasclr.suggest_lr_band(LR, [1.0, 0.5, 0.1])
    with pytest.raises(ValueError, match="strictly increasing"):
        kerasclr.suggest_lr_band(LR[::-1], flat_fall_rise())
    with pytest.raises(ValueError, match="`method` must be one of 'fall', "
                                         "'steepest', 'minimum', 'valley', got 'min'"):
        kerasclr.suggest_lr_band(LR, flat_fall_rise(), method="min")
    with pytest.raises(ValueError, match=r"`base_ratio` must be > 1, got 1.0."):
        kerasclr.suggest_lr_band(LR, flat_fall_rise(), base_ratio=1)


def test_band_splats_into_cyclic_lr():
    band = kerasclr.suggest_lr_band(LR, flat_fall_rise())
    clr = kerasclr.CyclicLR(**band, step_size=8, verbose=0)
    assert (clr.base_lr, clr.max_lr) == (LR[13], LR[33])


def test_plot_limits_cut_off_the_diverging_tail():
    loss = np.array([2.0, 3.0, 1.0, 0.0, 5.0, 50.0, math.inf, -9.0])
    assert loss_plot_limits(loss) == pytest.approx((-0.3, 3.75), rel=1e-15)
    assert loss_plot_limits([2.0, 2.0]) == pytest.approx((1.98, 2.05), rel=1e-15)
    assert all(math.isnan(v) for v in loss_plot_limits([math.nan]))
