"""CSV files and user actions shared by the step-1 GUI tests."""

from __future__ import annotations

from sklearn.datasets import load_iris


def iris_csv(path, label_at: int = 2, bad_row: int | None = None):
    """Iris with its text species column in the middle (the issue's file), optionally a bad cell."""
    b = load_iris()
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    names.insert(label_at, "species")
    lines = [",".join(names)]
    for x, t in zip(b.data, b.target, strict=True):
        cells = [f"{v:g}" for v in x]
        cells.insert(label_at, str(b.target_names[t]))
        lines.append(",".join(cells))
    if bad_row is not None:  # spreadsheet row number: the header is row 1
        cells = lines[bad_row - 1].split(",")
        cells[0] = "oops"
        lines[bad_row - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def loaded(w, n_features: int):
    return lambda: w.studio.dataset is not None and w.studio.dataset.n_features == n_features


def pick_label(qtbot, page, name: str) -> None:
    """As a user does: open the Label column box and choose an entry."""
    box = page.csv_label
    i = box.findText(name)
    assert i >= 0, f"{name} not offered"
    box.setCurrentIndex(i)
    box.activated.emit(i)
