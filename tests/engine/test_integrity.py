"""Nothing lost, nothing silently wrong (issue 12): damaged run folders are refused in one line
naming the file and field; CSV values outside float32 are refused at import; a pruned run changes
as one unit; runs saved before manifests still open."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
import torch
from run_corpus import MASK_CASES, RUN_JSON_CASES, TENSOR_CASES

from bingo_studio.cli import main
from bingo_studio.errors import UserError
from bingo_studio.runs import load_mask, load_run, read_run_json, run_file


@pytest.fixture(scope="module")
def pruned_run(tmp_path_factory):
    """A real digits run, trained 3 epochs and pruned, through the CLI."""
    out = tmp_path_factory.mktemp("integrity") / "run"
    assert main(["train", "--dataset", "digits", "--epochs", "3", "--searches", "1", "--out", str(out)]) == 0
    assert main(["prune", str(out), "--min-accuracy", "0.6"]) == 0
    return out


@pytest.fixture
def copy(pruned_run, tmp_path):
    target = tmp_path / "run"
    shutil.copytree(pruned_run, target)
    return target


def refused(capsys, *argv) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    assert err.startswith("bingo-studio: error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("case", RUN_JSON_CASES + TENSOR_CASES, ids=lambda c: c[0])
def test_a_damaged_run_is_refused_in_one_line_naming_file_and_field(case, copy, capsys, tmp_path):
    _, damage, words = case
    damage(copy)
    with pytest.raises(UserError, match=None) as e:
        load_run(copy)
    assert words in str(e.value), str(e.value)
    for argv in (["info", str(copy)], ["prune", str(copy), "--min-accuracy", "0.5"],
                 ["export", str(copy), "--board", "uno", "--out", str(tmp_path / "fw")]):
        assert words in refused(capsys, *argv)
    assert not (tmp_path / "fw").exists()


@pytest.mark.parametrize("case", MASK_CASES, ids=lambda c: c[0])
def test_a_damaged_mask_is_refused_by_info_and_export(case, copy, capsys, tmp_path):
    _, damage, words = case
    damage(copy)
    load_run(copy)  # the trained model itself is fine
    assert words in refused(capsys, "info", str(copy))
    assert words in refused(capsys, "export", str(copy), "--board", "uno", "--out", str(tmp_path / "fw"))
    assert not (tmp_path / "fw").exists()
    assert main(["prune", str(copy), "--min-accuracy", "0.6"]) == 0  # pruning again repairs it
    assert main(["info", str(copy)]) == 0


def test_prune_saves_mask_curve_and_result_as_one_generation(copy):
    before = json.loads((copy / "run.json").read_text())["files"]
    (copy / "notes.g1.txt").write_text("the user's own file")
    assert main(["prune", str(copy), "--min-accuracy", "0.3"]) == 0
    after = json.loads((copy / "run.json").read_text())["files"]
    assert after["weights.pt"] == before["weights.pt"]  # unchanged files are not rewritten
    changed = {after[n]["file"].split(".")[-2] for n in after if after[n] != before.get(n)}
    assert {"mask.pt", "prune.json"} <= {n for n in after if after[n] != before.get(n)} and len(changed) == 1
    run = load_run(copy)
    masks = load_mask(run)
    assert read_run_json(copy, "prune.json") == run.extra["prune"]
    assert sum(int(m.sum()) for m in masks.values()) == run.extra["prune"]["kept_weights"]
    stored = {p.name for p in copy.iterdir()}
    # the old generation is gone, the user's file stays
    assert stored == {"run.json", "notes.g1.txt"} | {e["file"] for e in after.values()}


def test_a_nan_floor_is_refused(copy):
    from bingo_studio.pruning.methods import prune_run

    with pytest.raises(UserError, match="between 0 and 100%"):
        prune_run(load_run(copy), "magnitude", float("nan"))


def test_a_run_saved_before_manifests_opens_and_is_upgraded_when_saved(copy, capsys):
    """Format 1: plain file names, no checksums, and (killed mid-training) no metrics."""
    run = load_run(copy)
    legacy = copy.parent / "legacy"
    legacy.mkdir()
    for name in ("weights.pt", "scores.pt"):
        shutil.copyfile(run_file(copy, name), legacy / name)
    meta = json.loads((copy / "run.json").read_text())
    meta.update(version=1, metrics={}, status="training (epoch 2 of 3)", extra={})
    del meta["files"]
    (legacy / "run.json").write_text(json.dumps(meta))
    assert main(["info", str(legacy), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert math.isclose(info["dense_val_accuracy"], run.metrics["dense_val_accuracy"])
    assert main(["prune", str(legacy), "--min-accuracy", "0.5"]) == 0
    upgraded = json.loads((legacy / "run.json").read_text())
    assert upgraded["version"] == 2 and set(upgraded["files"]) >= {"weights.pt", "scores.pt", "mask.pt"}
    assert not (legacy / "weights.pt").exists()  # the plain copies went once run.json no longer named them
    assert load_mask(load_run(legacy)) is not None


def test_diverged_weights_are_never_saved(copy):
    from bingo_studio.runs import save_run

    run = load_run(copy)
    before = (copy / "run.json").read_bytes()
    with torch.no_grad():
        run.model.fc0.weight[0, 0] = float("inf")
    with pytest.raises(UserError, match="training diverged: fc0.weight"):
        save_run(run, copy)
    assert (copy / "run.json").read_bytes() == before


# ---- CSV import: numbers float32 can hold, any line ending, no runaway cells --------------------
def _digits_csv(tmp_path, change=None, newline="\n", name="digits.csv"):
    from sklearn.datasets import load_digits

    d = load_digits()
    rows = [",".join([f"p{i}" for i in range(64)] + ["digit"])]
    rows += [",".join(str(int(v)) for v in x) + f",{t}" for x, t in zip(d.data[:300], d.target[:300])]
    if change:
        change(rows)
    path = tmp_path / name
    path.write_bytes((newline.join(rows) + newline).encode())
    return path


@pytest.mark.parametrize("value, words", [
    ("1e39", "row 6, column 'p3': '1e39' is too large (beyond float32"),
    ("-1e300", "row 6, column 'p3': '-1e300' is too large"),
    ("inf", "row 6, column 'p3': 'inf' is not a finite number"),
    ("NaN", "row 6, column 'p3' is a missing value"),
    ("3e38", "column 'p3': values of this column span more than float32 holds"),
])
def test_csv_values_float32_cannot_hold_are_refused_with_row_and_column(tmp_path, capsys, value, words):
    def put(rows):
        cells = rows[5].split(",")
        cells[3] = value
        rows[5] = ",".join(cells)
        if value == "3e38":
            cells = rows[6].split(",")
            cells[3] = "-3e38"
            rows[6] = ",".join(cells)

    csv = _digits_csv(tmp_path, put)
    err = refused(capsys, "train", "--csv", str(csv), "--label", "digit", "--epochs", "1", "--out",
                  str(tmp_path / "run"))
    assert words in err
    assert not (tmp_path / "run").exists()


def test_csv_with_old_mac_line_endings_trains(tmp_path):
    csv = _digits_csv(tmp_path, newline="\r")
    assert main(["train", "--csv", str(csv), "--label", "digit", "--epochs", "1", "--out", str(tmp_path / "r")]) == 0
    assert load_run(tmp_path / "r").get_dataset().n_features == 64


def test_a_runaway_cell_is_named_not_a_traceback(tmp_path, capsys):
    def put(rows):
        rows[7] = "1," + "9" * 5_000_000 + rows[7][rows[7].index(",", 2):]

    err = refused(capsys, "train", "--csv", str(_digits_csv(tmp_path, put)), "--epochs", "1",
                  "--out", str(tmp_path / "r"))
    assert "row 8" in err and "characters" in err


def test_the_csv_copy_is_written_once_and_serves_when_the_original_is_gone(tmp_path):
    csv = _digits_csv(tmp_path)
    out = tmp_path / "run"
    assert main(["train", "--csv", str(csv), "--label", "digit", "--epochs", "4", "--out", str(out)]) == 0
    entry = json.loads((out / "run.json").read_text())["files"]["data.csv"]
    assert entry["file"] == "data.g1.csv"  # saved at epoch 1, never rewritten by epochs 2-4
    assert run_file(out, "data.csv").read_bytes() == csv.read_bytes()
    csv.unlink()
    ds = load_run(out).get_dataset()
    assert ds.n_features == 64 and np.isfinite(ds.x_train).all()
    assert main(["export", str(out), "--board", "uno", "--out", str(tmp_path / "fw")]) == 0
