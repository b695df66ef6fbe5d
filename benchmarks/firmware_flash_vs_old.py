"""Whole-firmware flash of the integer kernel against the int8 firmware before it, same models.

    .venv/bin/python benchmarks/firmware_flash_vs_old.py [--epochs 80] [--old f85be79^]

Issue 10 asks that flash never grow by more than 5% against "today's int8 tables at the same
sparsity", today being the int8 firmware before the integer kernel: commit f85be79^ (int8 tables,
float compute). This script trains the three models of benchmarks/firmware_speed.py (digits
64-32-16-10 dense and pruned at the 90% floor, MNIST-5k 784-128-64-10 pruned at dense - 2 points;
same seeds and helpers), writes each model's firmware twice, with this checkout's generator and
with the old one (a temporary `git worktree` of --old, its generator run in a subprocess on the
same pickled models), builds both with the same avr-gcc flags (bingo_studio/firmware/avr_gcc.py,
as PlatformIO builds the Uno) and prints avr-size's flash (.text + .data) side by side.
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from firmware_speed import trained_models  # noqa: E402

from bingo_studio.firmware.avr_gcc import avr_build  # noqa: E402
from bingo_studio.firmware.codegen import write_sources  # noqa: E402

# run by the old checkout's python path: its write_sources on the pickled FirmwareModel
OLD_WRITER = """
import pickle, sys
import bingo_studio
assert bingo_studio.__file__.startswith(sys.argv[3]), bingo_studio.__file__
from bingo_studio.firmware.codegen import write_sources
write_sources(pickle.load(open(sys.argv[1], "rb")), sys.argv[2], "int8")
"""
GOAL = 1.05


def models(epochs: int) -> dict:
    _, digits_dense, digits_pruned = trained_models("digits", [32, 16], epochs, floor=0.90)
    _, _, mnist_pruned = trained_models("mnist-5k", [128, 64], epochs)
    return {"digits dense": digits_dense, "digits pruned (floor 90%)": digits_pruned,
            "MNIST-5k pruned (dense-2)": mnist_pruned}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=80)
    ap.add_argument("--old", default="f85be79^", help="the commit of 'today's int8 tables'")
    a = ap.parse_args()
    torch.set_num_threads(1)
    fms = models(a.epochs)
    with tempfile.TemporaryDirectory(prefix="bingo-flash-") as tmp:
        work = Path(tmp)
        old = work / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old), a.old], check=True)
        try:
            print(f"{'model':28} {'nnz':>6} {'old flash':>10} {'new flash':>10} {'new/old':>8}")
            for i, (label, fm) in enumerate(fms.items()):
                pk = work / f"m{i}.pkl"
                pk.write_bytes(pickle.dumps(fm))
                subprocess.run([sys.executable, "-c", OLD_WRITER, str(pk), str(work / f"old{i}"), str(old)],
                               cwd=old, env={"PYTHONPATH": str(old), "PATH": "/usr/bin:/bin"}, check=True)
                write_sources(fm, work / f"new{i}", "int8")
                f_old = avr_build(work / f"old{i}", work / f"old{i}-build")[0]
                f_new = avr_build(work / f"new{i}", work / f"new{i}-build")[0]
                ratio = f_new / f_old
                print(f"{label:28} {fm.n_kept:6d} {f_old:10,d} {f_new:10,d} {ratio:8.3f}"
                      f"{'' if ratio <= GOAL else '  over the +5% goal'}")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=True)
    print(f"flash = avr-size .text + .data of the whole Uno firmware (model, kernel, protocol, Arduino core); "
          f"old = {a.old}, the int8 firmware before the integer kernel. Goal: new/old <= {GOAL}.")


if __name__ == "__main__":
    main()
