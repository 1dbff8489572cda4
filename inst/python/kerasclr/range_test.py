"""The LR range test: `LRFinder` (callback) and `lr_range_test()` (driver).

The learning rate rises from ``min_lr`` to ``max_lr`` over a short run while
the loss of every step is recorded; `kerasclr.suggest.suggest_lr_band` reads
a CLR band off the smoothed curve. The callback runs on the same engine as
`CyclicLR`: the rate of every step comes from the in-graph step table, so it
is exact per step on every backend.
"""

from __future__ import annotations

import inspect
import itertools
import math
import sys
import time
import warnings

import keras
import numpy as np
import pandas as pd

from kerasclr.arguments import (
    check_bool,
    check_choice,
    check_count,
    check_number,
)
from kerasclr.engine import GrowableArray, PolicyCallback, detach
from kerasclr.engine.losses import device_copy, distribution_scope
from kerasclr.errors import ArgumentError, KerasclrError
from kerasclr.suggest import (
    MAX_SWEEP_STEPS,
    METHODS,
    EmaSmoother,
    check_beta,
    check_sweep_args,
    loss_plot_limits,
    suggest_lr_band,
    sweep_lrs,
)

STOP_REASONS = ("completed", "diverged", "non_finite_loss")
CHECK_STEPS = 256         # exact_stop=False: at most these steps between two reads
                          # (a quarter of the smallest loss ring)
READ_COST = 2e-4          # the first guess of what a read costs (seconds)
CHECK_SECONDS = (1e-3, 1.0)  # the bounds of the time between two reads


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
    The test ends when the sweep is complete, when a loss is NaN/Inf, or
    when the smoothed loss exceeds ``best + (diverge_threshold - 1) * |best|``
    (``best`` = lowest smoothed loss so far; this is
    ``diverge_threshold * best`` for positive losses and still a rise above
    ``best`` for negative ones).

    The rates are exact per step (in-graph table, as in `CyclicLR`). The
    loss of every step is recorded inside the compiled train step (see
    `kerasclr.engine.losses`): what the step adds to Keras's loss tracker
    (``loss * batch size`` and ``batch size``, summed over replicas), so
    the per-step loss is exact for batches of unequal size and under
    distribution too. The host reads the recorded losses in one transfer:

    - ``exact_stop=True`` (default): after every step, and training stops
      right after the step that ends the test (needs
      ``steps_per_execution=1``);
    - ``exact_stop=False``: in the background, no step waiting for the
      host: every ``sqrt(c * t / 2)`` seconds, ``c`` being what a read
      costs (measured) and ``t`` the time the test has run so far (between
      1 ms and 1 s; at most every 256 steps; and at every epoch end). The
      end of the test is then seen up to two reads later, so training runs
      on for up to ``sqrt(2 * c * t)`` seconds (and at least until the
      current execution of ``steps_per_execution`` steps ends): the time
      lost to reads (``c`` per interval) and to steps run in vain are then
      about equal, each about ``sqrt(2 * c / t)`` of the test's time,
      whatever a step costs (0.6 % for reads of 1 ms in a test of 60 s).
      The history still ends at the step where the test ended, with the
      same losses, so the test's result is the one of ``exact_stop=True``.
      The extra steps do change the weights: use this when they are
      restored afterwards, as `lr_range_test()` does.

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
        exact_stop: read the losses after every step and stop right after
            the step that ends the test (True), or read them in the
            background and let training run on briefly (False).

    Attributes:
        history: pandas DataFrame, one row per step: iteration, epoch, lr,
            loss, smoothed_loss.
        stop_reason: None while running, then "completed", "diverged" or
            "non_finite_loss".

    Example:
        >>> batches = math.ceil(len(x) / 32)  # fit()'s batches per epoch
        >>> finder = kerasclr.LRFinder(1e-6, 1.0, steps_per_epoch=batches, epochs=2)
        >>> model.fit(x, y, batch_size=32, epochs=2, callbacks=[finder])
        >>> finder.suggest()          # {'base_lr': ..., 'max_lr': ...}
    """

    policy_name = "LRFinder"
    r_function = "lr_range_test"
    check_seconds = None  # exact_stop=False: a fixed time between two reads
                          # (None: the rule of the class doc)

    def __init__(self, min_lr=1e-7, max_lr=1.0, steps_per_epoch=100, epochs=1,
                 sweep="exponential", beta=0.98, diverge_threshold=4.0,
                 verbose=0, exact_stop=True):
        self.steps_per_epoch = check_count("steps_per_epoch", steps_per_epoch,
                                           minimum=1, maximum=MAX_SWEEP_STEPS)
        self.epochs = check_count("epochs", epochs, minimum=1)
        total = self.steps_per_epoch * self.epochs
        if total < 2:
            raise KerasclrError(
                f"A range test needs >= 2 steps: `steps_per_epoch` * `epochs` "
                f"is {total}."
            )
        self.min_lr, self.max_lr, self.steps, self.sweep = check_sweep_args(
            min_lr, max_lr, total, sweep)
        self.beta = check_beta(beta)
        self.diverge_threshold = _check_threshold(diverge_threshold)
        self.exact_stop = check_bool("exact_stop", exact_stop)
        super().__init__(verbose=verbose)
        # Reading every step decides the stop in the step's own batch-end
        # hook, which Keras must then call in order (not on its thread pool).
        self.async_safe = not self.exact_stop and self.records_losses
        self._rates = sweep_lrs(self.min_lr, self.max_lr, self.steps, self.sweep)
        self._losses = GrowableArray(np.float64)
        self._smoothed = GrowableArray(np.float64)
        self._smoother = EmaSmoother(self.beta)
        self.best_loss = math.inf        # lowest smoothed loss so far
        self.stop_reason = None
        self._epoch_first_iteration = 0
        self._tracker_seen = (0.0, 0.0)
        self._recorder = None            # the in-step loss recorder of this fit
        self._next_step = 0              # first step whose loss is not yet read
        self._fetched_step = 0           # the last read's step (exact_stop=False)
        self._fetched_at = 0.0           # and its time (time.perf_counter())
        self._started_at = 0.0           # the time of the first batch of this fit
        self._read_cost = READ_COST      # what a read took, on average
        self._fetch = None               # (Fetch, step) of the last check

    # -- the policy ------------------------------------------------------------
    def schedule(self, positions, settings):
        return self._rates[np.minimum(positions.iteration, self.steps - 1)]

    def bounds(self, positions, settings):
        return self.min_lr, self.max_lr

    def _epoch_columns(self):
        return ("epoch", "lr")

    sweep_spans_passes = False  # lr_range_test(): the sweep runs over fit()'s epochs

    def resolve(self, params):
        if not self.sweep_spans_passes:
            self._warn_if_epoch_length_differs(
                self.steps_per_epoch, f"the sweep ({self.steps} steps from min_lr to "
                "max_lr)")

    @property
    def records_losses(self):
        # Flax NNX models build their train function from the class's
        # train_step, which the recorder cannot wrap: read after every step.
        is_nnx = getattr(keras.config, "is_nnx_enabled", lambda: False)
        return not is_nnx()

    # -- Keras hooks ---------------------------------------------------------
    def on_train_begin(self, logs=None):
        spe = int(getattr(self.model, "steps_per_execution", 1) or 1)
        if spe != 1 and (self.exact_stop or not self.records_losses):
            raise KerasclrError(
                "LRFinder with `exact_stop=True` stops training right after the step "
                "that ends the test, which needs a model compiled with "
                f"`steps_per_execution=1` (got {spe}). Compile it so, or pass "
                "`exact_stop=False` (training then runs on briefly after the end of "
                "the test).",
                "lr_range_test(restore_weights = FALSE) stops training right after "
                "the step that ends the test, which needs a model compiled with "
                f"`steps_per_execution = 1` (got {spe}). Compile it so, or use "
                "`restore_weights = TRUE`.")
        super().on_train_begin(logs)
        self._started_at = time.perf_counter()
        attachment = self._attachment
        self._recorder = attachment.recorder if attachment is not None and \
            attachment.recording else None

    def on_epoch_begin(self, epoch, logs=None):
        super().on_epoch_begin(epoch, logs)
        self._epoch_first_iteration = len(self._losses)
        self._tracker_seen = (0.0, 0.0)  # Keras resets its metrics every epoch
        self._next_step = self._fetched_step = self._epoch_first_step
        self._fetched_at = time.perf_counter()
        self._fetch = None

    def on_train_batch_begin(self, batch, logs=None):
        super().on_train_batch_begin(batch, logs)
        if self._recorder is not None and not self.exact_stop:
            step = self._epoch_first_step + int(batch)
            now = time.perf_counter()
            if step > self._fetched_step and (
                    step - self._fetched_step >= CHECK_STEPS
                    or now - self._fetched_at >= self._read_interval(now)):
                # Take the rows fetched at the last check (ready by now) and
                # start fetching the rows since.
                pending = self._fetch
                self._fetch = (self._recorder.fetch(self._model), step)
                if pending is not None:
                    self._take_rows(pending[0].result(), pending[1])
                self._fetched_step, self._fetched_at = step, time.perf_counter()
                cost = self._fetched_at - now
                self._read_cost = 0.8 * self._read_cost + 0.2 * cost

    def _read_interval(self, now):
        """The time between two reads (exact_stop=False): ``sqrt(c * t / 2)``
        for reads that cost ``c`` after ``t`` seconds of the test, within
        `CHECK_SECONDS`."""
        if self.check_seconds is not None:
            return self.check_seconds
        interval = math.sqrt(self._read_cost * (now - self._started_at) / 2)
        return min(max(interval, CHECK_SECONDS[0]), CHECK_SECONDS[1])

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        if self._recorder is not None:
            if self.exact_stop:
                self._read_until(self._epoch_first_step + int(batch) + 1)
            elif self._epoch_first_iteration + int(batch) + 1 >= self.steps:
                self._model.stop_training = True  # the sweep is over
            return
        iteration = self._epoch_first_iteration + int(batch)
        missing = iteration - len(self._losses)
        if missing > 0:
            self._losses.extend(np.full(missing, math.nan))
            self._smoothed.extend(np.full(missing, math.nan))
        if iteration < len(self._losses):
            return  # already recorded
        self._record(self._batch_loss(logs or {}))

    def on_epoch_end(self, epoch, logs=None):
        if self._recorder is not None:
            self._read_until(self._read_step())
        super().on_epoch_end(epoch, logs)

    def on_train_end(self, logs=None):
        if self._recorder is not None and self._epoch_open:
            self._read_until(self._read_step())
        super().on_train_end(logs)
        self._recorder = None
        if self.stop_reason is None and len(self._losses) >= self.steps:
            self.stop_reason = "completed"

    # -- helpers ---------------------------------------------------------------
    def _read_until(self, step):
        """Take the recorded losses of the steps before optimizer ``step``."""
        self._fetch = None
        self._fetched_step = step
        if step > self._next_step and self.stop_reason is None:
            # `self._model`: on JAX `self.model` would copy the whole training
            # state back into the variables.
            self._take_rows(self._recorder.read(self._model), step)
        self._next_step = max(self._next_step, step)

    def _take_rows(self, table, step):
        """Record the losses of the steps from the next unread one to
        ``step`` (excluded), from ``table`` (a read of the ring)."""
        first, count = self._next_step, step - self._next_step
        self._next_step = max(self._next_step, step)
        if count <= 0 or self.stop_reason is not None:
            return
        rows = self._recorder.rows(table, first, count)
        self._record_all(self._recorder.losses(rows).tolist())

    def _record_all(self, losses):
        """Record the losses of the next iterations until the test ends.

        The rules of `EmaSmoother.update` and `divergence_limit`, inlined
        (the same operations in the same order: the same numbers)."""
        smoother = self._smoother
        beta, average, count = smoother.beta, smoother.average, smoother.count
        best, threshold, steps = self.best_loss, self.diverge_threshold, self.steps
        watch = not math.isinf(threshold)
        done, isfinite = len(self._losses), math.isfinite
        smoothed, end = [], None
        for loss in losses:
            count += 1
            average = beta * average + (1.0 - beta) * loss
            value = average / (1.0 - beta ** count)
            smoothed.append(value)
            if not (isfinite(loss) and isfinite(value)):
                end = ("non_finite_loss", f"loss {loss!r}")
                break
            if watch and best != math.inf and \
                    value > best + (threshold - 1.0) * abs(best):
                end = ("diverged", f"smoothed loss {value:.6g} > limit from best "
                                   f"{best:.6g}")
                break
            if value < best:
                best = value
            if done + len(smoothed) >= steps:
                end = ("completed", None)
                break
        smoother.average, smoother.count = average, count
        self.best_loss = best
        self._losses.extend(losses[:len(smoothed)])
        self._smoothed.extend(smoothed)
        if end is not None:
            reason, what = end
            iteration = len(self._losses) - 1
            self._stop(reason, None if what is None else
                       f"{what} at step {iteration}: stopping.")
        return end is None

    def _record(self, loss):
        """Record the loss of the next iteration; False once the test ended."""
        return self._record_all([loss])

    def _batch_loss(self, logs):
        """The loss of the batch that just ran, read from the host (models
        whose train function has no loss recorder)."""
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

    def _stop(self, reason, message):
        self.stop_reason = reason
        self._model.stop_training = True
        if message and self.verbose > 0:
            print(f"LRFinder: {message}", flush=True)

    @property
    def history(self):
        """One row per step: iteration, epoch, lr, loss, smoothed_loss."""
        return pd.DataFrame(self.history_columns(), copy=False)

    def history_columns(self):
        """`history` as a dict of numpy arrays (no table built)."""
        rows = self.history_rows()
        count = len(rows["iteration"])
        if self.stop_reason is not None:
            # Steps run after the test ended (exact_stop=False) are not part of it.
            count = min(count, len(self._losses))
        columns = {name: rows[name][:count] for name in ("iteration", "epoch", "lr")}
        index = columns["iteration"]
        columns["loss"] = _take(self._losses.view(), index)
        columns["smoothed_loss"] = _take(self._smoothed.view(), index)
        return columns

    def suggest(self, method="fall", base_ratio=4.0):
        """`suggest_lr_band` applied to this run's lr and smoothed loss."""
        if not len(self._losses):
            raise KerasclrError(
                "LRFinder has no losses to suggest from: run fit() with it first.",
                "The range test has no losses to suggest from: run it first.")
        columns = self.history_columns()
        return suggest_lr_band(columns["lr"], columns["smoothed_loss"], method=method,
                               base_ratio=base_ratio)

    def get_config(self):
        return {
            "min_lr": self.min_lr, "max_lr": self.max_lr,
            "steps_per_epoch": self.steps_per_epoch, "epochs": self.epochs,
            "sweep": self.sweep, "beta": self.beta,
            "diverge_threshold": self.diverge_threshold, "verbose": self.verbose,
            "exact_stop": self.exact_stop,
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
        columns = finder.history_columns()
        del columns["epoch"]
        self.history = pd.DataFrame(columns, copy=False)
        self.stop_reason = finder.stop_reason
        self.method = method
        self.base_ratio = base_ratio
        self.suggestion = None
        self.suggestion_error = None
        try:
            self.suggestion = suggest_lr_band(columns["lr"], columns["smoothed_loss"],
                                              method=method, base_ratio=base_ratio)
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
            with distribution_scope(model):
                optimizer.build(model.trainable_variables)
        self.variables = list(model.variables) + list(optimizer.variables)
        if keras.backend.backend() == "jax":
            # Copies on the device, in one dispatch (training donates the
            # variables' own buffers).
            self.values = device_copy()([v.value for v in self.variables])
        else:
            self.values = [np.array(v.numpy()) for v in self.variables]

    def restore(self):
        for variable, value in zip(self.variables, self.values):
            variable.assign(value)
        self.model.stop_training = False


DATA_KINDS = ("arrays", "tf.data.Dataset", "PyDataset", "generator", "DataLoader")


def _data_kind(x):
    """Which kind of training data ``x`` is (see `DATA_KINDS`), or None."""
    if inspect.isgenerator(x):
        return "generator"
    if isinstance(x, keras.utils.PyDataset):
        return "PyDataset"
    module = type(x).__module__ or ""
    if module.startswith("tensorflow") and "tensorflow" in sys.modules:
        import tensorflow as tf

        if isinstance(x, tf.data.Dataset):
            return "tf.data.Dataset"
    if module.startswith("torch") and "torch" in sys.modules:
        import torch

        if isinstance(x, torch.utils.data.DataLoader):
            return "DataLoader"
    leaves = keras.tree.flatten(x) if x is not None else []
    if leaves and all(hasattr(leaf, "shape") and len(leaf.shape) for leaf in leaves):
        return "arrays"
    return None


def _batches_per_pass(x, kind):
    """Batches in one pass over a dataset; None when unknown or endless."""
    if kind == "tf.data.Dataset":
        cardinality = int(x.cardinality())
        return cardinality if cardinality >= 0 else None
    if kind == "PyDataset":
        return x.num_batches
    if kind == "DataLoader":
        try:
            return len(x)
        except TypeError:  # an iterable dataset
            return None
    return None


def _fit_plan(x, y, batch_size, steps, shuffle):
    """The ``fit()`` arguments that run ``steps`` batches of ``x``.

    Arrays and datasets of known length run as many passes (epochs) as
    ``steps`` needs, the test ending in the last one; data of unknown or
    endless length runs one epoch of ``steps`` batches.
    """
    kind = _data_kind(x)
    if kind is None:
        raise ArgumentError(
            "x", "an array (or a list/dict of arrays), a tf.data.Dataset, a "
            "keras.utils.PyDataset, a torch DataLoader or a generator", x,
            got=f"an object of type {type(x).__name__}",
            r_expected="a matrix or an array (or a list of them), or a TensorFlow "
            "dataset (tfdatasets)")
    if kind == "arrays":
        rows = int(keras.tree.flatten(x)[0].shape[0])
        if rows < 1:
            raise KerasclrError("`x` has no rows.")
        batch_size = 32 if batch_size is None else batch_size
        return {"x": x, "y": y, "batch_size": batch_size, "shuffle": shuffle,
                "epochs": math.ceil(steps / math.ceil(rows / batch_size))}
    if y is not None:
        raise ArgumentError(
            "y", f"None when `x` is a {kind} (it yields the targets)", y,
            got=f"an object of type {type(y).__name__}",
            r_expected="NULL when `x` is a dataset (it yields the targets)")
    if batch_size is not None:
        raise ArgumentError(
            "batch_size", f"None when `x` is a {kind} (its batches are used)",
            batch_size, r_expected="NULL when `x` is a dataset (its batches are used)")
    per_pass = _batches_per_pass(x, kind)
    if per_pass == 0:
        raise KerasclrError(f"`x` (a {kind}) has no batches.",
                            "`x` (a dataset) has no batches.")
    # Only a PyDataset of known length has batches Keras can shuffle; the
    # others shuffle themselves (Keras warns when asked to).
    plan = {"x": x, "shuffle": shuffle and kind == "PyDataset" and per_pass is not None}
    if per_pass is None:
        plan.update(epochs=1, steps_per_epoch=steps)
    else:
        plan.update(epochs=math.ceil(steps / per_pass))
    return plan


def _reads_are_cheap(model):
    """Whether reading the losses after every step costs less than reading
    them in the background: JAX and PyTorch on the CPU (measured:
    `notes-for-lead/bench_range_test.py`). There the host and the device
    are the same cores, so a read stalls nothing, and Keras then calls the
    batch-end hooks in order instead of on its thread pool, which costs
    more than the reads. Not on a GPU or TPU (a read would stall the queue of
    steps), nor on TensorFlow (it calls the hooks in order anyway and a read
    costs a variable read), nor with ``steps_per_execution > 1``."""
    backend = keras.backend.backend()
    if backend not in ("jax", "torch") or \
            int(getattr(model, "steps_per_execution", 1) or 1) != 1:
        return False
    variables = model.trainable_variables or model.variables
    if not variables:
        return False
    value = variables[0].value
    if backend == "jax":
        return all(device.platform == "cpu" for device in value.devices())
    return value.device.type == "cpu"


def _first_inputs(x, arrays):
    """``(x, inputs)``: the inputs of the first sample (arrays) or batch
    (datasets), and ``x`` again (a generator gets its first batch back)."""
    if arrays:
        return x, keras.tree.map_structure(lambda a: a[:1], x)
    kind = _data_kind(x)
    if kind == "PyDataset":
        batch = x[0]
    elif kind == "tf.data.Dataset":
        batch = next(iter(x.take(1)))
    else:
        iterator = iter(x)
        batch = next(iterator)
        if kind == "generator":
            x = itertools.chain([batch], iterator)
            x = (item for item in x)  # Keras takes generators, not iterators
    inputs = batch[0] if isinstance(batch, tuple) else batch
    return x, keras.tree.map_structure(np.asarray, inputs)


def lr_range_test(model, x, y=None, min_lr=1e-7, max_lr=1.0, steps=200,
                  sweep="exponential", batch_size=None, beta=0.98,
                  diverge_threshold=4.0, restore_weights=True, method="fall",
                  base_ratio=4.0, shuffle=True, verbose=0, **fit_kwargs):
    """Run an LR range test on a compiled model and suggest a CLR band.

    Trains ``model`` for ``steps`` batches (more than one pass over the data
    if needed) while the learning rate rises from ``min_lr`` to ``max_lr``
    (see `LRFinder`), then suggests ``base_lr`` and ``max_lr`` from the
    smoothed loss (``method``, see `kerasclr.suggest`). The test stops early
    at a NaN/Inf loss or when the smoothed loss diverges.

    ``x`` is anything ``fit()`` takes: arrays (with ``y`` and
    ``batch_size``), or a ``tf.data.Dataset``, a ``keras.utils.PyDataset``, a
    torch ``DataLoader`` or a generator, which yield batches (no ``y``, no
    ``batch_size``). Data of known length is passed over as often as
    ``steps`` needs; data of unknown length must yield ``steps`` batches
    (repeat it, e.g. ``dataset.repeat()``), or the test raises an error.

    The loss of every step is recorded inside the train step (see
    `LRFinder`), so the test costs what its steps cost. With
    ``restore_weights=True`` the losses are read in the background (about
    every 50 ms, ``exact_stop=False``) and training may run on for about
    0.1 s after the end of the test before it notices: the history still
    ends where the test ended, with the same numbers, and the weights are
    restored anyway. With ``restore_weights=False`` the losses are read
    after every step and training stops right after the last step of the
    test (``steps_per_execution`` must then be 1). The compiled
    train function is kept on the model's optimizer and reused by the next
    test or kerasclr ``fit()``, and the model's own train function is put
    back afterwards: no call retraces.

    Args:
        model: a compiled Keras model (float learning rate).
        x: training data: arrays (or lists/dicts of arrays), a
            ``tf.data.Dataset``, a ``keras.utils.PyDataset``, a torch
            ``DataLoader`` or a generator.
        y: targets for array ``x`` (None for datasets).
        min_lr: first learning rate (> 0).
        max_lr: last learning rate (> min_lr).
        steps: number of training steps (>= 2).
        sweep: "exponential" (default) or "linear" (the CLR paper's test).
        batch_size: samples per batch for array ``x`` (default 32); None
            for datasets.
        beta: smoothing factor of the bias-corrected moving average, [0, 1).
        diverge_threshold: stop when the smoothed loss exceeds
            ``best + (threshold - 1) * |best|`` (> 1; None: never).
        restore_weights: put the model's variables, the optimizer's
            variables and its learning rate back afterwards (default True).
        method: suggestion rule: "fall" (default), "steepest", "minimum" or
            "valley".
        base_ratio: ``max_lr / base_lr`` for the alternative methods.
        shuffle: shuffle array data (and the batches of a PyDataset) every
            pass; datasets and generators shuffle themselves.
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
    if batch_size is not None:
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
    if y is None and getattr(model, "loss", None) is not None and _data_kind(x) == "arrays":
        raise KerasclrError(
            "`y` is missing: the model is compiled with a loss, which needs the targets "
            "of the arrays `x`. Pass `y`, or a dataset that yields (inputs, targets).",
            "`y` is missing: the model is compiled with a loss, which needs the targets "
            "of `x`. Pass `y`, or a dataset that yields inputs and targets.")
    for name in ("epochs", "steps_per_epoch", "callbacks", "batch_size"):
        if name in fit_kwargs:
            raise KerasclrError(f"lr_range_test() sets `{name}` itself; do not pass it.")
    plan = _fit_plan(x, y, batch_size, steps, shuffle)
    if not model.built:
        # Build it now, so that the snapshot holds every variable.
        plan["x"], inputs = _first_inputs(plan["x"], "batch_size" in plan)
        model(inputs)
    snapshot = _ModelSnapshot(model) if restore_weights else None
    finder = LRFinder(min_lr, max_lr, steps_per_epoch=steps, epochs=1, sweep=sweep,
                      beta=beta, diverge_threshold=diverge_threshold, verbose=verbose,
                      exact_stop=not restore_weights or _reads_are_cheap(model))
    finder.sweep_spans_passes = True  # its one "epoch" is the whole sweep, over passes
    try:
        model.fit(**plan, verbose=verbose, callbacks=[finder], **fit_kwargs)
    finally:
        detach(model)  # plain again, also when fit() ended in an error
        if snapshot is not None:
            snapshot.restore()
    if finder.stop_reason is None:
        done = len(finder._losses)
        raise KerasclrError(
            f"`x` ran out of batches after {done} of the {steps} steps of the range "
            "test: pass data that repeats (e.g. `dataset.repeat()`) or fewer `steps`.",
            f"`x` ran out of batches after {done} of the {steps} steps of the range "
            "test: pass a dataset that repeats (e.g. `dataset_repeat(dataset)`) or "
            "fewer `steps`.")
    return LRRangeTestResult(finder, method=method, base_ratio=base_ratio)
