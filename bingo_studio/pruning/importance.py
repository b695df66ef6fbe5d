"""Weight importance in one place: each estimate is a function of the trained run (its weights, and
what its estimator gathered during training); higher means keep. Methods, IMP and the slider's plans
take their scores here and turn them into masks with pruning/masks.py (global or per layer as a
parameter). BINGO's own estimates (the paper's S, the train-time candidates) are kept by the run's
scorer (bingo/estimators.py), which gathers them during training.
"""

from __future__ import annotations

import torch
from torch import nn

from bingo_studio.errors import UserError


def magnitude(layers: dict[str, nn.Module]) -> dict[str, torch.Tensor]:
    """|w|: GMP/LMP, and IMP's rounds."""
    return {n: m.weight.detach().abs() for n, m in layers.items()}


def gradient_magnitude(run, method: str) -> dict[str, torch.Tensor]:
    """|w * mean gradient|, the gradient averaged after the first quarter of training: GGMP/LGMP."""
    grad_sum = gathered(run, "grad_sum", method)
    mean_grad = run.scorer.split(grad_sum / max(float(run.scorer.grad_steps), 1.0))
    return {n: (m.weight.detach() * mean_grad[n]).abs() for n, m in run.layers.items()}


def random_scores(layers: dict[str, nn.Module], seed: int) -> dict[str, torch.Tensor]:
    """Seeded random scores: RP, the baseline any estimate must beat."""
    g = torch.Generator().manual_seed(1000 + seed)
    return {n: torch.rand(m.weight.shape, generator=g) for n, m in layers.items()}


def gathered(run, attr: str, method: str):
    """A statistic the run's estimator gathered, or one clear message naming the estimator needed."""
    value = getattr(run.scorer, attr, None)
    if value is None:
        raise UserError(
            f"method '{method}' needs gradient statistics gathered during training; this run used the "
            f"'{run.config.scoring.estimator}' estimator (train with --estimator train-time)"
        )
    return value


def per_layer_ranks(scores: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Scores that prune every layer by the same share: a weight's rank within its layer over the
    layer's size, so the global order interleaves layers evenly (L-variants of the magnitude scores)."""
    out = {}
    for name, s in scores.items():
        flat = s.reshape(-1).double()
        rank = torch.empty_like(flat)
        rank[torch.argsort(flat, stable=True)] = torch.arange(len(flat), dtype=torch.float64)
        out[name] = ((rank + 0.5) / len(flat)).reshape(s.shape)
    return out
