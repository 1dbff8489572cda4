"""Per-step cost of kerasclr against constant-lr training, in one run.

A small MLP (32 -> 64 -> 64 -> 1, batch 32, steps_per_execution = 1, the
TensorFlow backend on the CPU) is trained for the same epochs with:

- constant:  no callback, a constant learning rate (the baseline);
- kerasclr:  kerasclr.CyclicLR (in-graph table, history from the step counter);
- setter:    a plain callback that computes the CLR rate and assigns it to the
             optimizer in ``on_train_batch_begin``;
- classic:   the classic CyclicLR approach: assign the rate every batch, read it
             back and append it and the batch logs to Python lists in
             ``on_train_batch_end``.

The variants run interleaved (round-robin, the order rotated every round)
so that drifts of the machine hit all of them alike. Other work on the
machine only ever adds time, so the table reports each variant's best round
(seconds per step) and its ratio to constant, and the median round beside it.

Usage: python benchmarks/bench_overhead.py [--rounds 15] [--epochs 1] [--steps 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kerasclr  # noqa: E402

CLR_ARGS = dict(base_lr=0.001, max_lr=0.006, step_size=100, mode="triangular")


def clr_rate(iteration):
    return float(kerasclr.clr_schedule([iteration], dtype="float64", **CLR_ARGS)[0])


class SetterCallback(keras.callbacks.Callback):
    """Sets the rate from Python before every batch (no read-back)."""

    def __init__(self):
        super().__init__()
        self.iteration = 0

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate.assign(clr_rate(self.iteration))
        self.iteration += 1


class ClassicCallback(SetterCallback):
    """Sets the rate, reads it back and appends logs every batch."""

    def __init__(self):
        super().__init__()
        self.history = {}

    def on_train_batch_end(self, batch, logs=None):
        self.history.setdefault("lr", []).append(
            float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))
        self.history.setdefault("iterations", []).append(self.iteration)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))


VARIANTS = {
    "constant": lambda: [],
    "kerasclr": lambda: [kerasclr.CyclicLR(**CLR_ARGS, verbose=0)],
    "setter": lambda: [SetterCallback()],
    "classic": lambda: [ClassicCallback()],
}


def make_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((32,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.SGD(0.001), loss="mse", steps_per_execution=1)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--steps", type=int, default=200, help="batches per epoch")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    x = rng.normal(size=(32 * args.steps, 32)).astype("float32")
    y = rng.normal(size=(32 * args.steps, 1)).astype("float32")
    steps = args.epochs * args.steps
    timings = {name: [] for name in VARIANTS}
    models = {name: make_model() for name in VARIANTS}
    for name, model in models.items():  # compile and warm up every variant once
        model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=VARIANTS[name]())
    names = list(VARIANTS)
    for round_index in range(args.rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            model = models[name]
            callbacks = VARIANTS[name]()
            start = time.perf_counter()
            model.fit(x, y, batch_size=32, epochs=args.epochs, verbose=0, callbacks=callbacks)
            timings[name].append((time.perf_counter() - start) / steps)

    best = min(timings["constant"])
    middle = statistics.median(timings["constant"])
    print(f"Per-step cost, {args.rounds} rounds x {steps} steps, keras {keras.__version__}, "
          f"backend {keras.backend.backend()}, {os.cpu_count()} CPU cores")
    print(f"{'variant':<10} {'best us/step':>13} {'ratio':>7} {'overhead':>9}   "
          f"{'median us/step':>14} {'ratio':>7}")
    for name, values in timings.items():
        low, mid = min(values), statistics.median(values)
        print(f"{name:<10} {low * 1e6:13.1f} {low / best:7.3f} {(low / best - 1) * 100:+8.1f}%"
              f"   {mid * 1e6:14.1f} {mid / middle:7.3f}")


if __name__ == "__main__":
    main()
