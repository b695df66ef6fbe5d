"""The lottery-ticket search: reset random weight subsets in a throw-away evaluation.

After every n-th optimizer step (ScoringConfig.every, times the estimator's own stride) BINGO
resets K random subsets of the prunable weights to their initial values (or to zero) and
measures the model on a validation batch. Only the subset's weights change, so each reset copy
differs from the real model by a sparse delta: we run the real model once and add each subset's
delta as a gather + index_add, evaluating all K copies in one batched pass instead of K forwards
of the whole network.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class SearchResult:
    """One step's searches: K subsets of global weight indices and the metrics with them reset."""

    subsets: torch.Tensor  # (K, m) int64, indices into the flat vector of all prunable weights
    accuracy_before: float
    accuracy_after: torch.Tensor  # (K,)
    loss_before: float
    loss_after: torch.Tensor  # (K,)
    margin_before: float
    margin_after: torch.Tensor  # (K,)


def _metrics(
    logits: torch.Tensor, y: torch.Tensor, accuracy_only: bool = False
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Accuracy, cross-entropy and mean correct-class margin over the last two dims (..., B, C)."""
    acc = (logits.argmax(-1) == y).to(logits.dtype).mean(-1)
    if accuracy_only:  # the paper's estimator needs nothing else; skip the softmax
        nan = torch.full_like(acc, float("nan"))
        return acc, nan, nan
    flat = logits.reshape(-1, logits.shape[-1])
    loss = F.cross_entropy(flat, y.repeat(flat.shape[0] // y.shape[0]), reduction="none")
    loss = loss.reshape(logits.shape[:-1]).mean(-1)
    correct = logits.gather(-1, y.expand(logits.shape[:-1]).unsqueeze(-1)).squeeze(-1)
    others = logits.scatter(-1, y.expand(logits.shape[:-1]).unsqueeze(-1), float("-inf")).amax(-1)
    return acc, loss, (correct - others).mean(-1)


class SubsetSampler:
    """Random subsets taken as consecutive chunks of a shuffled order of all weights.

    Chunks of one permutation are disjoint, so every weight is reset equally often and the K
    subsets of one step never overlap (their score updates commute); a fresh permutation is
    drawn when one is used up. Cheaper than a randperm per search on 100k-weight models.
    """

    def __init__(self, n_weights: int, subset_size: int, generator: torch.Generator):
        self.n = n_weights
        self.m = max(1, min(subset_size, n_weights))
        self.gen = generator
        self.perm = torch.randperm(self.n, generator=self.gen)
        self.pos = 0

    def take(self, k: int) -> torch.Tensor:
        need = k * self.m
        if need > self.n:
            raise ValueError("searches_per_step x subset size exceeds the number of weights")
        if self.pos + need > self.n:
            self.perm = torch.randperm(self.n, generator=self.gen)
            self.pos = 0
        chunk = self.perm[self.pos : self.pos + need]
        self.pos += need
        return chunk.view(k, self.m)


class LotteryTicketSearch:
    """Evaluates K reset copies of an MLP-like nn.Sequential on a fixed evaluation batch."""

    def __init__(
        self,
        model: nn.Sequential,
        layers: dict[str, nn.Module],
        init_weights: dict[str, torch.Tensor],
        reset_to: str = "init",
        accuracy_only: bool = False,
    ):
        if reset_to not in ("init", "zero"):
            raise ValueError("reset_to is 'init' or 'zero'")
        self.model = model
        self.names = list(layers)
        self.layers = layers
        self.reset_to = reset_to
        self.accuracy_only = accuracy_only
        self.init_flat = {n: init_weights[n].reshape(-1) for n in self.names}
        sizes = [layers[n].weight.numel() for n in self.names]
        self.offsets = torch.tensor([0, *torch.tensor(sizes).cumsum(0).tolist()])
        self.n_weights = int(self.offsets[-1])
        # the batched sparse-delta pass needs plain Linear layers; other prunable layers (MAM,
        # binary) take the per-subset functional_call path, which works for any layer
        self.batched = all(type(m) is nn.Linear for m in layers.values())

    def _split(self, subsets: torch.Tensor):
        """Per layer: (subset id, local flat index) of the chosen weights."""
        k_ids = torch.arange(subsets.shape[0]).unsqueeze(1).expand_as(subsets).reshape(-1)
        flat = subsets.reshape(-1)
        layer_of = torch.bucketize(flat, self.offsets[1:], right=True)
        out = {}
        for li, name in enumerate(self.names):
            sel = layer_of == li
            out[name] = (k_ids[sel], flat[sel] - self.offsets[li])
        return out

    @torch.no_grad()
    def run(self, subsets: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> SearchResult:
        if not self.batched:
            return self.run_reference(subsets, x, y)
        # Activations are kept transposed, (width, B) shared or (K, width, B) per copy, so that
        # each copy's sparse delta is one sparse x dense matmul: delta_out = D @ h.
        k = subsets.shape[0]
        parts = self._split(subsets)
        base = x.T.contiguous()
        h = base
        shared = True
        for name, module in self.model.named_children():
            if name not in self.layers:
                base = module(base)
                h = module(h)
                continue
            w = module.weight
            kk, local = parts[name]
            n_out, n_in = w.shape
            rows, cols = local // n_in, local % n_in
            if self.reset_to == "init":
                target = self.init_flat[name][local]
            else:
                target = torch.zeros(local.shape, dtype=w.dtype)
            delta = target - w.reshape(-1)[local]
            bias = module.bias.unsqueeze(1) if module.bias is not None else 0.0
            if shared:  # h is still base here: one product serves the real model and every copy
                base = w @ h + bias
                out = base.unsqueeze(0).expand(k, n_out, h.shape[-1]).contiguous()
                d = torch.sparse_coo_tensor(
                    torch.stack([kk * n_out + rows, cols]), delta, (k * n_out, n_in), check_invariants=False
                )
                out.view(k * n_out, -1).add_(torch.sparse.mm(d, h))
            else:
                base = w @ base + bias
                out = torch.matmul(w, h) + bias
                d = torch.sparse_coo_tensor(
                    torch.stack([kk * n_out + rows, kk * n_in + cols]), delta, (k * n_out, k * n_in),
                    check_invariants=False,
                )
                out.view(k * n_out, -1).add_(torch.sparse.mm(d, h.reshape(k * n_in, -1)))
            h = out
            shared = False
        if shared:  # no prunable layer at all
            h = base.unsqueeze(0).expand(k, *base.shape)
        acc_b, loss_b, margin_b = _metrics(base.T, y, self.accuracy_only)
        acc_a, loss_a, margin_a = _metrics(h.transpose(1, 2).contiguous(), y, self.accuracy_only)
        return SearchResult(
            subsets, float(acc_b), acc_a, float(loss_b), loss_a, float(margin_b), margin_a
        )

    @torch.no_grad()
    def run_reference(self, subsets: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> SearchResult:
        """One full forward per subset with the weights really reset: the slow, obvious version,
        and the path for layers that are not nn.Linear (MAM, binary)."""
        params = dict(self.model.named_parameters())
        acc_b, loss_b, margin_b = _metrics(torch.func.functional_call(self.model, params, (x,)), y)
        accs, losses, margins = [], [], []
        for subset in subsets:
            reset = dict(params)
            for name, (_, local) in self._split(subset.unsqueeze(0)).items():
                w = params[f"{name}.weight"].detach().clone().reshape(-1)
                w[local] = self.init_flat[name][local] if self.reset_to == "init" else 0.0
                reset[f"{name}.weight"] = w.view_as(params[f"{name}.weight"])
            a, lo, ma = _metrics(torch.func.functional_call(self.model, reset, (x,)), y)
            accs.append(a)
            losses.append(lo)
            margins.append(ma)
        return SearchResult(
            subsets, float(acc_b), torch.stack(accs), float(loss_b), torch.stack(losses),
            float(margin_b), torch.stack(margins),
        )
