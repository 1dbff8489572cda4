"""kerasclr: cyclical learning rates for Keras 3, exact at every step.

Main entry points:

- `CyclicLR`: the cyclical learning-rate callback (with plateau-scaled band).
- `clr_schedule`: vectorised preview of a CLR schedule.
- `plot_clr_history`: matplotlib plot of a callback's history.
- `compare_clr_histories`: column-by-column comparison of two history tables.
"""

__version__ = "0.1.0"

from kerasclr.compare import HistoryComparison, compare_clr_histories
from kerasclr.cyclic import CyclicLR
from kerasclr.lr_table import StepTableSchedule
from kerasclr.plotting import clr_plot_data, plot_clr_history
from kerasclr.policies import (
    SGDR,
    CosineDecay,
    OneCycle,
    StepDecay,
    cosine_decay_schedule,
    lr_plot_data,
    one_cycle_schedule,
    plot_lr_history,
    sgdr_schedule,
    step_decay_schedule,
)
from kerasclr.range_test import LRFinder, LRRangeTestResult, lr_range_test
from kerasclr.replay import replay_epochs
from kerasclr.schedule import clr_schedule
from kerasclr.suggest import smooth_losses, suggest_lr_band, sweep_lrs

__all__ = [
    "CyclicLR",
    "HistoryComparison",
    "compare_clr_histories",
    "StepTableSchedule",
    "clr_plot_data",
    "clr_schedule",
    "plot_clr_history",
    "replay_epochs",
    # LR range test
    "LRFinder",
    "LRRangeTestResult",
    "lr_range_test",
    "smooth_losses",
    "suggest_lr_band",
    "sweep_lrs",
    # other learning-rate policies
    "OneCycle",
    "SGDR",
    "StepDecay",
    "CosineDecay",
    "one_cycle_schedule",
    "sgdr_schedule",
    "step_decay_schedule",
    "cosine_decay_schedule",
    "plot_lr_history",
    "lr_plot_data",
    "__version__",
]
