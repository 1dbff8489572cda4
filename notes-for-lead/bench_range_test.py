"""What an LR range test costs against a plain fit() of the same steps.

The model and data of benchmarks/bench_overhead.py (an MLP 32 -> 64 -> 64
-> 1, batch 32, steps_per_execution = 1), on the backend of KERAS_BACKEND.
Every variant runs on the same, already traced model:

- plain:      model.fit() of the test's steps (one epoch of 200 batches);
- range_test: kerasclr.lr_range_test() over the same 200 steps, the sweep
              run to its end (diverge_threshold=None), as a user calls it
              (losses read in the background on TensorFlow, after every step
              for JAX and PyTorch on the CPU);
- finder:     model.fit() with kerasclr.LRFinder(exact_stop=False) alone
              (no snapshot, restore or result table; before the loss
              recorder, LRFinder has no exact_stop and reads every step);
- finder_exact: the same with exact_stop=True (the losses read after every
              step, Keras's batch-end hooks called in order);
- cyclic:     model.fit() with kerasclr.CyclicLR (the engine's own cost);
- diverging:  lr_range_test() up to max_lr = 10, which diverges; compared
              with plain_diverging, a plain fit() of as many steps as its
              history holds.

The variants run interleaved (the order rotated every round); the table
prints each variant's median time and the median over rounds of its ratio
to plain (paired: both measured in the same round). It also counts the
traces of the model's train_step during the timed rounds (TensorFlow, JAX:
0 means every call reused a compiled train function).

Usage: KERAS_BACKEND=jax python notes-for-lead/bench_range_test.py [--rounds 21]
(PYTHONPATH=<checkout>/python picks the kerasclr to measure.)
"""

from __future__ import annotations

import argparse
import inspect
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kerasclr  # noqa: E402

STEPS = 200
BATCH = 32


def make_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((32,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.SGD(0.001), loss="mse")
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(STEPS * BATCH, 32)).astype("float32")
    y = (x @ rng.normal(size=(32, 1)) + 0.1).astype("float32")
    model = make_model()
    traces = [0]
    step = type(model).train_step

    def counted(self, *a, **k):
        traces[0] += 1
        return step(self, *a, **k)

    type(model).train_step = counted

    def fit(steps, callbacks=()):
        model.fit(x[:steps * BATCH], y[:steps * BATCH], batch_size=BATCH, epochs=1,
                  shuffle=False, verbose=0, callbacks=list(callbacks))

    def range_test(max_lr, threshold):
        return kerasclr.lr_range_test(model, x, y, min_lr=1e-5, max_lr=max_lr,
                                      steps=STEPS, batch_size=BATCH, shuffle=False,
                                      diverge_threshold=threshold)

    diverged = len(range_test(10.0, 4.0).history)
    finder_args = {"exact_stop": False} if "exact_stop" in inspect.signature(
        kerasclr.LRFinder).parameters else {}  # (main before the recorder)
    variants = {
        "plain": lambda: fit(STEPS),
        "range_test": lambda: range_test(1e-2, None),
        "finder": lambda: fit(STEPS, [kerasclr.LRFinder(
            1e-5, 1e-2, steps_per_epoch=STEPS, diverge_threshold=None, **finder_args)]),
        "cyclic": lambda: fit(STEPS, [kerasclr.CyclicLR(0.001, 0.006, 50)]),
        "finder_exact": lambda: fit(STEPS, [kerasclr.LRFinder(
            1e-5, 1e-2, steps_per_epoch=STEPS, diverge_threshold=None)]),
        "plain_diverging": lambda: fit(diverged),
        "diverging": lambda: range_test(10.0, 4.0),
    }
    for run in variants.values():  # trace everything first
        run()
        run()
    traced = traces[0]
    times = {name: [] for name in variants}
    names = list(variants)
    for round_index in range(args.rounds):
        k = round_index % len(names)
        for name in names[k:] + names[:k]:
            start = time.perf_counter()
            variants[name]()
            times[name].append(time.perf_counter() - start)
    retraced = traces[0] - traced
    backend = keras.backend.backend()
    print(f"backend {backend}, {args.rounds} rounds, {STEPS} steps of batch {BATCH}; "
          f"the diverging test stops after {diverged} steps")
    print(f"{'variant':16s} {'median ms':>10s} {'ratio':>7s}  against")
    for name in names:
        base = "plain_diverging" if name == "diverging" else "plain"
        ratio = statistics.median(a / b for a, b in zip(times[name], times[base]))
        print(f"{name:16s} {statistics.median(times[name]) * 1e3:10.2f} {ratio:7.3f}  {base}")
    if backend != "torch":
        print(f"train_step traces during the timed rounds: {retraced}")


if __name__ == "__main__":
    main()
