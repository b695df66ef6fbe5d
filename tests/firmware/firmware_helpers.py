"""Helpers the firmware tests import by name: a real digits MLP trained and magnitude-pruned in a
few seconds, and the host compile with the warning flags the generated code promises to pass.
(A module of its own: importing names from "conftest" depends on which folder pytest put first.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import torch

from bingo_studio.config import ModelConfig
from bingo_studio.models import build_model

HOST_CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-ffp-contract=off"]


def train_pruned(
    dataset, hidden: list[int], sparsity: float, epochs: int = 60, seed: int = 0, activation: str = "relu"
) -> tuple[torch.nn.Module, dict[str, torch.Tensor]]:
    """Full-batch Adam, then global magnitude pruning to ``sparsity`` and a masked fine-tune.

    One thread: for these tiny matrices OpenMP's spinning threads cost ~10x on a busy 2-core box.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train_pruned(dataset, hidden, sparsity, epochs, seed, activation)
    finally:
        torch.set_num_threads(threads)


def _train_pruned(dataset, hidden, sparsity, epochs, seed, activation):
    torch.manual_seed(seed)
    model = build_model(
        ModelConfig(preset="custom", hidden=hidden, activation=activation),
        dataset.n_features,
        dataset.n_classes,
    )
    x, y = dataset.tensors("train")
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    linears = {n: m for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}
    masks = {n: torch.ones_like(m.weight) for n, m in linears.items()}

    def fit(steps: int) -> None:
        for _ in range(steps):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            with torch.no_grad():
                for n, m in linears.items():
                    m.weight.mul_(masks[n])

    fit(epochs)
    if sparsity > 0:
        scores = torch.cat([m.weight.detach().abs().reshape(-1) for m in linears.values()])
        k = int(round(sparsity * scores.numel()))
        threshold = torch.kthvalue(scores, k).values if k > 0 else -1.0
        masks = {n: (m.weight.detach().abs() > threshold).float() for n, m in linears.items()}
        fit(epochs // 2)
    return model, masks


def accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.asarray(pred) == np.asarray(y)))


def compile_c(cc: str, sources: list[Path], out: Path, extra: list[str] | None = None) -> Path:
    """Compile with the warning flags the generated code promises to pass; fail with gcc's output."""
    cmd = [cc, *HOST_CFLAGS, *(extra or []), "-o", str(out), *map(str, sources), "-lm"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stderr}"
    return out
