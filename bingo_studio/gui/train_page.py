"""Step 2, Train: the engine's training loop (BINGO scoring on) in a worker, with live plots.

Inputs: Studio.dataset and Studio.config (dataset + model from step 1), and set_dataset_problem(str):
why step 1 has no dataset now; epochs, batch size, learning rate, BINGO searches and the significance
estimator and how much pruning the run does during training (the ladder's recovery budget) from this page.
Outputs: Studio.set_run(Run) when training ends (complete, or cancelled after at least one epoch);
the run is saved to ``Studio.work_dir / "run"`` after every epoch by the worker, so a crash or a
quit loses at most the epoch in progress.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from bingo_studio.config import LadderConfig, RunConfig, ScoringConfig, TrainConfig
from bingo_studio.gui import terms
from bingo_studio.gui.studio import Studio
from bingo_studio.gui.workers import TaskSlot

LAYER_COLORS = (  # matplotlib's tab10: ten colours told apart easily
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
HIST_BINS = 40
ESTIMATORS = (  # (shown, ScoringConfig.estimator): the estimators a user chooses between
    ("train-time (default)", "train-time"),
    ("paper (the formula as written)", "paper"),
)
LADDER_EFFORTS = (  # (shown, LadderConfig.recovery): the ladder budgets a user chooses between (CLI: --ladder-recovery)
    ("standard (1.5x)", LadderConfig.recovery),  # (x the time of plain training: the tooltip says so)
    ("thorough (2x)", 1.0),
    ("off (one-shot)", 0.0),
)
ZERO_SIGNIFICANCE = -11.9  # the train-time estimator's log10 scale puts weights at zero at -12
SIG_TITLE = "Significance of the weights, per layer"


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"


def make_plot(title: str, left: str, bottom: str, legend: tuple[int, int] = (-10, 10)) -> pg.PlotWidget:
    w = pg.PlotWidget(background="w")
    w.setTitle(title, color="#222", size="10pt")
    w.setLabel("left", left)
    w.setLabel("bottom", bottom)
    w.showGrid(x=True, y=True, alpha=0.3)
    w.addLegend(offset=legend, labelTextColor="#222", brush=pg.mkBrush(255, 255, 255, 200))
    for axis in ("left", "bottom"):
        w.getAxis(axis).enableAutoSIPrefix(False)  # accuracy stays 0..1, not "x0.001"
    w.setMinimumHeight(200)
    return w


class TrainPage(QWidget):
    def __init__(self, studio: Studio, parent: QWidget | None = None):
        super().__init__(parent)
        self.studio = studio
        self.work = TaskSlot(self)  # training
        self.recovery = TaskSlot(self)  # reading back the epochs a crashed training saved
        defaults, scoring = TrainConfig(), ScoringConfig()

        self.epochs = QSpinBox()
        self.epochs.setRange(1, 1000)
        self.epochs.setValue(defaults.epochs)
        self.epochs.setToolTip(terms.EPOCH)
        self.batch = QSpinBox()
        self.batch.setRange(1, 4096)
        self.batch.setValue(defaults.batch_size)
        self.batch.setToolTip("Samples per optimizer step")
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(4)
        self.lr.setRange(0.0001, 0.1)
        self.lr.setSingleStep(0.0005)
        self.lr.setValue(defaults.lr)
        self.lr.setToolTip("Learning rate: how big each training step is (0.001 is a good start)")
        self.searches = QSpinBox()
        self.searches.setRange(0, 64)
        self.searches.setValue(scoring.searches_per_step)
        self.searches.setToolTip(terms.LOTTERY + "\nThis is how many groups are tried each time (0 = none).")
        self.estimator = QComboBox()
        for text, name in ESTIMATORS:
            self.estimator.addItem(text, name)
        self.estimator.setToolTip(terms.ESTIMATOR)
        self.effort = QComboBox()
        for text, recovery in LADDER_EFFORTS:
            self.effort.addItem(text, recovery)
        self.effort.setToolTip(terms.LADDER_EFFORT)

        self.train_button = QPushButton("Train")
        self.train_button.setToolTip("Train the model, scoring every weight with BINGO (Ctrl+T)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the current step; finished epochs are kept (Esc)")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setToolTip("How much of the training is done (all epochs = 100%)")
        self.status = QLabel("Press Train to start.")
        self.status.setWordWrap(True)
        self.status.setToolTip(terms.TRAIN_STATUS)
        self.dataset_problem = ""  # why step 1 has no dataset, as the data page says

        settings = QGroupBox("Training")
        form = QFormLayout(settings)
        form.addRow("Epochs:", self.epochs)
        form.addRow("Batch size:", self.batch)
        form.addRow("Learning rate:", self.lr)
        form.addRow("BINGO searches per step:", self.searches)
        form.addRow("Significance estimator:", self.estimator)
        form.addRow("Pruning during training:", self.effort)
        for field in (self.epochs, self.batch, self.lr, self.searches, self.estimator, self.effort):
            form.labelForField(field).setToolTip(field.toolTip())
        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.cancel_button)
        form.addRow(buttons)
        form.addRow(self.progress)
        form.addRow(self.status)
        explain = QLabel(terms.LOTTERY)
        explain.setWordWrap(True)
        explain.setStyleSheet("color: #555;")
        form.addRow(explain)

        self.loss_plot = make_plot("Loss per epoch", "loss", "epoch")
        self.loss_plot.setToolTip(terms.LOSS)
        self.acc_plot = make_plot("Accuracy per epoch", "accuracy", "epoch", legend=(-10, -10))
        self.acc_plot.setToolTip(terms.ACCURACY_PLOT)
        self.acc_plot.setYRange(0, 1)
        self.sig_plot = make_plot(
            SIG_TITLE, "share of weights", "significance (higher = more important; see the tooltip)"
        )
        self.sig_plot.setToolTip(terms.SIGNIFICANCE)
        self.loss_curve = self.loss_plot.plot(
            [], [], pen=pg.mkPen("#d62728", width=2), symbol="o", symbolSize=5, name="training loss"
        )
        self.train_curve = self.acc_plot.plot(
            [], [], pen=pg.mkPen("#1f77b4", width=2), symbol="o", symbolSize=5, name="train"
        )
        self.val_curve = self.acc_plot.plot(
            [], [], pen=pg.mkPen("#2ca02c", width=2), symbol="t", symbolSize=6, name="validation"
        )
        # where dense training stopped early, the epoch whose network the ladder grew from
        self.kept_line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#777", width=1, dash=[4, 4]),
                                         label="network kept", labelOpts={
                                             "position": 0.45, "color": "#555", "anchors": [(1, 0.5), (1, 0.5)]})
        self.kept_line.setVisible(False)
        self.acc_plot.addItem(self.kept_line)
        self.hist_items: dict[str, pg.PlotDataItem] = {}

        plots = QVBoxLayout()
        top = QHBoxLayout()
        top.addWidget(self.loss_plot)
        top.addWidget(self.acc_plot)
        plots.addLayout(top)
        plots.addWidget(self.sig_plot)
        lay = QHBoxLayout(self)
        left = QVBoxLayout()
        left.addWidget(settings)
        left.addStretch(1)
        lay.addLayout(left, 0)
        lay.addLayout(plots, 1)
        settings.setMaximumWidth(330)

        self.history: list[dict] = []
        self._out = None  # the folder the current (or last) training writes
        self.train_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        studio.dataset_changed.connect(self._ready_text)

    def _ready_text(self) -> None:
        if not self.work.busy() and self.studio.dataset is not None and self.studio.run is None:
            self.status.setText(f"Ready to train on {self.studio.dataset.name}. Press Train.")
        elif self.dataset_problem and self.studio.dataset is None and self.studio.run is None:
            if not self.is_training():  # a training in progress keeps its progress line
                self.status.setText(f"Waiting for step 1: {self.dataset_problem}.")

    def set_dataset_problem(self, text: str) -> None:
        self.dataset_problem = text
        self._ready_text()

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            epochs=self.epochs.value(), batch_size=self.batch.value(), lr=self.lr.value()
        )

    def run_config(self) -> RunConfig:
        cfg = self.studio.config
        scoring = ScoringConfig(searches_per_step=self.searches.value(), estimator=self.estimator.currentData())
        return RunConfig(dataset=cfg.dataset, model=cfg.model, train=self.train_config(), scoring=scoring,
                         ladder=LadderConfig(recovery=self.effort.currentData()))

    # -- training ----------------------------------------------------------------------------------
    def start(self) -> None:
        from bingo_studio.runs import save_run
        from bingo_studio.training import train

        if self.work.busy():
            return
        dataset = self.studio.dataset
        if dataset is None:
            why = self.dataset_problem or "pick a dataset, and wait until it has loaded"
            self.status.setText(f"<span style='color:#c62828'>Nothing trained. Step 1: {why}.</span>")
            return
        if self.studio.model_error:
            self.status.setText(f"<span style='color:#c62828'>Step 1: {self.studio.model_error}</span>")
            return
        cfg = self.run_config()
        out = self._out = self.studio.new_run_dir()
        self._reset_plots()
        self.status.setText(f"Training {cfg.model.preset} on {dataset.name}...")
        self.train_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)

        def work(state):
            run = train(cfg, dataset, state, on_epoch=lambda r: save_run(r, out))
            if run.history:
                save_run(run, out)
            return run

        self.work.start(work, self._done, self._failed, self._progress)
        self.studio.status.emit("Training...")

    def cancel(self) -> None:
        if self.work.busy():
            self.work.stop()  # training ends after the current step and keeps its finished epochs
            self.status.setText("Cancelling after the current step...")

    def is_training(self) -> bool:
        return self.work.busy()

    def _progress(self, p) -> None:
        self.progress.setValue(int(1000 * p.fraction))
        if p.phase.endswith("ladder"):  # after the dense epochs: rungs, the pruned share grows
            self.status.setText(f"{p.message[:1].upper()}{p.message[1:]} · elapsed {_clock(p.elapsed)}")
            if p.pruned is not None:
                self.show_significance(p.significance, p.pruned)
            return
        text = f"Epoch {p.epoch} of {p.epochs}"
        if p.loss is not None:
            text += f" · loss {p.loss:.3f}"
        if p.val_accuracy is not None:
            text += f" · validation accuracy {p.val_accuracy:.1%}"
        text += f" · elapsed {_clock(p.elapsed)} · ETA {_clock(p.eta)}"
        self.status.setText(text)
        if p.significance is not None:  # an epoch ended
            self.history.append(
                {"epoch": p.epoch, "loss": p.loss, "train": p.train_accuracy, "val": p.val_accuracy}
            )
            self._plot_history()
            self.show_significance(p.significance)

    def _done(self, run) -> None:
        self.train_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if run.status == "cancelled" and not run.history:
            self.status.setText("Training cancelled before the first epoch ended; nothing to keep.")
            self.progress.setValue(0)
            self.studio.status.emit("Training cancelled")
            return
        m = run.metrics
        if run.status == "cancelled":
            head = f"Training cancelled after {len(run.history)} epoch(s); the finished epochs are kept."
        else:
            head = f"Training complete in {run.train_seconds:.1f} s."
            self.progress.setValue(1000)
        handover = run.handover()
        early = f"<br>{handover[0].upper()}{handover[1:]} to grow its pruned networks." if handover else ""
        self.status.setText(
            f"{head}<br>Dense accuracy: validation <b>{m['dense_val_accuracy']:.1%}</b>, test "
            f"<b>{m['dense_test_accuracy']:.1%}</b>.{early} Next: step 3, Prune."
        )
        self.mark_kept_epoch(run)
        self.studio.set_run(run)
        self.studio.status.emit(head)

    def _failed(self, message: str) -> None:
        """A crash in the worker: say so, and take back the epochs it saved before crashing."""
        from bingo_studio.runs import load_run

        self.train_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        failed = f"<span style='color:#c62828'>Training failed: {message}</span>"
        self.status.setText(failed)
        saved = self._out
        if saved is None or not (saved / "run.json").exists():
            return

        def kept(run) -> None:
            if not run.history:
                return
            self.status.setText(
                f"{failed}<br>The {len(run.history)} epoch(s) finished before were saved in "
                f"{saved} and are kept."
            )
            self.studio.set_run(run)

        self.recovery.start(lambda _s: load_run(saved), kept)

    # -- plots -------------------------------------------------------------------------------------
    def _reset_plots(self) -> None:
        self.history = []
        self.kept_line.setVisible(False)
        self._plot_history()
        for item in self.hist_items.values():
            self.sig_plot.removeItem(item)
        self.hist_items = {}
        legend = self.sig_plot.plotItem.legend
        if legend is not None:
            legend.clear()

    def _plot_history(self) -> None:
        ep = [h["epoch"] for h in self.history]
        self.loss_curve.setData(ep, [h["loss"] for h in self.history])
        self.train_curve.setData(ep, [h["train"] for h in self.history])
        self.val_curve.setData(ep, [h["val"] for h in self.history])

    def mark_kept_epoch(self, run) -> None:
        """A dashed line at the epoch whose network the ladder started from, when dense training stopped early."""
        epoch = run.metrics.get("dense_epoch") if run.epochs_left_to_ladder else None
        if epoch:
            self.kept_line.setPos(epoch)
        self.kept_line.setVisible(bool(epoch))

    def show_history(self, history: list[dict]) -> None:
        self.history = [
            {"epoch": h["epoch"], "loss": h["loss"], "train": h["train_accuracy"], "val": h["val_accuracy"]}
            for h in history
        ]
        self._plot_history()

    def show_significance(self, significance: dict[str, np.ndarray], pruned: dict[str, float] | None = None) -> None:
        """One step histogram a layer, as the share of that layer's weights in each bin, over the whole
        range of the measured values (none clipped into an end bin); weights at exactly zero (-12 on the
        train-time scale) are left out. ``pruned``: while the ladder grows, the share of each layer
        pruned so far; those weights (NaN) are left out too, so each layer's area is what it keeps."""
        values = np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in significance.values()])
        values = values[np.isfinite(values) & (values > ZERO_SIGNIFICANCE)]
        lo, hi = (float(values.min()), float(values.max())) if len(values) else (0.0, 0.0)
        flat = hi - lo <= 1e-12 * max(1.0, abs(hi))
        title = SIG_TITLE + (" - not measured yet, all equal so far" if flat else "")
        if pruned is not None:
            total = sum(significance[n].size for n in pruned)
            share = sum(pruned[n] * significance[n].size for n in pruned) / max(1, total)
            title = f"{SIG_TITLE} - ladder: {share:.1%} pruned"  # the tooltip says how to read it
        self.sig_plot.setTitle(title, color="#222", size="10pt")
        if flat:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, HIST_BINS + 1)
        for i, (name, v) in enumerate(significance.items()):
            v = np.asarray(v, dtype=np.float64).ravel()
            counts, _ = np.histogram(v[np.isfinite(v)], bins=edges)
            # of the layer's weights: as the ladder prunes, the area shrinks to the share kept
            share = counts / max(1, counts.sum() if pruned is None else v.size)
            label = f"{name} ({v.size:,} weights)"
            if pruned is not None:
                label = f"{name} ({pruned[name]:.0%} of {v.size:,} pruned)"
            item = self.hist_items.get(name)
            if item is None:
                color = LAYER_COLORS[i % len(LAYER_COLORS)]
                brush = pg.mkColor(color)
                brush.setAlpha(50)
                item = self.sig_plot.plot(
                    edges,
                    share,
                    stepMode="center",
                    fillLevel=0,
                    brush=brush,
                    pen=pg.mkPen(color, width=2),
                    name=label,
                )
                self.hist_items[name] = item
            else:
                item.setData(edges, share)
                self._rename(item, label)

    def _rename(self, item, label: str) -> None:
        """A histogram's legend entry: pyqtgraph sizes the legend when an item is added, so the
        entries are added again, in order, for the box to fit the new text."""
        if item.opts.get("name") == label:
            return
        item.opts["name"] = label
        legend = self.sig_plot.getPlotItem().legend
        legend.clear()
        for other in self.hist_items.values():
            legend.addItem(other, other.opts["name"])

    def state(self) -> dict:
        return {
            "epochs": self.epochs.value(),
            "batch": self.batch.value(),
            "lr": self.lr.value(),
            "searches": self.searches.value(),
            "estimator": self.estimator.currentData(),
            "recovery": self.effort.currentData(),
        }

    def restore(self, s: dict) -> None:
        self.epochs.setValue(int(s.get("epochs", self.epochs.value())))
        self.batch.setValue(int(s.get("batch", self.batch.value())))
        self.lr.setValue(float(s.get("lr", self.lr.value())))
        self.searches.setValue(int(s.get("searches", self.searches.value())))
        i = self.estimator.findData(s.get("estimator", "train-time"))
        self.estimator.setCurrentIndex(max(i, 0))
        i = self.effort.findData(float(s.get("recovery", LadderConfig.recovery)))
        self.effort.setCurrentIndex(max(i, 0))

    def reset(self) -> None:
        """A new project: default settings; no status, progress, plots or history of the last one.
        A training still running is stopped and its result dropped (its epochs stay in its folder)."""
        self._abandon_training()
        self.train_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        defaults, scoring = TrainConfig(), ScoringConfig()
        self.restore(
            {"epochs": defaults.epochs, "batch": defaults.batch_size, "lr": defaults.lr,
             "searches": scoring.searches_per_step, "estimator": scoring.estimator,
             "recovery": LadderConfig.recovery}
        )
        self.progress.setValue(0)
        self._reset_plots()
        self.sig_plot.setTitle(SIG_TITLE, color="#222", size="10pt")
        self.status.setText("Press Train to start.")
        self._ready_text()

    def _abandon_training(self) -> None:
        """Stop the training and drop whatever it still delivers: it belongs to the last project."""
        self.work.cancel()
