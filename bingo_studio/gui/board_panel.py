"""What will my board do: flash, RAM and the time of one prediction on each board, at the slider's point.

Inputs: ``show_fits(fits)`` (as BoardFitView: board key -> BoardFit), ``show_latency(features)``
(firmware.cycles.features_of of the chosen point, precomputed per grid point in the plan's worker,
or None to clear). Outputs: none (display only); ``latencies()`` returns board key -> ms (None:
no estimate) for tests and tools.
Moving the slider costs a few multiplications here (the cycle model is linear).
"""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from bingo_studio.firmware.cycles import MODELS, latency_features
from bingo_studio.gui.board_fit import BoardFitView

LATENCY_TIP = (
    "One prediction: the model's computation on the board for one sample, predicted from CPU "
    "cycles measured on the simulators (benchmarks/cycle_model.py). Sending the numbers over the "
    "serial port takes longer: about 1 ms per 11 characters at 115200 baud. The time the board "
    "reports in step 5 reads higher: it also counts the interrupts of the serial port receiving them."
)


def plan_with_latency(plan_and_grid):
    """(plan, grid, {pruned count: cycle-model features}); runs in the plan's worker."""
    plan, grid = plan_and_grid
    return plan, grid, latency_features(plan, grid)


class BoardPanel(BoardFitView):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        grid: QGridLayout = self.layout()
        col = grid.columnCount()
        head = QLabel("<b>One prediction</b>")
        head.setToolTip(LATENCY_TIP)
        grid.addWidget(head, 0, col)
        self.latency_labels: dict[str, QLabel] = {}
        for r, key in enumerate(self.rows, start=1):
            lbl = QLabel("-")
            lbl.setMinimumWidth(80)
            model = MODELS[key]
            lbl.setToolTip(f"{LATENCY_TIP}\n{'' if model.measured else 'An estimate. '}{model.note}")
            grid.addWidget(lbl, r, col)
            self.latency_labels[key] = lbl
        self._ms: dict[str, float | None] = {}

    def show_latency(self, features: tuple[float, ...] | None) -> None:
        self._ms = {}
        for key, lbl in self.latency_labels.items():
            if features is None:
                lbl.setText("-")
                continue
            model = MODELS[key]
            ms = model.ms(features)
            self._ms[key] = ms
            text = f"{ms:.2f} ms" if ms < 10 else f"{ms:.0f} ms"
            lbl.setText(text if model.measured else f"<i>~{text}</i>")  # not measured: the tooltip says how

    def latencies(self) -> dict[str, float | None]:
        return dict(self._ms)
