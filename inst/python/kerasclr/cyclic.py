"""`CyclicLR`: cyclical learning rates with a plateau-scaled band."""

from __future__ import annotations

import math

import numpy as np

from kerasclr.arguments import (
    check_bool,
    check_bounds,
    check_count,
    check_number,
)
from kerasclr.engine import StateFile, TableDrivenCallback
from kerasclr.policies.cyclic_momentum import ClrMomentum
from kerasclr.schedule import ClrScale, check_step_size, cyclic_lr


class CyclicLR(ClrMomentum, StateFile, TableDrivenCallback):
    """Cyclical learning rate (Smith, arXiv:1506.01186) as a Keras callback.

    The learning rate cycles between ``base_lr`` and ``max_lr`` with a
    half-period of ``step_size`` training iterations. When the validation
    loss stops improving for more than ``patience`` epochs, the band is
    shrunk by ``factor`` (the KerasMisc extension), followed by ``cooldown``
    epochs without reduction.

    The rate is exact at every optimizer step: it is looked up from the
    optimizer's step counter inside the compiled train step, from a table the
    callback fills on the host once per epoch (also with
    ``steps_per_execution > 1`` and ``jit_compile=True``).

    Args:
        base_lr: lower bound of the cycle (>= 0).
        max_lr: upper bound of the cycle (>= base_lr).
        step_size: training iterations per half cycle (>= 1, need not be an
            integer).
        mode: "triangular", "triangular2" or "exp_range".
        gamma: for "exp_range", the scale is ``gamma ** iteration``; in (0, 1].
        scale_fn: optional callable of one number returning a number in
            [0, 1]; overrides ``mode``.
        scale_mode: "cycle" or "iteration"/"iterations": what ``scale_fn``
            is evaluated on.
        patience: epochs without improvement of ``val_loss`` before the band
            shrinks; ``float("inf")`` (default) never shrinks it.
        factor: multiplier of the bounds at a reduction, in (0, 1].
        decrease_base_lr: whether ``base_lr`` shrinks too.
        cooldown: epochs to wait after a reduction before the next one.
        verbose: 0 = silent, 1 = a message at every reduction and cooldown.
        cycle_momentum: cycle the optimizer's momentum against the rate
            (PyTorch's CyclicLR formula; SGD/RMSprop `momentum` > 0,
            Adam/AdamW `beta_1`); off by default. Adds a `momentum`
            column to both histories.
        base_momentum, max_momentum: momentum at the top / bottom of the
            learning-rate cycle, in (0, 1).

    Attributes:
        history: pandas DataFrame, one row per training batch: iteration,
            epoch, lr, base_lr, max_lr.
        history_epoch: pandas DataFrame, one row per epoch: the logs, then
            epoch, not_improved_for_n_times, base_lr, max_lr, lr, in_cooldown.

    Example:
        >>> clr = kerasclr.CyclicLR(base_lr=0.001, max_lr=0.006, step_size=32,
        ...                         mode="exp_range", gamma=0.99)
        >>> model.fit(x, y, validation_data=(xv, yv), epochs=10, callbacks=[clr])
        >>> clr.history.head()
    """

    def __init__(self, base_lr=0.001, max_lr=0.006, step_size=2000.0,
                 mode="triangular", gamma=1.0, scale_fn=None,
                 scale_mode="cycle", patience=float("inf"), factor=0.9,
                 decrease_base_lr=True, cooldown=2, verbose=1,
                 cycle_momentum=False, base_momentum=0.8, max_momentum=0.9):
        self.base_lr, self.max_lr = check_bounds(base_lr, max_lr)
        self.step_size = check_step_size(step_size)
        self.scale = ClrScale(mode=mode, gamma=gamma, scale_fn=scale_fn,
                              scale_mode=scale_mode)
        self.patience = check_count("patience", patience, allow_inf=True)
        self.factor = check_number("factor", factor, minimum=0.0, maximum=1.0,
                                   min_inclusive=False)
        self.decrease_base_lr = check_bool("decrease_base_lr", decrease_base_lr)
        self.cooldown = check_count("cooldown", cooldown)
        verbose = check_count("verbose", verbose) if not isinstance(verbose, bool) \
            else int(verbose)
        super().__init__(verbose=verbose, **self._init_clr_momentum(
            cycle_momentum, base_momentum, max_momentum))
        self.clr_iterations = 0          # cycle counter of the next batch
        self.pending_lr = None           # lr of the next batch (None: base_lr)
        self.not_improved_for_n_times = 0
        self.best = None                 # lowest val_loss seen so far
        self.cooldown_counter = 0
        self._val_loss_seen = False

    # -- read-only views of the arguments ------------------------------------
    @property
    def mode(self):
        return self.scale.mode

    @property
    def gamma(self):
        return self.scale.gamma

    @property
    def scale_fn(self):
        return self.scale.scale_fn

    @property
    def scale_mode(self):
        return self.scale.scale_mode

    def clr(self, counters):
        """The CLR formula (float64) with the bounds in effect now."""
        return cyclic_lr(counters, self.base_lr, self.max_lr, self.step_size,
                         self.scale)

    # -- engine interface ------------------------------------------------------
    def _pending(self):
        if self.pending_lr is None:
            return float(self.clr([self.clr_iterations])[0])
        return self.pending_lr

    def _next_rates(self, n):
        rates = np.empty(n, dtype=np.float64)
        rates[0] = self._pending()
        if n > 1:
            rates[1:] = self.clr(self.clr_iterations + np.arange(1, n))
        return rates

    def _advance(self, n):
        self.clr_iterations += n
        self.pending_lr = float(self.clr([self.clr_iterations])[0])

    def _bounds(self):
        return self.base_lr, self.max_lr

    def _finish_epoch(self, logs):
        skip_plateau = self._update_not_improved(logs)
        in_cooldown = self.cooldown_counter > 0
        self._record_epoch(
            logs,
            not_improved_for_n_times=self.not_improved_for_n_times,
            base_lr=self.base_lr, max_lr=self.max_lr, lr=self.next_lr,
            in_cooldown=in_cooldown, **self._momentum_columns(),
        )
        if skip_plateau:
            return
        if in_cooldown:
            self.cooldown_counter -= 1
            self._say(f"cooling down ({self.cooldown_counter} epoch(s) left).")
        elif self.not_improved_for_n_times > self.patience:
            self._shrink_band()

    def _update_not_improved(self, logs):
        """Steps 1-3 of the epoch-end logic; True when the epoch is skipped."""
        value = logs.get("val_loss")
        if value is None:
            if self._val_loss_seen:
                return True  # validation_freq > 1: nothing to compare
            if math.isinf(self.patience):
                self.not_improved_for_n_times += 1
                return False
            raise ValueError(
                f"CyclicLR: `patience` is {self.patience!r} but the logs of "
                f"epoch {self.epochs_done} have no `val_loss`. Pass validation "
                "data to `fit()` (`validation_data` or `validation_split`), or "
                "use `patience=float('inf')` (R: `patience = Inf`)."
            )
        value = float(np.asarray(value).reshape(()))
        self._val_loss_seen = True
        if math.isnan(value) or (self.best is not None and value > self.best):
            self.not_improved_for_n_times += 1
        else:
            self.not_improved_for_n_times = 0
        if not math.isnan(value):
            self.best = value if self.best is None else min(self.best, value)
        return False

    def _shrink_band(self):
        reduced = False
        if self.decrease_base_lr:
            self.base_lr *= self.factor
            reduced = True
        if self.base_lr <= self.factor * self.max_lr:
            self.max_lr *= self.factor
            reduced = True
        else:
            self._say(f"max_lr cannot go below base_lr; max_lr stays "
                      f"{self.max_lr:.6g}.")
        if reduced:
            self.cooldown_counter = self.cooldown
            self._say(f"reducing the band to base_lr={self.base_lr:.6g}, "
                      f"max_lr={self.max_lr:.6g}.")

    def _say(self, text):
        if self.verbose > 0:
            print(f"Epoch {self.epochs_done}: CyclicLR {text}", flush=True)

    _SNAPSHOT = ("clr_iterations", "pending_lr", "base_lr", "max_lr", "step_size",
                 "not_improved_for_n_times")

    def _policy_snapshot(self):
        return {name: getattr(self, name) for name in self._SNAPSHOT}

    def _restore_policy_snapshot(self, snapshot):
        for name, value in snapshot.items():
            setattr(self, name, value)

    # -- reset -----------------------------------------------------------------
    def reset(self, new_base_lr=None, new_max_lr=None, new_step_size=None):
        """Restart the cycle, optionally with new bounds or step size.

        Sets the cycle counter and the not-improved counter to 0 and makes
        the next batch use the (new) ``base_lr``. The training iteration
        counter keeps counting. Allowed between and during ``fit()`` calls.
        """
        base_lr = self.base_lr if new_base_lr is None else new_base_lr
        max_lr = self.max_lr if new_max_lr is None else new_max_lr
        base_lr, max_lr = check_bounds(base_lr, max_lr, base_name="new_base_lr",
                                       max_name="new_max_lr")
        step_size = (self.step_size if new_step_size is None
                     else check_number("new_step_size", new_step_size, minimum=1.0))
        self._commit_running_epoch()
        self.base_lr, self.max_lr, self.step_size = base_lr, max_lr, step_size
        self.clr_iterations = 0
        self.not_improved_for_n_times = 0
        self.pending_lr = self.base_lr
        self._rewrite_window_now()

    _reset = reset  # the name in the Python original

    # -- config and state ------------------------------------------------------
    def get_config(self):
        return {
            "base_lr": self.base_lr, "max_lr": self.max_lr,
            "step_size": self.step_size, "mode": self.mode, "gamma": self.gamma,
            "scale_mode": self.scale_mode, "patience": self.patience,
            "factor": self.factor, "decrease_base_lr": self.decrease_base_lr,
            "cooldown": self.cooldown, "verbose": self.verbose,
            **self._momentum_config(),
        }

    def get_state(self):
        """The callback's state as a JSON-able dict (see `set_state`)."""
        self._commit_running_epoch()
        return {
            "policy": "CyclicLR",
            "config": {k: _json_float(v) for k, v in self.get_config().items()},
            "custom_scale_fn": self.scale_fn is not None,
            "clr_iterations": self.clr_iterations,
            "pending_lr": self.pending_lr,
            "not_improved_for_n_times": self.not_improved_for_n_times,
            "best": _json_float(self.best),
            "cooldown_counter": self.cooldown_counter,
            "val_loss_seen": self._val_loss_seen,
            **self._engine_state(),
        }

    def set_state(self, state):
        """Restore a state made by `get_state` (bounds, counters, histories)."""
        if state.get("policy") != "CyclicLR":
            raise ValueError(
                f"`state` is not a CyclicLR state (policy={state.get('policy')!r})."
            )
        config = state["config"]
        if state.get("custom_scale_fn") and self.scale_fn is None:
            raise ValueError(
                "`state` was saved from a CyclicLR with a custom `scale_fn`, "
                "which a state file cannot hold: create the callback with the "
                "same `scale_fn` (and `scale_mode`), then call `set_state()`."
            )
        self.base_lr, self.max_lr = check_bounds(config["base_lr"], config["max_lr"])
        self.step_size = check_step_size(config["step_size"])
        self.scale = ClrScale(
            mode=config["mode"], gamma=config["gamma"],
            scale_fn=self.scale_fn if state.get("custom_scale_fn") else None,
            scale_mode=config["scale_mode"])
        self.patience = check_count("patience", _from_json_float(config["patience"]),
                                    allow_inf=True)
        self.factor = check_number("factor", config["factor"], minimum=0.0,
                                   maximum=1.0, min_inclusive=False)
        self.decrease_base_lr = check_bool("decrease_base_lr",
                                           config["decrease_base_lr"])
        self.cooldown = check_count("cooldown", config["cooldown"])
        self.clr_iterations = int(state["clr_iterations"])
        self.pending_lr = state["pending_lr"]
        self.not_improved_for_n_times = int(state["not_improved_for_n_times"])
        self.best = _from_json_float(state["best"])
        self.cooldown_counter = int(state["cooldown_counter"])
        self._val_loss_seen = bool(state["val_loss_seen"])
        self._set_engine_state(state)

    def __repr__(self):
        return (f"<CyclicLR {self.mode} base_lr={self.base_lr:g} "
                f"max_lr={self.max_lr:g} step_size={self.step_size:g} "
                f"iterations={self.trn_iterations} epochs={self.epochs_done}>")


def _from_json_float(value):
    if value == "Inf":
        return math.inf
    if value == "-Inf":
        return -math.inf
    return value


def _json_float(value):
    """+-inf -> "Inf"/"-Inf" (strict JSON, and what R's jsonlite writes)."""
    if isinstance(value, float) and math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    return value
