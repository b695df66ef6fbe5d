"""The datasets package on real data: built-in sets, mnist-5k, Fashion-MNIST, IDX files, full MNIST, CSV."""

from __future__ import annotations

import gzip
import re
import struct
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from bingo_studio.config import DatasetConfig
from bingo_studio.data import DATASETS, fashion, list_datasets, load_dataset, mnist
from bingo_studio.data.csv_import import preview_csv, read_csv_table
from bingo_studio.data.idx import read_idx, write_idx
from bingo_studio.data.splits import split_indices
from bingo_studio.errors import UserError

SPLITS = ("train", "val", "test")


def _arrays(ds):
    return [getattr(ds, f"{k}_{s}") for s in SPLITS for k in ("x", "y")]


# --- built-in sets -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, n, features, classes, image",
    [
        ("digits", 1797, 64, 10, True),
        ("iris", 150, 4, 3, False),
        ("wine", 178, 13, 3, False),
        ("mnist-5k", 5000, 784, 10, True),
    ],
)
def test_builtin_shapes_and_split_sizes(name, n, features, classes, image):
    ds = load_dataset(DatasetConfig(name=name, seed=0, val_fraction=0.15, test_fraction=0.2))
    assert ds.name == name
    assert ds.n_features == features and ds.n_classes == classes
    sizes = [len(ds.y_train), len(ds.y_val), len(ds.y_test)]
    assert sum(sizes) == n
    assert abs(sizes[2] - 0.2 * n) <= 1 and abs(sizes[1] - 0.15 * n) <= 1
    for s in SPLITS:
        x, y = getattr(ds, f"x_{s}"), getattr(ds, f"y_{s}")
        assert x.dtype == np.float32 and y.dtype == np.int64 and x.shape == (len(y), features)
    assert set(np.unique(ds.y_train)) == set(range(classes))
    assert ds.mean.shape == ds.std.shape == ((1,) if image else (features,))
    assert ds.mean.dtype == np.float32 and np.all(ds.std > 0)
    assert len(ds.feature_names) == features and ds.description
    # Features stay raw: the model normalises, the board gets what the sensor gives.
    assert ds.x_train.max() == {"digits": 16, "mnist-5k": 255}.get(name, ds.x_train.max())


def test_class_names():
    assert load_dataset(DatasetConfig(name="digits")).class_names == [str(i) for i in range(10)]
    assert load_dataset(DatasetConfig(name="iris")).class_names == ["setosa", "versicolor", "virginica"]
    assert load_dataset(DatasetConfig(name="wine")).class_names == ["class_0", "class_1", "class_2"]


def test_default_is_digits():
    assert DatasetConfig().name == "digits"
    assert load_dataset(DatasetConfig()).summary()["features"] == 64


def test_same_seed_same_split_other_seed_differs():
    a, b = (load_dataset(DatasetConfig(name="digits", seed=3)) for _ in range(2))
    for u, v in zip(_arrays(a), _arrays(b), strict=True):
        np.testing.assert_array_equal(u, v)
    np.testing.assert_array_equal(a.mean, b.mean)
    c = load_dataset(DatasetConfig(name="digits", seed=4))
    assert not np.array_equal(a.y_train, c.y_train)
    assert not np.array_equal(a.x_test, c.x_test)


def test_splits_are_disjoint_and_cover_everything():
    train, val, test = split_indices(np.repeat(np.arange(5), 20), seed=1, val_fraction=0.2, test_fraction=0.2)
    joined = np.concatenate([train, val, test])
    assert len(joined) == 100 and len(np.unique(joined)) == 100


@pytest.mark.parametrize("name", ["digits", "mnist-5k"])
def test_image_normalisation_is_one_scalar(name):
    ds = load_dataset(DatasetConfig(name=name))
    xn = ds.normalize(ds.x_train)
    assert abs(float(xn.mean())) < 1e-3 and abs(float(xn.std()) - 1) < 1e-3
    x, _ = ds.tensors("train")
    assert x.dtype.is_floating_point and x.shape == ds.x_train.shape


def test_tabular_normalisation_is_per_feature():
    ds = load_dataset(DatasetConfig(name="wine"))
    xn = ds.normalize(ds.x_train)
    np.testing.assert_allclose(xn.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(xn.std(axis=0), 1, atol=1e-3)
    # Wine's features differ in scale by 1000x, so a single scalar would not do this.
    assert ds.mean.max() / ds.mean.min() > 100


def test_constant_feature_gets_std_one(tmp_path):
    rows = ["a,b,label"] + [f"{i},7,{i % 2}" for i in range(20)]
    p = tmp_path / "const.csv"
    p.write_text("\n".join(rows))
    ds = load_dataset(DatasetConfig(name="csv", csv_path=str(p)))
    assert ds.std[1] == 1.0 and ds.mean[1] == 7.0
    assert np.all(np.isfinite(ds.normalize(ds.x_val)))


def test_stratification_keeps_class_proportions():
    ds = load_dataset(DatasetConfig(name="digits", seed=7))
    overall = np.bincount(np.concatenate([ds.y_train, ds.y_val, ds.y_test])) / 1797
    for y in (ds.y_train, ds.y_val, ds.y_test):
        np.testing.assert_allclose(np.bincount(y, minlength=10) / len(y), overall, atol=0.01)


def test_tiny_classes_fall_back_instead_of_crashing():
    # 2 samples a class, 3 classes: stratifying val is impossible, the split must still work.
    y = np.repeat(np.arange(3), 2)
    train, val, test = split_indices(y, seed=0, val_fraction=0.15, test_fraction=0.2)
    assert len(train) + len(val) + len(test) == 6 and len(train) > 0


@pytest.mark.parametrize("val, test", [(0.5, 0.5), (-0.1, 0.2), (0.2, 1.0)])
def test_bad_fractions_are_refused(val, test):
    with pytest.raises(UserError, match="fractions"):
        load_dataset(DatasetConfig(name="iris", val_fraction=val, test_fraction=test))


def test_registry_and_unknown_name():
    assert {"digits", "iris", "wine", "mnist-5k", "fashion-mnist", "mnist", "csv"} <= set(DATASETS)
    with pytest.raises(UserError, match=r"unknown dataset 'cifar'.*digits.*iris"):
        load_dataset(DatasetConfig(name="cifar"))
    listing = {d["name"]: d for d in list_datasets()}
    assert set(listing) == set(DATASETS)
    for d in listing.values():
        assert set(d) == {"name", "description", "available", "reason"} and d["description"]
        assert d["available"] or d["reason"]
    assert listing["digits"]["available"] is True


# --- Fashion-MNIST (Debian package) --------------------------------------------------------------


@pytest.mark.skipif(
    not fashion.DEFAULT_FOLDER.is_dir(), reason="Debian package dataset-fashion-mnist is not installed"
)
def test_fashion_mnist_loads():
    ds = load_dataset(DatasetConfig(name="fashion-mnist", seed=0, val_fraction=0.1))
    assert ds.n_features == 784 and ds.class_names[0] == "T-shirt/top" and ds.class_names[-1] == "Ankle boot"
    assert len(ds.y_test) == 10_000  # the official t10k set
    assert len(ds.y_val) == 6_000 and len(ds.y_train) == 54_000  # val is val_fraction of train
    assert np.bincount(ds.y_test).tolist() == [1000] * 10
    assert ds.mean.shape == (1,) and 0 < ds.x_train.max() <= 255
    assert DATASETS["fashion-mnist"].available() == (True, "")


def test_fashion_mnist_absent_names_the_package(tmp_path):
    missing = tmp_path / "nowhere"
    ok, reason = fashion.available(missing)
    assert not ok and "dataset-fashion-mnist" in reason
    with pytest.raises(UserError, match=r"apt-get install dataset-fashion-mnist"):
        fashion.load(DatasetConfig(name="fashion-mnist"), folder=missing)


# --- IDX files -----------------------------------------------------------------------------------


def _idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    """IDX written independently of the package's own writer."""
    dt = {0x08: ">u1", 0x0B: ">i2", 0x0D: ">f4"}[code]
    head = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return head + array.astype(dt).tobytes()


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("code", [0x08, 0x0B, 0x0D])
def test_idx_parser_reads_plain_and_gz(tmp_path, gz, code):
    arr = (np.arange(2 * 3 * 4).reshape(2, 3, 4) * (1 if code == 0x08 else -7)).astype(
        {0x08: np.uint8, 0x0B: np.int16, 0x0D: np.float32}[code]
    )
    data = _idx_bytes(arr, code)
    p = tmp_path / ("a.idx.gz" if gz else "a.idx")
    p.write_bytes(gzip.compress(data) if gz else data)
    out = read_idx(p)
    assert out.shape == (2, 3, 4) and out.dtype == arr.dtype
    np.testing.assert_array_equal(out, arr)


def test_idx_writer_round_trips(tmp_path):
    arr = np.arange(10, dtype=np.uint8)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "l.gz", arr)), arr)
    assert (tmp_path / "l.gz").read_bytes()[:2] == b"\x1f\x8b"


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda b: b[:-5], "truncated"),  # data cut short
        (lambda b: b[:10], "truncated"),  # header cut short (3 dims need 16 bytes)
        (lambda b: b[:3], "too short"),
        (lambda b: b + b"\x00", "corrupt"),  # trailing bytes
        (lambda b: b"\x12\x34" + b[2:], "magic"),
        (lambda b: b[:2] + b"\x42" + b[3:], "data type"),
        (lambda b: b[:3] + b"\x00" + b[4:], "dimensions"),
    ],
)
def test_idx_parser_refuses_bad_files(tmp_path, mangle, message):
    p = tmp_path / "bad-idx3-ubyte"
    p.write_bytes(mangle(_idx_bytes(np.zeros((2, 3, 4), np.uint8))))
    with pytest.raises(UserError, match=message) as exc:
        read_idx(p)
    assert str(p) in str(exc.value)


def test_idx_parser_refuses_truncated_gzip(tmp_path):
    p = tmp_path / "bad.gz"
    p.write_bytes(gzip.compress(_idx_bytes(np.zeros((50, 28, 28), np.uint8)))[:-40])
    with pytest.raises(UserError, match="gzip"):
        read_idx(p)


# --- full MNIST from files -----------------------------------------------------------------------


def _write_tiny_mnist(folder: Path, gz: bool, n_train: int = 40, n_test: int = 20) -> None:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    for part, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        for stem, arr in ((f"{part}-images-idx3-ubyte", images), (f"{part}-labels-idx1-ubyte", labels)):
            data = _idx_bytes(arr)
            (folder / (stem + ext)).write_bytes(gzip.compress(data) if gz else data)


@pytest.mark.parametrize("layout, gz", [("flat", False), ("MNIST/raw", True), ("MNIST/raw", False)])
def test_full_mnist_from_local_files(tmp_path, layout, gz, monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)  # must not be needed
    _write_tiny_mnist(tmp_path if layout == "flat" else tmp_path / layout, gz)
    cfg = DatasetConfig(name="mnist", root=str(tmp_path), val_fraction=0.25, seed=1)
    ds = load_dataset(cfg)
    assert ds.n_features == 784 and ds.class_names == [str(i) for i in range(10)]
    assert (len(ds.y_train), len(ds.y_val), len(ds.y_test)) == (30, 10, 20)
    np.testing.assert_array_equal(ds.y_test, np.arange(20) % 10)  # t10k kept in order
    assert ds.mean.shape == (1,)
    again = load_dataset(cfg)
    np.testing.assert_array_equal(ds.x_train, again.x_train)


def test_full_mnist_absent_without_torchvision(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)
    monkeypatch.setitem(sys.modules, "torchvision.datasets", None)
    with pytest.raises(UserError, match=r"pip install torchvision") as exc:
        load_dataset(DatasetConfig(name="mnist", root=str(tmp_path)))
    assert str(tmp_path) in str(exc.value) and "train-images-idx3-ubyte" in str(exc.value)
    monkeypatch.setattr(mnist, "default_root", lambda: tmp_path)
    ok, reason = mnist.available()
    assert not ok and "torchvision" in reason


def _fake_torchvision(monkeypatch, mnist_class):
    tv = types.ModuleType("torchvision")
    tv.datasets = types.ModuleType("torchvision.datasets")
    tv.datasets.MNIST = mnist_class
    monkeypatch.setitem(sys.modules, "torchvision", tv)
    monkeypatch.setitem(sys.modules, "torchvision.datasets", tv.datasets)


def test_full_mnist_download_goes_through_torchvision(tmp_path, monkeypatch):
    calls = []

    class FakeMNIST:  # writes what torchvision would, where it would, without the network
        def __init__(self, root, train, download):
            calls.append((root, train, download))
            _write_tiny_mnist(Path(root) / "MNIST" / "raw", gz=False)

    _fake_torchvision(monkeypatch, FakeMNIST)
    ds = load_dataset(DatasetConfig(name="mnist", root=str(tmp_path / "cache")))
    assert calls and all(c[2] is True for c in calls) and {c[1] for c in calls} == {True, False}
    assert len(ds.y_test) == 20


def test_full_mnist_failed_download_is_a_user_error(tmp_path, monkeypatch):
    class OfflineMNIST:
        def __init__(self, root, train, download):
            raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    _fake_torchvision(monkeypatch, OfflineMNIST)
    with pytest.raises(UserError, match=r"downloading MNIST .* failed.*network"):
        load_dataset(DatasetConfig(name="mnist", root=str(tmp_path)))


def test_full_mnist_mismatched_files_refused(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)
    _write_tiny_mnist(tmp_path, gz=False)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(_idx_bytes(np.zeros(19, np.uint8)))
    with pytest.raises(UserError, match="20 images but .* 19 labels"):
        load_dataset(DatasetConfig(name="mnist", root=str(tmp_path)))


# --- CSV -----------------------------------------------------------------------------------------


def _iris_rows():
    from sklearn.datasets import load_iris

    b = load_iris()
    return b.data, [str(b.target_names[t]) for t in b.target]


def _csv(tmp_path, text: str, name="data.csv") -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_csv_with_header_and_text_labels(tmp_path):
    data, species = _iris_rows()
    lines = ["sepal_length,sepal_width,petal_length,petal_width,species"]
    lines += [",".join([*(f"{v:g}" for v in row), s]) for row, s in zip(data, species, strict=True)]
    path = _csv(tmp_path, "\n".join(lines) + "\n")
    ds = load_dataset(DatasetConfig(name="csv", csv_path=path, label="species"))
    assert ds.class_names == ["setosa", "versicolor", "virginica"]
    assert ds.feature_names == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert ds.n_features == 4 and len(ds.y_train) + len(ds.y_val) + len(ds.y_test) == 150
    assert ds.mean.shape == (4,)
    # Default label column is the last one: same result without naming it.
    ds2 = load_dataset(DatasetConfig(name="csv", csv_path=path))
    np.testing.assert_array_equal(ds.x_train, ds2.x_train)
    # Row order in the file is kept: sample 0 is the file's first data row.
    table = read_csv_table(path, "species")
    np.testing.assert_allclose(table.x[0], data[0], rtol=1e-6)
    assert table.rows[0] == 2 and table.has_header and table.delimiter == ","


def test_csv_headerless_numeric_with_label_index(tmp_path):
    data, _ = _iris_rows()
    from sklearn.datasets import load_iris

    target = load_iris().target
    # Label first, coded 1/2/3 so the mapping to 0..C-1 is visible.
    lines = [",".join([str(t + 1), *(f"{v:g}" for v in row)]) for row, t in zip(data, target, strict=True)]
    path = _csv(tmp_path, "\n".join(lines))
    table = read_csv_table(path, "0")
    assert not table.has_header and table.feature_names == ["col1", "col2", "col3", "col4"]
    assert table.class_names == ["1", "2", "3"] and table.label_name == "col0"
    np.testing.assert_array_equal(table.y, target)
    ds = load_dataset(DatasetConfig(name="csv", csv_path=path, label="0", seed=2))
    assert ds.n_classes == 3 and ds.n_features == 4


def test_csv_numeric_labels_sort_by_value(tmp_path):
    rows = [f"{i},{lab}" for i, lab in enumerate(["10", "2", "10", "2", "-1", "-1"])]
    table = read_csv_table(_csv(tmp_path, "\n".join(rows)))
    assert table.class_names == ["-1", "2", "10"]
    assert table.y.tolist() == [2, 1, 2, 1, 0, 0]


def test_csv_semicolon_with_decimal_commas(tmp_path):
    text = "a;b;klasse\n" + "\n".join(f"{i},5;{i * 2};{'ja' if i % 2 else 'nein'}" for i in range(10))
    table = read_csv_table(_csv(tmp_path, text), "klasse")
    assert table.delimiter == ";" and table.feature_names == ["a", "b"]
    assert table.x[3].tolist() == [3.5, 6.0] and table.class_names == ["ja", "nein"]


def test_csv_tab_separated_and_blank_lines(tmp_path):
    text = "x\ty\tlabel\n\n" + "\n".join(f"{i}\t{-i}\t{'ab'[i % 2]}" for i in range(8)) + "\n\n"
    table = read_csv_table(_csv(tmp_path, text))
    assert table.delimiter == "\t" and table.x.shape == (8, 2) and table.rows[0] == 3


BAD_CSVS = [
    # (file text or None for a missing file, label, expected message pattern)
    (None, None, r"does not exist"),
    ("", None, r"is empty"),
    ("   \n\n", None, r"is empty"),
    (",,,\n, ,,\n", None, r"is empty"),
    ("a,b,label\n", None, r"header row but no data rows"),
    (
        "a,b,c,label\n1,2,3,x\n1,2,3,y\n1,2,3,x\n1,2,3,y\n1,2,3,x\n1,2,3,4,y\n",
        None,
        r"row 7 has 5 columns, expected 4",
    ),
    (
        "a,petal_width,label\n" + "1,2,x\n" * 10 + "1,abc,y\n",
        None,
        r"row 12, column 'petal_width': 'abc' is not a number",
    ),
    ("a,b,label\n1,2,x\n1,,y\n1,2,x\n", None, r"row 3, column 'b' is empty"),
    ("a,b,label\n1,2,x\n1,NaN,y\n1,2,x\n", None, r"row 3, column 'b' is a missing value \('NaN'\)"),
    ("a,b,label\n1,2,x\n1,2,\n1,2,y\n", None, r"row 3, label column 'label' is empty"),
    ("a,b,label\n1,2,x\n1,inf,y\n", None, r"row 3, column 'b': 'inf' is not a finite number"),
    ("a,b,label\n1,2,x\n3,4,y\n", "species", r"no column 'species'; columns are a, b, label"),
    ("1,2,x\n3,4,y\n", "species", r"no column 'species'.*no header row.*index"),
    ("a,b,label\n1,2,x\n3,4,y\n", "5", r"index 5 is out of range.*3 columns"),
    ("a,b,species\n1,2,setosa\n3,4,setosa\n5,6,setosa\n", None, r"only one class \('setosa'\)"),
    ("a,b,species\n1,2,x\n3,4,x\n5,6,y\n7,8,x\n", None, r"class 'y' of column 'species' has only 1 row"),
    ("justone\n1\n2\n", None, r"only one column"),
]


@pytest.mark.parametrize("text, label, message", BAD_CSVS)
def test_csv_malformed_is_refused_with_row_and_column(tmp_path, text, label, message):
    path = str(tmp_path / "missing.csv") if text is None else _csv(tmp_path, text)
    with pytest.raises(UserError, match=message):
        load_dataset(DatasetConfig(name="csv", csv_path=path, label=label))
    preview = preview_csv(path, label)
    assert preview["errors"] and any(re.search(message, e) for e in preview["errors"])


def test_csv_reports_how_many_more_problems(tmp_path):
    path = _csv(tmp_path, "a,b,label\n1,x,p\n1,y,q\n1,z,p\n")
    with pytest.raises(UserError, match=r"row 2, column 'b': 'x' is not a number \(and 2 more problems\)"):
        read_csv_table(path)


def test_csv_without_path_is_a_user_error():
    with pytest.raises(UserError, match="CSV file"):
        load_dataset(DatasetConfig(name="csv"))


def test_csv_preview(tmp_path):
    text = "f1;f2;kind\n" + "\n".join(f"{i};{i * 3};{'cat' if i % 3 else 'dog'}" for i in range(30))
    p = preview_csv(_csv(tmp_path, text), rows=5)
    assert p["errors"] == []
    assert p["delimiter"] == ";" and p["has_header"] and p["header"] == ["f1", "f2", "kind"]
    assert p["label_column"] == "kind" and p["label_index"] == 2
    assert p["rows"] == [
        ["0", "0", "dog"],
        ["1", "3", "cat"],
        ["2", "6", "cat"],
        ["3", "9", "dog"],
        ["4", "12", "cat"],
    ]
    assert p["n_rows"] == 30 and p["classes"] == ["cat", "dog"] and p["class_counts"] == [20, 10]
    # A named label column changes the detected one; a problem shows up in errors, not as an exception.
    assert preview_csv(_csv(tmp_path, text), label="f1")["label_column"] == "f1"
    bad = preview_csv(_csv(tmp_path, text.replace("4;12", "4;twelve"), "bad.csv"))
    assert bad["header"] == ["f1", "f2", "kind"] and len(bad["rows"]) == 20
    assert bad["errors"] == ["row 6, column 'f2': 'twelve' is not a number"]


def test_csv_label_index_is_not_mistaken_for_a_cell_value(tmp_path):
    # Headerless: the first row holds the value "0", which must not be read as a column named "0".
    table = read_csv_table(_csv(tmp_path, "0,0,5\n1,0,6\n0,3,0\n1,2,1\n"), "0")
    assert not table.has_header and table.label_index == 0
    assert table.x.tolist() == [[0, 5], [0, 6], [3, 0], [2, 1]] and table.class_names == ["0", "1"]


def test_csv_spreadsheet_quirks(tmp_path):
    # Empty trailing columns, a "none" class, spaces around cells, quoted labels with the delimiter.
    text = 'a , b,label,,\n1, 2,"x, big",,\n3,4,none,,\n5,6,"x, big"\n7,8,none,,\n'
    table = read_csv_table(_csv(tmp_path, text))
    assert table.feature_names == ["a", "b"] and table.class_names == ["none", "x, big"]
    assert table.y.tolist() == [1, 0, 1, 0]


def test_csv_preview_of_unknown_label_still_shows_the_columns(tmp_path):
    p = preview_csv(_csv(tmp_path, "a,b,label\n1,2,x\n3,4,y\n"), label="species")
    assert p["header"] == ["a", "b", "label"] and p["rows"] == [["1", "2", "x"], ["3", "4", "y"]]
    assert p["errors"] == ["no column 'species'; columns are a, b, label"]
