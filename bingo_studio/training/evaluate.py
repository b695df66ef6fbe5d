"""Accuracy of a model on a split: what every curve, floor and metric is measured with."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, params: dict | None = None) -> float:
    """Accuracy of ``model`` (optionally with replacement parameters) on (x, y)."""
    if params is None:
        logits = model(x)
    else:
        logits = torch.func.functional_call(model, params, (x,))
    return _accuracy(logits, y)


@torch.no_grad()
def accuracy_and_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Accuracy and mean cross-entropy of ``model`` on (x, y), from one forward pass."""
    logits = model(x)
    return _accuracy(logits, y), float(F.cross_entropy(logits, y))


def _accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    return float((logits.argmax(1) == y).float().mean())
