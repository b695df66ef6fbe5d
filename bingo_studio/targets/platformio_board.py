"""A real board on USB, built and uploaded by PlatformIO (Uno, Nano, ESP32, Pico)."""

from __future__ import annotations

from pathlib import Path

from bingo_studio.boards import Board
from bingo_studio.deploy.build import CancelFlag, checked, line_reporter
from bingo_studio.errors import UserError
from bingo_studio.firmware.platformio import run_upload
from bingo_studio.targets.base import Flashed, Target
from bingo_studio.training.task import TaskState


class PlatformIOBoard(Target):
    def __init__(self, board: Board, port_free_upload: bool = False):
        self.board = board
        self.key = board.key
        self.title = board.title
        # a Pico in BOOTSEL mode is a USB drive, not a serial port: PlatformIO finds it itself
        self.needs_port = not port_free_upload

    def pick_port(self, found: list, how: str = "") -> str | None:
        """The one plugged-in board (firmware.ports.DetectedBoard) that can be this one, else a
        UserError saying what was found; ``how`` tells how to name a port (" with --port")."""
        if not self.needs_port:
            return None
        matching = [b for b in found if self.key in b.candidates]
        if len(matching) == 1:
            return matching[0].port
        if not matching:
            usb = [b.label() for b in found if b.usb]
            seen = f" (USB serial devices seen: {'; '.join(usb)})" if usb else ""
            raise UserError(f"No {self.title} found: plug it in over USB, or name its port{how}{seen}")
        ports = ", ".join(b.port for b in matching)
        raise UserError(f"Several boards could be the {self.title} ({ports}): choose one{how}")

    def flash(
        self, project: Path | str, port: str | None = None, offline: bool = False,
        core_dir: Path | str | None = None, state: TaskState | None = None,
    ) -> Flashed:
        """Build if needed and upload with PlatformIO (to `port`, or the one PlatformIO finds)."""
        if port is None and self.needs_port:
            raise UserError(f"No {self.title} found: plug it in over USB and choose its port")
        result = run_upload(project, self.board.key, offline=offline, core_dir=core_dir, port=port,
                            on_line=line_reporter(state, "upload"), cancel=CancelFlag(state))
        return Flashed(checked(result), port)
