"""Learning-rate policies beyond CLR, on the same table-driven engine.

- `OneCycle` / `one_cycle_schedule`: one-cycle (PyTorch's OneCycleLR numbers),
  with opposite momentum cycling.
- `SGDR` / `sgdr_schedule`: cosine annealing with warm restarts.
- `StepDecay` / `step_decay_schedule`: ``initial_lr * decay_factor ^
  floor(epoch / step_size)``.
- `CosineDecay` / `cosine_decay_schedule`: Keras's CosineDecay with warm-up.
- `plot_lr_history` / `lr_plot_data`: one plot for every policy's history.
- `MomentumTable`: the in-graph momentum table behind momentum cycling.
"""

from kerasclr.policies.cosine import CosineDecay, cosine_decay_schedule
from kerasclr.policies.momentum import MomentumTable, momentum_attribute
from kerasclr.policies.onecycle import OneCycle, one_cycle_schedule
from kerasclr.policies.plot import lr_plot_data, plot_lr_history
from kerasclr.policies.sgdr import SGDR, sgdr_schedule
from kerasclr.policies.step_decay import StepDecay, step_decay_schedule

__all__ = [
    "CosineDecay",
    "MomentumTable",
    "OneCycle",
    "SGDR",
    "StepDecay",
    "cosine_decay_schedule",
    "lr_plot_data",
    "momentum_attribute",
    "one_cycle_schedule",
    "plot_lr_history",
    "sgdr_schedule",
    "step_decay_schedule",
]
