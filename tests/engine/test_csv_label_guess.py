"""The label column of a CSV file is guessed when none is named: a named column, a text column, y, the last."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris

from bingo_studio.config import DatasetConfig
from bingo_studio.data import load_dataset
from bingo_studio.data.csv_import import guess_label_column, preview_csv, read_csv_table


def _iris_csv(tmp_path, label_at: int, header: bool = True, label_name: str = "species") -> str:
    """Iris with its text species column at ``label_at`` (the issue's file had it before a feature)."""
    b = load_iris()
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    names.insert(label_at, label_name)
    lines = [",".join(names)] if header else []
    for x, t in zip(b.data, b.target, strict=True):
        cells = [f"{v:g}" for v in x]
        cells.insert(label_at, str(b.target_names[t]))
        lines.append(",".join(cells))
    path = tmp_path / "iris.csv"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.parametrize(
    "header, rows, expected",
    [
        (["a", "b", "label"], [["1", "2", "3"]], 2),
        (["Class", "a", "b"], [["1", "2", "3"]], 0),  # a name wins, in any case, at any place
        (["target", "a", "label"], [["1", "2", "3"]], 2),  # "label" is the most telling name
        (["id", "a", "b"], [["x1", "2", "3"], ["x2", "4", "5"]], 0),  # a text column
        (["a", "kind", "b"], [["1", "cat", "3"], ["2", "dog", "5"], ["3", "n/a", "6"]], 1),
        (["a", "b", "y"], [["1", "2", "0"]], 2),
        (["y", "a", "b"], [["1", "2", "0"]], 0),
        (["x", "y", "z"], [["1", "2", "0"]], 2),  # x and y: coordinates, not the label
        (["a", "b", "c"], [["1", "2", "0"]], 2),  # nothing telling: the last column
        (["1", "label", "2"], [["3", "label", "4"], ["5", "other", "6"]], 1),  # headerless: text column
        (["1.5", "2", "0"], [["2.5", "3", "1"]], 2),
        (["5,1", "3,5", "rosa"], [["4,9", "3", "rosa"]], 2),  # decimal commas are numbers
    ],
)
def test_guess_label_column(header, rows, expected):
    assert guess_label_column(header, rows) == expected


def test_a_column_with_one_typo_is_still_a_feature():
    rows = [[str(i), "oops" if i == 3 else str(i * 2), "a" if i % 2 else "b"] for i in range(10)]
    assert guess_label_column(["f1", "f2", "kind"], rows) == 2


def test_text_label_before_a_feature_is_guessed_and_loads(tmp_path):
    """The issue's file: the species column is not the last one. It loads with no label named."""
    path = _iris_csv(tmp_path, label_at=3)
    p = preview_csv(path)
    assert p["errors"] == [] and p["label_column"] == "species" and p["label_index"] == 3
    table = read_csv_table(path)
    assert table.label_name == "species" and table.class_names == ["setosa", "versicolor", "virginica"]
    assert table.feature_names == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    ds = load_dataset(DatasetConfig(name="csv", csv_path=path))
    assert ds.n_features == 4 and ds.n_classes == 3


def test_headerless_text_label_is_guessed(tmp_path):
    path = _iris_csv(tmp_path, label_at=1, header=False)
    table = read_csv_table(path)
    assert not table.has_header and table.label_index == 1 and table.label_name == "col1"
    assert len(table.y) == 150 and table.x.shape == (150, 4)
    np.testing.assert_allclose(table.x[0], load_iris().data[0], rtol=1e-6)


def test_a_named_label_overrides_the_guess(tmp_path):
    path = _iris_csv(tmp_path, label_at=0, label_name="kind")
    p = preview_csv(path, "petal_width")  # the user's choice: species is then a feature that is text
    assert p["label_column"] == "petal_width"
    assert p["errors"][0] == "row 2, column 'kind': 'setosa' is not a number"


def test_preview_row_numbers_are_the_rows_the_errors_name(tmp_path):
    text = "a,b,label\n1,2,x\n\n3,oops,y\n" + "".join(f"{i},{i},{'xy'[i % 2]}\n" for i in range(10))
    path = tmp_path / "gap.csv"
    path.write_text(text)
    p = preview_csv(path, rows=4)
    assert p["row_numbers"] == [2, 4, 5, 6]  # the blank line 3 is skipped, not renumbered
    assert p["rows"][1] == ["3", "oops", "y"]
    assert p["errors"] == ["row 4, column 'b': 'oops' is not a number"]
