"""The paper's Table 1 on MNIST-5k: IMP against BINGO (paper), the default BINGO estimator and GMP.

Usage: python benchmarks/table1.py [--model mnist-small] [--epochs 20] [--seed 0] [--out runs/table1]
The floor is the dense validation accuracy minus 7 points (the paper prunes from 97% to 90%).
All methods run in this one process on the same splits and seed (bingo_studio.compare); cost
ratios are IMP's CPU seconds over each method's (CPU time: steadier than wall clock when other
work shares the machine), wall-clock ratios beside them. The paper: IMP 122 min / 85% pruned,
BINGO 17 min / 71% (7.2x cheaper). Goal: the default estimator (with or without its fine-tune)
>= 7x cheaper than IMP and pruning at least as much.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import torch

from bingo_studio.compare import compare, markdown, write_outputs
from bingo_studio.config import DatasetConfig, ModelConfig, RunConfig, ScoringConfig, TrainConfig
from bingo_studio.training import TaskState

METHODS = ["imp", "bingo-paper", "bingo", "bingo+ft", "bingo-gradual", "gmp", "gmp+ft"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="mnist-5k")
    ap.add_argument("--model", default="mnist-small")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--methods", nargs="+", default=METHODS)
    ap.add_argument("--out", default="runs/table1")
    ap.add_argument("--plot", help="also copy the plot here (e.g. docs/table1-mnist-5k.png)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: CPU time is not inflated by spinning)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = RunConfig(
        dataset=DatasetConfig(name=a.dataset), model=ModelConfig(preset=a.model),
        train=TrainConfig(epochs=a.epochs, seed=a.seed), scoring=ScoringConfig(seed=a.seed),
    )
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {a.dataset}, {a.model}, {a.epochs} epochs, "
          f"seed {a.seed}; default estimator {ScoringConfig().estimator}")

    last = [0.0]

    def progress(p):
        if time.time() - last[0] > 30 or p.phase.startswith("imp round") and "pruned" in p.message:
            last[0] = time.time()
            print(f"  [{p.fraction:5.1%}] {p.phase}: {p.message}", flush=True)

    start = time.perf_counter()
    c = compare(cfg, a.methods, max_drop=0.07, state=TaskState(progress))
    paths = write_outputs(c, a.out)
    print()
    print(markdown(c))
    imp = next((r for r in c.rows if r.method == "imp"), None)
    print(f"{'method':<58} {'pruned':>7} {'test':>7} {'runs':>5} {'CPU s':>8} {'wall s':>8}"
          f" {'IMP/CPU':>8} {'IMP/wall':>8}")
    for r in c.rows:
        ratio = f"{imp.cpu_seconds / r.cpu_seconds:7.1f}x" if imp else "       -"
        wall = f"{imp.seconds / r.seconds:7.1f}x" if imp else "       -"
        print(f"{r.label[:58]:<58} {r.sparsity:7.1%} {r.test_accuracy:7.2%} {r.training_runs:5.2g} "
              f"{r.cpu_seconds:8.1f} {r.seconds:8.1f} {ratio} {wall}")
    print(f"dense: validation {c.dense_val_accuracy:.2%}, test {c.dense_test_accuracy:.2%}; "
          f"floor {c.min_accuracy:.2%}; total {time.perf_counter() - start:.0f} s; outputs in {a.out}")
    if a.plot:
        Path(a.plot).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(paths["png"], a.plot)


if __name__ == "__main__":
    main()
