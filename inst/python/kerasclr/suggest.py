"""Pure functions of an LR range test: the sweep, the smoothing, the band.

Everything here is a deterministic function of numbers (no model, no
backend), so the rules can be unit-tested on synthetic curves and the R
package gets its numbers from the same code.

The rules that turn a loss curve into a CLR band (``suggest_lr_band``) use
``start``, the median of the smoothed loss over the first half of the steps
up to its minimum (the level of the plateau at small learning rates; a
median, so the noisy first values of the moving average do not count), and
``drop = start - minimum``:

- ``"fall"`` (default): ``base_lr`` is the learning rate of the step after
  the last step before the minimum at which the smoothed loss is still at or
  above ``start - 10% of drop`` (from there on the loss has started to fall
  clearly, for good); ``max_lr`` is the first learning rate after that at
  which the smoothed loss is at or below ``start - 90% of drop`` (the fall is
  nearly over, still before the minimum). The band is where the loss does
  the middle 80% of its fall.
- ``"steepest"``: ``max_lr`` is the learning rate of the steepest descent of
  the smoothed loss with respect to ``log10(lr)`` (``numpy.gradient``),
  between the last step before the minimum at or above ``start`` and the
  minimum.
- ``"minimum"``: ``max_lr`` is one tenth of the learning rate at the minimum.
- ``"valley"``: the longest strictly decreasing subsequence of the smoothed
  loss is the "valley"; ``max_lr`` is the learning rate halfway (in steps)
  through it.

The smoothed loss lags the raw loss by about ``beta / (1 - beta)`` steps
(49 for the default 0.98): run a few hundred steps, or lower ``beta`` for
short tests.

For the three alternatives ``base_lr = max_lr / base_ratio`` (default 4: the
CLR paper suggests a base_lr of 1/3 or 1/4 of max_lr). ``"fall"`` uses the
same fallback if both of its points land on the same step.
"""

from __future__ import annotations

import math

import numpy as np

from kerasclr.arguments import check_choice, check_count, check_number
from kerasclr.errors import KerasclrError, r_number
from kerasclr.policies.cyclic import ClrScale, cyclic_lr

SWEEPS = ("exponential", "linear")
METHODS = ("fall", "steepest", "minimum", "valley")
FALL_START = 0.1   # fraction of the fall where base_lr is read
FALL_END = 0.9     # fraction of the fall where max_lr is read


MAX_SWEEP_STEPS = 2 ** 31 - 1  # a sweep's rates are held in memory, one per step


def check_sweep_args(min_lr, max_lr, steps, sweep="exponential"):
    """Validate the arguments of a sweep; returns the cleaned values."""
    min_lr = check_number("min_lr", min_lr, minimum=0.0, min_inclusive=False)
    max_lr = check_number("max_lr", max_lr, minimum=0.0, min_inclusive=False)
    if min_lr >= max_lr:
        raise KerasclrError(
            f"`min_lr` must be < `max_lr`, got min_lr={min_lr!r} and "
            f"max_lr={max_lr!r}.",
            f"`max_lr` must be > `min_lr` ({r_number(min_lr)}), not {r_number(max_lr)}.")
    steps = check_count("steps", steps, minimum=2, maximum=MAX_SWEEP_STEPS)
    check_choice("sweep", sweep, SWEEPS)
    return min_lr, max_lr, steps, sweep


def sweep_lrs(min_lr, max_lr, steps, sweep="exponential"):
    """The learning rates of the ``steps`` steps of a range test (float64).

    ``"exponential"``: ``min_lr * (max_lr / min_lr) ** (i / (steps - 1))``.
    ``"linear"``: the CLR paper's original test, the rising half of a
    triangular cycle from ``min_lr`` to ``max_lr`` with
    ``step_size = steps - 1`` (computed with the CLR formula itself).
    Step 0 uses ``min_lr`` and step ``steps - 1`` uses ``max_lr``.

    Example:
        >>> kerasclr.sweep_lrs(1e-4, 1e-1, 4)
        array([0.0001, 0.001 , 0.01  , 0.1   ])
    """
    min_lr, max_lr, steps, sweep = check_sweep_args(min_lr, max_lr, steps, sweep)
    i = np.arange(steps, dtype=np.float64)
    if sweep == "linear":
        rates = cyclic_lr(i, min_lr, max_lr, steps - 1, ClrScale())
    else:
        rates = min_lr * np.exp(np.log(max_lr / min_lr) * i / (steps - 1))
    rates[0], rates[-1] = min_lr, max_lr
    return rates


def check_beta(beta):
    return check_number("beta", beta, minimum=0.0, maximum=1.0,
                        max_inclusive=False)


class EmaSmoother:
    """Bias-corrected exponential moving average, one value at a time.

    ``avg_i = beta * avg_{i-1} + (1 - beta) * loss_i`` (``avg_{-1} = 0``) and
    the smoothed value is ``avg_i / (1 - beta ** (i + 1))``, so the first
    values are not pulled towards 0. A NaN or infinite loss makes this and
    every later smoothed value NaN / infinite.
    """

    def __init__(self, beta=0.98):
        self.beta = check_beta(beta)
        self.count = 0
        self.average = 0.0

    def update(self, loss):
        self.count += 1
        self.average = self.beta * self.average + (1.0 - self.beta) * float(loss)
        return self.average / (1.0 - self.beta ** self.count)


def smooth_losses(losses, beta=0.98):
    """Bias-corrected EMA of a loss sequence (see `EmaSmoother`), float64.

    Example:
        >>> kerasclr.smooth_losses([4.0, 2.0], beta=0.5)
        array([4.        , 2.66666667])
    """
    smoother = EmaSmoother(beta)
    values = np.asarray(losses, dtype=np.float64).reshape(-1)
    return np.array([smoother.update(v) for v in values], dtype=np.float64)


def divergence_limit(best, threshold):
    """The smoothed loss above which a range test counts as diverged.

    ``best + (threshold - 1) * |best|``: ``threshold * best`` for a positive
    best loss, and still above the best for a negative one (where
    ``threshold * best`` would be below it).
    """
    return best + (threshold - 1.0) * abs(best)


def _clean_curve(lr, loss):
    lr = np.asarray(lr, dtype=np.float64).reshape(-1)
    loss = np.asarray(loss, dtype=np.float64).reshape(-1)
    if lr.size != loss.size:
        raise KerasclrError(
            f"`lr` and `loss` must have the same length, got {lr.size} and "
            f"{loss.size}."
        )
    bad = np.flatnonzero(~np.isfinite(loss))
    end = loss.size if bad.size == 0 else int(bad[0])
    lr, loss = lr[:end], loss[:end]
    if lr.size < 3:
        raise KerasclrError(
            f"A suggestion needs at least 3 finite losses before the first "
            f"NaN/Inf, got {lr.size}."
        )
    if not (np.all(np.isfinite(lr)) and np.all(lr > 0) and np.all(np.diff(lr) > 0)):
        raise KerasclrError("`lr` must be positive and strictly increasing.")
    return lr, loss


def _minimum_index(loss):
    i_min = int(np.argmin(loss))
    if i_min == 0 or not loss[:i_min].max() > loss[i_min]:
        raise KerasclrError(
            "The loss never falls below its starting value during the range "
            "test: no band to suggest. Lower `min_lr`, raise `max_lr` or run "
            "more `steps`."
        )
    return i_min


def _longest_decrease(loss):
    """First and last index of the longest strictly decreasing subsequence.

    Among longest subsequences, the one ending first; walking back, the
    latest possible predecessor at every step (the tightest valley).
    """
    n = loss.size
    length = np.ones(n, dtype=np.int64)
    for i in range(1, n):
        higher = loss[:i] > loss[i]
        if higher.any():
            length[i] = 1 + length[:i][higher].max()
    end = int(np.argmax(length))
    start = end
    while length[start] > 1:
        candidates = np.flatnonzero((loss[:start] > loss[start])
                                    & (length[:start] == length[start] - 1))
        start = int(candidates[-1])
    return start, end


def suggest_lr_band(lr, loss, method="fall", base_ratio=4.0):
    """Suggest CLR bounds from a range test's (smoothed) loss curve.

    A pure, deterministic function: the rules are in the module doc of
    `kerasclr.suggest`. Only the part of the curve before the first NaN/Inf
    loss is used.

    Args:
        lr: learning rates of the steps, positive and strictly increasing.
        loss: the smoothed loss of each step (same length).
        method: "fall" (default), "steepest", "minimum" or "valley".
        base_ratio: ``max_lr / base_lr`` for the alternative methods (> 1).

    Returns:
        ``{"base_lr": ..., "max_lr": ...}`` (floats), ready for
        ``CyclicLR(**band, step_size=...)``.

    Raises:
        KerasclrError: if the loss never falls (nothing to suggest).

    Example:
        >>> lr = kerasclr.sweep_lrs(1e-5, 1.0, 100)
        >>> kerasclr.suggest_lr_band(lr, result.history["smoothed_loss"])
        {'base_lr': ..., 'max_lr': ...}
    """
    check_choice("method", method, METHODS)
    base_ratio = check_number("base_ratio", base_ratio, minimum=1.0,
                              min_inclusive=False)
    lr, loss = _clean_curve(lr, loss)
    i_min = _minimum_index(loss)
    start = float(np.median(loss[:i_min // 2 + 1]))
    drop = start - loss[i_min]
    if not drop > 0:
        raise KerasclrError(
            "The smoothed loss does not fall below its starting level during "
            "the range test: no band to suggest."
        )
    before = np.arange(loss.size) < i_min
    if method == "fall":
        i_base = int(np.flatnonzero(before & (loss >= start - FALL_START * drop))[-1]) + 1
        i_max = i_base + int(np.flatnonzero(loss[i_base:] <= start - FALL_END * drop)[0])
        max_lr = float(lr[i_max])
        base_lr = float(lr[i_base]) if i_base < i_max else max_lr / base_ratio
        return {"base_lr": base_lr, "max_lr": max_lr}
    if method == "steepest":
        i_start = int(np.flatnonzero(before & (loss >= start))[-1])
        window = slice(i_start, i_min + 1)
        slope = np.gradient(loss[window], np.log10(lr[window]))
        max_lr = float(lr[i_start + int(np.argmin(slope))])
    elif method == "minimum":
        max_lr = float(lr[i_min]) / 10.0
    else:  # valley
        first, last = _longest_decrease(loss)
        max_lr = float(lr[first + (last - first) // 2])
    return {"base_lr": max_lr / base_ratio, "max_lr": max_lr}


def loss_plot_limits(loss):
    """The y range of a range-test plot: ``(low, high)`` (both languages).

    From a bit below the lowest smoothed loss to a quarter of the fall above
    the highest smoothed loss before the minimum, so the diverging tail does
    not squash the interesting part. Only the part before the first NaN/Inf
    counts; ``(nan, nan)`` when nothing is finite.
    """
    loss = np.asarray(loss, dtype=np.float64).reshape(-1)
    bad = np.flatnonzero(~np.isfinite(loss))
    loss = loss[:loss.size if bad.size == 0 else int(bad[0])]
    if loss.size == 0:
        return (math.nan, math.nan)
    i_min = int(np.argmin(loss))
    low, top = float(loss[i_min]), float(loss[:i_min + 1].max())
    span = top - low
    if span <= 0:
        span = 0.1 * max(abs(low), 1e-12)
    return (low - 0.1 * span, top + 0.25 * span)
