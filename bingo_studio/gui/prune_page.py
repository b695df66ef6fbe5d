"""Step 3, Prune: a minimum-accuracy slider over the engine's pruning curve, with sizes per board.

Inputs: Studio.run (a trained run). After training, a worker builds the method's PruningPlan,
traces its curve once, and for every grid point of the curve evaluates test accuracy and the
firmware size report; moving the slider is then PruningPlan.lookup plus a dict lookup.
Outputs: Studio.set_plan(plan, grid, method), Studio.floor (the minimum accuracy); ``selection()``
-> the numbers shown (for tests and the Deploy step). The worker prunes a copy of the run
(workers.worker_copy): the plan it returns never shares a model with the window.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from bingo_studio.bingo.unmeasured import unmeasured_note
from bingo_studio.gui import terms
from bingo_studio.gui.board_fit import BOARD_KEYS
from bingo_studio.gui.board_panel import BoardPanel, plan_with_latency
from bingo_studio.gui.compare_view import CompareView
from bingo_studio.gui.studio import Studio
from bingo_studio.gui.train_page import make_plot
from bingo_studio.gui.workers import TaskSlot, worker_copy
from bingo_studio.pruning.floor import floor_for
from bingo_studio.pruning.grid import plan_with_grid

SLIDER_STEPS = 1000  # 0.1% of accuracy per slider step


class PrunePage(QWidget):
    def __init__(self, studio: Studio, parent: QWidget | None = None):
        super().__init__(parent)
        from bingo_studio.pruning.methods import METHODS

        self.studio = studio
        self.work = TaskSlot(self)
        # the firmware's own accuracy at the slider's point: a quantisation and an integer pass over the
        # test split (a few hundred ms), so it runs in the background once the slider rests, kept per point
        self.firmware_work = TaskSlot(self)
        self._firmware: dict[int, float] = {}
        self._firmware_timer = QTimer(self, singleShot=True, interval=150)
        self._firmware_timer.timeout.connect(self._firmware_start)
        self.last_update_ms = 0.0
        self._selection: dict = {}

        self.method_box = QComboBox()
        for name, m in METHODS.items():
            self.method_box.addItem(name, name)
            self.method_box.setItemData(
                self.method_box.count() - 1, m.description, Qt.ItemDataRole.ToolTipRole
            )
        self.method_box.setToolTip(
            "How weights are ranked for removal. 'bingo' uses the significance scores "
            "gathered during training; the others are the usual baselines."
        )
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setToolTip(terms.MIN_ACCURACY)
        self.spin = QDoubleSpinBox()
        self.spin.setRange(0.0, 100.0)
        self.spin.setDecimals(1)
        self.spin.setSingleStep(0.5)
        self.spin.setSuffix(" %")
        self.spin.setToolTip(terms.MIN_ACCURACY)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        self.status = QLabel("Train a model first (step 2); the pruning curve appears here.")
        self.status.setWordWrap(True)

        self.values: dict[str, QLabel] = {}
        numbers = QGroupBox("At this minimum accuracy")
        form = QFormLayout(numbers)
        for key, text, tip in (
            ("pruned", "Pruned:", terms.PRUNING),
            ("kept", "Weights kept:", "Connections the pruned network still uses"),
            ("val", "Validation accuracy:", terms.VALIDATION),
            ("test", "Test accuracy:", terms.VALIDATION),
            ("firmware", "Firmware test accuracy:", terms.FIRMWARE_ACCURACY),
            ("flash", "Model in flash:", terms.FLASH),
            ("ram", "Model RAM (Uno):", terms.RAM),
        ):
            lbl, val = QLabel(text), QLabel("-")
            lbl.setToolTip(tip)
            val.setToolTip(tip)
            val.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(lbl, val)
            self.values[key] = val
        self.fit_view = BoardPanel()  # flash, RAM and one prediction's time per board
        self._latency: dict = {}  # pruned count -> firmware.cycles features

        controls = QGroupBox("Minimum accuracy")
        cl = QVBoxLayout(controls)
        mrow = QHBoxLayout()
        mrow.addWidget(QLabel("Method:"))
        mrow.addWidget(self.method_box, 1)
        cl.addLayout(mrow)
        srow = QHBoxLayout()
        srow.addWidget(self.slider, 1)
        srow.addWidget(self.spin)
        cl.addLayout(srow)
        cl.addWidget(self.progress)
        cl.addWidget(self.status)

        self.plot = make_plot(
            "Validation accuracy as weights are removed",
            "validation accuracy",
            "% of weights pruned",
            legend=(10, -10),
        )
        self.plot.setToolTip(terms.PRUNING)
        self.curve_item = self.plot.plot([], [], pen=pg.mkPen("#1f77b4", width=2), name="validation accuracy")
        self.floor_line = pg.InfiniteLine(angle=0, pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine))
        self.chosen_line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#d62728", style=Qt.PenStyle.DotLine))
        self.marker = pg.ScatterPlotItem(
            size=12,
            brush=pg.mkBrush("#d62728"),
            pen=pg.mkPen("w"),
            name="your choice (dashed line: the minimum)",
        )
        for item in (self.floor_line, self.chosen_line, self.marker):
            self.plot.addItem(item)
        self.compare_button = QPushButton("Compare methods...")
        self.compare_view = CompareView(studio)
        self.compare_button.clicked.connect(self.compare_view.start)

        left = QVBoxLayout()
        left.addWidget(controls)
        left.addWidget(numbers)
        fits = QGroupBox("What will my board do? (int8 firmware)")
        QVBoxLayout(fits).addWidget(self.fit_view)
        left.addWidget(fits)
        left.addWidget(self.compare_button)
        left.addWidget(self.compare_view.panel, 1)
        left.addStretch(0)
        right = QVBoxLayout()
        right.addWidget(self.plot, 2)
        right.addWidget(self.compare_view, 3)
        lay = QHBoxLayout(self)
        lay.addLayout(left, 2)
        lay.addLayout(right, 3)

        self.slider.valueChanged.connect(self._slider_moved)
        self.spin.valueChanged.connect(self._spin_changed)
        self.method_box.activated.connect(lambda _i: self.recompute())
        studio.run_changed.connect(self.recompute)
        self._enable(False)

    def _enable(self, on: bool) -> None:
        for w in (self.slider, self.spin):
            w.setEnabled(on)

    # -- the plan (worker) -------------------------------------------------------------------------
    def recompute(self) -> None:
        run = self.studio.run
        self.work.cancel()
        self._enable(False)
        self.curve_item.setData([], [])
        self.marker.setData([], [])
        if run is None:
            self.status.setText("Train a model first (step 2); the pruning curve appears here.")
            return
        method = self.method_box.currentData()
        self.progress.setVisible(True)
        self.progress.setValue(0)
        self.status.setText(f"Computing the pruning curve ({method})...")
        self.fit_view.show_latency(None)
        self.work.start(lambda s: plan_with_latency(plan_with_grid(worker_copy(run), method, s, BOARD_KEYS)),
                        lambda result: self._plan_ready(method, result), self._failed, self._progress)

    def _progress(self, p) -> None:
        self.progress.setValue(int(1000 * p.fraction))

    def _failed(self, message: str) -> None:
        self.progress.setVisible(False)
        self.status.setText(f"<span style='color:#c62828'>{message}</span>")

    def _plan_ready(self, method: str, result) -> None:
        plan, grid, self._latency = result
        self._firmware = {}
        self.progress.setVisible(False)
        self.studio.set_plan(plan, grid, method)
        curve = plan.curve()
        self.curve_item.setData(100 * curve.sparsity, curve.val_accuracy)
        self.status.setText(
            f"{method}: dense validation accuracy {plan.dense_val_accuracy:.1%}. Move the slider: "
            "BINGO removes the least significant weights until accuracy would fall below your minimum."
        )
        note = unmeasured_note(self.studio.run, method)
        if note:  # a run cancelled early: say what the curve really ranks by
            self.status.setText(f"<span style='color:#b26a00'>{note}</span> {self.status.text()}")
        self._enable(True)
        saved = self.studio.floor
        floor = saved if 0 < saved <= 1 else floor_for(plan.dense_val_accuracy)
        self.set_floor(floor)
        self._update()

    # -- the slider --------------------------------------------------------------------------------
    def set_floor(self, floor: float) -> None:
        self.spin.setValue(round(100 * floor, 1))

    def _slider_moved(self, v: int) -> None:
        if abs(self.spin.value() * 10 - v) > 1e-6:
            self.spin.blockSignals(True)
            self.spin.setValue(v / 10)
            self.spin.blockSignals(False)
        self._update()

    def _spin_changed(self, v: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(round(v * 10))
        self.slider.blockSignals(False)
        self._update()

    def floor(self) -> float:
        return self.spin.value() / 100

    def _update(self) -> None:
        plan, grid = self.studio.plan, self.studio.grid
        if plan is None or not grid:
            return
        start = time.perf_counter()
        floor = self.floor()
        info = plan.lookup(floor)
        pt = grid[info["pruned_weights"]]
        total = plan.total
        v = self.values
        v["pruned"].setText(f"<b>{info['sparsity']:.1%}</b> of {total:,} weights")
        dropped = info["kept_weights"] - pt.stored  # int8 codes that round to 0: the board need not store them
        stored = f" ({pt.stored:,} stored on the board)" if dropped > 0 else ""
        v["kept"].setText(f"{info['kept_weights']:,}{stored}")
        v["val"].setText(f"{info['val_accuracy']:.1%} (unpruned {plan.dense_val_accuracy:.1%})")
        v["test"].setText(f"<b>{pt.test_accuracy:.1%}</b> (unpruned {plan.dense_test_accuracy:.1%})")
        dense = grid[0]
        v["flash"].setText(f"<b>{pt.model_flash:,} B</b> (unpruned {dense.model_flash:,} B)")
        v["ram"].setText(f"{pt.model_ram:,} B")
        if not info["floor_met"]:
            v["pruned"].setText(
                f"{0:.1%} <span style='color:#c62828'>(even the unpruned model is below this minimum)</span>"
            )
        self._show_firmware(info["pruned_weights"])
        self.fit_view.show_fits(pt.boards)
        self.fit_view.show_latency(self._latency.get(info["pruned_weights"]))
        self.floor_line.setValue(floor)
        x = 100 * info["sparsity"]
        self.chosen_line.setValue(x)
        self.marker.setData([x], [info["val_accuracy"]])
        self._selection = {
            **info,
            "test_accuracy": pt.test_accuracy,
            "firmware_test_accuracy": self._firmware.get(info["pruned_weights"]),  # None until computed
            "stored_weights": pt.stored,
            "model_flash": pt.model_flash,
            "model_ram": pt.model_ram,
            "fits": {k: f.fits for k, f in pt.boards.items()},
            "min_accuracy": floor,
        }
        self.studio.floor = floor
        self.last_update_ms = 1000 * (time.perf_counter() - start)

    # -- the firmware's accuracy at the chosen point (worker) ------------------------------------------
    def _show_firmware(self, pruned: int) -> None:
        acc = self._firmware.get(pruned)
        if acc is None:
            self.values["firmware"].setText("<i>computing...</i>")
            self._firmware_timer.start()  # restarted by every move: computed once the slider rests
        else:
            self.values["firmware"].setText(f"<b>{acc:.1%}</b> (int8, what the board's info line says)")

    def _firmware_start(self) -> None:
        from bingo_studio.deploy.export import firmware_accuracy

        run, plan, method, floor = self.studio.run, self.studio.plan, self.studio.method, self.floor()
        if run is None or plan is None:
            return
        pruned = plan.lookup(floor)["pruned_weights"]
        if pruned in self._firmware:
            return

        def done(acc: float) -> None:
            self._firmware[pruned] = acc
            if self._selection.get("pruned_weights") == pruned:
                self._selection["firmware_test_accuracy"] = acc
                self._show_firmware(pruned)

        def failed(message: str) -> None:
            self.values["firmware"].setText(f"<span style='color:#c62828'>{message}</span>")

        self.firmware_work.start(lambda s: firmware_accuracy(run, floor, method, plan), done, failed)

    def selection(self) -> dict:
        return dict(self._selection)

    def points(self) -> np.ndarray:
        return np.array(sorted(self.studio.grid))

    def state(self) -> dict:
        return {"method": self.method_box.currentData(), "min_accuracy": self.floor()}

    def restore(self, s: dict) -> None:
        i = self.method_box.findData(s.get("method", "bingo"))
        if i >= 0:
            self.method_box.setCurrentIndex(i)
        if "min_accuracy" in s:
            self.studio.floor = float(s["min_accuracy"])
