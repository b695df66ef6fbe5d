"""`bingo-studio arsp RUN --out DIR`: ARSP on a trained run, saved as a new, pruned run folder.

The fine-tuned weights differ from the run's own, so the result is a run of its own (weights,
mask.pt, prune.json, arsp.json): ``export`` and ``simulate`` then take it like any pruned run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def cmd_arsp(a: argparse.Namespace) -> int:
    from bingo_studio.arsp.loop import ARSPConfig, run_arsp
    from bingo_studio.errors import UserError
    from bingo_studio.runs import Run, load_run, save_run

    if a.episodes < 1 or a.steps < 1 or a.finetune_epochs < 1 or a.lam < 0:
        raise UserError("episodes, steps and fine-tune epochs must be at least 1 and lambda not negative")
    run = load_run(a.run)
    cfg = ARSPConfig(episodes=a.episodes, steps=a.steps, lam=a.lam, finetune_epochs=a.finetune_epochs,
                     reward=a.reward, seed=a.seed)
    res = run_arsp(run, cfg)
    summary = res.to_dict()
    if a.out:
        out = Path(a.out)
        pruned = Run(config=run.config, model=res.model, initial_state=run.initial_state, scorer=run.scorer,
                     dataset=run.get_dataset(), history=run.history, status="complete",
                     train_seconds=run.train_seconds, metrics=dict(run.metrics))
        pruned.finish_metrics()
        prune = {"method": "arsp", "sparsity": res.sparsity, "val_accuracy": res.val_accuracy,
                 "test_accuracy": res.test_accuracy, "per_layer": res.densities}
        pruned.extra = {"prune": prune, "arsp": {k: v for k, v in summary.items() if k != "episode_rewards"}}
        save_run(pruned, out, files={"mask.pt": {n: m.bool() for n, m in res.masks.items()}, "prune.json": prune,
                                     "arsp.json": summary})
    if a.json:
        print(json.dumps(summary, default=float))
    else:
        print(f"ARSP: sparsity {res.sparsity:.1%}, validation {res.val_accuracy:.3f}, test {res.test_accuracy:.3f} "
              f"after fine-tuning (search batch {res.search_val_accuracy:.3f} before)")
        print(f"agent: {res.evaluations} evaluations, {res.ppo_updates} PPO updates, {res.ppo_seconds:.1f} s; "
              f"fine-tune {res.finetune_seconds:.1f} s; best from {res.best_from}")
        print("per layer density: " + ", ".join(f"{n} {d:.1%}" for n, d in res.densities.items()))
        if a.out:
            print(f"saved the pruned run to {a.out}")
    return 0


def register(subparsers) -> None:
    from bingo_studio.arsp.loop import REWARDS, ARSPConfig

    defaults = ARSPConfig()
    p = subparsers.add_parser("arsp", help="adaptive reservoir sampling pruning (PPO-sized reservoirs + fine-tune)")
    p.add_argument("run", help="trained run folder (any layer family; the source pairs ARSP with binary layers)")
    p.add_argument("--out", help="save the pruned, fine-tuned model as a new run folder")
    p.add_argument("--episodes", type=int, default=defaults.episodes)
    p.add_argument("--steps", type=int, default=defaults.steps, help="decisions per layer in an episode")
    p.add_argument("--lambda", dest="lam", type=float, default=defaults.lam, help="weight of density in the reward")
    p.add_argument("--reward", choices=REWARDS, default=defaults.reward,
                   help="intent: accuracy - lambda*density (default); literal: accuracy - lambda*sparsity")
    p.add_argument("--finetune-epochs", type=int, default=defaults.finetune_epochs)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_arsp)
