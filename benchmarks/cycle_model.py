"""Fit the latency model of firmware/cycles.py: integer-kernel cycles per prediction, measured.

    .venv/bin/python benchmarks/cycle_model.py [--samples 10] [--epochs 40]

For MLPs of several shapes and sparsities on iris (4 features), wine (13), digits (64) and
MNIST-5k (784), each trained with full-batch Adam, magnitude-pruned and fine-tuned with its mask
(tests' recipe), the int8 firmware is run on the simulated Uno (simavr) and the simulated Pico
(rp2040js) over the first test samples; then the cycle model of firmware/cycles.py (a cost for each
loop's weights, per input, per neuron, and a constant) is fitted per board family (least squares
on relative error, no negative constant) and the constants printed, with each model's relative
error, held-out models (not in the fit) marked.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from scipy.optimize import nnls

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "firmware"))
from firmware_helpers import train_pruned  # noqa: E402 - the firmware tests' training recipe, shared

from bingo_studio.config import DatasetConfig  # noqa: E402
from bingo_studio.data import load_dataset  # noqa: E402
from bingo_studio.firmware.cycle_measure import pico_cycles, uno_cycles  # noqa: E402
from bingo_studio.firmware.cycles import features_of  # noqa: E402
from bingo_studio.firmware.quantize import quantize  # noqa: E402
from bingo_studio.firmware.spec import FirmwareModel  # noqa: E402

FIT = [
    ("iris", [16], 0.0), ("iris", [8, 8], 0.5), ("wine", [32, 16], 0.5), ("wine", [16], 0.8),
    ("digits", [32, 16], 0.0), ("digits", [32, 16], 0.5), ("digits", [32, 16], 0.9), ("digits", [64], 0.3),
    ("digits", [64], 0.8), ("digits", [16, 16], 0.6), ("mnist-5k", [32], 0.9), ("mnist-5k", [64, 32], 0.85),
    ("mnist-5k", [128, 64], 0.95),
]
HELD_OUT = [("wine", [24, 12], 0.3), ("digits", [48, 24], 0.7), ("mnist-5k", [64], 0.92)]


def pruned_model(ds, hidden, sparsity, epochs, seed=0) -> FirmwareModel:
    """The same training as the Pico benchmark's: full-batch Adam, magnitude-pruned, fine-tuned."""
    model, masks = train_pruned(ds, hidden, sparsity, epochs, seed)
    return FirmwareModel.from_torch(model, ds, masks, name=f"{ds.name}-{'-'.join(map(str, hidden))}")


def measure(configs, datasets, samples, epochs, work):
    rows = []
    for name, hidden, sp in configs:
        ds = datasets[name]
        q = quantize(pruned_model(ds, hidden, sp, epochs))
        x = ds.x_test[:samples]
        tag = f"{name}-{'-'.join(map(str, hidden))}-{round(sp * 100)}"
        row = {"tag": tag, "features": features_of([ly.n_in for ly in q.layers] + [q.layers[-1].n_out],
                                                   [ly.nnz for ly in q.layers]),
               "uno": uno_cycles(q, x, work / tag / "uno"), "pico": pico_cycles(q, x, work / tag / "pico")}
        print(f"  {tag:26} nnz {q.nnz:6,d}  uno {row['uno']:10,.0f}  pico {row['pico']:10,.0f}", flush=True)
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=40)
    a = ap.parse_args()
    torch.set_num_threads(1)
    start = time.time()
    datasets = {n: load_dataset(DatasetConfig(name=n)) for n in ("iris", "wine", "digits", "mnist-5k")}
    work = Path(tempfile.mkdtemp(prefix="bingo-cycle-model-"))
    print("fit models:")
    fit_rows = measure(FIT, datasets, a.samples, a.epochs, work)
    print("held-out models:")
    held = measure(HELD_OUT, datasets, a.samples, a.epochs, work)
    a_mat = np.array([r["features"] for r in fit_rows], dtype=float)
    for board in ("uno", "pico"):
        y = np.array([r[board] for r in fit_rows])
        coef, _ = nnls(a_mat / y[:, None], np.ones(len(y)))  # relative error; no negative cost
        print(f"\n{board}: coefficients (nnz_columns, nnz_index, dense_positions, nnz_bitmask, mask_bytes, "
              f"n_features, neurons, 1) = ({', '.join(f'{c:.3f}' for c in coef)})")
        for r in fit_rows + held:
            pred = float(np.dot(coef, r["features"]))
            mark = "held out" if r in held else ""
            print(f"  {r['tag']:26} measured {r[board]:10,.0f} model {pred:10,.0f} "
                  f"error {100 * (pred - r[board]) / r[board]:+6.1f}% {mark}")
    (work / "rows.json").write_text(json.dumps({"fit": fit_rows, "held": held}))
    print(f"\nrows: {work / 'rows.json'}; {a.samples} test samples each; {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
