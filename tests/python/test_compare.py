"""compare_clr_histories() against the golden comparisons and on bad input."""

import math

import numpy as np
import pandas as pd
import pytest

import kerasclr
from conftest import GOLDEN, expected_column


def golden_frame(table):
    return pd.DataFrame({name: (values if isinstance(values[0], bool)
                                else expected_column(values))
                         for name, values in table.items()})


@pytest.mark.parametrize("case", GOLDEN["comparisons"], ids=lambda c: c["name"])
def test_comparison_matches_golden(case):
    result = kerasclr.compare_clr_histories(golden_frame(case["x"]), golden_frame(case["y"]))
    expected = case["expected"]
    assert result.key == expected["key"]
    assert result.rows == expected["rows"]
    assert result.schedule_identical is expected["schedule_identical"]
    want = pd.DataFrame(expected["table"])
    assert list(result.table.columns) == list(want.columns)
    assert result.table["column"].tolist() == want["column"].tolist()
    for name in ("schedule", "identical", "within_tolerance"):
        assert result.table[name].tolist() == want[name].tolist(), name
    for name in ("max_abs_diff", "max_rel_diff"):
        np.testing.assert_allclose(result.table[name], want[name], rtol=1e-12, atol=0)


def test_two_replays_of_the_same_settings_are_identical():
    runs = []
    for _ in range(2):
        clr = kerasclr.CyclicLR(step_size=6, patience=1, cooldown=1, verbose=0)
        kerasclr.replay_epochs(clr, 13, val_loss=[3.0, 3.1, 3.2, 3.3])
        runs.append(clr)
    result = kerasclr.compare_clr_histories(runs[0].history, runs[1].history)
    assert result.key == "iteration" and result.rows == 52
    assert result.schedule_identical
    assert result.table["max_abs_diff"].tolist() == [0.0] * 5
    epoch = kerasclr.compare_clr_histories(runs[0].history_epoch, runs[1].history_epoch)
    assert epoch.key == "epoch" and epoch.schedule_identical
    assert "schedule columns identical" in repr(epoch)


def test_a_nan_on_one_side_only_is_an_infinite_difference():
    x = pd.DataFrame({"epoch": [1, 2], "val_loss": [1.0, math.nan]})
    y = pd.DataFrame({"epoch": [1, 2], "val_loss": [1.0, 2.0]})
    row = kerasclr.compare_clr_histories(x, y).table.set_index("column").loc["val_loss"]
    assert math.isinf(row["max_abs_diff"]) and not row["identical"]


def test_different_columns_are_named():
    x = pd.DataFrame({"epoch": [1], "lr": [0.1], "loss": [1.0]})
    y = pd.DataFrame({"epoch": [1], "lr": [0.1], "mae": [1.0]})
    with pytest.raises(ValueError, match=r"only in `x`: loss; only in `y`: mae"):
        kerasclr.compare_clr_histories(x, y)


def test_different_lengths_are_named():
    x = pd.DataFrame({"iteration": [0, 1, 2], "lr": [0.1, 0.2, 0.3]})
    y = pd.DataFrame({"iteration": [0, 1], "lr": [0.1, 0.2]})
    with pytest.raises(ValueError, match=r"`x` has 3 rows, `y` has 2"):
        kerasclr.compare_clr_histories(x, y)


def test_different_keys_are_named():
    x = pd.DataFrame({"iteration": [0, 1], "lr": [0.1, 0.2]})
    y = pd.DataFrame({"iteration": [0, 2], "lr": [0.1, 0.2]})
    with pytest.raises(ValueError, match=r"iteration 1 in `x` and 2 in `y`"):
        kerasclr.compare_clr_histories(x, y)


def test_non_numeric_columns_are_named():
    x = pd.DataFrame({"epoch": [1], "note": ["a"]})
    with pytest.raises(kerasclr.KerasclrError, match=r"Column `note` of `y` is not numeric"):
        kerasclr.compare_clr_histories(x.assign(note=[1.0]), x)


def test_tables_without_key_and_non_tables_are_rejected():
    x = pd.DataFrame({"lr": [0.1]})
    with pytest.raises(ValueError, match="`iteration` or `epoch`"):
        kerasclr.compare_clr_histories(x, x)
    with pytest.raises(TypeError, match="`x` must be a pandas DataFrame"):
        kerasclr.compare_clr_histories([1, 2], x)
    with pytest.raises(ValueError, match="`rtol` must be >= 0"):
        kerasclr.compare_clr_histories(x, x, rtol=-1)
