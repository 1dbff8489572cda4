"""History at one million iterations and clr_schedule() at ten million.

1. A CyclicLR history of 1,000,000 training iterations (1,000 epochs of
   1,000 batches, replayed without a model): memory of the stored columns,
   memory of the pandas table, time to build the pandas table.
2. clr_schedule() over 10,000,000 iterations for each mode and a numpy
   scale_fn, against the 0.5 s target.

Usage: python benchmarks/bench_history_schedule.py
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import kerasclr  # noqa: E402

HISTORY_TARGET_MB = 40
SCHEDULE_TARGET_S = 0.5


def best_of(repeats, fn):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def history_benchmark():
    clr = kerasclr.CyclicLR(step_size=2000, mode="exp_range", gamma=0.99999, verbose=0)
    start = time.perf_counter()
    kerasclr.replay_epochs(clr, 1000, epochs=1000)
    replay_s = time.perf_counter() - start
    stored_mb = clr._iteration_history.nbytes / 2**20
    to_pandas_s, table = best_of(3, lambda: clr.history)
    table_mb = table.memory_usage(index=False, deep=True).sum() / 2**20
    print(f"History of {len(table):,} iterations (CyclicLR, 1,000 epochs x 1,000 batches)")
    print(f"  replayed in {replay_s:.2f} s")
    print(f"  stored columns: {stored_mb:6.1f} MB")
    print(f"  pandas table:   {table_mb:6.1f} MB  (target < {HISTORY_TARGET_MB} MB: "
          f"{'met' if table_mb < HISTORY_TARGET_MB else 'MISSED'})")
    print(f"  to pandas:      {to_pandas_s * 1e3:6.1f} ms")


def schedule_benchmark():
    n = 10_000_000
    cases = {
        "triangular": dict(mode="triangular"),
        "triangular2": dict(mode="triangular2"),
        "exp_range": dict(mode="exp_range", gamma=0.99999),
        "numpy scale_fn (cycle)": dict(scale_fn=lambda c: 0.5 * (1 + np.sin(c * np.pi / 2))),
    }
    print(f"\nclr_schedule() over {n:,} iterations (best of 3, target < {SCHEDULE_TARGET_S} s)")
    print(f"  {'mode':<24} {'seconds':>8} {'ratio to target':>16}")
    iterations = range(n)
    for name, args in cases.items():
        seconds, _ = best_of(3, lambda args=args: kerasclr.clr_schedule(
            iterations, base_lr=0.001, max_lr=0.006, step_size=2000, **args))
        print(f"  {name:<24} {seconds:8.3f} {seconds / SCHEDULE_TARGET_S:16.2f}")


if __name__ == "__main__":
    history_benchmark()
    schedule_benchmark()
