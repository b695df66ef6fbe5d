"""The commands of the run: train, prune, info, and the lists of datasets, models and estimators."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bingo_studio.cli.options import (
    INTERRUPTED,
    add_config_args,
    add_floor_args,
    config_from_args,
    ctrl_c_cancels,
)
from bingo_studio.cli.progress import ProgressBar
from bingo_studio.config import DatasetConfig, ModelConfig
from bingo_studio.pruning.floor import DEFAULT_MAX_DROP


def cmd_train(a: argparse.Namespace) -> int:
    from bingo_studio.data import load_dataset
    from bingo_studio.runs import save_run
    from bingo_studio.training import TaskState, train

    cfg = config_from_args(a)
    dataset = load_dataset(cfg.dataset)
    out = Path(a.out or f"runs/{cfg.dataset.name}-{cfg.digest()}")
    bar = ProgressBar()
    state = TaskState(bar)
    # Ctrl-C asks the loop to stop between steps; the last finished epoch is already on disk, and
    # the weights of the unfinished one are never saved
    try:
        with ctrl_c_cancels(state.cancel):
            run = train(cfg, dataset, state, on_epoch=lambda r: save_run(r, out))
    finally:
        bar.close()
    if run.status == "cancelled":
        done = f"epoch {len(run.history)} of {cfg.train.epochs} is kept in {out}" if run.history else "nothing saved"
        print(f"bingo-studio: interrupted: {done}", file=sys.stderr)
        return INTERRUPTED
    save_run(run, out)
    m = run.metrics
    print(f"{run.status}: {cfg.dataset.name}, {cfg.model.preset} model {run.model.widths},"
          f" {m['total_weights']} prunable weights")
    print(f"dense accuracy: validation {m['dense_val_accuracy']:.2%}, test {m['dense_test_accuracy']:.2%}")
    print(f"training took {run.train_seconds:.1f} s; run saved to {out}")
    return 0 if run.status == "complete" else INTERRUPTED


def cmd_prune(a: argparse.Namespace) -> int:
    from bingo_studio.deploy.export import firmware_accuracy
    from bingo_studio.pruning.floor import floor_for
    from bingo_studio.pruning.methods import prune_run
    from bingo_studio.runs import load_run

    run = load_run(a.run)
    run.ensure_metrics()
    floor = floor_for(run.metrics["dense_val_accuracy"], a.min_accuracy, a.max_drop)
    result = prune_run(run, a.method, floor, order=a.order)
    firmware = firmware_accuracy(run)  # int8, as `export` will build the prune just saved
    if a.json:
        print(json.dumps({**result.to_dict(), "firmware_test_accuracy": firmware}))
    else:
        print_prune(result)
        print(f"firmware (int8, as the board computes): test {firmware:.2%}, what export writes into its info line")
        print(f"mask saved in {a.run} (mask.pt with run.json)")
    return 0


def print_prune(r) -> None:
    print(f"method {r.method}: pruned {r.sparsity:.1%} of weights ({r.n_pruned} of {r.total_weights}),"
          f" {r.kept_weights} kept")
    if not r.floor_met:
        print(f"note: the dense model is already under the floor of {r.min_accuracy:.2%}; nothing pruned")
    print(f"accuracy: validation {r.val_accuracy:.2%} (floor {r.min_accuracy:.2%}), test {r.test_accuracy:.2%}"
          f" (dense {r.dense_test_accuracy:.2%})")
    for name, layer in r.per_layer.items():
        print(f"  {name}: {layer['pruned']}/{layer['total']} pruned ({layer['sparsity']:.1%})")
    s = r.size
    print(f"size: dense float32 {s['dense_float32_bytes']} B, dense int8 {s['dense_int8_bytes']} B,"
          f" sparse int8 firmware tables {s['sparse_int8_bytes']} B, RAM {s['model_ram_bytes']} B")
    fits = ", ".join(
        f"{board} {'fits' if b['fits'] else 'does not fit (' + str(max(b['flash_over'], b['ram_over'])) + ' B over)'}"
        for board, b in s["boards"].items()
    )
    print(f"boards: {fits}")


def cmd_info(a: argparse.Namespace) -> int:
    from bingo_studio.runs import load_mask, load_run

    run = load_run(a.run)
    run.ensure_metrics()
    info = run.summary()
    pruned = run.extra.get("prune")
    load_mask(run)  # what export would ship: checked against the result described here
    if pruned:
        info.update(pruned)
    else:  # not pruned yet: the dense model
        info.update({
            "sparsity": 0.0, "val_accuracy": run.metrics.get("dense_val_accuracy"),
            "test_accuracy": run.metrics.get("dense_test_accuracy"),
            "kept_weights": run.metrics.get("total_weights"),
        })
    if a.json:
        print(json.dumps(info))
        return 0
    print(f"run {a.run}: {info['status']}" + ("" if run.status == "complete" else
          f" (the weights of its last finished epoch, {info['epochs_done']} of {run.config.train.epochs})"))
    print(f"  dataset {info['dataset']}, model {info['model']} {info['widths']}, estimator {info['estimator']}")
    print(f"  epochs {info['epochs_done']} dense, training {info.get('train_seconds', 0):.1f} s")
    handover = run.handover()
    if handover:
        print(f"  {handover}")
    print(f"  dense accuracy: validation {info['dense_val_accuracy']:.2%}, test {info['dense_test_accuracy']:.2%}")
    if info.get("ladder"):
        lad = info["ladder"]
        print(f"  ladder (--ladder-recovery {info['ladder_recovery']}): {len(lad)} recovered networks, "
              f"{lad[0]['kept_weights']:,} to {lad[-1]['kept_weights']:,} "
              f"weights kept; searches' check over {info.get('estimator_check_resets', 0)} resets (rank correlation "
              f"of each estimate with the loss change measured): {info.get('estimator_check', {})}")
    if pruned:
        print(f"  pruned ({pruned['method']}): {pruned['sparsity']:.1%} of {pruned['total_weights']} weights,"
              f" test accuracy {pruned['test_accuracy']:.2%} at floor {pruned['min_accuracy']:.2%}")
    else:
        print("  not pruned yet: bingo-studio prune RUN --min-accuracy A")
    return 0


def cmd_datasets(a: argparse.Namespace) -> int:
    from bingo_studio.data import list_datasets

    rows = list_datasets()
    if a.json:
        print(json.dumps(rows))
        return 0
    for r in rows:
        status = "" if r["available"] else f"  [not available: {r['reason']}]"
        print(f"{r['name']:<15} {r['description']}{status}")
    return 0


def cmd_models(a: argparse.Namespace) -> int:
    from bingo_studio.data import get_source
    from bingo_studio.models import PRESETS, build_model, describe

    # sizes depend on the dataset's feature and class counts: read them from its first row
    ds = get_source(a.dataset).load(DatasetConfig(name=a.dataset))
    print(f"for {a.dataset} ({ds.n_features} features, {ds.n_classes} classes):")
    print(f"{'preset':<15} {'hidden':<10} {'params':>8} {'float32 B':>10} {'int8 B':>8}  description")
    for name, preset in PRESETS.items():
        d = describe(build_model(ModelConfig(preset=name), ds.n_features, ds.n_classes))
        print(f"{name:<15} {','.join(map(str, preset.hidden)):<10} {d['parameters']:>8} "
              f"{d['dense_float32_bytes']:>10} {d['dense_int8_bytes']:>8}  {preset.description}")
    print(f"{'custom':<15} --hidden W1,W2,...")
    return 0


def cmd_estimators(a: argparse.Namespace) -> int:
    from bingo_studio.bingo.estimators import ESTIMATORS

    for name, (description, _) in ESTIMATORS.items():
        print(f"{name:<16} {description}")
    return 0


def cmd_demo(a: argparse.Namespace) -> int:
    """Train on digits, prune to a floor and show the result: the whole engine in one command."""
    out = a.out or "runs/demo-digits"
    p = argparse.ArgumentParser()
    add_config_args(p)
    p.add_argument("--out")
    code = cmd_train(p.parse_args(["--dataset", "digits", "--epochs", str(a.epochs), "--out", out]))
    if code:
        return code
    return cmd_prune(argparse.Namespace(run=out, min_accuracy=None, max_drop=DEFAULT_MAX_DROP, method="bingo",
                                        order="intent", json=False))


def register(sub) -> None:
    from bingo_studio.pruning.methods import METHODS

    t = sub.add_parser("train", help="train a model with BINGO scoring and save the run")
    add_config_args(t)
    t.add_argument("--out", help="run folder (default runs/<dataset>-<settings hash>)")
    t.set_defaults(func=cmd_train)

    pr = sub.add_parser("prune", help="prune a trained run to a minimum accuracy")
    pr.add_argument("run", help="run folder")
    add_floor_args(pr)
    pr.add_argument("--method", default="bingo", choices=list(METHODS),
                    help="how weights are ordered (default: the run's BINGO estimator)")
    pr.add_argument("--order", default="intent", choices=["intent", "literal"],
                    help="BINGO order: intent (default) or the paper's literal wording")
    pr.add_argument("--json", action="store_true", help="print one JSON object")
    pr.set_defaults(func=cmd_prune)

    i = sub.add_parser("info", help="show a run's settings and results")
    i.add_argument("run")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_info)

    d = sub.add_parser("datasets", help="list the built-in datasets")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=cmd_datasets)
    mo = sub.add_parser("models", help="list the model presets with their sizes for a dataset")
    mo.add_argument("--dataset", default="digits")
    mo.set_defaults(func=cmd_models)
    sub.add_parser("estimators", help="list the significance estimators").set_defaults(func=cmd_estimators)

    dm = sub.add_parser("demo", help="train on digits and prune: the engine end to end")
    dm.add_argument("--epochs", type=int, default=20)
    dm.add_argument("--out")
    dm.set_defaults(func=cmd_demo)
