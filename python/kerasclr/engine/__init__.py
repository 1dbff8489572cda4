"""What runs any policy: the callback base, the step table, history, state.

- `PolicyCallback` (`kerasclr.engine.callback`): the Keras callback every
  policy subclasses, with `Positions`, the argument of a policy's schedule.
- `StepTable`, `attach`, `detach` (`kerasclr.engine.table`): the in-graph
  table and its installation on an optimizer during ``fit()``.
- `IterationHistory`, `EpochHistory` (`kerasclr.engine.history`).
- `Plateau` (`kerasclr.engine.plateau`): plateau control for any policy.
- `kerasclr.engine.state`: the one state codec.
- `kerasclr.engine.fit_context`: what a callback learns about its ``fit()``.
- `LossRecorder` (`kerasclr.engine.losses`): the loss of every step,
  recorded inside the train step (the range test).
- `kerasclr.engine.processes`: which process writes files in a
  multi-process run.
"""

from kerasclr.engine.callback import PolicyCallback, Positions, check_verbose
from kerasclr.engine.history import EpochHistory, GrowableArray, IterationHistory
from kerasclr.engine.losses import LossRecorder
from kerasclr.engine.plateau import Plateau
from kerasclr.engine.table import StepTable, attach, detach, unwrap_optimizer

__all__ = ["EpochHistory", "GrowableArray", "IterationHistory", "LossRecorder", "Plateau",
           "PolicyCallback", "Positions", "StepTable", "attach", "check_verbose",
           "detach", "unwrap_optimizer"]
