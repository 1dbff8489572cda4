"""Cost of the LR range test against a plain fit() of the same steps.

The model of `bench_overhead.py` (MLP 32-64-64-1, batch 32, SGD) and data of
exactly ``--steps`` batches. Timed in interleaved rounds, order rotated:

- plain fit():       ``model.fit()`` of the steps, no callback;
- lr_range_test():   ``kerasclr.lr_range_test(model, ...)`` of the same steps
                     on the same model (restoring its weights afterwards);
- fit() + LRFinder:  ``fit()`` of the steps with ``kerasclr.LRFinder`` (on a
                     twin of the model, since the finder's rates train it);
- plain fit(), twin: ``fit()`` of a second, untouched copy of the model: if
                     the range test disturbs the model (e.g. forces a new
                     train function), the plain fit() of the same model
                     pays for it too, and this row shows it.

Every action runs once before timing, so every train function is traced.
The ratios are paired (per-round ratio, median over the rounds) against the
plain fit() of the same model and against the twin; "best" is best round
over best round. Target (issue 16): lr_range_test() within 1.10x of a
plain fit() of the same steps (PASS/MISS, never fails).

Usage:
    KERAS_BACKEND=jax python benchmarks/bench_range_test.py [--rounds 9] [--steps 200]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import kerasclr  # noqa: E402
from bench_overhead import (  # noqa: E402
    BATCH_SIZE,
    describe_machine,
    interleaved,
    make_data,
    make_model,
    print_table,
    print_target,
    repeats_for,
)

# The model is trained before every test, so its loss need not fall: no band.
warnings.filterwarnings("ignore", message="lr_range_test: no suggestion")
SWEEP = dict(min_lr=1e-5, max_lr=1e-2, diverge_threshold=None)
LABELS = {
    "fit": "plain fit()",
    "range_test": "lr_range_test()",
    "finder": "fit() + LRFinder",
    "twin": "plain fit(), twin model",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--steps", type=int, default=200, help="steps of each run")
    parser.add_argument("--min-seconds", type=float, default=0.3,
                        help="repeat each action until one measurement lasts this long")
    args = parser.parse_args()

    started = time.perf_counter()
    steps = args.steps
    x, y = make_data(BATCH_SIZE * steps)
    tested, finder_model, twin = make_model(), make_model(), make_model()
    fit_args = dict(batch_size=BATCH_SIZE, epochs=1, verbose=0)
    actions = {
        "fit": lambda: tested.fit(x, y, **fit_args),
        "range_test": lambda: kerasclr.lr_range_test(
            tested, x, y, steps=steps, batch_size=BATCH_SIZE, **SWEEP),
        "finder": lambda: finder_model.fit(x, y, callbacks=[kerasclr.LRFinder(
            steps_per_epoch=steps, epochs=1, **SWEEP)], **fit_args),
        "twin": lambda: twin.fit(x, y, **fit_args),
    }
    for action in actions.values():  # train once: every train function traced
        action()
    repeats = repeats_for(actions["fit"], args.min_seconds)
    times = interleaved(actions, args.rounds, repeats)

    print(f"LR range test against plain fit() of the same {steps} steps, "
          f"{args.rounds} interleaved rounds, {repeats} call(s) per measurement")
    print(describe_machine())
    print_table(times, steps, LABELS, [("fit", "vs fit"), ("twin", "vs twin fit")])
    print_target(times, LABELS, "range_test", "fit", 1.10)
    print_target(times, LABELS, "range_test", "twin", 1.10)
    print(f"finished in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
