"""Cyclical momentum for `kerasclr.CyclicLR` (off by default).

With ``cycle_momentum=True`` the momentum moves against the learning rate,
with PyTorch's CyclicLR formula::

    momentum = max_momentum - (max_momentum - base_momentum) * max(0, 1 - x) * scale

(``x`` and ``scale`` as in the CLR formula, on the same cycle counter). It is
independent of the bounds, so plateau reductions of the band do not change
it. The momentum of every step is looked up in the compiled train step from
a second table (see `kerasclr.policies.momentum`).
"""

from __future__ import annotations

import numpy as np

from kerasclr.arguments import check_bool, check_momentum_bounds
from kerasclr.history import EPOCH_FIXED_COLUMNS
from kerasclr.policies.base import MomentumCycling
from kerasclr.schedule import cyclic_lr


def clr_momentum(counters, base_momentum, max_momentum, step_size, scale):
    """float64 momenta for CLR cycle counters (PyTorch's CyclicLR formula)."""
    fraction = cyclic_lr(counters, 0.0, 1.0, step_size, scale)
    return max_momentum - (max_momentum - base_momentum) * fraction


class ClrMomentum(MomentumCycling):
    """Mixin for CyclicLR: ``cycle_momentum``, ``base_momentum``, ``max_momentum``."""

    def _init_clr_momentum(self, cycle_momentum, base_momentum, max_momentum):
        """Validate the arguments; returns the engine's column arguments."""
        self.cycle_momentum = check_bool("cycle_momentum", cycle_momentum)
        self.base_momentum, self.max_momentum = check_momentum_bounds(
            base_momentum, max_momentum)
        self._init_momentum()
        if not self.cycle_momentum:
            return {}
        return {"epoch_columns": EPOCH_FIXED_COLUMNS + ("momentum",),
                "extra_iteration_columns": ("momentum",)}

    def _next_momenta(self, n):
        counters = self.clr_iterations + np.arange(n, dtype=np.float64)
        return clr_momentum(counters, self.base_momentum, self.max_momentum,
                            self.step_size, self.scale)

    def _momentum_columns(self):
        return {"momentum": self.next_momentum} if self.cycle_momentum else {}

    def _momentum_config(self):
        if not self.cycle_momentum:
            return {}
        return {"cycle_momentum": True, "base_momentum": self.base_momentum,
                "max_momentum": self.max_momentum}
