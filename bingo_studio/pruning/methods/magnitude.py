"""One-shot scores after training (Bich): GMP, LMP, GGMP, LGMP and RP.

G- variants compare scores over the whole network, L- variants within each layer (every layer
pruned by the same share). The gradient variants use the mean gradient the default estimator
collected after the first quarter of training.
"""

from __future__ import annotations

from bingo_studio.pruning import importance
from bingo_studio.pruning.methods.base import PruningMethod


class Magnitude(PruningMethod):
    def importance(self, run, order: str = "intent", seed: int = 0):
        scores = importance.magnitude(run.layers)
        return importance.per_layer_ranks(scores) if self.per_layer else scores


class GradientMagnitude(PruningMethod):
    def importance(self, run, order: str = "intent", seed: int = 0):
        scores = importance.gradient_magnitude(run, self.name)
        return importance.per_layer_ranks(scores) if self.per_layer else scores


class RandomScores(PruningMethod):
    def importance(self, run, order: str = "intent", seed: int = 0):
        return importance.random_scores(run.layers, seed)

    def label(self, run, order: str = "intent") -> str:
        return "rp"


METHODS = (
    Magnitude("gmp", "global magnitude |w|, one shot after training"),
    Magnitude("lmp", "layer-wise magnitude |w|: every layer pruned by the same share", per_layer=True),
    GradientMagnitude("ggmp", "global |w * mean gradient| (mean after the first quarter of training)"),
    GradientMagnitude("lgmp", "layer-wise |w * mean gradient|", per_layer=True),
    RandomScores("rp", "random pruning of the trained network (seeded)"),
)
