"""Cost of the LR range test against a plain fit() of the same steps.

The model of `bench_overhead.py` (MLP 32-64-64-1, batch 32, SGD) and data of
exactly ``--steps`` batches. Timed in interleaved rounds, order rotated:

- plain fit():          ``model.fit()`` of the steps, no callback, on a
                        model that only ever runs this (the reference);
- lr_range_test():      ``kerasclr.lr_range_test(model, ...)`` of the same
                        steps on a second copy of the model (restoring its
                        weights afterwards);
- plain fit(), tested:  ``fit()`` of the steps on that range-tested copy: if
                        the range test disturbs the model (e.g. forces a new
                        train function), this fit pays for it too;
- fit() + LRFinder:     ``fit()`` of the steps with ``kerasclr.LRFinder`` on
                        a third copy (the finder's rates train it).

Every action runs once before timing, so every train function is traced;
then each measurement is one call (a repeated range test would hide what
it costs the next fit()).
The ratios are paired (per-round ratio, median over the rounds) against the
plain fit() and against the plain fit() of the range-tested model; "best" is
best round over best round. Target (issue 16): lr_range_test() within 1.10x
of a plain fit() of the same steps (PASS/MISS, never fails). The ratio
against the range-tested model's own next fit() is no measure of the test
when that fit pays for the test too (a new train function): the script
prints how that fit compares with a plain fit().

Usage:
    KERAS_BACKEND=jax python benchmarks/bench_range_test.py [--rounds 15] [--steps 200]
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
    paired_median,
    print_table,
    print_target,
)

# The model is trained before every test, so its loss need not fall: no band.
warnings.filterwarnings("ignore", message="lr_range_test: no suggestion")
SWEEP = dict(min_lr=1e-5, max_lr=1e-2, diverge_threshold=None)
LABELS = {
    "fit": "plain fit()",
    "range_test": "lr_range_test()",
    "tested_fit": "plain fit(), range-tested model",
    "finder": "fit() + LRFinder",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=200, help="steps of each run")
    args = parser.parse_args()

    started = time.perf_counter()
    steps = args.steps
    x, y = make_data(BATCH_SIZE * steps)
    model, tested, finder_model = make_model(), make_model(), make_model()
    fit_args = dict(batch_size=BATCH_SIZE, epochs=1, verbose=0)
    actions = {
        "fit": lambda: model.fit(x, y, **fit_args),
        "range_test": lambda: kerasclr.lr_range_test(
            tested, x, y, steps=steps, batch_size=BATCH_SIZE, **SWEEP),
        "tested_fit": lambda: tested.fit(x, y, **fit_args),
        "finder": lambda: finder_model.fit(x, y, callbacks=[kerasclr.LRFinder(
            steps_per_epoch=steps, epochs=1, **SWEEP)], **fit_args),
    }
    for action in actions.values():  # train once: every train function traced
        action()
    times = interleaved(actions, args.rounds)

    print(f"LR range test against plain fit() of the same {steps} steps, "
          f"{args.rounds} interleaved rounds")
    print(describe_machine())
    print_table(times, steps, LABELS, [("fit", "vs fit"), ("tested_fit", "vs tested fit")])
    print_target(times, LABELS, "range_test", "fit", 1.10)
    after = paired_median(times["tested_fit"], times["fit"])
    print(f"  the range-tested model's next fit(): {after:.3f}x a plain fit() (paired median;"
          " 1.00 when the test leaves the model's train function intact)")
    print(f"finished in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
