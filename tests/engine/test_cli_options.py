"""The CLI's flags come from the config dataclasses; one floor default; one Ctrl-C policy."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path

import pytest

from bingo_studio.cli import build_parser
from bingo_studio.cli.options import config_from_args
from bingo_studio.config import SECTIONS, RunConfig
from bingo_studio.pruning.floor import DEFAULT_MAX_DROP

ROOT = Path(__file__).resolve().parents[2]


def test_every_config_field_has_a_train_flag_with_help():
    train = build_parser()._subparsers._group_actions[0].choices["train"]
    dests = {a.dest: a for a in train._actions}
    for section, kind in SECTIONS.items():
        for f in fields(kind):
            action = dests.get(f"{section}.{f.name}")
            assert action is not None, f"no flag for {section}.{f.name}"
            assert action.help and action.option_strings


def test_defaults_give_the_default_config():
    a = build_parser().parse_args(["train"])
    assert config_from_args(a) == RunConfig()


def test_flags_set_fields_and_imply_csv_and_custom():
    a = build_parser().parse_args([
        "train", "--csv", "x.csv", "--label", "species", "--hidden", "8,4", "--val-fraction", "0.2",
        "--weight-decay", "0.001", "--seed", "3", "--search-start", "0.5", "--searches", "2",
    ])
    cfg = config_from_args(a)
    assert (cfg.dataset.name, cfg.dataset.csv_path, cfg.dataset.label) == ("csv", "x.csv", "species")
    assert (cfg.model.preset, cfg.model.hidden) == ("custom", [8, 4])
    assert cfg.dataset.val_fraction == 0.2 and cfg.train.weight_decay == 0.001
    assert cfg.train.seed == 3 and cfg.scoring.seed == 3  # the searches follow --seed
    assert cfg.scoring.start_fraction == 0.5 and cfg.scoring.searches_per_step == 2
    apart = build_parser().parse_args(["train", "--seed", "3", "--scoring-seed", "7"])
    assert config_from_args(apart).scoring.seed == 7


def test_one_default_floor_for_prune_and_compare():
    p = build_parser()
    assert p.parse_args(["prune", "r"]).max_drop == DEFAULT_MAX_DROP
    assert p.parse_args(["compare"]).max_drop == DEFAULT_MAX_DROP


def test_bad_config_value_is_one_line(capsys):
    from bingo_studio.cli import main

    assert main(["train", "--subset", "2", "--out", "x"]) == 2
    err = capsys.readouterr().err.strip()
    assert "subset_fraction" in err and len(err.splitlines()) == 1


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process is POSIX-only")
def test_ctrl_c_in_train_exits_130_with_one_line_and_keeps_finished_epochs(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bingo_studio", "train", "--dataset", "digits", "--epochs", "400", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )
    deadline = time.monotonic() + 120
    while not (out / "run.json").exists() and time.monotonic() < deadline:  # an epoch is on disk
        time.sleep(0.1)
    assert (out / "run.json").exists(), "training never saved an epoch"
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.count("bingo-studio:") == 1 and "interrupted: epoch" in stderr  # one line besides the bar
    code = subprocess.run([sys.executable, "-m", "bingo_studio", "info", str(out)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert code.returncode == 0 and "epoch" in code.stdout and "dense accuracy" in code.stdout
