"""Projects are complete, saved whole, opened transactionally and never overwritten by training
(issue 12, items 2 and 3), on real windows, real worker threads and real files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from gui_waits import wait_plan, wait_until

from bingo_studio.gui.main_window import MainWindow


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode() + p.read_bytes())
    return h.hexdigest()


def _saved(qtbot, w, small_run, folder):
    w.studio.set_run(small_run)
    wait_plan(qtbot, w)
    assert w.save_to(folder)
    return _digest(folder)


@pytest.mark.parametrize("bad", [
    {"train": {"epochs": "many"}},
    {"prune": {"min_accuracy": 7.5}},
    {"deploy": "uno"},
    {"tab": 99},
])
def test_a_project_that_fails_to_open_changes_nothing(qtbot, window, small_run, tmp_path, bad):
    w = window
    mine = tmp_path / "mine"
    _saved(qtbot, w, small_run, mine)
    other = tmp_path / "other"
    _saved(qtbot, w, small_run, other)
    meta = json.loads((other / "project.json").read_text())
    for page, value in bad.items():
        if isinstance(value, dict):
            meta["state"].setdefault(page, {}).update(value)
        else:
            meta["state"][page] = value
    (other / "project.json").write_text(json.dumps(meta))
    assert w.open_project(mine)
    before_run, before_other = w.studio.run, _digest(other)
    assert not w.open_project(other)
    assert "Could not open" in w.statusBar().currentMessage()
    assert w.studio.project_dir == mine and w.studio.run is before_run
    assert w.save_project()  # Ctrl+S: into the project that is open, never the one that failed
    assert _digest(other) == before_other


def test_a_broken_project_given_at_startup_is_refused_without_crashing(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from bingo_studio.gui import app
    from bingo_studio.gui import studio as studio_mod

    monkeypatch.setattr(studio_mod, "autosave_root", lambda: tmp_path / "autosave")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "project.json").write_text('{"format": "bingo-studio-project", "state": {"train": {"lr": "x"}}}')
    seen = []

    def check_and_quit():
        seen.extend(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        if seen:
            timer.stop()
            QApplication.instance().exit(0)

    timer = QTimer()
    timer.timeout.connect(check_and_quit)
    timer.start(100)
    assert app.main(["bingo-studio", str(broken)]) == 0
    assert seen and seen[-1].studio.project_dir is None and "state.train.lr" in seen[-1].statusBar().currentMessage()
    for w in seen:
        w.close()


def test_training_never_touches_the_saved_project_until_save(qtbot, window, small_run, tmp_path):
    w = window
    folder = tmp_path / "saved"
    saved = _saved(qtbot, w, small_run, folder)
    w.train_page.epochs.setValue(3)
    w.train_page.start()
    wait_until(lambda: len(w.train_page.history) >= 1)
    assert _digest(folder) == saved  # an epoch is on disk, in the session, not in the project
    wait_until(lambda: not w.train_page.is_training())
    assert w.studio.run is not small_run and _digest(folder) == saved
    # cancelled: the project is still what was saved
    w.train_page.epochs.setValue(50)
    w.train_page.start()
    wait_until(lambda: len(w.train_page.history) >= 1)
    w.train_page.cancel()
    wait_until(lambda: not w.train_page.is_training())
    assert _digest(folder) == saved
    assert w.save_project()
    assert _digest(folder) != saved


def test_a_saved_project_holds_the_firmware_and_reopens_with_it(qtbot, window, small_run, tmp_path):
    w = window
    w.studio.set_run(small_run)
    wait_plan(qtbot, w)
    dp = w.deploy_page
    assert "A trained model is ready" in dp.result.text()
    dp.select_board("sim")
    dp.start("build")
    wait_until(lambda: not dp.busy())
    assert "Built for Simulated Uno" in dp.message, dp.message
    folder = tmp_path / "with firmware"
    assert w.save_to(folder)
    assert (folder / "firmware-uno" / "src" / "bingo_model.c").is_file()
    assert (folder / "run" / "run.json").is_file() and (folder / "project.json").is_file()
    w2 = MainWindow()
    w2.confirm_close = False
    qtbot.addWidget(w2)
    try:
        assert w2.open_project(folder)
        session = w2.studio.work_dir
        assert session != folder and (session / "firmware-uno" / "src" / "bingo_model.c").is_file()
        assert Path(w2.studio.run.path).is_relative_to(session)
        # Deploy shows the firmware built earlier and keeps the chosen target
        dp2 = w2.deploy_page
        assert dp2.board() == "sim" and dp2.flash_button.text() == "Start simulator"
        assert dp2.message.startswith("Firmware for Simulated Uno built earlier: "), dp2.message
        assert dp2.message.endswith("press Start simulator to put it on the board.")
        assert w2.state()["deploy"]["built"] == "sim"  # saved again as it came
        wait_plan(qtbot, w2)
        assert "built earlier" in dp2.result.text()  # the run and its plan arriving keep it
        w2.studio.set_run(small_run)  # another model: that firmware is not its own
        assert "built" not in w2.state()["deploy"] and "A trained model is ready" in dp2.result.text()
    finally:
        w2.shutdown()
    w.new_project()
    assert "built" not in w.state()["deploy"] and "built earlier" not in w.deploy_page.result.text()
