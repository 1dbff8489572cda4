"""Per-step cost of kerasclr against constant-lr training and Keras's CosineDecay.

A small MLP (32 -> 64 -> 64 -> 1, batch 32, SGD) is trained by ``fit()`` in
several scenarios; in each one every variant gets its own copy of the same
model (same weights, same data), is trained once to trace its train
function, and is then timed in interleaved rounds with the order rotated
every round, so that drifts of the machine hit all variants alike:

- ordinary:  2 epochs of 200 steps;
- short5:    40 epochs of 5 steps (per-epoch host work shows here);
- short13:   16 epochs of 13 steps (the KerasMisc Boston example's epoch);
- spe32:     2 epochs of 640 steps with ``steps_per_execution = 32`` (the
             in-step lookup shows here; the torch backend refuses
             ``steps_per_execution > 1``, so it is skipped there);
- momentum:  SGD with momentum 0.9: momentum cycling (OneCycle, CyclicLR
             with ``cycle_momentum=True``) against a constant rate with the
             same constant momentum;
- policies:  the other kerasclr policies on 8 epochs of 13 steps, with
             validation data (the plateau variant needs it).

Each scenario compares against two references timed in the same rounds: a
constant learning rate (no callback) and Keras's own in-graph
``keras.optimizers.schedules.CosineDecay``. The ratios are paired: the
variant's time divided by the reference's time in the same round, and the
median over the rounds is reported ("paired median"); "best" is the
variant's best round over the reference's best round (other work on the
machine only ever adds time); "q1-q3" is the spread of the per-round ratios
against constant: a PASS/MISS within it is not resolved by this run. A
measurement repeats ``fit()`` until it lasts at least ``--min-seconds`` (the
same number of fits for every variant).

The short5 and spe32 scenarios also time constant-lr
training with a Keras callback that does nothing (``keras.callbacks.Callback()``):
Keras calls its empty hooks around every batch and epoch, so its ratio to
constant-lr training is what being a callback costs at all, a floor for any
schedule set from a callback.

The scenarios with targets also time constant-lr training a second time, in
a second model of its own (same weights, same data): the two are the same
computation, so their ratio is this run's noise floor, what the machine
alone makes of one variant against another (on a shared machine it has
measured up to 1.08). A target's verdict names it: a MISS by less than the
floor is not resolved by that run.

A float learning rate is an optimizer variable, which every compiled step
carries as state; a Keras schedule is not. On JAX, whose trainer passes
every state array into each compiled step and back out of it, one more
state array measured about 3-4 % of this small model's step, so the
short-epoch and steps_per_execution scenarios there also time CosineDecay
with one more, unused, optimizer variable (`SpareVariableSGD`): its ratio
to CosineDecay is what the table would cost as optimizer state. kerasclr's
JAX step takes its table as a read-only argument instead and carries
CosineDecay's state. On JAX the steps_per_execution scenario then also
times each reference's and kerasclr's compiled train step alone, called in
a loop on one batch (no ``fit()`` loop, data or callbacks): what is left
there is only what the compiled steps compute and carry.

After the rounds, the kerasclr variants are trained a few more times with
a timer around the train and epoch hooks of kerasclr's callbacks (its batch
hooks only test a flag when epochs have a known length): the time spent
there per ``fit()`` and its share of the ``fit()``. That share moves far
less with the machine's load than the ratios do (both of its terms slow
down alike); what the ratio shows beyond it is the cost inside the
compiled step.

Every fit is also timed in this process's CPU time (all its threads):
other work on a shared machine lengthens the wall-clock times of whichever
variant it overlaps, but not the CPU time the process spends. A cost that
is a wait (a device sync) shows in wall-clock time only, so the targets
are judged on both.

The figures are ratios measured in one run; compare them, not the absolute
times, across machines and runs. Targets (issue 16) are marked PASS/MISS
from the paired median; they never make the script fail.

To add a variant: add an entry to ``VARIANTS`` (a label, the optimizer's
learning rate and the callbacks, both made from the `Run` being measured)
and name it in a scenario of ``SCENARIOS`` (or add a scenario).

Usage:
    KERAS_BACKEND=jax python benchmarks/bench_overhead.py [--rounds 9]
        [--scenarios short5,spe32] [--min-seconds 0.3] [--list]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import math
import os
import statistics
import tempfile
import time
from typing import Callable

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kerasclr  # noqa: E402
from kerasclr.engine import table as tables  # noqa: E402

BATCH_SIZE = 32
CONSTANT_LR = 0.001
CLR_ARGS = dict(base_lr=0.001, max_lr=0.006, step_size=100, mode="triangular")


# -- what is measured ------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Run:
    """The training run a variant is made for (one ``fit()`` call)."""

    steps_per_epoch: int
    epochs: int
    steps_per_execution: int = 1
    momentum: float = 0.0

    @property
    def steps(self):
        return self.steps_per_epoch * self.epochs


@dataclasses.dataclass(frozen=True)
class Variant:
    """One way of training: the optimizer's learning rate and the callbacks.

    ``learning_rate(run)`` returns a float or a Keras schedule (compiled into
    the model once); ``callbacks(run)`` returns a fresh list for every
    ``fit()``; ``spare_variable`` gives the optimizer one more variable that
    no step uses (see `SpareVariableSGD`).
    """

    label: str
    callbacks: Callable[[Run], list] = lambda run: []
    learning_rate: Callable[[Run], object] = lambda run: CONSTANT_LR
    spare_variable: bool = False  # the optimizer keeps one more (unused) variable
    backends: tuple = ("tensorflow", "jax", "torch")  # where it is timed


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
    """The classic CyclicLR: sets the rate, reads it back, appends the logs."""

    def __init__(self):
        super().__init__()
        self.history = {}

    def on_train_batch_end(self, batch, logs=None):
        self.history.setdefault("lr", []).append(
            float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))
        self.history.setdefault("iterations", []).append(self.iteration)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))


class SpareVariableSGD(keras.optimizers.SGD):
    """SGD with one more optimizer variable, a scalar no step reads.

    A float learning rate is an optimizer variable (every compiled step
    carries it as state), a Keras schedule is not: CosineDecay's optimizer
    carries one variable fewer than constant-lr training. CosineDecay with
    this optimizer against CosineDecay is what one more state array costs
    alone (on JAX, what kerasclr's table would cost if it were optimizer
    state rather than an argument of the step).
    """

    def build(self, variables):
        super().build(variables)
        self.spare = self.add_variable((), initializer="zeros", name="spare")


def keras_cosine(run):
    # Long enough that the rate never bottoms out over the repeated fits.
    return keras.optimizers.schedules.CosineDecay(0.006, decay_steps=10**7)


def composed(run):
    """Warm-up, a cyclical phase and a cosine decay (issue 14's example)."""
    third = max(1, run.steps // 3)
    return kerasclr.Sequence(
        [kerasclr.Linear(0.0, 0.006, steps=third),
         kerasclr.CyclicLR(**CLR_ARGS, verbose=0),
         kerasclr.CosineDecay(0.006, decay_steps=third)],
        boundaries=[third, 2 * third])


def with_tensorboard(run):
    clr = kerasclr.CyclicLR(**CLR_ARGS, verbose=0)
    return [clr, kerasclr.TensorBoardRates(clr, LOG_DIR)]


LOG_DIR = os.path.join(tempfile.gettempdir(), "kerasclr-bench-tensorboard")

# The table of variants. New policies go here, then into a scenario below.
VARIANTS = {
    "constant": Variant("constant learning rate"),
    # the same as "constant", in a model of its own: this run's noise floor
    "constant_again": Variant("constant learning rate, a second model"),
    "keras_cosine": Variant("Keras CosineDecay (in-graph)", learning_rate=keras_cosine),
    # compiled JAX steps carry every optimizer variable as state (elsewhere
    # the spare variable measures other things: PyTorch's eager loops over it)
    "keras_cosine_spare": Variant("Keras CosineDecay + 1 optimizer variable",
                                  learning_rate=keras_cosine, spare_variable=True,
                                  backends=("jax",)),
    # what being a callback costs at all: Keras calls its (empty) hooks
    "empty_callback": Variant("a Keras callback that does nothing",
                              callbacks=lambda run: [keras.callbacks.Callback()]),
    "cyclic": Variant("kerasclr CyclicLR",
                      callbacks=lambda run: [kerasclr.CyclicLR(**CLR_ARGS, verbose=0)]),
    "setter": Variant("callback setting the rate every batch",
                      callbacks=lambda run: [SetterCallback()]),
    "classic": Variant("classic CyclicLR (set, read back, log)",
                       callbacks=lambda run: [ClassicCallback()]),
    "one_cycle_momentum": Variant(
        "kerasclr OneCycle (momentum cycling)",
        callbacks=lambda run: [kerasclr.OneCycle(max_lr=0.006, total_steps=run.steps)]),
    "cyclic_momentum": Variant(
        "kerasclr CyclicLR(cycle_momentum=True)",
        callbacks=lambda run: [kerasclr.CyclicLR(**CLR_ARGS, cycle_momentum=True,
                                                 verbose=0)]),
    "one_cycle": Variant(
        "kerasclr OneCycle (no momentum)",
        callbacks=lambda run: [kerasclr.OneCycle(max_lr=0.006, total_steps=run.steps,
                                                 cycle_momentum=False)]),
    "cyclic_plateau": Variant(
        "kerasclr CyclicLR(patience=2) (plateau)",
        callbacks=lambda run: [kerasclr.CyclicLR(**CLR_ARGS, patience=2, verbose=0)]),
    "sgdr": Variant("kerasclr SGDR",
                    callbacks=lambda run: [kerasclr.SGDR(max_lr=0.006, min_lr=0.001,
                                                         epochs_to_restart=4)]),
    "step_decay": Variant("kerasclr StepDecay",
                          callbacks=lambda run: [kerasclr.StepDecay(initial_lr=0.006,
                                                                    step_size=4)]),
    "kerasclr_cosine": Variant(
        "kerasclr CosineDecay",
        callbacks=lambda run: [kerasclr.CosineDecay(0.006, decay_steps=run.steps)]),
    "sequence": Variant("kerasclr Sequence (warm-up, CyclicLR, cosine)",
                        callbacks=lambda run: [composed(run)]),
    "wsd": Variant("kerasclr WSD (1-sqrt decay)",
                   callbacks=lambda run: [kerasclr.WSD(0.006, total_steps=run.steps,
                                                       warmup_fraction=0.1,
                                                       decay_shape="1-sqrt")]),
    "cosine_plateau": Variant(
        "kerasclr CosineDecay + Plateau(patience=2)",
        callbacks=lambda run: [kerasclr.CosineDecay(
            0.006, decay_steps=run.steps, plateau=kerasclr.Plateau(patience=2))]),
    "tensorboard": Variant("kerasclr CyclicLR + TensorBoardRates",
                           callbacks=with_tensorboard),
}


@dataclasses.dataclass(frozen=True)
class Target:
    """``variant`` within ``limit`` times ``reference`` (paired median)."""

    variant: str
    reference: str
    limit: float
    backends: tuple = ("tensorflow", "jax", "torch")


@dataclasses.dataclass(frozen=True)
class Scenario:
    title: str
    run: Run
    variants: tuple          # first: the constant reference; second: CosineDecay
    targets: tuple = ()
    skip: dict = dataclasses.field(default_factory=dict)  # backend -> reason
    validation: bool = False  # pass validation data (plateau variants need it)
    compiled_step: tuple = ()  # variants whose compiled train step is also timed alone (JAX)


TF_JAX = ("tensorflow", "jax")
SCENARIOS = {
    "ordinary": Scenario(
        "ordinary epochs (2 epochs x 200 steps)", Run(200, 2),
        ("constant", "keras_cosine", "cyclic", "setter", "classic")),
    "short5": Scenario(
        "short epochs (40 epochs x 5 steps)", Run(5, 40),
        ("constant", "keras_cosine", "keras_cosine_spare", "cyclic", "constant_again",
         "empty_callback"),
        targets=(Target("cyclic", "constant", 1.03, TF_JAX),
                 Target("cyclic", "keras_cosine", 1.02, TF_JAX))),
    "short13": Scenario(
        "short epochs (16 epochs x 13 steps)", Run(13, 16),
        ("constant", "keras_cosine", "cyclic")),
    "spe32": Scenario(
        "steps_per_execution = 32 (2 epochs x 640 steps)", Run(640, 2, steps_per_execution=32),
        ("constant", "keras_cosine", "keras_cosine_spare", "cyclic", "constant_again",
         "empty_callback"),
        targets=(Target("cyclic", "constant", 1.03, TF_JAX),
                 Target("cyclic", "keras_cosine", 1.02, TF_JAX)),
        skip={"torch": "the torch backend refuses steps_per_execution > 1"},
        compiled_step=("constant", "keras_cosine", "keras_cosine_spare", "cyclic")),
    "momentum": Scenario(
        "momentum cycling, SGD momentum 0.9 (2 epochs x 200 steps)", Run(200, 2, momentum=0.9),
        ("constant", "keras_cosine", "one_cycle_momentum", "cyclic_momentum",
         "constant_again"),
        targets=(Target("one_cycle_momentum", "constant", 1.03),
                 Target("cyclic_momentum", "constant", 1.03))),
    "policies": Scenario(
        "other kerasclr policies (8 epochs x 13 steps, validation data)", Run(13, 8),
        ("constant", "keras_cosine", "one_cycle", "cyclic_plateau", "sgdr", "step_decay",
         "kerasclr_cosine"),
        validation=True),
    "new_policies": Scenario(
        "issue 14: composition, WSD, plateau control, TensorBoard (8 epochs x 50 steps, "
        "validation data)", Run(50, 8),
        ("constant", "keras_cosine", "sequence", "wsd", "cosine_plateau", "tensorboard"),
        targets=tuple(Target(name, "constant", 1.03) for name in
                      ("sequence", "wsd", "cosine_plateau", "tensorboard")),
        validation=True),
}


# -- interleaved timing (also used by bench_range_test.py) ------------------------
def interleaved(actions, rounds, repeats=1, cpu_times=None):
    """Seconds per call of every action, ``rounds`` interleaved rounds.

    ``actions`` maps names to callables; round ``r`` runs them in their
    order rotated by ``r``. Each measurement is ``repeats`` calls in a row.
    A dict given as ``cpu_times`` receives the same for this process's CPU
    time (all its threads), which other work on the machine does not add to.
    """
    names = list(actions)
    times = {name: [] for name in names}
    cpu = {name: [] for name in names}
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(repeats):
                actions[name]()
            cpu[name].append((time.process_time() - start_cpu) / repeats)
            times[name].append((time.perf_counter() - start) / repeats)
    if cpu_times is not None:
        cpu_times.update(cpu)
    return times


def repeats_for(action, min_seconds):
    """How many calls of ``action`` (already warm) last ``min_seconds``."""
    start = time.perf_counter()
    action()
    return max(1, math.ceil(min_seconds / max(time.perf_counter() - start, 1e-9)))


def paired_median(times, reference):
    return statistics.median(t / r for t, r in zip(times, reference))


def best_ratio(times, reference):
    return min(times) / min(reference)


def quartiles(times, reference):
    """First and third quartile of the per-round ratios (the spread)."""
    ratios = [t / r for t, r in zip(times, reference)]
    if len(ratios) < 2:
        return ratios[0], ratios[0]
    q1, _, q3 = statistics.quantiles(ratios, n=4)
    return q1, q3


def print_table(times, steps, labels, references):
    """One row per action: µs/step, then paired median and best per reference.

    ``references``: list of (name, column title) of actions in ``times``; the
    first one also gets the quartiles of the per-round ratios ("q1-q3"): a
    target closer to the median than that spread is not resolved.
    """
    width = max(len(labels[name]) for name in times)
    header = f"  {'variant':<{width}} {'us/step':>8} {'best':>8}"
    for index, (_, title) in enumerate(references):
        header += f"  {title + ' median':>{max(len(title) + 7, 13)}}"
        header += f" {'q1-q3':>11} {'best':>6}" if index == 0 else f" {'best':>6}"
    print(header)
    for name, values in times.items():
        line = (f"  {labels[name]:<{width}} {statistics.median(values) / steps * 1e6:8.1f}"
                f" {min(values) / steps * 1e6:8.1f}")
        for index, (reference, title) in enumerate(references):
            ref = times[reference]
            line += f"  {paired_median(values, ref):>{max(len(title) + 7, 13)}.3f}"
            if index == 0:
                line += " {:>11}".format("{:.3f}-{:.3f}".format(*quartiles(values, ref)))
            line += f" {best_ratio(values, ref):6.3f}"
        print(line)


def noise_floor(times, first="constant", second="constant_again"):
    """How far apart two timings of the same computation measured in this
    run (>= 1; None when the run has no second one): the paired median of
    the second against the first, or its inverse when below 1."""
    if first not in times or second not in times:
        return None
    ratio = paired_median(times[second], times[first])
    return max(ratio, 1 / ratio)


def print_target(times, labels, variant, reference, limit, note="issue 16"):
    ratio = paired_median(times[variant], times[reference])
    verdict = "PASS" if ratio <= limit else "MISS"
    floor = noise_floor(times)
    if verdict == "MISS" and floor is not None and ratio <= limit * floor:
        verdict += f" by less than the noise floor ({floor:.3f}): not resolved"
    print(f"  target ({note}): {labels[variant]} <= {limit:.2f}x {labels[reference]}"
          f" (paired median): {ratio:.3f}  {verdict}")


def print_clock(times, scenario, labels, references, backend, note):
    """One clock's table of ``scenario``, its noise floor and its targets."""
    print_table(times, scenario.run.steps, labels, references)
    floor = noise_floor(times)
    if floor is not None:
        print(f"  noise floor: two models training at a constant rate measured {floor:.3f}"
              " apart (the same computation)")
    for target in scenario.targets:
        if backend in target.backends:
            print_target(times, labels, target.variant, target.reference, target.limit, note)


def describe_machine():
    backend = keras.backend.backend()
    versions = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
    module = __import__(versions[backend])
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"keras {keras.__version__}, backend {backend} {module.__version__}, "
            f"numpy {np.__version__}, {os.cpu_count()} CPU cores, load average {load}")


# -- the overhead benchmark ------------------------------------------------------
def make_model(learning_rate=CONSTANT_LR, momentum=0.0, steps_per_execution=1,
               spare_variable=False):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((32,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(1),
    ])
    optimizer = (SpareVariableSGD if spare_variable else keras.optimizers.SGD)(
        learning_rate, momentum=momentum)
    model.compile(optimizer=optimizer,
                  loss="mse", steps_per_execution=steps_per_execution)
    return model


def make_data(rows, seed=0):
    """A learnable regression: y = x @ w + noise (the range test's loss falls)."""
    rng = np.random.default_rng(seed)
    weights = np.random.default_rng(42).normal(size=(32, 1))
    x = rng.normal(size=(rows, 32)).astype("float32")
    y = (x @ weights + 0.1 * rng.normal(size=(rows, 1))).astype("float32")
    return x, y


def run_scenario(scenario, rounds, min_seconds):
    run = scenario.run
    x, y = make_data(BATCH_SIZE * run.steps_per_epoch)
    fit_args = dict(batch_size=BATCH_SIZE, epochs=run.epochs, verbose=0)
    if scenario.validation:
        fit_args["validation_data"] = make_data(4 * BATCH_SIZE, seed=1)

    def action(name):
        variant = VARIANTS[name]
        model = make_model(variant.learning_rate(run), run.momentum, run.steps_per_execution,
                           variant.spare_variable)
        return lambda: model.fit(x, y, callbacks=variant.callbacks(run), **fit_args)

    backend = keras.backend.backend()
    actions = {name: action(name) for name in scenario.variants
               if backend in VARIANTS[name].backends}
    for fit in actions.values():  # trace every variant's train function once
        fit()
    repeats = repeats_for(actions[scenario.variants[0]], min_seconds)
    cpu_times = {}
    times = interleaved(actions, rounds, repeats, cpu_times)
    measured = [name for name in actions
                if any(isinstance(callback, kerasclr.engine.PolicyCallback)
                       for callback in VARIANTS[name].callbacks(run))]
    return times, cpu_times, repeats, host_share(actions, measured, max(5, rounds))


# -- the compiled train step alone (JAX) ------------------------------------------
def compiled_step_times(names, rounds, calls=2000):
    """JAX: seconds per call of each variant's compiled train step alone.

    Each variant's model is trained for a few steps; during its ``fit()``
    (where a kerasclr table is installed) its train step is compiled for one
    batch, with Keras's own donation of the state, and is then called
    ``calls`` times per measurement in interleaved rounds, each call taking
    the state the last one returned. No ``fit()`` loop, data iterator or
    callback runs: what differs between the variants is what their compiled
    steps compute and the state they carry in and out."""
    import jax

    run = Run(3, 1)  # the fit() that compiles the step (at its second batch)
    x, y = make_data(BATCH_SIZE * run.steps)
    batch = (jax.numpy.asarray(x[:BATCH_SIZE]), jax.numpy.asarray(y[:BATCH_SIZE]))
    actions = {}
    for name in names:
        variant = VARIANTS[name]
        model = make_model(variant.learning_rate(run), run.momentum, 1, variant.spare_variable)
        compiler = _StepCompiler(batch)
        model.fit(x, y, batch_size=BATCH_SIZE, epochs=run.epochs, verbose=0,
                  callbacks=variant.callbacks(run) + [compiler])
        actions[name] = _stepping(compiler.step, compiler.state, batch, calls)
    for action in actions.values():
        action()
    return interleaved(actions, rounds)


class _StepCompiler(keras.callbacks.Callback):
    """Compiles the model's train step for ``batch`` in the middle of a JAX
    ``fit()`` (keeps ``step``, and the state then, as numpy arrays)."""

    def __init__(self, batch):
        super().__init__()
        self.batch, self.step, self.state = batch, None, None

    def on_train_batch_begin(self, batch_index, logs=None):
        if batch_index != 1:
            return
        import jax

        state = self.model._get_jax_state(trainable_variables=True,
                                          non_trainable_variables=True,
                                          optimizer_variables=True, metrics_variables=True)
        # kerasclr's compiled step takes its table as an argument before the state
        with_table = getattr(self.model.train_function, "kerasclr_step", None)
        if with_table is None:
            step = jax.jit(self.model.train_step, donate_argnums=0)
            self.step = step.lower(state, self.batch).compile()
        else:
            table = tables.attachment_of(self.model.optimizer).table.values.value
            lowered = with_table.lower(table, state, self.batch).compile()
            self.step = functools.partial(lowered, table)
        self.state = jax.tree_util.tree_map(np.array, state)


def _stepping(step, state, batch, calls):
    import jax

    held = [jax.tree_util.tree_map(jax.numpy.asarray, state)]

    def action():
        current = held[0]
        for _ in range(calls):
            _, current = step(current, batch)
        held[0] = jax.block_until_ready(current)

    return action


# -- kerasclr's own host work, measured inside the same fits --------------------------
# The batch hooks are left out: with epochs of known length they only test a
# flag, which costs less than the timer would add (every Keras callback's
# batch hooks are called, empty or not).
HOOKS = ("on_train_begin", "on_epoch_begin", "on_epoch_end", "on_train_end")


@contextlib.contextmanager
def timed_hooks():
    """Adds the time spent in the train and epoch hooks of kerasclr's
    callbacks (the policies' engine and `kerasclr.TensorBoardRates`) to the
    list it yields."""
    spent = [0.0]
    patched = []
    for cls in (kerasclr.engine.PolicyCallback, kerasclr.TensorBoardRates):
        for name in HOOKS:
            original = cls.__dict__.get(name)
            if original is None:
                continue

            def timed(self, *args, _original=original, **kwargs):
                start = time.perf_counter()
                try:
                    return _original(self, *args, **kwargs)
                finally:
                    spent[0] += time.perf_counter() - start

            setattr(cls, name, timed)
            patched.append((cls, name, original))
    try:
        yield spent
    finally:
        for cls, name, original in patched:
            setattr(cls, name, original)


def host_share(actions, names, fits):
    """Per variant: median seconds per fit() in kerasclr's hooks, and their
    median share of the fit() (``fits`` timed fits, after the rounds)."""
    shares = {}
    with timed_hooks() as spent:
        for name in names:
            per_fit, fractions = [], []
            for _ in range(fits):
                spent[0] = 0.0
                start = time.perf_counter()
                actions[name]()
                total = time.perf_counter() - start
                per_fit.append(spent[0])
                fractions.append(spent[0] / total)
            shares[name] = (statistics.median(per_fit), statistics.median(fractions))
    return shares


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9,
                        help="interleaved rounds per scenario (default 9)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help="comma-separated, from: " + ", ".join(SCENARIOS))
    parser.add_argument("--min-seconds", type=float, default=0.3,
                        help="repeat fit() until one measurement lasts this long")
    parser.add_argument("--list", action="store_true", help="list scenarios and variants")
    args = parser.parse_args()
    if args.list:
        for key, scenario in SCENARIOS.items():
            print(f"{key}: {scenario.title}: {', '.join(scenario.variants)}")
        return
    chosen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; choose from {list(SCENARIOS)}")

    backend = keras.backend.backend()
    labels = {name: variant.label for name, variant in VARIANTS.items()}
    started = time.perf_counter()
    print(f"Per-step cost of kerasclr, {args.rounds} interleaved rounds per scenario")
    print(f"{describe_machine()}")
    print(f"MLP 32-64-64-1, batch {BATCH_SIZE}, SGD; ratios: paired median of per-round "
          "ratios, best = best round / best round")
    for key in chosen:
        scenario = SCENARIOS[key]
        print(f"\n[{key}] {scenario.title}")
        if backend in scenario.skip:
            print(f"  skipped on {backend}: {scenario.skip[backend]}")
            continue
        times, cpu_times, repeats, shares = run_scenario(scenario, args.rounds,
                                                         args.min_seconds)
        constant, cosine = scenario.variants[:2]
        references = [(constant, "vs constant"), (cosine, "vs CosineDecay")]
        print(f"  {repeats} fit() call(s) per measurement, {scenario.run.steps} steps each")
        print_clock(times, scenario, labels, references, backend, "issue 16")
        print("  the same fits in this process's CPU time (what other work on the machine "
              "does not add to):")
        print_clock(cpu_times, scenario, labels, references, backend, "issue 16, CPU time")
        if backend == "jax" and scenario.compiled_step:
            calls = 2000
            steps = compiled_step_times(scenario.compiled_step, args.rounds, calls)
            print(f"  compiled train step alone (one batch per call, {calls} calls per "
                  "measurement, no fit() loop or callbacks):")
            print_table(steps, calls, labels, [(constant, "vs constant"),
                                               (cosine, "vs CosineDecay")])
        for name, (seconds, share) in shares.items():
            print(f"  host work in kerasclr's train and epoch hooks, {labels[name]}: "
                  f"{seconds * 1e3:.2f} ms "
                  f"per fit() = {100 * share:.2f} % of it (median of {max(5, args.rounds)} "
                  "more fits)")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nfinished in {time.perf_counter() - started:.0f} s, load average {load}")


if __name__ == "__main__":
    main()
