"""plot_clr_history(): axes, labels, legend and the numbers it draws."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import kerasclr


@pytest.fixture
def plateau_clr():
    clr = kerasclr.CyclicLR(base_lr=0.01, max_lr=0.05, step_size=4, patience=0,
                            factor=0.5, cooldown=0, verbose=0)
    kerasclr.replay_epochs(clr, 5, val_loss=[3.0, 3.1, 3.2, 2.0])
    yield clr
    plt.close("all")


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


@pytest.mark.parametrize("granularity", ["iteration", "epoch"])
def test_plot_draws_the_history(plateau_clr, granularity):
    ax = kerasclr.plot_clr_history(plateau_clr, granularity=granularity)
    table = plateau_clr.history if granularity == "iteration" else plateau_clr.history_epoch
    lines = lines_by_label(ax)
    assert list(lines) == ["max_lr", "lr", "base_lr"]
    for name, line in lines.items():
        np.testing.assert_array_equal(line.get_xdata(), table[granularity].to_numpy())
        np.testing.assert_array_equal(line.get_ydata(), table[name].to_numpy())
    assert ax.get_xlabel() == granularity
    assert ax.get_ylabel() == "learning rate"
    assert ax.get_title() == f"Learning rate by {granularity}"
    assert ax.get_yscale() == "linear"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["max_lr", "lr", "base_lr"]
    assert lines["max_lr"].get_linestyle() == "--"
    assert lines["base_lr"].get_linestyle() == "--"
    assert lines["lr"].get_linestyle() == "-"


def test_default_granularity_is_epoch(plateau_clr):
    ax = kerasclr.plot_clr_history(plateau_clr)
    assert ax.get_xlabel() == "epoch"
    np.testing.assert_array_equal(lines_by_label(ax)["lr"].get_xdata(), [1, 2, 3, 4])
    # The band shrank after epochs 2 and 3 (patience 0, no cooldown).
    np.testing.assert_allclose(lines_by_label(ax)["base_lr"].get_ydata(),
                               [0.01, 0.01, 0.005, 0.0025])


@pytest.mark.parametrize("trans, base", [("log10", 10), ("log2", 2)])
def test_log_axis(plateau_clr, trans, base):
    ax = kerasclr.plot_clr_history(plateau_clr, granularity="iteration",
                                   trans_y_axis=trans)
    assert ax.get_yscale() == "log"
    assert ax.yaxis.get_transform().base == base
    assert ax.get_ylabel() == f"learning rate ({trans} scale)"
    # The data stay untransformed; the axis does the log.
    np.testing.assert_array_equal(lines_by_label(ax)["lr"].get_ydata(),
                                  plateau_clr.history["lr"].to_numpy())


def test_draws_on_given_axes(plateau_clr):
    fig, (left, right) = plt.subplots(1, 2)
    returned = kerasclr.plot_clr_history(plateau_clr, granularity="iteration", ax=right)
    assert returned is right
    assert len(right.get_lines()) == 3 and len(left.get_lines()) == 0
    assert len(fig.axes) == 2


def test_new_figure_without_ax(plateau_clr):
    before = plt.get_fignums()
    ax = kerasclr.plot_clr_history(plateau_clr)
    assert ax.figure.number not in before


def test_plot_data_matches_history(plateau_clr):
    data = kerasclr.clr_plot_data(plateau_clr, granularity="iteration")
    expected = plateau_clr.history[["iteration", "lr", "base_lr", "max_lr"]].rename(
        columns={"iteration": "x"})
    pd.testing.assert_frame_equal(data, expected)
    assert len(kerasclr.clr_plot_data(plateau_clr)) == 4


@pytest.mark.parametrize("momentum", [False, True])
def test_long_histories_are_thinned_keeping_extremes_and_bound_changes(momentum):
    """Above 4 x max_points rows, a plot draws per bucket the first, lowest,
    highest and last row, and both sides of every bound change: each drawn
    row is the history's row, and no peak, trough or step is lost."""
    clr = kerasclr.CyclicLR(base_lr=0.01, max_lr=0.05, step_size=37, patience=0,
                            factor=0.5, cooldown=1, verbose=0, cycle_momentum=momentum)
    kerasclr.replay_epochs(clr, 1001, epochs=9,
                           val_loss=[3.0, 3.1, 3.2, 2.0, 2.5, 2.6, 1.0, 1.1, 1.2])
    whole = kerasclr.lr_plot_data(clr, "iteration", max_points=None)
    data = kerasclr.lr_plot_data(clr, "iteration", max_points=50)
    full = clr.history.set_index("iteration")
    assert len(whole) == 9009 and 100 < len(data) <= 50 * 6 + 20
    assert list(data.columns) == list(whole.columns)
    rows = whole.set_index("x").loc[data["x"]].reset_index()
    pd.testing.assert_frame_equal(data, rows)  # every drawn row is the history's
    width = -(-len(whole) // 50)
    for start in range(0, len(whole), width):
        bucket = whole.iloc[start:start + width]
        names = ["lr", "momentum"] if momentum else ["lr"]
        for name in names:
            shown = data[(data.x >= start) & (data.x < start + width)][name]
            assert shown.min() == bucket[name].min() and shown.max() == bucket[name].max()
        assert {start, bucket.x.iloc[-1]} <= set(data.x)
    steps = np.flatnonzero(np.diff(full["max_lr"].to_numpy()) != 0) + 1
    assert len(steps) >= 2 and set(steps) | set(steps - 1) <= set(data.x)


@pytest.mark.parametrize("args, error, message", [
    ({"granularity": "batch"}, ValueError,
     r"`granularity` must be one of 'epoch', 'iteration', got 'batch'\."),
    ({"trans_y_axis": "log"}, ValueError,
     r"`trans_y_axis` must be one of 'identity', 'log10', 'log2', got 'log'\."),
])
def test_bad_plot_arguments(plateau_clr, args, error, message):
    with pytest.raises(error, match=message):
        kerasclr.plot_clr_history(plateau_clr, **args)


def test_plot_needs_a_callback():
    with pytest.raises(TypeError, match=r"`clr` must be a kerasclr policy callback .*, "
                                        r"got dict\."):
        kerasclr.plot_clr_history({"lr": [1]})


def test_plot_needs_a_history():
    with pytest.raises(ValueError, match=r"This CyclicLR has no history yet"):
        kerasclr.plot_clr_history(kerasclr.CyclicLR(), granularity="iteration")
