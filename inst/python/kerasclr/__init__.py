"""kerasclr: cyclical learning rates for Keras 3, exact at every step.

Main entry points:

- policies (Keras callbacks): `CyclicLR`, `OneCycle`, `SGDR`, `StepDecay`,
  `CosineDecay`, `WSD`, `Linear`, `Constant`, phases of them in a
  `Sequence`, with plateau control for any of them (`Plateau`);
- previews: `clr_schedule`, `one_cycle_schedule`, `sgdr_schedule`,
  `step_decay_schedule`, `cosine_decay_schedule`, `wsd_schedule`,
  `linear_schedule` (and ``policy.preview()``);
- plots: `plot_clr_history`, `plot_lr_history` (and their data,
  `clr_plot_data`, `lr_plot_data`);
- the LR range test: `lr_range_test`, `LRFinder`, `suggest_lr_band`;
- `replay_epochs` (a policy without a model) and `compare_clr_histories`;
- `TensorBoardRates` (the rate of every step in TensorBoard) and
  `write_history_csv`.
"""

__version__ = "0.1.0"

from kerasclr.compare import HistoryComparison, compare_clr_histories
from kerasclr.engine import Plateau, PolicyCallback
from kerasclr.errors import ArgumentError, KerasclrError, KerasclrWarning, StateError
from kerasclr.export import TensorBoardRates, write_history_csv
from kerasclr.plotting import clr_plot_data, lr_plot_data, plot_clr_history, plot_lr_history
from kerasclr.policies import (
    SGDR,
    WSD,
    Constant,
    CosineDecay,
    CyclicLR,
    Linear,
    OneCycle,
    Sequence,
    StepDecay,
    clr_schedule,
    cosine_decay_schedule,
    linear_schedule,
    one_cycle_schedule,
    sgdr_schedule,
    step_decay_schedule,
    wsd_schedule,
)
from kerasclr.range_test import LRFinder, LRRangeTestResult, lr_range_test
from kerasclr.replay import replay_epochs
from kerasclr.suggest import loss_plot_limits, smooth_losses, suggest_lr_band, sweep_lrs

__all__ = [
    "ArgumentError", "Constant", "CosineDecay", "CyclicLR", "HistoryComparison",
    "KerasclrError", "KerasclrWarning", "LRFinder", "LRRangeTestResult", "Linear",
    "OneCycle", "Plateau",
    "PolicyCallback", "SGDR", "Sequence", "StateError", "StepDecay", "TensorBoardRates",
    "WSD", "__version__", "clr_plot_data", "clr_schedule", "compare_clr_histories",
    "cosine_decay_schedule", "linear_schedule", "loss_plot_limits", "lr_plot_data",
    "lr_range_test", "one_cycle_schedule", "plot_clr_history", "plot_lr_history",
    "replay_epochs", "sgdr_schedule", "smooth_losses", "step_decay_schedule",
    "suggest_lr_band", "sweep_lrs", "write_history_csv", "wsd_schedule",
]
