"""What a pruning method is to the rest of the studio.

Two kinds:
- ``PruningMethod``: one shot after training. It turns a trained run into importance scores
  (higher = keep); a ``PruningPlan`` then cuts at the floor. Costs no training of its own.
- ``TrainingMethod``: trains (again) to find its mask: IMP's rounds, random masks trained from
  scratch, fine-tuning. It returns a ``MethodResult`` with its honest cost in training runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class PruningMethod:
    name: str
    description: str
    per_layer: bool = False  # compare scores within each layer (every layer pruned by the same share)

    def importance(self, run, order: str = "intent", seed: int = 0) -> dict[str, torch.Tensor]:
        """Per-layer scores shaped like the weights; higher means keep."""
        raise NotImplementedError

    def label(self, run, order: str = "intent") -> str:
        return self.name


@dataclass
class MethodResult:
    """What a training method found: the mask at the floor, its accuracy and what it cost."""

    method: str
    sparsity: float
    val_accuracy: float
    test_accuracy: float
    training_runs: float  # full training runs' worth of epochs (a 2-epoch fine-tune of 20 is 0.1)
    seconds: float
    masks: dict[str, torch.Tensor] = field(repr=False, default_factory=dict)
    floor_met: bool = True
    # (sparsity, validation accuracy) of every network it trained, for the comparison plot
    points: list[tuple[float, float]] = field(default_factory=list)
    notes: str = ""


@dataclass(frozen=True)
class TrainingMethod:
    name: str
    description: str

    def run(self, cfg, dataset, min_accuracy: float, state=None, base_run=None) -> MethodResult:
        """Find the sparsest mask meeting ``min_accuracy`` on validation. ``base_run`` is a finished
        dense run of ``cfg`` the method may start from (fine-tuning); others train from scratch."""
        raise NotImplementedError


def sub_state(state, lo: float, hi: float, phase: str):
    """A TaskState for one part of a longer task: shares the cancel request, maps progress into
    [lo, hi] of the whole and names the part in the phase."""
    from bingo_studio.training.task import TaskState

    sub = TaskState(None)
    if state is None:
        return sub
    sub._cancel = state._cancel  # one cancel request stops every part

    def forward(p):
        p.phase = phase
        p.fraction = lo + (hi - lo) * p.fraction
        state.report(p)

    sub._on_progress = forward
    return sub


def plain_config(cfg):
    """The same settings with scoring switched off: what retraining runs (IMP rounds, random masks,
    fine-tuning) cost, without BINGO's bookkeeping."""
    from dataclasses import replace

    from bingo_studio.config import RunConfig

    return RunConfig(cfg.dataset, cfg.model, cfg.train, replace(cfg.scoring, estimator="none", searches_per_step=0))


def masked_accuracy(run) -> tuple[float, float]:
    return run.metrics["dense_val_accuracy"], run.metrics["dense_test_accuracy"]


def mask_sparsity(masks: dict[str, torch.Tensor]) -> float:
    total = sum(m.numel() for m in masks.values())
    kept = sum(int(m.sum()) for m in masks.values())
    return 1.0 - kept / total
