"""Find boards plugged in over USB: serial ports with their USB ids and a guess of the board.

PlatformIO's `pio device list --json-output` is asked first (it is what `pio run -t upload` will
see); if it is missing or fails, pyserial's list_ports gives the same information directly.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import asdict, dataclass, field

from bingo_studio.boards import BOARDS, guess_board, is_ambiguous

_VIDPID_RE = re.compile(r"VID:PID=([0-9A-Fa-f]{4}):([0-9A-Fa-f]{4})")
_SER_RE = re.compile(r"SER=(\S+)")


@dataclass
class DetectedBoard:
    port: str
    description: str
    vid: int | None = None
    pid: int | None = None
    serial_number: str | None = None
    candidates: list[str] = field(default_factory=list)  # board keys, most likely first
    ambiguous: bool = False  # a generic USB-serial chip: the family is only a guess

    @property
    def board(self) -> str | None:
        """The best guess ('uno', 'esp32', ...), or None for an unknown device."""
        return self.candidates[0] if self.candidates else None

    @property
    def vid_pid(self) -> str:
        return f"{self.vid:04X}:{self.pid:04X}" if self.vid is not None and self.pid is not None else ""

    @property
    def usb(self) -> bool:
        return self.vid is not None

    def label(self) -> str:
        """One line for a list: port, what it probably is, and the USB id."""
        if self.candidates:
            names = " or ".join(BOARDS[c].title for c in self.candidates)
            what = f"{names}?" if self.ambiguous else names
        else:
            what = self.description if self.description not in ("", "n/a") else "unknown device"
        return f"{self.port}  {what}" + (f"  [{self.vid_pid}]" if self.vid_pid else "")

    def to_dict(self) -> dict:
        return {**asdict(self), "board": self.board, "vid_pid": self.vid_pid}


def _from_fields(port: str, description: str, hwid: str) -> DetectedBoard:
    m = _VIDPID_RE.search(hwid or "")
    vid, pid = (int(m.group(1), 16), int(m.group(2), 16)) if m else (None, None)
    s = _SER_RE.search(hwid or "")
    return DetectedBoard(
        port=port,
        description=description or "",
        vid=vid,
        pid=pid,
        serial_number=s.group(1) if s else None,
        candidates=guess_board(vid, pid),
        ambiguous=is_ambiguous(vid, pid),
    )


def parse_pio_devices(json_text: str) -> list[DetectedBoard]:
    """Boards from the output of `pio device list --json-output`."""
    return [_from_fields(d.get("port", ""), d.get("description", ""), d.get("hwid", "")) for d in json.loads(json_text)]


def _pio_devices(env: dict[str, str] | None, timeout: float) -> list[DetectedBoard] | None:
    if env is None:
        from bingo_studio.firmware.local_platform import default_core_dir

        # listing ports must not create ~/.platformio for someone who never used PlatformIO
        env = dict(os.environ, PLATFORMIO_SETTING_ENABLE_TELEMETRY="no")
        env.setdefault("PLATFORMIO_CORE_DIR", str(default_core_dir()))
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "platformio", "device", "list", "--serial", "--json-output"],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
        )
        if proc.returncode != 0:
            return None
        return parse_pio_devices(proc.stdout)
    except (OSError, subprocess.TimeoutExpired, ValueError, AttributeError):
        return None


def _pyserial_devices() -> list[DetectedBoard]:
    from serial.tools import list_ports

    return [_from_fields(p.device, p.description, p.hwid) for p in list_ports.comports()]


def list_boards(use_pio: bool = True, env: dict[str, str] | None = None, timeout: float = 10.0) -> list[DetectedBoard]:
    """Serial ports, USB devices first and recognised boards before unknown ones.

    use_pio=False skips PlatformIO (about half a second) for frequent polling from the GUI.
    """
    found = _pio_devices(env, timeout) if use_pio else None
    if found is None:
        found = _pyserial_devices()
    return sorted(found, key=lambda b: (not b.candidates, not b.usb, b.port))
