"""Step 1 with a CSV file: the label column guessed, shown and changeable, kept across Reload; the
preview's row numbers are the ones the problems name; a broken file is never trained on."""

from __future__ import annotations

from csv_files import iris_csv, loaded, pick_label
from gui_waits import wait_until
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from bingo_studio.gui.data_page import ERROR_BG


def test_text_label_column_is_guessed_shown_and_loads(qtbot, window, tmp_path):
    w, page = window, window.data_page
    page.set_csv(iris_csv(tmp_path / "iris.csv"))
    wait_until(lambda: w.studio.dataset is not None and w.studio.dataset.name == "csv")
    assert page.csv_label.currentText() == "species"
    assert "guessed" in page.csv_label_hint.text()
    assert page.csv_errors.text() == ""
    ds = w.studio.dataset
    assert ds.n_features == 4 and ds.class_names == ["setosa", "versicolor", "virginica"]
    assert w.studio.config.dataset.label == "species"  # the run records the column it used
    species = page.preview.item(0, 2)
    assert species.text() == "setosa" and species.background().color() == QColor("#fff3c4")


def test_changing_the_label_column_shows_why_and_unloads(qtbot, window, tmp_path):
    w, page = window, window.data_page
    page.set_csv(iris_csv(tmp_path / "iris.csv"))
    wait_until(loaded(w, 4))
    pick_label(qtbot, page, "petal_width")
    wait_until(lambda: "not a number" in page.csv_errors.text())
    assert page.csv_label.currentText() == "petal_width" and page.csv_label_hint.text() == "your choice"
    assert "row 2, column 'species': 'setosa' is not a number" in page.csv_errors.text()
    assert w.studio.dataset is None


def test_label_choice_is_kept_across_reload_and_repick_of_the_same_file(qtbot, window, tmp_path):
    """The user picks a numeric label column the guess would not; breaking and fixing the file and
    pressing Reload, or browsing to the same file again, keeps it; another file is guessed afresh."""
    w, page = window, window.data_page
    path = tmp_path / "grades.csv"

    def write(bad: bool) -> None:
        rows = ["f1,grade,f2,f3"] + [f"{i % 7},{i % 3},{(i * 5) % 11},{i}" for i in range(60)]
        if bad:
            rows[9] = "1,2,oops,4"  # row 10
        path.write_text("\n".join(rows) + "\n")

    write(bad=False)
    page.set_csv(str(path))
    wait_until(lambda: page.csv_preview is not None and page.csv_errors.text() != "Reading the file...")
    assert page.csv_label.currentText() == "f3"  # nothing telling: the last column, with 60 classes
    assert "only 1 row" in page.csv_errors.text() and w.studio.dataset is None
    pick_label(qtbot, page, "grade")
    wait_until(loaded(w, 3))
    assert w.studio.dataset.class_names == ["0", "1", "2"]

    write(bad=True)
    qtbot.mouseClick(page.csv_reload, Qt.MouseButton.LeftButton)
    wait_until(lambda: "oops" in page.csv_errors.text())
    assert page.csv_label.currentText() == "grade" and w.studio.dataset is None
    write(bad=False)
    qtbot.mouseClick(page.csv_reload, Qt.MouseButton.LeftButton)
    wait_until(loaded(w, 3))
    assert page.csv_label.currentText() == "grade" and w.studio.config.dataset.label == "grade"

    page.set_csv(str(path))  # Browse to the same file again
    wait_until(loaded(w, 3))
    assert page.csv_label.currentText() == "grade"

    page.set_csv(iris_csv(tmp_path / "iris.csv"))  # another file: guessed again
    wait_until(loaded(w, 4))
    assert page.csv_label.currentText() == "species" and "guessed" in page.csv_label_hint.text()


def test_problems_name_the_rows_the_preview_numbers(qtbot, window, tmp_path):
    page = window.data_page
    path = tmp_path / "gaps.csv"
    iris_csv(path, bad_row=7)
    text = path.read_text().splitlines()
    text.insert(3, "")  # a blank line 4: rows after it move down one, as in a spreadsheet
    path.write_text("\n".join(text) + "\n")
    page.set_csv(str(path))
    wait_until(lambda: "oops" in page.csv_errors.text())
    assert page.csv_errors.text().startswith("row 8, column 'sepal_length': 'oops' is not a number")
    table = page.preview
    labels = [table.verticalHeaderItem(r).text() for r in range(table.rowCount())]
    assert labels[:7] == ["2", "3", "5", "6", "7", "8", "9"]
    r = labels.index("8")
    assert table.item(r, 0).text() == "oops"
    assert table.item(r, 0).background().color() == QColor(ERROR_BG)
    assert "row 8" in table.item(r, 0).toolTip()


def test_a_stray_text_column_gets_a_hint_to_pick_the_label(qtbot, window, tmp_path):
    page = window.data_page
    path = tmp_path / "named.csv"
    rows = ["name,length,colour"] + [f"item{i},{i},{'red' if i % 2 else 'blue'}" for i in range(30)]
    path.write_text("\n".join(rows) + "\n")
    page.set_csv(str(path))
    wait_until(lambda: "not a number" in page.csv_errors.text())
    assert page.csv_label.currentText() == "colour"  # the last of the text columns
    assert "Column 'name' holds text" in page.csv_errors.text()
    assert "pick it as the Label column" in page.csv_errors.text()


def test_broken_csv_train_refuses_and_model_panel_forgets_the_old_dataset(qtbot, window, tmp_path):
    """Issue 13, item 3: with the CSV still broken, Train trained the previous dataset."""
    w, page = window, window.data_page
    wait_until(lambda: page.sizes is not None)
    assert w.data_page.fit_view.verdicts()  # digits' sizes are shown
    page.set_csv(iris_csv(tmp_path / "iris.csv", bad_row=5))
    wait_until(lambda: "oops" in page.csv_errors.text())
    assert w.studio.dataset is None
    assert page.sizes is None and page.fit_view.verdicts() == {}
    assert "Sizes appear once the dataset has loaded" in page.model_info.text()
    assert "Waiting for step 1: the CSV file has a problem" in w.train_page.status.text()

    qtbot.mouseClick(w.train_page.train_button, Qt.MouseButton.LeftButton)
    status = w.train_page.status.text()
    assert "Nothing trained. Step 1: the CSV file has a problem, first: row 5" in status
    assert not w.train_page.is_training() and w.studio.run is None

    page.select_dataset("digits")
    wait_until(lambda: w.studio.dataset is not None and page.sizes is not None)
    assert w.studio.dataset.name == "digits" and "Ready to train on digits" in w.train_page.status.text()


def test_a_dataset_still_loading_when_a_csv_is_picked_is_not_used(qtbot, window, tmp_path):
    w, page = window, window.data_page
    page.select_dataset("wine")  # its load starts in a worker...
    page.set_csv(iris_csv(tmp_path / "iris.csv", bad_row=3))  # ...and the user picks a broken file at once
    wait_until(lambda: "oops" in page.csv_errors.text() and not page.busy())
    assert w.studio.dataset is None and page.dataset_box.currentData() == "csv"
