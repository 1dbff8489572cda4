"""Composition: one policy made of phases, each a kerasclr policy or a constant.

Phase ``k`` runs from boundary ``k - 1`` (0 for the first) to boundary ``k``
(the last phase to the end), boundaries counted in training iterations
(``unit="steps"``) or epochs (``unit="epochs"``). Each phase sees its own
positions, counted from its start, so a phase behaves exactly as the same
policy trained alone from 0 (optax's ``join_schedules``; PyTorch's
``SequentialLR`` for plain phases). Epoch-based phases inside step
boundaries count their epochs from the epoch in which they start.

Plateau control inside a phase (e.g. a `CyclicLR` with ``patience``) acts
while that phase runs; plateau control of the `Sequence` itself
(``plateau=``) scales every phase. The preview, the history, the plots and
the saved state cover the whole run; resume is exact at any step, also
across a boundary, because the rate is a function of the position only.
"""

from __future__ import annotations

import bisect
import numbers

import numpy as np

from kerasclr.arguments import check_choice, check_count, check_optional
from kerasclr.engine import PolicyCallback, Positions
from kerasclr.errors import ArgumentError, KerasclrError, r_describe, r_vector
from kerasclr.policies.constant import Constant

UNITS = ("steps", "epochs")


class Sequence(PolicyCallback):
    """Phases of learning-rate policies, one after the other, as one callback.

    Args:
        phases: a list of kerasclr policies (not passed to ``fit()`` on their
            own) or numbers (constant rates).
        boundaries: where each phase after the first starts: whole numbers,
            strictly increasing, one fewer than the phases.
        unit: "steps" (training iterations, default) or "epochs".
        verbose: 0 (silent) or 1.
        plateau: optional `kerasclr.Plateau` scaling every phase.

    Example:
        >>> policy = kerasclr.Sequence(
        ...     [kerasclr.Linear(0.0, 0.006, steps=500),
        ...      kerasclr.CyclicLR(0.001, 0.006, step_size=250, verbose=0),
        ...      kerasclr.CosineDecay(0.006, decay_steps=1000)],
        ...     boundaries=[500, 2500])
        >>> model.fit(x, y, epochs=30, callbacks=[policy])
    """

    policy_name = "Sequence"
    r_function = "new_callback_sequence"

    def __init__(self, phases, boundaries, unit="steps", verbose=0, plateau=None):
        if not isinstance(phases, (list, tuple)) or not phases:
            raise ArgumentError("phases", "a non-empty list of kerasclr policies or "
                                "numbers", phases,
                                r_expected="a non-empty list of kerasclr callbacks or numbers")
        self.phases = [_as_phase(phase, k) for k, phase in enumerate(phases)]
        self.unit = check_choice("unit", unit, UNITS)
        self.boundaries = _check_boundaries(boundaries)
        if len(self.boundaries) != len(self.phases) - 1:
            phases = len(self.phases)
            need = "phase needs" if phases == 1 else "phases need"
            raise KerasclrError(
                f"`boundaries` must hold one number fewer than `phases`: {phases} "
                f"{need} {phases - 1}, got {len(self.boundaries)}.")
        cycles = {phase.cycle_momentum for phase in self.phases}
        if len(cycles) > 1:
            raise KerasclrError(
                "Either every phase cycles momentum or none does (a constant phase does "
                "not): give `cycle_momentum` alike to the phases.")
        self._starts = [0] + self.boundaries
        self._steps_per_epoch = None
        super().__init__(verbose=verbose, cycle_momentum=cycles.pop(), plateau=plateau)

    @property
    def uses_epochs(self):
        return self.unit == "epochs" or any(phase.uses_epochs for phase in self.phases)

    # -- phases -------------------------------------------------------------------------
    def initial_settings(self):
        settings = {"scale": 1.0}
        for k, phase in enumerate(self.phases):
            settings.update({f"{k}/{name}": value
                             for name, value in phase.initial_settings().items()})
        return settings

    def _phase_settings(self, settings, k):
        """Phase ``k``'s own settings out of the sequence's ``settings``
        (settings are replaced, never changed in place: split once each)."""
        split = self.__dict__.get("_split_settings")
        if split is None or split[0] is not settings:
            split = (settings, [{} for _ in self.phases])
            for name, value in settings.items():
                phase, _, own = name.partition("/")
                if own:
                    split[1][int(phase)][own] = value
            self.__dict__["_split_settings"] = split
        return split[1][k]

    def phase_at(self, positions):
        """The index of the phase of each of ``positions``."""
        return np.searchsorted(self.boundaries,
                               self._coordinate(positions.iteration, positions.epoch),
                               side="right")

    def _coordinate(self, iteration, epoch):
        """What the boundaries count: ``iteration`` or ``epoch`` (0-based)."""
        return iteration if self.unit == "steps" else epoch

    def _local(self, positions, k):
        start, steps = self._starts[k], self._steps_per_epoch
        if self.unit == "steps":
            first_epoch = start // steps if steps else 0
            return Positions(positions.iteration - start, positions.epoch - first_epoch,
                             positions.in_epoch)
        return Positions(positions.iteration - start * steps, positions.epoch - start,
                         positions.in_epoch)

    def _by_phase(self, positions, settings, function):
        """``function(phase, local positions, phase settings)`` per phase, merged."""
        which = self.phase_at(positions)
        if np.all(which[1:] >= which[:-1]):  # in order (a fill): a slice per phase
            edges = np.searchsorted(which, np.arange(len(self.phases) + 1)).tolist()
            parts = [(k, slice(edges[k], edges[k + 1])) for k in range(len(self.phases))
                     if edges[k] < edges[k + 1]]
        else:
            parts = [(k, which == k) for k in np.unique(which).tolist()]
        out = None
        for k, part in parts:
            local = self._local(positions[part], k)
            values = function(self.phases[k], local, self._phase_settings(settings, k))
            values = values if isinstance(values, tuple) else (values,)
            if out is None:
                out = [np.empty(len(positions)) for _ in values]
            for column, value in zip(out, values):
                column[part] = value
        return out if out is not None else [np.empty(0)]

    def schedule(self, positions, settings):
        (rates,) = self._by_phase(positions, settings,
                                  lambda phase, local, own: phase.schedule(local, own))
        return self.scaled(rates, settings)

    def momentum_schedule(self, positions, settings):
        (momenta,) = self._by_phase(
            positions, settings, lambda phase, local, own: phase.momentum_schedule(local, own))
        return momenta

    def bounds(self, positions, settings):
        low, high = self._by_phase(positions, settings,
                                   lambda phase, local, own: tuple(phase.bounds(local, own)))
        return self.scaled(low, settings), self.scaled(high, settings)

    def resolve(self, params):
        steps, epochs = params.get("steps"), params.get("epochs")
        self._steps_per_epoch = None if steps is None else int(steps)
        if self.unit == "epochs" and steps is None:
            raise KerasclrError(
                "Sequence: boundaries in epochs need the number of batches per epoch, "
                "which fit() does not know here: give `steps_per_epoch` to fit().",
                "new_callback_sequence(): boundaries in epochs need the number of batches "
                "per epoch, which fit() does not know here: give `steps_per_epoch` to "
                "fit().")
        total = params.get("total_steps")
        if total is None and steps is not None and epochs is not None:
            total = int(steps) * int(epochs)
        for k, phase in enumerate(self.phases):
            start = self._starts[k] * (1 if self.unit == "steps" else steps)
            end = (self._starts[k + 1] * (1 if self.unit == "steps" else steps)
                   if k + 1 < len(self._starts) else total)
            span = None if end is None or end <= start else int(end - start)
            phase.resolve({"steps": steps, "total_steps": span,
                           "epochs": None if span is None or not steps else -(-span // steps)})

    def preview(self, iterations, steps_per_epoch=None, what="lr", dtype="float32"):
        """The values at training ``iterations`` (epochs of ``steps_per_epoch``),
        for a run as long as the last of them.

        The lengths a preview resolves (a `WSD` phase without ``total_steps``)
        hold for the preview only: the phases keep the state they had, so a
        later ``fit()`` still takes its lengths from ``fit()``.
        """
        steps_per_epoch = check_optional(check_count, "steps_per_epoch", steps_per_epoch,
                                         minimum=1)
        if steps_per_epoch is None and self.uses_epochs:
            raise ArgumentError(
                "steps_per_epoch", "given (batches per epoch) when the boundaries are in "
                "epochs or a phase counts epochs", None,
                r_expected="a whole number >= 1 (batches per epoch) when the boundaries "
                "are in epochs or a phase counts epochs")
        last = int(np.max(np.asarray(iterations))) if np.size(iterations) else 0
        kept = [(policy, dict(vars(policy))) for policy in self._with_nested_phases()]
        try:
            self.resolve({"steps": steps_per_epoch, "epochs": None, "total_steps": last + 1})
            return super().preview(iterations, steps_per_epoch, what, dtype)
        finally:
            for policy, attributes in kept:
                vars(policy).clear()
                vars(policy).update(attributes)

    def _with_nested_phases(self):
        """This sequence and every phase in it, also inside nested sequences."""
        found = [self]
        for phase in self.phases:
            found += phase._with_nested_phases() if isinstance(phase, Sequence) else [phase]
        return found

    # -- plateau control ------------------------------------------------------------------
    def _plateaus(self):
        plateaus = super()._plateaus()
        for k, phase in enumerate(self.phases):
            plateaus.update({f"phase{k}.{name}": plateau
                             for name, plateau in phase._plateaus().items()})
        return plateaus

    def _active_plateau(self):
        if self.plateau is not None:
            return super()._active_plateau()
        # the phase of the epoch's last step (`phase_at` of one position)
        k = bisect.bisect_right(self.boundaries, self._coordinate(
            max(0, self.next_iteration - 1), self.epochs_done - 1))
        phase = self.phases[k]
        active = phase._active_plateau()
        if active is None:
            return None
        plateau, reduce, lag = active

        def reduce_phase(settings):
            phase.epochs_done = self.epochs_done  # for its messages
            new = reduce(self._phase_settings(settings, k))
            if new is None:
                return None
            return dict(settings, **{f"{k}/{name}": value for name, value in new.items()})

        return plateau, reduce_phase, lag

    def check_settings(self, settings, problem):
        scale = settings.get("scale")
        if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not 0 < scale:
            problem("settings.scale", f"must be a number > 0, got {scale!r}")
        for k, phase in enumerate(self.phases):
            phase.check_settings(self._phase_settings(settings, k),
                                 lambda field, text, k=k: problem(
                                     f"settings.{k}/{field.split('.', 1)[-1]}", text))

    # -- state ------------------------------------------------------------------------------
    def get_config(self):
        return {"phases": [{"policy": phase.policy_name, "config": phase.get_config()}
                           for phase in self.phases],
                "boundaries": list(self.boundaries), "unit": self.unit,
                "verbose": self.verbose, **self.plateau_config()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["phases"] = [
            cls.class_named(phase["policy"]).from_config(phase["config"])
            if isinstance(phase, dict) else phase for phase in config["phases"]]
        return super().from_config(config)

    def _policy_state(self):
        return {"phases": [phase._policy_state() for phase in self.phases]}

    def _check_policy_state(self, state, problem):
        states = state.get("phases")
        if not isinstance(states, list) or len(states) != len(self.phases):
            problem("policy_state.phases", f"must hold {len(self.phases)} phase states")
        for k, (phase, own) in enumerate(zip(self.phases, states)):
            phase._check_policy_state(own, lambda field, text, k=k: problem(
                f"policy_state.phases[{k}].{field.split('.', 1)[-1]}", text))

    def _set_policy_state(self, state):
        for phase, own in zip(self.phases, state["phases"]):
            phase._set_policy_state(own)


def _as_phase(phase, k):
    if isinstance(phase, PolicyCallback):
        return phase
    expected, r_expected = "kerasclr policies or numbers", "kerasclr callbacks or numbers"
    if isinstance(phase, numbers.Real) and not isinstance(phase, bool):
        try:
            return Constant(phase)
        except ArgumentError:  # a constant rate: name `phases`, not Constant's `lr`
            expected += " (finite, >= 0)"
            r_expected += " (finite, >= 0)"
    raise ArgumentError("phases", expected, phase, r_expected=r_expected,
                        got=f"{phase!r} (phase {k + 1})",
                        r_got=f"{r_describe(phase)} (phase {k + 1})", whole_value=False)


def _check_boundaries(boundaries):
    """Whole numbers >= 1, strictly increasing (one number: a list of one)."""
    if isinstance(boundaries, numbers.Real) and not isinstance(boundaries, bool):
        boundaries = [boundaries]
    if not isinstance(boundaries, (list, tuple, range, np.ndarray)):
        raise ArgumentError("boundaries", "a list of whole numbers", boundaries,
                            r_expected="a numeric vector of whole numbers")
    values = list(boundaries)
    # R: the whole vector as the user wrote it, c(5, 5)
    about_all = {"got": repr(values), "r_got": r_vector(values), "whole_value": False}
    try:
        checked = [check_count("boundaries", b, minimum=1) for b in values]
    except ArgumentError:
        raise ArgumentError("boundaries", "whole numbers >= 1", values, verb="hold",
                            **about_all) from None
    if any(b <= a for a, b in zip(checked, checked[1:])):
        raise ArgumentError("boundaries", "strictly increasing", values, **about_all)
    return checked
