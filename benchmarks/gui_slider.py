"""How long one move of the Prune step's minimum-accuracy slider takes, against the 30 ms budget.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/gui_slider.py

For two models on digits: trains briefly through the engine, opens the window on the run, waits
for the worker to trace the curve, then moves the slider over its whole range. Prints the time
of the update itself (PruningPlan.lookup + the precomputed sizes + the labels and plot) and of the
whole event round trip, as milliseconds and as a share of the budget, measured in this one run.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

BUDGET_MS = 30.0


def main() -> int:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from bingo_studio.config import ModelConfig, RunConfig, TrainConfig
    from bingo_studio.data import load_dataset
    from bingo_studio.gui import studio as studio_mod
    from bingo_studio.training import train

    app = QApplication.instance() or QApplication(sys.argv[:1])
    studio_mod.autosave_root = lambda: Path(tempfile.mkdtemp(prefix="bingo-bench-"))
    from bingo_studio.gui.main_window import MainWindow

    print(
        f"{'model':<16}{'weights':>9}{'update ms (mean/max)':>24}{'round trip ms (mean/max)':>28}"
        f"{'max / budget':>14}"
    )
    for preset in ("digits-tiny", "lenet-300-100"):
        cfg = RunConfig(model=ModelConfig(preset=preset), train=TrainConfig(epochs=3))
        run = train(cfg, load_dataset(cfg.dataset))
        w = MainWindow()
        w.confirm_close = False
        w.studio.set_run(run)
        end = time.monotonic() + 900
        while not (w.studio.plan is not None and w.prune_page.slider.isEnabled()):
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            if time.monotonic() > end:
                raise SystemExit("the curve did not finish")
        updates, trips = [], []
        for v in range(0, 1001, 5):
            t = time.perf_counter()
            w.prune_page.slider.setValue(v)
            app.processEvents()
            trips.append(1000 * (time.perf_counter() - t))
            updates.append(w.prune_page.last_update_ms)
        worst = max(trips)
        print(
            f"{preset:<16}{w.studio.plan.total:>9,}{statistics.mean(updates):>12.2f} /{max(updates):>8.2f}"
            f"{statistics.mean(trips):>16.2f} /{worst:>8.2f}{worst / BUDGET_MS:>13.2f}x"
        )
        w.shutdown()
        w.deleteLater()
    return 0


if __name__ == "__main__":
    sys.exit(main())
