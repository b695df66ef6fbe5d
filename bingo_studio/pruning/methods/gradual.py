"""Pruning during the one training run (method.md): a cubic sparsity schedule (Zhu & Gupta 2017)
with masks chosen by the train-time significance, the floor checked on validation.

Once the network first reaches the floor on validation (epoch t0), sparsity is raised at each
epoch end up to ``prune_until`` x epochs (T) following ``s = target * (1 - (1 - (t - t0) / (T - t0))^3)``,
removing the surviving weights of lowest significance (the default estimator's magnitude-taylor
score, gathered from the end of epoch 1 on); pruned weights stay at zero while training goes on.
An epoch that ends under the floor pauses the schedule so the survivors can recover; the last
quarter of training only recovers. The result is the sparsest epoch-end network at or above the
floor. One training run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import torch

from bingo_studio.config import RunConfig
from bingo_studio.models import build_model, prunable_layers
from bingo_studio.pruning.masks import prune_lowest, unflatten
from bingo_studio.pruning.methods.base import MethodResult, TrainingMethod, mask_sparsity, sub_state
from bingo_studio.pruning.schedule import cubic
from bingo_studio.training import Progress, TaskState, evaluate, train


@dataclass(frozen=True)
class Gradual(TrainingMethod):
    target: float = 0.995  # where the schedule would end; the floor usually stops it earlier
    prune_until: float = 0.75  # share of the epochs over which sparsity rises
    max_step: float = 0.4  # most of the surviving weights one epoch end may remove

    def run(self, cfg, dataset, min_accuracy, state=None, base_run=None) -> MethodResult:
        state = state or TaskState()
        start = time.perf_counter()
        run_cfg = RunConfig(cfg.dataset, cfg.model, cfg.train, replace(cfg.scoring, estimator="train-time"))
        epochs = cfg.train.epochs
        x_val, y_val = dataset.tensors("val")
        x_te, y_te = dataset.tensors("test")
        masks: dict[str, torch.Tensor] = {}
        best: dict = {}
        points: list[tuple[float, float]] = []
        started: list[int | None] = [None]
        end = max(2, int(round(self.prune_until * epochs)))  # the last epoch that raises sparsity

        def on_epoch(run):
            e = len(run.history)
            if e == 1:
                run.scorer.gradient_from = 0.0  # significance from here on, not only after the first quarter
            val = evaluate(run.model, x_val, y_val)
            s = mask_sparsity(masks)
            points.append((s, val))
            ok = val >= min_accuracy - 1e-9
            if ok and s >= best.get("sparsity", -1.0):
                best.update(sparsity=s, val=val, test=evaluate(run.model, x_te, y_te),
                            masks={n: m.clone() for n, m in masks.items()})
            state.report(Progress(self.name, e / epochs, f"epoch {e}: {s:.1%} pruned, validation {val:.2%}",
                                  val_accuracy=val))
            if ok and started[0] is None:
                started[0] = e  # the schedule starts once the dense network has reached the floor
            t0 = started[0]
            if t0 is None or not ok or e >= end:  # under the floor: pause and let the survivors recover
                return
            want = cubic(e + 1, t0, end, self.target)
            # at most ``max_step`` of the survivors in one epoch: near the floor big jumps do not recover
            self._prune_to(run, masks, min(want, s + self.max_step * (1 - s)))

        # the loop re-applies this very dict after every step, so in-place updates take effect
        torch.manual_seed(cfg.train.seed)
        model = build_model(cfg.model, dataset.n_features, dataset.n_classes)
        masks.update({n: torch.ones_like(m.weight, dtype=torch.bool) for n, m in prunable_layers(model).items()})
        run = train(run_cfg, dataset, sub_state(state, 0, 1, self.name), on_epoch=on_epoch, model=model,
                    masks=masks)
        notes = "cancelled" if run.status == "cancelled" else "one training run, pruned during it"
        if not best:
            ones = {n: torch.ones_like(m) for n, m in masks.items()}
            return MethodResult(self.name, 0.0, float("nan"), float("nan"), 1.0, time.perf_counter() - start,
                                ones, False, points, notes)
        return MethodResult(self.name, best["sparsity"], best["val"], best["test"], 1.0,
                            time.perf_counter() - start, best["masks"], True, points, notes)

    @staticmethod
    def _prune_to(run, masks: dict[str, torch.Tensor], sparsity: float) -> None:
        scorer = run.scorer
        cands = scorer.candidates(include_search=False)
        # before any gradient statistics exist (the end of epoch 1), magnitude alone decides
        imp = (cands["magnitude-taylor"] if float(scorer.grad_steps) > 0 else cands["magnitude"]).clone()
        keep = torch.cat([m.reshape(-1) for m in masks.values()])
        n_prune = int(round(sparsity * len(keep)))
        if n_prune <= int((~keep).sum()):
            return
        new = prune_lowest(unflatten(imp, masks), masks, total_pruned=n_prune)  # nested: pruned stay pruned
        for n, m in masks.items():
            m.copy_(new[n])
        with torch.no_grad():
            for n, m in masks.items():
                run.layers[n].weight.mul_(m)


TRAINING_METHODS = (
    Gradual("bingo-gradual", "pruning during the one training run: cubic schedule, train-time significance"),
)
