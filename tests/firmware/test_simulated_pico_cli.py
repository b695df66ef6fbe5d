"""`bingo-studio simulate DIR --board pico`: an exported project built for and run on the simulated Pico."""

from __future__ import annotations

import argparse
import io
import re

from uno_sketches import digits_run, session_dir

from bingo_studio.cli import firmware_commands as cli
from bingo_studio.deploy.export import export_run, firmware_model_for_run
from bingo_studio.firmware.quantize import quantize, reference_predict
from bingo_studio.runs import load_run


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="bingo-studio")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return args.func(args)


def pico_project():
    return export_run(digits_run(), "pico", session_dir() / "digits-pico").project_dir


def test_simulate_pico_answers_the_runs_test_split(capsys):
    project = pico_project()
    assert run_cli("simulate", str(project), "--board", "pico", "--test-set", str(digits_run()), "--limit", "40") == 0
    out = capsys.readouterr().out
    ds = load_run(digits_run()).get_dataset()
    expected = reference_predict(quantize(firmware_model_for_run(digits_run()), "int8"), ds.x_test[:40])
    m = re.search(r"simulated Pico \(digits\): (\d+)/40 correct", out)
    assert m and int(m.group(1)) == int((expected == ds.y_test[:40]).sum())
    assert re.search(r"cycles per inference: mean [\d,]+ \(min [\d,]+, max [\d,]+\) = [\d.]+ ms at 125 MHz", out)
    assert (project / ".pio" / "build" / "pico-sim" / "bingo_pico.uf2").is_file()


def test_simulate_pico_console(monkeypatch, capsys):
    row = load_run(digits_run()).get_dataset().x_test[0]
    monkeypatch.setattr("sys.stdin", io.StringIO(",".join(f"{v:g}" for v in row) + "\ninfo\n1,2\n"))
    assert run_cli("simulate", str(pico_project()), "--board", "pico") == 0
    captured = capsys.readouterr()
    out = captured.out.splitlines()
    assert out[0] == "ready digits 64"
    assert out[1].startswith("pred ") and out[2].startswith("info model=digits") and out[3].startswith("err ")
    assert re.search(r"\[sim\] inference: [\d,]+ cycles = [\d,]+ us at 125 MHz", captured.err)


def test_flash_pico_copies_the_uf2_to_a_bootsel_drive(tmp_path, monkeypatch, capsys):
    """PlatformIO's Pico build needs its download and the drive a physical Pico: both stand in here."""
    from bingo_studio.firmware import uf2
    from bingo_studio.firmware.platformio import RunResult
    from bingo_studio.targets import base

    project = pico_project()
    image = bytes(range(256)) * 4

    def built(project_dir, board, **kw):
        out = project / ".pio" / "build" / "pico"
        out.mkdir(parents=True, exist_ok=True)
        (out / "firmware.bin").write_bytes(image)
        (out / "firmware.elf").write_bytes(b"\x7fELF")
        return RunResult(True, "", tmp_path / "build.log", firmware=out / "firmware.elf")

    drive = tmp_path / "RPI-RP2"
    drive.mkdir()
    (drive / "INFO_UF2.TXT").write_text("UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\nBoard-ID: RPI-RP2\n")
    monkeypatch.setattr(base, "run_build", built)
    monkeypatch.setattr(uf2, "_mount_points", lambda: [tmp_path / "elsewhere", drive])
    assert run_cli("flash", str(project), "--board", "pico") == 0
    assert (drive / "firmware.uf2").read_bytes() == uf2.to_uf2(image)
    assert f"copied firmware.uf2 to its BOOTSEL drive {drive}" in capsys.readouterr().out


def test_flash_pico_offline_copies_the_projects_own_build(tmp_path, monkeypatch, capsys):
    """--offline: the bare-metal image the simulated Pico runs, built here, onto the BOOTSEL drive."""
    from bingo_studio.firmware import uf2
    from bingo_studio.firmware.pico_build import serial_of_image

    project = pico_project()
    drive = tmp_path / "RPI-RP2"
    drive.mkdir()
    (drive / "INFO_UF2.TXT").write_text("Board-ID: RPI-RP2\n")
    monkeypatch.setattr(uf2, "_mount_points", lambda: [drive])
    assert run_cli("flash", str(project), "--board", "pico", "--offline") == 0
    copied = (drive / "bingo_pico.uf2").read_bytes()
    image = (project / ".pio" / "build" / "pico-sim" / "bingo_pico.bin").read_bytes()
    assert copied == uf2.to_uf2(image) and serial_of_image(image) == "usb"
    assert "copied bingo_pico.uf2 to its BOOTSEL drive" in capsys.readouterr().out
