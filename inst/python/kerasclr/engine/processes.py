"""Which process writes files when training runs in several processes.

In a multi-process run (several hosts, or several processes on one host)
every process runs the same program, callbacks included, and every process
holds the same callback state: the rates come from a replicated table and
the histories are derived from the replicated step counter. Writing that
state from every process would write the same file several times, racing
on shared storage. kerasclr writes files from one process only, the
*chief*; on the others the writing functions return without writing:

- JAX (``keras.distribution`` over ``jax.distributed``): process 0
  (``jax.process_index() == 0``);
- TensorFlow multi-worker strategies (``tf.distribute``): the worker the
  strategy itself writes checkpoints from
  (``strategy.extended.should_checkpoint``);
- everything else, and single-process runs: this process.
"""

from __future__ import annotations

import sys

import keras


def is_chief(model=None):
    """Whether this process writes files (see the module doc).

    Args:
        model: the model being trained (its TensorFlow distribution
            strategy decides on that backend); None: the current strategy.
    """
    backend = keras.backend.backend()
    if backend == "jax":
        if "jax" not in sys.modules:
            return True
        import jax

        return jax.process_index() == 0
    if backend == "tensorflow" and "tensorflow" in sys.modules:
        import tensorflow as tf

        strategy = getattr(model, "distribute_strategy", None) if model is not None \
            else None
        if strategy is None:
            strategy = tf.distribute.get_strategy()
        return bool(getattr(strategy.extended, "should_checkpoint", True))
    return True
