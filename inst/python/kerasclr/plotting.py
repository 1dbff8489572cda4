"""Plots of learning-rate histories (matplotlib), for every policy.

`lr_plot_data` computes the numbers a history plot draws; the R package
draws exactly the same numbers. Long histories are thinned to what a screen
can show: per horizontal bucket the first, lowest, highest and last point,
and every point where a bound changes, so peaks, troughs and steps are
exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kerasclr.arguments import check_bool, check_choice, check_count
from kerasclr.engine import PolicyCallback
from kerasclr.errors import ArgumentError, KerasclrError

GRANULARITIES = ("epoch", "iteration")
Y_TRANSFORMS = ("identity", "log10", "log2")
MAX_POINTS = 4000  # horizontal buckets of a thinned plot
COLOURS = {"max_lr": "#d62728", "lr": "#1f77b4", "base_lr": "#2ca02c",
           "momentum": "#ff7f0e"}


def lr_plot_data(callback, granularity="epoch", max_points=MAX_POINTS,
                 argument="callback"):
    """The numbers a history plot draws, as a pandas DataFrame.

    Columns: x (training iteration or 1-based epoch), lr, base_lr, max_lr,
    and momentum when the policy cycles it.

    Args:
        callback: a kerasclr policy callback that has trained.
        granularity: "epoch" (one point per epoch: the rate of the next
            batch) or "iteration" (one point per batch).
        max_points: thin histories longer than this many buckets (None:
            never); see the module doc.
        argument: the caller's name for ``callback`` (in messages).
    """
    check_choice("granularity", granularity, GRANULARITIES)
    if max_points is not None:
        max_points = check_count("max_points", max_points, minimum=1)
    if not isinstance(callback, PolicyCallback):
        raise ArgumentError(argument, "a kerasclr policy callback (CyclicLR, OneCycle, "
                            "SGDR, StepDecay, CosineDecay, ...)", callback,
                            got=type(callback).__name__)
    if granularity == "iteration":
        # Read off the history's own storage: only the rows drawn are built.
        store = callback.history_store()
        rows = len(store)
        names = store.value_columns
        values = {name: store.values(name) for name in names}
        changes = store.bound_changes()
        pick = store.rows_at
    else:
        table = callback.history_epoch
        rows = len(table)
        names = [name for name in ("lr", "momentum") if name in table.columns]
        columns = {name: table[name].to_numpy()
                   for name in ("epoch", "lr", "base_lr", "max_lr", *names[1:])}
        values = {name: columns[name] for name in names}
        changes = np.flatnonzero((np.diff(columns["base_lr"]) != 0)
                                 | (np.diff(columns["max_lr"]) != 0)) + 1
        pick = lambda selected: {name: column[selected]  # noqa: E731
                                 for name, column in columns.items()}
    if rows == 0:
        raise KerasclrError(
            f"This {callback.policy_name} has no history yet: train a model with it "
            "first (pass it to `fit(callbacks=[...])`).",
            f"This {callback.policy_name} has no history yet: train a model with it "
            "first (pass it to fit(callbacks = list(...))).")
    thin = max_points is not None and rows > 4 * max_points
    picked = pick(_thinned(values, changes, rows, max_points) if thin else np.arange(rows))
    frame = pd.DataFrame({"x": picked[granularity], "lr": picked["lr"],
                          "base_lr": picked["base_lr"], "max_lr": picked["max_lr"]})
    if "momentum" in names:
        frame["momentum"] = picked["momentum"]
    return frame


def _thinned(values, changes, rows, buckets):
    """Row indices to draw: per bucket (``buckets`` or fewer runs of equal
    length) the first, lowest, highest and last row of each column of
    ``values``, and both sides of each row in ``changes`` (where a bound
    changes). Works on views: no temporary as long as the history."""
    width = -(-rows // buckets)  # rows per bucket
    starts = np.arange(0, rows, width)
    keep = [starts, np.minimum(starts + width, rows) - 1, changes - 1, changes]
    whole = rows // width  # buckets of full width; the last may be shorter
    for column in values.values():
        blocks = column[:whole * width].reshape(whole, width)
        tail = column[whole * width:]
        for extreme in (np.argmin, np.argmax):  # the first lowest / highest row
            keep.append(extreme(blocks, axis=1) + starts[:whole])
            if tail.size:
                keep.append([whole * width + extreme(tail)])
    return np.unique(np.concatenate(keep))


def shows_bounds(callback, show_bounds):
    """``show_bounds`` checked; None means: draw the bounds of CyclicLR only."""
    if show_bounds is None:
        return callback.policy_name == "CyclicLR"
    return check_bool("show_bounds", show_bounds)


def plot_lr_history(callback, granularity="epoch", trans_y_axis="identity",
                    show_bounds=None, ax=None, title=None, argument="callback"):
    """Plot the learning rate (and momentum) of any kerasclr policy's history.

    Args:
        callback: a trained kerasclr policy callback.
        granularity: "epoch" (default) or "iteration".
        trans_y_axis: "identity", "log10" or "log2" (logarithmic learning-rate
            axis).
        show_bounds: draw the base_lr / max_lr columns as dashed lines; the
            default (None) draws them for CyclicLR only.
        ax: matplotlib Axes to draw on; a new figure when None.
        title: the title (default: "<policy>: learning rate by <granularity>").
        argument: the caller's name for ``callback`` (in messages).

    Returns:
        The matplotlib Axes of the learning rate. A cycled momentum is drawn
        on a second y axis (``ax.right_ax``).

    Example:
        >>> ax = kerasclr.plot_lr_history(one_cycle, granularity="iteration")
        >>> ax.figure.savefig("one_cycle.png")
    """
    check_choice("trans_y_axis", trans_y_axis, Y_TRANSFORMS)
    data = lr_plot_data(callback, granularity, argument=argument)
    show_bounds = shows_bounds(callback, show_bounds)
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    names = ["max_lr", "lr", "base_lr"] if show_bounds else ["lr"]
    handles = []
    for name in names:
        bound = name != "lr"
        handles += ax.plot(data["x"], data[name], color=COLOURS[name],
                           linestyle="--" if bound else "-",
                           linewidth=1 if bound else 1.5, label=name)
    if trans_y_axis != "identity":
        ax.set_yscale("log", base=10 if trans_y_axis == "log10" else 2)
    ax.set_xlabel(granularity)
    ax.set_ylabel("learning rate" + ("" if trans_y_axis == "identity"
                                     else f" ({trans_y_axis} scale)"))
    ax.set_title(title or f"{callback.policy_name}: learning rate by {granularity}")
    if "momentum" in data.columns:
        right = ax.twinx()
        handles += right.plot(data["x"], data["momentum"], color=COLOURS["momentum"],
                              linestyle=":", linewidth=1.5, label="momentum")
        right.set_ylabel("momentum")
        ax.right_ax = right
    ax.legend(handles=handles, loc="best")
    return ax


def plot_clr_history(clr, granularity="epoch", trans_y_axis="identity", ax=None):
    """Plot the learning rate of a CyclicLR history with its bounds.

    `plot_lr_history` with the bounds drawn and KerasMisc's title.

    Args:
        clr: a trained `kerasclr.CyclicLR` (or any kerasclr policy callback).
        granularity: "epoch" (default, one point per epoch: the lr the next
            epoch starts with) or "iteration" (one point per batch).
        trans_y_axis: "identity", "log10" or "log2" (logarithmic y axis).
        ax: matplotlib Axes to draw on; a new figure when None.

    Returns:
        The matplotlib Axes.

    Example:
        >>> ax = kerasclr.plot_clr_history(clr, granularity="iteration")
        >>> ax.figure.savefig("clr.png")
    """
    return plot_lr_history(clr, granularity, trans_y_axis, show_bounds=True, ax=ax,
                           title=f"Learning rate by {granularity}", argument="clr")


def clr_plot_data(clr, granularity="epoch", max_points=MAX_POINTS):
    """`lr_plot_data` for `plot_clr_history` (columns x, lr, base_lr, max_lr)."""
    data = lr_plot_data(clr, granularity, max_points, argument="clr")
    return data[["x", "lr", "base_lr", "max_lr"]]
