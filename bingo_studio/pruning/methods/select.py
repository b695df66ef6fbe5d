"""Choosing between significance estimates on the validation curve, per floor.

The default BINGO estimator gathers several train-time estimates in the one run (see
``TrainTimeScorer``). No single one wins everywhere (measured: gradient-based scores beat
magnitude on digits, magnitude wins on MNIST-5k), so the plan removes the bottom-k weights of
each candidate and measures validation accuracy: a lottery-ticket search over structured
subsets. For a floor, the candidate that prunes most while staying at or above it is chosen and
named. Candidates are few (4), the choice is made on validation and reported again on test.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from bingo_studio.pruning.plan import Curve, PruneResult, PruningPlan


class SelectedPlan:
    """The PruningPlan interface over several candidate plans of the same model."""

    def __init__(self, plans: dict[str, PruningPlan], method: str):
        if not plans:
            raise ValueError("at least one candidate plan is needed")
        self.plans = plans
        first = next(iter(plans.values()))
        self.model: nn.Module = first.model
        self.dataset = first.dataset
        self.method = method
        self.total = first.total
        self.names = first.names
        self.dense_val_accuracy = first.dense_val_accuracy
        self.dense_test_accuracy = first.dense_test_accuracy
        self._curve: Curve | None = None
        self._guaranteed: dict[str, np.ndarray] = {}

    def curve(self, progress=None) -> Curve:
        """Upper envelope of the candidates' running-minimum accuracy: the accuracy each count is
        guaranteed by the best candidate, so ``last_ok_index`` agrees with the per-floor choice."""
        if self._curve is None:
            n = len(self.plans)
            for i, (name, plan) in enumerate(self.plans.items()):
                cb = None if progress is None else (lambda d, t, i=i: progress(i * t + d, n * t))
                c = plan.curve(cb)
                self._guaranteed[name] = np.minimum.accumulate(c.val_accuracy)
            counts = next(iter(self.plans.values())).curve().counts
            env = np.max(np.stack(list(self._guaranteed.values())), axis=0)
            self._curve = Curve(counts, env, self.total)
        return self._curve

    def choice(self, min_accuracy: float) -> str:
        """The candidate that prunes most at this floor (first listed on ties)."""
        best, best_n = None, -1
        for name, plan in self.plans.items():
            n, ok = plan.count_for_floor(min_accuracy)
            if ok and n > best_n:
                best, best_n = name, n
        return best or next(iter(self.plans))

    def choice_at(self, n_pruned: int) -> str:
        self.curve()
        counts = self._curve.counts
        i = max(int(np.searchsorted(counts, n_pruned, side="right")) - 1, 0)
        return max(self._guaranteed, key=lambda name: self._guaranteed[name][i])

    def lookup(self, min_accuracy: float) -> dict:
        # the candidate choice_at picks at the envelope's grid point for this floor: its own last
        # ok point is that same point, and accuracy_at/masks_for there name the same candidate
        c = self.curve()
        name = self.choice_at(int(c.counts[max(c.last_ok_index(min_accuracy), 0)]))
        return {**self.plans[name].lookup(min_accuracy), "candidate": name}

    def count_for_floor(self, min_accuracy: float) -> tuple[int, bool]:
        return self.plans[self.choice(min_accuracy)].count_for_floor(min_accuracy)

    def prune(self, min_accuracy: float, n_pruned: int | None = None) -> PruneResult:
        name = self.choice(min_accuracy) if n_pruned is None else self.choice_at(n_pruned)
        result = self.plans[name].prune(min_accuracy, n_pruned)
        result.method = f"{self.method} -> {name}"
        return result

    def candidate_results(self, min_accuracy: float) -> dict[str, PruneResult]:
        return {name: plan.prune(min_accuracy) for name, plan in self.plans.items()}

    def masks_for(self, n_pruned: int) -> dict[str, torch.Tensor]:
        return self.plans[self.choice_at(n_pruned)].masks_for(n_pruned)

    def accuracy_at(self, n_pruned: int, split: str = "val") -> float:
        return self.plans[self.choice_at(n_pruned)].accuracy_at(n_pruned, split)

    def apply(self, n_pruned: int) -> nn.Module:
        return self.plans[self.choice_at(n_pruned)].apply(n_pruned)
