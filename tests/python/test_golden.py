"""The package against the golden vectors of tests/golden (shared with R)."""

import numpy as np
import pytest

import kerasclr
from conftest import GOLDEN, assert_table_equal, golden_args, op_losses


@pytest.mark.parametrize("case", GOLDEN["schedules"], ids=lambda c: c["name"])
def test_clr_schedule_matches_golden(case):
    lr = kerasclr.clr_schedule(case["iterations"], **golden_args(case["args"]))
    np.testing.assert_allclose(lr, case["lr"], rtol=1e-6, atol=0)


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: c["name"])
def test_replay_matches_golden(case):
    clr = kerasclr.CyclicLR(verbose=0, **golden_args(case["args"]))
    for op in case["ops"]:
        if op["op"] == "train":
            kerasclr.replay_epochs(clr, op["steps_per_epoch"], epochs=op["epochs"],
                                   val_loss=op_losses(op["val_loss"]))
        else:
            args = {k: v for k, v in op.items() if k != "op"}
            clr.reset(**args)
    assert_table_equal(clr.history, case["history"])
    assert_table_equal(clr.history_epoch, case["history_epoch"])
