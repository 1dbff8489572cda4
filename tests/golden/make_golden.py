"""Generate the golden vectors shared by the Python and R test suites.

Run from the repository root:

    python tests/golden/make_golden.py

It writes ``tests/golden/golden.json``. The expected values come from
`ReferenceCLR` below: a plain, scalar, batch-by-batch transcription of
``vignettes/behaviour.Rmd`` (the event order of KerasMisc's callback with the listed
deliberate differences). It shares no code with the package, so the package's
table-driven engine is checked against an independent oracle. Both suites
replay every case through the package (`kerasclr::replay_epochs()`,
`kerasclr.replay_epochs()`) and compare every column with a relative
tolerance of 1e-6.

Format: in a case's ``ops``, a ``val_loss`` entry ``null`` means the epoch's
logs have no ``val_loss`` and ``"NaN"`` means a NaN loss; in the expected
tables ``null`` is NaN. ``comparisons`` hold two
tables ``x`` and ``y`` and the expected `compare_clr_histories()` result.
Custom scale functions are named (``scale_fn``) and
spelled out under ``scale_functions``.

Do not edit golden.json by hand: change this script and regenerate.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

# Custom scale functions, named so that both languages can build them.
SCALE_FUNCTIONS = {
    "sine": ("0.5 * (1 + sin(x * pi / 2))",
             lambda x: 0.5 * (1 + math.sin(x * math.pi / 2))),
    "decay": ("1 / (1 + x / 100)", lambda x: 1 / (1 + x / 100)),
}


class ReferenceCLR:
    """The rules of vignettes/behaviour.Rmd, one batch at a time."""

    def __init__(self, base_lr=0.001, max_lr=0.006, step_size=2000,
                 mode="triangular", gamma=1.0, scale_fn=None,
                 scale_mode="cycle", patience=math.inf, factor=0.9,
                 decrease_base_lr=True, cooldown=2):
        self.base_lr, self.max_lr, self.step_size = base_lr, max_lr, step_size
        self.patience, self.factor = patience, factor
        self.decrease_base_lr, self.cooldown = decrease_base_lr, cooldown
        if scale_fn is not None:
            self.scale = SCALE_FUNCTIONS[scale_fn][1]
            self.scale_on_cycle = scale_mode == "cycle"
        elif mode == "triangular":
            self.scale, self.scale_on_cycle = (lambda x: 1.0), True
        elif mode == "triangular2":
            self.scale, self.scale_on_cycle = (lambda x: 1 / (2.0 ** (x - 1))), True
        else:
            self.scale, self.scale_on_cycle = (lambda x: gamma ** x), False
        self.clr_iterations = 0
        self.trn_iterations = 0
        self.epoch = 0
        self.lr = None
        self.not_improved = 0
        self.val_losses = []
        self.val_seen = False
        self.cooldown_counter = 0
        self.history = {k: [] for k in ("iteration", "epoch", "lr", "base_lr", "max_lr")}
        self.history_epoch = []

    def clr(self):
        c = self.clr_iterations
        cycle = math.floor(1 + c / (2 * self.step_size))
        x = abs(c / self.step_size - 2 * cycle + 1)
        s = self.scale(cycle if self.scale_on_cycle else c)
        return self.base_lr + (self.max_lr - self.base_lr) * max(0.0, 1 - x) * s

    def train(self, epochs, steps_per_epoch, val_loss=None):
        if self.lr is None:  # first fit: the optimizer starts at base_lr
            self.lr = self.base_lr
        for e in range(epochs):
            self.epoch += 1
            for _ in range(steps_per_epoch):
                for key, value in (("iteration", self.trn_iterations),
                                   ("epoch", self.epoch), ("lr", self.lr),
                                   ("base_lr", self.base_lr),
                                   ("max_lr", self.max_lr)):
                    self.history[key].append(value)
                self.trn_iterations += 1
                self.clr_iterations += 1
                self.lr = self.clr()
            self.epoch_end(None if val_loss is None else val_loss[e])

    def epoch_end(self, current):
        skip = False
        if current is None:
            if self.val_seen:
                skip = True
            elif math.isinf(self.patience):
                self.not_improved += 1
            else:
                raise ValueError("val_loss needed")
        else:
            self.val_seen = True
            finite = [v for v in self.val_losses if not math.isnan(v)]
            best = min(finite) if finite else current
            if math.isnan(current) or current > best:
                self.not_improved += 1
            else:
                self.not_improved = 0
            self.val_losses.append(current)
        row = {} if current is None else {"val_loss": current}
        row.update(epoch=self.epoch, not_improved_for_n_times=self.not_improved,
                   base_lr=self.base_lr, max_lr=self.max_lr, lr=self.lr,
                   in_cooldown=self.cooldown_counter > 0)
        self.history_epoch.append(row)
        if skip:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
        elif self.not_improved > self.patience:
            reduced = False
            if self.decrease_base_lr:
                self.base_lr *= self.factor
                reduced = True
            if self.base_lr <= self.factor * self.max_lr:
                self.max_lr *= self.factor
                reduced = True
            if reduced:
                self.cooldown_counter = self.cooldown

    def reset(self, new_base_lr=None, new_max_lr=None, new_step_size=None):
        if new_base_lr is not None:
            self.base_lr = new_base_lr
        if new_max_lr is not None:
            self.max_lr = new_max_lr
        if new_step_size is not None:
            self.step_size = new_step_size
        self.clr_iterations = 0
        self.not_improved = 0
        self.lr = self.base_lr

    def epoch_table(self):
        names = []
        for row in self.history_epoch:
            for key in row:
                if key not in names:
                    names.append(key)
        names = [n for n in names if n == "val_loss"] + [n for n in names if n != "val_loss"]
        return {n: [_json(row.get(n)) for row in self.history_epoch] for n in names}


def _json(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _op_loss(value):
    """In `ops`, null means "no val_loss that epoch" and "NaN" a NaN loss."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


def plateau_losses(epochs, seed):
    """A deterministic val_loss curve: falls, then wanders on a plateau."""
    values, state = [], seed
    for e in range(epochs):
        state = (1103515245 * state + 12345) % 2 ** 31
        noise = (state / 2 ** 31 - 0.5) * 2.0
        values.append(round(20 * math.exp(-e / 4) + 10 + noise, 6))
    return values


CASES = [
    ("worked_example", dict(step_size=6), [("train", 2, 13, None)]),
    ("triangular2", dict(base_lr=0.01, max_lr=0.1, step_size=5, mode="triangular2"),
     [("train", 6, 7, None)]),
    ("exp_range_demo", dict(step_size=32, mode="exp_range", gamma=0.99),
     [("train", 10, 13, None)]),
    ("fractional_step_size", dict(base_lr=0.1, max_lr=1.0, step_size=4.5),
     [("train", 3, 10, None)]),
    ("custom_sine_cycle", dict(step_size=4, scale_fn="sine", scale_mode="cycle"),
     [("train", 4, 8, None)]),
    ("custom_decay_iteration", dict(step_size=5, scale_fn="decay", scale_mode="iteration"),
     [("train", 4, 6, None)]),
    ("two_fits", dict(step_size=10, mode="triangular2"),
     [("train", 3, 9, None), ("train", 2, 9, None)]),
    ("reset", dict(step_size=6),
     [("train", 2, 13, None),
      ("reset", dict(new_base_lr=0.0005, new_max_lr=0.003, new_step_size=4)),
      ("train", 2, 13, None)]),
    ("plateau_demo", dict(step_size=78, factor=0.8, patience=3, cooldown=5),
     [("train", 50, 13, plateau_losses(50, seed=7))]),
    ("plateau_keep_base", dict(step_size=5, factor=0.5, patience=1, cooldown=1,
                               decrease_base_lr=False, base_lr=0.002, max_lr=0.01),
     [("train", 12, 4, [5.0, 4.0, 4.5, float("nan"), 4.2, None, 4.1, 4.3,
                        4.4, 3.9, 4.0, 4.05])]),
    ("plateau_two_fits", dict(step_size=7, factor=0.7, patience=0, cooldown=2),
     [("train", 4, 5, [3.0, 3.1, 3.2, 2.9]), ("train", 4, 5, [3.0, 3.3, 2.8, 2.9])]),
]

SCHEDULES = [
    ("triangular", dict(base_lr=0.001, max_lr=0.006, step_size=6)),
    ("triangular2", dict(base_lr=0.001, max_lr=0.006, step_size=5, mode="triangular2")),
    ("exp_range", dict(base_lr=0.001, max_lr=0.006, step_size=8, mode="exp_range",
                       gamma=0.97)),
    ("fractional", dict(base_lr=0.0, max_lr=1.0, step_size=2.5)),
    ("sine_cycle", dict(base_lr=0.001, max_lr=0.006, step_size=4, scale_fn="sine")),
    ("decay_iteration", dict(base_lr=0.001, max_lr=0.006, step_size=4, scale_fn="decay",
                             scale_mode="iteration")),
]


def reference_comparison(x, y):
    """compare_clr_histories(), one scalar at a time: rows sorted by key."""
    key = "iteration" if "iteration" in x else "epoch"
    order_x = sorted(range(len(x[key])), key=lambda i: x[key][i])
    order_y = sorted(range(len(y[key])), key=lambda i: y[key][i])
    rows = []
    for name in x:
        max_abs = max_rel = 0.0
        identical = True
        for i, j in zip(order_x, order_y):
            a, b = float(x[name][i]), float(y[name][j])
            if math.isnan(a) and math.isnan(b):
                continue
            if math.isnan(a) or math.isnan(b):
                max_abs = max_rel = math.inf
                identical = False
                continue
            if a != b:
                identical = False
                diff = abs(a - b)
                max_abs = max(max_abs, diff)
                max_rel = max(max_rel, diff / max(abs(a), abs(b)))
        rows.append({"column": name, "schedule": name in SCHEDULE_COLUMNS,
                     "max_abs_diff": max_abs, "max_rel_diff": max_rel,
                     "identical": identical, "within_tolerance": max_rel <= 1e-6})
    return {"key": key, "rows": len(order_x),
            "schedule_identical": all(r["identical"] for r in rows if r["schedule"]),
            "table": rows}


SCHEDULE_COLUMNS = ("iteration", "epoch", "lr", "base_lr", "max_lr")

COMPARISONS = [
    # Same schedule, rows in another order, a loss that differs a little.
    ("iteration_shuffled",
     {"iteration": [0, 1, 2, 3], "epoch": [1, 1, 2, 2], "lr": [0.001, 0.002, 0.003, 0.002],
      "base_lr": [0.001] * 4, "max_lr": [0.006] * 4},
     {"iteration": [3, 2, 1, 0], "epoch": [2, 2, 1, 1], "lr": [0.002, 0.003, 0.002, 0.001],
      "base_lr": [0.001] * 4, "max_lr": [0.006] * 4}),
    # Epoch tables: val_loss differs, lr differs by one float32 ulp, a NaN.
    ("epoch_differences",
     {"loss": [3.0, 2.0, 1.5], "val_loss": [3.5, float("nan"), 2.25], "epoch": [1, 2, 3],
      "not_improved_for_n_times": [0, 1, 0], "base_lr": [0.001, 0.001, 0.0008],
      "max_lr": [0.006, 0.006, 0.0048], "lr": [0.0018333333, 0.0026666667, 0.0035],
      "in_cooldown": [False, False, True]},
     {"loss": [3.0, 2.5, 1.5], "val_loss": [3.25, float("nan"), 2.25], "epoch": [1, 2, 3],
      "not_improved_for_n_times": [0, 1, 1], "base_lr": [0.001, 0.001, 0.0008],
      "max_lr": [0.006, 0.006, 0.0048], "lr": [0.0018333333, 0.0026666667, 0.0035000002],
      "in_cooldown": [False, True, True]}),
]


def build():
    cases = []
    for name, args, ops in CASES:
        ref = ReferenceCLR(**args)
        out_ops = []
        for op in ops:
            if op[0] == "train":
                _, epochs, steps, losses = op
                ref.train(epochs, steps, losses)
                out_ops.append({"op": "train", "epochs": epochs, "steps_per_epoch": steps,
                                "val_loss": None if losses is None
                                else [_op_loss(v) for v in losses]})
            else:
                ref.reset(**op[1])
                out_ops.append({"op": "reset", **op[1]})
        cases.append({"name": name, "args": args, "ops": out_ops,
                      "history": ref.history, "history_epoch": ref.epoch_table()})
    schedules = []
    for name, args in SCHEDULES:
        ref = ReferenceCLR(**args)
        lrs = []
        for c in range(60):
            ref.clr_iterations = c
            lrs.append(ref.clr())
        schedules.append({"name": name, "args": args, "iterations": list(range(60)),
                          "lr": lrs})
    comparisons = [
        {"name": name, "x": _json_table(x), "y": _json_table(y),
         "expected": reference_comparison(x, y)}
        for name, x, y in COMPARISONS
    ]
    return {
        "generated_by": "tests/golden/make_golden.py",
        "tolerance": {"relative": 1e-6},
        "scale_functions": {k: v[0] for k, v in SCALE_FUNCTIONS.items()},
        "schedules": schedules,
        "cases": cases,
        "comparisons": comparisons,
    }


def _json_table(table):
    return {name: [_json(v) for v in values] for name, values in table.items()}


def main():
    path = Path(__file__).with_name("golden.json")
    data = build()
    path.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    print(f"wrote {path} ({len(data['cases'])} cases, {len(data['schedules'])} schedules)")


if __name__ == "__main__":
    main()
