"""BINGO: the significance the run's estimator gathered during training."""

from __future__ import annotations

from bingo_studio.pruning.methods.base import PruningMethod


class RunEstimator(PruningMethod):
    def importance(self, run, order: str = "intent"):
        return run.scorer.importance(order)

    def label(self, run, order: str = "intent") -> str:
        suffix = "" if order == "intent" else f", {order} order"
        return f"bingo ({run.config.scoring.estimator}{suffix})"


METHODS = (RunEstimator("bingo", "the run's own BINGO significance estimator"),)
