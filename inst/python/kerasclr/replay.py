"""Replay a policy callback without a model: same hooks, same tables.

`replay_epochs()` drives a callback through the Keras hooks of a training
run whose only effect is to advance an optimizer's step counter. Everything
the callback computes (tables, histories, the plateau logic) runs exactly as
in `fit()`. It answers "what would the schedule have been for these
validation losses?" in milliseconds, and lets the R and Python suites check
the same golden vectors.
"""

from __future__ import annotations

from kerasclr.arguments import check_count
from kerasclr.engine import PolicyCallback
from kerasclr.errors import ArgumentError, KerasclrError


class _StepCounter:
    """An optimizer step counter on the host."""

    def __init__(self, value):
        self.value = int(value)

    def numpy(self):
        return self.value

    def assign_add(self, steps):
        self.value += int(steps)


class _ReplayOptimizer:
    """An optimizer that only counts steps (no variables: a host-only table)."""

    def __init__(self, step):
        self.iterations = _StepCounter(step)


class _ReplayModel:
    """The parts of a Keras model a kerasclr callback uses."""

    def __init__(self, step):
        self.optimizer = _ReplayOptimizer(step)
        self.steps_per_execution = 1
        self.stop_training = False


def replay_epochs(callback, steps_per_epoch, val_loss=None, epochs=None):
    """Run ``callback`` through epochs of ``steps_per_epoch`` batches.

    Args:
        callback: a kerasclr policy callback (e.g. `kerasclr.CyclicLR`); call
            `replay_epochs` again with the same callback to continue (like a
            second ``fit()``).
        steps_per_epoch: training batches per epoch (>= 1).
        val_loss: optional sequence of validation losses, one per epoch
            (``None`` or NaN entries: no / NaN ``val_loss`` that epoch).
        epochs: number of epochs; defaults to ``len(val_loss)``.

    Returns:
        The callback, with its histories extended.

    Example:
        >>> clr = kerasclr.CyclicLR(step_size=78, patience=3, factor=0.8,
        ...                         cooldown=5, verbose=0)
        >>> kerasclr.replay_epochs(clr, 13, val_loss=[30.1, 25.2, 26.0, ...])
        >>> clr.history_epoch
    """
    if not isinstance(callback, PolicyCallback):
        raise ArgumentError("callback", "a kerasclr policy callback", callback,
                            got=type(callback).__name__)
    steps_per_epoch = check_count("steps_per_epoch", steps_per_epoch, minimum=1)
    losses = None if val_loss is None else [
        None if v is None else float(v) for v in val_loss]
    if epochs is None:
        if losses is None:
            raise KerasclrError("Give `val_loss` or `epochs`.")
        epochs = len(losses)
    epochs = check_count("epochs", epochs)
    if losses is not None and len(losses) < epochs:
        raise KerasclrError(f"`val_loss` has {len(losses)} values for {epochs} epochs.")
    model = _ReplayModel(callback.optimizer_step)
    callback.set_model(model)
    callback.set_params({"verbose": 0, "epochs": epochs, "steps": steps_per_epoch})
    callback.on_train_begin()
    for epoch in range(epochs):
        callback.on_epoch_begin(epoch)
        model.optimizer.iterations.assign_add(steps_per_epoch)
        logs = {}
        if losses is not None and losses[epoch] is not None:
            logs["val_loss"] = losses[epoch]
        callback.on_epoch_end(epoch, logs)
    callback.on_train_end()
    return callback
