"""The CLI, in process: train -> prune -> info with --json, and one-line errors."""

import json

import pytest

from bingo_studio.cli import main
from bingo_studio.runs import run_file


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "digits"
    assert main(["train", "--dataset", "digits", "--epochs", "8", "--out", str(out)]) == 0
    return out


def test_train_prune_info_json(cli_run, capsys):
    capsys.readouterr()
    assert main(["prune", str(cli_run), "--min-accuracy", "85%", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("sparsity", "val_accuracy", "test_accuracy", "dense_test_accuracy", "kept_weights", "total_weights"):
        assert key in result
    assert result["val_accuracy"] >= 0.85 and result["total_weights"] == 64 * 32 + 32 * 16 + 16 * 10
    assert run_file(cli_run, "mask.pt").exists() and run_file(cli_run, "curve.json").exists()
    assert main(["info", str(cli_run), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["sparsity"] == pytest.approx(result["sparsity"]) and info["status"] == "complete"


def test_prune_default_floor_and_magnitude_method(cli_run, capsys):
    assert main(["prune", str(cli_run), "--method", "gmp"]) == 0
    out = capsys.readouterr().out
    assert "method gmp: pruned" in out and "fc0:" in out


def test_csv_training_with_text_labels(tmp_path, capsys):
    from sklearn.datasets import load_iris

    iris = load_iris()
    rows = ["sepal_l,sepal_w,petal_l,petal_w,species"]
    rows += [",".join(map(str, x)) + "," + iris.target_names[t] for x, t in zip(iris.data, iris.target)]
    (tmp_path / "iris.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "run"
    args = ["train", "--csv", str(tmp_path / "iris.csv"), "--label", "species", "--epochs", "30", "--out", str(out)]
    assert main(args) == 0
    assert main(["info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert info["dense_test_accuracy"] > 0.8
    assert run_file(out, "data.csv").exists()  # the run keeps its data


@pytest.mark.parametrize(
    "args, message",
    [
        (["info", "/nonexistent/run"], "not a BINGO Studio run folder"),
        (["train", "--dataset", "nope", "--out", "x"], "unknown dataset 'nope'"),
        (["train", "--csv", "/nonexistent.csv", "--out", "x"], "nonexistent.csv"),
        (["train", "--model", "huge", "--out", "x"], "unknown model preset"),
    ],
)
def test_user_mistakes_are_one_line_errors(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_malformed_csv_names_row_and_column(tmp_path, capsys):
    (tmp_path / "bad.csv").write_text("a,b,label\n1,2,x\n3,oops,y\n4,5,x\n")
    assert main(["train", "--csv", str(tmp_path / "bad.csv"), "--label", "label", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "row 3" in err and "'b'" in err


def test_train_takes_the_layer_family(tmp_path):
    from bingo_studio.models.binary import BinaryLinear
    from bingo_studio.runs import load_run

    out = tmp_path / "binary"
    assert main(["train", "--family", "binary", "--epochs", "2", "--out", str(out)]) == 0
    run = load_run(out)
    assert run.config.model.family == "binary"
    assert all(isinstance(m, BinaryLinear) for m in run.layers.values())


def test_the_ladder_budget_is_the_runs_and_info_names_it(cli_run, tmp_path, capsys):
    """--ladder-recovery (the window's "Pruning during training") sets how many steps the ladder may spend:
    the same dense epochs, then a longer ladder; info names the budget; 0 grows none."""
    more, off = tmp_path / "thorough", tmp_path / "off"
    assert main(["train", "--dataset", "digits", "--epochs", "8", "--ladder-recovery", "1.0", "--out", str(more)]) == 0
    assert main(["train", "--dataset", "digits", "--epochs", "8", "--ladder-recovery", "0", "--out", str(off)]) == 0
    capsys.readouterr()
    steps = {}
    for run, budget in ((cli_run, "0.3"), (more, "1.0")):
        assert main(["info", str(run)]) == 0
        assert f"ladder (--ladder-recovery {budget}): " in capsys.readouterr().out
        assert main(["info", str(run), "--json"]) == 0
        info = json.loads(capsys.readouterr().out)
        steps[budget] = info["ladder_steps"]
    assert steps["1.0"] > steps["0.3"] > 0
    assert main(["info", str(off)]) == 0
    assert "ladder" not in capsys.readouterr().out.split("dense accuracy")[1]  # one-shot only
