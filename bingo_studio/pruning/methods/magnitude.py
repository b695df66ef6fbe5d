"""One-shot magnitude pruning after training (GMP: compared over the whole network)."""

from __future__ import annotations

from bingo_studio.pruning.methods.base import PruningMethod


class GlobalMagnitude(PruningMethod):
    def importance(self, run, order: str = "intent"):
        return {n: m.weight.detach().abs() for n, m in run.layers.items()}


METHODS = (GlobalMagnitude("gmp", "global magnitude |w|, one shot after training"),)
