"""The whole path from the command line: train -> prune -> export -> pio run (offline) -> simulated
Uno answering the full digits test split over its serial port, as issue 4 asks of CI."""

from __future__ import annotations

import json
import re

import pytest
from uno_sketches import core_dir

from bingo_studio.cli import main

pytestmark = pytest.mark.usefixtures("simavr")


def test_cli_trained_uno_model_answers_the_test_set_on_the_simulated_uno(tmp_path, capsys):
    from bingo_studio.deploy.export import firmware_model_for_run
    from bingo_studio.firmware.quantize import quantize, reference_predict
    from bingo_studio.runs import load_run

    run, project = tmp_path / "run", tmp_path / "uno"
    assert main(["train", "--dataset", "digits", "--epochs", "12", "--out", str(run)]) == 0
    assert main(["prune", str(run), "--max-drop", "0.03", "--json"]) == 0
    pruned = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert pruned["sparsity"] > 0.1
    assert main(["export", str(run), "--board", "uno", "--out", str(project)]) == 0
    assert main(["build", str(project), "--board", "uno", "--offline", "--core-dir", str(core_dir())]) == 0
    out = capsys.readouterr().out
    assert (project / ".pio" / "build" / "uno" / "firmware.elf").is_file()
    flash = int(re.search(r"flash ([\d,]+) of", out).group(1).replace(",", ""))
    assert flash < 32_256

    assert main(["simulate", str(project), "--test-set", str(run), "--core-dir", str(core_dir())]) == 0
    out = capsys.readouterr().out
    m = re.search(r"simulated Uno \((\w+)\): (\d+)/(\d+) correct", out)
    assert m, out
    ds = load_run(run).get_dataset()
    assert int(m.group(3)) == len(ds.y_test)
    # the exported network is the slider's point of the run's ladder plan: its mask and its own weights
    from bingo_studio.pruning.methods import plan_for

    fmodel = firmware_model_for_run(run)
    point = plan_for(load_run(run), "bingo").apply(pruned["pruned_weights"]).state_dict()
    for layer in fmodel.layers:
        assert (layer.weight[layer.mask] == point[f"{layer.name}.weight"].numpy()[layer.mask]).all()
    # the board's accuracy equals the host reference of the same quantised sparse model
    host = reference_predict(quantize(fmodel, "int8"), ds.x_test)
    assert int(m.group(2)) == int((host == ds.y_test).sum())
    assert int(m.group(2)) / len(ds.y_test) >= pruned["test_accuracy"] - 0.01
    assert "cycles per inference" in out
    # and the firmware's info line says so: the accuracy the board measured here, to the sample
    info = re.search(r"firmware_test_accuracy=([\d.]+)", (project / "src" / "bingo_model.c").read_text())
    assert info and float(info.group(1)) == round(int(m.group(2)) / len(ds.y_test), 4)
    # `prune` said the same before anything was built
    assert pruned["firmware_test_accuracy"] == float(info.group(1))
