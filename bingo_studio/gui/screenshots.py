"""Screenshots of every step, taken from the real window driven through the whole flow on digits.

    xvfb-run -a -s "-screen 0 1280x800x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python -m bingo_studio.gui.screenshots docs/screenshots

Inputs: an output folder (``--only data``: step 1's shots alone, no training). Outputs: PNG files
of every step (01-data-1280x800.png ... 07-console-1024x700.png), each at 1280x800 and at 1024x700
(the smallest window a laptop user is likely to have), and the getting-started tour. Work files
(autosave, firmware) go to a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

SIZES = ((1280, 800), (1024, 700))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", help="folder for the PNG files")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--only", choices=["data"], help="only the shots of step 1 (Data & model)")
    a = p.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from bingo_studio.gui import studio as studio_mod

    app = QApplication.instance() or QApplication([sys.argv[0]])
    work = Path(tempfile.mkdtemp(prefix="bingo-shots-"))
    studio_mod.autosave_root = lambda: work / "autosave"
    from bingo_studio.gui.main_window import MainWindow

    w = MainWindow()
    w.confirm_close = False
    w.resize(1280, 800)
    w.show()

    def wait(cond, timeout: float = 600) -> None:
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise SystemExit("timed out waiting for the window")
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            time.sleep(0.005)  # processEvents alone holds the GIL and starves the training thread

    def settle(seconds: float = 0.5) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            time.sleep(0.005)

    def shot(tab: int, stem: str) -> None:
        w.tabs.setCurrentIndex(tab)
        for size in SIZES:
            w.resize(*size)
            settle()
            name = out / f"{stem}-{size[0]}x{size[1]}.png"
            w.grab().save(str(name))
            print(name)
        w.resize(*SIZES[0])

    wait(lambda: w.studio.dataset is not None and "parameters" in w.data_page.model_info.text())
    shot(0, "01-data")

    bad = work / "measurements.csv"
    bad.write_text(
        "length,width,weight,label\n"
        + "".join(
            f"{i % 7 + 1.5},{i % 5 + 0.5},{'n/a' if i == 6 else i % 9 + 2},{'ab'[i % 2]}\n" for i in range(40)
        )
    )
    w.data_page.set_csv(str(bad))
    wait(lambda: "missing" in w.data_page.csv_errors.text())
    shot(0, "02-data-csv-error")

    flowers = work / "flowers.csv"  # the label (text) is not the last column: it is guessed
    flowers.write_text(
        "petal_length,petal_width,species,sepal_length,sepal_width\n"
        + "".join(
            f"{1.4 + (i % 3) * 2 + i % 5 * 0.1:.1f},{0.2 + (i % 3) * 0.8 + i % 4 * 0.1:.1f},"
            f"{('setosa', 'versicolor', 'virginica')[i % 3]},{5.0 + (i % 3) * 0.8 + i % 6 * 0.1:.1f},"
            f"{3.4 - (i % 3) * 0.4 + i % 7 * 0.1:.1f}\n"
            for i in range(90)
        )
    )
    w.data_page.set_csv(str(flowers))
    wait(lambda: w.studio.dataset is not None and w.studio.dataset.name == "csv" and w.data_page.sizes)
    shot(0, "02-data-csv-label")
    tour = w.show_tour(0)
    settle()
    tour.grab().save(str(out / "08-tour.png"))
    print(out / "08-tour.png")
    tour.close()
    if a.only == "data":
        w.shutdown()
        return 0
    w.data_page.select_dataset("digits")
    wait(lambda: w.studio.dataset is not None and w.studio.dataset.name == "digits")

    w.train_page.epochs.setValue(a.epochs)
    w.tabs.setCurrentIndex(1)
    w.train_page.start()
    wait(lambda: w.studio.run is not None and not w.train_page.is_training())
    shot(1, "03-train")
    wait(lambda: w.studio.plan is not None and w.prune_page.slider.isEnabled())
    shot(2, "04-prune")
    w.prune_page.compare_button.click()
    wait(lambda: not w.prune_page.compare_view.work.busy() and w.prune_page.compare_view.rows)
    shot(2, "05-prune-compare")
    w.prune_page.compare_view.setVisible(False)

    w.deploy_page.select_board("sim")
    w.deploy_page.start("flash")
    wait(lambda: not w.deploy_page.busy())
    shot(3, "06-deploy")

    cp = w.console_page
    cp.select_port(w.studio.device_port)
    cp.connect_port()
    wait(lambda: "ready" in cp.transcript.toPlainText())
    cp.send_test_sample()
    wait(lambda: cp.last_sample is not None)
    cp.run_test_set()
    wait(lambda: cp.last_test is not None)
    shot(4, "07-console")
    w.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
