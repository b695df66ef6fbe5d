"""Every page shows the current project only: File > New and Open reset the data and train pages;
a reopened project brings back its CSV label choice and its significance plot."""

from __future__ import annotations

from pathlib import Path

from csv_files import iris_csv, loaded, pick_label
from gui_waits import wait_until
from PySide6.QtCore import Qt

from bingo_studio.config import ScoringConfig, TrainConfig
from bingo_studio.gui import workers


def _curve_points(curve) -> int:
    x, _y = curve.getData()
    return 0 if x is None else len(x)


def test_new_project_resets_the_data_and_train_pages(qtbot, window, tmp_path):
    w, page, tp = window, window.data_page, window.train_page
    page.set_csv(iris_csv(tmp_path / "iris.csv"))
    wait_until(lambda: loaded(w, 4)() and page.sizes is not None)
    tp.epochs.setValue(2)
    tp.estimator.setCurrentIndex(tp.estimator.findData("paper"))
    qtbot.mouseClick(tp.train_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: w.studio.run is not None)
    assert w.studio.run.dataset.name == "csv" and w.studio.run.config.scoring.estimator == "paper"
    assert _curve_points(tp.loss_curve) == 2 and tp.hist_items and tp.progress.value() == 1000
    old_autosave, old_run = w.studio.autosave_dir, Path(w.studio.run.path)

    w.new_project()
    assert w.studio.run is None and w.studio.project_dir is None
    assert w.studio.autosave_dir != old_autosave and (old_run / "run.json").exists()
    # train page: nothing of the last run
    assert tp.history == [] and _curve_points(tp.loss_curve) == 0 and _curve_points(tp.val_curve) == 0
    assert tp.hist_items == {} and tp.progress.value() == 0
    assert tp.epochs.value() == TrainConfig().epochs and tp.estimator.currentData() == ScoringConfig().estimator
    # data page: digits, no CSV, the model panel for digits
    assert page.dataset_box.currentData() == "digits" and page.csv_path.text() == ""
    assert page.label_choice is None and page.csv_label.count() == 0 and page.csv_errors.text() == ""
    wait_until(lambda: w.studio.dataset is not None and page.sizes is not None)
    assert w.studio.dataset.name == "digits" and "Layers 64 - " in page.model_info.text()
    assert page.preview.horizontalHeaderItem(0).text() == "label"  # digits' own preview, not the CSV's
    assert "Ready to train on digits" in tp.status.text()


def test_new_project_during_training_stops_it_and_drops_its_result(qtbot, window):
    w, tp = window, window.train_page
    tp.epochs.setValue(40)
    tp.start()
    wait_until(lambda: len(tp.history) >= 1)
    w.new_project()
    assert not tp.is_training() and tp.train_button.isEnabled() and not tp.cancel_button.isEnabled()
    wait_until(lambda: not workers._LIVE)  # the stopped training's thread has ended
    wait_until(lambda: w.studio.dataset is not None)
    assert w.studio.run is None and tp.history == [] and tp.progress.value() == 0
    assert "Ready to train on digits" in tp.status.text()


def test_reopened_project_restores_label_choice_and_significance(qtbot, window, small_run, tmp_path):
    w, page, tp = window, window.data_page, window.train_page
    path = iris_csv(tmp_path / "iris.csv")
    page.set_csv(path)
    wait_until(loaded(w, 4))
    pick_label(qtbot, page, "petal_width")  # the user's (odd) choice must come back as it was
    wait_until(lambda: "not a number" in page.csv_errors.text())
    w.studio.set_run(small_run)
    folder = tmp_path / "project"
    assert w.save_to(folder)

    w.new_project()
    wait_until(lambda: w.studio.dataset is not None)
    assert page.label_choice is None and tp.hist_items == {}

    assert w.open_project(folder)
    wait_until(lambda: page.csv_preview is not None and "not a number" in page.csv_errors.text())
    assert page.csv_path.text() == path and page.label_choice == "petal_width"
    assert page.csv_label.currentText() == "petal_width" and page.csv_label_hint.text() == "your choice"
    assert set(tp.hist_items) == set(small_run.scorer.significance())  # one histogram a layer
    assert len(tp.history) == len(small_run.history)
