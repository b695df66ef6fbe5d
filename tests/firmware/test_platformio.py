"""Real `pio run` builds through the offline AVR platform, and the failures users will meet."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from uno_sketches import ECHO_SKETCH, UNO_INI, built_echo, core_dir, make_project

from bingo_studio.errors import UserError
from bingo_studio.firmware import local_platform
from bingo_studio.firmware.platformio import (
    build_command,
    detect_download,
    explain_failure,
    parse_size,
    registry_reachable,
    run_build,
    run_pio,
    run_upload,
    upload_command,
)

DATA = Path(__file__).parent / "data"

pytestmark = pytest.mark.usefixtures("avr_toolchain")


def avr_size(elf: Path) -> tuple[int, int]:
    """(flash, ram) from avr-size -A, computed independently of PlatformIO's report."""
    out = subprocess.run(["avr-size", "-A", "-d", str(elf)], capture_output=True, text=True, check=True).stdout
    sections = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sections[parts[0]] = int(parts[1])
    flash = sections.get(".text", 0) + sections.get(".data", 0)
    ram = sections.get(".data", 0) + sections.get(".bss", 0) + sections.get(".noinit", 0)
    return flash, ram


def test_offline_build_runs_real_pio_and_reports_size():
    project = built_echo()
    elf = project / ".pio" / "build" / "uno" / "firmware.elf"
    hexfile = elf.with_suffix(".hex")
    assert elf.is_file() and hexfile.is_file()
    assert hexfile.read_text().startswith(":")  # Intel HEX records
    log = (project / "logs" / "build-uno.log").read_text()
    assert "PLATFORM: BINGO Studio offline AVR" in log
    assert "[SUCCESS]" in log
    size = parse_size(log)
    assert (size.flash_used, size.ram_used) == avr_size(elf)
    assert (size.flash_total, size.ram_total) == (32256, 2048)
    # the project's own platformio.ini still names the official platform (builds online unchanged)
    assert (project / "platformio.ini").read_text() == UNO_INI


def test_offline_command_points_a_copy_of_the_ini_at_the_local_platform():
    project = built_echo()
    argv, env = build_command(project, "uno", offline=True, core_dir=core_dir())
    assert argv[argv.index("-e") + 1] == "uno"
    ini = Path(argv[argv.index("-c") + 1])
    assert ini.parent == project / ".pio"
    assert "platform = symlink://" in ini.read_text()
    assert env["PLATFORMIO_CORE_DIR"] == str(core_dir())
    assert (core_dir() / "packages" / "tool-scons" / "scons.py").is_file()
    up_argv, _ = upload_command(project, "uno", offline=True, core_dir=core_dir(), port="/dev/ttyX")
    assert up_argv[-4:] == ["-t", "upload", "--upload-port", "/dev/ttyX"]


def test_online_command_leaves_the_project_config_alone():
    project = make_project("two-boards", ECHO_SKETCH, UNO_INI + "\n[env:esp32dev]\nplatform = espressif32\n"
                           "board = esp32dev\nframework = arduino\n")
    argv, env = build_command(project, "esp32")
    assert "-c" not in argv and argv[argv.index("-e") + 1] == "esp32dev"


def test_board_the_project_was_not_exported_for():
    with pytest.raises(UserError, match=r"not set up for the ESP32 DevKit \(it has uno\): export it for esp32"):
        build_command(built_echo(), "esp32")


def test_offline_is_refused_for_boards_without_a_local_toolchain():
    project = make_project("pico-only", ECHO_SKETCH, "[env:pico]\nplatform = raspberrypi\nboard = pico\n"
                           "framework = arduino\n")
    with pytest.raises(UserError, match="Uno/Nano only"):
        build_command(project, "pico", offline=True, core_dir=core_dir())


def test_not_a_project_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no platformio.ini"):
        build_command(tmp_path, "uno")


@pytest.mark.parametrize(
    "over, expected_in_log, expected_reason",
    [
        # ~8 KB over: the linker's 32 KB flash region of the ATmega328P overflows
        (8000, "region `text' overflowed", "too big for the board's flash by"),
        # ~200 B over 32,256: links (the region is 32,768), but that would overwrite the bootloader;
        # PlatformIO's size check refuses it
        (200, "greater than maximum allowed", "32,256 available"),
    ],
)
def test_program_too_big_for_the_uno_is_explained(over, expected_in_log, expected_reason):
    base = parse_size((built_echo() / "logs" / "build-uno.log").read_text()).flash_used
    second = 32256 + over - base - 20000  # two arrays: one AVR object is at most 32 KB
    source = ECHO_SKETCH + f"""
const uint8_t big1[20000] PROGMEM = {{1}};
const uint8_t big2[{second}] PROGMEM = {{2}};
volatile uint16_t at;
volatile uint8_t sink;
void touch() {{ sink = pgm_read_byte(&big1[at]) + pgm_read_byte(&big2[at]); }}
int main_hook = (touch(), 0);
"""
    project = make_project(f"too-big-{over}", source)
    result = run_build(project, "uno", offline=True, core_dir=core_dir())
    assert not result.ok
    assert "too big for the board" in result.reason and expected_reason in result.reason
    assert expected_in_log in result.log_path.read_text()


@pytest.mark.parametrize("over", [10, 3000])
def test_ram_overflow_names_the_bytes_over(over):
    """Static RAM over the Uno's 2,048 bytes: the linker refuses it, and the reason counts the bytes
    exactly (the echo sketch's own RAM plus the array and its 2-byte index, as avr-size would)."""
    base = parse_size((built_echo() / "logs" / "build-uno.log").read_text()).ram_used
    size = 2048 - base - 2 + over
    source = ECHO_SKETCH + f"""
volatile uint8_t big[{size}];
volatile uint16_t at;
int main_hook = (big[at] = 1, 0);
"""
    project = make_project(f"ram-over-{over}", source)
    result = run_build(project, "uno", offline=True, core_dir=core_dir())
    assert not result.ok
    assert result.reason == (f"The firmware needs {2048 + over:,} bytes of RAM but the board has 2,048: "
                             f"{over:,} bytes over (prune more)")


def test_compiler_error_names_the_first_error_line():
    project = make_project("broken", ECHO_SKETCH.replace("buf[n] = 0;", "buf[n] = 0"))
    lines = []
    result = run_build(project, "uno", offline=True, core_dir=core_dir(), on_line=lines.append)
    assert not result.ok
    assert result.reason.startswith("Compile error in main.cpp line ")
    assert "expected" in result.reason
    assert lines and lines == result.lines  # every line was streamed


def test_upload_to_a_missing_port_fails_clearly():
    result = run_upload(built_echo(), "uno", offline=True, core_dir=core_dir(), port="/dev/ttyBINGO_NOPE")
    assert not result.ok
    assert result.reason.startswith("Port /dev/ttyBINGO_NOPE not found")
    assert (built_echo() / "logs" / "upload-uno.log").is_file()


def test_cancel_stops_pio_promptly():
    project = make_project("cancel", ECHO_SKETCH)
    cancel = threading.Event()
    result = run_build(
        project, "uno", offline=True, core_dir=core_dir(),
        on_line=lambda line: cancel.set() if line.startswith("Processing uno") else None, cancel=cancel,
    )
    assert result.cancelled and not result.ok
    assert not (project / ".pio" / "build" / "uno" / "firmware.elf").exists()


# -- PlatformIO wanting to download (no network here) -----------------------------------------
def _official_project(name: str) -> Path:
    return make_project(name, ECHO_SKETCH)


def test_platform_download_is_detected_and_stopped(tmp_path):
    core = tmp_path / "fresh-core"
    result = run_build(_official_project("official"), "uno", core_dir=core, allow_downloads=False)
    assert not result.ok
    assert "needs to download atmelavr" in result.reason and "--offline" in result.reason
    log = result.log_path.read_text()
    assert "Platform Manager: Installing atmelavr" in log
    assert "HTTPClientError" not in log  # stopped before PlatformIO's minute of retries ended


def test_download_detection_probes_the_registry(tmp_path, monkeypatch):
    # no network exists here; the probe's outcome is what decides, so pin it both ways
    from bingo_studio.firmware import platformio as pio_mod

    monkeypatch.setattr(pio_mod, "registry_reachable", lambda *a, **k: False)
    result = run_build(_official_project("official2"), "uno", core_dir=tmp_path / "core")
    assert "needs to download atmelavr" in result.reason


def test_timeout_stops_a_stuck_run(tmp_path):
    result = run_build(_official_project("official3"), "uno", core_dir=tmp_path / "core", timeout=2,
                       allow_downloads=True)
    assert not result.ok and "did not finish within 2 s" in result.reason


def test_registry_probe_fails_fast_on_a_closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connection refused
        assert registry_reachable(("127.0.0.1", port), timeout=2) is False


def test_detect_download_ignores_local_platforms():
    assert detect_download("Platform Manager: Installing atmelavr") == "atmelavr"
    assert detect_download("Tool Manager: Installing platformio/toolchain-atmelavr @ ~1.70300.0") == (
        "platformio/toolchain-atmelavr"
    )
    assert detect_download("Platform Manager: Installing symlink:///x/bingo-atmelavr") is None
    assert detect_download("Compiling .pio/build/uno/src/main.cpp.o") is None


# -- explain_failure on real and realistic logs -----------------------------------------------
def test_explain_real_offline_log_of_the_official_platform():
    text = (DATA / "pio_run_atmelavr_offline.log").read_text()
    msg = explain_failure(text)
    assert msg.startswith("PlatformIO needs to download atmelavr the first time and there is no network")
    assert "--offline" in msg


def test_explain_real_avrdude_log_of_an_unresponsive_board():
    msg = explain_failure((DATA / "pio_upload_unresponsive.log").read_text())
    assert msg.startswith("The board stopped answering during the upload")


@pytest.mark.parametrize(
    "log, expected",
    [
        ('avrdude: ser_open(): can\'t open device "/dev/ttyACM0": No such file or directory\n'
         "avrdude done.  Thank you.\n*** [upload] Error 1", "Port /dev/ttyACM0 not found"),
        ('avrdude: ser_open(): can\'t open device "/dev/ttyACM0": Permission denied', "'dialout' group"),
        ("avrdude: stk500_recv(): programmer is not responding\n"
         "avrdude: stk500_getsync() attempt 1 of 10: not in sync: resp=0x00", "stopped answering"),
        ("Error: Please specify `upload_port` for environment or use global `--upload-port` option.",
         "No board found"),
        ("A fatal error occurred: Failed to connect to ESP32: Timed out waiting for packet header",
         "ESP32 upload failed: Failed to connect"),
        ("A fatal error occurred: Could not open /dev/ttyUSB0, the port doesn't exist",
         "Port /dev/ttyUSB0 not found"),
        ("/usr/lib/gcc/avr/5.4.0/../../../avr/bin/ld: firmware.elf section `.text' will not fit in region"
         " `text'\n/usr/lib/gcc/avr/5.4.0/../../../avr/bin/ld: region `text' overflowed by 9764 bytes\n"
         "collect2: error: ld returned 1 exit status", "too big for the board's flash by 9,764 bytes"),
        ("src/bingo_model.c:12:5: error: 'bingo_w0' undeclared (first use in this function)\n"
         "src/bingo_model.c:30:1: error: expected ';'", "Compile error in bingo_model.c line 12: 'bingo_w0'"),
        ("Checking size .pio/build/uno/firmware.elf\nWarning! The data size (2300 bytes) is greater than "
         "maximum allowed (2048 bytes)", "2,300 bytes of RAM but the board has 2,048"),
        ("Tool Manager: Installing platformio/toolchain-xtensa-esp32 @ 8.4.0\n"
         "HTTPClientError:", "needs to download platformio/toolchain-xtensa-esp32"),
        ("UnknownEnvNamesError: Unknown environment names 'esp32dev'. Valid names are 'uno'",
         "The project has no esp32dev environment (it has uno)"),
        ("", "PlatformIO failed without output"),
    ],
)
def test_explain_known_failures(log, expected):
    assert expected in explain_failure(log)


def test_explain_does_not_blame_the_network_after_a_finished_install():
    log = ("Platform Manager: Installing atmelavr\nPlatform Manager: atmelavr@5.1.0 has been installed!\n"
           "src/main.cpp:3:1: error: 'foo' does not name a type")
    assert explain_failure(log).startswith("Compile error in main.cpp line 3")


def test_run_pio_reports_a_missing_program_as_a_user_error(tmp_path):
    with pytest.raises(UserError, match="Cannot start PlatformIO"):
        run_pio([str(tmp_path / "no-such-pio")], dict(os.environ), tmp_path / "x.log")


def test_offline_platform_install_is_idempotent_and_updates_on_change(tmp_path):
    core = tmp_path / "core"
    dest = local_platform.ensure_offline_platform(core)
    before = (dest / "platform.py").stat().st_mtime_ns
    assert local_platform.ensure_offline_platform(core) == dest
    assert (dest / "platform.py").stat().st_mtime_ns == before  # up to date: not copied again
    (dest / "platform.json").write_text("{}")  # a stale copy is replaced
    local_platform.ensure_offline_platform(core)
    assert '"bingo-atmelavr"' in (dest / "platform.json").read_text()


def test_an_existing_real_tool_scons_is_kept(tmp_path):
    real = tmp_path / "core" / "packages" / "tool-scons"
    real.mkdir(parents=True)
    (real / "scons.py").write_text("# PlatformIO's own\n")
    (real / ".piopm").write_text("{}")
    (real / "package.json").write_text('{"name": "tool-scons", "version": "4.41101.0"}')
    local_platform.ensure_offline_platform(tmp_path / "core")
    assert (real / "scons.py").read_text() == "# PlatformIO's own\n"

