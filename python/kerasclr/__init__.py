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
from kerasclr.replay import replay_epochs
from kerasclr.schedule import clr_schedule

__all__ = [
    "CyclicLR",
    "HistoryComparison",
    "compare_clr_histories",
    "StepTableSchedule",
    "clr_plot_data",
    "clr_schedule",
    "plot_clr_history",
    "replay_epochs",
    "__version__",
]
