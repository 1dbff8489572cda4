"""Every kerasclr policy, one module each, its vectorised preview beside it.

- `CyclicLR` / `clr_schedule`: cyclical learning rates with a plateau-scaled
  band (KerasMisc), optional cyclical momentum.
- `OneCycle` / `one_cycle_schedule`: one-cycle (PyTorch's OneCycleLR numbers),
  with opposite momentum cycling.
- `SGDR` / `sgdr_schedule`: cosine annealing with warm restarts.
- `StepDecay` / `step_decay_schedule`: ``initial_lr * decay_factor ^
  floor(epoch / step_size)``.
- `CosineDecay` / `cosine_decay_schedule`: Keras's CosineDecay with warm-up.
- `WSD` / `wsd_schedule`: warm-up, stable, decay (linear, cosine, 1-sqrt).
- `Linear` / `linear_schedule`, `Constant`: ramps and constants.
- `Sequence`: phases of policies with boundaries in steps or epochs.
"""

from kerasclr.policies.constant import Constant
from kerasclr.policies.cosine_decay import CosineDecay, cosine_decay_schedule
from kerasclr.policies.cyclic import CyclicLR, clr_schedule
from kerasclr.policies.linear import Linear, linear_schedule
from kerasclr.policies.one_cycle import OneCycle, one_cycle_schedule
from kerasclr.policies.sequence import Sequence
from kerasclr.policies.sgdr import SGDR, sgdr_schedule
from kerasclr.policies.step_decay import StepDecay, step_decay_schedule
from kerasclr.policies.wsd import WSD, wsd_schedule

__all__ = ["Constant", "CosineDecay", "CyclicLR", "Linear", "OneCycle", "SGDR", "Sequence",
           "StepDecay", "WSD", "clr_schedule", "cosine_decay_schedule", "linear_schedule",
           "one_cycle_schedule", "sgdr_schedule", "step_decay_schedule", "wsd_schedule"]
