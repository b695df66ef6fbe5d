"""``bingo-studio`` with no arguments: open the window.

Importing the engine (PyTorch, scikit-learn) takes seconds, so a splash screen paints first, from
Qt alone, and the main window follows once the engine has loaded; the window then loads its
dataset in a worker. The getting-started tour opens over it until the user ticks "Don't show this
tour at start". ``STARTUP`` records when each appeared (benchmarks/gui_startup.py).
"""

from __future__ import annotations

import sys
import time

STARTUP: dict[str, float] = {}  # seconds since main() began: "splash", "window"


def _splash(app):
    """A splash drawn with Qt only (no image file, no engine import)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
    from PySide6.QtWidgets import QLabel

    from bingo_studio import __version__

    pix = QPixmap(520, 220)
    pix.fill(QColor("#17324d"))
    painter = QPainter(pix)
    painter.setPen(QColor("white"))
    painter.setFont(QFont(app.font().family(), 26, QFont.Weight.Bold))
    painter.drawText(pix.rect().adjusted(0, -40, 0, 0), Qt.AlignmentFlag.AlignCenter, "BINGO Studio")
    painter.setFont(QFont(app.font().family(), 11))
    painter.drawText(pix.rect().adjusted(0, 40, 0, 0), Qt.AlignmentFlag.AlignCenter,
                     f"version {__version__}: from a dataset to a pruned network on your board")
    painter.end()
    painter = QPainter(pix)
    painter.setPen(QColor("#cfd8dc"))
    painter.drawText(pix.rect().adjusted(0, 0, 0, -12), Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter,
                     "Loading the training engine (PyTorch)...")
    painter.end()
    # a plain frameless window: QSplashScreen.show() waits up to a second for the window to be exposed
    splash = QLabel()
    splash.setWindowFlags(Qt.WindowType.SplashScreen | Qt.WindowType.FramelessWindowHint)
    splash.setPixmap(pix)
    splash.show()
    app.processEvents()
    return splash


def main(argv: list[str] | None = None) -> int:
    """Start Qt, show the main window (optionally opening a project folder given as argument)."""
    t0 = time.perf_counter()
    from pathlib import Path

    from PySide6.QtWidgets import QApplication

    argv = list(sys.argv if argv is None else argv)
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("BINGO Studio")
    app.setOrganizationName("BINGO Studio")
    splash = _splash(app)
    STARTUP["splash"] = time.perf_counter() - t0

    from bingo_studio.gui.help_tour import show_at_start
    from bingo_studio.gui.main_window import MainWindow

    window = MainWindow()
    if len(argv) > 1 and Path(argv[1]).is_dir():
        window.open_project(Path(argv[1]))
    window.show()
    splash.close()
    if show_at_start():
        window.show_tour()
    STARTUP["window"] = time.perf_counter() - t0
    code = app.exec()
    window.shutdown()  # idempotent: also when the event loop ended without closing the window
    return code


if __name__ == "__main__":
    sys.exit(main())
