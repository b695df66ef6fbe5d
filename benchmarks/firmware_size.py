"""Firmware size of pruned models: sparse tables vs dense float32/int8 vs the information bound.

    .venv/bin/python benchmarks/firmware_size.py [--no-avr] [--sparsities 0,0.5,0.8,0.9,0.95]

For a digits MLP (64-32-16-10) and an MNIST-5k MLP (784-128-64-10), each trained once and then
magnitude-pruned (with a short masked fine-tune) to each sparsity, it prints the generated
model's flash bytes next to dense float32, dense int8 and the information bound
nnz * (8 + ceil(log2(min(n_in, n_out)))) bits (bingo_studio/firmware/size.py), the predicted Uno
flash/RAM and, with avr-gcc installed, the real avr-size figure of the built firmware.
Goals: model bytes <= 1.15x the bound (where weights dominate: MNIST); >= 5x smaller than dense
float32 at 90% sparsity; the 90-95% MNIST-5k model fits an Uno.

Cycles: mean CPU cycles of one inference of the Uno firmware in simavr
(bingo_studio/firmware/simulator.py), over the first few test samples ("-" without simavr).
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bingo_studio.config import DatasetConfig, ModelConfig  # noqa: E402
from bingo_studio.data import load_dataset  # noqa: E402
from bingo_studio.errors import UserError  # noqa: E402
from bingo_studio.firmware.avr_gcc import avr_build, avr_toolchain_missing  # noqa: E402
from bingo_studio.firmware.codegen import write_sources  # noqa: E402
from bingo_studio.firmware.quantize import quantize, reference_predict  # noqa: E402
from bingo_studio.firmware.size import size_report  # noqa: E402
from bingo_studio.firmware.spec import FirmwareModel  # noqa: E402
from bingo_studio.models import build_model  # noqa: E402


def uno_cycles(src_dir: Path, x: np.ndarray) -> float | None:
    """Mean CPU cycles of one inference of the firmware in ``src_dir`` on the simulated Uno.

    Built with -DBINGO_EXACT_CYCLES (interrupts off while the model computes); the simulator sums
    the cycles between GPIOR0 = 1 and 2 writes up to each GPIOR0 = 3 (one inference). None when
    simavr or its harness is not available.
    """
    try:
        import serial

        from bingo_studio.firmware.protocol_client import LineReader, ask, wait_ready
        from bingo_studio.firmware.simulator import SimulatedUno

        _, _, elf = avr_build(src_dir, AVR_WORK / "cycles", defines=("BINGO_EXACT_CYCLES",))
        with SimulatedUno(elf) as sim, serial.Serial(sim.port, 115200, timeout=0.5) as ser:
            reader = LineReader(ser)
            wait_ready(reader, 30)
            for row in x:
                reply = ask(reader, ",".join(f"{float(v):.9g}" for v in row), timeout=120)
                if reply.error:
                    return None
            cycles = sim.wait_cycles(len(x), timeout=30)
        return float(np.mean(cycles[: len(x)])) if len(cycles) >= len(x) else None
    except (ImportError, UserError, OSError):
        return None


def fit(model, x, y, masks, steps: int) -> None:
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        with torch.no_grad():
            for m, mask in zip(linears, masks):
                m.weight.mul_(mask)


def magnitude_masks(model, sparsity: float) -> list[torch.Tensor]:
    weights = [m.weight.detach() for m in model.modules() if isinstance(m, torch.nn.Linear)]
    if sparsity <= 0:
        return [torch.ones_like(w) for w in weights]
    scores = torch.cat([w.abs().reshape(-1) for w in weights])
    threshold = torch.kthvalue(scores, int(round(sparsity * scores.numel()))).values
    return [(w.abs() > threshold).float() for w in weights]


def rows_for(name: str, hidden: list[int], sparsities: list[float], epochs: int, avr: bool) -> list[dict]:
    ds = load_dataset(DatasetConfig(name=name))
    x, y = ds.tensors("train")
    torch.manual_seed(0)
    dense = build_model(ModelConfig(preset="custom", hidden=hidden), ds.n_features, ds.n_classes)
    fit(dense, x, y, magnitude_masks(dense, 0.0), epochs)
    out = []
    for sp in sparsities:
        model = copy.deepcopy(dense)
        masks = magnitude_masks(model, sp)
        if sp > 0:
            fit(model, x, y, masks, epochs // 2)
        names = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
        fm = FirmwareModel.from_torch(model, ds, dict(zip(names, masks)), name=f"{name}-{round(sp * 100)}")
        q = quantize(fm, scales=SCALES)
        rep = size_report(q)
        q_alt = quantize(fm, scales=ALT_SCALES)
        row = {
            "sparsity": rep.sparsity,
            "nnz": rep.nnz,
            "model": rep.model_flash,
            "tables": rep.table_bytes,
            "tables_alt": size_report(q_alt).table_bytes,
            "f32": rep.dense_float32,
            "i8": rep.dense_int8,
            "bound": rep.bound_bytes,
            "entropy": rep.entropy_bytes,
            "acc_f": float(np.mean(fm.float_predict(ds.x_test) == ds.y_test)),
            "acc_q": float(np.mean(reference_predict(q, ds.x_test) == ds.y_test)),
            "acc_alt": float(np.mean(reference_predict(q_alt, ds.x_test) == ds.y_test)),
            "uno": rep.boards["uno"],
            "measured": None,
            "name": name,
            "cycles": None,
        }
        if avr and rep.model_flash < 32_767:  # AVR objects are limited to 32 KB anyway
            with tempfile.TemporaryDirectory() as tmp:
                write_sources(q, Path(tmp) / "src")
                row["measured"] = avr_build(Path(tmp) / "src", AVR_WORK)[:2]
                row["cycles"] = uno_cycles(Path(tmp) / "src", ds.x_test[:CYCLE_SAMPLES])
        out.append(row)
    return out


SCALES, ALT_SCALES = "layer", "row"
CYCLE_SAMPLES = 5
AVR_WORK = Path(tempfile.gettempdir()) / "bingo-firmware-size-bench"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sparsities", default="0,0.5,0.8,0.9,0.95")
    ap.add_argument("--no-avr", action="store_true", help="skip the real avr-gcc builds")
    ap.add_argument("--epochs", type=int, default=80)
    a = ap.parse_args()
    torch.set_num_threads(1)
    sparsities = [float(s) for s in a.sparsities.split(",")]
    avr = not a.no_avr and avr_toolchain_missing() is None
    start = time.time()
    rows = rows_for("digits", [32, 16], sparsities, a.epochs, avr)
    rows += rows_for("mnist-5k", [128, 64], sparsities, a.epochs, avr)
    head = (
        f"{'dataset':9} {'sparse':>6} {'nnz':>6} {'tables':>7} {'f32 B':>7} {'int8 B':>7} {'bound B':>8} "
        f"{'/bound':>6} {'f32/':>5} {'i8/':>5} {'acc f32':>7} {'acc q':>6} | {'tables':>7} {'/bound':>6} "
        f"{'acc q':>6} | {'model':>6} {'Uno flash':>15} {'Uno RAM':>10} {'fits':>4} {'Mcycles':>7}"
    )
    print(f"{'':76}per-{SCALES} scales | per-{ALT_SCALES} scales")
    print(head)
    print("-" * len(head))
    for r in rows:
        uno = r["uno"]
        flash = f"{uno.flash}" + (f" ({r['measured'][0]})" if r["measured"] else "")
        mcycles = f"{r['cycles'] / 1e6:.2f}" if r["cycles"] else "-"
        ram = f"{uno.ram}" + (f" ({r['measured'][1]})" if r["measured"] else "")
        print(
            f"{r['name']:9} {r['sparsity']:6.1%} {r['nnz']:6d} {r['tables']:7d} {r['f32']:7d} {r['i8']:7d} "
            f"{r['bound']:8.0f} {r['tables'] / r['bound']:6.2f} {r['f32'] / r['tables']:5.1f} "
            f"{r['i8'] / r['tables']:5.1f} {r['acc_f']:7.3f} {r['acc_q']:6.3f} | {r['tables_alt']:7d} "
            f"{r['tables_alt'] / r['bound']:6.2f} {r['acc_alt']:6.3f} | {r['model']:6d} "
            f"{flash:>15} {ram:>10} "
            f"{'yes' if uno.fits else 'no':>4} {mcycles:>7}"
        )
    print(f"""
tables: weights, positions, scales and biases as generated (int8); bound: nnz*(8+index bits);
/bound: tables over bound; f32/, i8/: dense float32 / dense int8 bytes over tables; acc: test accuracy
of the float pruned model and of the quantised one (numpy reference, identical to the C);
model: tables + layer descriptors + text (name, labels, info); Uno flash/RAM: predicted, the real
avr-size figure in brackets (per-{SCALES} scales); Mcycles: million CPU cycles of one inference on
the simulated Uno (16 MHz: 1 Mcycle = 62.5 ms). {time.time() - start:.0f} s.""")


if __name__ == "__main__":
    main()
