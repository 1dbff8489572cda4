"""Step 3 of the demo: both runs trained from Python with kerasclr.CyclicLR.

Writes py_<run>_history.csv, py_<run>_history_epoch.csv and the Python plot,
then replays the R plateau run's val_loss sequence through the Python core
(replay_<run>_*.csv), which must give R's schedule exactly.
"""

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import matplotlib  # noqa: E402
import pandas as pd  # noqa: E402

import kerasclr  # noqa: E402

matplotlib.use("Agg")
OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "output/demo")
SETTINGS = json.loads(Path("demo/runs.json").read_text())


def read_csv(name):
    """A table of the output folder, every number parsed to the bit."""
    return pd.read_csv(OUT / name, float_precision="round_trip")


def read_split(name):
    data = read_csv(name)
    x = data.drop(columns="medv").to_numpy(dtype="float64")
    y = data[["medv"]].to_numpy(dtype="float64")
    return x, y


def build_model(features):
    """The KerasMisc README model: dense 64-64-1 relu, rmsprop, mse, mae."""
    keras.utils.set_random_seed(SETTINGS["seed"])
    model = keras.Sequential([
        keras.Input(shape=(features,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(), loss="mse", metrics=["mae"])
    return model


class Progress(keras.callbacks.Callback):
    def __init__(self, run, epochs):
        super().__init__()
        self.run, self.epochs = run, epochs
        self.every = 10 if epochs > 10 else 1

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            print(f"[Python] {self.run:<7} epoch {epoch + 1:2d}/{self.epochs}  "
                  f"loss {logs['loss']:8.3f}  val_loss {logs['val_loss']:8.3f}", flush=True)


def write_tables(clr, prefix):
    # 17 significant digits: R reads them back to the bit (not so the shortest repr).
    clr.history.to_csv(OUT / f"{prefix}_history.csv", index=False, float_format="%.17g")
    clr.history_epoch.to_csv(OUT / f"{prefix}_history_epoch.csv", index=False,
                             float_format="%.17g")


def main():
    x, y = read_split("boston_train.csv")
    xv, yv = read_split("boston_valid.csv")
    for run, spec in SETTINGS["runs"].items():
        clr = kerasclr.CyclicLR(**spec["clr"], verbose=0)
        model = build_model(x.shape[1])
        model.fit(x, y, validation_data=(xv, yv), batch_size=SETTINGS["batch_size"],
                  epochs=spec["epochs"], shuffle=True, verbose=0,
                  callbacks=[clr, Progress(run, spec["epochs"])])
        write_tables(clr, f"py_{run}")
        ax = kerasclr.plot_clr_history(clr, granularity="iteration")
        path = OUT / f"py_{run}.png"
        ax.figure.savefig(path, dpi=110, bbox_inches="tight")
        print(f"[Python] plot: {path}")

        # The schedule depends on the validation losses only: replaying R's
        # val_loss sequence must give R's history exactly.
        r_epochs = read_csv(f"r_{run}_history_epoch.csv")
        steps = int(read_csv(f"r_{run}_history.csv").groupby("epoch").size().iloc[0])
        replay = kerasclr.replay_epochs(kerasclr.CyclicLR(**spec["clr"], verbose=0), steps,
                                        val_loss=r_epochs["val_loss"].tolist())
        write_tables(replay, f"replay_{run}")
        print(f"[Python] {run}: replayed R's {len(r_epochs)} val_loss values "
              f"({steps} batches per epoch)")


if __name__ == "__main__":
    main()
