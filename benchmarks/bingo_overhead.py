"""BINGO training time / plain training time, measured side by side in one run.

Usage: python benchmarks/bingo_overhead.py [--epochs N] [--repeats R] [--estimator NAME]
Plain training is the same loop with scoring switched off (estimator "none": no searches, no
gradient statistics). Runs alternate (plain, BINGO, plain, BINGO...) so machine load hits both alike; the
ratio of the medians is printed. Goal (issues 2 and 3): <= 1.5x at the default settings, for the
default estimator (train-time) and for the paper's (--estimator paper).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from bingo_studio.config import DatasetConfig, ModelConfig, RunConfig, ScoringConfig, TrainConfig
from bingo_studio.data import load_dataset
from bingo_studio.training import train

CASES = [("digits", "digits-tiny"), ("mnist-5k", "mnist-small")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    d = ScoringConfig()
    ap.add_argument("--estimator", default=d.estimator)
    ap.add_argument("--searches", type=int, default=d.searches_per_step)
    ap.add_argument("--every", type=int, default=d.every)
    ap.add_argument("--eval-batch", type=int, default=d.eval_batch)
    ap.add_argument("--only", choices=[c[0] for c in CASES])
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: CPU time is not inflated by spinning)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, estimator {a.estimator}, "
          f"defaults: {ScoringConfig()}")
    print(f"{'dataset':<10} {'model':<12} {'plain cpu s':>11} {'bingo cpu s':>11} {'ratio':>6}  searches/step x subset")
    for dataset, preset in CASES:
        if a.only and dataset != a.only:
            continue
        ds = load_dataset(DatasetConfig(name=dataset))
        scoring = ScoringConfig(
            estimator=a.estimator, searches_per_step=a.searches, every=a.every, eval_batch=a.eval_batch
        )
        base = RunConfig(model=ModelConfig(preset=preset), train=TrainConfig(epochs=a.epochs))
        plain_cfg = RunConfig(base.dataset, base.model, base.train, ScoringConfig(estimator="none"))
        bingo_cfg = RunConfig(base.dataset, base.model, base.train, scoring)
        times = {"plain": [], "bingo": []}
        train(plain_cfg, ds)  # warm-up
        for _ in range(a.repeats):
            for name, cfg in (("plain", plain_cfg), ("bingo", bingo_cfg)):
                t = time.process_time()  # CPU time: less disturbed by other work on the machine
                train(cfg, ds)
                times[name].append(time.process_time() - t)
        p, b = statistics.median(times["plain"]), statistics.median(times["bingo"])
        print(f"{dataset:<10} {preset:<12} {p:11.2f} {b:11.2f} {b / p:5.2f}x  "
              f"{scoring.searches_per_step} every {scoring.every} step(s) x {scoring.subset_fraction:.1%}")


if __name__ == "__main__":
    main()
