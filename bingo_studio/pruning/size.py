"""Model sizes shown next to a pruning result (dense, and the sparse form the firmware stores)."""

from __future__ import annotations

import torch
from torch import nn

from bingo_studio.models import prunable_layers


def size_report(model: nn.Module, masks: dict[str, torch.Tensor] | None = None) -> dict:
    layers = prunable_layers(model)
    weights = sum(m.weight.numel() for m in layers.values())
    params = sum(p.numel() for p in model.parameters())
    kept = weights if masks is None else int(sum(int(m.sum()) for m in masks.values()))
    other = params - weights
    # int8 value + one index byte per kept weight (two when a layer has > 256 inputs), row starts
    # as 16-bit offsets, biases and per-row scales as float32
    sparse = 0
    for name, layer in layers.items():
        n_out, n_in = layer.weight.shape[0], layer.weight.numel() // layer.weight.shape[0]
        nnz = layer.weight.numel() if masks is None else int(masks[name].sum())
        sparse += nnz * (1 + (1 if n_in <= 256 else 2)) + 2 * (n_out + 1) + 4 * n_out
    return {
        "dense_float32_bytes": params * 4,
        "dense_int8_bytes": weights + other * 4,
        "sparse_int8_bytes": sparse + other * 4,
        "kept_weights": kept,
    }
