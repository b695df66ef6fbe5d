"""Multilayer perceptrons: the model family every board in the studio can run."""

from __future__ import annotations

from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


class MLP(nn.Sequential):
    """Linear layers with an activation between them (none after the last).

    Children are named ``fc0, act0, fc1, act1, ..., fcN`` so weight names stay readable in
    plots, run files and generated firmware.
    """

    def __init__(self, n_features: int, hidden: list[int], n_classes: int, activation: str = "relu"):
        super().__init__()
        widths = [n_features, *hidden, n_classes]
        for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
            self.add_module(f"fc{i}", nn.Linear(n_in, n_out))
            if i < len(widths) - 2:
                self.add_module(f"act{i}", ACTIVATIONS[activation]())
        self.widths = widths
        self.activation = activation
