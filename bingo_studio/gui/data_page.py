"""Step 1, Data & model: pick a dataset (or a CSV file) and a model, see its size against each board.

Inputs: the Studio (shared state); the user's choices.
Outputs: Studio.set_dataset(Dataset) once a dataset has loaded, and set_dataset(None) while the
choice is loading or unusable (a broken CSV file), so Train never trains a dataset no longer shown;
``problem_changed(str)``: why there is no dataset ("" once there is one); ``run_config()`` ->
RunConfig (dataset + model parts) for the Train step; ``state()``/``restore()``/``reset()`` for
projects.

A CSV file's label column is guessed (bingo_studio.data.csv_import.guess_label_column) until the
user picks one; the pick is kept when the same file is read again (Reload, or Browse to it again).
The preview numbers its rows as a spreadsheet does, which is how the error messages name them.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt, Signal
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
PREVIEW_ROWS = 100
ERROR_BG = "#ffcdd2"
LABEL_BG = "#fff3c4"
# "row 12", "row 12, column 'b'", "row 12, label column 'species'": where a CSV problem is
ERROR_PLACE = re.compile(r"^row (\d+)(?:, (label )?column '([^']*)')?")
LABEL_TIP = (
    "The column holding the class of each row. When you open a file it is guessed: a column named "
    "label, class, target or species, else a column of text, else y, else the last column. Pick another "
    "here if the guess is wrong; your choice is kept when you Reload the file."
)
PREVIEW_TIP = (
    "The first rows of your file. Row numbers are the file's rows as a spreadsheet numbers them (the "
    "header is row 1), the same numbers the problems below name; cells with a problem are red."
)


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
    problem_changed = Signal(str)  # why step 1 has no usable dataset now; "" when it has one

    def __init__(self, studio: Studio, parent: QWidget | None = None):
        super().__init__(parent)
        from bingo_studio.data import list_datasets
        from bingo_studio.models import FAMILIES, PRESETS

        self.studio = studio
        # one current task of each kind: a newer request supersedes the older one's result
        self.previews, self.loads, self.sizing = TaskSlot(self), TaskSlot(self), TaskSlot(self)
        self.sizes = None  # (describe dict, firmware SizeReport) of the chosen model
        self._sizes_for = None  # the dataset those sizes were computed for
        self.problem = ""
        self.csv_preview: dict | None = None  # the last preview_csv() result shown
        self.label_choice: str | None = None  # the user's label column (name or index); None: guessed
        self._label_file = ""  # the file label_choice was made for

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
        self.dataset_info.setToolTip(terms.VALIDATION)

        self.csv_path = QLineEdit()
        self.csv_path.setPlaceholderText("path to a .csv file: numeric columns plus one label column")
        self.csv_browse = QPushButton("Browse...")
        self.csv_reload = QPushButton("Reload")
        self.csv_reload.setToolTip("Read the file again after fixing it (your label column is kept)")
        self.csv_label = QComboBox()
        self.csv_label.setToolTip(LABEL_TIP)
        self.csv_label_hint = QLabel("")
        self.csv_label_hint.setStyleSheet("color: #555;")
        self.csv_label_hint.setWordWrap(True)  # the page must fit a 1024-pixel-wide screen
        self.csv_label_hint.setToolTip(LABEL_TIP)
        self.csv_errors = QLabel("")
        self.csv_errors.setWordWrap(True)
        self.csv_errors.setStyleSheet("color: #c62828;")
        self.csv_errors.setTextFormat(Qt.TextFormat.PlainText)  # cells quoted in messages may hold "<"
        self.csv_errors.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview = QTableWidget(0, 0)
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.preview.setMinimumHeight(160)
        self.preview.setToolTip(PREVIEW_TIP)
        self.preview.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)  # more rows in view
        self.csv_box = QGroupBox("CSV file")
        cl = QVBoxLayout(self.csv_box)
        row = QHBoxLayout()
        row.addWidget(self.csv_path, 1)
        row.addWidget(self.csv_browse)
        row.addWidget(self.csv_reload)
        cl.addLayout(row)
        row = QHBoxLayout()
        label = QLabel("Label column:")
        label.setToolTip(LABEL_TIP)
        row.addWidget(label)
        row.addWidget(self.csv_label)
        row.addWidget(self.csv_label_hint, 1)
        cl.addLayout(row)
        cl.addWidget(self.csv_errors)
        self.csv_box.setVisible(False)
        self.preview_title = QLabel("First rows (the label column is highlighted):")
        self.preview_title.setWordWrap(True)

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
        self.model_info.setToolTip(terms.MODEL_SIZE)
        self.fit_view = BoardFitView()
        mbox = QGroupBox("2. Model")
        ml = QVBoxLayout(mbox)
        f = QFormLayout()
        f.addRow("Preset:", self.preset_box)
        f.addRow("Hidden layers:", self.hidden_edit)
        f.addRow("Layer family:", self.family_box)
        ml.addLayout(f)
        ml.addWidget(self.model_info)
        fits = QLabel("Dense (unpruned) model as firmware, int8 weights:")
        fits.setWordWrap(True)
        fits.setToolTip(terms.BOARD_FIT)
        ml.addWidget(fits)
        ml.addWidget(self.fit_view)
        ml.addStretch(1)

        lay = QHBoxLayout(self)
        lay.addWidget(dbox, 3)
        lay.addWidget(mbox, 2)

        self.dataset_box.currentIndexChanged.connect(self._dataset_picked)
        self.csv_browse.clicked.connect(self._browse)
        self.csv_reload.clicked.connect(self.reload_csv)
        self.csv_path.editingFinished.connect(self._path_edited)
        self.csv_label.activated.connect(self._label_picked)
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
            return DatasetConfig(name="csv", csv_path=self.csv_path.text().strip() or None, label=self._label())
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
            self._preview_csv()
            return
        self.previews.cancel()  # a CSV file still being read is no longer wanted
        self._load(self.dataset_config())

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a CSV file", str(Path.home()), "CSV files (*.csv *.txt);;All (*)"
        )
        if path:
            self.set_csv(path)

    def set_csv(self, path: str, label: str | None = None) -> None:
        """Show a CSV file's preview (and load it when it has no errors). ``label`` picks the label
        column; without it the user's earlier pick for this same file is kept, else it is guessed."""
        self.select_dataset(CSV_ITEM)
        self.csv_path.setText(str(path))
        self._same_file_or_guess()
        if label is not None:
            self.label_choice = label
        self._preview_csv()

    def reload_csv(self) -> None:
        """Read the file again (after the user fixed it), keeping the label column."""
        self._preview_csv()

    def _path_edited(self) -> None:
        if self.csv_path.isModified():
            self.csv_path.setModified(False)
            self._same_file_or_guess()
            self._preview_csv()

    def _same_file_or_guess(self) -> None:
        path = self.csv_path.text().strip()
        if path != self._label_file:
            self.label_choice, self._label_file = None, path

    def _label_picked(self, index: int) -> None:
        p = self.csv_preview or {}
        self.label_choice = self.csv_label.itemText(index) if p.get("has_header") else str(index)
        self._label_file = self.csv_path.text().strip()
        self._preview_csv()

    def _label(self) -> str | None:
        """The label column as DatasetConfig.label: the user's pick, else the guess the preview showed
        (by name, or by index in a file without a header), so a run records which column it used."""
        if self.label_choice is not None:
            return self.label_choice
        p = self.csv_preview or {}
        if p.get("label_index") is None or p.get("path") != self.csv_path.text().strip():
            return None
        return p["label_column"] if p.get("has_header") else str(p["label_index"])

    def _preview_csv(self) -> None:
        from bingo_studio.data.csv_import import preview_csv

        self._unload()
        path = self.csv_path.text().strip()
        self.previews.cancel()
        self.loads.cancel()  # a dataset still loading (the last pick) is no longer wanted
        if not path:
            self.dataset_info.setText(
                "Choose a CSV file: one row per sample, numbers in the feature "
                "columns and the class in a label column."
            )
            self._set_problem("choose a CSV file (Browse...), or pick a built-in dataset")
            return
        self.csv_errors.setText("Reading the file...")
        self._set_problem("the CSV file is still being read")
        label = self.label_choice
        self._start(self.previews, lambda _s: preview_csv(path, label, rows=PREVIEW_ROWS), self._show_preview)

    def _show_preview(self, p: dict) -> None:
        from bingo_studio.data.csv_import import text_columns

        self.csv_preview = p
        header = p.get("header") or []
        self.csv_label.blockSignals(True)
        self.csv_label.clear()
        self.csv_label.addItems(header)
        label_idx = p.get("label_index")
        self.csv_label.setCurrentIndex(label_idx if label_idx is not None and label_idx < len(header) else -1)
        self.csv_label.blockSignals(False)
        if label_idx is None:
            self.csv_label_hint.setText("")
        elif self.label_choice is None:
            self.csv_label_hint.setText("guessed: pick another if this is not the class")
        else:
            self.csv_label_hint.setText("your choice")
        rows = p.get("rows") or []
        self.preview.clear()
        self.preview.setColumnCount(len(header))
        self.preview.setRowCount(len(rows))
        self.preview.setHorizontalHeaderLabels(header)
        numbers = p.get("row_numbers") or range(1, len(rows) + 1)
        self.preview.setVerticalHeaderLabels([str(n) for n in numbers])
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells[: len(header)]):
                item = QTableWidgetItem(text)
                if c == label_idx:
                    item.setBackground(QColor(LABEL_BG))
                self.preview.setItem(r, c, item)
        self.preview.resizeColumnsToContents()
        errors = p.get("errors") or []
        if errors:
            self._mark_errors(errors, list(numbers), header, label_idx)
            more = f"\n(and {len(errors) - 5} more)" if len(errors) > 5 else ""
            text = "\n".join(errors[:5]) + more
            found = ERROR_PLACE.match(errors[0])
            if found and found.group(3) in header and not found.group(2):
                col = header.index(found.group(3))
                if col in text_columns(rows, len(header)):
                    text += (
                        f"\nColumn '{found.group(3)}' holds text, not numbers: if it is the class, pick it as the "
                        "Label column above; if not, remove it from the file and press Reload."
                    )
            self.csv_errors.setText(text)
            self.dataset_info.setText(
                f"{p.get('n_rows', 0)} rows read; fix the problems below to use this file "
                "(then press Reload)."
            )
            n = len(errors)
            self._set_problem(
                f"the CSV file has {'a problem' if n == 1 else f'{n} problems'}, first: {errors[0]}"
            )
            return
        self.csv_errors.setText("")
        counts = ", ".join(f"{c}: {n}" for c, n in zip(p.get("classes", []), p.get("class_counts", [])))
        self.dataset_info.setText(f"{p['n_rows']} rows, label column '{p.get('label_column')}' ({counts})")
        self._load(self.dataset_config())

    def _mark_errors(self, errors: list[str], numbers: list[int], header: list[str], label_idx) -> None:
        """Colour the cells (or rows) the messages name, and scroll to the first one."""
        first = None
        for message in errors:
            found = ERROR_PLACE.match(message)
            if not found or int(found.group(1)) not in numbers:
                continue
            r = numbers.index(int(found.group(1)))
            if found.group(2):
                cols = [label_idx]
            elif found.group(3) in header:
                cols = [header.index(found.group(3))]
            else:
                cols = range(self.preview.columnCount())
            for c in cols:
                item = self.preview.item(r, c)
                if item is None:
                    item = QTableWidgetItem("")
                    self.preview.setItem(r, c, item)
                item.setBackground(QColor(ERROR_BG))
                item.setToolTip(message)
                if first is None:
                    first = item
        if first is not None:
            self.preview.scrollToItem(first)

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

        self.loads.cancel()  # a dataset still loading (the last pick) is no longer wanted
        self._unload()
        self._set_problem(f"the dataset ({cfg.name}) is still loading")
        self.dataset_info.setText(f"Loading {cfg.name}...")

        def done(ds) -> None:
            self.dataset_info.setText(
                f"<b>{ds.name}</b>: {ds.description}<br>{len(ds.y_train)} training, "
                f"{len(ds.y_val)} validation and {len(ds.y_test)} test samples; {ds.n_features} features, "
                f"{ds.n_classes} classes."
            )
            if cfg.name != CSV_ITEM:
                self._preview_dataset(ds)
            self.studio.config.dataset = cfg
            self._set_problem("")
            self.studio.set_dataset(ds)

        def failed(msg: str) -> None:
            target = self.csv_errors if cfg.name == CSV_ITEM else self.dataset_info
            target.setText(
                f"<span style='color:#c62828'>{msg}</span>" if target is self.dataset_info else msg
            )
            self._set_problem(f"the dataset could not be loaded: {msg}")

        self._start(self.loads, lambda _s: load_dataset(cfg), done, failed)

    def _unload(self) -> None:
        """No dataset while the choice is loading or unusable: Train must not use the previous one."""
        if self.studio.dataset is not None:
            self.studio.set_dataset(None)

    def _set_problem(self, text: str) -> None:
        if text != self.problem:
            self.problem = text
            self.problem_changed.emit(text)

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
        if ds is not self._sizes_for:  # another dataset: its sizes are unknown until computed
            self.sizes, self._sizes_for = None, ds
            self.fit_view.show_fits(None)
            self.model_info.setText("Computing the model's size...")
        if ds is None:
            self.sizing.cancel()  # a computation still running is for a dataset gone
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
    def reset(self) -> None:
        """A new project: digits, the default model, no CSV file, nothing left of the last one."""
        self.label_choice, self._label_file, self.csv_preview = None, "", None
        self.csv_label.clear()
        self.csv_label_hint.setText("")
        self.csv_errors.setText("")
        self.preview.clear()
        self.preview.setRowCount(0)
        self.preview.setColumnCount(0)
        self.restore({})

    def state(self) -> dict:
        return {
            "dataset": self.dataset_box.currentData(),
            "csv_path": self.csv_path.text(),
            "csv_label": self._label() or "",
            "csv_label_chosen": self.label_choice is not None,  # else guessed again on opening
            "preset": self.preset_box.currentData(),
            "hidden": self.hidden_edit.text(),
            "family": self.family_box.currentData(),
        }

    def restore(self, s: dict) -> None:
        self.csv_path.setText(s.get("csv_path", ""))
        self._label_file = self.csv_path.text().strip()
        chosen = s.get("csv_label_chosen", True)  # projects saved before the guess: the label as saved
        self.label_choice = (s.get("csv_label") or None) if chosen else None
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
