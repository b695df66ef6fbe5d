"""The firmware subcommands as a user types them: export, build, flash, boards, simulate."""

from __future__ import annotations

import argparse
import re

import pytest
from uno_sketches import (
    built_echo,
    core_dir,
    digits_project,
    digits_run,
    make_project,
    session_dir,
)

from bingo_studio.cli import firmware_commands as cli
from bingo_studio.errors import UserError
from bingo_studio.firmware import ports
from bingo_studio.firmware.ports import DetectedBoard

pytestmark = pytest.mark.usefixtures("avr_toolchain")


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="bingo-studio")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_build_prints_size_and_paths(capsys):
    project = built_echo()
    assert run_cli("build", str(project), "--board", "uno", "--offline", "--core-dir", str(core_dir())) == 0
    out = capsys.readouterr().out
    m = re.search(r"Built for Arduino Uno in [\d.]+ s: flash ([\d,]+) of 32,256 bytes .*RAM ([\d,]+) of 2,048", out)
    assert m, out
    assert f"firmware: {project / '.pio' / 'build' / 'uno' / 'firmware.elf'}" in out
    assert f"log: {project / 'logs' / 'build-uno.log'}" in out


def test_build_failure_is_one_line_with_the_log():
    project = make_project("cli-broken", "#include <Arduino.h>\nvoid setup() { nope(); }\nvoid loop() {}\n")
    with pytest.raises(UserError) as err:
        run_cli("build", str(project), "--board", "uno", "--offline", "--core-dir", str(core_dir()))
    msg = str(err.value)
    assert "\n" not in msg
    assert re.match(r"Compile error in main.cpp line 2: .nope. was not declared", msg), msg
    assert msg.endswith(f"(full log: {project / 'logs' / 'build-uno.log'})")


def test_build_of_a_folder_that_is_no_project(tmp_path):
    with pytest.raises(UserError, match="not a firmware project"):
        run_cli("build", str(tmp_path), "--board", "uno", "--offline", "--core-dir", str(core_dir()))


def test_flash_to_a_missing_port(capsys):
    with pytest.raises(UserError, match=r"^Port /dev/ttyBINGO_GONE not found.*full log: .*upload-uno.log\)$"):
        run_cli("flash", str(built_echo()), "--board", "uno", "--offline", "--core-dir", str(core_dir()),
                "--port", "/dev/ttyBINGO_GONE")


def _fake_boards(monkeypatch, boards):
    monkeypatch.setattr(ports, "list_boards", lambda *a, **k: boards)


def test_flash_without_a_board_plugged_in(monkeypatch):
    _fake_boards(monkeypatch, [DetectedBoard("/dev/ttyS0", "n/a")])
    with pytest.raises(UserError, match="No Arduino Uno found: plug it in"):
        run_cli("flash", str(built_echo()), "--board", "uno", "--offline", "--core-dir", str(core_dir()))


def test_flash_with_two_candidate_boards_asks_for_a_port(monkeypatch):
    two = [DetectedBoard(p, "Arduino Uno", 0x2341, 0x0043, candidates=["uno"])
           for p in ("/dev/ttyACM0", "/dev/ttyACM1")]
    _fake_boards(monkeypatch, two)
    with pytest.raises(UserError, match=r"Several boards could be the Arduino Uno \(/dev/ttyACM0, /dev/ttyACM1\)"):
        run_cli("flash", str(built_echo()), "--board", "uno", "--offline", "--core-dir", str(core_dir()))


def test_flash_uses_the_one_detected_board(monkeypatch, capsys):
    # the detected board vanished before avrdude opened it: the upload must fail on that port
    _fake_boards(monkeypatch, [DetectedBoard("/dev/ttyBINGO_UNO", "Arduino Uno", 0x2341, 0x0043, candidates=["uno"])])
    with pytest.raises(UserError, match="^Port /dev/ttyBINGO_UNO not found"):
        run_cli("flash", str(built_echo()), "--board", "uno", "--offline", "--core-dir", str(core_dir()))
    assert "flashing Arduino Uno on /dev/ttyBINGO_UNO" in capsys.readouterr().err


def test_boards_lists_detected_boards(monkeypatch, capsys):
    _fake_boards(monkeypatch, [
        DetectedBoard("/dev/ttyACM0", "Arduino Uno", 0x2341, 0x0043, candidates=["uno"]),
        DetectedBoard("/dev/ttyS0", "n/a"),
    ])
    assert run_cli("boards") == 0
    out = capsys.readouterr().out
    assert "/dev/ttyACM0  Arduino Uno  [2341:0043]" in out
    assert "Other serial ports (not USB): /dev/ttyS0" in out


def test_boards_with_nothing_plugged_in(monkeypatch, capsys):
    _fake_boards(monkeypatch, [])
    assert run_cli("boards", "--json") == 0
    assert capsys.readouterr().out.strip() == "[]"


def test_export_writes_a_project_for_the_board(capsys):
    out_dir = session_dir() / "cli-export"
    assert run_cli("export", str(digits_run()), "--board", "uno", "--out", str(out_dir)) == 0
    text = capsys.readouterr().out
    assert f"wrote {out_dir}" in text and "--offline" in text
    ini = (out_dir / "platformio.ini").read_text()
    assert "[env:uno]" in ini and "board = uno" in ini
    assert (out_dir / "src" / "bingo_model.c").is_file()


needs_simavr = pytest.mark.usefixtures("simavr")


@needs_simavr
def test_simulate_answers_the_runs_test_split(capsys):
    code = run_cli("simulate", str(digits_project()), "--test-set", str(digits_run()), "--limit", "25")
    out = capsys.readouterr().out
    assert code == 0, out
    from bingo_studio.deploy.export import firmware_model_for_run
    from bingo_studio.firmware.quantize import quantize, reference_predict
    from bingo_studio.runs import load_run

    ds = load_run(digits_run()).get_dataset()
    expected = reference_predict(quantize(firmware_model_for_run(digits_run()), "int8"), ds.x_test[:25])
    n_correct = int((expected == ds.y_test[:25]).sum())
    m = re.search(r"simulated Uno \(digits\): (\d+)/25 correct", out)
    assert m and int(m.group(1)) == n_correct
    assert re.search(r"cycles per inference: mean [\d,]+ \(min [\d,]+, max [\d,]+\)", out)


def test_simulate_needs_a_project_or_elf(tmp_path):
    with pytest.raises(UserError, match="neither a firmware project"):
        run_cli("simulate", str(tmp_path))


@needs_simavr
def test_simulate_console_passes_lines_and_reports_cycles(monkeypatch, capsys):
    import io

    from bingo_studio.runs import load_run

    row = load_run(digits_run()).get_dataset().x_test[0]
    lines = ",".join(f"{v:g}" for v in row) + "\ninfo\n1,2\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert run_cli("simulate", str(digits_project())) == 0
    captured = capsys.readouterr()
    out = captured.out.splitlines()
    assert out[0] == "ready digits 64"
    assert out[1].startswith("pred ") and out[2].startswith("info model=digits")
    assert out[3].startswith("err ")
    assert re.search(r"\[sim\] inference: [\d,]+ cycles = [\d,]+ us at 16 MHz", captured.err)
