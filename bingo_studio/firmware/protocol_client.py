"""The host side of the firmware's line protocol, on any serial port (a board or the simulated Uno).

One line in, one line out (README "Serial protocol"): `ready <name> <n>` at boot, `pred <class>
<label> <us>` or `err <reason>` for a features line, `info key=value ...` for `info`. pyserial's
readline can return half a line when its timeout expires, so lines are read through LineReader,
which also hands every byte to an optional `echo` (the window's console transcript).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bingo_studio.errors import UserError
from bingo_studio.firmware.spec import label_text

BAUD = 115200  # the firmware's serial speed


def open_port(port: str, baud: int = BAUD, timeout: float = 0.05):
    """The serial port opened with pyserial (a short read timeout: read lines with LineReader); a
    port that cannot be opened is one UserError line, with the usual fix for a permission error."""
    import serial

    try:
        return serial.Serial(port, baud, timeout=timeout, write_timeout=2)
    except (serial.SerialException, OSError, ValueError) as e:
        why = str(getattr(e, "strerror", None) or e)
        hint = " (add yourself to the 'dialout' group and log in again)" if "ermission" in why else ""
        raise UserError(f"Cannot open {port}: {why}{hint}") from None


class NoAnswer(UserError):
    """The board sent no reply to a line in time (the line, or its newline, may have been lost)."""


@dataclass
class Reply:
    """The firmware's answer to one features line: `pred <class> <label> <us>` or `err <reason>`."""

    line: str
    cls: int | None = None
    label: str = ""
    us: int | None = None
    error: str = ""


class LineReader:
    """Whole lines from a serial port opened with a short read timeout."""

    def __init__(self, ser, echo=None):
        self.ser = ser
        self.echo = echo
        self.pending = b""

    def readline(self, deadline: float) -> str | None:
        """The next line without its end, or None once time.monotonic() passes ``deadline``."""
        while b"\n" not in self.pending:
            if time.monotonic() > deadline:
                return None
            data = self.ser.read(self.ser.in_waiting or 1)
            if data:
                if self.echo is not None:
                    self.echo(data)
                self.pending += data
        line, self.pending = self.pending.split(b"\n", 1)
        return line.decode("utf-8", "replace").strip()  # labels are UTF-8


def format_features(row) -> str:
    """One CSV line of raw (un-normalised) feature values; the firmware normalises them itself."""
    return ",".join(f"{float(v):.7g}" for v in row)


def parse_reply(line: str) -> Reply | None:
    """A Reply for 'pred ...'/'err ...' lines, None for anything else (ready, info, debug prints)."""
    parts = line.strip().split()
    if len(parts) >= 3 and parts[0] == "pred":
        try:
            us = int(parts[3]) if len(parts) > 3 else None
            return Reply(line.strip(), int(parts[1]), label_text(parts[2]), us)
        except ValueError:
            return Reply(line.strip(), error=f"malformed reply: {line.strip()}")
    if parts and parts[0] == "err":
        return Reply(line.strip(), error=" ".join(parts[1:]) or "error")
    return None


def parse_info(line: str) -> dict[str, str]:
    """'info model=digits features=64 ...' -> {'model': 'digits', 'features': '64', ...}."""
    return dict(part.split("=", 1) for part in line.split()[1:] if "=" in part)


def wait_ready(reader: LineReader, timeout: float = 10.0) -> tuple[str, int]:
    """Read lines until the firmware's `ready <name> <n_features>`; returns (name, n_features)."""
    deadline = time.monotonic() + timeout
    while (line := reader.readline(deadline)) is not None:
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "ready" and parts[2].isdigit():
            return parts[1], int(parts[2])
    raise UserError(f"The board did not say 'ready' within {timeout:.0f} s (is the BINGO firmware on it?)")


def handshake(reader: LineReader, timeout: float = 4.0, grace: float = 0.5) -> dict[str, str]:
    """Ask the firmware for its info line, once. A board that resets when the port opens (an Uno)
    may miss it while booting: if its `ready` line is not followed by the answer within ``grace``
    seconds, `info` is asked again (an extra question could collide with the first test line); a
    board silent for ``timeout`` seconds is not asked again."""
    reader.ser.write(b"info\n")
    deadline, resend_at, boots = time.monotonic() + timeout, None, 0
    while True:
        line = reader.readline(min(deadline, resend_at or deadline))
        if line is None:
            if resend_at is None or time.monotonic() >= deadline:
                break
            reader.ser.write(b"info\n")  # it booted and did not answer: it missed the first
            resend_at, deadline = None, time.monotonic() + timeout
        elif line.startswith("info "):
            return parse_info(line)
        elif line.startswith("ready ") and boots < 2:  # a board rebooting in a loop is not asked forever
            boots += 1
            resend_at = time.monotonic() + grace
    raise UserError(
        f"The board did not answer 'info' within {timeout:.0f} s: is the BINGO firmware on it, at 115200 baud?"
    )


def send_line(ser, line: str, pace_us: float = 0.0) -> None:
    """Write one line; with pace_us, at most one byte per pace_us microseconds on average.

    A board that computes while values arrive (the Uno's streamed first layer) can fall behind
    115200 baud; its 64-byte receive buffer then overflows and bytes are lost. Pacing avoids that.
    """
    data = line.encode("ascii") + b"\n"
    if pace_us <= 0:
        ser.write(data)
        return
    chunk = 16
    for i in range(0, len(data), chunk):
        ser.write(data[i : i + chunk])
        ser.flush()
        time.sleep(chunk * pace_us / 1e6)


def ask(reader: LineReader, line: str, timeout: float = 10.0, pace_us: float = 0.0) -> Reply:
    """Send one line and wait for its pred/err reply (other lines in between are skipped).

    Raises NoAnswer when no reply comes (e.g. the line's newline was lost).
    """
    send_line(reader.ser, line, pace_us)
    deadline = time.monotonic() + timeout
    while (text := reader.readline(deadline)) is not None:
        reply = parse_reply(text)
        if reply is not None:
            return reply
    raise NoAnswer(f"No answer from the board within {timeout:.0f} s")
