"""`plot_lr_history()`: one plot for every kerasclr policy's history."""

from __future__ import annotations

from kerasclr.arguments import check_bool, check_choice
from kerasclr.plotting import Y_TRANSFORMS, draw_lr_lines, history_plot_frame


def _policy_name(callback):
    return getattr(callback, "policy_name", None) or type(callback).__name__


def lr_plot_data(callback, granularity="epoch"):
    """The numbers `plot_lr_history` draws, as a pandas DataFrame.

    Columns: x (training iteration or 1-based epoch), lr, base_lr, max_lr,
    and momentum when the policy cycles it. The R plot draws exactly these.

    Args:
        callback: a kerasclr policy callback that has trained.
        granularity: "epoch" (one point per epoch: the rate of the next
            batch) or "iteration" (one point per batch).
    """
    return history_plot_frame(
        callback, granularity,
        not_a_callback=(
            "`callback` must be a kerasclr policy callback (CyclicLR, OneCycle, "
            f"SGDR, StepDecay, CosineDecay), got {type(callback).__name__}."),
        no_history=(f"This {_policy_name(callback)} has no history yet: train a model "
                    "with it first (pass it to `fit(callbacks=[...])`)."),
        optional_columns=("momentum",),
    )


def plot_lr_history(callback, granularity="epoch", trans_y_axis="identity",
                    show_bounds=None, ax=None):
    """Plot the learning rate (and momentum) of any kerasclr policy's history.

    Args:
        callback: a trained kerasclr policy callback (`CyclicLR`, `OneCycle`,
            `SGDR`, `StepDecay`, `CosineDecay`).
        granularity: "epoch" (default) or "iteration".
        trans_y_axis: "identity" or "log10" (logarithmic learning-rate axis).
        show_bounds: draw the base_lr / max_lr columns as dashed lines; the
            default (None) draws them for CyclicLR only.
        ax: matplotlib Axes to draw on; a new figure when None.

    Returns:
        The matplotlib Axes of the learning rate. A cycled momentum is drawn
        on a second y axis (``ax.right_ax``).

    Example:
        >>> ax = kerasclr.plot_lr_history(one_cycle, granularity="iteration")
        >>> ax.figure.savefig("one_cycle.png")
    """
    check_choice("trans_y_axis", trans_y_axis, Y_TRANSFORMS)
    data = lr_plot_data(callback, granularity)
    if show_bounds is None:
        show_bounds = _policy_name(callback) == "CyclicLR"
    show_bounds = check_bool("show_bounds", show_bounds)
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    handles = draw_lr_lines(ax, data, granularity, trans_y_axis, show_bounds)
    ax.set_title(f"{_policy_name(callback)}: learning rate by {granularity}")
    if "momentum" in data.columns:
        right = ax.twinx()
        handles += right.plot(data["x"], data["momentum"], color="#ff7f0e",
                              linestyle=":", linewidth=1.5, label="momentum")
        right.set_ylabel("momentum")
        ax.right_ax = right
    ax.legend(handles=handles, loc="best")
    return ax
