"""Plateau control: act when a monitored value stops improving.

The rule is KerasMisc's (the reference for `kerasclr.CyclicLR`), for any
monitored value and either direction:

1. If the monitored value is in the epoch's logs: ``best`` is the best value
   of all earlier epochs (across ``fit()`` calls; the first epoch's own value
   on the first epoch). A value worse than ``best`` (strictly: an equal value
   counts as an improvement) or NaN adds one to ``not_improved_for_n_times``;
   any other value sets it back to 0.
2. If it is absent: when it was seen in an earlier epoch, or ``fit()``
   validates on other epochs (``validation_freq > 1``), the epoch is skipped;
   otherwise, with an infinite ``patience`` the count goes up by one, and with
   a finite one it is an error (the epoch's row is recorded first).
3. In a cooldown, the cooldown counter goes down by one. Otherwise, once
   ``not_improved_for_n_times > patience``, the policy reduces (what that
   means is the policy's: `kerasclr.CyclicLR` shrinks its band, every other
   policy scales its rate by ``factor``, never below ``min_lr``) and a
   cooldown of ``cooldown`` epochs starts. The count is not reset by a
   reduction: while the value stays on its plateau, the rate is reduced
   again every time a cooldown ends.

With an infinite ``patience`` and no cooldown running, no observation can
change a rate: the engine then queues the epochs' observations
(`Plateau.observe_later`) and they are made, in order, when the state is
next read (any of its attributes, `get_state`, or the next observation), so
an epoch end of such a policy does no plateau work.
"""

from __future__ import annotations

import math

import numpy as np

from kerasclr.arguments import check_choice, check_count, check_number, check_string
from kerasclr.errors import KerasclrError

MODES = ("min", "max")


class Plateau:
    """Plateau control for a kerasclr policy (see the module doc for the rule).

    Args:
        monitor: the logged value to watch (default ``"val_loss"``).
        mode: ``"min"`` (lower is better) or ``"max"``.
        patience: epochs without improvement before a reduction (whole
            number or ``inf``: never).
        factor: multiplier of a reduction, in (0, 1].
        cooldown: epochs after a reduction without another one.
        min_lr: the rate is never reduced below this (>= 0).

    Example:
        >>> cosine = kerasclr.CosineDecay(
        ...     0.1, decay_steps=3000,
        ...     plateau=kerasclr.Plateau(patience=3, factor=0.5, min_lr=1e-5))
    """

    MODES = MODES

    def __init__(self, monitor="val_loss", mode="min", patience=float("inf"), factor=0.9,
                 cooldown=2, min_lr=0.0):
        self.monitor = check_string("monitor", monitor)
        self.mode = check_choice("mode", mode, self.MODES)
        self.patience = check_count("patience", patience, allow_inf=True)
        self.factor = check_number("factor", factor, minimum=0.0, maximum=1.0,
                                   min_inclusive=False)
        self.cooldown = check_count("cooldown", cooldown)
        self.min_lr = check_number("min_lr", min_lr, minimum=0.0)
        self.reset_state()

    def reset_state(self):
        self._later = []       # queued observations (see observe_later)
        self._state = {"best": None, "not_improved_for_n_times": 0, "cooldown_counter": 0,
                       "seen": False}

    def _field(name):  # noqa: N805 - makes the state's attributes
        def get(self):
            self._catch_up()
            return self._state[name]

        def set_(self, value):
            self._catch_up()
            self._state[name] = value

        return property(get, set_)

    best = _field("best")
    not_improved_for_n_times = _field("not_improved_for_n_times")
    cooldown_counter = _field("cooldown_counter")
    seen = _field("seen")
    del _field

    def __repr__(self):
        arguments = ", ".join(f"{name}={value!r}" for name, value in self.get_config().items())
        return f"Plateau({arguments})"

    def get_config(self):
        return {"monitor": self.monitor, "mode": self.mode, "patience": self.patience,
                "factor": self.factor, "cooldown": self.cooldown, "min_lr": self.min_lr}

    # -- state -----------------------------------------------------------------
    STATE_FIELDS = ("best", "not_improved_for_n_times", "cooldown_counter", "seen")

    def get_state(self):
        self._catch_up()
        return dict(self._state)

    def set_state(self, state):
        """Replace the state (observations still queued are dropped: they
        belong to the state replaced)."""
        self._later = []
        self._state = {name: state[name] for name in self.STATE_FIELDS}

    @staticmethod
    def check_state(state, problem):
        """Validate a saved plateau state; ``problem(field, text)`` raises."""
        best = state.get("best")
        if best is not None and (not isinstance(best, (int, float)) or isinstance(best, bool)
                                 or math.isnan(best)):
            problem("plateau.best", f"must be a number or null, got {best!r}")
        for name in ("not_improved_for_n_times", "cooldown_counter"):
            value = state.get(name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                problem(f"plateau.{name}", f"must be a whole number >= 0, got {value!r}")
        if not isinstance(state.get("seen"), bool):
            problem("plateau.seen", f"must be true or false, got {state.get('seen')!r}")

    # -- epoch end ---------------------------------------------------------------
    @property
    def can_wait(self):
        """Whether observations may be queued: no observation can change a
        rate (infinite ``patience``) and no cooldown is running (nothing to
        say at an epoch end)."""
        return math.isinf(self.patience) and self._state["cooldown_counter"] == 0

    def observe_later(self, logs, fit_call, epoch_index, observed):
        """`observe` and `decide` for an epoch when the state is next read
        (only while `can_wait`); then ``observed(not_improved_for_n_times,
        in_cooldown, state)`` hands the epoch's outcome to its row: the
        counts after step 2 and the state after step 3, as `observe` and
        `decide` leave them."""
        self._later.append((logs, fit_call, epoch_index, observed))

    def _catch_up(self):
        owner = self.__dict__.get("owner")
        if owner is not None and getattr(owner, "_quiet_ends", None):
            owner._flush_quiet_ends()  # observations of epochs that ended quietly
        if self._later:
            queue, self._later = self._later, []
            state = self._state
            for logs, fit_call, epoch_index, observed in queue:
                outcome = self._observe(logs, fit_call, epoch_index)
                columns = state["not_improved_for_n_times"], state["cooldown_counter"] > 0
                if outcome == "count":
                    self._decide()
                observed(*columns, dict(state))

    def observe(self, logs, fit_call, epoch_index):
        """Steps 1-2 of the rule for one epoch's logs.

        Returns "skip" (nothing to compare this epoch), "count" (the count
        moved), or a `KerasclrError` to raise once the epoch row is recorded.
        """
        self._catch_up()
        return self._observe(logs, fit_call, epoch_index)

    def _observe(self, logs, fit_call, epoch_index):
        state = self._state
        value = logs.get(self.monitor)
        if value is None:
            if state["seen"] or (fit_call.validation and self.monitor.startswith("val_")
                                 and not fit_call.validates_after(epoch_index)):
                return "skip"
            if math.isinf(self.patience):
                state["not_improved_for_n_times"] += 1
                return "count"
            return self._missing(logs, fit_call)
        value = value if type(value) is float else float(np.asarray(value).reshape(()))
        state["seen"] = True
        best = state["best"]
        if math.isnan(value) or (best is not None and self._worse(value, best)):
            state["not_improved_for_n_times"] += 1
        else:
            state["not_improved_for_n_times"] = 0
        if not math.isnan(value):
            state["best"] = value if best is None else (
                min(best, value) if self.mode == "min" else max(best, value))
        return "count"

    def _worse(self, value, best):
        return value > best if self.mode == "min" else value < best

    def _missing(self, logs, fit_call):
        owner = self.owner
        where = f"the logs of epoch {owner.epochs_done} have no `{self.monitor}`"
        validated = any(name.startswith("val_") for name in logs)
        if self.monitor.startswith("val_") and not validated:
            return KerasclrError(
                f"{owner.policy_name}: `patience` is {self.patience!r} but {where}. Pass "
                "validation data to `fit()` (`validation_data` or `validation_split`), "
                "or use `patience=float('inf')`.",
                f"{owner.r_function}(): `patience` is {self.patience!r} but {where}. Pass "
                "validation data to fit() (`validation_data` or `validation_split`), or "
                "use `patience = Inf`.")
        names = ", ".join(sorted(logs)) or "none"
        return KerasclrError(
            f"{owner.policy_name}: {where}; `monitor` must name a value that fit() logs "
            f"(logged: {names}).",
            f"{owner.r_function}(): {where}; `monitor` must name a value that fit() "
            f"logs (logged: {names}).")

    def decide(self):
        """Step 3 of the rule: "cooldown", "reduce" or None."""
        self._catch_up()
        return self._decide()

    def _decide(self):
        state = self._state
        if state["cooldown_counter"] > 0:
            state["cooldown_counter"] -= 1
            return "cooldown"
        if state["not_improved_for_n_times"] > self.patience:
            return "reduce"
        return None

    def reduced(self):
        """A reduction happened: start the cooldown."""
        self.cooldown_counter = self.cooldown
