"""Weights kept at a validation floor: the default training run (its ladder) against IMP and one-shot.

Usage: python benchmarks/curve_vs_imp.py [--seeds 0 1 2] [--datasets digits mnist-5k] [--full]
                                        [--recovery 0.3 [1.0]] [--plot docs/curve-vs-imp.png]

For each dataset and seed, in this one process with one torch thread: a plain training run (the
dense reference: floors are its validation accuracy minus 1, 2, 4 and 7 points, and its CPU time is
the cost unit), the default training run (BINGO scoring + the ladder), and IMP (20% of the survivors
a round, rewound to init, rounds until the lowest floor is passed). At each floor: weights kept by
the default run's slider point, by IMP's last round at or above the floor, and by today's one-shot
prune of the same run's dense network; their test accuracy; their CPU seconds (IMP: the rounds it
needed to know where that floor is, the failing one included). Medians over the seeds.
``--full`` adds Fashion-MNIST (70,000 images, Debian's files). ``--recovery`` sets the default run's
ladder budget (the CLI's ``--ladder-recovery``, the window's "Pruning during training"); more than
one value trains a run for each after the first and prints them side by side against the same IMP:
what more recovery steps buy, and what they cost.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace
from pathlib import Path

import torch

from bingo_studio.config import DatasetConfig, LadderConfig, ModelConfig, RunConfig, ScoringConfig, TrainConfig
from bingo_studio.data import load_dataset
from bingo_studio.pruning.methods import TRAINING_METHODS, plan_for
from bingo_studio.pruning.methods.base import plain_config
from bingo_studio.training import train

DROPS = (0.01, 0.02, 0.04, 0.07)
SETS = {"digits": "digits-tiny", "mnist-5k": "mnist-small", "fashion-mnist": "mnist-small"}


def cpu() -> float:
    return time.process_time()


# Kept over the complexity limit: one seed's side-by-side measurements share the plain run, floors and IMP rounds
def one_seed(dataset_name: str, preset: str, seed: int, epochs: int,  # noqa: C901
             recovery: tuple[float, ...] = (LadderConfig.recovery,)) -> dict:
    cfg = RunConfig(DatasetConfig(name=dataset_name), ModelConfig(preset=preset), TrainConfig(epochs=epochs, seed=seed),
                    ScoringConfig(seed=seed), LadderConfig(recovery=recovery[0]))
    ds = load_dataset(cfg.dataset)
    t = cpu()
    plain = train(plain_config(cfg), ds)
    plain_cpu = cpu() - t
    dense = plain.metrics["dense_val_accuracy"]
    floors = [dense - d for d in DROPS]

    t = cpu()
    run = train(cfg, ds)
    train_cpu = cpu() - t
    ladder = run.ladder
    t = cpu()
    plan = plan_for(run, "bingo")
    plan.curve()
    ladder_plan_cpu = cpu() - t
    run.ladder = None  # today's one-shot plan of the same run's dense network
    t = cpu()
    one_shot = plan_for(run, "bingo")
    one_shot.curve()
    one_shot_plan_cpu = cpu() - t
    run.ladder = ladder

    rounds = []  # (cpu so far, kept, val, test)
    t = cpu()

    def on_round(r, masks, imp_run):
        kept = sum(int(m.sum()) for m in masks.values())
        rounds.append((cpu() - t, kept, imp_run.metrics["dense_val_accuracy"], imp_run.metrics["dense_test_accuracy"]))

    TRAINING_METHODS["imp"].run(cfg, ds, min(floors), on_round=on_round)
    total = plan.total
    out = {"dense_val": dense, "val_n": len(ds.y_val), "plain_cpu": plain_cpu, "train_cpu": train_cpu,
           "ladder_cpu": ladder.seconds, "rungs": len(ladder.rungs), "recovery": recovery[0], "floors": [],
           "more": []}
    for r in recovery[1:]:  # the same seed with another ladder budget: kept and test at each floor, cost
        t = cpu()
        other = train(replace(cfg, ladder=LadderConfig(recovery=r)), ds)
        other_cpu = cpu() - t
        other_plan = plan_for(other, "bingo")
        out["more"].append({"recovery": r, "train_cpu": other_cpu, "floors": [
            {"kept": other_plan.lookup(f)["kept_weights"], "test": other_plan.prune(f).test_accuracy} for f in floors]})
    for floor in floors:
        info = plan.lookup(floor)
        res = plan.prune(floor)
        assert res.val_accuracy >= floor - 1e-9 or not info["floor_met"], "a reported point misses its floor"
        n1, _ = one_shot.count_for_floor(floor)
        r1 = one_shot.prune(floor)
        # IMP: the last round before the first one under the floor (dense if round 1 already fails)
        ok, spent = (total, None), rounds[-1][0]
        for c, kept, val, test in rounds:
            if val < floor - 1e-9:
                spent = c
                break
            ok = (kept, test)
        out["floors"].append({
            "floor": floor, "ladder_kept": info["kept_weights"], "ladder_test": res.test_accuracy,
            "ladder_cpu": train_cpu + ladder_plan_cpu,
            "imp_kept": ok[0], "imp_test": ok[1] if ok[1] is not None else plain.metrics["dense_test_accuracy"],
            "imp_cpu": spent,
            "oneshot_kept": total - n1, "oneshot_test": r1.test_accuracy,
            "oneshot_cpu": train_cpu - ladder.seconds + one_shot_plan_cpu,
        })
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=["digits", "mnist-5k"])
    ap.add_argument("--full", action="store_true", help="also full Fashion-MNIST (70,000 images; slow)")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--recovery", nargs="+", type=float, default=[LadderConfig.recovery],
                    help="the default run's ladder recovery budget (the CLI's --ladder-recovery); more values: "
                         "a run for each, side by side")
    ap.add_argument("--plot", help="write the plot of weights kept against floor here (PNG)")
    ap.add_argument("--json", help="also write every seed's numbers here (to merge runs made in parallel)")
    ap.add_argument("--merge", nargs="+", help="print the table and plot from --json files instead of running")
    a = ap.parse_args()
    if a.merge:
        results: dict = {}
        for path in a.merge:
            for name, per_seed in json.loads(Path(path).read_text()).items():
                results.setdefault(name, []).extend(per_seed)
        report(results, a.plot)
        return
    torch.set_num_threads(1)
    names = a.datasets + (["fashion-mnist"] if a.full else [])
    print(f"torch {torch.__version__}, 1 thread; {a.epochs} epochs; ladder recovery {a.recovery}; seeds {a.seeds}; "
          "medians over seeds", flush=True)
    warm = RunConfig(train=TrainConfig(epochs=1))  # torch's first-call costs out of the timings
    train(plain_config(warm), load_dataset(warm.dataset))
    results = {}
    for name in names:
        per_seed = []
        for seed in a.seeds:
            per_seed.append(one_seed(name, SETS[name], seed, a.epochs, tuple(a.recovery)))
            s = per_seed[-1]
            print(f"  {name} seed {seed}: dense val {s['dense_val']:.2%}, {s['rungs']} rungs, "
                  f"train {s['train_cpu']:.1f} CPU s (plain {s['plain_cpu']:.1f})", flush=True)
        results[name] = per_seed
    if a.json:
        Path(a.json).write_text(json.dumps(results))
    report(results, a.plot)


def report(results: dict, plot_path: str | None) -> None:
    med = statistics.median
    print()
    print("| dataset | floor (dense val -) | kept: default | IMP | one-shot | default/IMP | test: default | IMP | "
          "one-shot | CPU s: default | IMP | one-shot |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    for name, per_seed in results.items():
        for i, drop in enumerate(DROPS):
            f = [s["floors"][i] for s in per_seed]
            row = {k: med([x[k] for x in f]) for k in f[0]}
            rows.append((name, drop, row))
            print(f"| {name} | {drop * 100:.0f} pt | {row['ladder_kept']:,.0f} | {row['imp_kept']:,.0f} | "
                  f"{row['oneshot_kept']:,.0f} | {row['ladder_kept'] / row['imp_kept']:.2f}x | "
                  f"{row['ladder_test']:.2%} | {row['imp_test']:.2%} | {row['oneshot_test']:.2%} | "
                  f"{row['ladder_cpu']:.1f} | {row['imp_cpu']:.1f} | {row['oneshot_cpu']:.1f} |")
    print()
    for name, per_seed in results.items():
        ratio = med([s["train_cpu"] / s["plain_cpu"] for s in per_seed])
        print(f"{name}: default training costs {ratio:.2f}x a plain training run of the same epochs (CPU, median)")
        if "val_n" in per_seed[0]:  # how coarse a floor is: one point of validation accuracy in samples
            n_val = per_seed[0]["val_n"]
            print(f"{name}: {n_val} validation samples, so 1 point = {n_val / 100:.1f} samples")
        kept = ", ".join(f"seed {i}: " + "/".join(f"{f['ladder_kept'] / f['imp_kept']:.2f}" for f in s["floors"])
                         for i, s in enumerate(per_seed))
        print(f"{name}: default/IMP kept at each floor, per seed (in the order run): {kept}")
    budgets(results)
    if plot_path:
        plot(rows, plot_path)


def budgets(results: dict) -> None:
    """The same seeds with other ladder budgets (--recovery with more than one value), beside the first."""
    med = statistics.median
    for name, per_seed in results.items():
        more = [s.get("more", []) for s in per_seed]
        if not more[0]:
            continue
        first = per_seed[0]["recovery"]
        print(f"\n{name}: ladder budget (recovery) {first} against " + ", ".join(str(m["recovery"]) for m in more[0]))
        print("| floor | budget | kept | default/IMP | test | test - IMP's (points) | cost x plain |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for i, drop in enumerate(DROPS):
            imp_kept = med([s["floors"][i]["imp_kept"] for s in per_seed])
            imp_test = med([s["floors"][i]["imp_test"] for s in per_seed])
            columns = [(first, [s["floors"][i]["ladder_kept"] for s in per_seed],
                        [s["floors"][i]["ladder_test"] for s in per_seed],
                        [s["train_cpu"] / s["plain_cpu"] for s in per_seed])]
            for j, m in enumerate(more[0]):
                columns.append((m["recovery"], [s["more"][j]["floors"][i]["kept"] for s in per_seed],
                                [s["more"][j]["floors"][i]["test"] for s in per_seed],
                                [s["more"][j]["train_cpu"] / s["plain_cpu"] for s in per_seed]))
            for r, kept, test, cost in columns:
                print(f"| {drop * 100:.0f} pt | {r} | {med(kept):,.0f} | {med(kept) / imp_kept:.2f}x | "
                      f"{med(test):.2%} | {(med(test) - imp_test) * 100:+.1f} | {med(cost):.2f}x |")


def plot(rows, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(r[0] for r in rows))
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4), squeeze=False)
    for ax, name in zip(axes[0], names):
        mine = [r for r in rows if r[0] == name]
        x = [100 * r[1] for r in mine]
        for key, label, style in (("ladder_kept", "default run (ladder)", "o-"), ("imp_kept", "IMP (20%/round)", "s--"),
                                  ("oneshot_kept", "one-shot after training", "^:")):
            ax.plot(x, [r[2][key] for r in mine], style, label=label)
        ax.set_yscale("log")
        ax.set_xlabel("floor: points under dense validation accuracy")
        ax.set_ylabel("weights kept (log scale)")
        ax.set_title(name)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
