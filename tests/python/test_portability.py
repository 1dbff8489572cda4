"""A model trained with kerasclr is a plain Keras model again after fit()."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import kerasclr
from conftest import regression_data, tiny_model

BACKEND = keras.backend.backend()
HERE = Path(__file__).resolve().parent


def trained(optimizer=None, **clr_args):
    model = tiny_model(optimizer=optimizer or keras.optimizers.RMSprop(0.01))
    model.plain_optimizer_class = type(model.optimizer)  # the backend's own class
    x, y = regression_data(64)
    clr = kerasclr.CyclicLR(step_size=4, verbose=0, **clr_args)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[clr])
    return model, clr, (x, y)


# Runs in a fresh Python where `import kerasclr` fails.
WITHOUT_KERASCLR = """
import json, sys
sys.modules["kerasclr"] = None          # any import of kerasclr raises ImportError
import keras, numpy as np
model = keras.saving.load_model(sys.argv[1])
out = {"lr": float(model.optimizer.learning_rate.numpy()),
       "step": int(model.optimizer.iterations.numpy()),
       "class": type(model.optimizer).__name__}
model.optimizer.learning_rate = 1e-4
x = np.ones((16, 3), "float32"); y = np.ones((16, 1), "float32")
history = model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y),
                    callbacks=[keras.callbacks.ReduceLROnPlateau(patience=0, factor=0.5,
                                                                 min_delta=1e9)])
out["lr_after"] = float(model.optimizer.learning_rate.numpy())
print("RESULT=" + json.dumps(out))
"""


def run_without_kerasclr(path):
    done = subprocess.run([sys.executable, "-c", WITHOUT_KERASCLR, str(path)],
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT=")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT="):])


def test_saved_model_loads_and_trains_without_kerasclr(tmp_path):
    model, clr, _ = trained(keras.optimizers.RMSprop(0.01, momentum=0.5), cycle_momentum=True)
    model.save(tmp_path / "m.keras")
    result = run_without_kerasclr(tmp_path / "m.keras")
    assert result["class"] == "RMSprop" and result["step"] == 16
    assert result["lr"] == pytest.approx(clr.next_lr, rel=1e-7)
    assert result["lr_after"] == pytest.approx(1e-4 * 0.5, rel=1e-6)


@pytest.mark.parametrize("loss_scaling", [False, True])
def test_checkpoint_written_during_fit_is_plain(tmp_path, loss_scaling):
    """ModelCheckpoint inside the fit writes a plain Keras file too, also
    when the optimizer is wrapped for loss scaling (mixed precision)."""
    optimizer = keras.optimizers.SGD(0.01, momentum=0.9)
    if loss_scaling:
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    model = tiny_model(optimizer=optimizer)
    x, y = regression_data(64)
    clr = kerasclr.CyclicLR(step_size=4, verbose=0, cycle_momentum=True)
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "ck.keras"))
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[clr, checkpoint])
    assert type(model.optimizer) is type(optimizer)  # plain again, the wrapper too
    result = run_without_kerasclr(tmp_path / "ck.keras")
    assert result["class"] == ("LossScaleOptimizer" if loss_scaling else "SGD")
    assert result["step"] == 16
    assert result["lr"] == pytest.approx(clr.next_lr, rel=1e-7)


def test_learning_rate_settable_and_other_schedulers_work_later():
    model, clr, (x, y) = trained()
    assert type(model.optimizer) is model.plain_optimizer_class
    model.optimizer.learning_rate = 1e-3
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(1e-3)
    scheduler = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.5 ** epoch)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[scheduler])
    assert history.history["learning_rate"] == [1.0, 0.5]
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5,
                                                min_delta=1e9)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[plateau])
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.5 * 0.5)
    # ... and kerasclr again afterwards, continuing its own schedule.
    before = len(clr.history)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[clr])
    assert len(clr.history) == before + 8
    np.testing.assert_allclose(clr.history["lr"],
                               kerasclr.clr_schedule(range(before + 8), step_size=4),
                               rtol=1e-6)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="model.export() writes a TF SavedModel")
def test_export_after_training(tmp_path):
    model, _, (x, _) = trained()
    model.export(str(tmp_path / "exported"), verbose=False)
    import tensorflow as tf

    reloaded = tf.saved_model.load(str(tmp_path / "exported"))
    np.testing.assert_allclose(reloaded.serve(x[:4]).numpy(), model.predict(x[:4], verbose=0),
                               rtol=1e-5)


@pytest.mark.parametrize("other", ["plateau", "scheduler", "kerasclr"])
def test_a_second_rate_setter_in_the_same_fit_fails_before_any_batch(other):
    model = tiny_model()
    plain = type(model.optimizer)
    x, y = regression_data(32)
    clr = kerasclr.CyclicLR(step_size=4, verbose=0)
    callbacks = {
        "plateau": keras.callbacks.ReduceLROnPlateau(),
        "scheduler": keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr),
        "kerasclr": kerasclr.OneCycle(0.1, total_steps=100),
    }
    names = {"plateau": "ReduceLROnPlateau", "scheduler": "LearningRateScheduler",
             "kerasclr": "OneCycle"}
    # only a plateau callback gets the hint, with CyclicLR's own arguments
    hint = (" For plateau control use CyclicLR's own `patience` and `factor`."
            if other == "plateau" else "")
    with pytest.raises(ValueError) as caught:
        model.fit(x, y, epochs=1, verbose=0, callbacks=[clr, callbacks[other]])
    assert str(caught.value) == (f"{names[other]} and CyclicLR both set the learning rate "
                                 f"in this fit(): keep one of them.{hint}")
    assert int(model.optimizer.iterations.numpy()) == 0
    assert type(model.optimizer) is plain
    assert len(clr.history) == 0


IMPORT_PATCHES_NOTHING = """
import keras, inspect
classes = [keras.optimizers.Optimizer, keras.optimizers.SGD, keras.optimizers.Adam,
           keras.Model, keras.callbacks.Callback]
before = [dict(vars(c)) for c in classes]
import kerasclr
after = [dict(vars(c)) for c in classes]
print("SAME=" + str(before == after))
"""


def test_import_patches_no_keras_class():
    done = subprocess.run([sys.executable, "-c", IMPORT_PATCHES_NOTHING], capture_output=True,
                          text=True, timeout=300, cwd=str(HERE),
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert "SAME=True" in done.stdout, done.stderr[-2000:]


def test_optimizer_made_plain_when_another_callback_fails():
    """An error elsewhere ends fit() without on_train_end; once that fit()
    is gone, the optimizer is plain again."""
    model = tiny_model()
    plain = type(model.optimizer)
    x, y = regression_data(32)
    clr = kerasclr.CyclicLR(step_size=4, verbose=0)

    class Boom(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                raise RuntimeError("boom")

    def run():
        try:
            model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[clr, Boom()])
        except RuntimeError:
            pass

    run()
    import gc

    gc.collect()
    assert type(model.optimizer) is plain
    assert len(clr.history) == 3
    model.optimizer.learning_rate = 0.05  # settable again
