"""Run folders: round trip, refusal of corrupted or foreign files, interrupted training."""

import json

import pytest
import torch

from bingo_studio.config import RunConfig, ScoringConfig, TrainConfig
from bingo_studio.errors import UserError
from bingo_studio.runs import load_run, run_file, save_run
from bingo_studio.training import TaskState, train


def test_save_and_load_round_trip(digits_run, digits, tmp_path):
    save_run(digits_run, tmp_path / "run")
    back = load_run(tmp_path / "run")
    x, _ = digits.tensors("test")
    assert torch.equal(back.model(x), digits_run.model(x))
    assert torch.equal(back.scorer.S, digits_run.scorer.S)
    assert back.history == digits_run.history and back.status == "complete"
    assert back.config == digits_run.config
    assert torch.equal(back.initial_state["fc0.weight"], digits_run.initial_state["fc0.weight"])


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda p: (p / "run.json").write_text("{not json"), "corrupted"),
        (lambda p: (p / "run.json").write_text(json.dumps({"format": "something-else"})), "not a BINGO Studio run"),
        (lambda p: run_file(p, "weights.pt").write_bytes(b"\x00garbage" * 10), "damaged"),
        (lambda p: run_file(p, "scores.pt").unlink(), "missing"),
        (lambda p: (p / "run.json").unlink(), "not a BINGO Studio run folder"),
    ],
)
def test_damaged_run_folders_are_refused_with_a_clear_message(digits_run, tmp_path, damage, message):
    path = save_run(digits_run, tmp_path / "run")
    damage(path)
    with pytest.raises(UserError, match=message):
        load_run(path)


def test_weights_of_another_model_are_refused(digits_run, tmp_path):
    path = save_run(digits_run, tmp_path / "run")
    meta = json.loads((path / "run.json").read_text())
    meta["config"]["model"]["preset"] = "small"
    (path / "run.json").write_text(json.dumps(meta))
    with pytest.raises(UserError, match="run.json: field 'widths' .* the settings give"):
        load_run(path)


def test_interrupted_training_leaves_the_last_good_epoch_on_disk(digits, tmp_path):
    out = tmp_path / "run"
    state = TaskState()

    def on_epoch(run):
        save_run(run, out)
        if len(run.history) == 3:
            state.cancel()
            raise KeyboardInterrupt  # a crash right after the save

    cfg = RunConfig(train=TrainConfig(epochs=8), scoring=ScoringConfig(searches_per_step=1))
    with pytest.raises(KeyboardInterrupt):
        train(cfg, digits, state, on_epoch=on_epoch)
    back = load_run(out)
    assert len(back.history) == 3 and back.status == "training (epoch 3 of 8)"
    assert not list(out.glob(".*tmp*"))  # no half-written files left behind
