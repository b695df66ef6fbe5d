"""Binary weights (BinaryConnect, Courbariaux et al.): the forward pass uses sign(latent) x scale.

Each layer keeps a real-valued latent weight (what the optimizer updates and what magnitude-style
pruning ranks) and a learned positive scale per output row. The forward pass sees
``sign(w_ji) * scale_j``; the backward pass passes the gradient straight through the sign
(the straight-through estimator). Activations stay real (ReLU), as in BinaryConnect.

A pruned weight is a latent 0, and ``sign(0) = 0``: it contributes nothing, so masks written as
zeros (the pruning plan's ``weight * mask``, the training loop's masks) work unchanged. On the
board a surviving weight is one bit (its sign) and a row costs one float scale.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from bingo_studio.models.mlp import MLP


def ste_sign(w: torch.Tensor) -> torch.Tensor:
    """sign(w) forward, identity backward (the straight-through estimator)."""
    return w + (torch.sign(w) - w).detach()


class BinaryLinear(nn.Module):
    prunable = True  # picked up by bingo_studio.models.prunable_layers
    kind = "binary"

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        ref = nn.Linear(in_features, out_features, bias=bias)  # the usual init for the latents
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(ref.weight.detach().clone())
        # the scale starts at the row's mean |w| so sign(w) * scale has the latent layer's magnitude
        self.scale = nn.Parameter(ref.weight.detach().abs().mean(1))
        self.bias = nn.Parameter(ref.bias.detach().clone()) if bias else None

    def binary_weight(self, weight: torch.Tensor | None = None) -> torch.Tensor:
        w = self.weight if weight is None else weight
        return ste_sign(w) * self.scale.unsqueeze(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.binary_weight(), self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class BinaryMLP(MLP):
    """Every layer binary, the output layer included (so the whole model is one bit a weight)."""

    family = "binary"

    def __init__(self, n_features: int, hidden: list[int], n_classes: int, activation: str = "relu"):
        super().__init__(n_features, hidden, n_classes, activation)
        for i, (n_in, n_out) in enumerate(zip(self.widths[:-1], self.widths[1:])):
            setattr(self, f"fc{i}", BinaryLinear(n_in, n_out))
