"""The one place scores become masks: drop the lowest-scoring surviving weights, globally or per layer.

Scores are per layer, shaped like the weights, higher = keep. Masks are boolean (True = kept) and
nested: a weight already pruned stays pruned.
"""

from __future__ import annotations

import torch


def flatten(tensors: dict[str, torch.Tensor]) -> torch.Tensor:
    return torch.cat([t.reshape(-1) for t in tensors.values()])


def unflatten(flat: torch.Tensor, like: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    parts = torch.split(flat, [t.numel() for t in like.values()])
    return {n: p.reshape(t.shape) for (n, t), p in zip(like.items(), parts)}


def _drop_lowest(scores: torch.Tensor, keep: torch.Tensor, k: int) -> torch.Tensor:
    """``keep`` without its ``k`` lowest-scoring survivors (exact count, stable on ties)."""
    if k <= 0:
        return keep.clone()
    # NaN ranks last among the survivors (as a stable sort puts it), the pruned after them
    ranked = torch.where(keep, torch.nan_to_num(scores.double(), nan=torch.finfo(torch.float64).max), torch.inf)
    # the k-th value and a scan of the ties give a stable sort's first k without sorting everything
    threshold = torch.kthvalue(ranked, k).values
    drop = ranked < threshold
    ties = torch.nonzero(ranked == threshold).flatten()[: k - int(drop.sum())]
    drop[ties] = True
    return keep & ~drop


def prune_lowest(
    scores: dict[str, torch.Tensor],
    masks: dict[str, torch.Tensor],
    *,
    fraction: float | None = None,
    total_pruned: int | None = None,
    per_layer: bool = False,
) -> dict[str, torch.Tensor]:
    """New nested masks: remove ``fraction`` of the survivors (of each layer's, with ``per_layer``), or
    prune globally until ``total_pruned`` weights are gone in all."""
    if (fraction is None) == (total_pruned is None):
        raise ValueError("give exactly one of fraction and total_pruned")
    if per_layer:
        if fraction is None:
            raise ValueError("per_layer pruning takes a fraction of each layer's survivors")
        return {
            n: _drop_lowest(scores[n].reshape(-1), m.reshape(-1), int(round(fraction * int(m.sum())))).reshape(m.shape)
            for n, m in masks.items()
        }
    keep = flatten(masks).bool()
    k = int(round(fraction * int(keep.sum()))) if fraction is not None else total_pruned - int((~keep).sum())
    return unflatten(_drop_lowest(flatten({n: scores[n] for n in masks}), keep, k), masks)


def ones_like_weights(layers: dict[str, torch.nn.Module]) -> dict[str, torch.Tensor]:
    return {n: torch.ones_like(m.weight, dtype=torch.bool) for n, m in layers.items()}


@torch.no_grad()
def apply_masks(layers: dict[str, torch.nn.Module], masks: dict[str, torch.Tensor]) -> None:
    """Zero the pruned weights in place."""
    for name, mask in masks.items():
        layers[name].weight.mul_(mask.to(layers[name].weight.dtype))


def sparsity(masks: dict[str, torch.Tensor]) -> float:
    total = sum(m.numel() for m in masks.values())
    return 1.0 - sum(int(m.sum()) for m in masks.values()) / total
