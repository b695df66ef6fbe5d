"""The serial console on a real pty: floods, the Serial Plotter format, a port that goes away."""

from __future__ import annotations

import os
import tty

from gui_waits import wait_until

from bingo_studio.gui.console_page import MAX_LINES, plotter_values


def test_plotter_format():
    assert plotter_values("1 2.5 -3") == {"value 1": 1.0, "value 2": 2.5, "value 3": -3.0}
    assert plotter_values("temp:21.5,hum:40") == {"temp": 21.5, "hum": 40.0}
    assert plotter_values("a:1\tb:2") == {"a": 1.0, "b": 2.0}
    assert plotter_values("pred 3 3 1234") is None
    assert plotter_values("ready digits 64") is None
    assert plotter_values("") is None


def _pty():
    master, slave = os.openpty()
    tty.setraw(slave)
    return master, slave, os.ttyname(slave)


def test_flood_is_capped_plotted_and_unplug_is_reported(qtbot, window):
    cp = window.console_page
    master, slave, port = _pty()
    try:
        cp.connect_port(port)
        wait_until(lambda: cp.connect_button.text() == "Disconnect")
        assert cp.testset_button.isEnabled()

        lines = "".join(f"a:{i} b:{2 * i}\n" for i in range(30))
        os.write(master, lines.encode())
        wait_until(lambda: len(cp.plotted().get("a", [])) == 30)
        assert cp.plotted()["b"][-1] == 58.0

        # a flood much larger than the transcript keeps: the window keeps up and stays capped
        chunk = b"".join(b"flood line %06d\n" % i for i in range(4000))
        for _ in range(10):
            os.write(master, chunk)
        wait_until(lambda: "flood line 003999" in cp.transcript.toPlainText()[-200:])
        assert cp.transcript.blockCount() <= MAX_LINES

        cp.line.setText("hello board")
        cp._send_line()
        got = bytearray()
        wait_until(lambda: got.extend(_read(master)) or b"hello board\n" in got)
    finally:
        os.close(master)  # the device disappears
    wait_until(lambda: cp.connect_button.text() == "Connect")
    assert "Lost the connection" in cp.message.text()
    os.close(slave)


def _read(fd: int) -> bytes:
    import select

    ready, _, _ = select.select([fd], [], [], 0.05)
    return os.read(fd, 4096) if ready else b""


def test_connect_to_a_missing_port_is_a_message(qtbot, window):
    cp = window.console_page
    cp.connect_port("/dev/ttyBINGO_NOPE")
    wait_until(lambda: "Cannot open /dev/ttyBINGO_NOPE" in cp.message.text())
    assert cp.connect_button.isEnabled() and cp.connect_button.text() == "Connect"


def test_utf8_labels_show_as_text_even_when_a_character_is_split_between_reads(qtbot, window):
    import time

    cp = window.console_page
    master, slave, port = _pty()
    try:
        cp.connect_port(port)
        wait_until(lambda: cp.connect_button.text() == "Disconnect")
        line = "pred 2 café 1234\n".encode()
        cut = line.index("é".encode()) + 1  # inside the two bytes of é
        os.write(master, line[:cut])
        time.sleep(0.3)  # the console drains the first half on its own
        os.write(master, line[cut:])
        wait_until(lambda: "pred 2 café 1234" in cp.transcript.toPlainText())
        assert "\ufffd" not in cp.transcript.toPlainText()
    finally:
        cp.link.close()
        os.close(master)
        os.close(slave)
