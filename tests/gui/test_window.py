"""The window's frame: shortcuts, About, worker failures, nothing trained lost on quit."""

from __future__ import annotations

from gui_waits import LONG

from bingo_studio.gui import project as projects
from bingo_studio.gui.main_window import ABOUT
from bingo_studio.gui.workers import run_task
from bingo_studio.runs import run_file


def test_main_actions_have_shortcuts(window):
    shortcuts = {
        a.text().replace("&", ""): a.shortcut().toString()
        for m in window.menuBar().actions()
        for a in m.menu().actions()
    }
    assert shortcuts["Train"] == "Ctrl+T"
    assert shortcuts["Build firmware"] == "Ctrl+B"
    assert shortcuts["Flash"] == "Ctrl+U"
    assert shortcuts["Save project"] == "Ctrl+S"
    assert shortcuts["Open project..."] == "Ctrl+O"
    assert "Panangat" in ABOUT and "BINGO: A Novel Pruning Mechanism to Reduce the Size of Neural" in ABOUT


def test_a_crashing_worker_becomes_a_message(qtbot):
    def broken(_state):
        return {}["missing"]

    task = run_task(broken)
    with qtbot.waitSignal(task.failed, timeout=LONG) as blocker:
        pass
    assert blocker.args[0].startswith("KeyError")


def test_quitting_autosaves_the_trained_run(qtbot, window, small_run):
    w = window
    w.train_page.epochs.setValue(9)
    w.studio.set_run(small_run)
    assert w.studio.dirty
    w.shutdown()  # what closing the window does once the user has answered
    folder = w.studio.autosave_dir
    assert (folder / "project.json").exists() and run_file(folder / "run", "weights.pt").exists()
    assert str(folder.resolve()) in projects.recent_projects()  # File > Open recent finds it
    state, run = projects.load_project(folder)
    assert state["train"]["epochs"] == 9 and run.history == small_run.history


def test_app_main_opens_the_window_and_returns(qtbot, tmp_path, monkeypatch):
    """What `bingo-studio` with no arguments runs (bingo_studio.cli.launch_gui)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from bingo_studio.gui import app
    from bingo_studio.gui import studio as studio_mod
    from bingo_studio.gui.main_window import MainWindow

    monkeypatch.setattr(studio_mod, "autosave_root", lambda: tmp_path / "autosave")
    seen = []

    def check_and_quit():
        seen.extend(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        QApplication.instance().exit(0)

    QTimer.singleShot(300, check_and_quit)
    assert app.main(["bingo-studio"]) == 0
    assert seen and seen[-1].width() == 1280
    for w in seen:
        w.close()


def test_a_crash_during_training_keeps_the_saved_epochs(qtbot, window, monkeypatch):
    import bingo_studio.training as training

    real_train = training.train

    def crashing_train(cfg, dataset, state=None, on_epoch=None, **kw):
        def save_then_crash(run):
            on_epoch(run)
            if len(run.history) == 2:
                raise RuntimeError("simulated crash in the worker")

        return real_train(cfg, dataset, state, on_epoch=save_then_crash, **kw)

    monkeypatch.setattr(training, "train", crashing_train)
    w = window
    w.train_page.epochs.setValue(5)
    with qtbot.waitSignal(w.studio.run_changed, timeout=LONG):
        w.train_page.start()
    assert "Training failed: RuntimeError: simulated crash" in w.train_page.status.text()
    assert "2 epoch(s)" in w.train_page.status.text()
    assert len(w.studio.run.history) == 2
    assert w.train_page.train_button.isEnabled()
