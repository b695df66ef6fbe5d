"""Step 1, Data & model: pick a dataset (or a CSV file) and a model, see its size against each board.

Inputs: the Studio (shared state); the user's choices.
Outputs: Studio.set_dataset(Dataset) once a dataset has loaded; ``run_config()`` -> RunConfig
(dataset + model parts) for the Train step; ``state()``/``restore()`` for projects.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bingo_studio.config import DatasetConfig, ModelConfig
from bingo_studio.errors import UserError
from bingo_studio.gui import terms
from bingo_studio.gui.board_fit import BOARD_KEYS, BoardFitView
from bingo_studio.gui.studio import Studio
from bingo_studio.gui.workers import TaskSlot

CSV_ITEM = "csv"


def _dense_size(model_cfg: ModelConfig, dataset) -> tuple[dict, object]:
    """(describe(model), firmware size report) of an untrained dense model: what the user picks."""
    import torch

    from bingo_studio.firmware.size import size_report
    from bingo_studio.firmware.spec import FirmwareModel
    from bingo_studio.models import build_model, describe, prunable_layers

    model = build_model(model_cfg, dataset.n_features, dataset.n_classes)
    keep_all = {n: torch.ones_like(m.weight, dtype=torch.bool) for n, m in prunable_layers(model).items()}
    fm = FirmwareModel.from_torch(model, dataset, keep_all)
    return describe(model), size_report(fm, boards=BOARD_KEYS)


class DataPage(QWidget):
    def __init__(self, studio: Studio, parent: QWidget | None = None):
        super().__init__(parent)
        from bingo_studio.data import list_datasets
        from bingo_studio.models import FAMILIES, PRESETS

        self.studio = studio
        # one current task of each kind: a newer request supersedes the older one's result
        self.previews, self.loads, self.sizing = TaskSlot(self), TaskSlot(self), TaskSlot(self)
        self.sizes = None  # (describe dict, firmware SizeReport) of the chosen model

        # -- dataset ---------------------------------------------------------------------------
        self.dataset_box = QComboBox()
        self.dataset_box.setToolTip("A built-in dataset, or your own CSV file")
        for d in list_datasets():
            if d["name"] == CSV_ITEM:
                continue
            label = d["name"] if d["available"] else f"{d['name']} (not installed)"
            self.dataset_box.addItem(label, d["name"])
            i = self.dataset_box.count() - 1
            self.dataset_box.setItemData(
                i,
                d["description"] + ("" if d["available"] else f"\n{d['reason']}"),
                Qt.ItemDataRole.ToolTipRole,
            )
            if not d["available"]:
                self.dataset_box.model().item(i).setEnabled(False)
        self.dataset_box.addItem("Your CSV file...", CSV_ITEM)
        self.dataset_info = QLabel("")
        self.dataset_info.setWordWrap(True)

        self.csv_path = QLineEdit()
        self.csv_path.setPlaceholderText("path to a .csv file: numeric columns plus one label column")
        self.csv_browse = QPushButton("Browse...")
        self.csv_label = QComboBox()
        self.csv_label.setToolTip("The column holding the class of each row (default: the last column)")
        self.csv_errors = QLabel("")
        self.csv_errors.setWordWrap(True)
        self.csv_errors.setStyleSheet("color: #c62828;")
        self.csv_errors.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview = QTableWidget(0, 0)
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.preview.setMinimumHeight(160)
        self.csv_box = QGroupBox("CSV file")
        cl = QVBoxLayout(self.csv_box)
        row = QHBoxLayout()
        row.addWidget(self.csv_path, 1)
        row.addWidget(self.csv_browse)
        cl.addLayout(row)
        form = QFormLayout()
        form.addRow("Label column:", self.csv_label)
        cl.addLayout(form)
        cl.addWidget(self.csv_errors)
        self.csv_box.setVisible(False)
        self.preview_title = QLabel("First rows (the label column is highlighted):")

        dbox = QGroupBox("1. Data")
        dl = QVBoxLayout(dbox)
        f = QFormLayout()
        f.addRow("Dataset:", self.dataset_box)
        dl.addLayout(f)
        dl.addWidget(self.dataset_info)
        dl.addWidget(self.csv_box)
        dl.addWidget(self.preview_title)
        dl.addWidget(self.preview, 1)

        # -- model -----------------------------------------------------------------------------
        self.preset_box = QComboBox()
        for name, p in PRESETS.items():
            self.preset_box.addItem(f"{name}  ({', '.join(map(str, p.hidden))})", name)
            self.preset_box.setItemData(
                self.preset_box.count() - 1, p.description, Qt.ItemDataRole.ToolTipRole
            )
        self.preset_box.addItem("custom", "custom")
        self.hidden_edit = QLineEdit("32,16")
        self.hidden_edit.setToolTip(terms.HIDDEN)
        self.family_box = QComboBox()
        for name, description in FAMILIES.items():
            self.family_box.addItem(name, name)
            self.family_box.setItemData(self.family_box.count() - 1, description, Qt.ItemDataRole.ToolTipRole)
        self.family_box.setToolTip("Layer family. dense: ordinary layers. mam: max + min of products, prunes very"
                                   " well but trains slower. binary: one bit a weight, the smallest firmware.")
        self.model_info = QLabel("")
        self.model_info.setWordWrap(True)
        self.fit_view = BoardFitView()
        mbox = QGroupBox("2. Model")
        ml = QVBoxLayout(mbox)
        f = QFormLayout()
        f.addRow("Preset:", self.preset_box)
        f.addRow("Hidden layers:", self.hidden_edit)
        f.addRow("Layer family:", self.family_box)
        ml.addLayout(f)
        ml.addWidget(self.model_info)
        ml.addWidget(QLabel("Dense (unpruned) model as firmware, int8 weights:"))
        ml.addWidget(self.fit_view)
        ml.addStretch(1)

        lay = QHBoxLayout(self)
        lay.addWidget(dbox, 3)
        lay.addWidget(mbox, 2)

        self.dataset_box.currentIndexChanged.connect(self._dataset_picked)
        self.csv_browse.clicked.connect(self._browse)
        self.csv_path.editingFinished.connect(lambda: self._preview_csv(None))
        self.csv_label.activated.connect(lambda _i: self._preview_csv(self.csv_label.currentText()))
        self.preset_box.currentIndexChanged.connect(self._preset_picked)
        self.hidden_edit.editingFinished.connect(self._hidden_edited)
        self.family_box.currentIndexChanged.connect(lambda _i: self._update_sizes())
        studio.dataset_changed.connect(self._update_sizes)

        self._preset_picked()
        self._dataset_picked()

    # -- settings out ------------------------------------------------------------------------------
    def dataset_config(self) -> DatasetConfig:
        name = self.dataset_box.currentData()
        if name == CSV_ITEM:
            label = self.csv_label.currentText() or None
            return DatasetConfig(name="csv", csv_path=self.csv_path.text().strip() or None, label=label)
        return DatasetConfig(name=name)

    def model_config(self) -> ModelConfig:
        preset = self.preset_box.currentData()
        family = self.family_box.currentData()
        if preset == "custom":
            return ModelConfig(preset="custom", hidden=self._widths(), family=family)
        return ModelConfig(preset=preset, family=family)

    def _widths(self) -> list[int]:
        text = self.hidden_edit.text().replace(" ", "")
        try:
            widths = [int(w) for w in text.split(",") if w]
        except ValueError:
            raise UserError(f"'{text}' is not a list of layer widths like 32,16") from None
        if not widths or min(widths) < 1:
            raise UserError("hidden layer widths must be positive whole numbers, like 32,16")
        return widths

    # -- dataset -----------------------------------------------------------------------------------
    def select_dataset(self, name: str) -> None:
        i = self.dataset_box.findData(name)
        if i >= 0:
            self.dataset_box.setCurrentIndex(i)

    def _dataset_picked(self, *_args) -> None:
        is_csv = self.dataset_box.currentData() == CSV_ITEM
        self.csv_box.setVisible(is_csv)
        if is_csv:
            if self.csv_path.text().strip():
                self._preview_csv(self.csv_label.currentText() or None)
            else:
                self.dataset_info.setText(
                    "Choose a CSV file: one row per sample, numbers in the feature "
                    "columns and the class in a label column."
                )
            return
        self._load(self.dataset_config())

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a CSV file", str(Path.home()), "CSV files (*.csv *.txt);;All (*)"
        )
        if path:
            self.set_csv(path)

    def set_csv(self, path: str, label: str | None = None) -> None:
        """Show a CSV file's preview (and load it when it has no errors)."""
        self.select_dataset(CSV_ITEM)
        self.csv_path.setText(str(path))
        self._preview_csv(label)

    def _preview_csv(self, label: str | None) -> None:
        from bingo_studio.data.csv_import import preview_csv

        path = self.csv_path.text().strip()
        if not path:
            return
        self.csv_errors.setText("Reading the file...")
        self._start(self.previews, lambda _s: preview_csv(path, label), self._show_preview)

    def _show_preview(self, p: dict) -> None:
        header = p.get("header") or []
        self.csv_label.blockSignals(True)
        self.csv_label.clear()
        self.csv_label.addItems(header)
        if p.get("label_column") in header:
            self.csv_label.setCurrentText(p["label_column"])
        self.csv_label.blockSignals(False)
        rows = p.get("rows") or []
        self.preview.clear()
        self.preview.setColumnCount(len(header))
        self.preview.setRowCount(len(rows))
        self.preview.setHorizontalHeaderLabels(header)
        label_idx = p.get("label_index")
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells[: len(header)]):
                item = QTableWidgetItem(text)
                if c == label_idx:
                    item.setBackground(QColor("#fff3c4"))
                self.preview.setItem(r, c, item)
        self.preview.resizeColumnsToContents()
        errors = p.get("errors") or []
        if errors:
            more = f"\n(and {len(errors) - 5} more)" if len(errors) > 5 else ""
            self.csv_errors.setText("\n".join(errors[:5]) + more)
            self.dataset_info.setText(
                f"{p.get('n_rows', 0)} rows read; fix the problems below to use this file."
            )
            return
        self.csv_errors.setText("")
        counts = ", ".join(f"{c}: {n}" for c, n in zip(p.get("classes", []), p.get("class_counts", [])))
        self.dataset_info.setText(f"{p['n_rows']} rows, label column '{p.get('label_column')}' ({counts})")
        self._load(self.dataset_config())

    def _preview_dataset(self, ds, n: int = 20) -> None:
        names = list(ds.feature_names) or [f"x{i}" for i in range(ds.n_features)]
        header = ["label", *names]
        self.preview.clear()
        self.preview.setColumnCount(len(header))
        self.preview.setRowCount(min(n, len(ds.y_train)))
        self.preview.setHorizontalHeaderLabels(header)
        for r in range(self.preview.rowCount()):
            label = QTableWidgetItem(ds.class_names[int(ds.y_train[r])])
            label.setBackground(QColor("#fff3c4"))
            self.preview.setItem(r, 0, label)
            for c, v in enumerate(ds.x_train[r], start=1):
                self.preview.setItem(r, c, QTableWidgetItem(f"{float(v):g}"))
        self.preview.resizeColumnsToContents()

    def _load(self, cfg: DatasetConfig) -> None:
        from bingo_studio.data import load_dataset

        self.dataset_info.setText(f"Loading {cfg.name}...")

        def done(ds) -> None:
            self.dataset_info.setText(
                f"<b>{ds.name}</b>: {ds.description}<br>{len(ds.y_train)} training, "
                f"{len(ds.y_val)} validation and {len(ds.y_test)} test samples; {ds.n_features} features, "
                f"{ds.n_classes} classes."
            )
            self.dataset_info.setToolTip(terms.VALIDATION)
            if cfg.name != CSV_ITEM:
                self._preview_dataset(ds)
            self.studio.config.dataset = cfg
            self.studio.set_dataset(ds)

        def failed(msg: str) -> None:
            target = self.csv_errors if cfg.name == CSV_ITEM else self.dataset_info
            target.setText(
                f"<span style='color:#c62828'>{msg}</span>" if target is self.dataset_info else msg
            )

        self._start(self.loads, lambda _s: load_dataset(cfg), done, failed)

    # -- model -------------------------------------------------------------------------------------
    def _preset_picked(self, *_args) -> None:
        from bingo_studio.models import PRESETS

        preset = self.preset_box.currentData()
        if preset in PRESETS:
            self.hidden_edit.setText(",".join(map(str, PRESETS[preset].hidden)))
        self._update_sizes()

    def _hidden_edited(self) -> None:
        from bingo_studio.models import PRESETS

        preset = self.preset_box.currentData()
        text = self.hidden_edit.text().replace(" ", "")
        if preset in PRESETS and text != ",".join(map(str, PRESETS[preset].hidden)):
            self.preset_box.blockSignals(True)
            self.preset_box.setCurrentIndex(self.preset_box.findData("custom"))
            self.preset_box.blockSignals(False)
        self._update_sizes()

    def _update_sizes(self) -> None:
        ds = self.studio.dataset
        try:
            cfg = self.model_config()
        except UserError as e:
            self.model_info.setText(f"<span style='color:#c62828'>{e}</span>")
            self.studio.model_error = str(e)
            return
        self.studio.model_error = ""
        self.studio.config.model = cfg
        if ds is None:
            self.model_info.setText("Sizes appear once the dataset has loaded.")
            return
        def done(result) -> None:
            info, report = result
            self.sizes = result
            widths = [ds.n_features, *(cfg.hidden or []), ds.n_classes]
            if cfg.preset != "custom":
                from bingo_studio.models import PRESETS

                widths = [ds.n_features, *PRESETS[cfg.preset].hidden, ds.n_classes]
            self.model_info.setText(
                f"Layers {' - '.join(map(str, widths))}: <b>{info['parameters']:,} parameters</b> "
                f"({info['prunable_weights']:,} prunable weights).<br>Dense size: "
                f"{info['dense_float32_bytes']:,} B as float32, about {report.model_flash:,} B as int8 "
                "firmware tables."
            )
            self.fit_view.show_fits(report.boards)

        self._start(
            self.sizing,
            lambda _s: _dense_size(cfg, ds),
            done,
            lambda m: self.model_info.setText(f"<span style='color:#c62828'>{m}</span>"),
        )

    # -- projects ----------------------------------------------------------------------------------
    def state(self) -> dict:
        return {
            "dataset": self.dataset_box.currentData(),
            "csv_path": self.csv_path.text(),
            "csv_label": self.csv_label.currentText(),
            "preset": self.preset_box.currentData(),
            "hidden": self.hidden_edit.text(),
            "family": self.family_box.currentData(),
        }

    def restore(self, s: dict) -> None:
        self.csv_path.setText(s.get("csv_path", ""))
        if s.get("csv_label"):
            self.csv_label.clear()
            self.csv_label.addItem(s["csv_label"])
        i = self.preset_box.findData(s.get("preset", "digits-tiny"))
        if i >= 0:
            self.preset_box.setCurrentIndex(i)
        self.hidden_edit.setText(s.get("hidden", self.hidden_edit.text()))
        i = self.family_box.findData(s.get("family", "dense"))
        if i >= 0:
            self.family_box.setCurrentIndex(i)
        i = self.dataset_box.findData(s.get("dataset", "digits"))
        if i >= 0 and i != self.dataset_box.currentIndex():
            self.dataset_box.setCurrentIndex(i)
        elif i >= 0:
            self._dataset_picked()
        self._update_sizes()

    def _start(self, slot: TaskSlot, fn, done, failed=None) -> None:
        slot.start(fn, done, failed or (lambda m: self.dataset_info.setText(m)))

    def busy(self) -> bool:
        return any(slot.busy() for slot in (self.previews, self.loads, self.sizing))
