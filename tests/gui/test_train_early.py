"""When validation stops improving before the last epoch, the Train page says from which epoch's network
the ladder started and that it took the epochs left, its plots keep one point per dense epoch, and a
dashed line marks the kept epoch (also in a reopened project)."""

from __future__ import annotations

from gui_waits import wait_until
from PySide6.QtCore import Qt

from bingo_studio.gui.main_window import MainWindow


def test_the_train_page_says_where_dense_training_handed_over_to_the_ladder(qtbot, window, tmp_path):
    w, tp = window, window.train_page
    tp.epochs.setValue(15)
    tp.lr.setValue(0.01)  # digits overfits fast at this rate: validation stops improving early
    qtbot.mouseClick(tp.train_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: w.studio.run is not None and tp.train_button.isEnabled())
    run = w.studio.run
    done = len(run.history)
    assert run.status == "complete" and 5 <= done < 15 and run.ladder is not None and run.ladder.rungs
    text = tp.status.text()
    best = 1 + max(range(done), key=lambda i: (run.history[i]["val_accuracy"], -i))  # the first best epoch
    assert (f"Validation stopped improving after epoch {done}: the ladder started from epoch {best}'s network, "
            f"the best on validation, and took the {15 - done} epochs left") in text
    assert tp.kept_line.isVisible() and tp.kept_line.value() == best  # the accuracy plot marks that epoch
    x, _y = tp.loss_curve.getData()
    assert len(x) == done and tp.progress.value() == 1000
    # a saved project of that run reopens with the same mark
    assert w.save_to(tmp_path / "early")
    w2 = MainWindow()
    w2.confirm_close = False
    qtbot.addWidget(w2)
    assert w2.open_project(tmp_path / "early")
    assert w2.train_page.kept_line.isVisible() and w2.train_page.kept_line.value() == best
