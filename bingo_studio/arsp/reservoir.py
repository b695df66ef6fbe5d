"""ARSP's per-layer reservoirs: which connections a layer keeps, sampled by the source's formula.

A connection is kept with probability proportional to ``(|w| / sum|w in layer|) * 1 / |dL/dw|``.
The division is guarded: |dL/dw| is taken at least ``rel_guard`` times the layer's mean |dL/dw|
(and at least ``abs_guard``), so a weight with a vanishing gradient gets a large but finite share
instead of all of it. A layer's reservoir of size k is drawn without replacement with these
weights by the Efraimidis-Spirakis key ``log(u) / p`` (the k largest keys win), i.e. weighted
reservoir sampling; a weight that is already 0 (pruned) has p = 0 and is never drawn.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def keep_probabilities(
    weight: torch.Tensor, grad: torch.Tensor, rel_guard: float = 1e-3, abs_guard: float = 1e-12
) -> torch.Tensor:
    """Per-connection keep weights of one layer (shaped like ``weight``), normalised to sum 1."""
    w = weight.detach().abs().double()
    g = grad.detach().abs().double()
    guard = max(abs_guard, rel_guard * float(g.mean())) if g.numel() else abs_guard
    share = w / w.sum().clamp_min(1e-300)
    p = share / g.clamp_min(guard)
    total = p.sum()
    return (p / total if total > 0 else p).float()


def sample_reservoir(p: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor:
    """A bool mask shaped like ``p`` keeping ``k`` connections drawn without replacement by weight p."""
    flat = p.reshape(-1).double()
    k = int(max(0, min(k, int((flat > 0).sum()))))
    mask = torch.zeros(flat.shape, dtype=torch.bool)
    if k > 0:
        u = torch.rand(flat.shape, generator=generator, dtype=torch.float64).clamp_min(1e-300)
        keys = torch.where(flat > 0, u.log() / flat.clamp_min(1e-300), torch.full_like(flat, -torch.inf))
        mask[torch.topk(keys, k).indices] = True
    return mask.reshape(p.shape)


def loss_gradients(
    model: nn.Module, layers: dict[str, nn.Module], x: torch.Tensor, y: torch.Tensor, batch: int = 512
) -> dict[str, torch.Tensor]:
    """dL/dw of the mean cross-entropy over (x, y) for every prunable layer's weight."""
    grads = {n: torch.zeros_like(m.weight) for n, m in layers.items()}
    was_training = model.training
    model.eval()
    try:
        for b in range(0, len(y), batch):
            model.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x[b : b + batch]), y[b : b + batch], reduction="sum") / len(y)
            loss.backward()
            for n, m in layers.items():
                if m.weight.grad is not None:
                    grads[n] += m.weight.grad.detach()
    finally:
        model.zero_grad(set_to_none=True)
        model.train(was_training)
    return grads
