"""Iterative magnitude pruning with rewinding (Frankle & Carbin, the lottery ticket hypothesis).

Train; prune ``rate`` of the surviving weights with the smallest magnitude (globally or per
layer); rewind the survivors to their initial values (or, "late rewinding", to the weights after
an early epoch); retrain; repeat. The next round's network is trained before we know whether it
meets the floor, so the last round is paid for and discarded: the result is the last mask whose
trained network stayed at or above the floor.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from bingo_studio.pruning import importance
from bingo_studio.pruning.masks import prune_lowest
from bingo_studio.pruning.methods.base import (
    MethodResult,
    TrainingMethod,
    mask_sparsity,
    masked_accuracy,
    plain_config,
    sub_state,
)
from bingo_studio.training import Progress, TaskState, train


def magnitude_prune(model, masks: dict[str, torch.Tensor], rate: float, per_layer: bool) -> dict[str, torch.Tensor]:
    """Nested masks: remove ``rate`` of the survivors (of each layer's, with ``per_layer``), smallest |w| first."""
    scores = importance.magnitude({n: getattr(model, n) for n in masks})
    return prune_lowest(scores, masks, fraction=rate, per_layer=per_layer)


@dataclass(frozen=True)
class IMP(TrainingMethod):
    rate: float = 0.2
    per_layer: bool = False
    rewind_epoch: int = 0  # 0: rewind to init; E > 0: to the weights after epoch E ("late rewinding")
    max_rounds: int = 40

    def run(self, cfg, dataset, min_accuracy, state=None, base_run=None, on_round=None) -> MethodResult:
        state = state or TaskState()
        plain = plain_config(cfg)
        start = time.perf_counter()
        rewind = {}

        def keep_rewind(run):
            if len(run.history) == self.rewind_epoch:
                rewind.update({k: v.detach().clone() for k, v in run.model.state_dict().items()})

        expect = self.max_rounds
        run = train(plain, dataset, sub_state(state, 0, 1 / expect, "imp round 0 (dense)"), on_epoch=keep_rewind)
        if not rewind:
            rewind = run.initial_state
        masks = {n: torch.ones_like(m.weight, dtype=torch.bool) for n, m in run.layers.items()}
        val, test = masked_accuracy(run)
        points = [(0.0, val)]
        best = (masks, val, test) if val >= min_accuracy else None
        runs, notes = 1, ""
        for r in range(1, self.max_rounds + 1):
            if run.status == "cancelled" or state.cancelled:
                notes = "cancelled"
                break
            masks = magnitude_prune(run.model, masks, self.rate, self.per_layer)
            s = mask_sparsity(masks)
            run = train(plain, dataset, sub_state(state, r / expect, (r + 1) / expect, f"imp round {r}"),
                        masks=masks, init_state=rewind)
            runs += 1
            val, test = masked_accuracy(run)
            points.append((s, val))
            state.report(Progress(f"imp round {r}", min(1.0, (r + 1) / expect),
                                  f"round {r}: {s:.1%} pruned, validation {val:.2%}", val_accuracy=val,
                                  elapsed=time.perf_counter() - start))
            if on_round is not None:
                on_round(r, masks, run)
            if run.status == "cancelled":
                notes = "cancelled"
                break
            if val < min_accuracy - 1e-9:
                break
            best = (masks, val, test)
        if best is None:
            empty = {n: torch.ones_like(m) for n, m in masks.items()}
            best, ok = (empty, points[0][1], masked_accuracy(run)[1]), False
        else:
            ok = True
        m, val, test = best
        return MethodResult(self.name, mask_sparsity(m), val, test, float(runs), time.perf_counter() - start,
                            m, ok, points, notes or f"{runs - 1} rounds of {self.rate:.0%}")


TRAINING_METHODS = (
    IMP("imp", "iterative magnitude pruning, 20% of survivors a round, rewound to init (Frankle & Carbin)"),
    IMP("imp-layerwise", "IMP pruning 20% of each layer's survivors a round", per_layer=True),
    IMP("imp-late", "IMP with late rewinding to the weights after epoch 1", rewind_epoch=1),
)
