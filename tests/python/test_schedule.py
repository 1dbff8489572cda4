"""clr_schedule(): the formula, vectorised, against hand-computed values."""

import math

import numpy as np
import pytest

import kerasclr

WORKED_EXAMPLE = [0.001, 0.0018333, 0.0026667, 0.0035, 0.0043333, 0.0051667, 0.006,
                  0.0051667, 0.0043333, 0.0035, 0.0026667, 0.0018333, 0.001, 0.0018333]


def test_worked_example_of_the_semantics():
    lr = kerasclr.clr_schedule(range(14), base_lr=0.001, max_lr=0.006, step_size=6)
    np.testing.assert_allclose(lr, WORKED_EXAMPLE, rtol=5e-5)


def test_triangular2_halves_the_amplitude_every_cycle():
    lr = kerasclr.clr_schedule([0, 2, 4, 6, 8, 10], base_lr=0.0, max_lr=1.0,
                               step_size=2, mode="triangular2", dtype="float64")
    assert lr.tolist() == [0.0, 1.0, 0.0, 0.5, 0.0, 0.25]


def test_exp_range_scales_by_gamma_to_the_iteration():
    lr = kerasclr.clr_schedule([3, 7], base_lr=0.0, max_lr=1.0, step_size=3,
                               mode="exp_range", gamma=0.9, dtype="float64")
    # c=3: top of cycle 1 (amplitude 1); c=7: x=|7/3 - 4 + 1|=2/3, amplitude 1/3.
    np.testing.assert_allclose(lr, [0.9 ** 3, 0.9 ** 7 / 3], rtol=1e-12)


def test_non_integer_step_size():
    lr = kerasclr.clr_schedule([0, 1, 2.0, 5], base_lr=0.0, max_lr=1.0, step_size=2.5,
                               dtype="float64")
    np.testing.assert_allclose(lr, [0.0, 0.4, 0.8, 0.0], atol=1e-15)


def test_float32_default_is_what_the_optimizer_applies():
    exact = kerasclr.clr_schedule(range(50), step_size=7, dtype="float64")
    applied = kerasclr.clr_schedule(range(50), step_size=7)
    assert np.array_equal(applied, exact.astype(np.float32).astype(np.float64))
    assert not np.array_equal(applied, exact)


def test_numpy_scale_fn_is_called_vectorised_once():
    calls = []

    def scale(x):
        calls.append(np.shape(x))
        return 0.5 * (1 + np.sin(x * np.pi / 2))

    lr = kerasclr.clr_schedule(range(40), base_lr=0.0, max_lr=1.0, step_size=5,
                               scale_fn=scale, scale_mode="iterations", dtype="float64")
    assert calls[1:] == [(40,)]  # after the check when the schedule is made: one call
    c = np.arange(40.0)
    amplitude = np.maximum(0, 1 - np.abs(c / 5 - 2 * np.floor(1 + c / 10) + 1))
    np.testing.assert_allclose(lr, amplitude * 0.5 * (1 + np.sin(c * np.pi / 2)),
                               atol=1e-15)


def test_scalar_only_scale_fn_is_called_per_cycle():
    seen = []

    def scale(cycle):
        result = 1.0 if cycle < 2 else 0.5  # raises for arrays: not vectorisable
        seen.append(cycle)
        return result

    lr = kerasclr.clr_schedule(range(0, 40, 4), base_lr=0.0, max_lr=1.0, step_size=4,
                               scale_fn=scale, dtype="float64")
    assert seen[0] == 1.0  # the check when the schedule is made
    assert sorted(seen[1:]) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert lr.tolist() == [0.0, 1.0, 0.0, 0.5, 0.0, 0.5, 0.0, 0.5, 0.0, 0.5]


def test_ten_million_iterations_vectorised():
    lr = kerasclr.clr_schedule(range(10_000_000), step_size=2000, mode="exp_range",
                               gamma=0.99994)
    assert lr.shape == (10_000_000,)
    assert lr[2000] == pytest.approx(0.001 + 0.005 * 0.99994 ** 2000, rel=1e-6)


@pytest.mark.parametrize("value", [-1, 1.5, math.nan, math.inf])
def test_bad_iterations(value):
    with pytest.raises(ValueError, match="`iterations` must hold whole numbers >= 0"):
        kerasclr.clr_schedule([0, value])


@pytest.mark.parametrize("bad", [2.0, -0.5, math.nan])
def test_scale_fn_outside_unit_interval_is_an_error(bad):
    with pytest.raises(ValueError, match=r"`scale_fn` must return a number in \[0, 1\]"):
        kerasclr.clr_schedule(range(10), step_size=2, scale_fn=lambda x: bad)


def test_scale_fn_returning_nonsense():
    with pytest.raises(TypeError, match="`scale_fn` must return one number"):
        kerasclr.clr_schedule(range(3), step_size=2, scale_fn=lambda x: "a")
