"""One-shot pruning plus a short fine-tune of the survivors ("BINGO + fine-tune").

Always reported beside the one-shot row, never instead of it: a fine-tune lifts any order,
random included (method.md). The one-shot plan gives the order; fine-tuning lets more weights go,
so the count is bisected between the one-shot answer and the whole network, each probe being a
few epochs of masked training from the trained weights. Cost is counted in training runs'
worth of epochs (2 epochs of a 20-epoch run = 0.1).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, replace

from bingo_studio.pruning.methods.base import MethodResult, TrainingMethod, masked_accuracy, plain_config, sub_state
from bingo_studio.training import Progress, TaskState, train


@dataclass(frozen=True)
class FineTuned(TrainingMethod):
    base: str = "bingo"  # the one-shot method giving the order
    epochs: int = 2
    probes: int = 4

    def run(self, cfg, dataset, min_accuracy, state=None, base_run=None) -> MethodResult:
        from bingo_studio.pruning.methods import plan_for

        if base_run is None:
            raise ValueError("fine-tuning starts from a trained run (base_run)")
        state = state or TaskState()
        start = time.perf_counter()
        plan = plan_for(base_run, self.base)
        lo, ok = plan.count_for_floor(min_accuracy)
        one_shot = plan.prune(min_accuracy, lo)
        best = (one_shot.masks, one_shot.val_accuracy, one_shot.test_accuracy, lo)
        hi = plan.total
        ft = plain_config(cfg)
        ft = replace(ft, train=replace(ft.train, epochs=self.epochs))
        points, used = [(lo / plan.total, one_shot.val_accuracy)], 0
        for i in range(self.probes):
            if state.cancelled or hi - lo <= 1:
                break
            n = (lo + hi) // 2
            masks = plan.masks_for(n)
            model = copy.deepcopy(base_run.model)
            run = train(ft, dataset, sub_state(state, i / self.probes, (i + 1) / self.probes,
                                               f"{self.name}: fine-tuning at {n / plan.total:.1%}"),
                        model=model, masks=masks)
            used += 1
            val, test = masked_accuracy(run)
            points.append((n / plan.total, val))
            state.report(Progress(self.name, (i + 1) / self.probes,
                                  f"{n / plan.total:.1%} pruned + fine-tune: validation {val:.2%}", val_accuracy=val))
            if run.status == "cancelled":
                break
            if val >= min_accuracy - 1e-9:
                lo, best = n, (masks, val, test, n)
            else:
                hi = n
        masks, val, test, n = best
        runs = used * self.epochs / cfg.train.epochs
        return MethodResult(self.name, n / plan.total, val, test, runs, time.perf_counter() - start, masks, ok,
                            points, f"{used} fine-tunes of {self.epochs} epochs")


TRAINING_METHODS = (
    FineTuned("bingo+ft", "the default BINGO one-shot order, then a short fine-tune of the survivors"),
    FineTuned("gmp+ft", "global magnitude one-shot, then a short fine-tune of the survivors", base="gmp"),
)
