"""MAM layers (Multiply-And-Max/Min, Bich et al.): y_j = max_i(w_ji x_i) + min_i(w_ji x_i) + b_j.

A pruned connection is a weight of exactly 0, and it is *absent*: it takes no part in the max or
the min (a 0 product would otherwise compete and win whenever all surviving products are negative
or all positive). Zero-as-absent is what every other part of the studio already produces: the
pruning plan evaluates ``weight * mask`` through ``functional_call``, ``PruningPlan.apply`` and
the training loop's masks write zeros, and the firmware stores only nonzero weights. A trained
float weight that is exactly 0.0 does not occur in practice. An output with no surviving
connection gives just its bias.

The reduction picks two connections per output and sample; the gradient flows to exactly those
(the argmax and the argmin), like max-pooling. Winners are found without autograd in batch
chunks (the (batch, out, in) products would not fit for MNIST-sized layers), then the output is
rebuilt from the two gathered products so autograd sees only (batch, out) tensors.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from bingo_studio.models.mlp import MLP

CHUNK_ELEMENTS = 1 << 22  # products materialised at once while searching for the winners
SPARSE_SHARE = 0.6  # a pruned layer whose fullest row keeps less than this share gathers its columns


@torch.no_grad()
def mam_winners(x: torch.Tensor, weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices (batch, out) of the argmax and argmin input of every output over present weights."""
    absent = weight == 0
    masked = bool(absent.any())  # dense layers (all of training) skip the two fills
    n_out, n_in = weight.shape
    counts = (~absent).sum(1)
    kmax = int(counts.max()) if n_out else 0
    if masked and 0 < kmax < SPARSE_SHARE * n_in:
        return _sparse_winners(x, weight, counts, kmax)
    step = max(1, CHUNK_ELEMENTS // max(1, n_out * n_in))
    imax, imin = [], []
    for c in range(0, x.shape[0], step):
        p = x[c : c + step, None, :] * weight[None]  # (c, out, in)
        imax.append((p.masked_fill(absent, -math.inf) if masked else p).argmax(-1))
        imin.append((p.masked_fill(absent, math.inf) if masked else p).argmin(-1))
    if not imax:  # empty batch
        empty = torch.zeros(0, n_out, dtype=torch.long)
        return empty, empty
    return torch.cat(imax), torch.cat(imin)


def _sparse_winners(x: torch.Tensor, weight: torch.Tensor, counts: torch.Tensor, kmax: int):
    """mam_winners for a pruned layer: each row's present columns gathered first (padded to the
    longest row), so the products of pruned connections are never formed."""
    n_out = weight.shape[0]
    order = torch.argsort((weight == 0).to(torch.int8), dim=1, stable=True)[:, :kmax]  # present columns first
    wk = weight.gather(1, order)
    pad = torch.arange(kmax).unsqueeze(0) >= counts.unsqueeze(1)  # (out, kmax) padding slots
    step = max(1, CHUNK_ELEMENTS // max(1, n_out * kmax))
    imax, imin = [], []
    for c in range(0, x.shape[0], step):
        xc = x[c : c + step]
        p = xc[:, order] * wk  # (c, out, kmax)
        cols = order.unsqueeze(0).expand(len(xc), -1, -1)
        imax.append(cols.gather(2, p.masked_fill(pad, -math.inf).argmax(-1, keepdim=True)).squeeze(-1))
        imin.append(cols.gather(2, p.masked_fill(pad, math.inf).argmin(-1, keepdim=True)).squeeze(-1))
    if not imax:
        empty = torch.zeros(0, n_out, dtype=torch.long)
        return empty, empty
    return torch.cat(imax), torch.cat(imin)


def mam_forward(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    imax, imin = mam_winners(x, weight)
    rows = torch.arange(weight.shape[0]).unsqueeze(0)
    y = weight[rows, imax] * x.gather(1, imax) + weight[rows, imin] * x.gather(1, imin)
    y = y * (weight != 0).any(1).to(y.dtype)  # an output without connections gives only its bias
    return y if bias is None else y + bias


class MAMLinear(nn.Module):
    """A fully connected layer with the max + min reduction; prunable like nn.Linear."""

    prunable = True  # picked up by bingo_studio.models.prunable_layers
    kind = "mam"

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.bias = nn.Parameter(torch.empty(out_features)) if bias else None
        self.dense_share = 0.0  # vanishing contributions: share of the ordinary sum blended in
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # nn.Linear's init: only two products per output survive the reduction, so no fan-in
        # variance argument applies; this keeps outputs on the scale of an ordinary layer's.
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = mam_forward(x, self.weight, self.bias)
        a = self.dense_share
        if a > 0.0:  # only while training (see MAMMLP.on_train_step); the trained layer is pure MAM
            y = (1.0 - a) * y + a * nn.functional.linear(x, self.weight, self.bias)
        return y

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


@torch.no_grad()
def selection_counts(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """How often each connection (out, in) is its output's argmax or argmin over the rows of x
    (PSP's statistic; a connection that is both for one sample counts twice)."""
    imax, imin = mam_winners(x, weight)
    n_out, n_in = weight.shape
    flat = torch.arange(n_out).unsqueeze(0) * n_in
    idx = torch.cat([(flat + imax).reshape(-1), (flat + imin).reshape(-1)])
    counts = torch.bincount(idx, minlength=n_out * n_in).to(torch.float64)
    counts = counts.reshape(n_out, n_in)
    counts[weight == 0] = 0.0  # an absent connection is never selected (all-absent rows give index 0)
    return counts


class MAMMLP(MLP):
    """The MLP with MAM hidden layers and an ordinary output layer (as in Bich et al., where the
    classifier's last layer stays a plain dense layer). Names stay fc0, act0, ..., fcN."""

    family = "mam"
    # Vanishing contributions (Bich et al.): training starts as an ordinary MLP and blends into
    # pure MAM by this share of the steps. Measured on digits-tiny, 20 epochs, lr 1e-2: 94% val
    # accuracy against 87% trained as MAM from the first step (81% vs 71% at lr 1e-3).
    vanish_fraction = 0.5

    def __init__(self, n_features: int, hidden: list[int], n_classes: int, activation: str = "relu"):
        super().__init__(n_features, hidden, n_classes, activation)
        for i, (n_in, n_out) in enumerate(zip(self.widths[:-2], self.widths[1:-1])):
            setattr(self, f"fc{i}", MAMLinear(n_in, n_out))

    def on_train_step(self, step: int, total_steps: int) -> None:
        """Called by the training loop after each optimizer step (step counts from 1)."""
        share = max(0.0, 1.0 - step / max(1.0, self.vanish_fraction * total_steps))
        for m in self.modules():
            if isinstance(m, MAMLinear):
                m.dense_share = share
