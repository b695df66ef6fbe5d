"""``bingo-studio`` with no arguments: open the window."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Start Qt, show the main window (optionally opening a project folder given as argument)."""
    from pathlib import Path

    from PySide6.QtWidgets import QApplication

    argv = list(sys.argv if argv is None else argv)
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("BINGO Studio")
    app.setOrganizationName("BINGO Studio")

    from bingo_studio.gui.main_window import MainWindow

    window = MainWindow()
    if len(argv) > 1 and Path(argv[1]).is_dir():
        window.open_project(Path(argv[1]))
    window.show()
    code = app.exec()
    window.shutdown()  # idempotent: also when the event loop ended without closing the window
    return code


if __name__ == "__main__":
    sys.exit(main())
