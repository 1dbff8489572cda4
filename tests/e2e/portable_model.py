"""A model trained with kerasclr (from R) in a Python without kerasclr:
load, set the learning rate, train on with ReduceLROnPlateau and
LearningRateScheduler, export. Usage: python portable_model.py DIR"""

import os
import sys

sys.modules["kerasclr"] = None  # not importable, whatever is installed

import keras  # noqa: E402
import numpy as np  # noqa: E402

out = sys.argv[1]
try:
    import kerasclr  # noqa: F401
except ImportError:
    pass
else:
    raise SystemExit("kerasclr could be imported")
model = keras.saving.load_model(os.path.join(out, "clr_model.keras"))
model.optimizer.learning_rate = 1e-4
assert abs(float(model.optimizer.learning_rate) - 1e-4) < 1e-10
rng = np.random.default_rng(0)
x = rng.normal(size=(64, 13)).astype("float32")
y = rng.normal(size=(64, 1)).astype("float32")
history = model.fit(x, y, validation_split=0.25, epochs=3, verbose=0, callbacks=[
    keras.callbacks.ReduceLROnPlateau(patience=1),
    keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr),
])
assert len(history.history["loss"]) == 3
model.export(os.path.join(out, "exported-python"))
assert os.path.exists(os.path.join(out, "exported-python", "saved_model.pb"))
print("portable_model.py: every check passed")
