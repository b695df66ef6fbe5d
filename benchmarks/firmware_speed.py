"""Inference speed on the simulated Uno: the integer kernel, the float32 kernel and emlearn, side by side.

    .venv/bin/python benchmarks/firmware_speed.py [--samples 20] [--epochs 80]

One run trains (seed 0, full-batch Adam as in benchmarks/firmware_size.py) a digits MLP 64-32-16-10
and an MNIST-5k MLP 784-128-64-10, magnitude-prunes each with a short masked fine-tune to the
sparsest grid point whose validation accuracy stays at the floor (digits: 90%; MNIST-5k: dense
validation accuracy - 2 points), builds the Uno firmware with avr-gcc (-DBINGO_EXACT_CYCLES:
interrupts off while the model computes) and runs it in simavr over the serial protocol, counting
the CPU cycles of each inference (GPIOR0 marks; the parsing of the numbers is not counted). Every
board answer is checked against the Python reference of the same firmware.

The peer: emlearn (optional: pip install 'bingo-studio[bench]') converts an sklearn
MLPClassifier of the same shape trained on the same split. As shipped, emlearn keeps its weights
in RAM (static const float without PROGMEM: about 12 KB for digits), so it cannot link for the
Uno's 2 KB; it is built unchanged for a larger simulated ATmega, the ATmega1284P (16 KB RAM, same
AVR core and 16 MHz clock), behind the same serial protocol (benchmarks/emlearn_avr/).

Integer vs float accuracy is also printed for Fashion-MNIST (dense and pruned, Python references:
no build, its model does not fit an Uno dense either).
"""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from firmware_size import fit, magnitude_masks  # noqa: E402

from bingo_studio.config import DatasetConfig, ModelConfig  # noqa: E402
from bingo_studio.data import load_dataset  # noqa: E402
from bingo_studio.firmware.avr_gcc import avr_build, avr_toolchain_missing  # noqa: E402
from bingo_studio.firmware.codegen import TEMPLATES, write_sources  # noqa: E402
from bingo_studio.firmware.quantize import quantize, reference_predict  # noqa: E402
from bingo_studio.firmware.size import size_report  # noqa: E402
from bingo_studio.firmware.spec import FirmwareModel  # noqa: E402
from bingo_studio.models import build_model  # noqa: E402

WORK = Path(tempfile.gettempdir()) / "bingo-firmware-speed-bench"
EMLEARN_DIR = Path(__file__).resolve().parent / "emlearn_avr"
GRID = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97)
TARGETS = (
    "cycles/weight <= 60 (dense + pruned digits, pruned MNIST-5k); dense digits <= 160,000; "
    "pruned MNIST-5k <= 600,000"
)


def accuracy(pred, y) -> float:
    return float(np.mean(np.asarray(pred) == np.asarray(y)))


def train(ds, hidden, epochs):
    x, y = ds.tensors("train")
    torch.manual_seed(0)
    model = build_model(ModelConfig(preset="custom", hidden=hidden), ds.n_features, ds.n_classes)
    fit(model, x, y, magnitude_masks(model, 0.0), epochs)
    return model


def firmware_model(model, ds, masks, name) -> FirmwareModel:
    names = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    return FirmwareModel.from_torch(model, ds, dict(zip(names, masks)), name=name)


def prune_to_floor(dense, ds, floor: float, epochs: int, name: str) -> FirmwareModel:
    """The sparsest grid point whose float validation accuracy is >= floor (after a fine-tune)."""
    x, y = ds.tensors("train")
    best = None
    for sp in GRID:
        model = copy.deepcopy(dense)
        masks = magnitude_masks(model, sp)
        fit(model, x, y, masks, epochs // 2)
        fm = firmware_model(model, ds, masks, f"{name}-{round(sp * 100)}")
        if accuracy(fm.float_predict(ds.x_val), ds.y_val) >= floor:
            best = fm
    if best is None:
        raise SystemExit(f"{name}: no grid sparsity keeps validation accuracy >= {floor:.3f}")
    return best


def trained_models(name: str, hidden: list[int], epochs: int, floor: float | None = None):
    """(dataset, dense FirmwareModel, pruned FirmwareModel) of the benchmark's model for ``name``,
    pruned to ``floor`` (None: the dense validation accuracy - 2 points)."""
    ds = load_dataset(DatasetConfig(name=name))
    dense = train(ds, hidden, epochs)
    fm_dense = firmware_model(dense, ds, magnitude_masks(dense, 0.0), name)
    if floor is None:
        floor = accuracy(fm_dense.float_predict(ds.x_val), ds.y_val) - 0.02
    return ds, fm_dense, prune_to_floor(dense, ds, floor, epochs, name)


def simulate(elf: Path, rows: np.ndarray, mcu: str = "atmega328p") -> tuple[list[int], list[int]]:
    """(classes, cycles) of each row sent as one line to the firmware in simavr."""
    import serial

    from bingo_studio.firmware.protocol_client import LineReader, ask, wait_ready
    from bingo_studio.firmware.simulator import SimulatedUno

    classes = []
    with SimulatedUno(elf, mcu=mcu) as sim, serial.Serial(sim.port, 115200, timeout=0.05) as ser:
        reader = LineReader(ser)
        wait_ready(reader, 30)
        for row in rows:
            reply = ask(reader, ",".join(f"{float(v):.9g}" for v in row), timeout=120)
            if reply.error:
                raise SystemExit(f"the board answered an error: {reply.error}")
            classes.append(reply.cls)
        cycles = sim.wait_cycles(len(rows), timeout=60)
    return classes, cycles[: len(rows)]


def bingo_row(label: str, fm: FirmwareModel, fmt: str, ds, samples: int, build: bool) -> dict:
    q = quantize(fm, fmt)
    rep = size_report(q)
    row = {
        "label": label,
        "acc": accuracy(reference_predict(q, ds.x_test), ds.y_test),
        "float_acc": accuracy(fm.float_predict(ds.x_test), ds.y_test),
        "model": rep.table_bytes,
        "nnz": q.nnz,
        "flash": None,
        "ram": None,
        "cycles": None,
    }
    if not build or rep.boards["uno"].flash > 32_256:
        return row
    src = WORK / label.replace(" ", "_") / "src"
    write_sources(q, src)
    flash, ram, elf = avr_build(src, src.parent / "build", defines=("BINGO_EXACT_CYCLES",))
    x = ds.x_test[:samples]
    classes, cycles = simulate(elf, x)
    ref = reference_predict(q, x)
    if not np.array_equal(classes, ref):
        raise SystemExit(f"{label}: the simulated Uno disagrees with the Python reference")
    row.update(flash=flash, ram=ram, cycles=float(np.mean(cycles)))
    return row


def emlearn_row(ds, hidden, samples: int, build: bool) -> dict | None:
    try:
        import emlearn
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        print("emlearn is not installed: pip install 'bingo-studio[bench]' (or emlearn) for the peer's row")
        return None
    mean, std = float(ds.mean.reshape(-1)[0]), float(ds.std.reshape(-1)[0])
    clf = MLPClassifier(tuple(hidden), activation="relu", max_iter=300, random_state=0)
    with np.errstate(under="ignore"):  # Adam's moment decay underflows harmlessly
        clf.fit((ds.x_train - mean) / std, ds.y_train)
    n_weights = sum(w.size for w in clf.coefs_)
    row = {
        "label": f"emlearn {emlearn.__version__} dense float",
        "acc": accuracy(clf.predict((ds.x_test - mean) / std), ds.y_test),
        "float_acc": None,
        "model": 4 * (n_weights + sum(b.size for b in clf.intercepts_)),
        "nnz": n_weights,
        "flash": None,
        "ram": None,
        "cycles": None,
    }
    if not build:
        return row
    out = WORK / "emlearn"
    out.mkdir(parents=True, exist_ok=True)
    emlearn.convert(clf, method="loadable").save(file=str(out / "emlearn_model.h"), name="emlmodel")
    (out / "emlearn_dims.h").write_text(
        f"#define BINGO_N_FEATURES {ds.n_features}\n#define BINGO_N_CLASSES {ds.n_classes}\n"
        f"#define BINGO_MEAN {mean!r}f\n#define BINGO_STD {std!r}f\n"
    )
    inc = [f"-I{out}", f"-I{EMLEARN_DIR}", f"-I{Path(emlearn.__file__).parent}", f"-I{TEMPLATES}"]
    srcs = [EMLEARN_DIR / "main.c", EMLEARN_DIR / "emlearn_glue.c", TEMPLATES / "bingo_protocol.c"]
    elf = out / "emlearn.elf"
    cmd = ["avr-gcc", "-mmcu=atmega1284p", "-DF_CPU=16000000L", "-DBINGO_EXACT_CYCLES", "-Os", "-std=gnu11", "-w"]
    subprocess.run([*cmd, *inc, *map(str, srcs), "-o", str(elf), "-lm"], check=True)
    sizes = subprocess.run(["avr-size", "-A", str(elf)], capture_output=True, text=True, check=True).stdout
    sec = {ln.split()[0]: int(ln.split()[1]) for ln in sizes.splitlines() if ln.startswith(".")}
    classes, cycles = simulate(elf, ds.x_test[:samples], mcu="atmega1284p")
    if not np.array_equal(classes, clf.predict((ds.x_test[:samples] - mean) / std)):
        print("note: emlearn on the ATmega differs from sklearn on some samples (float32 vs float64)")
    row.update(
        flash=sec.get(".text", 0) + sec.get(".data", 0),
        ram=sec.get(".data", 0) + sec.get(".bss", 0),
        cycles=float(np.mean(cycles)),
    )
    return row


def show(rows: list[dict]) -> None:
    head = (
        f"{'firmware':44} {'test acc':>8} {'float':>6} {'model B':>8} {'flash':>6} {'RAM':>5} "
        f"{'cycles/inference':>16} {'cycles/weight':>13}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        cyc = f"{r['cycles']:,.0f}" if r["cycles"] else "-"
        per = f"{r['cycles'] / r['nnz']:.0f}" if r["cycles"] else "-"
        fa = f"{r['float_acc']:.1%}" if r["float_acc"] is not None else ""
        print(
            f"{r['label']:44} {r['acc']:8.1%} {fa:>6} {r['model']:8,d} {r['flash'] or '-':>6} "
            f"{r['ram'] or '-':>5} {cyc:>16} {per:>13}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=20, help="test samples sent to each simulated board")
    ap.add_argument("--epochs", type=int, default=80)
    ap.add_argument("--no-fashion", action="store_true", help="skip the Fashion-MNIST accuracy check")
    a = ap.parse_args()
    torch.set_num_threads(1)
    why = avr_toolchain_missing()
    if why:
        print(f"no AVR builds: {why}")
    build = why is None
    start = time.time()
    rows, acc_rows = [], []

    digits, fm_dense, fm_pruned = trained_models("digits", [32, 16], a.epochs, floor=0.90)
    peer = emlearn_row(digits, [32, 16], a.samples, build)
    if peer:
        rows.append(peer)
    rows.append(bingo_row("BINGO Studio digits dense float32", fm_dense, "float32", digits, a.samples, build))
    rows.append(bingo_row("BINGO Studio digits dense integer", fm_dense, "int8", digits, a.samples, build))
    rows.append(bingo_row("BINGO Studio digits pruned (floor 90%) float32", fm_pruned, "float32", digits,
                          a.samples, build))
    rows.append(bingo_row("BINGO Studio digits pruned (floor 90%) integer", fm_pruned, "int8", digits,
                          a.samples, build))

    mnist, fm_m, fm_mp = trained_models("mnist-5k", [128, 64], a.epochs)
    rows.append(bingo_row("BINGO Studio MNIST-5k pruned (dense-2) float32", fm_mp, "float32", mnist,
                          a.samples, build))
    rows.append(bingo_row("BINGO Studio MNIST-5k pruned (dense-2) integer", fm_mp, "int8", mnist, a.samples, build))
    acc_rows.append(bingo_row("MNIST-5k dense integer", fm_m, "int8", mnist, 0, False))

    if not a.no_fashion:
        fashion, fm_f, fm_fp = trained_models("fashion-mnist", [128, 64], a.epochs)
        acc_rows.append(bingo_row("Fashion-MNIST dense integer", fm_f, "int8", fashion, 0, False))
        acc_rows.append(bingo_row("Fashion-MNIST pruned (dense-2) integer", fm_fp, "int8", fashion, 0, False))

    print(f"\nSimulated ATmega at 16 MHz, mean over the first {a.samples} test samples (emlearn: ATmega1284P)")
    show(rows)
    print("\nInteger accuracy against float (test split, Python references = the boards' answers):")
    for r in rows + acc_rows:
        if r["float_acc"] is not None and r["label"].endswith("integer"):
            print(f"  {r['label']:46} integer {r['acc']:.2%}  float {r['float_acc']:.2%}  "
                  f"difference {100 * (r['acc'] - r['float_acc']):+.2f} points")
    print(f"\ntargets: {TARGETS}")
    print(f"model B: weights, positions, scales, biases (emlearn: its float arrays); flash and RAM: avr-size of the "
          f"whole firmware; cycles/weight: cycles over stored weights. {time.time() - start:.0f} s.")


if __name__ == "__main__":
    main()
