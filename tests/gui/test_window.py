"""The window's frame: shortcuts, About, worker failures, nothing trained lost on quit."""

from __future__ import annotations

from gui_waits import LONG, wait_until

from bingo_studio.gui import project as projects
from bingo_studio.gui.main_window import ABOUT
from bingo_studio.gui.workers import TaskSlot, worker_copy
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

    messages = []
    slot = TaskSlot()
    slot.start(broken, on_failed=messages.append)
    wait_until(lambda: not slot.busy())
    assert messages[0].startswith("KeyError")


def test_a_new_task_supersedes_the_old_one(qtbot):
    """Starting a task cancels the one before; its result, if it still comes, is dropped."""
    import threading

    release = threading.Event()
    got = []

    def slow(state):
        release.wait(LONG / 1000)
        return "old"

    slot = TaskSlot()
    old = slot.start(slow, got.append)
    slot.start(lambda _s: "new", got.append)
    assert old.state.cancelled  # asked to stop at its next check
    release.set()
    wait_until(lambda: not slot.busy())
    old.wait()
    qtbot.wait(50)  # let a stale result reach the event loop, if it were still connected
    assert got == ["new"]


def test_stop_keeps_the_result_of_a_cancelled_task(qtbot):
    got = []
    slot = TaskSlot()

    def loop(state):
        while not state.cancelled:
            pass
        return "kept"

    slot.start(loop, got.append)
    slot.stop()
    wait_until(lambda: got == ["kept"])
    assert not slot.busy()


def test_workers_prune_a_copy_of_the_run(qtbot, small_run):
    """Three curve computations at once on one run (what fast method switching starts) leave the
    window's model untouched: each worker prunes its own copy."""
    import torch

    from bingo_studio.pruning.grid import plan_with_grid

    before = {k: v.clone() for k, v in small_run.model.state_dict().items()}
    slots = [TaskSlot() for _ in range(3)]
    plans = []
    for slot, method in zip(slots, ("bingo", "gmp", "bingo")):
        slot.start(lambda s, m=method: plan_with_grid(worker_copy(small_run), m, s), plans.append)
    wait_until(lambda: len(plans) == 3)
    for k, v in small_run.model.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert all(p.model is not small_run.model for p, _ in plans)


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

    def check_and_quit():  # polls: the splash paints first, the window comes after the engine's imports
        seen.extend(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        if seen:
            timer.stop()
            QApplication.instance().exit(0)

    timer = QTimer()
    timer.timeout.connect(check_and_quit)
    timer.start(100)
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
