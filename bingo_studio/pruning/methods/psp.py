"""PSP, probability-of-selection pruning (Bich et al.) for MAM layers.

Over the training data, count how often each connection of a MAM layer is its output's argmax
or argmin: connections that are never or rarely selected hardly ever reach the output, so they go
first. The score is the share of its output's selections a connection takes (count / (2 n)),
which sums to 1 over each output's inputs.

Ordinary layers in the same model (the dense output layer) get the same kind of number, so one
global order can mix them: a connection's mean share of its output's absolute contributions,
``|w_ji x_i| / sum_i |w_ji x_i|``, which also sums to 1 per output. A model with no MAM layer is
pruned by that share alone (say so in the label: it is not PSP proper).
"""

from __future__ import annotations

import torch
from torch import nn

from bingo_studio.models.mam import MAMLinear, selection_counts
from bingo_studio.pruning.methods.base import PruningMethod

BATCH = 512


@torch.no_grad()
def layer_inputs(model: nn.Module, x: torch.Tensor, names: list[str]) -> dict[str, list[torch.Tensor]]:
    """The inputs each named layer sees on x (in batches), recorded by forward hooks."""
    mods = dict(model.named_modules())
    seen: dict[str, list[torch.Tensor]] = {n: [] for n in names}
    hooks = [mods[n].register_forward_hook(lambda m, a, out, n=n: seen[n].append(a[0].detach())) for n in names]
    was_training = model.training
    model.eval()
    try:
        for b in range(0, len(x), BATCH):
            model(x[b : b + BATCH])
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return seen


@torch.no_grad()
def selection_share(model: nn.Module, x: torch.Tensor, layers: dict[str, nn.Module]) -> dict[str, torch.Tensor]:
    """Per prunable layer (out, in): PSP's selection share for MAM layers, the mean absolute
    contribution share for ordinary ones."""
    inputs = layer_inputs(model, x, list(layers))
    out = {}
    for name, layer in layers.items():
        w = layer.weight.detach()
        total = torch.zeros(w.shape, dtype=torch.float64)
        n = 0
        for xb in inputs[name]:
            n += len(xb)
            if isinstance(layer, MAMLinear):
                total += selection_counts(xb, w)
            else:
                eff = (w if not hasattr(layer, "binary_weight") else layer.binary_weight()).abs()
                step = max(1, (1 << 22) // w.numel())
                for c in range(0, len(xb), step):
                    contrib = (xb[c : c + step].abs().unsqueeze(1) * eff.unsqueeze(0)).double()  # (b, out, in)
                    total += (contrib / contrib.sum(-1, keepdim=True).clamp_min(1e-30)).sum(0)
        norm = 2.0 * n if isinstance(layer, MAMLinear) else float(n)
        out[name] = (total / max(norm, 1.0)).float()
    return out


class ProbabilityOfSelection(PruningMethod):
    def importance(self, run, order: str = "intent", seed: int = 0):
        x, _ = run.get_dataset().tensors("train")
        return selection_share(run.model, x, run.layers)

    def label(self, run, order: str = "intent") -> str:
        has_mam = any(isinstance(m, MAMLinear) for m in run.layers.values())
        return "psp" if has_mam else "psp (contribution share: no MAM layer)"


METHODS = (
    ProbabilityOfSelection(
        "psp", "probability of selection: MAM connections least often the argmax/argmin go first"
    ),
)
