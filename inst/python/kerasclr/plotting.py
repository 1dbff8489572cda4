"""Matplotlib plots of learning-rate histories."""

from __future__ import annotations

from kerasclr.arguments import check_choice

GRANULARITIES = ("epoch", "iteration")
Y_TRANSFORMS = ("identity", "log10")


def clr_plot_data(clr, granularity="epoch"):
    """The columns a history plot draws, as a pandas DataFrame.

    ``granularity="iteration"`` gives ``x`` = training iteration from
    ``clr.history``; ``"epoch"`` gives ``x`` = epoch from
    ``clr.history_epoch``. Columns: x, lr, base_lr, max_lr. Both the Python
    and the R plots draw exactly these numbers.
    """
    return history_plot_frame(
        clr, granularity,
        not_a_callback=f"`clr` must be a kerasclr callback, got {type(clr).__name__}.",
        no_history=("`clr` has no history yet: train a model with it first "
                    "(pass it to `fit(callbacks=[...])`)."),
    )


def history_plot_frame(callback, granularity, not_a_callback, no_history,
                       optional_columns=()):
    """Columns x, lr, base_lr, max_lr (+ ``optional_columns`` present) of a
    callback's history by ``granularity``; the two messages are the errors
    for a non-callback and for an empty history. Shared by every plot."""
    check_choice("granularity", granularity, GRANULARITIES)
    if not hasattr(callback, "history_epoch"):
        raise TypeError(not_a_callback)
    table = callback.history if granularity == "iteration" else callback.history_epoch
    if len(table) == 0:
        raise ValueError(no_history)
    columns = [granularity, "lr", "base_lr", "max_lr"]
    columns += [name for name in optional_columns if name in table.columns]
    frame = table[columns].rename(columns={granularity: "x"})
    return frame.reset_index(drop=True)


def plot_clr_history(clr, granularity="epoch", trans_y_axis="identity", ax=None):
    """Plot the learning rate of a CyclicLR history with its bounds.

    Args:
        clr: a trained `kerasclr.CyclicLR` (or any kerasclr policy callback).
        granularity: "epoch" (default, one point per epoch: the lr the next
            epoch starts with) or "iteration" (one point per batch).
        trans_y_axis: "identity" or "log10" (logarithmic y axis).
        ax: matplotlib Axes to draw on; a new figure when None.

    Returns:
        The matplotlib Axes.

    Example:
        >>> ax = kerasclr.plot_clr_history(clr, granularity="iteration")
        >>> ax.figure.savefig("clr.png")
    """
    check_choice("trans_y_axis", trans_y_axis, Y_TRANSFORMS)
    data = clr_plot_data(clr, granularity)
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    draw_lr_lines(ax, data, granularity, trans_y_axis, show_bounds=True)
    ax.set_title(f"Learning rate by {granularity}")
    ax.legend(loc="best")
    return ax


def draw_lr_lines(ax, data, granularity, trans_y_axis, show_bounds):
    """Draw lr (and the dashed max_lr / base_lr bounds) and label the axes.

    Shared by `plot_clr_history` and `plot_lr_history`; returns the lines.
    """
    lines = []
    if show_bounds:
        lines += ax.plot(data["x"], data["max_lr"], color="#d62728",
                         linestyle="--", linewidth=1, label="max_lr")
    lines += ax.plot(data["x"], data["lr"], color="#1f77b4", linewidth=1.5,
                     label="lr")
    if show_bounds:
        lines += ax.plot(data["x"], data["base_lr"], color="#2ca02c",
                         linestyle="--", linewidth=1, label="base_lr")
    if trans_y_axis == "log10":
        ax.set_yscale("log")
    ax.set_xlabel(granularity)
    ax.set_ylabel("learning rate" + (" (log10 scale)" if trans_y_axis == "log10"
                                     else ""))
    return lines
