"""Pruning plans: order weights by importance, trace accuracy against sparsity, cut at a floor."""

from bingo_studio.pruning.plan import Curve, PruneResult, PruningPlan

__all__ = ["Curve", "PruneResult", "PruningPlan"]
