"""Model registry: board-sized MLP presets plus a custom hidden-layer list."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from bingo_studio.config import ModelConfig
from bingo_studio.errors import UserError
from bingo_studio.models.mlp import ACTIVATIONS, MLP


@dataclass(frozen=True)
class Preset:
    hidden: tuple[int, ...]
    description: str


PRESETS: dict[str, Preset] = {
    "digits-tiny": Preset((32, 16), "64-32-16-10 style: fits an Arduino Uno with room to spare"),
    "small": Preset((64, 32), "two small hidden layers, for tabular data or digits"),
    "mnist-small": Preset((128, 64), "784-128-64-10 for 28x28 images; an Uno needs it pruned"),
    "lenet-300-100": Preset((300, 100), "LeNet-300-100 of the lottery-ticket papers (ESP32/Pico)"),
}


def hidden_layers(cfg: ModelConfig) -> list[int]:
    if cfg.preset == "custom":
        if not cfg.hidden or any(int(h) < 1 for h in cfg.hidden):
            raise UserError("a custom model needs hidden layer widths, e.g. --hidden 32,16")
        return [int(h) for h in cfg.hidden]
    if cfg.preset not in PRESETS:
        raise UserError(f"unknown model preset '{cfg.preset}'; choose one of {', '.join(PRESETS)} or custom")
    return list(PRESETS[cfg.preset].hidden)


# layer families: every preset can be built with any of them (ModelConfig.family)
FAMILIES: dict[str, str] = {
    "dense": "ordinary dense (Linear) layers",
    "mam": "MAM hidden layers (max + min of products instead of a sum; Bich et al.), dense output layer",
    "binary": "BinaryConnect layers: one sign bit a weight and a scale per row",
}


def build_model(cfg: ModelConfig, n_features: int, n_classes: int) -> MLP:
    if cfg.activation not in ACTIVATIONS:
        raise UserError(f"unknown activation '{cfg.activation}'; choose one of {', '.join(ACTIVATIONS)}")
    family = getattr(cfg, "family", "dense") or "dense"
    if family not in FAMILIES:
        raise UserError(f"unknown layer family '{family}'; choose one of {', '.join(FAMILIES)}")
    if family == "mam":
        from bingo_studio.models.mam import MAMMLP

        return MAMMLP(n_features, hidden_layers(cfg), n_classes, cfg.activation)
    if family == "binary":
        from bingo_studio.models.binary import BinaryMLP

        return BinaryMLP(n_features, hidden_layers(cfg), n_classes, cfg.activation)
    return MLP(n_features, hidden_layers(cfg), n_classes, cfg.activation)


def prunable_layers(model: nn.Module) -> dict[str, nn.Module]:
    """Layers whose ``weight`` BINGO scores and pruning removes (biases and norms are kept)."""
    return {
        name: m
        for name, m in model.named_modules()
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)) or getattr(m, "prunable", False)
    }


def describe(model: nn.Module) -> dict:
    """Parameter counts and dense sizes, as shown before training."""
    weights = sum(m.weight.numel() for m in prunable_layers(model).values())
    params = sum(p.numel() for p in model.parameters())
    return {
        "parameters": params,
        "prunable_weights": weights,
        "dense_float32_bytes": params * 4,
        "dense_int8_bytes": weights + (params - weights) * 4,
    }
