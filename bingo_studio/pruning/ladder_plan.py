"""The slider's plan for a run with a ladder: every point is a stored network (mask AND weights).

Candidate points are the dense network pruned one-shot (the run's ordinary BINGO plan) and every
rung of the ladder, each also pruned one-shot a little further by the significance measured at
that rung (between it and the next rung, and past the last one). The curve is the upper
envelope of all of them: for every point kept, no other candidate is both sparser and at least
as accurate on validation. A floor maps to the sparsest point at or above it; ``prune``,
``apply`` and ``masks_for`` return exactly that point's network, so the slider, ``prune``,
``export`` and the firmware deploy the same weights.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from bingo_studio.pruning.masks import prune_lowest, unflatten
from bingo_studio.pruning.plan import Curve, PruneResult
from bingo_studio.pruning.size import size_report
from bingo_studio.training.loop import evaluate

REFINE_POINTS = 6  # one-shot points between two rungs


@dataclass(frozen=True)
class Source:
    rung: int  # 0: the dense network pruned one-shot by the run's own plan
    pruned: int  # weights pruned in all
    candidate: str = ""  # rung 0 of a plan choosing among estimates: the one this point prunes by


class LadderPlan:
    def __init__(self, run, base_plan, method: str = "bingo (ladder)"):
        self.run = run
        self.base = base_plan
        self.model: nn.Module = run.model
        self.dataset = run.get_dataset()
        self.method = method
        self.rungs = run.ladder.rungs
        self.total = base_plan.total
        self.names = base_plan.names
        self.dense_val_accuracy = base_plan.dense_val_accuracy
        self.dense_test_accuracy = base_plan.dense_test_accuracy
        self.x_val, self.y_val = self.dataset.tensors("val")
        self._curve: Curve | None = None
        self._sources: dict[int, Source] = {}
        self._template = copy.deepcopy(run.model)

    # the networks
    def _network(self, src: Source) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """(masks, parameters) of a candidate point."""
        if src.rung == 0:
            plan = self.base.plans[src.candidate] if src.candidate else self.base
            masks = plan.masks_for(src.pruned)
            params = {k: v.detach() for k, v in self.model.state_dict().items()}
        else:
            rung = self.rungs[src.rung - 1]
            masks = rung.masks
            if src.pruned > rung.pruned:
                masks = prune_lowest(unflatten(rung.importance, rung.masks), rung.masks, total_pruned=src.pruned)
            params = dict(rung.state)
        params = {**params, **{f"{n}.weight": params[f"{n}.weight"] * m for n, m in masks.items()}}
        return masks, params

    def _accuracy(self, src: Source, split: str = "val") -> float:
        x, y = (self.x_val, self.y_val) if split == "val" else self.dataset.tensors(split)
        return evaluate(self.model, x, y, self._network(src)[1])

    def _source(self, n_pruned: int) -> Source:
        """The curve point with the most pruned weights at or under ``n_pruned``."""
        c = self.curve()
        i = max(int(np.searchsorted(c.counts, n_pruned, side="right")) - 1, 0)
        return self._sources[int(c.counts[i])]

    # the curve, computed once
    def curve(self, progress=None) -> Curve:
        if self._curve is not None:
            return self._curve
        points: list[tuple[int, float, Source]] = []
        plans = getattr(self.base, "plans", {"": self.base})  # a SelectedPlan's candidates, each with true accuracy
        n_steps = len(plans) + len(self.rungs)
        for i, (name, plan) in enumerate(plans.items()):
            cb = None if progress is None else (lambda d, t, i=i: progress(i * t + d, n_steps * t))
            c = plan.curve(cb)
            points += [(int(n), float(a), Source(0, int(n), name)) for n, a in zip(c.counts, c.val_accuracy)]
        counts = [r.pruned for r in self.rungs]
        for k, rung in enumerate(self.rungs, 1):
            stop = counts[k] if k < len(counts) else self.total
            extra = np.unique(np.linspace(rung.pruned, stop, REFINE_POINTS + 2).round().astype(int)[1:-1])
            if k == len(counts):  # past the last rung: as far as the ordinary grid goes
                extra = np.unique(np.concatenate([extra, [c for c in plans[next(iter(plans))].curve().counts
                                                          if rung.pruned < c < self.total]]))
            points.append((rung.pruned, rung.val_accuracy, Source(k, rung.pruned)))
            for n in extra.tolist():
                src = Source(k, int(n))
                points.append((int(n), self._accuracy(src), src))
            if progress is not None:
                progress(len(plans) + k, n_steps)
        counts_out, accs_out = [], []
        best = -1.0
        # the envelope: from the sparsest down, a point stays if it beats every sparser one
        for n, a, src in sorted(points, key=lambda p: (-p[0], -p[1])):
            if a > best + 1e-12 and n not in self._sources:
                self._sources[n] = src
                counts_out.append(n)
                accs_out.append(a)
                best = a
        if 0 not in self._sources:  # the dense network stays the curve's first point even when a rung beats it
            self._sources[0] = Source(0, 0, next(iter(plans)) if len(plans) > 1 else "")
            counts_out.append(0)
            accs_out.append(self.dense_val_accuracy)
        self._curve = Curve(np.array(counts_out[::-1], dtype=np.int64), np.array(accs_out[::-1]), self.total)
        return self._curve

    def _index_for(self, min_accuracy: float) -> int:
        """The sparsest curve point at or above the floor (-1: none)."""
        ok = np.nonzero(self.curve().val_accuracy >= min_accuracy - 1e-9)[0]
        return int(ok[-1]) if len(ok) else -1

    # the PruningPlan interface
    def masks_for(self, n_pruned: int) -> dict[str, torch.Tensor]:
        return self._network(self._source(n_pruned))[0]

    def accuracy_at(self, n_pruned: int, split: str = "val") -> float:
        return self._accuracy(self._source(n_pruned), split)

    def lookup(self, min_accuracy: float) -> dict:
        c = self.curve()
        i = self._index_for(min_accuracy)
        n = int(c.counts[max(i, 0)])
        src = self._sources[n]
        return {
            "sparsity": n / self.total,
            "pruned_weights": n,
            "kept_weights": self.total - n,
            "val_accuracy": float(c.val_accuracy[max(i, 0)]),
            "floor_met": i >= 0,
            "rung": src.rung,
        }

    def count_for_floor(self, min_accuracy: float) -> tuple[int, bool]:
        i = self._index_for(min_accuracy)
        return int(self.curve().counts[max(i, 0)]), i >= 0

    def point_parameters(self, n_pruned: int) -> dict[str, torch.Tensor] | None:
        """The parameters of the network at this point when they are its own (a ladder rung), else None."""
        src = self._source(n_pruned)
        return self._network(src)[1] if src.rung > 0 else None

    def apply(self, n_pruned: int) -> nn.Module:
        pruned = copy.deepcopy(self._template)
        pruned.load_state_dict(self._network(self._source(n_pruned))[1])
        pruned.eval()
        return pruned

    def describe(self, n_pruned: int) -> str:
        src = self._source(n_pruned)
        if src.rung == 0:
            by = f" by {src.candidate}" if src.candidate else ""
            return f"{self.method}: the dense network pruned one-shot{by}"
        rung = self.rungs[src.rung - 1]
        more = src.pruned - rung.pruned
        return (f"{self.method}: rung {src.rung} of {len(self.rungs)} (cut by {rung.candidate}, recovered)"
                + (f", {more} more weights pruned one-shot" if more else ""))

    def prune(self, min_accuracy: float, n_pruned: int | None = None) -> PruneResult:
        floor_met = True
        if n_pruned is None:
            n_pruned, floor_met = self.count_for_floor(min_accuracy)
        src = self._source(n_pruned)
        masks, _ = self._network(src)
        model = self.apply(src.pruned)
        x_te, y_te = self.dataset.tensors("test")
        per_layer = {}
        for n, m in masks.items():
            kept = int(m.sum())
            per_layer[n] = {"total": m.numel(), "pruned": m.numel() - kept, "sparsity": (m.numel() - kept) / m.numel()}
        return PruneResult(
            method=self.describe(src.pruned), min_accuracy=min_accuracy, n_pruned=src.pruned,
            total_weights=self.total, val_accuracy=evaluate(model, self.x_val, self.y_val),
            test_accuracy=evaluate(model, x_te, y_te), dense_val_accuracy=self.dense_val_accuracy,
            dense_test_accuracy=self.dense_test_accuracy, per_layer=per_layer, masks=masks,
            size=size_report(model, self.dataset, masks), floor_met=floor_met, model=model,
            own_weights=src.rung > 0,
        )
