"""How long one prediction takes on a board: a linear model of the integer kernel's CPU cycles.

cycles = a*nnz_columns + b*nnz_rows + c*n_features + e*neurons + d: nnz_columns counts the first
layer's stored weights when the kernel sums it column by column as the features arrive (a wide
input), nnz_rows the weights of the layers it runs row by row, n_features the inputs (each is turned
into an int8 code), neurons the outputs of all layers (each is requantised). The constants are fitted per board
family, by least squares on relative error with no negative constant, to the cycles measured on
the simulators (simavr for the ATmega328P, rp2040js for the RP2040's Cortex-M0+) for 13 MLPs on
iris, wine, digits and MNIST-5k; measured with

    .venv/bin/python benchmarks/cycle_model.py --samples 10 --epochs 40

Fit error (model - measured) / measured: Uno -18%..+18% on the 13 fitted models, -11%..+6% on 3
held-out models; Pico -31%..+21% fitted (worst: MNIST-5k 784-64-32-10 at 85% pruned, -31%),
-17%..+9% held out. The input's
values matter a little too, so this is an estimate, not a promise. The ESP32 has no simulator
here: its figure is the Pico's cycle count at the ESP32's 240 MHz, labelled an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

from bingo_studio.boards import BOARDS
from bingo_studio.firmware.pico_build import PICO_HZ
from bingo_studio.firmware.size import l0_by_rows

# (nnz_columns, nnz_rows, n_features, neurons, 1): cycles each
AVR_CYCLES = (34.692, 21.818, 128.408, 401.439, 0.0)
CORTEX_M0_CYCLES = (13.288, 7.956, 122.329, 188.739, 0.0)


@dataclass(frozen=True)
class CycleModel:
    clock_hz: int
    coef: tuple[float, ...]
    measured: bool  # False: another board's cycle model at this board's clock (no simulator for it)
    note: str

    def cycles(self, features: tuple[float, ...]) -> float:
        return max(0.0, sum(c * f for c, f in zip(self.coef, features)))

    def ms(self, features: tuple[float, ...]) -> float:
        return 1000.0 * self.cycles(features) / self.clock_hz


_AVR_NOTE = ("Fitted to cycles measured on the simulated Uno (ATmega328P at 16 MHz): within 18% on the "
             "models measured.")
MODELS = {
    "uno": CycleModel(BOARDS["uno"].clock_hz, AVR_CYCLES, True, _AVR_NOTE),
    "nano": CycleModel(BOARDS["nano"].clock_hz, AVR_CYCLES, True, _AVR_NOTE),
    "pico": CycleModel(PICO_HZ, CORTEX_M0_CYCLES, True,
                       "Fitted to cycles measured on the simulated Pico (RP2040 at 125 MHz): mostly within 20%, "
                       "up to 31% off on the models measured."),
    "esp32": CycleModel(BOARDS["esp32"].clock_hz, CORTEX_M0_CYCLES, False,
                        "Not measured (no ESP32 simulator here): the Pico's cycle count at the ESP32's 240 MHz. "
                        "The ESP32's core does more per cycle, so it is probably faster than this."),
}


def features_of(widths: list[int], nnz: list[int]) -> tuple[float, ...]:
    """The model's inputs for an MLP: ``widths`` = [n_features, hidden..., n_classes], ``nnz`` =
    stored weights per layer. Layer 0's weights count as summed by columns or by rows, as the
    integer kernel runs it (size.l0_by_rows)."""
    by_rows = l0_by_rows(widths[0], list(widths[1:]))
    columns = 0 if by_rows else nnz[0]
    return (float(columns), float(sum(nnz) - columns), float(widths[0]), float(sum(widths[1:])), 1.0)


def latency_features(plan, counts) -> dict[int, tuple[float, ...]]:
    """features_of at each pruned count of ``plan`` (its masks: kept weights per layer), computed
    once in the plan's worker so that the slider only multiplies."""
    out = {}
    for count in counts:
        masks = list(plan.masks_for(count).values())
        widths = [int(masks[0].shape[1])] + [int(m.shape[0]) for m in masks]
        out[count] = features_of(widths, [int(m.sum()) for m in masks])
    return out
