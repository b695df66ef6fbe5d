"""Real kills (issue 12, items 4-6): `train --csv` and `prune` run as subprocesses and are killed
with SIGKILL at random instants, again and again in the same folder; after every kill the folder
must hold a whole state (the old or the new, never a mix) that info, prune and export accept. Ctrl-C
(SIGINT) ends either command with exit 130 and one line, keeping the last finished epoch."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import bingo_studio
from bingo_studio.cli import main
from bingo_studio.runs import RunFolder, load_mask, load_run, read_run_json
from bingo_studio.training.loop import evaluate

ROOT = Path(bingo_studio.__file__).resolve().parent.parent
EPOCHS = 15
POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="SIGKILL/SIGINT of a child process are POSIX signals")


def spawn(cwd: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "bingo_studio", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def check_folder(path: Path) -> int:
    """Epochs the folder holds (0: no run saved yet), after checking it is one whole, usable state."""
    if not (path / "run.json").exists():
        return 0
    run = load_run(path)  # run.json, every file's size and sha256, weights and scores against the model
    k = len(run.history)
    assert k >= 1
    assert run.status == ("complete" if k == EPOCHS else f"training (epoch {k} of {EPOCHS})")
    x_val, y_val = run.get_dataset().tensors("val")
    # the weights are those of epoch k's end: its recorded accuracy is theirs
    assert run.history[-1]["val_accuracy"] == evaluate(run.model, x_val, y_val) == run.metrics["dense_val_accuracy"]
    if "prune" in run.extra:
        masks = load_mask(run)  # the mask kept the number of weights the result says
        assert masks is not None and read_run_json(path, "prune.json") == run.extra["prune"]
        assert read_run_json(path, "curve.json")["total"] == run.extra["prune"]["total_weights"]
    else:
        assert not RunFolder(path).has("mask.pt")
    return k


def digits_csv(path: Path) -> Path:
    from sklearn.datasets import load_digits

    d = load_digits()
    rows = [",".join([f"p{i}" for i in range(64)] + ["digit"])]
    rows += [",".join(str(int(v)) for v in x) + f",{t}" for x, t in zip(d.data, d.target)]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("kills")


@POSIX_ONLY
def test_train_killed_at_random_instants_always_leaves_a_whole_run(work):
    csv = digits_csv(work / "digits.csv")
    out = work / "run"
    args = ["train", "--csv", str(csv), "--label", "digit", "--epochs", str(EPOCHS), "--searches", "1",
            "--out", str(out)]
    start = time.monotonic()
    full = spawn(work, *args)
    while not (out / "run.json").exists() and full.poll() is None:
        time.sleep(0.01)
    first_save = time.monotonic() - start  # the kills aim at the saves, not at the start-up
    assert full.wait(timeout=600) == 0, full.stderr.read()
    duration = time.monotonic() - start
    assert check_folder(out) == EPOCHS
    rng = random.Random(12)
    kept = []
    for _ in range(10):  # each run overwrites the last one's folder: the kill can land in any save
        stamp = (out / "run.json").stat().st_mtime_ns
        proc = spawn(work, *args)
        while (out / "run.json").stat().st_mtime_ns == stamp and proc.poll() is None:  # its first save
            time.sleep(0.005)
        time.sleep(rng.uniform(0, duration - first_save))  # then any instant of training and saving
        proc.kill()
        proc.wait()
        kept.append(check_folder(out))
    print("epochs kept after each kill:", kept)
    assert any(0 < k < EPOCHS for k in kept), "no kill landed mid-training: the test proved nothing"
    csv.unlink()  # the run's own copy of the data serves from now on
    assert main(["prune", str(out), "--min-accuracy", "0.5"]) == 0
    assert main(["info", str(out)]) == 0
    assert main(["export", str(out), "--board", "uno", "--out", str(work / "fw")]) == 0
    check_folder(out)


@pytest.fixture(scope="module")
def trained(work):
    out = work / "prune-run"
    assert main(["train", "--dataset", "digits", "--epochs", str(EPOCHS), "--searches", "1", "--out", str(out)]) == 0
    return out


@POSIX_ONLY
def test_prune_killed_at_random_instants_leaves_the_old_or_the_new_prune(work, trained):
    out = trained
    floors = ["0.5", "0.85"]
    start = time.monotonic()
    proc = spawn(work, "prune", str(out), "--min-accuracy", floors[0], "--method", "gmp")
    assert proc.wait(timeout=600) == 0, proc.stderr.read()
    duration = time.monotonic() - start
    rng = random.Random(7)
    seen = set()
    for i in range(9):
        proc = spawn(work, "prune", str(out), "--min-accuracy", floors[(i + 1) % 2], "--method", "gmp")
        if i % 3 == 2:
            assert proc.wait(timeout=600) == 0  # now and then a prune that finishes: a new state to kill over
        else:
            time.sleep(rng.uniform(0.6 * duration, 1.1 * duration))  # the save is at the end
            proc.kill()
            proc.wait()
        check_folder(out)
        seen.add(load_run(out).extra["prune"]["min_accuracy"])
    print("floors found after the kills:", sorted(seen))
    assert len(seen) == 2
    assert main(["info", str(out)]) == 0
    assert main(["export", str(out), "--board", "uno", "--out", str(work / "fw2")]) == 0


@POSIX_ONLY
def test_ctrl_c_in_train_keeps_the_last_finished_epoch_and_says_so(work):
    out = work / "interrupted"
    proc = spawn(work, "train", "--dataset", "digits", "--epochs", str(EPOCHS), "--out", str(out))
    deadline = time.monotonic() + 300
    while not (out / "run.json").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    k = check_folder(out)
    assert 1 <= k < EPOCHS
    assert err.strip().splitlines()[-1] == f"bingo-studio: interrupted: epoch {k} of {EPOCHS} is kept in {out}"


@POSIX_ONLY
def test_ctrl_c_in_prune_is_one_line_and_leaves_a_whole_run(work, trained):
    out = trained
    before = json.loads((out / "run.json").read_text())
    rng = random.Random(3)
    codes = []
    for _ in range(3):
        proc = spawn(work, "prune", str(out), "--min-accuracy", "0.7", "--method", "bingo")
        time.sleep(rng.uniform(1.0, 4.0))
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        codes.append(proc.returncode)
        assert proc.returncode in (0, 130) and "Traceback" not in err, err
        if proc.returncode == 130:
            assert err.strip().splitlines()[-1].startswith("bingo-studio: interrupted")
        check_folder(out)
    print("exit codes:", codes)
    assert 130 in codes or json.loads((out / "run.json").read_text()) != before
