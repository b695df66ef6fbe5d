"""The getting-started tour (one screen a step, dismissable, shown at the first start only), the
estimator choice on the Train page, and a tooltip on every number of the data and train pages."""

from __future__ import annotations

from gui_waits import wait_until
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from bingo_studio.gui import help_tour
from bingo_studio.gui import project as projects
from bingo_studio.gui.main_window import STEPS


def test_tour_walks_the_steps_and_turns_the_window_with_it(qtbot, window):
    w = window
    tour = w.show_tour()
    assert tour.isVisible() and not tour.isModal()
    seen = []
    for step in range(len(STEPS)):
        assert tour.counter.text() == f"Step {step + 1} of {len(STEPS)}"
        assert w.tabs.currentIndex() == step  # the page the screen describes is behind it
        seen.append(tour.title.text())
        qtbot.mouseClick(tour.next_button, Qt.MouseButton.LeftButton)
    assert not tour.isVisible()  # "Done" on the last screen closes it
    assert [t.split(".")[0] for t in seen] == ["1", "2", "3", "4", "5"]
    w.tabs.setCurrentIndex(2)
    help_action = next(a for a in w.menuBar().actions() if a.text() == "&Help").menu().actions()[0]
    assert help_action.text() == "&Getting started" and help_action.shortcut().toString() == "F1"
    help_action.trigger()
    assert tour.isVisible() and tour.step == 2 and tour.title.text().startswith("3. Prune")
    qtbot.mouseClick(tour.back_button, Qt.MouseButton.LeftButton)
    assert tour.step == 1 and w.tabs.currentIndex() == 1
    qtbot.mouseClick(tour.close_button, Qt.MouseButton.LeftButton)
    assert not tour.isVisible()


def test_dont_show_again_is_remembered(window):
    assert help_tour.show_at_start()  # a first run (the fixture's settings file is new)
    tour = window.show_tour()
    assert not tour.hide_check.isChecked()
    tour.hide_check.setChecked(True)
    assert not help_tour.show_at_start()
    assert projects.settings().value(help_tour.HIDE_KEY, type=bool) is True
    tour.hide_check.setChecked(False)
    assert help_tour.show_at_start()


def _run_app(monkeypatch, tmp_path) -> list:
    """bingo_studio.gui.app.main as `bingo-studio` runs it; returns the tours visible once the window is."""
    from PySide6.QtCore import QTimer

    from bingo_studio.gui import app
    from bingo_studio.gui import studio as studio_mod
    from bingo_studio.gui.main_window import MainWindow

    monkeypatch.setattr(studio_mod, "autosave_root", lambda: tmp_path / "autosave")
    tours, windows = [], []

    def check_and_quit():
        windows.extend(x for x in QApplication.topLevelWidgets() if isinstance(x, MainWindow) and x.isVisible())
        if windows:
            tours.extend(x for x in QApplication.topLevelWidgets() if isinstance(x, help_tour.HelpTour)
                         and x.isVisible())
            timer.stop()
            QApplication.instance().exit(0)

    timer = QTimer()
    timer.timeout.connect(check_and_quit)
    timer.start(100)
    assert app.main(["bingo-studio"]) == 0
    for x in windows:
        x.close()
    return tours


def test_the_app_shows_the_tour_on_the_first_start_only(qtbot, tmp_path, monkeypatch):
    ini = str(tmp_path / "settings.ini")
    monkeypatch.setattr(projects, "settings", lambda: QSettings(ini, QSettings.Format.IniFormat))
    tours = _run_app(monkeypatch, tmp_path)
    assert len(tours) == 1 and tours[0].step == 0
    tours[0].hide_check.setChecked(True)  # "Don't show this tour at start"
    assert _run_app(monkeypatch, tmp_path) == []


def test_a_window_built_directly_never_opens_the_tour(window):
    assert window.tour is None  # tests (and scripts) building MainWindow() are never interrupted


def test_estimator_choice_is_saved_and_explained(window):
    tp = window.train_page
    assert tp.estimator.currentData() == "train-time" and tp.run_config().scoring.estimator == "train-time"
    tip = tp.estimator.toolTip()
    assert "paper" in tip and "train-time" in tip and "13%" in tip and "78%" in tip  # README's digits row
    tp.estimator.setCurrentIndex(tp.estimator.findData("paper"))
    assert tp.run_config().scoring.estimator == "paper"
    state = tp.state()
    tp.reset()
    assert tp.estimator.currentData() == "train-time"
    tp.restore(state)
    assert tp.estimator.currentData() == "paper"


def test_every_number_on_the_data_and_train_pages_has_a_tooltip(window):
    w = window
    wait_until(lambda: w.data_page.sizes is not None)
    dp, tp = w.data_page, w.train_page
    widgets = [
        dp.dataset_info, dp.model_info, dp.hidden_edit, dp.preview, dp.csv_label,
        *(bar for flash, ram, _v in dp.fit_view.rows.values() for bar in (flash, ram)),
        tp.epochs, tp.batch, tp.lr, tp.searches, tp.estimator, tp.effort, tp.progress, tp.status,
        tp.loss_plot, tp.acc_plot, tp.sig_plot,
    ]
    missing = [type(x).__name__ for x in widgets if not x.toolTip()]
    assert missing == []
    form = tp.epochs.parentWidget().layout()
    for field in (tp.epochs, tp.batch, tp.lr, tp.searches, tp.estimator, tp.effort):
        assert form.labelForField(field).toolTip() == field.toolTip()
