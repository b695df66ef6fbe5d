"""The optimizers a run can train with (TrainConfig.optimizer), shared by the loop and the ladder."""

from __future__ import annotations

import torch

OPTIMIZERS = {
    "adam": lambda params, cfg: torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay),
    "sgd": lambda params, cfg: torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay),
}
