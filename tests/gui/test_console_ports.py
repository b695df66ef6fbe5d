"""The console offers boards, not every serial port: USB ports and the running simulator by
default, a built-in port like /dev/ttyS0 only behind "other ports"; asking a board for its info
sends `info` once (again only after the board says it booted)."""

from __future__ import annotations

import os
import threading
import tty

import pytest
import serial

from bingo_studio.errors import UserError
from bingo_studio.firmware.ports import DetectedBoard
from bingo_studio.firmware.protocol_client import LineReader, handshake


def _ports():
    return [
        DetectedBoard("/dev/ttyACM7", "Arduino Uno", 0x2341, 0x0043, candidates=["uno"]),
        DetectedBoard("/dev/ttyS0", "n/a"),
    ]


def _offered(cp) -> list[str]:
    return [cp.port_box.itemData(i) for i in range(cp.port_box.count())]


def test_builtin_ports_stay_behind_other_ports(qtbot, window):
    cp, dp = window.console_page, window.deploy_page
    dp.poll_timer.stop()
    window.studio.set_ports(_ports())
    assert _offered(cp) == ["/dev/ttyACM7"]
    cp.other_ports.setChecked(True)
    assert _offered(cp) == ["/dev/ttyACM7", "/dev/ttyS0"]
    cp.other_ports.setChecked(False)
    window.studio.set_ports(_ports()[1:])
    assert _offered(cp) == []
    cp.connect_port()
    assert "No board" in cp.message.text() and not cp.link.is_open()
    dp.select_board("uno")  # Deploy does not call a built-in port a board either
    assert "No board plugged in" in dp.detected.text()


def _pty():
    master, slave = os.openpty()
    tty.setraw(slave)
    return master, slave, os.ttyname(slave)


def _reads(master: int, seconds: float) -> bytes:
    import select
    import time

    got, end = b"", time.monotonic() + seconds
    while time.monotonic() < end:
        if select.select([master], [], [], 0.05)[0]:
            got += os.read(master, 1024)
    return got


def test_a_silent_port_is_asked_for_info_once():
    master, slave, port = _pty()
    try:
        with serial.Serial(port, 115200, timeout=0.05) as ser:
            with pytest.raises(UserError, match="did not answer 'info' within 1 s"):
                handshake(LineReader(ser), timeout=1.0)
        assert _reads(master, 0.2) == b"info\n"
    finally:
        os.close(master)
        os.close(slave)


def test_a_board_that_boots_is_asked_again_after_its_ready_line():
    master, slave, port = _pty()
    seen = []

    def board():  # misses the first `info` while booting, then says ready and answers
        seen.append(_reads(master, 0.3))
        os.write(master, b"ready digits 64\n")
        seen.append(_reads(master, 1.5))  # asked again after the grace period
        os.write(master, b"info model=digits features=64\n")

    t = threading.Thread(target=board)
    try:
        with serial.Serial(port, 115200, timeout=0.05) as ser:
            t.start()
            info = handshake(LineReader(ser), timeout=3.0, grace=0.5)
        t.join()
        assert info == {"model": "digits", "features": "64"}
        assert seen == [b"info\n", b"info\n"]
    finally:
        os.close(master)
        os.close(slave)


def test_a_board_that_heard_the_question_while_booting_is_not_asked_again():
    master, slave, port = _pty()
    seen = []

    def board():  # got the first `info` while booting: says ready, then answers it
        seen.append(_reads(master, 0.3))
        os.write(master, b"ready digits 64\ninfo model=digits features=64\n")
        seen.append(_reads(master, 1.0))

    t = threading.Thread(target=board)
    try:
        with serial.Serial(port, 115200, timeout=0.05) as ser:
            t.start()
            assert handshake(LineReader(ser), timeout=3.0, grace=0.5)["model"] == "digits"
            t.join()
        assert seen == [b"info\n", b""]
    finally:
        os.close(master)
        os.close(slave)
