"""Fits / doesn't fit on each board: a flash bar and a RAM bar per board.

Inputs: ``show(fits)`` with board key -> bingo_studio.firmware.size.BoardFit (or None to clear).
Outputs: none (display only); ``verdicts()`` returns board key -> bool for tests and tools.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QWidget

from bingo_studio.boards import BOARDS, REPORTED_BOARDS
from bingo_studio.gui import terms

BOARD_KEYS = REPORTED_BOARDS  # the boards every size report in the window shows


def _bar(tooltip: str) -> QProgressBar:
    bar = QProgressBar()
    bar.setRange(0, 1000)
    bar.setTextVisible(True)
    bar.setToolTip(tooltip)
    bar.setMinimumWidth(150)
    return bar


class BoardFitView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for col, text in enumerate(("Board", "Flash", "RAM", "")):
            grid.addWidget(QLabel(f"<b>{text}</b>"), 0, col)
        self.rows: dict[str, tuple[QProgressBar, QProgressBar, QLabel]] = {}
        for r, key in enumerate(BOARD_KEYS, start=1):
            grid.addWidget(QLabel(BOARDS[key].title), r, 0)
            flash, ram, verdict = _bar(terms.FLASH), _bar(terms.RAM), QLabel("")
            verdict.setMinimumWidth(110)
            grid.addWidget(flash, r, 1)
            grid.addWidget(ram, r, 2)
            grid.addWidget(verdict, r, 3)
            self.rows[key] = (flash, ram, verdict)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        self._verdicts: dict[str, bool] = {}

    def show_fits(self, fits: dict | None) -> None:
        self._verdicts = {}
        for key, (flash, ram, verdict) in self.rows.items():
            fit = (fits or {}).get(key)
            if fit is None:
                for bar in (flash, ram):
                    bar.setValue(0)
                    bar.setFormat("-")
                verdict.setText("")
                continue
            ram_used = fit.ram + fit.stack_reserve
            self._set(flash, fit.flash, fit.flash_limit, fit.flash_fits)
            self._set(ram, ram_used, fit.ram_limit, fit.ram_fits)
            self._verdicts[key] = fit.fits
            if fit.fits:
                verdict.setText("<span style='color:#1a7f37'>&#10003; fits</span>")
            else:
                over = []
                if fit.flash_over:
                    over.append(f"flash +{fit.flash_over:,} B")
                if fit.ram_over:
                    over.append(f"RAM +{fit.ram_over:,} B")
                verdict.setText(f"<span style='color:#c62828'>&#10007; too big</span> ({', '.join(over)})")

    @staticmethod
    def _set(bar: QProgressBar, used: int, limit: int, ok: bool) -> None:
        bar.setValue(min(1000, int(1000 * used / max(limit, 1))))
        bar.setFormat(f"{_kb(used)} / {_kb(limit)}")
        color = "#4caf50" if ok else "#e53935"
        bar.setStyleSheet(f"QProgressBar::chunk {{ background: {color}; }}")

    def verdicts(self) -> dict[str, bool]:
        return dict(self._verdicts)


def _kb(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    if n >= 10 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n:,} B"
