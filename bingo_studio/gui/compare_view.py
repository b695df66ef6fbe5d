"""The method comparison: every pruning method's curve overlaid, and a cost table.

Inputs: Studio.run; ``start()`` runs bingo_studio.compare.compare in a worker (progress, cancel).
Outputs: none (display); ``rows`` holds the comparison's table rows once done.
"""

from __future__ import annotations

import importlib.util

import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from bingo_studio.gui.studio import Studio
from bingo_studio.gui.train_page import LAYER_COLORS, make_plot
from bingo_studio.gui.workers import run_task


def compare_available() -> bool:
    return importlib.util.find_spec("bingo_studio.compare") is not None


class CompareView(QWidget):
    def __init__(self, studio: Studio, parent: QWidget | None = None):
        super().__init__(parent)
        self.studio = studio
        self.task = None
        self.rows: list[dict] = []
        self.plot = make_plot("Methods compared", "validation accuracy", "% of weights pruned")
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel comparison")
        self.cancel_button.clicked.connect(self.cancel)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for w in (self.status, self.progress, self.cancel_button, self.plot, self.table):
            lay.addWidget(w)
        self.setVisible(False)
        studio.run_changed.connect(self._clear)

    def _clear(self) -> None:
        self.cancel()
        self.rows = []
        self.setVisible(False)

    def start(self) -> None:
        self.setVisible(True)
        if not compare_available():
            self.status.setText("The method comparison is not part of this build yet.")
            for w in (self.progress, self.cancel_button, self.plot, self.table):
                w.setVisible(False)
            return
        if self.studio.run is None:
            self.status.setText("Train a model first.")
            return
        from bingo_studio.compare import compare

        run = self.studio.run
        self.plot.clear()
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.status.setText("Comparing pruning methods on this run (the ones that retrain take longer)...")
        self.task = run_task(lambda s: compare(run, state=s), self._done, self._failed, self._progress)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None

    def _progress(self, p) -> None:
        self.progress.setValue(int(1000 * p.fraction))
        if p.message:
            self.status.setText(p.message)

    def _failed(self, message: str) -> None:
        self.task = None
        self.status.setText(f"<span style='color:#c62828'>{message}</span>")

    def _done(self, result) -> None:
        self.task = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.show_result(result)

    def show_result(self, result) -> None:
        rows = list(getattr(result, "rows", None) or (result.get("rows", []) if isinstance(result, dict) else []))
        curves = getattr(result, "curves", None) or (result.get("curves", {}) if isinstance(result, dict) else {})
        self.rows = rows
        self.plot.clear()
        for i, (name, curve) in enumerate(dict(curves).items()):
            sparsity, acc = _xy(curve)
            self.plot.plot([100 * s for s in sparsity], acc, name=name,
                           pen=pg.mkPen(LAYER_COLORS[i % len(LAYER_COLORS)], width=2))
        cols = list(rows[0]) if rows else []
        self.table.setColumnCount(len(cols))
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(cols)
        for r, row in enumerate(rows):
            for c, key in enumerate(cols):
                value = row[key]
                text = f"{value:.4g}" if isinstance(value, float) else str(value)
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.status.setText(f"{len(rows)} methods compared.")


def _xy(curve) -> tuple[list[float], list[float]]:
    if isinstance(curve, dict):
        if "sparsity" in curve:
            return list(curve["sparsity"]), list(curve["val_accuracy"])
        total = curve.get("total") or 1
        return [c / total for c in curve["counts"]], list(curve["val_accuracy"])
    return list(curve.sparsity), list(curve.val_accuracy)
