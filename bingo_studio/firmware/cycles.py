"""How long one prediction takes on a board: a linear model of the integer kernel's CPU cycles.

cycles = a*nnz_columns + b*nnz_index + c*dense_positions + d*nnz_bitmask + e*mask_bytes +
f*n_features + g*neurons + h: each layer's weights counted under the loop that runs it (layer 0
summed column by column as the features arrive, for a wide input; rows by index lists; dense rows,
every position; bitmask rows, their weights and mask bytes), n_features the inputs (each is turned
into an int8 code), neurons the outputs of all layers (each is requantised). The constants are
fitted per board family, by least squares on relative error with no negative constant, to the cycles measured on
the simulators (simavr for the ATmega328P, rp2040js for the RP2040's Cortex-M0+) for 13 MLPs on
iris, wine, digits and MNIST-5k; measured with

    .venv/bin/python benchmarks/cycle_model.py --samples 10 --epochs 40

Fit error (model - measured) / measured: Uno -20%..+8% on the 13 fitted models, -9%..+8% on 3
held-out models; Pico -22%..+14% fitted, -9%..+13% held out. The input's
values matter a little too, so this is an estimate, not a promise. The ESP32 has no simulator
here: its figure is the Pico's cycle count at the ESP32's 240 MHz, labelled an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

from bingo_studio.boards import BOARDS
from bingo_studio.firmware.pico_build import PICO_HZ
from bingo_studio.firmware.size import LayerShape, ModelShape, int_layouts

# (nnz_columns, nnz_index, dense_positions, nnz_bitmask, mask_bytes, n_features, neurons, 1): cycles each
AVR_CYCLES = (47.204, 27.142, 16.210, 24.304, 38.126, 46.912, 134.190, 3253.451)
CORTEX_M0_CYCLES = (24.922, 10.876, 11.108, 10.369, 38.288, 46.362, 134.070, 1610.713)


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


_AVR_NOTE = ("Fitted to cycles measured on the simulated Uno (ATmega328P at 16 MHz): within 20% on the "
             "models measured.")
MODELS = {
    "uno": CycleModel(BOARDS["uno"].clock_hz, AVR_CYCLES, True, _AVR_NOTE),
    "nano": CycleModel(BOARDS["nano"].clock_hz, AVR_CYCLES, True, _AVR_NOTE),
    "pico": CycleModel(PICO_HZ, CORTEX_M0_CYCLES, True,
                       "Fitted to cycles measured on the simulated Pico (RP2040 at 125 MHz): within 22% on the "
                       "models measured."),
    "esp32": CycleModel(BOARDS["esp32"].clock_hz, CORTEX_M0_CYCLES, False,
                        "Not measured (no ESP32 simulator here): the Pico's cycle count at the ESP32's 240 MHz. "
                        "The ESP32's core does more per cycle, so it is probably faster than this."),
}


def features_of(widths: list[int], nnz: list[int]) -> tuple[float, ...]:
    """The model's inputs for an MLP: ``widths`` = [n_features, hidden..., n_classes], ``nnz`` =
    stored weights per layer. Each layer's weights count under the loop the integer kernel runs it
    with (size.int_layouts): layer 0 by columns, index lists, dense rows (every position), bitmask
    rows (and their mask bytes)."""
    layers = [LayerShape(f"fc{k}", a, b, n, 0, 0) for k, (a, b, n) in enumerate(zip(widths[:-1], widths[1:], nnz))]
    shape = ModelShape("model", "int8", "layer", "relu", [], {}, layers)
    f = dict.fromkeys(("columns", "index", "dense", "bitmask", "groups"), 0)
    for k, ((layout, _), la) in enumerate(zip(int_layouts(shape), layers)):
        if k == 0 and not shape.l0_rows:
            f["columns"] += la.nnz
        elif layout == "dense":
            f["dense"] += la.n_in * la.n_out
        elif layout == "bitmask":
            f["bitmask"] += la.nnz
            f["groups"] += la.n_out * ((la.n_in + 7) // 8)
        else:
            f["index"] += la.nnz
    return (*map(float, f.values()), float(widths[0]), float(sum(widths[1:])), 1.0)


def latency_features(plan, counts) -> dict[int, tuple[float, ...]]:
    """features_of at each pruned count of ``plan`` (its masks: kept weights per layer), computed
    once in the plan's worker so that the slider only multiplies."""
    out = {}
    for count in counts:
        masks = list(plan.masks_for(count).values())
        widths = [int(masks[0].shape[1])] + [int(m.shape[0]) for m in masks]
        out[count] = features_of(widths, [int(m.sum()) for m in masks])
    return out
