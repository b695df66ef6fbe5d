"""A trained run in memory: settings, model, initial weights, scorer, history and metrics.

The training loop makes one; bingo_studio.runs writes it to a folder and reads it back (the loop
never imports that module: a run folder is the faces' business).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from bingo_studio.bingo.estimators import Scorer
from bingo_studio.config import RunConfig
from bingo_studio.data.dataset import Dataset
from bingo_studio.models import prunable_layers


@dataclass
class Run:
    config: RunConfig
    model: nn.Module
    initial_state: dict[str, torch.Tensor]
    scorer: Scorer
    dataset: Dataset | None = None
    history: list[dict] = field(default_factory=list)
    status: str = "new"
    train_seconds: float = 0.0
    metrics: dict = field(default_factory=dict)
    masks: dict[str, torch.Tensor] | None = None  # fixed masks the run was trained under, if any
    path: Path | None = None
    extra: dict = field(default_factory=dict)  # saved JSON-able results of later steps (pruning...)
    ladder: object | None = None  # training.ladder.Ladder: the deployable networks grown after training
    # a run folder's copy of its CSV, checked against its sha256 when called (set by runs.load_run)
    saved_csv: Callable[[], Path] | None = None

    def get_dataset(self) -> Dataset:
        if self.dataset is None:
            from bingo_studio.data import load_dataset

            cfg = self.config.dataset
            if cfg.name == "csv" and self.saved_csv is not None:  # the data the run was trained on
                cfg = type(cfg)(**{**vars(cfg), "csv_path": str(self.saved_csv())})
            self.dataset = load_dataset(cfg)
        return self.dataset

    @property
    def epochs_left_to_ladder(self) -> int:
        """The epochs a complete run did not train dense because validation stopped improving: the
        ladder had them (0 when it trained them all, and for a cancelled run)."""
        return self.config.train.epochs - len(self.history) if self.status == "complete" else 0

    def handover(self) -> str:
        """Where dense training stopped and what the ladder had, in words ("" when it trained every epoch)."""
        left = self.epochs_left_to_ladder
        if not left:
            return ""
        best = self.metrics.get("dense_epoch")  # (runs saved before it was kept: the ladder grew from the last)
        start = f" started from epoch {best}'s network, the best on validation, and" if best else ""
        return (f"validation stopped improving after epoch {len(self.history)}: the ladder{start} took the {left} "
                "epochs left")

    @property
    def layers(self) -> dict[str, nn.Module]:
        return prunable_layers(self.model)

    def finish_metrics(self) -> None:
        from bingo_studio.training.evaluate import evaluate

        ds = self.get_dataset()
        self.metrics["dense_val_accuracy"] = evaluate(self.model, *ds.tensors("val"))
        self.metrics["dense_test_accuracy"] = evaluate(self.model, *ds.tensors("test"))
        self.metrics["total_weights"] = sum(m.weight.numel() for m in self.layers.values())
        self.metrics["train_seconds"] = self.train_seconds

    def ensure_metrics(self) -> None:
        """Dense accuracies of the weights as they are (a run saved mid-training by an older version
        has none)."""
        if "dense_val_accuracy" not in self.metrics or "dense_test_accuracy" not in self.metrics:
            self.finish_metrics()

    def summary(self) -> dict:
        return {
            "status": self.status,
            "dataset": self.config.dataset.name,
            "model": self.config.model.preset,
            "widths": getattr(self.model, "widths", None),
            "estimator": self.config.scoring.estimator,
            "epochs_done": len(self.history),
            **self.metrics,
            **self._ladder_summary(),
        }

    def _ladder_summary(self) -> dict:
        """The ladder's rungs and the lottery-ticket searches' check of the estimates that cut them."""
        out = {}
        check = getattr(self.scorer, "check", None)
        if check is not None and check():
            out["estimator_check"] = {k: round(v, 3) for k, v in check().items()}
            out["estimator_check_resets"] = len(self.scorer.check_measured)  # few resets: a rough check
        if self.ladder is not None and self.ladder.rungs:
            total = sum(m.weight.numel() for m in self.layers.values())
            out["ladder"] = [{"kept_weights": total - r.pruned, "val_accuracy": r.val_accuracy, "cut_by": r.candidate}
                             for r in self.ladder.rungs]
            out["ladder_recovery"] = self.config.ladder.recovery  # the budget (--ladder-recovery)...
            out["ladder_steps"] = self.ladder.steps  # ...and the recovery steps it spent
        return out
