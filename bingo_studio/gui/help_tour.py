"""The getting-started tour: one screen per step of the window, shown at the first start.

Inputs: the step to open at. Outputs: ``step_shown(int)`` (the window turns to that step's tab
behind the tour, so the words sit next to the page they describe); "don't show at start" kept in
QSettings through bingo_studio.gui.project.settings() (tests redirect it).

The tour is a window of its own, not modal: it can stay open while the user follows it. Only
``bingo_studio.gui.app.main`` shows it at start, so a MainWindow built in a test never does.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bingo_studio.gui import project as projects

HIDE_KEY = "tour/hide_at_start"

STEPS = (
    (
        "1. Data & model",
        "Pick a built-in dataset, or <b>Your CSV file...</b>: one row per sample, numbers in the feature "
        "columns and the class in one <i>label</i> column.<br><br>"
        "The label column is guessed (a column named label, class, target or species, or the one "
        "holding text) and shown above the preview: change it there if the guess is wrong. Problems are "
        "listed in red with the row numbers the preview shows; fix the file and press <b>Reload</b>.<br><br>"
        "Then pick a model. The bars show whether the model, before pruning, fits each board.",
    ),
    (
        "2. Train  (Ctrl+T)",
        "Press <b>Train</b>. The loss should fall and the accuracy rise, epoch after epoch, while BINGO "
        "scores how much every weight matters.<br><br>"
        "<b>Esc</b> cancels: the epochs already finished are kept. The run is saved after every epoch, so "
        "nothing trained is lost if the window closes.",
    ),
    (
        "3. Prune",
        "Move the <b>minimum accuracy</b> slider: you see at once how many weights can go, the accuracy "
        "left, and whether the pruned model fits your board's flash and RAM.<br><br>"
        "<b>Compare methods...</b> runs other pruning methods on the same network, side by side.",
    ),
    (
        "4. Deploy  (Ctrl+B build, Ctrl+U flash)",
        "Plug in your board: an Arduino, ESP32 or Pico is recognised by its USB ids and selected for you. "
        "No board? Choose <b>Simulated Uno</b>: the real firmware runs on this computer.<br><br>"
        "<b>Build</b> compiles the firmware with the pruned model; <b>Flash</b> uploads it. If something "
        "fails, one plain sentence above the log says why.",
    ),
    (
        "5. Test on device  (Ctrl+K)",
        "Connect to the board's serial port. <b>Send test sample</b> shows the board's answer next to the "
        "true label; <b>Run test set</b> measures the accuracy and the speed on the board itself.<br><br>"
        "You can also type into the console: a line of numbers is a sample, <code>info</code> describes "
        "the model.",
    ),
)
FOOTER = (
    "Hover over any number in the window for what it means. Help > Getting started (F1) opens this tour "
    "again; File > Save keeps the whole project."
)


def show_at_start() -> bool:
    return not projects.settings().value(HIDE_KEY, False, type=bool)


def set_show_at_start(show: bool) -> None:
    projects.settings().setValue(HIDE_KEY, not show)


class HelpTour(QDialog):
    step_shown = Signal(int)

    def __init__(self, parent: QWidget | None = None, start: int = 0):
        super().__init__(parent)
        self.setWindowTitle("Getting started with BINGO Studio")
        self.setModal(False)
        self.step = 0
        self.counter = QLabel("")
        self.counter.setStyleSheet("color: #555;")
        self.title = QLabel("")
        self.title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.body = QLabel("")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.body.setMinimumHeight(170)
        footer = QLabel(FOOTER)
        footer.setWordWrap(True)
        footer.setStyleSheet("color: #555;")
        self.hide_check = QCheckBox("Don't show this tour at start")
        self.hide_check.setChecked(not show_at_start())
        self.hide_check.toggled.connect(lambda hide: set_show_at_start(not hide))
        self.back_button = QPushButton("< Back")
        self.next_button = QPushButton("Next >")
        self.close_button = QPushButton("Close")
        self.back_button.clicked.connect(lambda: self.go(self.step - 1))
        self.next_button.clicked.connect(self._next)
        self.close_button.clicked.connect(self.close)

        buttons = QHBoxLayout()
        buttons.addWidget(self.hide_check)
        buttons.addStretch(1)
        for b in (self.back_button, self.next_button, self.close_button):
            buttons.addWidget(b)
        lay = QVBoxLayout(self)
        lay.addWidget(self.counter)
        lay.addWidget(self.title)
        lay.addWidget(self.body, 1)
        lay.addWidget(footer)
        lay.addLayout(buttons)
        self.setMinimumWidth(560)
        self.go(start)

    def go(self, step: int) -> None:
        self.step = max(0, min(step, len(STEPS) - 1))
        title, body = STEPS[self.step]
        self.counter.setText(f"Step {self.step + 1} of {len(STEPS)}")
        self.title.setText(title)
        self.body.setText(body)
        self.back_button.setEnabled(self.step > 0)
        last = self.step == len(STEPS) - 1
        self.next_button.setText("Done" if last else "Next >")
        self.step_shown.emit(self.step)

    def _next(self) -> None:
        if self.step == len(STEPS) - 1:
            self.close()
        else:
            self.go(self.step + 1)
