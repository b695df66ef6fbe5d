"""From importance scores to a mask that keeps accuracy at or above the user's floor.

The plan sorts all prunable weights once (least important first, ties broken by a seeded
random key so tied scores don't prune in memory order), traces validation accuracy on a grid
of sparsities once, and then answers "how much can go at floor A?" as a lookup (the GUI slider)
or exactly, by bisection between the two grid points around the floor (the final prune).
"Prune until accuracy would fall below the floor" is taken literally: the first grid point
under the floor ends the search, even if accuracy recovers at a higher sparsity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune

from bingo_studio.data.dataset import Dataset
from bingo_studio.models import prunable_layers
from bingo_studio.pruning.size import size_report
from bingo_studio.training.loop import evaluate


def sparsity_grid(n_weights: int) -> np.ndarray:
    """Counts to evaluate: every 1% up to 90%, then every 0.25% (pruning is decided up there)."""
    fractions = np.concatenate([np.arange(0, 0.9, 0.01), np.arange(0.9, 1.0, 0.0025), [1.0]])
    return np.unique(np.round(fractions * n_weights).astype(np.int64))


@dataclass
class Curve:
    counts: np.ndarray  # weights pruned
    val_accuracy: np.ndarray
    total: int

    @property
    def sparsity(self) -> np.ndarray:
        return self.counts / self.total

    def last_ok_index(self, floor: float) -> int:
        """Index of the last grid point before accuracy first falls below ``floor`` (-1: none)."""
        below = np.nonzero(self.val_accuracy < floor - 1e-9)[0]
        return (int(below[0]) if len(below) else len(self.counts)) - 1

    def to_dict(self) -> dict:
        return {"counts": self.counts.tolist(), "val_accuracy": self.val_accuracy.tolist(), "total": self.total}


@dataclass
class PruneResult:
    method: str
    min_accuracy: float
    n_pruned: int
    total_weights: int
    val_accuracy: float
    test_accuracy: float
    dense_val_accuracy: float
    dense_test_accuracy: float
    per_layer: dict[str, dict]
    masks: dict[str, torch.Tensor] = field(repr=False)
    size: dict = field(default_factory=dict)
    floor_met: bool = True  # False when even the dense model is under the floor
    model: nn.Module | None = field(default=None, repr=False)  # the pruned network itself, what deploys
    own_weights: bool = False  # its weights are not the run's final ones masked (a ladder rung)

    @property
    def sparsity(self) -> float:
        return self.n_pruned / self.total_weights

    @property
    def kept_weights(self) -> int:
        return self.total_weights - self.n_pruned

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "min_accuracy": self.min_accuracy,
            "sparsity": self.sparsity,
            "val_accuracy": self.val_accuracy,
            "test_accuracy": self.test_accuracy,
            "dense_val_accuracy": self.dense_val_accuracy,
            "dense_test_accuracy": self.dense_test_accuracy,
            "kept_weights": self.kept_weights,
            "total_weights": self.total_weights,
            "pruned_weights": self.n_pruned,
            "floor_met": self.floor_met,
            "per_layer": self.per_layer,
            "size": self.size,
        }


class PruningPlan:
    def __init__(
        self,
        model: nn.Module,
        importance: dict[str, torch.Tensor],
        dataset: Dataset,
        method: str = "bingo",
        seed: int = 0,
    ):
        self.model = model
        self.dataset = dataset
        self.method = method
        self.layers = prunable_layers(model)
        self.names = list(self.layers)
        missing = [n for n in self.names if n not in importance]
        if missing:
            raise ValueError(f"importance is missing layers {missing}")
        self.shapes = {n: self.layers[n].weight.shape for n in self.names}
        self.sizes = [self.layers[n].weight.numel() for n in self.names]
        self.total = sum(self.sizes)
        flat = torch.cat([importance[n].reshape(-1).double() for n in self.names])
        tie = torch.rand(self.total, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        # lexicographic sort: importance first, the random key only among equal scores
        by_tie = torch.argsort(tie)
        self.order = by_tie[torch.argsort(flat[by_tie], stable=True)]  # order[0] is pruned first
        self.rank = torch.empty(self.total, dtype=torch.long)
        self.rank[self.order] = torch.arange(self.total)
        self.x_val, self.y_val = dataset.tensors("val")
        self._params = {k: v.detach() for k, v in model.named_parameters()}
        self.dense_val_accuracy = evaluate(model, self.x_val, self.y_val)
        self.dense_test_accuracy = evaluate(model, *dataset.tensors("test"))
        self._curve: Curve | None = None

    # masks
    def masks_for(self, n_pruned: int) -> dict[str, torch.Tensor]:
        keep = self.rank >= n_pruned
        parts = torch.split(keep, self.sizes)
        return {n: p.reshape(self.shapes[n]) for n, p in zip(self.names, parts)}

    def _masked_params(self, masks: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        params = dict(self._params)
        for n, m in masks.items():
            params[f"{n}.weight"] = params[f"{n}.weight"] * m
        return params

    def accuracy_at(self, n_pruned: int, split: str = "val") -> float:
        x, y = (self.x_val, self.y_val) if split == "val" else self.dataset.tensors(split)
        return evaluate(self.model, x, y, self._masked_params(self.masks_for(n_pruned)))

    # the curve, computed once
    def curve(self, progress=None) -> Curve:
        if self._curve is None:
            counts = sparsity_grid(self.total)
            accs = []
            for i, c in enumerate(counts):
                accs.append(self.accuracy_at(int(c)))
                if progress is not None:
                    progress(i + 1, len(counts))
            self._curve = Curve(counts, np.array(accs), self.total)
        return self._curve

    def lookup(self, min_accuracy: float) -> dict:
        """What the slider shows: the grid point for this floor, no evaluation (fast). Sizes and
        test accuracy per grid point come from ``pruning.grid.plan_with_grid``, computed once."""
        c = self.curve()
        i = max(c.last_ok_index(min_accuracy), 0)
        n = int(c.counts[i])
        return {
            "sparsity": n / self.total,
            "pruned_weights": n,
            "kept_weights": self.total - n,
            "val_accuracy": float(c.val_accuracy[i]),
            "floor_met": c.last_ok_index(min_accuracy) >= 0,
        }

    def count_for_floor(self, min_accuracy: float) -> tuple[int, bool]:
        """Exact number of weights to prune: grid, then bisection between the bracketing points."""
        c = self.curve()
        i = c.last_ok_index(min_accuracy)
        if i < 0:
            return 0, False
        if i == len(c.counts) - 1:
            return int(c.counts[i]), True
        lo, hi = int(c.counts[i]), int(c.counts[i + 1])
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.accuracy_at(mid) >= min_accuracy - 1e-9:
                lo = mid
            else:
                hi = mid
        return lo, True

    def prune(self, min_accuracy: float, n_pruned: int | None = None) -> PruneResult:
        floor_met = True
        if n_pruned is None:
            n_pruned, floor_met = self.count_for_floor(min_accuracy)
        masks = self.masks_for(n_pruned)
        pruned = self.apply(n_pruned)
        x_te, y_te = self.dataset.tensors("test")
        per_layer = {}
        for n, m in masks.items():
            total = m.numel()
            kept = int(m.sum())
            per_layer[n] = {"total": total, "pruned": total - kept, "sparsity": (total - kept) / total}
        return PruneResult(
            method=self.method,
            min_accuracy=min_accuracy,
            n_pruned=n_pruned,
            total_weights=self.total,
            val_accuracy=evaluate(pruned, self.x_val, self.y_val),
            test_accuracy=evaluate(pruned, x_te, y_te),
            dense_val_accuracy=self.dense_val_accuracy,
            dense_test_accuracy=self.dense_test_accuracy,
            per_layer=per_layer,
            masks=masks,
            size=size_report(self.model, self.dataset, masks),
            floor_met=floor_met,
            model=pruned,
        )

    def apply(self, n_pruned: int) -> nn.Module:
        """A pruned copy of the model, the PyTorch way: one global_unstructured call with our
        ranks as importance scores, then prune.remove to make the zeros permanent."""
        import copy

        pruned = copy.deepcopy(self.model)
        layers = prunable_layers(pruned)
        ranks = torch.split(self.rank.double() + 1.0, self.sizes)
        scores = {(layers[n], "weight"): r.reshape(self.shapes[n]) for n, r in zip(self.names, ranks)}
        prune.global_unstructured(
            list(scores), pruning_method=prune.L1Unstructured, importance_scores=scores, amount=int(n_pruned)
        )
        for module, name in scores:
            prune.remove(module, name)
        return pruned

