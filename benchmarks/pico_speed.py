"""Cycles per prediction on the simulated Pico (RP2040 in rp2040js), over whole test splits.

    .venv/bin/python benchmarks/pico_speed.py [--limit N]

For a dense and an 80%-pruned digits MLP (64-32-16-10) and a 93%-pruned MNIST-5k MLP
(784-128-64-10), each trained with full-batch Adam, magnitude-pruned and fine-tuned with its mask,
the generated int8 model is built for the Cortex-M0+ (bingo_studio/firmware/pico_build.py) and
every test sample is sent over the simulated Pico's serial port. Printed: the image's flash and
static RAM (arm-none-eabi-size), the mean CPU cycles of model compute per prediction (the cycles
between the protocol's marks, as on the simulated Uno: parsing the text is not counted), cycles
per stored weight, microseconds at 125 MHz, and how many answers equal the Python reference
(firmware.quantize.reference_predict) of the same quantised model.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "firmware"))  # the firmware tests' training recipe, shared

from firmware_helpers import train_pruned  # noqa: E402

from bingo_studio.config import DatasetConfig  # noqa: E402
from bingo_studio.data import load_dataset  # noqa: E402
from bingo_studio.firmware.pico_build import PICO_HZ, build_for_pico  # noqa: E402
from bingo_studio.firmware.quantize import quantize, reference_predict  # noqa: E402
from bingo_studio.firmware.simulated_pico import predict_on_pico  # noqa: E402
from bingo_studio.firmware.spec import FirmwareModel  # noqa: E402


def measure(name, ds, hidden, sparsity, epochs, limit, work: Path) -> dict:
    model, masks = train_pruned(ds, hidden, sparsity, epochs)
    q = quantize(FirmwareModel.from_torch(model, ds, masks, name=name))
    build = build_for_pico(q, work / name)
    x = ds.x_test[:limit] if limit else ds.x_test
    start = time.perf_counter()
    classes, cycles = predict_on_pico(build.bin, x)
    wall = time.perf_counter() - start
    pred = np.array(classes)
    nnz = sum(layer.nnz for layer in q.layers)
    mean = float(np.mean(cycles))
    return {
        "model": name, "kept": nnz, "flash": build.flash_bytes, "ram": build.ram_bytes,
        "cycles": mean, "per_weight": mean / nnz, "us": mean * 1e6 / PICO_HZ,
        "min": min(cycles), "max": max(cycles), "same": int(np.sum(pred == reference_predict(q, x))),
        "n": len(x), "wall": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="first N test samples only (0: all)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    digits = load_dataset(DatasetConfig(name="digits"))
    mnist = load_dataset(DatasetConfig(name="mnist-5k"))
    runs = [
        ("digits-dense", digits, [32, 16], 0.0, 60),
        ("digits-80", digits, [32, 16], 0.8, 60),
        ("mnist5k-93", mnist, [128, 64], 0.93, 40),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, ds, hidden, sparsity, epochs in runs:
            rows.append(measure(name, ds, hidden, sparsity, epochs, args.limit, Path(tmp)))
            r = rows[-1]
            print(f"  {name}: {r['n']} samples in {r['wall']:.1f} s", file=sys.stderr)
    print("| model | weights kept | flash B | RAM B | cycles / prediction (min-max) | cycles / weight "
          "| us at 125 MHz | = reference |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['model']} | {r['kept']:,} | {r['flash']:,} | {r['ram']:,} | {r['cycles']:,.0f} "
              f"({r['min']:,}-{r['max']:,}) | {r['per_weight']:.0f} | {r['us']:,.0f} | {r['same']}/{r['n']} |")


if __name__ == "__main__":
    main()
