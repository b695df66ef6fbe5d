"""The latency model (firmware/cycles.py) against the simulators on models NOT in its fit
(benchmarks/cycle_model.py fits on other shapes): the Uno's cycles within 20%, the Pico's within
25% (measured when fitted: -9%..+8% and -9%..+13% on the held-out models).

Needs avr-gcc + simavr and arm-none-eabi-gcc + Node + rp2040js (./dev.sh setup installs them);
without them these tests fail with the message saying what to install.
"""

from __future__ import annotations

import pytest
from firmware_helpers import train_pruned

from bingo_studio.config import DatasetConfig
from bingo_studio.data import load_dataset
from bingo_studio.firmware.cycle_measure import pico_cycles, uno_cycles
from bingo_studio.firmware.cycles import MODELS, features_of
from bingo_studio.firmware.quantize import quantize
from bingo_studio.firmware.spec import FirmwareModel

TOLERANCE = {"uno": 0.20, "pico": 0.25}


@pytest.mark.parametrize(("dataset", "hidden", "sparsity"), [("digits", [48, 24], 0.7), ("wine", [24, 12], 0.3)])
def test_cycle_model_predicts_held_out_models(tmp_path, dataset, hidden, sparsity):
    ds = load_dataset(DatasetConfig(name=dataset))
    model, masks = train_pruned(ds, hidden, sparsity, epochs=40)
    q = quantize(FirmwareModel.from_torch(model, ds, masks, name=dataset))
    features = features_of([ly.n_in for ly in q.layers] + [q.layers[-1].n_out], [ly.nnz for ly in q.layers])
    x = ds.x_test[:10]
    measured = {"uno": uno_cycles(q, x, tmp_path / "uno"), "pico": pico_cycles(q, x, tmp_path / "pico")}
    for board, cycles in measured.items():
        predicted = MODELS[board].cycles(features)
        assert abs(predicted - cycles) <= TOLERANCE[board] * cycles, (board, predicted, cycles)
