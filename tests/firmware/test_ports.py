"""Board detection: PlatformIO's device list (mocked USB boards; none can be plugged in here)."""

from __future__ import annotations

import json
import os
import subprocess

from uno_sketches import core_dir

from bingo_studio.firmware import ports

# What `pio device list --json-output` prints on a laptop with an Uno, a CH340 clone and an ESP32.
PIO_DEVICES = json.dumps([
    {"port": "/dev/ttyACM0", "description": "Arduino Uno",
     "hwid": "USB VID:PID=2341:0043 SER=75735353038351F0B0A1 LOCATION=1-1.2:1.0"},
    {"port": "/dev/ttyUSB0", "description": "USB2.0-Serial",
     "hwid": "USB VID:PID=1A86:7523 LOCATION=1-1.3"},
    {"port": "/dev/ttyUSB1", "description": "CP2102 USB to UART Bridge Controller",
     "hwid": "USB VID:PID=10C4:EA60 SER=0001 LOCATION=1-1.4"},
    {"port": "/dev/ttyACM1", "description": "Board CDC", "hwid": "USB VID:PID=2E8A:000A SER=E660 LOCATION=1-2:1.0"},
    {"port": "/dev/ttyS0", "description": "n/a", "hwid": "n/a"},
])


def test_parse_pio_devices_guesses_boards():
    found = {b.port: b for b in ports.parse_pio_devices(PIO_DEVICES)}
    uno = found["/dev/ttyACM0"]
    assert (uno.board, uno.vid_pid, uno.serial_number, uno.ambiguous) == ("uno", "2341:0043", "75735353038351F0B0A1",
                                                                         False)
    clone = found["/dev/ttyUSB0"]
    assert clone.ambiguous and {"uno", "nano"} <= set(clone.candidates)
    assert found["/dev/ttyUSB1"].board == "esp32"
    assert found["/dev/ttyACM1"].board == "pico"
    legacy = found["/dev/ttyS0"]
    assert legacy.board is None and not legacy.usb and legacy.vid_pid == ""
    assert "Arduino Uno" in uno.label() and "?" in clone.label()


def test_list_boards_sorts_recognised_usb_boards_first(monkeypatch):
    def fake_run(argv, **kwargs):
        assert argv[-4:] == ["device", "list", "--serial", "--json-output"]
        return subprocess.CompletedProcess(argv, 0, PIO_DEVICES, "")

    monkeypatch.setattr(ports.subprocess, "run", fake_run)
    found = ports.list_boards()
    assert [b.port for b in found][-1] == "/dev/ttyS0"
    assert found[0].board is not None


def test_list_boards_falls_back_to_pyserial_when_pio_fails(monkeypatch):
    monkeypatch.setattr(ports.subprocess, "run",
                        lambda argv, **kw: subprocess.CompletedProcess(argv, 1, "", "Error: boom"))

    class FakePort:
        device, description, hwid = "/dev/ttyACM3", "Arduino Uno", "USB VID:PID=2341:0043 SER=1 LOCATION=1-1"

    from serial.tools import list_ports

    monkeypatch.setattr(list_ports, "comports", lambda: [FakePort()])
    (only,) = ports.list_boards()
    assert (only.port, only.board) == ("/dev/ttyACM3", "uno")


def test_real_device_list_matches_pyserial():
    env = dict(os.environ, PLATFORMIO_CORE_DIR=str(core_dir()))
    via_pio = ports.list_boards(env=env)
    direct = ports.list_boards(use_pio=False)
    assert sorted(b.port for b in via_pio) == sorted(b.port for b in direct)
    assert all(b.to_dict()["port"] == b.port for b in via_pio)
