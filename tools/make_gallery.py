"""Write man/figures/gallery.png: every kerasclr policy previewed in one figure.

Run from the repository root:

    python tools/make_gallery.py

The curves come from the preview functions (the same numbers the callbacks
put in their tables), over 1000 training iterations of 50 batches per epoch;
the plateau-controlled curve comes from a replay with made-up validation
losses (`kerasclr.replay_epochs`).
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import kerasclr  # noqa: E402
from kerasclr.policies.cyclic import ClrScale, clr_momentum  # noqa: E402

STEPS = 1000
STEPS_PER_EPOCH = 50
OUT = Path(__file__).resolve().parents[1] / "man" / "figures" / "gallery.png"
LR = "#1f77b4"
MOMENTUM = "#ff7f0e"


def with_momentum(ax, x, momentum):
    right = ax.twinx()
    right.plot(x, momentum, color=MOMENTUM, linestyle=":", linewidth=1.5)
    right.set_ylabel("momentum", color=MOMENTUM)
    right.tick_params(axis="y", colors=MOMENTUM)


def main():
    it = np.arange(STEPS)
    fig, axes = plt.subplots(3, 3, figsize=(13, 9.75), constrained_layout=True)
    (a, b, c), (d, e, f), (g, h, k) = axes

    for mode, style in (("triangular", "-"), ("triangular2", "--"),
                        ("exp_range", ":")):
        a.plot(it, kerasclr.clr_schedule(it, 0.001, 0.006, 100, mode=mode,
                                         gamma=0.997), style, label=mode)
    a.set_title("CyclicLR (modes)")
    a.legend(fontsize=8, loc="upper right")

    b.plot(it, kerasclr.clr_schedule(it, 0.001, 0.006, 125), color=LR)
    with_momentum(b, it, clr_momentum(it.astype(float), 0.8, 0.9, 125, ClrScale()))
    b.set_title("CyclicLR, cycle_momentum=True")

    c.plot(it, kerasclr.one_cycle_schedule(it, max_lr=0.1, total_steps=STEPS),
           color=LR, label="two phases (cos)")
    c.plot(it, kerasclr.one_cycle_schedule(it, max_lr=0.1, total_steps=STEPS,
                                           three_phase=True,
                                           anneal_strategy="linear"),
           color=LR, linestyle="--", label="three phases (linear)")
    with_momentum(c, it, kerasclr.one_cycle_schedule(
        it, max_lr=0.1, total_steps=STEPS, what="momentum"))
    c.set_title("OneCycle")
    c.legend(fontsize=8, loc="upper right")

    d.plot(it, kerasclr.sgdr_schedule(it, STEPS_PER_EPOCH, max_lr=0.1, min_lr=0.001,
                                      epochs_to_restart=2, mult_factor=2),
           label="mult_factor=2")
    d.plot(it, kerasclr.sgdr_schedule(it, STEPS_PER_EPOCH, max_lr=0.1, min_lr=0.001,
                                      epochs_to_restart=4, mult_factor=1,
                                      lr_decay=0.7), "--",
           label="mult_factor=1, lr_decay=0.7")
    d.set_title("SGDR (warm restarts)")
    d.legend(fontsize=8, loc="upper right")

    epochs = it // STEPS_PER_EPOCH
    e.plot(it, kerasclr.step_decay_schedule(epochs, initial_lr=0.1,
                                            decay_factor=0.5, step_size=5),
           color=LR)
    e.set_title("StepDecay (step_size=5 epochs)")

    f.plot(it, kerasclr.cosine_decay_schedule(it, 0.0, decay_steps=800, alpha=0.05,
                                              warmup_target=0.1, warmup_steps=200),
           label="warm-up 200 steps")
    f.plot(it, kerasclr.cosine_decay_schedule(it, 0.1, decay_steps=1000), "--",
           label="no warm-up")
    f.set_title("CosineDecay (Keras numbers)")
    f.legend(fontsize=8, loc="upper right")

    for shape, style in (("linear", "-"), ("cosine", "--"), ("1-sqrt", ":")):
        g.plot(it, kerasclr.wsd_schedule(it, 0.01, total_steps=STEPS, warmup_steps=100,
                                         decay_fraction=0.3, decay_shape=shape),
               style, label=shape)
    g.set_title("WSD (warm-up, stable, decay shapes)")
    g.legend(fontsize=8, loc="upper right")

    # warm-up to the band's floor, 1.5 cycles (ending at the top), cosine decay to 0
    composed = kerasclr.Sequence(
        [kerasclr.Linear(0.0, 0.001, steps=100),
         kerasclr.CyclicLR(0.001, 0.006, step_size=100, verbose=0),
         kerasclr.CosineDecay(0.006, decay_steps=600)],
        boundaries=[100, 400])
    h.plot(it, composed.preview(it), color=LR)
    for boundary in composed.boundaries:
        h.axvline(boundary, color="grey", linestyle=":", linewidth=1)
    h.set_title("Sequence: Linear, CyclicLR, CosineDecay")

    cosine = dict(initial_learning_rate=0.1, decay_steps=STEPS)
    controlled = kerasclr.CosineDecay(**cosine, plateau=kerasclr.Plateau(
        patience=1, factor=0.5, cooldown=2, min_lr=0.01))
    losses = [1.0, 0.8, 0.7, 0.72, 0.73, 0.74, 0.6, 0.62, 0.63, 0.64, 0.65, 0.66, 0.55,
              0.56, 0.57, 0.58, 0.59, 0.6, 0.61, 0.62]
    kerasclr.replay_epochs(controlled, STEPS_PER_EPOCH, val_loss=losses)
    k.plot(it, kerasclr.cosine_decay_schedule(it, **cosine), "--", color="grey",
           label="schedule")
    k.plot(it, controlled.history["lr"], color=LR, label="with Plateau(patience=1)")
    k.axhline(0.01, color="#2ca02c", linestyle=":", linewidth=1, label="min_lr")
    k.set_title("Plateau control on CosineDecay")
    k.legend(fontsize=8, loc="upper right")

    for ax in axes.ravel():
        ax.set_xlabel("training iteration")
        ax.set_ylabel("learning rate")
        ax.grid(alpha=0.3)
    fig.suptitle("kerasclr learning-rate policies (previews, "
                 f"{STEPS_PER_EPOCH} batches per epoch; plateau control replayed on "
                 "made-up validation losses)")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=90)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
