"""One-shot scores after training (Bich): GMP, LMP, GGMP, LGMP and RP.

G- variants compare scores over the whole network, L- variants within each layer (every layer
pruned by the same share). The gradient variants use the mean gradient the default estimator
collected over the second half of training.
"""

from __future__ import annotations

import torch

from bingo_studio.pruning.methods.base import PruningMethod, layerwise, scorer_attr


class Magnitude(PruningMethod):
    def importance(self, run, order: str = "intent", seed: int = 0):
        scores = {n: m.weight.detach().abs() for n, m in run.layers.items()}
        return layerwise(scores) if self.per_layer else scores


class GradientMagnitude(PruningMethod):
    def importance(self, run, order: str = "intent", seed: int = 0):
        grad_sum = scorer_attr(run, "grad_sum", self.name)
        steps = max(float(run.scorer.grad_steps), 1.0)
        mean_grad = run.scorer.split(grad_sum / steps)
        scores = {n: (m.weight.detach() * mean_grad[n]).abs() for n, m in run.layers.items()}
        return layerwise(scores) if self.per_layer else scores


class RandomScores(PruningMethod):
    def importance(self, run, order: str = "intent", seed: int = 0):
        g = torch.Generator().manual_seed(1000 + seed)
        return {n: torch.rand(m.weight.shape, generator=g) for n, m in run.layers.items()}

    def label(self, run, order: str = "intent") -> str:
        return "rp"


METHODS = (
    Magnitude("gmp", "global magnitude |w|, one shot after training"),
    Magnitude("lmp", "layer-wise magnitude |w|: every layer pruned by the same share", per_layer=True),
    GradientMagnitude("ggmp", "global |w * mean gradient| (mean over the second half of training)"),
    GradientMagnitude("lgmp", "layer-wise |w * mean gradient|", per_layer=True),
    RandomScores("rp", "random pruning of the trained network (seeded)"),
)
