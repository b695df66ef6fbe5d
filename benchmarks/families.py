"""Layer families: MAM vs ordinary layers under every pruning method, and binary layers with ARSP.

    .venv/bin/python benchmarks/families.py [--datasets digits,mnist-5k] [--part mam,binary]

MAM part: for each dataset, a MAM model (hidden layers MAM, output dense) and the same-size
ordinary MLP are trained once (train-time estimator, so every method can score them); each
method's plan prunes to two floors, the model's own dense validation accuracy minus 1 point and
minus 7 points; the table shows % of weights pruned and the test accuracy there, and the generated
firmware's model flash (int8, Uno) for the best method of each family at the 1-point floor.
(Bich et al. report 99.97% of an AlexNet's MAM weights prunable vs 80% of ordinary layers.)

Binary part: a BinaryConnect model of the same size, pruned by ARSP (PPO-sized reservoirs, then
fine-tuning at lr/10); against it, at the same sparsity: static sparsity (random masks, the same
share in every layer, trained from scratch for the full epochs) and one-shot magnitude with the
same fine-tune. PPO cost in seconds, environment evaluations and as a share of one training run.
Firmware: bytes of the model tables with 1-bit weights beside the same mask stored int8.

Runs are cached in /tmp/bingo-families-bench (delete it to retrain); results go to --json.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bingo_studio.arsp import ARSPConfig, run_arsp, static_masks  # noqa: E402
from bingo_studio.config import DatasetConfig, ModelConfig, RunConfig, ScoringConfig, TrainConfig  # noqa: E402
from bingo_studio.data import load_dataset  # noqa: E402
from bingo_studio.pruning.methods import plan_for  # noqa: E402
from bingo_studio.pruning.methods.base import plain_config  # noqa: E402
from bingo_studio.pruning.plan import PruningPlan  # noqa: E402
from bingo_studio.runs import load_run, save_run  # noqa: E402
from bingo_studio.training import train  # noqa: E402
from bingo_studio.training.loop import evaluate  # noqa: E402

CACHE = Path("/tmp/bingo-families-bench")
PRESET = {"digits": "digits-tiny", "mnist-5k": "mnist-small"}
METHODS = ("psp", "gmp", "ggmp", "bingo", "lmp", "lgmp", "rp")
DROPS = (0.01, 0.07)
LR = {"dense": 1e-3, "mam": 1e-2, "binary": 1e-3}  # each family at the rate it trains best at (see README)


def trained(dataset: str, family: str, epochs: int, estimator: str = "train-time"):
    cfg = RunConfig(
        dataset=DatasetConfig(name=dataset),
        model=ModelConfig(preset=PRESET[dataset], family=family),
        train=TrainConfig(epochs=epochs, lr=LR[family], seed=0),
        scoring=ScoringConfig(estimator=estimator, every=8, eval_batch=256, seed=0),
    )
    path = CACHE / f"{dataset}-{family}-{cfg.digest()}"
    if (path / "run.json").exists():
        run = load_run(path)
        if run.status == "complete":
            return run
    run = train(cfg, load_dataset(cfg.dataset))
    save_run(run, path)
    return run


def firmware_bytes(run, masks, as_int8: bool = False) -> int | None:
    """Model flash of the generated firmware (int8; 1-bit weights for binary layers, unless
    ``as_int8``: the same weights and mask stored as int8), or None if it cannot be exported."""
    try:
        from bingo_studio.firmware.quantize import quantize
        from bingo_studio.firmware.size import size_report
        from bingo_studio.firmware.spec import FirmwareModel

        fm = FirmwareModel.from_torch(run.model, run.get_dataset(), masks)
        if as_int8:
            for layer in fm.layers:
                layer.kind = "dense" if layer.kind == "binary" else layer.kind
        return int(size_report(quantize(fm)).model_flash)
    except Exception as exc:  # noqa: BLE001 - a benchmark reports what it could not measure
        print(f"  (firmware size unavailable: {type(exc).__name__}: {exc})", flush=True)
        return None


def mam_part(dataset: str, epochs: int, families: tuple[str, ...] = ("mam", "dense")) -> list[dict]:
    rows = []
    for family in families:
        t0 = time.perf_counter()
        run = trained(dataset, family, epochs)
        dense_val = run.metrics["dense_val_accuracy"]
        print(f"{dataset} {family}: dense val {dense_val:.3f} test {run.metrics['dense_test_accuracy']:.3f} "
              f"train {run.train_seconds:.0f}s", flush=True)
        best = None
        for method in METHODS:
            plan = plan_for(run, method)
            row = {"dataset": dataset, "family": family, "method": method, "dense_val": dense_val,
                   "dense_test": run.metrics["dense_test_accuracy"], "lr": LR[family], "epochs": epochs}
            for drop in DROPS:
                res = plan.prune(dense_val - drop)
                row[f"pruned_{drop}"] = res.sparsity
                row[f"test_{drop}"] = res.test_accuracy
                if drop == DROPS[0] and (best is None or res.sparsity > best[1].sparsity):
                    best = (method, res)
            rows.append(row)
            print(f"  {method:6} " + "  ".join(
                f"floor -{d * 100:.0f}: {row[f'pruned_{d}']:.2%} (test {row[f'test_{d}']:.3f})" for d in DROPS
            ), flush=True)
        fw = firmware_bytes(run, best[1].masks)
        dense_fw = firmware_bytes(run, None)
        for r in rows:
            if r["family"] == family and r["dataset"] == dataset:
                r["best_method"] = best[0]
                r["firmware_bytes_best"] = fw
                r["firmware_bytes_dense"] = dense_fw
        print(f"  best at floor -1: {best[0]} {best[1].sparsity:.2%}; firmware model flash {fw} B "
              f"(unpruned {dense_fw} B); {time.perf_counter() - t0:.0f}s", flush=True)
    return rows


def finetuned(run, masks, epochs: int, lr_factor: float):
    cfg = plain_config(run.config)
    cfg.train = replace(run.config.train, epochs=epochs, lr=run.config.train.lr * lr_factor, seed=1)
    return train(cfg, run.get_dataset(), model=copy.deepcopy(run.model), masks=masks).model


def binary_part(dataset: str, epochs: int, arsp: ARSPConfig) -> dict:
    run = trained(dataset, "binary", epochs, estimator="none")
    ds = run.get_dataset()
    x_val, y_val = ds.tensors("val")
    x_te, y_te = ds.tensors("test")
    res = run_arsp(run, arsp)
    sp = res.sparsity
    out = {
        "dataset": dataset, "dense_val": run.metrics["dense_val_accuracy"],
        "dense_test": run.metrics["dense_test_accuracy"], "train_seconds": run.train_seconds,
        "arsp": {k: v for k, v in res.to_dict().items() if k != "episode_rewards"},
        "episode_rewards_first_last": [res.episode_rewards[:4], res.episode_rewards[-4:]],
    }
    # static sparsity: random masks at the same share in every layer, trained from scratch
    masks = static_masks(run.layers, sp, seed=0)
    cfg = plain_config(run.config)
    static = train(cfg, ds, masks=masks)
    out["static"] = {"val": evaluate(static.model, x_val, y_val), "test": evaluate(static.model, x_te, y_te),
                     "seconds": static.train_seconds}
    # one-shot magnitude at the same sparsity, with ARSP's fine-tune
    plan = PruningPlan(run.model, {n: m.weight.detach().abs() for n, m in run.layers.items()}, ds, "gmp")
    n = round(sp * plan.total)
    gmp_masks = {k: v.float() for k, v in plan.masks_for(n).items()}
    gmp_model = finetuned(run, gmp_masks, arsp.finetune_epochs, arsp.finetune_lr_factor)
    out["gmp_finetune"] = {"val": evaluate(gmp_model, x_val, y_val), "test": evaluate(gmp_model, x_te, y_te),
                           "one_shot_val": plan.accuracy_at(n)}
    out["firmware_bytes_binary"] = firmware_bytes(run, res.masks)
    out["firmware_bytes_binary_dense"] = firmware_bytes(run, None)
    out["firmware_bytes_int8_same_mask"] = firmware_bytes(run, res.masks, as_int8=True)
    out["ppo_share_of_training"] = res.ppo_seconds / max(run.train_seconds, 1e-9)
    print(json.dumps(out, indent=1, default=float), flush=True)
    return out


def firmware_only(path: str, epochs: int) -> None:
    """Recompute the MAM part's firmware sizes from its JSON and the cached runs (no curves)."""
    results = json.loads(Path(path).read_text())
    done = {}
    for r in results["mam"]:
        key = (r["dataset"], r["family"])
        if key not in done:
            run = trained(r["dataset"], r["family"], epochs)
            plan = plan_for(run, r["best_method"])
            res = plan.prune(r["dense_val"] - DROPS[0])
            done[key] = (firmware_bytes(run, res.masks), firmware_bytes(run, None), res.sparsity)
            print(key, r["best_method"], f"{res.sparsity:.2%}", done[key][:2], flush=True)
        r["firmware_bytes_best"], r["firmware_bytes_dense"] = done[key][:2]
    Path(path).write_text(json.dumps(results, indent=1, default=float))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="digits,mnist-5k")
    ap.add_argument("--part", default="mam,binary")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--episodes", type=int, default=40)
    ap.add_argument("--families", default="mam,dense", help="MAM part: which families")
    ap.add_argument("--json", default="/tmp/bingo-families-bench/results.json")
    ap.add_argument("--firmware-only", action="store_true", help="recompute the MAM firmware sizes in --json")
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.firmware_only:
        firmware_only(a.json, a.epochs)
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    results: dict = {"mam": [], "binary": []}
    for dataset in a.datasets.split(","):
        if "mam" in a.part:
            results["mam"] += mam_part(dataset, a.epochs, tuple(a.families.split(",")))
        if "binary" in a.part:
            results["binary"].append(binary_part(dataset, a.epochs, ARSPConfig(episodes=a.episodes)))
        Path(a.json).write_text(json.dumps(results, indent=1, default=float))
    if results["mam"]:
        cols = " ".join(f"{'pruned -' + str(round(d * 100)):>10} {'test':>6}" for d in DROPS)
        print(f"\n{'dataset':9} {'family':6} {'method':6} {cols} {'fw best B':>9} {'fw dense B':>10}")
        for r in results["mam"]:
            print(f"{r['dataset']:9} {r['family']:6} {r['method']:6} " + " ".join(
                f"{r[f'pruned_{d}']:>10.2%} {r[f'test_{d}']:>6.3f}" for d in DROPS)
                + f" {str(r.get('firmware_bytes_best')):>9} {str(r.get('firmware_bytes_dense')):>10}")


if __name__ == "__main__":
    main()
