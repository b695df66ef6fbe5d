"""`bingo-studio compare` in process: CSV, Markdown, PNG and --json from one short digits comparison."""

import csv
import json

import pytest

from bingo_studio.cli import main
from bingo_studio.compare import compare
from bingo_studio.config import RunConfig, TrainConfig
from bingo_studio.training import TaskState


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    argv = ["compare", "--dataset", "digits", "--epochs", "4", "--methods", "bingo", "gmp", "rp",
            "--max-drop", "0.07", "--out", str(out), "--json"]
    return out, argv


def test_compare_json_rows_and_files(compared, capsys):
    out, argv = compared
    capsys.readouterr()
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["method"] for r in rows] == ["bingo", "gmp", "rp"]
    for r in rows:
        for key in ("method", "sparsity", "test_accuracy", "seconds", "training_runs"):
            assert key in r
        assert 0 <= r["sparsity"] < 1 and r["training_runs"] == 1 and r["seconds"] > 0
    by = {r["method"]: r for r in rows}
    assert by["bingo"]["sparsity"] >= by["gmp"]["sparsity"] > by["rp"]["sparsity"]
    with open(out / "comparison.csv") as f:
        table = list(csv.DictReader(f))
    assert [t["method"] for t in table] == [r["method"] for r in rows]
    assert float(table[0]["sparsity"]) == pytest.approx(rows[0]["sparsity"])
    md = (out / "comparison.md").read_text()
    assert "| method | % pruned at floor |" in md and md.count("\n|") == 2 + len(rows)
    assert (out / "comparison.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "comparison.png").stat().st_size > 20_000  # a drawn figure, not an empty canvas


def test_compare_unknown_method_is_one_clear_error(tmp_path, capsys):
    assert main(["compare", "--methods", "bingo", "magic", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown method(s) magic" in err and "Traceback" not in err


def test_compare_api_reports_progress_and_stops_on_cancel(digits):
    reports = []
    state = TaskState(reports.append)

    def on_progress(p):
        reports.append(p)
        if p.phase == "gmp":
            state.cancel()

    state._on_progress = on_progress
    result = compare(RunConfig(train=TrainConfig(epochs=2)), ["bingo", "gmp", "lmp"], state=state)
    assert result.status == "cancelled" and [r.method for r in result.rows] == ["bingo", "gmp"]
    fractions = [p.fraction for p in reports]
    assert fractions == sorted(fractions) and fractions[-1] < 1
