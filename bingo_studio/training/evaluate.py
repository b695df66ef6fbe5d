"""Accuracy of a model on a split: what every curve, floor and metric is measured with."""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, params: dict | None = None) -> float:
    """Accuracy of ``model`` (optionally with replacement parameters) on (x, y)."""
    if params is None:
        logits = model(x)
    else:
        logits = torch.func.functional_call(model, params, (x,))
    return float((logits.argmax(1) == y).float().mean())
