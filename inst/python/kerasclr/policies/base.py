"""What every non-CLR policy callback shares: momentum tables and state.

`PolicyCallback` sits on `kerasclr.engine.TableDrivenCallback` and adds

- an optional second in-graph table for the optimizer's momentum (see
  `kerasclr.policies.momentum`), filled together with the learning-rate
  table and recorded as a ``momentum`` column;
- the JSON-able state dict (`get_state` / `set_state` / `save` / `load`);
- the epoch row (epoch, base_lr, max_lr, lr[, momentum]).

A policy implements ``_next_rates(n)``, ``_advance(n)``, ``_bounds()`` (the
``(base_lr, max_lr)`` envelope recorded with each row), and, when it cycles
momentum, ``_next_momenta(n)``; ``_policy_state()`` / ``_set_policy_state()``
hold its own counters.
"""

from __future__ import annotations

import copy
import json
import math

import numpy as np

from kerasclr.engine import StateFile, TableDrivenCallback
from kerasclr.policies.momentum import MomentumTable

EPOCH_COLUMNS = ("epoch", "base_lr", "max_lr", "lr")


class MomentumCycling:
    """Mixin: fill a momentum table next to the learning-rate table.

    The host class sets ``self.cycle_momentum`` and implements
    ``_next_momenta(n)`` (float64 momenta of the next ``n`` batches from the
    current state, like ``_next_rates``).
    """

    cycle_momentum = False

    def _init_momentum(self):
        self._momentum_table = None
        self._momentum_first_step = 0
        self._momentum_window = np.empty(0)

    def _next_momenta(self, n):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def next_momentum(self):
        """The momentum the next training batch will use (None if not cycled)."""
        if not self.cycle_momentum:
            return None
        return float(np.float32(self._next_momenta(1)[0]))

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self._momentum_table = None
        if not self.cycle_momentum:
            return
        if _is_replay_model(self.model):
            return  # no train step: the momenta are only recorded
        table, installed = MomentumTable.attach(self.model.optimizer,
                                                self._schedule.capacity)
        self._momentum_table = table
        if installed:
            self.model.make_train_function(force=True)

    def _fill_window(self):
        super()._fill_window()
        self._fill_momentum(self._window_rates.size)

    def _fill_momentum(self, n):
        if not self.cycle_momentum:
            return
        values = self._next_momenta(n)
        if self._momentum_table is not None:
            self._momentum_window = self._momentum_table.fill(
                self._window_first_step, values)
        else:
            self._momentum_window = np.asarray(values, np.float32).astype(np.float64)
        self._momentum_first_step = self._window_first_step

    def _extra_row_values(self, rates):
        if not self.cycle_momentum:
            return {}
        offset = self._committed_step - self._momentum_first_step
        values = self._momentum_window[offset:offset + rates.size]
        if values.size < rates.size:  # the lookup clips to the last entry
            values = np.concatenate(
                [values, np.full(rates.size - values.size, self._momentum_window[-1])])
        return {"momentum": values}


def _is_replay_model(model):
    from kerasclr.replay import _ReplayModel

    return isinstance(model, _ReplayModel)


class PolicyCallback(MomentumCycling, StateFile, TableDrivenCallback):
    """Base class of OneCycle, SGDR, StepDecay and CosineDecay."""

    policy_name = None

    def __init__(self, verbose=0, cycle_momentum=False):
        self.cycle_momentum = bool(cycle_momentum)
        extra = ("momentum",) if self.cycle_momentum else ()
        super().__init__(verbose=verbose, epoch_columns=EPOCH_COLUMNS + extra,
                         extra_iteration_columns=extra)
        self._init_momentum()

    # -- epoch end ---------------------------------------------------------------
    def _finish_epoch(self, logs):
        base_lr, max_lr = self._bounds()  # as they were during this epoch
        self._epoch_end_update(logs)
        columns = {"base_lr": base_lr, "max_lr": max_lr, "lr": self.next_lr}
        if self.cycle_momentum:
            columns["momentum"] = self.next_momentum
        self._record_epoch(logs, **columns)

    def _epoch_end_update(self, logs):
        """Policy logic at the end of an epoch (before the row is recorded)."""

    @property
    def next_lr(self):
        """The learning rate the next training batch will use (as applied)."""
        return float(np.float32(self._next_rates(1)[0]))

    # -- state -------------------------------------------------------------------
    def _policy_state(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _set_policy_state(self, state):  # pragma: no cover - abstract
        raise NotImplementedError

    def _policy_snapshot(self):
        # engine hook: roll back the counters of an interrupted epoch
        return copy.deepcopy(self._policy_state())

    def _restore_policy_snapshot(self, snapshot):
        self._set_policy_state(copy.deepcopy(snapshot))

    def get_state(self):
        """The callback's state as a JSON-able dict (see `set_state`)."""
        self._commit_running_epoch()
        return {
            "policy": self.policy_name,
            "config": {k: _json_value(v) for k, v in self.get_config().items()},
            **self._policy_state(),
            **self._engine_state(),
        }

    def set_state(self, state):
        """Restore a state made by `get_state` (counters and histories).

        The configuration in ``state`` must equal this callback's.
        """
        if not isinstance(state, dict) or state.get("policy") != self.policy_name:
            policy = state.get("policy") if isinstance(state, dict) else state
            raise ValueError(
                f"`state` is not a {self.policy_name} state (policy={policy!r})."
            )
        mine = {k: _json_value(v) for k, v in self.get_config().items()}
        theirs = dict(state["config"])
        if json.loads(json.dumps(mine)) != theirs:
            diff = sorted(k for k in set(mine) | set(theirs)
                          if json.loads(json.dumps(mine.get(k))) != theirs.get(k))
            raise ValueError(
                f"`state` was saved by a {self.policy_name} with other arguments "
                f"(differing: {', '.join(diff)}); create the callback with the "
                "same arguments before restoring its state."
            )
        self._set_policy_state(state)
        self._set_engine_state(state)

    def __repr__(self):
        try:
            next_lr = f"{self.next_lr:g}"
        except ValueError:  # e.g. a length only known when fit() starts
            next_lr = "(set by fit)"
        return (f"<{self.policy_name} next_lr={next_lr} "
                f"iterations={self.trn_iterations} epochs={self.epochs_done}>")


def _json_value(value):
    if isinstance(value, float) and math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    if isinstance(value, tuple):
        return list(value)
    return value


def rounded(values, dtype):
    """float64 values, rounded to float32 first when ``dtype == "float32"``."""
    values = np.asarray(values, dtype=np.float64)
    if dtype == "float32":
        return values.astype(np.float32).astype(np.float64)
    return values
