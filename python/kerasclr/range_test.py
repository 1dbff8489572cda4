"""The LR range test: `LRFinder` (callback) and `lr_range_test()` (driver).

The learning rate rises from ``min_lr`` to ``max_lr`` over a short run while
the loss of every step is recorded; `kerasclr.suggest.suggest_lr_band` reads
a CLR band off the smoothed curve. The callback runs on the same engine as
`CyclicLR`: the rate of every step comes from the in-graph step table, so it
is exact per step on every backend.
"""

from __future__ import annotations

import math
import warnings

import keras
import numpy as np

from kerasclr.arguments import (
    check_bool,
    check_choice,
    check_count,
    check_number,
)
from kerasclr.engine import GrowableArray, PolicyCallback, detach
from kerasclr.errors import ArgumentError, KerasclrError
from kerasclr.suggest import (
    METHODS,
    EmaSmoother,
    check_beta,
    check_sweep_args,
    divergence_limit,
    loss_plot_limits,
    suggest_lr_band,
    sweep_lrs,
)

STOP_REASONS = ("completed", "diverged", "non_finite_loss")


def _check_threshold(diverge_threshold):
    if diverge_threshold is None:
        return math.inf
    return check_number("diverge_threshold", diverge_threshold, minimum=1.0,
                        min_inclusive=False, allow_inf=True)


class LRFinder(PolicyCallback):
    """LR range test as a Keras callback, for use inside your own ``fit()``.

    Over ``steps_per_epoch * epochs`` training steps the learning rate rises
    from ``min_lr`` to ``max_lr`` (``sweep="exponential"``: evenly spaced on a
    log scale; ``"linear"``: the CLR paper's original test, the rising half
    of a triangular cycle). The loss of every step is recorded and smoothed
    with a bias-corrected exponential moving average (factor ``beta``).
    Training stops when the sweep is complete, when a loss is NaN/Inf, or
    when the smoothed loss exceeds ``best + (diverge_threshold - 1) * |best|``
    (``best`` = lowest smoothed loss so far; this is
    ``diverge_threshold * best`` for positive losses and still a rise above
    ``best`` for negative ones).

    The rates are exact per step (in-graph table, as in `CyclicLR`). Reading
    the loss of every step is host work after every batch (one read of the
    model's loss tracker); that is the price of a range test, which needs
    every step's loss. The per-step loss is recovered from Keras's running
    epoch mean (its ``total`` and ``count``), so batches of unequal size are
    handled; ``steps_per_execution`` must be 1.

    This callback does not restore weights; `lr_range_test()` does.

    Args:
        min_lr: learning rate of the first step (> 0).
        max_lr: learning rate of the last step (> min_lr).
        steps_per_epoch: training batches per epoch (>= 1).
        epochs: number of epochs the sweep spans (>= 1); the sweep has
            ``steps_per_epoch * epochs`` (>= 2) steps.
        sweep: "exponential" (default) or "linear".
        beta: smoothing factor of the moving average, in [0, 1).
        diverge_threshold: stop when the smoothed loss exceeds this multiple
            of the best (> 1); ``None`` or ``inf`` never stops early.
        verbose: 0 = silent, 1 = a message when the test stops early.

    Attributes:
        history: pandas DataFrame, one row per step: iteration, epoch, lr,
            loss, smoothed_loss.
        stop_reason: None while running, then "completed", "diverged" or
            "non_finite_loss".

    Example:
        >>> finder = kerasclr.LRFinder(1e-6, 1.0, steps_per_epoch=50, epochs=2)
        >>> model.fit(x, y, batch_size=32, epochs=2, callbacks=[finder])
        >>> finder.suggest()          # {'base_lr': ..., 'max_lr': ...}
    """

    policy_name = "LRFinder"
    r_function = "lr_range_test"
    # The loss of every batch decides when the test stops: read it in step.
    async_safe = False

    def __init__(self, min_lr=1e-7, max_lr=1.0, steps_per_epoch=100, epochs=1,
                 sweep="exponential", beta=0.98, diverge_threshold=4.0,
                 verbose=0):
        self.steps_per_epoch = check_count("steps_per_epoch", steps_per_epoch,
                                           minimum=1)
        self.epochs = check_count("epochs", epochs, minimum=1)
        total = self.steps_per_epoch * self.epochs
        if total < 2:
            raise ValueError(
                f"A range test needs >= 2 steps: `steps_per_epoch` * `epochs` "
                f"is {total}."
            )
        self.min_lr, self.max_lr, self.steps, self.sweep = check_sweep_args(
            min_lr, max_lr, total, sweep)
        self.beta = check_beta(beta)
        self.diverge_threshold = _check_threshold(diverge_threshold)
        super().__init__(verbose=verbose)
        self._rates = sweep_lrs(self.min_lr, self.max_lr, self.steps, self.sweep)
        self._losses = GrowableArray(np.float64)
        self._smoothed = GrowableArray(np.float64)
        self._smoother = EmaSmoother(self.beta)
        self.best_loss = math.inf        # lowest smoothed loss so far
        self.stop_reason = None
        self._epoch_first_iteration = 0
        self._tracker_seen = (0.0, 0.0)

    # -- the policy ------------------------------------------------------------
    def schedule(self, positions, settings):
        return self._rates[np.minimum(positions.iteration, self.steps - 1)]

    def bounds(self, positions, settings):
        return self.min_lr, self.max_lr

    def _epoch_columns(self):
        return ("epoch", "lr")

    # -- Keras hooks ---------------------------------------------------------
    def on_train_begin(self, logs=None):
        spe = int(getattr(self.model, "steps_per_execution", 1) or 1)
        if spe != 1:
            raise KerasclrError(
                "LRFinder needs the loss of every step: compile the model with "
                f"`steps_per_execution=1` (got {spe}).",
                "lr_range_test() needs the loss of every step: compile the model with "
                f"`steps_per_execution = 1` (got {spe}).")
        super().on_train_begin(logs)

    def on_epoch_begin(self, epoch, logs=None):
        super().on_epoch_begin(epoch, logs)
        self._epoch_first_iteration = len(self._losses)
        self._tracker_seen = (0.0, 0.0)  # Keras resets its metrics every epoch

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        loss = self._batch_loss(logs or {})
        iteration = self._epoch_first_iteration + int(batch)
        missing = iteration - len(self._losses)
        if missing > 0:
            self._losses.extend(np.full(missing, math.nan))
            self._smoothed.extend(np.full(missing, math.nan))
        if iteration < len(self._losses):
            return  # already recorded
        smoothed = self._smoother.update(loss)
        self._losses.append(loss)
        self._smoothed.append(smoothed)
        if not (math.isfinite(loss) and math.isfinite(smoothed)):
            self._stop("non_finite_loss",
                       f"loss {loss!r} at step {iteration}: stopping.")
            return
        if self._diverged(smoothed):
            self._stop("diverged",
                       f"smoothed loss {smoothed:.6g} > limit from best "
                       f"{self.best_loss:.6g} at step {iteration}: stopping.")
            return
        self.best_loss = min(self.best_loss, smoothed)
        if iteration + 1 >= self.steps:
            self._stop("completed", None)

    def on_train_end(self, logs=None):
        if self.stop_reason is None and len(self._losses) >= self.steps:
            self.stop_reason = "completed"

    # -- helpers ---------------------------------------------------------------
    def _batch_loss(self, logs):
        tracker = getattr(self.model, "_loss_tracker", None)
        variables = getattr(tracker, "variables", None)
        if variables is not None and len(variables) == 2:
            self._sync_backend()
            total, count = (float(np.asarray(v.numpy())) for v in variables)
            seen_total, seen_count = self._tracker_seen
            self._tracker_seen = (total, count)
            if count > seen_count:
                if not math.isfinite(total):
                    return total
                return (total - seen_total) / (count - seen_count)
        value = logs.get("loss")
        return math.nan if value is None else float(np.asarray(value).reshape(()))

    def _diverged(self, smoothed):
        if math.isinf(self.diverge_threshold) or math.isinf(self.best_loss):
            return False
        return smoothed > divergence_limit(self.best_loss, self.diverge_threshold)

    def _stop(self, reason, message):
        self.stop_reason = reason
        self.model.stop_training = True
        if message and self.verbose > 0:
            print(f"LRFinder: {message}", flush=True)

    @property
    def history(self):
        """One row per step: iteration, epoch, lr, loss, smoothed_loss."""
        frame = PolicyCallback.history.fget(self).drop(columns=["base_lr", "max_lr"])
        index = frame["iteration"].to_numpy()
        frame["loss"] = _take(self._losses.view(), index)
        frame["smoothed_loss"] = _take(self._smoothed.view(), index)
        return frame

    def suggest(self, method="fall", base_ratio=4.0):
        """`suggest_lr_band` applied to this run's lr and smoothed loss."""
        frame = self.history
        return suggest_lr_band(frame["lr"], frame["smoothed_loss"], method=method,
                               base_ratio=base_ratio)

    def get_config(self):
        return {
            "min_lr": self.min_lr, "max_lr": self.max_lr,
            "steps_per_epoch": self.steps_per_epoch, "epochs": self.epochs,
            "sweep": self.sweep, "beta": self.beta,
            "diverge_threshold": self.diverge_threshold, "verbose": self.verbose,
        }

    def __repr__(self):
        return (f"<LRFinder {self.sweep} {self.min_lr:g}..{self.max_lr:g} "
                f"steps={self.steps} done={len(self._losses)} "
                f"stop_reason={self.stop_reason}>")


def _take(values, index):
    out = np.full(index.size, math.nan)
    ok = index < values.size
    out[ok] = values[index[ok]]
    return out


class LRRangeTestResult:
    """What `lr_range_test()` returns.

    Attributes:
        history: pandas DataFrame, one row per step: iteration, lr, loss,
            smoothed_loss.
        suggestion: ``{"base_lr": ..., "max_lr": ...}`` (None if the loss
            never fell); splat it: ``CyclicLR(**result.suggestion, step_size=...)``.
        suggestion_error: why there is no suggestion (None when there is one).
        method: the rule that made ``suggestion`` (see `kerasclr.suggest`).
        stop_reason: "completed", "diverged" or "non_finite_loss".
        finder: the `LRFinder` callback that ran.
    """

    def __init__(self, finder, method="fall", base_ratio=4.0):
        self.finder = finder
        self.history = finder.history[["iteration", "lr", "loss", "smoothed_loss"]]
        self.stop_reason = finder.stop_reason
        self.method = method
        self.base_ratio = base_ratio
        self.suggestion = None
        self.suggestion_error = None
        try:
            self.suggestion = self.suggest(method, base_ratio)
        except ValueError as error:
            self.suggestion_error = str(error)
            warnings.warn(f"lr_range_test: no suggestion: {error}", stacklevel=3)

    def suggest(self, method="fall", base_ratio=4.0):
        """The band by another rule (``"fall"``, ``"steepest"``, ...)."""
        return suggest_lr_band(self.history["lr"], self.history["smoothed_loss"],
                               method=method, base_ratio=base_ratio)

    def plot(self, ax=None, show_loss=True):
        """Loss vs learning rate (log x axis), the suggested band shaded.

        Args:
            ax: matplotlib Axes to draw on; a new figure when None.
            show_loss: also draw the raw (unsmoothed) loss, lightly.

        Returns:
            The matplotlib Axes.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        data = self.history
        if show_loss:
            ax.plot(data["lr"], data["loss"], color="#1f77b4", alpha=0.3,
                    linewidth=1, label="loss")
        ax.plot(data["lr"], data["smoothed_loss"], color="#1f77b4",
                linewidth=1.8, label="smoothed loss")
        if self.suggestion is not None:
            ax.axvspan(self.suggestion["base_lr"], self.suggestion["max_lr"],
                       color="#2ca02c", alpha=0.2,
                       label=f"suggested band ({self.method})")
        ax.set_xscale("log")
        low, high = loss_plot_limits(data["smoothed_loss"])
        if math.isfinite(low):
            ax.set_ylim(low, high)
        ax.set_xlabel("learning rate (log10 scale)")
        ax.set_ylabel("loss")
        ax.set_title("LR range test")
        ax.legend(loc="best")
        return ax

    def __repr__(self):
        return (f"<LRRangeTestResult steps={len(self.history)} "
                f"stop_reason={self.stop_reason} method={self.method} "
                f"suggestion={self.suggestion}>")


class _ModelSnapshot:
    """The values of a model's weights and its optimizer's variables."""

    def __init__(self, model):
        self.model = model
        optimizer = model.optimizer
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        self.variables = list(model.variables) + list(optimizer.variables)
        self.values = [np.array(v.numpy()) for v in self.variables]

    def restore(self):
        for variable, value in zip(self.variables, self.values):
            variable.assign(value)
        self.model.stop_training = False


def _num_samples(x):
    leaves = keras.tree.flatten(x)
    if not leaves or not hasattr(leaves[0], "shape") or not len(leaves[0].shape):
        raise KerasclrError(
            "`x` must be an array (or a list/dict of arrays) for lr_range_test(); "
            "for a dataset or generator, pass `kerasclr.LRFinder` to your own "
            "`fit()`.",
            "`x` must be a matrix or an array (or a list of them) for lr_range_test().")
    return int(leaves[0].shape[0])


def lr_range_test(model, x, y=None, min_lr=1e-7, max_lr=1.0, steps=200,
                  sweep="exponential", batch_size=32, beta=0.98,
                  diverge_threshold=4.0, restore_weights=True, method="fall",
                  base_ratio=4.0, shuffle=True, verbose=0, **fit_kwargs):
    """Run an LR range test on a compiled model and suggest a CLR band.

    Trains ``model`` for ``steps`` batches (more than one pass over the data
    if needed) while the learning rate rises from ``min_lr`` to ``max_lr``
    (see `LRFinder`), then suggests ``base_lr`` and ``max_lr`` from the
    smoothed loss (``method``, see `kerasclr.suggest`). The test stops early
    at a NaN/Inf loss or when the smoothed loss diverges.

    Args:
        model: a compiled Keras model (float learning rate, or a kerasclr
            table), ``steps_per_execution=1``.
        x, y: training data (arrays, or lists/dicts of arrays).
        min_lr: first learning rate (> 0).
        max_lr: last learning rate (> min_lr).
        steps: number of training steps (>= 2).
        sweep: "exponential" (default) or "linear" (the CLR paper's test).
        batch_size: samples per batch (>= 1).
        beta: smoothing factor of the bias-corrected moving average, [0, 1).
        diverge_threshold: stop when the smoothed loss exceeds
            ``best + (threshold - 1) * |best|`` (> 1; None: never).
        restore_weights: put the model's variables, the optimizer's
            variables and its learning rate back afterwards (default True).
        method: suggestion rule: "fall" (default), "steepest", "minimum" or
            "valley".
        base_ratio: ``max_lr / base_lr`` for the alternative methods.
        shuffle: shuffle the data every pass.
        verbose: passed to ``fit()``; > 0 also reports an early stop.
        **fit_kwargs: more arguments for ``fit()`` (e.g. ``sample_weight``).

    Returns:
        `LRRangeTestResult`: ``.history``, ``.suggestion`` (a dict of
        base_lr and max_lr), ``.method``, ``.stop_reason``, ``.plot()``.

    Example:
        >>> result = kerasclr.lr_range_test(model, x, y, min_lr=1e-6, max_lr=1,
        ...                                 steps=100)
        >>> result.plot()
        >>> clr = kerasclr.CyclicLR(**result.suggestion, step_size=4 * 13)
    """
    min_lr, max_lr, steps, sweep = check_sweep_args(min_lr, max_lr, steps, sweep)
    batch_size = check_count("batch_size", batch_size, minimum=1)
    beta = check_beta(beta)
    diverge_threshold = _check_threshold(diverge_threshold)
    restore_weights = check_bool("restore_weights", restore_weights)
    check_choice("method", method, METHODS)
    base_ratio = check_number("base_ratio", base_ratio, minimum=1.0,
                              min_inclusive=False)
    shuffle = check_bool("shuffle", shuffle)
    if not isinstance(model, keras.Model):
        raise ArgumentError("model", "a Keras model", model, got=type(model).__name__)
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        raise KerasclrError(
            "`model` must be compiled before lr_range_test(): call "
            "`model.compile(optimizer=..., loss=...)` first.",
            "`model` must be compiled before lr_range_test(): call "
            "`compile(model, optimizer = ..., loss = ...)` (keras3) first.")
    for name in ("epochs", "steps_per_epoch", "callbacks", "batch_size"):
        if name in fit_kwargs:
            raise ValueError(f"lr_range_test() sets `{name}` itself; do not pass it.")
    rows = _num_samples(x)
    if rows < 1:
        raise ValueError("`x` has no rows.")
    batches_per_pass = math.ceil(rows / batch_size)
    epochs = math.ceil(steps / batches_per_pass)
    if not model.built:
        model(keras.tree.map_structure(lambda a: a[:1], x))
    snapshot = _ModelSnapshot(model) if restore_weights else None
    finder = LRFinder(min_lr, max_lr, steps_per_epoch=steps, epochs=1, sweep=sweep,
                      beta=beta, diverge_threshold=diverge_threshold,
                      verbose=verbose)
    try:
        model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=shuffle,
                  verbose=verbose, callbacks=[finder], **fit_kwargs)
    finally:
        detach(model)  # plain again, also when fit() ended in an error
        if snapshot is not None:
            snapshot.restore()
    return LRRangeTestResult(finder, method=method, base_ratio=base_ratio)
