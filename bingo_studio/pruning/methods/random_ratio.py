"""Random pruning with layer-wise ratios fixed before training (Reddy, Vaddiraju, Datta).

Each layer keeps a share of its weights decided before training (uniform, ERK or SNIP's ratio),
at random positions; the masked network is trained from its initialisation. The sparsity that
meets the floor is not known in advance, so it is bisected: each probe is one full training run,
and the number of runs is reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch.nn import functional as F

from bingo_studio.models import build_model, prunable_layers
from bingo_studio.pruning.methods.base import (
    MethodResult,
    TrainingMethod,
    mask_sparsity,
    masked_accuracy,
    plain_config,
    sub_state,
)
from bingo_studio.training import Progress, TaskState, train


def erk_densities(shapes: dict[str, tuple[int, ...]], density: float) -> dict[str, float]:
    """Erdos-Renyi-Kernel: density of a layer proportional to sum(dims) / prod(dims), scaled so the
    whole network keeps ``density`` of its weights; layers that would exceed 1 are kept dense and
    the rest rescaled (as in RigL's implementation)."""
    sizes = {n: int(torch.tensor(s).prod()) for n, s in shapes.items()}
    raw = {n: sum(s) / sizes[n] for n, s in shapes.items()}
    keep_total = density * sum(sizes.values())
    dense: set[str] = set()
    while True:
        rest = [n for n in shapes if n not in dense]
        budget = keep_total - sum(sizes[n] for n in dense)
        eps = budget / sum(raw[n] * sizes[n] for n in rest) if rest else 0.0
        over = [n for n in rest if eps * raw[n] > 1.0]
        if not over:
            return {n: 1.0 if n in dense else eps * raw[n] for n in shapes}
        dense.update(over)


def snip_counts(cfg, dataset, density: float, batch: int = 256) -> dict[str, int]:
    """Per-layer weights SNIP would keep: the top ``density`` of |w * dL/dw| on one batch at init."""
    torch.manual_seed(cfg.train.seed)  # the same initialisation train() will build
    model = build_model(cfg.model, dataset.n_features, dataset.n_classes)
    x, y = dataset.tensors("train")
    idx = torch.randperm(len(y), generator=torch.Generator().manual_seed(cfg.train.seed))[:batch]
    F.cross_entropy(model(x[idx]), y[idx]).backward()
    layers = prunable_layers(model)
    sens = torch.cat([(m.weight * m.weight.grad).abs().detach().reshape(-1) for m in layers.values()])
    k = int(round(density * len(sens)))
    keep = torch.zeros(len(sens), dtype=torch.bool)
    keep[torch.argsort(sens, descending=True, stable=True)[:k]] = True
    parts = torch.split(keep, [m.weight.numel() for m in layers.values()])
    return {n: int(p.sum()) for n, p in zip(layers, parts)}


def random_masks(shapes: dict[str, tuple[int, ...]], counts: dict[str, int], seed: int) -> dict[str, torch.Tensor]:
    """``counts[n]`` weights kept at random positions in each layer."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for n, shape in shapes.items():
        size = int(torch.tensor(shape).prod())
        keep = torch.zeros(size, dtype=torch.bool)
        keep[torch.randperm(size, generator=g)[: counts[n]]] = True
        out[n] = keep.reshape(shape)
    return out


@dataclass(frozen=True)
class RandomRatio(TrainingMethod):
    ratio: str = "uniform"  # uniform, erk, snip
    runs: int = 5  # training runs the sparsity bisection may use

    def layer_counts(self, cfg, dataset, shapes, sparsity: float) -> dict[str, int]:
        sizes = {n: int(torch.tensor(s).prod()) for n, s in shapes.items()}
        density = 1.0 - sparsity
        if self.ratio == "uniform":
            return {n: int(round(density * sizes[n])) for n in shapes}
        if self.ratio == "erk":
            d = erk_densities(shapes, density)
            return {n: min(sizes[n], int(round(d[n] * sizes[n]))) for n in shapes}
        if self.ratio == "snip":
            return snip_counts(cfg, dataset, density)
        raise ValueError(f"unknown ratio '{self.ratio}'")

    def masks(self, cfg, dataset, sparsity: float, seed: int | None = None) -> dict[str, torch.Tensor]:
        model = build_model(cfg.model, dataset.n_features, dataset.n_classes)
        shapes = {n: tuple(m.weight.shape) for n, m in prunable_layers(model).items()}
        counts = self.layer_counts(cfg, dataset, shapes, sparsity)
        return random_masks(shapes, counts, cfg.train.seed if seed is None else seed)

    def run(self, cfg, dataset, min_accuracy, state=None, base_run=None) -> MethodResult:
        state = state or TaskState()
        plain = plain_config(cfg)
        start = time.perf_counter()
        lo, hi = 0.0, 1.0
        best, points, used = None, [], 0
        for i in range(self.runs):
            if state.cancelled:
                break
            s = (lo + hi) / 2
            masks = self.masks(cfg, dataset, s)
            run = train(plain, dataset, sub_state(state, i / self.runs, (i + 1) / self.runs,
                                                  f"{self.name}: training at {s:.1%}"), masks=masks)
            used += 1
            val, test = masked_accuracy(run)
            points.append((mask_sparsity(masks), val))
            state.report(Progress(self.name, (i + 1) / self.runs, f"{s:.1%} pruned: validation {val:.2%}",
                                  val_accuracy=val, elapsed=time.perf_counter() - start))
            if run.status == "cancelled":
                break
            if val >= min_accuracy - 1e-9:
                lo, best = s, (masks, val, test)
            else:
                hi = s
        met = best is not None
        if best is None:  # no probe met the floor: the dense network (trained elsewhere) is the answer
            dense = self.masks(cfg, dataset, 0.0)
            val = base_run.metrics["dense_val_accuracy"] if base_run else float("nan")
            test = base_run.metrics["dense_test_accuracy"] if base_run else float("nan")
            best = (dense, val, test)
        m, val, test = best
        return MethodResult(self.name, mask_sparsity(m), val, test, float(used), time.perf_counter() - start,
                            m, met, points, f"sparsity bisected with {used} training runs")


TRAINING_METHODS = (
    RandomRatio("random-uniform", "random mask, the same sparsity in every layer, trained from init"),
    RandomRatio("random-erk", "random mask with Erdos-Renyi-Kernel layer densities, trained from init", "erk"),
    RandomRatio("random-snip", "random mask with SNIP's per-layer ratio (positions random), trained", "snip"),
)
