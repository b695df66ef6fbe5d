"""What a pruning method is to the rest of the studio."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class PruningMethod:
    name: str
    description: str

    def importance(self, run, order: str = "intent") -> dict[str, torch.Tensor]:
        """Per-layer scores shaped like the weights; higher means keep."""
        raise NotImplementedError

    def label(self, run, order: str = "intent") -> str:
        return self.name
