"""The method comparison: every pruning method's curve overlaid, and a cost table.

Inputs: Studio.run; ``start()`` runs bingo_studio.compare.compare in a worker (progress, cancel).
Outputs: ``task_finished`` signal; ``rows`` holds the comparison's table rows (dicts) once done.
"""

from __future__ import annotations

from dataclasses import asdict

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bingo_studio.gui.studio import Studio
from bingo_studio.gui.train_page import LAYER_COLORS, make_plot
from bingo_studio.gui.workers import TaskSlot


class CompareView(QWidget):
    task_finished = Signal()  # the comparison ended (done, failed or cancelled)

    def __init__(self, studio: Studio, parent: QWidget | None = None):
        super().__init__(parent)
        self.studio = studio
        self.work = TaskSlot(self)
        self.rows: list[dict] = []
        self.plot = make_plot(
            "Methods compared", "validation accuracy", "% of weights pruned", legend=(10, -10)
        )
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.retrain = QCheckBox("Include methods that retrain (IMP, random masks, fine-tuning: slower)")
        self.cancel_button = QPushButton("Cancel comparison")
        self.cancel_button.clicked.connect(self.cancel)
        # the window places ``panel`` (settings, progress, the cost table) apart from the plot (self)
        self.panel = QWidget()
        pl = QVBoxLayout(self.panel)
        pl.setContentsMargins(0, 0, 0, 0)
        for w in (self.retrain, self.status, self.progress, self.cancel_button, self.table):
            pl.addWidget(w)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot)
        self._show(False)
        studio.run_changed.connect(self._clear)

    def _show(self, results: bool, busy: bool = False) -> None:
        self.setVisible(results)
        self.table.setVisible(results)
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)

    def _clear(self) -> None:
        self.cancel()
        self.rows = []
        self.status.setText("")
        self._show(False)

    def start(self) -> None:
        if self.studio.run is None:
            self.status.setText("Train a model first.")
            return
        from bingo_studio.compare import DEFAULT_METHODS, compare
        from bingo_studio.pruning.methods import METHODS

        cfg = self.studio.run.config
        methods = [m for m in DEFAULT_METHODS if self.retrain.isChecked() or m in METHODS]
        floor = self.studio.floor or None
        self.plot.clear()
        self._show(False, busy=True)
        self.status.setText(
            f"Comparing {len(methods)} pruning methods with this run's settings (each trains "
            "from the same seed)..."
        )
        self.work.start(
            lambda s: compare(cfg, methods, min_accuracy=floor, state=s),
            self._done,
            self._failed,
            self._progress,
        )

    def cancel(self) -> None:
        self.work.stop()  # the comparison ends after the current step; "Cancelled" still arrives

    def _progress(self, p) -> None:
        self.progress.setValue(int(1000 * p.fraction))
        if p.message:
            self.status.setText(p.message)

    def _failed(self, message: str) -> None:
        self._show(False)
        self.status.setText(f"<span style='color:#c62828'>{message}</span>")
        self.task_finished.emit()

    def _done(self, result) -> None:
        self._show(True)
        self.show_result(result)
        self.task_finished.emit()

    def show_result(self, result) -> None:
        """Curves overlaid, one row a method: what it removes at the floor, and what it cost."""
        self.rows = [asdict(r) for r in result.rows]
        self.plot.clear()
        for i, (name, curve) in enumerate(result.curves.items()):
            sparsity, acc = _xy(curve)
            points = curve.get("kind") == "points"
            self.plot.plot(
                [100 * x for x in sparsity],
                acc,
                name=name,
                pen=None if points else pg.mkPen(LAYER_COLORS[i % len(LAYER_COLORS)], width=2),
                symbol="o" if points else None,
                symbolSize=7,
                symbolBrush=LAYER_COLORS[i % len(LAYER_COLORS)],
            )
        self.plot.addItem(
            pg.InfiniteLine(result.min_accuracy, angle=0, pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine))
        )
        cols = ("method", "pruned", "val acc", "test acc", "seconds", "training runs", "floor met")
        self.table.setColumnCount(len(cols))
        self.table.setRowCount(len(result.rows))
        self.table.setHorizontalHeaderLabels(cols)
        for r, row in enumerate(result.rows):
            cells = (
                row.label,
                f"{row.sparsity:.1%}",
                f"{row.val_accuracy:.1%}",
                f"{row.test_accuracy:.1%}",
                f"{row.seconds:.1f}",
                f"{row.training_runs:g}",
                "yes" if row.floor_met else "no",
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(row.notes)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.status.setText(
            f"{len(result.rows)} methods compared at a minimum validation accuracy of "
            f"{result.min_accuracy:.1%} ({result.status})."
        )


def _xy(curve: dict) -> tuple[list[float], list[float]]:
    return list(curve["sparsity"]), list(curve["val_accuracy"])
