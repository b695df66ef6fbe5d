"""The command line and the window deploy through the same services: same firmware, same answers,
same failures (issue 11). Both faces are driven for real on one run; the board is the Simulated Uno."""

from __future__ import annotations

import re
import shutil

from gui_waits import LONG, wait_plan, wait_until
from PySide6.QtCore import Qt

from bingo_studio.cli import main
from bingo_studio.firmware.project import GENERATED
from bingo_studio.runs import load_run, save_run
from bingo_studio.targets import TARGETS, board_targets


def test_cli_and_window_list_the_same_targets(window):
    from bingo_studio.cli.firmware_commands import BOARD_CHOICES

    box = window.deploy_page.board_box
    assert [box.itemData(i) for i in range(box.count())] == list(TARGETS)
    assert set(BOARD_CHOICES) == {t.key for t in board_targets()}
    assert set(BOARD_CHOICES) < set(TARGETS)


def _private_run(run, folder):
    """A copy of a saved run in a folder of the test's own (exports save their mask into it)."""
    shutil.copytree(run.path, folder)
    return load_run(folder)


def test_cli_and_window_build_the_same_firmware_and_get_the_same_answers(qtbot, window, small_run, tmp_path,
                                                                          pio_core, capsys):
    w, st = window, window.studio
    run = _private_run(small_run, tmp_path / "run")

    # the window: prune on the slider's proposal, "flash" the Simulated Uno, run the test split on it
    st.set_run(run, dirty=False)
    wait_plan(qtbot, w)
    floor = st.floor
    w.deploy_page.select_board("sim")
    qtbot.mouseClick(w.deploy_page.flash_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not w.deploy_page.busy())
    assert st.device is not None, w.deploy_page.message
    cp = w.console_page
    cp.connect_port(st.device_port)
    wait_until(lambda: cp.link.is_open())
    with qtbot.waitSignal(cp.link.job_done, timeout=2 * LONG):  # the whole test split, one sample a line
        cp.run_test_set()
    on_window = cp.last_test
    window_fw = st.export.project_dir

    # the command line: the same run and minimum accuracy
    cli_fw = tmp_path / "cli-fw"
    assert main(["export", str(run.path), "--board", "uno", "--out", str(cli_fw), "--min-accuracy", repr(floor)]) == 0
    assert main(["build", str(cli_fw), "--board", "uno", "--offline", "--core-dir", str(pio_core)]) == 0
    assert main(["simulate", str(cli_fw), "--test-set", str(run.path)]) == 0
    out = capsys.readouterr().out
    m = re.search(r"simulated Uno \((\w+)\): (\d+)/(\d+) correct", out)
    assert m, out

    for name in GENERATED:
        assert (cli_fw / "src" / name).read_bytes() == (window_fw / "src" / name).read_bytes(), name
    hex_file = ".pio/build/uno/firmware.hex"
    assert (cli_fw / hex_file).read_bytes() == (window_fw / hex_file).read_bytes()
    assert (int(m.group(2)), int(m.group(3))) == (on_window.correct, on_window.n)
    assert on_window.n == len(run.get_dataset().y_test) and not on_window.errors


def test_ram_overflow_fails_alike_in_cli_and_window(qtbot, window, tmp_path, pio_core, capsys):
    """A hidden layer of 1,900 units: its activations alone outgrow the Uno's 2 KB of RAM, while the
    weights (iris: 4 features, 3 classes) fit its flash; both faces refuse it with one line."""
    from bingo_studio.config import DatasetConfig, ModelConfig, RunConfig, ScoringConfig, TrainConfig
    from bingo_studio.data import load_dataset
    from bingo_studio.training import train

    cfg = RunConfig(dataset=DatasetConfig(name="iris"), model=ModelConfig(preset="custom", hidden=[1900]),
                    train=TrainConfig(epochs=2, seed=0), scoring=ScoringConfig(searches_per_step=0))
    run = train(cfg, load_dataset(cfg.dataset))
    save_run(run, tmp_path / "run")
    run = load_run(tmp_path / "run")

    w = window
    w.studio.set_run(run, dirty=False)
    wait_plan(qtbot, w)
    dp = w.deploy_page
    dp.select_board("uno")
    assert dp.offline.isChecked()
    dp.start("build")
    wait_until(lambda: not dp.busy())
    in_window = dp.message

    # refused at export, before any build, by the same service in both faces, in one line
    cli_fw = tmp_path / "cli-fw"
    capsys.readouterr()
    assert main(["export", str(run.path), "--board", "uno", "--out", str(cli_fw),
                 "--min-accuracy", repr(w.studio.floor)]) == 2
    errors = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("bingo-studio: error: ")]
    assert len(errors) == 1
    on_cli = errors[0].removeprefix("bingo-studio: error: ")
    m = re.match(r"the model is too big for the Arduino Uno: ([\d,]+) bytes over its RAM \(([\d,]+) \+ (\d+) stack "
                 r"of 2,048\)", on_cli)
    assert m, on_cli
    over, ram, stack = (int(g.replace(",", "")) for g in m.group(1, 2, 3))
    assert ram + stack - 2048 == over > 0
    assert not cli_fw.exists()
    assert "\n" not in in_window and in_window == on_cli
