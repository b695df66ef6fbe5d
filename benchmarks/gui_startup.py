"""How soon something appears after `bingo-studio` starts: the splash (Qt only) and the main window
(after the engine's imports), each in a fresh process, median of N runs.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/gui_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

PROBE = """
import json, time
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication
from bingo_studio.gui import app as gui_app
qt_app = QApplication(["bingo-studio"])  # main() takes this one
QApplication.exec = staticmethod(lambda: 0)  # stop where the user would start clicking
gui_app.main(["bingo-studio"])
print(json.dumps({**gui_app.STARTUP, "total": time.perf_counter() - t0}))
"""


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=5)
    a = p.parse_args()
    rows = []
    for _ in range(a.runs):
        out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    splash = statistics.median(r["splash"] for r in rows)
    window = statistics.median(r["window"] for r in rows)
    print(f"median of {a.runs} fresh starts: splash painted {splash:.2f} s, main window shown {window:.2f} s"
          f" after main() began ({window / splash:.0f}x later)")


if __name__ == "__main__":
    main()
