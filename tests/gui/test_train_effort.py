"""The Train page's "Pruning during training" choice: it sets the ladder's recovery budget of the run the
window trains (the CLI's --ladder-recovery), is explained, saved with the project, and changes what the
run does: off grows no ladder (the slider prunes one-shot), thorough spends more steps on the ladder."""

from __future__ import annotations

from gui_waits import wait_until
from PySide6.QtCore import Qt

from bingo_studio.config import LadderConfig
from bingo_studio.gui.project import validate_state


def _train(qtbot, w, effort: float):
    tp = w.train_page
    tp.effort.setCurrentIndex(tp.effort.findData(effort))
    before = w.studio.run
    qtbot.mouseClick(tp.train_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: w.studio.run is not before and w.studio.run is not None and tp.train_button.isEnabled())
    return w.studio.run


def test_the_choice_is_the_runs_ladder_budget_and_is_saved(window):
    tp = window.train_page
    assert tp.effort.currentData() == LadderConfig.recovery == tp.run_config().ladder.recovery
    assert "1.5x" in tp.effort.currentText() and "ladder" in tp.effort.toolTip()
    tp.effort.setCurrentIndex(tp.effort.findData(1.0))
    assert tp.run_config().ladder.recovery == 1.0
    state = tp.state()
    assert validate_state({"train": state})["train"]["recovery"] == 1.0  # a project file may hold it
    tp.reset()
    assert tp.effort.currentData() == LadderConfig.recovery
    tp.restore(state)
    assert tp.effort.currentData() == 1.0


def test_off_grows_no_ladder_and_thorough_grows_a_longer_one(qtbot, window):
    w, tp = window, window.train_page
    tp.epochs.setValue(6)
    tp.lr.setValue(0.01)
    off = _train(qtbot, w, 0.0)
    assert off.status == "complete" and off.ladder is None and off.config.ladder.recovery == 0.0
    standard = _train(qtbot, w, LadderConfig.recovery)
    thorough = _train(qtbot, w, 1.0)
    assert thorough.config.ladder.recovery == 1.0 and standard.config.ladder.recovery == LadderConfig.recovery
    # the same dense epochs (same seed and settings), then more recovery steps for the thorough ladder
    assert [h["val_accuracy"] for h in thorough.history] == [h["val_accuracy"] for h in standard.history]
    assert thorough.ladder.steps > standard.ladder.steps > 0
