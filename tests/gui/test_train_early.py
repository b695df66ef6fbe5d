"""When validation stops improving before the last epoch, the Train page says from which epoch's network
the ladder started and that it took the epochs left, and its plots keep one point per dense epoch."""

from __future__ import annotations

from gui_waits import wait_until
from PySide6.QtCore import Qt


def test_the_train_page_says_where_dense_training_handed_over_to_the_ladder(qtbot, window):
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
